"""Device set-up at the top of a trial: cap this process to its GPU share (see runners/gpu.py)."""

from __future__ import annotations

import torch


def configure(
    memory_fraction: float | None, memory_limit_mb: int | None = None, hide_gpus: bool = False
) -> str:
    """Returns the device the trial runs on. torch trials run on the CPU unless a GPU share is
    given and CUDA is available; the cap must be set before the first CUDA allocation."""
    if memory_fraction and torch.cuda.is_available():
        torch.cuda.set_per_process_memory_fraction(memory_fraction)
        return "cuda"
    return "cpu"
