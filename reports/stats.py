"""Effects, confidence intervals, tests and verdicts over long-format trial tables.

Pure functions: no I/O, no plotting, and every random draw comes from an explicit
`numpy.random.Generator` argument, so a fixed generator seed gives identical numbers.

Input table (long format, one row per trial and metric)
-------------------------------------------------------
``claim``        str    claim name
``framework``    str    ``"torch"`` or ``"tf"`` (any string works; rows are grouped by it)
``seed_index``   int    seed index of the trial; the arms of a comparison are paired on it
``metric``       str    metric name
``value``        float  metric value (non-finite values are treated like failed trials)
``status``       str    ``ok`` | ``failed`` | ``diverged``
``f:<factor>``   any    one column per factor, holding the JSON scalar of the factor point

Expectations are plain dicts (the JSON stored with a claim; a dataclass such as
``claims.Expect`` is accepted too) with keys ``metric``, ``treatment`` (factor -> value),
``control`` (factor -> value, or None to compare with the constant ``reference``), ``direction``
(``greater`` | ``less`` | ``equivalent``), ``min_effect`` (>= 0; the margin for ``equivalent``),
``relative`` (effect per seed pair is (t - c) / |c|, or (t - reference) / |reference|),
``reference``, ``where`` (factor -> allowed values; restricts the conditions), ``paired`` and
``label``. Missing optional keys take the defaults of ``claims.Expect``.

Comparison rows (``compare`` and ``evaluate``)
----------------------------------------------
``framework``      framework the row is about
``comparison``     the expectation's label, or "metric: t vs c (direction)" (as ``Expect.describe``)
``metric``         compared metric
``condition``      "depth=10, activation=tanh" (factors named in neither arm), or "all"
``direction``      greater | less | equivalent
``min_effect``     smallest effect that matters (margin for equivalence)
``n``              seeds used: seeds where both arms are ok with a finite value (paired, or
                   against a reference); for an unpaired comparison the smaller arm's count
``mean_treatment`` mean of the treatment arm over the seeds used
``mean_control``   mean of the control arm over the seeds used (the reference when control is None)
``effect``         mean paired difference t - c (relative: mean of (t - c) / |c|); unpaired:
                   difference of the arm means (relative: divided by |control mean|)
``ci_low``/``ci_high``  bootstrap confidence interval of ``effect`` (see ``bootstrap_ci``)
``p``              two-sided p-value: paired t-test of the differences (one-sample t against 0),
                   or Welch's t-test of the raw arm values when unpaired
``p_holm``         Holm-adjusted p within the framework (``evaluate``; ``compare`` leaves nan)
``verdict``        supported | refuted | inconclusive (see ``decide``)
``seeds_needed``   int or None: rough total seeds per arm likely to decide it (``seeds_needed``)
``n_failed``       trials of either arm (rows of the compared metric) whose status is not ``ok``
                   or whose value is not finite; diverged trials are counted here and excluded
                   from the effect (so an effect is conditional on the trial not diverging)

Confidence intervals, tests and the verdict rule are in `reports.inference`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from reports.inference import (
    MAX_SEEDS,
    benjamini_hochberg,
    bootstrap_ci,
    check_direction,
    decide,
    holm,
    linear_ci,
    paired_test,
    seeds_for,
    seeds_needed,
    welch_test,
)

__all__ = [
    "COLUMNS",
    "GAP_COLUMNS",
    "MAX_SEEDS",
    "benjamini_hochberg",
    "bootstrap_ci",
    "claim_verdict",
    "compare",
    "condition_label",
    "conditions",
    "conditions_summary",
    "decide",
    "evaluate",
    "framework_gap",
    "frameworks_agree",
    "holm",
    "paired_test",
    "seeds_needed",
    "welch_test",
]

COLUMNS = [
    "framework",
    "comparison",
    "metric",
    "condition",
    "direction",
    "min_effect",
    "n",
    "mean_treatment",
    "mean_control",
    "effect",
    "ci_low",
    "ci_high",
    "p",
    "p_holm",
    "verdict",
    "seeds_needed",
    "n_failed",
]
GAP_COLUMNS = ["comparison", "condition", "effect_torch", "effect_tf", "gap", "ci_low", "ci_high", "flagged"]

# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------
_DEFAULTS: dict[str, Any] = {
    "control": None,
    "direction": "greater",
    "min_effect": 0.0,
    "relative": False,
    "reference": 0.0,
    "where": {},
    "paired": True,
    "label": "",
    "across": None,
}


def _expect(expect: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(expect) and not isinstance(expect, type):
        expect = dataclasses.asdict(expect)
    if not isinstance(expect, dict):
        raise TypeError(f"an expectation is a dict, got {type(expect).__name__}")
    missing = [k for k in ("metric", "treatment") if k not in expect]
    if missing:
        raise ValueError(f"expectation lacks {missing}: {expect!r}")
    out = {**_DEFAULTS, **expect}
    out["where"] = dict(out["where"] or {})
    out["min_effect"] = float(out["min_effect"])
    out["reference"] = float(out["reference"])
    check_direction(out["direction"], out["min_effect"])
    if out["control"] is None and out["relative"] and out["reference"] == 0:
        raise ValueError("a relative effect against reference 0 is undefined")
    return out


def _fmt_point(point: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in point.items()) or "all"


def _describe(e: dict[str, Any]) -> str:
    if e["label"]:
        return str(e["label"])
    control = _fmt_point(e["control"]) if e["control"] is not None else f"{e['reference']:g}"
    text = f"{e['metric']}: {_fmt_point(e['treatment'])} vs {control}"
    if e.get("across"):
        f, hi, lo = e["across"]
        text += f", effect at {f}={hi} minus at {f}={lo}"
    return f"{text} ({e['direction']})"


def condition_label(condition: dict[str, Any]) -> str:
    """ "depth=10, activation=tanh" for a condition dict; "all" for the empty one."""
    return ", ".join(f"{k}={v}" for k, v in condition.items()) or "all"


def _col(factor: str) -> str:
    return factor if factor.startswith("f:") else f"f:{factor}"


def _name(factor: str) -> str:
    return factor[2:] if factor.startswith("f:") else factor


def _scalar(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _is_nan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _match(series: pd.Series, value: Any) -> pd.Series:
    if value is None or _is_nan(value):
        return series.isna()
    return series == value


def _match_any(series: pd.Series, values: Iterable[Any]) -> pd.Series:
    mask = pd.Series(False, index=series.index)
    for v in values:
        mask |= _match(series, v)
    return mask


def _point_mask(table: pd.DataFrame, point: dict[str, Any]) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for factor, value in point.items():
        col = _col(factor)
        if col not in table.columns:
            raise ValueError(f"the table has no column {col!r} (factor {factor!r})")
        mask &= _match(table[col], value)
    return mask


def _sort_key(v: Any) -> tuple[int, Any]:
    if isinstance(v, int | float) and not _is_nan(v):
        return (0, v)
    return (1, str(v))


def conditions(table: pd.DataFrame, expect: dict[str, Any], factors: list[str]) -> list[dict[str, Any]]:
    """The combinations of the factors named in neither arm that occur in `table`.

    Restricted by the expectation's `where` (only its entries for such factors count), as plain
    Python scalars, sorted (numbers numerically, in the order of `factors`). A list holding one
    empty dict when every factor is compared; an empty list when no row matches.
    """
    e = _expect(expect)
    compared = {_name(f) for f in e["treatment"]} | {_name(f) for f in (e["control"] or {})}
    if e["across"]:
        compared.add(_name(e["across"][0]))
    names = [_name(f) for f in factors if _name(f) not in compared]
    if not names:
        return [{}]
    cols = [_col(f) for f in names]
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ValueError(f"the table has no column(s) {missing}")
    sub = table
    for f, allowed in e["where"].items():
        if _name(f) in names:
            sub = sub[_match_any(sub[_col(f)], allowed)]
    combos = sub[cols].drop_duplicates()
    found = [
        {n: _scalar(v) for n, v in zip(names, row, strict=True)}
        for row in combos.itertuples(index=False, name=None)
    ]
    return sorted(found, key=lambda c: tuple(_sort_key(c[n]) for n in names))


def _clean(rows: pd.DataFrame, what: str) -> tuple[pd.Series, int]:
    """Values of one arm indexed by seed (ok and finite only), and its count of bad trials.
    In numpy: this runs for every arm of every comparison, most of the statistics' time in pandas."""
    values = rows["value"].to_numpy(dtype=float)
    good = (rows["status"].to_numpy() == "ok") & np.isfinite(values)
    seeds = rows["seed_index"].to_numpy()[good]
    order = np.argsort(seeds, kind="stable")
    seeds, values = seeds[order], values[good][order]
    if seeds.size > 1 and (repeated := seeds[1:] == seeds[:-1]).any():
        dup = sorted(set(seeds[1:][repeated].tolist()))
        raise ValueError(f"{what}: more than one ok trial for seed index(es) {dup}")
    return pd.Series(values, index=seeds, dtype=float), int((~good).sum())


