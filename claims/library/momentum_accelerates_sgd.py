"""The note: GD with momentum (reaches a low loss in fewer updates than plain SGD)."""

from claims import Claim, Expect, spec

LRS = (0.01, 0.05, 0.2)


class MomentumAcceleratesSgd(Claim):
    name = "momentum-accelerates-sgd"
    version = 1
    title = "SGD with momentum (heavy ball or Nesterov) reaches a target loss in fewer updates than plain SGD"
    section = "D. Gradient descent, batch size, optimisers, schedules"
    source = "GD with Momentum - explain"
    literature = (
        "Sutskever, Martens, Dahl & Hinton 2013, 'On the importance of initialization and momentum in deep "
        "learning' (ICML): momentum 0.9 and Nesterov's accelerated gradient vs plain SGD; here a 2x64 ReLU MLP "
        "on sklearn digits, batch 32."
    )
    literature_effect = "Not verified: no single number for this setting was found; the paper reports large speed-ups on deep autoencoders."
    operationalisation = (
        "'Accelerates' = fewer updates until the training loss (whole training set, evaluated every 10 updates) "
        "first reaches 0.1 nats. Each optimiser gets the same tuning budget: lrs {0.01, 0.05, 0.2} trained with a "
        "tuning seed, the best on a 20% validation split is used for the evaluation run (a run that never reaches "
        "the target counts its total updates, a conservative lower bound). Momentum 0.9 (torch's heavy ball) and "
        "Nesterov 0.9; the claim holds if each needs at least 20% fewer updates than SGD."
    )
    factors = {"optimizer": ["sgd", "momentum", "nesterov"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["target/steps", "target/reached", "train/loss", "test/loss", "tune/lr"]
    expect = [
        Expect("target/steps", {"optimizer": "momentum"}, {"optimizer": "sgd"}, "less", 0.2, relative=True),
        Expect("target/steps", {"optimizer": "nesterov"}, {"optimizer": "sgd"}, "less", 0.2, relative=True),
    ]
    figures = [("curve", "train/loss")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 200, 600, None), val_fraction=0.2),
            model=spec.MLP(depth=2, width=64, activation="relu", init=spec.Init("he_normal")),
            optimizer=spec.Optimizer(point["optimizer"], lr=0.05, momentum=0.9),
            training=spec.Training(
                epochs=self.by_profile(profile, 1, 8, 30),
                batch_size=32,
                eval_every=10,
                target=("train/loss", 0.1),
                tuning=spec.Tuning(lrs=self.by_profile(profile, (0.05,), LRS, LRS)),
            ),
        )
