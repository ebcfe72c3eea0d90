"""Stored trials as tidy pandas tables: what `reports.stats` and the figures read, and what
`claimbench export` writes.

Long table (`long_table`), one row per trial x metric:
    claim, framework, seed_index, metric, value, status, f:<factor> (one column per factor)
A failed or diverged trial still has one row per metric of its claim, with `value` NaN, so the
statistics can count it.

Curves table (`curves_table`), one row per recorded curve point of a successful trial:
    claim, framework, seed_index, f:<factor>..., curve, step, value
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from runners.store import Store, TrialRecord

LONG_COLUMNS = ["claim", "framework", "seed_index", "metric", "value", "status"]
CURVE_COLUMNS = ["claim", "framework", "seed_index", "curve", "step", "value"]
FACTOR_PREFIX = "f:"


def cell(value: Any) -> Any:
    """A factor value as a table cell: JSON scalars as they are; lists and dicts as canonical JSON
    text, so that cells can be grouped and compared with `==` (the stats match points that way)."""
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return value


def _factor_names(records: Sequence[TrialRecord]) -> list[str]:
    names: dict[str, None] = {}  # ordered set: first-seen order = the claim's declaration order
    for r in records:
        names.update(dict.fromkeys(r.factors))
    return list(names)


def _finished(r: TrialRecord) -> float:
    return r.finished or r.started or 0.0


def latest(records: Iterable[TrialRecord]) -> list[TrialRecord]:
    """One record per (claim, version, framework, factor point, seed index, profile): the newest.

    Trial ids include a code fingerprint, so a store can hold the same seed twice from two code
    versions; the newest run is what the current code produced.
    """
    best: dict[tuple[Any, ...], TrialRecord] = {}
    for r in records:
        key = (r.claim, r.version, r.framework, cell(r.factors), r.seed_index, r.profile)
        if key not in best or _finished(r) >= _finished(best[key]):
            best[key] = r
    return sorted(best.values(), key=lambda r: (r.claim, r.framework, r.seed_index, r.id))


def long_table(
    records: Sequence[TrialRecord],
    metrics: Mapping[str, Sequence[str]] | None = None,
    *,
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """The long format above.

    metrics: claim -> the metric names a failed/diverged trial of that claim gets NaN rows for
      (the claim meta's `metrics`); by default, every metric any trial of that claim recorded.
    keep: extra TrialRecord attributes to add as columns (e.g. "profile", "version", "id").
    """
    factors = _factor_names(records)
    claim_metrics: dict[str, list[str]] = {}
    for r in records:
        seen = claim_metrics.setdefault(r.claim, list((metrics or {}).get(r.claim, ())))
        seen.extend(m for m in r.metrics if m not in seen)
    rows: list[dict[str, Any]] = []
    for r in records:
        base = {"claim": r.claim, "framework": r.framework, "seed_index": r.seed_index, "status": r.status}
        base.update({k: getattr(r, k) for k in keep})
        base.update({FACTOR_PREFIX + f: cell(r.factors.get(f)) for f in factors})
        if r.status == "ok":
            values = {m: float(v) for m, v in r.metrics.items()}
        else:  # a failed or diverged trial counts, but its numbers are not evidence
            values = dict.fromkeys(claim_metrics[r.claim], float("nan"))
        rows.extend({**base, "metric": m, "value": v} for m, v in values.items())
    columns = [*LONG_COLUMNS, *keep, *(FACTOR_PREFIX + f for f in factors)]
    df = pd.DataFrame(rows, columns=columns)
    df["value"] = df["value"].astype(float)
    return _plain_strings(df)


def curves_table(records: Sequence[TrialRecord]) -> pd.DataFrame:
    """Every recorded curve point of the successful trials, in the curves format above."""
    factors = _factor_names(records)
    cols: dict[str, list[Any]] = {c: [] for c in CURVE_COLUMNS}
    cols.update({FACTOR_PREFIX + f: [] for f in factors})
    for r in records:
        if r.status != "ok":
            continue
        for name, points in r.curves.items():
            n = len(points)
            cols["claim"] += [r.claim] * n
            cols["framework"] += [r.framework] * n
            cols["seed_index"] += [r.seed_index] * n
            cols["curve"] += [name] * n
            cols["step"] += [p[0] for p in points]
            cols["value"] += [float("nan") if p[1] is None else p[1] for p in points]
            for f in factors:
                cols[FACTOR_PREFIX + f] += [cell(r.factors.get(f))] * n
    order = [
        "claim",
        "framework",
        "seed_index",
        *(FACTOR_PREFIX + f for f in factors),
        "curve",
        "step",
        "value",
    ]
    df = pd.DataFrame(cols, columns=order)
    df["value"] = df["value"].astype(float)
    return _plain_strings(df)


def _plain_strings(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects, not pandas' Arrow-backed strings: the statistics filter
    small tables thousands of times per report, and each Arrow comparison pays a fixed dispatch
    cost (about a third of the statistics' time). Values and comparisons are the same."""
    for c in df.columns:
        if pd.api.types.is_string_dtype(df[c].dtype) and df[c].dtype != object:
            df[c] = df[c].astype(object)
    return df


def export(store: Store, path: str | Path) -> Path:
    """Write every stored trial as the long table plus `profile`, `version` and `id` columns.

    `.csv` (optionally `.csv.gz`) or `.parquet`, chosen by the file's extension.
    """
    path = Path(path)
    meta = store.claim_meta()
    metrics = {name: list(m.get("metrics", [])) for name, m in meta.items()}
    df = long_table(store.trials(), metrics, keep=("profile", "version", "id"))
    suffixes = "".join(path.suffixes[-2:]).lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".parquet":
        # Factor columns mix types across claims (ints, strings, bools): store them as text.
        for c in df.columns:
            if c.startswith(FACTOR_PREFIX):
                df[c] = df[c].map(lambda v: None if v is None else str(v))
        df.to_parquet(path, index=False)
    elif path.suffix.lower() == ".csv" or suffixes == ".csv.gz":
        df.to_csv(path, index=False)
    else:
        raise ValueError(f"cannot export to {path.name}: use a .csv, .csv.gz or .parquet file name")
    return path
