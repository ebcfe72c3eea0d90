"""The note: highway networks' performance isn't up to the mark compared with ResNets."""

from claims import Claim, Expect, spec


class HighwayVsResidual(Claim):
    name = "highway-vs-residual"
    version = 1
    title = "At equal depth, residual MLPs train and generalise better than highway MLPs"
    section = "G. Architectures and transfer"
    source = (
        "Although ResNets is actually a special case of Highway networks, the performance isn’t up to the mark "
        "comparing to ResNets."
    )
    literature = (
        "Srivastava, Greff & Schmidhuber 2015, 'Training very deep networks' (NeurIPS): highway layers "
        "y = H(x) T(x) + x (1 - T(x)), T = sigmoid(W_T x + b_T), b_T initialised negative (-1 to -3) so the "
        "net starts close to carrying its input; thin fully connected nets (50 units) on MNIST. He et al. 2016 "
        "for the residual nets. Here: width 50, depth 10 and 30, every arm with batch norm before the ReLU "
        "in its transform (only the skip differs), He init, b_T = -2, SGD momentum 0.9, lr 0.1, weight decay "
        "1e-4, batch 128, 15 epochs on MNIST-1D (generated locally)."
    )
    literature_effect = (
        "Srivastava et al. 2015 report highway nets of 10-100 layers optimising about equally well on MNIST "
        "where plain nets degrade. He et al. 2016a (CIFAR-10 table) and 2016b ('Identity mappings in deep "
        "residual networks', gated shortcuts) report residual nets ahead of gated ones; their error rates were "
        "not looked up (number not verified)."
    )
    operationalisation = (
        "'Performance' is read twice: the full training-set loss after the budget (optimisation) and the test "
        "accuracy (generalisation). The claim holds if, at each depth, the residual net's training loss is "
        "lower than the highway net's by at least 0.05 nats, and its test accuracy higher by at least 1 point. "
        "Plain nets of the same depth are run beside them."
    )
    factors = {"skip": ["residual", "highway", "plain"], "depth": [10, 30]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = ["train/loss", "test/accuracy"]
    expect = [
        Expect("train/loss", {"skip": "residual"}, {"skip": "highway"}, "less", min_effect=0.05),
        Expect("test/accuracy", {"skip": "residual"}, {"skip": "highway"}, "greater", min_effect=0.01),
    ]
    figures = [("curve", "train/loss"), ("curve", "test/accuracy")]

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("mnist1d", n_train=self.by_profile(profile, 200, 2000, None)),
            model=spec.MLP(
                depth=self.by_profile(profile, 4, point["depth"], point["depth"]),
                width=self.by_profile(profile, 16, 50, 50),
                activation="relu",
                init=spec.Init("he_normal"),
                norm="batch",
                residual=point["skip"] == "residual",
                highway=point["skip"] == "highway",
                highway_gate_bias=-2.0,
            ),
            optimizer=spec.Optimizer("momentum", lr=0.1, momentum=0.9),
            training=spec.Training(epochs=self.by_profile(profile, 1, 15, 60), batch_size=128, l2=1e-4),
        )
