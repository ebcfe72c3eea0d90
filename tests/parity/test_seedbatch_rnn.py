"""Seed-batched recurrent nets equal sequential seeds, in each framework: every metric and curve
point of `run_seed_batch` against `run_trial` per seed, float64, for each cell, both norms (batch
norm's per-time-step running statistics reach every eval-mode metric), two layers, and the three
dropouts (each seed's masks from its own stream in its sequential order)."""

from __future__ import annotations

import pytest

from impls.spec import MLP, RNN, Data, Optimizer, Probes, Training, TrialSpec
from tests.parity.seedbatch_check import stacked_and_sequential

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
    stacked_and_sequential(framework, _spec(CASES[case]), SEEDS, 1e-9)


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
    model, data = STATE_GRADS[case]
    spec = TrialSpec(
        data=data,
        model=model,
        optimizer=Optimizer("adam", lr=5e-3),
        training=Training(epochs=2, batch_size=32, dtype="float64"),
        probes=Probes(probe_batch=50),
        experiment="state_grads",
    )
    for got, want in stacked_and_sequential(framework, spec, SEEDS, 1e-9):
        assert "probe/state_grad/step0@end" in want["metrics"]
        at_init = {k: v for k, v in want["metrics"].items() if k.endswith("@0")}
        assert at_init and all(got["metrics"][k] == v for k, v in at_init.items())  # exactly
