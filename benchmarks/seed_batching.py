"""Seed-batched vs sequential seeds for the small MLP family, per framework (print, assert nothing).

Target: seed-batched >= 3x faster than the same seeds run one after another with `run_trial`.
One row per stack size: 5 seeds (the quick profile's), 10, and 20 (the full profile's); the
ratio grows with the stack, since what a stack saves is each sequential step's fixed cost while
the arithmetic (batched matmuls at about the rate of one matmul of the same size) stays.
`--family lstm` and `--family ae` time the other stacked families (an LSTM of 32 units reading
digits row by row, T = 8; a dense autoencoder 64-128-64-8 in the autoencode experiment, Adam).

    python benchmarks/seed_batching.py [--seeds 5 10 20] [--epochs 3] [--width 64] [--depth 2] [--repeats 5]
    python benchmarks/seed_batching.py --family lstm

What is counted: both sides run in one process at one thread, after a warm-up that loads the data
pool and builds/traces every engine once (one `run_trial` and one `run_seed_batch` on other
seeds), so neither side pays TF tracing or framework import in the timed part. The process
keeps freed memory for reuse as every sweep worker does (`runners.execute.keep_freed_memory`).
Timed: each side's whole call(s): data split, initial weights, training, per-epoch evaluation,
metrics.
The two sides take turns `--repeats` times and each reports its median, so a slow spell of the
VM (its speed drifts by 30% within a minute) falls on both rather than on one.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from impls.spec import MLP, RNN, Autoencoder, Data, Optimizer, Training, TrialSpec
from runners.execute import keep_freed_memory


def measure(framework: str, spec: TrialSpec, seeds: list[int], repeats: int) -> tuple[float, float, float]:
    """(median sequential s, median batched s, max |difference| over every final metric of every seed)."""
    impl = importlib.import_module(f"impls.{framework}_impl")
    warm = [s + 10_000 for s in seeds]
    impl.run_trial(spec, warm[0])
    impl.run_seed_batch(spec, warm)
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        t0 = time.perf_counter()
        sequential = [impl.run_trial(spec, s) for s in seeds]
        t1 = time.perf_counter()
        batched = impl.run_seed_batch(spec, seeds)
        times[0].append(t1 - t0)
        times[1].append(time.perf_counter() - t1)
    diff = max(
        abs(b["metrics"][k] - s["metrics"][k])
        for s, b in zip(sequential, batched, strict=True)
        for k in s["metrics"]
    )
    return statistics.median(times[0]), statistics.median(times[1]), diff


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[5, 10, 20], help="stack sizes, a row each")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--dtype", default="float32")
    p.add_argument("--repeats", type=int, default=5, help="turns each side takes; each reports its median")
    p.add_argument("--framework", action="append", choices=("torch", "tf"))
    p.add_argument("--family", choices=("mlp", "lstm", "ae"), default="mlp")
    a = p.parse_args()
    if a.repeats < 1:
        p.error(f"--repeats must be at least 1, not {a.repeats}")
    keep_freed_memory()  # as a sweep's workers run (runners.execute.run_group)
    training = Training(epochs=a.epochs, batch_size=32, dtype=a.dtype)
    specs = {
        "mlp": (
            f"digits, MLP depth {a.depth} width {a.width}, SGD",
            TrialSpec(
                data=Data("digits"),
                model=MLP(depth=a.depth, width=a.width),
                optimizer=Optimizer("sgd", lr=0.05),
                training=training,
            ),
        ),
        "lstm": (
            "digits row by row, LSTM 32 units, T = 8, Adam",
            TrialSpec(
                data=Data("seq_digits", params=(("order", "rows"),)),
                model=RNN(cell="lstm", features=8, hidden=32),
                optimizer=Optimizer("adam", lr=0.005),
                training=training,
            ),
        ),
        "ae": (
            "digits, dense autoencoder 64-128-64-8, Adam, autoencode experiment",
            TrialSpec(
                data=Data("digits", unit_range=True, target="input"),
                model=Autoencoder(widths=(128, 64), code=8),
                optimizer=Optimizer("adam", lr=0.002),
                training=training,
                experiment="autoencode",
            ),
        ),
    }
    what, spec = specs[a.family]
    print(f"{what}, {a.epochs} epochs, {a.dtype}, median of {a.repeats} alternating runs")
    print(
        f"{'framework':<10} {'seeds':>5} {'sequential s':>13} {'batched s':>10} {'ratio':>7}  max |metric diff|"
    )
    for fw in a.framework or ["torch", "tf"]:
        for n in a.seeds:
            seq, bat, diff = measure(fw, spec, list(range(1, n + 1)), a.repeats)
            print(f"{fw:<10} {n:>5} {seq:13.2f} {bat:10.2f} {seq / bat:6.1f}x  {diff:.2e}")


if __name__ == "__main__":
    main()
