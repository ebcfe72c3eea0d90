"""The sequence family (`impls.spec.RNN`) in PyTorch: hand-written cells, one step at a time, the
same equations as `impls/tf_impl/rnn.py` (see the spec's docstring). Not nn.LSTM/GRU/RNN: those
train two bias vectors, have no per-time-step batch norm, layer norm or recurrent dropout."""

from __future__ import annotations

import torch
from torch import nn

from impls.spec import GATES, RNN

Canon = dict[str, tuple[torch.Tensor, tuple[int, ...] | None]]


def _param(*shape: int) -> nn.Parameter:
    return nn.Parameter(torch.zeros(*shape))  # values come from the canonical weights


class Layer(nn.Module):
    """One recurrent layer: parameters, norm parameters and per-step running statistics."""

    def __init__(self, m: RNN, n_in: int, steps: int) -> None:
        super().__init__()
        gh, h = GATES[m.cell] * m.hidden, m.hidden
        self.kernel, self.recurrent, self.bias = _param(n_in, gh), _param(h, gh), _param(gh)
        self.recurrent_bias = _param(h) if m.cell == "gru" else None
        self.gamma = nn.ParameterDict()
        self.beta = nn.ParameterDict()
        if m.norm != "none":
            self.gamma.update({"x": _param(gh), "h": _param(gh)})
            if m.cell == "lstm":
                self.gamma["c"], self.beta["c"] = _param(h), _param(h)
        if m.norm == "batch":
            for part in ("x", "h", "c") if m.cell == "lstm" else ("x", "h"):
                width = h if part == "c" else gh
                self.register_buffer(f"{part}_mean", torch.zeros(steps, width))
                self.register_buffer(f"{part}_var", torch.ones(steps, width))


