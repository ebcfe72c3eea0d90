"""`claimbench report`: rebuild every page from the store (no training).

Writes, under `out_dir`:
    index.html, index.md            verdict matrix by section (filterable), disagreements, the sweep's
                                    date, profile, seeds and environment, not-testable parts
    claims/<name>.html, .md         one page per claim (HTML self-contained: figures inline)
    crosscheck.html, .md            effect-size agreement across frameworks, and the regression ladder
                                    (the newest `crosscheck-<dtype>.json` per dtype found in out_dir)
    method.html, .md                how verdicts are decided, in plain words
    figures/<name>-<i>-<kind>.svg   the figures the Markdown pages link to
    verdicts.json                   claim -> {framework: verdict, ..., "agree": bool}
"""

from __future__ import annotations

import base64
import io
import json
import os
import pickle
import subprocess
import sys
import tempfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import matplotlib
import numpy as np
import pandas as pd

from reports import crossframework, figures, stats
from reports.index import (
    FRAMEWORK_ORDER,
    NO_META_SECTION,
    NO_SECTION,
    PROFILE_RANK,
    ClaimResult,
    crosscheck_page,
    environment,
    framework_order,
    index_page,
    slug,
)
from reports.render import render_claim, render_crosscheck, render_index, render_method
from reports.table import cell, curves_table, latest, long_table
from runners.store import Store, TrialRecord, execution_mode

ALPHA = 0.05  # family-wise error of a claim's verdicts
DPI = 80
MIN_CLAIMS_PER_WORKER = 8


