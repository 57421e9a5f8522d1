"""Pages beside the briefing: one per country (`countries/ISO3.html`) and the model description.

A country page is the view a ministry wants of itself: its health workforce over time in every
scenario, its corridors (flows and bilateral stocks), the agreements it is party to with their
delivery against the quota, and its money. The model description (docs/ODD.md) is rendered to
`ODD.html` with Python-Markdown, so that the briefing's link opens a readable page offline.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pandas as pd

from sim.compare import reading
from sim.compare.context import Context, change_cells, figure_html, flag_text, option_head
from sim.compare.focus_sections import agreement_table, corridor_levels_html
from sim.compare.layout import Column, esc, number_cell, page, simple_table, split_table, td, th
from sim.compare.tables import Metric
from sim.outputs.results import atomic_write

log = logging.getLogger(__name__)

ODD_SOURCE = "ODD.md"
ODD_PAGE = "ODD.html"
COUNTRY_DIR = "countries"

_KIND = {"density": "density", "stock": "workers", "emigrants": "workers", "immigrants": "workers"}
_LABEL = {
    "density": "Density (per 10,000)",
    "stock": "Doctors + nurses",
    "emigrants": "Emigrants (per year)",
    "immigrants": "Immigrants (per year)",
}
_BETTER = {"density": +1, "stock": +1, "emigrants": 0, "immigrants": 0}
_WHEN = {"density": "end of", "stock": "end of", "emigrants": "in", "immigrants": "in"}
"""Levels are read at the end of the year, flows over the year (a reader: 'emigrants, end of
2027' read as a stock)."""


def country_page(ctx: Context, code: str, series: pd.DataFrame, corridors: pd.DataFrame) -> str:
    """The HTML of one country's page (links are relative to `countries/`)."""
    name = ctx.groups.name(code)
    title = f"{name} ({code}) — {ctx.title}"
    role = []
    if code in ctx.groups.safeguards:
        role.append("on the WHO health workforce support and safeguards list 2023")
    if code in ctx.groups.destinations:
        role.append("a destination country (recruits internationally)")
    named = [
        f"{a.source}→{a.destination} agreement ({a.cadre_label}) in “{a.scenario}”"
        for a, _, _ in ctx.agreements
        if code in (a.source, a.destination)
    ]
    intro = (
        f"{name} is "
        + (" and ".join(role) if role else "neither on the safeguards list nor a destination")
        + "."
    )
    if named:
        intro += " Party to: " + "; ".join(named) + "."
    parts = [
        '<p class="meta"><a href="../index.html#focus">← back to the briefing</a></p>',
        f"<header><h1>{esc(name)} ({esc(code)})</h1>",
        f'<p class="lead">{esc(ctx.title)}</p><p>{esc(intro)}</p></header>',
    ]
    if code in ctx.flagged:
        parts.append(f'<p class="note">{flag_text(ctx, code)}: its numbers are not reliable.</p>')
    parts.append("<h2>Health workforce</h2>")
    parts.append(_levels_table(ctx, code, series))
    parts.append(figure_html(ctx.charts.get(f"country_{code}_over_time"), prefix="../"))
    parts.append("<h2>Corridors</h2>")
    parts.append(_corridors(ctx, code, corridors))
    mine = [
        (n, a, t, s)
        for n, (a, t, s) in enumerate(ctx.agreements, start=1)
        if code in (a.source, a.destination)
    ]
    if mine:
        parts.append("<h2>Bilateral agreements</h2>")
        for n, a, t, s in mine:
            parts.append(agreement_table(ctx, n, a, t, s))
    parts.append("<h2>Money</h2>")
    parts.append(_money(ctx, code))
    body = "".join(parts).replace(f'href="{COUNTRY_DIR}/', 'href="')  # pages are side by side
    return page(title, body)


def _levels_table(ctx: Context, code: str, series: pd.DataFrame) -> str:
    """Rows per scenario: level at the end of the horizon and paired change, per indicator."""
    ch = ctx.focus_changes
    sub = ch[ch["country"] == code] if ch is not None else pd.DataFrame()
    inds = [
        i
        for i in ("density", "stock", "emigrants", "immigrants")
        if len(sub) and (sub["indicator"] == i).any()
    ]
    heads = [th("Scenario", cls="text")] + [
        th(f"{esc(_LABEL[i])}<br><span class='meta'>{_WHEN[i]} {ctx.year}; change</span>")
        for i in inds
    ]
    rows = []
    for run in ctx.runs:
        cells = [td(ctx.label(run.name), cls="text")]
        for ind in inds:
            r = sub[(sub["indicator"] == ind) & (sub["scenario"] == run.name)]
            if r.empty:
                cells.append(td("n/a"))
                continue
            r = r.iloc[0]
            kind = _KIND[ind]
            if run is ctx.baseline:
                cells.append(number_cell(r["median"], r["p5"], r["p95"], kind, signed=False))
            else:
                metric = Metric(ind, ind, kind, "", _BETTER[ind])
                step = ctx.step("density", code) if ind == "density" else None
                cells += change_cells(ctx, metric, [r], step=step)
        rows.append(cells)
    caption = (
        f"{esc(ctx.groups.name(code))}: doctors + nurses at the end of {ctx.year} and migrants "
        f"during {ctx.year}: baseline level, and each option's paired change (median, 90% "
        "interval)"
    )
    return simple_table(f"country-{code}-levels", caption, heads, rows)


def _corridors(ctx: Context, code: str, corridors: pd.DataFrame) -> str:
    caption = f"Largest corridors to and from {esc(ctx.groups.name(code))} in {ctx.year}"
    return corridor_levels_html(ctx, corridors, f"country-{code}-corridors", caption)


def _money(ctx: Context, code: str) -> str:
    m = ctx.focus_money.get(code)
    if m is None or m.empty:
        return "<p>No money flows to or from this country in any scenario.</p>"
    money = Metric("money", "money", "money", "int$ PPP", 0)
    stub_rows, columns = [], [Column(option_head(ctx, o.name, "change"), []) for o in ctx.options]
    for item in dict.fromkeys(m["item"]):
        sub = m[m["item"] == item].set_index("scenario")
        if ctx.baseline.name not in sub.index:
            continue
        b = sub.loc[ctx.baseline.name]
        stub_rows.append(
            [
                td(esc(b["label"]), cls="text"),
                number_cell(b["median"], b["p5"], b["p95"], "money", signed=False),
            ]
        )
        rows = []
        for o in ctx.options:
            r = sub.loc[o.name] if o.name in sub.index else None
            rows.append(
                {
                    k: (r[k] if r is not None and k in r else math.nan)
                    for k in ("change_median", "change_p5", "change_p95")
                }
            )
        for col, cell in zip(columns, change_cells(ctx, money, rows), strict=True):
            col.cells.append(cell)
    heads = [
        th("Money flow", cls="text"),
        th(f"{ctx.label(ctx.baseline.name)}<br><span class='meta'>total</span>"),
    ]
    return split_table(
        f"country-{code}-money",
        f"Money of {esc(ctx.groups.name(code))}, total over {ctx.first + 1}–{ctx.year} (int$ PPP)",
        heads,
        stub_rows,
        columns,
    )


def write_odd(out_dir: Path) -> str | None:
    """Render docs/ODD.md to `out_dir/ODD.html`; its relative link (None without the source)."""
    import sim

    source = Path(sim.__file__).resolve().parent.parent / "docs" / ODD_SOURCE
    if not source.is_file():
        return None
    import markdown

    text = source.read_text(encoding="utf-8")
    body = markdown.markdown(
        text, extensions=["tables", "fenced_code", "toc", "sane_lists"], output_format="html"
    )
    title = "hrhsim — model description (ODD protocol)"
    atomic_write(
        out_dir / ODD_PAGE,
        page(
            title,
            '<p class="meta"><a href="index.html#methods">← back to the briefing</a></p>' + body,
            generator="hrhsim compare (docs/ODD.md)",
        ),
    )
    stale = out_dir / ODD_SOURCE
    stale.unlink(missing_ok=True)  # earlier briefings copied the raw Markdown
    return ODD_PAGE


__all__ = ["COUNTRY_DIR", "country_page", "reading", "write_odd"]
