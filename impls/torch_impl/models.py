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
from impls.torch_impl import device

aten = torch.ops.aten

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


# Each activation's derivative as autograd computes it (torch's derivatives.yaml), for the plain
# MLP's hand-written backward: (grad, z, a) -> dL/dz, z the pre-activation and a = act(z).
# F.selu is elu with these alpha and scale.
ACT_GRAD = {
    "linear": lambda g, z, a: g,
    "relu": lambda g, z, a: aten.threshold_backward(g, a, 0),
    "sigmoid": lambda g, z, a: aten.sigmoid_backward(g, a),
    "tanh": lambda g, z, a: aten.tanh_backward(g, a),
    "selu": lambda g, z, a: aten.elu_backward(g, 1.6732632423543772, 1.0507009873554805, 1, False, z),
    "elu": lambda g, z, a: aten.elu_backward(g, 1.0, 1, 1, False, z),
    "mish": lambda g, z, a: aten.mish_backward(g, z),
    "swish": lambda g, z, a: aten.silu_backward(g, z),
    "leaky_relu": lambda g, z, a: aten.leaky_relu_backward(g, z, 0.01, False),
}


# SELU's negative saturation -lambda*alpha (Klambauer et al. 2017), where alpha-dropout puts dropped units.
SELU_SAT = -1.7580993408473766


def alpha_dropout(x: torch.Tensor, keep: torch.Tensor, p: float) -> torch.Tensor:
    """Alpha-dropout with a given keep mask (1 = kept), same formula as the TF sibling:
    a * (x * keep + sat * (1 - keep)) + b, a = ((1-p)(1 + p sat^2))^-1/2, b = -a p sat, so zero-mean
    unit-variance inputs stay zero-mean unit-variance (Klambauer et al. 2017, eq. 11)."""
    a = ((1.0 - p) * (1.0 + p * SELU_SAT**2)) ** -0.5
    return a * (x * keep + SELU_SAT * (1.0 - keep)) - a * p * SELU_SAT


def plain(m: MLP) -> bool:
    """Linear and activation only (no norm, dropout, highway or residual): the MLPs whose
    gradients `MLPNet.backward_by_hand` (and the seed-batched stack's) can write out."""
    return m.norm == "none" and not (m.dropout or m.input_dropout or m.highway or m.residual)


def _linear(lin: nn.Module, h: torch.Tensor) -> torch.Tensor:
    """nn.Linear's own forward without the module call (hooks, dispatch)."""
    layer = cast(nn.Linear, lin)
    return F.linear(h, layer.weight, layer.bias)


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
        # highway transform gates of hidden layers 1..depth-1 (gates[i - 1] belongs to layer i)
        self.gates = nn.ModuleList(nn.Linear(m.width, m.width) for _ in range(m.depth - 1) if m.highway)
        self.drop = nn.Dropout(m.dropout)
        self.in_drop = nn.Dropout(m.input_dropout)
        self.head = nn.Linear(widths[-1], n_out)

    def forward(self, x: torch.Tensor, keep: list[torch.Tensor] | None = None) -> torch.Tensor:
        # Layers that do nothing here (no norm, dropout 0) are skipped rather than called, and
        # Linear is called as F.linear, its own forward: a deep narrow net's step is mostly
        # per-call overhead (~20% less for 8-32 layers of 64), and the values and RNG draws are
        # the same (dropout with p = 0 returns its input without drawing).
        m = self.m
        h = self.in_drop(x) if m.input_dropout else x
        for i, (lin, norm) in enumerate(zip(self.hidden, self.norms, strict=True)):
            z = _linear(lin, h)
            if m.norm == "none":
                z = self.act(z)
            else:
                z = self.act(norm(z)) if m.norm_position == "before" else norm(self.act(z))
            if keep is not None:
                keep.append(z)
            if m.dropout:
                z = self._dropout(z)
            if self.m.highway and i > 0:
                t = torch.sigmoid(_linear(self.gates[i - 1], h))  # transform gate; carry = 1 - t
                h = t * z + (1.0 - t) * h
            else:
                h = h + z if self.m.residual and i > 0 else z
        return _linear(self.head, h)

    def forward_kept(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """A plain net's `forward` (the same calls), also keeping what `backward_by_hand` needs:
        each Linear's input hs[i] (batch, in), x first, and each pre-activation zs[i] (batch, width)."""
        h, hs, zs = x, [x], []
        for lin in self.hidden:
            z = _linear(lin, h)
            h = self.act(z)
            zs.append(z)
            hs.append(h)
        return _linear(self.head, h), hs, zs

    def backward_by_hand(self, g: torch.Tensor, hs: list[torch.Tensor], zs: list[torch.Tensor]) -> None:
        """Every parameter's .grad from g = dL/dlogits (batch, n_out), under no_grad: the calls
        autograd makes for `forward_kept`, in the same order and memory layouts, so the same
        values bit for bit (tests/impls/test_by_hand.py). F.linear is addmm(b, h, W^T); its
        backward gives dL/dh = g @ W, dL/dW = g^T @ h (W is (out, in)) and dL/db = g summed over
        the batch. A step of a deep narrow net is mostly per-call overhead (a 10-layer, 64-wide
        one: ~40 kernels of 3-10 us), and autograd's nodes, two to five a layer, add a third to
        it; a TF step, one graph call, pays neither."""
        lins = cast(list[nn.Linear], [*self.hidden, self.head])
        for i in range(len(lins) - 1, -1, -1):  # g: dL/d(output of Linear i), (batch, out)
            lins[i].weight.grad = g.t().mm(hs[i])
            lins[i].bias.grad = g.sum(0)
            if i:
                g = ACT_GRAD[self.m.activation](g.mm(lins[i].weight), zs[i - 1], hs[i])

    def _dropout(self, z: torch.Tensor) -> torch.Tensor:
        if self.m.dropout_kind == "alpha":
            if not self.training or self.m.dropout == 0.0:
                return z
            keep = (torch.rand_like(z) >= self.m.dropout).to(z.dtype)
            return alpha_dropout(z, keep, self.m.dropout)
        return self.drop(z)

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
            if self.m.highway and i > 0:
                gate = cast(nn.Linear, self.gates[i - 1])
                out[f"gate{i}/kernel"] = (gate.weight, (1, 0))
                out[f"gate{i}/bias"] = (gate.bias, None)
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
    return net.to(device=device.current(), dtype=getattr(torch, dtype))


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
        value = device.numpy(tensor)
        out[name] = (value if perm is None else np.transpose(value, np.argsort(perm))).copy()
    return out