def build_report(
    store_path: str | Path,
    out_dir: str | Path,
    profile: str | None = None,
    rng_seed: int = 0,
    workers: int | None = None,
) -> Path:
    """Render the whole report from the store at `store_path` into `out_dir`; return index.html.

    Per claim, the trials of one profile are used: `profile` when given, else the profile run most
    recently (ties go to the larger profile). Only the trials of the claim's current version
    (its stored metadata) count, one per seed (the newest, if code changes left several).
    `rng_seed` seeds the bootstrap; each claim gets its own stream, so its numbers do not depend
    on which other claims are in the store.

    `workers`: processes that draw the claims' pages (figures are most of a report's time). By
    default one for a few claims, else one per CPU up to 8; the pages are the same either way.
    """
    out = Path(out_dir)
    for sub in ("claims", "figures"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")

    store = Store(store_path, create=False)
    try:
        metas = store.claim_meta()
        n = _workers(len(metas)) if workers is None else max(1, min(workers, len(metas)))
        with _Helpers(n - 1) as helpers:  # started now, so their imports overlap the read below
            records = store.trials(profile=profile, newest=True)
            by_claim: dict[str, list[TrialRecord]] = defaultdict(list)
            for r in records:
                by_claim[r.claim].append(r)
            jobs: list[_Job] = []
            used: list[TrialRecord] = []
            for name in sorted(set(by_claim) | set(metas)):
                chosen, notes = _select(by_claim.get(name, []), metas.get(name), profile)
                used += chosen
                jobs.append(_Job(name, chosen, metas.get(name), notes, out, rng_seed, generated))
            results = helpers.run(jobs)
    finally:
        store.close()

    frameworks = [f for f in FRAMEWORK_ORDER if any(f in r.cells for r in results)]
    frameworks += sorted({f for r in results for f in r.cells} - set(frameworks))
    index = index_page(results, used, frameworks, generated)
    cross = crosscheck_page(results, out, generated)
    for fmt in ("html", "md"):
        (out / f"index.{fmt}").write_text(render_index(index, fmt), encoding="utf-8")
        (out / f"crosscheck.{fmt}").write_text(render_crosscheck(cross, fmt), encoding="utf-8")
        (out / f"method.{fmt}").write_text(render_method(ALPHA, generated, fmt), encoding="utf-8")
    verdicts = {
        r.name: {
            **{fw: v for fw, v in r.cells.items() if v in figures.VERDICT_COLOURS},
            "agree": r.agree is not False,
        }
        for r in results
        if r.evaluated
    }
    (out / "verdicts.json").write_text(
        json.dumps(verdicts, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return out / "index.html"


def _cost(job: _Job) -> float:
    """Rough drawing cost of a claim's pages, in forest-plot units: figures dominate, then the
    number of trials the statistics filter (measured: ~0.4 s a figure, ~1 ms a trial)."""
    n_figures = 1 + len((job.meta or {}).get("figures", []))
    return n_figures + len(job.records) / 400


def _split(jobs: list[_Job], n: int) -> list[list[int]]:
    """Job indices for n processes, balanced by `_cost` (largest first, onto the least loaded)."""
    loads = [0.0] * n
    chunks: list[list[int]] = [[] for _ in range(n)]
    for i in sorted(range(len(jobs)), key=lambda i: -_cost(jobs[i])):
        k = loads.index(min(loads))
        chunks[k].append(i)
        loads[k] += _cost(jobs[i])
    return chunks


class _Helpers:
    """The k processes that draw claims' pages beside this one (`run`). They are fresh
    interpreters (`python -c`), not multiprocessing: fork is unsafe in a process holding library
    threads, and spawn re-runs the caller's `__main__`. They start before the store is read, so
    their imports (~2.7 s: matplotlib, seaborn, pandas, scipy) overlap the read (~2.9 s for a
    34k-trial store) rather than follow it; each then waits on stdin for its jobs' file. Leaving
    the context ends any still running (an error before `run` gives them no work: they exit)."""

    def __init__(self, k: int) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="claimbench-report-")
        self.dir = Path(self._tmp.name)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        code = "import sys; from reports.build import _worker_main; _worker_main(sys.argv[1])"
        self.procs: list[tuple[subprocess.Popen[bytes], IO[str]]] = []
        for i in range(k):
            log = (self.dir / f"log{i}.txt").open("w")
            cmd = [sys.executable, "-c", code, str(self.dir / f"results{i}.pkl")]
            proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
            self.procs.append((proc, log))

    def __enter__(self) -> _Helpers:
        return self

    def __exit__(self, *exc: object) -> None:
        for proc, log in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdin is not None:
                proc.stdin.close()
            log.close()
        self._tmp.cleanup()

    def run(self, jobs: list[_Job]) -> list[ClaimResult]:
        """`_claim_pages` for every job, split over this process and the helpers (`_split`)."""
        chunks = _split(jobs, len(self.procs) + 1)
        for i, ((proc, _), chunk) in enumerate(zip(self.procs, chunks[1:], strict=True)):
            src = self.dir / f"jobs{i}.pkl"
            src.write_bytes(pickle.dumps([jobs[j] for j in chunk]))
            assert proc.stdin is not None
            proc.stdin.write(f"{src}\n".encode())
            proc.stdin.close()
        by_chunk = [[_claim_pages(jobs[j]) for j in chunks[0]]]
        for i, (proc, _) in enumerate(self.procs):
            if proc.wait() != 0:
                tail = (self.dir / f"log{i}.txt").read_text()[-2000:]
                raise RuntimeError(f"a report worker failed (exit {proc.returncode}):\n{tail}")
            by_chunk.append(pickle.loads((self.dir / f"results{i}.pkl").read_bytes()))
        out: dict[int, ClaimResult] = {}
        for chunk, results in zip(chunks, by_chunk, strict=True):
            out.update(zip(chunk, results, strict=True))
        return [out[i] for i in range(len(jobs))]


def _worker_main(dst: str) -> None:
    """A helper process: once the parent names its jobs' file on stdin, draw their pages and
    pickle the results to `dst`. No line (the parent ended first): nothing to do."""
    src = sys.stdin.readline().strip()
    if src:
        jobs = pickle.loads(Path(src).read_bytes())
        Path(dst).write_bytes(pickle.dumps([_claim_pages(job) for job in jobs]))


def _workers(n_claims: int) -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    # A worker costs about as much to start (imports) as drawing a few claims.
    return 1 if n_claims < MIN_CLAIMS_PER_WORKER * 2 else min(cpus, 8, n_claims // MIN_CLAIMS_PER_WORKER)


@dataclass
class _Job:
    """One claim's inputs, sent to a worker process."""

    name: str
    records: list[TrialRecord]
    meta: dict[str, Any] | None
    notes: list[str]
    out: Path
    rng_seed: int
    generated: str


def _claim_pages(job: _Job) -> ClaimResult:
    """Evaluate one claim, draw its figures and write its two pages."""
    result, page = _claim(job.name, job.records, job.meta, job.notes, job.out, job.rng_seed)
    page["generated"] = job.generated
    for fmt in ("html", "md"):
        (job.out / "claims" / f"{slug(job.name)}.{fmt}").write_text(render_claim(page, fmt), encoding="utf-8")
    return result


# ---------------------------------------------------------------------------------------------
# Choosing the trials
# ---------------------------------------------------------------------------------------------
def _select(
    records: list[TrialRecord], meta: dict[str, Any] | None, profile: str | None
) -> tuple[list[TrialRecord], list[str]]:
    """The claim's trials for one profile and its current version, one per seed."""
    notes: list[str] = []
    if not records:
        where = f" for profile {profile!r}" if profile else ""
        return [], [f"No trials in the store{where}: run `claimbench run` first."]
    if profile is None:
        newest: dict[str, tuple[float, int]] = {}
        for r in records:
            key = (r.finished or r.started or 0.0, PROFILE_RANK.get(r.profile, -1))
            newest[r.profile] = max(newest.get(r.profile, key), key)
        profile = max(newest, key=lambda p: newest[p])
        others = sorted(set(newest) - {profile}, key=lambda p: PROFILE_RANK.get(p, -1))
        if others:
            notes.append(
                f"Profile {profile!r} was run most recently; trials of {', '.join(map(repr, others))} are not used."
            )
    records = [r for r in records if r.profile == profile]
    versions = {r.version for r in records}
    version = meta.get("version") if meta else None
    if version not in versions:
        if version is not None:
            notes.append(f"No trials of the current version {version}; showing version {max(versions)}.")
        version = max(versions)
    elif len(versions) > 1:
        notes.append(
            f"Trials of older versions ({', '.join(map(str, sorted(versions - {version})))}) are not used."
        )
    records = [r for r in records if r.version == version]
    # Seed-batched and sequential runs of one condition agree only up to rounding: a condition's
    # seeds all come from the mode it was run in most recently (a seed-batched sweep runs the
    # conditions it cannot stack sequentially, so a claim may hold both, one per condition).
    newest_mode: dict[tuple[str, str], tuple[float, str]] = {}
    for r in records:
        cond = (r.framework, cell(r.factors))
        newest_mode[cond] = max(newest_mode.get(cond, (-1.0, "")), (_finished_at(r), _mode(r)))
    kept = [r for r in records if _mode(r) == newest_mode[(r.framework, cell(r.factors))][1]]
    dropped = [r for r in records if _mode(r) != newest_mode[(r.framework, cell(r.factors))][1]]
    if dropped:
        notes.append(
            f"{len(dropped)} trials of conditions rerun since in another execution mode "
            f"({', '.join(sorted({_mode(r) for r in dropped}))} before) are not used."
        )
    return latest(kept), notes


def _finished_at(r: TrialRecord) -> float:
    return r.finished or r.started or 0.0


def _mode(r: TrialRecord) -> str:
    return execution_mode(r.env)


# ---------------------------------------------------------------------------------------------
# One claim
# ---------------------------------------------------------------------------------------------
def evaluate_rows(
    name: str,
    table: pd.DataFrame,
    meta: dict[str, Any],
    expects: list[dict[str, Any]],
    rng_seed: int = 0,
    effects: stats.Effects | None = None,
) -> pd.DataFrame:
    """The claim's comparison rows. A claim run with `--until-decided` had up to `looks` looks
    at its data; each look is charged alpha / looks (Bonferroni over looks), which keeps the
    error rate valid under that optional stopping."""
    rng = np.random.default_rng([rng_seed, zlib.crc32(name.encode())])
    alpha = ALPHA / max(1, int(meta.get("looks", 1)))
    return stats.evaluate(table, expects, list(meta.get("factors", {})), rng, alpha=alpha, effects=effects)


def claim_rows(store: Store, name: str, profile: str | None = None) -> pd.DataFrame:
    """Comparison rows of one claim from the store (empty if it has no trials or metadata)."""
    meta = store.claim_meta().get(name)
    records, _ = _select(store.trials(claim=name, profile=profile, newest=True), meta, profile)
    if not meta or not records or not meta.get("expect"):
        return pd.DataFrame()
    expects = [_expect_cells(e) for e in meta["expect"]]
    return evaluate_rows(name, long_table(records, {name: meta.get("metrics", [])}), meta, expects)


def claim_verdicts(store: Store, name: str, profile: str | None = None) -> dict[str, str]:
    """The claim's verdict per framework from the store (what `claimbench show` prints)."""
    rows = claim_rows(store, name, profile)
    return stats.claim_verdict(rows) if len(rows) else {}


def _claim(
    name: str,
    records: list[TrialRecord],
    meta: dict[str, Any] | None,
    notes: list[str],
    out: Path,
    rng_seed: int,
) -> tuple[ClaimResult, dict[str, Any]]:
    meta = meta or {}
    present = framework_order({r.framework for r in records})
    declared = framework_order(meta.get("frameworks") or present or FRAMEWORK_ORDER)
    profile = records[0].profile if records else None
    status = Counter((r.framework, r.status) for r in records)
    seeds = {fw: len({r.seed_index for r in records if r.framework == fw}) for fw in present}
    expects = [_expect_cells(e) for e in meta.get("expect", [])]
    compared = list(dict.fromkeys(k for e in expects for k in [*e["treatment"], *(e.get("control") or {})]))

    rows = pd.DataFrame()
    verdicts: dict[str, str] = {}
    summary: dict[str, dict[str, list[str]]] = {}
    stats_error = ""
    table = long_table(records, {name: meta.get("metrics", [])}) if records else pd.DataFrame()
    effects: stats.Effects = {}  # arms selected once for the verdicts and the framework gaps
    if not meta:
        notes.insert(
            0, "No claim metadata is stored for this claim, so it has no expectations and no verdict."
        )
    elif records and not expects:
        notes.append("The claim declares no expectations, so it has no verdict.")
    elif records:
        try:
            rows = evaluate_rows(name, table, meta, expects, rng_seed, effects)
            verdicts = stats.claim_verdict(rows, present)
            summary = stats.conditions_summary(rows)
        except (ValueError, KeyError, TypeError) as exc:
            stats_error = f"statistics failed: {exc}"
            notes.append(f"The statistics could not be computed: {exc}")
            rows, verdicts = pd.DataFrame(), {}
    agree = stats.frameworks_agree(verdicts) if len(verdicts) > 1 else None
    level = rows.attrs.get("level", 0.95) if len(rows) else 0.95
    gaps: list[dict[str, Any]] = []
    if len(rows) and set(crossframework.PAIR) <= set(present):
        try:
            factors = list(meta.get("factors", {}))
            gaps = crossframework.gaps(name, table, factors, expects, level, rng_seed, effects)
        except (ValueError, KeyError, TypeError) as exc:
            notes.append(f"The frameworks' effects could not be compared: {exc}")

    figs: list[dict[str, str]] = []
    if len(rows):
        figs.append(
            _save(
                figures.forest(rows),
                "Effects with CIs against the smallest effect that matters",
                name,
                0,
                "forest",
                out,
            )
        )
    ctable = None
    for i, (kind, what) in enumerate(meta.get("figures", []) if records else [], start=1):
        if kind == "curve":
            ctable = curves_table(records) if ctable is None else ctable
            fig, title = figures.curves(ctable, what, compared), f"Learning curve: {what} (mean, 95% band)"
        elif kind == "profile":
            fig, title = figures.profile(table, what, compared), f"Per-layer profile: {what} (mean, 95% band)"
        else:
            notes.append(f"Unknown figure kind {kind!r} ({what}) skipped.")
            continue
        figs.append(_save(fig, title, name, i, kind, out))

    cells = {fw: verdicts.get(fw, "not run" if fw not in present else "no verdict") for fw in declared}
    cells.update({fw: verdicts.get(fw, "no verdict") for fw in present if fw not in cells})
    result = ClaimResult(
        name=name,
        title=str(meta.get("title", "")),
        section=str(meta.get("section") or NO_SECTION) if meta else NO_META_SECTION,
        profile=profile,
        cells=cells,
        agree=agree,
        seeds=seeds,
        planned=(meta.get("seeds") or {}).get(profile) if profile else None,
        failed=sum(n for (_, s), n in status.items() if s == "failed"),
        diverged=sum(n for (_, s), n in status.items() if s == "diverged"),
        note="no claim metadata stored" if not meta else ("not run" if not records else stats_error),
        evaluated=bool(verdicts),
        gaps=gaps,
        p_values=[float(p) for p in rows["p"]] if len(rows) else [],
    )
    page = {
        **{k: meta.get(k, "") for k in ("title", "section", "source", "literature", "literature_effect")},
        **{k: meta.get(k, "") for k in ("operationalisation", "origin")},
        "name": name,
        "version": meta.get("version", records[0].version if records else ""),
        "profile": profile or "—",
        "command": meta.get("command")
        or f"claimbench run {name}" + (f" --profile {profile}" if profile else ""),
        "notes": notes,
        "multi": agree is not None,
        "agree": agree,
        "verdicts": [
            {
                "framework": fw,
                "verdict": v,
                "holds": summary.get(fw, {}).get("supported", []),
                "fails": summary.get(fw, {}).get("refuted", []),
                "unclear": summary.get(fw, {}).get("inconclusive", []),
                "seeds": seeds.get(fw, 0),
                "failed": status[(fw, "failed")],
                "diverged": status[(fw, "diverged")],
            }
            for fw, v in verdicts.items()
        ],
        "expects": [
            {"label": e.get("label") or _describe(e), "description": e.get("description", "")}
            for e in expects
        ],
        "comparisons": _sorted_rows(rows),
        "level": f"{100 * level:.4g}%",
        "figures": figs,
        "failures": _failures(records),
        "env": environment(records),
    }
    return result, page


def _sorted_rows(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """Comparison rows for the page: by comparison, condition, then torch before tf."""
    if not len(rows):
        return []
    rank = {fw: i for i, fw in enumerate(FRAMEWORK_ORDER)}
    order = rows.assign(_fw=rows["framework"].map(lambda f: rank.get(f, len(rank))))
    order["_cmp"] = order["comparison"].map({c: i for i, c in enumerate(dict.fromkeys(rows["comparison"]))})
    order = order.sort_values(["_cmp", "condition", "_fw"], kind="stable")
    return order.drop(columns=["_fw", "_cmp"]).to_dict("records")


def _expect_cells(e: dict[str, Any]) -> dict[str, Any]:
    """An expectation with its factor values written as table cells (see `table.cell`)."""
    e = dict(e)
    for arm in ("treatment", "control"):
        if e.get(arm) is not None:
            e[arm] = {k: cell(v) for k, v in e[arm].items()}
    e["where"] = {k: [cell(v) for v in vs] for k, vs in (e.get("where") or {}).items()}
    return e


def _describe(e: dict[str, Any]) -> str:
    def point(p: dict[str, Any]) -> str:
        return ",".join(f"{k}={v}" for k, v in p.items()) or "all"

    control = point(e["control"]) if e.get("control") is not None else f"{e.get('reference', 0.0):g}"
    return f"{e['metric']}: {point(e['treatment'])} vs {control} ({e.get('direction', 'greater')})"


def _save(fig: Any, title: str, claim: str, i: int, kind: str, out: Path) -> dict[str, str]:
    """Write the SVG the Markdown page links to; return it also as a data URI for the HTML.

    SVG with text kept as text (`svg.fonttype` none): a third faster to write than a PNG (no glyph
    rasterising, which was a third of a report's time), smaller, and sharp at any zoom. Fixed
    hash salt and no date: the same figure gives the same bytes, so snapshots diff cleanly."""
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "claimbench"}):
        fig.savefig(buf, format="svg", dpi=DPI, metadata={"Date": None})
    # Figures are made without pyplot, so nothing global holds them: dropping it frees it.
    data = buf.getvalue()
    file = f"{slug(claim)}-{i}-{kind}.svg"
    (out / "figures" / file).write_bytes(data)
    uri = "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")
    return {"title": title, "file": f"../figures/{file}", "uri": uri}


def _failures(records: Sequence[TrialRecord]) -> list[dict[str, Any]]:
    out = []
    for fw in framework_order({r.framework for r in records}):
        bad = [r for r in records if r.framework == fw and r.status != "ok"]
        if bad:
            errors = [r.error for r in bad if r.error]
            out.append(
                {
                    "framework": fw,
                    "failed": sum(r.status == "failed" for r in bad),
                    "diverged": sum(r.status == "diverged" for r in bad),
                    "first_error": _error_line(errors[0]) if errors else "",
                }
            )
    return out


def _error_line(error: str) -> str:
    """The line that says what went wrong: a traceback's last line, else the first line."""
    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[-1] if lines[0].startswith("Traceback") else lines[0]
