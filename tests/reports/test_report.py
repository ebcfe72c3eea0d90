"""The report renderer on a small synthetic store with known truth (no training):

- `bn-after-activation`: two factors (position x act), both frameworks, 5 seeds, a planted
  accuracy gain of +0.10 for position=after (noise sd 0.01; smallest effect that matters 0.02),
  one failed and one diverged trial, a loss curve and per-layer gradient norms.
- `xss-claim`: a `<script>` title; lr=0.1 lowers the loss by 0.2 in torch only, so torch comes
  out supported and tf refuted (its effect sits inside the ±0.05 band): the frameworks disagree.
- `orphan`: trials but no claim metadata.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reports import figures
from reports.build import build_report
from reports.table import LONG_COLUMNS, curves_table, export, long_table
from runners.store import Store, TrialRecord

SEEDS = 5
T0 = 1_700_000_000.0
ENV = {"python": "3.11.9", "device": "cpu", "threads": 1, "host": "test", "code": "abc123"}

BN_META: dict[str, Any] = {
    "name": "bn-after-activation",
    "version": 2,
    "title": "Batch norm after the activation works better",
    "section": "B. Normalisation",
    "source": "BN is better placed after the activation",
    "literature": "Ioffe & Szegedy 2015",
    "literature_effect": "no consistent difference",
    "operationalisation": "Validation accuracy after a fixed budget, BN before vs after the activation.",
    "factors": {"position": ["before", "after"], "act": ["relu", "tanh"]},
    "fixed": {"epochs": 3},
    "seeds": {"smoke": 1, "quick": SEEDS, "full": 20},
    "frameworks": ["torch", "tf"],
    "metrics": ["val/accuracy", "train/loss", *(f"probe/grad_norm/layer{i}" for i in range(4))],
    "expect": [
        {
            "metric": "val/accuracy",
            "treatment": {"position": "after"},
            "control": {"position": "before"},
            "direction": "greater",
            "min_effect": 0.02,
            "relative": False,
            "reference": 0.0,
            "where": {},
            "paired": True,
            "label": "BN after the activation raises accuracy",
            "description": "accuracy(after) - accuracy(before) > 0.02",
        }
    ],
    "figures": [["curve", "train/loss"], ["profile", "probe/grad_norm/"]],
    "origin": "claims/library/bn_after_activation.py",
    "command": "claimbench run bn-after-activation --profile quick",
}

XSS_META: dict[str, Any] = {
    "name": "xss-claim",
    "version": 1,
    "title": "<script>alert('x')</script> a hostile title",
    "section": "A. Gradients and activations",
    "source": "a <b>bold</b> | claim",
    "operationalisation": "loss at lr=0.1 minus loss at lr=0.01",
    "factors": {"lr": [0.1, 0.01]},
    "seeds": {"quick": SEEDS},
    "frameworks": ["torch", "tf"],
    "metrics": ["train/loss"],
    "expect": [
        {
            "metric": "train/loss",
            "treatment": {"lr": 0.1},
            "control": {"lr": 0.01},
            "direction": "less",
            "min_effect": 0.05,
        }
    ],
    "figures": [],
    "command": "claimbench run xss-claim",
}


def _trial(claim: str, version: int, fw: str, point: dict[str, Any], seed: int, **kw: Any) -> TrialRecord:
    fields: dict[str, Any] = {
        "profile": "quick",
        "status": "ok",
        "env": {**ENV, "framework": fw, "version": "2.x"},
        "started": T0 + seed,
        "finished": T0 + seed + 1,
        "wall_s": 1.0,
        **kw,
    }
    key = ",".join(f"{k}={v}" for k, v in point.items())
    return TrialRecord(
        id=f"{claim}/{fw}/{key}/{seed}/{fields['profile']}",
        claim=claim,
        version=version,
        framework=fw,
        factors=point,
        seed_index=seed,
        seed=1000 + seed,
        **fields,
    )


def make_store(path: Path) -> Path:
    rng = np.random.default_rng(7)
    store = Store(path)
    store.put_claim("bn-after-activation", 2, BN_META)
    store.put_claim("xss-claim", 1, XSS_META)
    for fw in ("torch", "tf"):
        for act in ("relu", "tanh"):
            for position in ("before", "after"):
                point = {"position": position, "act": act}
                for s in range(SEEDS):
                    acc = 0.80 + (0.10 if position == "after" else 0.0) + rng.normal(0, 0.01)
                    depth_decay = 0.5 if act == "tanh" else 0.9
                    metrics = {
                        "val/accuracy": acc,
                        "train/loss": 1 - acc,
                        **{
                            f"probe/grad_norm/layer{i}": depth_decay**i * (1 + rng.normal(0, 0.05))
                            for i in range(4)
                        },
                    }
                    curve = [
                        [step, float(np.exp(-step / 50) + rng.normal(0, 0.01))] for step in range(0, 200, 20)
                    ]
                    status, error = "ok", None
                    if (fw, position, act, s) == ("torch", "after", "relu", 4):
                        status, metrics, curve = "failed", {}, []
                        error = "Traceback (most recent call last):\n  File x\nRuntimeError: planted failure"
                    if (fw, position, act, s) == ("tf", "before", "tanh", 2):
                        status, metrics["val/accuracy"], metrics["train/loss"] = (
                            "diverged",
                            float("nan"),
                            float("inf"),
                        )
                        error = "loss became inf at step 40"
                    store.put(
                        _trial(
                            "bn-after-activation",
                            2,
                            fw,
                            point,
                            s,
                            status=status,
                            metrics=metrics,
                            curves={"train/loss": curve} if curve else {},
                            error=error,
                        )
                    )
        for lr in (0.1, 0.01):
            for s in range(SEEDS):
                gain = -0.2 if (fw == "torch" and lr == 0.1) else 0.0
                loss = 0.5 + gain + rng.normal(0, 0.005)
                store.put(_trial("xss-claim", 1, fw, {"lr": lr}, s, metrics={"train/loss": loss}))
    for s in range(3):
        store.put(_trial("orphan", 1, "torch", {"k": 1}, s, metrics={"m": float(s)}))
    # An older smoke run of bn-after-activation, which the default report must not use.
    store.put(
        _trial(
            "bn-after-activation",
            2,
            "torch",
            {"position": "after", "act": "relu"},
            0,
            profile="smoke",
            metrics={"val/accuracy": 0.1},
            finished=T0 - 1e5,
        )
    )
    store.close()
    return path


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store(tmp_path_factory.mktemp("store") / "claimbench.db")


@pytest.fixture(scope="module")
def report(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built report's folder."""
    out = tmp_path_factory.mktemp("report")
    index = build_report(store_path, out, rng_seed=0)
    assert index == out / "index.html"
    return out


