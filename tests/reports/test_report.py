"""The report renderer on the synthetic store of `tests/reports/synthetic.py` (no training)."""

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

import pandas as pd
import pytest

from reports import figures
from reports.build import build_report
from reports.table import LONG_COLUMNS, curves_table, export, long_table
from runners.store import Store
from tests.reports.synthetic import BN_META, SEEDS, make_store

CLAIMS = ("bn-after-activation", "xss-claim")
PAGES = ("index", "crosscheck", "method")  # the report's pages besides the claims
ROOT = Path(__file__).resolve().parents[2]
COPIES = 6


def _html_files(report: Path) -> list[Path]:
    return [*(report / f"{p}.html" for p in PAGES), *sorted((report / "claims").glob("*.html"))]


def _md_files(report: Path) -> list[Path]:
    return [*(report / f"{p}.md" for p in PAGES), *sorted((report / "claims").glob("*.md"))]


def test_writes_index_claim_pages_figures_and_verdicts(report: Path) -> None:
    for name in ("index.html", "index.md", "verdicts.json"):
        assert (report / name).is_file(), name
    for claim in (*CLAIMS, "orphan"):
        for ext in ("html", "md"):
            assert (report / "claims" / f"{claim}.{ext}").stat().st_size > 0
    svgs = sorted((report / "figures").glob("bn-after-activation-*.svg"))
    # forest, loss curve, gradient-norm profile
    assert [p.name.split("-")[-1] for p in svgs] == ["forest.svg", "curve.svg", "profile.svg"]
    assert all(b"<svg" in p.read_bytes()[:400] for p in svgs)


def test_verdict_matrix_has_a_cell_per_claim_and_framework(report: Path) -> None:
    index = (report / "index.html").read_text()
    for claim in CLAIMS:
        row = re.search(rf'<tr class="claim"[^>]*><td><a href="claims/{claim}\.html">.*?</tr>', index, re.S)
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
        assert not re.search(r"https?:", text), path.name  # (the CSP's http-equiv is fine)
        assert not re.search(
            r'(src|href)="(?!data:|(\.\./)?(index|method|crosscheck)\.html|claims/)', text
        ), path.name
    page = (report / "claims" / "bn-after-activation.html").read_text()
    assert page.count('src="data:image/svg+xml;base64,') == 3


def test_markdown_links_are_relative_and_resolve(report: Path) -> None:
    page = report / "claims" / "bn-after-activation.md"
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text())
    assert len(links) == 3
    assert all((page.parent / link).resolve().is_file() for link in links)
    index = (report / "index.md").read_text()
    assert "(claims/bn-after-activation.md)" in index
    assert "http" not in index


def test_script_title_is_escaped(report: Path) -> None:
    for path in [*_html_files(report), *_md_files(report)]:
        # the index's one script is its own (the filters)
        own = path.name == "index.html"
        assert path.read_text().count("<script") == own, path.name
        assert not own or "<script>\n(function () {" in path.read_text()
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
        "import sys, reports.build, reports.table, reports.figures, reports.render, reports.snapshot\n"
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
    assert len(list((tmp_path / "out" / "figures").glob("*.svg"))) == 4 * COPIES
    # ~0.3 s per claim on one laptop core, plus ~3 s to start the second interpreter
    assert cpu < 0.6 * 2 * COPIES + 6, f"{cpu:.1f} s of CPU for {2 * COPIES} claims"


def test_report_work_is_split_by_cost_and_every_claim_drawn_once() -> None:
    from reports.build import _cost, _Job, _split

    jobs = [
        _Job(f"c{i}", [], {"figures": [("curve", "x")] * (i % 4)}, [], Path("."), 0, "") for i in range(13)
    ]
    chunks = _split(jobs, 2)
    assert sorted(i for c in chunks for i in c) == list(range(13))
    loads = [sum(_cost(jobs[i]) for i in c) for c in chunks]
    # greedy largest-first: the loads differ by at most the largest single job
    assert abs(loads[0] - loads[1]) <= max(_cost(j) for j in jobs)


