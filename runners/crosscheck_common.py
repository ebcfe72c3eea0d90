"""What the cross-framework ladder's rungs share (`runners/crosscheck.py`, rung 4 in
`runners/crosscheck_train_eval.py`): result rows against the measured tolerances, error measures,
one-thread execution, the ladder's data split and nets loaded with given canonical weights."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import numpy as np

from impls import data
from impls.spec import Data, ModelSpec
from runners.crosscheck_tolerances import TOL, Z_MAX

DTYPES = ("float32", "float64")
SEED = 0


def row(
    rung: int,
    case: str,
    quantity: str,
    dtype: str,
    measured: float,
    key: str,
    note: str = "",
    family: str = "mlp",
) -> dict[str, Any]:
    tol = TOL[(key, dtype)] if key != "z" else Z_MAX
    measured = float(measured)
    return {
        "rung": rung,
        "family": family,
        "case": case,
        "quantity": quantity,
        "dtype": dtype,
        "measured": measured,
        "tolerance": tol,
        "passed": bool(math.isfinite(measured) and measured <= tol),
        "note": note,
    }


def rel(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max |a| (a is the torch value)."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a64 - b64)) / max(float(np.max(np.abs(a64))), 1e-300))


def nrel(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / ||a|| (Frobenius)."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a64 - b64) / max(float(np.linalg.norm(a64)), 1e-300))


@contextmanager
def one_thread() -> Iterator[None]:
    import torch

    from impls.tf_impl import train as tf_train

    with suppress(RuntimeError):  # TF already fixed at another count in this process: still comparable
        tf_train.pin_threads(1)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng():  # the ladder seeds torch; leave the caller's RNG alone
            yield
    finally:
        torch.set_num_threads(before)


def load_split(d: Data, dtype: str) -> data.Split:
    return data.load(d, SEED, dtype)


def perturbed(weights: dict[str, np.ndarray], dtype: str) -> dict[str, np.ndarray]:
    """Canonical weights with non-trivial biases and norm parameters/statistics, so that a swapped
    gamma/beta or mean/var cannot hide behind the ones/zeros of a fresh initialisation."""
    rng = np.random.default_rng([SEED, 99])
    out = dict(weights)
    for k, v in weights.items():  # MLP/CNN "norm0/mean", RNN "norm0/x_mean"; weight-norm gain "/g"
        if k.endswith(("bias", "beta", "mean")):
            out[k] = (v + 0.1 * rng.normal(size=v.shape)).astype(dtype)
        elif k.endswith(("gamma", "/g")):
            out[k] = (v + 0.2 * rng.normal(size=v.shape)).astype(dtype)
        elif k.endswith("var"):
            out[k] = (v * np.exp(0.5 * rng.normal(size=v.shape))).astype(dtype)
    return out


def torch_net(case_model: ModelSpec, n_in: int, n_out: int, dtype: str, w: dict[str, np.ndarray]) -> Any:
    from impls.torch_impl import models as tm

    net = tm.build(case_model, n_in, n_out, dtype)
    tm.load_weights(net, w)
    return net


def tf_net(case_model: ModelSpec, n_in: int, n_out: int, dtype: str, w: dict[str, np.ndarray]) -> Any:
    from impls.tf_impl import models as fm

    net = fm.build(case_model, n_in, n_out, dtype)
    fm.load_weights(net, w)
    return net
