"""Sparse bag-of-features classification and its dense counterpart (for adaptive-wins-on-sparse-data).

sparse: each example switches on `active` of `vocab` binary features, drawn without replacement
with Zipf frequencies p(rank r) ~ 1/r^zipf, so most features are rare (as words in text); the label
is argmax(x @ W + noise) of a Gaussian teacher W (vocab, classes). dense: the same teacher on
Gaussian features scaled so that ||x|| matches the sparse case on average (sqrt(active)). Both are
returned unstandardised: z-scoring would make the sparse inputs dense (use Data(standardize=False)).
"""

from __future__ import annotations

import numpy as np

from impls.data import Pool, dataset


@dataset("bag_of_features")
def _bag_of_features(
    n: int = 3000,
    vocab: int = 1000,
    active: int = 10,
    classes: int = 4,
    zipf: float = 1.1,
    noise: float = 0.5,
    dense: bool = False,
    seed: int = 0,
) -> Pool:
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(vocab, classes))  # (vocab, classes) teacher
    if dense:
        x = rng.normal(size=(n, vocab)) * np.sqrt(active / vocab)  # E||x||^2 = active, as sparse
    else:
        p = 1.0 / np.arange(1, vocab + 1) ** zipf
        p /= p.sum()
        x = np.zeros((n, vocab))
        for i in range(n):  # (n, vocab) binary, `active` ones per row
            x[i, rng.choice(vocab, active, replace=False, p=p)] = 1.0
    y = np.argmax(x @ w + noise * rng.normal(size=(n, classes)), axis=1)
    return x, y.astype(np.int64), classes
