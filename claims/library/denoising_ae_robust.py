"""The note: a denoising AE (masking noise) 'understands noisy images'."""

from claims import Claim, Expect, spec

LEVELS = (0.25, 0.5)


class DenoisingAeRobust(Claim):
    name = "denoising-ae-robust"
    version = 1
    title = "An autoencoder trained with masking noise handles corrupted inputs better than a plain one"
    section = "H. Autoencoders"
    source = (
        "Denoiser auto encoder - masking areas in order to create an encoder that understands noisy images"
    )
    literature = (
        "Vincent, Larochelle, Bengio & Manzagol 2008, 'Extracting and composing robust features with denoising "
        "autoencoders' (ICML): one over-complete logistic hidden layer, tied weights, masking noise (a random "
        "fraction of inputs set to 0, here 25%), inputs in [0, 1]. Here digits, 64 -> 128 -> 64, logistic output, "
        "squared error (theirs: cross-entropy), Adam instead of plain SGD."
    )
    literature_effect = (
        "Vincent et al. 2008 report lower classification error for stacked denoising AEs than for plain "
        "AEs on MNIST variants (their Table 1); the exact numbers were not verified here."
    )
    operationalisation = (
        "The two arms differ only in training noise (masking fraction 0 vs 0.25, drawn fresh every step). Both "
        "are scored on the same corrupted test set (each pixel zeroed with probability 0.25 and 0.5, one fixed "
        "numpy draw): 'understands' = (a) the reconstruction of the CLEAN image from the corrupted one has at "
        "least 10% lower MSE, (b) a logistic-regression probe fitted on codes of clean training images is at "
        "least 2 points more accurate on codes of corrupted test images."
    )
    factors = {"noise": [0.0, 0.25]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [
        "noisy25/mse_clean",
        "noisy50/mse_clean",
        "noisy25/probe_accuracy",
        "noisy50/probe_accuracy",
        "probe/accuracy_clean",
        "ae/test_mse",
    ]
    expect = [
        Expect(f"noisy{t}/mse_clean", {"noise": 0.25}, {"noise": 0.0}, "less", min_effect=0.1, relative=True)
        for t in (25, 50)
    ] + [
        Expect(f"noisy{t}/probe_accuracy", {"noise": 0.25}, {"noise": 0.0}, "greater", min_effect=0.02)
        for t in (25, 50)
    ]
    figures = [("curve", "test/loss")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data(
                "digits", n_train=self.by_profile(profile, 300, None, None), unit_range=True, target="input"
            ),
            model=spec.Autoencoder(
                widths=(),
                code=128,
                code_activation="sigmoid",
                out_activation="sigmoid",
                tied=True,
                mask_noise=point["noise"],
                init=spec.Init("glorot_uniform"),
            ),
            optimizer=spec.Optimizer("adam", lr=0.003),
            training=spec.Training(epochs=self.by_profile(profile, 2, 30, 150), batch_size=32),
            experiment="autoencode",
            params=(("eval_mask", LEVELS), ("probe", True)),
        )
