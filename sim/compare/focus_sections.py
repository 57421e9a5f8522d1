"""The briefing's section on the countries and agreements the options name: each agreement's
delivery against its quota, the focus countries' density, their corridors and their money.
"""

from __future__ import annotations

import math

import pandas as pd

from sim.compare import fmt
from sim.compare.context import Context, change_cells, density_rows, figure_html, option_head
from sim.compare.focus import Agreement
from sim.compare.layout import Column, esc, number_cell, simple_table, split_table, td, th
from sim.compare.tables import Metric


def focus_html(ctx: Context) -> str:
    """Agreements against their quotas, then the focus countries, their corridors and money."""
    if not ctx.focus and not ctx.agreements:
        return (
            "<p>No option names a country or an agreement (its policies use groups such as the "
            "safeguards list). Use <code>--focus ISO3,...</code> to add countries here.</p>"
        )
    parts = []
    if ctx.agreements:
        parts.append("<h3>Bilateral agreements: delivery against the quota</h3>")
        parts.append(figure_html(ctx.charts.get("agreements_delivery_against_quota")))
        for n, (a, table, source) in enumerate(ctx.agreements, start=1):
            parts.append(agreement_table(ctx, n, a, table, source))
    if ctx.focus:
        parts.append("<h3>Focus countries</h3>")
        parts.append(_focus_table(ctx))
        parts.append(figure_html(ctx.charts.get("focus_countries_density_over_time")))
        parts.append(_focus_corridor_table(ctx))
        parts.append(_focus_money_table(ctx))
    return "".join(parts)


def agreement_table(ctx: Context, n: int, a: Agreement, table: pd.DataFrame, source: str) -> str:
    title = (
        f"{ctx.groups.name(a.source)} ({a.source}) → {ctx.groups.name(a.destination)} "
        f"({a.destination}), {a.cadre_label}, in “{a.scenario}”"
    )
    heads = [
        th("Simulated year", cls="text"),
        th("Quota in force<br><span class='meta'>workers/year</span>"),
        th(
            ("Hired under the agreement" if source == "agreement" else "Moved on the corridor")
            + "<br><span class='meta'>median, 90% interval</span>"
        ),
        th("Share of quota"),
        th("Corridor in the baseline<br><span class='meta'>median</span>"),
        th("Corridor change<br><span class='meta'>paired, 90% interval</span>"),
    ]
    rows = []
    for _, r in table.iterrows():
        rows.append(
            [
                td(str(int(r["year"])), cls="text"),
                td(esc(fmt.quote(r["quota"], "workers"))),
                number_cell(r["median"], r["p5"], r["p95"], "workers", signed=False),
                td(esc(fmt.whole_percent(r["share"]))),
                td(esc(fmt.quote(r["baseline"], "workers"))),
                number_cell(
                    r["change_median"], r["change_p5"], r["change_p95"], "workers", signed=True
                ),
            ]
        )
    note = (
        "Hires recorded by the model under this agreement."
        if source == "agreement"
        else "This run did not record hires by agreement: the numbers are all moves on the "
        f"corridor for {a.cadre_label}, which include recruitment outside the agreement."
    )
    omega = ctx.evidence.workers_per_agent
    if omega and omega > 1:
        note += (
            f" The model moves whole simulated workers ({fmt.quote(omega, 'workers')} workers "
            "each): a quota is met in whole ones, the remainder carried to the next year, so a "
            "year's hires may be above or below its quota by up to one of them."
        )
    if a.start is not None and a.start > ctx.year:
        note += f" The agreement starts in {a.start}, after the last simulated year."
    caption = f"Table 2.{n}. Agreement {esc(title)}: workers moved each year against the quota"
    return simple_table(f"agreement-table-{n}", caption, heads, rows, note=esc(note))


def _focus_table(ctx: Context) -> str:
    ch = ctx.focus_changes
    start = ctx.focus_start
    entries = []
    for code in ctx.focus:
        sub = (
            ch[(ch["country"] == code) & (ch["indicator"] == "density")] if ch is not None else None
        )
        base = sub[sub["scenario"] == ctx.baseline.name] if sub is not None else None
        start_d = start.loc[code, "density"] if start is not None and code in start.index else None
        level = base["median"].iloc[0] if base is not None and len(base) else float("nan")
        rows = []
        for o in ctx.options:
            r = sub[sub["scenario"] == o.name] if sub is not None else None
            rows.append(r.iloc[0] if r is not None and len(r) else _NAN_CHANGE)
        entries.append((code, start_d, level, rows))
    stub_rows, columns, spans = density_rows(ctx, entries, f"density change {ctx.year}")
    heads = [
        th("Country", cls="text"),
        th(f"Density<br><span class='meta'>start of {ctx.first + 1}</span>"),
        th(f"{ctx.label(ctx.baseline.name)}<br><span class='meta'>density {ctx.year}</span>"),
    ]
    caption = (
        "Table 3. Focus countries: doctors + nurses per 10,000 population, and each option's "
        f"paired change at the end of {ctx.year}"
    )
    note = "Country names link to the country's own page." if ctx.pages else ""
    return split_table("focus-table", caption, heads, stub_rows, columns, note=note, spans=spans)


