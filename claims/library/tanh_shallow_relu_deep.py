"""The note: tanh for shallow networks (< 3 hidden layers), ReLU for deep ones."""

from claims import Claim, Expect, spec

INIT = {"relu": "he_normal", "tanh": "glorot_uniform"}


class TanhShallowReluDeep(Claim):
    name = "tanh-shallow-relu-deep"
    version = 1
    title = "tanh is the better hidden activation below 3 hidden layers, ReLU in deep MLPs"
    section = "A. Gradients and activations"
    source = (
        "Hidden layers - hyperbolic tangent for shallow networks (less than 3 hidden layers), and ReLU for "
        "deep networks"
    )
    literature = (
        "Glorot & Bengio 2010 (tanh with normalised init, plain SGD) and Glorot, Bordes & Bengio 2011 "
        "(rectifiers match or beat tanh as depth grows). Scaled down: MLPs of width 64 on MNIST-1D (generated "
        "locally), plain SGD lr 0.05, batch 32, each activation with its matched init (Glorot uniform for "
        "tanh, He normal for ReLU)."
    )
    literature_effect = (
        "No single number for this interaction was found in the literature; Glorot et al. 2011 report rectifier "
        "nets equal to or better than tanh nets on their image tasks (figures not verified here)."
    )
    operationalisation = (
        "'For' is read as 'gives the better test accuracy after the same training budget' (6 epochs of plain "
        "SGD). The claim holds if tanh beats ReLU by at least 1 accuracy point at depth 1 and 2, and ReLU beats "
        "tanh by at least 1 point at depth 8 and 16 (each depth is a condition; a verdict that depends on the "
        "depth reads 'mixed')."
    )
    factors = {"depth": [1, 2, 8, 16], "activation": ["tanh", "relu"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["test/accuracy", "train/loss"]
    expect = [
        Expect(
            "test/accuracy",
            {"activation": "tanh"},
            {"activation": "relu"},
            "greater",
            min_effect=0.01,
            where={"depth": [1, 2]},
            label="shallow: tanh beats relu",
        ),
        Expect(
            "test/accuracy",
            {"activation": "relu"},
            {"activation": "tanh"},
            "greater",
            min_effect=0.01,
            where={"depth": [8, 16]},
            label="deep: relu beats tanh",
        ),
    ]
    figures = [("curve", "test/accuracy")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("mnist1d", n_train=self.by_profile(profile, 200, None, None)),
            model=spec.MLP(
                depth=point["depth"],
                width=self.by_profile(profile, 16, 64, 256),
                activation=point["activation"],
                init=spec.Init(INIT[point["activation"]]),
            ),
            optimizer=spec.Optimizer("sgd", lr=0.05),
            training=spec.Training(epochs=self.by_profile(profile, 1, 6, 40), batch_size=32),
        )
