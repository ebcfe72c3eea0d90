"""PyTorch trial execution: an `impls.loop.Engine` over a torch model, and `run_trial`."""

from __future__ import annotations

import importlib
import time
from typing import Any, cast

import numpy as np
import torch

from impls import data, init, loop
from impls.spec import MLP, TrialSpec, validate
from impls.torch_impl import device, losses, models, optim


def by_hand(spec: TrialSpec) -> bool:
    """Whether a spec trains on hand-written gradients (`TorchEngine._backward`, the stacked
    `seedbatch.StackedMLP._backward`): a plain MLP (`models.plain`) with a softmax head and no
    L2 term, ~25% less per step than autograd."""
    m = spec.model
    return isinstance(m, MLP) and models.plain(m) and m.head == "softmax" and not spec.training.l2


def pin_threads(n: int) -> None:
    """One intra-op thread per CPU the trial was given (a reused worker keeps its old count)."""
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


class TorchEngine:
    def __init__(self, spec: TrialSpec, net: Any) -> None:  # any family's net (kernels(), forward(x, keep))
        self.spec, self.net = spec, net
        frozen = spec.training.frozen
        skip = {id(t) for name, (t, _) in net.canonical().items() if frozen and name.startswith(frozen)}
        self.opt = optim.make_optimizer(spec.optimizer, [p for p in net.parameters() if id(p) not in skip])
        plateau = spec.training.plateau
        self.sched = optim.make_plateau(self.opt, plateau) if plateau is not None else None
        # a plain MLP with a softmax head and no extra loss term trains on a hand-written backward
        # (~25% less per step; the values bit for bit autograd's): `_backward`
        self.by_hand = isinstance(net, models.MLPNet) and by_hand(spec)

    def _loss(self, x: np.ndarray, y: np.ndarray, keep: list[torch.Tensor] | None = None) -> torch.Tensor:
        t = self.spec.training
        xt = device.tensor(x)
        out = self.net(xt) if keep is None else self.net(xt, keep)
        loss = losses.head_loss(out, device.tensor(y), self.spec.model.head, t.loss_reduction)
        extra = getattr(self.net, "extra_loss", None)  # a model's own term (VAE KL), from this forward
        extra_term = extra(t.loss_reduction) if extra is not None else None
        if extra_term is not None:
            loss = loss + extra_term
        if t.l2:
            loss = loss + 0.5 * t.l2 * sum((k**2).sum() for k in self.net.kernels())
        return loss

    def _backward(self, x: np.ndarray, y: np.ndarray) -> torch.Tensor:
        """The loss on (x, y), with every parameter's gradient in its .grad (cleared before)."""
        if not self.by_hand:
            loss = self._loss(x, y)
            loss.backward()
            return loss
        net = cast(models.MLPNet, self.net)
        with torch.no_grad():
            out, hs, zs = net.forward_kept(device.tensor(x))
            loss, g = losses.softmax_by_hand(out, device.tensor(y), self.spec.training.loss_reduction)
            net.backward_by_hand(g, hs, zs)
        return loss

    def _mode(self, training: bool) -> None:
        """Train or eval mode. Module.train() walks every submodule (~5% of a small net's step);
        the root's flag says whether the tree is in that mode already, since modes here are only
        ever set on the whole tree (bn_inference sets its BN layers, then the tree, back)."""
        if self.net.training != training:
            self.net.train(training)

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        self._mode(True)
        optim.clear_grads(self.opt)
        loss = self._backward(x, y)
        alpha = self.spec.optimizer.backstitch
        if alpha:  # Wang et al. 2017: w' = w + alpha*lr*g(w); w'' = w' - (1+alpha)*lr*g(w'), same batch
            lr = float(self.opt.param_groups[0]["lr"])
            params = [p for p in self.net.parameters() if p.grad is not None]
            with torch.no_grad():
                for p in params:
                    p.add_(p.grad, alpha=alpha * lr)
            optim.clear_grads(self.opt)
            self._backward(x, y)  # second forward/backward: a fresh dropout mask
            with torch.no_grad():
                for p in params:
                    p.add_(p.grad, alpha=-(1.0 + alpha) * lr)
        else:
            self.opt.step()
        if self.spec.training.max_norm:
            self._max_norm(self.spec.training.max_norm)
        return float(loss.detach())

    def _max_norm(self, c: float) -> None:
        # Hidden kernels are (out, in): row j is unit j's incoming weights. renorm scales a row by
        # c / (norm + 1e-7) where norm > c (the TF impl writes that formula out).
        with torch.no_grad():
            for w in self.net.kernels()[:-1]:
                w.renorm_(p=2, dim=0, maxnorm=c)

    def set_lr(self, lr: float) -> None:
        for group in self.opt.param_groups:
            group["lr"] = lr

    def plateau(self, value: float) -> float:
        assert self.sched is not None
        self.sched.step(value)
        return float(self.opt.param_groups[0]["lr"])

    def outputs(self, x: np.ndarray) -> np.ndarray:
        self._mode(False)
        with torch.no_grad():
            return device.numpy(self.net(device.tensor(x)))

    def grad_norms(self, x: np.ndarray, y: np.ndarray) -> list[float]:
        # Gradient of the loss in train mode (dropout/BN as in training) on the probe batch.
        self._mode(True)
        grads = torch.autograd.grad(self._loss(x, y), self.net.kernels())
        return [float(g.norm()) for g in grads]

    def act_grad_vars(self, x: np.ndarray, y: np.ndarray) -> list[float]:
        # Var of dL/dh over (batch, units) for each hidden layer's post-activation output h, train mode.
        self._mode(True)
        keep: list[torch.Tensor] = []
        grads = torch.autograd.grad(self._loss(x, y, keep), keep)
        return [float(g.var(unbiased=False)) for g in grads]

    def activations(self, x: np.ndarray) -> list[np.ndarray]:
        self._mode(False)
        keep: list[torch.Tensor] = []
        with torch.no_grad():
            self.net(device.tensor(x), keep)
        return [device.numpy(a) for a in keep]

    def export(self) -> dict[str, np.ndarray]:
        return models.export_weights(self.net)

    def restore(self, weights: dict[str, np.ndarray]) -> None:
        models.load_weights(self.net, weights)


