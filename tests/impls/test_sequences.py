"""Sequence datasets, the rnn family's canonical weights and the state-gradient summaries."""

from __future__ import annotations

import numpy as np
import pytest

from impls import data, init, metrics, spec
from impls.datasets_sequences import ADDING_BASELINE_MSE


def test_adding_problem_markers_targets_and_baseline():
    x, y, k = data.pool("adding", (("n", 20000), ("seed", 0), ("steps", 12)))
    assert k == 0 and x.shape == (20000, 24) and y.shape == (20000, 1)
    seq = x.reshape(-1, 12, 2)
    marks = seq[:, :, 1]
    assert np.all(marks.sum(1) == 2)
    assert np.all(marks[:, :6].sum(1) == 1) and np.all(marks[:, 6:].sum(1) == 1)  # one per half
    np.testing.assert_allclose((seq[:, :, 0] * marks).sum(1), y[:, 0])
    assert ((y - 1.0) ** 2).mean() == pytest.approx(ADDING_BASELINE_MSE, abs=0.005)


def test_copy_task_label_is_the_first_symbol_only():
    x, y, k = data.pool("copy", (("n", 500), ("seed", 0), ("steps", 7), ("symbols", 4)))
    seq = x.reshape(500, 7, 5)
    assert k == 4 and np.all(seq[:, 0, :4].argmax(1) == y)
    assert np.all(seq[:, 1:, 4] == 1) and np.all(seq[:, 1:, :4] == 0)


def test_seq_digits_rows_and_columns():
    rows, y, k = data.pool("seq_digits", (("order", "rows"),))
    cols, _, _ = data.pool("seq_digits", (("order", "columns"),))
    assert k == 10 and rows.shape == (len(y), 64)
    np.testing.assert_array_equal(rows.reshape(-1, 8, 8).transpose(0, 2, 1), cols.reshape(-1, 8, 8))


@pytest.mark.parametrize("cell,gates", [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_rnn_weights_shapes_forget_bias_and_orthogonal_blocks(cell, gates):
    m = spec.RNN(cell=cell, features=3, hidden=6, layers=2, forget_bias=1.5, bias_init=0.2)
    w = init.initial_weights(m, 3 * 5, 2, seed=4, dtype="float64")
    assert w["rnn0/kernel"].shape == (3, gates * 6) and w["rnn1/kernel"].shape == (6, gates * 6)
    assert w["rnn0/recurrent"].shape == (6, gates * 6)
    for g in range(gates):  # every gate's recurrent block is orthogonal on its own
        block = w["rnn0/recurrent"][:, g * 6 : (g + 1) * 6]
        np.testing.assert_allclose(block.T @ block, np.eye(6), atol=1e-12)
    b = w["rnn0/bias"]
    if cell == "lstm":
        assert np.all(b[6:12] == 1.5) and np.all(np.delete(b, np.s_[6:12]) == 0.2)
    else:
        assert np.all(b == 0.2)
    assert ("rnn0/recurrent_bias" in w) == (cell == "gru")


def test_rnn_batch_norm_keeps_statistics_per_time_step():
    m = spec.RNN(cell="lstm", features=2, hidden=4, norm="batch", norm_gamma=0.1)
    w = init.initial_weights(m, 2 * 7, 1, seed=0, dtype="float64")
    assert w["norm0/x_mean"].shape == (7, 16) and w["norm0/c_var"].shape == (7, 4)
    assert np.all(w["norm0/x_gamma"] == 0.1)


def test_rnn_spec_rejects_norm_on_gru_and_bad_cells():
    base = spec.TrialSpec(data=spec.Data("adding"), model=spec.RNN(cell="gru", norm="layer"))
    with pytest.raises(ValueError, match="norm"):
        spec.validate(base)
    with pytest.raises(ValueError, match="cell"):
        spec.validate(spec.TrialSpec(data=spec.Data("adding"), model=spec.RNN(cell="elman")))


def test_state_grad_summaries_recovers_a_known_decay():
    norms = [0.5**k for k in range(9, -1, -1)]  # step 0 is furthest from the loss
    out = metrics.state_grad_summaries(norms, 0)
    assert out["probe/state_grad/factor_per_step@0"] == pytest.approx(0.5)
    assert out["probe/state_grad/log10_first_last@0"] == pytest.approx(9 * np.log10(0.5))
    assert out["probe/state_grad/step9@0"] == 1.0
