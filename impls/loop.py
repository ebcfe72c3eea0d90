"""The training loop, written once for both frameworks.

Each framework supplies an `Engine` (its model, optimiser and compiled step); this loop owns the
order of batches, the evaluation cadence, the probes and divergence, so those cannot drift apart
between PyTorch and TensorFlow.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Protocol

import numpy as np

from impls import data, metrics
from impls.spec import TrialSpec


class Engine(Protocol):
    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One update on a batch; returns the batch's training loss (train mode, before the update)."""

    def outputs(self, x: np.ndarray) -> np.ndarray:
        """Eval-mode outputs (n, k) as numpy."""

    def grad_norms(self, x: np.ndarray, y: np.ndarray) -> list[float]:
        """Per-layer ||dL/dW|| of the kernels (hidden0.., head last) without updating."""

    def activations(self, x: np.ndarray) -> list[np.ndarray]:
        """Eval-mode post-activation outputs of each hidden layer."""

    def export(self) -> dict[str, np.ndarray]:
        """Current weights in the canonical layout of `impls.init`."""

    def set_lr(self, lr: float) -> None:
        """Set the learning rate of the next updates (schedules; called only when one is set)."""

    def plateau(self, value: float) -> float:
        """Feed one epoch's monitored value to the framework's own ReduceLROnPlateau; returns the
        lr now in force (called only when `training.plateau` is set)."""


