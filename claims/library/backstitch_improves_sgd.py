"""The note: backstitch (a step of -alpha*lr then (1+alpha)*lr on the same mini-batch) improves SGD."""

from claims import Claim, Expect, spec

ERR = "test/error"
EARLY = "test/error@epoch1"
ARMS = {"sgd": (0.0, 1), "backstitch_0.1": (0.1, 1), "backstitch_0.3": (0.3, 1), "sgd_2x_epochs": (0.0, 2)}


class BackstitchImprovesSgd(Claim):
    name = "backstitch-improves-sgd"
    version = 1
    title = "Backstitch lowers SGD's test error (~10% relative), with its drawbacks tested"
    section = "D. Gradient descent, batch size, optimisers, schedules"
    source = (
        "So we are taking a small negative step, and then a larger positive step. This resulted in quite large "
        "improvements"
    )
    literature = (
        "Wang et al. 2017, 'Backstitch: Counteracting Finite-Sample Bias via Negative Steps' (Interspeech; "
        "longer version on docslib / arXiv): alpha = 0.3, plain SGD, the same minibatch with a recomputed "
        "gradient. Here a 2x256 ReLU MLP on MNIST-1D, SGD lr 0.05, batch 32."
    )
    literature_effect = (
        "Wang et al. 2017: '~10% relative improvement over our best acoustic models based on lattice-free MMI, "
        "across multiple datasets with 100-300 hours of data' (WER; Interspeech 2017 abstract)."
    )
    operationalisation = (
        "Improvement = relative reduction of test error vs plain SGD at equal epochs (backstitch then uses twice "
        "the gradient evaluations) and vs SGD given twice the epochs (equal gradient evaluations), with dropout "
        "0 and 0.2 as conditions ('dropout is mandatory' = holds only with dropout). Threshold: 5% relative (half "
        "the paper's 10%). 'Slow starter' = test error after the first epoch higher with backstitch by >= 1 "
        "point. Same lr for all arms, as in the paper."
    )
    factors = {"arm": list(ARMS), "dropout": [0.0, 0.2]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [ERR, EARLY, "test/loss", "train/loss"]
    expect = [
        Expect(
            ERR,
            {"arm": "backstitch_0.3"},
            {"arm": "sgd"},
            "less",
            0.05,
            relative=True,
            label="alpha 0.3 vs SGD, equal epochs",
        ),
        Expect(
            ERR,
            {"arm": "backstitch_0.1"},
            {"arm": "sgd"},
            "less",
            0.05,
            relative=True,
            label="alpha 0.1 vs SGD, equal epochs",
        ),
        Expect(
            ERR,
            {"arm": "backstitch_0.3"},
            {"arm": "sgd_2x_epochs"},
            "less",
            0.05,
            relative=True,
            label="alpha 0.3 vs SGD, equal gradient evaluations",
        ),
        Expect(
            EARLY,
            {"arm": "backstitch_0.3"},
            {"arm": "sgd"},
            "greater",
            0.01,
            label="slow starter: error after epoch 1",
        ),
    ]
    figures = [("curve", "test/error")]

    def spec(self, point, profile):
        alpha, mult = ARMS[point["arm"]]
        return spec.TrialSpec(
            data=spec.Data("mnist1d", n_train=self.by_profile(profile, 200, 1000, None)),
            model=spec.MLP(
                depth=2,
                width=self.by_profile(profile, 32, 256, 512),
                activation="relu",
                init=spec.Init("he_normal"),
                dropout=point["dropout"],
            ),
            optimizer=spec.Optimizer("sgd", lr=0.05, backstitch=alpha),
            training=spec.Training(
                epochs=self.by_profile(profile, 1, 8, 40) * mult, batch_size=32, report_epochs=(1,)
            ),
        )
