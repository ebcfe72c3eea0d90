"""What the index and cross-framework pages show, from the per-claim results `reports.build`
collects; the names and orders the pages share (frameworks, profiles, sections, file slugs)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from reports import crossframework, figures
from reports.inference import benjamini_hochberg
from runners.store import TrialRecord

PROFILE_RANK = {"smoke": 0, "quick": 1, "full": 2}
FRAMEWORK_ORDER = ("torch", "tf")
NO_SECTION = "Other claims"
NO_META_SECTION = "Claims without metadata"
ENV_MAX_VALUES = 4
ENV_SUMMARY = ("version", "device", "python", "host")  # the settings named at the top of the index
ENV_ORDER = (
    "framework",
    "version",
    "device",
    "threads",
    "host",
    "python",
    "code",
)  # distinct values shown per environment setting before "(+k more)"


@dataclass
class ClaimResult:
    """What the index needs to know about one claim, plus its verdicts.json entry."""

    name: str
    title: str
    section: str
    profile: str | None
    cells: dict[str, str]
    agree: bool | None
    seeds: dict[str, int] = field(default_factory=dict)
    planned: int | None = None  # seeds per arm the claim asks for under this profile
    failed: int = 0
    diverged: int = 0
    note: str = ""
    evaluated: bool = False
    gaps: list[dict[str, Any]] = field(default_factory=list)  # crossframework.gaps rows
    p_values: list[float] = field(default_factory=list)  # every comparison row's p, for BH


def environment(records: Sequence[TrialRecord]) -> list[dict[str, Any]]:
    """Per framework, each environment setting with its distinct values across the trials."""
    out = []
    for fw in framework_order({r.framework for r in records}):
        values: dict[str, list[str]] = {}
        for r in records:
            if r.framework == fw:
                for k, v in r.env.items():
                    seen = values.setdefault(str(k), [])
                    text = v if isinstance(v, str) else json.dumps(v, sort_keys=True)
                    if text not in seen:
                        seen.append(text)
        keys = [k for k in ENV_ORDER if k in values] + [k for k in values if k not in ENV_ORDER]
        items = [
            (
                k,
                ", ".join(vs[:ENV_MAX_VALUES])
                + (f" (+{len(vs) - ENV_MAX_VALUES} more)" if len(vs) > ENV_MAX_VALUES else ""),
            )
            for k, vs in ((k, values[k]) for k in keys)
        ]
        if items:
            out.append({"framework": fw, "items": items})
    return out


# ---------------------------------------------------------------------------------------------
# The index
# ---------------------------------------------------------------------------------------------
def index_page(
    results: list[ClaimResult], used: list[TrialRecord], frameworks: list[str], generated: str
) -> dict[str, Any]:
    sections: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        cells = {fw: r.cells.get(fw, "n/a") for fw in frameworks}
        sections[r.section].append(
            {
                "name": r.name,
                "title": r.title,
                "note": r.note,
                "cells": cells,
                # what the verdict filter matches: the verdicts shown, "none" for a cell without one
                "filter": " ".join(
                    sorted({v if v in figures.VERDICT_COLOURS else "none" for v in cells.values()})
                ),
                "agree": r.agree,
                "profile": r.profile,
                "seeds": ", ".join(f"{fw} {r.seeds[fw]}" for fw in framework_order(r.seeds))
                + (f" (of {r.planned} planned)" if r.planned and r.seeds else ""),
                "failed": r.failed,
                "diverged": r.diverged,
                "html": f"claims/{slug(r.name)}.html",
                "md": f"claims/{slug(r.name)}.md",
            }
        )
    order = sorted(sections, key=lambda s: (s in (NO_SECTION, NO_META_SECTION), s == NO_META_SECTION, s))
    stamps = [t for r in used if (t := r.finished or r.started)]
    env = environment(used)
    seeds: dict[str, list[int]] = defaultdict(list)
    for r in results:
        for fw, n in r.seeds.items():
            seeds[fw].append(n)
    return {
        "seeds_summary": ", ".join(
            f"{fw} {min(seeds[fw])}" + (f"–{max(seeds[fw])}" if max(seeds[fw]) > min(seeds[fw]) else "")
            for fw in framework_order(seeds)
        ),
        "env_summary": [
            (block["framework"], "; ".join(f"{k} {v}" for k, v in block["items"] if k in ENV_SUMMARY))
            for block in env
        ],
        "filters": [*figures.VERDICT_COLOURS, "none"],
        "generated": generated,
        "profiles": sorted({r.profile for r in used}, key=lambda p: PROFILE_RANK.get(p, -1)),
        "n_trials": len(used),
        "n_claims": len(results),
        "first_trial": utc_date(min(stamps)) if stamps else "",
        "last_trial": utc_date(max(stamps)) if stamps else "",
        "frameworks": frameworks,
        "sections": [{"name": s, "claims": sections[s]} for s in order],
        "disagreements": [c for s in order for c in sections[s] if c["agree"] is False],
        "n_gap_flagged": sum(any(g["flagged"] for g in r.gaps) for r in results),
        "env": env,
        "bh": sweep_bh(results),
    }


def sweep_bh(results: list[ClaimResult], q: float = 0.05) -> str:
    """Benjamini-Hochberg across every comparison of the sweep (both frameworks): how many have a
    BH-adjusted p below q. Holm controls each claim's family-wise error; this bounds the share of
    false discoveries among all the sweep's significant comparisons."""
    p = np.array([x for r in results for x in r.p_values], dtype=float)
    p = p[np.isfinite(p)]
    if not p.size:
        return ""
    adjusted = benjamini_hochberg(p)
    return f"{int((adjusted < q).sum())} of {p.size} comparisons have a Benjamini-Hochberg adjusted p < {q:g}"


def crosscheck_page(results: list[ClaimResult], out: Path, generated: str) -> dict[str, Any]:
    """Effect-size agreement (claims evaluated in both frameworks) and the newest ladder runs."""
    claims = []
    for r in results:
        if not r.gaps:
            continue
        claims.append(
            {
                "name": r.name,
                "title": r.title,
                "html": f"claims/{slug(r.name)}.html",
                "md": f"claims/{slug(r.name)}.md",
                "cells": {fw: r.cells.get(fw, "n/a") for fw in crossframework.PAIR},
                "agree": r.agree is not False,
                "gap_flagged": any(g["flagged"] for g in r.gaps),
                "gaps": r.gaps,
            }
        )
    ladders, notes = crossframework.load_ladders(out)
    return {
        "generated": generated,
        "frameworks": list(crossframework.PAIR),
        "claims": claims,
        "flagged": [c for c in claims if not c["agree"] or c["gap_flagged"]],
        "ladders": ladders,
        "ladder_notes": notes,
    }


def utc_date(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M UTC")


def framework_order(frameworks: Any) -> list[str]:
    present = set(frameworks)
    return [f for f in FRAMEWORK_ORDER if f in present] + sorted(present - set(FRAMEWORK_ORDER))


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip(".") or "claim"
