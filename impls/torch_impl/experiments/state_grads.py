"""`state_grads`: the shared training loop plus the gradient of the loss w.r.t. the hidden state at
every time step (rnn family: the top layer's h_t) or every hidden layer (mlp: its post-activation
output), at initialisation (@0) and after training (@end). Eval mode (no dropout, running norm
statistics) on the loop's probe batch; norms are L2 over (batch, units).
Params: none. Metrics: `impls.metrics.state_grad_summaries` + everything `run_trial` records."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from impls import data, init, loop, metrics
from impls.spec import TrialSpec
from impls.torch_impl import device, losses, models
from impls.torch_impl.train import TorchEngine


def state_grad_norms(net: Any, x: np.ndarray, y: np.ndarray, head: str) -> list[float]:
    net.eval()
    hs: list[torch.Tensor] = []
    xt = device.tensor(x)
    out = net(xt, states=hs) if hasattr(net, "steps") else net(xt, hs)  # rnn: states, mlp: keep
    loss = losses.head_loss(out, device.tensor(y), head, "mean")
    if not hs:
        raise RuntimeError("the model handed back no hidden states")
    return [float(g.norm()) for g in torch.autograd.grad(loss, hs)]


def probe_batch(spec: TrialSpec, seed: int, split: data.Split) -> tuple[np.ndarray, np.ndarray]:
    """The same probe examples as `impls.loop.train` uses."""
    idx = np.random.default_rng([seed & 0xFFFFFFFFFFFF, 11]).permutation(len(split.x_train))
    idx = idx[: spec.probes.probe_batch]
    return split.x_train[idx], split.y_train[idx]


def run(spec: TrialSpec, seed: int, threads: int) -> dict[str, Any]:
    torch.manual_seed(seed % (2**63))
    t0 = time.perf_counter()
    dtype, head = spec.training.dtype, spec.model.head
    split = data.load(spec.data, seed, dtype)
    n_in = split.x_train.shape[1]
    w0 = init.initial_weights(spec.model, n_in, split.n_outputs, seed, dtype)
    net = models.build(spec.model, n_in, split.n_outputs, dtype)
    models.load_weights(net, w0)
    engine = TorchEngine(spec, net)
    px, py = probe_batch(spec, seed, split)
    found = metrics.state_grad_summaries(state_grad_norms(net, px, py, head), 0)
    build_s = time.perf_counter() - t0
    result = loop.train(spec, seed, split, engine, w0)
    if not result["diverged"]:
        found.update(metrics.state_grad_summaries(state_grad_norms(net, px, py, head), "end"))
    result["metrics"].update(found)
    result["timings"]["build_s"] = build_s
    result["env"] = {"framework": "torch", "version": torch.__version__, "device": "cpu", "threads": threads}
    return result
