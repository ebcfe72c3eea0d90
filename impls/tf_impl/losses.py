"""Training losses; the per-example definitions match `impls.metrics.head_loss`. Computed in the
model's dtype (Keras' built-in losses would drop float64 models to float32)."""

from __future__ import annotations

import tensorflow as tf


def per_example(out: tf.Tensor, y: tf.Tensor, head: str) -> tf.Tensor:
    """out: (..., k); y: (...) int64 labels or (..., k) targets -> (...) losses. Leading dims are
    (batch,) for one model, (seeds, batch) for a seed-batched stack (impls/*_impl/seedbatch.py)."""
    if head == "softmax":
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=out)
    if head in ("hinge", "squared_hinge"):
        t = 2.0 * tf.one_hot(y, tf.shape(out)[-1], dtype=out.dtype) - 1.0  # one-vs-rest targets in {-1, +1}
        margin = tf.maximum(1.0 - t * out, 0.0)
        return tf.reduce_sum(margin if head == "hinge" else margin**2, axis=-1)
    if head == "mse":
        return tf.reduce_mean((out - y) ** 2, axis=-1)
    raise ValueError(f"unknown head {head!r}")


def head_loss(out: tf.Tensor, y: tf.Tensor, head: str, reduction: str) -> tf.Tensor:
    """out: (batch, k); y: (batch,) int64 labels or (batch, k) targets."""
    per = per_example(out, y, head)
    return tf.reduce_sum(per) if reduction == "sum" else tf.reduce_mean(per)
