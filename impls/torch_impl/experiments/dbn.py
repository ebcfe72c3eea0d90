"""PyTorch side of the "dbn" experiment (see `impls.dbn`): CD-k updates and the fine-tuning engine."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from impls import dbn
from impls.spec import TrialSpec
from impls.torch_impl import device, models
from impls.torch_impl.train import TorchEngine


def cd_train(w: np.ndarray, bv: np.ndarray, bh: np.ndarray, steps: dbn.Steps, lr: float, k: int) -> tuple:
    """CD-k on (n_v, n_h) weights; the uniforms u (k, batch, n_h) come with each batch."""
    W, Bv, Bh = (device.tensor(a.copy()) for a in (w, bv, bh))
    with torch.no_grad():
        for v0_np, u_np in steps:
            v0, u = device.tensor(v0_np), device.tensor(u_np)
            ph0 = torch.sigmoid(v0 @ W + Bh)
            h, ph, pv = (u[0] < ph0).to(W.dtype), ph0, v0
            for s in range(k):
                pv = torch.sigmoid(h @ W.T + Bv)
                ph = torch.sigmoid(pv @ W + Bh)
                if s + 1 < k:
                    h = (u[s + 1] < ph).to(W.dtype)
            n = v0.shape[0]
            W += lr * (v0.T @ ph0 - pv.T @ ph) / n
            Bv += lr * (v0 - pv).mean(0)
            Bh += lr * (ph0 - ph).mean(0)
    return device.numpy(W), device.numpy(Bv), device.numpy(Bh)


def make_engine(spec: TrialSpec, n_in: int, n_out: int, w0: dict[str, np.ndarray], seed: int) -> TorchEngine:
    torch.manual_seed(seed % (2**63))
    net = models.build(spec.model, n_in, n_out, spec.training.dtype)
    models.load_weights(net, w0)
    return TorchEngine(spec, net)


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    result = dbn.run(spec, seed, cd_train, make_engine, threads)
    result["env"] = {"framework": "torch", "version": torch.__version__, "device": "cpu", "threads": threads}
    return result