class _Effect:
    """The data behind one effect: groups whose means give it, and how."""

    def __init__(self, e: dict[str, Any], t: pd.Series, c: pd.Series | None):
        self.relative = bool(e["relative"])
        self.reference = e["reference"]
        self.diffs: np.ndarray | None = None
        if c is None:  # against the constant reference
            tv = t.to_numpy()
            self.seed_index = t.index.to_numpy()
            self.n = tv.size
            self.mean_t, self.mean_c = _mean(tv), self.reference
            d = tv - self.reference
            self.diffs = d / abs(self.reference) if self.relative else d
            self.groups: list[np.ndarray] = [self.diffs]
            self.coefs = [1.0]
        elif e["paired"]:
            seeds = t.index.intersection(c.index)
            tv, cv = t.loc[seeds].to_numpy(), c.loc[seeds].to_numpy()
            if self.relative:
                with np.errstate(divide="ignore", invalid="ignore"):
                    d = (tv - cv) / np.abs(cv)
                keep = np.isfinite(d)  # a control of exactly 0 has no relative change
                tv, cv, d = tv[keep], cv[keep], d[keep]
                seeds = seeds[keep]
            else:
                d = tv - cv
            self.seed_index = np.asarray(seeds)
            self.n = tv.size
            self.mean_t, self.mean_c = _mean(tv), _mean(cv)
            self.diffs = d
            self.groups = [d]
            self.coefs = [1.0]
        else:
            tv, cv = t.to_numpy(), c.to_numpy()
            self.n = min(tv.size, cv.size)
            self.mean_t, self.mean_c = _mean(tv), _mean(cv)
            self.groups = [tv, cv]
            scale = abs(self.mean_c) if self.relative else 1.0
            self.coefs = [1 / scale, -1 / scale] if scale > 0 else [math.nan, math.nan]
        self.tv, self.cv = tv, (None if c is None else cv)

    def stat(self, means: list[np.ndarray]) -> np.ndarray:
        if len(self.groups) == 1:
            return means[0]
        diff = means[0] - means[1]
        return diff / np.abs(means[1]) if self.relative else diff

    @property
    def effect(self) -> float:
        if not self.groups[0].size or any(g.size == 0 for g in self.groups):
            return math.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(self.stat([np.asarray(np.mean(g)) for g in self.groups]))

    def sd(self) -> float:
        """sd of one draw of the effect (paired: of the differences; unpaired: of t - c)."""
        if any(g.size < 2 for g in self.groups):
            return math.nan
        c2 = np.asarray(self.coefs) ** 2
        return float(math.sqrt(sum(c * np.var(g, ddof=1) for c, g in zip(c2, self.groups, strict=True))))

    def p(self) -> float:
        if self.diffs is not None:
            return paired_test(self.diffs)
        assert self.cv is not None
        return welch_test(self.tv, self.cv)

    def ci(self, rng: np.random.Generator, level: float) -> tuple[float, float]:
        if not np.isfinite(self.effect):
            return math.nan, math.nan
        return linear_ci(self.groups, self.coefs, self.stat, rng, level, 2000)


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if x.size else math.nan


