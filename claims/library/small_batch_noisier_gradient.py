"""The note: the smaller the batch, the less accurate the estimate of the gradient."""

import itertools

from claims import Claim, Expect, spec

SIZES = [1, 4, 16, 64, 256, 1024]
COS = "grad/cosine"


class SmallBatchNoisierGradient(Claim):
    name = "small-batch-noisier-gradient"
    version = 1
    title = "Mini-batch gradients point further from the full-batch gradient the smaller the batch"
    section = "D. Gradient descent, batch size, optimisers, schedules"
    source = "The smaller the batch the less accurate estimate of the gradient."
    literature = (
        "The sampling argument (e.g. Bottou, Curtis & Nocedal 2018, 'Optimization methods for large-scale machine "
        "learning', Sec. 5): the variance of a mean of B sampled gradients falls as 1/B (with a finite-population "
        "correction). 2x64 ReLU MLP on sklearn digits at its initial weights."
    )
    literature_effect = (
        "Theory, not an experiment: relative error ~ sqrt((N-B)/(N-1) / B) x (per-example gradient spread); "
        "no empirical number looked up."
    )
    operationalisation = (
        "At fixed weights (the trial's initial weights), 20 mini-batches per size drawn without replacement from "
        "the training set (the same indices in both frameworks); per draw the cosine similarity to the full-batch "
        "gradient (mean reduction, all parameters flattened) and the relative error ||g_B - g|| / ||g||, averaged. "
        "Monotone = each size's cosine is higher than the next smaller size's by at least 0.01, and the relative "
        "error at 1024 is below that at 1 by at least 0.5 in log10 (a factor ~3)."
    )
    factors = {"batch_size": SIZES}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [COS, "grad/rel_error", "grad/log10_rel_error"]
    expect = [
        Expect(COS, {"batch_size": b}, {"batch_size": a}, "greater", 0.01)
        for a, b in itertools.pairwise(SIZES)
    ] + [Expect("grad/log10_rel_error", {"batch_size": 1024}, {"batch_size": 1}, "less", 0.5)]
    figures = []

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 200, None, None)),
            model=spec.MLP(depth=2, width=64, activation="relu", init=spec.Init("he_normal")),
            training=spec.Training(batch_size=point["batch_size"], dtype="float64"),
            experiment="grad_noise",
            params=(("draws", self.by_profile(profile, 3, 20, 50)),),
        )
