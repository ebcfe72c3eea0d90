"""`claimbench run --until-decided`: add seeds in rounds to the claims still undecided.

Each round doubles a claim's seeds (n0, 2 n0, 4 n0, ... up to --max-seeds) while any of its
comparisons is inconclusive. Looking at the data after every round and stopping when it decides
is optional stopping, which inflates a fixed-level test's error rate. The cure used here is the
simplest valid one: the number of possible looks K = 1 + ceil(log2(max_seeds / n0)) is fixed
before any data is seen, and every look is charged alpha / K (Bonferroni over looks; a crude
alpha-spending rule). The claim's stored metadata records K, so the report evaluates every look
at that level. It is conservative — an anytime-valid confidence sequence would lose less power —
but it needs nothing beyond the CIs the engine already computes, and the simulation in
tests/reports/test_adaptive.py checks its false-'supported' rate.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from claims import Claim, Selector
from runners.store import Store
from runners.sweep import run_sweep


def planned_looks(n0: int, max_seeds: int) -> int:
    return 1 + max(0, math.ceil(math.log2(max_seeds / n0))) if max_seeds > n0 else 1


def next_seeds(n: int, max_seeds: int) -> int:
    return min(max_seeds, 2 * n)


def run_until_decided(
    chosen: list[tuple[type[Claim], Selector]],
    origins: dict[str, str],
    store: Store,
    *,
    profile: str,
    max_seeds: int,
    **kwargs: Any,
) -> str:
    from reports.build import claim_rows

    n = {cls.name: cls.seeds[profile] for cls, _ in chosen}
    looks = {name: planned_looks(n0, max_seeds) for name, n0 in n.items()}
    active = list(chosen)
    lines = []
    while active:
        lines.append(run_sweep(active, origins, store, profile=profile, seeds=n, looks=looks, **kwargs))
        still = []
        for cls, sel in active:
            rows = claim_rows(store, cls.name, profile)
            undecided = int((rows["verdict"] == "inconclusive").sum()) if len(rows) else 0
            if undecided and n[cls.name] < max_seeds:
                n[cls.name] = next_seeds(n[cls.name], max_seeds)
                print(
                    f"{cls.name}: {undecided} comparisons undecided; going to {n[cls.name]} seeds",
                    file=sys.stderr,
                )
                still.append((cls, sel))
        active = still
    return "\n".join(lines) + "\nseeds per claim: " + ", ".join(f"{k}={v}" for k, v in sorted(n.items()))
