"""PyTorch small CNN built from `impls.spec.CNN` (sibling of impls/tf_impl/cnn.py).

Layout: torch computes in NCHW; the flat input is (H, W, C) and is reshaped to NHWC then permuted,
and every flatten permutes back to NHWC first, so flat features are in the same (H, W, C) order as
in Keras. Conv kernels are OIHW here, canonical (kh, kw, in, out): perm (3, 2, 0, 1)."""

from __future__ import annotations

import itertools
from typing import cast

import torch
from torch import nn
from torch.nn import functional as F

from impls.spec import CNN, cnn_flat_features, cnn_shapes
from impls.torch_impl.models import ACT

Canon = dict[str, tuple[torch.Tensor, tuple[int, ...] | None]]


class Linear(nn.Module):
    """A conv (kernel (out, in, k, k)) or dense (kernel (out, in)) layer with the spec's weight
    re-parameterisation. Explicit symmetric zero padding, then a 'valid' convolution."""

    def __init__(self, m: CNN, shape: tuple[int, ...], stride: int = 1, padding: int = 0) -> None:
        super().__init__()
        self.wn, self.eps = m.weight_norm, m.cosine_eps
        self.stride, self.padding, self.conv = stride, padding, len(shape) == 4
        self.v = nn.Parameter(torch.empty(shape))
        out = shape[0]
        self.bias = nn.Parameter(torch.empty(out)) if self.wn != "cosine" else None
        self.g = nn.Parameter(torch.empty(out)) if self.wn == "weight" else None

    def weight(self) -> torch.Tensor:
        v = self.v
        if self.wn not in ("weight", "weight_fixed_g"):
            return v
        unit = (-1, *[1] * (v.dim() - 1))  # one norm per output unit (dim 0 in torch's layout)
        w = v / v.flatten(1).norm(dim=1).view(unit)
        return w * self.g.view(unit) if self.g is not None else w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight()
        if self.conv:
            p = self.padding
            x = F.pad(x, [p, p, p, p])
            z = F.conv2d(x, w, stride=self.stride)  # (B, out, H', W')
        else:
            z = F.linear(x, w)  # (B, out)
        if self.wn == "cosine":
            w_norm = torch.sqrt((w.flatten(1) ** 2).sum(1) + self.eps)  # (out,)
            if self.conv:
                ones = torch.ones((1, *w.shape[1:]), dtype=x.dtype, device=x.device)
                x_norm = torch.sqrt(F.conv2d(x**2, ones, stride=self.stride) + self.eps)  # (B, 1, H', W')
                z = z / (x_norm * w_norm.view(1, -1, 1, 1))
            else:
                z = z / (torch.sqrt((x**2).sum(1, keepdim=True) + self.eps) * w_norm)
        if self.bias is not None:  # in place: no backward here needs z's values, so no copy
            z = z.add_(self.bias.view(1, -1, 1, 1) if self.conv else self.bias)
        return z


