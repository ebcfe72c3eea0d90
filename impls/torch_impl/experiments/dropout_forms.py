"""Original vs inverted dropout on shared numpy masks (see `impls.dropout_forms`), in PyTorch.
The net is written out (not nn.Dropout) so both forms and their masks are explicit."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from impls import dropout_forms as shared
from impls.spec import TrialSpec
from impls.torch_impl import device

Params = dict[str, torch.Tensor]


def forward(p: Params, x: torch.Tensor, depth: int, form: str, keep: list[float], masks: Any) -> torch.Tensor:
    """masks: per site (batch, features) tensors in training, None at test time."""
    h = x
    for site in range(depth + 1):
        q = keep[site]
        if masks is not None:
            h = h * masks[site] / q if form == "inverted" else h * masks[site]
        elif form == "original":
            h = h * q
        if site < depth:
            h = F.relu(h @ p[f"hidden{site}/kernel"] + p[f"hidden{site}/bias"])
    return h @ p["head/kernel"] + p["head/bias"]


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    s = shared.setup(spec, seed)
    depth = spec.model.depth  # type: ignore[attr-defined]
    forms = {"inverted": (s.w0, dict.fromkeys(s.w0, s.lr_inv)), "original": (s.w0_orig, s.lr)}
    # clone: the updates below are in place and must not write into the shared initial weights
    params = {
        f: {k: device.tensor(v).clone().requires_grad_(True) for k, v in w.items()}
        for f, (w, _) in forms.items()
    }
    losses: dict[str, list[float]] = {"inverted": [], "original": []}
    xs, ys = s.split.x_train, s.split.y_train
    for idx, masks in zip(s.order, s.masks, strict=True):
        x, y = device.tensor(xs[idx]), device.tensor(ys[idx])
        for form, (_, lr) in forms.items():
            p = params[form]
            m = [device.tensor(a) for a in masks]
            loss = F.cross_entropy(forward(p, x, depth, form, s.keep, m), y)
            grads = torch.autograd.grad(loss, list(p.values()))
            with torch.no_grad():
                for (k, v), g in zip(p.items(), grads, strict=True):
                    v -= lr[k] * g
            losses[form].append(float(loss.detach()))
    with torch.no_grad():
        xt = device.tensor(s.split.x_test)
        test = {
            f: device.numpy(F.softmax(forward(params[f], xt, depth, f, s.keep, None), dim=1)) for f in forms
        }
    metrics = shared.summarise(s, losses["inverted"], losses["original"], test["inverted"], test["original"])
    curves = {f"{f}/batch_loss": [[i + 1, v] for i, v in enumerate(losses[f])] for f in forms}
    return {
        "metrics": metrics,
        "curves": curves,
        "diverged": not all(np.isfinite(v) for v in metrics.values()),
        "timings": {"train_s": time.perf_counter() - t0},
        "env": {"framework": "torch", "version": torch.__version__, "device": "cpu", "threads": threads},
    }
