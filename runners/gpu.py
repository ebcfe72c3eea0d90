"""What a trial asks Ray for and what it caps itself to on a GPU.

Ray's GPU shares are logical: a task given `num_gpus=0.25` may still allocate the whole card. So
each task caps itself before its framework touches the GPU: torch's per-process memory fraction
equals its share; TF gets memory growth (allocate as needed) or, with the card's size known, a
logical device limited to share x memory. A CPU trial hides the GPUs from TF so it never grabs
GPU memory by accident."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GpuPlan:
    num_gpus: float  # the Ray resource request
    torch_memory_fraction: float | None  # torch.cuda.set_per_process_memory_fraction, None = no GPU
    tf_memory_limit_mb: int | None  # a logical device of this size; None with a GPU = memory growth
    tf_hide_gpus: bool


def plan(gpus_per_trial: float, card_memory_mb: int | None = None) -> GpuPlan:
    if gpus_per_trial < 0:
        raise ValueError(f"--gpus-per-trial {gpus_per_trial}: expected >= 0")
    if gpus_per_trial == 0:
        return GpuPlan(0.0, None, None, True)
    if gpus_per_trial > 1 and gpus_per_trial != int(gpus_per_trial):
        raise ValueError(f"--gpus-per-trial {gpus_per_trial}: a share above 1 must be a whole number of GPUs")
    share = min(1.0, gpus_per_trial)
    limit = int(share * card_memory_mb) if card_memory_mb and share < 1 else None
    return GpuPlan(float(gpus_per_trial), share, limit, False)
