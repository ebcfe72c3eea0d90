"""Framework-free measurement helpers for the timing, memory and gradient-noise experiments
(`impls/*_impl/experiments/`): the frameworks hand in callables, the protocol is written once."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from impls import zygote


def interleaved_seconds(
    arms: Sequence[Callable[[], None]], repeats: int, warmup: int = 3, calls: int = 5
) -> np.ndarray:
    """Seconds per call of each arm, (repeats, arms). Every arm is warmed up first; then each
    repeat times `calls` calls of every arm in a rotated order, so drift and noise from other
    processes fall on all arms alike and ratios are taken within a repeat."""
    for arm in arms:
        for _ in range(warmup):
            arm()
    out = np.zeros((repeats, len(arms)))
    for r in range(repeats):
        for j in np.roll(np.arange(len(arms)), r).tolist():
            t0 = time.perf_counter()
            for _ in range(calls):
                arms[j]()
            out[r, j] = (time.perf_counter() - t0) / calls
    return out


def log10_ratio(seconds: np.ndarray, a: int, b: int) -> float:
    """Median over repeats of log10(seconds[:, a] / seconds[:, b]) (per-repeat ratios)."""
    return float(np.median(np.log10(seconds[:, a] / seconds[:, b])))


def gradient_agreement(full: np.ndarray, minis: Sequence[np.ndarray]) -> dict[str, float]:
    """Mini-batch gradients (flat) against the full-batch gradient: mean cosine similarity and
    mean relative error ||g_b - g|| / ||g|| over the draws."""
    norm = float(np.linalg.norm(full))
    cos = [float(g @ full / (np.linalg.norm(g) * norm + 1e-300)) for g in minis]
    rel = [float(np.linalg.norm(g - full) / max(norm, 1e-300)) for g in minis]
    return {
        "grad/cosine": float(np.mean(cos)),
        "grad/rel_error": float(np.mean(rel)),
        "grad/log10_rel_error": float(np.log10(np.mean(rel))),
    }


def peak_in_fresh_process(module: str, payload: Any, timeout: float = 300.0) -> dict[str, float]:
    """`module.child(payload) -> dict` in a fresh process forked from a zygote that has imported
    `module` and its framework and nothing else (impls.zygote; one thread); the child measures
    its own peak."""
    out: dict[str, float] = zygote.call(module, payload, timeout)
    return out


def maxrss_mb() -> float:
    """This process's peak resident set size so far: VmHWM of /proc/self/status (the high-water
    mark of this address space). Not getrusage's ru_maxrss: Linux carries that over exec from the
    forking parent, so a child spawned by a 1 GB runner reported the runner's peak (bug in v1)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB -> MiB
    raise RuntimeError("no VmHWM in /proc/self/status")


def result(metrics: dict[str, float], timings: dict[str, float], env: dict[str, Any]) -> dict[str, Any]:
    return {
        "metrics": {k: v for k, v in metrics.items() if math.isfinite(v)},
        "curves": {},
        "diverged": False,
        "timings": timings,
        "env": env,
    }


# ----------------------------------------------------------------------------------------------
# Protocols shared by both frameworks' experiment modules. `fw` is the framework's train module:
# fresh_engine(spec, seed) -> (engine, split, w0), flat_grad(engine, x, y), _train(spec, seed), env().


def grad_noise(spec: Any, seed: int, fw: Any) -> dict[str, Any]:
    """Experiment "grad_noise": at the trial's initial weights (fixed), `draws` mini-batch gradients
    of size training.batch_size (drawn without replacement, the same indices in both frameworks)
    against the full-batch gradient of the training set (same loss reduction: the mean)."""
    p = dict(spec.params)
    t0 = time.perf_counter()
    engine, split, _ = fw.fresh_engine(spec, seed)
    n, b = len(split.x_train), min(spec.training.batch_size, len(split.x_train))
    full = fw.flat_grad(engine, split.x_train, split.y_train)
    rng = np.random.default_rng([seed & 0xFFFFFFFFFFFF, 13])
    minis = []
    for _ in range(int(p.get("draws", 20))):
        idx = rng.choice(n, b, replace=False)
        minis.append(fw.flat_grad(engine, split.x_train[idx], split.y_train[idx]))
    return result(gradient_agreement(full, minis), {"train_s": time.perf_counter() - t0}, fw.env())


# (framework module, device, threads, spec, seed) -> `fw.tune_then_train(spec, seed)`. The reference arm of
# `batch_timing` is the same run for every condition of a seed, and the whole trial when the
# condition is the reference; a run is deterministic at a fixed thread count, so a worker trains
# each one once (a claim with 4 batch sizes trained the reference 4 times per seed).
_RUNS: dict[tuple[str, Any, Any, Any, int], dict[str, Any]] = {}


def trained_once(fw: Any, spec: Any, seed: int) -> dict[str, Any]:
    run_env = fw.env()  # a run is the same only on the same device and thread count
    key = (fw.__name__, run_env.get("device"), run_env.get("threads"), spec, seed)
    if key not in _RUNS:
        if len(_RUNS) >= 64:  # bound a long-lived worker's memory (curves are kept)
            _RUNS.pop(next(iter(_RUNS)))
        _RUNS[key] = fw.tune_then_train(spec, seed)
    return _RUNS[key]


def timing_arms(spec: Any) -> list[Any]:
    """The two training runs of a "batch_timing" trial: at its batch size, and at `reference_batch`."""
    return [spec, _with_batch(spec, int(dict(spec.params)["reference_batch"]))]


