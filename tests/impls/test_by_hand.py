"""The torch engine trains a plain MLP (Linear and activation only) with a softmax head on a
hand-written backward (`MLPNet.forward_kept`, `backward_by_hand`, `losses.softmax_by_hand`) for
speed, and so does its seed-batched stack (`seedbatch.StackedMLP._backward`). Loss and gradients
must be autograd's bit for bit: every activation, float32 and float64, mean and sum; only the nets
it is written for may use it; and whole trials must not move."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.frameworks

ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "selu", "elu", "mish", "swish", "leaky_relu"]


def _net(activation: str, dtype: str) -> Any:
    from impls import init
    from impls.spec import MLP, Init
    from impls.torch_impl import models

    m = MLP(depth=3, width=6, activation=activation, init=Init("glorot_normal"))
    net = models.build(m, 5, 4, dtype)
    models.load_weights(net, init.initial_weights(m, 5, 4, 7, dtype))
    return net


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_by_hand_is_autograd_bit_for_bit(activation: str, dtype: str, reduction: str) -> None:
    import torch

    from impls.torch_impl import losses

    net = _net(activation, dtype)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(9, 5, generator=gen, dtype=getattr(torch, dtype))
    y = torch.randint(0, 4, (9,), generator=gen)
    want = losses.head_loss(net(x), y, "softmax", reduction)
    want.backward()
    want_grads = [p.grad for p in net.parameters()]
    for p in net.parameters():
        p.grad = None
    with torch.no_grad():
        out, hs, zs = net.forward_kept(x)
        got, g = losses.softmax_by_hand(out, y, reduction)
        net.backward_by_hand(g, hs, zs)
    assert torch.equal(got, want)
    assert len(want_grads) == 8 and all(g is not None for g in want_grads)
    assert all(torch.equal(p.grad, w) for p, w in zip(net.parameters(), want_grads, strict=True))


def test_only_the_nets_it_is_written_for_train_by_hand() -> None:
    import dataclasses

    from claims import discover
    from impls.spec import MLP
    from impls.torch_impl import models
    from impls.torch_impl.train import TorchEngine
    from runners.plan import expand

    assert set(models.ACT_GRAD) == set(models.ACT)
    claim = discover(entry_points_too=False).claims["relu-resists-vanishing"]
    spec = next(t for t in expand(claim, "smoke") if t.framework == "torch").spec
    assert isinstance(spec.model, MLP)

    def by_hand(model: dict[str, Any] | None = None, training: dict[str, Any] | None = None) -> bool:
        s = dataclasses.replace(
            spec,
            model=dataclasses.replace(spec.model, **(model or {})),
            training=dataclasses.replace(spec.training, **(training or {})),
        )
        return bool(TorchEngine(s, models.build(s.model, 64, 10, "float32")).by_hand)

    assert by_hand()
    changes: list[dict[str, Any]] = [
        {"residual": True},
        {"highway": True},
        {"dropout": 0.1},
        {"input_dropout": 0.1},
        {"norm": "batch"},
        {"norm": "layer"},
        {"head": "hinge"},
    ]
    for change in changes:
        assert not by_hand(model=change), change
    assert not by_hand(training={"l2": 1e-4})


def test_a_trial_trains_to_the_same_bits_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    """relu-resists-vanishing at smoke size (5 SGD steps, its gradient probe), both ways."""
    from claims import discover
    from impls.torch_impl import train
    from runners.plan import expand

    claim = discover(entry_points_too=False).claims["relu-resists-vanishing"]
    trial = next(t for t in expand(claim, "smoke") if t.framework == "torch")
    made: list[Any] = []
    init = train.TorchEngine.__init__

    def spy(self: Any, *args: Any) -> None:
        init(self, *args)
        made.append(self)

    monkeypatch.setattr(train.TorchEngine, "__init__", spy)
    by_hand = train.run_trial(trial.spec, trial.seed)
    assert [e.by_hand for e in made] == [True]
    monkeypatch.setattr(train.TorchEngine, "_backward", _autograd_backward)
    autograd = train.run_trial(trial.spec, trial.seed)
    assert by_hand["metrics"] == autograd["metrics"]
    assert by_hand["curves"] == autograd["curves"]


def _autograd_backward(self: Any, x: Any, y: Any) -> Any:
    loss = self._loss(x, y)
    loss.backward()
    return loss


@pytest.mark.parametrize("activation", ["relu", "tanh", "selu", "leaky_relu"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_stacked_by_hand_is_autograd_bit_for_bit(activation: str, dtype: str, reduction: str) -> None:
    """The seed-batched stack's hand-written backward (`StackedMLP._backward`): per-seed losses
    and the stacked gradients of sum_s L_s equal autograd's through `_losses`."""
    import dataclasses

    import numpy as np
    import torch

    from impls import init
    from impls.spec import MLP, Data, Init, Optimizer, Training, TrialSpec
    from impls.torch_impl.seedbatch import StackedMLP

    m = MLP(depth=3, width=6, activation=activation, init=Init("glorot_normal"))
    spec = TrialSpec(
        data=Data("digits"),
        model=m,
        optimizer=Optimizer("sgd", lr=0.1),
        training=Training(dtype=dtype, loss_reduction=reduction),
    )
    seeds = [1, 2, 3]
    stack = StackedMLP(spec, seeds, [init.initial_weights(m, 5, 4, s, dtype) for s in seeds], 5, 4)
    assert stack.by_hand
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((3, 9, 5)).astype(dtype), rng.integers(0, 4, (3, 9))
    got = stack._backward(x, y)
    params = [*stack.kernels, *stack.biases]
    got_grads = [p.grad for p in params]
    for p in params:
        p.grad = None
    want = stack._losses(x, y)
    want.sum().backward()
    assert got.shape == (3,) and torch.equal(got, want.detach())
    assert all(g is not None and torch.equal(g, p.grad) for g, p in zip(got_grads, params, strict=True))
    # and only plain stacks with a softmax head and no L2 term take this path
    for change in ({"residual": True}, {"norm": "batch"}, {"dropout": 0.1}, {"head": "hinge"}):
        other = dataclasses.replace(spec, model=dataclasses.replace(m, **change))
        w0s = [init.initial_weights(other.model, 5, 4, s, dtype) for s in seeds]
        assert not StackedMLP(other, seeds, w0s, 5, 4).by_hand, change
    l2 = dataclasses.replace(spec, training=dataclasses.replace(spec.training, l2=1e-3))
    assert not StackedMLP(l2, seeds, [init.initial_weights(m, 5, 4, s, dtype) for s in seeds], 5, 4).by_hand
