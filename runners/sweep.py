"""One sweep: plan every chosen claim, skip stored trials, run the rest, store each as it lands."""

from __future__ import annotations

import math
import sys
import time
from typing import Any

from claims import Claim, Selector
from runners.backends import make_backend
from runners.plan import Plan, Trial, claim_meta, expand
from runners.store import Store, TrialRecord


class Progress:
    """A one-line bar on a terminal; a plain line every 10% (or 30 s) otherwise. To stderr."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.failed, self.t0 = total, 0, 0, time.time()
        self.tty = sys.stderr.isatty()
        self.last_line = 0.0
        self.per_claim: dict[str, int] = {}

    def update(self, r: TrialRecord) -> None:
        self.done += 1
        self.failed += r.status == "failed"
        self.per_claim[r.claim] = self.per_claim.get(r.claim, 0) + 1
        elapsed = time.time() - self.t0
        eta = elapsed / self.done * (self.total - self.done)
        line = (
            f"[{self.done}/{self.total}] failed {self.failed}  elapsed {elapsed:5.0f}s  eta {eta:5.0f}s  "
            f"last {r.claim}/{r.framework}"
        )
        if self.tty:
            width = 24
            fill = int(width * self.done / max(self.total, 1))
            sys.stderr.write("\r" + "#" * fill + "." * (width - fill) + " " + line[:100].ljust(100))
            if self.done == self.total:
                sys.stderr.write("\n")
        elif (
            self.done == self.total
            or time.time() - self.last_line > 30
            or self.done % max(1, self.total // 10) == 0
        ):
            print(line, file=sys.stderr)
            self.last_line = time.time()
        sys.stderr.flush()


def _finish(record: TrialRecord, cls: type[Claim]) -> TrialRecord:
    """Add the claim's derived metrics (pure Python) to a successful record."""
    if record.status == "ok":
        try:
            derived = cls().derive(dict(record.metrics))
            record.metrics.update({k: float(v) for k, v in derived.items()})
        except Exception as exc:
            record.status, record.error = "failed", f"{cls.name}.derive raised {type(exc).__name__}: {exc}"
        if any(not math.isfinite(v) for k, v in record.metrics.items() if k in cls.metrics):
            record.status, record.error = "diverged", "a recorded metric is not finite"
    return record


def run_sweep(
    chosen: list[tuple[type[Claim], Selector]],
    origins: dict[str, str],
    store: Store,
    *,
    profile: str,
    frameworks: list[str] | None,
    backend: str,
    force: bool = False,
    address: str | None = None,
    cpus: float | None = None,
    gpus: float | None = None,
    max_retries: int = 2,
    workers: int | None = None,
    seeds: dict[str, int] | None = None,
    looks: dict[str, int] | None = None,
    seed_batch: bool = False,
) -> str:
    """`seeds` and `looks` (per claim) come from `--until-decided` (see runners/adaptive.py).
    `seed_batch`: trials of the "seedbatch" mode (their own ids), each condition's seeds trained
    as one stacked model where the spec allows (see impls/seedbatch.py)."""
    classes = {cls.name: cls for cls, _ in chosen}
    trials: list[Trial] = []
    for cls, sel in chosen:
        meta = claim_meta(cls, origins.get(cls.name, ""), profile, (looks or {}).get(cls.name, 1))
        store.put_claim(cls.name, cls.version, meta)
        mode = "seedbatch" if seed_batch else "sequential"
        trials += expand(cls, profile, frameworks, sel, cpus, gpus, (seeds or {}).get(cls.name), mode)
    trials = list({t.id: t for t in trials}.values())  # a claim named twice runs once
    plan = Plan()
    done = set() if force else store.done_ids(t.id for t in trials)
    plan.todo = [t for t in trials if t.id not in done]
    plan.stored = len(trials) - len(plan.todo)
    if not plan.todo:
        return f"nothing to run: all {len(trials)} trials are stored (use --force to rerun)"
    print(
        f"running {len(plan.todo)} trials ({plan.stored} already stored) on backend {backend}",
        file=sys.stderr,
    )
    progress = Progress(len(plan.todo))
    counts: dict[str, int] = {"ok": 0, "failed": 0, "diverged": 0}
    t0 = time.time()

    def on_record(r: TrialRecord) -> None:
        r = _finish(r, classes[r.claim])
        store.put(r)
        counts[r.status] += 1
        progress.update(r)

    kwargs: dict[str, Any] = {}
    if backend == "ray":
        kwargs = dict(address=address, max_retries=max_retries, num_cpus=workers)
    make_backend(backend, **kwargs).run(plan.longest_first(store.wall_times(profile)), on_record)
    return (
        f"done in {time.time() - t0:.1f} s: {counts['ok']} ok, {counts['diverged']} diverged, "
        f"{counts['failed']} failed, {plan.stored} were already stored"
    )
