"""The DBN's greedy pretraining sees the whole unlabelled pool, so conditions that differ only in
how many labels fine-tuning gets pretrain the same stack; a worker pretrains it once, and what it
hands back is what pretraining again would give."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from impls import data, dbn, init
from impls.spec import MLP, Data, Init, Optimizer, Training, TrialSpec


def _spec(labels: int | None) -> TrialSpec:
    return TrialSpec(
        data=Data("digits", n_train=labels, unit_range=True),
        model=MLP(depth=2, width=12, activation="sigmoid", init=Init("glorot_uniform")),
        optimizer=Optimizer("sgd", lr=0.05),
        training=Training(epochs=1, batch_size=32),
        experiment="dbn",
        params=(("cd_k", 1), ("pretrain_epochs", 1)),
    )


def test_label_counts_share_one_pretraining(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def cd(w, bv, bh, steps, lr, k):  # type: ignore[no-untyped-def]
        calls.append(w.shape[0])
        return dbn.cd_reference(w, bv, bh, steps, lr, k)

    monkeypatch.setattr(dbn, "_PRETRAINED", {})
    got = {}
    for labels in (100, None, 100):
        spec = _spec(labels)
        pool = data.load(dataclasses.replace(spec.data, n_train=None), 7, "float32").x_train
        w0 = init.initial_weights(spec.model, 64, 10, 7, "float32")
        got[labels] = dbn.pretrained_once(spec, 7, pool, w0, cd, threads=1)
        fresh = dbn.pretrain(spec, 7, pool, w0, dbn.cd_reference)
        assert got[labels].keys() == fresh.keys()
        for k in fresh:
            np.testing.assert_array_equal(got[labels][k], fresh[k])
    assert calls == [64, 12]  # two RBMs, once
    dbn.pretrained_once(_spec(100), 7, pool, w0, cd, threads=2)  # another thread count: its own run
    dbn.pretrained_once(_spec(100), 8, pool, w0, cd, threads=1)  # another seed: its own run
    assert calls == [64, 12] * 3
