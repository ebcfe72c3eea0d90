"""Optimisers from `impls.spec.Optimizer` (the updates are written out in its docstring), as
explicit variable updates that follow the published algorithms exactly like torch.optim does.
Why not Keras' own: Keras Adam adds epsilon before bias correction (eps_hat = eps*sqrt(1-beta2^t),
up to 30x off early in training); Keras Adagrad and RMSprop put epsilon inside the square root;
Keras Adadelta's default lr is 0.001 where the paper (and torch) use 1.0; Keras Adagrad starts its
accumulator at 0.1. State and the learning rate live in variables, so one traced step function
serves every seed and every lr (`reset` zeroes the state and assigns the lr).

`defaults="framework"` builds Keras' own optimiser with Keras' defaults instead (claims about the
frameworks' out-of-the-box behaviour); its initial state is snapshotted and restored by `reset`."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from impls.spec import OPTIMISERS, Optimizer, Plateau

KERAS_DEFAULTS = {
    "sgd": "SGD",
    "momentum": "SGD",
    "nesterov": "SGD",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "rmsprop": "RMSprop",
    "adam": "Adam",
}


class TFOptimizer:
    def __init__(self, o: Optimizer, params: list[tf.Variable]) -> None:
        if o.name not in OPTIMISERS:
            raise ValueError(f"optimizer.name={o.name!r} has no TensorFlow implementation")
        self.o, self.params = o, params
        dtype = params[0].dtype
        self.keras: keras.optimizers.Optimizer | None = None
        if o.defaults == "framework":
            cls = getattr(keras.optimizers, KERAS_DEFAULTS[o.name])
            kw = (
                {"momentum": o.momentum, "nesterov": o.name == "nesterov"}
                if o.name in ("momentum", "nesterov")
                else {}
            )
            self.keras = cls(**kw)
            self.keras.build(params)
            self.lr = self.keras.learning_rate
            self._initial = [np.asarray(v.numpy()) for v in self.keras.variables]
            return
        self.lr = tf.Variable(o.lr, dtype=dtype, trainable=False)
        self.t = tf.Variable(0.0, dtype=dtype, trainable=False)

        def slots(n: int) -> list[list[tf.Variable]]:
            return [[tf.Variable(tf.zeros_like(p), trainable=False) for p in params] for _ in range(n)]

        n_slots = {"sgd": 0, "momentum": 1, "nesterov": 1, "adagrad": 1, "rmsprop": 1}.get(o.name, 2)
        n_slots += o.name == "adamod"
        self.slots = slots(n_slots)

    def reset(self, lr: float) -> None:
        if self.keras is not None:  # Keras' own: back to its initial state (its own default lr)
            for v, init in zip(self.keras.variables, self._initial, strict=True):
                v.assign(init)
            return
        self.lr.assign(lr)
        self.t.assign(0.0)
        start = self.o.initial_accumulator if self.o.name == "adagrad" else 0.0
        for group in self.slots:
            for s in group:
                # tf.constant in the slot dtype: tf.cast(0.1, float64) would go through float32 (1.5e-9 off)
                s.assign(tf.fill(tf.shape(s), tf.constant(start, dtype=s.dtype)))

    def set_lr(self, lr: float) -> None:
        self.lr.assign(lr)

    def apply(self, grads: list[tf.Tensor]) -> None:
        if self.keras is not None:
            self.keras.apply_gradients(zip(grads, self.params, strict=True))
            return
        o, lr = self.o, self.lr
        t = self.t.assign_add(1.0)
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            s = [group[i] for group in self.slots]
            if o.name == "sgd":
                p.assign_sub(lr * g)
            elif o.name in ("momentum", "nesterov"):  # torch form: b = m*b + g
                b = s[0].assign(o.momentum * s[0] + g)
                p.assign_sub(lr * (g + o.momentum * b if o.name == "nesterov" else b))
            elif o.name == "adagrad":  # eps outside the root (torch), not Keras' sqrt(G + eps)
                acc = s[0].assign_add(g * g)
                p.assign_sub(lr * g / (tf.sqrt(acc) + o.eps))
            elif o.name == "rmsprop":  # uncentred, eps outside the root (torch), not Keras' placement
                v = s[0].assign(o.rho * s[0] + (1.0 - o.rho) * g * g)
                p.assign_sub(lr * g / (tf.sqrt(v) + o.eps))
            elif o.name == "adadelta":  # Zeiler 2012; eps inside both roots (as torch and Keras)
                v = s[0].assign(o.rho * s[0] + (1.0 - o.rho) * g * g)
                d = tf.sqrt(s[1] + o.eps) / tf.sqrt(v + o.eps) * g
                s[1].assign(o.rho * s[1] + (1.0 - o.rho) * d * d)
                p.assign_sub(lr * d)
            else:  # adam, adam_nobc, adamod
                m = s[0].assign(o.beta1 * s[0] + (1.0 - o.beta1) * g)
                v = s[1].assign(o.beta2 * s[1] + (1.0 - o.beta2) * g * g)
                if o.name == "adam_nobc":
                    p.assign_sub(lr * m / (tf.sqrt(v) + o.eps))
                    continue
                m_hat = m / (1.0 - o.beta1**t)
                v_hat = v / (1.0 - o.beta2**t)
                if o.name == "adam":  # Kingma & Ba 2015, Algorithm 1
                    p.assign_sub(lr * m_hat / (tf.sqrt(v_hat) + o.eps))
                    continue
                eta = lr / (tf.sqrt(v_hat) + o.eps)  # AdaMod (Ding et al. 2019, Algorithm 1)
                smooth = s[2].assign(o.beta3 * s[2] + (1.0 - o.beta3) * eta)
                p.assign_sub(tf.minimum(eta, smooth) * m_hat)


def make_optimizer(o: Optimizer, params: list[tf.Variable]) -> TFOptimizer:
    return TFOptimizer(o, params)


class _OptimizerShim:
    """What keras.callbacks.ReduceLROnPlateau touches: `model.optimizer.learning_rate`."""

    def __init__(self, opt: TFOptimizer) -> None:
        self._opt = opt

    @property
    def learning_rate(self) -> float:
        return float(self._opt.lr.numpy())

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self._opt.set_lr(value)


class _ModelShim:
    def __init__(self, opt: TFOptimizer) -> None:
        self.optimizer = _OptimizerShim(opt)


def make_plateau(opt: TFOptimizer, p: Plateau) -> keras.callbacks.ReduceLROnPlateau:
    """Keras' own callback with spec.Plateau's semantics. Differences from torch's scheduler,
    read from both sources (keras/src/callbacks/reduce_lr_on_plateau.py, torch/optim/lr_scheduler.py):
    - patience: Keras reduces when `wait >= patience`, torch when `num_bad_epochs > patience`, so
      Keras gets patience + 1 here;
    - threshold: Keras' min_delta is absolute (value < best - min_delta); torch defaults to a
      relative one, so torch is set to threshold_mode="abs";
    - cooldown: Keras decrements the cooldown counter BEFORE testing, so the last cooldown epoch
      already counts as a bad one; torch resets the bad count on every cooldown epoch. With
      cooldown c > 0 Keras may reduce one epoch earlier (not corrected; claims use cooldown 0);
    - min_lr: torch skips a reduction smaller than 1e-8, Keras one where lr <= float32(min_lr)."""
    cb = keras.callbacks.ReduceLROnPlateau(
        monitor="val_monitored",
        factor=p.factor,
        patience=p.patience + 1,
        mode="min",
        min_delta=p.threshold,
        cooldown=p.cooldown,
        min_lr=p.min_lr,
    )
    cb.set_model(_ModelShim(opt))
    cb.on_train_begin()
    return cb
