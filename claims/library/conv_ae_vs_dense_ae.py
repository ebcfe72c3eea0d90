"""The note: 'Convolutional auto encoder' (as a kind of AE for images)."""

from claims import Claim, Expect, spec


class ConvAeVsDenseAe(Claim):
    name = "conv-ae-vs-dense-ae"
    version = 1
    title = "On images, a convolutional autoencoder reconstructs better than a dense one with the same code"
    section = "H. Autoencoders"
    source = "Convolutional auto encoder"
    literature = (
        "Masci, Meier, Ciresan & Schmidhuber 2011, 'Stacked convolutional auto-encoders for hierarchical "
        "feature extraction' (ICANN). Here 8x8 digits in [0, 1]: conv 3x3 stride 2 (1->16->32 channels, "
        "explicit zero padding 1) -> dense to the code vs a dense 64-128-k encoder; decoders mirror them "
        "(nearest upsampling x2 + 3x3 conv); ReLU, logistic output, Adam."
    )
    literature_effect = "No reconstruction-error number for conv vs dense AEs at equal code size was found."
    operationalisation = (
        "Equal code size k (8 and 16), same data, optimiser and epochs; the conv AE has fewer parameters "
        "(about 0.6x at k 8) — weight sharing is what is tested. 'Better for images' = test reconstruction "
        "MSE at least 5% lower for the conv AE than for the dense AE, at each k."
    )
    factors = {"arch": ["dense", "conv"], "k": [8, 16]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["ae/test_mse", "ae/train_mse", "ae/test_mse_rel_pca"]
    expect = [
        Expect("ae/test_mse", {"arch": "conv"}, {"arch": "dense"}, "less", min_effect=0.05, relative=True),
    ]
    figures = [("curve", "test/loss")]

    def spec(self, point, profile):
        conv = point["arch"] == "conv"
        return spec.TrialSpec(
            data=spec.Data(
                "digits", n_train=self.by_profile(profile, 300, None, None), unit_range=True, target="input"
            ),
            model=spec.Autoencoder(
                widths=() if conv else (128,),
                conv_channels=(16, 32) if conv else (),
                code=point["k"],
                activation="relu",
                out_activation="sigmoid",
                init=spec.Init("he_uniform"),
                padding=1,
            ),
            optimizer=spec.Optimizer("adam", lr=0.002),
            training=spec.Training(epochs=self.by_profile(profile, 1, 30, 150), batch_size=64),
            experiment="autoencode",
        )
