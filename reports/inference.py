"""Confidence intervals, tests, multiple-comparison corrections and the verdict rule: the
arithmetic under `reports.stats`, on plain arrays.

Pure functions: no I/O, and every random draw comes from an explicit `numpy.random.Generator`
argument, so a fixed generator seed gives identical numbers.

Confidence intervals are percentile bootstrap intervals, expanded for small samples (Hesterberg
2015) and never narrower than the matching Student/Welch t interval: the plain percentile
bootstrap of a mean under-covers badly with the 5-10 seeds a study affords (it can never reach
past the range of the data), which would make identical arms come out "supported" too often.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy import special

DIRECTIONS = ("greater", "less", "equivalent")
MAX_SEEDS = 10_000
_MAX_BOOT = 20_000  # resamples, at most, when an extreme level asks for more than n_boot
_TAIL_BOOT = 10  # resamples wanted beyond each percentile at least


# --------------------------------------------------------------------------------------------
# Confidence intervals
# --------------------------------------------------------------------------------------------
def linear_ci(
    groups: Sequence[np.ndarray],
    coefs: Sequence[float],
    stat: Callable[[list[np.ndarray]], np.ndarray],
    rng: np.random.Generator,
    level: float,
    n_boot: int,
    expand: bool = True,
) -> tuple[float, float]:
    """Bootstrap CI of `stat(group means)`, each group resampled independently.

    `coefs` linearise the statistic (stat ~ sum coef_k * mean_k); they give the standard error and
    Welch degrees of freedom used to expand the percentile levels and for the t-interval floor.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if any(len(g) < 2 for g in groups):
        return math.nan, math.nan
    if all(np.ptp(g) == 0 for g in groups):
        value = float(stat([np.asarray(g[0], dtype=float) for g in groups]))
        return value, value
    ns = np.array([len(g) for g in groups], dtype=float)
    c2 = np.asarray(coefs, dtype=float) ** 2
    s2 = np.array([np.var(g, ddof=1) for g in groups])
    terms = c2 * s2 / ns  # per-group contributions to the squared standard error
    se2 = float(terms.sum())
    tail = (1 - level) / 2
    if expand and se2 > 0 and np.isfinite(se2):
        boot_se2 = float((c2 * s2 * (ns - 1) / ns**2).sum())  # what the bootstrap sees
        denom = float(np.sum(terms[terms > 0] ** 2 / (ns[terms > 0] - 1)))
        df = se2**2 / denom
        q = float(special.ndtr(math.sqrt(se2 / boot_se2) * special.stdtrit(df, tail)))
    else:
        df = math.nan
        q = tail
    nb = int(min(max(n_boot, math.ceil(_TAIL_BOOT / max(q, 1e-12))), max(n_boot, _MAX_BOOT)))
    means = [np.asarray(g)[rng.integers(0, len(g), size=(nb, len(g)))].mean(axis=1) for g in groups]
    with np.errstate(divide="ignore", invalid="ignore"):
        dist = np.asarray(stat(means), dtype=float)
    dist = dist[~np.isnan(dist)]
    if dist.size == 0:
        return math.nan, math.nan
    lo, hi = (float(v) for v in np.quantile(dist, [q, 1 - q]))
    if expand and se2 > 0 and np.isfinite(df):
        with np.errstate(divide="ignore", invalid="ignore"):
            est = float(stat([np.asarray(np.mean(g)) for g in groups]))
        half = float(special.stdtrit(df, 1 - tail)) * math.sqrt(se2)
        if np.isfinite(est):
            lo, hi = min(lo, est - half), max(hi, est + half)
    return lo, hi


