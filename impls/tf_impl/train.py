"""TensorFlow trial execution: an `impls.loop.Engine` over a Keras model trained in graph mode
(`tf.function`), and `run_trial`.

Tracing costs 0.3-2.4 s, a step ~1 ms, so engines are cached per worker by everything that shapes
the graph; a new seed assigns new initial weights, resets the optimiser state and re-seeds
dropout instead of retracing."""

from __future__ import annotations

import dataclasses
import importlib
import os
import time
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np
import tensorflow as tf
from tensorflow.python.eager import context
from tensorflow.python.framework.ops import EagerTensor

from impls import data, init, loop
from impls.spec import TrialSpec, structure, validate
from impls.tf_impl import losses, models, optim

_ENGINES: dict[tuple[Any, ...], TFEngine] = {}
_THREADS: list[int] = []


def pin_threads(n: int) -> None:
    """One intra-op thread per CPU the trial was given. TF fixes its pools on first use, so the
    first call wins; later calls with another count raise rather than silently differ."""
    if not _THREADS:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(n)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # already initialised by an earlier TF user in this process
            pass
        _THREADS.append(n)
    elif _THREADS[0] != n:
        raise RuntimeError(f"TF threads are fixed at {_THREADS[0]} in this process; a trial asked for {n}")


def max_norm(kernels: list[tf.Variable], c: float) -> None:
    """Dense kernels are (in, out): column j is unit j's incoming weights. The formula is
    torch.renorm's (scale c / (norm + 1e-7) where norm > c), so both frameworks match; Keras'
    `MaxNorm` constraint would rescale every column by norm / (norm + 1e-7) instead."""
    for k in kernels:
        norm = tf.norm(k, axis=0, keepdims=True)  # (1, out)
        k.assign(k * tf.where(norm > c, c / (norm + 1e-7), tf.ones_like(norm)))


def concrete(fn: Any) -> Any:
    """`fn` (a tf.function with an input signature) called through its concrete function, traced
    on the first call. The arguments are converted to the signature's dtypes, as the concrete
    function's own call converts them, and passed to its flat call (`_call_flat`, TF's internal
    entry, pinned TF): the same graph on the same tensors, without binding the arguments to the
    structured signature first, which cost ~0.2 ms a call (a third of a small step)."""
    traced: list[Any] = []
    dtypes = [s.dtype for s in fn.input_signature]

    def call(*args: Any) -> Any:
        if not traced:
            cf = fn.get_concrete_function()
            # the captures (variable handles) are fixed at tracing unless one is deferred (a callable)
            fixed = not any(callable(c) for c in cf._captured_inputs)
            traced.extend([cf, cf.captured_inputs if fixed else None])
        cf, captured = traced
        tensors = [as_tensor(a, d) for a, d in zip(args, dtypes, strict=True)]
        return cf._call_flat(tensors, cf.captured_inputs if captured is None else captured)

    return call


def as_tensor(a: Any, dtype: tf.DType) -> Any:
    """`tf.convert_to_tensor(a, dtype)`. For a numpy array, the end of that call's own path (a copy,
    since the tensor may share the array's memory, then the EagerTensor of that dtype on the
    current device) without its dispatch layers: 13 us instead of 48 us for a (32, 64) batch."""
    if type(a) is np.ndarray:
        return EagerTensor(a.copy(), context.context().device_name, dtype.as_datatype_enum)
    return tf.convert_to_tensor(a, dtype)


