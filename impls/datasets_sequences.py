"""Sequence tasks made from a seed, for the `rnn` family. Every pool is flat (n, T * features),
time-major (x.reshape(n, T, features)[:, t] is step t), as the models reshape it inside.

- adding: Hochreiter & Schmidhuber 1997, in the form of Le et al. 2015 / Arjovsky et al. 2016.
  Two channels per step: a value ~ U(0, 1) and a marker; exactly two steps are marked, one in the
  first half and one in the second half; target = the sum of the two marked values (regression).
  Trivial baseline: always predict 1.0, MSE = Var(U1 + U2) = 1/6 ~ 0.167 (`ADDING_BASELINE_MSE`).
- copy: a many-to-one "remember and recall" copy task. Step 0 shows one of `symbols` symbols
  (one-hot), every later step shows a blank channel; the label is the symbol of step 0, so it must be
  carried across T - 1 steps. Trivial baseline: accuracy 1/symbols, cross-entropy ln(symbols).
- seq_digits: scikit-learn's bundled digits read row by row (T = 8 steps of 8 pixels) or column by
  column; classification over 10 classes (majority baseline ~0.10 accuracy).
"""

from __future__ import annotations

import numpy as np

from impls.data import Pool, dataset

ADDING_BASELINE_MSE = 1.0 / 6.0  # E[(U1 + U2 - 1)^2] for U1, U2 ~ U(0, 1)


@dataset("adding")
def adding(n: int = 4000, steps: int = 50, seed: int = 0) -> Pool:
    rng = np.random.default_rng([seed, steps, 1997])
    values = rng.uniform(0.0, 1.0, (n, steps))
    half = steps // 2
    first = rng.integers(0, half, n)
    second = rng.integers(half, steps, n)
    marks = np.zeros((n, steps))
    rows = np.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    x = np.stack([values, marks], axis=2).reshape(n, steps * 2)  # (n, T * 2), time-major
    y = (values[rows, first] + values[rows, second])[:, None]  # (n, 1)
    return x, y, 0


@dataset("copy")
def copy(n: int = 4000, steps: int = 20, symbols: int = 8, seed: int = 0) -> Pool:
    rng = np.random.default_rng([seed, steps, symbols, 7])
    y = rng.integers(0, symbols, n)
    x = np.zeros((n, steps, symbols + 1))  # channels: symbols..., blank
    x[np.arange(n), 0, y] = 1.0
    x[:, 1:, symbols] = 1.0
    return x.reshape(n, steps * (symbols + 1)), y.astype(np.int64), symbols


@dataset("seq_digits")
def seq_digits(order: str = "rows") -> Pool:
    from sklearn.datasets import load_digits  # bundled with scikit-learn, no download

    d = load_digits()
    images = d.images.astype(np.float64)  # (n, 8, 8)
    if order == "columns":
        images = images.transpose(0, 2, 1)
    elif order != "rows":
        raise ValueError(f"seq_digits order={order!r}, expected 'rows' or 'columns'")
    return images.reshape(len(images), 64), d.target.astype(np.int64), 10
