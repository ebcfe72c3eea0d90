"""Seed-batched training equals sequential seeds, in each framework: every metric and curve
point of `run_seed_batch(spec, seeds)` against `run_trial(spec, seed)` per seed, in float64.
Measured worst relative differences (3 seeds, 3 epochs): 2e-16 torch SGD/Adam, 2e-15 TF SGD;
6e-16 both frameworks with batch norm (before/after), layer norm, residual and highway+batch norm;
the tolerances below leave room for summation-order effects growing over training."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

import numpy as np
import pytest

from impls.spec import MLP, Data, Init, Optimizer, Probes, Training, TrialSpec
from tests.parity.seedbatch_check import stacked_and_sequential

pytestmark = pytest.mark.frameworks

SEEDS = [3, 11, 42]
CASES = {
    # name: (optimizer, training, head, tolerance)
    "sgd": (Optimizer("sgd", lr=0.05), Training(epochs=3, batch_size=32), "softmax", 1e-10),
    "nesterov": (Optimizer("nesterov", lr=0.02, momentum=0.9), Training(epochs=2), "softmax", 1e-10),
    "sgd-hinge-l2-cosine": (
        Optimizer("sgd", lr=0.05),
        Training(epochs=2, batch_size=40, l2=1e-3, schedule="cosine", eval_every=7, max_steps=20),
        "hinge",
        1e-10,
    ),
    "adam": (Optimizer("adam", lr=3e-3), Training(epochs=3, report_epochs=(1,)), "softmax", 1e-6),
}
MOMENTUM = Optimizer("momentum", lr=0.05, momentum=0.9)
# name: (model, optimizer, training); batch norm's running statistics reach every eval-mode metric
WIDE_CASES = {
    "batch-norm-before": (MLP(depth=3, width=16, norm="batch"), MOMENTUM, Training(epochs=3, l2=1e-4)),
    "batch-norm-after": (
        MLP(depth=3, width=16, activation="tanh", norm="batch", norm_position="after", bn_momentum=0.3),
        Optimizer("adam", lr=3e-3),
        Training(epochs=3, batch_size=25),
    ),
    "layer-norm": (
        MLP(depth=3, width=16, activation="tanh", norm="layer", norm_eps=1e-3),
        MOMENTUM,
        Training(),
    ),
    "residual": (MLP(depth=3, width=16, residual=True), MOMENTUM, Training(epochs=3, schedule="cosine")),
    "highway-batch-norm": (  # as highway-vs-residual runs it
        MLP(depth=4, width=16, init=Init("he_normal"), norm="batch", highway=True, highway_gate_bias=-2.0),
        MOMENTUM,
        Training(epochs=3, l2=1e-4),
    ),
    # test/loss 0.6: seeds 3 and 42 reach it (step 35), 11 never (censored at step 40); train/loss
    # 0.35: 3 and 42 reach it at the last evaluation, 11 never (steps_to_target = steps + 1)
    "targets": (
        MLP(depth=2, width=16, activation="tanh"),
        MOMENTUM,
        Training(epochs=4, eval_every=5, target=("test/loss", 0.6), target_loss=0.35),
    ),
    "probes": (MLP(depth=3, width=16, activation="tanh"), MOMENTUM, Training(epochs=2)),
    # each seed's masks from its own stream, in its sequential run's order (steps, then probes)
    "dropout": (MLP(depth=3, width=16, dropout=0.3, input_dropout=0.2), MOMENTUM, Training(epochs=2)),
    "alpha-dropout": (
        MLP(
            depth=3, width=16, activation="selu", init=Init("lecun_normal"), dropout=0.1, dropout_kind="alpha"
        ),
        MOMENTUM,
        Training(epochs=2),
    ),
    # backstitch's second forward/backward draws fresh masks and moves batch norm's statistics again
    "backstitch-dropout-batch-norm": (
        MLP(depth=3, width=16, dropout=0.2, norm="batch"),
        Optimizer("sgd", lr=0.05, backstitch=0.3),
        Training(epochs=2),
    ),
    # the train-mode probes move the running statistics, which the eval-mode ones then read
    "probes-batch-norm": (MLP(depth=3, width=16, norm="batch"), MOMENTUM, Training(epochs=2, eval_every=4)),
}
AT = (0, 3, 10, -1)  # before training, two steps, after the last update
PROBES = {
    "probes": Probes(grad_norms_at=AT, activation_stats_at=AT, act_grad_var_at=AT, probe_batch=50),
    "probes-batch-norm": Probes(grad_norms_at=AT, activation_stats_at=AT, act_grad_var_at=AT),
    "dropout": Probes(grad_norms_at=AT, act_grad_var_at=AT),  # train-mode calls draw masks too
}


def _spec(case: str) -> TrialSpec:
    opt, training, head, _ = CASES[case]
    return TrialSpec(
        data=Data("digits", n_train=300),
        model=MLP(depth=2, width=16, activation="tanh", head=head),
        optimizer=opt,
        training=dataclasses.replace(training, dtype="float64"),
        probes=Probes(weight_change=True, weight_norms=True, curve_stats=not training.eval_every),
    )


def _close(got: Any, want: Any, tol: float, where: str) -> None:
    a, b = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert a.shape == b.shape, where
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol * 1e-3, err_msg=where)


def _model_spec(case: str) -> TrialSpec:
    model, opt, training = WIDE_CASES[case]
    probes = PROBES.get(case, Probes())
    return TrialSpec(
        data=Data("digits", n_train=300),
        model=model,
        optimizer=opt,
        training=dataclasses.replace(training, dtype="float64"),
        probes=dataclasses.replace(
            probes, weight_change=True, weight_norms=True, curve_stats=not training.eval_every
        ),
    )


@pytest.mark.parametrize("framework", ["torch", "tf"])
@pytest.mark.parametrize("case", list(CASES))
def test_seed_batch_equals_sequential_seeds(framework: str, case: str) -> None:
    _check(framework, _spec(case), CASES[case][3])


@pytest.mark.parametrize("framework", ["torch", "tf"])
@pytest.mark.parametrize("case", list(WIDE_CASES))
def test_seed_batch_equals_sequential_seeds_wide(framework: str, case: str) -> None:
    _check(framework, _model_spec(case), 1e-10)


def _check(framework: str, spec: TrialSpec, tol: float) -> None:
    batched = [got for got, _ in stacked_and_sequential(framework, spec, SEEDS, tol)]
    if spec.probes.grad_norms_at:
        assert "probe/grad_norm/layer3@end" in batched[0]["metrics"]
        assert "probe/act_grad_var/layer2@3" in batched[0]["metrics"]
    if spec.training.target is not None:  # reached by some seeds and not by others
        assert {r["metrics"]["target/reached"] for r in batched} == {0.0, 1.0}
        assert len({r["metrics"]["target/steps"] for r in batched}) == 2
        assert len({r["metrics"]["train/steps_to_target"] for r in batched}) == 2


@pytest.mark.parametrize("framework", ["torch", "tf"])
def test_ineligible_spec_raises_not_batchable(framework: str) -> None:
    from impls.seedbatch import NotBatchable

    impl = importlib.import_module(f"impls.{framework}_impl")
    spec = TrialSpec(data=Data("digits", n_train=100), model=MLP(), training=Training(max_norm=3.0))
    with pytest.raises(NotBatchable, match="max_norm"):
        impl.run_seed_batch(spec, SEEDS)


@pytest.mark.parametrize("framework", ["torch", "tf"])
def test_lr_tuning_seed_batched_equals_sequential(framework: str) -> None:
    """Tuning runs stacked per lr, evaluation runs stacked per chosen lr: each seed's tune/lr and
    every metric as `loop.tune_then_train` gives it. The lrs are chosen so that the seeds do not
    all pick the same one (the evaluation runs then form more than one stack)."""
    from impls.spec import Tuning

    impl = importlib.import_module(f"impls.{framework}_impl")
    seeds = [3, 11, 42, 7]
    spec = dataclasses.replace(
        _spec("sgd"),
        data=Data("digits", n_train=300, val_fraction=0.2),
        optimizer=Optimizer("adam", lr=1.0),
        training=Training(epochs=2, batch_size=32, dtype="float64", tuning=Tuning(lrs=(1e-3, 0.1, 0.15))),
    )
    batched = impl.run_seed_batch(spec, seeds)
    for seed, got in zip(seeds, batched, strict=True):
        want = impl.run_trial(spec, seed)
        assert (
            got["metrics"].keys() == want["metrics"].keys() and got["curves"].keys() == want["curves"].keys()
        )
        assert got["metrics"]["tune/lr"] == want["metrics"]["tune/lr"]
        for k, v in want["metrics"].items():
            _close(got["metrics"][k], v, 1e-6, f"{framework}/tuned/seed {seed}: {k}")
        for k, v in want["curves"].items():
            _close(got["curves"][k], v, 1e-6, f"{framework}/tuned/seed {seed}: curve {k}")
        assert got["timings"]["tune_s"] > 0
    chosen = [r["metrics"]["tune/lr"] for r in batched]
    assert len(set(chosen)) > 1, chosen
    assert [r["env"]["seed_batch"] for r in batched] == [chosen.count(lr) for lr in chosen]


@pytest.mark.parametrize("framework", ["torch", "tf"])
def test_contrast_seed_batched_equals_sequential(framework: str) -> None:
    """The contrast experiment's two arms (here no dropout vs dropout) each as one stack: every
    control/, treatment/ and contrast/ metric as `contrast.run` gives it per seed."""
    impl = importlib.import_module(f"impls.{framework}_impl")
    spec = TrialSpec(
        data=Data("digits", n_train=300),
        model=MLP(depth=2, width=16, activation="tanh"),
        optimizer=MOMENTUM,
        training=Training(epochs=2, dtype="float64"),
        experiment="contrast",
        params=(("field", "model.dropout"), ("values", (0.0, 0.3))),
    )
    batched = impl.run_seed_batch(spec, SEEDS)
    for seed, got in zip(SEEDS, batched, strict=True):
        want = impl.run_trial(spec, seed)
        assert got["metrics"].keys() == want["metrics"].keys() and "contrast/test/loss" in want["metrics"]
        for k, v in want["metrics"].items():
            if not k.endswith("step_s"):
                _close(got["metrics"][k], v, 1e-10, f"{framework}/contrast/seed {seed}: {k}")
        assert got["env"]["mode"] == "seedbatch"
