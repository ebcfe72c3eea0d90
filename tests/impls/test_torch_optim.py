"""The torch engines' own SGD and Adam (`torch_impl.optim`) leave out torch.optim's per-step
bookkeeping for speed; their updates must stay torch's foreach updates bit for bit, including a
parameter that has no gradient on some steps (it skips those steps) and an lr changed mid-run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.frameworks

CASES = {
    "sgd": ({"momentum": 0.0}, {}),
    "momentum": ({"momentum": 0.9, "dampening": 0.0}, {}),
    "nesterov": ({"momentum": 0.9, "dampening": 0.0, "nesterov": True}, {}),
    "adam": ({}, {"betas": (0.8, 0.99), "eps": 1e-6}),
}


def _trained(make: Callable[..., Any], dtype: Any, steps: int = 80) -> list[Any]:
    import torch

    gen = torch.Generator().manual_seed(0)
    w1 = torch.randn(5, 7, generator=gen, dtype=dtype).requires_grad_()
    b1 = torch.zeros(7, dtype=dtype).requires_grad_()
    w2 = torch.randn(7, 3, generator=gen, dtype=dtype).requires_grad_()
    extra = torch.randn(4, generator=gen, dtype=dtype).requires_grad_()  # a gradient on even steps only
    params = [w1, b1, w2, extra]
    opt = make(params)
    for t in range(steps):
        x = torch.randn(16, 5, generator=gen, dtype=dtype)
        y = torch.randint(0, 3, (16,), generator=gen)
        for p in params:
            p.grad = None
        loss = torch.nn.functional.cross_entropy(torch.tanh(x @ w1 + b1) @ w2, y)
        if t % 2 == 0:
            loss = loss + (extra**2).sum()
        loss.backward()
        opt.step()
        if t == steps // 2:
            for group in opt.param_groups:
                group["lr"] *= 0.5
    return [p.detach().clone() for p in params]


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
def test_lean_optimisers_update_as_torch_foreach_does(name: str, dtype_name: str) -> None:
    import torch

    from impls.torch_impl import optim

    dtype = getattr(torch, dtype_name)
    sgd_kw, adam_kw = CASES[name]
    if name == "adam":
        ours, theirs = optim.Adam, torch.optim.Adam
        kw: dict[str, Any] = {"lr": 0.01, **adam_kw}
    else:
        ours, theirs = optim.SGD, torch.optim.SGD
        kw = {"lr": 0.05, **sgd_kw}
    got = _trained(lambda ps: ours(ps, foreach=True, **kw), dtype)
    want = _trained(lambda ps: theirs(ps, foreach=True, **kw), dtype)
    assert all(torch.equal(g, w) for g, w in zip(got, want, strict=True))


def test_the_engines_build_the_lean_optimisers() -> None:
    import torch

    from impls.spec import Optimizer
    from impls.torch_impl import optim

    p = [torch.zeros(2, requires_grad=True)]
    for name, cls in [
        ("sgd", optim.SGD),
        ("momentum", optim.SGD),
        ("nesterov", optim.SGD),
        ("adam", optim.Adam),
    ]:
        assert type(optim.make_optimizer(Optimizer(name, lr=0.1, momentum=0.9), p)) is cls
    # a study of the frameworks' own defaults keeps torch's own classes
    assert type(optim.make_optimizer(Optimizer("adam", lr=0.1, defaults="framework"), p)) is torch.optim.Adam


@pytest.mark.parametrize(
    ("name", "kw"),
    [("SGD", {"weight_decay": 1e-4}), ("SGD", {"maximize": True}), ("Adam", {"amsgrad": True})],
)
def test_the_lean_optimisers_refuse_options_they_do_not_write_out(name: str, kw: dict[str, Any]) -> None:
    import torch

    from impls.torch_impl import optim

    with pytest.raises(ValueError, match=f"optim.{name} does not implement {next(iter(kw))}"):
        getattr(optim, name)([torch.zeros(2, requires_grad=True)], lr=0.1, **kw)
