"""Device set-up at the top of a trial: cap this process to its GPU share (see runners/gpu.py)."""

from __future__ import annotations

import torch


def configure(
    memory_fraction: float | None, memory_limit_mb: int | None = None, hide_gpus: bool = False
) -> str:
    """Caps this process' CUDA memory to its share before the first CUDA allocation and returns the
    device the share grants. Note: `TorchEngine` does not move models to CUDA yet, so torch trials
    still run (and record "device": "cpu") on the CPU; TF places ops on a visible GPU by itself."""
    if memory_fraction and torch.cuda.is_available():
        torch.cuda.set_per_process_memory_fraction(memory_fraction)
        return "cuda"
    return "cpu"
