"""Optimisers from `impls.spec.Optimizer` (the updates are written out in its docstring).

torch.optim where it follows the published update exactly: SGD (heavy-ball / Nesterov momentum,
dampening 0), Adagrad (eps outside the root, lr_decay 0), Adadelta (eps inside both roots),
RMSprop (alpha = rho, uncentred, eps outside the root, no momentum) and Adam (eps after bias
correction). Own code where torch has none: Adam without bias correction and AdaMod. Backstitch
needs two gradients per batch, so it lives in the engine's step (train.py), not here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from impls.spec import Optimizer

FRAMEWORK_DEFAULTS = {
    "sgd": "SGD",
    "momentum": "SGD",
    "nesterov": "SGD",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "rmsprop": "RMSprop",
    "adam": "Adam",
}


class AdamVariant(torch.optim.Optimizer):
    """Adam without bias correction (`adamod=False, bias_correction=False`) or AdaMod
    (Ding et al. 2019, Algorithm 1: Adam's bias-corrected step size lr/(sqrt(v_hat)+eps) is
    smoothed by an exponential average s with beta3 and clipped to min(step, s))."""

    def __init__(self, params: Iterable[Any], o: Optimizer) -> None:
        super().__init__(params, {"lr": o.lr})
        self.o = o

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:  # type: ignore[override]
        o = self.o
        for group in self.param_groups:
            lr = group["lr"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:
                    st["t"] = 0
                    st["m"], st["v"], st["s"] = (torch.zeros_like(p) for _ in range(3))
                st["t"] += 1
                t, g = st["t"], p.grad
                st["m"].mul_(o.beta1).add_(g, alpha=1.0 - o.beta1)
                st["v"].mul_(o.beta2).addcmul_(g, g, value=1.0 - o.beta2)
                if o.name == "adam_nobc":
                    p.sub_(lr * st["m"] / (st["v"].sqrt() + o.eps))
                    continue
                m_hat = st["m"] / (1.0 - o.beta1**t)
                v_hat = st["v"] / (1.0 - o.beta2**t)
                eta = lr / (v_hat.sqrt() + o.eps)
                st["s"].mul_(o.beta3).add_(eta, alpha=1.0 - o.beta3)
                p.sub_(torch.minimum(eta, st["s"]) * m_hat)


def _refuse_unwritten(opt: torch.optim.Optimizer, **off: Any) -> None:
    """The lean steps below write out torch's update with these options at their off value only:
    any other value is refused here, not silently ignored."""
    on = sorted({k for group in opt.param_groups for k, v in off.items() if group.get(k, v) != v})
    if on:
        raise ValueError(f"torch_impl.optim.{type(opt).__name__} does not implement {', '.join(on)}")


class SGD(torch.optim.SGD):
    """torch.optim.SGD(foreach=True)'s update op for op (`_multi_tensor_sgd` with weight decay
    and maximize off): plain, heavy-ball and Nesterov momentum with the same foreach calls, the
    buffer made as a copy of the first gradient, and Nesterov's sum written into the gradients as
    torch does. It leaves out torch's bookkeeping, as `Adam` below does."""

    def __init__(self, params: Iterable[Any], **kw: Any) -> None:
        super().__init__(params, **kw)
        _refuse_unwritten(self, weight_decay=0.0, maximize=False)

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:  # type: ignore[override]
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            momentum = group["momentum"]
            if momentum != 0:
                states = [self.state[p] for p in params]
                bufs = [st.get("momentum_buffer") for st in states]
                if all(b is not None for b in bufs):
                    torch._foreach_mul_(bufs, momentum)
                    torch._foreach_add_(bufs, grads, alpha=1 - group["dampening"])
                else:
                    for i, (st, buf) in enumerate(zip(states, bufs, strict=True)):
                        if buf is None:
                            bufs[i] = st["momentum_buffer"] = grads[i].detach().clone()
                        else:
                            buf.mul_(momentum).add_(grads[i], alpha=1 - group["dampening"])
                if group["nesterov"]:
                    torch._foreach_add_(grads, bufs, alpha=momentum)
                else:
                    grads = bufs
            torch._foreach_add_(params, grads, alpha=-group["lr"])

    step.hooked = True  # type: ignore[attr-defined]  # see Adam.step


