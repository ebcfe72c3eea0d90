"""Wall time of a forward pass vs a forward+backward pass of an MLP, in one process.

params: batch, reps (measured blocks per pass), warmup (blocks, untimed), block_flops (a block is
as many calls as make about this many forward FLOPs, so tiny nets are not timed at the timer's
resolution; the count comes from `impls.flops`, never from a timing), n_in, n_out.
The two passes are interleaved block by block (the order alternates), so drift in the machine's
load hits both alike; each rep gives one ratio and the trial reports their median and IQR.
Forward = eval-mode forward under no_grad; forward+backward = train-mode forward, loss and
torch.autograd.grad w.r.t. all parameters (no optimiser update)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from impls import flops, init
from impls.spec import MLP, TrialSpec
from impls.timing import DEFAULTS, interleave, summarise
from impls.torch_impl import device, losses, models


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    p = {**DEFAULTS, **dict(spec.params)}
    m, dtype = spec.model, spec.training.dtype
    assert isinstance(m, MLP)
    batch, n_in, n_out = int(p["batch"]), int(p["n_in"]), int(p["n_out"])
    rng = np.random.default_rng([seed & 0xFFFFFFFFFFFF, 5])
    x = device.tensor(rng.normal(size=(batch, n_in)).astype(dtype))
    y = device.tensor(rng.integers(0, n_out, batch).astype(np.int64))
    net = models.build(m, n_in, n_out, dtype)
    models.load_weights(net, init.initial_weights(m, n_in, n_out, seed, dtype))
    params = list(net.parameters())

    def fwd() -> Any:
        net.eval()
        with torch.no_grad():
            return net(x)

    def fb() -> Any:
        net.train()
        return torch.autograd.grad(losses.head_loss(net(x), y, m.head, "mean"), params)

    fl = flops.mlp_flops(m, n_in, n_out, batch)
    inner = max(1, round(float(p["block_flops"]) / fl[0]))
    t0 = time.perf_counter()
    t_f, t_fb = interleave(fwd, fb, int(p["reps"]), int(p["warmup"]), inner)
    env = {
        "framework": "torch",
        "version": torch.__version__,
        "device": "cpu",
        "threads": torch.get_num_threads(),
    }
    return {
        "metrics": summarise(t_f, t_fb, inner, fl),
        "curves": {},
        "diverged": False,
        "timings": {"train_s": time.perf_counter() - t0},
        "env": env,
    }
