"""Optimisers from `impls.spec.Optimizer`: torch's own, which follow the published updates
(Adam's epsilon after bias correction; heavy-ball momentum b = m*b + g, w -= lr*b)."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from impls.spec import Optimizer


def make_optimizer(o: Optimizer, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    if o.name == "sgd":
        return torch.optim.SGD(params, lr=o.lr, momentum=0.0)
    if o.name in ("momentum", "nesterov"):
        return torch.optim.SGD(
            params, lr=o.lr, momentum=o.momentum, dampening=0.0, nesterov=o.name == "nesterov"
        )
    if o.name == "adam":
        return torch.optim.Adam(params, lr=o.lr, betas=(o.beta1, o.beta2), eps=o.eps)
    raise ValueError(f"optimizer.name={o.name!r} has no PyTorch implementation")
