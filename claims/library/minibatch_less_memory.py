"""The note: mini-batches require less memory."""

from claims import Claim, Expect, spec

STEP = "memory/step_mb"


class MinibatchLessMemory(Claim):
    name = "minibatch-less-memory"
    # v2: peak read from VmHWM; v1 read ru_maxrss, which Linux carries over exec from the parent
    # runner, so every arm reported the runner's peak (1129.6 MB, effect exactly 0).
    # v3: each arm's process is forked from a zygote that has imported the framework (impls.zygote)
    # instead of exec'd and importing it (2-6 s per arm); the step's growth is read the same way.
    version = 3
    title = "The peak memory of a training step grows with the batch size"
    section = "D. Gradient descent, batch size, optimisers, schedules"
    source = (
        "It requires less memory. Since you train network using less number of samples the overall training "
        "procedure requires less memory."
    )
    literature = (
        "Activation memory of back-propagation is linear in the batch size (e.g. Chen et al. 2016, 'Training deep "
        "nets with sublinear memory cost'); 2x1024 ReLU MLP on MNIST-1D inputs, SGD, float32."
    )
    literature_effect = "None needed: for this MLP the stored activations are ~batch x 1024 x 4 bytes per layer (16 MB at 4096)."
    operationalisation = (
        "Per arm, a fresh process (forked from a Python that has imported only the framework) builds the net, "
        "takes one update at batch size 1 (weights, optimiser state resident), reads its peak RSS, takes one update at the arm's batch size and reads the "
        "peak again: the growth is the step's extra peak memory (RSS, as neither framework exposes an allocator "
        "peak on CPU). Held if the growth at 4096 exceeds that at 32 by >= 10 MB and at 512 by >= 1 MB."
    )
    factors = {"batch_size": [32, 512, 4096]}
    seeds = {"smoke": 1, "quick": 5, "full": 10}
    metrics = [STEP, "memory/peak_mb", "memory/base_mb"]
    expect = [
        Expect(STEP, {"batch_size": 4096}, {"batch_size": 32}, "greater", 10.0),
        Expect(STEP, {"batch_size": 512}, {"batch_size": 32}, "greater", 1.0),
    ]
    figures = []

    def spec(self, point, profile):
        return spec.TrialSpec(
            data=spec.Data("mnist1d"),
            model=spec.MLP(depth=2, width=1024, activation="relu", init=spec.Init("he_normal")),
            optimizer=spec.Optimizer("sgd", lr=0.01),
            training=spec.Training(batch_size=point["batch_size"]),
            experiment="peak_memory",
            # smoke checks the plumbing in-process (<= 5 s); quick/full fork a fresh process per arm
            # from a zygote (one 2-6 s framework import per worker, then ~1 s per arm).
            params=(("fresh_process", profile != "smoke"),),
        )
