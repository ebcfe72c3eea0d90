"""PyTorch models built from `impls.spec`, loaded from and exported to the canonical weights."""

from __future__ import annotations

import importlib
import itertools
from typing import Any, cast

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from impls.spec import MLP, ModelSpec

ACT = {
    "linear": lambda x: x,
    "relu": F.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "selu": F.selu,
    "elu": lambda x: F.elu(x, alpha=1.0),
    "mish": F.mish,
    "swish": F.silu,
    "leaky_relu": lambda x: F.leaky_relu(x, negative_slope=0.01),
}


class MLPNet(nn.Module):
    """x (batch, n_in) -> logits (batch, n_out). See `impls.spec.MLP` for the layer order."""

    def __init__(self, m: MLP, n_in: int, n_out: int) -> None:
        super().__init__()
        self.m = m
        self.act = ACT[m.activation]
        widths = [n_in] + [m.width] * m.depth
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(widths))
        norm = {
            "none": lambda: nn.Identity(),
            "batch": lambda: nn.BatchNorm1d(m.width, eps=m.norm_eps, momentum=m.bn_momentum),
            "layer": lambda: nn.LayerNorm(m.width, eps=m.norm_eps),
        }[m.norm]
        self.norms = nn.ModuleList(norm() for _ in range(m.depth))
        self.drop = nn.Dropout(m.dropout)
        self.in_drop = nn.Dropout(m.input_dropout)
        self.head = nn.Linear(widths[-1], n_out)

    def forward(self, x: torch.Tensor, keep: list[torch.Tensor] | None = None) -> torch.Tensor:
        h = self.in_drop(x)
        for i, (lin, norm) in enumerate(zip(self.hidden, self.norms, strict=True)):
            z = lin(h)
            z = self.act(norm(z)) if self.m.norm_position == "before" else norm(self.act(z))
            if keep is not None:
                keep.append(z)
            z = self.drop(z)
            h = h + z if self.m.residual and i > 0 else z
        out: torch.Tensor = self.head(h)
        return out

    def kernels(self) -> list[torch.Tensor]:
        return [cast(nn.Linear, lin).weight for lin in self.hidden] + [self.head.weight]

    def canonical(self) -> dict[str, tuple[torch.Tensor, tuple[int, ...] | None]]:
        """canonical name -> (tensor, perm); Linear weights are (out, in), canonical (in, out)."""
        out: dict[str, tuple[torch.Tensor, tuple[int, ...] | None]] = {}
        for i, lin in enumerate(cast(list[nn.Linear], self.hidden)):
            out[f"hidden{i}/kernel"] = (lin.weight, (1, 0))
            out[f"hidden{i}/bias"] = (lin.bias, None)
            norm = self.norms[i]
            if isinstance(norm, nn.BatchNorm1d | nn.LayerNorm):
                out[f"norm{i}/gamma"] = (norm.weight, None)
                out[f"norm{i}/beta"] = (norm.bias, None)
            if isinstance(norm, nn.BatchNorm1d):
                assert norm.running_mean is not None and norm.running_var is not None
                out[f"norm{i}/mean"] = (norm.running_mean, None)
                out[f"norm{i}/var"] = (norm.running_var, None)
        out["head/kernel"] = (self.head.weight, (1, 0))
        out["head/bias"] = (self.head.bias, None)
        return out


def build(m: ModelSpec, n_in: int, n_out: int, dtype: str) -> nn.Module:
    """The net for any family: MLP here, others from `impls/torch_impl/<family>.py: build`."""
    if m.family == "mlp":
        assert isinstance(m, MLP)
        net: nn.Module = MLPNet(m, n_in, n_out)
    else:
        net = importlib.import_module(f"impls.torch_impl.{m.family}").build(m, n_in, n_out)
    return net.to(getattr(torch, dtype))


def load_weights(net: Any, weights: dict[str, np.ndarray]) -> None:
    """Copy canonical weights in. `net.canonical()` maps each canonical name to (tensor, perm):
    the torch tensor is the canonical array transposed by `perm` (None = same layout)."""
    with torch.no_grad():
        for name, (tensor, perm) in net.canonical().items():
            value = weights[name] if perm is None else np.transpose(weights[name], perm)
            tensor.copy_(torch.from_numpy(np.ascontiguousarray(value)))


def export_weights(net: Any) -> dict[str, np.ndarray]:
    out = {}
    for name, (tensor, perm) in net.canonical().items():
        value = tensor.detach().numpy()
        out[name] = (value if perm is None else np.transpose(value, np.argsort(perm))).copy()
    return out