def bootstrap_ci(
    x: np.ndarray,
    rng: np.random.Generator,
    level: float = 0.95,
    n_boot: int = 2000,
    expand: bool = True,
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of 1-D `x` at confidence `level`.

    n < 2 (after dropping non-finite values) gives (nan, nan); all values equal gives (v, v).

    With `expand` (the default) the percentiles are widened for small samples as in Hesterberg
    (2015, "What teachers should know about the bootstrap"): the tail probability a/2 becomes
    Phi(sqrt(n/(n-1)) * t_{a/2, n-1}), and the interval is never narrower than the Student t
    interval. With 10 normal seeds the plain percentile interval covers about 91% instead of 95%;
    with 5 seeds about 83%. `expand=False` gives the plain percentile interval. `n_boot` is a
    minimum: it is raised so that each tail holds at least 10 resamples (at most 20 000; the t-interval floor guards the rest).
    """
    arr = np.asarray(x, dtype=float).ravel()
    arr = arr[np.isfinite(arr)]
    return linear_ci([arr], [1.0], lambda m: m[0], rng, level, n_boot, expand)


# --------------------------------------------------------------------------------------------
# Tests and multiplicity
# --------------------------------------------------------------------------------------------
def paired_test(diffs: np.ndarray) -> float:
    """Two-sided p-value of a paired t-test, computed as a one-sample t-test of `diffs` against 0.

    Non-finite differences are dropped. n < 2 gives nan; zero variance gives 0.0 when the mean
    is not 0 and 1.0 when it is.
    """
    d = np.asarray(diffs, dtype=float).ravel()
    d = d[np.isfinite(d)]
    n = d.size
    if n < 2:
        return math.nan
    mean = float(d.mean())
    if np.ptp(d) == 0:
        return 0.0 if mean != 0 else 1.0
    se = float(d.std(ddof=1)) / math.sqrt(n)
    return float(2 * special.stdtr(n - 1, -abs(mean / se)))


def welch_test(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided p-value of Welch's unequal-variance t-test of mean(a) - mean(b) against 0.

    Non-finite values are dropped; either arm with n < 2 gives nan; both arms without variance
    give 0.0 when the means differ and 1.0 when they are equal.
    """
    x = np.asarray(a, dtype=float).ravel()
    y = np.asarray(b, dtype=float).ravel()
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    if x.size < 2 or y.size < 2:
        return math.nan
    diff = float(x.mean() - y.mean())
    vx, vy = float(x.var(ddof=1)) / x.size, float(y.var(ddof=1)) / y.size
    se2 = vx + vy
    if se2 == 0:
        return 0.0 if diff != 0 else 1.0
    df = se2**2 / sum(v**2 / (n - 1) for v, n in ((vx, x.size), (vy, y.size)) if v > 0)
    return float(2 * special.stdtr(df, -abs(diff) / math.sqrt(se2)))


def _ranked(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p flat as floats, an all-nan array of its shape for the adjusted values, and the indices of
    its non-nan entries in ascending order of p (nan entries are not hypotheses)."""
    arr = np.asarray(p, dtype=float).ravel()
    ok = np.flatnonzero(~np.isnan(arr))
    return arr, np.full(arr.shape, np.nan), ok[np.argsort(arr[ok], kind="stable")]


def holm(p: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (same order as `p`).

    nan entries stay nan and are not counted in the number of hypotheses.
    """
    arr, out, order = _ranked(p)
    m = order.size
    if m:
        out[order] = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * arr[order]))
    return out


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate; same order as `p`).

    nan entries stay nan and are not counted in the number of hypotheses.
    """
    arr, out, order = _ranked(p)
    m = order.size
    if m:
        scaled = arr[order] * m / np.arange(1, m + 1)
        out[order] = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    return out


# --------------------------------------------------------------------------------------------
# Verdicts
# --------------------------------------------------------------------------------------------
def check_direction(direction: str, min_effect: float) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if not min_effect >= 0:
        raise ValueError(f"min_effect must be >= 0, got {min_effect}")


def decide(lo: float, hi: float, mean: float, direction: str, min_effect: float) -> str:
    """Verdict of one comparison from its CI [lo, hi] and point estimate `mean`.

    greater: 'supported' if lo > 0 and mean >= min_effect; 'refuted' if hi < 0, or (when
    min_effect > 0) if the whole CI lies inside the no-practical-difference band
    (-min_effect, min_effect). less: the mirror image. equivalent (TOST read off the CI, so a
    two-sided level 1 - a CI gives a TOST at a/2): 'supported' if -min_effect < lo and
    hi < min_effect; 'refuted' if the CI lies entirely outside the band (lo >= min_effect or
    hi <= -min_effect). Anything else, and a nan CI, is 'inconclusive'.
    """
    check_direction(direction, min_effect)
    if any(not np.isfinite(v) for v in (lo, hi, mean)):
        return "inconclusive"
    m = min_effect
    in_band = m > 0 and -m < lo and hi < m
    if direction == "greater":
        if lo > 0 and mean >= m:
            return "supported"
        if hi < 0 or in_band:
            return "refuted"
    elif direction == "less":
        if hi < 0 and mean <= -m:
            return "supported"
        if lo > 0 or in_band:
            return "refuted"
    else:
        if -m < lo and hi < m:
            return "supported"
        if lo >= m or hi <= -m:
            return "refuted"
    return "inconclusive"


def seeds_for(
    mean: float, sd: float, n: int, direction: str, min_effect: float, alpha: float, power: float
) -> int | None:
    if n < 2 or not (np.isfinite(mean) and np.isfinite(sd)) or sd <= 0:
        return None
    a, m = abs(mean), min_effect
    if direction == "equivalent":
        distance = abs(m - a)  # to fit inside the band, or to lie wholly outside it
    else:
        sign = 1.0 if direction == "greater" else -1.0
        routes = []
        if sign * mean > 0 and sign * mean >= m:
            routes.append(a)  # supported: the CI must exclude 0
        if sign * mean < 0:
            routes.append(a)  # refuted: the CI must exclude 0 on the wrong side
        if m > 0 and a < m:
            routes.append(m - a)  # refuted: the CI must fit inside (-m, m)
        distance = max(routes, default=0.0)
    if not distance > 0:
        return None
    z = float(special.ndtri(1 - alpha / 2) + special.ndtri(power))
    need = math.ceil((z * sd / distance) ** 2)
    return int(min(max(need, 2), MAX_SEEDS))


def seeds_needed(
    diffs: np.ndarray, direction: str, min_effect: float, alpha: float = 0.05, power: float = 0.8
) -> int | None:
    """Normal-approximation estimate of the total seeds likely needed to decide a comparison.

    n = ((z_{1-alpha/2} + z_power) * sd / d)^2, with sd the observed sd of the paired differences
    and d the distance the CI half-width must fall below, taking the observed mean as the truth:
    directional claims use |mean| (to exclude 0) or, when |mean| < min_effect, the larger of that
    and min_effect - |mean| (to fit inside the no-practical-difference band); equivalence uses
    |margin - |mean||. None when it cannot be estimated (n < 2, sd = 0, or no decision is
    reachable, e.g. a mean of exactly 0 with min_effect 0). Capped at 10 000.
    """
    check_direction(direction, min_effect)
    d = np.asarray(diffs, dtype=float).ravel()
    d = d[np.isfinite(d)]
    if d.size < 2:
        return None
    return seeds_for(float(d.mean()), float(d.std(ddof=1)), d.size, direction, min_effect, alpha, power)
