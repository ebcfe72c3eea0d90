"""The module a test zygote imports (tests/impls/test_zygote.py): `child` does what it is told."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from impls.measure import maxrss_mb


def child(payload: tuple[str, Any]) -> dict[str, float]:
    kind, arg = payload
    if kind == "alloc":  # touch `arg` MiB and report the high-water mark before and after
        base = maxrss_mb()
        a = np.ones(int(arg) * 2**20 // 8)
        peak = maxrss_mb()
        return {
            "base": base,
            "grew": peak - base,
            "pid": os.getpid(),
            "zygote": os.getppid(),
            "sum": float(a[0]),
        }
    if kind == "raise":
        raise ValueError(arg)
    if kind == "die":
        os.kill(os.getpid(), 9)
    if kind == "print":
        print("noise on stdout", flush=True)
        return {"printed": 1.0}
    if kind == "sleep":
        time.sleep(arg)
    return {}
