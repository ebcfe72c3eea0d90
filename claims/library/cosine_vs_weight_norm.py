"""The note: weight normalisation "is very similar to" cosine normalisation."""

from claims import Claim, Expect, spec


def body(arch: str, weight_norm: str) -> spec.CNN:
    """'mlp' is the CNN family with no conv layers: one 64-unit dense hidden layer on the flat image."""
    if arch == "mlp":
        return spec.CNN(convs=(), dense=(64,), weight_norm=weight_norm)
    return spec.CNN(convs=(spec.Conv(8, pool="max"), spec.Conv(16, pool="max")), weight_norm=weight_norm)


class CosineVsWeightNorm(Claim):
    name = "cosine-vs-weight-norm"
    version = 1
    title = "Weight normalisation and cosine normalisation perform alike"
    section = "C. Normalisation"
    source = (
        "Cosine Normalization (Luo et al. 2017): weight normalization is very similar to cosine normalization, "
        "where the same L2 normalization is applied to both weight and input: y=(x/|x|)∗(w/|w|)."
    )
    literature = (
        "Luo et al. 2017, 'Cosine Normalization: Using Cosine Similarity Instead of Dot Product in Neural "
        "Networks' (arXiv:1702.05870, ICANN 2018) compare cosine, batch, weight and layer norm in fully connected "
        "nets (MNIST) and CNNs. Here: every hidden layer weight-normalised (learned g, init 1) or cosine-normalised "
        "(no bias, receptive-field norm including zero padding), plain softmax head, ReLU, Adam lr 1e-3, batch 32, "
        "a 1x64 MLP and a 2-conv CNN (8, 16 channels) on sklearn digits; plain nets as a reference arm."
    )
    literature_effect = (
        "Luo et al. 2017 (abstract): cosine normalisation 'achieves better performance than other normalization "
        "techniques' including weight norm; their per-dataset error numbers were not verified here."
    )
    operationalisation = (
        "Same nets, seeds and budget; the hidden layers' dot products are weight-normalised or cosine-normalised. "
        "'Very similar' is read as equivalent test accuracy: the difference lies within +-1 point, in the MLP and "
        "the CNN (conditions)."
    )
    factors = {"arch": ["mlp", "cnn"], "norm": ["weight", "cosine", "none"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["test/accuracy", "test/loss", "train/loss"]
    expect = [Expect("test/accuracy", {"norm": "weight"}, {"norm": "cosine"}, "equivalent", min_effect=0.01)]
    figures = [("curve", "test/accuracy")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 200, None, None)),
            model=body(point["arch"], point["norm"]),
            optimizer=spec.Optimizer("adam", lr=1e-3),
            training=spec.Training(epochs=self.by_profile(profile, 1, 4, 20), batch_size=32),
        )
