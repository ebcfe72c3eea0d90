"""The comparison the seed-batch parity tests share: `run_seed_batch(spec, seeds)` against
`run_trial(spec, seed)` per seed, every metric and curve point within `tol` (relative; absolute
tol * 1e-3), except the per-seed shares of the stack's timers."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from impls.spec import TrialSpec

TIMERS = ("target/step_s",)  # a seed's share of the stack's step time, not a result


def stacked_and_sequential(
    framework: str, spec: TrialSpec, seeds: list[int], tol: float, timers: tuple[str, ...] = TIMERS
) -> list[tuple[dict, dict]]:
    """(stacked result, sequential result) per seed, after asserting they agree and differ by seed.
    Metrics whose names start with one of `timers` are measured times: present in both, not compared."""
    impl: Any = importlib.import_module(f"impls.{framework}_impl")
    batched = impl.run_seed_batch(spec, seeds)
    pairs = [(got, impl.run_trial(spec, seed)) for seed, got in zip(seeds, batched, strict=True)]
    for seed, (got, want) in zip(seeds, pairs, strict=True):
        where = f"{framework}/seed {seed}"
        assert got["diverged"] == want["diverged"] is False, where
        assert got["metrics"].keys() == want["metrics"].keys(), where
        assert got["curves"].keys() == want["curves"].keys(), where
        for part in ("metrics", "curves"):
            for k, v in want[part].items():
                if not k.startswith(timers):
                    a, b = np.asarray(got[part][k], np.float64), np.asarray(v, np.float64)
                    assert a.shape == b.shape, f"{where}: {k}"
                    np.testing.assert_allclose(a, b, rtol=tol, atol=tol * 1e-3, err_msg=f"{where}: {k}")
        assert got["env"]["mode"] == "seedbatch" and got["env"]["seed_batch"] == len(seeds), where
    # the seeds really differ: a stack that trained one seed S times passes the loop above only
    # if every seed's sequential run were identical too
    assert len({got["metrics"]["train/loss"] for got, _ in pairs}) == len(seeds)
    return pairs
