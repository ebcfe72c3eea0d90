"""Cross-framework parity for batch 6's additions: highway gates, alpha-dropout, the back-propagated
activation-gradient probe and the (formerly empty) TF activation probe. float64, same canonical
weights in both frameworks; tolerances were measured, then given ~100x headroom (observed figures
beside each assertion)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np
import pytest

from impls import init
from impls.spec import MLP, Data, Init, Probes, Training, TrialSpec
from runners import crosscheck_cases

pytestmark = pytest.mark.frameworks

N_IN, N_OUT, BATCH = 12, 5, 32


def _pair(m: MLP, seed: int = 3):
    import tensorflow as tf
    import torch

    from impls.tf_impl import train as tf_train
    from impls.torch_impl import models as torch_models
    from impls.torch_impl import train as torch_train

    spec = TrialSpec(data=Data("digits"), model=m, training=Training(dtype="float64"))
    w0 = init.initial_weights(m, N_IN, N_OUT, seed, "float64")
    net = torch_models.build(m, N_IN, N_OUT, "float64")
    torch_models.load_weights(net, w0)
    te = torch_train.TorchEngine(spec, net)
    fe = tf_train.TFEngine(spec, N_IN, N_OUT)
    fe.reset(w0, seed, spec)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, N_IN))
    y = rng.integers(0, N_OUT, BATCH).astype(np.int64)
    del tf, torch
    return te, fe, x, y, w0


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-300))


HIGHWAY = crosscheck_cases.HIGHWAY  # shared with the ladder (`claimbench crosscheck --family mlp`)


def test_highway_weights_are_canonical() -> None:
    w = init.initial_weights(HIGHWAY, N_IN, N_OUT, 3, "float64")
    assert "gate0/kernel" not in w  # the first layer changes the width: no gate
    for i in (1, 2, 3):
        assert w[f"gate{i}/kernel"].shape == (8, 8)
        np.testing.assert_array_equal(w[f"gate{i}/bias"], -1.5)
    plain = init.initial_weights(MLP(depth=4, width=8, init=Init("he_normal")), N_IN, N_OUT, 3, "float64")
    for k, v in plain.items():  # adding gates leaves every other parameter's draw unchanged
        np.testing.assert_array_equal(w[k], v)


def test_highway_forward_and_gradients_match() -> None:
    te, fe, x, y, _ = _pair(HIGHWAY)
    assert _rel(te.outputs(x), fe.outputs(x)) < 1e-12  # observed <= 9e-16
    assert _rel(te.grad_norms(x, y), fe.grad_norms(x, y)) < 1e-12  # observed 6e-17
    # the gates train: one SGD step moves them identically in both frameworks
    te.step(x, y), fe.step(x, y)
    a, b = te.export(), fe.export()
    for i in (1, 2, 3):
        assert _rel(a[f"gate{i}/kernel"], b[f"gate{i}/kernel"]) < 1e-12  # observed <= 9e-16
        assert _rel(a[f"gate{i}/bias"], b[f"gate{i}/bias"]) < 1e-12


def test_highway_starts_near_carry() -> None:
    """With a very negative gate bias T ~ 0, so a highway layer passes its input through."""
    import torch

    from impls.torch_impl import models

    m = MLP(depth=3, width=8, activation="relu", highway=True, highway_gate_bias=-30.0)
    net = models.build(m, N_IN, N_OUT, "float64")
    models.load_weights(net, init.initial_weights(m, N_IN, N_OUT, 0, "float64"))
    keep: list = []
    x = torch.from_numpy(np.random.default_rng(1).normal(size=(4, N_IN)))
    out = net(x, keep)
    first = keep[0]  # output of layer 0 (no gate) is then carried unchanged to the head
    head = net.head(first)
    assert _rel(out.detach(), head.detach()) < 1e-10


def test_alpha_dropout_formula_matches_and_normalises() -> None:
    import tensorflow as tf
    import torch

    from impls.tf_impl.models import alpha_dropout as tf_ad
    from impls.torch_impl.models import alpha_dropout as torch_ad

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200_000,))
    p = 0.1
    keep = (rng.uniform(size=x.shape) >= p).astype(np.float64)
    a = torch_ad(torch.from_numpy(x), torch.from_numpy(keep), p).numpy()
    b = tf_ad(tf.constant(x), tf.constant(keep), p).numpy()
    assert _rel(a, b) < 1e-14  # observed 0 (same formula, same ops)
    # Klambauer et al. 2017: zero mean, unit variance kept (sampling error ~ 0.003 at n = 2e5)
    assert abs(a.mean()) < 0.02 and abs(a.var() - 1.0) < 0.02


@pytest.mark.parametrize("fw", ["torch", "tf"])
def test_alpha_dropout_in_the_net(fw: str) -> None:
    """Train mode drops (some outputs move), eval mode is the identity (same as no dropout)."""
    m = MLP(
        depth=3, width=64, activation="selu", init=Init("lecun_normal"), dropout=0.2, dropout_kind="alpha"
    )
    m0 = MLP(depth=3, width=64, activation="selu", init=Init("lecun_normal"))
    te, fe, x, y, _ = _pair(m)
    te0, fe0, *_ = _pair(m0)
    eng, eng0 = (te, te0) if fw == "torch" else (fe, fe0)
    assert _rel(eng.outputs(x), eng0.outputs(x)) < 1e-12
    assert _rel(eng.grad_norms(x, y), eng0.grad_norms(x, y)) > 1e-3  # train mode: masks applied


@pytest.mark.parametrize(
    "m",
    [
        MLP(depth=6, width=16, activation="tanh", init=Init("glorot_uniform")),
        MLP(depth=4, width=8, activation="relu", init=Init("he_normal"), norm="batch", residual=True),
        HIGHWAY,
    ],
    ids=["tanh", "bn-residual", "highway"],
)
def test_act_grad_vars_and_activations_match(m: MLP) -> None:
    te, fe, x, y, _ = _pair(m)
    # Activations first: a train-mode probe updates BN running stats, and torch (unbiased batch
    # variance) and Keras (biased) update them differently by design (see tf_impl/models.py).
    acts_t, acts_f = te.activations(x), fe.activations(x)
    assert len(acts_t) == len(acts_f) == m.depth  # TF used to return [] (Keras copied `keep`)
    for u, v in zip(acts_t, acts_f, strict=True):
        assert _rel(u, v) < 1e-12  # observed <= 9e-16
    a, b = te.act_grad_vars(x, y), fe.act_grad_vars(x, y)
    assert len(a) == len(b) == m.depth
    assert _rel(a, b) < 1e-12  # observed <= 6e-16


def test_act_grad_var_probe_through_the_loop() -> None:
    from impls.tf_impl import run_trial as run_tf
    from impls.torch_impl import run_trial as run_torch

    spec = TrialSpec(
        data=Data("digits", n_train=64),
        model=MLP(depth=5, width=16, activation="tanh", init=Init("normal", 1.0)),
        training=Training(epochs=1, max_steps=0, dtype="float64"),
        probes=Probes(act_grad_var_at=(0,), activation_stats_at=(0,), probe_batch=64),
    )
    a, b = run_torch(spec, 7)["metrics"], run_tf(spec, 7)["metrics"]
    keys = [k for k in a if k.startswith("probe/act_grad_var/")]
    assert "probe/act_grad_var/log10_spread@0" in keys and len(keys) == 6
    assert set(keys) <= set(b)
    for k in keys:
        assert abs(a[k] - b[k]) <= 1e-10 * max(abs(a[k]), 1e-300) + 1e-12  # observed 1e-15 relative
    assert "probe/act_std/layer4@0" in b
