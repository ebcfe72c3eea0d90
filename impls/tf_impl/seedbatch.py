"""TensorFlow seed-batched MLP (see `impls.seedbatch`): S seeds' weights stacked on a leading
axis, one traced update for all of them per step, and `run_seed_batch` (dense autoencoders:
`seedbatch_ae`, recurrent nets: `seedbatch_rnn`). Like `train.TFEngine`, a stack is traced once
per shape and reused: `reset` assigns new weights and optimiser state."""

from __future__ import annotations

import dataclasses
import itertools
import os
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras
import numpy as np
import tensorflow as tf

from impls import seedbatch
from impls.spec import MLP, RNN, Autoencoder, TrialSpec, structure
from impls.tf_impl import losses, models, optim, train
from impls.tf_impl.experiments import state_grads
from impls.tf_impl.seedbatch_ae import StackedAE
from impls.tf_impl.seedbatch_rnn import StackedRNN
from impls.tf_impl.train import concrete, env, pin_threads

_STACKS: dict[tuple[Any, ...], StackedMLP | StackedAE | StackedRNN] = {}


class StackedMLP:
    """`models.MLPNet` for S seeds at once. Kernels (S, in, out) (Keras' and the canonical
    layout), biases, norm gammas/betas and moving statistics (S, units), highway gates
    (S, width, width) and (S, width). The optimiser is the sequential one
    (`optim.make_optimizer`) over the stacked variables: every optimiser in the spec is
    elementwise, so seed s's slice is updated exactly as seed s alone would be.

    Normalisation is written out as Keras computes it (keras/src/layers/normalization): batch
    norm takes `tf.nn.moments` over each seed's own batch (axis 1 of (S, b, units)), normalises
    with `tf.nn.batch_normalization`, and in training updates the moving statistics as Keras'
    `BatchNormalization(momentum=1 - bn_momentum)` does (biased batch variance); layer norm is
    Keras' `ops.layer_normalization` formula over the unit axis. Training mode is every call that
    computes a gradient (steps and the gradient probes, which update the moving statistics as the
    sequential engine's `training=True` calls do); inference mode every call that does not."""

    def __init__(self, spec: TrialSpec, n_in: int, n_out: int, n_seeds: int) -> None:
        m, t = spec.model, spec.training
        assert isinstance(m, MLP)
        self.spec, act, dtype = spec, models.ACT[m.activation], getattr(tf, t.dtype)
        self.m = m
        widths = [n_in] + [m.width] * m.depth + [n_out]
        self.names = [f"hidden{i}" for i in range(m.depth)] + ["head"]
        self.kernels = [tf.Variable(tf.zeros((n_seeds, a, b), dtype)) for a, b in itertools.pairwise(widths)]
        self.biases = [tf.Variable(tf.zeros((n_seeds, b), dtype)) for b in widths[1:]]

        def stacked(shape: tuple[int, ...], count: int, trainable: bool = True) -> list[tf.Variable]:
            return [
                tf.Variable(tf.zeros((n_seeds, *shape), dtype), trainable=trainable) for _ in range(count)
            ]

        w, n_norm, n_bn = m.width, m.depth * (m.norm != "none"), m.depth * (m.norm == "batch")
        self.gammas, self.betas = stacked((w,), n_norm), stacked((w,), n_norm)
        self.means = stacked((w,), n_bn, trainable=False)  # moving statistics
        self.vars = stacked((w,), n_bn, trainable=False)
        # highway gates of hidden layers 1..depth-1: gate_k[i - 1] belongs to layer i
        n_gates = (m.depth - 1) * m.highway
        self.gate_k, self.gate_b = stacked((w, w), n_gates), stacked((w,), n_gates)
        # each seed's dropout seed states, as `models.MLPNet.seed_dropout` sets its generators
        # (hidden dropout [seed, 0], input dropout [seed, 1], alpha-dropout [seed, 2]), assigned by reset
        alpha = m.dropout_kind == "alpha"
        self.gens = {
            slot: [keras.random.SeedGenerator(0) for _ in range(n_seeds)]
            for slot, rate in ((0, m.dropout * (not alpha)), (1, m.input_dropout), (2, m.dropout * alpha))
            if rate
        }
        params = [p for pair in zip(self.kernels, self.biases, strict=True) for p in pair]
        params += self.gammas + self.betas + self.gate_k + self.gate_b
        self.opt = optim.make_optimizer(spec.optimizer, params)
        y_shape = [n_seeds, None] if m.head != "mse" else [n_seeds, None, n_out]
        y_sig = tf.TensorSpec(y_shape, tf.int64 if m.head != "mse" else dtype)
        x_sig = tf.TensorSpec([n_seeds, None, n_in], dtype)
        keras_momentum = 1.0 - m.bn_momentum  # models.MLPNet's BatchNormalization(momentum=...)

        def take(v: tf.Variable, sel: Any) -> tf.Tensor:
            """Seeds `sel` (None: all) of a stacked variable; a (S, units) vector comes out as
            (S, 1, units), to broadcast over the batch. The full stack is read as it is and
            expanded with one ExpandDims, not sliced (`v[:, None, :]`): the same values with
            fewer ops, and fewer again in the gradient (tracing costs ~0.5 ms an op, most of a
            short trial)."""
            t = v if sel is None else v[sel]
            return tf.expand_dims(t, 1) if len(v.shape) == 2 else t

        def norm(i: int, z: tf.Tensor, training: bool, sel: Any) -> tf.Tensor:
            gamma, beta = take(self.gammas[i], sel), take(self.betas[i], sel)
            if m.norm == "layer":  # keras.ops.layer_normalization (TF backend)
                mean, variance = tf.nn.moments(z, axes=[-1], keepdims=True)
                inv = tf.math.rsqrt(variance + m.norm_eps) * gamma
                return z * inv + (-mean * inv + beta)
            if training:  # BatchNormalization.call(training=True), per seed: moments over axis 1
                mean, variance = tf.nn.moments(z, axes=[1], keepdims=True)  # (S, 1, units)
                moving_mean, moving_var = self.means[i], self.vars[i]
                new_mean = moving_mean * keras_momentum + mean[:, 0, :] * (1.0 - keras_momentum)
                new_var = moving_var * keras_momentum + variance[:, 0, :] * (1.0 - keras_momentum)
                moving_mean.assign(new_mean)
                moving_var.assign(new_var)
            else:
                mean, variance = take(self.means[i], sel), take(self.vars[i], sel)
            return tf.nn.batch_normalization(z, mean, variance, beta, gamma, m.norm_eps)

        def dropout(z: tf.Tensor, rate: float, slot: int) -> tf.Tensor:
            """`MLPNet`'s train-mode dropout of z (S, b, units): seed s's (b, units) slice through
            the op the sequential net calls, with seed s's generator, so each mask is its own."""
            gens, seeds_z = self.gens[slot], tf.unstack(z)
            if slot != 2:  # keras.layers.Dropout's call
                return tf.stack(
                    [keras.random.dropout(zs, rate, seed=g) for zs, g in zip(seeds_z, gens, strict=True)]
                )
            u = [
                keras.random.uniform(tf.shape(zs), dtype=z.dtype, seed=g)
                for zs, g in zip(seeds_z, gens, strict=True)
            ]
            return models.alpha_dropout(z, tf.cast(tf.stack(u) >= rate, z.dtype), rate)

        def forward(
            x: tf.Tensor, training: bool, keep: list[tf.Tensor] | None = None, sel: Any = None
        ) -> tf.Tensor:
            """(S, b, in) -> (S, b, k), `MLPNet.call` per seed; `sel` picks the seeds (None: all,
            or s:s+1)."""
            h = dropout(x, m.input_dropout, 1) if training and m.input_dropout else x
            for i in range(m.depth):
                z = tf.matmul(h, take(self.kernels[i], sel)) + take(self.biases[i], sel)
                if m.norm == "none":
                    z = act(z)
                elif m.norm_position == "before":
                    z = act(norm(i, z, training, sel))
                else:
                    z = norm(i, act(z), training, sel)
                if keep is not None:
                    keep.append(z)
                if training and m.dropout:
                    z = dropout(z, m.dropout, 2 if alpha else 0)
                if m.highway and i > 0:
                    gate = tf.matmul(h, take(self.gate_k[i - 1], sel)) + take(self.gate_b[i - 1], sel)
                    tg = tf.sigmoid(gate)  # transform gate; carry = 1 - t
                    h = tg * z + (1.0 - tg) * h
                else:
                    h = h + z if m.residual and i > 0 else z
            return tf.matmul(h, take(self.kernels[-1], sel)) + take(self.biases[-1], sel)

        def seed_losses(x: tf.Tensor, y: tf.Tensor, keep: list[tf.Tensor] | None = None) -> tf.Tensor:
            per = losses.per_example(forward(x, True, keep), y, m.head)  # (S, b)
            red = tf.reduce_sum if t.loss_reduction == "sum" else tf.reduce_mean
            per_seed = red(per, axis=1)  # (S,)
            if t.l2:
                per_seed += 0.5 * t.l2 * tf.add_n([tf.reduce_sum(k**2, axis=[1, 2]) for k in self.kernels])
            return per_seed

        backstitch = spec.optimizer.backstitch

        @tf.function(input_signature=[x_sig, y_sig], autograph=False)
        def step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
            with tf.GradientTape() as tape:
                per_seed = seed_losses(x, y)
                total = tf.reduce_sum(per_seed)  # d(sum_s L_s)/dW_s = dL_s/dW_s
            grads = tape.gradient(total, params)
            if not backstitch:
                self.opt.apply(grads)
            else:  # `TFEngine`'s backstitch, elementwise: each seed's slice as alone
                lr = self.opt.lr
                for p, g in zip(params, grads, strict=True):
                    p.assign_add(backstitch * lr * g)
                with tf.GradientTape() as tape2:
                    total2 = tf.reduce_sum(seed_losses(x, y))  # fresh dropout masks
                for p, g in zip(params, tape2.gradient(total2, params), strict=True):
                    p.assign_sub((1.0 + backstitch) * lr * g)
            return per_seed

        @tf.function(input_signature=[x_sig, y_sig], autograph=False)
        def grad_norms(x: tf.Tensor, y: tf.Tensor) -> list[tf.Tensor]:  # per layer, (S,)
            with tf.GradientTape() as tape:
                total = tf.reduce_sum(seed_losses(x, y))
            return [tf.norm(g, axis=[1, 2]) for g in tape.gradient(total, self.kernels)]

        @tf.function(input_signature=[x_sig, y_sig], autograph=False)
        def act_grad_vars(x: tf.Tensor, y: tf.Tensor) -> list[tf.Tensor]:  # per hidden layer, (S,)
            keep: list[tf.Tensor] = []
            with tf.GradientTape() as tape:
                total = tf.reduce_sum(seed_losses(x, y, keep))
            return [tf.math.reduce_variance(g, axis=[1, 2]) for g in tape.gradient(total, keep)]

        @tf.function(input_signature=[x_sig], autograph=False)
        def activations(x: tf.Tensor) -> list[tf.Tensor]:
            keep: list[tf.Tensor] = []
            forward(x, False, keep)
            return keep

        @tf.function(input_signature=[x_sig], autograph=False)
        def outputs(x: tf.Tensor) -> tf.Tensor:
            return forward(x, False)

        @tf.function(
            input_signature=[tf.TensorSpec([], tf.int32), tf.TensorSpec([None, n_in], dtype)], autograph=False
        )
        def outputs_one(s: tf.Tensor, x: tf.Tensor) -> tf.Tensor:  # x (n, in) -> (n, k), seed s alone
            return forward(x[None], False, sel=slice(s, s + 1))[0]

        # through their concrete functions, as train.TFEngine does (same graphs, less per call)
        self._step, self._outputs, self._outputs_one = map(concrete, (step, outputs, outputs_one))
        self._grad_norms, self._act_grad_vars, self._activations = map(
            concrete, (grad_norms, act_grad_vars, activations)
        )

    def _named(self) -> dict[str, tf.Variable]:
        out = {}
        for n, w, b in zip(self.names, self.kernels, self.biases, strict=True):
            out[f"{n}/kernel"], out[f"{n}/bias"] = w, b
        for i, (g, b) in enumerate(zip(self.gammas, self.betas, strict=True)):
            out[f"norm{i}/gamma"], out[f"norm{i}/beta"] = g, b
        for i, (mean, var) in enumerate(zip(self.means, self.vars, strict=True)):
            out[f"norm{i}/mean"], out[f"norm{i}/var"] = mean, var
        for i, (k, b) in enumerate(zip(self.gate_k, self.gate_b, strict=True), start=1):
            out[f"gate{i}/kernel"], out[f"gate{i}/bias"] = k, b
        return out

    def reset(self, seeds: list[int], w0s: list[dict[str, np.ndarray]], spec: TrialSpec) -> None:
        self.spec = spec
        for name, var in self._named().items():
            var.assign(np.stack([w0[name] for w0 in w0s]))
        self.opt.reset(spec.optimizer.lr)
        for slot, gens in self.gens.items():
            for g, seed in zip(gens, seeds, strict=True):
                g.state.assign(np.array([seed % (2**31), slot], dtype=np.int64))

    def step(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.asarray(self._step(x, y))

    def outputs(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self._outputs(x))

    def outputs_one(self, s: int, x: np.ndarray) -> np.ndarray:
        # a graph of seed s alone: the stacked forward's slice s rounds differently for some
        # shapes (BatchMatMul over S vs 1; stored runs show it), so it is no substitute
        return np.asarray(self._outputs_one(np.int32(s), x))

    def grad_norms(self, x: np.ndarray, y: np.ndarray) -> list[list[float]]:
        per_layer = [np.asarray(g) for g in self._grad_norms(x, y)]
        return [[float(g[s]) for g in per_layer] for s in range(x.shape[0])]

    def act_grad_vars(self, x: np.ndarray, y: np.ndarray) -> list[list[float]]:
        per_layer = [np.asarray(v) for v in self._act_grad_vars(x, y)]
        return [[float(v[s]) for v in per_layer] for s in range(x.shape[0])]

    def activations(self, x: np.ndarray) -> list[list[np.ndarray]]:
        per_layer = [np.asarray(a) for a in self._activations(x)]
        return [[a[s] for a in per_layer] for s in range(x.shape[0])]

    def export(self, s: int) -> dict[str, np.ndarray]:
        return {name: np.asarray(var[s].numpy()).copy() for name, var in self._named().items()}

    def set_lr(self, lr: float) -> None:
        self.opt.set_lr(lr)


def stack_for(
    spec: TrialSpec, seeds: list[int], w0s: list[dict[str, np.ndarray]], n_in: int, n_out: int
) -> StackedMLP | StackedAE | StackedRNN:
    """The cached stack for this shape (the lr lives in a variable, as in `train.engine_for`),
    reset to the seeds' initial weights `w0s`, dropout seeds and a fresh optimiser state."""
    t = spec.training
    opt = dataclasses.replace(spec.optimizer, lr=0.0)
    n_seeds = len(w0s)
    key = (structure(spec.model), opt, t.dtype, t.l2, t.loss_reduction, n_in, n_out, n_seeds)
    if key not in _STACKS:
        if len(_STACKS) >= 16:  # bound memory in a long-lived worker
            _STACKS.pop(next(iter(_STACKS)))
        m = spec.model
        family = StackedAE if isinstance(m, Autoencoder) else StackedRNN if isinstance(m, RNN) else StackedMLP
        _STACKS[key] = family(spec, n_in, n_out, n_seeds)
    _STACKS[key].reset(seeds, w0s, spec)
    return _STACKS[key]


def state_grads_of(spec: TrialSpec, w: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> list[float]:
    """experiments/state_grads.py's probe of one seed's weights `w`, on the sequential net of
    this shape (the worker's cached engine) holding them."""
    engine = train.engine_for(spec, x.shape[1], w["head/bias"].shape[-1])
    models.load_weights(engine.net, w)
    return state_grads.state_grad_norms(engine.net, x, y, spec.model.head)


def run_seed_batch(spec: TrialSpec, seeds: list[int], threads: int = 1) -> list[dict[str, Any]]:
    """`run_trial(spec, seed)` for every seed, trained as one stack; raises
    `impls.seedbatch.NotBatchable` when the spec or the seeds' splits do not allow it."""
    pin_threads(threads)
    return seedbatch.run(spec, seeds, stack_for, env(), state_grads_of, fw=train)
