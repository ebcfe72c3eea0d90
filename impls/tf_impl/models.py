"""Keras (TensorFlow backend) models built from `impls.spec`, loaded from and exported to the
canonical weights. Framework differences kept on purpose and named here:
- Keras BatchNormalization's `momentum` is 1 - the spec's (torch convention) momentum;
- Keras updates the moving variance with the biased batch variance, torch with the unbiased one
  (asserted in tests/parity)."""

from __future__ import annotations

import importlib

import keras
import numpy as np
import tensorflow as tf

from impls.spec import MLP, ModelSpec

ACT = {
    "linear": lambda x: x,
    "relu": tf.nn.relu,
    "sigmoid": tf.sigmoid,
    "tanh": tf.tanh,
    "selu": tf.nn.selu,
    "elu": tf.nn.elu,  # alpha = 1
    "mish": lambda x: x * tf.tanh(tf.nn.softplus(x)),
    "swish": tf.nn.silu,
    # Not tf.nn.leaky_relu: its `alpha` is a float32 attribute, so a float64 model would get the
    # slope 0.009999999776 (found by the crosscheck ladder: 2e-10 relative error in float64).
    # tf.where gives slope 0.01 at x == 0 like torch. (Keras 3's default slope is 0.2.)
    "leaky_relu": lambda x: tf.where(x > 0, x, 0.01 * x),
}


# SELU's negative saturation -lambda*alpha (Klambauer et al. 2017), where alpha-dropout puts dropped units.
SELU_SAT = -1.7580993408473766


def alpha_dropout(x: tf.Tensor, keep: tf.Tensor, p: float) -> tf.Tensor:
    """Alpha-dropout with a given keep mask (1 = kept), same formula as the torch sibling:
    a * (x * keep + sat * (1 - keep)) + b, a = ((1-p)(1 + p sat^2))^-1/2, b = -a p sat. Not Keras'
    AlphaDropout, so both frameworks share one written formula (only the random masks differ)."""
    a = ((1.0 - p) * (1.0 + p * SELU_SAT**2)) ** -0.5
    return a * (x * keep + SELU_SAT * (1.0 - keep)) - a * p * SELU_SAT