CLAIMS = ("bn-after-activation", "xss-claim")
ROOT = Path(__file__).resolve().parents[2]
COPIES = 6


def _html_files(report: Path) -> list[Path]:
    return [report / "index.html", *sorted((report / "claims").glob("*.html"))]


def test_writes_index_claim_pages_figures_and_verdicts(report: Path) -> None:
    for name in ("index.html", "index.md", "verdicts.json"):
        assert (report / name).is_file(), name
    for claim in (*CLAIMS, "orphan"):
        for ext in ("html", "md"):
            assert (report / "claims" / f"{claim}.{ext}").stat().st_size > 0
    pngs = sorted((report / "figures").glob("bn-after-activation-*.png"))
    # forest, loss curve, gradient-norm profile
    assert [p.name.split("-")[-1] for p in pngs] == ["forest.png", "curve.png", "profile.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)


def test_verdict_matrix_has_a_cell_per_claim_and_framework(report: Path) -> None:
    index = (report / "index.html").read_text()
    for claim in CLAIMS:
        row = re.search(rf'<tr><td><a href="claims/{claim}\.html">.*?</tr>', index, re.S)
        assert row is not None, claim
        cells = re.findall(r'<span class="verdict v-(\w+)">(\w+)</span>', row.group(0))
        assert len(cells) == 2, (claim, cells)
        assert all(cls == text for cls, text in cells)
    md = (report / "index.md").read_text()
    row_md = next(line for line in md.splitlines() if line.startswith("| [bn-after-activation]"))
    assert row_md.count("**supported**") == 2
    # grouped by section, sections in order
    assert index.index("A. Gradients and activations") < index.index("B. Normalisation")


def test_planted_effect_is_supported_in_both_frameworks(report: Path) -> None:
    verdicts = json.loads((report / "verdicts.json").read_text())
    assert verdicts["bn-after-activation"] == {"torch": "supported", "tf": "supported", "agree": True}
    page = (report / "claims" / "bn-after-activation.html").read_text()
    assert "The frameworks agree" in page
    # the failed and the diverged trial are counted and the first error line shown
    assert "RuntimeError: planted failure" in page
    assert "loss became inf at step 40" in page


def test_disagreement_is_flagged_first(report: Path) -> None:
    verdicts = json.loads((report / "verdicts.json").read_text())
    assert verdicts["xss-claim"] == {"torch": "supported", "tf": "refuted", "agree": False}
    index = (report / "index.html").read_text()
    assert index.index("DISAGREE") < index.index("<h2>Verdicts</h2>")
    page = (report / "claims" / "xss-claim.html").read_text()
    assert page.index("DISAGREE") < page.index("<h2>Verdict</h2>")
    assert "DISAGREE" in (report / "claims" / "xss-claim.md").read_text()


def test_html_is_self_contained(report: Path) -> None:
    for path in _html_files(report):
        text = path.read_text()
        assert "http" not in text, path.name
        assert not re.search(r'(src|href)="(?!data:|\.\./index\.html|claims/)', text), path.name
    page = (report / "claims" / "bn-after-activation.html").read_text()
    assert page.count('src="data:image/png;base64,') == 3


def test_markdown_links_are_relative_and_resolve(report: Path) -> None:
    page = report / "claims" / "bn-after-activation.md"
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text())
    assert len(links) == 3
    assert all((page.parent / link).resolve().is_file() for link in links)
    index = (report / "index.md").read_text()
    assert "(claims/bn-after-activation.md)" in index
    assert "http" not in index


