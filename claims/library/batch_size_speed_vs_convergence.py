"""The note: larger batches progress faster but don't always converge as fast; smaller ones the reverse."""

from claims import Claim, Expect, spec

LRS = (0.01, 0.05, 0.2)
EPOCH_T = "timing/log10_epoch_s_vs_ref"


class BatchSizeSpeedVsConvergence(Claim):
    name = "batch-size-speed-vs-convergence"
    version = 1
    title = "Large batches: faster epochs, more epochs to converge; small batches: the reverse"
    section = "D. Gradient descent, batch size, optimisers, schedules"
    source = (
        "In general: Larger batch sizes result in faster progress in training, but don't always converge as fast. "
        "Smaller batch sizes train slower, but can converge faster. It's definitely problem dependent."
    )
    literature = (
        "Keskar et al. 2017, 'On large-batch training for deep learning: generalization gap and sharp minima' "
        "(ICLR); Masters & Luschi 2018. 2x64 ReLU MLP on sklearn digits, batch sizes 8-512, SGD."
    )
    literature_effect = (
        "Keskar et al. 2017 (Table 2, as reported in the paper's abstract): large-batch training loses test "
        "accuracy, e.g. a few points on their networks; not verified for this setting."
    )
    operationalisation = (
        "Timing study in one process per trial against batch 32 (one thread, warm-up, interleaved, repeated): "
        "'faster progress' = wall time per epoch (batch 512 at least 10^0.1 = 26% faster than 32; 'smaller train "
        "slower' = batch 8 at least 26% slower). 'Converge as fast' = epochs until the training loss first reaches "
        "0.2, each batch size with its lr chosen from {0.01, 0.05, 0.2} on validation: 512 needs >= 20% more "
        "epochs than 32, 8 needs >= 20% fewer. Generalisation: test accuracy of 8 >= 512 + 1 point."
    )
    factors = {"batch_size": [8, 32, 128, 512]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [
        EPOCH_T,
        "target/epochs",
        "target/reached",
        "target/log10_seconds_vs_ref",
        "test/accuracy",
        "tune/lr",
    ]
    expect = [
        Expect(EPOCH_T, {"batch_size": 512}, None, "less", 0.1, label="512: faster epochs than 32"),
        Expect(EPOCH_T, {"batch_size": 8}, None, "greater", 0.1, label="8: slower epochs than 32"),
        Expect("target/epochs", {"batch_size": 512}, {"batch_size": 32}, "greater", 0.2, relative=True),
        Expect("target/epochs", {"batch_size": 8}, {"batch_size": 32}, "less", 0.2, relative=True),
        Expect("test/accuracy", {"batch_size": 8}, {"batch_size": 512}, "greater", 0.01),
    ]
    figures = [("curve", "train/loss")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 200, 600, None), val_fraction=0.2),
            model=spec.MLP(depth=2, width=64, activation="relu", init=spec.Init("he_normal")),
            optimizer=spec.Optimizer("sgd", lr=0.05),
            training=spec.Training(
                epochs=self.by_profile(profile, 1, 10, 50),
                batch_size=point["batch_size"],
                target=("train/loss", 0.2),
                tuning=spec.Tuning(lrs=self.by_profile(profile, (0.05,), LRS, LRS)),
            ),
            experiment="batch_timing",
            params=(("reference_batch", 32), ("repeats", self.by_profile(profile, 2, 7, 15))),
        )