def run_trial(spec: TrialSpec, seed: int, threads: int = 1) -> dict[str, Any]:
    validate(spec)
    pin_threads(threads)
    if spec.experiment != "train":
        experiment = importlib.import_module(f"impls.torch_impl.experiments.{spec.experiment}")
        out: dict[str, Any] = experiment.run(spec, seed, threads)
        return out
    return tune_then_train(spec, seed)


def tune_then_train(spec: TrialSpec, seed: int) -> dict[str, Any]:
    return loop.tune_then_train(spec, seed, _train)


def fresh_engine(spec: TrialSpec, seed: int) -> tuple[TorchEngine, data.Split, dict[str, np.ndarray]]:
    """The trial's data split, canonical initial weights and an engine starting from them."""
    split = data.load(spec.data, seed, spec.training.dtype)
    engine, w0 = setup(spec, seed, split)
    return engine, split, w0


def flat_grad(engine: TorchEngine, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dtheta over every trainable parameter, flattened (train mode), without updating."""
    engine.net.train()
    params = [p for p in engine.net.parameters() if p.requires_grad]
    grads = torch.autograd.grad(engine._loss(x, y), params)
    return np.concatenate([device.numpy(g.reshape(-1)).astype(np.float64) for g in grads])


def _train(spec: TrialSpec, seed: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    engine, split, w0 = fresh_engine(spec, seed)
    build_s = time.perf_counter() - t0
    result = loop.train(spec, seed, split, engine, w0)
    result["timings"]["build_s"] = build_s
    result["env"] = env()
    return result


def setup(
    spec: TrialSpec, seed: int, split: data.Split, w0: dict[str, np.ndarray] | None = None
) -> tuple[TorchEngine, dict[str, np.ndarray]]:
    """A fresh engine for `split`, from the canonical initial weights of `seed` (or from `w0`);
    experiments use it to run the shared loop on their own data."""
    n_in = split.x_train.shape[1]
    if w0 is None:
        w0 = init.initial_weights(spec.model, n_in, split.n_outputs, seed, spec.training.dtype)  # numpy
    net = seeded_net(spec, seed, n_in, split.n_outputs)
    models.load_weights(net, w0)
    return TorchEngine(spec, net), w0


def seeded_net(spec: TrialSpec, seed: int, n_in: int, n_out: int) -> torch.nn.Module:
    """torch's global generator seeded with `seed`, then the net built: nn.Linear's own init draws
    from that generator (its values are then overwritten by the canonical weights), so this leaves
    the generator where the trial's dropout masks start. The seed-batched engine replays it."""
    torch.manual_seed(seed % (2**63))
    return models.build(spec.model, n_in, n_out, spec.training.dtype)


def env() -> dict[str, Any]:
    return {
        "framework": "torch",
        "version": torch.__version__,
        "device": device.current().type,
        "threads": torch.get_num_threads(),
    }
