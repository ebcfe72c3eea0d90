"""The note lists max and avg pooling; the folk claim: max pooling works better."""

from claims import Claim, Expect, spec


class MaxVsAvgPooling(Claim):
    name = "max-vs-avg-pooling"
    version = 1
    title = "Max pooling beats average pooling in a small CNN"
    section = "G. Architectures and transfer"
    source = (
        "CNN, Convolutional Neural Net (this link explains CNN quite well, 2nd tutorial - both explain about "
        "convolution, padding, relu - sparsity, max and avg pooling):"
    )
    literature = (
        "Scherer, Müller & Behnke 2010, 'Evaluation of pooling operations in convolutional architectures for "
        "object recognition' (ICANN): the same architecture with max pooling vs subsampling (average) pooling. "
        "Here: a 2-conv CNN (8, 16 channels, 3x3, pad 1, 2x2 pooling, ReLU, He init) on sklearn digits, SGD "
        "momentum 0.9, lr 0.05, batch 32."
    )
    literature_effect = (
        "Scherer et al. 2010 (abstract): 'a maximum pooling operation significantly outperforms subsampling "
        "operations'; with it they report 4.57% error on NORB normalized-uniform. The per-operator gap was not "
        "verified here."
    )
    operationalisation = (
        "Same CNN, seeds and budget; only the pooling operator changes. The note names both without ranking "
        "them, so the tested claim is the literature's: max pooling's test accuracy exceeds average pooling's by "
        "at least 1 point, with 300 and all 1,437 training images (conditions)."
    )
    factors = {"pool": ["max", "avg"], "n_train": [300, 1437]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["test/accuracy", "test/loss", "train/loss"]
    expect = [Expect("test/accuracy", {"pool": "max"}, {"pool": "avg"}, "greater", min_effect=0.01)]
    figures = [("curve", "test/accuracy")]

    def spec(self, point, profile):
        pool = point["pool"]
        return spec.TrialSpec(
            data=spec.Data(
                "digits", n_train=self.by_profile(profile, 200, point["n_train"], point["n_train"])
            ),
            model=spec.CNN(convs=(spec.Conv(8, pool=pool), spec.Conv(16, pool=pool))),
            optimizer=spec.Optimizer("momentum", lr=0.05, momentum=0.9),
            training=spec.Training(
                epochs=self.by_profile(profile, 1, 3, 20) * (1437 // point["n_train"]), batch_size=32
            ),
        )
