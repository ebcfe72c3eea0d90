"""Seed-batched dense autoencoders equal sequential seeds, in each framework: every metric (the
shared loop's and the autoencode study's: PCA ratios, subspace angles, sharpness, probes on
masked inputs) and every curve point of `run_seed_batch` against `run_trial` per seed, float64.
The masking noise and the VAE's eps come from each seed's own stream in its sequential order, so
the stochastic cases match as tightly as the deterministic ones."""

from __future__ import annotations

import pytest

from impls.spec import Autoencoder, Data, Init, Optimizer, Training, TrialSpec
from tests.parity.seedbatch_check import stacked_and_sequential

pytestmark = pytest.mark.frameworks

SEEDS = [3, 11, 42]
PIXELS = Data("digits", n_train=200, unit_range=True, target="input")
CASES: dict[str, tuple[Autoencoder, tuple[tuple[str, object], ...]]] = {
    "linear-angles": (Autoencoder(widths=(), code=4, activation="linear"), (("angles", True),)),
    "deep-sharpness": (
        Autoencoder(widths=(16, 8), code=3, out_activation="sigmoid", init=Init("he_uniform")),
        (("sharpness", True),),
    ),
    "tied": (Autoencoder(widths=(12,), code=5, activation="sigmoid", tied=True), (("sharpness", True),)),
    "masking-noise-probe": (
        Autoencoder(widths=(), code=6, mask_noise=0.3),
        (("eval_mask", (0.25,)), ("probe", True)),
    ),
    "vae": (
        Autoencoder(widths=(10,), code=3, variational=True, decoder_var=0.05, mask_noise=0.2),
        (("sharpness", True),),
    ),
}


def _spec(case: str) -> TrialSpec:
    model, params = CASES[case]
    return TrialSpec(
        data=PIXELS,
        model=model,
        optimizer=Optimizer("adam", lr=3e-3),
        training=Training(epochs=2, batch_size=32, dtype="float64"),
        experiment="autoencode",
        params=params,
    )


@pytest.mark.parametrize("framework", ["torch", "tf"])
@pytest.mark.parametrize("case", list(CASES))
def test_seed_batched_autoencoder_equals_sequential(framework: str, case: str) -> None:
    pairs = stacked_and_sequential(framework, _spec(case), SEEDS, 1e-9)
    assert all("pca/test_mse" in want["metrics"] for _, want in pairs)  # the study's metrics too
