"""The note: in an MLP, early layers train slower because back-propagated gradients shrink."""

from claims import Claim, Expect, spec

RATIO = "probe/grad_norm/log10_ratio_first_last@0"
RATIO_END = "probe/grad_norm/log10_ratio_first_last@end"
CHANGE = "probe/weight_change/log10_ratio_first_last"


class MlpVanishingGradient(Claim):
    name = "mlp-vanishing-gradient"
    version = 1
    title = "In a deep MLP the early layers get smaller gradients and train slower"
    section = "A. Gradients and activations"
    source = (
        "Has vanishing gradient problem, because of multiplications when it reaches the first layers "
        "the loss correction is very small (0.1*0.1*01 = 0.001), therefore the early layers train slower "
        "than the last ones"
    )
    literature = (
        "Glorot & Bengio 2010, 'Understanding the difficulty of training deep feedforward neural networks' "
        "(AISTATS): sigmoid/tanh MLPs, normalised (Glorot) init, plain SGD, mini-batches of 10; here scaled "
        "down to width 64 on sklearn digits."
    )
    literature_effect = (
        "Glorot & Bengio 2010 (Fig. 6-7): with the standard init, back-propagated gradients shrink towards "
        "the input layers; with normalised init their variance stays roughly constant across layers at init."
    )
    operationalisation = (
        "'Smaller gradients in early layers' is the log10 ratio of the L2 norm of dL/dW of the first hidden "
        "layer to that of the last hidden layer, on a fixed 256-example probe batch, at initialisation and "
        "after one epoch of SGD (lr 0.05, batch 10). 'Train slower' is the log10 ratio of the relative weight "
        "change ||W_end - W_0||/||W_0|| of the first to the last hidden layer after that epoch. The claim holds "
        "where these ratios are below 0 by at least 0.1 (first layer at most ~80% of the last) and fall with "
        "depth (depth 20 vs 5, at least 0.3 lower, i.e. a factor of 2)."
    )
    factors = {"depth": [5, 10, 20], "activation": ["sigmoid", "tanh"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [RATIO, RATIO_END, CHANGE, "test/accuracy", "train/loss"]
    expect = [
        Expect(RATIO, {}, None, "less", min_effect=0.1, label="at init: first-layer gradient < last"),
        Expect(CHANGE, {}, None, "less", min_effect=0.1, label="first layer changes less than the last"),
        Expect(
            RATIO,
            {"depth": 20},
            {"depth": 5},
            "less",
            min_effect=0.3,
            label="at init: ratio falls with depth",
        ),
        Expect(
            RATIO_END,
            {"depth": 20},
            {"depth": 5},
            "less",
            min_effect=0.3,
            label="after 1 epoch: ratio falls with depth",
        ),
    ]
    figures = [("profile", "probe/grad_norm/"), ("profile", "probe/weight_change/")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 200, None, None)),
            model=spec.MLP(
                depth=point["depth"],
                width=self.by_profile(profile, 32, 64, 256),
                activation=point["activation"],
                init=spec.Init("glorot_uniform"),
            ),
            optimizer=spec.Optimizer("sgd", lr=0.05),
            training=spec.Training(epochs=self.by_profile(profile, 1, 1, 1), batch_size=10),
            probes=spec.Probes(grad_norms_at=(0, -1), weight_change=True),
        )
