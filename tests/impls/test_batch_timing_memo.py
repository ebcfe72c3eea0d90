"""batch_timing trains each (spec, seed) run once per worker: the reference arm is shared by
every condition of a seed, and the results are what training it again would give."""

from __future__ import annotations

import pytest

from claims import discover
from impls import measure

pytestmark = pytest.mark.frameworks


def test_the_reference_arm_is_trained_once_per_seed_with_the_same_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from impls.torch_impl import train

    claim = discover(entry_points_too=False).claims["batch-size-speed-vs-convergence"]()
    specs = {b: claim.spec({"batch_size": b}, "smoke") for b in (8, 32)}
    trained: list[int] = []
    real = train.tune_then_train

    def counted(spec, seed):  # type: ignore[no-untyped-def]
        trained.append(spec.training.batch_size)
        return real(spec, seed)

    monkeypatch.setattr(train, "tune_then_train", counted)
    monkeypatch.setattr(measure, "_RUNS", {})
    at8 = measure.batch_timing(specs[8], 5, train)
    measure.batch_timing(specs[32], 5, train)  # its own arm is the reference: no new run
    assert trained == [8, 32]
    monkeypatch.setattr(measure, "_RUNS", {})
    again = measure.batch_timing(specs[8], 5, train)
    assert trained == [8, 32, 8, 32]
    timed = ("timing/", "target/seconds", "target/log10_seconds", "target/step_s")
    untimed = [k for k in at8["metrics"] if not k.startswith(timed)]
    assert {k: at8["metrics"][k] for k in untimed} == {k: again["metrics"][k] for k in untimed}
