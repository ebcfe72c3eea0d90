"""The note: skip connections (ResNets) solved the degradation problem."""

from claims import Claim, Expect, spec


class ResnetFixesDegradation(Claim):
    name = "resnet-fixes-degradation"
    version = 1
    title = "Deep plain MLPs train worse than shallow ones (degradation); residual ones do not"
    section = "G. Architectures and transfer"
    source = (
        "In the case of ResNets, skip connections solved the degradation problem that we addressed earlier"
    )
    literature = (
        "He et al. 2016, 'Deep residual learning for image recognition' (CVPR): plain vs residual nets of equal "
        "depth, both with batch norm and He init, SGD momentum 0.9, lr 0.1, weight decay 1e-4, batch 128 "
        "(their CIFAR-10 setup). Scaled down to MLPs of width 64 on sklearn digits; a residual block here is "
        "one layer, h + relu(BN(W h)), not He's two-layer block. The small-CNN arm is added when the CNN family "
        "(issue 7) lands."
    )
    literature_effect = (
        "He et al. 2016 (CIFAR-10, their Fig. 1 and 6): the 56-layer plain net has higher training and test "
        "error than the 20-layer plain net, while residual nets gain from depth; the error rates themselves "
        "were not looked up (number not verified)."
    )
    operationalisation = (
        "'Degradation' is a higher full training-set loss (eval mode) after the same budget (15 epochs) for a "
        "deeper plain net: plain depth 32 must be worse than plain depth 4 by at least 0.05 nats. 'Solved' is "
        "read as: at depth 32 the residual net trains to a lower loss than the plain one by at least 0.05 nats. "
        "Whether the deep residual net is 'not worse' than the shallow one is reported (effects per depth) but "
        "not pre-registered: the statistics engine has no non-inferiority direction yet."
    )
    factors = {"skip": ["plain", "residual"], "depth": [4, 16, 32]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["train/loss", "test/accuracy"]
    expect = [
        Expect(
            "train/loss",
            {"skip": "plain", "depth": 32},
            {"skip": "plain", "depth": 4},
            "greater",
            min_effect=0.05,
            label="plain: depth 32 trains worse than depth 4",
        ),
        Expect(
            "train/loss",
            {"skip": "residual", "depth": 32},
            {"skip": "plain", "depth": 32},
            "less",
            min_effect=0.05,
            label="depth 32: residual trains better than plain",
        ),
    ]
    figures = [("curve", "train/loss")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 200, None, None)),
            model=spec.MLP(
                depth=self.by_profile(profile, min(point["depth"], 8), point["depth"], point["depth"]),
                width=self.by_profile(profile, 16, 64, 256),
                activation="relu",
                init=spec.Init("he_normal"),
                norm="batch",
                residual=point["skip"] == "residual",
            ),
            optimizer=spec.Optimizer("momentum", lr=0.1, momentum=0.9),
            training=spec.Training(epochs=self.by_profile(profile, 1, 15, 60), batch_size=128, l2=1e-4),
        )
