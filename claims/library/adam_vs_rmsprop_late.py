"""The note: bias correction helps Adam slightly outperform RMSprop towards the end of optimisation."""

from claims import Claim, Expect, spec

LRS = (0.0003, 0.001, 0.003)


class AdamVsRmspropLate(Claim):
    name = "adam-vs-rmsprop-late"
    version = 1
    title = "Adam ends with a lower loss than RMSprop, and bias correction is why"
    section = "D. Gradient descent, batch size, optimisers, schedules"
    source = (
        "Kingma et al. [10] show that its bias-correction helps Adam slightly outperform RMSprop towards the end "
        "of optimization as gradients become sparser."
    )
    literature = (
        "Kingma & Ba 2015, 'Adam' (ICLR), Sec. 6.4 / Fig. 4: bias correction matters when beta2 is close to 1 "
        "(VAE experiment); 2x64 ReLU MLP on digits here, batch 32, beta2 = rho = 0.999 so RMSprop differs from "
        "Adam only by momentum and bias correction."
    )
    literature_effect = (
        "Kingma & Ba 2015 Fig. 4 shows instabilities without bias correction for beta2 near 1 and small step "
        "sizes; no single number is given (not verified further)."
    )
    operationalisation = (
        "'Towards the end of optimisation' = the final training loss (whole training set) after 20 epochs, plus "
        "the final test loss. Each arm gets the same three lrs chosen on validation with a tuning seed. Adam "
        "must end at least 5% below RMSprop (relative), and, for the 'bias correction helps' part, at least 5% "
        "below Adam without bias correction."
    )
    factors = {"optimizer": ["adam", "rmsprop", "adam_nobc"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["train/loss", "test/loss", "tune/lr"]
    expect = [
        Expect("train/loss", {"optimizer": "adam"}, {"optimizer": "rmsprop"}, "less", 0.05, relative=True),
        Expect("train/loss", {"optimizer": "adam"}, {"optimizer": "adam_nobc"}, "less", 0.05, relative=True),
        Expect("test/loss", {"optimizer": "adam"}, {"optimizer": "rmsprop"}, "less", 0.02),
    ]
    figures = [("curve", "train/loss")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 200, 500, None), val_fraction=0.2),
            model=spec.MLP(depth=2, width=64, activation="relu", init=spec.Init("he_normal")),
            optimizer=spec.Optimizer(
                point["optimizer"], lr=0.001, beta1=0.9, beta2=0.999, rho=0.999, eps=1e-8
            ),
            training=spec.Training(
                epochs=self.by_profile(profile, 1, 20, 100),
                batch_size=32,
                tuning=spec.Tuning(lrs=self.by_profile(profile, (0.001,), LRS, LRS)),
            ),
        )
