"""Seaborn figures over computed numbers. Each function takes a table and returns a Figure;
the caller saves and closes it. No statistics beyond per-step means and t intervals live here.

Bands are 95% t intervals of the mean across seeds (not the bootstrap of `reports.stats`: a
per-step bootstrap for every curve would cost seconds per figure and says the same thing).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import matplotlib

matplotlib.use("Agg")  # reports run headless; never ask for a display

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import LogLocator, MaxNLocator
from scipy import stats as sps

from reports.table import FACTOR_PREFIX

# Colour-blind-safe (Okabe-Ito) verdict colours, shared with the HTML pages.
VERDICT_COLOURS = {
    "supported": "#0072B2",
    "refuted": "#D55E00",
    "mixed": "#CC79A7",
    "inconclusive": "#999999",
}
FRAMEWORK_ORDER = ("torch", "tf")
MAX_STYLES = 4  # more points of the non-compared factors than this fold into the hue
LINESTYLES = ("-", "--", ":", "-.")
_LAYER = re.compile(r"^(?:.*?layer)?(\d+)(?:@(\d+))?$")

# seaborn's look, applied per figure rather than with sns.set_theme: importing reports must not
# restyle the caller's own matplotlib figures.
THEME = {**sns.axes_style("whitegrid"), **sns.plotting_context("paper")}
F = TypeVar("F", bound=Callable[..., Figure])


def _themed(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context(THEME):
            return fn(*args, **kwargs)

    return cast(F, wrapper)


def _frameworks(values: Any) -> list[str]:
    present = list(dict.fromkeys(values))
    return [f for f in FRAMEWORK_ORDER if f in present] + sorted(
        f for f in present if f not in FRAMEWORK_ORDER
    )


def _mean_ci(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean and 95% t interval of `value` across seeds, per group `by`."""
    g = df.groupby(by, sort=True, dropna=False)["value"].agg(["mean", "std", "count"]).reset_index()
    n = g["count"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = sps.t.ppf(0.975, np.maximum(n - 1, 1)) * g["std"].to_numpy() / np.sqrt(n)
    half = np.where(n > 1, half, 0.0)
    g["lo"], g["hi"] = g["mean"] - half, g["mean"] + half
    return g


def _facet(df: pd.DataFrame, compared: Sequence[str]) -> pd.DataFrame:
    """Add `hue` (the compared factor point) and `style` (the other factors' point) columns.

    More than `MAX_STYLES` points of the other factors fold into the hue instead.
    """
    fcols = [c for c in df.columns if c.startswith(FACTOR_PREFIX) and df[c].notna().any()]
    hue_cols = [c for c in fcols if c[len(FACTOR_PREFIX) :] in compared] or fcols
    style_cols = [c for c in fcols if c not in hue_cols and df[c].nunique() > 1]
    if style_cols and len(df[style_cols].drop_duplicates()) > MAX_STYLES:
        hue_cols, style_cols = hue_cols + style_cols, []

    def label(cols: list[str]) -> pd.Series:
        if not cols:
            return pd.Series("all", index=df.index)
        parts = [c[len(FACTOR_PREFIX) :] + "=" + df[c].astype(str) for c in cols]
        out = parts[0]
        for p in parts[1:]:
            out = out + "," + p
        return out

    return df.assign(hue=label(hue_cols), style=label(style_cols))


def _margins(fig: Figure, left: float, right: float, top: float, bottom: float, hspace: float = 0.0) -> None:
    """Fixed margins in inches. Constrained layout would cost a second draw per figure, which is
    most of a report's run time."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h, bottom=bottom / h, hspace=hspace)


def _grid(nrows: int, ncols: int, legend: list[str]) -> tuple[Figure, np.ndarray]:
    """Panels of 3.4 x 2.2 inches, room on the right for a legend of `legend` labels."""
    right = 0.5 + 0.075 * max((len(s) for s in legend), default=0)
    fig = Figure(figsize=(0.8 + 3.4 * ncols + right, 0.3 + 2.6 * nrows + 0.2))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey="row")
    for ax in axes.flat:  # few ticks: each one is an artist, and ticks are most of the draw time
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    _margins(fig, 0.8, right, 0.3, 0.5, hspace=0.45)
    fig.subplots_adjust(wspace=0.12)
    return fig, axes


def _empty(message: str) -> Figure:
    fig = Figure(figsize=(4.5, 1.0))
    ax = fig.subplots()
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center")
    return fig


@_themed
def forest(rows: pd.DataFrame) -> Figure:
    """Effect with 95% CI for every comparison x condition x framework, one panel per comparison.

    rows: `reports.stats.evaluate` output (framework, comparison, condition, effect, ci_low,
    ci_high, min_effect, direction, verdict). The no-practical-difference band ±min_effect is
    shaded behind each comparison; the zero line is drawn.
    """
    if rows.empty:
        return _empty("no comparisons could be evaluated")
    comparisons = list(dict.fromkeys(rows["comparison"]))
    level = 100 * float(rows.attrs.get("level", 0.95))
    heights = [max(1, len(rows[rows["comparison"] == c])) for c in comparisons]
    labels = (rows["condition"].astype(str) + " · " + rows["framework"].astype(str)).tolist()
    left = 0.3 + 0.065 * max(len(s) for s in labels)
    fig = Figure(figsize=(left + 5.5, 0.8 + 0.3 * sum(heights) + 0.65 * len(comparisons)))
    axes = fig.subplots(len(comparisons), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    _margins(fig, left, 0.3, 0.3, 0.85, hspace=0.9 / max(1, sum(heights) / len(comparisons)))
    for ax, comp in zip(axes, comparisons, strict=True):
        part = rows[rows["comparison"] == comp].copy()
        part["fw_rank"] = part["framework"].map({f: i for i, f in enumerate(FRAMEWORK_ORDER)}).fillna(9)
        part = part.sort_values(["condition", "fw_rank"], kind="stable").reset_index(drop=True)
        cond = part["condition"].fillna("all").astype(str)
        part["y"] = np.where(cond != "all", cond + " · ", "") + part["framework"].astype(str)
        ys = np.arange(len(part))[::-1]
        band = float(np.nanmax(part["min_effect"].to_numpy(dtype=float))) if len(part) else 0.0
        if math.isfinite(band) and band > 0:
            ax.axvspan(-band, band, color="#DDDDDD", alpha=0.6, zorder=0, label="±min effect")
        ax.axvline(0.0, color="black", linewidth=0.8, zorder=1)
        for y, (_, r) in zip(ys, part.iterrows(), strict=True):
            colour = VERDICT_COLOURS.get(str(r["verdict"]), "#000000")
            lo, hi = float(r["ci_low"]), float(r["ci_high"])
            if math.isfinite(lo) and math.isfinite(hi):
                ax.hlines(y, lo, hi, color=colour, linewidth=2, zorder=2)
            ax.plot([r["effect"]], [y], "o", color=colour, markersize=5, zorder=3)
        ax.set_yticks(ys, part["y"].tolist())
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.set_ylim(-0.7, len(part) - 0.3)
        ax.set_title(str(comp), fontsize=9, loc="left", y=1.0)
        ax.set_xlabel(f"effect (treatment − control), {level:.3g}% CI")
        ax.set_ylabel("condition · framework")
    present = [v for v in VERDICT_COLOURS if v in set(rows["verdict"])]
    handles = [Patch(color=VERDICT_COLOURS[v], label=v) for v in present]
    handles.append(Patch(color="#DDDDDD", label="±min effect"))
    fig.legend(handles=handles, loc="lower center", ncols=len(handles), frameon=False)
    return fig


def _lines(
    df: pd.DataFrame, x: str, xlabel: str, ylabel: str, compared: Sequence[str], log_ratio: float
) -> Figure:
    """Mean and 95% band of `value` against `x` across seeds: colour = compared point, line
    style = the other factors' point, one column per framework, one row per `row`."""
    df = _facet(df, compared)
    agg = _mean_ci(df, ["framework", "row", "hue", "style", x])
    hues, styles = sorted(agg["hue"].unique()), sorted(agg["style"].unique())
    palette = dict(zip(hues, sns.color_palette("colorblind", len(hues)), strict=True))
    dashes = dict(zip(styles, LINESTYLES, strict=False))
    frameworks = _frameworks(agg["framework"])
    rows = sorted(agg["row"].unique(), key=lambda s: (len(s), s))
    values = agg["mean"].to_numpy(dtype=float)
    logy = bool((values > 0).all() and np.nanmax(values) / max(np.nanmin(values), 1e-300) > log_ratio)
    legend = [*hues, *(styles if len(styles) > 1 else [])]
    fig, axes = _grid(len(rows), len(frameworks), legend)
    for i, row in enumerate(rows):
        for j, fw in enumerate(frameworks):
            ax = axes[i, j]
            panel = agg[(agg["framework"] == fw) & (agg["row"] == row)]
            for (h, st), part in panel.groupby(["hue", "style"], sort=True):
                part = part.sort_values(x)
                ax.fill_between(part[x], part["lo"], part["hi"], color=palette[h], alpha=0.18, linewidth=0)
                ax.plot(part[x], part["mean"], color=palette[h], linestyle=dashes[st], linewidth=1.5)
            if logy:
                ax.set_yscale("log")
                ax.yaxis.set_major_locator(LogLocator(numticks=4))
            ax.set_title(fw if row == "" else f"{fw} · {row}", fontsize=9, y=1.0)
            if i == len(rows) - 1:  # labels on the outer panels only: the axes are shared
                ax.set_xlabel(xlabel)
            if j == 0:
                ax.set_ylabel(ylabel)
    handles: list[Any] = [Line2D([], [], color=palette[h], label=h) for h in hues]
    if len(styles) > 1:
        handles += [Line2D([], [], color="#444444", linestyle=dashes[st], label=st) for st in styles]
    fig.legend(handles=handles, title=",".join(compared) or "point", loc="upper right", frameon=False)
    return fig


@_themed
def curves(ctable: pd.DataFrame, curve: str, compared: Sequence[str] = ()) -> Figure:
    """Learning curve `curve` (x = step): mean and 95% band across seeds.

    ctable: `reports.table.curves_table` for one claim. Colour = the compared factor point (the
    claim's expectations' arms), line style = the other factors' point, one panel per framework.
    """
    df = ctable[ctable["curve"] == curve]
    if df.empty:
        return _empty(f"no recorded curve {curve!r}")
    return _lines(df.assign(row=""), "step", "step", curve, compared, 1e3)


@_themed
def profile(table: pd.DataFrame, prefix: str, compared: Sequence[str] = ()) -> Figure:
    """Metrics named `prefix...layer{i}` (or `...layer{i}@{step}`, or `prefix{i}`) against layer i.

    table: `reports.table.long_table` for one claim. Mean across seeds with a 95% band; colour =
    the compared factor point, line style = the other factors' point, one panel per framework
    (and one row of panels per probe step when metrics carry `@step`). Log scale when the values
    span more than two decades (vanishing or exploding gradients).
    """
    df = table[table["metric"].str.startswith(prefix) & (table["status"] == "ok")]
    parsed = df["metric"].str.slice(len(prefix)).str.extract(_LAYER)
    df = df.assign(layer=pd.to_numeric(parsed[0]), at=pd.to_numeric(parsed[1])).dropna(subset=["layer"])
    if df.empty:
        return _empty(f"no per-layer metrics {prefix!r}")
    if df["at"].notna().any():
        df["row"] = df["at"].map(lambda s: "end" if pd.isna(s) else f"step {int(s)}")
    else:
        df["row"] = ""
    fig = _lines(df, "layer", "layer index", prefix.rstrip("/_") or "value", compared, 1e2)
    for ax in fig.axes:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    return fig
