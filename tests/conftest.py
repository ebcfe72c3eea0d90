"""Shared fixtures. Frameworks are imported lazily by the tests that need them."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
# Ray reads its auth mode when it is imported: set it before any test imports ray. Token auth on,
# with a per-session token in the environment (inherited by the CLI subprocesses of the tests).
os.environ.setdefault("RAY_AUTH_MODE", "token")
os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(16))

TINY_CLAIM = """
from claims import Claim, Expect, spec


class Tiny(Claim):
    name = "{name}"
    version = 1
    title = "A tiny claim for tests"
    section = "Z. Tests"
    source = "wider is better"
    operationalisation = "width 4 vs 16 on 200 digits, one epoch of SGD"
    factors = {{"width": [4, 16]}}
    seeds = {{"smoke": 2, "quick": 2, "full": 2}}
    metrics = ["test/accuracy"]
    expect = [Expect("test/accuracy", {{"width": 16}}, {{"width": 4}}, "greater", min_effect=0.01)]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train={n_train}),
            model=spec.MLP(depth=1, width=point["width"], init=spec.Init("he_normal")),
            optimizer=spec.Optimizer("sgd", lr=0.05),
            training=spec.Training(epochs=1, batch_size=50),
        )
"""


def write_claim(folder: Path, name: str = "tiny-claim", n_train: int = 200, body: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name.replace('-', '_')}.py"
    path.write_text(body if body is not None else TINY_CLAIM.format(name=name, n_train=n_train))
    return path


@pytest.fixture
def claims_dir(tmp_path: Path) -> Path:
    d = tmp_path / "myclaims"
    write_claim(d)
    return d
