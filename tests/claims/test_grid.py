"""Grid expansion, trial ids, paired seeds and selectors."""

from __future__ import annotations

import pytest

from claims import Selector, discover, points, trial_id, trial_seed

REG = discover(entry_points_too=False)
RELU = REG.claims["relu-resists-vanishing"]


def test_grid_is_the_product() -> None:
    pts = points(RELU)
    assert len(pts) == 3 * 2 * 2
    assert pts[0] == {"activation": "relu", "init": "matched", "depth": 10}


def test_trial_id_ignores_key_order_and_changes_with_each_part() -> None:
    a = trial_id("c", 1, "torch", {"x": 1, "y": "a"}, 0, "quick", "code")
    assert a == trial_id("c", 1, "torch", {"y": "a", "x": 1}, 0, "quick", "code")
    others = [
        trial_id("c", 2, "torch", {"x": 1, "y": "a"}, 0, "quick", "code"),
        trial_id("c", 1, "tf", {"x": 1, "y": "a"}, 0, "quick", "code"),
        trial_id("c", 1, "torch", {"x": 2, "y": "a"}, 0, "quick", "code"),
        trial_id("c", 1, "torch", {"x": 1, "y": "a"}, 1, "quick", "code"),
        trial_id("c", 1, "torch", {"x": 1, "y": "a"}, 0, "smoke", "code"),
        trial_id("c", 1, "torch", {"x": 1, "y": "a"}, 0, "quick", "code2"),
    ]
    assert len({a, *others}) == 7


def test_seeds_pair_the_compared_arms_only() -> None:
    # activation is compared, depth and init are conditions
    s = trial_seed(RELU, {"activation": "relu", "init": "matched", "depth": 10}, 0)
    assert s == trial_seed(RELU, {"activation": "sigmoid", "init": "matched", "depth": 10}, 0)
    assert s != trial_seed(RELU, {"activation": "relu", "init": "matched", "depth": 20}, 0)
    assert s != trial_seed(RELU, {"activation": "relu", "init": "matched", "depth": 10}, 1)


def test_selector() -> None:
    sel = Selector.parse("relu-resists-vanishing[activation=tanh, depth=20]")
    assert sel.name == "relu-resists-vanishing"
    assert sel.matches({"activation": "tanh", "init": "matched", "depth": 20})
    assert not sel.matches({"activation": "relu", "init": "matched", "depth": 20})
    sel.check(RELU)
    with pytest.raises(ValueError, match="no factor 'colour'"):
        Selector.parse("relu-resists-vanishing[colour=red]").check(RELU)
    with pytest.raises(ValueError, match="is not one of"):
        Selector.parse("relu-resists-vanishing[depth=7]").check(RELU)
    with pytest.raises(ValueError, match="bad selector"):
        Selector.parse("relu-resists-vanishing[depth=7")