def _interaction(
    metric_rows: pd.DataFrame, e: dict[str, Any], framework: str, cond: dict[str, Any]
) -> tuple[_Effect, int]:
    """How much the paired effect grows from `across` = (factor, high, low): per seed index, the
    effect at factor=high minus the effect at factor=low, then a one-sample analysis of those."""
    factor, high, low = e["across"]
    simple = {**e, "across": None}
    at_high, bad_h = _effect_for(metric_rows, simple, framework, {**cond, factor: high})
    at_low, bad_l = _effect_for(metric_rows, simple, framework, {**cond, factor: low})
    if at_high.diffs is None or at_low.diffs is None:
        raise ValueError(f"{_describe(e)}: an interaction needs paired arms or a reference")
    growth = (
        pd.Series(at_high.diffs, index=at_high.seed_index) - pd.Series(at_low.diffs, index=at_low.seed_index)
    ).dropna()
    eff = _Effect({**simple, "control": None, "reference": 0.0, "relative": False}, growth, None)
    eff.mean_t, eff.mean_c = at_high.effect, at_low.effect  # the effect at high and at low
    return eff, bad_h + bad_l


def _effect_for(
    metric_rows: pd.DataFrame, e: dict[str, Any], framework: str, cond: dict[str, Any]
) -> tuple[_Effect, int]:
    if e["across"]:
        return _interaction(metric_rows, e, framework, cond)
    rows = metric_rows[(metric_rows["framework"] == framework) & _point_mask(metric_rows, cond)]
    where = f"{framework} {_describe(e)} [{condition_label(cond)}]"
    t, bad = _clean(rows[_point_mask(rows, e["treatment"])], f"{where} treatment")
    c = None
    if e["control"] is not None:
        c, bad_c = _clean(rows[_point_mask(rows, e["control"])], f"{where} control")
        bad += bad_c
    return _Effect(e, t, c), bad


