"""Framework-free pieces of batch 11: PCA baseline, sharpness, data targets, masking, loop stop."""

from __future__ import annotations

import numpy as np
import pytest

from impls import autoencode, data, imagestats, init, loop, pca
from impls.spec import Autoencoder, Data, Training, TrialSpec


def test_pca_is_sklearns_and_angles_are_zero_on_its_own_subspace() -> None:
    from sklearn.decomposition import PCA as SkPCA

    x = np.random.default_rng(0).normal(size=(200, 10)) @ np.diag(np.arange(10, 0, -1.0))
    p, sk = pca.fit(x, 3), SkPCA(3).fit(x)
    np.testing.assert_allclose(p.reconstruct(x), sk.inverse_transform(sk.transform(x)), atol=1e-10)
    mixed = p.components.T @ np.array([[1.0, 2, 0], [0, 1, 3], [1, 0, 1]])  # same span, not orthonormal
    assert pca.principal_angles_deg(mixed, p.components.T).max() < 1e-5
    other = pca.fit(x, 4).components[1:].T
    assert pca.principal_angles_deg(other, p.components.T).max() == pytest.approx(90.0)


def test_sharpness_is_one_for_the_inputs_and_lower_when_blurred() -> None:
    from scipy.ndimage import uniform_filter

    x = np.random.default_rng(1).random((20, 64))
    blurred = np.stack([uniform_filter(i.reshape(8, 8), 3) for i in x]).reshape(20, 64)
    assert imagestats.sharpness(x, x, (8, 8, 1)) == {"hf_ratio": 1.0, "grad_ratio": 1.0}
    s = imagestats.sharpness(blurred, x, (8, 8, 1))
    assert s["hf_ratio"] < 0.3 and s["grad_ratio"] < 0.7


def test_autoencoder_targets_are_the_unit_range_inputs() -> None:
    s = data.load(Data("digits", unit_range=True, target="input", n_train=50), seed=3)
    assert s.n_classes == 0 and s.n_outputs == 64
    np.testing.assert_array_equal(s.x_train, s.y_train)
    assert s.x_train.min() >= 0 and s.x_test.max() <= 1 and s.x_train.max() == 1.0
    labelled = data.load(Data("digits", unit_range=True, n_train=50), seed=3)
    np.testing.assert_array_equal(labelled.x_train, s.x_train)  # same examples, labels instead


def test_masked_test_set_is_fixed_and_has_the_asked_fraction() -> None:
    x = np.ones((100, 64))
    a, b = autoencode.masked(x, 0.25), autoencode.masked(x, 0.25)
    np.testing.assert_array_equal(a, b)
    assert abs((a == 0).mean() - 0.25) < 0.02


def test_tied_layout_has_no_decoder_kernels() -> None:
    names = [n for n, _ in init.autoencoder_layout(Autoencoder(widths=(8,), code=2, tied=True), 64)]
    assert names == ["enc0/kernel", "code/kernel"]
    w = init.autoencoder_weights(Autoencoder(widths=(8,), code=2, tied=True), 64, 64, 0)
    assert w["dec0/bias"].shape == (8,) and w["dec1/bias"].shape == (64,)


class _Countdown:
    """A fake engine whose evaluated loss falls by 1 per update."""

    def __init__(self) -> None:
        self.n = 0

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        self.n += 1
        return 1.0

    def outputs(self, x: np.ndarray) -> np.ndarray:
        return np.full((len(x), 1), np.sqrt(max(10.0 - self.n, 0.0)))

    def export(self) -> dict[str, np.ndarray]:
        return {}


def test_loop_stops_at_the_first_evaluation_meeting_the_target() -> None:
    x = np.zeros((40, 1))
    split = data.Split(x, x, x[:0], x[:0], x[:5], x[:5], 0)
    spec = TrialSpec(Data(), Autoencoder(), training=Training(epochs=5, batch_size=4, eval_every=2))
    out = loop.train(spec, 0, split, _Countdown(), {}, stop=lambda ev: ev["train/loss"] <= 3.5)  # type: ignore[arg-type]
    assert out["metrics"]["train/steps"] == 8.0  # losses 10 - n: first eval (every 2) <= 3.5 is n = 8
    full = loop.train(spec, 0, split, _Countdown(), {})  # type: ignore[arg-type]
    assert full["metrics"]["train/steps"] == 50.0
