"""The index's summary and filters, the cross-framework page and the method page, on the synthetic
store of `tests/reports/synthetic.py` (report built once by conftest.py)."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from reports import crossframework
from reports.build import build_report
from reports.table import long_table
from runners import cli
from runners import crosscheck as ladder
from runners.store import Store
from tests.reports.synthetic import XSS_META

LINK = re.compile(r"\]\(([^)]+)\)")


def test_every_markdown_link_resolves(report: Path) -> None:
    pages = [*report.glob("*.md"), *(report / "claims").glob("*.md")]
    assert {p.name for p in report.glob("*.md")} == {"index.md", "crosscheck.md", "method.md"}
    for page in pages:
        for target in LINK.findall(page.read_text()):
            assert not target.endswith(".html"), (page.name, target)  # Markdown links Markdown
            assert (page.parent / target).resolve().is_file(), (page.name, target)


def test_index_names_the_sweep_at_the_top(report: Path) -> None:
    index = (report / "index.html").read_text()
    top = index[: index.index("<h2>Verdicts</h2>")]
    for text in (
        "trials run 2023-11-14 22:13 UTC",  # the sweep's date (trials' finish times)
        "<td>quick</td>",  # profile
        "torch 3–5, tf 5",  # seeds per arm (the orphan claim has 3)
        "version 2.x; device cpu; host test; python 3.11.9",  # environment summary
        'href="method.html"',
        'href="crosscheck.html"',
    ):
        assert text in top, text
    md = (report / "index.md").read_text()
    assert "| seeds per arm | torch 3–5, tf 5 |" in md
    assert "(method.md)" in md and "(crosscheck.md)" in md


def test_index_rows_carry_what_the_filters_match(report: Path) -> None:
    index = (report / "index.html").read_text()
    rows = {
        claim: attrs
        for attrs, claim in re.findall(
            r'<tr class="claim" ([^>]*)><td><a href="claims/([\w.-]+)\.html"', index
        )
    }
    assert rows == {
        "xss-claim": 'data-section="1" data-verdicts="refuted supported" data-agree="no"',
        "bn-after-activation": 'data-section="2" data-verdicts="supported" data-agree="yes"',
        "orphan": 'data-section="3" data-verdicts="none" data-agree="yes"',
    }
    verdicts = re.findall(r'<option value="(\w*)">', index[index.index('id="filter-verdict"') :])
    assert verdicts[:7] == ["", "supported", "refuted", "mixed", "inconclusive", "none", "disagree"]
    assert '<option value="2">B. Normalisation</option>' in index


def test_method_page_explains_the_rules_and_every_page_links_it(report: Path) -> None:
    method = html.unescape((report / "method.html").read_text())
    for text in (
        "paired",
        "bootstrap",
        "Student t",
        "1 - 0.05/m (Bonferroni)",
        "Holm",
        "band of no practical difference",
        "two one-sided tests",
        "'across' a factor",
        "80% power",
        "--until-decided",
        "0.05/K",
    ):
        assert text in method, text
    assert "Bonferroni" in (report / "method.md").read_text()
    for page in (report / "claims").glob("*.html"):
        assert 'href="../method.html"' in page.read_text(), page.name
    for page in (report / "claims").glob("*.md"):
        assert "](../method.md)" in page.read_text(), page.name


def test_agreement_table_flags_the_claim_whose_frameworks_differ(report: Path) -> None:
    md = (report / "crosscheck.md").read_text()
    assert "The frameworks differ on 1 of 2 claims" in md
    assert "> - [xss-claim](claims/xss-claim.md): verdicts differ; effect gap\n" in md
    index = (report / "index.md").read_text()
    assert "The effect sizes differ between the frameworks in 1 claim" in index
    rows = [line for line in md.splitlines() if line.startswith("| [") or line.startswith("|  |")]
    assert len(rows) == 3  # bn: act=relu and act=tanh; xss: one condition
    bn, bn_tanh, xss = rows
    assert bn.startswith("| [bn-after-activation]") and "| act=relu |" in bn and bn.endswith("| — |")
    assert "| act=tanh |" in bn_tanh and bn_tanh.endswith("| — |")
    assert xss.startswith("| [xss-claim](claims/xss-claim.md) **verdicts differ**")
    assert xss.endswith("| **gap** |")
    page = (report / "crosscheck.html").read_text()
    assert page.count('class="flagged"') == 1
    assert "claimbench crosscheck --out DIR" in page  # no ladder JSON in the folder yet


def test_gaps_recover_the_planted_difference(store_path: Path) -> None:
    store = Store(store_path, create=False)
    records = store.trials("xss-claim", profile="quick")
    store.close()
    table = long_table(records)
    rows = crossframework.gaps("xss-claim", table, ["lr"], XSS_META["expect"], level=0.95)
    assert len(rows) == 1
    (g,) = rows
    # torch: lr=0.1 lowers the loss by 0.2; tf: no effect (noise sd 0.005, 5 seeds)
    assert g["effect_torch"] == pytest.approx(-0.2, abs=0.01)
    assert g["effect_tf"] == pytest.approx(0.0, abs=0.01)
    assert g["ci_low"] < g["gap"] < g["ci_high"] < 0 and g["flagged"] is True
    again = crossframework.gaps("xss-claim", table, ["lr"], XSS_META["expect"], level=0.95)
    assert again == rows  # its own seeded stream


def _fake_ladder(dtype: str = "float64", family: Any = None, steps: int = 100) -> list[dict[str, Any]]:
    base = {"family": "mlp", "dtype": dtype, "note": ""}
    return [
        {
            **base,
            "rung": 1,
            "case": "plain",
            "quantity": "params",
            "measured": 0.0,
            "tolerance": 0.0,
            "passed": True,
        },
        {
            **base,
            "rung": 3,
            "case": "adam <b>",
            "quantity": "traj_loss",
            "measured": float("inf"),
            "tolerance": 5e-13,
            "passed": False,
        },
    ]


def test_crosscheck_writes_json_that_the_report_shows(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ladder, "run_ladder", _fake_ladder)
    assert cli.main(["crosscheck", "--out", str(tmp_path), "--steps", "7"]) == 1  # a check failed
    doc = json.loads((tmp_path / "crosscheck-float64.json").read_text(), parse_constant=pytest.fail)
    assert doc["dtype"] == "float64" and doc["steps"] == 7
    assert [r["measured"] for r in doc["rows"]] == [0.0, None]  # inf is not JSON
    # an older copy of float64 results and an unreadable file
    old = tmp_path / "crosscheck-float64.older.json"  # sorts after the newer file
    old.write_text(json.dumps({**doc, "rows": doc["rows"][:1], "steps": 1}))
    os.utime(old, (1e9, 1e9))
    (tmp_path / "crosscheck-float32.json").write_text("{not json")

    build_report(store_path, tmp_path)
    md = (tmp_path / "crosscheck.md").read_text()
    assert "### float64: 1/2 checks passed" in md
    assert "1 check FAILED" in md and "7 training steps" in md
    assert "| 3 | adam &lt;b&gt; | traj\\_loss | — | 5e-13 | **FAIL** |" in md
    assert "crosscheck-float32.json could not be read" in md
    assert "claimbench crosscheck --out DIR" not in md
    page = (tmp_path / "crosscheck.html").read_text()
    assert "<td>adam &lt;b&gt;</td>" in page and '<span class="flag">FAIL</span>' in page