# The arms' data of one (expectation, framework, condition) of ONE table: `evaluate` and
# `framework_gap` select the same arms, and selecting is most of the statistics' time, so a caller
# that runs both on one table may pass the same dict to both (deterministic: no random numbers).
Effects = dict[str, tuple["_Effect", int]]


def _effect_cached(
    effects: Effects | None,
    metric_rows: pd.DataFrame,
    e: dict[str, Any],
    framework: str,
    cond: dict[str, Any],
) -> tuple[_Effect, int]:
    if effects is None:
        return _effect_for(metric_rows, e, framework, cond)
    key = json.dumps([e, framework, cond], sort_keys=True, default=str)
    if key not in effects:
        effects[key] = _effect_for(metric_rows, e, framework, cond)
    return effects[key]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def compare(
    table: pd.DataFrame,
    expect: dict[str, Any],
    factors: list[str],
    rng: np.random.Generator,
    level: float = 0.95,
    effects: Effects | None = None,
) -> pd.DataFrame:
    """One row per (framework, condition) for one expectation; columns `COLUMNS` (module doc).

    Paired (the default): treatment and control are paired on `seed_index`, using only seeds
    where both arms are ok with a finite value; the effect is the mean paired difference, the CI
    a bootstrap of the differences at `level`, p a paired t-test. Unpaired (`paired` False):
    difference of the arm means, each arm resampled independently, Welch's t-test. Control None:
    one-sample against `reference`. Frameworks are those present in `table` (sorted); every
    framework gets a row per condition, with n = 0 and an inconclusive verdict where it has no
    data. `p_holm` is left nan (see `evaluate`).
    """
    e = _expect(expect)
    metric_rows = table[table["metric"] == e["metric"]]
    comparison = _describe(e)
    out = []
    for framework in sorted(table["framework"].unique().tolist()):
        for cond in conditions(table, e, factors):
            eff, n_failed = _effect_cached(effects, metric_rows, e, framework, cond)
            effect = eff.effect
            lo, hi = eff.ci(rng, level)
            out.append(
                {
                    "framework": framework,
                    "comparison": comparison,
                    "metric": e["metric"],
                    "condition": condition_label(cond),
                    "direction": e["direction"],
                    "min_effect": e["min_effect"],
                    "n": int(eff.n),
                    "mean_treatment": eff.mean_t,
                    "mean_control": eff.mean_c,
                    "effect": effect,
                    "ci_low": lo,
                    "ci_high": hi,
                    "p": eff.p(),
                    "p_holm": math.nan,
                    "verdict": decide(lo, hi, effect, e["direction"], e["min_effect"]),
                    "seeds_needed": seeds_for(
                        effect, eff.sd(), eff.n, e["direction"], e["min_effect"], 1 - level, 0.8
                    ),
                    "n_failed": int(n_failed),
                }
            )
    if not out:
        return _empty(COLUMNS)
    frame = pd.DataFrame(out, columns=COLUMNS)
    frame["seeds_needed"] = pd.Series([r["seeds_needed"] for r in out], index=frame.index, dtype=object)
    return frame


def evaluate(
    table: pd.DataFrame,
    expects: list[dict[str, Any]],
    factors: list[str],
    rng: np.random.Generator,
    alpha: float = 0.05,
    effects: Effects | None = None,
) -> pd.DataFrame:
    """All of a claim's comparisons: `compare` for every expectation, corrected for multiplicity.

    Within each framework, p_holm is Holm's adjustment across all rows of the claim (nan p
    values are not counted). The CIs, and the verdicts read off them, are at the
    Bonferroni-adjusted level 1 - alpha/m, m the number of rows in that framework (every framework
    has one row per expectation and condition, so m is the same for each): the family-wise error
    of the verdicts is at most alpha, conservatively and consistently with Holm. The level used is
    in ``result.attrs["level"]``. Deterministic given the state of `rng`.
    """
    es = [_expect(x) for x in expects]
    m = sum(len(conditions(table, e, factors)) for e in es)
    level = 1 - alpha / max(m, 1)
    parts = [compare(table, e, factors, rng, level=level, effects=effects) for e in es]
    parts = [p for p in parts if len(p)]
    if not parts:
        result = _empty(COLUMNS)
    else:
        result = pd.concat(parts, ignore_index=True)
        result["p_holm"] = result["p_holm"].astype(float)
        for framework in result["framework"].unique():
            rows = result["framework"] == framework
            result.loc[rows, "p_holm"] = holm(result.loc[rows, "p"].to_numpy(dtype=float))
    result.attrs["level"] = level
    return result


