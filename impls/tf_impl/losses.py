"""Training losses; the per-example definitions match `impls.metrics.head_loss`. Computed in the
model's dtype (Keras' built-in losses would drop float64 models to float32)."""

from __future__ import annotations

import tensorflow as tf


def head_loss(out: tf.Tensor, y: tf.Tensor, head: str, reduction: str) -> tf.Tensor:
    """out: (batch, k); y: (batch,) int64 labels or (batch, k) targets."""
    if head == "softmax":
        per = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=out)
    elif head in ("hinge", "squared_hinge"):
        t = 2.0 * tf.one_hot(y, tf.shape(out)[1], dtype=out.dtype) - 1.0  # one-vs-rest targets in {-1, +1}
        margin = tf.maximum(1.0 - t * out, 0.0)
        per = tf.reduce_sum(margin if head == "hinge" else margin**2, axis=1)
    elif head == "mse":
        per = tf.reduce_mean((out - y) ** 2, axis=1)
    else:
        raise ValueError(f"unknown head {head!r}")
    return tf.reduce_sum(per) if reduction == "sum" else tf.reduce_mean(per)