class TFEngine:
    def __init__(self, spec: TrialSpec, n_in: int, n_out: int) -> None:
        t, m = spec.training, spec.model
        self.spec = spec
        dtype = getattr(tf, t.dtype)
        self.net = models.build(m, n_in, n_out, t.dtype)
        frozen = t.frozen
        skip = {id(v) for name, (v, _) in self.net.canonical().items() if frozen and name.startswith(frozen)}
        params = [v for v in self.net.trainable_variables if id(v) not in skip]
        self.opt = optim.make_optimizer(spec.optimizer, params)
        x_sig = tf.TensorSpec([None, n_in], dtype)
        y_sig = tf.TensorSpec([None], tf.int64) if m.head != "mse" else tf.TensorSpec([None, n_out], dtype)

        def loss_fn(x: tf.Tensor, y: tf.Tensor, keep: list[tf.Tensor] | None = None) -> tf.Tensor:
            # Keras' __call__ copies a list argument, so a net asked to fill `keep` is called via .call
            out = self.net(x, training=True) if keep is None else self.net.call(x, training=True, keep=keep)
            loss = losses.head_loss(out, y, m.head, t.loss_reduction)
            extra = getattr(self.net, "extra_loss", None)  # a model's own term (VAE KL), same trace
            extra_term = extra(t.loss_reduction) if extra is not None else None
            if extra_term is not None:
                loss += extra_term
            if t.l2:
                loss += 0.5 * t.l2 * tf.add_n([tf.reduce_sum(k**2) for k in self.net.kernels()])
            return loss

        alpha = spec.optimizer.backstitch

        @tf.function(input_signature=[x_sig, y_sig], autograph=False)
        def step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
            with tf.GradientTape() as tape:
                loss = loss_fn(x, y)
            grads = tape.gradient(loss, params)
            if not alpha:
                self.opt.apply(grads)
            else:
                # backstitch (Wang et al. 2017): w' = w + alpha*lr*g(w); w'' = w' - (1+alpha)*lr*g(w')
                # on the same batch; the second pass draws a fresh dropout mask (as torch's does).
                lr = self.opt.lr
                for p, g in zip(params, grads, strict=True):
                    p.assign_add(alpha * lr * g)
                with tf.GradientTape() as tape2:
                    loss2 = loss_fn(x, y)
                for p, g in zip(params, tape2.gradient(loss2, params), strict=True):
                    p.assign_sub((1.0 + alpha) * lr * g)
            if t.max_norm:
                max_norm(self.net.kernels()[:-1], t.max_norm)
            return loss

        @tf.function(input_signature=[x_sig, y_sig], autograph=False)
        def grad_norms(x: tf.Tensor, y: tf.Tensor) -> list[tf.Tensor]:
            with tf.GradientTape() as tape:
                loss = loss_fn(x, y)
            return [tf.norm(g) for g in tape.gradient(loss, self.net.kernels())]

        @tf.function(input_signature=[x_sig, y_sig], autograph=False)
        def act_grad_vars(x: tf.Tensor, y: tf.Tensor) -> list[tf.Tensor]:
            # Var of dL/dh over (batch, units) per hidden layer's post-activation output h, train mode.
            keep: list[tf.Tensor] = []
            with tf.GradientTape() as tape:
                loss = loss_fn(x, y, keep)
            return [tf.math.reduce_variance(g) for g in tape.gradient(loss, keep)]

        @tf.function(input_signature=[x_sig, y_sig], autograph=False)
        def grads(x: tf.Tensor, y: tf.Tensor) -> list[tf.Tensor]:
            with tf.GradientTape() as tape:
                loss = loss_fn(x, y)
            return tape.gradient(loss, params)

        @tf.function(input_signature=[x_sig], autograph=False)
        def outputs(x: tf.Tensor) -> tf.Tensor:
            return self.net(x, training=False)

        @tf.function(input_signature=[x_sig], autograph=False)
        def activations(x: tf.Tensor) -> list[tf.Tensor]:
            keep: list[tf.Tensor] = []
            self.net.call(x, training=False, keep=keep)  # not __call__: it would fill a copy of keep
            return keep

        # Called through their concrete functions: the same graphs, without tf.function's
        # per-call signature matching (~1 ms a call, as much as a small model's whole step).
        # Each is traced when first used (a probe or experiment may never need it).
        self._step = concrete(step)
        self._grad_norms, self._act_grad_vars, self._grads = map(concrete, (grad_norms, act_grad_vars, grads))
        self._outputs, self._acts = concrete(outputs), concrete(activations)

    def reset(self, weights: dict[str, np.ndarray], seed: int, spec: TrialSpec | None = None) -> None:
        """New initial weights, optimiser state, lr and dropout seed for `spec` (default: the spec
        of the last `engine_for` call, which may differ from the one that built it in lr only)."""
        spec = spec or self.spec
        models.load_weights(self.net, weights)
        self.opt.reset(spec.optimizer.lr)
        self.net.seed_dropout(seed)
        plateau = spec.training.plateau
        self.sched = optim.make_plateau(self.opt, plateau) if plateau is not None else None
        self.epoch = 0

    def set_lr(self, lr: float) -> None:
        self.opt.set_lr(lr)

    def plateau(self, value: float) -> float:
        assert self.sched is not None
        self.sched.on_epoch_end(self.epoch, {"val_monitored": value})
        self.epoch += 1
        return float(self.opt.lr.numpy())

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(self._step(x, y))

    def outputs(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self._outputs(x))

    def grad_norms(self, x: np.ndarray, y: np.ndarray) -> list[float]:
        return [float(g) for g in self._grad_norms(x, y)]

    def act_grad_vars(self, x: np.ndarray, y: np.ndarray) -> list[float]:
        return [float(v) for v in self._act_grad_vars(x, y)]

    def activations(self, x: np.ndarray) -> list[np.ndarray]:
        return [np.asarray(a) for a in self._acts(x)]

    def export(self) -> dict[str, np.ndarray]:
        return models.export_weights(self.net)

    def restore(self, weights: dict[str, np.ndarray]) -> None:
        models.load_weights(self.net, weights)


