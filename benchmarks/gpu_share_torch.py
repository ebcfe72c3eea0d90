"""GPU shares without Ray, PyTorch only: N processes train torch trials on one GPU at once, each
capped to 1/N of the card's memory, as a Ray task with `--gpus-per-trial 1/N` caps itself
(runners/gpu.py). Prints trials, wall seconds, trials per second, peak GPU memory (whole card,
from nvidia-smi), mean utilisation, failures (out-of-memory named) and the devices trials recorded.

For a GPU machine where Ray and TensorFlow cannot be installed (`benchmarks/gpu_packing.py`, the
full two-framework version, needs both). Trials go to no store: nothing of them is kept.

    python benchmarks/gpu_share_torch.py [--procs 4 8] [--cpu 16] [--profile quick] [--seeds N] [--claim NAME ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CLAIMS = [
    "relu-resists-vanishing",
    "mish-vs-relu",
    "cnn-beats-mlp-on-images",
    "layernorm-for-rnns",
    "deep-ae-beats-pca",
]


def _worker(jobs: Any, results: Any) -> None:
    from runners.execute import run_group

    while (group := jobs.get()) is not None:
        for r in run_group(group):
            results.put((r.claim, r.status, r.env.get("device"), r.env.get("mode"), (r.error or "")[-200:]))


def _sample(stop: threading.Event, out: list[tuple[float, float]]) -> None:
    while not stop.is_set():
        try:
            q = subprocess.run(
                ["nvidia-smi", "--query-gpu=memory.used,utilization.gpu", "--format=csv,noheader,nounits"],
                capture_output=True,
                text=True,
            )
        except FileNotFoundError:  # no NVIDIA driver here: nothing to sample
            return
        if q.returncode == 0 and q.stdout.strip():
            mem, util = q.stdout.strip().splitlines()[0].split(",")
            out.append((float(mem), float(util)))
        stop.wait(0.5)


def run(groups: list[list[Any]], procs: int, gpu: bool = True) -> None:
    share = 1.0 / procs if gpu else 0.0  # 0: the CPU (a trial with no GPU share)
    ctx = mp.get_context("spawn")  # CUDA does not survive fork
    jobs, results = ctx.Queue(), ctx.Queue()
    for g in groups:
        jobs.put([dataclasses.replace(t, gpus=share) for t in g])
    for _ in range(procs):
        jobs.put(None)
    samples: list[tuple[float, float]] = []
    stop = threading.Event()
    sampler = threading.Thread(target=_sample, args=(stop, samples), daemon=True)
    t0 = time.perf_counter()
    sampler.start()
    workers = [ctx.Process(target=_worker, args=(jobs, results)) for _ in range(procs)]
    for w in workers:
        w.start()
    n = sum(len(g) for g in groups)
    got = [results.get() for _ in range(n)]
    for w in workers:
        w.join()
    wall = time.perf_counter() - t0
    stop.set()
    status = Counter(s for _, s, _, _, _ in got)
    devices = Counter(f"{d}/{m}" for _, _, d, m, _ in got)
    oom = sum("out of memory" in e.lower() for _, _, _, _, e in got)
    peak = max((m for m, _ in samples), default=float("nan"))
    util = sum(u for _, u in samples) / len(samples) if samples else float("nan")
    print(
        f"{procs} {'per GPU' if gpu else 'CPU processes'} (share {share:.3f}): {n} trials in {wall:.1f} s, "
        f"{n / wall:.2f} trials/s, "
        f"peak GPU memory {peak:.0f} MiB, mean utilisation {util:.0f}%, status {dict(status)}, "
        f"out-of-memory {oom}, devices {dict(devices)}",
        flush=True,
    )
    for claim, s, _, _, e in got:
        if s == "failed":
            print(f"  failed {claim}: {e}", flush=True)


def main() -> None:
    from claims import discover
    from runners.plan import expand

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--procs", type=int, nargs="+", default=[4, 8])
    p.add_argument("--profile", default="quick")
    p.add_argument("--seeds", type=int, default=None)
    p.add_argument("--claim", action="append")
    p.add_argument("--cpu", type=int, default=0, help="then the same trials in this many CPU processes")
    a = p.parse_args()
    reg = discover(entry_points_too=False)
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for name in a.claim or CLAIMS:
        for t in expand(reg.claims[name], a.profile, ["torch"], n_seeds=a.seeds, mode="seedbatch"):
            groups.setdefault((t.claim, repr(sorted(t.point.items())), t.mode), []).append(t)
    print(f"{len(groups)} conditions of {a.claim or CLAIMS}, profile {a.profile}, torch", flush=True)
    for procs in a.procs:
        run(list(groups.values()), procs)
    if a.cpu:
        run(list(groups.values()), a.cpu, gpu=False)


if __name__ == "__main__":
    main()