class MLPNet(keras.Model):
    """x (batch, n_in) -> logits (batch, n_out). See `impls.spec.MLP` for the layer order."""

    def __init__(self, m: MLP, n_in: int, n_out: int, dtype: str) -> None:
        super().__init__(dtype=dtype)
        self.m = m
        self.act = ACT[m.activation]
        self.hidden = [keras.layers.Dense(m.width, dtype=dtype) for _ in range(m.depth)]

        def norm() -> keras.layers.Layer | None:
            if m.norm == "batch":
                return keras.layers.BatchNormalization(
                    momentum=1.0 - m.bn_momentum, epsilon=m.norm_eps, dtype=dtype
                )
            if m.norm == "layer":
                return keras.layers.LayerNormalization(epsilon=m.norm_eps, dtype=dtype)
            return None

        self.norms = [norm() for _ in range(m.depth)]
        # highway transform gates of hidden layers 1..depth-1 (gates[i - 1] belongs to layer i)
        self.gates = [keras.layers.Dense(m.width, dtype=dtype) for _ in range(m.depth - 1) if m.highway]
        self.alpha_seed = keras.random.SeedGenerator(0) if m.dropout_kind == "alpha" else None
        self.drop = keras.layers.Dropout(m.dropout, dtype=dtype)
        self.in_drop = keras.layers.Dropout(m.input_dropout, dtype=dtype)
        self.head = keras.layers.Dense(n_out, dtype=dtype)
        self.build((None, n_in))

    def build(self, input_shape: tuple[int | None, int]) -> None:
        shape = input_shape
        for lin, norm in zip(self.hidden, self.norms, strict=True):
            lin.build(shape)
            shape = (None, self.m.width)
            if norm is not None:
                norm.build(shape)
        for gate in self.gates:
            gate.build(shape)
        self.head.build(shape)
        self.built = True

    def call(self, x: tf.Tensor, training: bool = False, keep: list[tf.Tensor] | None = None) -> tf.Tensor:
        h = self.in_drop(x, training=training) if self.m.input_dropout else x
        for i, (lin, norm) in enumerate(zip(self.hidden, self.norms, strict=True)):
            z = lin(h)
            if norm is None:
                z = self.act(z)
            elif self.m.norm_position == "before":
                z = self.act(norm(z, training=training))
            else:
                z = norm(self.act(z), training=training)
            if keep is not None:
                keep.append(z)
            z = self._dropout(z, training)
            if self.m.highway and i > 0:
                t = tf.sigmoid(self.gates[i - 1](h))  # transform gate; carry = 1 - t
                h = t * z + (1.0 - t) * h
            else:
                h = h + z if self.m.residual and i > 0 else z
        return self.head(h)

    def _dropout(self, z: tf.Tensor, training: bool) -> tf.Tensor:
        if not self.m.dropout:
            return z
        if self.m.dropout_kind == "alpha":
            if not training:
                return z
            u = keras.random.uniform(tf.shape(z), dtype=z.dtype, seed=self.alpha_seed)
            return alpha_dropout(z, tf.cast(u >= self.m.dropout, z.dtype), self.m.dropout)
        return self.drop(z, training=training)

    def kernels(self) -> list[tf.Variable]:
        return [lin.kernel for lin in self.hidden] + [self.head.kernel]

    def canonical(self) -> dict[str, tuple[tf.Variable, tuple[int, ...] | None]]:
        """canonical name -> (variable, perm); Keras Dense kernels are (in, out) like the canonical."""
        out: dict[str, tuple[tf.Variable, tuple[int, ...] | None]] = {}
        for i, lin in enumerate(self.hidden):
            out[f"hidden{i}/kernel"] = (lin.kernel, None)
            out[f"hidden{i}/bias"] = (lin.bias, None)
            norm = self.norms[i]
            if norm is not None:
                out[f"norm{i}/gamma"] = (norm.gamma, None)
                out[f"norm{i}/beta"] = (norm.beta, None)
            if isinstance(norm, keras.layers.BatchNormalization):
                out[f"norm{i}/mean"] = (norm.moving_mean, None)
                out[f"norm{i}/var"] = (norm.moving_variance, None)
            if self.m.highway and i > 0:
                out[f"gate{i}/kernel"] = (self.gates[i - 1].kernel, None)
                out[f"gate{i}/bias"] = (self.gates[i - 1].bias, None)
        out["head/kernel"] = (self.head.kernel, None)
        out["head/bias"] = (self.head.bias, None)
        return out

    def seed_dropout(self, seed: int) -> None:
        for i, d in enumerate((self.drop, self.in_drop)):
            if d.rate > 0:  # Keras makes no seed generator for a zero rate
                d.seed_generator.state.assign(np.array([seed % (2**31), i], dtype=np.int64))
        if self.alpha_seed is not None:
            self.alpha_seed.state.assign(np.array([seed % (2**31), 2], dtype=np.int64))


def build(m: ModelSpec, n_in: int, n_out: int, dtype: str) -> keras.Model:
    """The net for any family: MLP here, others from `impls/tf_impl/<family>.py: build`."""
    if m.family == "mlp":
        assert isinstance(m, MLP)
        return MLPNet(m, n_in, n_out, dtype)
    return importlib.import_module(f"impls.tf_impl.{m.family}").build(m, n_in, n_out, dtype)


def load_weights(net: keras.Model, weights: dict[str, np.ndarray]) -> None:
    """Assign canonical weights. `net.canonical()` maps each canonical name to (variable, perm):
    the variable is the canonical array transposed by `perm` (None = same layout)."""
    for name, (var, perm) in net.canonical().items():
        var.assign(weights[name] if perm is None else np.transpose(weights[name], perm))


def export_weights(net: keras.Model) -> dict[str, np.ndarray]:
    out = {}
    for name, (var, perm) in net.canonical().items():
        value = np.asarray(var.numpy())
        out[name] = (value if perm is None else np.transpose(value, np.argsort(perm))).copy()
    return out
