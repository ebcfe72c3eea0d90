"""The sequence family (`impls.spec.RNN`) in Keras/TensorFlow: hand-written cells, one step at a
time, the same equations as `impls/torch_impl/rnn.py` (see the spec's docstring). Not
keras.layers.LSTM/GRU: no per-time-step batch norm or layer norm inside the cell there, and Keras
draws its initialisers on the fused (in, 4H) matrix. The Python loop over T unrolls in the traced
graph (fine for the T used here; tracing grows linearly with T).

Intentional framework difference: dropout masks come from each framework's own RNG, so they never
match; the parity tests compare with dropout off and check the mask semantics separately."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from impls.spec import GATES, RNN

Canon = dict[str, tuple[tf.Variable, tuple[int, ...] | None]]


class Layer:
    """One recurrent layer's variables (created on the owning keras.Model with add_weight)."""

    def __init__(self, net: keras.Model, m: RNN, li: int, n_in: int, steps: int, dtype: str) -> None:
        gh, h = GATES[m.cell] * m.hidden, m.hidden

        def var(name: str, shape: tuple[int, ...], trainable: bool = True) -> tf.Variable:
            return net.add_weight(
                shape=shape, initializer="zeros", dtype=dtype, trainable=trainable, name=name
            )

        p, q = f"rnn{li}", f"norm{li}"
        self.kernel, self.recurrent = var(f"{p}_kernel", (n_in, gh)), var(f"{p}_recurrent", (h, gh))
        self.bias = var(f"{p}_bias", (gh,))
        self.recurrent_bias = var(f"{p}_recurrent_bias", (h,)) if m.cell == "gru" else None
        self.gamma: dict[str, tf.Variable] = {}
        self.beta: dict[str, tf.Variable] = {}
        self.running: dict[str, tf.Variable] = {}  # "{part}_mean" / "{part}_var": (T, units)
        if m.norm != "none":
            self.gamma = {"x": var(f"{q}_x_gamma", (gh,)), "h": var(f"{q}_h_gamma", (gh,))}
            if m.cell == "lstm":
                self.gamma["c"], self.beta["c"] = var(f"{q}_c_gamma", (h,)), var(f"{q}_c_beta", (h,))
        if m.norm == "batch":
            for part in ("x", "h", "c") if m.cell == "lstm" else ("x", "h"):
                width = h if part == "c" else gh
                for key in ("mean", "var"):
                    self.running[f"{part}_{key}"] = var(f"{q}_{part}_{key}", (steps, width), trainable=False)

    def values(self) -> dict[str, tf.Tensor]:
        """Every variable read once per call: using Keras variables inside the unrolled loop costs
        a conversion per use, which made tracing 4x slower."""
        out = {"kernel": self.kernel, "recurrent": self.recurrent, "bias": self.bias}
        if self.recurrent_bias is not None:
            out["recurrent_bias"] = self.recurrent_bias
        out.update({f"{k}_gamma": v for k, v in self.gamma.items()})
        out.update({f"{k}_beta": v for k, v in self.beta.items()})
        out.update(self.running)
        return {k: tf.convert_to_tensor(v) for k, v in out.items()}


