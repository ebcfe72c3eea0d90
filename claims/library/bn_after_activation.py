"""The note: BN should come after the activation, "as it makes more sense (it does)"."""

from claims import Claim, Expect, spec


class BnAfterActivation(Claim):
    name = "bn-after-activation"
    version = 1
    title = "Batch norm placed after the activation beats batch norm before it"
    section = "C. Normalisation"
    source = (
        "saying that it should come after activations as it makes more sense (it does),also a nice quote on "
        "where a layer ends is really good - it can end at the activation (or not)."
    )
    literature = (
        "Ioffe & Szegedy 2015 place BN before the nonlinearity; the ducha-aiki/caffenet-benchmark (batchnorm.md) "
        "compares before vs after on a CaffeNet at 128 px. Here: a 2x64 MLP and a 2-conv CNN (8, 16 channels, "
        "3x3, max pool) on sklearn digits, SGD with momentum 0.9, lr 0.05, batch 32, BN momentum 0.1, eps 1e-5."
    )
    literature_effect = (
        "caffenet-benchmark batchnorm.md (ImageNet-2012, CaffeNet128, LSUV init): BN before ReLU 0.474 top-1 "
        "accuracy (log-loss 2.35), after ReLU 0.499 (2.21); i.e. +2.5 points for 'after'. GoogLeNet128 in the "
        "same table went the other way (before 0.603-0.607, after 0.584-0.596)."
    )
    operationalisation = (
        "Same nets, same seeds, same budget; the only change is where BN sits in each hidden layer "
        "(Dense/Conv -> BN -> act vs Dense/Conv -> act -> BN), with no BN as a reference arm. 'Makes more sense "
        "(it does)' is read as: after-activation gives higher test accuracy (by at least 1 point) and lower test "
        "loss (by at least 0.02 nats), for ReLU and tanh, in an MLP and a CNN (each a condition)."
    )
    factors = {
        "arch": ["mlp", "cnn"],
        "activation": ["relu", "tanh"],
        "position": ["before", "after", "none"],
    }
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["test/accuracy", "test/loss", "train/loss"]
    expect = [
        Expect("test/accuracy", {"position": "after"}, {"position": "before"}, "greater", min_effect=0.01),
        Expect("test/loss", {"position": "after"}, {"position": "before"}, "less", min_effect=0.02),
    ]
    figures = [("curve", "test/accuracy")]

    def spec(self, point, profile):
        norm = "none" if point["position"] == "none" else "batch"
        position = "before" if point["position"] == "none" else point["position"]
        act = point["activation"]
        init = spec.Init("he_normal" if act == "relu" else "glorot_uniform")
        model: spec.ModelSpec
        if point["arch"] == "mlp":
            model = spec.MLP(depth=2, width=64, activation=act, init=init, norm=norm, norm_position=position)
        else:
            convs = (spec.Conv(8, pool="max"), spec.Conv(16, pool="max"))
            model = spec.CNN(convs=convs, activation=act, init=init, norm=norm, norm_position=position)
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 200, None, None)),
            model=model,
            optimizer=spec.Optimizer("momentum", lr=0.05, momentum=0.9),
            training=spec.Training(epochs=self.by_profile(profile, 1, 3, 20), batch_size=32),
        )
