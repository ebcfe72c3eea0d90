"""Where a trial's time goes, and TF vs PyTorch on the same spec (print, assert nothing).

For a few real quick-profile conditions (one per model family), in one fresh process per
framework, at one thread:

    import   importing the framework's impl package (paid once per worker process)
    first    the condition's first trial: the dataset made and cached for the process, weights,
             model build and, in TF, tracing
    trial    the mean of the next trials of the same condition (other seeds): what a long-lived
             worker pays per trial; first - trial is that one-off cost
    step     the part of `trial` spent inside the training steps (the loop's own timer)
    store    writing one trial's record to a SQLite store (WAL, one transaction per trial)

and the TF / torch ratio of `trial` per condition (target <= 1.5 either way: the faster sets the bar).

    python benchmarks/overhead.py [--seeds 3] [--claim NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
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
fw, claims, n = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
impl = importlib.import_module({"torch": "impls.torch_impl", "tf": "impls.tf_impl"}[fw])
import_s = time.perf_counter() - t0
from claims import discover
from runners.execute import run_group
from runners.plan import expand
from runners.store import Store
reg = discover(entry_points_too=False)
tmp = tempfile.TemporaryDirectory()
store = Store(Path(tmp.name) / "bench.db")
out = {"import_s": import_s, "claims": {}}
for name in claims:
    trials = [t for t in expand(reg.claims[name], "quick") if t.framework == fw][: n + 1]
    times, steps, puts = [], [], []
    for t in trials:
        t1 = time.perf_counter()
        r = run_group([t])[0]
        times.append(time.perf_counter() - t1)
        steps.append(r.env.get("timings", {}).get("step_s", float("nan")))
        t2 = time.perf_counter()
        store.put(r)
        puts.append(time.perf_counter() - t2)
    out["claims"][name] = {
        "first": times[0],
        "trial": sum(times[1:]) / len(times[1:]),
        "step": sum(steps[1:]) / len(steps[1:]),
        "store": sum(puts) / len(puts),
        "spec": f"{trials[0].point}",
    }
store.close()
tmp.cleanup()
print(json.dumps(out))
"""


def measure(framework: str, claims: list[str], seeds: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, framework, ",".join(claims), str(seeds)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3, help="trials timed per condition after the first")
    p.add_argument("--claim", action="append", help="claims whose first condition is timed")
    a = p.parse_args()
    claims = a.claim or CLAIMS
    t0 = time.perf_counter()
    res = {fw: measure(fw, claims, a.seeds) for fw in ("torch", "tf")}
    imports = ", ".join(f"{fw} {res[fw]['import_s']:.2f} s" for fw in res)
    print(f"cpus: {os.cpu_count()}, one thread per trial; framework import: {imports}")
    head = f"{'claim (first condition)':<30} {'fw':<6}{'first s':>8}{'trial s':>8}{'one-off':>12}{'step %':>7}{'store ms':>9}"
    print(head)
    ratios = []
    for name in claims:
        row = {fw: res[fw]["claims"][name] for fw in ("torch", "tf")}
        for fw, r in row.items():
            print(
                f"{name:<30} {fw:<6}{r['first']:8.2f}{r['trial']:8.2f}{r['first'] - r['trial']:12.2f}"
                f"{100 * r['step'] / r['trial']:6.0f}%{1000 * r['store']:9.1f}"
            )
        ratio = row["tf"]["trial"] / row["torch"]["trial"]
        ratios.append(max(ratio, 1 / ratio))
        print(f"{'':<30} TF/torch trial time = {ratio:.2f}  (target: the slower <= 1.5x the faster)")
    print(
        f"worst TF/torch gap over {len(claims)} conditions: {max(ratios):.2f}x; total {time.perf_counter() - t0:.0f} s"
    )


if __name__ == "__main__":
    main()
