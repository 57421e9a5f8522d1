"""What each figure of the briefing shows, in words: the text alternative of its image.

A reader who cannot see the chart (a screen reader, a text-only copy) gets its findings, not only
its title: the numbers come from the same tables as the chart (`Context`), printed as the
tables print them (`fmt`).
"""

from __future__ import annotations

import numpy as np

from sim.compare import fmt
from sim.compare.context import Context, figure_html
from sim.compare.reading import STEPS_RELEVANT, finite
from sim.compare.tables import METRICS, MONEY

MOST = 3
"""How many of the largest values a description names."""


def figure(ctx: Context, key: str, prefix: str = "") -> str:
    """The figure `key` of the briefing with its findings as its text alternative ('' when it
    was not drawn)."""
    return figure_html(ctx.charts.get(key), prefix, alt=describe(ctx, key))


def describe(ctx: Context, key: str) -> str:
    """The findings of the figure `key` in one or two sentences ('' for a figure without a
    description, whose title alone is its alternative)."""
    y = ctx.year
    try:
        if key == "tradeoff_source_density_vs_destination_vacancies":
            return _tradeoff(ctx)
        if key == f"safeguards_list_density_change_{y}":
            return _countries(ctx)
        if key.startswith("over_time_"):
            return _over_time(ctx, key.removeprefix("over_time_"))
        if key == f"corridors_largest_{y}":
            return _corridors(ctx)
        if key == f"money_totals_{ctx.first + 1}_{y}":
            return _money(ctx)
        if key.startswith("map_") and key.endswith(f"_change_{y}"):
            return _map(ctx, key.removeprefix("map_").removesuffix(f"_change_{y}"))
    except (KeyError, IndexError, ValueError):  # a table without the expected rows: title only
        return ""
    return ""


def _tradeoff(ctx: Context) -> str:
    """Each option's point: density in the safeguards-list countries across, the destinations'
    vacancy rate up."""
    h = ctx.headline.set_index(["option", "metric"])["change_median"]
    density, vacancy = METRICS["safeguards_density"], METRICS["destination_vacancy_rate"]
    points = []
    for o in ctx.options:
        d = h.get((o.name, density.key), np.nan)
        v = h.get((o.name, vacancy.key), np.nan)
        if finite(d, v):
            points.append(
                f"{o.name} {fmt.quote(d, 'density', signed=True)} per 10,000 and "
                f"{fmt.quote(v, 'share', signed=True)}"
            )
    if not points:
        return ""
    return (
        f"Change at the end of {ctx.year} in the density of the safeguards-list countries and in "
        f"the destinations' vacancy rate: " + "; ".join(points) + "."
    )


def _countries(ctx: Context) -> str:
    """The listed countries an option changes most (a change within two simulated workers of a
    country, which the chart fades and marks †, is not named)."""
    table = ctx.per_country
    found = []
    for o in ctx.options:
        column = f"{o.name}|change|median"
        if column in table:
            for code, name, value in zip(table["country"], table["name"], table[column],
                                         strict=True):  # fmt: skip
                least = STEPS_RELEVANT * (ctx.step("density", str(code)) or 0.0)
                if finite(value) and value != 0 and abs(value) >= least:
                    found.append((float(value), str(name), o.name))
    if not found:
        return ""
    found.sort(key=lambda t: -abs(t[0]))
    named = [f"{name} {fmt.quote(v, 'density', signed=True)} ({option})"
             for v, name, option in found[:MOST]]  # fmt: skip
    return (
        f"Largest changes in density (per 10,000) at the end of {ctx.year}: "
        + ", ".join(named)
        + f"; {table['name'].nunique()} countries in the table below the chart."
    )


def _over_time(ctx: Context, metric: str) -> str:
    """The baseline's path and where the options end."""
    m = METRICS.get(metric)
    series = ctx.baseline_series
    if m is None or series is None:
        return ""
    path = series[series["metric"] == metric].set_index("year")["median"].dropna()
    if path.empty or ctx.year not in path.index:
        return ""
    first = int(path.index.min())  # a level's initial state; a flow's first simulated year
    when = f"the beginning of {first + 1}" if first == ctx.first else str(first)
    start, end = float(path[first]), float(path[ctx.year])
    level = first == ctx.first
    text = (
        f"In the baseline, from {fmt.quote(start, m.kind, 3)} {'at' if level else 'in'} {when} "
        f"to {fmt.quote(end, m.kind, 3)} {'at the end of' if level else 'in'} {ctx.year}"
    )
    ends = ctx.headline[ctx.headline["metric"] == metric][["option", "option_median"]].dropna()
    if len(ends):
        low, high = (
            ends.loc[ends["option_median"].idxmin()],
            ends.loc[ends["option_median"].idxmax()],
        )
        text += (
            f"; the options end between {fmt.quote(low['option_median'], m.kind, 3)} "
            f"({low['option']}) and {fmt.quote(high['option_median'], m.kind, 3)} "
            f"({high['option']})"
        )
    return text + "."


def _corridors(ctx: Context) -> str:
    """The largest corridors of the baseline."""
    table = ctx.corridors
    if table.empty or "baseline|level|median" not in table:
        return ""
    top = table.head(MOST)
    named = [
        f"{ctx.groups.name(o)} → {ctx.groups.name(d)} {fmt.quote(v, 'workers')}"
        for o, d, v in zip(top["origin"], top["destination"], top["baseline|level|median"],
                           strict=True)
    ]  # fmt: skip
    return (
        f"Largest corridors in the baseline in {ctx.year}, workers a year: "
        + "; ".join(named)
        + "."
    )


def _money(ctx: Context) -> str:
    """The largest paired changes in money over the period."""
    money = ctx.money
    labels = {m.key: m.label for m in MONEY}
    found = []
    for o in ctx.options:
        column = f"{o.name}|change|median"
        if column not in money:
            continue
        for item, value in zip(money["item"], money[column], strict=True):
            if finite(value) and value != 0:
                found.append((float(value), labels.get(item, item), o.name))
    if not found:
        return "No option changes any money flow."
    found.sort(key=lambda t: -abs(t[0]))
    named = [
        f"{o}: {label.lower()} {fmt.quote(v, 'money', signed=True)}" for v, label, o in found[:MOST]
    ]
    return (
        f"Largest changes against the baseline, totals over {ctx.first + 1}–{ctx.year}: "
        + "; ".join(named)
        + "."
    )


def _map(ctx: Context, key: str) -> str:
    """The countries a map colours most (a change within two simulated workers of a country is
    drawn as no change, `maps`, and is not named here either)."""
    values = ctx.map_values.get(key)
    if values is None or values.empty:
        return ""
    stacked = values.stack().dropna()
    resolution = np.array(
        [STEPS_RELEVANT * (ctx.step(key, str(c)) or 0.0) for c, _ in stacked.index]
    )
    stacked = stacked[(stacked != 0) & (stacked.abs().to_numpy() >= resolution)]  # as drawn
    if stacked.empty:
        return "No country changes."
    order = stacked.abs().sort_values(ascending=False).index[:MOST]
    unit = " per 10,000" if key == "density" else " per 1,000 workers"
    when = f"at the end of {ctx.year}" if key == "density" else f"in {ctx.year}"  # a year's flow
    named = [
        f"{ctx.groups.name(str(c))} {fmt.quote(float(stacked[(c, o)]), 'number', signed=True)}"
        f"{unit} ({o})"
        for c, o in order
    ]
    return f"Largest changes {when}: " + "; ".join(named) + "."