class Adam(torch.optim.Adam):
    """torch.optim.Adam(foreach=True)'s update op for op (`_multi_tensor_adam` with amsgrad,
    weight decay, maximize and capturable off): the same foreach calls with the same Python-float
    scalars, so the same values bit for bit. What it leaves out is bookkeeping: the step wrapper's
    hooks and profiler record, `_init_group`, grouping by device and dtype, and one step tensor
    per parameter read back with `.item()` twice a step: about half of torch's Adam on a small
    CNN (tests/impls/test_torch_optim.py holds it to torch's values). The step count is kept per
    parameter, as a float, so a parameter without a gradient skips a step as in torch."""

    def __init__(self, params: Iterable[Any], **kw: Any) -> None:
        super().__init__(params, **kw)
        _refuse_unwritten(self, weight_decay=0.0, amsgrad=False, maximize=False)

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:  # type: ignore[override]
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps = group["lr"], group["eps"]
            params, grads, avgs, sqs, steps = [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:
                    st["step"] = 0.0
                    st["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    st["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                st["step"] += 1.0
                params.append(p)
                grads.append(p.grad)
                avgs.append(st["exp_avg"])
                sqs.append(st["exp_avg_sq"])
                steps.append(st["step"])
            if not params:
                continue
            torch._foreach_lerp_(avgs, grads, 1 - beta1)
            torch._foreach_mul_(sqs, beta2)
            torch._foreach_addcmul_(sqs, grads, grads, 1 - beta2)
            step_size = [(lr / (1 - beta1**t)) * -1 for t in steps]
            bias_correction2_sqrt = [(1 - beta2**t) ** 0.5 for t in steps]
            denom = torch._foreach_sqrt(sqs)
            torch._foreach_div_(denom, bias_correction2_sqrt)
            torch._foreach_add_(denom, eps)
            torch._foreach_addcdiv_(params, avgs, denom, step_size)

    # torch.optim.Optimizer wraps a subclass' `step` in a profiler record and the optimizer hook
    # calls unless it is marked as wrapped already (~50 us a step); nothing here registers hooks
    step.hooked = True  # type: ignore[attr-defined]


def make_optimizer(o: Optimizer, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """foreach=True: the same update as torch's per-tensor loop (the CPU default), in one C++ call
    per op over all tensors instead of a Python loop; checked bit-identical over 200 steps of a
    32-layer MLP under every optimiser here, float32 and float64; 10-50% less optimiser time."""
    if o.defaults == "framework":  # torch's own out-of-the-box settings (momentum stays explicit)
        cls = getattr(torch.optim, FRAMEWORK_DEFAULTS[o.name])
        if o.name in ("momentum", "nesterov"):
            return cls(params, momentum=o.momentum, nesterov=o.name == "nesterov")
        return cls(params)
    if o.name == "sgd":
        return SGD(params, lr=o.lr, momentum=0.0, foreach=True)
    if o.name in ("momentum", "nesterov"):
        return SGD(
            params, lr=o.lr, momentum=o.momentum, dampening=0.0, nesterov=o.name == "nesterov", foreach=True
        )
    if o.name == "adam":
        return Adam(params, lr=o.lr, betas=(o.beta1, o.beta2), eps=o.eps, foreach=True)
    if o.name == "adagrad":
        return torch.optim.Adagrad(
            params,
            lr=o.lr,
            lr_decay=0.0,
            initial_accumulator_value=o.initial_accumulator,
            eps=o.eps,
            foreach=True,
        )
    if o.name == "adadelta":
        return torch.optim.Adadelta(params, lr=o.lr, rho=o.rho, eps=o.eps, foreach=True)
    if o.name == "rmsprop":
        return torch.optim.RMSprop(
            params, lr=o.lr, alpha=o.rho, eps=o.eps, momentum=0.0, centered=False, foreach=True
        )
    if o.name in ("adam_nobc", "adamod"):
        return AdamVariant(params, o)
    raise ValueError(f"optimizer.name={o.name!r} has no PyTorch implementation")


def clear_grads(opt: torch.optim.Optimizer) -> None:
    """`opt.zero_grad(set_to_none=True)`: every parameter's grad set to None, as that call does,
    without its profiler and compiler wrappers (~27 us a call, a twentieth of a small step)."""
    for group in opt.param_groups:
        for p in group["params"]:
            p.grad = None


def make_plateau(opt: torch.optim.Optimizer, p: Any) -> torch.optim.lr_scheduler.ReduceLROnPlateau:
    """torch's own scheduler with spec.Plateau's semantics (absolute threshold, torch's patience)."""
    return torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt,
        mode="min",
        factor=p.factor,
        patience=p.patience,
        threshold=p.threshold,
        threshold_mode="abs",
        cooldown=p.cooldown,
        min_lr=p.min_lr,
    )
