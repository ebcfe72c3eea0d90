"""Keras small CNN built from `impls.spec.CNN` (sibling of impls/torch_impl/cnn.py).

Layout: Keras computes in NHWC, so the flat (H, W, C) input reshapes directly and flattens need no
permute; kernels are HWIO = canonical (kh, kw, in, out). Padding is explicit (`tf.pad` on every side,
then 'VALID'), never 'same' (asymmetric at stride 2 in TF). Named differences: Keras BN's
`momentum` is 1 - the spec's; its moving variance uses the biased batch variance (torch: unbiased)."""

from __future__ import annotations

import itertools
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from impls.spec import CNN, cnn_flat_features, cnn_shapes
from impls.tf_impl.models import ACT

Canon = dict[str, tuple[tf.Variable, tuple[int, ...] | None]]


class Linear(keras.layers.Layer):
    """A conv (kernel (k, k, in, out)) or dense (kernel (in, out)) layer with the spec's weight
    re-parameterisation."""

    def __init__(self, m: CNN, shape: tuple[int, ...], stride: int = 1, padding: int = 0, **kw: Any) -> None:
        super().__init__(**kw)
        self.wn, self.eps = m.weight_norm, m.cosine_eps
        self.stride, self.padding, self.conv = stride, padding, len(shape) == 4
        out = shape[-1]
        self.v = self.add_weight(shape=shape, initializer="zeros", name="kernel")
        self.b = (
            self.add_weight(shape=(out,), initializer="zeros", name="bias") if self.wn != "cosine" else None
        )
        self.g = self.add_weight(shape=(out,), initializer="ones", name="g") if self.wn == "weight" else None

    def weight(self) -> tf.Tensor:
        v = tf.convert_to_tensor(self.v)
        if self.wn not in ("weight", "weight_fixed_g"):
            return v
        axes = list(range(len(v.shape) - 1))  # all but the output unit (last axis)
        w = v / tf.sqrt(tf.reduce_sum(v**2, axis=axes, keepdims=True))
        return w * self.g if self.g is not None else w

    def call(self, x: tf.Tensor) -> tf.Tensor:
        w = self.weight()
        if self.conv:
            p = self.padding
            x = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]])
            z = tf.nn.conv2d(x, w, strides=self.stride, padding="VALID")  # (B, H', W', out)
        else:
            z = tf.matmul(x, w)  # (B, out)
        if self.wn == "cosine":
            axes = list(range(len(w.shape) - 1))
            w_norm = tf.sqrt(tf.reduce_sum(w**2, axis=axes) + self.eps)  # (out,)
            if self.conv:
                ones = tf.ones((*w.shape[:3], 1), dtype=x.dtype)
                x_norm = tf.sqrt(tf.nn.conv2d(x**2, ones, strides=self.stride, padding="VALID") + self.eps)
            else:
                x_norm = tf.sqrt(tf.reduce_sum(x**2, axis=1, keepdims=True) + self.eps)
            z = z / (x_norm * w_norm)
        return z + self.b if self.b is not None else z


