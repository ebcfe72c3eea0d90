"""Keras' built-in accuracy metrics on fixed predictions vs the note's formula (see
`impls.accuracy_cases`): the metric classes `BinaryAccuracy(threshold=0.5)`,
`CategoricalAccuracy`, `SparseCategoricalAccuracy` (their means), their per-example functions, and
the string "accuracy" given to `compile`, which Keras resolves from the loss (binary_crossentropy ->
binary accuracy, categorical_crossentropy -> categorical, sparse_... -> sparse). Also recorded:
`keras.metrics.Accuracy` on the same probabilities, which counts exact equality of prediction and
label (not rounding, not argmax) -- a different metric despite its name."""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from impls import accuracy_cases
from impls.spec import TrialSpec


def _compiled_accuracy(loss: str, p: np.ndarray, y: np.ndarray) -> float:
    """`compile(loss=..., metrics=["accuracy"])` on an identity model whose outputs are `p`."""
    inp = keras.Input((p.shape[1],))
    model = keras.Model(inp, keras.layers.Identity()(inp))
    model.compile(loss=loss, metrics=["accuracy"])
    out = model.evaluate(p, y, batch_size=len(p), verbose=0, return_dict=True)
    return float(out["accuracy"])


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    c = accuracy_cases.make(seed)
    y_onehot = np.eye(c.p_cat.shape[1], dtype=np.float32)[c.y_cat]
    m = keras.metrics
    per = {
        "binary": m.binary_accuracy(c.y_bin, c.p_bin, threshold=0.5),
        "categorical": m.categorical_accuracy(y_onehot, c.p_cat),
        "sparse_categorical": m.sparse_categorical_accuracy(c.y_cat, c.p_cat),
    }
    classes = {
        "binary": (m.BinaryAccuracy(threshold=0.5), c.y_bin, c.p_bin),
        "categorical": (m.CategoricalAccuracy(), y_onehot, c.p_cat),
        "sparse_categorical": (m.SparseCategoricalAccuracy(), c.y_cat, c.p_cat),
    }
    means = {}
    for name, (metric, y, p) in classes.items():
        metric.update_state(y, p)
        means[name] = float(metric.result())
    out = accuracy_cases.compare(c, {k: np.asarray(v) for k, v in per.items()}, means)
    ref = accuracy_cases.reference(c)
    compiled = {
        "binary": _compiled_accuracy("binary_crossentropy", c.p_bin, c.y_bin),
        "categorical": _compiled_accuracy("categorical_crossentropy", c.p_cat, y_onehot),
        "sparse_categorical": _compiled_accuracy("sparse_categorical_crossentropy", c.p_cat, c.y_cat),
    }
    for name, v in compiled.items():
        out[f"compile_mean_diff/{name}"] = float(abs(v - ref[name].mean()) * accuracy_cases.N)
    exact = m.Accuracy()
    exact.update_state(c.y_bin, c.p_bin)
    out["keras_Accuracy/binary_probs"] = float(exact.result())
    return {
        "metrics": out,
        "curves": {},
        "diverged": False,
        "timings": {"train_s": time.perf_counter() - t0},
        "env": {"framework": "tf", "version": tf.__version__, "device": "cpu", "threads": threads},
    }
