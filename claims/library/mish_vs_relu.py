"""The note: Mish, a self regularized non-monotonic activation."""

from claims import Claim, Expect, spec


class MishVsRelu(Claim):
    name = "mish-vs-relu"
    version = 1
    title = "Mish gives a higher test accuracy than ReLU (Swish beside them)"
    section = "A. Gradients and activations"
    source = "Mish: A Self Regularized Non-Monotonic Neural Activation Function, yam peleg’s code"
    literature = (
        "Misra 2019, 'Mish: A Self Regularized Non-Monotonic Activation Function' (arXiv:1908.08681): the same "
        "net with only the activation swapped (ReLU, Swish, Mish). Scaled down: MLPs of width 128, depth 2 and "
        "8, on MNIST-1D (generated locally), He init for all, SGD with momentum 0.9, lr 0.01, batch 64. The "
        "CNN arm of the catalog is added when the CNN family (issue 7) lands; this version runs MLPs only."
    )
    literature_effect = (
        "Misra 2019 (arXiv v1 abstract): Squeeze-Excite Net-18 on CIFAR-100, Mish +1.671 points top-1 over "
        "ReLU and +0.494 over Swish; arXiv v3 abstract: ResNet-50 on ImageNet-1k, about +1 point top-1 over ReLU."
    )
    operationalisation = (
        "The note gives no measurable promise; the practical reading is 'Mish is a better hidden activation "
        "than ReLU', i.e. a higher test accuracy after the same training budget (10 epochs). The claim holds "
        "if Mish beats ReLU by at least 0.5 accuracy points (a third of the smallest gain Misra reports) at "
        "each depth. Swish is run beside them for reference."
    )
    factors = {"activation": ["mish", "relu", "swish"], "depth": [2, 8]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["test/accuracy", "train/loss", "test/loss"]
    expect = [
        Expect("test/accuracy", {"activation": "mish"}, {"activation": "relu"}, "greater", min_effect=0.005),
    ]
    figures = [("curve", "test/accuracy")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("mnist1d", n_train=self.by_profile(profile, 200, None, None)),
            model=spec.MLP(
                depth=point["depth"],
                width=self.by_profile(profile, 16, 128, 256),
                activation=point["activation"],
                init=spec.Init("he_normal"),
            ),
            optimizer=spec.Optimizer("momentum", lr=0.01, momentum=0.9),
            training=spec.Training(epochs=self.by_profile(profile, 1, 10, 60), batch_size=64),
        )
