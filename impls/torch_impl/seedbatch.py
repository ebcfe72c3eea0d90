"""PyTorch seed-batched MLP (see `impls.seedbatch`): S seeds' weights stacked on a leading axis,
one update for all of them per step, and `run_seed_batch`."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from impls import seedbatch
from impls.spec import MLP, TrialSpec
from impls.torch_impl import losses, models, optim
from impls.torch_impl.train import env, pin_threads


class StackedMLP:
    """Kernels (S, in, out) in the canonical layout (torch's Linear stores (out, in)), biases
    (S, out). The optimiser is the sequential one (`optim.make_optimizer`) over these stacked
    tensors: every optimiser in the spec is elementwise, so seed s's slice is updated exactly as
    seed s alone would be."""

    def __init__(self, spec: TrialSpec, w0s: list[dict[str, np.ndarray]]) -> None:
        assert isinstance(spec.model, MLP)
        self.spec, self.act = spec, models.ACT[spec.model.activation]
        names = [f"hidden{i}" for i in range(spec.model.depth)] + ["head"]

        def stack(key: str) -> torch.nn.Parameter:
            return torch.nn.Parameter(torch.from_numpy(np.stack([w[key] for w in w0s])))

        self.kernels = [stack(f"{n}/kernel") for n in names]  # (S, in, out)
        self.biases = [stack(f"{n}/bias") for n in names]  # (S, out)
        self.names = names
        params = [p for pair in zip(self.kernels, self.biases, strict=True) for p in pair]
        self.opt = optim.make_optimizer(spec.optimizer, params)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (S, b, in) -> outputs (S, b, k); baddbmm = per-seed x @ W + b."""
        h = x
        for w, b in zip(self.kernels[:-1], self.biases[:-1], strict=True):
            h = self.act(torch.baddbmm(b.unsqueeze(1), h, w))
        return torch.baddbmm(self.biases[-1].unsqueeze(1), h, self.kernels[-1])

    def step(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        t = self.spec.training
        self.opt.zero_grad(set_to_none=True)
        per = losses.per_example(
            self._forward(torch.from_numpy(x)), torch.from_numpy(y), self.spec.model.head
        )
        per_seed = per.sum(dim=1) if t.loss_reduction == "sum" else per.mean(dim=1)  # (S,)
        if t.l2:
            per_seed = per_seed + 0.5 * t.l2 * sum((k**2).sum(dim=(1, 2)) for k in self.kernels)
        per_seed.sum().backward()  # d(sum_s L_s)/dW_s = dL_s/dW_s: each seed gets its own gradient
        self.opt.step()
        out: np.ndarray = per_seed.detach().numpy()
        return out

    def outputs(self, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out: np.ndarray = self._forward(torch.from_numpy(x)).numpy()
        return out

    def outputs_one(self, s: int, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            h = torch.from_numpy(x)  # (n, in)
            for w, b in zip(self.kernels[:-1], self.biases[:-1], strict=True):
                h = self.act(torch.addmm(b[s], h, w[s]))
            out: np.ndarray = torch.addmm(self.biases[-1][s], h, self.kernels[-1][s]).numpy()
        return out

    def export(self, s: int) -> dict[str, np.ndarray]:
        out = {}
        for n, w, b in zip(self.names, self.kernels, self.biases, strict=True):
            out[f"{n}/kernel"] = w[s].detach().numpy().copy()
            out[f"{n}/bias"] = b[s].detach().numpy().copy()
        return out

    def set_lr(self, lr: float) -> None:
        for group in self.opt.param_groups:
            group["lr"] = lr


def run_seed_batch(spec: TrialSpec, seeds: list[int], threads: int = 1) -> list[dict[str, Any]]:
    """`run_trial(spec, seed)` for every seed, trained as one stack; raises
    `impls.seedbatch.NotBatchable` when the spec or the seeds' splits do not allow it."""
    pin_threads(threads)
    return seedbatch.run(spec, seeds, lambda sp, w0s, _n_in, _n_out: StackedMLP(sp, w0s), env())
