"""Optimisers from `impls.spec.Optimizer`, written as explicit variable updates so that they
follow the published algorithms exactly like torch.optim does. Why not Keras' own: Keras Adam
adds epsilon before bias correction (eps_hat = eps * sqrt(1 - beta2^t)), which differs from the
paper and from torch by up to 30x in the effective epsilon early in training. State lives in
variables, so one traced step function serves every seed (`reset` zeroes it)."""

from __future__ import annotations

import tensorflow as tf

from impls.spec import Optimizer


class TFOptimizer:
    def __init__(self, o: Optimizer, params: list[tf.Variable]) -> None:
        if o.name not in ("sgd", "momentum", "nesterov", "adam"):
            raise ValueError(f"optimizer.name={o.name!r} has no TensorFlow implementation")
        self.o, self.params = o, params
        self.t = tf.Variable(0.0, dtype=params[0].dtype, trainable=False)
        self.m = [tf.Variable(tf.zeros_like(p), trainable=False) for p in params]
        self.v = [tf.Variable(tf.zeros_like(p), trainable=False) for p in params] if o.name == "adam" else []

    def reset(self) -> None:
        self.t.assign(0.0)
        for s in self.m + self.v:
            s.assign(tf.zeros_like(s))

    def apply(self, grads: list[tf.Tensor]) -> None:
        o = self.o
        self.t.assign_add(1.0)
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            if o.name == "sgd":
                p.assign_sub(o.lr * g)
            elif o.name in ("momentum", "nesterov"):  # torch form: b = m*b + g
                b = self.m[i].assign(o.momentum * self.m[i] + g)
                p.assign_sub(o.lr * (g + o.momentum * b if o.name == "nesterov" else b))
            else:  # Adam (Kingma & Ba 2015, Algorithm 1), epsilon after bias correction
                m = self.m[i].assign(o.beta1 * self.m[i] + (1.0 - o.beta1) * g)
                v = self.v[i].assign(o.beta2 * self.v[i] + (1.0 - o.beta2) * g * g)
                m_hat = m / (1.0 - o.beta1**self.t)
                v_hat = v / (1.0 - o.beta2**self.t)
                p.assign_sub(o.lr * m_hat / (tf.sqrt(v_hat) + o.eps))


def make_optimizer(o: Optimizer, params: list[tf.Variable]) -> TFOptimizer:
    return TFOptimizer(o, params)
