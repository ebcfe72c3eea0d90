"""The note: stop training once the validation loss plateaus, else the classifier overfits."""

from claims import Claim, Expect, spec

STOP = spec.EarlyStopping(
    monitor="val/loss", mode="min", patience=5, min_delta=0.0, restore_best_weights=True
)


class EarlyStoppingClaim(Claim):
    name = "early-stopping"
    version = 1
    title = "Early stopping on the validation loss gives a lower test loss than training to the end"
    section = "E. Regularisation, evaluation, training practice"
    source = (
        "the idea behind early-stopping is to stop the training once the validation loss starts plateauing. "
        "Indeed, when this happens it almost always mean you are starting to overfitt your classifier."
    )
    literature = (
        "Prechelt 1998, 'Early stopping - but when?' (Neural Networks: Tricks of the Trade): stop on a "
        "validation criterion and keep the best weights. Semantics of keras.callbacks.EarlyStopping (Keras 3: "
        "monitor val_loss, patience 5, min_delta 0, restore_best_weights=True), implemented once in the shared "
        "loop for both frameworks since torch has no built-in. Setup: the over-parameterised 2x256 ReLU MLP on "
        "200 digits examples (SGD lr 0.01, momentum 0.9, batch 32), up to 60 epochs."
    )
    operationalisation = (
        "Same seed, data and initial weights; one arm trains all epochs, the other stops after 5 epochs without "
        "a new lowest validation loss and keeps the best epoch's weights. The claim holds if the kept weights' "
        "test loss (on the fixed held-out test set, never used for stopping) is at least 0.05 nats lower with "
        "early stopping."
    )
    factors = {"stopping": ["none", "patience5"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["test/loss", "test/accuracy", "train/best_epoch", "train/epochs_run", "val/loss"]
    expect = [
        Expect("test/loss", {"stopping": "patience5"}, {"stopping": "none"}, "less", min_effect=0.05),
    ]
    figures = [("curve", "val/loss"), ("curve", "test/loss")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 100, 200, 200), val_fraction=0.2),
            model=spec.MLP(
                depth=2, width=self.by_profile(profile, 32, 256, 1024), init=spec.Init("he_normal")
            ),
            optimizer=spec.Optimizer("momentum", lr=0.01, momentum=0.9),
            training=spec.Training(
                epochs=self.by_profile(profile, 3, 60, 200),
                batch_size=32,
                early_stopping=STOP if point["stopping"] == "patience5" else None,
            ),
        )
