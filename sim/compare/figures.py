"""The briefing's charts (matplotlib, no pyplot: no global backend state, Agg/SVG renderers).

One style for every chart: the Okabe-Ito colour-blind-safe palette (baseline in black), labelled
axes with units, a title saying what the chart shows. Each chart is saved as PNG and SVG; the SVG
is what the HTML embeds.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.compare import fmt
from sim.compare.tables import MONEY, TIME_SERIES, Metric
from sim.outputs.results import atomic_write, figure_bytes

OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442")
"""Option colours (Okabe & Ito 2008), after black for the baseline."""
BASELINE_COLOUR = "#000000"
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "svg.fonttype": "path",
    "svg.hashsalt": "hrhsim-compare",
    "figure.dpi": 100,
    "savefig.dpi": 150,
}


@dataclass
class Chart:
    """A finished chart: its file stem, title, caption, and the figure."""

    key: str
    title: str
    caption: str
    figure: Figure
    svg: bytes = b""
    png_path: Path | None = None
    svg_path: Path | None = None


def colour(i: int) -> str:
    """Colour of scenario `i` (0 is the baseline)."""
    return BASELINE_COLOUR if i == 0 else OKABE_ITO[(i - 1) % len(OKABE_ITO)]


def linestyle(i: int) -> str:
    """Line style of scenario `i`: the baseline solid, options dashed (so that an option equal
    to the baseline leaves it visible), changing pattern beyond the palette."""
    return "-" if i == 0 else LINESTYLES[1 + ((i - 1) // len(OKABE_ITO)) % (len(LINESTYLES) - 1)]


def marker(i: int) -> str:
    """Marker of scenario `i` (a second cue besides colour)."""
    return MARKERS[i % len(MARKERS)]


def label(text: str, width: int = 40) -> str:
    """User text made safe for matplotlib: no mathtext (`$`), not hidden from legends (`_`)."""
    text = "\n".join(textwrap.wrap(str(text), width)) or " "
    text = text.replace("$", r"\$")
    return "\u200b" + text if text.startswith("_") else text


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _money_ticks(x: float, _pos: int | None = None) -> str:
    size = abs(x)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= scale:
            return f"{'-' if x < 0 else ''}${size / scale:g}{suffix}"
    return f"{'-' if x < 0 else ''}${size:g}"


def _compact_ticks(x: float, _pos: int | None = None) -> str:
    size = abs(x)
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= scale:
            return f"{'-' if x < 0 else ''}{size / scale:g}{suffix}"
    return f"{x:g}"


def _legend(fig: Figure, ax, ncol: int) -> None:
    """The legend below the chart, outside the axes (constrained layout makes room)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=max(ncol, 1))


def _format_axis(axis, kind: str) -> None:
    if kind == "money":
        axis.set_major_formatter(FuncFormatter(_money_ticks))
    elif kind in ("people", "workers"):
        axis.set_major_formatter(FuncFormatter(_compact_ticks))


def save(chart: Chart, folder: Path) -> Chart:
    """Write the chart as `<key>.png` and `<key>.svg` in `folder`; keep the SVG bytes."""
    with mpl.rc_context(STYLE):
        chart.svg = figure_bytes(chart.figure, "svg", metadata={"Date": None})
        png = figure_bytes(chart.figure, "png", metadata={"Software": None})
    chart.png_path = atomic_write(folder / f"{chart.key}.png", png)
    chart.svg_path = atomic_write(folder / f"{chart.key}.svg", chart.svg)
    return chart


# --------------------------------------------------------------------------------------------------
# the charts


def tradeoff(headline: pd.DataFrame, options: Sequence[str], year: int) -> Chart:
    """Source density change against destination vacancy-rate change, one point per option."""
    with mpl.rc_context(STYLE):
        fig = _figure(7.0, 4.8)
        ax = fig.add_subplot()
        ax.axhline(0, color="#777777", lw=0.8)
        ax.axvline(0, color="#777777", lw=0.8)
        xs, ys = [], []
        for i, name in enumerate(options, start=1):
            rows = headline[headline["option"] == name].set_index("metric")
            x = rows.loc["safeguards_density"]
            y = rows.loc["destination_vacancy_rate"]
            xm, ym = x["change_median"], 100 * y["change_median"]
            if not (np.isfinite(xm) and np.isfinite(ym)):
                continue
            xerr = [[max(xm - x["change_p5"], 0)], [max(x["change_p95"] - xm, 0)]]
            yerr = [[max(ym - 100 * y["change_p5"], 0)], [max(100 * y["change_p95"] - ym, 0)]]
            ax.errorbar(
                [xm],
                [ym],
                xerr=xerr,
                yerr=yerr,
                fmt="o",
                ms=7,
                capsize=4,
                lw=1.4,
                color=colour(i),
                label=label(name, 50),
            )
            xs += [x["change_p5"], x["change_p95"]]
            ys += [100 * y["change_p5"], 100 * y["change_p95"]]
        _symmetric(ax, xs, ys)
        ax.text(
            0.99,
            0.02,
            "more health workers in source countries →",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            color="#555555",
            fontsize=8,
        )
        ax.text(
            0.01,
            0.98,
            "↑ more unfilled posts in destinations",
            transform=ax.transAxes,
            ha="left",
            va="top",
            color="#555555",
            fontsize=8,
        )
        ax.set_xlabel(
            "Change in density, safeguards-list countries\n(doctors + nurses per 10,000 population)"
        )
        ax.set_ylabel("Change in destination vacancy rate\n(percentage points)")
        title = f"Trade-off in {year}: source-country density vs destination vacancies"
        ax.set_title(title)
        if options:
            _legend(fig, ax, min(3, len(options)))
    caption = (
        f"Each point is one option's change against the baseline in {year} (median of the "
        "paired replicate differences); bars show the 90% interval. Right is better for "
        "source countries, down is better for destinations."
    )
    return Chart("tradeoff", title, caption, fig)


