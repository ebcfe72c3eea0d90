"""The note: AdaMod, a deep-learning optimiser with memory."""

from claims import Claim, Expect, spec


class AdamodVsAdam(Claim):
    name = "adamod-vs-adam"
    version = 1
    title = "AdaMod (Adam with a momental bound on its step sizes) beats Adam, most at high learning rates"
    section = "D. Gradient descent, batch size, optimisers, schedules"
    source = "Adamod deeplearning optimizer with memory"
    literature = (
        "Ding, Ren, Luo & Sun 2019, 'An Adaptive and Momental Bound Method for Stochastic Learning' "
        "(arXiv:1910.12249), Algorithm 1, beta3 = 0.999; its claim is stability against the very large early step "
        "sizes of Adam. Here a 3x128 ReLU MLP on MNIST-1D, batch 32, lr as a factor."
    )
    literature_effect = (
        "Ding et al. 2019 (abstract): AdaMod 'brings significant improvements especially on complex networks such "
        "as DenseNet and Transformer, compared to Adam'; per-task numbers not verified here."
    )
    operationalisation = (
        "Final test loss after 10 epochs, Adam vs AdaMod at each lr in {0.001, 0.01, 0.03} (the lr is a condition: "
        "'stability at high lr' is the verdict at 0.01 and 0.03; a diverged run has no loss and leaves that seed "
        "out). AdaMod must be lower by at least 0.02 nats; the verdict is 'mixed' when it holds at high lr only."
    )
    factors = {"optimizer": ["adam", "adamod"], "lr": [0.001, 0.01, 0.03]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["test/loss", "test/accuracy", "train/loss"]
    expect = [Expect("test/loss", {"optimizer": "adamod"}, {"optimizer": "adam"}, "less", 0.02)]
    figures = [("curve", "test/loss")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("mnist1d", n_train=self.by_profile(profile, 200, 1000, None)),
            model=spec.MLP(
                depth=3,
                width=self.by_profile(profile, 32, 128, 256),
                activation="relu",
                init=spec.Init("he_normal"),
            ),
            optimizer=spec.Optimizer(
                point["optimizer"], lr=point["lr"], beta1=0.9, beta2=0.999, beta3=0.999, eps=1e-8
            ),
            training=spec.Training(epochs=self.by_profile(profile, 1, 10, 50), batch_size=32),
        )
