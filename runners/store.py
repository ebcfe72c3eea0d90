"""The SQLite store: one row per trial, written in one transaction each.

WAL mode and a busy timeout make two `claimbench run` on one file safe: every write is an upsert
keyed by the trial id, so a trial written twice is still one row, and a successful row is never
replaced by a failure. Pure stdlib: reports read it too, without importing any framework.

Table `trials` columns: id, claim, version, framework, factors (JSON), seed_index, seed, profile,
status (ok|failed|diverged), metrics (JSON name->float), curves (JSON name->[[step, value]]),
env (JSON), started, finished (unix s), wall_s, error.
Table `claims`: name, version, meta (JSON: the claim's words, factors and expectations as run).
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path("results") / "claimbench.db"
STATUSES = ("ok", "failed", "diverged")

SCHEMA = """
CREATE TABLE IF NOT EXISTS trials (
    id TEXT PRIMARY KEY, claim TEXT NOT NULL, version INTEGER NOT NULL, framework TEXT NOT NULL,
    factors TEXT NOT NULL, seed_index INTEGER NOT NULL, seed INTEGER NOT NULL, profile TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'diverged')),
    metrics TEXT NOT NULL DEFAULT '{}', curves TEXT NOT NULL DEFAULT '{}', env TEXT NOT NULL DEFAULT '{}',
    started REAL, finished REAL, wall_s REAL, error TEXT
);
CREATE INDEX IF NOT EXISTS trials_claim ON trials (claim, profile, framework);
CREATE TABLE IF NOT EXISTS claims (
    name TEXT NOT NULL, version INTEGER NOT NULL, meta TEXT NOT NULL, updated REAL NOT NULL,
    PRIMARY KEY (name, version)
);
"""


NEWEST_KEY = ("claim", "version", "framework", "factors", "seed_index", "profile")


def execution_mode(env: dict[str, Any]) -> str:
    """The execution mode a trial was asked to run in: a seed-batch run's fallback trials (trained
    one by one, the reason in their env) belong to that run."""
    return "seedbatch" if env.get("mode") == "seedbatch" or "seedbatch_fallback" in env else "sequential"


def _finished(row: dict[str, Any]) -> float:
    return row["finished"] or row["started"] or 0.0


class StoreError(Exception):
    pass


@dataclass
class TrialRecord:
    id: str
    claim: str
    version: int
    framework: str
    factors: dict[str, Any]
    seed_index: int
    seed: int
    profile: str
    status: str
    metrics: dict[str, float] = field(default_factory=dict)
    curves: dict[str, list[list[float]]] = field(default_factory=dict)
    env: dict[str, Any] = field(default_factory=dict)
    started: float | None = None
    finished: float | None = None
    wall_s: float | None = None
    error: str | None = None


def _json(obj: Any) -> str:
    # NaN/inf are not JSON: store them as null so every reader can parse the row.
    def clean(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        return v

    return json.dumps(clean(obj), sort_keys=True)


def point_json(point: dict[str, Any]) -> str:
    """A factor point as the `factors` column stores it (keys sorted)."""
    return _json(point)


class Store:
    def __init__(self, path: str | Path = DEFAULT_PATH, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StoreError(f"no store at {self.path} (run `claimbench run` first, or pass --store)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
            self.db.execute("PRAGMA busy_timeout = 60000")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.executescript(SCHEMA)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from exc

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def put(self, r: TrialRecord) -> None:
        """Write one trial in one transaction. A stored `ok` row is kept over a later failure."""
        if r.status not in STATUSES:
            raise StoreError(f"trial {r.id}: status {r.status!r} is not one of {STATUSES}")
        row = (
            r.id,
            r.claim,
            r.version,
            r.framework,
            _json(r.factors),
            r.seed_index,
            r.seed,
            r.profile,
            r.status,
            _json(r.metrics),
            _json(r.curves),
            _json(r.env),
            r.started,
            r.finished,
            r.wall_s,
            r.error,
        )
        with self._tx() as db:
            db.execute(
                """INSERT INTO trials VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                   ON CONFLICT(id) DO UPDATE SET status=excluded.status, metrics=excluded.metrics,
                   curves=excluded.curves, env=excluded.env, started=excluded.started,
                   finished=excluded.finished, wall_s=excluded.wall_s, error=excluded.error
                   WHERE trials.status != 'ok' OR excluded.status = 'ok'""",
                row,
            )

    def put_claim(self, name: str, version: int, meta: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO claims VALUES (?,?,?,?)", (name, version, _json(meta), time.time())
            )

    def done_ids(self, ids: Iterable[str]) -> set[str]:
        """Ids among `ids` whose stored status is final (ok or diverged): those are not rerun."""
        ids = list(ids)
        out: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = f"SELECT id FROM trials WHERE status IN ('ok','diverged') AND id IN ({','.join('?' * len(chunk))})"
            out |= {row[0] for row in self.db.execute(q, chunk)}
        return out

    def trials(
        self, claim: str | None = None, profile: str | None = None, newest: bool = False
    ) -> list[TrialRecord]:
        """Stored trials, ordered by claim, framework, seed index and id.

        newest: only the newest trial per (claim, version, framework, factor point, seed index,
        profile, execution mode), the most a report can use of each. The others are older code
        versions' runs of the same seed, most of a long-lived store; their metrics and curves
        (nearly all of a row) are not even parsed."""
        q, args = "SELECT * FROM trials WHERE 1=1", list[str]()
        if claim:
            q, args = q + " AND claim = ?", [*args, claim]
        if profile:
            q, args = q + " AND profile = ?", [*args, profile]
        cur = self.db.execute(q + " ORDER BY claim, framework, seed_index, id", args)
        cols = [c[0] for c in cur.description]
        rows = [dict(zip(cols, row, strict=True)) for row in cur]
        for d in rows:
            d["env"] = json.loads(d["env"])
        if newest:
            best: dict[tuple[Any, ...], dict[str, Any]] = {}
            for d in rows:
                key = (*(d[k] for k in NEWEST_KEY), execution_mode(d["env"]))
                if key not in best or _finished(d) >= _finished(best[key]):  # ties: the later row
                    best[key] = d
            keep = {id(d) for d in best.values()}
            rows = [d for d in rows if id(d) in keep]
        out = []
        for d in rows:
            for k in ("factors", "metrics", "curves"):
                d[k] = json.loads(d[k])
            d["metrics"] = {k: (math.nan if v is None else v) for k, v in d["metrics"].items()}
            out.append(TrialRecord(**d))
        return out

    def claim_meta(self) -> dict[str, dict[str, Any]]:
        """The newest stored metadata per claim name."""
        rows = self.db.execute("SELECT name, meta FROM claims ORDER BY updated")
        return {name: json.loads(meta) for name, meta in rows}

    def wall_times(self, profile: str) -> dict[tuple[str, str, str], float]:
        """(claim, framework, factors JSON) -> median wall seconds of its ok trials in `profile`,
        over every code version stored: what the scheduler expects a condition's seed to cost."""
        rows = self.db.execute(
            "SELECT claim, framework, factors, wall_s FROM trials WHERE profile = ? AND status = 'ok'",
            (profile,),
        )
        seen: dict[tuple[str, str, str], list[float]] = {}
        for c, f, point, wall in rows:
            if wall is not None:
                seen.setdefault((c, f, point), []).append(float(wall))
        return {k: sorted(v)[len(v) // 2] for k, v in seen.items()}

    def counts(self) -> dict[tuple[str, str, str], int]:
        """(claim, profile, status) -> number of trials."""
        rows = self.db.execute(
            "SELECT claim, profile, status, COUNT(*) FROM trials GROUP BY claim, profile, status"
        )
        return {(c, p, s): n for c, p, s, n in rows}
