"""claims/ and reports/ (and `claimbench list`) never import torch, tensorflow or ray; imports
flow one way (claims -> impls.spec; reports -> runners.store)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "tensorflow", "ray", "keras")


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_claims_and_reports_stay_light() -> None:
    loaded = _loaded_after("import claims, reports.stats; claims.discover()")
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_cli_list_stays_light(tmp_path: Path) -> None:
    code = f"from runners.cli import main; main(['--store', r'{tmp_path / 'x.db'}', 'list'])"
    loaded = _loaded_after(code)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_imports_flow_one_way() -> None:
    """Every module's imports, read from source: claims see only impls.spec of the other rooms,
    reports only runners.store, impls never claims/runners/reports."""
    for path in ROOT.glob("claims/**/*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            assert top not in HEAVY, f"{path}: imports {name}"
            assert top not in ("runners", "reports"), f"{path}: imports {name}"
            assert top != "impls" or name in ("impls", "impls.spec"), f"{path}: imports {name}"
    for path in ROOT.glob("reports/**/*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            assert top not in HEAVY and top not in ("impls",), f"{path}: imports {name}"
            assert top != "runners" or name == "runners.store", f"{path}: imports {name}"
    for path in ROOT.glob("impls/**/*.py"):
        for name in _imports(path):
            assert name.split(".")[0] not in ("claims", "runners", "reports"), f"{path}: imports {name}"
    for path in ROOT.glob("impls/torch_impl/**/*.py"):
        assert not {n for n in _imports(path) if n.split(".")[0] in ("tensorflow", "keras")}, path
    for path in ROOT.glob("impls/tf_impl/**/*.py"):
        assert not {n for n in _imports(path) if n.split(".")[0] == "torch"}, path


def test_sibling_impls_have_the_same_files() -> None:
    torch_files = {
        p.relative_to(ROOT / "impls/torch_impl") for p in (ROOT / "impls/torch_impl").rglob("*.py")
    }
    tf_files = {p.relative_to(ROOT / "impls/tf_impl") for p in (ROOT / "impls/tf_impl").rglob("*.py")}
    assert torch_files == tf_files
