"""The published snapshot (`reports.snapshot`, run by `scripts/snapshot`): the Markdown report in
docs/report/ and the README's verdict table generated from its verdicts.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reports import snapshot

ROOT = Path(__file__).resolve().parents[2]
README = "# claimbench\n\n## Verdicts\n\nintro\n\n{start}\nhand-typed rubbish\n{end}\n\n## After\n"


def test_verdict_table_is_one_row_per_claim_linked_to_its_page() -> None:
    table = snapshot.verdict_table(
        {
            "b-claim": {"torch": "supported", "tf": "refuted", "agree": False},
            "a|claim": {"torch": "inconclusive", "agree": True},
        },
        "docs/report",
    )
    assert table.splitlines() == [
        "| claim | PyTorch | TensorFlow | frameworks agree |",
        "|---|---|---|---|",
        "| [a\\|claim](docs/report/claims/a_claim.md) | **inconclusive** | — | yes |",
        "| [b-claim](docs/report/claims/b-claim.md) | **supported** | **refuted** | **no** |",
    ]


def test_only_the_text_between_the_markers_is_replaced() -> None:
    text = README.format(start=snapshot.START, end=snapshot.END)
    new = snapshot.replace_between_markers(text, "| table |\n")
    assert new == text.replace("hand-typed rubbish", "| table |")
    assert snapshot.replace_between_markers(new, "| table |\n") == new  # idempotent
    with pytest.raises(ValueError, match="markers"):
        snapshot.replace_between_markers("# no markers\n", "x")
    with pytest.raises(ValueError, match="markers"):
        snapshot.replace_between_markers(f"{snapshot.END}\n{snapshot.START}\n", "x")


def test_the_repository_readme_has_the_markers_under_verdicts() -> None:
    text = (ROOT / "README.md").read_text()
    assert text.count(snapshot.START) == 1 and text.count(snapshot.END) == 1
    assert text.index("## Verdicts") < text.index(snapshot.START) < text.index(snapshot.END)


def test_snapshot_publishes_markdown_and_figures_and_regenerates_the_readme(
    store_path: Path, tmp_path: Path
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(README.format(start=snapshot.START, end=snapshot.END))
    out = tmp_path / "docs" / "report"
    (out / "claims").mkdir(parents=True)
    (out / "claims" / "removed-claim.md").write_text("stale")  # a claim since deleted
    ladders = tmp_path / "results"
    ladders.mkdir()
    row = {"rung": 1, "case": "plain", "quantity": "params", "measured": 0.0, "tolerance": 0.0}
    doc = {"dtype": "float64", "steps": 3, "rows": [{**row, "passed": True, "note": ""}]}
    (ladders / "crosscheck-float64.json").write_text(json.dumps(doc))
    args = ["--store", str(store_path), "--out", str(out), "--readme", str(readme), "--ladders", str(ladders)]

    assert snapshot.main(args) == 0

    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {p.suffix for p in map(Path, files)} == {".md", ".svg", ".json"}  # no HTML
    assert {"index.md", "method.md", "crosscheck.md", "verdicts.json"} <= files
    assert "claims/removed-claim.md" not in files
    assert "### float64: 1/1 checks passed" in (out / "crosscheck.md").read_text()
    for page in out.rglob("*.md"):  # every link of the published pages resolves inside it
        for target in re.findall(r"\]\(([^)]+)\)", page.read_text()):
            assert (page.parent / target).resolve().is_file(), (page, target)

    text = readme.read_text()
    assert "hand-typed rubbish" not in text and text.endswith("## After\n")
    verdicts = json.loads((out / "verdicts.json").read_text())
    rows = [line for line in text.splitlines() if line.startswith("| [")]
    assert len(rows) == len(verdicts) == 2  # the orphan has no verdict
    assert (
        rows[1] == "| [xss-claim](docs/report/claims/xss-claim.md) | **supported** | **refuted** | **no** |"
    )
    for link in re.findall(r"\]\(([^)]+)\)", text):
        assert (tmp_path / link).is_file(), link
    before = text
    snapshot.main(args)
    assert readme.read_text() == before  # regenerated, not appended


def test_snapshot_without_a_store_says_how_to_make_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert snapshot.main(["--store", str(tmp_path / "none.db"), "--out", str(tmp_path / "r")]) == 2
    assert "scripts/sweep" in capsys.readouterr().err
