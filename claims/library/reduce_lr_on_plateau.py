"""The note: ReduceLROnPlateau reduces the lr when the monitored quantity stops improving."""

from claims import Claim, Expect, spec

LRS = (0.03, 0.1, 0.3)


class ReduceLrOnPlateau(Claim):
    name = "reduce-lr-on-plateau"
    version = 1
    title = "Reducing the lr on a validation plateau ends at a lower loss than a constant lr"
    section = "D. Gradient descent, batch size, optimisers, schedules"
    source = (
        "Callbacks, especially ReduceLROnPlateau - this callback monitors a quantity and if no improvement is "
        "seen for a 'patience' number of epochs, the learning rate is reduced."
    )
    literature = (
        "The frameworks' own implementations: torch.optim.lr_scheduler.ReduceLROnPlateau and "
        "keras.callbacks.ReduceLROnPlateau (differences named in impls/tf_impl/optim.py); plain SGD on a 2x64 "
        "ReLU MLP on MNIST-1D, batch 32."
    )
    literature_effect = "No published number for this setting (none looked up applies)."
    operationalisation = (
        "Constant lr vs ReduceLROnPlateau monitoring the validation loss at every epoch (factor 0.2, patience 2 in "
        "torch's convention = Keras patience 3, absolute threshold 1e-3, cooldown 0, min_lr 1e-4), each with the "
        "same three lrs chosen on validation with a tuning seed, 25 epochs. The claim holds if the final "
        "validation loss (the catalog's metric) is lower with the plateau rule by at least 0.02 nats; the test "
        "loss (never used for selection) is reported with the same threshold."
    )
    factors = {"lr_rule": ["constant", "plateau"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["val/loss", "test/loss", "test/accuracy", "tune/lr"]
    expect = [
        Expect("val/loss", {"lr_rule": "plateau"}, {"lr_rule": "constant"}, "less", 0.02),
        Expect("test/loss", {"lr_rule": "plateau"}, {"lr_rule": "constant"}, "less", 0.02),
    ]
    figures = [("curve", "val/loss"), ("curve", "train/lr")]

    def spec(self, point, profile):
        plateau = spec.Plateau("val/loss", factor=0.2, patience=2, threshold=1e-3, cooldown=0, min_lr=1e-4)
        return spec.TrialSpec(
            data=spec.Data("mnist1d", n_train=self.by_profile(profile, 200, 1000, None), val_fraction=0.2),
            model=spec.MLP(depth=2, width=64, activation="relu", init=spec.Init("he_normal")),
            optimizer=spec.Optimizer("sgd", lr=0.1),
            training=spec.Training(
                epochs=self.by_profile(profile, 2, 25, 100),
                batch_size=32,
                plateau=plateau if point["lr_rule"] == "plateau" else None,
                tuning=spec.Tuning(lrs=self.by_profile(profile, (0.1,), LRS, LRS)),
            ),
        )