def test_script_title_is_escaped(report: Path) -> None:
    for path in [*_html_files(report), *(report / "claims").glob("*.md"), report / "index.md"]:
        assert "<script" not in path.read_text(), path.name
    assert "&lt;script&gt;" in (report / "index.html").read_text()
    page = (report / "claims" / "xss-claim.html").read_text()
    assert "&lt;script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_claim_page_content(report: Path) -> None:
    page = (report / "claims" / "bn-after-activation.html").read_text()
    for text in (
        BN_META["source"],
        BN_META["operationalisation"],
        BN_META["literature"],
        BN_META["literature_effect"],
        BN_META["command"],
        "Holm p",
        "seeds needed",
        "3.11.9",  # environment
    ):
        assert html.escape(text, quote=False) in page, text
    # holds under every act condition, in both frameworks
    assert page.count("act=relu; act=tanh") == 2


def test_claim_without_meta_is_listed_with_a_note(report: Path) -> None:
    index = (report / "index.html").read_text()
    assert 'href="claims/orphan.html"' in index
    assert "no claim metadata stored" in index
    assert "orphan" not in json.loads((report / "verdicts.json").read_text())


def test_newest_profile_is_used_unless_one_is_asked_for(
    store_path: Path, report: Path, tmp_path: Path
) -> None:
    page = (report / "claims" / "bn-after-activation.md").read_text()
    assert "· profile quick" in page  # the older smoke run is named, not used
    assert "Profile 'quick' was run most recently; trials of 'smoke' are not used." in page
    build_report(store_path, tmp_path, profile="smoke")
    smoke = (tmp_path / "claims" / "bn-after-activation.md").read_text()
    assert "· profile smoke" in smoke
    # one smoke seed in one framework decides nothing
    assert json.loads((tmp_path / "verdicts.json").read_text())["bn-after-activation"] == {
        "torch": "inconclusive",
        "agree": True,
    }


