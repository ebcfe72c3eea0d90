"""TensorFlow seed-batched recurrent net (see `impls.seedbatch`): `rnn.RNNNet` for S seeds at
once, one traced update for all of them per step. Like the stacked MLP, a stack is traced once
per shape and reused: `reset` assigns new weights, optimiser state and dropout seeds."""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np
import tensorflow as tf

from impls import init
from impls.spec import RNN, TrialSpec
from impls.tf_impl import losses, optim
from impls.tf_impl.train import concrete


class StackedRNN:
    """`RNNNet` for S seeds: kernels (S, in, G*H), recurrent kernels (S, H, G*H), the head's
    kernel (S, H, k), vectors (S, units), batch norm's per-time-step running statistics
    (S, T, units). The optimiser is the sequential one over the stacked variables (elementwise
    per seed). Each time step is `RNNNet._step` with a leading seed axis (batched products, batch
    statistics per seed over its own batch), in the same tf.while_loop over T.

    Dropout: a sequential trial draws each mask with the stateless seed (trial seed, k), k counting
    its masks from 1 (`RNNNet._mask`, `seed_dropout`): per layer the input mask, then the
    recurrent one, the output mask last. `rng` holds each seed's (seed, k) row, and each mask of
    seed s is drawn for its (batch, units) alone with its row, so it is its sequential run's."""

    def __init__(self, spec: TrialSpec, n_in: int, n_out: int, n_seeds: int) -> None:
        m, t = spec.model, spec.training
        assert isinstance(m, RNN)
        self.m, dt = m, getattr(tf, t.dtype)
        steps = n_in // m.features
        shapes = {k: v.shape for k, v in init.initial_weights(m, n_in, n_out, 0, t.dtype).items()}
        running = {k for k in shapes if k.endswith(("_mean", "_var"))}
        self.w = {
            k: tf.Variable(tf.zeros((n_seeds, *shape), dt), trainable=k not in running)
            for k, shape in shapes.items()
        }
        self.rng = tf.Variable(tf.zeros((n_seeds, 2), tf.int64), trainable=False)
        params = [v for k, v in self.w.items() if k not in running]
        kernels = [f"rnn{li}/{n}" for li in range(m.layers) for n in ("kernel", "recurrent")] + [
            "head/kernel"
        ]
        self.opt = optim.make_optimizer(spec.optimizer, params)
        y_sig = (
            tf.TensorSpec([n_seeds, None], tf.int64)
            if m.head != "mse"
            else tf.TensorSpec([n_seeds, None, n_out], dt)
        )
        x_sig = tf.TensorSpec([n_seeds, None, n_in], dt)

        def mask(shape: tf.Tensor, p: float, training: bool) -> tf.Tensor | None:
            """Each seed's inverted-dropout mask (S, batch, units), drawn with its own (seed, k)."""
            if not training or p == 0.0:
                return None
            rows = tf.unstack(self.rng.assign_add(tf.constant([[0, 1]] * n_seeds, tf.int64)))
            u = tf.stack([tf.random.stateless_uniform(shape, seed=r, dtype=dt) for r in rows])
            return tf.cast(u >= p, dt) / (1.0 - p)

        def norm(z: tf.Tensor, w: dict, part: str, t: Any, training: bool, stats: dict) -> tf.Tensor:
            """z (S, batch, units) -> normalised * gamma (+ beta for c), `RNNNet._norm` per seed."""
            if m.norm == "layer":
                mu, var = tf.nn.moments(z, axes=[2], keepdims=True)
            elif training:  # batch statistics of this time step, per seed
                mu, var = tf.nn.moments(z, axes=[1], keepdims=True)
                n = tf.cast(tf.shape(z)[1], z.dtype)
                unbiased = var * n / tf.maximum(n - 1.0, 1.0)
                stats[f"{part}_mean"], stats[f"{part}_var"] = (
                    tf.stop_gradient(mu[:, 0]),
                    tf.stop_gradient(unbiased[:, 0]),
                )
            else:  # running statistics of this time step
                mu = tf.expand_dims(tf.gather(w[f"{part}_mean"], t, axis=1), 1)
                var = tf.expand_dims(tf.gather(w[f"{part}_var"], t, axis=1), 1)
            out = (z - mu) / tf.sqrt(var + m.norm_eps) * tf.expand_dims(w[f"{part}_gamma"], 1)
            return out + tf.expand_dims(w[f"{part}_beta"], 1) if f"{part}_beta" in w else out

        def step_t(
            w: dict, xt: tf.Tensor, h: tf.Tensor, c: tf.Tensor, t: Any, masks: tuple, training: bool
        ) -> tuple:
            """One time step of one layer, xt (S, batch, in): (h, c, this step's statistics)."""
            d_x, d_h = masks
            stats: dict[str, tf.Tensor] = {}
            wx = tf.matmul(xt if d_x is None else xt * d_x, w["kernel"])
            wh = tf.matmul(h if d_h is None else h * d_h, w["recurrent"])
            if m.norm != "none":
                wx, wh = norm(wx, w, "x", t, training, stats), norm(wh, w, "h", t, training, stats)
            bias = tf.expand_dims(w["bias"], 1)
            if m.cell == "rnn":
                h = tf.tanh(wx + wh + bias)
            elif m.cell == "lstm":
                i, f, g, o = tf.split(wx + wh + bias, 4, axis=2)
                c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
                cn = norm(c, w, "c", t, training, stats) if m.norm != "none" else c
                h = tf.sigmoid(o) * tf.tanh(cn)
            else:  # gru, reset-after form
                xr, xz, xn = tf.split(wx + bias, 3, axis=2)
                hr, hz, hn = tf.split(wh, 3, axis=2)
                r, z = tf.sigmoid(xr + hr), tf.sigmoid(xz + hz)
                n = tf.tanh(xn + r * (hn + tf.expand_dims(w["recurrent_bias"], 1)))
                h = (1.0 - z) * n + z * h
            return h, c, stats

        def looped(li: int, w: dict, xs: tf.Tensor, h: tf.Tensor, masks: tuple, training: bool) -> tuple:
            """`RNNNet._looped`: xs (T, S, batch, in) -> outputs (T, S, batch, H), statistics
            {name: (T, S, units)}."""
            keys = [k.split("/")[1] for k in running if k.startswith(f"norm{li}/")] if training else []
            arrays = [tf.TensorArray(dt, size=steps) for _ in range(len(keys) + 1)]

            def body(t: tf.Tensor, h: tf.Tensor, c: tf.Tensor, *arrays: tf.TensorArray) -> tuple:
                h, c, st = step_t(w, tf.gather(xs, t), h, c, t, masks, training)
                return (
                    t + 1,
                    h,
                    c,
                    arrays[0].write(t, h),
                    *[a.write(t, st[k]) for a, k in zip(arrays[1:], keys, strict=True)],
                )

            res = tf.while_loop(lambda t, *_: t < steps, body, (tf.constant(0), h, h, *arrays))
            return res[3].stack(), {k: a.stack() for k, a in zip(keys, res[4:], strict=True)}

        def forward(x: tf.Tensor, training: bool, sel: Any = None) -> tf.Tensor:
            """x (S, batch, T * features) -> (S, batch, k); `sel`: one seed's index (None: all)."""
            n_s, batch = tf.shape(x)[0], tf.shape(x)[1]
            xs = tf.transpose(tf.reshape(x, [n_s, batch, steps, m.features]), [2, 0, 1, 3])  # (T, S, b, F)
            # each variable read once; seed `sel` alone as a stack of one (a static leading 1)
            read = {
                k: (tf.convert_to_tensor(v) if sel is None else tf.gather(v, sel[None]))
                for k, v in self.w.items()
            }
            for li in range(m.layers):
                p, q = f"rnn{li}/", f"norm{li}/"
                w = {k[len(p) :]: v for k, v in read.items() if k.startswith(p)}
                w.update({k[len(q) :]: v for k, v in read.items() if k.startswith(q)})
                d_x = mask(tf.stack([batch, xs.shape[3]]), m.input_dropout, training)
                d_h = mask(tf.stack([batch, m.hidden]), m.recurrent_dropout, training)
                h0 = tf.zeros(tf.stack([n_s, batch, m.hidden]), dt)
                xs, stats = looped(li, w, xs, h0, (d_x, d_h), training)
                for k, new in stats.items():  # running = (1 - momentum) * running + momentum * batch stat
                    var = self.w[q + k]
                    var.assign((1.0 - m.bn_momentum) * var + m.bn_momentum * tf.transpose(new, [1, 0, 2]))
            last = xs[-1]
            d_o = mask(tf.stack([batch, m.hidden]), m.output_dropout, training)
            out = last if d_o is None else last * d_o
            return tf.matmul(out, read["head/kernel"]) + tf.expand_dims(read["head/bias"], 1)

        @tf.function(input_signature=[x_sig, y_sig], autograph=False)
        def step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
            red = tf.reduce_sum if t.loss_reduction == "sum" else tf.reduce_mean
            with tf.GradientTape() as tape:
                per_seed = red(losses.per_example(forward(x, True), y, m.head), axis=1)  # (S,)
                if t.l2:
                    per_seed += (
                        0.5 * t.l2 * tf.add_n([tf.reduce_sum(self.w[k] ** 2, axis=[1, 2]) for k in kernels])
                    )
                total = tf.reduce_sum(per_seed)  # d(sum_s L_s)/dW_s = dL_s/dW_s
            self.opt.apply(tape.gradient(total, params))
            return per_seed

        @tf.function(input_signature=[x_sig], autograph=False)
        def outputs(x: tf.Tensor) -> tf.Tensor:
            return forward(x, False)

        one = [tf.TensorSpec([], tf.int32), tf.TensorSpec([None, n_in], dt)]

        @tf.function(input_signature=one, autograph=False)
        def outputs_one(s: tf.Tensor, x: tf.Tensor) -> tf.Tensor:  # x (n, in) -> (n, k), seed s alone
            return forward(x[None], False, s)[0]

        self._step, self._outputs, self._outputs_one = map(concrete, (step, outputs, outputs_one))

    def reset(self, seeds: list[int], w0s: list[dict[str, np.ndarray]], spec: TrialSpec) -> None:
        for name, var in self.w.items():
            var.assign(np.stack([w0[name] for w0 in w0s]))
        self.opt.reset(spec.optimizer.lr)
        self.rng.assign(np.array([[seed % (2**31), 0] for seed in seeds], dtype=np.int64))

    def step(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.asarray(self._step(x, y))

    def outputs(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self._outputs(x))

    def outputs_one(self, s: int, x: np.ndarray) -> np.ndarray:
        return np.asarray(self._outputs_one(np.int32(s), x))

    def export(self, s: int) -> dict[str, np.ndarray]:
        return {name: np.asarray(var[s].numpy()).copy() for name, var in self.w.items()}

    def set_lr(self, lr: float) -> None:
        self.opt.set_lr(lr)
