"""The note: if training and test error are too close the model is too simple; add layers or neurons."""

from claims import Claim, Expect, spec

SIZES = {"tiny": (1, 4), "wider": (1, 64), "deeper": (3, 4)}  # (hidden layers, units per layer)
GAP = "gap/error"


class CloseTrainTestMeansUnderfit(Claim):
    name = "close-train-test-means-underfit"
    version = 1
    title = "A net whose train and test error are close is too small; widening or deepening lowers both"
    section = "E. Regularisation, evaluation, training practice"
    source = (
        "If Training error and test error are too close (your system is unable to overfit on your training "
        "data), this means that your model is too simple. Solution: more layers or more neurons per layer."
    )
    literature = (
        "CS231n notes ('Babysitting the learning process': a validation accuracy that tracks the training "
        "accuracy means the capacity is too low). Setup: ReLU MLPs (He init, SGD lr 0.01, momentum 0.9, batch 32, "
        "20 epochs) on 600 digits examples: a 1x4 net, the same widened to 1x64, and deepened to 3x4."
    )
    operationalisation = (
        "'Too close' is the test-minus-train error gap of the tiny 1x4 net: the premise holds if it lies within "
        "+-3 points. 'Too simple' and the remedy: widening (1x64) lowers test error by at least 2 points and "
        "training error by at least 2 points; deepening (3x4) lowers test error by at least 2 points."
    )
    factors = {"size": ["tiny", "wider", "deeper"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [GAP, "test/error", "train/error"]
    expect = [
        Expect(
            GAP,
            {"size": "tiny"},
            None,
            "equivalent",
            min_effect=0.03,
            label="premise: tiny net's gap is small",
        ),
        Expect("test/error", {"size": "wider"}, {"size": "tiny"}, "less", min_effect=0.02),
        Expect("train/error", {"size": "wider"}, {"size": "tiny"}, "less", min_effect=0.02),
        Expect("test/error", {"size": "deeper"}, {"size": "tiny"}, "less", min_effect=0.02),
    ]
    figures = [("curve", "test/error"), ("curve", "train/error")]

    def derive(self, metrics):
        return {GAP: metrics["test/error"] - metrics["train/error"]}

    def spec(self, point, profile):
        depth, width = SIZES[point["size"]]
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 100, 600, 1000)),
            model=spec.MLP(depth=depth, width=width, init=spec.Init("he_normal")),
            optimizer=spec.Optimizer("momentum", lr=0.01, momentum=0.9),
            training=spec.Training(epochs=self.by_profile(profile, 1, 20, 60), batch_size=32),
        )
