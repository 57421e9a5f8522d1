"""The briefing's charts of named countries and agreements: the focus countries over time, each
agreement's delivery against its quota, and the chart of each country page.

Each function draws one `Chart` (module-level, so that the drawing processes of
`sim.compare.drawing` can call it); the style is `sim.compare.chartstyle`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from sim.compare.chartstyle import (
    STYLE,
    colour,
    format_axis,
    label,
    linestyle,
    marker,
    new_figure,
    scenario_label,
    year_axis,
)
from sim.compare.drawing import Chart

SERIES_LABELS = {
    "density": "Doctors + nurses per 10,000 population",
    "stock": "Doctors + nurses (workers)",
    "emigrants": "Emigrants (workers/year)",
    "immigrants": "Immigrants (workers/year)",
}


def _scenario_lines(
    ax, d: pd.DataFrame, scenarios: Sequence[str], first: int, handles: dict
) -> None:
    """One line (median) and band (5-95%) per scenario of an indicator's yearly quantiles `d`
    (columns scenario, indicator, year, p5, median, p95); flows skip the initial state."""
    for i, name in enumerate(scenarios):
        e = d[d["scenario"] == name].sort_values("year")
        if len(e) and e["indicator"].iloc[0] in ("emigrants", "immigrants"):
            e = e[e["year"] > first]
        if e.empty:
            continue
        c = colour(i)
        ax.fill_between(e["year"], e["p5"], e["p95"], color=c, alpha=0.12, lw=0)
        (line,) = ax.plot(
            e["year"],
            e["median"],
            color=c,
            ls=linestyle(i),
            lw=2.0 if i == 0 else 1.4,
            marker=marker(i),
            ms=2.5,
        )
        handles.setdefault(name, line)
    year_axis(ax, first)
    ax.set_xlabel("")


def focus_over_time(
    series: dict[str, pd.DataFrame],
    names: dict[str, str],
    scenarios: Sequence[str],
    indicator: str = "density",
    key: str = "focus_countries_density_over_time",
) -> Chart:
    """One panel per focus country: `indicator` over time, one line per scenario (median, band).

    `series[code]` has columns scenario, indicator, year, p5, median, p95.
    """
    codes = list(series)
    cols = 2 if len(codes) > 1 else 1
    rows_n = max(1, -(-len(codes) // cols))
    with mpl.rc_context(STYLE):
        fig = new_figure(7.0, 0.9 + 2.1 * rows_n)
        axes = fig.subplots(rows_n, cols, squeeze=False)
        handles = {}
        for ax, code in zip(axes.flat, codes, strict=False):
            d = series[code]
            first = int(d["year"].min()) if len(d) else 0
            _scenario_lines(ax, d[d["indicator"] == indicator], scenarios, first, handles)
            format_axis(ax.yaxis, "workers" if indicator != "density" else "density")
            ax.set_title(label(f"{names.get(code, code)} ({code})", 40), fontsize=9)
        for ax in list(axes.flat)[len(codes) :]:
            ax.set_visible(False)
        title = f"{SERIES_LABELS.get(indicator, indicator)} in the focus countries"
        fig.suptitle(title, fontweight="bold", fontsize=10)
        if handles:
            fig.legend(
                list(handles.values()),
                [scenario_label(n, n == scenarios[0], 40) for n in handles],
                loc="outside lower center",
                ncol=min(3, len(handles)),
            )
    caption = (
        "Lines: median across replicates; shaded: 5–95% range. Values at the end of each "
        "simulated year; “start” is the initial state; flows (emigrants, immigrants) are totals "
        "of each year, from the first."
    )
    return Chart(key, title, caption, fig)


def agreement_delivery(items: Sequence[dict]) -> Chart:
    """One panel per agreement: workers moved each simulated year against the quota.

    `items`: dicts with title, table (focus.delivery columns), scenario index `i`, `source`
    (`agreement` or `corridor`).
    """
    cols = 2 if len(items) > 1 else 1
    rows_n = max(1, -(-len(items) // cols))
    with mpl.rc_context(STYLE):
        fig = new_figure(7.0, 1.0 + 2.3 * rows_n)
        axes = fig.subplots(rows_n, cols, squeeze=False)
        for ax, item in zip(axes.flat, items, strict=False):
            t = item["table"]
            x = t["year"].to_numpy(int)
            med = t["median"].to_numpy(float)
            lo, hi = t["p5"].to_numpy(float), t["p95"].to_numpy(float)
            c = colour(item["i"])
            ax.bar(
                x,
                np.nan_to_num(med),
                width=0.7,
                color=c,
                alpha=0.85,
                yerr=[
                    np.maximum(np.nan_to_num(med - lo), 0),
                    np.maximum(np.nan_to_num(hi - med), 0),
                ],
                error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#444444"},
                label="moved (agreement)" if item["source"] == "agreement" else "moved on corridor",
            )
            ax.hlines(
                t["quota"].to_numpy(float),
                x - 0.45,
                x + 0.45,
                color="#000000",
                lw=1.6,
                label="quota in force",
            )
            if item["source"] == "agreement" and "corridor" in t:
                ax.plot(
                    x,
                    t["corridor"].to_numpy(float),
                    color=c,
                    lw=1.6,
                    marker="o",
                    ms=3,
                    label="whole corridor with the agreement",
                )
            ax.plot(
                x,
                t["baseline"].to_numpy(float),
                color="#555555",
                ls=":",
                lw=1.2,
                marker=".",
                label="same corridor in the baseline",
            )
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
            format_axis(ax.yaxis, "workers")
            ax.set_ylim(bottom=0)
            ax.set_title(label(item["title"], 48), fontsize=8.5)
            handles, labels = ax.get_legend_handles_labels()
        for ax in list(axes.flat)[len(items) :]:
            ax.set_visible(False)
        title = "Bilateral agreements: workers moved each year against the quota"
        fig.suptitle(title, fontweight="bold", fontsize=10)
        if items:
            fig.legend(
                handles, labels, loc="outside lower center", ncol=2 if len(labels) > 3 else 3
            )
    caption = (
        "Bars: median workers moved in each simulated year (whiskers: 5–95% range across "
        "replicates); black steps: the quota in force; solid line: every move on the "
        "corridor with the agreement (its hires and recruitment outside it), against the dotted "
        "grey line, the same corridor in the baseline. Where a run did not record hires by "
        "agreement, the bars are all moves on the corridor for the agreement's cadre, including "
        "recruitment outside the agreement."
    )
    return Chart("agreements_delivery_against_quota", title, caption, fig)


def country_panel(
    code: str, name: str, series: pd.DataFrame, scenarios: Sequence[str], replicates: int
) -> Chart:
    """A country's page chart: density, stock, emigrants and immigrants over time by scenario."""
    with mpl.rc_context(STYLE):
        fig = new_figure(7.0, 5.6)
        axes = fig.subplots(2, 2, squeeze=False)
        first = int(series["year"].min()) if len(series) else 0
        handles = {}
        for ax, ind in zip(axes.flat, ("density", "stock", "emigrants", "immigrants"), strict=True):
            _scenario_lines(ax, series[series["indicator"] == ind], scenarios, first, handles)
            format_axis(ax.yaxis, "workers" if ind != "density" else "density")
            ax.set_title(SERIES_LABELS[ind], fontsize=8.5)
        title = f"{name} ({code}): health workforce over time"
        fig.suptitle(label(title, 70), fontweight="bold", fontsize=10)
        if handles:
            fig.legend(
                list(handles.values()),
                [scenario_label(n, n == scenarios[0], 40) for n in handles],
                loc="outside lower center",
                ncol=min(3, len(handles)),
            )
    caption = (
        f"Lines: median across {replicates} replicates; shaded: 5–95% range. Values at the end of "
        "each simulated year; “start” is the initial state; flows (emigrants, immigrants) are "
        "totals of each year, from the first."
    )
    return Chart(f"country_{code}_over_time", title, caption, fig)
