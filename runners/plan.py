"""Plan a sweep: expand claims into trials, fingerprint the code, skip what is stored."""

from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from claims import Claim, Expect, Selector, points, trial_id, trial_seed
from impls.seedbatch import reason_not_batchable  # framework-free
from impls.spec import MLP, TrialSpec
from runners.store import point_json

IMPLS = Path(__file__).resolve().parent.parent / "impls"


@dataclass(frozen=True)
class Trial:
    """Everything a worker needs; picklable, framework-free."""

    id: str
    claim: str
    version: int
    framework: str
    point: dict[str, Any]
    seed_index: int
    seed: int
    profile: str
    spec: TrialSpec
    code: str
    cpus: float = 1.0
    gpus: float = 0.0
    mode: str = "sequential"  # or "seedbatch": a group's seeds train as one stacked model


@dataclass
class Plan:
    todo: list[Trial] = field(default_factory=list)
    stored: int = 0

    def groups(self) -> list[list[Trial]]:
        """Trials of one condition (claim, framework, factor point) travel together, so a worker
        builds/traces the model once and reuses it across seeds."""
        out: dict[tuple[str, str, str, str], list[Trial]] = {}
        for t in self.todo:
            out.setdefault((t.claim, t.framework, repr(sorted(t.point.items())), t.mode), []).append(t)
        return list(out.values())

    def longest_first(self, seconds: dict[tuple[str, str, str], float]) -> list[list[Trial]]:
        """`groups()`, the costliest first (longest-processing-time order): with several workers a
        long condition started last would leave the others idle at the end of a sweep. A group's
        cost is its seeds times the stored median seconds of its condition (`Store.wall_times`);
        conditions never run before count as the median condition. Results do not depend on the
        order (each trial has its own seed; ids are unchanged)."""
        groups = self.groups()
        known = sorted(seconds.values())
        typical = known[len(known) // 2] if known else 1.0
        # Conditions never run: the median condition, scaled within their claim by model size
        # (`size_hint`), so a cold sweep of one claim still starts its deep nets first.
        hints: dict[str, list[float]] = {}
        for g in groups:
            hints.setdefault(g[0].claim, []).append(size_hint(g[0].spec))

        def cost(g: list[Trial]) -> float:
            t = g[0]
            stored = seconds.get((t.claim, t.framework, point_json(t.point)))
            if stored is not None:
                return len(g) * stored
            claim = sorted(hints[t.claim])
            return len(g) * typical * size_hint(t.spec) / claim[len(claim) // 2]

        return sorted(groups, key=cost, reverse=True)  # stable: ties keep the claims' order


def size_hint(spec: TrialSpec) -> float:
    """A rough relative cost of training `spec`: weights x epochs (x the lr-tuning runs) for MLPs,
    1 for anything else. Only compared within one claim; never part of a result."""
    m, t = spec.model, spec.training
    if not isinstance(m, MLP):
        return 1.0
    # hidden-to-hidden weights (twice that with highway gates) plus a first layer of 64 inputs,
    # a stand-in for the data's width, which the conditions of one claim share
    weights = m.width * m.width * max(m.depth - 1, 0) * (2 if m.highway else 1) + m.width * 64
    return float(weights * max(t.epochs, 1) * (1 + len(t.tuning.lrs) if t.tuning else 1))


@cache
def _digest_files(paths: tuple[Path, ...]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def code_fingerprint(cls: type[Claim], framework: str, mode: str = "sequential") -> str:
    """Hash of the code that can change a trial's result: the claim's file, the shared impls
    and the framework's package. The seed-batch files (seedbatch*.py) can change only seed-batched
    results."""

    def used(p: Path) -> bool:
        return mode == "seedbatch" or not p.name.startswith("seedbatch")

    shared = tuple(sorted(p for p in IMPLS.glob("*.py") if used(p)))  # spec, data, init, loop, ...
    fw = tuple(sorted(p for p in (IMPLS / f"{framework}_impl").rglob("*.py") if used(p)))
    try:
        src = inspect.getsource(inspect.getmodule(cls) or cls)
    except (OSError, TypeError):
        src = cls.__qualname__
    return hashlib.sha256((src + _digest_files(shared) + _digest_files(fw)).encode()).hexdigest()[:16]


def expand(
    cls: type[Claim],
    profile: str,
    frameworks: list[str] | None = None,
    selector: Selector | None = None,
    cpus: float | None = None,
    gpus: float | None = None,
    n_seeds: int | None = None,
    mode: str = "sequential",
) -> list[Trial]:
    """Every trial of a claim under a profile; `n_seeds` overrides the profile's seed count (the
    first seeds keep their ids, so added seeds extend what is stored). `mode` "seedbatch" asks for
    seed-batched training: conditions whose spec can be stacked (`impls.seedbatch`) get trials of
    their own ids that `runners.execute.run_group` trains seed-batched; the others stay
    sequential trials, ids and all, so they are neither run nor stored twice."""
    claim = cls()
    out = []
    for fw in cls.frameworks:
        if frameworks and fw not in frameworks:
            continue
        codes = {m: code_fingerprint(cls, fw, m) for m in {mode, "sequential"}}
        for point in points(cls):
            if selector and not selector.matches(point):
                continue
            spec = claim.spec(dict(point), profile)
            how = "seedbatch" if mode == "seedbatch" and reason_not_batchable(spec) is None else "sequential"
            code = codes[how]
            for i in range(n_seeds or cls.seeds[profile]):
                out.append(
                    Trial(
                        id=trial_id(cls.name, cls.version, fw, point, i, profile, code, how),
                        claim=cls.name,
                        version=cls.version,
                        framework=fw,
                        point=point,
                        seed_index=i,
                        seed=trial_seed(cls, point, i),
                        profile=profile,
                        spec=spec,
                        code=code,
                        cpus=cpus if cpus is not None else float(cls.resources.get("cpus", 1)),
                        gpus=gpus if gpus is not None else float(cls.resources.get("gpus", 0)),
                        mode=how,
                    )
                )
    return out


def claim_meta(cls: type[Claim], origin: str, profile: str, looks: int = 1) -> dict[str, Any]:
    """What the report needs to know about a claim, stored beside its trials."""

    def expect(e: Expect) -> dict[str, Any]:
        return {
            "metric": e.metric,
            "treatment": e.treatment,
            "control": e.control,
            "direction": e.direction,
            "min_effect": e.min_effect,
            "relative": e.relative,
            "reference": e.reference,
            "where": e.where,
            "paired": e.paired,
            "label": e.label,
            "across": list(e.across) if e.across else None,
            "description": e.describe(),
        }

    return {
        "name": cls.name,
        "version": cls.version,
        "title": cls.title,
        "section": cls.section,
        "source": cls.source,
        "literature": cls.literature,
        "literature_effect": cls.literature_effect,
        "operationalisation": cls.operationalisation,
        "factors": cls.factors,
        "fixed": cls.fixed,
        "seeds": cls.seeds,
        "frameworks": list(cls.frameworks),
        "metrics": cls.metrics,
        "expect": [expect(e) for e in cls.expect],
        "figures": [list(f) for f in cls.figures],
        "origin": origin,
        "command": f"claimbench run {cls.name} --profile {profile}",
        "looks": looks,  # > 1 after --until-decided: the statistics charge alpha / looks per look
    }
