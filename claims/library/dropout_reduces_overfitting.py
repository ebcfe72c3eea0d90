"""The note: dropout reduces overfitting; 20-50% is the useful range, too high underlearns."""

from claims import Claim, Expect, spec

GAP = "gap/accuracy"


class DropoutReducesOverfitting(Claim):
    name = "dropout-reduces-overfitting"
    version = 1
    title = "Dropout of 20-50% narrows the train/validation gap; a much higher rate underlearns"
    section = "E. Regularisation, evaluation, training practice"
    source = (
        "dropout value of 20%-50% of neurons with 20% providing a good starting point. (A probability too "
        "low has minimal effect and a value too high results in underlearning by the network.)"
    )
    literature = (
        "Srivastava et al. 2014, 'Dropout: a simple way to prevent neural networks from overfitting' (JMLR "
        "15): ReLU MLPs trained with SGD + momentum, dropout on hidden units (retain p = 0.5). Scaled down to "
        "an over-parameterised 2x256 ReLU MLP (He init, SGD lr 0.01, momentum 0.9, batch 32, 25 epochs) on "
        "200 training examples of sklearn digits, 20% of the pool held out for validation."
    )
    literature_effect = (
        "Srivastava et al. 2014 report MNIST test error falling from 1.60% (standard net) to about 1.35% with "
        "dropout (Table 2) -- quoted from memory of the paper, the numbers could not be verified here."
    )
    operationalisation = (
        "Overfitting is the train-minus-validation accuracy gap after a fixed budget that drives the "
        "unregularised net to 100% training accuracy. 'Reduces overfitting': the gap is at least 1 point smaller "
        "with dropout 0.2 and 0.5 (on every hidden layer's output) than with none, and validation accuracy is "
        "at least 1 point higher at 0.5. 'Too high underlearns': at 0.8, validation accuracy is at least 1 point "
        "lower than at 0.5."
    )
    factors = {"dropout": [0.0, 0.2, 0.5, 0.8]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [GAP, "val/accuracy", "train/accuracy", "gap/loss", "val/loss"]
    expect = [
        Expect(GAP, {"dropout": 0.2}, {"dropout": 0.0}, "less", min_effect=0.01),
        Expect(GAP, {"dropout": 0.5}, {"dropout": 0.0}, "less", min_effect=0.01),
        Expect("val/accuracy", {"dropout": 0.5}, {"dropout": 0.0}, "greater", min_effect=0.01),
        Expect(
            "val/accuracy",
            {"dropout": 0.8},
            {"dropout": 0.5},
            "less",
            min_effect=0.01,
            label="0.8 underlearns",
        ),
    ]
    figures = [("curve", "val/accuracy"), ("curve", "train/accuracy")]

    def derive(self, metrics):
        return {
            GAP: metrics["train/accuracy"] - metrics["val/accuracy"],
            "gap/loss": metrics["val/loss"] - metrics["train/loss"],
        }

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 100, 200, 200), val_fraction=0.2),
            model=spec.MLP(
                depth=2,
                width=self.by_profile(profile, 32, 256, 1024),
                activation="relu",
                init=spec.Init("he_normal"),
                dropout=point["dropout"],
            ),
            optimizer=spec.Optimizer("momentum", lr=0.01, momentum=0.9),
            training=spec.Training(epochs=self.by_profile(profile, 2, 25, 100), batch_size=32),
        )
