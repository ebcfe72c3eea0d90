"""PyTorch seed-batched recurrent net (see `impls.seedbatch`): `rnn.RNNNet` for S seeds at once,
one update for all of them per step."""

from __future__ import annotations

import numpy as np
import torch

from impls.spec import RNN, TrialSpec
from impls.torch_impl import device, losses, optim


class StackedRNN:
    """`RNNNet` for S seeds: kernels (S, in, G*H), recurrent kernels (S, H, G*H), the head's
    kernel (S, H, k) (canonical layouts), vectors (S, units), batch norm's per-time-step running
    statistics (S, T, units). The optimiser is the sequential one over the stacked tensors
    (elementwise per seed). Every step of every cell is `RNNNet.forward`'s with a leading seed
    axis: products per seed (bmm), batch statistics per seed over its own batch (axis 1).

    Dropout: seed s's masks from seed s's generator, in `RNNNet`'s order (per layer the input
    mask, then the recurrent one; the output dropout last), each drawn for (batch, units) as
    torch draws it alone, so they are its sequential run's masks."""

    def __init__(
        self, spec: TrialSpec, seeds: list[int], w0s: list[dict[str, np.ndarray]], n_in: int, n_out: int
    ) -> None:
        m = spec.model
        assert isinstance(m, RNN)
        self.spec, self.m, self.steps = spec, m, n_in // m.features
        from impls.torch_impl.seedbatch import dropout_generators  # (that module dispatches to this one)

        dropout = m.input_dropout or m.recurrent_dropout or m.output_dropout
        self.gens = dropout_generators(spec, seeds, n_in, n_out) if dropout else []

        def stack(key: str) -> torch.Tensor:
            return device.tensor(np.ascontiguousarray(np.stack([w[key] for w in w0s])))

        running = [k for k in w0s[0] if k.endswith(("_mean", "_var"))]  # buffers, (S, T, units)
        self.buf = {k: stack(k) for k in running}
        self.w = {k: torch.nn.Parameter(stack(k)) for k in w0s[0] if k not in self.buf}
        self.kernels = [self.w[f"rnn{li}/{n}"] for li in range(m.layers) for n in ("kernel", "recurrent")]
        self.kernels.append(self.w["head/kernel"])
        self.opt = optim.make_optimizer(spec.optimizer, list(self.w.values()))

    def _mask(self, shape: tuple[int, int], p: float, ref: torch.Tensor) -> torch.Tensor:
        """Each seed's inverted-dropout mask (S, batch, units), from its own generator."""
        noise = torch.stack(
            [torch.empty(shape, dtype=ref.dtype, device=ref.device).bernoulli_(1.0 - p, generator=g)
             for g in self.gens]
        )  # fmt: skip
        return noise / (1.0 - p)

    def _norm(
        self, z: torch.Tensor, li: int, part: str, t: int, training: bool, stats: dict, sel: slice
    ) -> torch.Tensor:
        """z (S, batch, units) -> normalised * gamma (+ beta for c), `RNNNet._norm` per seed."""
        m, q = self.m, f"norm{li}"
        if m.norm == "layer":
            mu = z.mean(dim=2, keepdim=True)
            var = z.var(dim=2, unbiased=False, keepdim=True)
        elif training:  # batch statistics of this time step, per seed
            mu, var = z.mean(dim=1, keepdim=True), z.var(dim=1, unbiased=False, keepdim=True)
            n = z.shape[1]
            stats.setdefault(part, []).append((mu[:, 0].detach(), var[:, 0].detach() * n / max(n - 1, 1)))
        else:  # running statistics of this time step
            mu, var = self.buf[f"{q}/{part}_mean"][sel, t, None], self.buf[f"{q}/{part}_var"][sel, t, None]
        out = (z - mu) / torch.sqrt(var + m.norm_eps) * self.w[f"{q}/{part}_gamma"][sel].unsqueeze(1)
        beta = self.w.get(f"{q}/{part}_beta")
        return out + beta[sel].unsqueeze(1) if beta is not None else out

    def _forward(self, x: torch.Tensor, training: bool, sel: slice = slice(None)) -> torch.Tensor:
        """x (S, batch, T * features) -> outputs (S, batch, k); `sel` picks the seeds (all, or s:s+1)."""
        m = self.m
        n_seeds, batch = x.shape[:2]
        seq = x.reshape(n_seeds, batch, self.steps, m.features)
        inputs = [seq[:, :, t] for t in range(self.steps)]  # T x (S, batch, features)
        for li in range(m.layers):
            p = f"rnn{li}"
            kernel, recurrent = self.w[f"{p}/kernel"][sel], self.w[f"{p}/recurrent"][sel]
            bias = self.w[f"{p}/bias"][sel].unsqueeze(1)
            d_x = (
                self._mask((batch, inputs[0].shape[2]), m.input_dropout, x)
                if training and m.input_dropout
                else None
            )
            d_h = (
                self._mask((batch, m.hidden), m.recurrent_dropout, x)
                if training and m.recurrent_dropout
                else None
            )
            h = x.new_zeros(n_seeds, batch, m.hidden)
            c = x.new_zeros(n_seeds, batch, m.hidden)
            stats: dict[str, list] = {}
            outs = []
            for t, xt in enumerate(inputs):
                wx = torch.bmm(xt if d_x is None else xt * d_x, kernel)
                wh = torch.bmm(h if d_h is None else h * d_h, recurrent)
                if m.norm != "none":
                    wx, wh = (
                        self._norm(wx, li, "x", t, training, stats, sel),
                        self._norm(wh, li, "h", t, training, stats, sel),
                    )
                if m.cell == "rnn":
                    h = torch.tanh(wx + wh + bias)
                elif m.cell == "lstm":
                    i, f, g, o = (wx + wh + bias).chunk(4, dim=2)
                    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                    cn = self._norm(c, li, "c", t, training, stats, sel) if m.norm != "none" else c
                    h = torch.sigmoid(o) * torch.tanh(cn)
                else:  # gru, reset-after form
                    xr, xz, xn = (wx + bias).chunk(3, dim=2)
                    hr, hz, hn = wh.chunk(3, dim=2)
                    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
                    n = torch.tanh(xn + r * (hn + self.w[f"{p}/recurrent_bias"][sel].unsqueeze(1)))
                    h = (1.0 - z) * n + z * h
                outs.append(h)
            self._update_running(li, stats)
            inputs = outs
        last = inputs[-1]
        if training and m.output_dropout:  # F.dropout's CPU arithmetic: x * (noise / (1 - p))
            last = last * self._mask((batch, m.hidden), m.output_dropout, x)
        return torch.baddbmm(self.w["head/bias"][sel].unsqueeze(1), last, self.w["head/kernel"][sel])

    def _update_running(self, li: int, stats: dict[str, list]) -> None:
        """`RNNNet._update_running` per seed: running (S, T, units) moves toward this call's batch
        statistics of every time step."""
        mom = self.m.bn_momentum
        with torch.no_grad():
            for part, pairs in stats.items():
                for key, new in (
                    ("mean", torch.stack([a for a, _ in pairs], dim=1)),
                    ("var", torch.stack([b for _, b in pairs], dim=1)),
                ):
                    self.buf[f"norm{li}/{part}_{key}"].mul_(1.0 - mom).add_(mom * new)

    def step(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """One update of every seed; the per-seed losses (S,) as `TorchEngine._loss` computes each."""
        t = self.spec.training
        optim.clear_grads(self.opt)
        per = losses.per_example(self._forward(device.tensor(x), True), device.tensor(y), self.m.head)
        per_seed = per.sum(dim=1) if t.loss_reduction == "sum" else per.mean(dim=1)  # (S,)
        if t.l2:
            per_seed = per_seed + 0.5 * t.l2 * sum((k**2).sum(dim=(1, 2)) for k in self.kernels)
        per_seed.sum().backward()  # d(sum_s L_s)/dW_s = dL_s/dW_s
        self.opt.step()
        return device.numpy(per_seed)

    def outputs(self, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return device.numpy(self._forward(device.tensor(x), False))

    def outputs_one(self, s: int, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return device.numpy(self._forward(device.tensor(x)[None], False, slice(s, s + 1))[0])

    def export(self, s: int) -> dict[str, np.ndarray]:
        return {k: device.numpy(v[s]).copy() for k, v in {**self.w, **self.buf}.items()}

    def set_lr(self, lr: float) -> None:
        for group in self.opt.param_groups:
            group["lr"] = lr
