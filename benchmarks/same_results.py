"""Did a code change move any result? Compare trials that differ only in their code fingerprint.

A trial id hashes the code that can change its result, so after a performance change the sweep
reruns every trial under new ids and the store keeps both. This pairs each new ok trial with the
newest ok trial of an older fingerprint for the same (claim, version, framework, factor point, seed
index, profile, execution mode) and compares every metric bit for bit (NaN equals NaN), except
those measured on the clock or the allocator (`MEASURED`: times, memory), which no two runs share.

    python benchmarks/same_results.py [STORE] [--against OTHER_STORE]

Without --against, both sides come from STORE: the trials of the current code (their fingerprint
is what `runners.plan.code_fingerprint` gives now) against those of older code. Prints the
counts, then up to 20 differing trials with their largest difference. Exit status 0 either way
(a report, not a test).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runners.store import Store, TrialRecord, point_json


def key(r: TrialRecord) -> tuple[object, ...]:
    mode = "seedbatch" if r.env.get("mode") == "seedbatch" or "seedbatch_fallback" in r.env else "sequential"
    return (r.claim, r.version, r.framework, point_json(r.factors), r.seed_index, r.profile, mode)


# Measured on the clock or the allocator, not computed: these differ between any two runs.
MEASURED = re.compile(r"^(time|timing|memory|throughput)/|seconds|_s$|_ms$|_mb$")


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("store", nargs="?", default="results/claimbench.db")
    p.add_argument("--against", help="a second store holding the older results")
    a = p.parse_args()
    records = [r for r in Store(a.store, create=False).trials() if r.status == "ok"]
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