def _symmetric(ax, xs: list[float], ys: list[float]) -> None:
    """Axis limits that include zero and every interval, with a margin."""
    for values, setter in ((xs, ax.set_xlim), (ys, ax.set_ylim)):
        finite = [v for v in values if np.isfinite(v)]
        lo, hi = (min([*finite, 0.0]), max([*finite, 0.0])) if finite else (-1.0, 1.0)
        pad = 0.15 * (hi - lo) if hi > lo else 1.0
        setter(lo - pad, hi + pad)


def time_series(
    metric: Metric, series: Sequence[tuple[str, pd.DataFrame]], replicates: int
) -> Chart:
    """Median and 5-95% band of one indicator over time, every scenario on the same axes."""
    scale, unit = fmt.scale_for_level_axis(metric.kind)
    with mpl.rc_context(STYLE):
        fig = _figure(6.0, 3.9)
        ax = fig.add_subplot()
        drawn = 0
        for i, (name, ts) in enumerate(series):
            d = ts[ts["metric"] == metric.key].sort_values("year")
            if metric.kind in ("workers", "money") and len(ts):
                d = d[d["year"] > ts["year"].min()]  # the initial state has no flows
            d = d.dropna(subset=["median"])
            if d.empty:
                continue
            c = colour(i)
            ax.fill_between(d["year"], scale * d["p5"], scale * d["p95"], color=c, alpha=0.15, lw=0)
            ax.plot(
                d["year"],
                scale * d["median"],
                color=c,
                ls=linestyle(i),
                lw=2.4 if i == 0 else 1.7,
                marker=marker(i),
                ms=3.5,
                zorder=2 if i == 0 else 3,
                label=label(name + (" (baseline)" if i == 0 else ""), 45),
            )
            drawn += 1
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        _format_axis(ax.yaxis, metric.kind)
        ax.set_xlabel("Year")
        ax.set_ylabel(textwrap.fill(unit or metric.unit, 35))
        title = textwrap.fill(metric.label, 60)
        ax.set_title(title)
        if drawn:
            _legend(fig, ax, 2)
    caption = (
        f"{metric.label} ({metric.unit}). Lines: median across {replicates} replicates; "
        "shaded: 5–95% range across replicates."
    )
    return Chart(f"timeseries_{metric.key}", metric.label, caption, fig)


def all_time_series(series: Sequence[tuple[str, pd.DataFrame]], replicates: int) -> list[Chart]:
    return [time_series(m, series, replicates) for m in TIME_SERIES]


def corridors(table: pd.DataFrame, names: Sequence[str], year: int, top: int = 12) -> Chart:
    """The largest corridors: workers moving in `year` by scenario (median, 90% interval)."""
    rows = table.head(top)
    n = len(names)
    with mpl.rc_context(STYLE):
        fig = _figure(7.0, 1.2 + 0.22 * max(len(rows), 1) * max(n, 1) + 0.5)
        ax = fig.add_subplot()
        height = 0.8 / max(n, 1)
        y0 = np.arange(len(rows))[::-1]
        for i, name in enumerate(names):
            key = "baseline" if i == 0 else name
            med = rows[f"{key}|level|median"].to_numpy(float) if len(rows) else np.array([])
            lo = rows[f"{key}|level|p5"].to_numpy(float) if len(rows) else np.array([])
            hi = rows[f"{key}|level|p95"].to_numpy(float) if len(rows) else np.array([])
            y = y0 + 0.4 - height * (i + 0.5)
            ax.barh(
                y,
                med,
                height=height * 0.9,
                color=colour(i),
                label=label(name + (" (baseline)" if i == 0 else ""), 45),
                xerr=[np.maximum(med - lo, 0), np.maximum(hi - med, 0)],
                error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#444444"},
            )
        ax.set_yticks(
            y0,
            [f"{o} → {d}" for o, d in zip(rows["origin"], rows["destination"], strict=True)]
            if len(rows)
            else [],
        )
        ax.grid(axis="y", visible=False)
        _format_axis(ax.xaxis, "workers")
        ax.set_xlabel(f"Workers moving in {year} (doctors + nurses, workers/year)")
        title = f"Largest migration corridors (origin → destination) in {year}"
        ax.set_title(title)
        if n:
            _legend(fig, ax, min(3, n))
        if rows.empty:
            ax.text(
                0.5,
                0.5,
                "no international moves recorded",
                transform=ax.transAxes,
                ha="center",
                va="center",
            )
    caption = (
        f"Bars: median workers moving on each corridor in {year}; whiskers: 5–95% range "
        "across replicates. Corridors: the largest in the baseline and those each option "
        "changes most. Codes are ISO3; the table below gives country names."
    )
    return Chart("corridors", title, caption, fig)


