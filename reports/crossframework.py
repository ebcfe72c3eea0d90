"""The cross-framework page's content: effect-size agreement per claim and the regression ladder.

Agreement rows (`gaps`), one per claim comparison and condition, `reports.stats.GAP_COLUMNS`:
    comparison, condition, effect_torch, effect_tf, gap, ci_low, ci_high, flagged
The ladder is read from the JSON files `claimbench crosscheck` writes (`ladder_json`); this module
never runs it (that would import the frameworks).
"""

from __future__ import annotations

import json
import math
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports import stats

PAIR = ("torch", "tf")
LADDER_GLOB = "crosscheck-*.json"


def gaps(
    name: str,
    table: pd.DataFrame,
    factors: list[str],
    expects: list[dict[str, Any]],
    level: float,
    rng_seed: int = 0,
    effects: stats.Effects | None = None,
) -> list[dict[str, Any]]:
    """torch effect - tf effect with its CI at `level` (the claim's), for every comparison.

    The generator is the claim's own stream with a third key, so the verdicts' numbers do not
    depend on whether this runs.
    """
    rng = np.random.default_rng([rng_seed, zlib.crc32(name.encode()), 1])
    parts = [
        stats.framework_gap(table, e, factors, rng, level=level, frameworks=PAIR, effects=effects)
        for e in expects
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return []
    rows: list[dict[str, Any]] = pd.concat(parts, ignore_index=True).to_dict("records")
    for r in rows:
        r["flagged"] = bool(r["flagged"])
    return rows


def ladder_json(rows: list[dict[str, Any]], dtype: str, steps: int, family: str | None) -> str:
    """What `claimbench crosscheck` writes beside its Markdown: the rows plus when and how.

    Non-finite measurements become null (strict JSON); such a row has failed anyway.
    """
    clean = [
        {
            **r,
            "measured": r["measured"] if math.isfinite(r["measured"]) else None,
            "tolerance": r["tolerance"] if math.isfinite(r["tolerance"]) else None,
        }
        for r in rows
    ]
    doc = {
        "dtype": dtype,
        "steps": steps,
        "family": family,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "rows": clean,
    }
    return json.dumps(doc, indent=1, allow_nan=False) + "\n"


def load_ladders(out: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The newest ladder JSON per dtype under `out` (newest file first), and notes on bad files."""
    newest: dict[str, tuple[float, dict[str, Any]]] = {}
    notes = []
    for path in sorted(out.glob(LADDER_GLOB)):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            rows = [r for r in doc["rows"] if isinstance(r, dict)]
            dtype = str(doc.get("dtype") or path.stem.removeprefix("crosscheck-"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            notes.append(f"{path.name} could not be read ({exc}); run `claimbench crosscheck` again.")
            continue
        mtime = path.stat().st_mtime
        if dtype not in newest or mtime > newest[dtype][0]:
            failed = sum(not r.get("passed") for r in rows)
            newest[dtype] = (
                mtime,
                {
                    "file": path.name,
                    "dtype": dtype,
                    "steps": doc.get("steps"),
                    "generated": doc.get("generated") or "",
                    "rows": rows,
                    "passed": len(rows) - failed,
                    "failed": failed,
                },
            )
    return [v for _, v in sorted(newest.values(), key=lambda t: -t[0])], notes
