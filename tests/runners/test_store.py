"""The store: ids stable, a second run trains nothing, --force retrains, failures are stored with
their error and retried, a stored success is never replaced by a failure, two writers are safe."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from pathlib import Path

import pytest

from runners.cli import main
from runners.store import Store, StoreError, TrialRecord
from tests.conftest import write_claim


def _rec(i: str, status: str = "ok", value: float = 1.0) -> TrialRecord:
    return TrialRecord(
        id=i,
        claim="c",
        version=1,
        framework="torch",
        factors={"x": 1},
        seed_index=0,
        seed=1,
        profile="smoke",
        status=status,
        metrics={"m": value},
        error=None if status == "ok" else "boom",
    )


def test_ok_is_never_replaced_by_a_failure(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.put(_rec("a", "failed"))
    assert store.done_ids(["a"]) == set()
    store.put(_rec("a", "ok", 2.0))
    store.put(_rec("a", "failed"))
    [row] = store.trials()
    assert row.status == "ok" and row.metrics == {"m": 2.0}
    assert store.done_ids(["a", "b"]) == {"a"}


def test_nan_metrics_survive_as_nan(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.put(_rec("a", "diverged", float("nan")))
    [row] = store.trials()
    assert row.metrics["m"] != row.metrics["m"]


def test_two_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store(path)

    def write(prefix: str) -> None:
        s = Store(path)
        for i in range(100):
            s.put(_rec(f"{prefix}{i}"))
            s.put(_rec(f"shared{i}"))
        s.close()

    threads = [threading.Thread(target=write, args=(p,)) for p in "xy"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [r.id for r in Store(path).trials()]
    assert len(ids) == len(set(ids)) == 300


def test_unreadable_store_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(bad)


@pytest.mark.frameworks
def test_second_run_trains_nothing_force_retrains_failures_retry(
    tmp_path: Path, claims_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "s.db")
    base = [
        "--store",
        db,
        "--claims-dir",
        str(claims_dir),
        "run",
        "tiny-claim",
        "--profile",
        "smoke",
        "--backend",
        "local",
    ]
    assert main(base) == 0
    rows = Store(db).trials()
    assert len(rows) == 8 and {r.status for r in rows} == {"ok"}
    finished = {r.id: r.finished for r in rows}
    assert main(base) == 0
    assert "nothing to run" in capsys.readouterr().err
    assert {r.id: r.finished for r in Store(db).trials()} == finished
    assert main([*base, "--framework", "torch", "--force"]) == 0
    after = {r.id: r.finished for r in Store(db).trials()}
    changed = [i for i in after if after[i] != finished[i]]
    assert len(changed) == 4  # only the torch trials were retrained

    # A claim whose trials raise inside the trainer: stored as failed with the error, retried next run.
    broken = tmp_path / "broken"
    write_claim(broken, "fails-at-run", n_train=100000)
    run_broken = [
        "--store",
        db,
        "--claims-dir",
        str(broken),
        "run",
        "fails-at-run",
        "--profile",
        "smoke",
        "--backend",
        "local",
        "--framework",
        "torch",
    ]
    assert main(run_broken) == 0
    failed = [r for r in Store(db).trials(claim="fails-at-run")]
    assert len(failed) == 4 and all(r.status == "failed" for r in failed)
    assert all("n_train=100000 exceeds" in (r.error or "") for r in failed)
    assert main(run_broken) == 0
    assert "running 4 trials" in capsys.readouterr().err  # failures are retried
    # Nothing else was touched.
    assert len(Store(db).trials(claim="tiny-claim")) == 8


def test_store_schema_is_real_sqlite(tmp_path: Path) -> None:
    Store(tmp_path / "s.db").put(_rec("a"))
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT count(*) FROM trials").fetchone()[0] == 1


@pytest.mark.frameworks
def test_until_decided_adds_seeds_to_an_undecided_claim(
    tmp_path: Path, claims_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "s.db")
    args = [
        "--store",
        db,
        "--claims-dir",
        str(claims_dir),
        "run",
        "tiny-claim",
        "--profile",
        "smoke",
        "--backend",
        "local",
        "--framework",
        "torch",
        "--until-decided",
        "--max-seeds",
        "4",
    ]
    assert main(args) == 0
    err = capsys.readouterr().err
    seeds = {r.seed_index for r in Store(db).trials()}
    # 2 smoke seeds cannot decide a 1-point accuracy effect: one more round at 4 seeds
    assert "going to 4 seeds" in err and seeds == {0, 1, 2, 3}
    assert Store(db).claim_meta()["tiny-claim"]["looks"] == 2


def test_costliest_conditions_are_scheduled_first(tmp_path: Path) -> None:
    from claims import discover
    from runners.plan import Plan, expand

    reg = discover(entry_points_too=False)
    store = Store(tmp_path / "s.db")
    plan = Plan()
    plan.todo = expand(reg.claims["relu-resists-vanishing"], "quick")
    groups = plan.groups()
    slow = groups[-1][0]  # the last condition planned, made the slowest by its stored history
    for k, t in enumerate([g[0] for g in groups[:3]] + [slow]):
        rec = TrialRecord(
            id=f"old{k}", claim=t.claim, version=t.version, framework=t.framework, factors=t.point,
            seed_index=t.seed_index, seed=t.seed, profile="quick", status="ok",
            wall_s=50.0 if t is slow else 1.0,
        )  # fmt: skip
        store.put(rec)
    order = plan.longest_first(store.wall_times("quick"))
    assert order[0][0].point == slow.point and order[0][0].framework == slow.framework
    assert sorted(t.id for g in order for t in g) == sorted(t.id for t in plan.todo)  # nothing lost


def test_the_sweeps_tail_goes_one_seed_per_task_but_seed_batches_stay_whole() -> None:
    import dataclasses

    from claims import discover
    from runners.backends import next_task
    from runners.plan import Plan, expand

    plan = Plan()
    plan.todo = expand(discover(entry_points_too=False).claims["relu-resists-vanishing"], "quick")[:15]
    queue = plan.groups()  # 3 conditions x 5 seeds
    tasks = []
    while queue:
        tasks.append(next_task(queue, cpus=2))
    assert [len(t) for t in tasks] == [5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]  # whole, then the tail split
    assert [t.id for task in tasks for t in task] == [t.id for t in plan.todo]  # each trial once, in order
    batch = [[dataclasses.replace(t, mode="seedbatch") for t in plan.todo[:5]]]
    assert len(next_task(batch, cpus=2)) == 5


@pytest.mark.parametrize("workers", [2, 3])
def test_a_freed_workers_next_task_is_of_the_framework_it_has_imported(workers: int) -> None:
    """The Ray backend's dispatch (`_framework_wanted`, then `next_task`) played out on 2-3 workers,
    each handed the next task as it frees up (what Ray does when no task waits in its queue), TF
    trials 1.5x as long as torch's: each worker runs one framework until that one's queue is
    empty, so it imports one framework, not two; a worker crosses over only at the end."""
    from claims import discover
    from runners.backends import _framework_wanted, next_task
    from runners.plan import Plan, Trial, expand

    plan = Plan()
    plan.todo = expand(discover(entry_points_too=False).claims["relu-resists-vanishing"], "quick")
    queue = plan.groups()
    assert {g[0].framework for g in queue[:2]} == {"torch"}  # the plan alone would start both on torch
    running: dict[int, tuple[float, list[Trial]]] = {}  # worker -> (finish time, its task)
    ran: dict[int, list[str]] = {w: [] for w in range(workers)}
    now, freed, idle = 0.0, None, list(range(workers))
    while queue or running:
        while queue and idle:
            g = next_task(queue, workers, _framework_wanted([t for _, t in running.values()], freed))
            w, freed = idle.pop(), None
            running[w] = (now + len(g) * (1.5 if g[0].framework == "tf" else 1.0), g)
            ran[w] += [g[0].framework] * len(g)
        w = min(running, key=lambda k: running[k][0])
        now, g = running.pop(w)
        freed = g[0].framework
        idle.append(w)
    switches = [sum(a != b for a, b in itertools.pairwise(r)) for r in ran.values()]
    assert max(switches) == 1 and sum(switches) <= workers - 1  # some workers never switch
    one_each = [[plan.todo[0]], [plan.todo[-1]]]
    assert {one_each[0][0].framework, one_each[1][0].framework} == {"torch", "tf"}
    assert [_framework_wanted(one_each, f) for f in ("torch", "tf")] == ["torch", "tf"]  # a tie
    assert {r[0] for r in ran.values()} == {"torch", "tf"} and all(ran.values())


def test_a_cold_sweep_starts_a_claims_biggest_nets_first() -> None:
    from claims import discover
    from runners.plan import Plan, expand

    reg = discover(entry_points_too=False)
    plan = Plan()
    plan.todo = expand(reg.claims["highway-vs-residual"], "quick")
    order = plan.longest_first({})  # nothing stored: no history to go by
    first = {(g[0].point["skip"], g[0].point["depth"]) for g in order[:2]}
    assert first == {("highway", max(t.point["depth"] for t in plan.todo))}  # both frameworks
    depths = [g[0].point["depth"] for g in order]
    assert depths == sorted(depths, reverse=True)
