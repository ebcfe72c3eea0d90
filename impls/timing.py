"""Framework-free helpers of the `backprop_timing` experiment (both siblings use them, so the
interleaving and the summary statistics cannot differ between frameworks)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

DEFAULTS = {"batch": 64, "reps": 15, "warmup": 3, "block_flops": 2e7, "n_in": 64, "n_out": 10}


def summarise(t_f: list[float], t_fb: list[float], inner: int, fl: tuple[float, float]) -> dict[str, float]:
    """Per-rep ratios -> the trial's metrics (shared shape with the TF sibling)."""
    f, fb = np.asarray(t_f), np.asarray(t_fb)
    back = (fb - f) / f  # (reps,)
    q1, q3 = np.percentile(back, [25, 75])
    return {
        "time/backward_over_forward": float(np.median(back)),
        "time/backward_over_forward_iqr": float(q3 - q1),
        "time/fwdbwd_over_forward": float(np.median(fb / f)),
        "time/forward_ms": float(np.median(f) / inner * 1e3),
        "time/fwdbwd_ms": float(np.median(fb) / inner * 1e3),
        "flops/backward_over_forward": fl[1] / fl[0],
        "flops/forward": fl[0],
        "time/calls_per_block": float(inner),
    }


def interleave(
    fwd: Callable[[], Any], fb: Callable[[], Any], reps: int, warmup: int, inner: int
) -> tuple[list[float], list[float]]:
    """Seconds per block of `inner` calls, (reps,) each; blocks alternate which pass goes first."""

    def block(fn: Callable[[], Any]) -> float:
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        return time.perf_counter() - t0

    for _ in range(warmup):
        block(fwd), block(fb)
    t_f, t_fb = [], []
    for r in range(reps):
        if r % 2:
            t_fb.append(block(fb))
            t_f.append(block(fwd))
        else:
            t_f.append(block(fwd))
            t_fb.append(block(fb))
    return t_f, t_fb
