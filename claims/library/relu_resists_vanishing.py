"""The note: ReLU is quite resistant to the vanishing gradient."""

from claims import Claim, Expect, spec

RATIO = "probe/grad_norm/log10_ratio_first_last@0"
MATCHED = {"relu": "he_normal", "sigmoid": "glorot_normal", "tanh": "glorot_normal"}
SWAPPED = {"relu": "glorot_normal", "sigmoid": "he_normal", "tanh": "he_normal"}


class ReluResistsVanishing(Claim):
    name = "relu-resists-vanishing"
    version = 1
    title = "ReLU keeps early-layer gradients alive where sigmoid and tanh let them vanish"
    section = "A. Gradients and activations"
    source = (
        "Relu is quite resistant to vanishing gradient & allows for deactivating neurons and for sparsity."
    )
    literature = (
        "Glorot, Bordes & Bengio 2011, 'Deep sparse rectifier neural networks' (AISTATS); He et al. 2015, "
        "'Delving deep into rectifiers' (ICCV) for the He init. Same nets as mlp-vanishing-gradient: "
        "plain SGD so no adaptive optimiser hides the gradient scale."
    )
    operationalisation = (
        "Vanishing is the log10 ratio of the first to the last hidden layer's weight-gradient norm at "
        "initialisation (probe batch of 256). ReLU 'resists' it if that ratio is higher for ReLU than for "
        "sigmoid (by at least 0.3, a factor of 2) and higher than for tanh (by at least 0.1). Each activation "
        "gets its matched init (He for ReLU, Glorot otherwise) and, as a control for the init, the swapped one; "
        "the training loss after a fixed budget of SGD steps must also be lower for ReLU than for sigmoid "
        "(by at least 0.05 nats)."
    )
    factors = {"activation": ["relu", "sigmoid", "tanh"], "init": ["matched", "swapped"], "depth": [10, 20]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [RATIO, "train/loss", "test/accuracy"]
    expect = [
        Expect(RATIO, {"activation": "relu"}, {"activation": "sigmoid"}, "greater", min_effect=0.3),
        Expect(RATIO, {"activation": "relu"}, {"activation": "tanh"}, "greater", min_effect=0.1),
        Expect("train/loss", {"activation": "relu"}, {"activation": "sigmoid"}, "less", min_effect=0.05),
    ]
    figures = [("profile", "probe/grad_norm/"), ("curve", "train/batch_loss")]

    def spec(self, point, profile):
        scheme = MATCHED if point["init"] == "matched" else SWAPPED
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 200, None, None)),
            model=spec.MLP(
                depth=point["depth"],
                width=self.by_profile(profile, 32, 64, 256),
                activation=point["activation"],
                init=spec.Init(scheme[point["activation"]]),
            ),
            optimizer=spec.Optimizer("sgd", lr=0.05),
            training=spec.Training(
                epochs=self.by_profile(profile, 1, 2, 10),
                batch_size=32,
                max_steps=self.by_profile(profile, 5, None, None),
            ),
            probes=spec.Probes(grad_norms_at=(0,)),
        )
