"""Seed-batched training: S seeds of one condition trained as one stacked model.

Each framework's `seedbatch.py` holds the seeds' weights stacked along a leading seed axis
(kernels (S, in, out), biases (S, out)) and takes one update for all of them from the loss
sum_s L_s, so each seed's gradient is exactly its own and an elementwise optimiser (every one in
`impls.spec`) updates each seed exactly as it would alone. This module is the framework-free
half: which specs can run this way, and the loop, which mirrors `impls.loop.train` for them
(same batch orders, curves, metrics, targets, per-step probes and divergence handling per seed).
Three families stack: MLPs and recurrent nets in the shared loop ("train"; MLPs in "contrast"),
also with the "state_grads" probes, and dense autoencoders in the "autoencode" experiment, whose
study metrics `impls.autoencode.finish` then takes per seed. A "batch_timing" trial's two training
runs stack too; its timing stays one seed at a time, on an engine of its own.

Dropout, masking noise and VAE noise draw each seed's numbers from that seed's own stream (the
generator or seed state its sequential run would use, in the same order), so they are its
sequential run's draws.

Results are the sequential ones up to floating-point summation order (batched matmul instead of
one matmul), so the runner stores them under their own trial ids (`mode: seedbatch`)."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any, Protocol, cast

import numpy as np

from impls import autoencode, contrast, data, init, loop, measure, metrics
from impls.spec import MLP, RNN, Autoencoder, TrialSpec, validate


class NotBatchable(ValueError):
    """Raised by `run_seed_batch` when the seeds cannot share one stack; the runner falls back to
    sequential trials and records the reason."""


class StackedEngine(Protocol):
    def step(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """One update of every seed: x (S, b, in), y (S, b) or (S, b, k); returns the (S,) losses."""

    def outputs(self, x: np.ndarray) -> np.ndarray:
        """Eval-mode outputs (S, n, k) of x (S, n, in)."""

    def outputs_one(self, s: int, x: np.ndarray) -> np.ndarray:
        """Eval-mode outputs (n, k) of seed s alone on x (n, in)."""

    def export(self, s: int) -> dict[str, np.ndarray]:
        """Seed s's current weights in the canonical layout of `impls.init`."""

    def set_lr(self, lr: float) -> None:
        """The lr of the next updates, for every seed (schedules depend on the step, not the seed)."""


class ProbedStack(StackedEngine, Protocol):
    """A stack with the per-step probes (the MLP stacks; `reason_not_batchable` keeps probes off
    the others)."""

    def grad_norms(self, x: np.ndarray, y: np.ndarray) -> list[list[float]]:
        """Per seed, `loop.Engine.grad_norms` of its own slice of x (S, b, in), y; no update."""

    def act_grad_vars(self, x: np.ndarray, y: np.ndarray) -> list[list[float]]:
        """Per seed, `loop.Engine.act_grad_vars` of its own slice of x, y."""

    def activations(self, x: np.ndarray) -> list[list[np.ndarray]]:
        """Per seed, `loop.Engine.activations` (eval mode) of its own slice of x."""


class AutoencoderStack(StackedEngine, Protocol):
    def encode_one(self, s: int, x: np.ndarray) -> np.ndarray:
        """Seed s's code (its mean for a VAE), (n, code), of x (n, in) alone."""


