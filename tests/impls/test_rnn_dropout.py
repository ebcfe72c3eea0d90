"""The rnn family's dropout semantics, per framework (masks never match across frameworks):
one mask per sequence, the same at every time step (Gal & Ghahramani 2016 / Keras), inverted
scaling, and nothing at evaluation."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.frameworks

torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")

from impls import init, spec  # noqa: E402
from impls.tf_impl import models as tf_models  # noqa: E402
from impls.torch_impl import models as torch_models  # noqa: E402

P = 0.4


def _masks_torch(net, x):
    """Record the masks _mask hands out."""
    seen = []
    orig = net._mask

    def spy(*a, **k):
        out = orig(*a, **k)
        seen.append(out)
        return out

    net._mask = spy
    net.train()
    net(torch.from_numpy(x))
    return [s.numpy() for s in seen if s is not None]


def _masks_tf(net, x):
    seen = []
    orig = net._mask

    def spy(*a, **k):
        out = orig(*a, **k)
        seen.append(out)
        return out

    net._mask = spy
    net.call(tf.constant(x), training=True)
    return [s.numpy() for s in seen if s is not None]


@pytest.mark.parametrize("fw", ["torch", "tf"])
def test_one_mask_per_sequence_inverted_scaling(fw):
    m = spec.RNN(cell="lstm", features=3, hidden=50, input_dropout=P, recurrent_dropout=P, output_dropout=P)
    x = np.random.default_rng(0).normal(size=(400, 3 * 6))
    w = init.initial_weights(m, x.shape[1], 2, 0, "float64")
    if fw == "torch":
        torch.manual_seed(0)
        net = torch_models.build(m, x.shape[1], 2, "float64")
        torch_models.load_weights(net, w)
        masks = _masks_torch(net, x)
    else:
        net = tf_models.build(m, x.shape[1], 2, "float64")
        tf_models.load_weights(net, w)
        net.seed_dropout(0)
        masks = _masks_tf(net, x)
    # input (400, 3), recurrent (400, 50): drawn once per forward, not once per time step (6);
    # the output Dropout layer acts once on the last state: TF draws it with _mask as well, torch
    # with nn.functional.dropout (the same inverted Bernoulli semantics, torch's RNG).
    expected = [(400, 3), (400, 50)] + ([(400, 50)] if fw == "tf" else [])
    assert [mk.shape for mk in masks] == expected
    for mk in masks:
        assert set(np.unique(mk)) <= {0.0, 1.0 / (1.0 - P)}
        assert abs((mk == 0).mean() - P) < 4 * np.sqrt(P * (1 - P) / mk.size)  # 4 sigma


def test_no_dropout_at_evaluation_both_frameworks():
    m = spec.RNN(cell="gru", features=3, hidden=8, input_dropout=P, recurrent_dropout=P, output_dropout=P)
    x = np.random.default_rng(1).normal(size=(10, 3 * 4))
    w = init.initial_weights(m, x.shape[1], 2, 0, "float64")
    tn = torch_models.build(m, x.shape[1], 2, "float64")
    torch_models.load_weights(tn, w)
    fn = tf_models.build(m, x.shape[1], 2, "float64")
    tf_models.load_weights(fn, w)
    tn.eval()
    a = tn(torch.from_numpy(x)).detach().numpy()
    b = fn(tf.constant(x), training=False).numpy()
    assert np.abs(a - b).max() < 1e-12
