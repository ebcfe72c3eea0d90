"""The cross-framework regression ladder (`runners.crosscheck`) passes, rung by rung, for every
model family, in both dtypes.

CI runs the trajectories for 30 updates (MLP) and 10 (CNN, RNN, autoencoder) (the CLI default is
100; the tolerances were measured at 100, so fewer steps are inside the band). The ladder is
computed once per (family, dtype) and shared by the tests. Mutation tests at the bottom show the
ladder fails when a framework is broken on purpose.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from impls.spec import ACTIVATIONS, CELLS, CNN_NORMS, HEADS, MLP, OPTIMISERS, POOLS, WEIGHT_NORMS
from runners import crosscheck as cc
from runners.crosscheck_tolerances import TOL

pytestmark = pytest.mark.frameworks

STEPS = {"mlp": 30, "cnn": 10, "rnn": 10, "autoencoder": 10}
DTYPES = ("float64", "float32")
GOLDEN = Path(__file__).with_name("golden_param_counts.json")
_LADDER: dict[tuple[str, str], list[dict[str, Any]]] = {}


def ladder(dtype: str, family: str = "mlp") -> list[dict[str, Any]]:
    if (family, dtype) not in _LADDER:
        _LADDER[family, dtype] = cc.run_ladder(dtype, family=family, steps=STEPS[family])
    return _LADDER[family, dtype]


def _failures(rows: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"rung {r['rung']} {r['case']} / {r['quantity']}: measured {r['measured']:.3g} > tol {r['tolerance']:.3g}"
        for r in rows
        if not r["passed"]
    )


FAMILY_RUNGS = [("mlp", 1), ("mlp", 2), ("mlp", 3), ("mlp", 4)] + [
    (f, r) for f in ("cnn", "rnn", "autoencoder") for r in (1, 2, 3)
]


@pytest.mark.parametrize("family,rung", FAMILY_RUNGS, ids=[f"{f}-rung{r}" for f, r in FAMILY_RUNGS])
@pytest.mark.parametrize("dtype", DTYPES)
def test_rung_passes(dtype: str, family: str, rung: int) -> None:
    rows = [r for r in ladder(dtype, family) if r["rung"] == rung]
    assert rows, f"{family} rung {rung} produced no rows"
    assert all(r["passed"] for r in rows), _failures(rows)
    for r in rows:
        assert r["dtype"] == dtype and r["family"] == family
        assert np.isfinite(r["measured"]) and r["tolerance"] >= 0
    if family != "mlp":
        assert {r["rung"] for r in ladder(dtype, family)} == {1, 2, 3}  # rung 4 is the MLP's layers


def _graded(rows: list[dict[str, Any]]) -> set[str]:
    return {r["case"] for r in rows if r["rung"] == 2 and r["quantity"].startswith("kernel grads")}


def _optimisers(rows: list[dict[str, Any]]) -> set[str]:
    return {r["case"].split("/")[1] for r in rows if r["rung"] == 3}


@pytest.mark.parametrize("dtype", DTYPES)
def test_cnn_ladder_covers_the_layer_kinds(dtype: str) -> None:
    rows = ladder(dtype, "cnn")
    models = [c.model for c in cc.exact_cases("cnn")]
    assert {m.norm for m in models} == set(CNN_NORMS)  # type: ignore[attr-defined]
    assert {m.weight_norm for m in models} == set(WEIGHT_NORMS)  # type: ignore[attr-defined]
    assert {c.pool for m in models for c in m.convs} == set(POOLS)  # type: ignore[attr-defined]
    assert any(m.global_pool for m in models) and any(m.dense for m in models)  # type: ignore[attr-defined]
    assert _graded(rows) == {c.name for c in cc.exact_cases("cnn")}  # every case's gradients
    assert _optimisers(rows) == {"sgd", "adam"}
    named = [r for r in rows if r["rung"] == 3 and "BN running var" in r["quantity"]]
    assert named and all("unbiased" in r["note"] and "H*W" in r["note"] for r in named)


@pytest.mark.parametrize("dtype", DTYPES)
def test_rnn_ladder_covers_the_cells_and_norms(dtype: str) -> None:
    rows = ladder(dtype, "rnn")
    models = [c.model for c in cc.exact_cases("rnn")]
    assert {m.cell for m in models} == set(CELLS)  # type: ignore[attr-defined]
    assert {m.norm for m in models} == {"none", "layer", "batch"}  # type: ignore[attr-defined]
    assert any(m.layers > 1 for m in models)  # type: ignore[attr-defined]
    assert _graded(rows) == {c.name for c in cc.exact_cases("rnn")}
    assert _optimisers(rows) == {"sgd", "adam"}
    bn = [r for r in rows if r["rung"] == 3 and "BN running var" in r["quantity"]]
    assert bn and all("unbiased batch variance in both" in r["note"] for r in bn)


@pytest.mark.parametrize("dtype", DTYPES)
def test_autoencoder_ladder_covers_dense_tied_conv_vae(dtype: str) -> None:
    rows = ladder(dtype, "autoencoder")
    cases = {c.name: c.model for c in cc.exact_cases("autoencoder")}
    assert {"ae/deep", "ae/tied", "ae/conv", "ae/vae", "ae/conv_vae"} <= set(cases)
    assert _graded(rows) == {n for n, m in cases.items() if not m.mask_noise}  # type: ignore[attr-defined]
    vae = [r for r in rows if r["case"] in ("ae/vae", "ae/conv_vae", "ae/adam/vae") and r["rung"] in (2, 3)]
    losses = [r for r in vae if "loss" in r["quantity"]]
    assert len(losses) == 3 and all("same numpy eps" in r["note"] for r in losses)  # the named difference
    assert _optimisers(rows) == {"sgd", "adam"}


@pytest.mark.parametrize("dtype", DTYPES)
def test_ladder_covers_what_the_spec_expresses(dtype: str) -> None:
    rows = ladder(dtype)
    cases2 = {r["case"] for r in rows if r["rung"] == 2}
    assert {c.split("/")[0] for c in cases2} >= set(ACTIVATIONS)
    for variant in ("batchnorm-before", "batchnorm-after", "layernorm-before", "layernorm-after", "residual"):
        assert any(variant in c for c in cases2), variant
    for head in HEADS:
        assert head == "softmax" or any(c.endswith(head) for c in cases2), head
    assert any("l2" in c for c in cases2) and any("sum" in c for c in cases2)
    # gradients are compared for every exact case (dropout only in eval mode)
    graded = {r["case"] for r in rows if r["rung"] == 2 and r["quantity"].startswith("kernel grads")}
    assert graded == {c for c in cases2 if "dropout" not in c}
    assert {"tanh/depth4/highway", "selu/depth3/alpha-dropout"} <= cases2  # alpha-dropout: eval mode
    optimisers = {r["case"].split("/")[0] for r in rows if r["rung"] == 3}
    assert optimisers == set(OPTIMISERS)
    assert {"momentum/max-norm", "adam/highway"} <= {r["case"] for r in rows if r["rung"] == 3}
    named = [r for r in rows if r["rung"] == 3 and "BN running var" in r["quantity"]]
    assert len(named) == 2 and all("unbiased" in r["note"] for r in named)


def test_golden_param_counts() -> None:
    golden = json.loads(GOLDEN.read_text())
    assert cc.param_counts() == golden
    assert set(golden) == {c.name for c in cc.exact_cases()}


def test_bn_variance_difference_is_real_and_named() -> None:
    """The uncorrected running variances differ by the n/(n-1) factor, far outside any tolerance:
    the ladder asserts the named difference rather than hiding it in a loose band."""
    bn = next(tc for tc in cc.trajectory_cases("mlp") if getattr(tc.model, "norm", "") == "batch")
    assert isinstance(bn.model, MLP)
    steps = STEPS["mlp"]
    with cc.one_thread():
        r = cc.trajectory(bn, "float64", steps)
    n, decay = r["n"], (1 - bn.model.bn_momentum) ** steps
    for k in (k for k in r["torch"] if k.endswith("/var")):
        vt, vf, v0 = r["torch"][k], r["tf"][k], r["w0"][k]
        raw = np.max(np.abs(vt - vf) / np.abs(vt))
        assert raw > 1e3 * TOL[("bn_var", "float64")]  # not equal: ~(1/(n-1)) * (1 - decay)
        np.testing.assert_allclose((vt - decay * v0) / (vf - decay * v0), n / (n - 1), rtol=1e-12)


def test_render_markdown() -> None:
    ok = {
        "rung": 3,
        "family": "mlp",
        "case": "sgd",
        "quantity": "params after 30 steps, max abs",
        "dtype": "float64",
        "measured": 1e-15,
        "tolerance": 5e-13,
        "passed": True,
        "note": "",
    }
    broken = {**ok, "case": "a|b", "measured": 1.0, "passed": False, "note": "named"}
    page = cc.render_markdown([ok, broken])
    lines = page.splitlines()
    assert "| rung | case | quantity | dtype | measured | tolerance | pass/fail | note |" in lines
    table = [ln for ln in lines if ln.startswith("| 3 ")]
    assert table[0] == "| 3 | sgd | params after 30 steps, max abs | float64 | 1e-15 | 5e-13 | pass |  |"
    assert (
        table[1] == "| 3 | a\\|b | params after 30 steps, max abs | float64 | 1 | 5e-13 | **FAIL** | named |"
    )
    assert "1/2 checks passed (float64)" in page


def test_run_ladder_rejects_unknown_arguments() -> None:
    with pytest.raises(ValueError, match="dtype"):
        cc.run_ladder("float16")
    with pytest.raises(ValueError, match="family"):
        cc.run_ladder("float64", family="transformer")


# The ladder can fail: break a framework on purpose, in-process, and watch the rung go red. -------
def test_rung2_catches_float32_leaky_relu_slope(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: tf.nn.leaky_relu's alpha is a float32 attribute (slope 0.009999999776 in a
    float64 model); the ladder found it at 2e-10 relative and impls/tf_impl/models.py avoids it."""
    import tensorflow as tf

    from impls.tf_impl import models as fm

    case = next(c for c in cc.exact_cases() if c.name.startswith("leaky_relu/"))
    with cc.one_thread():
        assert all(r["passed"] for r in cc.rung2("float64", cases=[case]))
        monkeypatch.setitem(fm.ACT, "leaky_relu", lambda x: tf.nn.leaky_relu(x, alpha=0.01))
        rows = cc.rung2("float64", cases=[case])
    assert not all(r["passed"] for r in rows if r["quantity"].startswith("eval outputs"))


