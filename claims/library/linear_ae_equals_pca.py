"""The note: PCA is the linear case of an autoencoder (Hinton's course on PCA vs AE)."""

from claims import Claim, Expect, spec


class LinearAeEqualsPca(Claim):
    name = "linear-ae-equals-pca"
    version = 1
    title = "A linear autoencoder with k code units learns what PCA with k components does"
    section = "H. Autoencoders"
    source = (
        "Hinton’s coursera course on PCA vs AE, basically some info about what PCA does - maximizing "
        "variance and projecting and then what AE does and can do to achieve similar but non-linear dense "
        "representations"
    )
    literature = (
        "Baldi & Hornik 1989, 'Neural networks and principal component analysis' (Neural Networks 2): the "
        "squared-error minima of a linear k-unit autoencoder span the k leading principal directions (the "
        "units need not be the components themselves). Hinton's Coursera lecture 15a. Here: digits scaled to "
        "[0, 1], 64 -> k -> 64 linear with biases, Adam."
    )
    literature_effect = (
        "A theorem, not a measurement: at the global minimum the reconstruction error equals PCA's and the "
        "principal angles are 0 (Baldi & Hornik 1989). No empirical effect size was looked up."
    )
    operationalisation = (
        "Same split, same k: the linear AE's reconstruction MSE relative to PCA's, (AE - PCA) / PCA, on the "
        "training split (where PCA is optimal) and on the test split, and the largest principal angle between "
        "the decoder's column space and the k leading principal directions. 'Equal' means the relative gaps lie "
        "within +-5% and the largest angle within 15 degrees (TOST on the 95% CI), at each k."
    )
    factors = {"k": [2, 8, 16]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [
        "ae/train_mse_rel_pca",
        "ae/test_mse_rel_pca",
        "subspace/max_angle_deg",
        "subspace/mean_angle_deg",
        "ae/test_mse",
        "pca/test_mse",
    ]
    expect = [
        Expect("ae/train_mse_rel_pca", {}, None, "equivalent", min_effect=0.05, label="train MSE: AE = PCA"),
        Expect("ae/test_mse_rel_pca", {}, None, "equivalent", min_effect=0.05, label="test MSE: AE = PCA"),
        Expect("subspace/max_angle_deg", {}, None, "equivalent", min_effect=15.0, label="same subspace"),
    ]
    figures = [("curve", "test/loss")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data(
                "digits", n_train=self.by_profile(profile, 300, None, None), unit_range=True, target="input"
            ),
            model=spec.Autoencoder(
                widths=(),
                code=point["k"],
                activation="linear",
                code_activation="linear",
                out_activation="linear",
                init=spec.Init("glorot_uniform"),
            ),
            optimizer=spec.Optimizer("adam", lr=0.005),
            training=spec.Training(epochs=self.by_profile(profile, 2, 60, 300), batch_size=64),
            experiment="autoencode",
            params=(("angles", True),),
        )