def scheduled_lr(spec: TrialSpec, epoch: int, update: int, total: int) -> float:
    """The lr of update number `update` (0-based) in epoch `epoch` (0-based); see spec.Training."""
    t, lr = spec.training, spec.optimizer.lr
    if t.schedule == "step":
        return lr * t.step_gamma ** (epoch // t.step_every)
    if t.schedule == "cosine":
        return t.min_lr + (lr - t.min_lr) * (1.0 + math.cos(math.pi * update / max(total, 1))) / 2.0
    return lr


def tuning_seed(seed: int) -> int:
    """The seed of the tuning runs: derived from the evaluation seed, never equal to it."""
    return (seed * 0x9E3779B1 + 0x7F4A7C15) % (2**62) or 1


def tune_then_train(spec: TrialSpec, seed: int, run: Any) -> dict[str, Any]:
    """`spec.training.tuning`: `run(spec, seed)` once per lr with the tuning seed, pick the lowest
    validation metric, then `run` the evaluation seed with it (see spec.Tuning)."""
    tn = spec.training.tuning
    if tn is None:
        out: dict[str, Any] = run(spec, seed)
        return out
    start = time.perf_counter()
    plain = dataclasses.replace(spec.training, tuning=None)
    scores = []
    for lr in tn.lrs:
        r = run(
            dataclasses.replace(spec, optimizer=dataclasses.replace(spec.optimizer, lr=lr), training=plain),
            tuning_seed(seed),
        )
        v = r["metrics"].get(tn.metric, math.inf)
        scores.append(math.inf if r["diverged"] or not math.isfinite(v) else v)
    best = tn.lrs[int(np.argmin(scores))]
    tune_s = time.perf_counter() - start
    out = run(
        dataclasses.replace(spec, optimizer=dataclasses.replace(spec.optimizer, lr=best), training=plain),
        seed,
    )
    out["metrics"]["tune/lr"] = float(best)
    out["metrics"]["tune/log10_lr"] = float(math.log10(best))
    out["timings"]["tune_s"] = tune_s
    return out


def evaluate(engine: Engine, split: data.Split, head: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part, x, y in (
        ("train", split.x_train, split.y_train),
        ("val", split.x_val, split.y_val),
        ("test", split.x_test, split.y_test),
    ):
        if len(y):
            out.update({f"{part}/{k}": v for k, v in metrics.score(engine.outputs(x), y, head).items()})
    return out


def train(
    spec: TrialSpec, seed: int, split: data.Split, engine: Engine, w0: dict[str, np.ndarray]
) -> dict[str, Any]:
    t, probes, head = spec.training, spec.probes, spec.model.head
    order = data.batches(len(split.x_train), t.batch_size, t.epochs, seed, t.drop_last)
    probe_idx = np.random.default_rng([seed & 0xFFFFFFFFFFFF, 11]).permutation(len(split.x_train))[
        : probes.probe_batch
    ]
    px, py = split.x_train[probe_idx], split.y_train[probe_idx]
    found: dict[str, float] = {}
    curves: dict[str, list[list[float]]] = {}

    def probe(step: int, label: int | str | None = None) -> None:
        at = step if label is None else label
        if step in probes.grad_norms_at:
            found.update(metrics.layer_summaries("probe/grad_norm", engine.grad_norms(px, py), at))
        if step in probes.activation_stats_at:
            found.update(metrics.activation_summaries(engine.activations(px), at))

    n_per_epoch = max(len(e) for e in order) if order else 1
    total = (
        sum(len(e) for e in order) if t.max_steps is None else min(t.max_steps, sum(len(e) for e in order))
    )
    step_s = 0.0  # time spent inside engine.step (excludes evaluation and probes)

    def record(step: int, batch_losses: list[float]) -> dict[str, float]:
        if batch_losses:
            curves.setdefault("train/batch_loss", []).append([step, float(np.mean(batch_losses))])
        scores = evaluate(engine, split, head)
        for k, v in scores.items():
            curves.setdefault(k, []).append([step, v])
        if t.target is not None and "target/steps" not in found:
            value = scores.get(t.target[0], math.inf)
            if value <= t.target[1]:
                found.update(
                    {"target/steps": float(step), "target/epochs": step / n_per_epoch, "target/reached": 1.0}
                )
                found["target/step_s"] = step_s
        return scores

    start = time.perf_counter()
    step, diverged = 0, False
    since_eval: list[float] = []
    epoch_losses: list[float] = []
    probe(0)
    lr_now = spec.optimizer.lr
    for e, epoch in enumerate(order):
        epoch_losses = []
        for idx in epoch:
            if t.max_steps is not None and step >= t.max_steps:
                break
            if t.schedule != "constant":
                lr_now = scheduled_lr(spec, e, step, total)
                engine.set_lr(lr_now)
            t_step = time.perf_counter()
            loss = engine.step(split.x_train[idx], split.y_train[idx])
            step_s += time.perf_counter() - t_step
            step += 1
            since_eval.append(loss)
            epoch_losses.append(loss)
            if not math.isfinite(loss) or abs(loss) > t.diverge_above:
                diverged = True
                break
            probe(step)
            if t.eval_every and step % t.eval_every == 0:
                record(step, since_eval)
                since_eval = []
        if diverged or (t.max_steps is not None and step >= t.max_steps):
            break
        if not t.eval_every:
            scores = record(step, since_eval)
            since_eval = []
            if e + 1 in t.report_epochs:
                found.update({f"{k}@epoch{e + 1}": v for k, v in scores.items()})
            if t.plateau is not None:
                lr_now = engine.plateau(scores.get(t.plateau.monitor, math.nan))
            if t.plateau is not None or t.schedule != "constant":
                curves.setdefault("train/lr", []).append([step, lr_now])
    train_s = time.perf_counter() - start
    if not diverged and (since_eval or not curves):
        record(step, since_eval)
    if not diverged:
        probe(-1, "end")  # probes asked for at step -1 are taken after the last update
    final = {} if diverged else evaluate(engine, split, head)
    if not diverged and probes.weight_change:
        final.update(metrics.weight_change(w0, engine.export()))
    final.update(found)
    final["train/steps"] = float(step)
    if t.target is not None and "target/steps" not in found:  # censored: never reached
        final.update(
            {"target/steps": float(step), "target/epochs": step / n_per_epoch, "target/reached": 0.0}
        )
        final["target/step_s"] = step_s
    if epoch_losses:
        final["train/epoch_loss"] = float(np.mean(epoch_losses))
    return {
        "metrics": final,
        "curves": curves,
        "diverged": diverged,
        "timings": {"train_s": train_s, "step_s": step_s},
    }
