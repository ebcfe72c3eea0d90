"""The note: replacing the softmax layer with a linear SVM gives a 1-3% decrease in error."""

from claims import Claim, Expect, spec


class SvmHeadVsSoftmax(Claim):
    name = "svm-head-vs-softmax"
    version = 1
    title = "A linear SVM head (hinge loss) beats softmax + cross-entropy"
    section = "F. Heads and losses"
    source = (
        "Deep Learning using Linear Support Vector Machines - 1-3% decrease in error by replacing the "
        "softmax layer with a linear support vector machine"
    )
    literature = (
        "Tang 2013, 'Deep Learning using Linear Support Vector Machines' (arXiv:1306.0239): same body, "
        "softmax vs one-vs-rest L2-SVM (squared hinge) top layer; MNIST with a 2x512 fully connected net and "
        "SGD with momentum. Scaled down here to 2x256 ReLU on MNIST-1D (generated locally)."
    )
    literature_effect = (
        "Tang 2013: MNIST test error 0.87% with the L2-SVM head (vs the softmax baseline of the same net in "
        "its Table 2); FER2013 private-test accuracy 71.2% with the L2-SVM head (results listings of arXiv:1306.0239)."
    )
    operationalisation = (
        "Error is the test-set classification error (argmax of the head's outputs) after the same training "
        "budget. The heads differ only in the loss: cross-entropy on softmax vs the one-vs-rest hinge (L1-SVM) "
        "or squared hinge (L2-SVM, Tang's choice) summed over classes, with the same L2 weight penalty. "
        "'1-3% decrease in error' is read as 1-3 percentage points: the claim holds if the SVM head's test error "
        "is lower by at least 1 point. Each head needs its own step size, so the learning rate is a factor and "
        "the comparison is made at each learning rate (a verdict that depends on it is 'mixed')."
    )
    factors = {"head": ["softmax", "squared_hinge", "hinge"], "lr": [0.01, 0.05]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["test/error", "test/loss", "train/loss"]
    expect = [
        Expect(
            "test/error",
            {"head": "squared_hinge"},
            {"head": "softmax"},
            "less",
            min_effect=0.01,
            label="L2-SVM head vs softmax: test error",
        ),
        Expect(
            "test/error",
            {"head": "hinge"},
            {"head": "softmax"},
            "less",
            min_effect=0.01,
            label="L1-SVM head vs softmax: test error",
        ),
    ]
    figures = [("curve", "test/error")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("mnist1d", n_train=self.by_profile(profile, 300, None, None)),
            model=spec.MLP(
                depth=2,
                width=self.by_profile(profile, 64, 256, 512),
                activation="relu",
                init=spec.Init("he_normal"),
                head=point["head"],
            ),
            optimizer=spec.Optimizer("momentum", lr=point["lr"], momentum=0.9),
            training=spec.Training(epochs=self.by_profile(profile, 1, 15, 60), batch_size=64, l2=1e-4),
        )
