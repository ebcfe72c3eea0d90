"""PyTorch seed-batched dense autoencoder (see `impls.seedbatch`): `autoencoder.AutoencoderNet`
for S seeds at once, one update for all of them per step."""

from __future__ import annotations

import numpy as np
import torch

from impls.init import autoencoder_layout
from impls.spec import Autoencoder, TrialSpec
from impls.torch_impl import device, losses, optim
from impls.torch_impl.models import ACT


class StackedAE:
    """`AutoencoderNet` (dense: no conv layers) for S seeds. Kernels (S, in, out) in the canonical
    layout (a Linear's (out, in) transposed), biases (S, out); a tied decoder uses its mirror
    kernel transposed, (S, out, in). The optimiser is the sequential one over the stacked tensors
    (elementwise, so seed s's slice moves as seed s alone would).

    Random numbers: a sequential trial draws its masking noise (F.dropout's mask) and its VAE eps
    (torch.randn on the CPU) from the global generators right after `torch.manual_seed(seed)`
    (experiments/autoencode.make_engine; building the net draws nothing), masks first within a
    step. Each seed here has generators seeded alike, drawn for its own (b, features) slice in
    that order, so its numbers are its sequential run's."""

    def __init__(
        self, spec: TrialSpec, seeds: list[int], w0s: list[dict[str, np.ndarray]], n_in: int, n_out: int
    ) -> None:
        m = spec.model
        assert isinstance(m, Autoencoder) and not m.conv_channels and n_in == n_out
        self.spec, self.m, self.n_in = spec, m, n_in
        self.act, self.code_act, self.out_act = (
            ACT[m.activation],
            ACT[m.code_activation],
            ACT[m.out_activation],
        )
        self.layout = [name for name, _ in autoencoder_layout(m, n_in)]  # kernel names, forward order
        self.n_dec = len(m.widths) + 1
        bias_names = [k.replace("/kernel", "/bias") for k in self.layout]
        bias_names += [f"dec{j}/bias" for j in range(self.n_dec)] if m.tied else []
        self.w = {
            k: torch.nn.Parameter(device.tensor(np.ascontiguousarray(np.stack([w[k] for w in w0s]))))
            for k in self.layout + bias_names
        }
        self.opt = optim.make_optimizer(spec.optimizer, list(self.w.values()))
        dev = device.current()  # on a CPU the masks and eps share one stream, as they do sequentially
        self.eps_gens = [torch.Generator().manual_seed(s % (2**63)) for s in seeds]
        self.mask_gens = (
            self.eps_gens
            if dev.type == "cpu"
            else [torch.Generator(dev).manual_seed(s % (2**63)) for s in seeds]
        )

    def _dense(self, h: torch.Tensor, kernel: str, bias: str, sel: slice, t: bool = False) -> torch.Tensor:
        k = self.w[kernel][sel]
        return torch.baddbmm(self.w[bias][sel].unsqueeze(1), h, k.transpose(1, 2) if t else k)

    def _encode(self, x: torch.Tensor, training: bool, sel: slice) -> tuple[torch.Tensor, ...]:
        """x (S, b, in) -> (code,) or (mu, logvar), each (S, b, code): `encode_stats` per seed."""
        m, h = self.m, x
        if training and m.mask_noise:  # F.dropout(h, p) * (1 - p), F.dropout's CPU arithmetic
            p = m.mask_noise
            noise = torch.stack(
                [torch.empty(h.shape[1:], dtype=h.dtype, device=h.device).bernoulli_(1 - p, generator=g)
                 for g in self.mask_gens]
            )  # fmt: skip
            h = h * noise.div_(1 - p) * (1.0 - p)
        for i in range(len(m.widths)):
            h = self.act(self._dense(h, f"enc{i}/kernel", f"enc{i}/bias", sel))
        if m.variational:
            return self._dense(h, "mu/kernel", "mu/bias", sel), self._dense(
                h, "logvar/kernel", "logvar/bias", sel
            )
        return (self.code_act(self._dense(h, "code/kernel", "code/bias", sel)),)

    def _forward(self, x: torch.Tensor, training: bool, sel: slice = slice(None)) -> tuple[torch.Tensor, ...]:
        """x (S, b, in) -> (reconstruction (S, b, in), per-example KL (S, b) or nothing)."""
        m = self.m
        stats = self._encode(x, training, sel)
        kl: tuple[torch.Tensor, ...] = ()
        if m.variational:
            mu, logvar = stats
            z = mu
            if training:
                eps = torch.stack(
                    [torch.randn(mu.shape[1:], generator=g, dtype=mu.dtype) for g in self.eps_gens]
                )
                z = mu + torch.exp(0.5 * logvar) * eps.to(mu.device)
            kl = (0.5 * (mu**2 + torch.exp(logvar) - 1.0 - logvar).sum(dim=-1),)
        else:
            z = stats[0]
        mirror = [k for k in self.layout if k.startswith(("enc", "code", "mu"))][::-1]
        h = z
        for j in range(self.n_dec):
            if m.tied:
                h = self._dense(h, mirror[j], f"dec{j}/bias", sel, t=True)
            else:
                h = self._dense(h, f"dec{j}/kernel", f"dec{j}/bias", sel)
            h = self.out_act(h) if j == self.n_dec - 1 else self.act(h)
        return (h, *kl)

    def step(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """One update of every seed; the per-seed losses (S,) as `TorchEngine._loss` computes each."""
        t = self.spec.training
        optim.clear_grads(self.opt)
        out, *kl = self._forward(device.tensor(x), True)
        per = losses.per_example(out, device.tensor(y), "mse")  # (S, b)
        reduce = (lambda v: v.sum(dim=1)) if t.loss_reduction == "sum" else (lambda v: v.mean(dim=1))
        per_seed = reduce(per)
        if kl:  # the VAE's own term, (2 var / D) * KL, reduced alike
            per_seed = per_seed + reduce(kl[0] * (2.0 * self.m.decoder_var / self.n_in))
        if t.l2:
            per_seed = per_seed + 0.5 * t.l2 * sum((self.w[k] ** 2).sum(dim=(1, 2)) for k in self.layout)
        per_seed.sum().backward()  # d(sum_s L_s)/dW_s = dL_s/dW_s
        self.opt.step()
        return device.numpy(per_seed)

    def outputs(self, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return device.numpy(self._forward(device.tensor(x), False)[0])

    def outputs_one(self, s: int, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return device.numpy(self._forward(device.tensor(x)[None], False, slice(s, s + 1))[0][0])

    def encode_one(self, s: int, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return device.numpy(self._encode(device.tensor(x)[None], False, slice(s, s + 1))[0][0])

    def export(self, s: int) -> dict[str, np.ndarray]:
        return {k: device.numpy(v[s]).copy() for k, v in self.w.items()}

    def set_lr(self, lr: float) -> None:
        for group in self.opt.param_groups:
            group["lr"] = lr
