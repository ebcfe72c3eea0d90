"""`claimbench` command line. Misuse answers one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import functools
import os
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from claims import PROFILES, ClaimError, DuplicateClaimError, Registry, Selector, discover
from runners import gpu
from runners.backends import InfeasibleError
from runners.crosscheck_cases import FAMILIES as CROSSCHECK_FAMILIES
from runners.store import DEFAULT_PATH, Store, StoreError

FRAMEWORK_NAMES = ("torch", "tf")


class UsageError(Exception):
    """A bad value from the user: one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _registry(args: argparse.Namespace) -> Registry:
    try:
        return discover(args.claims_dir)
    except DuplicateClaimError as exc:
        raise UsageError(str(exc)) from exc


def _lookup(reg: Registry, name: str) -> Any:
    if name in reg.claims:
        return reg.claims[name]
    broken = [b for b in reg.broken if Path(b.origin).stem.replace("_", "-") == name]
    if broken:
        raise UsageError(f"claim {name!r} is broken: {broken[0].reason}")
    close = difflib.get_close_matches(name, list(reg.claims), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else "; `claimbench list` shows them"
    raise UsageError(f"unknown claim {name!r}{hint}")


def _open_store(args: argparse.Namespace, create: bool) -> Store:
    try:
        return Store(args.store, create=create)
    except StoreError as exc:
        raise UsageError(str(exc)) from exc


# Commands -----------------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    reg = _registry(args)
    counts: dict[tuple[str, str, str], int] = {}
    if Path(args.store).exists():
        counts = _open_store(args, create=False).counts()
    for name in sorted(reg.claims):
        cls = reg.claims[name]
        done = {
            p: sum(n for (c, pp, s), n in counts.items() if c == name and pp == p and s != "failed")
            for p in PROFILES
        }
        failed = sum(n for (c, _, s), n in counts.items() if c == name and s == "failed")
        last = ", ".join(f"{p}:{n}" for p, n in done.items() if n) or "not run"
        if failed:
            last += f", {failed} failed"
        print(f"{name:34s} {'/'.join(cls.frameworks):9s} [{last}]  {cls.title}")
    for b in reg.broken:
        print(f"BROKEN {b.reason}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    reg = _registry(args)
    cls = _lookup(reg, args.claim)
    print(f"{cls.name} (v{cls.version}) — {cls.title}\n  from {reg.origins[cls.name]}\n")
    print(f'The note says:\n  "{cls.source}"\n')
    print(f"Operationalisation:\n  {cls.operationalisation}\n")
    if cls.literature:
        print(f"Literature: {cls.literature}\n")
    print("Factors:")
    for k, v in cls.factors.items():
        print(f"  {k}: {v}")
    print(f"Seeds: {cls.seeds}   Frameworks: {', '.join(cls.frameworks)}\nExpectations:")
    for e in cls.expect:
        print(
            f"  - {e.describe()}  (smallest effect that matters: {e.min_effect:g}{' relative' if e.relative else ''})"
        )
    if Path(args.store).exists():
        from reports.build import claim_verdicts

        verdicts = claim_verdicts(_open_store(args, create=False), cls.name)
        if verdicts:
            print("Last verdicts: " + ", ".join(f"{fw}: {v}" for fw, v in verdicts.items()))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    reg = _registry(args)
    selectors = (
        [Selector.parse(s) for s in args.claims] if args.claims else [Selector(n) for n in sorted(reg.claims)]
    )
    chosen = []
    for sel in selectors:
        cls = _lookup(reg, sel.name)
        try:
            sel.check(cls)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        chosen.append((cls, sel))
    if args.gpus_per_trial is not None:
        try:
            gpu.plan(args.gpus_per_trial)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    store = _open_store(args, create=True)
    # stdout is for machine-readable output only: Ray's own messages (raylet warnings about a
    # dead worker, ...) are printed to stdout by a background thread, so send them to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        summary = _run(args, reg, chosen, store)
    print(summary, file=sys.stderr)
    for b in reg.broken:
        print(f"skipped broken claim: {b.reason}", file=sys.stderr)
    return 0


def _run(args: argparse.Namespace, reg: Registry, chosen: list[Any], store: Store) -> str:
    from runners.adaptive import run_until_decided
    from runners.sweep import run_sweep

    if args.until_decided:
        run: Any = functools.partial(run_until_decided, max_seeds=args.max_seeds)
    else:
        run = run_sweep
    return run(
        chosen,
        reg.origins,
        store,
        profile=args.profile,
        frameworks=args.framework,
        backend=args.backend,
        force=args.force,
        address=args.address,
        cpus=args.cpus_per_trial,
        gpus=args.gpus_per_trial,
        max_retries=args.max_retries,
        workers=args.workers,
        seed_batch=args.seed_batch,
    )


def cmd_report(args: argparse.Namespace) -> int:
    from reports.build import build_report

    store_path = Path(args.store)
    if not store_path.exists():
        raise UsageError(f"no store at {store_path} (run `claimbench run` first, or pass --store)")
    t0 = time.perf_counter()
    index = build_report(store_path, Path(args.out), profile=args.profile)
    print(f"report written: {index} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    return 0


def cmd_crosscheck(args: argparse.Namespace) -> int:
    from reports.crossframework import ladder_json
    from runners.crosscheck import render_markdown, run_ladder

    rows = run_ladder(dtype=args.dtype, family=args.family, steps=args.steps)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    page = out / (
        f"crosscheck-{args.dtype}.md" if args.family is None else f"crosscheck-{args.family}-{args.dtype}.md"
    )
    page.write_text(render_markdown(rows))
    # the rows for `claimbench report`, which shows the newest of these on its cross-framework page
    (out / f"crosscheck-{args.dtype}.json").write_text(ladder_json(rows, args.dtype, args.steps, args.family))
    failed = [r for r in rows if not r["passed"]]
    print(
        f"crosscheck: {len(rows) - len(failed)}/{len(rows)} checks passed; page: {page} (+ .json); "
        f"`claimbench report --out {out}` includes it",
        file=sys.stderr,
    )
    for r in failed:
        print(
            f"FAILED rung {r['rung']} {r['case']} {r['quantity']}: {r['measured']:.3g} > {r['tolerance']:.3g}",
            file=sys.stderr,
        )
    return 1 if failed else 0


def cmd_export(args: argparse.Namespace) -> int:
    from reports.table import export

    store = _open_store(args, create=False)
    out = Path(args.out)
    if out.suffix not in (".csv", ".parquet"):
        raise UsageError(f"--out {out}: expected a .csv or .parquet file name")
    n = export(store, out)
    print(f"exported {n} rows to {out}", file=sys.stderr)
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from runners.skeleton import write_skeleton

    try:
        path = write_skeleton(args.name, Path(args.dir))
    except (ValueError, FileExistsError) as exc:
        raise UsageError(str(exc)) from exc
    print(f"wrote {path}; list it with: claimbench --claims-dir {args.dir} list", file=sys.stderr)
    return 0


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected >= 0, got {n}")
    return n


def _fraction(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if x < 0:
        raise argparse.ArgumentTypeError(f"expected >= 0, got {x}")
    return x


def parser() -> Parser:
    p = Parser(prog="claimbench", description="Verify deep-learning folk wisdom in PyTorch and TensorFlow.")
    p.add_argument(
        "--store", default=os.environ.get("CLAIMBENCH_STORE", str(DEFAULT_PATH)), help="SQLite file"
    )
    p.add_argument(
        "--claims-dir", action="append", default=[], help="extra folder of claim files (repeatable)"
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    sub.add_parser("list", help="every claim, its frameworks and stored results; broken ones with the reason")
    s = sub.add_parser(
        "show", help="a claim's words, operationalisation, factors, expectations, last verdicts"
    )
    s.add_argument("claim")
    r = sub.add_parser("run", help="run claims (all by default); stored trials are skipped")
    r.add_argument("claims", nargs="*", help="claim names or selectors like name[factor=value]")
    r.add_argument("--profile", choices=PROFILES, default="quick")
    r.add_argument("--framework", choices=FRAMEWORK_NAMES, action="append", help="repeatable; default both")
    r.add_argument("--backend", choices=("ray", "local"), default="ray")
    r.add_argument(
        "--address", default=None, help="an existing Ray cluster (default: RAY_ADDRESS or embedded)"
    )
    r.add_argument("--force", action="store_true", help="rerun trials even if stored")
    r.add_argument("--cpus-per-trial", type=_fraction, default=None)
    r.add_argument("--gpus-per-trial", type=_fraction, default=None)
    r.add_argument("--max-retries", type=_positive_int, default=2, help="retries of a crashed worker")
    r.add_argument("--until-decided", action="store_true", help="add seeds in rounds to undecided claims")
    r.add_argument("--max-seeds", type=_positive_int, default=40, help="seed cap for --until-decided")
    r.add_argument(
        "--workers", type=_positive_int, default=None, help="CPUs of the embedded Ray (default: all)"
    )
    r.add_argument(
        "--seed-batch",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="train each condition's seeds as one stacked model where the spec allows (own trial ids; "
        "default); --no-seed-batch trains every seed on its own",
    )
    rp = sub.add_parser("report", help="rebuild the report from the store (no training)")
    rp.add_argument("--out", default="results/report")
    rp.add_argument("--profile", choices=PROFILES, default=None)
    c = sub.add_parser("crosscheck", help="the cross-framework regression ladder")
    c.add_argument("--dtype", choices=("float32", "float64"), default="float64")
    c.add_argument(
        "--family", choices=CROSSCHECK_FAMILIES, default=None, help="one model family (default: all)"
    )
    c.add_argument("--steps", type=_positive_int, default=100)
    c.add_argument("--out", default="results/report")
    e = sub.add_parser("export", help="the tidy long-format table for pandas")
    e.add_argument("--out", default="results/trials.csv", help=".csv or .parquet")
    n = sub.add_parser("new", help="write a claim skeleton that passes the checks")
    n.add_argument("name")
    n.add_argument("--dir", default=".")
    return p


COMMANDS = {
    "list": cmd_list,
    "show": cmd_show,
    "run": cmd_run,
    "report": cmd_report,
    "crosscheck": cmd_crosscheck,
    "export": cmd_export,
    "new": cmd_new,
}


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"claimbench: error: {exc}", file=sys.stderr)
        return 2
    except (StoreError, ClaimError, InfeasibleError) as exc:
        print(f"claimbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("claimbench: interrupted; stored trials are kept, `claimbench run` resumes", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
