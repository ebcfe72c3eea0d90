"""The note: on a large train/val gap, use a stronger L2 penalty, dropout, or more data."""

from claims import Claim, Expect, spec

GAP = "gap/accuracy"
REMEDIES = ["l2", "dropout", "more_data"]


class RegularizationClosesGap(Claim):
    name = "regularization-closes-gap"
    version = 1
    title = "L2, dropout and more data each narrow the train/validation gap of an overfitting net"
    section = "E. Regularisation, evaluation, training practice"
    source = (
        "The gap between the training and validation accuracy indicates the amount of overfitting. ... When "
        "you see this in practice you probably want to increase regularization: stronger L2 weight penalty, "
        "Dropout, collect more data."
    )
    literature = (
        "CS231n notes, 'Train/Val accuracy' (the note's source). Setup: the over-parameterised 2x256 ReLU MLP of "
        "dropout-reduces-overfitting (200 digits examples, SGD lr 0.01 momentum 0.9, 25 epochs) and one remedy "
        "each: L2 0.02 in 0.5*l2*||W||^2 (= Keras' default L2(0.01) on l2*||W||^2), dropout 0.5 on hidden "
        "units, or 4x the training data (800 examples)."
    )
    operationalisation = (
        "Overfitting is the train-minus-validation accuracy gap after a fixed budget; the validation set is the "
        "same for every arm. Each remedy must narrow the gap by at least 2 points and raise validation accuracy "
        "by at least 1 point relative to the unregularised baseline."
    )
    factors = {"remedy": ["none", *REMEDIES]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [GAP, "val/accuracy", "train/accuracy", "val/loss"]
    expect = [
        e
        for r in REMEDIES
        for e in (
            Expect(GAP, {"remedy": r}, {"remedy": "none"}, "less", min_effect=0.02),
            Expect("val/accuracy", {"remedy": r}, {"remedy": "none"}, "greater", min_effect=0.01),
        )
    ]
    figures = [("curve", "val/accuracy"), ("curve", "train/accuracy")]

    def derive(self, metrics):
        return {GAP: metrics["train/accuracy"] - metrics["val/accuracy"]}

    def spec(self, point, profile):
        r = point["remedy"]
        n = self.by_profile(profile, 100, 200, 200)
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=4 * n if r == "more_data" else n, val_fraction=0.2),
            model=spec.MLP(
                depth=2,
                width=self.by_profile(profile, 32, 256, 1024),
                init=spec.Init("he_normal"),
                dropout=0.5 if r == "dropout" else 0.0,
            ),
            optimizer=spec.Optimizer("momentum", lr=0.01, momentum=0.9),
            training=spec.Training(
                epochs=self.by_profile(profile, 2, 25, 100), batch_size=32, l2=0.02 if r == "l2" else 0.0
            ),
        )
