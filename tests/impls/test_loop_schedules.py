"""Framework-free tests of the loop features added for the optimiser claims: lr schedules, the
plateau hook, targets, per-epoch reports, lr tuning, the measurement helpers and the sparse data."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from impls import data, loop, measure
from impls.spec import MLP, Data, EarlyStopping, Optimizer, Plateau, Training, TrialSpec, Tuning, validate

SPEC = TrialSpec(
    data=Data("digits", n_train=64), model=MLP(depth=1, width=4), optimizer=Optimizer("sgd", lr=0.4)
)


class FakeEngine:
    """Loss = 1 / (1 + updates); outputs favour class 0 more with every update."""

    def __init__(self) -> None:
        self.n, self.lrs, self.fed = 0, [], []  # type: ignore[var-annotated]

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        self.n += 1
        return 1.0 / self.n

    def outputs(self, x: np.ndarray) -> np.ndarray:
        out = np.zeros((len(x), 10))
        out[:, 0] = 0.1 * self.n
        return out

    def grad_norms(self, x: np.ndarray, y: np.ndarray) -> list[float]:
        return [1.0]

    def activations(self, x: np.ndarray) -> list[np.ndarray]:
        return []

    def export(self) -> dict[str, np.ndarray]:
        return {}

    def set_lr(self, lr: float) -> None:
        self.lrs.append(lr)

    def plateau(self, value: float) -> float:
        self.fed.append(value)
        return 0.01


def _train(spec: TrialSpec, engine: FakeEngine) -> dict[str, Any]:
    split = data.load(spec.data, 0)
    return loop.train(spec, 0, split, engine, {})


def test_step_and_cosine_schedules() -> None:
    step = dataclasses.replace(SPEC, training=Training(schedule="step", step_every=2, step_gamma=0.5))
    assert [loop.scheduled_lr(step, e, 0, 10) for e in range(5)] == pytest.approx([0.4, 0.4, 0.2, 0.2, 0.1])
    cos = dataclasses.replace(SPEC, training=Training(schedule="cosine", min_lr=0.0))
    assert loop.scheduled_lr(cos, 0, 0, 10) == pytest.approx(0.4)
    assert loop.scheduled_lr(cos, 0, 5, 10) == pytest.approx(0.2)
    assert loop.scheduled_lr(cos, 0, 10, 10) == pytest.approx(0.0, abs=1e-12)


def test_defaults_change_nothing() -> None:
    eng = FakeEngine()
    out = _train(dataclasses.replace(SPEC, training=Training(epochs=2, batch_size=16)), eng)
    assert eng.lrs == [] and eng.fed == []  # no schedule, no plateau: the engine's lr is untouched
    assert not any(k.startswith(("target/", "tune/")) or "@epoch" in k for k in out["metrics"])
    assert "train/lr" not in out["curves"]


def test_schedule_sets_lr_before_every_update_and_plateau_is_fed_per_epoch() -> None:
    eng = FakeEngine()
    t = Training(epochs=3, batch_size=16, schedule="step", step_every=1, step_gamma=0.5)
    out = _train(dataclasses.replace(SPEC, training=t), eng)
    assert eng.lrs == pytest.approx([0.4] * 4 + [0.2] * 4 + [0.1] * 4)
    assert [v for _, v in out["curves"]["train/lr"]] == pytest.approx([0.4, 0.2, 0.1])
    eng = FakeEngine()
    with_val = dataclasses.replace(SPEC.data, val_fraction=0.1)
    t = Training(epochs=3, batch_size=16, plateau=Plateau())
    out = _train(dataclasses.replace(SPEC, data=with_val, training=t), eng)
    assert len(eng.fed) == 3 and all(math.isfinite(v) for v in eng.fed)  # the per-epoch val/loss
    assert [v for _, v in out["curves"]["train/lr"]] == [0.01] * 3


def test_target_and_report_epochs() -> None:
    t = Training(epochs=3, batch_size=16, target=("train/loss", 10.0), report_epochs=(2,))
    out = _train(
        dataclasses.replace(SPEC, data=dataclasses.replace(SPEC.data, val_fraction=0.1), training=t),
        FakeEngine(),
    )
    m = out["metrics"]
    assert m["target/steps"] == 4 and m["target/epochs"] == 1 and m["target/reached"] == 1
    assert "train/loss@epoch2" in m and "train/loss@epoch1" not in m
    t = Training(epochs=2, batch_size=16, target=("train/loss", -1.0))  # never reached: censored
    m = _train(dataclasses.replace(SPEC, training=t), FakeEngine())["metrics"]
    assert m["target/reached"] == 0 and m["target/steps"] == 8


def test_tuning_picks_the_best_validation_lr_with_a_separate_seed() -> None:
    calls: list[tuple[float, int]] = []

    def run(spec: TrialSpec, seed: int) -> dict[str, Any]:
        calls.append((spec.optimizer.lr, seed))
        assert spec.training.tuning is None
        loss = {0.1: 0.5, 0.3: 0.2, 1.0: math.nan}[spec.optimizer.lr]
        return {"metrics": {"val/loss": loss}, "diverged": spec.optimizer.lr == 1.0, "timings": {}}

    spec = dataclasses.replace(SPEC, training=Training(tuning=Tuning(lrs=(0.1, 0.3, 1.0))))
    out = loop.tune_then_train(spec, 5, run)
    assert out["metrics"]["tune/lr"] == 0.3
    assert [s for _, s in calls[:3]] == [loop.tuning_seed(5)] * 3 and loop.tuning_seed(5) != 5
    assert calls[-1] == (0.3, 5)


def test_validation_rejects_inconsistent_features() -> None:
    with pytest.raises(ValueError, match="val_fraction"):
        validate(dataclasses.replace(SPEC, training=Training(tuning=Tuning(lrs=(0.1,)))))
    with pytest.raises(ValueError, match="backstitch"):
        validate(dataclasses.replace(SPEC, optimizer=Optimizer("adam", backstitch=0.3)))
    with pytest.raises(ValueError, match="plateau"):
        validate(dataclasses.replace(SPEC, training=Training(schedule="cosine", plateau=Plateau())))


def test_gradient_agreement_and_interleaving() -> None:
    g = np.array([1.0, 0.0])
    out = measure.gradient_agreement(g, [np.array([1.0, 1.0]), np.array([1.0, -1.0])])
    assert out["grad/cosine"] == pytest.approx(1 / np.sqrt(2)) and out["grad/rel_error"] == pytest.approx(1.0)
    order: list[int] = []
    secs = measure.interleaved_seconds(
        [lambda: order.append(0), lambda: order.append(1)], 2, warmup=1, calls=1
    )
    assert secs.shape == (2, 2) and order == [0, 1, 0, 1, 1, 0]  # warm-up, then rotated repeats


def test_bag_of_features_is_sparse_and_dense_twin_is_not() -> None:
    x, _, k = data.pool("bag_of_features", (("n", 200),))
    assert k == 4 and x.shape == (200, 1000) and set(np.unique(x)) == {0.0, 1.0}
    assert (x.sum(axis=1) == 10).all()
    xd, _, _ = data.pool("bag_of_features", (("dense", True), ("n", 200)))
    assert (xd != 0).mean() == 1.0 and np.mean((xd**2).sum(1)) == pytest.approx(10, rel=0.1)


class CountingEngine(FakeEngine):
    """FakeEngine that counts evaluations, whose train-mode probe moves its state (as a probe moves
    batch-norm statistics) and whose weights early stopping can export and restore."""

    def __init__(self) -> None:
        super().__init__()
        self.evaluated = 0

    def outputs(self, x: np.ndarray) -> np.ndarray:
        self.evaluated += 1
        return super().outputs(x)

    def grad_norms(self, x: np.ndarray, y: np.ndarray) -> list[float]:
        self.n += 1
        return [1.0]

    def export(self) -> dict[str, np.ndarray]:
        return {"n": np.array(self.n)}

    def restore(self, weights: dict[str, np.ndarray]) -> None:
        self.n = int(weights["n"])


def test_the_last_evaluation_is_reused_only_when_nothing_touched_the_net_since() -> None:
    def final_vs_last(**training: Any) -> tuple[float, float, int]:
        eng = CountingEngine()
        spec = dataclasses.replace(SPEC, training=Training(epochs=3, batch_size=16, **training))
        spec = dataclasses.replace(spec, data=dataclasses.replace(SPEC.data, val_fraction=0.1))
        out = _train(spec, eng)
        return out["metrics"]["train/loss"], out["curves"]["train/loss"][-1][1], eng.evaluated

    final, last, evaluated = final_vs_last()
    assert final == last and evaluated == 3 * 3  # 3 epochs x (train, val, test), none repeated
    # an end-of-training probe moves the net: the final evaluation is made again
    probed = dataclasses.replace(SPEC.probes, grad_norms_at=(-1,))
    eng = CountingEngine()
    spec = dataclasses.replace(SPEC, training=Training(epochs=3, batch_size=16), probes=probed)
    out = _train(spec, eng)
    assert out["metrics"]["train/loss"] != out["curves"]["train/loss"][-1][1]
    # early stopping puts back the first epoch's weights (a min_delta nothing beats)
    final, last, _ = final_vs_last(early_stopping=EarlyStopping(patience=5, min_delta=1e9))
    assert final != last
