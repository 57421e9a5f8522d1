"""The briefing's world-wide sections: the maps (with the states too small for them), the
largest migration corridors, the safeguards-list countries and the money flows.
"""

from __future__ import annotations

from sim.compare import fmt
from sim.compare.alt import figure
from sim.compare.context import (
    Context,
    change_cells,
    csv_link,
    density_rows,
    flag_text,
    option_head,
)
from sim.compare.layout import Column, esc, number_cell, split_table, td, th
from sim.compare.reading import STEPS_RELEVANT
from sim.compare.tables import Metric


def maps_html(ctx: Context) -> str:
    parts = []
    for key, what, kind in (
        ("density", "Change in density", "density"),
        ("emigration", "Change in the emigration rate", "number"),
    ):
        chart = ctx.charts.get(f"map_{key}_change_{ctx.year}")
        if chart is None:
            continue
        parts.append(f'<div class="map-block">{figure(ctx, chart.key)}')
        values = ctx.map_values.get(key)
        small = [c for c in ctx.small_states if values is not None and c in values.index]
        if small:
            columns = [Column(option_head(ctx, o.name, "change"), []) for o in ctx.options]
            stub_rows: list[list[str]] = []
            spans: dict[int, str] = {}
            for code in small:
                stub_rows.append(
                    [td(ctx.country(code), cls="text"), td(esc(_step(ctx, code, key)))]
                )
                if code in ctx.flagged:
                    spans[len(stub_rows) - 1] = flag_text(ctx, code)
                row_vals = [values.loc[code, o.name] for o in ctx.options]
                texts = fmt.distinct(row_vals, kind, signed=True)
                step = ctx.step(key, code)
                for col, v, t in zip(columns, row_vals, texts, strict=True):
                    # within two simulated workers: the map draws no change; greyed here too
                    grey = step is not None and abs(v) < STEPS_RELEVANT * step
                    col.cells.append(td(f'<span class="w">{esc(t)}</span>' if grey else esc(t)))
            n = 6 if key == "density" else 7
            caption = (
                f"Table {n}. {what} at the end of {ctx.year} in states too small for the map "
                "(median paired change)"
            )
            unit = "per 10,000 people" if key == "density" else "per 1,000 workers"
            parts.append(
                split_table(
                    f"small-states-{key}-table",
                    caption,
                    [
                        th("Country", cls="text"),
                        th(f"One simulated worker<br><span class='meta'>{unit}</span>"),
                    ],
                    stub_rows,
                    columns,
                    per_table=4,
                    spans=spans,
                    note="One simulated worker: the smallest step of the value in one replicate "
                    "at this scale (densities at the baseline's population of the end of "
                    f"{ctx.year}, or the world's base-year population where the runs do not "
                    "report it); changes of a few steps are granularity, not effect. Grey: "
                    f"within {STEPS_RELEVANT} simulated workers, drawn as no change on the map.",
                )
            )
        parts.append("</div>")
    return "".join(parts) or "<p>No map: the runs report no country densities.</p>"


def _step(ctx: Context, code: str, key: str) -> str:
    """How much one simulated worker moves a country's mapped value (`tables.worker_steps`)."""
    step = ctx.step(key, code)
    return fmt.quote(step, "density", 2) if step is not None else "n/a"


def corridor_html(ctx: Context) -> str:
    table = ctx.corridors
    if table.empty:
        return "<p>No international moves were recorded in the horizon year.</p>"
    flow = Metric("flow", "flow", "workers", "workers/year", 0)
    stub_rows = []
    columns = [Column(option_head(ctx, o.name, "change, 90% interval"), []) for o in ctx.options]
    for _, r in table.iterrows():
        sg = " ‡" if r["origin"] in ctx.groups.safeguards else ""
        stub_rows.append(
            [
                td(f"{ctx.country(r['origin'])}{sg}", cls="text"),
                td(ctx.country(r["destination"]), cls="text"),
                number_cell(
                    r["baseline|level|median"],
                    r["baseline|level|p5"],
                    r["baseline|level|p95"],
                    "workers",
                    signed=False,
                ),
            ]
        )
        rows = [
            {
                "change_median": r[f"{o.name}|change|median"],
                "change_p5": r[f"{o.name}|change|p5"],
                "change_p95": r[f"{o.name}|change|p95"],
            }
            for o in ctx.options
        ]
        for col, cell in zip(columns, change_cells(ctx, flow, rows), strict=True):
            col.cells.append(cell)
    heads = [
        th("Origin", cls="text"),
        th("Destination", cls="text"),
        th(f"{ctx.label(ctx.baseline.name)}<br><span class='meta'>workers</span>"),
    ]
    caption = (
        f"Table 8. Workers moving origin → destination in {ctx.year} (doctors + nurses, "
        "workers/year): baseline level and each option's paired change"
    )
    unrecorded = [r.name for r in (ctx.baseline, *ctx.options) if not r.flows_available]
    missing = (
        f" n/a: {', '.join(ctx.label(n) for n in unrecorded)} ran with `outputs.flows: false`, "
        "so no corridor flows were recorded."
        if unrecorded
        else ""
    )
    note = (
        "‡ origin on the WHO health workforce support and safeguards list 2023. Returns of "
        "migrants appear as flows from the destination back to the origin."
        + missing
        + csv_link(ctx, "corridors")
    )
    return split_table("corridor-table", caption, heads, stub_rows, columns, note=note)


