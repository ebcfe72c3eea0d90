"""The training loop, written once for both frameworks.

Each framework supplies an `Engine` (its model, optimiser and compiled step); this loop owns the
order of batches, the evaluation cadence, the probes and divergence, so those cannot drift apart
between PyTorch and TensorFlow.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from impls import data, metrics
from impls.spec import EarlyStopping, TrialSpec


class Engine(Protocol):
    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One update on a batch; returns the batch's training loss (train mode, before the update)."""

    def outputs(self, x: np.ndarray) -> np.ndarray:
        """Eval-mode outputs (n, k) as numpy."""

    def grad_norms(self, x: np.ndarray, y: np.ndarray) -> list[float]:
        """Per-layer ||dL/dW|| of the kernels (hidden0.., head last) without updating."""

    def act_grad_vars(self, x: np.ndarray, y: np.ndarray) -> list[float]:
        """Per hidden layer, Var(dL/dh) over (batch, units) of its post-activation output h (train mode)."""

    def activations(self, x: np.ndarray) -> list[np.ndarray]:
        """Eval-mode post-activation outputs of each hidden layer."""

    def export(self) -> dict[str, np.ndarray]:
        """Current weights in the canonical layout of `impls.init`."""

    def restore(self, weights: dict[str, np.ndarray]) -> None:
        """Load canonical weights (early stopping puts the best epoch's weights back)."""

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
    scores = [tuning_score(run(at_lr(spec, lr), tuning_seed(seed)), tn.metric) for lr in tn.lrs]
    best = tn.lrs[int(np.argmin(scores))]
    tune_s = time.perf_counter() - start
    return mark_tuned(run(at_lr(spec, best), seed), best, tune_s)


def at_lr(spec: TrialSpec, lr: float) -> TrialSpec:
    """`spec` trained at `lr`, without tuning: one run of a tuning sweep (or its final run)."""
    plain = dataclasses.replace(spec.training, tuning=None)
    return dataclasses.replace(spec, optimizer=dataclasses.replace(spec.optimizer, lr=lr), training=plain)


def tuning_score(result: dict[str, Any], metric: str) -> float:
    """A tuning run's validation `metric`; inf when it diverged or is not finite (never picked)."""
    v = result["metrics"].get(metric, math.inf)
    return math.inf if result["diverged"] or not math.isfinite(v) else float(v)


def mark_tuned(result: dict[str, Any], lr: float, tune_s: float) -> dict[str, Any]:
    """The chosen lr and the tuning's seconds on the evaluation run's result."""
    result["metrics"]["tune/lr"] = float(lr)
    result["metrics"]["tune/log10_lr"] = float(math.log10(lr))
    result["timings"]["tune_s"] = tune_s
    return result


def parts(split: data.Split) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The split's non-empty parts, in evaluation order: (name, x, y)."""
    out = [
        ("train", split.x_train, split.y_train),
        ("val", split.x_val, split.y_val),
        ("test", split.x_test, split.y_test),
    ]
    return [(part, x, y) for part, x, y in out if len(y)]


def score_outputs(outputs: dict[str, np.ndarray], split: data.Split, head: str) -> dict[str, float]:
    """Metrics from each part's eval-mode outputs (`parts` names them); the seed-batched loop
    (impls/seedbatch.py) computes the outputs of all seeds at once and scores each seed here."""
    out: dict[str, float] = {}
    for part, _, y in parts(split):
        out.update({f"{part}/{k}": v for k, v in metrics.score(outputs[part], y, head).items()})
    return out


def evaluate(engine: Engine, split: data.Split, head: str) -> dict[str, float]:
    return score_outputs({part: engine.outputs(x) for part, x, _ in parts(split)}, split, head)