def country_changes(table: pd.DataFrame, options: Sequence[str], year: int) -> Chart:
    """Change in density by safeguards-list country and option (median, 90% interval)."""
    n_rows = max(len(table), 1)
    with mpl.rc_context(STYLE):
        fig = _figure(7.0, 1.6 + 0.24 * n_rows + 0.2 * len(options))
        ax = fig.add_subplot()
        ax.axvline(0, color="#777777", lw=0.8)
        y0 = np.arange(len(table))[::-1]
        step = 0.6 / max(len(options), 1)
        for i, name in enumerate(options, start=1):
            med = table[f"{name}|change|median"].to_numpy(float)
            lo = table[f"{name}|change|p5"].to_numpy(float)
            hi = table[f"{name}|change|p95"].to_numpy(float)
            y = y0 + 0.3 - step * (i - 0.5)
            ax.errorbar(
                med,
                y,
                xerr=[np.maximum(med - lo, 0), np.maximum(hi - med, 0)],
                fmt="o",
                ms=4,
                capsize=2,
                lw=1,
                color=colour(i),
                label=label(name, 45),
            )
        ax.set_yticks(y0, [label(str(n), 30) for n in table["name"]] if len(table) else [])
        ax.set_ylim(-0.7, len(table) - 0.3)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(
            "Change in density against the baseline\n(doctors + nurses per 10,000 population)"
        )
        title = f"Change in health-worker density by safeguards-list country, {year}"
        ax.set_title(title)
        if options:
            _legend(fig, ax, min(3, len(options)))
    caption = (
        f"Dots: median paired change in density in {year} against the baseline; bars: 90% "
        "interval across replicates."
    )
    return Chart("safeguards_countries", title, caption, fig)


def money(values: Sequence[tuple[str, pd.DataFrame]], first: int, last: int) -> Chart:
    """Money flows over the period by scenario, one panel per item (median, 90% interval)."""
    from sim.compare.tables import quantiles

    present = [
        m
        for m in MONEY
        if any((v.loc[v["item"] == m.key, "value"].abs() > 0).any() for _, v in values)
    ]
    absent = [
        m.label
        for m in MONEY
        if m not in present and any((v["item"] == m.key).any() for _, v in values)
    ]
    cols = 2
    rows_n = max(1, -(-len(present) // cols))
    n = len(values)
    with mpl.rc_context(STYLE):
        fig = _figure(7.0, 0.6 + rows_n * (0.5 + 0.28 * n) + 0.4)
        axes = fig.subplots(rows_n, cols, squeeze=False)
        for ax, item in zip(axes.flat, present, strict=False):
            y = np.arange(n)[::-1]
            for i, (name, v) in enumerate(values):
                q = quantiles(v[v["item"] == item.key], ["item"], "value")
                if q.empty:
                    continue
                med, lo, hi = (float(q[c].iloc[0]) for c in ("median", "p5", "p95"))
                ax.barh(
                    y[i],
                    med,
                    color=colour(i),
                    height=0.7,
                    xerr=[[max(med - lo, 0)], [max(hi - med, 0)]],
                    error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#444444"},
                    label=label(name + (" (baseline)" if i == 0 else ""), 45),
                )
            ax.set_yticks([])
            ax.grid(axis="y", visible=False)
            ax.set_title(textwrap.fill(item.label, 42), fontsize=8.5)
            _format_axis(ax.xaxis, "money")
            ax.xaxis.set_major_locator(MaxNLocator(4))
        for ax in list(axes.flat)[len(present) :]:
            ax.set_visible(False)
        title = f"Money flows, total over {first}–{last} (int$ PPP)"
        fig.suptitle(title, fontweight="bold", fontsize=10)
        handles = [
            Patch(color=colour(i), label=label(name + (" (baseline)" if i == 0 else ""), 45))
            for i, (name, _) in enumerate(values)
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=min(3, n))
    caption = (
        f"Bars: median total over {first}–{last}, all countries unless stated, in "
        "international dollars at purchasing-power parity; whiskers: 5–95% range across "
        "replicates."
    )
    if absent:
        caption += " Zero in every scenario (not drawn): " + "; ".join(absent) + "."
    if not present:
        axes.flat[0].set_visible(True)
        axes.flat[0].text(
            0.5,
            0.5,
            "no money flows in any scenario",
            ha="center",
            transform=axes.flat[0].transAxes,
        )
    return Chart("money", title, caption, fig)
