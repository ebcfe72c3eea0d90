"""Accuracy in PyTorch on fixed predictions vs the note's formula (see `impls.accuracy_cases`).
Core PyTorch has no accuracy metric (torchmetrics is a separate package), so this checks the
idiomatic expressions: `torch.round(p) == y` for binary (round half to even: 0.5 -> 0) and
`argmax(dim=1)` for categorical and sparse labels (torch documents the first maximal index on ties)."""

from __future__ import annotations

import time
from typing import Any

import torch

from impls import accuracy_cases
from impls.spec import TrialSpec
from impls.torch_impl import device


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    c = accuracy_cases.make(seed)
    p_bin, y_bin = device.tensor(c.p_bin), device.tensor(c.y_bin)
    p_cat, y_cat = device.tensor(c.p_cat), device.tensor(c.y_cat)
    y_onehot = torch.nn.functional.one_hot(y_cat, p_cat.shape[1]).float()
    per = {
        "binary": (torch.round(p_bin) == y_bin).float().reshape(-1),
        "categorical": (p_cat.argmax(dim=1) == y_onehot.argmax(dim=1)).float(),
        "sparse_categorical": (p_cat.argmax(dim=1) == y_cat).float(),
    }
    means = {k: float(v.mean()) for k, v in per.items()}
    metrics = accuracy_cases.compare(c, {k: device.numpy(v) for k, v in per.items()}, means)
    return {
        "metrics": metrics,
        "curves": {},
        "diverged": False,
        "timings": {"train_s": time.perf_counter() - t0},
        "env": {"framework": "torch", "version": torch.__version__, "device": "cpu", "threads": threads},
    }
