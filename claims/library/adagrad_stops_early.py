"""The note: Adagrad's monotonic learning rate stops learning too early."""

from claims import Claim, Expect, spec

GRIDS = {"adagrad": (0.003, 0.01, 0.03), "rmsprop": (0.0003, 0.001, 0.003), "adam": (0.0003, 0.001, 0.003)}
LATE = "derived/late_decrease"


class AdagradStopsEarly(Claim):
    name = "adagrad-stops-early"
    version = 1
    title = "Adagrad stops making progress earlier than RMSprop and Adam"
    section = "D. Gradient descent, batch size, optimisers, schedules"
    source = (
        "However, its monotonic learning rate usually proves too aggressive and stops learning too early when "
        "training deep neural networks."
    )
    literature = (
        "Duchi, Hazan & Singer 2011 (Adagrad); Tieleman & Hinton 2012 (RMSprop); Kingma & Ba 2015 (Adam); "
        "Zeiler 2012 motivates Adadelta with the same decay. Here a 3x64 ReLU MLP on digits, batch 32, long training."
    )
    literature_effect = "Not verified: no published number for this effect in a comparable setting was found."
    operationalisation = (
        "'Stops learning early' = a smaller late-phase decrease of the training loss: (loss at the half-way epoch "
        "- final loss) / loss at the half-way epoch, on the whole training set. Each optimiser gets three lrs "
        "chosen on validation with a tuning seed. The claim holds if Adagrad's late decrease is smaller than "
        "RMSprop's and Adam's by at least 0.05 (5 points of relative decrease). Epsilon 1e-8 for all, Adagrad's "
        "accumulator starts at 0, RMSprop rho 0.99 (torch's default)."
    )
    factors = {"optimizer": list(GRIDS)}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [LATE, "train/loss", "test/loss", "tune/lr"]
    expect = [
        Expect(LATE, {"optimizer": "adagrad"}, {"optimizer": "rmsprop"}, "less", 0.05),
        Expect(LATE, {"optimizer": "adagrad"}, {"optimizer": "adam"}, "less", 0.05),
    ]
    figures = [("curve", "train/loss")]

    def epochs(self, profile):
        return self.by_profile(profile, 2, 20, 100)

    def derive(self, metrics):
        half = next((v for k, v in metrics.items() if k.startswith("train/loss@epoch")), None)
        end = metrics.get("train/loss")
        if half is None or end is None or half <= 0:
            return {}
        return {LATE: (half - end) / half}

    def spec(self, point, profile):
        e = self.epochs(profile)
        name = point["optimizer"]
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=self.by_profile(profile, 200, 500, None), val_fraction=0.2),
            model=spec.MLP(depth=3, width=64, activation="relu", init=spec.Init("he_normal")),
            optimizer=spec.Optimizer(name, lr=GRIDS[name][1], rho=0.99, eps=1e-8),
            training=spec.Training(
                epochs=e,
                batch_size=32,
                report_epochs=(e // 2,),
                tuning=spec.Tuning(lrs=self.by_profile(profile, GRIDS[name][1:2], GRIDS[name], GRIDS[name])),
            ),
        )
