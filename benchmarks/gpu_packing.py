"""Fractional GPUs: pack several trials per GPU and report throughput and memory (print only).

Prepared for a GPU machine (e.g. one H100 with 16 CPUs). Runs the chosen claims through the real
suite (embedded Ray, `--gpus-per-trial SHARE`, so 1/SHARE trials share each GPU; each task caps
its own GPU memory, see runners/gpu.py) into a throw-away store, while a sampler polls
`nvidia-smi` for the card's memory in use and utilisation. Then, unless --no-cpu, the same trials
with no GPU, for the throughput ratio. Prints, per run: trials, wall seconds, trials per second,
peak GPU memory (MiB, whole card), mean utilisation, failures (out-of-memory named), and which
device each framework's trials recorded (`env.device`: "gpu" for TF, which places ops on a
visible GPU itself; "cuda" for torch, whose trials move to CUDA when granted a share).

    python benchmarks/gpu_packing.py [--profile full] [--gpus-per-trial 0.25] [--claim NAME ...]
                                     [--seeds N] [--no-cpu]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from claims import Selector, discover
from runners.store import Store
from runners.sweep import run_sweep

# small dense and convolutional studies: the shapes a GPU share is meant for
CLAIMS = ["relu-resists-vanishing", "mish-vs-relu", "cnn-beats-mlp-on-images", "max-vs-avg-pooling"]


class Sampler(threading.Thread):
    """Polls nvidia-smi every `every` seconds: peak memory used (MiB) and utilisation (%)."""

    def __init__(self, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.every, self.peak_mib, self.util = every, 0, list[int]()
        self.halt = threading.Event()

    def run(self) -> None:
        query = ["nvidia-smi", "--query-gpu=memory.used,utilization.gpu", "--format=csv,noheader,nounits"]
        while not self.halt.is_set():
            out = subprocess.run(query, capture_output=True, text=True, check=False).stdout
            for line in out.strip().splitlines():
                used, util = (int(v) for v in line.split(","))
                self.peak_mib, self.util = max(self.peak_mib, used), [*self.util, util]
            self.halt.wait(self.every)


@dataclass
class Result:
    trials: int
    wall: float
    failed: int
    oom: int
    devices: dict[str, int]
    peak_mib: int | None
    util: float | None


def run(claims: list[str], profile: str, gpus: float, seeds: int | None) -> Result:
    reg = discover(entry_points_too=False)
    chosen = [(reg.claims[c], Selector(c)) for c in claims]
    sampler = Sampler() if gpus and shutil.which("nvidia-smi") else None
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "gpu.db")
        if sampler:
            sampler.start()
        t0 = time.perf_counter()
        run_sweep(
            chosen,
            reg.origins,
            store,
            profile=profile,
            frameworks=None,
            backend="ray",
            gpus=gpus,
            seeds={c: seeds for c in claims} if seeds else None,
        )
        wall = time.perf_counter() - t0
        if sampler:
            sampler.halt.set()
            sampler.join()
        records = store.trials()
        store.close()
    failed = [r for r in records if r.status == "failed"]
    return Result(
        trials=len(records),
        wall=wall,
        failed=len(failed),
        oom=sum("out of memory" in (r.error or "").lower() for r in failed),
        devices=dict(Counter(f"{r.framework}:{r.env.get('device', '?')}" for r in records)),
        peak_mib=sampler.peak_mib if sampler else None,
        util=sum(sampler.util) / len(sampler.util) if sampler and sampler.util else None,
    )


def show(label: str, r: Result) -> None:
    gpu = f"peak GPU memory {r.peak_mib} MiB, mean utilisation {r.util or 0:.0f}%" if r.peak_mib else "no GPU"
    print(f"{label:<22} {r.trials} trials in {r.wall:.1f} s = {r.trials / r.wall:.2f} trials/s; {gpu}")
    print(f"{'':<22} failed {r.failed} (out of memory: {r.oom}); devices {r.devices}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", default="full")
    p.add_argument("--gpus-per-trial", type=float, default=0.25)
    p.add_argument("--claim", action="append", help=f"claims to run (default: {', '.join(CLAIMS)})")
    p.add_argument("--seeds", type=int, default=None, help="seeds per condition (default: the profile's)")
    p.add_argument("--no-cpu", action="store_true", help="skip the CPU-only comparison run")
    a = p.parse_args()
    claims = a.claim or CLAIMS
    print(f"claims: {', '.join(claims)} [{a.profile}]; cpus {os.cpu_count()}")
    g = run(claims, a.profile, a.gpus_per_trial, a.seeds)
    show(f"GPU share {a.gpus_per_trial:g}", g)
    if not a.no_cpu:
        c = run(claims, a.profile, 0.0, a.seeds)
        show("CPU only", c)
        print(f"throughput GPU-packed / CPU-only = {c.wall / g.wall:.2f}x")


if __name__ == "__main__":
    main()
