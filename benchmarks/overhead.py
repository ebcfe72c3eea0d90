"""Where a trial's time goes, and TF vs PyTorch on the same spec (print, assert nothing).

For a few real quick-profile conditions (one per model family), with one long-lived process per
framework at one thread (as a sweep worker is):

    import   importing the framework's impl package (paid once per worker process)
    first    the condition's first trial: the dataset made and cached for the process, weights,
             model build and, in TF, tracing
    trial    the median of the next `--repeats` trials of the same condition (its other seeds, in
             turn): what a long-lived worker pays per trial; first - trial is that one-off cost
    step     the part of `trial` spent inside the training steps (the loop's own timer)
    store    writing one trial's record to a SQLite store (WAL, one transaction per trial)

and the TF / torch ratio of `trial` per condition (target <= 1.5 either way: the faster sets the bar).

The two processes take turns trial by trial (torch, TF, torch, ...), one running while the other
waits, so a slow spell of this shared VM (trial times here drift by 30% and more over a minute)
falls on both frameworks alike rather than on whichever ran during it.

    python benchmarks/overhead.py [--repeats 8] [--claim NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

# one condition per family: MLP, CNN, RNN (LSTM), autoencoder, and an lr-tuned MLP
CLAIMS = [
    "relu-resists-vanishing",
    "mish-vs-relu",
    "cnn-beats-mlp-on-images",
    "lstm-solves-vanishing",
    "deep-ae-beats-pca",
    "adam-best-overall",
]

CHILD = r"""
import importlib, json, sys, tempfile, time
from pathlib import Path
t0 = time.perf_counter()
fw = sys.argv[1]
impl = importlib.import_module({"torch": "impls.torch_impl", "tf": "impls.tf_impl"}[fw])
import_s = time.perf_counter() - t0
from claims import discover
from runners.execute import run_group
from runners.plan import expand
from runners.store import Store
reg = discover(entry_points_too=False)
tmp = tempfile.TemporaryDirectory()
store = Store(Path(tmp.name) / "bench.db")
print(json.dumps({"import_s": import_s}), flush=True)
for line in sys.stdin:  # "claim k": run the condition's k-th trial, print its times
    name, k = line.split()
    mine = [t for t in expand(reg.claims[name], "quick") if t.framework == fw]
    trials = [t for t in mine if t.point == mine[0].point]  # the first condition's seeds
    t = trials[int(k) % len(trials)]
    t1 = time.perf_counter()
    r = run_group([t])[0]
    took = time.perf_counter() - t1
    t2 = time.perf_counter()
    store.put(r)
    put = time.perf_counter() - t2
    step = r.env.get("timings", {}).get("step_s", float("nan"))
    print(json.dumps({"s": took, "step": step, "store": put, "spec": f"{t.point}", "seeds": len(trials)}), flush=True)
store.close()
tmp.cleanup()
"""

FWS = ("torch", "tf")


class Worker:
    """One framework's long-lived process, asked for one trial at a time."""

    def __init__(self, framework: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, framework],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.import_s = float(self._read()["import_s"])

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"overhead: the {self.proc.args[3]} process ended early (see its stderr above)")
        out: dict[str, Any] = json.loads(line)
        return out

    def trial(self, claim: str, k: int) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{claim} {k}\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def measure(workers: dict[str, Worker], claim: str, repeats: int) -> dict[str, dict[str, Any]]:
    """Trial 0 (first) in each framework, then trials 1, 2, ... (other seeds, wrapping round),
    alternating frameworks trial by trial."""
    runs: dict[str, list[dict[str, Any]]] = {fw: [workers[fw].trial(claim, 0)] for fw in FWS}
    seeds = runs["torch"][0]["seeds"]
    for i in range(repeats):
        for fw in FWS if i % 2 == 0 else FWS[::-1]:
            runs[fw].append(workers[fw].trial(claim, 1 + i % max(seeds - 1, 1)))
    out = {}
    for fw, rs in runs.items():
        steady = rs[1:]
        out[fw] = {
            "first": rs[0]["s"],
            "trial": statistics.median(r["s"] for r in steady),
            "step": statistics.median(r["step"] for r in steady),
            "store": statistics.median(r["store"] for r in rs),
            "spread": (min(r["s"] for r in steady), max(r["s"] for r in steady)),
            "spec": rs[0]["spec"],
        }
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=8, help="steady trials timed per condition and framework")
    p.add_argument("--claim", action="append", help="claims whose first condition is timed")
    a = p.parse_args()
    claims = a.claim or CLAIMS
    t0 = time.perf_counter()
    workers = {fw: Worker(fw) for fw in FWS}
    try:
        res = {name: measure(workers, name, a.repeats) for name in claims}
    finally:
        for w in workers.values():
            w.close()
    imports = ", ".join(f"{fw} {w.import_s:.2f} s" for fw, w in workers.items())
    print(f"cpus: {os.cpu_count()}, one thread per trial; framework import: {imports}")
    print(f"trial: median of {a.repeats} steady trials (min-max after it), the frameworks taking turns")
    head = f"{'claim (first condition)':<30} {'fw':<6}{'first s':>8}{'trial s':>8}{'min-max s':>12}{'one-off':>8}{'step %':>7}{'store ms':>9}"
    print(head)
    ratios = []
    for name in claims:
        row = res[name]
        for fw, r in row.items():
            lo, hi = r["spread"]
            print(
                f"{name:<30} {fw:<6}{r['first']:8.2f}{r['trial']:8.2f}{f'{lo:.2f}-{hi:.2f}':>12}"
                f"{r['first'] - r['trial']:8.2f}{100 * r['step'] / r['trial']:6.0f}%{1000 * r['store']:9.1f}"
            )
        ratio = row["tf"]["trial"] / row["torch"]["trial"]
        ratios.append(max(ratio, 1 / ratio))
        print(f"{'':<30} TF/torch trial time = {ratio:.2f}  (target: the slower <= 1.5x the faster)")
    print(
        f"worst TF/torch gap over {len(claims)} conditions: {max(ratios):.2f}x; total {time.perf_counter() - t0:.0f} s"
    )


if __name__ == "__main__":
    main()