def batch_timing(spec: Any, seed: int, fw: Any, runs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Experiment "batch_timing": this trial's batch size against `reference_batch`, in one process.
    Convergence: the shared loop (with any lr tuning in the spec) for both batch sizes gives epochs
    to the target. Speed: one engine, both batch sizes timed interleaved after a warm-up (`repeats`
    repeats of `calls` updates each). Seconds to target = updates to target x seconds per update.
    `runs`: the arms' training results (`timing_arms` order) when they were trained elsewhere (seed-
    batched, `impls.seedbatch.run`); by default each is trained here, once per worker."""
    p = dict(spec.params)
    t0 = time.perf_counter()
    arms = timing_arms(spec)
    runs = runs or [trained_once(fw, a, seed) for a in arms]
    engine, split, _ = fw.fresh_engine(spec, seed)
    sizes = [min(a.training.batch_size, len(split.x_train)) for a in arms]

    def call(b: int) -> Callable[[], None]:
        x, y = split.x_train[:b], split.y_train[:b]
        return lambda: engine.step(x, y)

    secs = interleaved_seconds(
        [call(b) for b in sizes], int(p.get("repeats", 7)), calls=int(p.get("calls", 5))
    )
    per_epoch = secs * np.array([math.ceil(len(split.x_train) / b) for b in sizes])  # (repeats, 2)
    steps = np.array([r["metrics"]["target/steps"] for r in runs])
    m = dict(runs[0]["metrics"])
    m.update(
        {
            "timing/update_s": float(np.median(secs[:, 0])),
            "timing/epoch_s": float(np.median(per_epoch[:, 0])),
            "timing/log10_epoch_s_vs_ref": log10_ratio(per_epoch, 0, 1),
            "timing/log10_update_s_vs_ref": log10_ratio(secs, 0, 1),
            "target/ref_reached": runs[1]["metrics"]["target/reached"],
        }
    )
    # Seconds to target only where both arms reached it: a censored count (total updates) is a
    # lower bound, which makes an arm that never gets there look fast (found in v1 of
    # minibatch-vs-batch-vs-sgd: full batch, 5 updates, "faster" than mini-batch).
    if all(r["metrics"]["target/reached"] == 1.0 for r in runs):
        m["target/seconds"] = float(steps[0] * np.median(secs[:, 0]))
        m["target/log10_seconds_vs_ref"] = float(
            np.median(np.log10(steps[0] * secs[:, 0] / (steps[1] * secs[:, 1])))
        )
        m["target/log10_epochs_vs_ref"] = float(np.log10(steps[0] * sizes[0] / (steps[1] * sizes[1])))
    out = result(m, {"train_s": time.perf_counter() - t0}, fw.env())
    out["curves"] = copy.deepcopy(runs[0]["curves"])  # the memo's copy stays as it was
    return out


def _with_batch(spec: Any, b: int) -> Any:
    import dataclasses

    return dataclasses.replace(spec, training=dataclasses.replace(spec.training, batch_size=b))


def throughput(spec: Any, seed: int, fw: Any) -> dict[str, Any]:
    """Experiment "throughput": training updates per second at each batch size in `batches`, one
    engine, interleaved after a warm-up, `repeats` repeats; samples/s per arm and, for each pair
    named in `pairs` (a, b), the median per-repeat log10 of throughput(a)/throughput(b)."""
    p = dict(spec.params)
    t0 = time.perf_counter()
    engine, split, _ = fw.fresh_engine(spec, seed)
    sizes = [int(b) for b in p["batches"]]
    rng = np.random.default_rng([seed & 0xFFFFFFFFFFFF, 17])
    n_max = max(sizes)
    idx = rng.choice(len(split.x_train), n_max, replace=n_max > len(split.x_train))
    x, y = split.x_train[idx], split.y_train[idx]

    def call(b: int) -> Callable[[], None]:
        xb, yb = x[:b], y[:b]
        return lambda: engine.step(xb, yb)

    secs = interleaved_seconds(
        [call(b) for b in sizes], int(p.get("repeats", 9)), int(p.get("warmup", 3)), int(p.get("calls", 10))
    )
    rate = np.array(sizes)[None, :] / secs  # (repeats, arms) samples per second
    m = {f"throughput/bs{b}": float(np.median(rate[:, j])) for j, b in enumerate(sizes)}
    for a, b in p.get("pairs", ()):
        ja, jb = sizes.index(a), sizes.index(b)
        m[f"throughput/log10_bs{a}_vs_bs{b}"] = float(np.median(np.log10(rate[:, ja] / rate[:, jb])))
    return result(m, {"train_s": time.perf_counter() - t0}, fw.env())


def peak_memory(spec: Any, seed: int, module: str) -> dict[str, Any]:
    """Experiment "peak_memory": in a fresh process (`module.child`), build the net, take one
    update at batch size 1 (so imports, weights and optimiser state are resident), read the peak
    RSS, then take one update at training.batch_size and read the peak again. Records the peak
    (memory/peak_mb) and its growth over the batch-1 step (memory/step_mb)."""
    t0 = time.perf_counter()
    if dict(spec.params).get("fresh_process", True):
        out = peak_in_fresh_process(module, (spec, seed))
    else:  # smoke only: the plumbing in this process (peaks then include earlier trials)
        import importlib

        out = importlib.import_module(module).child((spec, seed))
    return result(out, {"train_s": time.perf_counter() - t0}, {"subprocess": module})


def memory_child(spec: Any, seed: int, fw: Any) -> dict[str, float]:
    engine, split, _ = fw.fresh_engine(spec, seed)
    b = spec.training.batch_size
    reps = -(-b // len(split.x_train))
    x = np.concatenate([split.x_train] * reps)[:b]
    y = np.concatenate([split.y_train] * reps)[:b]
    engine.step(x[:1], y[:1])
    base = maxrss_mb()
    engine.step(x, y)
    peak = maxrss_mb()
    return {"memory/peak_mb": peak, "memory/step_mb": peak - base, "memory/base_mb": base}
