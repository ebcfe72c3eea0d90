"""BN at test time: running (moving-average) statistics vs the test batch's own statistics.

Trains with the shared loop, then scores the test set (a) in inference mode (moving statistics) and
(b) in chunks of each test batch size with `training=True` (each chunk normalised by its own
statistics; the spec has no dropout, asserted). params: test_batches (tuple of ints)."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from impls import data, experiment_data, loop
from impls.spec import TrialSpec
from impls.tf_impl import models, train

_FNS: dict[int, Any] = {}


def batch_stat_outputs(net: Any, x: np.ndarray) -> np.ndarray:
    """Outputs with every BN normalising by this batch's statistics. Keras also updates the moving
    statistics in this call; they are not read in training mode and the caller restores them."""
    key = id(net)
    if key not in _FNS:
        sig = tf.TensorSpec([None, x.shape[1]], x.dtype)
        _FNS[key] = tf.function(lambda v: net(v, training=True), input_signature=[sig], autograph=False)
    return np.asarray(_FNS[key](x))


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    params = dict(spec.params)
    assert getattr(spec.model, "dropout", 0.0) == 0.0, "training=True would also switch dropout on"
    split = data.load(spec.data, seed, spec.training.dtype)
    engine, w0 = train.setup(spec, seed, split)
    result = loop.train(spec, seed, split, engine, w0)
    if result["diverged"]:
        return {**result, "env": train.env()}
    kept = engine.export()
    found = result["metrics"]
    found["bn/acc_running"] = found["test/accuracy"]
    for size in params["test_batches"]:
        chunks = experiment_data.test_chunks(len(split.y_test), int(size), seed)
        outs = [batch_stat_outputs(engine.net, split.x_test[c]) for c in chunks]
        found[f"bn/acc_batch@{size}"] = experiment_data.chunked_accuracy(outs, chunks, split.y_test)
    models.load_weights(engine.net, kept)  # put the moving statistics back
    return {**result, "env": train.env()}