def test_import_loads_no_framework() -> None:
    code = (
        "import sys, reports.build, reports.table, reports.figures, reports.render\n"
        "print(sorted(m for m in ('torch', 'tensorflow', 'ray') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_long_table_counts_failed_and_diverged_trials(store_path: Path) -> None:
    store = Store(store_path, create=False)
    records = store.trials("bn-after-activation", profile="quick")
    store.close()
    table = long_table(records, {"bn-after-activation": BN_META["metrics"]})
    assert list(table.columns[: len(LONG_COLUMNS)]) == LONG_COLUMNS
    assert sorted(table.columns[len(LONG_COLUMNS) :]) == ["f:act", "f:position"]
    bad = table[table["status"] != "ok"]
    assert sorted(bad["status"].unique()) == ["diverged", "failed"]
    assert len(bad) == 2 * len(BN_META["metrics"]) and bad["value"].isna().all()
    assert len(table) == 2 * 4 * SEEDS * len(BN_META["metrics"])

    curves = curves_table(records)
    assert list(curves.columns[:3]) == ["claim", "framework", "seed_index"]
    assert list(curves.columns[-3:]) == ["curve", "step", "value"]
    assert sorted(curves.columns[3:-3]) == ["f:act", "f:position"]
    assert len(curves) == (2 * 4 * SEEDS - 2) * 10


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_writes_the_documented_columns(
    store_path: Path,
    tmp_path: Path,
    suffix: str,
) -> None:
    store = Store(store_path, create=False)
    path = export(store, tmp_path / f"trials{suffix}")
    store.close()
    df = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    assert list(df.columns[: len(LONG_COLUMNS)]) == LONG_COLUMNS
    assert {"profile", "version", "id", "f:position", "f:act", "f:lr", "f:k"} <= set(df.columns)
    failed = df[df["status"] == "failed"]
    assert set(failed["metric"]) == set(BN_META["metrics"])
    assert all(math.isnan(v) for v in failed["value"])


def test_export_rejects_unknown_extension(store_path: Path, tmp_path: Path) -> None:
    store = Store(store_path, create=False)
    with pytest.raises(ValueError, match=r"\.csv"):
        export(store, tmp_path / "trials.xlsx")
    store.close()


def test_forest_draws_every_comparison_and_framework() -> None:
    rows = pd.DataFrame(
        {
            "framework": ["torch", "tf", "torch"],
            "comparison": ["a", "a", "b"],
            "condition": ["all", "all", "x=1"],
            "effect": [0.1, -0.1, 0.0],
            "ci_low": [0.05, -0.2, -0.1],
            "ci_high": [0.15, 0.0, 0.1],
            "min_effect": [0.02, 0.02, 0.5],
            "direction": ["greater"] * 3,
            "verdict": ["supported", "refuted", "inconclusive"],
        }
    )
    fig = figures.forest(rows)
    panels = fig.axes
    assert [ax.get_title(loc="left") for ax in panels] == ["a", "b"]
    assert [t.get_text() for t in panels[0].get_yticklabels()] == ["torch", "tf"]
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in panels)


def test_many_claims_build_quickly_in_worker_processes(tmp_path: Path) -> None:
    """6 copies of the two-claim store (12 claims) drawn by two processes: every page is written,
    the verdicts are those of the single-process build, and the CPU time stays within budget
    (a full sweep's ~60 claims must report in well under 30 s)."""
    src = make_store(tmp_path / "one.db")
    one = Store(src, create=False)
    metas, records = one.claim_meta(), one.trials(profile="quick")
    one.close()
    store = Store(tmp_path / "many.db")
    for k in range(COPIES):
        for name, meta in metas.items():
            store.put_claim(f"{name}-{k}", meta["version"], {**meta, "name": f"{name}-{k}"})
        for r in records:
            if r.claim in metas:
                store.put(dataclasses.replace(r, id=f"{r.id}-{k}", claim=f"{r.claim}-{k}"))
    store.close()

    before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    build_report(tmp_path / "many.db", tmp_path / "out", workers=2)
    after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before, strict=True))

    verdicts = json.loads((tmp_path / "out" / "verdicts.json").read_text())
    for k in range(COPIES):
        assert verdicts[f"bn-after-activation-{k}"] == {
            "torch": "supported",
            "tf": "supported",
            "agree": True,
        }
        assert verdicts[f"xss-claim-{k}"] == {"torch": "supported", "tf": "refuted", "agree": False}
        for ext in ("html", "md"):
            assert (tmp_path / "out" / "claims" / f"bn-after-activation-{k}.{ext}").is_file()
    assert len(list((tmp_path / "out" / "figures").glob("*.png"))) == 4 * COPIES
    # ~0.3 s per claim on one laptop core, plus ~3 s to start the second interpreter
    assert cpu < 0.6 * 2 * COPIES + 6, f"{cpu:.1f} s of CPU for {2 * COPIES} claims"
