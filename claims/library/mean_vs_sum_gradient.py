"""The note: implementations may sum the gradient over the mini-batch or take its average."""

from claims import Claim, Expect, spec

LR = 0.05


class MeanVsSumGradient(Claim):
    name = "mean-vs-sum-gradient"
    version = 1
    title = "Summing the mini-batch gradient is the mean with the lr scaled by the batch size"
    section = "D. Gradient descent, batch size, optimisers, schedules"
    source = (
        "Implementations may choose to sum the gradient over the mini-batch or take the average of the gradient "
        "(reduces variance of gradient) (unclear?)"
    )
    literature = (
        "Goyal et al. 2017, 'Accurate, Large Minibatch SGD' (the linear scaling rule); plain SGD on a 2x64 ReLU "
        "MLP on digits."
    )
    literature_effect = (
        "None: the equivalence is algebraic for plain SGD (sum = B x mean), so no empirical number applies."
    )
    operationalisation = (
        "Three reductions at batch sizes 8 and 64: mean at lr 0.05; sum at lr 0.05/B (the same update); sum at the "
        "same lr 0.05 (a B-times larger step). The averaging does not 'reduce variance' of the direction, it only "
        "rescales the step. Held if sum with lr/B ends within 0.01 nats of the mean (final training loss, "
        "equivalence), and sum at the same lr ends worse by at least 0.05 nats (a diverged run leaves its seed out)."
    )
    factors = {"reduction": ["mean", "sum_lr_over_b", "sum_same_lr"], "batch_size": [8, 64]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["train/loss", "test/loss"]
    expect = [
        Expect("train/loss", {"reduction": "sum_lr_over_b"}, {"reduction": "mean"}, "equivalent", 0.01),
        Expect("train/loss", {"reduction": "sum_same_lr"}, {"reduction": "mean"}, "greater", 0.05),
    ]
    figures = [("curve", "train/batch_loss")]

    def spec(self, point, profile):
        b, red = point["batch_size"], point["reduction"]
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 200, 600, None)),
            model=spec.MLP(depth=2, width=64, activation="relu", init=spec.Init("he_normal")),
            optimizer=spec.Optimizer("sgd", lr=LR / b if red == "sum_lr_over_b" else LR),
            training=spec.Training(
                epochs=self.by_profile(profile, 1, 5, 20),
                batch_size=b,
                loss_reduction="mean" if red == "mean" else "sum",
                diverge_above=1e9,
            ),
        )