class GroupNorm(keras.layers.Layer):
    """Group norm with per-channel affine over (B, H, W, C) (layer: 1 group, instance: C groups) or
    layer norm over the features of (B, F); biased variance, as torch's F.group_norm/layer_norm."""

    def __init__(self, width: int, groups: int, eps: float, **kw: Any) -> None:
        super().__init__(**kw)
        self.groups, self.eps = groups, eps
        self.gamma = self.add_weight(shape=(width,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(width,), initializer="zeros", name="beta")

    def call(self, x: tf.Tensor) -> tf.Tensor:
        if len(x.shape) == 2:
            mean, var = tf.nn.moments(x, axes=[1], keepdims=True)
            return (x - mean) / tf.sqrt(var + self.eps) * self.gamma + self.beta
        shape = tf.shape(x)
        c = x.shape[-1]
        g = tf.reshape(x, [shape[0], shape[1], shape[2], self.groups, c // self.groups])
        mean, var = tf.nn.moments(g, axes=[1, 2, 4], keepdims=True)
        g = (g - mean) / tf.sqrt(var + self.eps)
        return tf.reshape(g, shape) * self.gamma + self.beta


def _norm(m: CNN, width: int, dtype: str) -> keras.layers.Layer | None:
    if m.norm == "none":
        return None
    if m.norm == "batch":
        bn = keras.layers.BatchNormalization(momentum=1.0 - m.bn_momentum, epsilon=m.norm_eps, dtype=dtype)
        return bn
    groups = {"layer": 1, "group": m.groups, "instance": width}[m.norm]
    return GroupNorm(width, groups, m.norm_eps, dtype=dtype)


class CNNNet(keras.Model):
    """x (batch, H*W*C) -> logits (batch, n_out). See `impls.spec.CNN` for the layer order."""

    def __init__(self, m: CNN, n_in: int, n_out: int, dtype: str) -> None:
        super().__init__(dtype=dtype)
        self.m, self.act = m, ACT[m.activation]
        shapes = cnn_shapes(m)
        self.convs = [
            Linear(m, (c.kernel, c.kernel, shapes[i][2], c.channels), c.stride, c.padding, dtype=dtype)
            for i, c in enumerate(m.convs)
        ]
        self.conv_norms = [_norm(m, c.channels, dtype) for c in m.convs]
        widths = [cnn_flat_features(m), *m.dense]
        self.dense = [Linear(m, (a, b), dtype=dtype) for a, b in itertools.pairwise(widths)]
        self.dense_norms = [_norm(m, w, dtype) for w in m.dense]
        self.drop = keras.layers.Dropout(m.dropout, dtype=dtype)
        self.head = keras.layers.Dense(n_out, dtype=dtype)
        for norm, (h, w, c) in zip(self.conv_norms, shapes[1:], strict=True):
            if norm is not None:
                norm.build((None, h, w, c))
        for norm, width in zip(self.dense_norms, m.dense, strict=True):
            if norm is not None:
                norm.build((None, width))
        self.head.build((None, widths[-1]))
        self.built = True

    def _block(self, z: tf.Tensor, norm: keras.layers.Layer | None, training: bool) -> tf.Tensor:
        if norm is None:
            return self.act(z)
        if self.m.norm_position == "before":
            return self.act(norm(z, training=training))
        return norm(self.act(z), training=training)

    def call(self, x: tf.Tensor, training: bool = False, keep: list[tf.Tensor] | None = None) -> tf.Tensor:
        h, w, c = self.m.image
        z = tf.reshape(x, [-1, h, w, c])  # (B, H, W, C)
        for spec, conv, norm in zip(self.m.convs, self.convs, self.conv_norms, strict=True):
            z = self._block(conv(z), norm, training)
            if keep is not None:
                keep.append(z)
            k = spec.pool_size
            if spec.pool == "max":
                z = tf.nn.max_pool2d(z, k, k, "VALID")
            elif spec.pool == "avg":
                z = tf.nn.avg_pool2d(z, k, k, "VALID")
        z = tf.reduce_mean(z, axis=[1, 2]) if self.m.global_pool else tf.reshape(z, [tf.shape(z)[0], -1])
        for lin, norm in zip(self.dense, self.dense_norms, strict=True):
            z = self._block(lin(z), norm, training)
            if keep is not None:
                keep.append(z)
            z = self.drop(z, training=training) if self.m.dropout else z
        return self.head(z)

    def kernels(self) -> list[tf.Variable]:
        return [lay.v for lay in [*self.convs, *self.dense]] + [self.head.kernel]

    def canonical(self) -> Canon:
        out: Canon = {}

        def add(name: str, lay: Linear, norm: keras.layers.Layer | None, norm_name: str) -> None:
            out[f"{name}/kernel"] = (lay.v, None)
            if lay.b is not None:
                out[f"{name}/bias"] = (lay.b, None)
            if lay.g is not None:
                out[f"{name}/g"] = (lay.g, None)
            if norm is not None:
                out[f"{norm_name}/gamma"] = (norm.gamma, None)
                out[f"{norm_name}/beta"] = (norm.beta, None)
            if isinstance(norm, keras.layers.BatchNormalization):
                out[f"{norm_name}/mean"] = (norm.moving_mean, None)
                out[f"{norm_name}/var"] = (norm.moving_variance, None)

        for i, (lay, norm) in enumerate(zip(self.convs, self.conv_norms, strict=True)):
            add(f"conv{i}", lay, norm, f"norm{i}")
        for j, (lay, norm) in enumerate(zip(self.dense, self.dense_norms, strict=True)):
            add(f"dense{j}", lay, norm, f"dnorm{j}")
        out["head/kernel"] = (self.head.kernel, None)
        out["head/bias"] = (self.head.bias, None)
        return out

    def seed_dropout(self, seed: int) -> None:
        if self.drop.rate > 0:  # Keras makes no seed generator for a zero rate
            self.drop.seed_generator.state.assign(np.array([seed % (2**31), 0], dtype=np.int64))


def build(m: CNN, n_in: int, n_out: int, dtype: str) -> CNNNet:
    return CNNNet(m, n_in, n_out, dtype)
