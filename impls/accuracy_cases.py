"""Fixed predictions and the framework-free reference for the `accuracy_semantics` experiment.

The note's formula ("compares label with the rounded predicted float, i.e. bigger than 0.5 = 1,
smaller than = 0 ... for categorical we take the argmax for the label and the prediction and compare
their location ... we average the results"). The note is silent on a prediction of exactly 0.5;
the reference maps it to 0 (`p > 0.5`, which is also what numpy's round-half-to-even gives), and
on argmax ties takes the first maximal index (numpy's rule). Both edge cases are over-represented
on purpose: a quarter of the binary predictions are exactly 0.5 and a quarter of the categorical
rows have a tie for the maximum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N, K = 400, 5


@dataclass(frozen=True)
class Cases:
    p_bin: np.ndarray  # (N, 1) float32 probabilities in [0, 1], a quarter exactly 0.5
    y_bin: np.ndarray  # (N, 1) float32 labels in {0, 1}
    p_cat: np.ndarray  # (N, K) float32 scores, a quarter of the rows with a tied maximum
    y_cat: np.ndarray  # (N,) int64 labels
    half: np.ndarray  # (N,) bool: p_bin == 0.5
    tie: np.ndarray  # (N,) bool: the row's maximum is attained more than once


def make(seed: int) -> Cases:
    rng = np.random.default_rng([seed & 0xFFFFFFFFFFFF, 17])
    p_bin = rng.random((N, 1)).astype(np.float32)
    half = rng.random(N) < 0.25
    p_bin[half, 0] = 0.5
    y_bin = (rng.random((N, 1)) < 0.5).astype(np.float32)
    p_cat = rng.random((N, K)).astype(np.float32)
    tie_rows = rng.random(N) < 0.25
    for i in np.flatnonzero(tie_rows):  # copy the max into another position
        j, other = int(p_cat[i].argmax()), int(rng.integers(0, K - 1))
        p_cat[i, other + (other >= j)] = p_cat[i, j]
    y_cat = rng.integers(0, K, N).astype(np.int64)
    # Put the label on a tied position often, so that the tie rule decides those rows.
    for i in np.flatnonzero(tie_rows):
        tied = np.flatnonzero(p_cat[i] == p_cat[i].max())
        y_cat[i] = tied[int(rng.integers(0, len(tied)))]
    tie = (p_cat == p_cat.max(axis=1, keepdims=True)).sum(axis=1) > 1
    return Cases(p_bin, y_bin, p_cat, y_cat, half.copy(), tie)


def reference(c: Cases) -> dict[str, np.ndarray]:
    """Per-example matches (N,) float64 under the note's formula."""
    pred_bin = (c.p_bin[:, 0] > 0.5).astype(np.float64)
    assert np.array_equal(pred_bin, np.round(c.p_bin[:, 0]))  # half-to-even agrees at 0.5
    return {
        "binary": (pred_bin == c.y_bin[:, 0]).astype(np.float64),
        "categorical": (c.p_cat.argmax(axis=1) == c.y_cat).astype(np.float64),
        "sparse_categorical": (c.p_cat.argmax(axis=1) == c.y_cat).astype(np.float64),
    }


def compare(c: Cases, per_example: dict[str, np.ndarray], means: dict[str, float]) -> dict[str, float]:
    """Framework results vs the reference, in examples (so exact agreement is 0):
    `mismatch/<metric>`: examples whose per-example match differs from the reference;
    `mismatch/<metric>@edge`: those among the edge cases (0.5 for binary, ties for categorical);
    `mean_diff/<metric>`: |framework mean - reference mean| * N (float rounding of the mean is < 0.5)."""
    ref = reference(c)
    out: dict[str, float] = {}
    for name, r in ref.items():
        diff = np.asarray(per_example[name], dtype=np.float64).reshape(-1) != r
        edge = c.half if name == "binary" else c.tie
        out[f"mismatch/{name}"] = float(diff.sum())
        out[f"mismatch/{name}@edge"] = float(diff[edge].sum())
        out[f"mean_diff/{name}"] = float(abs(means[name] - r.mean()) * N)
    out["cases/binary_at_half"] = float(c.half.sum())
    out["cases/categorical_ties"] = float(c.tie.sum())
    return out
