"""The note: a tiny last batch makes Keras' BN produce NaN running statistics."""

from claims import Claim, Expect, spec


class BnSmallLastBatch(Claim):
    name = "bn-small-last-batch"
    version = 1
    title = "A 1-sample last batch breaks batch norm (NaN running statistics)"
    section = "C. Normalisation"
    source = (
        "It can happen that the very last batch of your epoch has less data than defined (because the size of "
        "your dataset can not be divided exactly by the size of your batch). This might cause some GPUs not to "
        "receive any data during the last step. Unfortunately some Keras Layers, most notably the Batch "
        "Normalization Layer, can’t cope with that leading to nan values appearing in the weights (the running "
        "mean and variance in the BN layer)."
    )
    literature = (
        "A framework-behaviour claim (the note cites a Keras multi-GPU post). Setup: BN before ReLU in a 2x64 MLP "
        "and in a 2-conv CNN (8, 16 channels) on sklearn digits, n_train = 10*32 + 1 so every epoch ends with a "
        "1-sample batch; SGD momentum 0.9, lr 0.05; BN momentum 0.1, eps 1e-5. The 0-samples-per-replica case "
        "needs a multi-device strategy and is not run here (single CPU device)."
    )
    literature_effect = "No measured number exists; the note reports NaNs in Keras' BN running statistics."
    operationalisation = (
        "Each trial trains through epochs whose last batch holds 1 sample and records, per framework, 0/1 flags: "
        "an exception on the 1-sample step (the batch is then skipped, as a user catching it would), a non-finite "
        "loss, non-finite running mean/variance, non-finite weights; 'cannot cope' is any of these. Magnitudes: "
        "the log10 ratio of running variance after/before the last 1-sample step, the relative shift of the "
        "running mean, the change in test accuracy that step caused, and the smallest running variance. The note "
        "holds for a framework if 'cannot cope' is 1 (and, for its NaN half, if the NaN flag is 1). Frameworks may "
        "differ; the difference is the finding."
    )
    factors = {"arch": ["mlp", "cnn"]}
    seeds = {"smoke": 1, "quick": 5, "full": 10}
    metrics = [
        "bn/cannot_cope",
        "bn/nan_in_running",
        "bn/error_raised",
        "bn/nonfinite_loss",
        "bn/nan_in_weights",
        "bn/last_step_log10_var_ratio",
        "bn/last_step_mean_shift",
        "bn/last_step_acc_change",
        "bn/min_running_var",
        "test/accuracy",
    ]
    expect = [
        Expect(
            "bn/cannot_cope",
            {},
            None,
            "greater",
            min_effect=0.5,
            label="BN cannot cope with a 1-sample batch",
        ),
        Expect(
            "bn/nan_in_running", {}, None, "greater", min_effect=0.5, label="NaN in the running statistics"
        ),
    ]
    figures = []

    def spec(self, point, profile):
        model: spec.ModelSpec
        if point["arch"] == "mlp":
            model = spec.MLP(depth=2, width=64, init=spec.Init("he_normal"), norm="batch")
        else:
            model = spec.CNN(convs=(spec.Conv(8, pool="max"), spec.Conv(16, pool="max")), norm="batch")
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=321),  # 10 full batches of 32 + 1 sample
            model=model,
            optimizer=spec.Optimizer("momentum", lr=0.05, momentum=0.9),
            training=spec.Training(epochs=self.by_profile(profile, 1, 3, 10), batch_size=32),
            experiment="bn_small_last_batch",
        )
