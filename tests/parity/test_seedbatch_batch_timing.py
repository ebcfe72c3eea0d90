"""A seed-batched "batch_timing" trial: its two training runs (this batch size, the reference)
are stacks, and each seed is still timed alone on an engine of its own. Every convergence metric
and curve point equals the sequential trial's (float64); only the measured times differ. The
reference arm's stack is trained once per worker for all of a claim's conditions."""

from __future__ import annotations

import dataclasses

import pytest

from impls import seedbatch
from impls.spec import MLP, Data, Init, Optimizer, Training, TrialSpec, Tuning
from tests.parity.seedbatch_check import TIMERS, stacked_and_sequential

pytestmark = pytest.mark.frameworks

SEEDS = [3, 11, 42]
TIMED = (*TIMERS, "timing/", "target/seconds", "target/log10_seconds")


def _spec(batch_size: int) -> TrialSpec:
    return TrialSpec(
        data=Data("digits", n_train=200, val_fraction=0.2),
        model=MLP(depth=2, width=16, activation="relu", init=Init("he_normal")),
        optimizer=Optimizer("sgd", lr=0.05),
        training=Training(
            epochs=3,
            batch_size=batch_size,
            dtype="float64",
            target=("train/loss", 2.0),
            tuning=Tuning(lrs=(0.02, 0.1)),
        ),
        experiment="batch_timing",
        params=(("reference_batch", 32), ("repeats", 2)),
    )


@pytest.mark.parametrize("framework", ["torch", "tf"])
def test_seed_batched_batch_timing_equals_sequential(framework: str) -> None:
    assert seedbatch.reason_not_batchable(_spec(8)) is None
    pairs = stacked_and_sequential(framework, _spec(8), SEEDS, 1e-9, timers=TIMED)
    for got, want in pairs:
        assert got["metrics"]["target/reached"] == want["metrics"]["target/reached"] == 1.0
        assert got["metrics"]["target/ref_reached"] == 1.0
        assert got["metrics"]["timing/update_s"] > 0.0 and "target/log10_epochs_vs_ref" in got["metrics"]


def test_the_reference_stack_is_trained_once_per_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    from impls.torch_impl import run_seed_batch

    trained: list[int] = []
    real = seedbatch.run

    def counted(spec, seeds, *args, **kw):  # type: ignore[no-untyped-def]
        if spec.experiment == "train":
            trained.append(spec.training.batch_size)
        return real(spec, seeds, *args, **kw)

    monkeypatch.setattr(seedbatch, "run", counted)
    monkeypatch.setattr(seedbatch, "_STACKS", {})
    first = run_seed_batch(_spec(8), SEEDS)
    run_seed_batch(_spec(32), SEEDS)  # its own arm is the reference: no new stack
    assert trained == [8, 32]
    monkeypatch.setattr(seedbatch, "_STACKS", {})
    again = run_seed_batch(_spec(8), SEEDS)
    assert trained == [8, 32, 8, 32]
    for a, b in zip(first, again, strict=True):
        untimed = [k for k in a["metrics"] if not k.startswith(TIMED)]
        assert {k: a["metrics"][k] for k in untimed} == {k: b["metrics"][k] for k in untimed}


def test_a_batch_timing_spec_stacks_only_where_its_training_does() -> None:
    capped = dataclasses.replace(_spec(8), training=dataclasses.replace(_spec(8).training, max_norm=3.0))
    assert seedbatch.reason_not_batchable(capped) == "max_norm is not implemented seed-batched"
