"""Did a code change move any result? Compare trials that differ only in their code fingerprint.

A trial id hashes the code that can change its result, so after a performance change the sweep
reruns every trial under new ids and the store keeps both. This pairs each new ok trial with the
newest ok trial of an older fingerprint for the same (claim, version, framework, factor point, seed
index, profile, execution mode) and compares every metric bit for bit (NaN equals NaN), except
those measured on the clock or the allocator (`MEASURED`: times, memory), which no two runs share.

    python benchmarks/same_results.py [STORE] [--against OTHER_STORE]
    python benchmarks/same_results.py [STORE] --across-modes


Without --against, both sides come from STORE: the trials of the current code (their fingerprint
is what `runners.plan.code_fingerprint` gives now) against those of older code. Prints the
counts, then up to 20 differing trials with their largest difference. Exit status 0 either way
(a report, not a test).

--across-modes pairs each seed-batched trial with the newest sequential trial of the same seed
(any code) instead: the two modes agree only up to rounding, so it prints how far apart they
are, the relative difference |a - b| / max(|a|, |b|) of every computed metric, as quantiles.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runners.store import Store, TrialRecord, execution_mode, point_json


def key(r: TrialRecord) -> tuple[object, ...]:
    mode = execution_mode(r.env)
    return (r.claim, r.version, r.framework, point_json(r.factors), r.seed_index, r.profile, mode)


# Measured on the clock or the allocator, not computed: these differ between any two runs.
MEASURED = re.compile(r"^(time|timing|memory|throughput)/|seconds|_s$|_ms$|_mb$")


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("store", nargs="?", default="results/claimbench.db")
    p.add_argument("--against", help="a second store holding the older results")
    p.add_argument("--across-modes", action="store_true", help="seed-batched vs sequential trials")
    a = p.parse_args()
    records = [r for r in Store(a.store, create=False).trials() if r.status == "ok"]
    if a.across_modes:
        across_modes(records)
        return
    if a.against:
        new, old = records, [r for r in Store(a.against, create=False).trials() if r.status == "ok"]
    else:
        current = _current_code(records)
        new = [r for r in records if r.env.get("code") == current.get(key(r)[:3] + key(r)[-1:])]
        fresh = {r.id for r in new}
        old = [r for r in records if r.id not in fresh]
    before: dict[tuple[object, ...], TrialRecord] = {}
    for r in sorted(old, key=lambda r: r.finished or 0):
        before[key(r)] = r  # the newest older result per key
    counts: Counter[str] = Counter()
    differing = []
    for r in new:
        o = before.get(key(r))
        if o is None:
            counts["no older result"] += 1
        elif o.env.get("code") == r.env.get("code"):
            counts["same code (not a comparison)"] += 1
        else:
            shared = sorted(m for m in set(r.metrics) & set(o.metrics) if not MEASURED.search(m))
            diff = [m for m in shared if not same(r.metrics[m], o.metrics[m])]
            if diff or set(r.metrics) != set(o.metrics):
                counts["differ"] += 1
                worst = max((abs(r.metrics[m] - o.metrics[m]), m) for m in diff) if diff else (0.0, "keys")
                differing.append((r.claim, r.framework, r.factors, r.seed_index, worst))
            else:
                counts["identical"] += 1
    print(f"{len(new)} new ok trials compared with older code's: {dict(counts)}")
    by_claim = Counter(c for c, *_ in differing)
    if by_claim:
        print("claims with differing trials:", dict(by_claim))
    for c, fw, point, seed, (gap, metric) in differing[:20]:
        print(f"  {c} {fw} {point} seed {seed}: {metric} differs by {gap:.3g}")


def across_modes(records: list[TrialRecord]) -> None:
    seq: dict[tuple[object, ...], TrialRecord] = {}
    for r in sorted(records, key=lambda r: r.finished or 0):
        if key(r)[-1] == "sequential":
            seq[key(r)[:-1]] = r
    pairs = [
        (r, seq[key(r)[:-1]]) for r in records if r.env.get("mode") == "seedbatch" and key(r)[:-1] in seq
    ]
    rel: dict[str, list[float]] = {}
    worst: list[tuple[float, str, str]] = []
    for b, o in pairs:
        for m in sorted(set(b.metrics) & set(o.metrics)):
            x, y = b.metrics[m], o.metrics[m]
            if MEASURED.search(m) or not (math.isfinite(x) and math.isfinite(y)):
                continue
            d = 0.0 if x == y else abs(x - y) / max(abs(x), abs(y))
            rel.setdefault(m, []).append(d)
            worst.append((d, b.claim, m))
    print(f"{len(pairs)} seed-batched trials paired with a sequential run of the same seed")
    everything = [d for ds in rel.values() for d in ds]
    if not everything:
        return
    q = np.quantile(everything, [0.5, 0.9, 0.99, 1.0])
    print(
        f"relative difference over {len(everything)} metric values: median {q[0]:.2g}, 90% {q[1]:.2g}, "
        f"99% {q[2]:.2g}, max {q[3]:.2g}; identical {np.mean(np.array(everything) == 0):.1%}"
    )
    for name in ("test/loss", "test/accuracy", "train/loss"):
        if name in rel:
            v = np.array(rel[name])
            print(f"  {name}: median {np.median(v):.2g}, 90% {np.quantile(v, 0.9):.2g}, max {v.max():.2g}")
    by_claim = Counter(c for d, c, _ in worst if d > 1e-3)
    print("claims with a metric more than 0.1% apart:", dict(by_claim.most_common()) or "none")


def _current_code(records: list[TrialRecord]) -> dict[tuple[object, ...], str]:
    """(claim, version, framework, mode) -> the code fingerprint the current checkout gives it."""
    from claims import discover
    from runners.plan import code_fingerprint

    reg = discover(entry_points_too=False)
    out = {}
    for r in records:
        k = key(r)
        cls = reg.claims.get(r.claim)
        if cls is not None and (k[:3] + k[-1:]) not in out:
            out[k[:3] + k[-1:]] = code_fingerprint(cls, r.framework, str(k[-1]))
    return out


if __name__ == "__main__":
    main()
