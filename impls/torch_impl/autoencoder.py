"""PyTorch autoencoders (dense, convolutional, variational) from `impls.spec.Autoencoder`.

Layouts (named where they differ from the canonical, see `impls.init.autoencoder_layout`):
- dense kernels: torch Linear weight is (out, in), canonical (in, out) -> perm (1, 0);
- conv kernels: torch Conv2d weight is OIHW, canonical (kh, kw, in, out) -> perm (3, 2, 0, 1);
- images: torch convolves NCHW; the flat input is read as (h, w, c) and the conv map is flattened
  in (h, w, c) order (permute NCHW -> NHWC before flattening), exactly like the Keras net;
- padding: p zeros on every side, conv2d's own (no "same" rule to differ);
- upsampling: nearest x2 (no interpolation rule to differ), see `up2`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from impls.init import autoencoder_layout
from impls.spec import Autoencoder
from impls.torch_impl.models import ACT

Perm = tuple[int, ...] | None


class Up2(torch.autograd.Function):
    """Nearest x2 upsampling, (N, C, H, W) -> (N, C, 2H, 2W): the values of
    `h.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)` and the same gradient arithmetic
    (that pair's backward adds into zeros, the two columns of a pair in order, then the two rows),
    as two stacks and two adds instead of index_select/index_add (~15% of a conv AE step). Two
    stacks, not one 6-d broadcast copy: torch copies a 6-d expand at ~100 MB/s on one thread, 2-4x
    slower than stacking twice (the same values)."""

    @staticmethod
    def forward(ctx: Any, h: torch.Tensor) -> torch.Tensor:
        n, c, hh, ww = h.shape
        cols = torch.stack((h, h), dim=-1).view(n, c, hh, 2 * ww)  # every column twice
        return torch.stack((cols, cols), dim=3).view(n, c, 2 * hh, 2 * ww)  # every row twice

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> torch.Tensor:
        n, c, h2, w2 = g.shape
        g6 = g.reshape(n, c, h2 // 2, 2, w2 // 2, 2)
        cols = (g6[..., 0] + 0.0) + g6[..., 1]  # 0 + a + b, as index_add: -0.0 becomes +0.0 alike
        return (cols[:, :, :, 0] + 0.0) + cols[:, :, :, 1]


def up2(h: torch.Tensor) -> torch.Tensor:
    out: torch.Tensor = Up2.apply(h)
    return out


class AutoencoderNet(nn.Module):
    """x (batch, n_in) -> reconstruction (batch, n_in). See `impls.spec.Autoencoder`."""

    def __init__(self, m: Autoencoder, n_in: int, n_out: int) -> None:
        super().__init__()
        assert n_out == n_in, "an autoencoder reconstructs its input"
        self.m, self.n_in = m, n_in
        self.act, self.code_act, self.out_act = (
            ACT[m.activation],
            ACT[m.code_activation],
            ACT[m.out_activation],
        )
        self.layout = autoencoder_layout(m, n_in)
        self.w = nn.ParameterDict()  # canonical name with "/" -> "__" (no "." or "/" in parameter names)
        for name, shape in self.layout:
            torch_shape = (shape[1], shape[0]) if len(shape) == 2 else (shape[3], shape[2], *shape[:2])
            self.w[name.replace("/", "__")] = nn.Parameter(torch.zeros(torch_shape))
            self.w[name.replace("/kernel", "__bias")] = nn.Parameter(torch.zeros(shape[-1]))
        n_dec = len(m.widths) + 1
        if m.tied:
            dims = [n_in, *m.widths, m.code][::-1]
            for j in range(n_dec):
                self.w[f"dec{j}__bias"] = nn.Parameter(torch.zeros(dims[j + 1]))
        self.n_dec = n_dec
        # eps ~ N(0, I) for the VAE; a test may replace it to feed both frameworks the same noise.
        self.noise: Callable[[tuple[int, ...], torch.dtype], torch.Tensor] = lambda shape, dt: torch.randn(
            shape, dtype=dt
        )
        self._kl: torch.Tensor | None = None

    def _p(self, name: str) -> torch.Tensor:
        return self.w[name.replace("/", "__")]

    def _conv(self, h: torch.Tensor, name: str, stride: int) -> torch.Tensor:
        # padding inside the conv, not F.pad first: the same sums (checked bit for bit on the
        # quick trials), without a padded copy and its backward each call
        p = self.m.padding
        return F.conv2d(h, self._p(f"{name}/kernel"), self._p(f"{name}/bias"), stride=stride, padding=p)

    def _dense(self, h: torch.Tensor, name: str) -> torch.Tensor:
        return F.linear(h, self._p(f"{name}/kernel"), self._p(f"{name}/bias"))

    def encode_stats(
        self, x: torch.Tensor, keep: list[torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, ...]:
        """(code,) or, variational, (mu, logvar); each (batch, code)."""
        m = self.m
        h = x
        if self.training and m.mask_noise:  # masking noise: zero with prob. p, no rescaling
            h = F.dropout(h, m.mask_noise, training=True) * (1.0 - m.mask_noise)
        if m.conv_channels:
            hh, ww, c = m.image
            h = h.reshape(-1, hh, ww, c).permute(0, 3, 1, 2)  # flat (h, w, c) -> NCHW
            for i in range(len(m.conv_channels)):
                h = self.act(self._conv(h, f"conv_enc{i}", 2))
                if keep is not None:
                    keep.append(h.permute(0, 2, 3, 1).flatten(1))
            h = h.permute(0, 2, 3, 1).flatten(1)  # NHWC flatten, as Keras
        for i in range(len(m.widths)):
            h = self.act(self._dense(h, f"enc{i}"))
            if keep is not None:
                keep.append(h)
        if m.variational:
            return self._dense(h, "mu"), self._dense(h, "logvar")
        return (self.code_act(self._dense(h, "code")),)

    def decode(self, z: torch.Tensor, keep: list[torch.Tensor] | None = None) -> torch.Tensor:
        m = self.m
        mirror = [name for name, _ in self.layout if name.startswith(("enc", "code", "mu"))][::-1]
        h = z
        for j in range(self.n_dec):
            if m.tied:  # the mirror encoder kernel, transposed: torch weight (out, in) -> (in, out)
                h = F.linear(h, self._p(mirror[j]).t(), self._p(f"dec{j}/bias"))
            else:
                h = self._dense(h, f"dec{j}")
            last = j == self.n_dec - 1
            h = self.out_act(h) if last and not m.conv_channels else self.act(h)
            if keep is not None and not (last and not m.conv_channels):
                keep.append(h)
        if m.conv_channels:
            s = 2 ** len(m.conv_channels)
            hh, ww, _ = m.image
            h = h.reshape(-1, hh // s, ww // s, m.conv_channels[-1]).permute(0, 3, 1, 2)
            n = len(m.conv_channels)
            for j in range(n):
                h = up2(h)  # nearest x2
                h = self._conv(h, f"conv_dec{j}", 1)
                h = self.out_act(h) if j == n - 1 else self.act(h)
                if keep is not None and j < n - 1:
                    keep.append(h.permute(0, 2, 3, 1).flatten(1))
            h = h.permute(0, 2, 3, 1).flatten(1)
        return h

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code (mu for the VAE), (batch, code)."""
        return self.encode_stats(x)[0]

    def forward(self, x: torch.Tensor, keep: list[torch.Tensor] | None = None) -> torch.Tensor:
        stats = self.encode_stats(x, keep)
        if self.m.variational:
            mu, logvar = stats
            z = (
                mu + torch.exp(0.5 * logvar) * self.noise(tuple(mu.shape), mu.dtype).to(mu.device)
                if self.training
                else mu
            )
            # KL(q(z|x) || N(0, I)) per example, (batch,)
            self._kl = 0.5 * (mu**2 + torch.exp(logvar) - 1.0 - logvar).sum(dim=1)
        else:
            z = stats[0]
        if keep is not None:
            keep.append(z)
        return self.decode(z, keep)

    def extra_loss(self, reduction: str) -> torch.Tensor | None:
        """The model's own loss term from the last forward pass: for the VAE, (2 var / D) * KL."""
        if not self.m.variational or self._kl is None:
            return None
        per = self._kl * (2.0 * self.m.decoder_var / self.n_in)
        return per.sum() if reduction == "sum" else per.mean()

    def kernels(self) -> list[torch.Tensor]:
        return [self._p(name) for name, _ in self.layout]

    def canonical(self) -> dict[str, tuple[torch.Tensor, Perm]]:
        out: dict[str, tuple[torch.Tensor, Perm]] = {}
        for name, shape in self.layout:
            out[name] = (self._p(name), (1, 0) if len(shape) == 2 else (3, 2, 0, 1))
            out[name.replace("/kernel", "/bias")] = (self._p(name.replace("/kernel", "/bias")), None)
        if self.m.tied:
            for j in range(self.n_dec):
                out[f"dec{j}/bias"] = (self._p(f"dec{j}/bias"), None)
        return out


def build(m: Autoencoder, n_in: int, n_out: int) -> AutoencoderNet:
    return AutoencoderNet(m, n_in, n_out)
