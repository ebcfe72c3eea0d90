"""BN at test time: running (moving-average) statistics vs the test batch's own statistics.

Trains with the shared loop, then scores the test set (a) in eval mode (running statistics) and
(b) in chunks of each test batch size with BN in train mode (each chunk normalised by its own
statistics; dropout stays off). params: test_batches (tuple of ints)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from impls import data, experiment_data, loop
from impls.spec import TrialSpec
from impls.torch_impl import device, models, train

BN = (nn.BatchNorm1d, nn.BatchNorm2d)


def batch_stat_outputs(net: nn.Module, x: np.ndarray) -> np.ndarray:
    """Outputs with every BN normalising by this batch's statistics. The running buffers this
    updates are not read in train mode, and the caller restores them afterwards."""
    net.eval()
    for mod in net.modules():
        if isinstance(mod, BN):
            mod.train()
    with torch.no_grad():
        out = device.numpy(net(device.tensor(x)))
    net.eval()
    return out


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    params = dict(spec.params)
    split = data.load(spec.data, seed, spec.training.dtype)
    engine, w0 = train.setup(spec, seed, split)
    result = loop.train(spec, seed, split, engine, w0)
    if result["diverged"]:
        return {**result, "env": train.env()}
    kept = engine.export()
    found = result["metrics"]
    found["bn/acc_running"] = found["test/accuracy"]
    for size in params["test_batches"]:
        chunks = experiment_data.test_chunks(len(split.y_test), int(size), seed)
        outs = [batch_stat_outputs(engine.net, split.x_test[c]) for c in chunks]
        found[f"bn/acc_batch@{size}"] = experiment_data.chunked_accuracy(outs, chunks, split.y_test)
    models.load_weights(engine.net, kept)  # put the running statistics back
    return {**result, "env": train.env()}
