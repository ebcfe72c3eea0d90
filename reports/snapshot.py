"""The published snapshot: the Markdown report kept in the repository, and the README's verdict
table generated from its verdicts.json (never typed by hand).

    python -m reports.snapshot --store results/claimbench.db --out docs/report --readme README.md

rebuilds the report from the store (no training) into a temporary folder, with the regression
ladder's `crosscheck-<dtype>.json` from `--ladders` (where `scripts/sweep` has `claimbench
crosscheck` write them), replaces `--out` with its Markdown pages, the SVG figures they link and
verdicts.json (no HTML: GitHub shows the Markdown), and rewrites the README between the two
markers below. `scripts/snapshot` runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from reports.build import build_report
from reports.crossframework import LADDER_GLOB
from reports.index import FRAMEWORK_ORDER, slug
from reports.render import mdcell

START = "<!-- verdicts:start -->"
END = "<!-- verdicts:end -->"
FRAMEWORK_NAMES = {"torch": "PyTorch", "tf": "TensorFlow"}
PUBLISHED = ("*.md", "claims/*.md", "figures/*.svg", "verdicts.json")


def verdict_table(verdicts: dict[str, dict[str, Any]], report: str = "docs/report") -> str:
    """A Markdown table of verdicts.json: one row per claim, linked to its page under `report`."""
    present = {k for v in verdicts.values() for k in v if k != "agree"}
    frameworks = [f for f in FRAMEWORK_ORDER if f in present] + sorted(present - set(FRAMEWORK_ORDER))
    head = ["claim", *(FRAMEWORK_NAMES.get(f, f) for f in frameworks), "frameworks agree"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in sorted(verdicts):
        v = verdicts[name]
        cells = [f"[{mdcell(name)}]({report}/claims/{slug(name)}.md)"]
        cells += [f"**{mdcell(v[f])}**" if f in v else "—" for f in frameworks]
        cells.append("yes" if v.get("agree", True) else "**no**")
        lines.append("| " + " | ".join(cells) + " |")
    if not verdicts:
        lines.append("| *(no claim evaluated yet)* |" + " |" * (len(head) - 1))
    return "\n".join(lines) + "\n"


def replace_between_markers(text: str, body: str) -> str:
    """`text` with everything between START and END replaced by `body` (markers kept)."""
    i, j = text.find(START), text.find(END)
    if i < 0 or j < 0 or j < i:
        raise ValueError(f"the README needs the markers {START} and {END}, in that order")
    return text[: i + len(START)] + "\n" + body.rstrip("\n") + "\n" + text[j:]


def publish(built: Path, dest: Path) -> list[Path]:
    """Replace `dest` with the Markdown pages, SVG figures and verdicts.json of the report in `built`."""
    if dest.exists():
        shutil.rmtree(dest)
    copied = []
    for pattern in PUBLISHED:
        for src in sorted(built.glob(pattern)):
            target = dest / src.relative_to(built)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
            copied.append(target)
    return copied


def snapshot(
    store: Path, out: Path, readme: Path, profile: str | None = "quick", ladders: Path | None = None
) -> int:
    """Rebuild the report of `profile` into `out` and the README's verdict table; files written.

    `ladders`: a folder whose `crosscheck-*.json` the cross-framework page shows (mtimes kept, so
    the newest per dtype still wins)."""
    with tempfile.TemporaryDirectory(prefix="claimbench-snapshot-") as tmp:
        for ladder in sorted(ladders.glob(LADDER_GLOB)) if ladders else []:
            shutil.copy2(ladder, Path(tmp) / ladder.name)
        build_report(store, tmp, profile=profile)
        copied = publish(Path(tmp), out)
    verdicts = json.loads((out / "verdicts.json").read_text(encoding="utf-8"))
    link = Path(os.path.relpath(out.resolve(), readme.resolve().parent)).as_posix()
    text = readme.read_text(encoding="utf-8")
    readme.write_text(replace_between_markers(text, verdict_table(verdicts, link)), encoding="utf-8")
    return len(copied)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m reports.snapshot", description=__doc__.split("\n\n")[0])
    p.add_argument("--store", default="results/claimbench.db")
    p.add_argument("--out", default="docs/report")
    p.add_argument("--readme", default="README.md")
    p.add_argument("--profile", default="quick", help="the profile whose trials are published")
    p.add_argument("--ladders", default="results/report", help="where `claimbench crosscheck` wrote")
    args = p.parse_args(argv)
    if not Path(args.store).exists():
        print(f"snapshot: no store at {args.store}: run `bash scripts/sweep` first", file=sys.stderr)
        return 2
    n = snapshot(Path(args.store), Path(args.out), Path(args.readme), args.profile, Path(args.ladders))
    print(f"snapshot: {n} files in {args.out}; verdict table rewritten in {args.readme}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