def claim_verdict(rows: pd.DataFrame, frameworks: Iterable[str] | None = None) -> dict[str, str]:
    """Claim verdict per framework from its comparison rows.

    'supported' if every row is supported, 'refuted' if every row is refuted, 'mixed' if at
    least one is supported and at least one refuted, 'inconclusive' otherwise (a framework
    listed in `frameworks` without rows included).
    """
    names = list(frameworks) if frameworks is not None else []
    if len(rows):
        names += [f for f in rows["framework"].unique().tolist() if f not in names]
    out = {}
    for framework in names:
        verdicts = set(rows.loc[rows["framework"] == framework, "verdict"]) if len(rows) else set()
        if verdicts == {"supported"}:
            out[framework] = "supported"
        elif verdicts == {"refuted"}:
            out[framework] = "refuted"
        elif {"supported", "refuted"} <= verdicts:
            out[framework] = "mixed"
        else:
            out[framework] = "inconclusive"
    return out


def conditions_summary(rows: pd.DataFrame) -> dict[str, dict[str, list[str]]]:
    """Per framework, the conditions under which rows were 'supported', 'refuted', 'inconclusive'.

    For "holds under X, not under Y". Entries are condition labels in row order; when a
    framework's rows span more than one comparison each entry reads "condition [comparison]".
    """
    out: dict[str, dict[str, list[str]]] = {}
    if not len(rows):
        return out
    for framework in rows["framework"].unique().tolist():
        sub = rows[rows["framework"] == framework]
        several = sub["comparison"].nunique() > 1
        groups: dict[str, list[str]] = {"supported": [], "refuted": [], "inconclusive": []}
        for r in sub.itertuples(index=False):
            text = f"{r.condition} [{r.comparison}]" if several else str(r.condition)
            bucket = groups.setdefault(str(r.verdict), [])
            if text not in bucket:
                bucket.append(text)
        out[framework] = groups
    return out


def frameworks_agree(verdicts: dict[str, str]) -> bool:
    """True when every framework reached the same claim verdict (vacuously true for 0 or 1)."""
    return len(set(verdicts.values())) <= 1


def framework_gap(
    table: pd.DataFrame,
    expect: dict[str, Any],
    factors: list[str],
    rng: np.random.Generator,
    level: float = 0.95,
    frameworks: tuple[str, str] = ("torch", "tf"),
    effects: Effects | None = None,
) -> pd.DataFrame:
    """Per condition, the torch effect minus the tf effect, with a bootstrap CI.

    The frameworks are independent samples (unpaired across frameworks): the gap is the
    difference of the two effects, and its CI comes from resampling each framework's paired
    differences (or, unpaired, each framework's arms) independently, expanded for small samples
    as in `bootstrap_ci`. `flagged` is True when the CI excludes 0. Columns `GAP_COLUMNS`.
    """
    e = _expect(expect)
    metric_rows = table[table["metric"] == e["metric"]]
    out = []
    for cond in conditions(table, e, factors):
        a, _ = _effect_cached(effects, metric_rows, e, frameworks[0], cond)
        b, _ = _effect_cached(effects, metric_rows, e, frameworks[1], cond)
        ea, eb = a.effect, b.effect
        k = len(a.groups)
        if np.isfinite(ea) and np.isfinite(eb):

            def stat(means: list[np.ndarray], a: _Effect = a, b: _Effect = b, k: int = k) -> np.ndarray:
                return a.stat(means[:k]) - b.stat(means[k:])

            lo, hi = linear_ci(
                [*a.groups, *b.groups], [*a.coefs, *(-c for c in b.coefs)], stat, rng, level, 2000
            )
        else:
            lo, hi = math.nan, math.nan
        out.append(
            {
                "comparison": _describe(e),
                "condition": condition_label(cond),
                "effect_torch": ea,
                "effect_tf": eb,
                "gap": ea - eb,
                "ci_low": lo,
                "ci_high": hi,
                "flagged": bool(lo > 0 or hi < 0),
            }
        )
    if not out:
        return _empty(GAP_COLUMNS)
    return pd.DataFrame(out, columns=GAP_COLUMNS)
