"""Framework-free pieces of batch 9: early stopping's bookkeeping, curve summaries, unit norms,
the contrast experiment's field replacement."""

from __future__ import annotations

import numpy as np

from impls import contrast, metrics
from impls.loop import EarlyStopper
from impls.spec import MLP, Data, EarlyStopping, TrialSpec


class FakeEngine:
    """Weights are just the epoch counter, so a restore is visible."""

    def __init__(self) -> None:
        self.w = {"w": np.zeros(1)}

    def export(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.w.items()}

    def restore(self, weights: dict[str, np.ndarray]) -> None:
        self.w = {k: v.copy() for k, v in weights.items()}


def run_stopper(values: list[float], **kw: object) -> tuple[int, dict[str, float], float]:
    engine = FakeEngine()
    stopper = EarlyStopper(EarlyStopping(**kw), engine)  # type: ignore[arg-type]
    run = 0
    for epoch, v in enumerate(values):
        engine.w["w"][:] = epoch
        run += 1
        if stopper.epoch_end(epoch, v):
            break
    return run, stopper.finish(run), float(engine.w["w"][0])


def test_early_stopping_stops_after_patience_and_restores_best() -> None:
    run, out, kept = run_stopper([1.0, 0.9, 0.95, 0.91, 0.92, 0.5], patience=2)
    assert run == 4 and out["train/stopped_early"] == 1.0  # epochs 2 and 3 without improvement
    assert out["train/best_epoch"] == 2.0 and kept == 1.0  # epoch index 1 (1-based 2) restored


def test_early_stopping_min_delta_and_no_stop_still_restores() -> None:
    # 0.9 is not better than 1.0 by more than 0.2: no improvement, but patience is never reached.
    run, out, kept = run_stopper([1.0, 0.9, 0.85, 0.95], patience=5, min_delta=0.2)
    assert run == 4 and out["train/stopped_early"] == 0.0
    assert kept == 0.0  # Keras 3 restores the best weights at the end even without stopping


def test_curve_stats_counts_flat_accuracy_with_falling_loss() -> None:
    acc = [0.5, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.95]
    loss = [2.0, 1.0, 0.5, 0.4, 0.4, 0.3, 0.3, 0.2]
    curves = {
        "val/accuracy": [[i, a] for i, a in enumerate(acc)],
        "val/loss": [[i, v] for i, v in enumerate(loss)],
    }
    out = metrics.curve_stats(curves)
    # late steps (second half of 7 steps: indices 3..6): d_acc = 0,0,0,.05; d_loss = 0,-.1,0,-.1
    assert out["curve/val/acc_flat_loss_falling"] == 0.25
    assert out["curve/val/acc_flat_loss_flat"] == 0.5
    assert out["curve/val/plateau_epoch"] == 8.0  # 0.9 -> 0.95 is still a gain above 1 point
    assert "curve/train/acc_flat" not in out


def test_curve_points_reads_epochs_one_based() -> None:
    curves = {"val/accuracy": [[10, 0.1], [20, 0.2], [30, 0.3]]}
    assert metrics.curve_points(curves, (1, 3, 5)) == {"val/accuracy@epoch1": 0.1, "val/accuracy@epoch3": 0.3}


def test_unit_norms_are_per_column_of_canonical_kernels() -> None:
    w = {"hidden0/kernel": np.array([[3.0, 0.0], [4.0, 1.0]]), "head/kernel": np.ones((2, 3)) * 100}
    out = metrics.unit_norms(w)
    assert out["probe/unit_norm_max/layer0"] == 5.0 and out["probe/unit_norm_mean/layer0"] == 3.0
    assert out["probe/unit_norm_max"] == 5.0  # the head is not a hidden layer


def test_contrast_replaces_nested_field() -> None:
    s = TrialSpec(data=Data("digits"), model=MLP(dropout=0.0))
    t = contrast.with_field(s, "model.dropout", 0.5)
    assert t.model.dropout == 0.5 and s.model.dropout == 0.0 and t.data == s.data  # type: ignore[attr-defined]


def test_contrast_stops_at_a_diverged_arm_and_the_stacked_path_combines_alike() -> None:
    spec = TrialSpec(
        data=Data("digits"),
        model=MLP(),
        experiment="contrast",
        params=(("field", "model.dropout"), ("values", (0.0, 0.5))),
    )
    assert [(arm, s.model.dropout) for arm, s in contrast.arms(spec)] == [
        ("control", 0.0),
        ("treatment", 0.5),
    ]  # type: ignore[attr-defined]

    def fake(diverged_arm: str | None) -> tuple[list[str], object]:
        called: list[str] = []

        def run_trial(s: TrialSpec, seed: int, threads: int) -> dict[str, object]:
            arm = "control" if s.model.dropout == 0.0 else "treatment"  # type: ignore[attr-defined]
            called.append(arm)
            loss = 1.0 if arm == "control" else 0.75
            return {
                "metrics": {"test/loss": loss},
                "curves": {},
                "diverged": arm == diverged_arm,
                "timings": {},
                "env": {"arm": arm},
            }

        return called, run_trial

    called, run_trial = fake("control")
    out = contrast.run(spec, 1, 1, run_trial)  # type: ignore[arg-type]
    assert (
        called == ["control"]
        and out["diverged"]
        and out["metrics"] == {}
        and out["env"] == {"arm": "control"}
    )
    called, run_trial = fake(None)
    out = contrast.run(spec, 1, 1, run_trial)  # type: ignore[arg-type]
    assert out["metrics"] == {
        "control/test/loss": 1.0,
        "treatment/test/loss": 0.75,
        "contrast/test/loss": -0.25,
    }
    # the seed-batched path trains both arms, then combines: a diverged treatment alone ends the trial
    arms = {a: run_trial(s, 1, 1) for a, s in contrast.arms(spec)}  # type: ignore[operator]
    arms["treatment"]["diverged"] = True
    out = contrast.combine(arms)
    assert out["diverged"] and out["metrics"] == {} and out["env"] == {"arm": "treatment"}
