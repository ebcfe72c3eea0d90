"""Shared pieces of the `dropout_forms` experiment: original vs inverted dropout, trained side by
side on ONE set of dropout masks drawn here in numpy and fed to both forms (and both frameworks).

The net is the spec's MLP (ReLU, `input_dropout` on the input, `dropout` on every hidden output),
written out explicitly in each framework. With keep probability q at a dropout site:
- inverted (Keras, torch): train h = a * mask / q; test h = a;
- original (Srivastava et al. 2014): train h = a * mask; test h = a * q.
The two compute the same function when the kernel that reads a dropped site is W' = W/q in the
original form: W'(a * mask) = W(a * mask / q), and W'(a q) = W a at test. Its gradient is then
g' = q g, so an SGD step W' -= lr' g' moves W = q W' by lr' q**2 g: the trajectories coincide when
that kernel's learning rate is lr' = lr / q**2 (every other parameter: same init, same lr).
`mapping="rescaled"` applies both (init W0/q, lr/q**2); `mapping="same"` gives both forms W0 and lr.

params: ("mapping", "rescaled" | "same"). Optimiser: plain SGD (spec.optimizer.lr).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from impls import data, init
from impls.spec import MLP, TrialSpec


@dataclass(frozen=True)
class Setup:
    split: data.Split
    order: list[np.ndarray]  # index batches, all epochs flattened: (steps,) of (batch,)
    masks: list[list[np.ndarray]]  # per step, per site (input, hidden0..): (batch, features) 0/1
    keep: list[float]  # keep probability per site
    w0: dict[str, np.ndarray]  # canonical initial weights (inverted form)
    w0_orig: dict[str, np.ndarray]  # initial weights of the original form
    lr: dict[str, float]  # learning rate of each canonical parameter, original form
    lr_inv: float


def consumer(site: int, depth: int) -> str:
    """The kernel that reads dropout site `site` (0 = input, i+1 = hidden i's output)."""
    return f"hidden{site}/kernel" if site < depth else "head/kernel"


def setup(spec: TrialSpec, seed: int) -> Setup:
    m = spec.model
    assert isinstance(m, MLP) and m.activation == "relu" and m.norm == "none" and not m.residual
    assert spec.optimizer.name == "sgd", "dropout_forms trains with plain SGD"
    dtype = spec.training.dtype
    split = data.load(spec.data, seed, dtype)
    n_in = split.x_train.shape[1]
    w0 = init.initial_weights(m, n_in, split.n_outputs, seed, dtype)
    t = spec.training
    order = [b for epoch in data.batches(len(split.x_train), t.batch_size, t.epochs, seed) for b in epoch]
    keep = [1.0 - m.input_dropout] + [1.0 - m.dropout] * m.depth
    widths = [n_in] + [m.width] * m.depth
    rng = np.random.default_rng([seed & 0xFFFFFFFFFFFF, 13])
    masks = [
        [(rng.random((len(b), w)) < q).astype(dtype) for w, q in zip(widths, keep, strict=True)]
        for b in order
    ]
    lr = spec.optimizer.lr
    rescale = dict(spec.params).get("mapping", "rescaled") == "rescaled"
    w0_orig, lr_orig = dict(w0), {k: lr for k in w0}
    if rescale:
        for site, q in enumerate(keep):
            k = consumer(site, m.depth)
            w0_orig[k] = (w0[k] / q).astype(dtype)
            lr_orig[k] = lr / q**2
    return Setup(split, order, masks, keep, w0, w0_orig, lr_orig, lr)


def summarise(
    s: Setup, loss_inv: list[float], loss_orig: list[float], test_inv: np.ndarray, test_orig: np.ndarray
) -> dict[str, float]:
    """test_*: (n_test, classes) softmax probabilities at test time."""
    y = s.split.y_test
    return {
        "equiv/loss_maxdiff": float(np.max(np.abs(np.array(loss_inv) - np.array(loss_orig)))),
        "equiv/test_prob_maxdiff": float(np.max(np.abs(test_inv - test_orig))),
        "equiv/test_pred_disagree": float((test_inv.argmax(1) != test_orig.argmax(1)).mean()),
        "inverted/test_accuracy": float((test_inv.argmax(1) == y).mean()),
        "original/test_accuracy": float((test_orig.argmax(1) == y).mean()),
        "inverted/train_loss_last": float(loss_inv[-1]),
        "original/train_loss_last": float(loss_orig[-1]),
    }
