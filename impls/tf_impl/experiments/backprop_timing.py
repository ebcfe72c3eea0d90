"""Wall time of a forward pass vs a forward+backward pass of an MLP, in one process (TF sibling of
impls/torch_impl/experiments/backprop_timing.py: same params, same interleaving, same metrics).
Forward = eval-mode call; forward+backward = train-mode call, loss and tape.gradient w.r.t. all
trainable variables (no optimiser update). Both are tf.functions traced before timing: graph mode
is how TF trains (torch runs eagerly) — an intentional difference, part of what is measured."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import tensorflow as tf

from impls import flops, init
from impls.spec import MLP, TrialSpec
from impls.tf_impl import losses, models
from impls.timing import DEFAULTS, interleave, summarise


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    p = {**DEFAULTS, **dict(spec.params)}
    m, dtype = spec.model, spec.training.dtype
    assert isinstance(m, MLP)
    batch, n_in, n_out = int(p["batch"]), int(p["n_in"]), int(p["n_out"])
    rng = np.random.default_rng([seed & 0xFFFFFFFFFFFF, 5])
    x = tf.constant(rng.normal(size=(batch, n_in)).astype(dtype))
    y = tf.constant(rng.integers(0, n_out, batch).astype(np.int64))
    net = models.build(m, n_in, n_out, dtype)
    models.load_weights(net, init.initial_weights(m, n_in, n_out, seed, dtype))
    params = net.trainable_variables

    # Each returns a scalar that depends on every output/gradient, so graph pruning keeps all the
    # work and .numpy() waits for it (torch's eager CPU ops are synchronous) without copying arrays.
    @tf.function(autograph=False)
    def fwd_fn() -> tf.Tensor:
        return tf.reduce_sum(net(x, training=False))

    @tf.function(autograph=False)
    def fb_fn() -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = losses.head_loss(net(x, training=True), y, m.head, "mean")
        return tf.add_n([tf.reduce_sum(g) for g in tape.gradient(loss, params)])

    def fwd() -> Any:
        return fwd_fn().numpy()

    def fb() -> Any:
        return fb_fn().numpy()

    fl = flops.mlp_flops(m, n_in, n_out, batch)
    inner = max(1, round(float(p["block_flops"]) / fl[0]))
    t0 = time.perf_counter()
    t_f, t_fb = interleave(fwd, fb, int(p["reps"]), int(p["warmup"]), inner)
    env = {"framework": "tf", "version": tf.__version__, "device": "cpu", "threads": threads}
    return {
        "metrics": summarise(t_f, t_fb, inner, fl),
        "curves": {},
        "diverged": False,
        "timings": {"train_s": time.perf_counter() - t0},
        "env": env,
    }
