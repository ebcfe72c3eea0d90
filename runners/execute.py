"""Run trials where they land (in this process or a Ray worker): pin threads, import the
framework by name, train, and turn every outcome into a storable record — never raise."""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import platform
import socket
import sys
import time
import traceback
from typing import Any

from runners import gpu
from runners.plan import Trial
from runners.store import TrialRecord

FRAMEWORK_MODULES = {"torch": "impls.torch_impl", "tf": "impls.tf_impl"}


def set_thread_env(n: int) -> None:
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ[var] = str(n)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


# glibc mallopt parameters: M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD
_ALLOCATOR = ((-1, 1 << 30), (-2, 64 << 20), (-3, 32 << 20))
_TUNED: list[bool] = []


def keep_freed_memory() -> None:
    """Have glibc's malloc keep freed memory for reuse (once per process; no-op off glibc). By
    default every block above the (adaptive) mmap threshold goes back to the kernel on free and
    the heap top is trimmed, so a training step's large temporaries land on fresh pages that the
    kernel must fault in and zero: in a fresh process one stacked torch MLP condition took 405k
    minor faults and 12% of its time in the kernel, and 49k faults and 27% less wall time with
    these settings (TF: 13% less). glibc's adaptive threshold gets there by itself after a
    process's first conditions, so a sweep's long-lived workers gain little; fresh processes (the
    local backend, one claim) gain most. Where memory comes from changes no arithmetic: results
    are bit-identical (a whole sweep compared)."""
    if _TUNED:
        return
    _TUNED.append(True)
    try:
        libc = ctypes.CDLL("libc.so.6")
        for param, value in _ALLOCATOR:
            libc.mallopt(param, value)
    except (OSError, AttributeError):  # not glibc: its allocator keeps its own policy
        pass


def _ray_node() -> str:
    """The Ray node id when running inside a Ray worker ("" in-process)."""
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        return str(ray.get_runtime_context().get_node_id())
    return ""


def _inject_fault(trial: Trial) -> None:
    """Test hook: CLAIMBENCH_FAULT="exit:<claim>" kills the worker process running that claim's
    trials (as a segfault or the OOM killer would); "raise:<claim>" raises inside the trial."""
    kind, _, claim = os.environ.get("CLAIMBENCH_FAULT", "").partition(":")
    if claim == trial.claim and kind == "exit":
        os._exit(77)
    if claim == trial.claim and kind == "raise":
        raise RuntimeError(f"injected fault in {trial.claim}")


def _base(trial: Trial) -> dict[str, Any]:
    return dict(
        id=trial.id,
        claim=trial.claim,
        version=trial.version,
        framework=trial.framework,
        factors=trial.point,
        seed_index=trial.seed_index,
        seed=trial.seed,
        profile=trial.profile,
    )


def _env(trial: Trial) -> dict[str, Any]:
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "python": platform.python_version(),
        "code": trial.code,
        "node": _ray_node(),
    }


def _failed(trial: Trial, env: dict[str, Any], started: float, exc: Exception) -> TrialRecord:
    tb = traceback.format_exc(limit=8)
    return TrialRecord(
        **_base(trial),
        status="failed",
        env=env,
        started=started,
        finished=time.time(),
        wall_s=time.time() - started,
        error=f"{type(exc).__name__}: {exc}\n{tb}",
    )


def _done(trial: Trial, env: dict[str, Any], started: float, out: dict[str, Any]) -> TrialRecord:
    env.update(out.get("env", {}), timings=out.get("timings", {}))
    # plain JSON types (what the store keeps anyway): torch.__version__ is a str subclass whose
    # unpickling would import torch into the driver, ~3 s of CPU and ~400 MB beside the workers
    env = json.loads(json.dumps(env, default=str))
    return TrialRecord(
        **_base(trial),
        status="diverged" if out["diverged"] else "ok",
        metrics=out["metrics"],
        curves=out["curves"],
        env=env,
        started=started,
        finished=time.time(),
        wall_s=time.time() - started,
        error="loss became non-finite or exploded" if out["diverged"] else None,
    )


def _impl(trial: Trial, env: dict[str, Any]) -> Any:
    """The framework package, with the device configured (recorded in `env`)."""
    impl = importlib.import_module(FRAMEWORK_MODULES[trial.framework])
    caps = gpu.plan(trial.gpus)
    device = importlib.import_module(FRAMEWORK_MODULES[trial.framework] + ".device")
    env["device"] = device.configure(caps.torch_memory_fraction, caps.tf_memory_limit_mb, caps.tf_hide_gpus)
    return impl


def run_one(trial: Trial) -> TrialRecord:
    threads = max(1, int(trial.cpus))
    set_thread_env(threads)
    started = time.time()
    env = _env(trial)
    try:
        _inject_fault(trial)
        out = _impl(trial, env).run_trial(trial.spec, trial.seed, threads=threads)
    except Exception as exc:  # stored as failed with its traceback; retried on the next run
        return _failed(trial, env, started, exc)
    return _done(trial, env, started, out)


def run_seed_batch(trials: list[Trial]) -> list[TrialRecord]:
    """The group's seeds as one stacked model (`impls.seedbatch`). A spec or data that cannot be
    stacked falls back to `run_one` per seed, each record's env saying why; an exception makes
    every seed of the batch a failed record."""
    from impls.seedbatch import NotBatchable, reason_not_batchable  # framework-free

    first = trials[0]
    threads = max(1, int(first.cpus))
    set_thread_env(threads)
    started = time.time()
    envs = [_env(t) for t in trials]
    why = reason_not_batchable(first.spec)
    outs: list[dict[str, Any]] = []
    try:
        if why is None:
            for t in trials:
                _inject_fault(t)
            outs = _impl(first, envs[0]).run_seed_batch(first.spec, [t.seed for t in trials], threads=threads)
    except NotBatchable as exc:
        why = str(exc)
    except Exception as exc:
        device = {"device": envs[0].get("device")}
        return [_failed(t, env | device, started, exc) for t, env in zip(trials, envs, strict=True)]
    if why is not None:
        records = [run_one(t) for t in trials]
        for r in records:
            r.env.update(mode="sequential", seedbatch_fallback=why)
        return records
    records = [
        _done(t, env | {"device": envs[0].get("device")}, started, out)
        for t, env, out in zip(trials, envs, outs, strict=True)
    ]
    for r in records:  # each seed's share, so summed wall times stay the machine time spent
        r.wall_s = (r.wall_s or 0.0) / len(records)
    return records


def run_group(trials: list[Trial]) -> list[TrialRecord]:
    """All seeds of one condition, in order: the model is built (traced) once; in the seed-batch
    mode the seeds train together as one stacked model."""
    keep_freed_memory()
    if trials and trials[0].mode == "seedbatch":
        return run_seed_batch(trials)
    return [run_one(t) for t in trials]