def reason_not_batchable(spec: TrialSpec) -> str | None:
    """Why `spec` cannot run seed-batched, or None. Narrow on purpose: only what the stacked
    engines and `train` below reproduce exactly."""
    if spec.experiment == "contrast":  # its two arms, each seed-batched as a stack of its own
        return next((why for _, arm in contrast.arms(spec) if (why := reason_not_batchable(arm))), None)
    if spec.experiment == "batch_timing":  # its training runs, as stacks; the timing is per seed
        return reason_not_batchable(_as_training(spec))
    m, t, o = spec.model, spec.training, spec.optimizer
    ae = spec.experiment == "autoencode"
    checks = [
        (
            spec.experiment not in ("train", "autoencode", "state_grads"),
            f"experiment {spec.experiment!r} is not the shared training loop",
        ),
        (
            not isinstance(m, Autoencoder if ae else (MLP, RNN)),
            f"model family {m.family!r} has no stacked engine "
            "for this experiment (MLP, RNN: train; dense autoencoder: autoencode)",
        ),
        # measured: a conv AE step as one grouped conv over S seeds costs what S convs cost (torch
        # 2.68 s vs 2.71 s for 100 steps of 5 seeds), so conv stacks would add code for nothing
        (isinstance(m, Autoencoder) and bool(m.conv_channels), "convolutional autoencoders are not stacked"),
        (ae and "match_pca_k" in dict(spec.params), "a matched-error stop ends seeds at different steps"),
        (
            spec.experiment != "train" and t.tuning is not None,
            f"the {spec.experiment} experiment trains without lr tuning (training.tuning)",
        ),
        (
            not isinstance(m, MLP)
            and bool(
                spec.probes.grad_norms_at or spec.probes.activation_stats_at or spec.probes.act_grad_var_at
            ),
            f"{m.family} probes are not implemented seed-batched",
        ),
        (t.plateau is not None, "ReduceLROnPlateau sets an lr per seed"),
        (t.early_stopping is not None, "early stopping ends seeds at different epochs"),
        (t.max_norm != 0.0, "max_norm is not implemented seed-batched"),
        (bool(t.frozen), "frozen layers are not implemented seed-batched"),
        (t.schedule not in ("constant", "step", "cosine"), f"schedule {t.schedule!r} is unknown"),
        (o.backstitch != 0.0 and not isinstance(m, MLP), "backstitch is seed-batched for MLPs only"),
        (o.defaults != "explicit", "framework-default optimisers are not implemented seed-batched"),
    ]
    return next((why for bad, why in checks if bad), None)


MakeEngine = Callable[[TrialSpec, list[int], list[dict[str, np.ndarray]], int, int], StackedEngine]
# (spec, one seed's weights, probe x, probe y) -> ||dL/dh|| per state: the framework's
# experiments/state_grads.py probe, on a sequential net holding those weights
StateGrads = Callable[[TrialSpec, dict[str, np.ndarray], np.ndarray, np.ndarray], list[float]]


def run(
    spec: TrialSpec,
    seeds: list[int],
    make_engine: MakeEngine,
    env: dict[str, Any],
    state_grads: StateGrads | None = None,
    fw: Any = None,
) -> list[dict[str, Any]]:
    """What each framework's `run_seed_batch` does around its stacked engine: check, load each
    seed's split and canonical initial weights, `make_engine(spec, seeds, w0s, n_in, n_out)`, `train`.
    Raises `NotBatchable` when the spec or the seeds' splits do not allow a stack.
    The "state_grads" experiment probes each seed through `state_grads` before and after training.
    The "batch_timing" experiment times each seed with `impls.measure.batch_timing` on `fw` (the
    framework's train module), handing it the arms' stacked training runs.

    With `training.tuning`, `loop.tune_then_train` per seed, stacked two ways: the seeds' tuning
    runs at one lr form one stack (one lr, each seed its own tuning seed), and the evaluation
    runs of the seeds that picked the same lr form one stack."""
    validate(spec)
    why = reason_not_batchable(spec)
    if why:
        raise NotBatchable(why)
    if spec.experiment == "contrast":  # `contrast.run` per seed, each arm one stack
        by_arm = {arm: run(arm_spec, seeds, make_engine, env) for arm, arm_spec in contrast.arms(spec)}
        return [contrast.combine({arm: r[i] for arm, r in by_arm.items()}) for i in range(len(seeds))]
    if spec.experiment == "batch_timing":
        if fw is None:
            raise NotBatchable("this framework passed no engine to time batch_timing's seeds on")
        arms = [_trained_once(_as_training(a), seeds, make_engine, env) for a in measure.timing_arms(spec)]
        timed = [measure.batch_timing(spec, seed, fw, [a[i] for a in arms]) for i, seed in enumerate(seeds)]
        return [r | {"env": r["env"] | {"mode": "seedbatch", "seed_batch": len(seeds)}} for r in timed]
    tn = spec.training.tuning
    if tn is None:
        return _run_stack(spec, seeds, make_engine, env, state_grads)
    start = time.perf_counter()
    scores = np.full((len(tn.lrs), len(seeds)), math.inf)  # (lrs, seeds), as loop.tune_then_train scores
    for k, lr in enumerate(tn.lrs):
        runs = _run_stack(loop.at_lr(spec, lr), [loop.tuning_seed(s) for s in seeds], make_engine, env)
        scores[k] = [loop.tuning_score(r, tn.metric) for r in runs]
    best = [tn.lrs[int(np.argmin(scores[:, i]))] for i in range(len(seeds))]
    tune_s = (time.perf_counter() - start) / len(seeds)  # each seed's share, like the timings below
    out: list[dict[str, Any]] = [{} for _ in seeds]
    for lr in dict.fromkeys(best):
        group = [i for i, b in enumerate(best) if b == lr]
        runs = _run_stack(loop.at_lr(spec, lr), [seeds[i] for i in group], make_engine, env)
        for i, r in zip(group, runs, strict=True):
            out[i] = loop.mark_tuned(r, lr, tune_s)
    return out


