"""The report tests' shared fixtures: the synthetic store and the report built from it, once per
session (each xdist worker builds its own)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.build import build_report
from tests.reports.synthetic import make_store


@pytest.fixture(scope="session")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store(tmp_path_factory.mktemp("store") / "claimbench.db")


@pytest.fixture(scope="session")
def report(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built report's folder (read it, never write into it)."""
    out = tmp_path_factory.mktemp("report")
    index = build_report(store_path, out, rng_seed=0)
    assert index == out / "index.html"
    return out
