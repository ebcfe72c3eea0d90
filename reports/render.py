"""Markdown and self-contained HTML pages from computed results (jinja2 templates in templates/).

Rendering only: the pages get plain dicts built by `reports.build` (see `_claim`,
`_index_page` and `_crosscheck_page` there for the keys). HTML is autoescaped; Markdown text goes through the `md`
filters, so a claim's words can never inject markup into either.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import jinja2

from reports.figures import VERDICT_COLOURS
from reports.method import method_parts

TEMPLATES = Path(__file__).parent / "templates"

# Parts of the notes that make no measurable claim, with the reason (shown on the index).
NOT_TESTABLE: list[tuple[str, str]] = [
    ("Logits and softmax", "a definition, not a claim about behaviour"),
    ("RNN input/output shapes (1-to-N, N-to-1, ...)", "a taxonomy of architectures"),
    ("word2vec keeps only the hidden layer", "a description of how the method is used"),
    ('RBM "error and bias calculated via KL divergence"', "a description, not a measurable claim"),
    ("Deep reinforcement learning for games", "a pointer to other work"),
    ("Multi-label classification frameworks", "a pointer to other work"),
    ("Self-organising maps (SOM)", "a pointer to other work"),
    ("Keras functional API", "an API description"),
]


def num(value: Any, digits: int = 3) -> str:
    """A number with `digits` significant digits; missing or nan as an em dash."""
    if value is None:
        return "—"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return "—"
    return f"{x:.{digits}g}"


def pval(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return "<0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def count(value: Any) -> str:
    """A count (seeds needed, n): an integer, or an em dash when there is none."""
    if value is None:
        return "—"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "—" if math.isnan(x) else str(int(x))


def band(direction: str, min_effect: Any) -> str:
    """The pre-registered threshold: what the CI must clear, in words."""
    m = num(min_effect)
    return {"greater": f"> +{m}", "less": f"< −{m}", "equivalent": f"within ±{m}"}.get(direction, m)


def md(text: Any) -> str:
    """Escape text for Markdown prose: no raw HTML, no accidental emphasis or links."""
    s = "" if text is None else str(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "\\`*_[]":
        s = s.replace(ch, "\\" + ch)
    return s


def mdcell(text: Any) -> str:
    """Escape text for one Markdown table cell (pipes and newlines too)."""
    return " ".join(md(text).split()).replace("|", "\\|")


def quote(text: Any) -> str:
    """A Markdown blockquote of escaped text."""
    lines = md(text).splitlines() or [""]
    return "\n".join("> " + line if line.strip() else ">" for line in lines)


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(num=num, pval=pval, count=count, band=band, md=md, mdcell=mdcell, quote=quote)
    env.globals.update(colours=VERDICT_COLOURS)
    return env


_ENV = _env()


def render_claim(page: dict[str, Any], fmt: str) -> str:
    """One claim's page; `fmt` is "html" or "md"."""
    return _ENV.get_template(f"claim.{_check(fmt)}").render(**page)


def render_index(page: dict[str, Any], fmt: str) -> str:
    """The index: verdict matrix, disagreements, not-testable parts, sweep summary."""
    return _ENV.get_template(f"index.{_check(fmt)}").render(not_testable=NOT_TESTABLE, **page)


def render_crosscheck(page: dict[str, Any], fmt: str) -> str:
    """The cross-framework page: effect-size agreement table and the regression ladder."""
    return _ENV.get_template(f"crosscheck.{_check(fmt)}").render(**page)


def render_method(alpha: float, generated: str, fmt: str) -> str:
    """The method page: how verdicts are decided (text in `reports.method`)."""
    return _ENV.get_template(f"method.{_check(fmt)}").render(
        parts=method_parts(alpha), alpha=alpha, generated=generated
    )


def _check(fmt: str) -> str:
    if fmt not in ("html", "md"):
        raise ValueError(f"format must be 'html' or 'md', got {fmt!r}")
    return fmt