def test_rung3_catches_a_changed_tf_momentum_update(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dampened momentum (b = m*b + (1-m)*g, Keras 2 style) in TF only must break rung 3."""
    from impls.tf_impl import optim, train

    def dampened(self: Any, grads: list[Any]) -> None:
        self.t.assign_add(1.0)
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            m = self.slots[0][i]
            b = m.assign(self.o.momentum * m + (1.0 - self.o.momentum) * g)
            p.assign_sub(self.lr * b)

    monkeypatch.setattr(optim.TFOptimizer, "apply", dampened)
    monkeypatch.setattr(train, "_ENGINES", {})  # fresh traces with the broken update
    tc = next(tc for tc in cc.trajectory_cases() if tc.name == "momentum")
    with cc.one_thread():
        rows = cc.rung3("float32", 5, cases=[tc])
    assert rows and not any(r["passed"] for r in rows)


def test_rung2_catches_a_swapped_torch_conv_kernel_perm(monkeypatch: pytest.MonkeyPatch) -> None:
    """A torch conv kernel loaded as (O, I, W, H) instead of OIHW (canonical HWIO permuted by
    (3, 2, 1, 0) instead of (3, 2, 0, 1)): the round trip is still exact and the shapes fit, but the
    convolution is transposed, so outputs and gradients must leave the band."""
    from impls.torch_impl import cnn

    real = cnn.CNNNet.canonical

    def swapped(self: Any) -> dict[str, Any]:
        return {k: (t, (3, 2, 1, 0) if p == (3, 2, 0, 1) else p) for k, (t, p) in real(self).items()}

    case = next(c for c in cc.exact_cases("cnn") if c.name == "cnn/plain")
    with cc.one_thread():
        assert all(r["passed"] for r in cc.rung2("float64", cases=[case]))
        monkeypatch.setattr(cnn.CNNNet, "canonical", swapped)
        rows = cc.rung2("float64", cases=[case])
    assert next(r for r in rows if r["quantity"].startswith("weights"))["passed"]  # round trip hides it
    for q in ("eval outputs", "train-mode loss", "kernel grads"):
        assert not next(r for r in rows if r["quantity"].startswith(q))["passed"], q
