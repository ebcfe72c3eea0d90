"""The note: with cross-entropy the accuracy can stay flat while the loss still moves."""

from claims import Claim, Expect, spec

OPT = {"momentum": spec.Optimizer("momentum", lr=0.01, momentum=0.9), "adam": spec.Optimizer("adam", lr=1e-3)}


class LossMovesAccuracyFlat(Claim):
    name = "loss-moves-accuracy-flat"
    version = 1
    title = "Late in training the accuracy stays exactly flat in epochs where the cross-entropy still falls"
    section = "E. Regularisation, evaluation, training practice"
    source = (
        "With cross entropy there can be an issue where the accuracy is the same for two cases, one where the "
        "loss is decreasing and the other when the loss is not changing much."
    )
    literature = (
        "No paper sets this up; the over-parameterised 2x256 ReLU MLP on 200 digits examples (batch 32, 40 "
        "epochs) of the overfitting claims, with SGD + momentum and with Adam (Kingma & Ba 2015 defaults)."
    )
    operationalisation = (
        "Per-epoch train and validation loss and accuracy. Over the epoch-to-epoch steps of the second half of "
        "training, count the fraction where the accuracy is exactly unchanged (same number of correct examples) "
        "while the loss fell by more than 0.1% of its value. The phenomenon exists if that fraction is at least "
        "0.1 (one step in ten) on the training set and on the validation set."
    )
    factors = {"optimizer": ["momentum", "adam"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [
        "curve/train/acc_flat_loss_falling",
        "curve/val/acc_flat_loss_falling",
        "curve/train/acc_flat_loss_flat",
        "curve/val/acc_flat_loss_flat",
        "curve/val/acc_flat",
    ]
    expect = [
        Expect("curve/train/acc_flat_loss_falling", {}, None, "greater", min_effect=0.1),
        Expect("curve/val/acc_flat_loss_falling", {}, None, "greater", min_effect=0.1),
    ]
    figures = [("curve", "val/loss"), ("curve", "val/accuracy")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 100, 200, 200), val_fraction=0.2),
            model=spec.MLP(
                depth=2, width=self.by_profile(profile, 32, 256, 1024), init=spec.Init("he_normal")
            ),
            optimizer=OPT[point["optimizer"]],
            training=spec.Training(epochs=self.by_profile(profile, 4, 40, 200), batch_size=32),
            probes=spec.Probes(curve_stats=True),
        )
