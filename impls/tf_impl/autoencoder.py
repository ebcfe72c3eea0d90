"""Keras (TensorFlow backend) autoencoders (dense, convolutional, variational) from
`impls.spec.Autoencoder`; same structure and names as `impls/torch_impl/autoencoder.py`.

Layouts: dense kernels (in, out) and conv kernels (kh, kw, in, out) are the canonical layouts (no
perm). Images are NHWC, flattened in (h, w, c) order. Padding is an explicit tf.pad with zeros and
a VALID conv; upsampling is nearest x2 by tf.repeat. Intentional difference from torch, named here:
the random numbers (masking-noise masks, VAE eps) come from TF's stateless RNG seeded from the trial
seed, torch's from torch.manual_seed(seed): same distributions, different draws.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from impls.init import autoencoder_layout
from impls.spec import Autoencoder
from impls.tf_impl.models import ACT


class AutoencoderNet(keras.Model):
    """x (batch, n_in) -> reconstruction (batch, n_in). See `impls.spec.Autoencoder`."""

    def __init__(self, m: Autoencoder, n_in: int, n_out: int, dtype: str) -> None:
        super().__init__(dtype=dtype)
        assert n_out == n_in, "an autoencoder reconstructs its input"
        self.m, self.n_in, self.dt = m, n_in, getattr(tf, dtype)
        self.act, self.code_act, self.out_act = (
            ACT[m.activation],
            ACT[m.code_activation],
            ACT[m.out_activation],
        )
        self.layout = autoencoder_layout(m, n_in)
        self.vars: dict[str, tf.Variable] = {}
        for name, shape in self.layout:
            bias = name.replace("/kernel", "/bias")
            self.vars[name] = self.add_weight(
                shape=shape, initializer="zeros", name=name.replace("/", "__"), dtype=dtype
            )
            self.vars[bias] = self.add_weight(
                shape=(shape[-1],), initializer="zeros", name=bias.replace("/", "__"), dtype=dtype
            )
        self.n_dec = len(m.widths) + 1
        if m.tied:
            dims = [n_in, *m.widths, m.code][::-1]
            for j in range(self.n_dec):
                name = f"dec{j}/bias"
                self.vars[name] = self.add_weight(
                    shape=(dims[j + 1],), initializer="zeros", name=name.replace("/", "__"), dtype=dtype
                )
        # Stateless RNG state (seed, counter), re-seeded per trial by `seed_dropout`.
        self.rng = tf.Variable(np.zeros(2, np.int64), trainable=False, dtype=tf.int64)
        self.noise: Callable[[tf.Tensor, tf.DType], tf.Tensor] = self._normal
        self._kl: tf.Tensor | None = None

    def _seed(self) -> tf.Tensor:
        return self.rng.assign_add(tf.constant([0, 1], tf.int64))

    def _normal(self, shape: tf.Tensor, dtype: tf.DType) -> tf.Tensor:
        return tf.random.stateless_normal(shape, seed=self._seed(), dtype=dtype)

    def _conv(self, h: tf.Tensor, name: str, stride: int) -> tf.Tensor:
        p = self.m.padding
        h = tf.pad(h, [[0, 0], [p, p], [p, p], [0, 0]])  # zeros, explicit
        return tf.nn.conv2d(h, self.vars[f"{name}/kernel"], stride, "VALID") + self.vars[f"{name}/bias"]

    def _dense(self, h: tf.Tensor, name: str) -> tf.Tensor:
        return tf.matmul(h, self.vars[f"{name}/kernel"]) + self.vars[f"{name}/bias"]

    def encode_stats(
        self, x: tf.Tensor, training: bool = False, keep: list[tf.Tensor] | None = None
    ) -> tuple:
        m = self.m
        h = x
        if training and m.mask_noise:  # masking noise: zero with prob. p, no rescaling
            u = tf.random.stateless_uniform(tf.shape(h), seed=self._seed(), dtype=h.dtype)
            h = tf.where(u >= m.mask_noise, h, tf.zeros_like(h))
        if m.conv_channels:
            hh, ww, c = m.image
            h = tf.reshape(h, (-1, hh, ww, c))
            for i in range(len(m.conv_channels)):
                h = self.act(self._conv(h, f"conv_enc{i}", 2))
                if keep is not None:
                    keep.append(tf.reshape(h, (tf.shape(h)[0], -1)))
            h = tf.reshape(h, (tf.shape(h)[0], -1))  # NHWC flatten
        for i in range(len(m.widths)):
            h = self.act(self._dense(h, f"enc{i}"))
            if keep is not None:
                keep.append(h)
        if m.variational:
            return self._dense(h, "mu"), self._dense(h, "logvar")
        return (self.code_act(self._dense(h, "code")),)

    def decode(self, z: tf.Tensor, keep: list[tf.Tensor] | None = None) -> tf.Tensor:
        m = self.m
        mirror = [name for name, _ in self.layout if name.startswith(("enc", "code", "mu"))][::-1]
        h = z
        for j in range(self.n_dec):
            if m.tied:  # the mirror encoder kernel (in, out), transposed
                h = tf.matmul(h, self.vars[mirror[j]], transpose_b=True) + self.vars[f"dec{j}/bias"]
            else:
                h = self._dense(h, f"dec{j}")
            last = j == self.n_dec - 1
            h = self.out_act(h) if last and not m.conv_channels else self.act(h)
            if keep is not None and not (last and not m.conv_channels):
                keep.append(h)
        if m.conv_channels:
            s = 2 ** len(m.conv_channels)
            hh, ww, _ = m.image
            h = tf.reshape(h, (-1, hh // s, ww // s, m.conv_channels[-1]))
            n = len(m.conv_channels)
            for j in range(n):
                h = tf.repeat(tf.repeat(h, 2, axis=1), 2, axis=2)  # nearest x2
                h = self._conv(h, f"conv_dec{j}", 1)
                h = self.out_act(h) if j == n - 1 else self.act(h)
                if keep is not None and j < n - 1:
                    keep.append(tf.reshape(h, (tf.shape(h)[0], -1)))
            h = tf.reshape(h, (tf.shape(h)[0], -1))
        return h

    def encode(self, x: tf.Tensor) -> tf.Tensor:
        """The code (mu for the VAE), (batch, code)."""
        return self.encode_stats(x)[0]

    def call(self, x: tf.Tensor, training: bool = False, keep: list[tf.Tensor] | None = None) -> tf.Tensor:
        stats = self.encode_stats(x, training, keep)
        if self.m.variational:
            mu, logvar = stats
            z = mu + tf.exp(0.5 * logvar) * self.noise(tf.shape(mu), mu.dtype) if training else mu
            # KL(q(z|x) || N(0, I)) per example, (batch,)
            self._kl = 0.5 * tf.reduce_sum(mu**2 + tf.exp(logvar) - 1.0 - logvar, axis=1)
        else:
            z = stats[0]
        if keep is not None:
            keep.append(z)
        return self.decode(z, keep)

    def extra_loss(self, reduction: str) -> tf.Tensor | None:
        """The model's own loss term from the last call (same trace): for the VAE, (2 var / D) * KL."""
        if not self.m.variational or self._kl is None:
            return None
        per = self._kl * (2.0 * self.m.decoder_var / self.n_in)
        return tf.reduce_sum(per) if reduction == "sum" else tf.reduce_mean(per)

    def kernels(self) -> list[tf.Variable]:
        return [self.vars[name] for name, _ in self.layout]

    def canonical(self) -> dict[str, tuple[tf.Variable, tuple[int, ...] | None]]:
        return {name: (var, None) for name, var in self.vars.items()}

    def seed_dropout(self, seed: int) -> None:
        self.rng.assign(np.array([seed % (2**31), 0], dtype=np.int64))


def build(m: Autoencoder, n_in: int, n_out: int, dtype: str) -> AutoencoderNet:
    return AutoencoderNet(m, n_in, n_out, dtype)
