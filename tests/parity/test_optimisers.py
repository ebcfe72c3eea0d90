"""Trajectory rung for the optimisers, backstitch and lr schedules: the same canonical weights and
the same batches in float64, k updates in each framework, parameters compared after every run.

Tolerances were measured (max |w_torch - w_tf| over all parameters after K updates) and set with
~100x headroom; the observed figure is beside each case. Keras' own optimisers (defaults="framework")
are deliberately NOT compared: they follow Keras' published defaults and epsilon placement."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from impls import data, init
from impls.spec import MLP, Data, Init, Optimizer, Plateau, Training, TrialSpec

pytestmark = pytest.mark.frameworks

K = 20
BASE = TrialSpec(
    data=Data("digits", n_train=256),
    model=MLP(depth=2, width=16, activation="tanh", init=Init("glorot_uniform")),
    training=Training(batch_size=32, dtype="float64"),
)
# Measured max |w_torch - w_tf| after K updates (float64): sgd, momentum, nesterov, backstitch,
# schedules, adadelta, adagrad <= 2.2e-16; adam 1.0e-15; adamod 2.1e-15; adam_nobc 2.0e-14;
# rmsprop 2.7e-14. Tolerance 1e-12 for all (>= 37x headroom). Adagrad once measured 7e-10: the TF
# accumulator started at float32(0.1) - the rung caught it.
CASES: dict[str, tuple[Optimizer, dict[str, Any], float]] = {  # name -> (optimizer, overrides, tolerance)
    "sgd": (Optimizer("sgd", lr=0.1), {}, 1e-12),
    "momentum": (Optimizer("momentum", lr=0.05, momentum=0.9), {}, 1e-12),
    "nesterov": (Optimizer("nesterov", lr=0.05, momentum=0.9), {}, 1e-12),
    "adagrad": (Optimizer("adagrad", lr=0.05, eps=1e-10, initial_accumulator=0.1), {}, 1e-12),
    "adadelta": (Optimizer("adadelta", lr=1.0, rho=0.9, eps=1e-6), {}, 1e-12),
    "rmsprop": (Optimizer("rmsprop", lr=0.01, rho=0.99, eps=1e-8), {}, 1e-12),
    "adam": (Optimizer("adam", lr=0.01), {}, 1e-12),
    "adam_nobc": (Optimizer("adam_nobc", lr=0.01), {}, 1e-12),
    "adamod": (Optimizer("adamod", lr=0.01, beta3=0.999), {}, 1e-12),
    "backstitch": (Optimizer("sgd", lr=0.1, backstitch=0.3), {}, 1e-12),
    "sgd-step-schedule": (
        Optimizer("sgd", lr=0.1),
        {"schedule": "step", "step_every": 1, "step_gamma": 0.5},
        1e-12,
    ),
    "sgd-cosine": (Optimizer("sgd", lr=0.1), {"schedule": "cosine"}, 1e-12),
}


def _trajectory(framework: str, spec: TrialSpec, seed: int = 3) -> dict[str, np.ndarray]:
    split = data.load(spec.data, seed, "float64")
    n_in, n_out = split.x_train.shape[1], split.n_outputs
    w0 = init.initial_weights(spec.model, n_in, n_out, seed, "float64")
    order = [b for epoch in data.batches(len(split.x_train), 32, 3, seed) for b in epoch][:K]
    if framework == "torch":
        from impls.torch_impl import models, train

        net = models.build(spec.model, n_in, n_out, "float64")
        models.load_weights(net, w0)
        engine: object = train.TorchEngine(spec, net)
    else:
        from impls.tf_impl import train as tft

        tf_engine = tft.engine_for(spec, n_in, n_out)
        tf_engine.reset(w0, seed, spec)
        engine = tf_engine
    from impls import loop

    for i, idx in enumerate(order):
        if spec.training.schedule != "constant":
            engine.set_lr(loop.scheduled_lr(spec, i // 8, i, K))  # type: ignore[attr-defined]
        engine.step(split.x_train[idx], split.y_train[idx])  # type: ignore[attr-defined]
    return engine.export()  # type: ignore[attr-defined]


def _gap(spec: TrialSpec) -> float:
    a, b = _trajectory("torch", spec), _trajectory("tf", spec)
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


@pytest.mark.parametrize("case", sorted(CASES))
def test_trajectory_matches(case: str) -> None:
    opt, overrides, tol = CASES[case]
    spec = dataclasses.replace(BASE, optimizer=opt, training=dataclasses.replace(BASE.training, **overrides))
    moved = _trajectory("torch", spec)
    w0 = init.initial_weights(spec.model, 64, 10, 3, "float64")
    assert max(float(np.max(np.abs(moved[k] - w0[k]))) for k in w0) > 1e-3  # it trained at all
    assert _gap(spec) < tol


def test_every_optimiser_is_on_the_rung() -> None:
    from impls.spec import OPTIMISERS

    assert {CASES[c][0].name for c in CASES} == set(OPTIMISERS)


def test_a_wrong_update_is_caught() -> None:
    """The rung can fail: AdaMod with another beta3 in one framework drifts far outside the band."""
    spec = dataclasses.replace(BASE, optimizer=Optimizer("adamod", lr=0.01, beta3=0.999))
    other = dataclasses.replace(BASE, optimizer=Optimizer("adamod", lr=0.01, beta3=0.99))
    a, b = _trajectory("torch", spec), _trajectory("tf", other)
    assert max(float(np.max(np.abs(a[k] - b[k]))) for k in a) > 1e-6


def test_plateau_schedules_agree() -> None:
    """torch's ReduceLROnPlateau and Keras' callback (patience mapped, absolute threshold) give the
    same lr sequence on the same monitored values."""
    from impls.tf_impl import train as tft
    from impls.torch_impl import models, train

    p = Plateau(factor=0.5, patience=2, threshold=0.01, cooldown=0, min_lr=0.01)
    spec = dataclasses.replace(BASE, training=dataclasses.replace(BASE.training, plateau=p))
    net = models.build(spec.model, 64, 10, "float64")
    te = train.TorchEngine(spec, net)
    fe = tft.engine_for(spec, 64, 10)
    fe.reset(init.initial_weights(spec.model, 64, 10, 0, "float64"), 0)  # spec from engine_for
    values = [1.0, 0.9, 0.895, 0.893, 0.891, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]
    lrs_t = [te.plateau(v) for v in values]
    lrs_f = [fe.plateau(v) for v in values]
    assert lrs_t == pytest.approx(lrs_f, rel=1e-6)
    assert lrs_t[-1] < lrs_t[0]  # it did reduce
