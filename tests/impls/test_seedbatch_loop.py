"""Framework-free seed batching: eligibility, split stacking, and the batched loop's per-seed
bookkeeping (divergence of some seeds, eval cadence, max_steps) against `loop.train` itself,
with scripted engines so the comparison is exact."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from impls import data, loop, seedbatch
from impls.spec import (
    CNN,
    MLP,
    RNN,
    Autoencoder,
    Data,
    EarlyStopping,
    Optimizer,
    Probes,
    Training,
    TrialSpec,
    Tuning,
)

BASE = TrialSpec(data=Data("digits", n_train=100), model=MLP(depth=1, width=8), training=Training(epochs=3))


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"model": CNN()}, "family 'cnn'"),
        ({"experiment": "timing"}, "experiment"),
        ({"training": Training(early_stopping=EarlyStopping())}, "early stopping"),
        ({"training": Training(max_norm=3.0)}, "max_norm"),
        ({"model": RNN(), "optimizer": Optimizer(backstitch=0.3)}, "backstitch"),  # MLP stacks only
        ({"optimizer": Optimizer(defaults="framework")}, "framework-default"),
    ],
)
def test_ineligible_specs_say_why(change: dict[str, object], says: str) -> None:
    why = seedbatch.reason_not_batchable(dataclasses.replace(BASE, **change))  # type: ignore[arg-type]
    assert why is not None and says in why


def test_plain_mlp_specs_are_eligible() -> None:
    assert seedbatch.reason_not_batchable(BASE) is None
    wide = dataclasses.replace(
        BASE,
        optimizer=Optimizer("adam", lr=1e-3),
        training=Training(
            schedule="cosine",
            l2=1e-4,
            eval_every=3,
            max_steps=7,
            report_epochs=(1,),
            tuning=Tuning(lrs=(0.1, 0.01)),
        ),
        data=Data("digits", n_train=100, val_fraction=0.2),
        probes=Probes(weight_change=True, weight_norms=True, curve_stats=True),
    )
    assert seedbatch.reason_not_batchable(wide) is None
    assert (
        seedbatch.reason_not_batchable(dataclasses.replace(BASE, optimizer=Optimizer(backstitch=0.3))) is None
    )
    for model in (
        MLP(norm="batch"),
        MLP(norm="batch", norm_position="after"),
        MLP(norm="layer"),
        MLP(depth=3, residual=True),
        MLP(depth=3, highway=True, norm="batch"),
        MLP(dropout=0.5, input_dropout=0.2),  # each seed's masks replayed from its own stream
        MLP(activation="selu", dropout=0.1, dropout_kind="alpha"),
        RNN(cell="gru", layers=2, norm="batch", input_dropout=0.2, recurrent_dropout=0.2, output_dropout=0.3),
    ):
        assert seedbatch.reason_not_batchable(dataclasses.replace(BASE, model=model)) is None


def test_state_grads_stack_for_mlps_and_rnns() -> None:
    for model in (MLP(depth=3), RNN(cell="lstm", norm="batch")):
        spec = dataclasses.replace(BASE, model=model, experiment="state_grads", probes=Probes(probe_batch=50))
        assert seedbatch.reason_not_batchable(spec) is None
    tuned = dataclasses.replace(BASE, experiment="state_grads", training=Training(tuning=Tuning(lrs=(0.1,))))
    why = seedbatch.reason_not_batchable(tuned)  # its sequential run ignores tuning; so must a stack
    assert why is not None and "without lr tuning" in why


def test_a_contrast_stacks_when_both_arms_do() -> None:
    contrast = dataclasses.replace(
        BASE, experiment="contrast", params=(("field", "model.dropout"), ("values", (0.0, 0.5)))
    )
    assert seedbatch.reason_not_batchable(contrast) is None
    capped = dataclasses.replace(contrast, params=(("field", "training.max_norm"), ("values", (0.0, 3.0))))
    why = seedbatch.reason_not_batchable(capped)  # the treatment arm has a max-norm constraint
    assert why is not None and "max_norm" in why


AE = TrialSpec(
    data=Data("digits", n_train=100, unit_range=True, target="input"),
    model=Autoencoder(widths=(16,), code=4),
    optimizer=Optimizer("adam", lr=1e-3),
    experiment="autoencode",
)


def test_dense_autoencoders_stack_in_the_autoencode_experiment() -> None:
    for model in (
        Autoencoder(widths=(), code=2, activation="linear"),
        Autoencoder(widths=(16,), code=4, tied=True),
        Autoencoder(widths=(16,), code=4, variational=True),  # each seed's eps from its own stream
        Autoencoder(widths=(), code=4, mask_noise=0.25),  # and its masks
    ):
        assert seedbatch.reason_not_batchable(dataclasses.replace(AE, model=model)) is None
    assert seedbatch.reason_not_batchable(dataclasses.replace(AE, params=(("probe", True),))) is None


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"model": Autoencoder(widths=(), conv_channels=(4,))}, "convolutional"),
        ({"model": RNN(), "experiment": "train", "probes": Probes(act_grad_var_at=(0,))}, "rnn probes"),
        ({"params": (("match_pca_k", 2),)}, "matched-error stop"),
        ({"probes": Probes(grad_norms_at=(0,))}, "autoencoder probes"),
        ({"training": Training(tuning=Tuning(lrs=(0.1,)))}, "without lr tuning"),  # as its sequential run
        ({"model": MLP()}, "family 'mlp'"),  # an MLP has no autoencode stack
        ({"experiment": "train"}, "family 'autoencoder'"),  # nor an autoencoder a train stack
    ],
)
def test_autoencoders_that_do_not_stack_say_why(change: dict[str, object], says: str) -> None:
    why = seedbatch.reason_not_batchable(dataclasses.replace(AE, **change))  # type: ignore[arg-type]
    assert why is not None and says in why


def test_splits_of_different_shapes_do_not_stack() -> None:
    a = data.load(Data("digits", n_train=100), 1)
    b = data.load(Data("digits", n_train=90), 2)
    seedbatch.check_splits([a, data.load(Data("digits", n_train=100), 2)])
    with pytest.raises(seedbatch.NotBatchable, match="train splits differ"):
        seedbatch.check_splits([a, b])


def _loss(seed_pos: int, step: int) -> float:
    """Scripted batch losses: seed 1 turns NaN at update 5, seed 2 explodes at update 9."""
    if seed_pos == 1 and step == 5:
        return math.nan
    if seed_pos == 2 and step == 9:
        return 1e9
    return 1.0 / (step + seed_pos + 1)


class Scripted:
    """A sequential `loop.Engine`: scripted losses, outputs that move with every update."""

    def __init__(self, pos: int, k: int) -> None:
        self.pos, self.k, self.n, self.lr = pos, k, 0, 1.0

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        self.n += 1
        return _loss(self.pos, self.n)

    def outputs(self, x: np.ndarray) -> np.ndarray:  # (n, k), depends on the data and the update count
        return np.outer(x.mean(axis=1) - 0.3, np.arange(self.k)) * self.lr / (self.n + self.pos + 1)

    def export(self) -> dict[str, np.ndarray]:
        return {"w": np.full(3, float(self.n + self.pos))}

    def set_lr(self, lr: float) -> None:
        self.lr = lr

    def grad_norms(self, x: np.ndarray, y: np.ndarray) -> list[float]:  # scripted probes
        return [float(x[0, 1] + self.n), float(y[0] + self.pos + 1)]

    def act_grad_vars(self, x: np.ndarray, y: np.ndarray) -> list[float]:
        return [float(self.n + 1), float(x.shape[0] + self.pos + 1)]

    def activations(self, x: np.ndarray) -> list[np.ndarray]:
        return [x[:, :3] * self.n]


class ScriptedStack:
    """The same scripts as one stack; losses of diverged seeds keep coming (as NaN would)."""

    def __init__(self, n_seeds: int, k: int) -> None:
        self.engines = [Scripted(i, k) for i in range(n_seeds)]

    def step(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        assert x.shape[0] == len(self.engines)
        return np.array([e.step(xi, yi) for e, xi, yi in zip(self.engines, x, y, strict=True)])

    def outputs(self, x: np.ndarray) -> np.ndarray:
        return np.stack([e.outputs(xi) for e, xi in zip(self.engines, x, strict=True)])

    def outputs_one(self, s: int, x: np.ndarray) -> np.ndarray:
        return self.engines[s].outputs(x)

    def export(self, s: int) -> dict[str, np.ndarray]:
        return self.engines[s].export()

    def set_lr(self, lr: float) -> None:
        for e in self.engines:
            e.set_lr(lr)

    def grad_norms(self, x: np.ndarray, y: np.ndarray) -> list[list[float]]:
        return [e.grad_norms(xi, yi) for e, xi, yi in zip(self.engines, x, y, strict=True)]

    def act_grad_vars(self, x: np.ndarray, y: np.ndarray) -> list[list[float]]:
        return [e.act_grad_vars(xi, yi) for e, xi, yi in zip(self.engines, x, y, strict=True)]

    def activations(self, x: np.ndarray) -> list[list[np.ndarray]]:
        return [e.activations(xi) for e, xi in zip(self.engines, x, strict=True)]


AT = (0, 4, 7, -1)  # seed 1 diverges at update 5 (no probe at 7 or the end), seed 2 at 9


@pytest.mark.parametrize(
    "probes", [Probes(), Probes(grad_norms_at=AT, activation_stats_at=AT, act_grad_var_at=AT, probe_batch=20)]
)
@pytest.mark.parametrize(
    "training",
    [
        Training(epochs=4, batch_size=25, report_epochs=(1, 2)),
        Training(epochs=4, batch_size=30, eval_every=3),
        Training(epochs=4, batch_size=25, max_steps=8, schedule="step"),
        Training(epochs=3, batch_size=25, max_steps=4),
        # targets: reached at steps 2, 4, 6; reached by seed 0 only (1 and 2 diverge first); by none
        Training(epochs=4, batch_size=30, eval_every=2, target=("train/loss", 2.32), target_loss=2.3),
        Training(epochs=4, batch_size=25, target=("train/loss", 2.3), target_loss=2.31),
        Training(epochs=4, batch_size=25, max_steps=8, target=("train/loss", 2.2), target_loss=2.2),
    ],
)
def test_batched_bookkeeping_equals_the_sequential_loop(training: Training, probes: Probes) -> None:
    probes = dataclasses.replace(probes, weight_change=True, curve_stats=True)
    spec = dataclasses.replace(BASE, training=training, probes=probes)
    seeds = [5, 6, 7]
    splits = [data.load(spec.data, s, "float64") for s in seeds]
    k = splits[0].n_outputs
    w0 = {"w": np.ones(3)}
    got = seedbatch.train(spec, seeds, splits, ScriptedStack(3, k), [w0] * 3)  # type: ignore[arg-type]
    for pos, (seed, split, batched) in enumerate(zip(seeds, splits, got, strict=True)):
        want = loop.train(spec, seed, split, Scripted(pos, k), w0)  # type: ignore[arg-type]
        assert batched["diverged"] == want["diverged"]
        assert batched["curves"] == want["curves"]
        # target/step_s is a timing: the seed's share of the stack's step time, not its own
        assert (batched["metrics"].pop("target/step_s", None) is None) == (
            want["metrics"].pop("target/step_s", None) is None
        )
        np.testing.assert_equal(batched["metrics"], want["metrics"])  # NaN-aware
    if training.target is not None:  # reached at the seed's step, or censored at its last step
        found = [(r["metrics"]["target/reached"], r["metrics"]["target/steps"]) for r in got]
        assert (
            found
            == {2.32: [(1, 2), (1, 4), (1, 6)], 2.3: [(1, 4), (0, 5), (0, 9)], 2.2: [(0, 8), (0, 5), (0, 8)]}[
                training.target[1]
            ]
        )
        to_target = [r["metrics"].get("train/steps_to_target") for r in got]  # none for diverged seeds
        assert (
            to_target == {2.32: [4, None, None], 2.3: [4, None, None], 2.2: [9, None, 9]}[training.target[1]]
        )
    if probes.grad_norms_at and training.max_steps is None:  # no probe after a seed's divergence
        assert [[f"probe/grad_norm/layer0@{at}" in r["metrics"] for at in (4, 7, "end")] for r in got] == [
            [True, True, True],
            [True, False, False],
            [True, True, False],
        ]
    if training.max_steps is None:  # seed 1 diverged at update 5, seed 2 at 9, seed 0 ran to the end
        assert [r["diverged"] for r in got] == [False, True, True]
        assert [r["metrics"]["train/steps"] for r in got][1:] == [5.0, 9.0]
