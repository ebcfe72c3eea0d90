"""The probes report the same per-layer numbers in both frameworks (same initial weights)."""

from __future__ import annotations

import pytest

from impls.spec import MLP, Data, Optimizer, Probes, Training, TrialSpec


@pytest.mark.frameworks
def test_activation_and_gradient_probes_match_across_frameworks() -> None:
    from impls.tf_impl import run_trial as tf_run
    from impls.torch_impl import run_trial as torch_run

    spec = TrialSpec(
        Data("digits", n_train=200),
        MLP(depth=3, width=16, activation="relu"),
        Optimizer("sgd", lr=0.05),
        Training(epochs=1, batch_size=50, dtype="float64"),
        Probes(grad_norms_at=(0, -1), activation_stats_at=(0, -1), weight_change=True),
    )
    a, b = torch_run(spec, 3)["metrics"], tf_run(spec, 3)["metrics"]
    probes = sorted(k for k in a if k.startswith("probe/"))
    # 3 layers x 4 activation stats x 2 steps, 4 grad norms + ratio x 2 steps, 4 weight changes + ratio
    assert len(probes) == 24 + 10 + 5
    assert probes == sorted(k for k in b if k.startswith("probe/"))
    for k in probes:
        assert a[k] == pytest.approx(b[k], rel=1e-9, abs=1e-12), k