def _as_training(spec: TrialSpec) -> TrialSpec:
    """The shared-loop run that a "batch_timing" arm trains (the loop reads no experiment params)."""
    return dataclasses.replace(spec, experiment="train", params=())


# (framework, device, threads, arm, seeds) -> the arm's stacked runs. As `impls.measure.trained_once`
# does one seed at a time: a batch_timing claim's reference arm is the same stack for each of its
# conditions (their seeds are shared), so a worker trains it once.
_STACKS: dict[tuple[Any, ...], list[dict[str, Any]]] = {}


def _trained_once(
    spec: TrialSpec, seeds: list[int], make_engine: MakeEngine, env: dict[str, Any]
) -> list[dict[str, Any]]:
    key = (env.get("framework"), env.get("device"), env.get("threads"), spec, tuple(seeds))
    if key not in _STACKS:
        if len(_STACKS) >= 16:  # bound a long-lived worker's memory (curves are kept)
            _STACKS.pop(next(iter(_STACKS)))
        _STACKS[key] = run(spec, seeds, make_engine, env)
    return _STACKS[key]


def _run_stack(
    spec: TrialSpec,
    seeds: list[int],
    make_engine: MakeEngine,
    env: dict[str, Any],
    state_grads: StateGrads | None = None,
) -> list[dict[str, Any]]:
    t0 = time.perf_counter()
    dtype = spec.training.dtype
    splits = [data.load(spec.data, seed, dtype) for seed in seeds]
    check_splits(splits)
    n_in, n_out = splits[0].x_train.shape[1], splits[0].n_outputs
    w0s = [init.initial_weights(spec.model, n_in, n_out, seed, dtype) for seed in seeds]
    probes: list[tuple[np.ndarray, np.ndarray]] = []
    found: list[dict[str, float]] = []
    if spec.experiment == "state_grads":  # at initialisation, each seed on its own probe batch
        if state_grads is None:
            raise NotBatchable("this framework has no stacked state_grads probe")
        for seed, split, w0 in zip(seeds, splits, w0s, strict=True):
            idx = loop.probe_indices(seed, len(split.x_train), spec.probes.probe_batch)
            probes.append((split.x_train[idx], split.y_train[idx]))
            found.append(metrics.state_grad_summaries(state_grads(spec, w0, *probes[-1]), 0))
    engine = make_engine(spec, seeds, w0s, n_in, n_out)
    build_s = time.perf_counter() - t0
    results = train(spec, seeds, splits, engine, w0s)
    for i, r in enumerate(results):
        r["timings"]["build_s"] = build_s / len(seeds)
        if spec.experiment == "autoencode":  # the study's metrics of each seed's trained net
            view = SeedView(engine, i)
            autoencode.finish(spec, seeds[i], splits[i], view, view.encode, r)
        if state_grads is not None and probes:  # and after training, as experiments/state_grads.py
            if not r["diverged"]:
                found[i].update(
                    metrics.state_grad_summaries(state_grads(spec, engine.export(i), *probes[i]), "end")
                )
            r["metrics"].update(found[i])
        r["env"] = env | {"mode": "seedbatch", "seed_batch": len(seeds)}
    return results


def check_splits(splits: list[data.Split]) -> None:
    """The seeds' splits stack only if every part has one shape and the task one output size."""
    first = splits[0]
    for s in splits[1:]:
        for (part, x0, y0), (_, x, y) in zip(loop.parts(first), loop.parts(s), strict=False):
            if x.shape != x0.shape or y.shape != y0.shape:
                raise NotBatchable(f"the seeds' {part} splits differ in shape ({x.shape} vs {x0.shape})")
        if len(loop.parts(s)) != len(loop.parts(first)) or s.n_outputs != first.n_outputs:
            raise NotBatchable("the seeds' splits differ in parts or outputs")


class SeedView:
    """One seed of a stack seen as the `loop.Engine` that `loop.end_of_training` needs."""

    def __init__(self, engine: StackedEngine, s: int) -> None:
        self.engine, self.s = engine, s

    def outputs(self, x: np.ndarray) -> np.ndarray:
        return self.engine.outputs_one(self.s, x)

    def export(self) -> dict[str, np.ndarray]:
        return self.engine.export(self.s)

    def encode(self, x: np.ndarray) -> np.ndarray:
        return cast(AutoencoderStack, self.engine).encode_one(self.s, x)


