"""Training losses; the per-example definitions match `impls.metrics.head_loss`."""

from __future__ import annotations

import torch
from torch.nn import functional as F

aten = torch.ops.aten


def per_example(out: torch.Tensor, y: torch.Tensor, head: str) -> torch.Tensor:
    """out: (..., k); y: (...) int64 labels or (..., k) targets -> (...) losses. Leading dims are
    (batch,) for one model, (seeds, batch) for a seed-batched stack (impls/*_impl/seedbatch.py)."""
    if head == "softmax":  # cross_entropy wants (n, k): flatten the leading dims and put them back
        k = out.shape[-1]
        return F.cross_entropy(out.reshape(-1, k), y.reshape(-1), reduction="none").reshape(y.shape)
    if head in ("hinge", "squared_hinge"):
        t = 2.0 * F.one_hot(y, out.shape[-1]).to(out.dtype) - 1.0  # one-vs-rest targets in {-1, +1}
        margin = torch.clamp(1.0 - t * out, min=0.0)
        return (margin if head == "hinge" else margin**2).sum(dim=-1)
    if head == "mse":
        return ((out - y) ** 2).mean(dim=-1)
    raise ValueError(f"unknown head {head!r}")


def head_loss(out: torch.Tensor, y: torch.Tensor, head: str, reduction: str) -> torch.Tensor:
    """out: (batch, k); y: (batch,) int64 labels or (batch, k) targets."""
    per = per_example(out, y, head)
    return per.sum() if reduction == "sum" else per.mean()


def softmax_by_hand(out: torch.Tensor, y: torch.Tensor, reduction: str) -> tuple[torch.Tensor, torch.Tensor]:
    """`head_loss(out, y, "softmax", reduction)` and its gradient dL/dout (batch, k), under no_grad:
    the calls F.cross_entropy makes (log_softmax, then nll_loss without reduction; -100 is its
    ignore_index), and the calls autograd makes back through them and the mean or sum, from the
    ones `backward()` starts with. The same values bit for bit (tests/impls/test_by_hand.py)."""
    logp = torch.log_softmax(out, 1)
    per, total_weight = aten.nll_loss_forward(logp, y, None, 0, -100)
    loss = per.sum() if reduction == "sum" else per.mean()
    g = torch.ones_like(loss).expand(per.shape)
    if reduction != "sum":
        g = g / per.numel()
    g = aten.nll_loss_backward(g, logp, y, None, 0, -100, total_weight)
    return loss, aten._log_softmax_backward_data(g, logp, 1, logp.dtype)
