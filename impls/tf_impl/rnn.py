"""The sequence family (`impls.spec.RNN`) in Keras/TensorFlow: hand-written cells, one step at a
time, the same equations as `impls/torch_impl/rnn.py` (see the spec's docstring). Not
keras.layers.LSTM/GRU: no per-time-step batch norm or layer norm inside the cell there, and Keras
draws its initialisers on the fused (in, 4H) matrix. The Python loop over T unrolls in the traced
graph (fine for the T used here; tracing grows linearly with T).

Intentional framework difference: dropout masks come from each framework's own RNG, so they never
match; the parity tests compare with dropout off and check the mask semantics separately."""

from __future__ import annotations

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

    def _norm(self, z: tf.Tensor, lay: Layer, part: str, t: int, training: bool, stats: dict) -> tf.Tensor:
        """z (batch, units) -> normalised * gamma (+ beta for c)."""
        m = self.m
        if m.norm == "layer":
            mu, var = tf.nn.moments(z, axes=[1], keepdims=True)
        elif training:  # batch statistics of this time step
            mu, var = tf.nn.moments(z, axes=[0])
            n = tf.cast(tf.shape(z)[0], z.dtype)
            unbiased = var * n / tf.maximum(n - 1.0, 1.0)
            stats.setdefault(part, []).append((tf.stop_gradient(mu), tf.stop_gradient(unbiased)))
        else:  # running statistics of this time step
            mu, var = lay.running[f"{part}_mean"][t], lay.running[f"{part}_var"][t]
        out = (z - mu) / tf.sqrt(var + m.norm_eps) * lay.gamma[part]
        return out + lay.beta[part] if part in lay.beta else out

    def _update_running(self, lay: Layer, stats: dict) -> None:
        """running = (1 - momentum) * running + momentum * batch stat, per time step (T, units);
        unbiased batch variance, as the torch impl (the spec's convention)."""
        mom = self.m.bn_momentum
        for part, pairs in stats.items():
            for key, new in (
                ("mean", tf.stack([a for a, _ in pairs])),
                ("var", tf.stack([b for _, b in pairs])),
            ):
                run = lay.running[f"{part}_{key}"]
                run.assign((1.0 - mom) * run + mom * new)

    # -- forward --------------------------------------------------------------------------------
    def call(
        self,
        x: tf.Tensor,
        training: bool = False,
        keep: list[tf.Tensor] | None = None,
        states: list[tf.Tensor] | None = None,
    ) -> tf.Tensor:
        """keep: each layer's last state (batch, H); states: the top layer's h_t for every t."""
        m = self.m
        batch = tf.shape(x)[0]
        seq = tf.reshape(x, [batch, self.steps, m.features])  # (batch, T, features)
        inputs = [seq[:, t] for t in range(self.steps)]
        for lay in self.rnn:
            d_x = self._mask(batch, int(inputs[0].shape[1]), m.input_dropout, training)
            d_h = self._mask(batch, m.hidden, m.recurrent_dropout, training)
            h = tf.zeros(tf.stack([batch, m.hidden]), self.dt)
            c = tf.zeros(tf.stack([batch, m.hidden]), self.dt)
            stats: dict = {}
            outs = []
            for t, xt in enumerate(inputs):
                wx = tf.matmul(xt if d_x is None else xt * d_x, lay.kernel)
                wh = tf.matmul(h if d_h is None else h * d_h, lay.recurrent)
                if m.norm != "none":
                    wx = self._norm(wx, lay, "x", t, training, stats)
                    wh = self._norm(wh, lay, "h", t, training, stats)
                if m.cell == "rnn":
                    h = tf.tanh(wx + wh + lay.bias)
                elif m.cell == "lstm":
                    i, f, g, o = tf.split(wx + wh + lay.bias, 4, axis=1)
                    c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
                    cn = self._norm(c, lay, "c", t, training, stats) if m.norm != "none" else c
                    h = tf.sigmoid(o) * tf.tanh(cn)
                else:  # gru, reset-after form
                    assert lay.recurrent_bias is not None
                    xr, xz, xn = tf.split(wx + lay.bias, 3, axis=1)
                    hr, hz, hn = tf.split(wh, 3, axis=1)
                    r, z = tf.sigmoid(xr + hr), tf.sigmoid(xz + hz)
                    n = tf.tanh(xn + r * (hn + lay.recurrent_bias))
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
