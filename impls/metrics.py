"""Framework-free scoring: both impls hand raw model outputs here, so an evaluation metric can
never differ between frameworks by definition. All sums are in float64."""

from __future__ import annotations

import numpy as np


def head_loss(outputs: np.ndarray, y: np.ndarray, head: str) -> np.ndarray:
    """Per-example loss. outputs: (n, k) logits/scores; y: (n,) labels or (n, k) targets.
    hinge / squared_hinge are one-vs-rest (Tang 2013): targets +1 for the class, -1 otherwise,
    summed over classes."""
    z = outputs.astype(np.float64)
    if head == "softmax":
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -logp[np.arange(len(y)), y]
    if head in ("hinge", "squared_hinge"):
        t = -np.ones_like(z)
        t[np.arange(len(y)), y] = 1.0
        margin = np.maximum(0.0, 1.0 - t * z)
        return (margin if head == "hinge" else margin**2).sum(axis=1)
    if head == "mse":
        return ((z - y.astype(np.float64)) ** 2).mean(axis=1)
    raise ValueError(f"unknown head {head!r}")


def score(outputs: np.ndarray, y: np.ndarray, head: str) -> dict[str, float]:
    """Mean loss, and accuracy/error for classification heads."""
    if len(y) == 0:
        return {}
    out = {"loss": float(head_loss(outputs, y, head).mean())}
    if head != "mse":
        acc = float((outputs.argmax(axis=1) == y).mean())
        out.update(accuracy=acc, error=1.0 - acc)
    return out


def _log10_ratio(norms: list[float]) -> float | None:
    """log10(first / last hidden layer): the head (last entry) has another shape, so it is left
    out of the ratio whenever there are at least two hidden layers."""
    hidden = norms[:-1] if len(norms) >= 3 else norms
    if len(hidden) >= 2 and hidden[0] > 0 and hidden[-1] > 0:
        return float(np.log10(hidden[0] / hidden[-1]))
    return None


def layer_summaries(prefix: str, norms: list[float], at: int | str) -> dict[str, float]:
    """`{prefix}/layer{i}@{at}` per layer (hidden0.., head last) plus the log10 ratio of the first
    to the last hidden layer."""
    out = {f"{prefix}/layer{i}@{at}": float(v) for i, v in enumerate(norms)}
    ratio = _log10_ratio(norms)
    if ratio is not None:
        out[f"{prefix}/log10_ratio_first_last@{at}"] = ratio
    return out


def activation_summaries(acts: list[np.ndarray], at: int | str) -> dict[str, float]:
    """Per hidden layer (post-activation, (batch, units)): mean, std, fraction of exact zeros,
    fraction of units that are zero on every example of the probe batch (dead units)."""
    out: dict[str, float] = {}
    for i, a in enumerate(acts):
        a = a.astype(np.float64)
        out[f"probe/act_mean/layer{i}@{at}"] = float(a.mean())
        out[f"probe/act_std/layer{i}@{at}"] = float(a.std())
        out[f"probe/act_zero_frac/layer{i}@{at}"] = float((a == 0).mean())
        out[f"probe/act_dead_frac/layer{i}@{at}"] = float((a == 0).all(axis=0).mean())
    return out


def weight_change(w0: dict[str, np.ndarray], w1: dict[str, np.ndarray]) -> dict[str, float]:
    """||W_end - W_0|| / ||W_0|| per kernel, in layer order (hidden0.., head last)."""
    kernels = [k for k in w0 if k.endswith("/kernel")]  # insertion order = layer order
    norms = [float(np.linalg.norm(w1[k] - w0[k]) / max(float(np.linalg.norm(w0[k])), 1e-30)) for k in kernels]
    out = {f"probe/weight_change/layer{i}": v for i, v in enumerate(norms)}
    ratio = _log10_ratio(norms)
    if ratio is not None:
        out["probe/weight_change/log10_ratio_first_last"] = ratio
    return out


def state_grad_summaries(norms: list[float], at: int | str) -> dict[str, float]:
    """Back-propagated gradient norms ||dL/dh_i|| per time step (or per layer of an MLP), i = 0
    the first step / layer, the loss reading the last. `log10_decay_per_step` is the least-squares
    slope of log10 ||dL/dh_i|| against the distance to the loss (T - 1 - i): a per-step factor of
    10**slope (< 1 vanishing). `log10_first_last` = log10(||dL/dh_0|| / ||dL/dh_{T-1}||)."""
    g = np.asarray(norms, dtype=np.float64)
    out = {f"probe/state_grad/step{i}@{at}": float(v) for i, v in enumerate(g)}
    if len(g) >= 2 and np.all(g > 0):
        logs = np.log10(g)
        dist = np.arange(len(g))[::-1].astype(np.float64)
        slope = float(np.polyfit(dist, logs, 1)[0])
        out[f"probe/state_grad/log10_decay_per_step@{at}"] = slope
        out[f"probe/state_grad/factor_per_step@{at}"] = float(10.0**slope)
        out[f"probe/state_grad/log10_first_last@{at}"] = float(logs[0] - logs[-1])
    return out
