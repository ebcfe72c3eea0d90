"""Cross-framework ladder for batch 11: autoencoders (dense, tied, conv, variational) and CD-k.

Same canonical float64 weights in both frameworks -> equal reconstructions, codes, and gradients of
the training loss (mse head + the model's extra term); the VAE's noise is fed to both as the same
numpy array. CD-k: torch, TF and the numpy reference on identical uniforms."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from impls import dbn, init
from impls.spec import Autoencoder
from runners.crosscheck_cases import AE_CONFIGS

pytestmark = pytest.mark.frameworks

# The configurations are shared with the ladder (`claimbench crosscheck --family autoencoder`).
CONFIGS = AE_CONFIGS
# Largest differences observed (float64, this machine): outputs 3.9e-16, codes 7.8e-16, gradients
# 3.3e-16 absolute on values of order 1e-2..1; tolerance set 1000x above the worst.
ATOL = 1e-12


def _data(n_in: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    return rng.random((7, n_in)), rng.normal(size=(7, 8))


def _torch(m: Autoencoder, w: dict[str, np.ndarray], x: np.ndarray, eps: np.ndarray) -> tuple:
    import torch

    from impls.torch_impl import losses, models

    net: Any = models.build(m, 64, 64, "float64")
    models.load_weights(net, w)
    net.eval()
    with torch.no_grad():
        out = net(torch.from_numpy(x)).numpy()
        code = net.encode(torch.from_numpy(x)).numpy()
    net.train()
    net.noise = lambda shape, dt: torch.from_numpy(eps[:, : shape[1]])
    loss = losses.head_loss(net(torch.from_numpy(x)), torch.from_numpy(x), "mse", "mean")
    extra = net.extra_loss("mean")
    loss = loss + extra if extra is not None else loss
    canon = net.canonical()
    grads = torch.autograd.grad(loss, [t for t, _ in canon.values()])
    g = {
        name: (gr.numpy() if perm is None else np.transpose(gr.numpy(), np.argsort(perm)))
        for (name, (_, perm)), gr in zip(canon.items(), grads, strict=True)
    }
    return out, code, float(loss.detach()), g


def _tf(m: Autoencoder, w: dict[str, np.ndarray], x: np.ndarray, eps: np.ndarray) -> tuple:
    import tensorflow as tf

    from impls.tf_impl import losses, models

    net: Any = models.build(m, 64, 64, "float64")
    models.load_weights(net, w)
    out = np.asarray(net(x, training=False))
    code = np.asarray(net.encode(tf.constant(x)))
    net.noise = lambda shape, dt: tf.constant(eps[:, : m.code])
    canon = net.canonical()
    with tf.GradientTape() as tape:
        loss = losses.head_loss(net(x, training=True), tf.constant(x), "mse", "mean")
        extra = net.extra_loss("mean")
        loss = loss + extra if extra is not None else loss
    grads = tape.gradient(loss, [v for v, _ in canon.values()])
    return out, code, float(loss), {name: np.asarray(g) for name, g in zip(canon, grads, strict=True)}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_forward_and_gradients_match(name: str) -> None:
    m = CONFIGS[name]
    w = init.initial_weights(m, 64, 64, seed=5, dtype="float64")
    x, eps = _data()
    a, b = _torch(m, w, x, eps), _tf(m, w, x, eps)
    np.testing.assert_allclose(a[0], b[0], rtol=0, atol=ATOL, err_msg="reconstruction")
    np.testing.assert_allclose(a[1], b[1], rtol=0, atol=ATOL, err_msg="code")
    assert abs(a[2] - b[2]) < ATOL
    assert set(a[3]) == set(b[3]) == set(w), "same canonical parameters"
    for k in w:
        np.testing.assert_allclose(a[3][k], b[3][k], rtol=0, atol=ATOL, err_msg=f"grad {k}")
        assert np.abs(a[3][k]).max() > 0 or k.endswith("logvar/bias"), f"{k} gets no gradient"


def test_vae_adds_its_kl_term() -> None:
    """The extra term is (2 var / D) * KL(q || N(0, I)), checked against numpy on the eval path."""
    import torch

    from impls.torch_impl import models

    m = CONFIGS["vae"]
    w = init.initial_weights(m, 64, 64, seed=2, dtype="float64")
    net: Any = models.build(m, 64, 64, "float64")
    models.load_weights(net, w)
    x, _ = _data()
    net.eval()
    net(torch.from_numpy(x))
    h = np.maximum(x @ w["enc0/kernel"] + w["enc0/bias"], 0)
    mu, lv = h @ w["mu/kernel"] + w["mu/bias"], h @ w["logvar/kernel"] + w["logvar/bias"]
    kl = 0.5 * (mu**2 + np.exp(lv) - 1 - lv).sum(1)
    assert float(net.extra_loss("mean").detach()) == pytest.approx((2 * 0.05 / 64) * kl.mean(), rel=1e-12)


def test_masking_noise_zeroes_without_rescaling() -> None:
    """Through an identity linear AE, training-mode outputs are the masked inputs: about p of them
    zeroed, the rest unscaled, none in evaluation. The draws differ between frameworks (each one's
    RNG from the trial seed): the named, intentional difference, so only the statistics are compared."""
    import torch

    from impls.tf_impl import models as tfm
    from impls.torch_impl import models as tm

    m = Autoencoder(widths=(), code=64, activation="linear", mask_noise=0.3)
    w = {
        "code/kernel": np.eye(64),
        "code/bias": np.zeros(64),
        "dec0/kernel": np.eye(64),
        "dec0/bias": np.zeros(64),
    }
    x = np.full((200, 64), 0.5)
    tnet: Any = tm.build(m, 64, 64, "float64")
    tm.load_weights(tnet, w)
    tnet.train()
    knet = tfm.build(m, 64, 64, "float64")
    tfm.load_weights(knet, w)
    knet.seed_dropout(1)
    with torch.no_grad():
        outs = [tnet(torch.from_numpy(x)).numpy(), np.asarray(knet(x, training=True))]
    for h in outs:
        assert set(np.unique(np.round(h, 12))) <= {0.0, 0.5}
        assert abs((h == 0).mean() - 0.3) < 0.02
    tnet.eval()
    with torch.no_grad():
        np.testing.assert_array_equal(tnet(torch.from_numpy(x)).numpy(), x)
    np.testing.assert_array_equal(np.asarray(knet(x, training=False)), x)


def test_cd_k_matches_numpy_in_both_frameworks() -> None:
    from impls.tf_impl.experiments import dbn as tf_dbn
    from impls.torch_impl.experiments import dbn as torch_dbn

    rng = np.random.default_rng(0)
    v = rng.random((50, 12))
    w0, bv, bh = rng.normal(0, 0.1, (12, 9)), np.zeros(12), np.zeros(9)

    def steps() -> dbn.Steps:
        return dbn.rbm_steps(v, 9, batch=16, epochs=2, k=2, seed=4, layer=0)

    ref = dbn.cd_reference(w0, bv, bh, steps(), 0.1, 2)
    # Observed max |difference|: torch 1.1e-16, TF 2.2e-16 (float64).
    for fw in (torch_dbn, tf_dbn):
        got = fw.cd_train(w0, bv, bh, steps(), 0.1, 2)
        for r, g in zip(ref, got, strict=True):
            np.testing.assert_allclose(g, r, rtol=0, atol=1e-12)
    assert np.abs(ref[0] - w0).max() > 1e-3, "CD moved the weights"
    # TF keeps one traced step per RBM shape: a second RBM of that shape starts from its own weights,
    # and the first one's results stay as they were
    first = tf_dbn.cd_train(w0, bv, bh, steps(), 0.1, 2)
    w1 = rng.normal(0, 0.1, (12, 9))
    second = tf_dbn.cd_train(w1, bv + 0.5, bh, steps(), 0.1, 2)
    for r, g in zip(dbn.cd_reference(w1, bv + 0.5, bh, steps(), 0.1, 2), second, strict=True):
        np.testing.assert_allclose(g, r, rtol=0, atol=1e-12)
    for r, g in zip(ref, first, strict=True):
        np.testing.assert_allclose(g, r, rtol=0, atol=1e-12)
    assert len([k for k in tf_dbn._STEPS if k[:2] == (12, 9)]) == 1


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_upsampling_is_repeat_interleave_bit_for_bit(dtype: str) -> None:
    """`up2` replaced repeat_interleave for speed; stored conv-AE results stay valid only if its
    values and gradients are the same bits, signed zeros included (index_add adds into +0.0)."""
    import torch

    from impls.torch_impl.autoencoder import up2

    dt = getattr(torch, dtype)
    gen = torch.Generator().manual_seed(0)
    h = torch.randn((7, 16, 4, 3), generator=gen, dtype=dt, requires_grad=True)
    g = torch.randn((7, 16, 8, 6), generator=gen, dtype=dt)
    g[g.abs() < 0.5] = -0.0  # pairs of -0.0: their sum is -0.0, but index_add gives +0.0
    ref = h.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    (g_ref,) = torch.autograd.grad(ref, h, g)
    out = up2(h)
    (g_out,) = torch.autograd.grad(out, h, g)
    assert torch.equal(out, ref)
    assert torch.equal(g_out, g_ref) and torch.equal(torch.signbit(g_out), torch.signbit(g_ref))
