"""PyTorch side of the "autoencode" experiment (see `impls.autoencode`): engine and encoder only."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from impls import autoencode
from impls.spec import TrialSpec
from impls.torch_impl import device, models
from impls.torch_impl.train import TorchEngine


def make_engine(spec: TrialSpec, n_in: int, w0: dict[str, np.ndarray], seed: int) -> TorchEngine:
    torch.manual_seed(seed % (2**63))  # masking noise and VAE eps
    net = models.build(spec.model, n_in, n_in, spec.training.dtype)
    models.load_weights(net, w0)
    return TorchEngine(spec, net)


def encode(engine: TorchEngine, x: np.ndarray) -> np.ndarray:
    engine.net.eval()
    with torch.no_grad():
        z = device.numpy(engine.net.encode(device.tensor(x)))
    return z


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    result = autoencode.run(spec, seed, make_engine, encode)
    result["env"] = {"framework": "torch", "version": torch.__version__, "device": "cpu", "threads": threads}
    return result
