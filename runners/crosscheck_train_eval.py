"""Rung 4 of the cross-framework ladder (`runners/crosscheck.py`): train/eval behaviour of the MLP's
layers. Dropout is the identity in eval mode, keeps 1-p and scales by 1/(1-p) in train mode
(statistically: the masks differ by design), and norm epsilons are honoured."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from impls import init
from impls.spec import Data
from runners.crosscheck_cases import BASE
from runners.crosscheck_common import SEED, load_split, perturbed, rel, row, tf_net, torch_net


def _dropout_stats(
    apply: Callable[[np.ndarray], np.ndarray], p: float, dtype: str, n: int
) -> tuple[float, float]:
    """(z-score of the keep rate vs 1-p, max relative deviation of kept values from 1/(1-p))."""
    y = np.asarray(apply(np.ones(n, dtype=dtype)), np.float64)
    kept = y != 0
    rate = float(kept.mean())
    z = abs(rate - (1 - p)) / math.sqrt(p * (1 - p) / n)
    scale = float(np.max(np.abs(y[kept] * (1 - p) - 1.0)))
    return z, scale


def rung4(dtype: str) -> list[dict[str, Any]]:
    import tensorflow as tf
    import torch

    from impls.torch_impl import models as tm

    rows = []
    # Dropout layers as the models hold them, train mode: keep rate and inverse scaling.
    m = replace(BASE, dropout=0.3, input_dropout=0.2)
    tnet = tm.build(m, 8, 3, dtype)
    fnet = tf_net(m, 8, 3, dtype, tm.export_weights(tnet))
    tnet.train()
    torch.manual_seed(SEED)
    fnet.seed_dropout(SEED)
    n = 200_000
    for label, p, tlayer, flayer in (
        ("hidden", m.dropout, tnet.drop, fnet.drop),
        ("input", m.input_dropout, tnet.in_drop, fnet.in_drop),
    ):
        for fw, fn in (
            ("torch", lambda a, lay=tlayer: lay(torch.from_numpy(a)).detach().numpy()),
            ("tf", lambda a, lay=flayer: lay(tf.constant(a), training=True).numpy()),
        ):
            z, scale = _dropout_stats(fn, p, dtype, n)
            case = f"dropout/{label} p={p}/{fw}"
            rows.append(
                row(4, case, f"train keep rate vs 1-p, |z| (n={n})", dtype, z, "z", "masks differ by design")
            )
            rows.append(row(4, case, "kept values * (1-p) - 1, max abs", dtype, scale, "dropout_scale"))

    # Whole model, linear activations: E[train output] = eval output iff the scaling is 1/(1-p).
    lin = replace(BASE, depth=2, activation="linear", dropout=0.5, input_dropout=0.2)
    split = load_split(Data("digits"), dtype)
    x = split.x_train[:4]
    reps = 2500
    xr = np.tile(x, (reps, 1))
    w = perturbed(init.initial_weights(lin, x.shape[1], 10, SEED, dtype), dtype)
    tnet = torch_net(lin, x.shape[1], 10, dtype, w)
    fnet = tf_net(lin, x.shape[1], 10, dtype, w)
    fnet.seed_dropout(SEED)
    tnet.eval()
    with torch.no_grad():
        ev_t = tnet(torch.from_numpy(x)).numpy()
    ev_f = fnet(x, training=False).numpy()
    tnet.train()
    with torch.no_grad():
        tr_t = tnet(torch.from_numpy(xr)).numpy().reshape(reps, *ev_t.shape).astype(np.float64)
    tr_f = fnet(xr, training=True).numpy().reshape(reps, *ev_f.shape).astype(np.float64)
    for fw, ev, tr in (("torch", ev_t, tr_t), ("tf", ev_f, tr_f)):
        se = tr.std(axis=0, ddof=1) / math.sqrt(reps)
        z = float(np.max(np.abs(tr.mean(axis=0) - ev) / se))
        rows.append(
            row(
                4,
                f"linear/depth2/dropout p=0.5,in=0.2/{fw}",
                f"mean train output vs eval, max |z| ({reps} masks)",
                dtype,
                z,
                "z",
                "masks differ by design",
            )
        )

    # Norm epsilon honoured: inputs whose variance is ~eps, so eps changes the output by ~sqrt(2).
    rng = np.random.default_rng([SEED, 5])
    for eps in (1e-5, 1e-2):
        for norm in ("layer", "batch"):
            mm = replace(BASE, depth=1, norm=norm, norm_eps=eps)
            w = perturbed(init.initial_weights(mm, 4, 2, SEED, dtype), dtype)
            if norm == "batch":
                w["norm0/var"] = np.full_like(w["norm0/var"], eps)  # eval mode: moving var ~ eps
            tnet = torch_net(mm, 4, 2, dtype, w)
            fnet = tf_net(mm, 4, 2, dtype, w)
            inp = (1.0 + math.sqrt(eps) * rng.normal(size=(16, mm.width))).astype(dtype)
            g, b = w["norm0/gamma"].astype(np.float64), w["norm0/beta"].astype(np.float64)
            z64 = inp.astype(np.float64)
            if norm == "layer":
                mu, var = z64.mean(axis=1, keepdims=True), z64.var(axis=1, keepdims=True)
            else:
                mu, var = w["norm0/mean"].astype(np.float64), w["norm0/var"].astype(np.float64)
            want = g * (z64 - mu) / np.sqrt(var + eps) + b
            tnet.eval()
            with torch.no_grad():
                got_t = tnet.norms[0](torch.from_numpy(inp)).numpy()
            got_f = fnet.norms[0](tf.constant(inp), training=False).numpy()
            label = "layernorm" if norm == "layer" else "batchnorm(eval)"
            for fw, got in (("torch", got_t), ("tf", got_f)):
                rows.append(
                    row(
                        4,
                        f"{label} eps={eps:g}/{fw}",
                        "output on var~eps input vs numpy with spec eps, max|d|/max|ref|",
                        dtype,
                        rel(want - b, got.astype(np.float64) - b),
                        "eps",
                    )
                )
    return rows
