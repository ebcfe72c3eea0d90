"""TensorFlow seed-batched dense autoencoder (see `impls.seedbatch`): `autoencoder.AutoencoderNet`
for S seeds at once, one traced update for all of them per step. Like the stacked MLP, a stack
is traced once per shape and reused: `reset` assigns new weights, optimiser state and RNG seeds."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np
import tensorflow as tf

from impls.init import autoencoder_layout
from impls.spec import Autoencoder, TrialSpec
from impls.tf_impl import losses, optim
from impls.tf_impl.models import ACT
from impls.tf_impl.train import concrete


class StackedAE:
    """`AutoencoderNet` (dense: no conv layers) for S seeds. Kernels (S, in, out) (the canonical
    layout), biases (S, out); a tied decoder multiplies by its mirror kernel transposed. The
    optimiser is the sequential one over the stacked variables (elementwise per seed).

    Random numbers: a sequential trial draws its masking noise (stateless uniform) and its VAE eps
    (stateless normal) with the seed (trial seed, k), k counting its draws from 1 (`_seed`,
    `seed_dropout`), masks first within a step. Here `rng` holds each seed's (seed, k) row and
    every draw takes seed s's row for seed s's (b, features) slice, so its numbers are its
    sequential run's."""

    def __init__(self, spec: TrialSpec, n_in: int, n_out: int, n_seeds: int) -> None:
        m, t = spec.model, spec.training
        assert isinstance(m, Autoencoder) and not m.conv_channels and n_in == n_out
        self.m, dtype = m, getattr(tf, t.dtype)
        act, code_act, out_act = ACT[m.activation], ACT[m.code_activation], ACT[m.out_activation]
        self.layout = [name for name, _ in autoencoder_layout(m, n_in)]  # kernel names, forward order
        shapes = dict(autoencoder_layout(m, n_in))
        n_dec = len(m.widths) + 1
        dims = [n_in, *m.widths, m.code][::-1]  # decoder outputs, for tied decoders' biases
        biases = {k.replace("/kernel", "/bias"): (shapes[k][-1],) for k in self.layout}
        biases.update({f"dec{j}/bias": (dims[j + 1],) for j in range(n_dec)} if m.tied else {})
        self.w = {
            k: tf.Variable(tf.zeros((n_seeds, *shape), dtype)) for k, shape in {**shapes, **biases}.items()
        }
        self.rng = tf.Variable(tf.zeros((n_seeds, 2), tf.int64), trainable=False)
        self.opt = optim.make_optimizer(spec.optimizer, list(self.w.values()))
        mirror = [k for k in self.layout if k.startswith(("enc", "code", "mu"))][::-1]
        x_sig = tf.TensorSpec([n_seeds, None, n_in], dtype)

        def draws() -> list[tf.Tensor]:  # each seed's next (seed, k), as `AutoencoderNet._seed`
            return tf.unstack(self.rng.assign_add(tf.constant([[0, 1]] * n_seeds, tf.int64)))

        def take(name: str, sel: slice | None) -> tf.Tensor:  # seeds `sel` (None: all, unsliced)
            return self.w[name] if sel is None else self.w[name][sel]

        def dense(h: tf.Tensor, kernel: str, bias: str, sel: slice | None, tied: bool = False) -> tf.Tensor:
            return tf.matmul(h, take(kernel, sel), transpose_b=tied) + tf.expand_dims(take(bias, sel), 1)

        def encode(x: tf.Tensor, training: bool, sel: slice | None) -> tuple[tf.Tensor, ...]:
            """x (S, b, in) -> (code,) or (mu, logvar), each (S, b, code): `encode_stats` per seed."""
            h = x
            if training and m.mask_noise:
                u = [
                    tf.random.stateless_uniform(tf.shape(hs), seed=s, dtype=h.dtype)
                    for hs, s in zip(tf.unstack(h), draws(), strict=True)
                ]
                h = tf.where(tf.stack(u) >= m.mask_noise, h, tf.zeros_like(h))
            for i in range(len(m.widths)):
                h = act(dense(h, f"enc{i}/kernel", f"enc{i}/bias", sel))
            if m.variational:
                return dense(h, "mu/kernel", "mu/bias", sel), dense(h, "logvar/kernel", "logvar/bias", sel)
            return (code_act(dense(h, "code/kernel", "code/bias", sel)),)

        def forward(x: tf.Tensor, training: bool, sel: slice | None = None) -> tuple[tf.Tensor, ...]:
            """x (S, b, in) -> (reconstruction (S, b, in), per-example KL (S, b) or nothing)."""
            stats = encode(x, training, sel)
            kl: tuple[tf.Tensor, ...] = ()
            if m.variational:
                mu, logvar = stats
                z = mu
                if training:
                    eps = [
                        tf.random.stateless_normal(tf.shape(ms), seed=s, dtype=mu.dtype)
                        for ms, s in zip(tf.unstack(mu), draws(), strict=True)
                    ]
                    z = mu + tf.exp(0.5 * logvar) * tf.stack(eps)
                kl = (0.5 * tf.reduce_sum(mu**2 + tf.exp(logvar) - 1.0 - logvar, axis=-1),)
            else:
                z = stats[0]
            h = z
            for j in range(n_dec):
                if m.tied:
                    h = dense(h, mirror[j], f"dec{j}/bias", sel, tied=True)
                else:
                    h = dense(h, f"dec{j}/kernel", f"dec{j}/bias", sel)
                h = out_act(h) if j == n_dec - 1 else act(h)
            return (h, *kl)

        @tf.function(input_signature=[x_sig, x_sig], autograph=False)
        def step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
            red = tf.reduce_sum if t.loss_reduction == "sum" else tf.reduce_mean
            with tf.GradientTape() as tape:
                out, *kl = forward(x, True)
                per_seed = red(losses.per_example(out, y, "mse"), axis=1)  # (S,)
                if kl:  # the VAE's own term, (2 var / D) * KL, reduced alike
                    per_seed += red(kl[0] * (2.0 * m.decoder_var / n_in), axis=1)
                if t.l2:
                    per_seed += (
                        0.5
                        * t.l2
                        * tf.add_n([tf.reduce_sum(self.w[k] ** 2, axis=[1, 2]) for k in self.layout])
                    )
                total = tf.reduce_sum(per_seed)  # d(sum_s L_s)/dW_s = dL_s/dW_s
            params = list(self.w.values())
            self.opt.apply(tape.gradient(total, params))
            return per_seed

        @tf.function(input_signature=[x_sig], autograph=False)
        def outputs(x: tf.Tensor) -> tf.Tensor:
            return forward(x, False)[0]

        one = [tf.TensorSpec([], tf.int32), tf.TensorSpec([None, n_in], dtype)]

        @tf.function(input_signature=one, autograph=False)
        def outputs_one(s: tf.Tensor, x: tf.Tensor) -> tf.Tensor:  # x (n, in) -> (n, in), seed s alone
            return forward(x[None], False, slice(s, s + 1))[0][0]

        @tf.function(input_signature=one, autograph=False)
        def encode_one(s: tf.Tensor, x: tf.Tensor) -> tf.Tensor:  # x (n, in) -> (n, code)
            return encode(x[None], False, slice(s, s + 1))[0][0]

        self._step, self._outputs, self._outputs_one, self._encode_one = map(
            concrete, (step, outputs, outputs_one, encode_one)
        )

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

    def encode_one(self, s: int, x: np.ndarray) -> np.ndarray:
        return np.asarray(self._encode_one(np.int32(s), x))

    def export(self, s: int) -> dict[str, np.ndarray]:
        return {name: np.asarray(var[s].numpy()).copy() for name, var in self.w.items()}

    def set_lr(self, lr: float) -> None:
        self.opt.set_lr(lr)
