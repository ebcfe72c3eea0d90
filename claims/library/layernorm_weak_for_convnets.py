"""The note: layer norm "does not work well with ConvNets"."""

from claims import Claim, Expect, spec


class LayernormWeakForConvnets(Claim):
    name = "layernorm-weak-for-convnets"
    version = 1
    title = "Layer norm in a CNN does worse than batch norm"
    section = "C. Normalisation"
    source = (
        "Layer normalization (Ba 2016): Does not use batch statistics. Normalize using the statistics collected "
        "from all units within a layer of the current sample. Does not work well with ConvNets."
    )
    literature = (
        "Wu & He 2018, 'Group Normalization' (ECCV): BN vs LN vs IN vs GN in the same ResNet-50, LN = GN with one "
        "group over (C, H, W) with per-channel affine, IN = one group per channel. Scaled down to a 2-conv CNN "
        "(8, 16 channels, 3x3, max pool, norm before ReLU, GN with 4 groups) on sklearn digits, SGD momentum 0.9, "
        "lr 0.05, batch 32."
    )
    literature_effect = (
        "Wu & He 2018 (arXiv:1803.08494, abstract): GN has 10.6% lower error than BN at batch size 2 on ResNet-50 / "
        "ImageNet, and at typical batch sizes GN is comparably good with BN and outperforms the other variants "
        "(LN, IN). Their per-method error table was not verified here."
    )
    operationalisation = (
        "Same CNN, seeds and budget; only the normaliser changes. 'Does not work well' is read as: LN's test "
        "accuracy is lower than BN's by at least 1 point; as a second reading, lower than no normalisation at all "
        "by at least 1 point. GN and IN are reported for context."
    )
    factors = {"norm": ["batch", "layer", "group", "instance", "none"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["test/accuracy", "test/loss", "train/loss"]
    expect = [
        Expect("test/accuracy", {"norm": "layer"}, {"norm": "batch"}, "less", min_effect=0.01),
        Expect("test/accuracy", {"norm": "layer"}, {"norm": "none"}, "less", min_effect=0.01),
    ]
    figures = [("curve", "test/accuracy")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 200, None, None)),
            model=spec.CNN(
                convs=(spec.Conv(8, pool="max"), spec.Conv(16, pool="max")), norm=point["norm"], groups=4
            ),
            optimizer=spec.Optimizer("momentum", lr=0.05, momentum=0.9),
            training=spec.Training(epochs=self.by_profile(profile, 1, 3, 20), batch_size=32),
        )