class RNNNet(keras.Model):
    """x (batch, T * features) -> outputs (batch, n_out)."""

    def __init__(self, m: RNN, n_in: int, n_out: int, dtype: str) -> None:
        super().__init__(dtype=dtype)
        if n_in % m.features:
            raise ValueError(f"{n_in} input features are not a whole number of steps of {m.features}")
        self.m, self.steps, self.dt = m, n_in // m.features, dtype
        fans = [m.features] + [m.hidden] * (m.layers - 1)
        self.rnn = [Layer(self, m, li, fan, self.steps, dtype) for li, fan in enumerate(fans)]
        self.head = keras.layers.Dense(n_out, dtype=dtype)
        self.head.build((None, m.hidden))
        # Stateless-RNG seed for the dropout masks: (seed, counter), advanced on every mask.
        self.rng = tf.Variable(np.zeros(2, dtype=np.int64), trainable=False)
        self.built = True

    # -- pieces ---------------------------------------------------------------------------------
    def _mask(self, batch: tf.Tensor, units: int, p: float, training: bool) -> tf.Tensor | None:
        """Inverted-dropout mask (batch, units), drawn once per sequence (Gal & Ghahramani 2016)."""
        if not training or p == 0.0:
            return None
        seed = self.rng.assign_add(tf.constant([0, 1], tf.int64))
        u = tf.random.stateless_uniform(tf.stack([batch, units]), seed=seed, dtype=self.dt)
        return tf.cast(u >= p, self.dt) / (1.0 - p)

    def _norm(self, z: tf.Tensor, w: dict, part: str, t: Any, training: bool, stats: dict) -> tf.Tensor:
        """z (batch, units) -> normalised * gamma (+ beta for c); w: the layer's values read once;
        t: the step (int or scalar tensor); training batch norm puts its statistics in `stats`."""
        m = self.m
        if m.norm == "layer":
            mu, var = tf.nn.moments(z, axes=[1], keepdims=True)
        elif training:  # batch statistics of this time step
            mu, var = tf.nn.moments(z, axes=[0])
            n = tf.cast(tf.shape(z)[0], z.dtype)
            unbiased = var * n / tf.maximum(n - 1.0, 1.0)
            stats[f"{part}_mean"], stats[f"{part}_var"] = tf.stop_gradient(mu), tf.stop_gradient(unbiased)
        else:  # running statistics of this time step
            mu, var = tf.gather(w[f"{part}_mean"], t), tf.gather(w[f"{part}_var"], t)
        out = (z - mu) / tf.sqrt(var + m.norm_eps) * w[f"{part}_gamma"]
        return out + w[f"{part}_beta"] if f"{part}_beta" in w else out

    def _step(self, w: dict, xt: tf.Tensor, h: tf.Tensor, c: tf.Tensor, t: Any, masks: tuple, training: bool):
        """One time step of one layer: (h, c, this step's batch-norm statistics)."""
        m, (d_x, d_h) = self.m, masks
        stats: dict[str, tf.Tensor] = {}
        wx = tf.matmul(xt if d_x is None else xt * d_x, w["kernel"])
        wh = tf.matmul(h if d_h is None else h * d_h, w["recurrent"])
        if m.norm != "none":
            wx = self._norm(wx, w, "x", t, training, stats)
            wh = self._norm(wh, w, "h", t, training, stats)
        if m.cell == "rnn":
            h = tf.tanh(wx + wh + w["bias"])
        elif m.cell == "lstm":
            i, f, g, o = tf.split(wx + wh + w["bias"], 4, axis=1)
            c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
            cn = self._norm(c, w, "c", t, training, stats) if m.norm != "none" else c
            h = tf.sigmoid(o) * tf.tanh(cn)
        else:  # gru, reset-after form
            xr, xz, xn = tf.split(wx + w["bias"], 3, axis=1)
            hr, hz, hn = tf.split(wh, 3, axis=1)
            r, z = tf.sigmoid(xr + hr), tf.sigmoid(xz + hz)
            n = tf.tanh(xn + r * (hn + w["recurrent_bias"]))
            h = (1.0 - z) * n + z * h
        return h, c, stats

    def _unrolled(self, w: dict, xs: tf.Tensor, h: tf.Tensor, masks: tuple, training: bool):
        """Python loop over T (eager, or when every h_t must be a tensor of its own):
        xs (T, batch, in) -> outputs (T, batch, H), statistics {name: (T, units)}."""
        c, outs, stats = h, [], []
        for t in range(self.steps):
            h, c, st = self._step(w, xs[t], h, c, t, masks, training)
            outs.append(h)
            stats.append(st)
        return outs, {k: tf.stack([st[k] for st in stats]) for k in stats[0]}

    def _looped(self, w: dict, xs: tf.Tensor, h: tf.Tensor, masks: tuple, training: bool):
        """The same steps in a tf.while_loop: the traced graph does not grow with T (an unrolled
        T = 8 LSTM with layer norm took ~10 s to trace on the shared CPU)."""
        keys = [k for k in self.rnn[0].running if training and self.m.norm == "batch"]
        arrays = [tf.TensorArray(self.dt, size=self.steps) for _ in range(len(keys) + 1)]

        def body(t, h, c, *arrays):
            h, c, st = self._step(w, tf.gather(xs, t), h, c, t, masks, training)
            return (
                t + 1,
                h,
                c,
                arrays[0].write(t, h),
                *[a.write(t, st[k]) for a, k in zip(arrays[1:], keys, strict=True)],
            )

        res = tf.while_loop(lambda t, *_: t < self.steps, body, (tf.constant(0), h, h, *arrays))
        outs = res[3].stack()  # (T, batch, H)
        return outs, {k: a.stack() for k, a in zip(keys, res[4:], strict=True)}

    # -- forward --------------------------------------------------------------------------------
    def call(
        self,
        x: tf.Tensor,
        training: bool = False,
        keep: list[tf.Tensor] | None = None,
        states: list[tf.Tensor] | None = None,
    ) -> tf.Tensor:
        """keep: each layer's last state (batch, H); states: the top layer's h_t for every t
        (asks for the unrolled loop, so that each h_t is a tensor the tape can differentiate)."""
        m = self.m
        batch = tf.shape(x)[0]
        seq = tf.reshape(x, [batch, self.steps, m.features])  # (batch, T, features)
        xs = tf.transpose(seq, [1, 0, 2])  # (T, batch, features)
        unroll = states is not None or tf.executing_eagerly()
        for lay in self.rnn:
            w = lay.values()
            d_x = self._mask(batch, int(xs.shape[2]), m.input_dropout, training)
            d_h = self._mask(batch, m.hidden, m.recurrent_dropout, training)
            h0 = tf.zeros(tf.stack([batch, m.hidden]), self.dt)
            run = self._unrolled if unroll else self._looped
            outs, stats = run(w, xs, h0, (d_x, d_h), training)
            if stats:  # running = (1 - momentum) * running + momentum * batch stat, per step
                for k, new in stats.items():
                    lay.running[k].assign((1.0 - m.bn_momentum) * lay.running[k] + m.bn_momentum * new)
            last = outs[-1]
            if keep is not None:
                keep.append(last)
            xs = tf.stack(outs) if isinstance(outs, list) else outs
        if states is not None:
            states.extend(outs)
        d_o = self._mask(batch, m.hidden, m.output_dropout, training)
        return self.head(last if d_o is None else last * d_o)

    def kernels(self) -> list[tf.Variable]:
        """Per layer its input kernel then its recurrent kernel; the head last."""
        out: list[tf.Variable] = []
        for lay in self.rnn:
            out += [lay.kernel, lay.recurrent]
        return [*out, self.head.kernel]

    def canonical(self) -> Canon:
        out: Canon = {}
        for li, lay in enumerate(self.rnn):
            p, q = f"rnn{li}", f"norm{li}"
            out.update({f"{p}/kernel": (lay.kernel, None), f"{p}/recurrent": (lay.recurrent, None)})
            out[f"{p}/bias"] = (lay.bias, None)
            if lay.recurrent_bias is not None:
                out[f"{p}/recurrent_bias"] = (lay.recurrent_bias, None)
            for part, g in lay.gamma.items():
                out[f"{q}/{part}_gamma"] = (g, None)
            for part, b in lay.beta.items():
                out[f"{q}/{part}_beta"] = (b, None)
            for name, v in lay.running.items():
                out[f"{q}/{name}"] = (v, None)
        out["head/kernel"] = (self.head.kernel, None)
        out["head/bias"] = (self.head.bias, None)
        return out

    def seed_dropout(self, seed: int) -> None:
        self.rng.assign(np.array([seed % (2**31), 0], dtype=np.int64))


def build(m: RNN, n_in: int, n_out: int, dtype: str) -> RNNNet:
    return RNNNet(m, n_in, n_out, dtype)