def test_report_helpers_given_no_work_end_with_the_report() -> None:
    """The helpers start before the store is read; an error before they get work must not leave
    them running, nor their scratch directory behind."""
    from reports.build import _Helpers

    with pytest.raises(RuntimeError, match="the store broke"), _Helpers(2) as helpers:
        procs = [proc for proc, _ in helpers.procs]
        raise RuntimeError("the store broke")
    assert len(procs) == 2 and all(proc.poll() is not None for proc in procs)
    assert not helpers.dir.exists()


def test_seed_batched_and_sequential_trials_are_never_mixed_within_a_condition() -> None:
    from reports.build import _select
    from tests.reports.synthetic import _trial

    old = [_trial("c", 1, "torch", {"a": 1}, s, metrics={"m": 1.0}) for s in range(3)]
    batched = [
        _trial("c", 1, "torch", {"a": 1}, s, metrics={"m": 2.0}, env={"mode": "seedbatch"}, finished=9e9)
        for s in range(2)
    ]
    fallback = _trial("c", 1, "torch", {"a": 2}, 0, env={"seedbatch_fallback": "dropout"}, finished=9e9)
    unstackable = _trial("c", 1, "torch", {"a": 3}, 0, metrics={"m": 3.0})  # only ever sequential
    chosen, notes = _select([*old, *batched, fallback, unstackable], {"version": 1}, None)
    # condition a=1 was last run seed-batched: only its stacked trials, none of its sequential
    # seeds (not even seed 2, which the stacked run lacks); a=2's fallback and a=3 stay
    assert sorted((r.factors["a"], r.seed_index, r.metrics.get("m")) for r in chosen) == [
        (1, 0, 2.0),
        (1, 1, 2.0),
        (2, 0, None),
        (3, 0, 3.0),
    ]
    assert notes == [
        "3 trials of conditions rerun since in another execution mode (sequential before) are not used."
    ]
    chosen, notes = _select(old, {"version": 1}, None)
    assert len(chosen) == 3 and not notes


def test_a_report_reads_only_each_seeds_newest_trial_and_chooses_the_same(tmp_path: Path) -> None:
    """`Store.trials(newest=True)` skips superseded code versions' runs (most of a long-lived
    store) before parsing them; what `_select` then chooses must be exactly what it chose from
    every stored row: newest per seed, per mode, per claim version and per profile."""
    from dataclasses import replace

    from reports.build import _select
    from tests.reports.synthetic import _trial

    rows = []
    for code, t in (("old", 0.0), ("new", 50.0)):  # the same seeds from two code versions
        for s in range(3):
            for mode_env in ({}, {"mode": "seedbatch"}):
                late = 100.0 if mode_env and code == "old" else 0.0  # seed-batched ran last, once
                r = _trial("c", 1, "torch", {"a": 1}, s, env=mode_env, metrics={"m": t + s})
                rows.append(replace(r, id=f"{r.id}/{code}/{bool(mode_env)}", finished=r.finished + t + late))
    rows += [_trial("c", 0, "torch", {"a": 1}, 0), _trial("c", 1, "torch", {"a": 2}, 0, profile="smoke")]
    store = Store(tmp_path / "s.db")
    for r in rows:
        store.put(r)
    every, newest = store.trials(), store.trials(newest=True)
    assert len(every) == len(rows) and len(newest) == 2 * 3 + 2  # one per seed and mode (+2 others)
    assert all("/new/" in r.id for r in newest if r.version == 1 and r.profile == "quick" and not r.env)
    for profile in (None, "quick", "smoke"):
        full, _ = _select([r for r in every if profile in (None, r.profile)], {"version": 1}, profile)
        fast, _ = _select([r for r in newest if profile in (None, r.profile)], {"version": 1}, profile)
        assert [r.id for r in fast] == [r.id for r in full] and full
