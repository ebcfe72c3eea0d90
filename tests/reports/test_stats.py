"""reports.stats on simulated data with known truth, and on small hand-made tables.

Calibration tolerance: a simulated error rate may exceed its nominal rate p0 by at most three
binomial standard errors, 3 * sqrt(p0 * (1 - p0) / N), N the number of simulated studies.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from reports import stats as S

ALPHA = 0.05
N_STUDIES = 2000


def tolerance(p0: float, n: int) -> float:
    return 3 * math.sqrt(p0 * (1 - p0) / n)


def verdict_rate(
    diffs: np.ndarray, rng: np.random.Generator, level: float, direction: str, margin: float
) -> dict:
    """Verdict frequencies over studies (rows of `diffs`), through bootstrap_ci and decide."""
    counts = {"supported": 0, "refuted": 0, "inconclusive": 0}
    for d in diffs:
        lo, hi = S.bootstrap_ci(d, rng, level=level)
        counts[S.decide(lo, hi, float(d.mean()), direction, margin)] += 1
    return {k: v / len(diffs) for k, v in counts.items()}


# ---------------------------------------------------------------------------------------------
# Calibration and power (simulated, known truth)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n_seeds", [5, 10])
@pytest.mark.parametrize("direction", ["greater", "less"])
def test_identical_arms_are_rarely_supported(n_seeds: int, direction: str) -> None:
    rng = np.random.default_rng(20240601 + n_seeds)
    base = rng.normal(5.0, 2.0, size=(N_STUDIES, n_seeds))  # shared seed effect (paired arms)
    treatment = base + rng.normal(0, 1, size=base.shape)
    control = base + rng.normal(0, 1, size=base.shape)
    rates = verdict_rate(treatment - control, rng, 1 - ALPHA, direction, 0.0)
    bound = ALPHA / 2 + tolerance(ALPHA / 2, N_STUDIES)
    print(f"identical arms, n={n_seeds}, {direction}: supported {rates['supported']:.4f} (bound {bound:.4f})")
    assert rates["supported"] <= bound
    assert rates["refuted"] <= bound  # the same CI, the other side


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_effect_at_the_margin_is_rarely_called_equivalent(sign: float) -> None:
    # TOST at level alpha reads a 1 - 2 alpha CI; a true effect exactly at the margin is the
    # least favourable null, so 'supported' must come out at most alpha of the time.
    # (The band is ~2x the CI width here, so TOST has power and its size is close to alpha.)
    rng = np.random.default_rng(7 if sign > 0 else 8)
    margin = 1.0
    diffs = rng.normal(sign * margin, 1.0, size=(N_STUDIES, 10))
    rates = verdict_rate(diffs, rng, 1 - 2 * ALPHA, "equivalent", margin)
    bound = ALPHA + tolerance(ALPHA, N_STUDIES)
    print(f"effect at margin {sign * margin}: supported {rates['supported']:.4f} (bound {bound:.4f})")
    assert rates["supported"] <= bound


def test_large_planted_effect_is_supported_and_its_opposite_refuted() -> None:
    rng = np.random.default_rng(3)
    n_studies, sd = 500, 2.0
    planted = rng.normal(1.5 * sd, sd, size=(n_studies, 10))
    up = verdict_rate(planted, rng, 1 - ALPHA, "greater", 0.5 * sd)
    down = verdict_rate(-planted, rng, 1 - ALPHA, "greater", 0.5 * sd)
    print(f"planted 1.5 sd: {up}; opposite: {down}")
    assert up["supported"] >= 0.9
    assert down["refuted"] >= 0.9
    less = verdict_rate(-planted, rng, 1 - ALPHA, "less", 0.5 * sd)
    assert less["supported"] >= 0.9


def test_no_practical_difference_refutes_a_directional_claim() -> None:
    rng = np.random.default_rng(4)
    diffs = rng.normal(0.0, 0.1, size=(200, 20))  # tiny noise, effect 0, min_effect 1
    rates = verdict_rate(diffs, rng, 1 - ALPHA, "greater", 1.0)
    assert rates["refuted"] == 1.0


def test_bootstrap_ci_covers_the_true_mean_near_nominal() -> None:
    rng = np.random.default_rng(11)
    samples = rng.normal(3.0, 2.0, size=(1000, 20))
    for expand in (True, False):
        hits = 0
        for x in samples:
            lo, hi = S.bootstrap_ci(x, rng, level=0.95, expand=expand)
            hits += lo <= 3.0 <= hi
        print(f"bootstrap coverage (expand={expand}): {hits / len(samples):.3f}")
        assert 0.90 <= hits / len(samples) <= 0.97


def test_bootstrap_ci_edge_cases_and_determinism() -> None:
    rng = np.random.default_rng(0)
    assert all(math.isnan(v) for v in S.bootstrap_ci(np.array([1.0]), rng))
    assert all(math.isnan(v) for v in S.bootstrap_ci(np.array([]), rng))
    assert S.bootstrap_ci(np.full(6, 0.1), rng) == (0.1, 0.1)
    x = np.random.default_rng(1).normal(size=12)
    a = S.bootstrap_ci(x, np.random.default_rng(5))
    b = S.bootstrap_ci(x, np.random.default_rng(5))
    assert a == b and a[0] < x.mean() < a[1]
    # the expanded interval is never narrower than the Student t interval
    half = sps.t.ppf(0.975, 11) * x.std(ddof=1) / math.sqrt(12)
    assert a[0] <= x.mean() - half + 1e-12 and a[1] >= x.mean() + half - 1e-12


# ---------------------------------------------------------------------------------------------
# Tests, multiplicity, decisions
# ---------------------------------------------------------------------------------------------
def test_paired_test_matches_one_sample_t() -> None:
    d = np.array([0.3, -0.1, 0.8, 0.4, 0.2, 0.9])
    assert S.paired_test(d) == pytest.approx(sps.ttest_1samp(d, 0.0).pvalue, rel=1e-12)
    assert math.isnan(S.paired_test(np.array([1.0])))
    assert S.paired_test(np.array([2.0, 2.0, 2.0])) == 0.0
    assert S.paired_test(np.zeros(4)) == 1.0
    a, b = np.array([1.0, 2.0, 4.0, 3.5]), np.array([0.0, 0.5, 1.0])
    assert S.welch_test(a, b) == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue, rel=1e-12)


def test_holm_and_bh_against_hand_computed_values() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    # sorted 0.005, 0.01, 0.03, 0.04 (m = 4, nan not counted)
    # Holm: 4*.005=.02, 3*.01=.03, 2*.03=.06, 1*.04=.04 -> running max .02 .03 .06 .06
    np.testing.assert_allclose(S.holm(p), [0.03, 0.06, 0.06, 0.02, np.nan])
    # BH: .005*4/1=.02, .01*4/2=.02, .03*4/3=.04, .04*4/4=.04 -> running min from the top
    np.testing.assert_allclose(S.benjamini_hochberg(p), [0.02, 0.04, 0.04, 0.02, np.nan])
    q = np.array([0.01, 0.02, 0.5, 0.04])
    # Holm: .04, .06, .08, .5 ; BH: .04, .04, .04*4/3, .5 -> min from the top keeps them
    np.testing.assert_allclose(S.holm(q), [0.04, 0.06, 0.5, 0.08])
    np.testing.assert_allclose(S.benjamini_hochberg(q), [0.04, 0.04, 0.5, 0.04 * 4 / 3])
    # BH monotonicity: a larger p later lowers an earlier one
    np.testing.assert_allclose(S.benjamini_hochberg(np.array([0.03, 0.04])), [0.04, 0.04])
    np.testing.assert_allclose(S.holm(np.array([0.6, 0.7])), [1.0, 1.0])
    assert np.isnan(S.holm(np.array([np.nan]))).all()
    assert S.holm(np.array([])).shape == (0,)


@pytest.mark.parametrize(
    ("lo", "hi", "mean", "direction", "m", "expected"),
    [
        (0.1, 0.9, 0.5, "greater", 0.0, "supported"),
        (0.1, 0.9, 0.5, "greater", 0.4, "supported"),
        (0.1, 0.9, 0.3, "greater", 0.4, "inconclusive"),  # beyond 0, not beyond what matters
        (-0.1, 0.9, 0.5, "greater", 0.0, "inconclusive"),
        (-0.9, -0.1, -0.5, "greater", 0.0, "refuted"),
        (-0.2, 0.2, 0.0, "greater", 0.5, "refuted"),  # inside the no-difference band
        (-0.2, 0.2, 0.0, "greater", 0.0, "inconclusive"),  # no band when min_effect is 0
        (-0.2, 0.6, 0.2, "greater", 0.5, "inconclusive"),
        (-0.9, -0.1, -0.5, "less", 0.0, "supported"),
        (-0.9, -0.1, -0.3, "less", 0.4, "inconclusive"),
        (0.1, 0.9, 0.5, "less", 0.0, "refuted"),
        (-0.2, 0.2, 0.0, "less", 0.5, "refuted"),
        (-0.2, 0.2, 0.0, "equivalent", 0.5, "supported"),
        (-0.2, 0.6, 0.2, "equivalent", 0.5, "inconclusive"),
        (0.5, 0.9, 0.7, "equivalent", 0.5, "refuted"),
        (-0.9, -0.5, -0.7, "equivalent", 0.5, "refuted"),
        (-0.9, 0.9, 0.0, "equivalent", 0.5, "inconclusive"),
        (math.nan, math.nan, 0.3, "greater", 0.0, "inconclusive"),
        (math.nan, math.nan, 0.3, "equivalent", 1.0, "inconclusive"),
    ],
)
def test_decide_table(lo: float, hi: float, mean: float, direction: str, m: float, expected: str) -> None:
    assert S.decide(lo, hi, mean, direction, m) == expected


def test_decide_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="direction"):
        S.decide(0.1, 0.2, 0.15, "bigger", 0.0)
    with pytest.raises(ValueError, match="min_effect"):
        S.decide(0.1, 0.2, 0.15, "greater", -1.0)


def test_seeds_needed() -> None:
    z = np.array([-1.5, -0.5, 0.5, 1.5])
    z = (z - z.mean()) / z.std(ddof=1)  # mean 0, sd 1 exactly
    expected = math.ceil(((sps.norm.ppf(0.975) + sps.norm.ppf(0.8)) / 0.5) ** 2)  # 32
    assert S.seeds_needed(z + 0.5, "greater", 0.0) == expected
    assert S.seeds_needed(-(z + 0.5), "greater", 0.0) == expected  # to refute
    assert S.seeds_needed(z + 0.5, "equivalent", 1.0) == expected  # margin - |mean| = 0.5
    assert S.seeds_needed(z, "greater", 0.5) == expected  # |mean| tiny: use min_effect
    assert S.seeds_needed(z + 1e-6, "greater", 0.0) == S.MAX_SEEDS
    assert S.seeds_needed(np.array([1.0]), "greater", 0.0) is None
    assert S.seeds_needed(np.ones(5), "greater", 0.0) is None
    assert S.seeds_needed(z, "greater", 0.0) is None


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------
ACT = {"metric": "acc", "treatment": {"activation": "relu"}, "control": {"activation": "tanh"}}
FACTORS = ["depth", "activation"]
TREAT_DELTA = {  # planted per-seed differences (treatment - control), seeds 0..4
    ("torch", 2): [1.0, 2.0, 3.0, 2.0, 2.0],
    ("torch", 10): [0.5, 0.4, 0.6, 0.5, 100.0],  # seed 4's treatment is dropped below
    ("tf", 2): [-1.0, -2.0, -1.5, -1.0, -1.5],
    ("tf", 10): [0.0, 0.1, -0.1, 0.05, -0.05],
}


def control_value(seed: int) -> float:
    return 10.0 * (seed + 1)  # varies a lot by seed, so pairing by row order would be visible


def hand_table(seed: int = 0) -> pd.DataFrame:
    rows = []
    for (fw, depth), deltas in TREAT_DELTA.items():
        for s, delta in enumerate(deltas):
            c = control_value(s)
            for act, v in (("tanh", c), ("relu", c + delta)):
                if (fw, depth, act, s) == ("torch", 10, "relu", 4):
                    continue  # one seed missing in one arm
                rows.append((fw, s, "acc", v, "ok", depth, act))
            rows.append((fw, s, "loss", -1.0, "ok", depth, "relu"))  # another metric, ignored
    rows.append(("tf", 5, "acc", math.nan, "diverged", 2, "relu"))
    rows.append(("tf", 5, "acc", 60.0, "ok", 2, "tanh"))
    table = pd.DataFrame(
        rows, columns=["framework", "seed_index", "metric", "value", "status", "f:depth", "f:activation"]
    )
    table.insert(0, "claim", "hand")
    return table.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def row(frame: pd.DataFrame, fw: str, condition: str, comparison: str | None = None) -> pd.Series:
    sel = (frame["framework"] == fw) & (frame["condition"] == condition)
    if comparison is not None:
        sel &= frame["comparison"] == comparison
    assert sel.sum() == 1
    return frame[sel].iloc[0]


def test_conditions() -> None:
    table = hand_table()
    assert S.conditions(table, ACT, FACTORS) == [{"depth": 2}, {"depth": 10}]  # numeric order
    assert S.conditions(table, {**ACT, "where": {"depth": [10]}}, FACTORS) == [{"depth": 10}]
    both = {
        "metric": "acc",
        "treatment": {"activation": "relu", "depth": 10},
        "control": {"activation": "tanh", "depth": 2},
    }
    assert S.conditions(table, both, FACTORS) == [{}]
    assert isinstance(S.conditions(table, ACT, FACTORS)[0]["depth"], int)


def test_evaluate_on_a_hand_made_table() -> None:
    table = hand_table(seed=1)
    expects = [ACT, {**ACT, "direction": "equivalent", "min_effect": 1.0, "label": "same"}]
    out = S.evaluate(table, expects, FACTORS, np.random.default_rng(42))
    assert list(out.columns) == S.COLUMNS
    assert len(out) == 2 * 2 * 2  # frameworks x conditions x expectations
    assert out.attrs["level"] == pytest.approx(1 - ALPHA / 4)  # Bonferroni over 4 rows per framework

    name = "acc: activation=relu vs activation=tanh (greater)"
    r = row(out, "torch", "depth=2", name)
    assert r["n"] == 5 and r["n_failed"] == 0
    assert r["effect"] == pytest.approx(2.0)
    assert r["mean_control"] == pytest.approx(np.mean([control_value(s) for s in range(5)]))
    assert r["ci_low"] > 0 and r["verdict"] == "supported"
    assert r["p"] == pytest.approx(sps.ttest_1samp(TREAT_DELTA[("torch", 2)], 0.0).pvalue)

    # paired by seed despite the shuffled rows, and seed 4 (missing in one arm) left out
    r = row(out, "torch", "depth=10", name)
    assert r["n"] == 4 and r["effect"] == pytest.approx(0.5)
    assert r["mean_treatment"] - r["mean_control"] == pytest.approx(0.5)

    # the diverged trial is counted, and excluded from the effect (seed 5 has no ok treatment)
    r = row(out, "tf", "depth=2", name)
    assert r["n"] == 5 and r["n_failed"] == 1
    assert r["effect"] == pytest.approx(-1.4) and r["verdict"] == "refuted"

    r = row(out, "tf", "depth=10", "same")
    assert r["verdict"] == "supported" and r["direction"] == "equivalent" and r["min_effect"] == 1.0

    # Holm within each framework, across both expectations
    for fw in ("torch", "tf"):
        sub = out[out["framework"] == fw]
        np.testing.assert_allclose(sub["p_holm"], S.holm(sub["p"].to_numpy()))
        assert (sub["p_holm"] >= sub["p"]).all()

    # torch: supported, supported, equivalence inconclusive -> inconclusive; tf: refuted and supported
    assert S.claim_verdict(out) == {"tf": "mixed", "torch": "inconclusive"}
    assert S.conditions_summary(out)["tf"]["supported"] == ["depth=10 [same]"]
    again = S.evaluate(hand_table(seed=2), expects, FACTORS, np.random.default_rng(42))
    pd.testing.assert_frame_equal(out, again)  # deterministic, and row order does not matter


def test_compare_relative_reference_and_unpaired() -> None:
    table = hand_table()
    rng = np.random.default_rng(0)
    rel = S.compare(table, {**ACT, "relative": True}, FACTORS, rng)
    r = row(rel, "torch", "depth=2")
    expected = np.mean([d / control_value(s) for s, d in enumerate(TREAT_DELTA[("torch", 2)])])
    assert r["effect"] == pytest.approx(expected)
    assert np.isnan(rel["p_holm"]).all()

    ref = S.compare(
        table,
        {"metric": "acc", "treatment": {"activation": "relu"}, "control": None, "reference": 5.0},
        FACTORS,
        rng,
    )
    r = row(ref, "tf", "depth=2")
    treat = [control_value(s) + d for s, d in enumerate(TREAT_DELTA[("tf", 2)])]
    assert r["n"] == 5 and r["n_failed"] == 1  # treatment arm only
    assert r["mean_control"] == 5.0 and r["effect"] == pytest.approx(np.mean(treat) - 5.0)
    assert r["comparison"] == "acc: activation=relu vs 5 (greater)"

    relref = S.compare(
        table,
        {
            "metric": "acc",
            "treatment": {"activation": "relu"},
            "control": None,
            "reference": 5.0,
            "relative": True,
        },
        FACTORS,
        rng,
    )
    assert row(relref, "tf", "depth=2")["effect"] == pytest.approx(np.mean(treat) / 5.0 - 1.0)

    unp = S.compare(table, {**ACT, "paired": False}, FACTORS, rng)
    r = row(unp, "torch", "depth=10")
    t = [control_value(s) + d for s, d in enumerate(TREAT_DELTA[("torch", 10)][:4])]
    c = [control_value(s) for s in range(5)]
    assert r["effect"] == pytest.approx(np.mean(t) - np.mean(c))  # all ok trials of each arm
    assert r["p"] == pytest.approx(sps.ttest_ind(t, c, equal_var=False).pvalue)
    assert r["verdict"] == "inconclusive"  # the seed-to-seed spread swamps 0.5 without pairing


def test_compare_where_and_missing_framework_data() -> None:
    table = hand_table()
    table = table[~((table["framework"] == "tf") & (table["f:depth"] == 10))]
    out = S.compare(table, {**ACT, "where": {"depth": [10]}}, FACTORS, np.random.default_rng(0))
    assert out["condition"].tolist() == ["depth=10", "depth=10"]
    r = row(out, "tf", "depth=10")
    assert r["n"] == 0 and r["verdict"] == "inconclusive" and r["seeds_needed"] is None


def test_planted_effects_through_evaluate() -> None:
    rng = np.random.default_rng(9)
    rows = []
    for fw, effect in (("torch", 3.0), ("tf", -3.0)):
        for s in range(10):
            base = rng.normal(0, 5)
            rows.append((fw, s, "acc", base + rng.normal(0, 1), "ok", "a"))
            rows.append((fw, s, "acc", base + effect + rng.normal(0, 1), "ok", "b"))
    table = pd.DataFrame(rows, columns=["framework", "seed_index", "metric", "value", "status", "f:opt"])
    expect = {"metric": "acc", "treatment": {"opt": "b"}, "control": {"opt": "a"}, "min_effect": 0.5}
    out = S.evaluate(table, [expect], ["opt"], np.random.default_rng(0))
    verdicts = S.claim_verdict(out)
    assert verdicts == {"tf": "refuted", "torch": "supported"}
    assert not S.frameworks_agree(verdicts)
    gap = S.framework_gap(table, expect, ["opt"], np.random.default_rng(0))
    assert list(gap.columns) == S.GAP_COLUMNS
    g = gap.iloc[0]
    assert g["condition"] == "all" and g["flagged"]
    assert g["gap"] == pytest.approx(g["effect_torch"] - g["effect_tf"]) and g["ci_low"] > 0


def test_framework_gap_not_flagged_when_frameworks_match() -> None:
    rng = np.random.default_rng(10)
    rows = []
    for fw in ("torch", "tf"):
        for s in range(10):
            rows.append((fw, s, "acc", 0.0, "ok", "a"))
            rows.append((fw, s, "acc", 1.0 + rng.normal(0, 0.2), "ok", "b"))
    table = pd.DataFrame(rows, columns=["framework", "seed_index", "metric", "value", "status", "f:opt"])
    expect = {"metric": "acc", "treatment": {"opt": "b"}, "control": {"opt": "a"}}
    g = S.framework_gap(table, expect, ["opt"], np.random.default_rng(0)).iloc[0]
    assert g["ci_low"] < g["gap"] < g["ci_high"]
    assert not g["flagged"]


def verdict_rows(**per_framework: list[tuple[str, str]]) -> pd.DataFrame:
    data = [
        {"framework": fw, "comparison": "c", "condition": cond, "verdict": v}
        for fw, items in per_framework.items()
        for cond, v in items
    ]
    return pd.DataFrame(data, columns=["framework", "comparison", "condition", "verdict"])


def test_claim_verdict_and_conditions_summary() -> None:
    rows = verdict_rows(
        a=[("depth=2", "supported"), ("depth=10", "supported")],
        b=[("depth=2", "refuted"), ("depth=10", "refuted")],
        c=[("depth=2", "supported"), ("depth=10", "refuted"), ("depth=20", "inconclusive")],
        d=[("depth=2", "supported"), ("depth=10", "inconclusive")],
        e=[("depth=2", "inconclusive")],
    )
    assert S.claim_verdict(rows) == {
        "a": "supported",
        "b": "refuted",
        "c": "mixed",
        "d": "inconclusive",
        "e": "inconclusive",
    }
    assert S.claim_verdict(rows.iloc[:0]) == {}
    assert S.claim_verdict(rows.iloc[:0], frameworks=["torch"]) == {"torch": "inconclusive"}
    summary = S.conditions_summary(rows)
    assert summary["c"] == {"supported": ["depth=2"], "refuted": ["depth=10"], "inconclusive": ["depth=20"]}
    assert S.frameworks_agree({"torch": "supported", "tf": "supported"})
    assert not S.frameworks_agree({"torch": "supported", "tf": "inconclusive"})
    assert S.frameworks_agree({})


def test_bad_tables_and_expectations_are_named() -> None:
    table = hand_table()
    with pytest.raises(ValueError, match="f:width"):
        S.conditions(table, ACT, ["depth", "width"])
    dup = pd.concat([table, table[(table["metric"] == "acc") & (table["framework"] == "torch")]])
    with pytest.raises(ValueError, match="more than one ok trial"):
        S.compare(dup, ACT, FACTORS, np.random.default_rng(0))
    with pytest.raises(ValueError, match="reference 0"):
        S.compare(table, {**ACT, "control": None, "relative": True}, FACTORS, np.random.default_rng(0))


def _interaction_table(grow: float, seeds: int = 10, seed: int = 0) -> pd.DataFrame:
    """dropout helps by 0.01 at width 64 and by 0.01 + grow at width 1024 (noise sd 0.01)."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(seeds):
        base = rng.normal()
        for width, benefit in ((64, 0.01), (1024, 0.01 + grow)):
            for drop in (0.0, 0.5):
                value = base + (benefit if drop else 0.0) + rng.normal(0, 0.01)
                rows.append(
                    {
                        "claim": "c",
                        "framework": "torch",
                        "seed_index": s,
                        "metric": "acc",
                        "value": value,
                        "status": "ok",
                        "f:width": width,
                        "f:dropout": drop,
                    }
                )
    return pd.DataFrame(rows)


