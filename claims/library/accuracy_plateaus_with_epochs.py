"""The note: models improve with more epochs, to a point, then accuracy plateaus."""

from claims import Claim, Expect, spec

OPT = {"momentum": spec.Optimizer("momentum", lr=0.01, momentum=0.9), "adam": spec.Optimizer("adam", lr=1e-3)}
EARLY, LATE = "gain/early", "gain/late"


class AccuracyPlateausWithEpochs(Claim):
    name = "accuracy-plateaus-with-epochs"
    version = 1
    title = "Validation accuracy rises over the first epochs and then levels out"
    section = "E. Regularisation, evaluation, training practice"
    source = (
        "In general, the models improve with more epochs of training, to a point. They'll start to plateau in "
        "accuracy as they converge. Try something like 50 and plot number of epochs (x axis) vs. accuracy "
        "(y axis). You'll see where it levels out."
    )
    literature = (
        "The note's own recipe (about 50 epochs, accuracy against epochs). Setup: 2x256 ReLU MLP (He init) on "
        "600 digits examples, 20% of the pool for validation, batch 32, 60 epochs, SGD + momentum and Adam."
    )
    operationalisation = (
        "Validation accuracy at the end of epochs 2, 10, 30 and 60 (one run per seed, read off its curve). "
        "'Improves with more epochs' is the early gain, accuracy at epoch 10 minus epoch 2: at least 2 points. "
        "'To a point' is the late gain, epoch 60 minus epoch 30: within +-1 point. The plateau epoch (first epoch "
        "after which accuracy never rises more than 1 point) is reported."
    )
    factors = {"optimizer": ["momentum", "adam"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [EARLY, LATE, "curve/val/plateau_epoch", "val/accuracy"]
    expect = [
        Expect(EARLY, {}, None, "greater", min_effect=0.02, label="accuracy rises: epoch 10 vs 2"),
        Expect(LATE, {}, None, "equivalent", min_effect=0.01, label="plateau: epoch 60 vs 30"),
    ]
    figures = [("curve", "val/accuracy")]

    def derive(self, metrics):
        a = "val/accuracy@epoch"
        out = {}
        if f"{a}10" in metrics:
            out[EARLY] = metrics[f"{a}10"] - metrics[f"{a}2"]
        if f"{a}60" in metrics:
            out[LATE] = metrics[f"{a}60"] - metrics[f"{a}30"]
        return out

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 100, 600, 1000), val_fraction=0.2),
            model=spec.MLP(
                depth=2, width=self.by_profile(profile, 32, 256, 1024), init=spec.Init("he_normal")
            ),
            optimizer=OPT[point["optimizer"]],
            training=spec.Training(epochs=self.by_profile(profile, 2, 60, 60), batch_size=32),
            probes=spec.Probes(curve_at=(2, 10, 30, 60), curve_stats=True),
        )
