"""The note: in weight normalisation the learned scale g "seems not essential for performance"."""

from claims import Claim, Expect, spec


def body(arch: str, weight_norm: str) -> spec.CNN:
    """'mlp' is the CNN family with no conv layers: one 64-unit dense hidden layer on the flat image."""
    if arch == "mlp":
        return spec.CNN(convs=(), dense=(64,), weight_norm=weight_norm)
    return spec.CNN(convs=(spec.Conv(8, pool="max"), spec.Conv(16, pool="max")), weight_norm=weight_norm)


class WeightnormScaleNotEssential(Claim):
    name = "weightnorm-scale-not-essential"
    version = 1
    title = "Weight norm with g fixed to 1 performs as well as with a learned g"
    section = "C. Normalisation"
    source = (
        "A scalar scaling factor g is then multiplied to the output y=y∗g. But in my experience g seems not "
        "essential for performance (also downstream learnable layers can learn this anyway)."
    )
    literature = (
        "Salimans & Kingma 2016, 'Weight Normalization' (NeurIPS): w = g v / ||v|| per output unit. Here every "
        "hidden layer (conv or dense) is weight-normalised, the softmax head is plain (it is the downstream "
        "learnable layer the note mentions); g starts at 1 (no data-dependent init), ReLU, He-normal v, Adam "
        "lr 1e-3, batch 32, on sklearn digits: a 1x64 MLP and a 2-conv CNN (8, 16 channels)."
    )
    literature_effect = (
        "Salimans & Kingma 2016 report CIFAR-10 test error 7.31% for their weight-normalised ConvPool-CNN-C vs "
        "8.05% for the plain net (paper, Table 1, as read from the paper's text; not re-verified). No number for "
        "learned vs fixed g was found."
    )
    operationalisation = (
        "Same nets, seeds and budget; the only change is whether g is a learned parameter or the constant 1. "
        "'Not essential for performance' is an equivalence: the test-accuracy difference (learned minus fixed) "
        "lies within +-1 point, in the MLP and in the CNN (conditions)."
    )
    factors = {"arch": ["mlp", "cnn"], "g": ["learned", "fixed"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["test/accuracy", "test/loss", "train/loss"]
    expect = [Expect("test/accuracy", {"g": "learned"}, {"g": "fixed"}, "equivalent", min_effect=0.01)]
    figures = [("curve", "test/accuracy")]

    def spec(self, point, profile):
        wn = "weight" if point["g"] == "learned" else "weight_fixed_g"
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 200, None, None)),
            model=body(point["arch"], wn),
            optimizer=spec.Optimizer("adam", lr=1e-3),
            training=spec.Training(epochs=self.by_profile(profile, 1, 4, 20), batch_size=32),
        )