class EarlyStopper:
    """Keras 3 `EarlyStopping` (see `impls.spec.EarlyStopping`), written once for both frameworks:
    torch has no built-in, and Keras' own callback needs `model.fit`, which the shared loop does
    not use. Fed the monitored value at the end of every epoch (0-based, like Keras)."""

    def __init__(self, es: EarlyStopping, engine: Engine) -> None:
        self.es, self.engine = es, engine
        self.best: float | None = None
        self.best_weights: dict[str, np.ndarray] | None = None
        self.wait = self.best_epoch = self.stopped_epoch = 0

    def _improved(self, current: float) -> bool:  # Keras: monitor_op(current - min_delta, best)
        if self.best is None:
            return True
        d = abs(self.es.min_delta)
        return current + d < self.best if self.es.mode == "min" else current - d > self.best

    def epoch_end(self, epoch: int, current: float) -> bool:
        """True = stop training now."""
        if epoch < self.es.start_from_epoch:
            return False
        if self.es.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.engine.export(), epoch
        self.wait += 1
        if self._improved(current):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.es.restore_best_weights:
                self.best_weights = self.engine.export()
            return False
        if self.wait >= self.es.patience and epoch > 0:
            self.stopped_epoch = epoch
            return True
        return False

    def finish(self, epochs_run: int) -> dict[str, float]:
        if self.es.restore_best_weights and self.best_weights is not None:
            self.engine.restore(self.best_weights)
        return {
            "train/epochs_run": float(epochs_run),
            "train/best_epoch": float(self.best_epoch + 1),  # 1-based, the epoch whose weights are kept
            "train/stopped_early": float(self.stopped_epoch > 0),
        }


def probe_indices(seed: int, n_train: int, k: int) -> np.ndarray:
    """The training rows (k,) of a seed's probe batch: the same for the whole run, and the same
    in both frameworks and both execution modes."""
    return np.random.default_rng([seed & 0xFFFFFFFFFFFF, 11]).permutation(n_train)[:k]


def target_metrics(step: int, n_per_epoch: int, reached: bool, step_s: float) -> dict[str, float]:
    """`training.target`'s metrics: the first evaluation step at or below the threshold (reached)
    or the last step (censored), and the seconds spent in updates until then."""
    return {
        "target/steps": float(step),
        "target/epochs": step / n_per_epoch,
        "target/reached": float(reached),
        "target/step_s": step_s,
    }


