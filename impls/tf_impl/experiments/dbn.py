"""TensorFlow side of the "dbn" experiment (see `impls.dbn`): CD-k as explicit variable updates in
one traced step, and the fine-tuning engine."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from impls import dbn
from impls.spec import TrialSpec
from impls.tf_impl.train import TFEngine, concrete, engine_for

# (n_v, n_h, k, lr, dtype) -> (W, Bv, Bh, step): one traced CD step per RBM shape in a worker. A
# trace and the structured call's argument binding made TF pretraining 1.2 s a quick trial against
# torch's 0.4 s; the graph is the same each time, so reusing it leaves every number as it was.
_STEPS: dict[tuple[int, int, int, float, str], tuple[tf.Variable, tf.Variable, tf.Variable, Any]] = {}


def _cd_step(
    n_v: int, n_h: int, k: int, lr: float, dt: tf.DType
) -> tuple[tf.Variable, tf.Variable, tf.Variable, Any]:
    W, Bv, Bh = (tf.Variable(tf.zeros(shape, dt)) for shape in ((n_v, n_h), n_v, n_h))

    @tf.function(
        input_signature=[tf.TensorSpec([None, n_v], dt), tf.TensorSpec([k, None, n_h], dt)], autograph=False
    )
    def step(v0: tf.Tensor, u: tf.Tensor) -> None:
        ph0 = tf.sigmoid(v0 @ W + Bh)
        h, ph, pv = tf.cast(u[0] < ph0, dt), ph0, v0
        for s in range(k):
            pv = tf.sigmoid(tf.matmul(h, W, transpose_b=True) + Bv)
            ph = tf.sigmoid(pv @ W + Bh)
            if s + 1 < k:
                h = tf.cast(u[s + 1] < ph, dt)
        n = tf.cast(tf.shape(v0)[0], dt)
        W.assign_add(lr * (tf.matmul(v0, ph0, transpose_a=True) - tf.matmul(pv, ph, transpose_a=True)) / n)
        Bv.assign_add(lr * tf.reduce_mean(v0 - pv, axis=0))
        Bh.assign_add(lr * tf.reduce_mean(ph0 - ph, axis=0))

    return W, Bv, Bh, concrete(step)


def cd_train(w: np.ndarray, bv: np.ndarray, bh: np.ndarray, steps: dbn.Steps, lr: float, k: int) -> tuple:
    """CD-k on (n_v, n_h) weights; the uniforms u (k, batch, n_h) come with each batch."""
    key = (*w.shape, k, lr, w.dtype.name)
    if key not in _STEPS:
        _STEPS[key] = _cd_step(w.shape[0], w.shape[1], k, lr, tf.as_dtype(w.dtype))
    W, Bv, Bh, step = _STEPS[key]
    W.assign(w), Bv.assign(bv), Bh.assign(bh)
    for v0, u in steps:
        step(v0, u)
    return W.numpy().copy(), Bv.numpy().copy(), Bh.numpy().copy()  # the variables are reused


def make_engine(spec: TrialSpec, n_in: int, n_out: int, w0: dict[str, np.ndarray], seed: int) -> TFEngine:
    engine = engine_for(spec, n_in, n_out)
    engine.reset(w0, seed, spec)
    return engine


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    result = dbn.run(spec, seed, cd_train, make_engine, threads)
    result["env"] = {"framework": "tf", "version": tf.__version__, "device": "cpu", "threads": threads}
    return result
