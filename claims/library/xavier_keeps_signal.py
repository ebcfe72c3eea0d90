"""The note: Glorot (Xavier) init keeps the signal in a reasonable range through many layers."""

import math

from claims import Claim, Expect, spec

ACT = "probe/act_var/log10_spread@0"
GRAD = "probe/act_grad_var/log10_spread@0"
INITS = {
    "small": spec.Init("normal", 0.01),
    "glorot": spec.Init("glorot_uniform"),
    "large": spec.Init("normal", 1.0),
}


class XavierKeepsSignal(Claim):
    name = "xavier-keeps-signal"
    version = 1
    title = (
        "At init, Glorot keeps activation and back-propagated gradient variance nearly constant over depth"
    )
    section = "B. Initialisation"
    source = (
        "Xavier initialization makes sure the weights are β€˜just right’, keeping the signal in a reasonable "
        "range of values through many layers."
    )
    literature = (
        "Glorot & Bengio 2010, 'Understanding the difficulty of training deep feedforward neural networks' "
        "(AISTATS): tanh MLPs, 'normalized initialization' W ~ U[-sqrt(6/(n_in+n_out)), +], per-layer "
        "histograms of activations and back-propagated gradients at init (their Figs. 6-7). Here deeper (20 and "
        "50 layers of 128 tanh units) and against N(0, 0.01^2) and N(0, 1) weights, float64, sklearn digits."
    )
    literature_effect = (
        "Glorot & Bengio 2010: with normalised init the variance of back-propagated gradients stays about "
        "constant across layers at init, while with the standard U[-1/sqrt(n), 1/sqrt(n)] init it shrinks "
        "towards the input (read from the paper's discussion of Fig. 7; no number for the spread verified)."
    )
    operationalisation = (
        "At initialisation (no update), on a 256-example probe batch: per hidden layer, the variance of its "
        "tanh output (activation) and of dL/dh, the gradient of the mean cross-entropy w.r.t. that output "
        "(back-propagated gradient, train mode). 'Keeps the signal in range' = small spread across layers, "
        "log10(max variance / min variance) over the hidden layers. The claim holds if Glorot's spread is "
        "smaller than both alternatives' by at least 0.3 (a factor of 2), for activations and for gradients, "
        "at each depth. Caveat: N(0,1) weights saturate tanh (outputs near +/-1 in every layer), which keeps "
        "the activation variance flat without the signal being useful; the gradient spread exposes that."
    )
    factors = {"init": ["glorot", "small", "large"], "depth": [20, 50]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [ACT, GRAD]
    expect = [
        Expect(ACT, {"init": "glorot"}, {"init": "small"}, "less", min_effect=0.3),
        Expect(ACT, {"init": "glorot"}, {"init": "large"}, "less", min_effect=0.3),
        Expect(GRAD, {"init": "glorot"}, {"init": "small"}, "less", min_effect=0.3),
        Expect(GRAD, {"init": "glorot"}, {"init": "large"}, "less", min_effect=0.3),
    ]
    figures = [("profile", "probe/act_std/"), ("profile", "probe/act_grad_var/")]

    def derive(self, metrics):
        var = [v**2 for k, v in metrics.items() if k.startswith("probe/act_std/layer") and k.endswith("@0")]
        if var and min(var) > 0:
            return {ACT: math.log10(max(var) / min(var))}
        return {}

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits"),
            model=spec.MLP(
                depth=self.by_profile(profile, 5, point["depth"], point["depth"]),
                width=self.by_profile(profile, 16, 128, 512),
                activation="tanh",
                init=INITS[point["init"]],
            ),
            training=spec.Training(epochs=1, max_steps=0, dtype="float64"),  # measured at init only
            probes=spec.Probes(activation_stats_at=(0,), act_grad_var_at=(0,)),
        )