def test_interaction_detects_a_planted_growth_and_not_a_null() -> None:
    e = {
        "metric": "acc",
        "treatment": {"dropout": 0.5},
        "control": {"dropout": 0.0},
        "direction": "greater",
        "min_effect": 0.01,
        "across": ["width", 1024, 64],
    }
    grown = S.compare(_interaction_table(0.05), e, ["width", "dropout"], np.random.default_rng(0))
    assert len(grown) == 1 and grown.loc[0, "condition"] == "all"
    assert grown.loc[0, "verdict"] == "supported"
    assert abs(grown.loc[0, "effect"] - 0.05) < 0.02
    assert abs(grown.loc[0, "mean_control"] - 0.01) < 0.02  # the effect at the low level
    flat = S.compare(_interaction_table(0.0), e, ["width", "dropout"], np.random.default_rng(0))
    assert flat.loc[0, "verdict"] in ("refuted", "inconclusive")
    assert "minus at width=64" in flat.loc[0, "comparison"]


def test_sweep_wide_bh_counts_adjusted_discoveries() -> None:
    from reports.index import ClaimResult, sweep_bh

    def result(ps: list[float]) -> ClaimResult:
        return ClaimResult("c", "t", "s", "quick", {}, None, p_values=ps)

    # BH on [0.001, 0.02, 0.04, 0.5, nan]: adjusted 0.004, 0.04, 0.0533, 0.5 -> 2 below 0.05
    text = sweep_bh([result([0.001, 0.02]), result([0.04, 0.5, float("nan")])])
    assert text.startswith("2 of 4 comparisons")
    assert sweep_bh([result([])]) == ""
