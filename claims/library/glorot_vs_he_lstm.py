"""The note asks whether Glorot init really helps an LSTM, where vanishing gradients are ~no longer an issue."""

from claims import Claim, Expect, spec


class GlorotVsHeLstm(Claim):
    name = "glorot-vs-he-lstm"
    version = 1
    title = "In an LSTM, Glorot and He input-kernel inits train equally well"
    section = "B. Initialisation"
    source = (
        "However, i am still not seeing anything empirical that says that glorot surpesses everything else under "
        "certain conditions (except the glorot paper), most importantly, does it really help in LSTM where the "
        "vanishing gradient is ~no longer an issue?"
    )
    literature = (
        "Glorot & Bengio 2010 (normalised init); He et al. 2015 (variance 2/fan_in); Keras' LSTM defaults "
        "(glorot_uniform kernels, orthogonal recurrent kernels, unit forget bias, Jozefowicz et al. 2015). Task: "
        "sklearn digits read row by row (T = 8 steps of 8 pixels), 1-layer LSTM of 32 units (128 in full), Adam."
    )
    literature_effect = (
        "No published number for Glorot vs He input kernels in an LSTM was found; the note itself expects no "
        "difference."
    )
    operationalisation = (
        "'Does it help' becomes: does the input-kernel initialiser change how well an LSTM trains. Both arms have "
        "orthogonal recurrent kernels and forget bias 1; the kernel of every gate is drawn on its own from "
        "glorot_uniform (variance 2/(8+H)) or he_uniform (variance 2/8). After the same budget of Adam updates the "
        "test accuracy and test loss are compared; the note's expectation (no difference) holds if the paired "
        "difference lies within +-2 accuracy points and +-0.05 nats (equivalence: the CI inside the margin)."
    )
    factors = {"init": ["glorot_uniform", "he_uniform"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["test/accuracy", "test/loss", "train/loss"]
    expect = [
        Expect("test/accuracy", {"init": "he_uniform"}, {"init": "glorot_uniform"}, "equivalent", 0.02),
        Expect("test/loss", {"init": "he_uniform"}, {"init": "glorot_uniform"}, "equivalent", 0.05),
    ]
    figures = [("curve", "test/accuracy"), ("curve", "train/batch_loss")]

    # Quick cost: 77 s torch / 65 s tf wall on the shared 2-core box (~8 jobs at once).

    def spec(self, point, profile):
        updates = self.by_profile(profile, 4, 200, 3000)
        return spec.TrialSpec(
            data=spec.Data(
                "seq_digits", params=(("order", "rows"),), n_train=self.by_profile(profile, 200, None, None)
            ),
            model=spec.RNN(
                cell="lstm",
                features=8,
                hidden=self.by_profile(profile, 8, 32, 128),
                kernel_init=spec.Init(point["init"]),
                recurrent_init=spec.Init("orthogonal"),
                forget_bias=1.0,
            ),
            optimizer=spec.Optimizer("adam", lr=0.005),
            training=spec.Training(
                epochs=1000, batch_size=64, max_steps=updates, eval_every=max(updates // 4, 1)
            ),
        )
