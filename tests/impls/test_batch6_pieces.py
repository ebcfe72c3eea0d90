"""Framework-free pieces of batch 6: analytic FLOPs, the layer-spread summary, the timing summary,
and steps-to-target in the shared loop (with a fake engine, so no framework is imported)."""

from __future__ import annotations

import math

import numpy as np

from impls import data, flops, loop, metrics, timing
from impls.spec import MLP, Data, Training, TrialSpec


def test_mlp_flops_by_hand() -> None:
    # 3 -> 4 -> 2, batch 5: forward = (2*5*3*4 + 5*4 + 5*4) + (2*5*4*2 + 5*2) = 160 + 90
    fwd, bwd = flops.mlp_flops(MLP(depth=1, width=4), n_in=3, n_out=2, batch=5)
    assert fwd == 250.0
    # backward: layer 0 has no dL/dx: (120 + 20 + 20) + (80 + 10) + dL/dx of the head (80)
    assert bwd == 330.0


def test_flop_ratio_tends_to_two_with_depth() -> None:
    ratios = [flops.mlp_flops(MLP(depth=d, width=512), 64, 10, 64) for d in (1, 8, 64)]
    r = [b / f for f, b in ratios]
    assert r[0] < r[1] < r[2] < 2.0 and r[2] > 1.95


def test_layer_spread() -> None:
    out = metrics.layer_spread("p", [1.0, 10.0, 100.0], 0)
    assert out["p/layer2@0"] == 100.0 and out["p/log10_spread@0"] == 2.0
    assert math.isinf(metrics.layer_spread("p", [0.0, 1.0], 0)["p/log10_spread@0"])


def test_timing_summary() -> None:
    m = timing.summarise([1.0, 1.0, 1.0], [3.0, 4.0, 2.0], inner=2, fl=(10.0, 20.0))
    assert m["time/backward_over_forward"] == 2.0 and m["time/fwdbwd_over_forward"] == 3.0
    assert m["flops/backward_over_forward"] == 2.0 and m["time/forward_ms"] == 500.0
    t_f, t_fb = timing.interleave(lambda: None, lambda: None, reps=4, warmup=1, inner=3)
    assert len(t_f) == len(t_fb) == 4


class _Fake:
    """An Engine whose outputs get more confident with every step: loss falls deterministically."""

    def __init__(self, k: int) -> None:
        self.k, self.t = k, 0

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        self.t += 1
        return 1.0

    def outputs(self, x: np.ndarray) -> np.ndarray:
        return np.zeros((len(x), self.k)) + 0.0 * self.t

    def grad_norms(self, x, y):  # pragma: no cover - not probed
        return []

    def act_grad_vars(self, x, y):  # pragma: no cover - not probed
        return []

    def activations(self, x):  # pragma: no cover - not probed
        return []

    def export(self) -> dict[str, np.ndarray]:
        return {}


def _run(target: float) -> dict[str, float]:
    spec = TrialSpec(
        data=Data("digits", n_train=100),
        model=MLP(),
        training=Training(epochs=1, batch_size=10, eval_every=3, target_loss=target),
    )
    split = data.load(spec.data, 0)
    return loop.train(spec, 0, split, _Fake(10), {})["metrics"]


def test_steps_to_target_reached_and_not() -> None:
    # uniform outputs: loss is ln 10 = 2.303 at every evaluation (first one after 3 steps)
    assert _run(2.31)["train/steps_to_target"] == 3.0
    never = _run(2.0)
    assert never["train/steps_to_target"] == never["train/steps"] + 1 == 11.0
    assert "train/steps_to_target" not in _run_no_target()


def _run_no_target() -> dict[str, float]:
    spec = TrialSpec(
        data=Data("digits", n_train=100), model=MLP(), training=Training(epochs=1, batch_size=10)
    )
    return loop.train(spec, 0, data.load(spec.data, 0), _Fake(10), {})["metrics"]
