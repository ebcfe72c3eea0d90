"""The note: use dropout on the visible (input) AND the hidden units."""

from claims import Claim, Expect, spec


class DropoutInputAndHidden(Claim):
    name = "dropout-input-and-hidden"
    version = 1
    title = "Dropout on the inputs as well as the hidden units beats hidden-only dropout"
    section = "E. Regularisation, evaluation, training practice"
    source = (
        "Use dropout on VISIBLE AND HIDDEN. Application of dropout at each layer of the network has shown "
        "good results."
    )
    literature = (
        "Hinton et al. 2012, 'Improving neural networks by preventing co-adaptation of feature detectors' "
        "(arXiv:1207.0580) and Srivastava et al. 2014 (JMLR): 50% dropout on hidden units, 20% on the inputs, "
        "ReLU MLPs, SGD + momentum. Scaled down to the 2x256 ReLU MLP of dropout-reduces-overfitting "
        "(200 digits training examples, SGD lr 0.01 momentum 0.9, 25 epochs)."
    )
    literature_effect = (
        "Hinton et al. 2012 report on MNIST that 50% hidden dropout lowered the test errors and that adding "
        "20% input dropout lowered them further (from about 130 to about 110 errors) -- these figures are "
        "recalled, not verified: the search tool did not return the paper's text."
    )
    operationalisation = (
        "Both arms drop 50% of every hidden layer's outputs; the treatment also drops 20% of the input "
        "features. 'Good results' is validation accuracy after the same budget: the claim holds if input + "
        "hidden dropout is at least 0.5 points more accurate than hidden-only dropout."
    )
    factors = {"input_dropout": [0.0, 0.2]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["val/accuracy", "test/accuracy", "train/accuracy", "val/loss"]
    expect = [
        Expect("val/accuracy", {"input_dropout": 0.2}, {"input_dropout": 0.0}, "greater", min_effect=0.005),
    ]
    figures = [("curve", "val/accuracy")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 100, 200, 200), val_fraction=0.2),
            model=spec.MLP(
                depth=2,
                width=self.by_profile(profile, 32, 256, 1024),
                activation="relu",
                init=spec.Init("he_normal"),
                dropout=0.5,
                input_dropout=point["input_dropout"],
            ),
            optimizer=spec.Optimizer("momentum", lr=0.01, momentum=0.9),
            training=spec.Training(epochs=self.by_profile(profile, 2, 25, 100), batch_size=32),
        )
