"""Ray execution benchmarks, measured in one run on this machine (print ratios, assert nothing).

1. 2 workers vs 1 on the same study (target >= 1.8x throughput).
2. The suite (`run_sweep`, Ray, 1 worker) vs a hand-written loop that trains the same trials in
   one process by calling the framework impls directly (target <= 1.10x its wall time).
3. The same hand-written loop in two processes at once, the conditions dealt round-robin (a static
   split with no load balancing): what two plain processes get from the two cores; the suite's
   2-worker time is shown against it too.

    python benchmarks/ray_scaling.py [CLAIM] [--profile quick] [--rounds N]

Both sides pay their own process start-up costs (framework import, TF tracing), as a user would.
Some do not shrink with a second worker: ray.init (~3 s), and a worker's start and first
framework import before its first trial. The driver hands a freed worker a task of the framework
it has imported (runners/backends.py), so while both frameworks have work each of two workers
imports one (torch ~2 s, TF ~3-5 s) instead of both; the line "framework imports" counts them.
The default study is a long one (highway-vs-residual, 80-200 s of trials by the VM's speed); on a
short one the ratios measure start-up (relu-resists-vanishing, 22 s of trials: two plain
processes got 1.22x, the suite 1.08x, in the eleventh session).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from claims import Selector, discover
from runners.plan import Plan, expand
from runners.store import Store
from runners.sweep import run_sweep

HAND_LOOP = """
import importlib, sys, time, pickle
trials = pickle.load(open(sys.argv[1], "rb"))
t0 = time.perf_counter()
for t in trials:
    impl = importlib.import_module({"torch": "impls.torch_impl", "tf": "impls.tf_impl"}[t.framework])
    impl.run_trial(t.spec, t.seed, threads=1)
print(time.perf_counter() - t0)
"""


def sweep_time(claim: str, profile: str, workers: int) -> tuple[float, int]:
    """Wall seconds of the sweep, and how many (worker, framework) pairs ran trials: each is one
    framework import (and its own TF tracing) in one worker."""
    reg = discover(entry_points_too=False)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "s.db")
        t0 = time.perf_counter()
        run_sweep(
            [(reg.claims[claim], Selector(claim))],
            reg.origins,
            store,
            profile=profile,
            frameworks=None,
            backend="ray",
            workers=workers,
        )
        took = time.perf_counter() - t0
        return took, len({(r.env["pid"], r.framework) for r in store.trials()})


def hand_loop_time(claim: str, profile: str, procs: int = 1) -> float:
    """The trials trained by the hand-written loop in `procs` processes at once (the conditions
    dealt round-robin, no load balancing), wall seconds until the last one ends."""
    import pickle
    import subprocess

    reg = discover(entry_points_too=False)
    trials = expand(reg.claims[claim], profile)
    plan = Plan()
    plan.todo = trials
    groups = plan.groups()
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for k in range(procs):
            path = Path(tmp) / f"trials{k}.pkl"
            path.write_bytes(pickle.dumps([t for g in groups[k::procs] for t in g]))
            paths.append(path)
        t0 = time.perf_counter()
        running = [
            subprocess.Popen(
                [sys.executable, "-c", HAND_LOOP, str(path)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=Path(__file__).resolve().parent.parent,
            )
            for path in paths
        ]
        if any(p.wait() != 0 for p in running):
            raise RuntimeError("the hand-written loop failed")
        return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("claim", nargs="?", default="highway-vs-residual")
    p.add_argument("--profile", default="quick")
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat the four runs in turn; median times and median per-round ratios printed",
    )
    a = p.parse_args()
    # the VM drifts by ~10% within minutes: with --rounds, each round runs all four in turn, so a
    # slow spell falls on every arm of that round, and the ratios are read per round
    runs: dict[str, list[float]] = {"hand": [], "hand2": [], "one": [], "two": []}
    imports: dict[str, list[int]] = {"one": [], "two": []}
    for _ in range(a.rounds):
        runs["hand"].append(hand_loop_time(a.claim, a.profile))
        runs["hand2"].append(hand_loop_time(a.claim, a.profile, procs=2))
        for key, workers in (("one", 1), ("two", 2)):
            took, pairs = sweep_time(a.claim, a.profile, workers)
            runs[key].append(took)
            imports[key].append(pairs)
    hand, hand2, one, two = (statistics.median(runs[k]) for k in ("hand", "hand2", "one", "two"))

    def ratio(x: str, y: str) -> float:  # median over rounds of x / y within a round
        return statistics.median(u / v for u, v in zip(runs[x], runs[y], strict=True))

    rounds = (
        f"; times are medians of {a.rounds} rounds, ratios medians of per-round ratios"
        if a.rounds > 1
        else ""
    )
    print(f"study: {a.claim} [{a.profile}], cpus on this machine: {os.cpu_count()}{rounds}")
    print(f"hand-written loop (1 process):  {hand:7.1f} s")
    print(
        f"suite, Ray, 1 worker:           {one:7.1f} s   suite/loop = {ratio('one', 'hand'):.2f}  (target <= 1.10)"
    )
    print(
        f"hand-written loop, 2 processes: {hand2:7.1f} s   speed-up = {ratio('hand', 'hand2'):.2f}  "
        "(conditions dealt round-robin, no load balancing)"
    )
    print(
        f"suite, Ray, 2 workers:          {two:7.1f} s   speed-up 2 vs 1 = {ratio('one', 'two'):.2f}  (target >= 1.8)"
        f"   suite(2)/loop = {ratio('two', 'hand'):.2f}  (target <= 0.6)"
        f"   suite(2)/loop(2) = {ratio('two', 'hand2'):.2f}"
    )
    print(
        f"framework imports (worker, framework pairs that ran trials): 1 worker {imports['one']}, "
        f"2 workers {imports['two']}"
    )
    if a.rounds > 1:
        for i in range(a.rounds):
            h, o, t = runs["hand"][i], runs["one"][i], runs["two"][i]
            print(
                f"round {i + 1}: loop {h:.1f} s, 1 worker {o:.1f} s, 2 workers {t:.1f} s: "
                f"suite/loop {o / h:.2f}, 2 vs 1 {o / t:.2f}, suite(2)/loop {t / h:.2f}"
            )


if __name__ == "__main__":
    main()
