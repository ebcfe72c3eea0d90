"""The note: the training loss can be much higher than the test loss, for two reasons."""

from claims import Claim, Expect, spec

REPORTED_VS_VAL = "gap/reported_minus_val"
REPORTED_VS_EVAL = "gap/reported_minus_eval"
EVAL_VS_VAL = "gap/eval_minus_val"


class TrainLossAboveValLoss(Claim):
    name = "train-loss-above-val-loss"
    version = 1
    title = "A reported training loss above the validation loss comes from dropout and epoch averaging"
    section = "E. Regularisation, evaluation, training practice"
    source = (
        "Why is the training loss much higher than the testing loss? A Keras model has two modes: training and "
        "testing. Regularization mechanisms, such as Dropout and L1/L2 weight regularization, are turned off at "
        "testing time. The training loss is the average of the losses over each batch of training data. Because "
        "your model is changing over time, the loss over the first batches of an epoch is generally higher than "
        "over the last batches. On the other hand, the testing loss for an epoch is computed using the model as "
        "it is at the end of the epoch, resulting in a lower loss."
    )
    literature = (
        "Keras FAQ ('Why is my training loss much higher than my testing loss?'), the note's source. Setup: a "
        "2x256 ReLU MLP on 600 digits examples (20% of the pool for validation), SGD lr 0.01 momentum 0.9, "
        "batch 32, 3 epochs: early training, where both causes act."
    )
    operationalisation = (
        "Three losses after the last epoch: the REPORTED training loss (mean of the batch losses over that epoch, "
        "train mode: what Keras prints), the training loss re-evaluated in eval mode at epoch end, and the "
        "validation loss. Cause 1 (averaging while the model changes) alone is reported minus eval-mode training "
        "loss without dropout: at least 0.01 nats. Cause 2 (regularisation on only in training) adds to it: that "
        "difference is at least 0.02 nats larger with dropout 0.5. The phenomenon: with dropout 0.5 the reported "
        "training loss exceeds the validation loss by at least 0.02 nats, while the eval-mode training loss, with "
        "both causes removed, is below the validation loss."
    )
    factors = {"dropout": [0.0, 0.5]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [REPORTED_VS_VAL, REPORTED_VS_EVAL, EVAL_VS_VAL, "train/epoch_loss", "train/loss", "val/loss"]
    expect = [
        Expect(
            REPORTED_VS_VAL, {"dropout": 0.5}, None, "greater", min_effect=0.02, label="reported train > val"
        ),
        Expect(
            REPORTED_VS_EVAL, {"dropout": 0.0}, None, "greater", min_effect=0.01, label="cause: averaging"
        ),
        Expect(
            REPORTED_VS_EVAL,
            {"dropout": 0.5},
            {"dropout": 0.0},
            "greater",
            min_effect=0.02,
            label="cause: dropout",
        ),
        Expect(
            EVAL_VS_VAL, {"dropout": 0.5}, None, "less", min_effect=0.0, label="without both: train < val"
        ),
    ]
    figures = [("curve", "train/batch_loss"), ("curve", "val/loss")]

    def derive(self, metrics):
        reported = metrics["train/epoch_loss"]
        return {
            REPORTED_VS_VAL: reported - metrics["val/loss"],
            REPORTED_VS_EVAL: reported - metrics["train/loss"],
            EVAL_VS_VAL: metrics["train/loss"] - metrics["val/loss"],
        }

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 100, 600, 1000), val_fraction=0.2),
            model=spec.MLP(
                depth=2,
                width=self.by_profile(profile, 32, 256, 1024),
                activation="relu",
                init=spec.Init("he_normal"),
                dropout=point["dropout"],
            ),
            optimizer=spec.Optimizer("momentum", lr=0.01, momentum=0.9),
            training=spec.Training(epochs=self.by_profile(profile, 1, 3, 3), batch_size=32),
        )
