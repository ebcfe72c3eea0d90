"""The contract every discovered claim meets: `check_claim`, its smoke profile in both frameworks
through the real store, and a report page built from what was stored."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from claims import Selector, check_claim, discover
from runners.store import Store
from runners.sweep import run_sweep

REGISTRY = discover()
NAMES = sorted(REGISTRY.claims)


def test_nothing_is_broken() -> None:
    assert not REGISTRY.broken, [b.reason for b in REGISTRY.broken]


@pytest.mark.parametrize("name", NAMES)
def test_check_claim(name: str) -> None:
    check_claim(REGISTRY.claims[name])


@pytest.mark.frameworks
@pytest.mark.parametrize("name", NAMES)
def test_smoke_in_both_frameworks_then_report(name: str, tmp_path: Path) -> None:
    from reports.build import build_report

    cls = REGISTRY.claims[name]
    store = Store(tmp_path / "s.db")
    run_sweep(
        [(cls, Selector(name))], REGISTRY.origins, store, profile="smoke", frameworks=None, backend="local"
    )
    rows = store.trials(claim=name)
    assert {r.framework for r in rows} == set(cls.frameworks)
    failed = [
        f"{r.framework} {r.factors}: {(r.error or '').splitlines()[0]}" for r in rows if r.status == "failed"
    ]
    assert not failed, failed
    # The smoke profile records the claim's metrics (some legitimately only appear at quick scale:
    # a plateau needs >= 3 epochs, seconds-to-target needs both arms to reach the target).
    recorded = {m for r in rows if r.status == "ok" for m in r.metrics}
    assert recorded & set(cls.metrics), f"no trial recorded any of {cls.metrics}"
    index = build_report(tmp_path / "s.db", tmp_path / "report")
    page = index.parent / "claims" / f"{name}.html"
    assert page.exists()
    assert cls.title in html.unescape(page.read_text())