def train(
    spec: TrialSpec,
    seed: int,
    split: data.Split,
    engine: Engine,
    w0: dict[str, np.ndarray],
    stop: Callable[[dict[str, float]], bool] | None = None,
) -> dict[str, Any]:
    """`stop` (optional, for experiments): called with each evaluation's metrics; True ends training
    there (e.g. at a target reconstruction error). Without it the loop runs the full budget."""
    t, probes, head = spec.training, spec.probes, spec.model.head
    order = data.batches(len(split.x_train), t.batch_size, t.epochs, seed, t.drop_last)
    probe_idx = probe_indices(seed, len(split.x_train), probes.probe_batch)
    px, py = split.x_train[probe_idx], split.y_train[probe_idx]
    found: dict[str, float] = {}
    curves: dict[str, list[list[float]]] = {}

    def probe(step: int, label: int | str | None = None) -> None:
        at = step if label is None else label
        if step in probes.grad_norms_at:
            found.update(metrics.layer_summaries("probe/grad_norm", engine.grad_norms(px, py), at))
        if step in probes.activation_stats_at:
            found.update(metrics.activation_summaries(engine.activations(px), at))
        if step in probes.act_grad_var_at:
            found.update(metrics.layer_spread("probe/act_grad_var", engine.act_grad_vars(px, py), at))

    reached: list[int] = []  # first evaluation step at which train/loss <= t.target_loss
    last_eval: dict[int, dict[str, float]] = {}  # step -> its evaluation's scores (the latest only)

    stopped: list[bool] = []

    n_per_epoch = max(len(e) for e in order) if order else 1
    total = (
        sum(len(e) for e in order) if t.max_steps is None else min(t.max_steps, sum(len(e) for e in order))
    )
    step_s = 0.0  # time spent inside engine.step (excludes evaluation and probes)

    def record(step: int, batch_losses: list[float]) -> dict[str, float]:
        if batch_losses:
            curves.setdefault("train/batch_loss", []).append([step, float(np.mean(batch_losses))])
        scores = evaluate(engine, split, head)
        last_eval.clear()
        last_eval[step] = scores
        for k, v in scores.items():
            curves.setdefault(k, []).append([step, v])
        if t.target_loss is not None and not reached and scores.get("train/loss", math.inf) <= t.target_loss:
            reached.append(step)
        if stop is not None and stop(scores):
            stopped.append(True)
        if t.target is not None and "target/steps" not in found:
            value = scores.get(t.target[0], math.inf)
            if value <= t.target[1]:
                found.update(target_metrics(step, n_per_epoch, True, step_s))
        return scores

    stopper = EarlyStopper(t.early_stopping, engine) if t.early_stopping else None
    epochs_run = 0
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
                if stopped:
                    break
        if diverged or stopped or (t.max_steps is not None and step >= t.max_steps):
            break
        epochs_run += 1
        if not t.eval_every:
            scores = record(step, since_eval)
            since_eval = []
            if e + 1 in t.report_epochs:
                found.update({f"{k}@epoch{e + 1}": v for k, v in scores.items()})
            if t.plateau is not None:
                lr_now = engine.plateau(scores.get(t.plateau.monitor, math.nan))
            if t.plateau is not None or t.schedule != "constant":
                curves.setdefault("train/lr", []).append([step, lr_now])
            if stopped or (stopper and stopper.epoch_end(epochs_run - 1, curves[stopper.es.monitor][-1][1])):
                break
    train_s = time.perf_counter() - start
    if not diverged and (since_eval or not curves):
        record(step, since_eval)
    if not diverged:
        probe(-1, "end")  # probes asked for at step -1 are taken after the last update
    # the last evaluation is the final one when nothing has touched the net since: no update, no
    # end-of-training probe (a train-mode probe moves batch-norm statistics), no early-stopping restore
    probed_at_end = -1 in (*probes.grad_norms_at, *probes.activation_stats_at, *probes.act_grad_var_at)
    made = None if stopper or probed_at_end else last_eval.get(step)
    final = {} if diverged else end_of_training(spec, engine, split, w0, curves, stopper, epochs_run, made)
    final.update(found)
    final["train/steps"] = float(step)
    if t.target_loss is not None and not diverged:
        final["train/steps_to_target"] = float(reached[0] if reached else step + 1)
    if t.target is not None and "target/steps" not in found:  # censored: never reached
        final.update(target_metrics(step, n_per_epoch, False, step_s))
    if epoch_losses:
        final["train/epoch_loss"] = float(np.mean(epoch_losses))
    return {
        "metrics": final,
        "curves": curves,
        "diverged": diverged,
        "timings": {"train_s": train_s, "step_s": step_s},
    }


def end_of_training(
    spec: TrialSpec,
    engine: Engine,
    split: data.Split,
    w0: dict[str, np.ndarray],
    curves: dict[str, list[list[float]]],
    stopper: EarlyStopper | None,
    epochs_run: int,
    scores: dict[str, float] | None = None,
) -> dict[str, float]:
    """Final metrics of a run that did not diverge: early stopping's weights put back first, then
    the evaluation (`scores`: one already made of the final net, the same call's numbers), the
    weight probes and the curve summaries."""
    probes = spec.probes
    out = stopper.finish(epochs_run) if stopper else {}
    out.update(evaluate(engine, split, spec.model.head) if scores is None else scores)
    if probes.weight_change or probes.weight_norms:
        w = engine.export()
        if probes.weight_change:
            out.update(metrics.weight_change(w0, w))
        if probes.weight_norms:
            out.update(metrics.unit_norms(w))
    if probes.curve_at:
        out.update(metrics.curve_points(curves, probes.curve_at))
    if probes.curve_stats:
        out.update(metrics.curve_stats(curves))
    return out
