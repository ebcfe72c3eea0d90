"""The note: dropout performs better when used on a larger network."""

from claims import Claim, Expect, spec

BENEFIT = "contrast/val/accuracy"


class DropoutNeedsLargerNetwork(Claim):
    name = "dropout-needs-larger-network"
    version = 1
    title = "Dropout's benefit grows with the width of the network"
    section = "E. Regularisation, evaluation, training practice"
    source = (
        "Use a large network for better performance, i.e., when dropout is used on a larger network, giving "
        "the model more of an opportunity to learn independent representations."
    )
    literature = (
        "Srivastava et al. 2014 (JMLR), section 7.3 ('Effect on the number of hidden units'): with a fixed "
        "dropout rate, small nets underfit and the benefit appears as units are added. Here: 2-hidden-layer "
        "ReLU MLPs of width 64, 256, 1024 on 200 digits examples, SGD lr 0.01 momentum 0.9, 20 epochs."
    )
    literature_effect = (
        "Srivastava et al. 2014 (Fig. 10) show test error against the number of hidden units for fixed "
        "dropout, but the figures were not verified here."
    )
    operationalisation = (
        "The dropout benefit is, per seed, validation accuracy with dropout 0.5 on every hidden layer minus "
        "without, both arms trained inside one trial from the same seed (same data, order and initial weights; "
        "the `contrast` experiment). 'Better on a larger network' is an interaction: the benefit at width 1024 "
        "exceeds the benefit at width 64 by at least 1 point (and at 256 by at least 0.5 points). Quick costs "
        "more than 30 core-seconds because each trial trains two nets, the widest with 1024 units."
    )
    factors = {"width": [64, 256, 1024]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [BENEFIT, "contrast/train/accuracy", "treatment/val/accuracy", "control/val/accuracy"]
    expect = [
        Expect(BENEFIT, {"width": 1024}, {"width": 64}, "greater", min_effect=0.01),
        Expect(BENEFIT, {"width": 256}, {"width": 64}, "greater", min_effect=0.005),
    ]
    figures = [("curve", "treatment/val/accuracy"), ("curve", "control/val/accuracy")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 100, 200, 200), val_fraction=0.2),
            model=spec.MLP(
                depth=2,
                width=self.by_profile(profile, point["width"] // 16, point["width"], point["width"]),
                activation="relu",
                init=spec.Init("he_normal"),
            ),
            optimizer=spec.Optimizer("momentum", lr=0.01, momentum=0.9),
            training=spec.Training(epochs=self.by_profile(profile, 2, 20, 100), batch_size=32),
            experiment="contrast",
            params=(("field", "model.dropout"), ("values", (0.0, 0.5))),
        )
