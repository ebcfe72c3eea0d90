"""CNN spec arithmetic, its checker, canonical weights, and the experiments' numpy helpers."""

from __future__ import annotations

import numpy as np
import pytest

from impls import data, experiment_data, init
from impls.spec import CNN, Conv, Data, TrialSpec, cnn_flat_features, cnn_shapes, validate


def test_shapes_follow_explicit_padding_stride_and_pool() -> None:
    m = CNN(
        convs=(Conv(8, pool="max"), Conv(16, kernel=3, stride=2, padding=1), Conv(4, kernel=2, padding=0))
    )
    assert cnn_shapes(m) == [(8, 8, 1), (4, 4, 8), (2, 2, 16), (1, 1, 4)]
    assert cnn_flat_features(m) == 4
    assert cnn_flat_features(CNN(global_pool=True)) == 32


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"norm": "weird"}, "model.norm"),
        ({"weight_norm": "spectral"}, "model.weight_norm"),
        ({"norm": "group", "groups": 3}, "model.groups"),
        ({"convs": (Conv(4, kernel=9, padding=0),)}, "shrink"),
        ({"convs": (Conv(4, pool="median"),)}, "pool"),
    ],
)
def test_checker_names_the_field(kw: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        validate(TrialSpec(data=Data(), model=CNN(**kw)))


def test_canonical_weights_names_and_layouts() -> None:
    m = CNN(
        convs=(Conv(8, kernel=3), Conv(16, kernel=5, padding=2)),
        dense=(12,),
        norm="batch",
        weight_norm="weight",
    )
    w = init.initial_weights(m, 64, 10, 0, "float64")
    assert w["conv0/kernel"].shape == (3, 3, 1, 8) and w["conv1/kernel"].shape == (5, 5, 8, 16)
    assert w["dense0/kernel"].shape == (8 * 8 * 16, 12) and w["head/kernel"].shape == (12, 10)
    assert {"conv0/g", "norm0/mean", "norm1/var", "dnorm0/gamma"} <= set(w)
    kernels = [k for k in w if k.endswith("/kernel")]
    assert kernels == ["conv0/kernel", "conv1/kernel", "dense0/kernel", "head/kernel"]  # layer order
    cosine = init.initial_weights(CNN(weight_norm="cosine"), 64, 10, 0, "float64")
    assert "conv0/bias" not in cosine and "conv0/g" not in cosine
    with pytest.raises(ValueError, match="image"):
        init.initial_weights(CNN(image=(4, 4, 1)), 64, 10, 0, "float64")


def test_class_split_relabels_and_draws_per_class() -> None:
    split = data.load(Data("digits"), 1)
    sub = experiment_data.class_split(split, (5, 6, 7, 8, 9), 20, seed=1)
    assert sub.n_classes == 5 and np.bincount(sub.y_train).tolist() == [20] * 5
    assert set(np.unique(sub.y_test)) == set(range(5)) and len(sub.y_test) == int(
        np.isin(split.y_test, [5, 6, 7, 8, 9]).sum()
    )
    again = experiment_data.class_split(split, (5, 6, 7, 8, 9), 20, seed=1)
    np.testing.assert_array_equal(sub.x_train, again.x_train)
    with pytest.raises(ValueError, match="per_class"):
        experiment_data.class_split(split, (0,), 10_000, seed=1)


def test_test_chunks_cover_every_example_once() -> None:
    chunks = experiment_data.test_chunks(359, 8, seed=2)
    assert sorted(np.concatenate(chunks).tolist()) == list(range(359))
    assert all(len(c) == 8 for c in chunks[:-1]) and len(chunks[-1]) == 359 % 8


def test_bn_state_summary() -> None:
    before = {"norm0/mean": np.array([1.0, 1.0]), "norm0/var": np.array([1.0, 1.0])}
    after = {"norm0/mean": np.array([1.5, 1.0]), "norm0/var": np.array([0.9, 0.9])}
    s = experiment_data.bn_state_summary(before, after)
    assert s["bn/last_step_log10_var_ratio"] == pytest.approx(np.log10(0.9))
    assert s["bn/last_step_mean_shift"] == pytest.approx(0.25)
