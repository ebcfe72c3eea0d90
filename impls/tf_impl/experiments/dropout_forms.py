"""Original vs inverted dropout on shared numpy masks (see `impls.dropout_forms`), in TensorFlow.
The net is written out (not keras.layers.Dropout) so both forms and their masks are explicit;
one traced SGD step per form."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import tensorflow as tf

from impls import dropout_forms as shared
from impls.spec import TrialSpec

Params = dict[str, tf.Variable]


def forward(p: Params, x: tf.Tensor, depth: int, form: str, keep: list[float], masks: Any) -> tf.Tensor:
    """masks: per site (batch, features) tensors in training, None at test time."""
    h = x
    for site in range(depth + 1):
        q = keep[site]
        if masks is not None:
            h = h * masks[site] / q if form == "inverted" else h * masks[site]
        elif form == "original":
            h = h * q
        if site < depth:
            h = tf.nn.relu(h @ p[f"hidden{site}/kernel"] + p[f"hidden{site}/bias"])
    return h @ p["head/kernel"] + p["head/bias"]


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    s = shared.setup(spec, seed)
    depth = spec.model.depth  # type: ignore[attr-defined]
    forms = {"inverted": (s.w0, dict.fromkeys(s.w0, s.lr_inv)), "original": (s.w0_orig, s.lr)}
    params = {f: {k: tf.Variable(v) for k, v in w.items()} for f, (w, _) in forms.items()}
    losses: dict[str, list[float]] = {"inverted": [], "original": []}
    xs, ys = s.split.x_train, s.split.y_train

    def make_step(form: str) -> Any:
        p, lr = params[form], forms[form][1]

        @tf.function(reduce_retracing=True, autograph=False)
        def step(x: tf.Tensor, y: tf.Tensor, masks: list[tf.Tensor]) -> tf.Tensor:
            with tf.GradientTape() as tape:
                logits = forward(p, x, depth, form, s.keep, masks)
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            for (k, v), g in zip(p.items(), tape.gradient(loss, list(p.values())), strict=True):
                v.assign_sub(lr[k] * g)
            return loss

        return step

    steps = {f: make_step(f) for f in forms}
    for idx, masks in zip(s.order, s.masks, strict=True):
        x, y, m = tf.constant(xs[idx]), tf.constant(ys[idx]), [tf.constant(a) for a in masks]
        for form in forms:
            losses[form].append(float(steps[form](x, y, m)))
    xt = tf.constant(s.split.x_test)
    test = {f: tf.nn.softmax(forward(params[f], xt, depth, f, s.keep, None)).numpy() for f in forms}
    metrics = shared.summarise(s, losses["inverted"], losses["original"], test["inverted"], test["original"])
    curves = {f"{f}/batch_loss": [[i + 1, v] for i, v in enumerate(losses[f])] for f in forms}
    return {
        "metrics": metrics,
        "curves": curves,
        "diverged": not all(np.isfinite(v) for v in metrics.values()),
        "timings": {"train_s": time.perf_counter() - t0},
        "env": {"framework": "tf", "version": tf.__version__, "device": "cpu", "threads": threads},
    }
