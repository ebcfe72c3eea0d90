"""PyTorch models built from `impls.spec`, loaded from and exported to the canonical weights."""

from __future__ import annotations

import itertools

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from impls.spec import MLP

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
        return [lin.weight for lin in self.hidden] + [self.head.weight]


def build(m: MLP, n_in: int, n_out: int, dtype: str) -> MLPNet:
    return MLPNet(m, n_in, n_out).to(getattr(torch, dtype))


def _pairs(net: MLPNet) -> dict[str, tuple[torch.Tensor, bool]]:
    """canonical name -> (tensor, is a dense kernel stored transposed in torch)."""
    out: dict[str, tuple[torch.Tensor, bool]] = {}
    for i, lin in enumerate(net.hidden):
        out[f"hidden{i}/kernel"] = (lin.weight, True)
        out[f"hidden{i}/bias"] = (lin.bias, False)
        norm = net.norms[i]
        if isinstance(norm, nn.BatchNorm1d | nn.LayerNorm):
            out[f"norm{i}/gamma"] = (norm.weight, False)
            out[f"norm{i}/beta"] = (norm.bias, False)
        if isinstance(norm, nn.BatchNorm1d):
            assert norm.running_mean is not None and norm.running_var is not None
            out[f"norm{i}/mean"] = (norm.running_mean, False)
            out[f"norm{i}/var"] = (norm.running_var, False)
    out["head/kernel"] = (net.head.weight, True)
    out["head/bias"] = (net.head.bias, False)
    return out


def load_weights(net: MLPNet, weights: dict[str, np.ndarray]) -> None:
    with torch.no_grad():
        for name, (tensor, transposed) in _pairs(net).items():
            value = weights[name].T if transposed else weights[name]
            tensor.copy_(torch.from_numpy(np.ascontiguousarray(value)))


def export_weights(net: MLPNet) -> dict[str, np.ndarray]:
    return {
        name: (t.detach().numpy().T if tr else t.detach().numpy()).copy()
        for name, (t, tr) in _pairs(net).items()
    }