@dataclasses.dataclass(eq=False)
class _Seed:
    """One seed's running state, as the sequential loop's locals would hold it."""

    split: data.Split
    curves: dict[str, list[list[float]]] = dataclasses.field(default_factory=dict)
    found: dict[str, float] = dataclasses.field(default_factory=dict)
    since_eval: list[float] = dataclasses.field(default_factory=list)
    epoch_losses: list[float] = dataclasses.field(default_factory=list)
    step: int = 0
    epochs_run: int = 0
    diverged: bool = False
    step_s: float = 0.0  # this seed's share of the stack's step time while it was live
    reached: list[int] = dataclasses.field(default_factory=list)  # first eval step at target_loss
    last_eval: tuple[int, dict[str, float]] | None = None  # (step, scores) of its latest evaluation


def train(
    spec: TrialSpec,
    seeds: list[int],
    splits: list[data.Split],
    engine: StackedEngine,
    w0s: list[dict[str, np.ndarray]],
) -> list[dict[str, Any]]:
    """`loop.train` for every seed at once (eligible specs only; see `reason_not_batchable`).
    Returns one result per seed, in the shape `loop.train` returns. Timings: each seed gets the
    stack's time divided by S, and the stack's whole time as `batch_train_s`."""
    t, probes, head, n_seeds = spec.training, spec.probes, spec.model.head, len(seeds)
    assert reason_not_batchable(spec) is None and len(splits) == n_seeds == len(w0s)
    check_splits(splits)
    orders = [data.batches(len(s.x_train), t.batch_size, t.epochs, seed, t.drop_last)
              for seed, s in zip(seeds, splits, strict=True)]  # fmt: skip
    xs = np.stack([s.x_train for s in splits])  # (S, n, in)
    ys = np.stack([s.y_train for s in splits])  # (S, n) or (S, n, k)
    by_part = [{part: x for part, x, _ in loop.parts(s)} for s in splits]
    stacked = {part: np.stack([p[part] for p in by_part]) for part in by_part[0]}  # (S, n_part, in)
    rows = np.arange(n_seeds)[:, None]  # xs[rows, idx] gathers each seed's own batch: (S, b, in)
    state = [_Seed(split) for split in splits]
    # each seed's probe batch, drawn as `loop.train` draws it
    probe_idx = np.stack([loop.probe_indices(seed, len(s.x_train), probes.probe_batch)
                          for seed, s in zip(seeds, splits, strict=True)])  # fmt: skip
    px, py = xs[rows, probe_idx], ys[rows, probe_idx]

    def probe(step: int, which: list[int], label: int | str | None = None) -> None:
        """`loop.train`'s probe() for the seeds `which`, one engine call for the stack (train-mode
        calls move every seed's batch-norm statistics, as the sequential engine's calls do)."""
        at = step if label is None else label
        probed = cast(ProbedStack, engine)  # a spec with probes stacks only where they exist
        if step in probes.grad_norms_at:
            norms = probed.grad_norms(px, py)
            for i in which:
                state[i].found.update(metrics.layer_summaries("probe/grad_norm", norms[i], at))
        if step in probes.activation_stats_at:
            acts = probed.activations(px)
            for i in which:
                state[i].found.update(metrics.activation_summaries(acts[i], at))
        if step in probes.act_grad_var_at:
            grad_vars = probed.act_grad_vars(px, py)
            for i in which:
                state[i].found.update(metrics.layer_spread("probe/act_grad_var", grad_vars[i], at))

    live = list(range(n_seeds))  # seeds that have not diverged
    total_updates = sum(len(e) for e in orders[0])
    total = total_updates if t.max_steps is None else min(t.max_steps, total_updates)
    n_per_epoch = max(len(e) for e in orders[0]) if orders[0] else 1

    def record(step: int, which: list[int]) -> list[dict[str, float]]:
        outs = {part: engine.outputs(x) for part, x in stacked.items()}  # part -> (S, n, k)
        scores = []
        for i in which:
            seed = state[i]
            if seed.since_eval:
                seed.curves.setdefault("train/batch_loss", []).append([step, float(np.mean(seed.since_eval))])
            seed.since_eval = []
            got = loop.score_outputs({p: o[i] for p, o in outs.items()}, seed.split, head)
            seed.last_eval = (step, got)
            for k, v in got.items():
                seed.curves.setdefault(k, []).append([step, v])
            # targets as `loop.train`'s record(): the first evaluation at or below them
            if (
                t.target_loss is not None
                and not seed.reached
                and got.get("train/loss", math.inf) <= t.target_loss
            ):
                seed.reached.append(step)
            metric, threshold = t.target if t.target is not None else ("", math.inf)
            if (
                t.target is not None
                and "target/steps" not in seed.found
                and got.get(metric, math.inf) <= threshold
            ):
                seed.found.update(loop.target_metrics(step, n_per_epoch, True, seed.step_s))
            scores.append(got)
        return scores

    start = time.perf_counter()
    step, step_s, lr_now = 0, 0.0, spec.optimizer.lr
    probe(0, live)
    for e in range(len(orders[0])):
        for i in live:
            state[i].epoch_losses = []
        for j in range(len(orders[0][e])):
            if t.max_steps is not None and step >= t.max_steps:
                break
            if t.schedule != "constant":
                lr_now = loop.scheduled_lr(spec, e, step, total)
                engine.set_lr(lr_now)
            idx = np.stack([o[e][j] for o in orders])  # (S, b): each seed's own batch order
            t_step = time.perf_counter()
            losses = engine.step(xs[rows, idx], ys[rows, idx])  # (S,)
            dt = time.perf_counter() - t_step
            step_s += dt
            step += 1
            for i in live:
                seed, loss = state[i], float(losses[i])
                seed.step = step
                seed.step_s += dt / n_seeds
                seed.since_eval.append(loss)
                seed.epoch_losses.append(loss)
                # a diverged seed stops here, as `loop.train` stops; its weights keep riding in
                # the stack (NaN stays in its own slice: no op mixes seeds) but are never read
                seed.diverged = not math.isfinite(loss) or abs(loss) > t.diverge_above
            live = [i for i in live if not state[i].diverged]
            if not live:
                break
            probe(step, live)
            if t.eval_every and step % t.eval_every == 0:
                record(step, live)
        if not live or (t.max_steps is not None and step >= t.max_steps):
            break
        for i in live:
            state[i].epochs_run += 1
        if not t.eval_every:
            for i, scores in zip(live, record(step, live), strict=True):
                if e + 1 in t.report_epochs:
                    state[i].found.update({f"{k}@epoch{e + 1}": v for k, v in scores.items()})
                if t.schedule != "constant":
                    state[i].curves.setdefault("train/lr", []).append([step, lr_now])
    train_s = time.perf_counter() - start
    last = [i for i in live if state[i].since_eval or not state[i].curves]
    if last:
        record(step, last)
    if live:
        probe(-1, live, "end")  # after the last update, as `loop.train`
    # as `loop.train`, the last evaluation is the final one unless an end probe (train mode: it
    # moves batch-norm statistics) touched the net since
    probed_at_end = -1 in (*probes.grad_norms_at, *probes.activation_stats_at, *probes.act_grad_var_at)
    return [
        _result(
            spec, state[i], SeedView(engine, i), w0s[i], train_s, step_s, n_seeds, n_per_epoch, probed_at_end
        )
        for i in range(n_seeds)
    ]


