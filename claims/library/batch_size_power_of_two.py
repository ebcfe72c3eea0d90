"""The note: a batch size that is a power of 2 might be faster."""

from claims import Claim, Expect, spec

BATCHES = (96, 100, 127, 128, 129, 255, 256, 257)
PAIRS = ((128, 127), (128, 129), (256, 255), (256, 257))
MARGIN = 0.0212  # log10(1.05): a 5% throughput advantage


class BatchSizePowerOfTwo(Claim):
    name = "batch-size-power-of-two"
    version = 1
    title = "Training throughput is higher at a power-of-two batch size than at its neighbours"
    section = "D. Gradient descent, batch size, optimisers, schedules"
    source = (
        "power of 2: have some advantages with regards to vectorized operations in certain packages, so if it's "
        "close it might be faster to keep your batch_size in a power of 2."
    )
    literature = (
        "NVIDIA's Deep Learning Performance guide (matrix multiplication background: tile and wave quantisation "
        "on GPUs) motivates multiples of 8/64 on GPUs; here CPU, one thread, 2-layer ReLU MLPs of width 256 and "
        "1024 on MNIST-1D inputs (40 features), SGD."
    )
    literature_effect = "Not verified for CPUs; GPU quantisation effects depend on the matrix sizes."
    operationalisation = (
        "Samples per second of a full training update (forward, backward, SGD step) at batch sizes 96, 100, 127, "
        "128, 129, 255, 256, 257, measured in one process, one thread, after a warm-up, interleaved in rotated "
        "order, 9 repeats of 10 updates; the effect is the median per-repeat log10 ratio of throughputs "
        "(power of two / neighbour). Held if 128 beats 127 and 129, and 256 beats 255 and 257, by at least 5% "
        "(log10 ratio >= 0.0212). The machine is shared: each seed is an independent repeat of the whole study."
    )
    factors = {"width": [256, 1024]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [f"throughput/log10_bs{a}_vs_bs{b}" for a, b in PAIRS] + [f"throughput/bs{b}" for b in BATCHES]
    expect = [
        Expect(f"throughput/log10_bs{a}_vs_bs{b}", {}, None, "greater", MARGIN, label=f"{a} vs {b}")
        for a, b in PAIRS
    ]
    figures = []

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("mnist1d"),
            model=spec.MLP(depth=2, width=point["width"], activation="relu", init=spec.Init("he_normal")),
            optimizer=spec.Optimizer("sgd", lr=0.01),
            experiment="throughput",
            params=(
                ("batches", BATCHES),
                ("calls", self.by_profile(profile, 2, 10, 20)),
                ("pairs", PAIRS),
                ("repeats", self.by_profile(profile, 2, 9, 21)),
                ("warmup", self.by_profile(profile, 1, 3, 5)),
            ),
        )
