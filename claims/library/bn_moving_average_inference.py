"""The note: at test time BN should use a moving window (running statistics), not the test batch."""

from claims import Claim, Expect, spec

SIZES = (1, 8, 256)


class BnMovingAverageInference(Claim):
    name = "bn-moving-average-inference"
    version = 1
    title = "At test time BN's running averages beat the test batch's own statistics, most at small batches"
    section = "C. Normalisation"
    source = "How to use BN in the test, hint: use a moving window."
    literature = (
        "Ioffe & Szegedy 2015, Sec. 3.1 and Alg. 2: inference uses population statistics (moving averages) so "
        "the output depends on the input only. Net: 2-conv CNN (8, 16 channels, 3x3, max pool) with BN before "
        "ReLU on sklearn digits, SGD momentum 0.9, lr 0.05; BN momentum 0.1."
    )
    literature_effect = (
        "No number for this comparison was found in the literature; the paper states the rule only."
    )
    operationalisation = (
        "One trained net, scored twice on the fixed test set: with the running statistics (eval mode) and with "
        "each test batch normalised by its own statistics (BN in train mode; no dropout), the test set cut into "
        "batches of 1, 8 and 256 in a seeded order. A CNN is used so that a batch of 1 still has H*W values per "
        "channel. gap@b = accuracy(running) - accuracy(batch stats, batch b). The claim holds if gap@1 and gap@8 "
        "exceed 1 point, gap@256 exceeds 0.5 points, and gap@1 - gap@256 exceeds 1 point (gap largest at small "
        "batches); two training batch sizes (16, 64) are conditions."
    )
    factors = {"train_batch": [16, 64]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["bn/acc_running", *[f"bn/acc_batch@{b}" for b in SIZES], *[f"bn/gap@{b}" for b in SIZES]]
    metrics += ["bn/gap_small_minus_large", "test/accuracy"]
    expect = [
        Expect("bn/gap@1", {}, None, "greater", min_effect=0.01, label="running - batch stats, test batch 1"),
        Expect("bn/gap@8", {}, None, "greater", min_effect=0.01, label="running - batch stats, test batch 8"),
        Expect(
            "bn/gap@256", {}, None, "greater", min_effect=0.005, label="running - batch stats, test batch 256"
        ),
        Expect("bn/gap_small_minus_large", {}, None, "greater", min_effect=0.01, label="gap@1 - gap@256"),
    ]
    figures = [("curve", "test/accuracy")]

    def derive(self, metrics):
        out = {f"bn/gap@{b}": metrics["bn/acc_running"] - metrics[f"bn/acc_batch@{b}"] for b in SIZES}
        out["bn/gap_small_minus_large"] = out["bn/gap@1"] - out["bn/gap@256"]
        return out

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 200, None, None)),
            model=spec.CNN(convs=(spec.Conv(8, pool="max"), spec.Conv(16, pool="max")), norm="batch"),
            optimizer=spec.Optimizer("momentum", lr=0.05, momentum=0.9),
            training=spec.Training(
                epochs=self.by_profile(profile, 1, 3, 20), batch_size=point["train_batch"]
            ),
            experiment="bn_inference",
            params=(("test_batches", SIZES),),
        )
