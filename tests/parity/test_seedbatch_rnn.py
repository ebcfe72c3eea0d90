"""Seed-batched recurrent nets equal sequential seeds, in each framework: every metric and curve
point of `run_seed_batch` against `run_trial` per seed, float64, for each cell, both norms (batch
norm's per-time-step running statistics reach every eval-mode metric), two layers, and the three
dropouts (each seed's masks from its own stream in its sequential order)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from impls.spec import MLP, RNN, Data, Optimizer, Probes, Training, TrialSpec

pytestmark = pytest.mark.frameworks

SEEDS = [3, 11, 42]
CASES = {
    "rnn": RNN(cell="rnn", features=8, hidden=6),
    "gru-two-layers": RNN(cell="gru", features=8, hidden=6, layers=2),
    "lstm-layer-norm": RNN(cell="lstm", features=8, hidden=6, norm="layer", norm_eps=1e-3),
    "lstm-batch-norm": RNN(cell="lstm", features=8, hidden=6, norm="batch", norm_gamma=0.1, bn_momentum=0.3),
    "rnn-batch-norm": RNN(cell="rnn", features=8, hidden=6, norm="batch"),
    "lstm-dropouts": RNN(
        cell="lstm",
        features=8,
        hidden=6,
        layers=2,
        input_dropout=0.25,
        recurrent_dropout=0.25,
        output_dropout=0.3,
    ),
}


def _spec(model: RNN) -> TrialSpec:
    return TrialSpec(
        data=Data("seq_digits", params=(("order", "rows"),), n_train=120),
        model=model,
        optimizer=Optimizer("adam", lr=5e-3),
        training=Training(epochs=2, batch_size=32, eval_every=3, dtype="float64"),
    )


@pytest.mark.parametrize("framework", ["torch", "tf"])
@pytest.mark.parametrize("case", list(CASES))
def test_seed_batched_rnn_equals_sequential(framework: str, case: str) -> None:
    impl = importlib.import_module(f"impls.{framework}_impl")
    spec = _spec(CASES[case])
    batched = impl.run_seed_batch(spec, SEEDS)
    for seed, got in zip(SEEDS, batched, strict=True):
        want = impl.run_trial(spec, seed)
        assert got["diverged"] == want["diverged"] is False
        assert (
            got["metrics"].keys() == want["metrics"].keys() and got["curves"].keys() == want["curves"].keys()
        )
        for k, v in want["metrics"].items():
            np.testing.assert_allclose(
                got["metrics"][k], v, rtol=1e-9, atol=1e-12, err_msg=f"{case}/{seed}: {k}"
            )
        for k, v in want["curves"].items():
            np.testing.assert_allclose(
                got["curves"][k], v, rtol=1e-9, atol=1e-12, err_msg=f"{case}/{seed}: {k}"
            )
        assert got["env"]["mode"] == "seedbatch"
    assert len({r["metrics"]["train/loss"] for r in batched}) == len(SEEDS)  # the seeds really differ


STATE_GRADS = {
    "rnn": (
        RNN(cell="rnn", features=8, hidden=6),
        Data("seq_digits", params=(("order", "rows"),), n_train=120),
    ),
    "lstm-batch-norm": (
        RNN(cell="lstm", features=8, hidden=6, norm="batch"),
        Data("seq_digits", params=(("order", "rows"),), n_train=120),
    ),
    "mlp": (MLP(depth=4, width=8, activation="tanh"), Data("digits", n_train=120)),
}


@pytest.mark.parametrize("framework", ["torch", "tf"])
@pytest.mark.parametrize("case", list(STATE_GRADS))
def test_seed_batched_state_grads_equal_sequential(framework: str, case: str) -> None:
    """The state_grads experiment stacked: the loop's metrics and ||dL/dh|| per state at
    initialisation (exactly the sequential numbers: same weights, same probe) and after training."""
    impl = importlib.import_module(f"impls.{framework}_impl")
    model, data = STATE_GRADS[case]
    spec = TrialSpec(
        data=data,
        model=model,
        optimizer=Optimizer("adam", lr=5e-3),
        training=Training(epochs=2, batch_size=32, dtype="float64"),
        probes=Probes(probe_batch=50),
        experiment="state_grads",
    )
    batched = impl.run_seed_batch(spec, SEEDS)
    for seed, got in zip(SEEDS, batched, strict=True):
        want = impl.run_trial(spec, seed)
        assert (
            got["metrics"].keys() == want["metrics"].keys()
            and "probe/state_grad/step0@end" in want["metrics"]
        )
        for k, v in want["metrics"].items():
            if k.endswith("@0"):
                assert got["metrics"][k] == v, f"{case}/{seed}: {k}"
            np.testing.assert_allclose(
                got["metrics"][k], v, rtol=1e-9, atol=1e-12, err_msg=f"{case}/{seed}: {k}"
            )
        assert got["env"]["mode"] == "seedbatch"