class RNNNet(nn.Module):
    """x (batch, T * features) -> outputs (batch, n_out)."""

    def __init__(self, m: RNN, n_in: int, n_out: int) -> None:
        super().__init__()
        if n_in % m.features:
            raise ValueError(f"{n_in} input features are not a whole number of steps of {m.features}")
        self.m, self.steps = m, n_in // m.features
        fans = [m.features] + [m.hidden] * (m.layers - 1)
        self.rnn = nn.ModuleList(Layer(m, fan, self.steps) for fan in fans)
        self.head = nn.Linear(m.hidden, n_out)

    # -- pieces ---------------------------------------------------------------------------------
    def _mask(self, shape: tuple[int, int], p: float, ref: torch.Tensor) -> torch.Tensor | None:
        """Inverted-dropout mask (batch, units), drawn once per sequence (Gal & Ghahramani 2016)."""
        if not self.training or p == 0.0:
            return None
        return torch.empty(shape, dtype=ref.dtype, device=ref.device).bernoulli_(1.0 - p) / (1.0 - p)

    def _norm(self, z: torch.Tensor, lay: Layer, part: str, t: int, stats: dict[str, list]) -> torch.Tensor:
        """z (batch, units) -> normalised * gamma (+ beta for c)."""
        m = self.m
        if m.norm == "layer":
            mu = z.mean(dim=1, keepdim=True)
            var = z.var(dim=1, unbiased=False, keepdim=True)
        elif self.training:  # batch statistics of this time step
            mu, var = z.mean(dim=0), z.var(dim=0, unbiased=False)
            n = z.shape[0]
            stats.setdefault(part, []).append((mu.detach(), var.detach() * n / max(n - 1, 1)))
        else:  # running statistics of this time step
            mu, var = getattr(lay, f"{part}_mean")[t], getattr(lay, f"{part}_var")[t]
        out = (z - mu) / torch.sqrt(var + m.norm_eps) * lay.gamma[part]
        return out + lay.beta[part] if part in lay.beta else out

    def _update_running(self, lay: Layer, stats: dict[str, list]) -> None:
        """running = (1 - momentum) * running + momentum * batch stat, per time step (T, units);
        the running variance takes the unbiased batch variance (the spec's torch convention)."""
        mom = self.m.bn_momentum
        with torch.no_grad():
            for part, pairs in stats.items():
                for key, new in (
                    ("mean", torch.stack([a for a, _ in pairs])),
                    ("var", torch.stack([b for _, b in pairs])),
                ):
                    buf = getattr(lay, f"{part}_{key}")
                    buf.mul_(1.0 - mom).add_(mom * new)

    # -- forward --------------------------------------------------------------------------------
    def forward(
        self,
        x: torch.Tensor,
        keep: list[torch.Tensor] | None = None,
        states: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """keep: each layer's last state (batch, H); states: the top layer's h_t for every t."""
        m = self.m
        seq = x.reshape(x.shape[0], self.steps, m.features)  # (batch, T, features)
        inputs = [seq[:, t] for t in range(self.steps)]
        batch, hsz = x.shape[0], m.hidden
        for lay in self.rnn:
            assert isinstance(lay, Layer)
            d_x = self._mask((batch, inputs[0].shape[1]), m.input_dropout, x)
            d_h = self._mask((batch, hsz), m.recurrent_dropout, x)
            h = x.new_zeros(batch, hsz)
            c = x.new_zeros(batch, hsz)
            stats: dict[str, list] = {}
            outs = []
            for t, xt in enumerate(inputs):
                wx = (xt if d_x is None else xt * d_x) @ lay.kernel
                wh = (h if d_h is None else h * d_h) @ lay.recurrent
                if m.norm != "none":
                    wx, wh = self._norm(wx, lay, "x", t, stats), self._norm(wh, lay, "h", t, stats)
                if m.cell == "rnn":
                    h = torch.tanh(wx + wh + lay.bias)
                elif m.cell == "lstm":
                    i, f, g, o = (wx + wh + lay.bias).chunk(4, dim=1)
                    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                    cn = self._norm(c, lay, "c", t, stats) if m.norm != "none" else c
                    h = torch.sigmoid(o) * torch.tanh(cn)
                else:  # gru, reset-after form
                    assert lay.recurrent_bias is not None
                    xr, xz, xn = (wx + lay.bias).chunk(3, dim=1)
                    hr, hz, hn = wh.chunk(3, dim=1)
                    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
                    n = torch.tanh(xn + r * (hn + lay.recurrent_bias))
                    h = (1.0 - z) * n + z * h
                outs.append(h)
            if stats:
                self._update_running(lay, stats)
            if keep is not None:
                keep.append(h)
            inputs = outs
        if states is not None:
            states.extend(inputs)
        last = inputs[-1]
        if self.training and m.output_dropout:
            last = nn.functional.dropout(last, m.output_dropout, training=True)
        out: torch.Tensor = self.head(last)
        return out

    def kernels(self) -> list[torch.Tensor]:
        """Per layer its input kernel then its recurrent kernel; the head last."""
        out: list[torch.Tensor] = []
        for lay in self.rnn:
            assert isinstance(lay, Layer)
            out += [lay.kernel, lay.recurrent]
        return [*out, self.head.weight]

    def canonical(self) -> Canon:
        out: Canon = {}
        for li, lay in enumerate(self.rnn):
            assert isinstance(lay, Layer)
            p, q = f"rnn{li}", f"norm{li}"
            out.update({f"{p}/kernel": (lay.kernel, None), f"{p}/recurrent": (lay.recurrent, None)})
            out[f"{p}/bias"] = (lay.bias, None)
            if lay.recurrent_bias is not None:
                out[f"{p}/recurrent_bias"] = (lay.recurrent_bias, None)
            for part, g in lay.gamma.items():
                out[f"{q}/{part}_gamma"] = (g, None)
            for part, b in lay.beta.items():
                out[f"{q}/{part}_beta"] = (b, None)
            for name, buf in lay.named_buffers():
                out[f"{q}/{name}"] = (buf, None)
        out["head/kernel"] = (self.head.weight, (1, 0))
        out["head/bias"] = (self.head.bias, None)
        return out


def build(m: RNN, n_in: int, n_out: int) -> RNNNet:
    return RNNNet(m, n_in, n_out)