def _focus_corridor_table(ctx: Context) -> str:
    caption = (
        "Table 4. Corridors of the focus countries: the agreements' corridors and each focus "
        f"country's largest, in {ctx.year}"
    )
    return corridor_levels_html(ctx, ctx.focus_corridors, "focus-corridor-table", caption)


_NAN_CHANGE = {"change_median": math.nan, "change_p5": math.nan, "change_p95": math.nan}


def corridor_levels_html(ctx: Context, t: pd.DataFrame | None, table_id: str, caption: str) -> str:
    """Corridors (`focus.corridor_levels`): baseline flow and bilateral stock, option changes."""
    if t is None or t.empty:
        return "<p>No international moves to or from these countries were recorded.</p>"
    has_stocks = t["stock_median"].notna().any()
    stub_rows = []
    columns = [
        Column(option_head(ctx, o.name, "flow change, 90% interval"), []) for o in ctx.options
    ]
    flow_metric = Metric("flow", "flow", "workers", "workers/year", 0)
    for o, d in dict.fromkeys(zip(t["origin"], t["destination"], strict=True)):
        sub = t[(t["origin"] == o) & (t["destination"] == d)].set_index("scenario")
        b = sub.loc[ctx.baseline.name]
        stock = fmt.quote(b["stock_median"], "workers") if has_stocks else "not recorded"
        stub_rows.append(
            [
                td(f"{ctx.country(o)} → {ctx.country(d)}", cls="text"),
                number_cell(b["flow_median"], b["flow_p5"], b["flow_p95"], "workers", signed=False),
                td(esc(stock)),
            ]
        )
        rows = [
            {k: sub.loc[x.name, k] for k in _NAN_CHANGE} if x.name in sub.index else _NAN_CHANGE
            for x in ctx.options
        ]
        for col, cell in zip(columns, change_cells(ctx, flow_metric, rows), strict=True):
            col.cells.append(cell)
    heads = [
        th("Corridor (origin → destination)", cls="text"),
        th(
            f"{ctx.label(ctx.baseline.name)}<br><span class='meta'>workers moving {ctx.year}</span>"
        ),
        th(
            f"Bilateral stock<br><span class='meta'>trained in origin, working in destination, "
            f"{ctx.year}</span>"
        ),
    ]
    note = "Flows: doctors + nurses moving in the year (workers/year). " + (
        "Bilateral stock: baseline median."
        if has_stocks
        else "Bilateral stocks were not recorded by these runs (no stocks.parquet)."
    )
    return split_table(table_id, caption, heads, stub_rows, columns, note=esc(note))


def _focus_money_table(ctx: Context) -> str:
    stub_rows, columns = (
        [],
        [Column(option_head(ctx, o.name, "change, 90% interval"), []) for o in ctx.options],
    )
    money = Metric("money", "money", "money", "int$ PPP", 0)
    for code in ctx.focus:
        m = ctx.focus_money.get(code)
        if m is None or m.empty:
            continue
        for item in dict.fromkeys(m["item"]):
            sub = m[m["item"] == item].set_index("scenario")
            if ctx.baseline.name not in sub.index:
                continue
            b = sub.loc[ctx.baseline.name]
            stub_rows.append(
                [
                    td(ctx.country(code), cls="text"),
                    td(esc(b["label"]), cls="text"),
                    td(esc(fmt.quote(b["median"], "money"))),
                ]
            )
            rows = []
            for o in ctx.options:
                r = sub.loc[o.name] if o.name in sub.index else None
                rows.append(
                    {
                        k: (r[k] if r is not None and k in r else float("nan"))
                        for k in ("change_median", "change_p5", "change_p95")
                    }
                )
            for col, cell in zip(columns, change_cells(ctx, money, rows), strict=True):
                col.cells.append(cell)
    if not stub_rows:
        return "<p>No money flows to or from the focus countries in any scenario.</p>"
    heads = [
        th("Country", cls="text"),
        th("Money flow", cls="text"),
        th(f"{ctx.label(ctx.baseline.name)}<br><span class='meta'>total</span>"),
    ]
    caption = (
        f"Table 5. Money of the focus countries, total over {ctx.first + 1}–{ctx.year} (int$ PPP)"
    )
    return split_table("focus-money-table", caption, heads, stub_rows, columns)