def safeguards_html(ctx: Context) -> str:
    table = ctx.per_country
    if table.empty:
        return (
            "<p>No country of this world is on the safeguards list, so this section is empty.</p>"
        )
    base = ctx.baseline.name
    per_start = f"{base}|start" in table.columns
    entries = [
        (
            r["country"],
            r[f"{base}|start"] if per_start else r["start"],
            r[f"{base}|median"],
            [
                {
                    "change_median": r[f"{o.name}|change|median"],
                    "change_p5": r[f"{o.name}|change|p5"],
                    "change_p95": r[f"{o.name}|change|p95"],
                }
                for o in ctx.options
            ],
        )
        for _, r in table.iterrows()
    ]
    stub_rows, columns, spans = density_rows(ctx, entries, "change, 90% interval")
    heads = [
        th("Country", cls="text"),
        th(f"Start<br><span class='meta'>beginning of {ctx.first + 1}</span>"),
        th(f"{ctx.label(base)}<br><span class='meta'>end of {ctx.year}</span>"),
    ]
    caption = (
        "Table 9. Doctors + nurses per 10,000 population in the safeguards-list countries: at "
        f"the start, at the end of {ctx.year} in the baseline, and each option's paired change"
    )
    note = "—: the country's health workforce is smaller than one simulated worker at this scale. "
    paged = [c for c in ctx.groups.safeguards if c in ctx.pages]
    pages = (
        "A country's page (its workforce over time, corridors, money) comes with "
        "<code>hrhsim compare … --countries GHA,NGA</code> (ISO3 codes)"
        + (", as the linked countries have." if paged else ".")
    )
    return split_table(
        "country-table",
        caption,
        heads,
        stub_rows,
        columns,
        note=(note if ctx.flagged else "") + pages + csv_link(ctx, "safeguards_countries"),
        spans=spans,
    )


def money_html(ctx: Context) -> str:
    table = ctx.money
    if table.empty:
        return "<p>The runs report no money flows.</p>"
    money = Metric("money", "money", "money", "int$ PPP", 0)
    stub_rows = []
    columns = [Column(option_head(ctx, o.name, "change, 90% interval"), []) for o in ctx.options]
    for _, r in table.iterrows():
        stub_rows.append(
            [
                th(esc(r["label"]), cls="text", scope="row"),
                number_cell(
                    r.get("baseline|level|median"),
                    r.get("baseline|level|p5"),
                    r.get("baseline|level|p95"),
                    "money",
                    signed=False,
                ),
            ]
        )
        rows = [
            {
                "change_median": r.get(f"{o.name}|change|median"),
                "change_p5": r.get(f"{o.name}|change|p5"),
                "change_p95": r.get(f"{o.name}|change|p95"),
            }
            for o in ctx.options
        ]
        for col, cell in zip(columns, change_cells(ctx, money, rows), strict=True):
            col.cells.append(cell)
    heads = [
        th("Money flow", cls="text"),
        th(f"{ctx.label(ctx.baseline.name)}<br><span class='meta'>total</span>"),
    ]
    caption = (
        f"Table 10. Money over {ctx.first + 1}–{ctx.year}, total of the simulated years "
        "(int$ PPP): baseline and each option's paired change"
    )
    return split_table(
        "money-table", caption, heads, stub_rows, columns, note=csv_link(ctx, "money").strip()
    )
