"""`state_grads`: the shared training loop plus the gradient of the loss w.r.t. the hidden state at
every time step (rnn family: the top layer's h_t) or every hidden layer (mlp: its post-activation
output), at initialisation (@0) and after training (@end). Eval mode (no dropout, running norm
statistics) on the loop's probe batch; norms are L2 over (batch, units). Eager: one call per probe.
Params: none. Metrics: `impls.metrics.state_grad_summaries` + everything `run_trial` records."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import tensorflow as tf

from impls import data, init, loop, metrics
from impls.spec import TrialSpec
from impls.tf_impl import losses, train


def state_grad_norms(net: Any, x: np.ndarray, y: np.ndarray, head: str) -> list[float]:
    hs: list[tf.Tensor] = []
    with tf.GradientTape() as tape:
        # net.call, not net(...): Keras' __call__ in eager mode hands `call` copies of list
        # arguments, so the collected tensors never reached `hs` (found by the smoke run).
        if hasattr(net, "steps"):  # rnn: states, mlp: keep
            out = net.call(tf.constant(x), training=False, states=hs)
        else:
            out = net.call(tf.constant(x), training=False, keep=hs)
        loss = losses.head_loss(out, tf.constant(y), head, "mean")
    if not hs:
        raise RuntimeError("the model handed back no hidden states")
    return [float(tf.norm(g)) for g in tape.gradient(loss, hs)]


def probe_batch(spec: TrialSpec, seed: int, split: data.Split) -> tuple[np.ndarray, np.ndarray]:
    """The same probe examples as `impls.loop.train` uses."""
    idx = np.random.default_rng([seed & 0xFFFFFFFFFFFF, 11]).permutation(len(split.x_train))
    idx = idx[: spec.probes.probe_batch]
    return split.x_train[idx], split.y_train[idx]


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    dtype, head = spec.training.dtype, spec.model.head
    split = data.load(spec.data, seed, dtype)
    n_in = split.x_train.shape[1]
    w0 = init.initial_weights(spec.model, n_in, split.n_outputs, seed, dtype)
    engine = train.engine_for(spec, n_in, split.n_outputs)
    engine.reset(w0, seed, spec)
    px, py = probe_batch(spec, seed, split)
    found = metrics.state_grad_summaries(state_grad_norms(engine.net, px, py, head), 0)
    build_s = time.perf_counter() - t0
    result = loop.train(spec, seed, split, engine, w0)
    if not result["diverged"]:
        found.update(metrics.state_grad_summaries(state_grad_norms(engine.net, px, py, head), "end"))
    result["metrics"].update(found)
    result["timings"]["build_s"] = build_s
    result["env"] = {"framework": "tf", "version": tf.__version__, "device": "cpu", "threads": threads}
    return result
