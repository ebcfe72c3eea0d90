"""The note: ReLU allows for deactivating neurons and for sparsity."""

from claims import Claim, Expect, spec

ZERO = "probe/act_zero_frac/mean@end"
DEAD = "probe/act_dead_frac/mean@end"
INIT = {"relu": "he_normal", "tanh": "glorot_uniform"}


class ReluSparsity(Claim):
    name = "relu-sparsity"
    version = 1
    title = (
        "ReLU nets have exactly-zero activations (sparsity) and dead units, more so at a high learning rate"
    )
    section = "A. Gradients and activations"
    source = (
        "Relu is quite resistant to vanishing gradient & allows for deactivating neurons and for sparsity."
    )
    literature = (
        "Glorot, Bordes & Bengio 2011, 'Deep sparse rectifier neural networks' (AISTATS): rectifier vs tanh "
        "MLPs, plain SGD, sparsity = fraction of true zeros. Scaled down: 4 hidden layers of 128 on sklearn "
        "digits, He init for ReLU, Glorot for tanh. The CNN arm of the catalog is added when the CNN family "
        "(issue 7) lands; this version runs the MLP arm only."
    )
    literature_effect = (
        "Glorot et al. 2011 note that a rectifier net at initialisation has about 50% of its hidden units at "
        "exactly zero; their trained sparsity figures were not verified here (number not looked up)."
    )
    operationalisation = (
        "Sparsity is the fraction of exactly-zero post-activation values over a 1024-example probe batch of "
        "training data, averaged over the hidden layers, after training (5 epochs of plain SGD, batch 32). A "
        "dead unit is a hidden unit that is zero on every example of that probe batch (a stand-in for 'every "
        "input'). The claim holds if ReLU's zero fraction exceeds tanh's by at least 0.25, and if the dead "
        "fraction of ReLU nets trained with the high learning rate (0.3) exceeds that with the low one (0.01) "
        "by at least 0.05 (5% of the units)."
    )
    factors = {"activation": ["relu", "tanh"], "lr": [0.01, 0.3]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [ZERO, DEAD, "train/loss", "test/accuracy"]
    expect = [
        Expect(ZERO, {"activation": "relu"}, {"activation": "tanh"}, "greater", min_effect=0.25),
        Expect(
            DEAD,
            {"activation": "relu", "lr": 0.3},
            {"activation": "relu", "lr": 0.01},
            "greater",
            min_effect=0.05,
            label="ReLU dead units: high lr vs low lr",
        ),
    ]
    figures = [("profile", "probe/act_zero_frac/"), ("profile", "probe/act_dead_frac/")]

    def derive(self, metrics):
        out = {}
        for kind in ("act_zero_frac", "act_dead_frac"):
            vals = [
                v for k, v in metrics.items() if k.startswith(f"probe/{kind}/layer") and k.endswith("@end")
            ]
            if vals:
                out[f"probe/{kind}/mean@end"] = sum(vals) / len(vals)
        return out

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 200, None, None)),
            model=spec.MLP(
                depth=4,
                width=self.by_profile(profile, 32, 128, 512),
                activation=point["activation"],
                init=spec.Init(INIT[point["activation"]]),
            ),
            optimizer=spec.Optimizer("sgd", lr=point["lr"]),
            training=spec.Training(epochs=self.by_profile(profile, 1, 5, 30), batch_size=32),
            probes=spec.Probes(
                activation_stats_at=(0, -1), probe_batch=self.by_profile(profile, 128, 1024, 1024)
            ),
        )
