"""Device set-up at the top of a trial: cap this process to its GPU share (see runners/gpu.py),
and the device every torch tensor of the trial lives on.

Numpy arrays enter torch through `tensor` and leave through `numpy`, so one switch here moves a
trial to CUDA; on the CPU both are free (no copy) and results are unchanged. TF places ops on a
visible GPU by itself, so its sibling has no such helpers."""

from __future__ import annotations

import numpy as np
import torch

_DEVICE = torch.device("cpu")


def configure(
    memory_fraction: float | None, memory_limit_mb: int | None = None, hide_gpus: bool = False
) -> str:
    """Caps this process' CUDA memory to its share before the first CUDA allocation, makes CUDA
    the trial's device when a share was granted and CUDA exists (else the CPU), and returns it.
    A reused worker is set again by every trial, so a CPU trial after a GPU one runs on the CPU."""
    global _DEVICE
    if memory_fraction and torch.cuda.is_available():
        torch.cuda.set_per_process_memory_fraction(memory_fraction)
        _DEVICE = torch.device("cuda")
    else:
        _DEVICE = torch.device("cpu")
    return _DEVICE.type


def current() -> torch.device:
    return _DEVICE


def tensor(x: np.ndarray) -> torch.Tensor:
    """A numpy array as a tensor on the trial's device (shares memory on the CPU)."""
    return torch.from_numpy(x).to(_DEVICE)


def numpy(t: torch.Tensor) -> np.ndarray:
    """A tensor's values as numpy, detached and on the host."""
    out: np.ndarray = t.detach().cpu().numpy()
    return out
