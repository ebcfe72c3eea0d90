"""A worker's cached TF graphs are shared by specs of one structure (`impls.spec.structure`):
conditions that differ only in initial weights trace once. Sharing is safe only if the second
condition's results are the bits it gets from a graph of its own."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from impls.spec import (
    CNN,
    INIT_ONLY,
    MLP,
    RNN,
    Autoencoder,
    Data,
    Init,
    Optimizer,
    Training,
    TrialSpec,
    structure,
)

pytestmark = pytest.mark.frameworks

HE = MLP(depth=3, width=16, init=Init("he_normal"))
SPEC = TrialSpec(
    data=Data("digits", n_train=200),
    model=HE,
    optimizer=Optimizer("adam", lr=3e-3),
    training=Training(epochs=2, batch_size=32),
)
GLOROT = dataclasses.replace(SPEC, model=dataclasses.replace(HE, init=Init("glorot_uniform")))


def test_structure_forgets_only_initial_weight_fields() -> None:
    assert structure(SPEC.model) == structure(GLOROT.model) != structure(MLP(depth=4, width=16))
    for family in (MLP(), RNN(), CNN(), Autoencoder()):
        names = {f.name for f in dataclasses.fields(family)}
        assert names & set(INIT_ONLY), family  # every family has some, and keeps the rest
        for f in dataclasses.fields(family):
            if f.name not in INIT_ONLY:
                assert getattr(structure(family), f.name) == getattr(family, f.name)


def _metrics(r: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in r["metrics"].items() if not k.endswith("_s")}


@pytest.mark.parametrize("mode", ["sequential", "seedbatch"])
def test_a_shared_tf_graph_gives_each_condition_its_own_results(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from impls.tf_impl import seedbatch, train

    def run(spec: TrialSpec) -> list[dict[str, Any]]:
        if mode == "seedbatch":
            return seedbatch.run_seed_batch(spec, [1, 2])
        return [train.run_trial(spec, 1), train.run_trial(spec, 2)]

    module, name = (seedbatch, "_STACKS") if mode == "seedbatch" else (train, "_ENGINES")
    monkeypatch.setattr(module, name, {})
    alone = run(GLOROT)  # a graph of its own
    cache: dict[Any, Any] = {}
    monkeypatch.setattr(module, name, cache)
    run(SPEC)
    shared = run(GLOROT)  # the he_normal condition's graph, with glorot weights assigned
    assert len(cache) == 1  # traced once for both conditions
    assert [_metrics(r) for r in shared] == [_metrics(r) for r in alone]
    assert [r["curves"] for r in shared] == [r["curves"] for r in alone]