def _result(
    spec: TrialSpec,
    seed: _Seed,
    view: SeedView,
    w0: dict[str, np.ndarray],
    train_s: float,
    step_s: float,
    n_seeds: int,
    n_per_epoch: int,
    probed_at_end: bool,
) -> dict[str, Any]:
    """The end of `loop.train` for one seed; its final evaluation is its latest one (the stack's
    outputs) if that was at its last step and no end probe came after it."""
    t = spec.training
    engine: Any = view  # one seed's view of the stack: the part of `loop.Engine` that the end uses
    last = seed.last_eval
    made = last[1] if last is not None and last[0] == seed.step and not probed_at_end else None
    final = (
        {}
        if seed.diverged
        else loop.end_of_training(spec, engine, seed.split, w0, seed.curves, None, seed.epochs_run, made)
    )
    final.update(seed.found)
    final["train/steps"] = float(seed.step)
    if t.target_loss is not None and not seed.diverged:
        final["train/steps_to_target"] = float(seed.reached[0] if seed.reached else seed.step + 1)
    if t.target is not None and "target/steps" not in seed.found:  # censored: never reached
        final.update(loop.target_metrics(seed.step, n_per_epoch, False, seed.step_s))
    if seed.epoch_losses:
        final["train/epoch_loss"] = float(np.mean(seed.epoch_losses))
    return {
        "metrics": final,
        "curves": seed.curves,
        "diverged": seed.diverged,
        "timings": {"train_s": train_s / n_seeds, "step_s": step_s / n_seeds, "batch_train_s": train_s},
    }
