"""TensorFlow seed-batched MLP (see `impls.seedbatch`): S seeds' weights stacked on a leading
axis, one traced update for all of them per step, and `run_seed_batch`. Like `train.TFEngine`, a
stack is traced once per shape and reused: `reset` assigns new weights and optimiser state."""

from __future__ import annotations

import dataclasses
import itertools
import os
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np
import tensorflow as tf

from impls import seedbatch
from impls.spec import MLP, TrialSpec
from impls.tf_impl import losses, models, optim
from impls.tf_impl.train import env, pin_threads

_STACKS: dict[tuple[Any, ...], StackedMLP] = {}


class StackedMLP:
    """Kernels (S, in, out) (Keras' and the canonical layout), biases (S, out). The optimiser is
    the sequential one (`optim.make_optimizer`) over the stacked variables: every optimiser in
    the spec is elementwise, so seed s's slice is updated exactly as seed s alone would be."""

    def __init__(self, spec: TrialSpec, n_in: int, n_out: int, n_seeds: int) -> None:
        m, t = spec.model, spec.training
        assert isinstance(m, MLP)
        self.spec, act, dtype = spec, models.ACT[m.activation], getattr(tf, t.dtype)
        widths = [n_in] + [m.width] * m.depth + [n_out]
        self.names = [f"hidden{i}" for i in range(m.depth)] + ["head"]
        self.kernels = [tf.Variable(tf.zeros((n_seeds, a, b), dtype)) for a, b in itertools.pairwise(widths)]
        self.biases = [tf.Variable(tf.zeros((n_seeds, b), dtype)) for b in widths[1:]]
        params = [p for pair in zip(self.kernels, self.biases, strict=True) for p in pair]
        self.opt = optim.make_optimizer(spec.optimizer, params)
        y_shape = [n_seeds, None] if m.head != "mse" else [n_seeds, None, n_out]
        y_sig = tf.TensorSpec(y_shape, tf.int64 if m.head != "mse" else dtype)
        x_sig = tf.TensorSpec([n_seeds, None, n_in], dtype)

        def forward(x: tf.Tensor) -> tf.Tensor:  # (S, b, in) -> (S, b, k); per seed x @ W + b
            h = x
            for w, b in zip(self.kernels[:-1], self.biases[:-1], strict=True):
                h = act(tf.matmul(h, w) + b[:, None, :])
            return tf.matmul(h, self.kernels[-1]) + self.biases[-1][:, None, :]

        @tf.function(input_signature=[x_sig, y_sig], autograph=False)
        def step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
            with tf.GradientTape() as tape:
                per = losses.per_example(forward(x), y, m.head)  # (S, b)
                red = tf.reduce_sum if t.loss_reduction == "sum" else tf.reduce_mean
                per_seed = red(per, axis=1)  # (S,)
                if t.l2:
                    per_seed += (
                        0.5 * t.l2 * tf.add_n([tf.reduce_sum(k**2, axis=[1, 2]) for k in self.kernels])
                    )
                total = tf.reduce_sum(per_seed)  # d(sum_s L_s)/dW_s = dL_s/dW_s
            self.opt.apply(tape.gradient(total, params))
            return per_seed

        @tf.function(input_signature=[x_sig], autograph=False)
        def outputs(x: tf.Tensor) -> tf.Tensor:
            return forward(x)

        @tf.function(
            input_signature=[tf.TensorSpec([], tf.int32), tf.TensorSpec([None, n_in], dtype)], autograph=False
        )
        def outputs_one(s: tf.Tensor, x: tf.Tensor) -> tf.Tensor:  # x (n, in) -> (n, k), seed s alone
            h = x
            for w, b in zip(self.kernels[:-1], self.biases[:-1], strict=True):
                h = act(tf.matmul(h, w[s]) + b[s])
            return tf.matmul(h, self.kernels[-1][s]) + self.biases[-1][s]

        self._step, self._outputs, self._outputs_one = step, outputs, outputs_one

    def reset(self, w0s: list[dict[str, np.ndarray]], spec: TrialSpec) -> None:
        self.spec = spec
        for n, w, b in zip(self.names, self.kernels, self.biases, strict=True):
            w.assign(np.stack([w0[f"{n}/kernel"] for w0 in w0s]))
            b.assign(np.stack([w0[f"{n}/bias"] for w0 in w0s]))
        self.opt.reset(spec.optimizer.lr)

    def step(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.asarray(self._step(x, y))

    def outputs(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self._outputs(x))

    def outputs_one(self, s: int, x: np.ndarray) -> np.ndarray:
        return np.asarray(self._outputs_one(np.int32(s), x))

    def export(self, s: int) -> dict[str, np.ndarray]:
        out = {}
        for n, w, b in zip(self.names, self.kernels, self.biases, strict=True):
            out[f"{n}/kernel"] = np.asarray(w[s].numpy()).copy()
            out[f"{n}/bias"] = np.asarray(b[s].numpy()).copy()
        return out

    def set_lr(self, lr: float) -> None:
        self.opt.set_lr(lr)


def stack_for(spec: TrialSpec, w0s: list[dict[str, np.ndarray]], n_in: int, n_out: int) -> StackedMLP:
    """The cached stack for this shape (the lr lives in a variable, as in `train.engine_for`),
    reset to the seeds' initial weights `w0s` and a fresh optimiser state."""
    t = spec.training
    opt = dataclasses.replace(spec.optimizer, lr=0.0)
    n_seeds = len(w0s)
    key = (spec.model, opt, t.dtype, t.l2, t.loss_reduction, n_in, n_out, n_seeds)
    if key not in _STACKS:
        if len(_STACKS) >= 16:  # bound memory in a long-lived worker
            _STACKS.pop(next(iter(_STACKS)))
        _STACKS[key] = StackedMLP(spec, n_in, n_out, n_seeds)
    _STACKS[key].reset(w0s, spec)
    return _STACKS[key]


def run_seed_batch(spec: TrialSpec, seeds: list[int], threads: int = 1) -> list[dict[str, Any]]:
    """`run_trial(spec, seed)` for every seed, trained as one stack; raises
    `impls.seedbatch.NotBatchable` when the spec or the seeds' splits do not allow it."""
    pin_threads(threads)
    return seedbatch.run(spec, seeds, stack_for, env())
