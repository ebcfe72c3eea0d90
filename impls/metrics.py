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
    if len(hidden) >= 2 and hidden[-1] > 0:
        # A first layer that did not move at all (its update underflowed) counts as 1e-12 of the
        # last one's, below any float32/float64 resolution, so the ratio stays defined.
        return float(np.log10(max(hidden[0], 1e-12 * hidden[-1]) / hidden[-1]))
    return None


def layer_summaries(prefix: str, norms: list[float], at: int | str) -> dict[str, float]:
    """`{prefix}/layer{i}@{at}` per layer (hidden0.., head last) plus the log10 ratio of the first
    to the last hidden layer."""
    out = {f"{prefix}/layer{i}@{at}": float(v) for i, v in enumerate(norms)}
    ratio = _log10_ratio(norms)
    if ratio is not None:
        out[f"{prefix}/log10_ratio_first_last@{at}"] = ratio
    return out


def layer_spread(prefix: str, values: list[float], at: int | str) -> dict[str, float]:
    """`{prefix}/layer{i}@{at}` per hidden layer plus `{prefix}/log10_spread@{at}`: log10(max / min)
    over the layers, 0 when every layer has the same value (inf if one of them is 0)."""
    out = {f"{prefix}/layer{i}@{at}": float(v) for i, v in enumerate(values)}
    if values:
        lo, hi = min(values), max(values)
        out[f"{prefix}/log10_spread@{at}"] = float(np.log10(hi / lo)) if lo > 0 else float("inf")
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
    # insertion order = layer order; highway gates are not layers of their own
    kernels = [k for k in w0 if k.endswith("/kernel") and not k.startswith("gate")]
    norms = [float(np.linalg.norm(w1[k] - w0[k]) / max(float(np.linalg.norm(w0[k])), 1e-30)) for k in kernels]
    out = {f"probe/weight_change/layer{i}": v for i, v in enumerate(norms)}
    ratio = _log10_ratio(norms)
    if ratio is not None:
        out["probe/weight_change/log10_ratio_first_last"] = ratio
    return out


def unit_norms(weights: dict[str, np.ndarray]) -> dict[str, float]:
    """Per hidden layer, the L2 norm of each unit's incoming weights (a column of the canonical
    (in, out) kernel): max and mean; `probe/unit_norm_max` is the max over hidden layers."""
    out: dict[str, float] = {}
    hidden = [k for k in weights if k.startswith("hidden") and k.endswith("/kernel")]
    for i, k in enumerate(hidden):
        norms = np.linalg.norm(weights[k].astype(np.float64), axis=0)  # (out,)
        out[f"probe/unit_norm_max/layer{i}"] = float(norms.max())
        out[f"probe/unit_norm_mean/layer{i}"] = float(norms.mean())
    if hidden:
        out["probe/unit_norm_max"] = max(out[f"probe/unit_norm_max/layer{i}"] for i in range(len(hidden)))
    return out


EVAL_CURVES = ("train/loss", "train/accuracy", "val/loss", "val/accuracy", "test/loss", "test/accuracy")


def curve_points(curves: dict[str, list[list[float]]], epochs: tuple[int, ...]) -> dict[str, float]:
    """`{curve}@epoch{k}` for per-epoch eval curves (entry k-1 is the end of epoch k, 1-based);
    epochs that were not reached (early stop) are left out."""
    out: dict[str, float] = {}
    for name in EVAL_CURVES:
        points = curves.get(name, [])
        for k in epochs:
            if 1 <= k <= len(points):
                out[f"{name}@epoch{k}"] = float(points[k - 1][1])
    return out


# A loss change smaller than this fraction of the loss counts as "not changing" (0.1%).
LOSS_FLAT_REL = 1e-3
# An accuracy gain smaller than this (1 point) no longer counts as improving.
PLATEAU_GAIN = 0.01


def curve_stats(curves: dict[str, list[list[float]]]) -> dict[str, float]:
    """Summaries of per-epoch eval curves, per part (train, val):

    - `curve/{part}/acc_flat_loss_falling`: over epoch-to-epoch steps in the second half of training,
      the fraction where the accuracy is exactly unchanged while the loss fell by more than
      LOSS_FLAT_REL of its value; `acc_flat_loss_flat`: accuracy unchanged and |loss change| within
      that band; `acc_flat`: accuracy unchanged at all.
    - `curve/{part}/plateau_epoch`: the first epoch (1-based) after which the accuracy never rises
      more than PLATEAU_GAIN above its value at that epoch; `gain_after_plateau`: the best later
      accuracy minus the accuracy at that epoch.
    """
    out: dict[str, float] = {}
    for part in ("train", "val"):
        acc = np.array([v for _, v in curves.get(f"{part}/accuracy", [])], dtype=np.float64)
        loss = np.array([v for _, v in curves.get(f"{part}/loss", [])], dtype=np.float64)
        if len(acc) < 3 or len(loss) != len(acc):
            continue
        late = slice((len(acc) - 1) // 2, None)  # the second half of the epoch-to-epoch steps
        d_acc, d_loss = np.diff(acc)[late], np.diff(loss)[late]  # (late steps,)
        band = LOSS_FLAT_REL * np.abs(loss[:-1][late])
        flat = d_acc == 0
        out[f"curve/{part}/acc_flat"] = float(flat.mean())
        out[f"curve/{part}/acc_flat_loss_falling"] = float((flat & (d_loss < -band)).mean())
        out[f"curve/{part}/acc_flat_loss_flat"] = float((flat & (np.abs(d_loss) <= band)).mean())
        best_after = np.maximum.accumulate(acc[::-1])[::-1]  # best accuracy from epoch i on
        plateau = int(np.argmax(best_after - acc < PLATEAU_GAIN))
        out[f"curve/{part}/plateau_epoch"] = float(plateau + 1)
        out[f"curve/{part}/gain_after_plateau"] = float(best_after[plateau] - acc[plateau])
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
