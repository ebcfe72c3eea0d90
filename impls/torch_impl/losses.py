"""Training losses; the per-example definitions match `impls.metrics.head_loss`."""

from __future__ import annotations

import torch
from torch.nn import functional as F


def head_loss(out: torch.Tensor, y: torch.Tensor, head: str, reduction: str) -> torch.Tensor:
    """out: (batch, k); y: (batch,) int64 labels or (batch, k) targets."""
    if head == "softmax":
        per = F.cross_entropy(out, y, reduction="none")
    elif head in ("hinge", "squared_hinge"):
        t = 2.0 * F.one_hot(y, out.shape[1]).to(out.dtype) - 1.0  # one-vs-rest targets in {-1, +1}
        margin = torch.clamp(1.0 - t * out, min=0.0)
        per = (margin if head == "hinge" else margin**2).sum(dim=1)
    elif head == "mse":
        per = ((out - y) ** 2).mean(dim=1)
    else:
        raise ValueError(f"unknown head {head!r}")
    return per.sum() if reduction == "sum" else per.mean()
