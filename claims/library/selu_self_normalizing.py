"""The note: SELU (self-normalising nets) converges better; probably useful for feed-forward nets."""

from claims import Claim, Expect, spec

SPREAD = "probe/act_var/log10_spread@end"
ARMS = {  # arm -> (activation, init, norm, dropout, dropout_kind)
    "selu": ("selu", "lecun_normal", "none", 0.05, "alpha"),
    "relu": ("relu", "he_normal", "none", 0.0, "standard"),
    "relu_bn": ("relu", "he_normal", "batch", 0.0, "standard"),
}


class SeluSelfNormalizing(Claim):
    name = "selu-self-normalizing"
    version = 1
    title = "Deep SELU nets (LeCun init, alpha-dropout) train to a lower loss than ReLU nets without BN"
    section = "A. Gradients and activations"
    source = (
        "SNN - SELU activation function is inside not outside, results converge better.\n"
        "Probably useful for feedforward networks"
    )
    literature = (
        "Klambauer et al. 2017, 'Self-normalizing neural networks' (NeurIPS): SELU with weights of variance "
        "1/n (LeCun normal) and alpha-dropout, deep fully connected nets trained with plain SGD, compared with "
        "ReLU nets with and without batch norm. Scaled down: width 64, depth 8/16/32 on sklearn digits, SGD "
        "lr 0.02, batch 32, alpha-dropout rate 0.05."
    )
    literature_effect = (
        "Klambauer et al. 2017: SNNs had the best average rank over 121 UCI tasks among the FNN variants they "
        "compared, and their training loss curves on MNIST/CIFAR-10 (Fig. 1) are lower and smoother than "
        "those of batch-normalised nets for 8-32 layers (read from the paper's summary; exact losses not verified)."
    )
    operationalisation = (
        "'Converges better' is the full training-set loss (eval mode, no dropout) after a fixed budget of "
        "10 epochs of plain SGD: SELU (+LeCun normal +alpha-dropout 0.05) must be lower than ReLU (He init, "
        "no normalisation) by at least 0.05 nats, at each depth. 'Self-normalising' is checked on the probe "
        "batch after training: the log10 spread (max/min) over the hidden layers of the activation variance "
        "must be smaller for SELU than for ReLU by at least 0.1. ReLU with batch norm is reported beside them."
    )
    factors = {"arm": ["selu", "relu", "relu_bn"], "depth": [8, 16, 32]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["train/loss", SPREAD, "test/accuracy"]
    expect = [
        Expect("train/loss", {"arm": "selu"}, {"arm": "relu"}, "less", min_effect=0.05),
        Expect(SPREAD, {"arm": "selu"}, {"arm": "relu"}, "less", min_effect=0.1),
    ]
    figures = [("curve", "train/loss"), ("profile", "probe/act_std/"), ("profile", "probe/act_mean/")]

    def derive(self, metrics):
        var = [v**2 for k, v in metrics.items() if k.startswith("probe/act_std/layer") and k.endswith("@end")]
        if var and min(var) > 0:
            import math

            return {SPREAD: math.log10(max(var) / min(var))}
        return {}

    def spec(self, point, profile):
        act, init, norm, drop, kind = ARMS[point["arm"]]
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 200, None, None)),
            model=spec.MLP(
                depth=self.by_profile(profile, 4, point["depth"], point["depth"]),
                width=self.by_profile(profile, 16, 64, 256),
                activation=act,
                init=spec.Init(init),
                norm=norm,
                dropout=drop,
                dropout_kind=kind,
            ),
            optimizer=spec.Optimizer("sgd", lr=0.02),
            training=spec.Training(epochs=self.by_profile(profile, 1, 10, 50), batch_size=32),
            probes=spec.Probes(activation_stats_at=(0, -1)),
        )