class GroupNorm(nn.Module):
    """Group norm with per-channel affine over (B, C, H, W) (layer: 1 group, instance: C groups)
    or layer norm over the features of (B, F). Biased variance, as in the papers."""

    def __init__(self, width: int, groups: int, eps: float) -> None:
        super().__init__()
        self.groups, self.eps = groups, eps
        self.weight, self.bias = nn.Parameter(torch.ones(width)), nn.Parameter(torch.zeros(width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            return F.layer_norm(x, (x.shape[1],), self.weight, self.bias, self.eps)
        return F.group_norm(x, self.groups, self.weight, self.bias, self.eps)


def _norm(m: CNN, width: int, conv: bool) -> nn.Module:
    if m.norm == "none":
        return nn.Identity()
    if m.norm == "batch":
        bn = nn.BatchNorm2d if conv else nn.BatchNorm1d
        return bn(width, eps=m.norm_eps, momentum=m.bn_momentum)
    groups = {"layer": 1, "group": m.groups, "instance": width}[m.norm]
    return GroupNorm(width, groups, m.norm_eps)


class CNNNet(nn.Module):
    """x (batch, H*W*C) -> logits (batch, n_out). See `impls.spec.CNN` for the layer order."""

    def __init__(self, m: CNN, n_in: int, n_out: int) -> None:
        super().__init__()
        self.m, self.act = m, ACT[m.activation]
        shapes = cnn_shapes(m)
        self.convs = nn.ModuleList(
            Linear(m, (c.channels, shapes[i][2], c.kernel, c.kernel), c.stride, c.padding)
            for i, c in enumerate(m.convs)
        )
        self.conv_norms = nn.ModuleList(_norm(m, c.channels, True) for c in m.convs)
        widths = [cnn_flat_features(m), *m.dense]
        self.dense = nn.ModuleList(Linear(m, (b, a)) for a, b in itertools.pairwise(widths))
        self.dense_norms = nn.ModuleList(_norm(m, w, False) for w in m.dense)
        self.drop = nn.Dropout(m.dropout)
        self.head = nn.Linear(widths[-1], n_out)

    def _block(self, z: torch.Tensor, norm: nn.Module) -> torch.Tensor:
        if self.m.norm == "none":
            return self.act(z)
        return self.act(norm(z)) if self.m.norm_position == "before" else norm(self.act(z))

    def forward(self, x: torch.Tensor, keep: list[torch.Tensor] | None = None) -> torch.Tensor:
        # As in models.MLPNet: layers are called through their own forward (no module hooks to
        # run) and norms and dropout that do nothing are skipped, for a small CNN's step is largely
        # per-call overhead (its convolutions are ~45%); the values and RNG draws are the same.
        h, w, c = self.m.image
        z = x.reshape(-1, h, w, c).permute(0, 3, 1, 2)  # (B, C, H, W)
        for spec, conv, norm in zip(self.m.convs, self.convs, self.conv_norms, strict=True):
            z = self._block(cast(Linear, conv).forward(z), norm)
            if keep is not None:
                keep.append(z.permute(0, 2, 3, 1))  # NHWC, as Keras keeps it
            if spec.pool == "max":
                z = F.max_pool2d(z, spec.pool_size, spec.pool_size)
            elif spec.pool == "avg":
                z = F.avg_pool2d(z, spec.pool_size, spec.pool_size)
        z = z.mean(dim=(2, 3)) if self.m.global_pool else z.permute(0, 2, 3, 1).flatten(1)  # (H, W, C) order
        for lin, norm in zip(self.dense, self.dense_norms, strict=True):
            z = self._block(cast(Linear, lin).forward(z), norm)
            if keep is not None:
                keep.append(z)
            z = self.drop(z) if self.m.dropout else z  # p = 0 draws nothing: the same values either way
        return F.linear(z, self.head.weight, self.head.bias)

    def kernels(self) -> list[torch.Tensor]:
        layers = cast(list[Linear], [*self.convs, *self.dense])
        return [lay.v for lay in layers] + [self.head.weight]

    def canonical(self) -> Canon:
        out: Canon = {}

        def add(name: str, lay: Linear, perm: tuple[int, ...], norm: nn.Module, norm_name: str) -> None:
            out[f"{name}/kernel"] = (lay.v, perm)
            if lay.bias is not None:
                out[f"{name}/bias"] = (lay.bias, None)
            if lay.g is not None:
                out[f"{name}/g"] = (lay.g, None)
            if isinstance(norm, nn.BatchNorm1d | nn.BatchNorm2d | GroupNorm):
                out[f"{norm_name}/gamma"] = (norm.weight, None)
                out[f"{norm_name}/beta"] = (norm.bias, None)
            if isinstance(norm, nn.BatchNorm1d | nn.BatchNorm2d):
                assert norm.running_mean is not None and norm.running_var is not None
                out[f"{norm_name}/mean"] = (norm.running_mean, None)
                out[f"{norm_name}/var"] = (norm.running_var, None)

        for i, (lay, norm) in enumerate(zip(self.convs, self.conv_norms, strict=True)):
            add(f"conv{i}", cast(Linear, lay), (3, 2, 0, 1), norm, f"norm{i}")
        for j, (lay, norm) in enumerate(zip(self.dense, self.dense_norms, strict=True)):
            add(f"dense{j}", cast(Linear, lay), (1, 0), norm, f"dnorm{j}")
        out["head/kernel"] = (self.head.weight, (1, 0))
        out["head/bias"] = (self.head.bias, None)
        return out


def build(m: CNN, n_in: int, n_out: int) -> CNNNet:
    return CNNNet(m, n_in, n_out)