def engine_for(spec: TrialSpec, n_in: int, n_out: int) -> TFEngine:
    t = spec.training
    # the lr lives in a variable (assigned by reset), so every lr shares one traced step
    opt = dataclasses.replace(spec.optimizer, lr=0.0)
    key = (structure(spec.model), opt, t.dtype, t.l2, t.loss_reduction, t.max_norm, t.frozen, n_in, n_out)
    if key not in _ENGINES:
        if len(_ENGINES) >= 64:  # bound memory in a long-lived worker
            _ENGINES.pop(next(iter(_ENGINES)))
        _ENGINES[key] = TFEngine(spec, n_in, n_out)
    _ENGINES[key].spec = spec
    return _ENGINES[key]


def run_trial(spec: TrialSpec, seed: int, threads: int = 1) -> dict[str, Any]:
    validate(spec)
    pin_threads(threads)
    if spec.experiment != "train":
        experiment = importlib.import_module(f"impls.tf_impl.experiments.{spec.experiment}")
        out: dict[str, Any] = experiment.run(spec, seed, threads)
        return out
    return tune_then_train(spec, seed)


def tune_then_train(spec: TrialSpec, seed: int) -> dict[str, Any]:
    return loop.tune_then_train(spec, seed, _train)


def fresh_engine(spec: TrialSpec, seed: int) -> tuple[TFEngine, data.Split, dict[str, np.ndarray]]:
    """The trial's data split, canonical initial weights and an engine reset to them."""
    split = data.load(spec.data, seed, spec.training.dtype)
    engine, w0 = setup(spec, seed, split)
    return engine, split, w0


def flat_grad(engine: TFEngine, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dtheta over every trainable variable, flattened (train mode), without updating."""
    return np.concatenate([np.asarray(g).reshape(-1).astype(np.float64) for g in engine._grads(x, y)])


def _train(spec: TrialSpec, seed: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    engine, split, w0 = fresh_engine(spec, seed)
    build_s = time.perf_counter() - t0
    result = loop.train(spec, seed, split, engine, w0)
    result["timings"]["build_s"] = build_s
    result["env"] = env()
    return result


def setup(
    spec: TrialSpec, seed: int, split: data.Split, w0: dict[str, np.ndarray] | None = None
) -> tuple[TFEngine, dict[str, np.ndarray]]:
    """The (cached) engine for `split`, reset to the canonical initial weights of `seed` (or to
    `w0`); experiments use it to run the shared loop on their own data."""
    dtype = spec.training.dtype
    n_in = split.x_train.shape[1]
    if w0 is None:
        w0 = init.initial_weights(spec.model, n_in, split.n_outputs, seed, dtype)
    engine = engine_for(spec, n_in, split.n_outputs)
    engine.reset(w0, seed, spec)
    return engine, w0


def env() -> dict[str, Any]:
    return {"framework": "tf", "version": tf.__version__, "device": "cpu", "threads": _THREADS[0]}
