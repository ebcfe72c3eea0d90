"""The note: in an RNN the vanishing gradient is 100 times worse (than in a feed-forward net)."""

from claims import Claim, Expect, spec

FIRST_LAST = "probe/state_grad/log10_first_last@0"
PER_STEP = "probe/state_grad/factor_per_step@0"


class RnnVanishingWorse(Claim):
    name = "rnn-vanishing-worse"
    version = 1
    title = "Back-propagated gradients vanish 100x more over an RNN's time steps than over an MLP's layers"
    section = "G. Architectures and transfer"
    source = "Vanishing gradient is 100 times worse."
    literature = (
        "Bengio, Simard & Frasconi 1994, 'Learning long-term dependencies with gradient descent is difficult'; "
        "Pascanu, Mikolov & Bengio 2013, 'On the difficulty of training recurrent neural networks' (the gradient "
        "through T steps is a product of T Jacobians W^T diag(tanh')). Setup: tanh RNN, 32 units, on the adding "
        "problem; the MLP has as many tanh layers (width 32) as the RNN has steps and reads the same flat input."
    )
    literature_effect = (
        "No published number for '100 times' was found; Pascanu et al. 2013 show the gradient norm shrinks "
        "exponentially in T when the largest singular value of W times max tanh' is below 1 (a bound, not a figure)."
    )
    operationalisation = (
        "On a probe batch of 100 adding-problem sequences, ||dL/dh_t|| is measured for the hidden state at every "
        "step t (RNN) and for every hidden layer's output (MLP of equal depth), at initialisation and after 50 Adam "
        "updates. The per-step decay factor is 10**slope of log10 ||dL/dh_t|| against the distance to the loss; "
        "'100 times worse' is read as: log10(||dL/dh_first|| / ||dL/dh_last||) is at least 2 lower for the RNN than "
        "for the MLP of equal depth (T = 10 and 30), under the same initialiser of the repeated matrices "
        "(orthogonal or Glorot). The measured per-step factors are reported next to it."
    )
    factors = {"net": ["rnn", "mlp"], "depth": [10, 30], "init": ["orthogonal", "glorot_uniform"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [
        FIRST_LAST,
        PER_STEP,
        "probe/state_grad/log10_first_last@end",
        "probe/state_grad/factor_per_step@end",
    ]
    expect = [
        Expect(
            FIRST_LAST, {"net": "rnn"}, {"net": "mlp"}, "less", 2.0, label="RNN decays 100x more than MLP"
        ),
        Expect(FIRST_LAST, {"net": "rnn"}, None, "less", 0.0, label="RNN gradient vanishes over time"),
    ]
    figures = [("profile", "probe/state_grad/step")]

    # Quick cost: 125 s torch / 276 s tf wall on the shared 2-core box (~8 jobs at once); the eager
    # unrolled gradient probe at T = 30 and 8 traced conditions dominate; CPU time is well below that.

    def spec(self, point, profile):
        depth = self.by_profile(profile, 4, point["depth"], point["depth"])
        width = self.by_profile(profile, 8, 32, 64)
        if point["net"] == "rnn":
            model: spec.ModelSpec = spec.RNN(
                cell="rnn",
                features=2,
                hidden=width,
                kernel_init=spec.Init("glorot_uniform"),
                recurrent_init=spec.Init(point["init"]),
                head="mse",
            )
        else:
            model = spec.MLP(
                depth=depth, width=width, activation="tanh", init=spec.Init(point["init"]), head="mse"
            )
        updates = self.by_profile(profile, 2, 50, 500)
        return spec.TrialSpec(
            data=spec.Data("adding", params=(("n", 1000), ("seed", 0), ("steps", depth)), standardize=False),
            model=model,
            optimizer=spec.Optimizer("adam", lr=0.01),
            training=spec.Training(epochs=1000, batch_size=100, max_steps=updates, eval_every=updates),
            probes=spec.Probes(probe_batch=100),
            experiment="state_grads",
        )
