"""The note: use 80% of the data for training and 20% for validation; more training data helps."""

from claims import Claim, Expect, spec


class Split8020(Claim):
    name = "split-80-20"
    version = 1
    title = "More of the pool for training (80/20 rather than 50/50) gives higher test accuracy"
    section = "E. Regularisation, evaluation, training practice"
    source = (
        "You should probably switch train/validation repartition to something like 80% training and 20% "
        "validation. In most cases it will improve the classifier performance overall (more training data = "
        "better performance)"
    )
    literature = (
        "Learning-curve practice (e.g. Goodfellow, Bengio & Courville 2016, ch. 5): test error falls with the "
        "training-set size. Setup: 2x256 ReLU MLP (He init, SGD lr 0.01, momentum 0.9, batch 32, 10 epochs) on "
        "sklearn digits; 20% of the data is a fixed test set and the rest is split train/validation."
    )
    operationalisation = (
        "The same pool (80% of digits) is split into training and validation at fractions 0.5 ... 0.9; the "
        "test set is fixed and never used for training or selection. 'Improves performance' is test accuracy: "
        "80% training beats 50% by at least 1 point, and the curve keeps rising (0.6 over 0.5 and 0.9 over 0.8, "
        "any amount)."
    )
    factors = {"train_fraction": [0.5, 0.6, 0.7, 0.8, 0.9]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["test/accuracy", "test/loss", "val/accuracy"]
    expect = [
        Expect("test/accuracy", {"train_fraction": 0.8}, {"train_fraction": 0.5}, "greater", min_effect=0.01),
        Expect("test/accuracy", {"train_fraction": 0.6}, {"train_fraction": 0.5}, "greater", min_effect=0.0),
        Expect("test/accuracy", {"train_fraction": 0.9}, {"train_fraction": 0.8}, "greater", min_effect=0.0),
    ]
    figures = [("curve", "test/accuracy")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", val_fraction=round(1.0 - point["train_fraction"], 2)),
            model=spec.MLP(
                depth=2, width=self.by_profile(profile, 32, 256, 1024), init=spec.Init("he_normal")
            ),
            optimizer=spec.Optimizer("momentum", lr=0.01, momentum=0.9),
            training=spec.Training(epochs=self.by_profile(profile, 1, 10, 50), batch_size=32),
        )
