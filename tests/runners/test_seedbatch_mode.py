"""The seed-batch execution mode in the runner: its own trial ids (sequential ids unchanged),
batched groups, the fallback for specs that cannot be stacked, failures as records, and
`claimbench run` (seed-batched by default, `--no-seed-batch` for one seed at a time)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from claims import discover, trial_id
from impls.spec import Training
from runners.cli import main
from runners.execute import run_group
from runners.plan import expand
from runners.store import Store


def test_sequential_trial_id_is_pinned() -> None:
    # computed on main before execution modes existed: the sequential mode must not move ids
    assert trial_id("c", 1, "torch", {"x": 1, "y": "a"}, 0, "quick", "code") == "97b377f2762178f9cf55730d"
    seq = trial_id("c", 1, "torch", {"x": 1, "y": "a"}, 0, "quick", "code", mode="sequential")
    assert seq == "97b377f2762178f9cf55730d"
    assert trial_id("c", 1, "torch", {"x": 1, "y": "a"}, 0, "quick", "code", mode="seedbatch") != seq


def test_seed_batch_trials_have_their_own_ids(claims_dir: Path) -> None:
    cls = discover([str(claims_dir)], entry_points_too=False).claims["tiny-claim"]
    seq = expand(cls, "smoke", ["torch"])
    sb = expand(cls, "smoke", ["torch"], mode="seedbatch")
    assert [t.mode for t in sb] == ["seedbatch"] * len(seq) and {t.mode for t in seq} == {"sequential"}
    assert not {t.id for t in seq} & {t.id for t in sb}
    assert [t.seed for t in seq] == [t.seed for t in sb]  # same seeds, same data and initial weights
    assert expand(cls, "smoke", ["torch"], mode="seedbatch")[0].id == sb[0].id  # stable


def test_conditions_that_cannot_be_stacked_keep_their_sequential_ids(claims_dir: Path) -> None:
    # so a seed-batched sweep neither reruns nor stores twice what a sequential sweep stored
    cls = discover([str(claims_dir)], entry_points_too=False).claims["tiny-claim"]
    spec = cls.spec
    monkey = type("MaxNormed", (cls,), {"spec": lambda self, p, prof: _with_max_norm(spec(self, p, prof), p)})
    seq = expand(monkey, "smoke", ["torch"])
    sb = expand(monkey, "smoke", ["torch"], mode="seedbatch")
    assert [t.mode for t in sb] == ["sequential" if t.point["width"] == 4 else "seedbatch" for t in sb]
    same = [a.id == b.id for a, b in zip(seq, sb, strict=True)]
    assert same == [t.point["width"] == 4 for t in sb]


def _with_max_norm(spec: Any, point: dict[str, Any]) -> Any:
    """width 4 gets a max-norm constraint (not stackable); width 16 stays stackable."""
    if point["width"] != 4:
        return spec
    return dataclasses.replace(spec, training=dataclasses.replace(spec.training, max_norm=3.0))


def _plain(value: Any) -> bool:
    """JSON types exactly (no subclasses, no numpy or framework scalars)."""
    if type(value) is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    if type(value) is list:
        return all(_plain(v) for v in value)
    return type(value) in (str, int, float, bool, type(None))


@pytest.mark.frameworks
def test_run_group_batches_falls_back_and_never_raises(
    claims_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cls = discover([str(claims_dir)], entry_points_too=False).claims["tiny-claim"]
    group = [t for t in expand(cls, "smoke", ["torch"], mode="seedbatch") if t.point["width"] == 4]
    records = run_group(group)
    assert [r.status for r in records] == ["ok", "ok"]
    assert all(r.env["mode"] == "seedbatch" and r.env["seed_batch"] == 2 for r in records)
    # records reach the driver as plain data: torch.__version__ (a str subclass) would make the
    # driver import torch to unpickle them
    assert all(_plain(r.env) for r in records)
    assert records[0].metrics["test/accuracy"] != records[1].metrics["test/accuracy"]

    max_normed = [
        dataclasses.replace(t, spec=dataclasses.replace(t.spec, training=Training(epochs=1, max_norm=3.0)))
        for t in group
    ]
    records = run_group(max_normed)
    assert [r.status for r in records] == ["ok", "ok"]
    assert all(r.env["mode"] == "sequential" and "max_norm" in r.env["seedbatch_fallback"] for r in records)
    assert all(_plain(r.env) for r in records)

    monkeypatch.setenv("CLAIMBENCH_FAULT", "raise:tiny-claim")
    records = run_group(group)
    assert [r.status for r in records] == ["failed", "failed"]
    assert all("injected fault" in (r.error or "") for r in records)


@pytest.mark.frameworks
def test_cli_seed_batches_by_default(tmp_path: Path, claims_dir: Path) -> None:
    db = tmp_path / "s.db"
    base = ["--store", str(db), "--claims-dir", str(claims_dir), "run", "tiny-claim", "--profile", "smoke"]
    assert main([*base, "--backend", "local"]) == 0
    records = Store(db).trials("tiny-claim")
    assert len(records) == 8 and {r.status for r in records} == {"ok"}
    assert {(r.framework, r.env["mode"], r.env["seed_batch"]) for r in records} == {
        ("torch", "seedbatch", 2),
        ("tf", "seedbatch", 2),
    }
    cls = discover([str(claims_dir)], entry_points_too=False).claims["tiny-claim"]
    assert {r.id for r in records} == {t.id for t in expand(cls, "smoke", mode="seedbatch")}
    assert main([*base, "--backend", "local", "--seed-batch"]) == 0  # all stored: nothing runs
    assert len(Store(db).trials("tiny-claim")) == 8
    assert main([*base, "--backend", "local", "--no-seed-batch"]) == 0  # the other mode: its own ids
    records = Store(db).trials("tiny-claim")
    assert len(records) == 16 and sum("mode" not in r.env for r in records) == 8
