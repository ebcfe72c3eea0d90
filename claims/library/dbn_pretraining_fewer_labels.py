"""The note: a DBN (stacked RBMs) 'needs smaller labelled data set'; fine-tuning 'improves performance'."""

from claims import Claim, Expect, spec


class DbnPretrainingFewerLabels(Claim):
    name = "dbn-pretraining-fewer-labels"
    version = 1
    title = "Greedy RBM (DBN) pretraining helps most when labels are few"
    section = "G. Architectures and transfer"
    source = (
        "DBN - deep belief networks, similar structure to multi layer perceptron. fully connected, input, "
        "hidden(s), output layers. Can be thought of as stacks of RBM. training using GPU optimization, accurate "
        "and needs smaller labelled data set to complete the training."
    )
    literature = (
        "Hinton, Osindero & Teh 2006, 'A fast learning algorithm for deep belief nets' (Neural Computation 18); "
        "Hinton 2002 (contrastive divergence); Hinton 2010, 'A practical guide to training RBMs' (CD-1, "
        "weights N(0, 0.01), lr 0.05). Scaled down: digits in [0, 1], 64-128-128 logistic units + softmax, "
        "each RBM 10 epochs of CD-1 on the whole (unlabelled) training pool, then backprop fine-tuning with "
        "SGD + momentum 0.9 for 300 updates on the labelled subset."
    )
    literature_effect = (
        "Hinton et al. 2006 report 1.25% test error on MNIST for a fine-tuned 784-500-500-2000 DBN (figure "
        "not verified here); no labelled-set-size comparison with a number was found."
    )
    operationalisation = (
        "Each trial trains the same MLP twice from the same seed and data order: from the stacked RBMs' weights "
        "(pretrained) and from its random Glorot init, same optimiser and update budget; the gain is the "
        "difference in test accuracy. 'Needs a smaller labelled set' = the gain is positive (at least 1 point) "
        "with few labels, and larger with 100 labels than with all ~1440 (by at least 1 point)."
    )
    factors = {"labels": [100, 500, "all"]}
    seeds = {"smoke": 1, "quick": 5, "full": 20}
    metrics = [
        "test/accuracy_gain",
        "pretrained/test/accuracy",
        "random/test/accuracy",
        "train/accuracy_gain",
    ]
    expect = [
        Expect("test/accuracy_gain", {}, None, "greater", min_effect=0.01, label="pretraining helps"),
        Expect(
            "test/accuracy_gain",
            {"labels": 100},
            {"labels": "all"},
            "greater",
            min_effect=0.01,
            label="gain larger with 100 labels than with all",
        ),
    ]
    figures = [("curve", "pretrained/test/accuracy"), ("curve", "random/test/accuracy")]

    def spec(self, point, profile):
        labels = None if point["labels"] == "all" else point["labels"]
        return spec.TrialSpec(
            data=spec.Data("digits", n_train=labels, unit_range=True),
            model=spec.MLP(depth=2, width=128, activation="sigmoid", init=spec.Init("glorot_uniform")),
            optimizer=spec.Optimizer("momentum", lr=0.05, momentum=0.9),
            training=spec.Training(
                epochs=1000, batch_size=32, max_steps=self.by_profile(profile, 20, 300, 2000), eval_every=50
            ),
            experiment="dbn",
            params=(
                ("cd_k", 1),
                ("pretrain_epochs", self.by_profile(profile, 1, 10, 50)),
                ("rbm_init_std", 0.01),
                ("rbm_lr", 0.05),
            ),
        )
