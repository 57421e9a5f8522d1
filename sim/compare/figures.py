"""The briefing's overview charts: the trade-off, indicators over time, the largest corridors,
the safeguards-list countries and the money flows.

Each function draws one `Chart` from its tables (module-level, so that the drawing processes of
`sim.compare.drawing` can call it); the style is `sim.compare.chartstyle`'s.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim.compare import fmt
from sim.compare.chartstyle import (
    STYLE,
    colour,
    format_axis,
    label,
    legend_below,
    linestyle,
    marker,
    new_figure,
    scenario_label,
    year_axis,
)
from sim.compare.drawing import Chart
from sim.compare.tables import MONEY, TIME_SERIES, Metric


def tradeoff(headline: pd.DataFrame, options: Sequence[str], year: int) -> Chart:
    """Source density change against destination vacancy-rate change, one point per option."""
    with mpl.rc_context(STYLE):
        fig = new_figure(7.0, 4.8)
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
        _symmetric(ax, xs, ys, (0.2, 0.2))
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
            legend_below(fig, ax, min(3, len(options)))
    caption = (
        f"Each point is one option's change against the baseline in {year} (median of the "
        "paired replicate differences); bars show the 90% interval. Right is better for "
        "source countries, down is better for destinations."
    )
    return Chart("tradeoff_source_density_vs_destination_vacancies", title, caption, fig)


def _symmetric(ax, xs: list[float], ys: list[float], least: tuple[float, float] = (1.0, 1.0)):
    """Axis limits that include zero and every interval, with a margin, and never narrower than
    `least` on each side of zero (so that noise-sized changes do not fill the chart)."""
    for values, setter, half in ((xs, ax.set_xlim, least[0]), (ys, ax.set_ylim, least[1])):
        finite = [v for v in values if np.isfinite(v)]
        lo, hi = (min([*finite, 0.0]), max([*finite, 0.0])) if finite else (-half, half)
        lo, hi = min(lo, -half), max(hi, half)
        pad = 0.1 * (hi - lo)
        setter(lo - pad, hi + pad)


def time_series(
    metric: Metric, series: Sequence[tuple[str, pd.DataFrame]], replicates: int
) -> Chart:
    """Median and 5-95% band of one indicator over time, every scenario on the same axes."""
    scale, unit = fmt.scale_for_level_axis(metric.kind)
    years = [int(y) for _, ts in series for y in ts["year"]] if series else []
    first = min(years) if years else 0
    with mpl.rc_context(STYLE):
        fig = new_figure(6.0, 3.9)
        ax = fig.add_subplot()
        drawn = 0
        flows = metric.unit.endswith("/year")  # a flow: the initial state has none
        for i, (name, ts) in enumerate(series):
            d = ts[ts["metric"] == metric.key].sort_values("year")
            if flows and len(ts):
                d = d[d["year"] > ts["year"].min()]
            d = d.dropna(subset=["median"])
            if d.empty:
                continue
            c = colour(i)
            # the options' bands lighter than the baseline's: eight bands overlap
            band = 0.15 if i == 0 else 0.08
            ax.fill_between(d["year"], scale * d["p5"], scale * d["p95"], color=c, alpha=band, lw=0)
            ax.plot(
                d["year"],
                scale * d["median"],
                color=c,
                ls=linestyle(i),
                lw=2.4 if i == 0 else 1.7,
                marker=marker(i),
                ms=3.5,
                zorder=2 if i == 0 else 3,
                label=scenario_label(name, i == 0),
            )
            drawn += 1
        year_axis(ax, first, start_shown=not flows)
        format_axis(ax.yaxis, metric.kind)
        ax.set_ylabel(textwrap.fill(unit or metric.unit, 35))
        title = textwrap.fill(metric.label, 60)
        ax.set_title(title)
        if drawn:
            legend_below(fig, ax, 2)
    caption = (
        f"{metric.label} ({metric.unit}). Lines: median across {replicates} replicates; "
        "shaded: 5–95% range across replicates. "
        + (
            "Totals of each simulated year."
            if flows
            else "Values at the end of each simulated year; “start” is the initial state."
        )
    )
    return Chart(f"over_time_{metric.key}", metric.label, caption, fig)


def all_time_series(series: Sequence[tuple[str, pd.DataFrame]], replicates: int) -> list[Chart]:
    return [time_series(m, series, replicates) for m in TIME_SERIES]


def corridors(table: pd.DataFrame, names: Sequence[str], year: int, top: int = 12) -> Chart:
    """The largest corridors: workers moving in `year` by scenario (median, 90% interval)."""
    rows = table.head(top)
    n = len(names)
    with mpl.rc_context(STYLE):
        fig = new_figure(7.0, 1.2 + 0.22 * max(len(rows), 1) * max(n, 1) + 0.5)
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
                label=scenario_label(name, i == 0),
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
        format_axis(ax.xaxis, "workers")
        ax.set_xlabel(f"Workers moving in {year} (doctors + nurses, workers/year)")
        title = f"Largest migration corridors (origin → destination) in {year}"
        ax.set_title(title)
        if n:
            legend_below(fig, ax, min(3, n))
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
    return Chart(f"corridors_largest_{year}", title, caption, fig)


def country_changes(
    table: pd.DataFrame,
    options: Sequence[str],
    year: int,
    flagged: Sequence[str] = (),
    least: float = 0.2,
    resolution: Mapping[str, float] | None = None,
) -> Chart:
    """Change in density by safeguards-list country and option (median, 90% interval).

    Countries are ordered by the largest median change of any option, largest first (a reader
    looks for the countries an option helps most; alphabetical order hid them among 55).
    Countries in `flagged` (too small for the scale) are left out and named in the caption;
    those whose every median change is smaller than their `resolution` (two simulated workers,
    per 10,000 population: `reading.STEPS_RELEVANT` of `tables.worker_steps`) are drawn faded
    and marked †, since no option moves them by more than the model resolves at this scale.
    The axis covers every median and most intervals; an interval reaching beyond it (one small
    country's noise) is cut at the edge with an arrow, so that it cannot flatten the others.
    """
    table = table[~table["country"].isin(list(flagged))]
    columns = [f"{name}|change|median" for name in options if f"{name}|change|median" in table]
    largest = table[columns].max(axis=1) if columns else pd.Series(np.nan, index=table.index)
    order = table.assign(_largest=largest.fillna(-np.inf))
    table = order.sort_values(["_largest", "name"], ascending=[False, True], kind="stable")
    table = table.drop(columns="_largest").reset_index(drop=True)
    steps = table["country"].map(dict(resolution or {})).to_numpy(float)
    moved = table[columns].abs().max(axis=1).to_numpy(float) if columns else np.zeros(len(table))
    faded = np.isfinite(steps) & ~(moved >= steps)
    n_rows = max(len(table), 1)
    meds, ends = [], []
    for name in options:
        meds += list(table[f"{name}|change|median"].to_numpy(float))
        ends += list(table[f"{name}|change|p5"].to_numpy(float))
        ends += list(table[f"{name}|change|p95"].to_numpy(float))
    meds = [v for v in meds if np.isfinite(v)]
    ends = [abs(v) for v in ends if np.isfinite(v)]
    limit = max([abs(v) for v in meds] + [least])
    if ends:  # intervals may widen the axis, up to three times the largest median
        limit = max(limit, min(float(np.percentile(ends, 90)), 3 * limit))
    limit *= 1.12
    with mpl.rc_context(STYLE):
        fig = new_figure(7.0, 1.6 + 0.24 * n_rows + 0.2 * len(options))
        ax = fig.add_subplot()
        ax.axvspan(-least / 2, least / 2, color="#f0f0f0", lw=0, zorder=0)
        ax.axvline(0, color="#777777", lw=0.8)
        y0 = np.arange(len(table))[::-1]
        step = 0.6 / max(len(options), 1)
        cut = 0
        for i, name in enumerate(options, start=1):
            med = table[f"{name}|change|median"].to_numpy(float)
            lo = table[f"{name}|change|p5"].to_numpy(float)
            hi = table[f"{name}|change|p95"].to_numpy(float)
            y = y0 + 0.3 - step * (i - 0.5)
            lo_c, hi_c = np.clip(lo, -limit, limit), np.clip(hi, -limit, limit)
            key = label(name, 45)  # on the first set drawn: faded, if every country is
            for rows, alpha in ((~faded, 1.0), (faded, 0.3)):
                if not rows.any():
                    continue
                ax.errorbar(
                    np.clip(med, -limit, limit)[rows],
                    y[rows],
                    xerr=[np.maximum(med - lo_c, 0)[rows], np.maximum(hi_c - med, 0)[rows]],
                    fmt="o",
                    ms=4,
                    capsize=2,
                    lw=1,
                    color=colour(i),
                    alpha=alpha,
                    label=key,
                )
                key = None
            for yy, a, b in zip(y, lo, hi, strict=True):
                if np.isfinite(a) and a < -limit:
                    ax.plot([-limit], [yy], marker="<", color=colour(i), ms=5)
                    cut += 1
                if np.isfinite(b) and b > limit:
                    ax.plot([limit], [yy], marker=">", color=colour(i), ms=5)
                    cut += 1
        ax.set_xlim(-limit, limit)
        names = [
            label(str(n), 30) + (" †" if f else "")
            for n, f in zip(table["name"], faded, strict=True)
        ]
        ax.set_yticks(y0, names)
        ax.set_ylim(-0.7, max(len(table), 1) - 0.3)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(
            "Change in density against the baseline\n(doctors + nurses per 10,000 population)"
        )
        title = f"Change in health-worker density by safeguards-list country, {year}"
        fig.suptitle(title, fontweight="bold", fontsize=10)
        if options:
            legend_below(fig, ax, min(3, len(options)))
    caption = (
        f"Dots: median paired change in density at the end of {year} against the baseline; bars: "
        f"90% interval across replicates. Grey band: smaller than the relevance threshold "
        f"(±{least / 2:g}). Countries in order of the largest change of any option."
    )
    if faded.any():
        caption += (
            " Faded, †: no option changes the country's density by two simulated workers of its "
            "population, the model's resolution at this scale (its changes come in steps)."
        )
    if cut:
        caption += " Arrows: the interval reaches beyond the axis (the table gives its ends)."
    if len(flagged):
        caption += (
            " Not shown (health workforce smaller than one simulated worker at this scale): "
            + ", ".join(flagged)
            + "."
        )
    return Chart(f"safeguards_list_density_change_{year}", title, caption, fig)


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
        fig = new_figure(7.0, 0.6 + rows_n * (0.5 + 0.28 * n) + 0.4)
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
                    label=scenario_label(name, i == 0),
                )
            ax.set_yticks([])
            ax.grid(axis="y", visible=False)
            ax.set_title(textwrap.fill(item.label, 42), fontsize=8.5)
            format_axis(ax.xaxis, "money")
            ax.xaxis.set_major_locator(MaxNLocator(4))
        for ax in list(axes.flat)[len(present) :]:
            ax.set_visible(False)
        title = f"Money flows, total over {first}–{last} (int$ PPP)"
        fig.suptitle(title, fontweight="bold", fontsize=10)
        handles = [
            Patch(color=colour(i), label=scenario_label(name, i == 0))
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
    return Chart(f"money_totals_{first}_{last}", title, caption, fig)
