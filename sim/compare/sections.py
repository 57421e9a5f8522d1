"""The sections of the briefing page, from the computed tables (`Context`) to HTML.

Every piece of user text goes through `layout.esc`; numbers through `fmt` (significant figures,
never two different values printed alike) and their reading through `reading.read_change`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.compare import fmt, reading
from sim.compare.figures import Chart, colour
from sim.compare.focus import Agreement
from sim.compare.layout import (
    Column,
    esc,
    number_cell,
    simple_table,
    split_table,
    swatch,
    td,
    th,
    wrap,
)
from sim.compare.runs import Run
from sim.compare.tables import HEADLINE, METRICS, TIME_SERIES, Metric
from sim.inputs.selectors import CountryGroups

THRESHOLD_44_5 = (
    "44.5 doctors, nurses and midwives per 10,000 population is the SDG index threshold of the "
    "WHO Global Strategy on Human Resources for Health: Workforce 2030 (2016): the density "
    "associated with 80% coverage of a set of essential health services. “Population below 44.5” "
    "counts the people living in countries whose density is under it (the model counts doctors "
    "and nurses, midwives included)."
)
POSTS = (
    "Posts are funded positions: the jobs a health system can pay for (its demand), which grow "
    "with health spending. They are not need (the 44.5 threshold): a country can need far more "
    "health workers than it has posts. A vacancy is a funded post without a worker; a trained "
    "worker without a post is unemployed, which pushes emigration."
)


@dataclass
class Context:
    """Everything the briefing page shows, computed once by `briefing.write_briefing`."""

    baseline: Run
    options: list[Run]
    groups: CountryGroups
    year: int
    first: int
    evidence: reading.Evidence
    headline: pd.DataFrame
    corridors: pd.DataFrame
    per_country: pd.DataFrame
    money: pd.DataFrame
    described: dict[str, list[str]]
    warnings: dict[str, list[str]]
    descriptions: dict[str, str | None]
    charts: dict[str, Chart]
    title: str
    odd_link: str | None
    notes: list[str]
    flagged: dict[str, float] = field(default_factory=dict)
    focus: list[str] = field(default_factory=list)
    pages: dict[str, str] = field(default_factory=dict)
    agreements: list[tuple[Agreement, pd.DataFrame, str]] = field(default_factory=list)
    focus_changes: pd.DataFrame | None = None
    focus_start: pd.DataFrame | None = None
    focus_corridors: pd.DataFrame | None = None
    focus_money: dict[str, pd.DataFrame] = field(default_factory=dict)
    map_values: dict[str, pd.DataFrame] = field(default_factory=dict)
    map_stock: dict[str, float] = field(default_factory=dict)
    """Baseline health workforce at the start, by country (for the maps' granularity)."""
    small_states: list[str] = field(default_factory=list)
    tables: dict[str, str] = field(default_factory=dict)
    """CSV file name by table id (for the download links)."""
    workbook: str | None = None

    @property
    def runs(self) -> list[Run]:
        return [self.baseline, *self.options]

    @property
    def option_names(self) -> list[str]:
        return [o.name for o in self.options]

    def index_of(self, name: str) -> int:
        return [r.name for r in self.runs].index(name)

    def label(self, name: str) -> str:
        """A scenario's colour swatch and name (escaped, wrapping at `_`)."""
        return swatch(colour(self.index_of(name))) + wrap(name)

    def country(self, code: str) -> str:
        """A country's name and code, linked to its page when it has one."""
        text = f"{esc(self.groups.name(code))} ({esc(code)})"
        if code in self.pages:
            return f'<a href="{esc(self.pages[code])}">{text}</a>'
        return text


# --------------------------------------------------------------------------------------------------
# numbers


def _change_cells(ctx: Context, metric: Metric, rows: Sequence[pd.Series | dict]) -> list[str]:
    """Cells for one metric's change in several options, formatted together (distinct values)."""
    texts = fmt.cells(
        [(r["change_median"], r["change_p5"], r["change_p95"]) for r in rows],
        metric.kind,
        signed=True,
    )
    cells = []
    for k, r in enumerate(rows):
        rd = reading.read_change(
            r["change_p5"],
            r["change_median"],
            r["change_p95"],
            metric.kind,
            metric.better,
            ctx.evidence,
        )
        cells.append(
            number_cell(
                r["change_median"],
                r["change_p5"],
                r["change_p95"],
                metric.kind,
                signed=True,
                texts=texts[k],
                css=rd.css,
                mark=rd.mark,
            )
        )
    return cells


def _option_head(ctx: Context, name: str, what: str) -> str:
    return th(f'{ctx.label(name)}<br><span class="meta">{esc(what)}</span>')


def _phrase(metric: Metric, row: pd.Series, ev: reading.Evidence) -> str:
    """`rises by 0.60 per 10,000 (90% interval 0.58 to 0.63)` and the like."""
    lo, med, hi = row["change_p5"], row["change_median"], row["change_p95"]
    if not all(isinstance(v, float | int) and math.isfinite(v) for v in (lo, med, hi)):
        return "is not available"
    unit = {
        "density": " per 10,000",
        "workers": " workers a year",
        "share": "",
        "ratio": "",
        "people": " people",
        "money": " a year",
    }.get(metric.kind, "")
    med_s, lo_t, hi_t = fmt.distinct([med, lo, hi], metric.kind, signed=True)
    med_t = med_s.lstrip("+" + fmt.MINUS)  # the verb says the direction
    if metric.kind == "share":
        med_t = med_t.replace(" pp", " percentage points")
    rd = reading.read_change(lo, med, hi, metric.kind, metric.better, ev)
    ci = f"90% interval {lo_t} to {hi_t}"
    if lo == hi == 0:
        return "does not change"
    if not rd.relevant:
        return f"hardly changes ({med_s}; {ci})"
    verb = "rises" if med > 0 else "falls"
    if rd.clear:
        verb += " clearly"
    text = f"{verb} by {med_t}{unit} ({ci})"
    if "includes zero" in rd.words:
        text += ", though the interval includes zero"
    return text


def headline_message(ctx: Context, run: Run) -> str:
    """The one-paragraph message of an option (plain text)."""
    rows = ctx.headline[ctx.headline["option"] == run.name].set_index("metric")
    n_sg = len(ctx.groups.safeguards)
    parts = []
    if "safeguards_density" in rows.index and n_sg:
        parts.append(
            f"health-worker density in the {n_sg} safeguards-list countries "
            + _phrase(METRICS["safeguards_density"], rows.loc["safeguards_density"], ctx.evidence)
        )
    if "safeguards_emigration" in rows.index and n_sg:
        parts.append(
            "emigration from them "
            + _phrase(
                METRICS["safeguards_emigration"], rows.loc["safeguards_emigration"], ctx.evidence
            )
        )
    if "destination_vacancy_rate" in rows.index:
        parts.append(
            "the vacancy rate in destination countries "
            + _phrase(
                METRICS["destination_vacancy_rate"],
                rows.loc["destination_vacancy_rate"],
                ctx.evidence,
            )
        )
    if "compensation_paid" in rows.index:
        r = rows.loc["compensation_paid"]
        if math.isfinite(r["change_median"]) and abs(r["change_median"]) > 0:
            parts.append(
                "destinations pay "
                + fmt.quote(r["change_median"], "money")
                + " a year in compensation"
            )
    lead = ctx.descriptions.get(run.name) or (ctx.described.get(run.name) or [""])[0]
    text = lead.strip()
    if text and not text.endswith("."):
        text += "."
    if parts:
        text += f" By the end of {ctx.year}, compared with the baseline, " + "; ".join(parts) + "."
    for agreement, table, source in ctx.agreements:
        if agreement.scenario != run.name:
            continue
        text += " " + _delivery_sentence(ctx, agreement, table, source)
    if not ctx.evidence.allows_clear:
        text += " (Intervals cover stochastic noise only; no change is called clear.)"
    return text.strip()


def _delivery_sentence(ctx: Context, a: Agreement, table: pd.DataFrame, source: str) -> str:
    live = table[table["quota"] > 0]
    src, dst = ctx.groups.name(a.source), ctx.groups.name(a.destination)
    if live.empty:
        return (
            f"The {src}–{dst} agreement is not in force in any simulated year "
            f"(it starts in {a.start})."
        )
    lo, hi = live["median"].min(), live["median"].max()
    what = "moved" if source == "agreement" else "moved on the corridor (all recruitment)"
    quota = fmt.quote(live["quota"].max(), "workers")
    span = f"{int(live['year'].min())}–{int(live['year'].max())}"
    if fmt.quote(lo, "workers") == fmt.quote(hi, "workers"):
        moved = fmt.quote(lo, "workers")
    else:
        moved = f"{fmt.quote(lo, 'workers')} to {fmt.quote(hi, 'workers')}"
    return (
        f"The {src}→{dst} agreement ({a.cadre_label}) {what} {moved} a year (median by year, "
        f"{span}) against a quota of {quota} a year."
    )


# --------------------------------------------------------------------------------------------------
# sections


def summary_html(ctx: Context) -> str:
    """Headline messages: one card per option, with timing warnings."""
    cards = []
    for o in ctx.options:
        warn = "".join(f'<p class="warn">{esc(w)}</p>' for w in ctx.warnings.get(o.name, []))
        cards.append(
            f'<div class="card" style="border-left-color:{colour(ctx.index_of(o.name))}">'
            f"<h3>{ctx.label(o.name)}</h3>{warn}<p>{esc(headline_message(ctx, o))}</p></div>"
        )
    return "".join(cards) or "<p>No option to compare.</p>"


def trust_html(ctx: Context) -> str:
    """How sure: calibration, what the intervals cover, the clear rule, relevance thresholds."""
    ev = ctx.evidence
    cal = ev.calibration
    report = ""
    if cal.report and ctx.tables.get("__fit_report__"):
        report = f' <a href="{esc(ctx.tables["__fit_report__"])}">Fit report</a>.'
    elif cal.report:
        from pathlib import PurePath

        report = f" Fit report: {esc(PurePath(cal.report).name)} (not found next to the runs)."
    kinds = [m.kind for m in HEADLINE]
    return (
        '<div class="trust" id="how-sure">'
        f"<p><strong>Calibration.</strong> {esc(cal.text())}{report}</p>"
        f"<p><strong>Uncertainty.</strong> {esc(ev.covers())} {esc(ev.clear_rule())}</p>"
        "<p><strong>Relevance.</strong> Changes smaller than "
        f"{esc(reading.relevance_text(kinds, ev.workers_per_agent))} get no ▲/▼ mark.</p>"
        "</div>"
    )


def headline_html(ctx: Context) -> str:
    if ctx.headline.empty:
        return trust_html(ctx) + "<p>No option to compare with the baseline.</p>"
    stub_rows = []
    columns = [Column(_option_head(ctx, o.name, "change, 90% interval"), []) for o in ctx.options]
    for m in HEADLINE:
        rows = ctx.headline[ctx.headline["metric"] == m.key]
        if rows.empty:
            continue
        level = rows["baseline_median"].iloc[0]
        unit = "" if m.kind in ("share", "ratio") else fmt.UNITS.get(m.kind, "")
        stub_rows.append(
            [
                th(
                    f'{esc(m.label)}<span class="ci">{esc(m.unit)}</span>',
                    cls="text",
                    scope="row",
                ),
                td(
                    f'<span class="v">{esc(fmt.quote(level, m.kind, 3))}</span>'
                    f'<span class="ci">{esc(unit)}</span>'
                ),
            ]
        )
        per_option = [rows[rows["option"] == o.name].iloc[0] for o in ctx.options]
        for col, cell in zip(columns, _change_cells(ctx, m, per_option), strict=True):
            col.cells.append(cell)
    caption = (
        f"Table 1. Change against the baseline at the end of {ctx.year}: median of the paired "
        "replicate differences, its 90% interval and the interval's width"
    )
    note = (
        "▲ better / ▼ worse: the change is at least the relevance threshold and its 90% interval "
        "excludes zero, in the direction that is better (or worse) for health-worker coverage. "
        "Changes in shares are in percentage points (pp). Money is per year in "
        f"{ctx.year}; totals over the period are in the money section."
    )
    heads = [
        th("Indicator", cls="text"),
        th(f'{ctx.label(ctx.baseline.name)}<br><span class="meta">level in {ctx.year}</span>'),
    ]
    return trust_html(ctx) + split_table(
        "headline-table", caption, heads, stub_rows, columns, note=note + _csv_link(ctx, "headline")
    )


def _csv_link(ctx: Context, key: str) -> str:
    name = ctx.tables.get(key)
    return f' <span class="screen-only">(<a href="{esc(name)}">CSV</a>)</span>' if name else ""


def changes_html(ctx: Context) -> str:
    parts = [
        f"<h3>{ctx.label(ctx.baseline.name)} (baseline)</h3>",
        _description(ctx, ctx.baseline),
    ]
    for o in ctx.options:
        items = "".join(f"<li>{esc(s)}</li>" for s in ctx.described.get(o.name, []))
        warn = "".join(f'<p class="warn">{esc(w)}</p>' for w in ctx.warnings.get(o.name, []))
        parts.append(
            f"<h3>{ctx.label(o.name)}</h3>{_description(ctx, o)}{warn}"
            f"<p>Against the baseline, this option:</p><ul>{items}</ul>"
        )
    return "".join(parts)


def _description(ctx: Context, run: Run) -> str:
    text = ctx.descriptions.get(run.name)
    src = ""
    path = run.manifest.get("scenario_path")
    if path:
        src = f'<p class="meta">Scenario file: <code>{esc(display_path(path))}</code></p>'
    if not text:
        return '<p class="meta">No description in the scenario file.</p>' + src
    paras = "".join(f"<p>{esc(p.strip())}</p>" for p in str(text).split("\n\n") if p.strip())
    return paras + src


def display_path(path: str) -> str:
    """A scenario path without the local folders above it: relative to the working directory
    when it is inside it, else the file name with its parent folder."""
    from pathlib import Path

    p = Path(path)
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return "/".join(p.parts[-2:]) if len(p.parts) >= 2 else p.name


def figure_html(chart: Chart | None, prefix: str = "") -> str:
    import base64

    if chart is None:
        return ""
    data = base64.b64encode(chart.svg).decode("ascii")
    return (
        f'<figure id="fig-{esc(chart.key)}" data-figure="{esc(chart.key)}">'
        f'<img src="data:image/svg+xml;base64,{data}" alt="{esc(chart.title)}">'
        f"<figcaption>{esc(chart.caption)} "
        f'<span class="screen-only">Files: <a href="{prefix}figures/{esc(chart.key)}.png">PNG</a>'
        f' · <a href="{prefix}figures/{esc(chart.key)}.svg">SVG</a></span></figcaption></figure>'
    )


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
            parts.append(_agreement_table(ctx, n, a, table, source))
    if ctx.focus:
        parts.append("<h3>Focus countries</h3>")
        parts.append(_focus_table(ctx))
        parts.append(figure_html(ctx.charts.get("focus_countries_density_over_time")))
        parts.append(_focus_corridor_table(ctx))
        parts.append(_focus_money_table(ctx))
    return "".join(parts)


def _agreement_table(ctx: Context, n: int, a: Agreement, table: pd.DataFrame, source: str) -> str:
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
                td(esc("—" if not math.isfinite(r["share"]) else fmt.quote(r["share"], "share"))),
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
    if a.start is not None and a.start > ctx.year:
        note += f" The agreement starts in {a.start}, after the last simulated year."
    caption = f"Table 2.{n}. Agreement {esc(title)}: workers moved each year against the quota"
    return simple_table(f"agreement-table-{n}", caption, heads, rows, note=esc(note))


def _focus_table(ctx: Context) -> str:
    ch = ctx.focus_changes
    start = ctx.focus_start
    stub_rows, columns = (
        [],
        [Column(_option_head(ctx, o.name, f"density change {ctx.year}"), []) for o in ctx.options],
    )
    density = METRICS["safeguards_density"]
    spans: dict[int, str] = {}
    for code in ctx.focus:
        sub = (
            ch[(ch["country"] == code) & (ch["indicator"] == "density")] if ch is not None else None
        )
        base = sub[sub["scenario"] == ctx.baseline.name] if sub is not None else None
        flagged = code in ctx.flagged
        start_d = start.loc[code, "density"] if start is not None and code in start.index else None
        level = base["median"].iloc[0] if base is not None and len(base) else float("nan")
        stub_rows.append(
            [
                td(ctx.country(code), cls="text"),
                td(esc(fmt.quote(start_d, "density", 3))) if not flagged else td("—"),
                td(esc(fmt.quote(level, "density", 3))) if not flagged else td("—"),
            ]
        )
        rows = []
        for o in ctx.options:
            r = sub[sub["scenario"] == o.name] if sub is not None else None
            rows.append(
                r.iloc[0]
                if r is not None and len(r)
                else {
                    "change_median": float("nan"),
                    "change_p5": float("nan"),
                    "change_p95": float("nan"),
                }
            )
        if flagged:
            spans[len(stub_rows) - 1] = _flag_text(ctx, code)
        for col, cell in zip(columns, _change_cells(ctx, density, rows), strict=True):
            col.cells.append(cell)
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


def _flag_text(ctx: Context, code: str) -> str:
    wpa = ctx.evidence.workers_per_agent
    return esc(
        f"too small for the scale: fewer than one simulated worker ({fmt.quote(wpa, 'workers')} "
        "real workers)"
    )


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
        Column(_option_head(ctx, o.name, "flow change, 90% interval"), []) for o in ctx.options
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
        for col, cell in zip(columns, _change_cells(ctx, flow_metric, rows), strict=True):
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
        [Column(_option_head(ctx, o.name, "change, 90% interval"), []) for o in ctx.options],
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
            for col, cell in zip(columns, _change_cells(ctx, money, rows), strict=True):
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


def maps_html(ctx: Context) -> str:
    parts = []
    for key, what, kind in (
        ("density", "Change in density", "density"),
        ("emigration", "Change in the emigration rate", "number"),
    ):
        chart = ctx.charts.get(f"map_{key}_change_{ctx.year}")
        if chart is None:
            continue
        parts.append(f'<div class="map-block">{figure_html(chart)}')
        values = ctx.map_values.get(key)
        small = [c for c in ctx.small_states if values is not None and c in values.index]
        if small:
            columns = [Column(_option_head(ctx, o.name, "change"), []) for o in ctx.options]
            stub_rows: list[list[str]] = []
            spans: dict[int, str] = {}
            for code in small:
                stub_rows.append(
                    [td(ctx.country(code), cls="text"), td(esc(_step(ctx, code, key)))]
                )
                if code in ctx.flagged:
                    spans[len(stub_rows) - 1] = _flag_text(ctx, code)
                row_vals = [values.loc[code, o.name] for o in ctx.options]
                for col, t in zip(columns, fmt.distinct(row_vals, kind, signed=True), strict=True):
                    col.cells.append(td(esc(t)))
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
                    "at this scale; changes of a few steps are granularity, not effect.",
                )
            )
        parts.append("</div>")
    return "".join(parts) or "<p>No map: the runs report no country densities.</p>"


def _step(ctx: Context, code: str, key: str) -> str:
    """How much one simulated worker moves a country's mapped value."""
    wpa = ctx.evidence.workers_per_agent or 1.0
    if key == "density":
        world = ctx.groups.world
        try:
            pop = float(world.population[[str(c) for c in world.iso3].index(code)])
        except (AttributeError, ValueError, IndexError, TypeError):
            return "n/a"
        return fmt.quote(wpa * 1e4 / pop, "density", 2) if pop > 0 else "n/a"
    start = ctx.map_stock.get(code) if ctx.map_stock else None
    return fmt.quote(1000.0 * wpa / start, "density", 2) if start else "n/a"


def corridor_html(ctx: Context) -> str:
    table = ctx.corridors
    if table.empty:
        return "<p>No international moves were recorded in the horizon year.</p>"
    flow = Metric("flow", "flow", "workers", "workers/year", 0)
    stub_rows = []
    columns = [Column(_option_head(ctx, o.name, "change, 90% interval"), []) for o in ctx.options]
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
        for col, cell in zip(columns, _change_cells(ctx, flow, rows), strict=True):
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
    note = (
        "‡ origin on the WHO health workforce support and safeguards list 2023. Returns of "
        "migrants appear as flows from the destination back to the origin."
        + _csv_link(ctx, "corridors")
    )
    return split_table("corridor-table", caption, heads, stub_rows, columns, note=note)


def safeguards_html(ctx: Context) -> str:
    table = ctx.per_country
    if table.empty:
        return (
            "<p>No country of this world is on the safeguards list, so this section is empty.</p>"
        )
    density = METRICS["safeguards_density"]
    stub_rows = []
    columns = [Column(_option_head(ctx, o.name, "change, 90% interval"), []) for o in ctx.options]
    base = ctx.baseline.name
    spans: dict[int, str] = {}
    per_start = f"{base}|start" in table.columns
    for _, r in table.iterrows():
        code = r["country"]
        flagged = code in ctx.flagged
        start = r[f"{base}|start"] if per_start else r["start"]
        stub_rows.append(
            [
                td(ctx.country(code), cls="text"),
                td("—" if flagged else esc(fmt.quote(start, "density", 3))),
                td("—" if flagged else esc(fmt.quote(r[f"{base}|median"], "density", 3))),
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
        if flagged:
            spans[len(stub_rows) - 1] = _flag_text(ctx, code)
        for col, cell in zip(columns, _change_cells(ctx, density, rows), strict=True):
            col.cells.append(cell)
    heads = [
        th("Country", cls="text"),
        th(f"Start<br><span class='meta'>beginning of {ctx.first + 1}</span>"),
        th(f"{ctx.label(base)}<br><span class='meta'>end of {ctx.year}</span>"),
    ]
    caption = (
        "Table 9. Doctors + nurses per 10,000 population in the safeguards-list countries: at "
        f"the start, at the end of {ctx.year} in the baseline, and each option's paired change"
    )
    note = "—: the country's health workforce is smaller than one simulated worker at this scale."
    return split_table(
        "country-table",
        caption,
        heads,
        stub_rows,
        columns,
        note=(note if ctx.flagged else "") + _csv_link(ctx, "safeguards_countries"),
        spans=spans,
    )


def money_html(ctx: Context) -> str:
    table = ctx.money
    if table.empty:
        return "<p>The runs report no money flows.</p>"
    money = Metric("money", "money", "money", "int$ PPP", 0)
    stub_rows = []
    columns = [Column(_option_head(ctx, o.name, "change, 90% interval"), []) for o in ctx.options]
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
        for col, cell in zip(columns, _change_cells(ctx, money, rows), strict=True):
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
        "money-table", caption, heads, stub_rows, columns, note=_csv_link(ctx, "money").strip()
    )


def methods_html(ctx: Context) -> str:
    runs = ctx.runs
    commit = ctx.baseline.manifest.get("git_commit")
    rows = []
    for run in runs:
        m, s = run.manifest, run.scenario
        timings = m.get("timings") or {}
        total = timings.get("total_s")
        status = {True: "reused", False: "run now", None: "—"}[run.reused]
        wpa = (s.get("scale") or {}).get("workers_per_agent")
        rows.append(
            [
                td(ctx.label(run.name), cls="text"),
                td(esc(m.get("seed", s.get("seed", "—")))),
                td(esc(len(run.replicates))),
                td(esc(fmt.number(wpa, 0))),
                td(esc(m.get("engine", s.get("engine", "—"))), cls="text"),
                td(esc(reading.calibration_of(m).status), cls="text"),
                td(f"<code>{esc(str(m.get('scenario_hash', ''))[:12])}</code>", cls="text"),
                td(
                    esc(status) + ("" if total is None else esc(f" ({float(total):.1f} s)")),
                    cls="text",
                ),
            ]
        )
    heads = [
        th("Scenario", cls="text"),
        th("Seed"),
        th("Replicates"),
        th("Workers per agent"),
        th("Engine", cls="text"),
        th("Calibration", cls="text"),
        th("Scenario hash", cls="text"),
        th("Run", cls="text"),
    ]
    versions = sorted({str(r.manifest.get("package_version", "unknown")) for r in runs})
    odd = (
        f'<a href="{esc(ctx.odd_link)}">the model description (ODD protocol)</a>, '
        "a page next to this one"
        if ctx.odd_link
        else "the model description in <code>docs/ODD.md</code> of the hrhsim source"
    )
    sg_names = ", ".join(ctx.groups.name(c) for c in ctx.groups.safeguards) or "none"
    dest_names = ", ".join(ctx.groups.name(c) for c in ctx.groups.destinations) or "none"
    ev = ctx.evidence
    wpa = ev.workers_per_agent
    scale = (
        f"Each simulated worker stands for {fmt.number(wpa, 0)} real doctors, nurses or "
        f"midwives, so counts move in steps of {fmt.number(wpa, 0)} in each replicate. A country "
        f"whose health workforce is smaller than half of that rounds to no simulated worker: it "
        "is flagged (“too small for the scale”) rather than shown with a density of 0."
        if wpa
        else "Each simulated worker stands for one real worker."
    )
    start = ctx.first + 1
    note_html = "".join(f"<li>{esc(n)}</li>" for n in ctx.notes)
    return (
        "<h3>Assumptions in plain words</h3>"
        f"<p><strong>Simulated years.</strong> The model starts at the beginning of {start} "
        f"(the initial state, labelled “start”) and simulates {start}–{ctx.year}; a value "
        f"“in {ctx.year}” is at the end of {ctx.year}, flows are totals over the year.</p>"
        f"<p><strong>The 44.5 threshold.</strong> {esc(THRESHOLD_44_5)}</p>"
        f"<p><strong>Posts.</strong> {esc(POSTS)}</p>"
        f"<p><strong>Scale.</strong> {esc(scale)}</p>"
        f"<p><strong>Intervals.</strong> {esc(ev.covers())} Every number is a summary across "
        "replicates: the median and the 90% interval (5th–95th percentile, linear "
        "interpolation); the width is the interval's length. Changes are paired: replicate r of "
        "an option minus replicate r of the baseline, which share their random numbers, so the "
        f"difference shows the effect of the option rather than chance. {esc(ev.clear_rule())} "
        "Numbers are rounded to significant figures, with as many as it takes for two "
        "different values never to print the same.</p>"
        f"<p><strong>Calibration.</strong> {esc(ev.calibration.text())}</p>"
        "<p><strong>Groups.</strong> Safeguards-list countries in this world (WHO health "
        f"workforce support and safeguards list 2023): {esc(sg_names)}. Destinations "
        f"(<code>workforce.destinations</code> of the baseline): {esc(dest_names)}. Every "
        "scenario is measured on these same groups. Density in the safeguards-list countries is "
        "population-weighted; the destination vacancy rate is weighted by funded posts; the "
        "foreign-trained share by workforce. Emigration counts every international departure "
        "in the year. Money is in international dollars at purchasing-power parity (int$ PPP)."
        "</p>"
        "<h3>Runs</h3>"
        f"<p>Model: hrhsim {esc(', '.join(versions))}"
        f"{'' if not commit else f' (git commit <code>{esc(str(commit)[:12])}</code>)'}; "
        f"how it works: {odd}.</p>"
        + simple_table("methods-table", "Table 11. Scenarios, seeds and runs", heads, rows)
        + (
            f'<div class="note"><strong>Notes</strong><ul>{note_html}</ul></div>'
            if ctx.notes
            else ""
        )
    )


def files_html(ctx: Context) -> str:
    items = [
        f'<li><a href="{esc(name)}">{esc(name)}</a></li>'
        for key, name in ctx.tables.items()
        if not key.startswith("__")
    ]
    book = (
        f'<p>All tables in one workbook: <a href="{esc(ctx.workbook)}">{esc(ctx.workbook)}</a>.</p>'
        if ctx.workbook
        else ""
    )
    pages = ""
    if ctx.pages:
        pages = "<p>Country pages: " + ", ".join(ctx.country(c) for c in ctx.pages) + ".</p>"
    return (
        f"{book}<p>Every table as CSV (unrounded numbers):</p><ul class='small-states'>"
        f"{''.join(items)}</ul>{pages}<p>Every figure as PNG and SVG in the "
        "<code>figures/</code> folder, named for what it shows.</p>"
    )


def render(ctx: Context) -> str:
    """The briefing page."""
    ts = "".join(figure_html(ctx.charts.get(f"over_time_{m.key}")) for m in TIME_SERIES)
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    y = ctx.year
    sections = [
        ("summary", "Headline messages", summary_html(ctx)),
        ("headline", f"Headline results at the end of {y}", headline_html(ctx)),
        ("changes", "What each option changes", changes_html(ctx)),
        ("focus", "Countries and agreements the options name", focus_html(ctx)),
        ("maps", "Maps", maps_html(ctx)),
        (
            "tradeoff",
            "The trade-off: source countries and destinations",
            figure_html(ctx.charts.get("tradeoff_source_density_vs_destination_vacancies")),
        ),
        ("time", "Over time", f'<div class="grid">{ts}</div>'),
        (
            "corridors",
            "Migration corridors",
            figure_html(ctx.charts.get(f"corridors_largest_{y}")) + corridor_html(ctx),
        ),
        (
            "countries",
            "Safeguards-list countries",
            figure_html(ctx.charts.get(f"safeguards_list_density_change_{y}"))
            + safeguards_html(ctx),
        ),
        (
            "money",
            "Money flows",
            figure_html(ctx.charts.get(f"money_totals_{ctx.first + 1}_{y}")) + money_html(ctx),
        ),
        ("methods", "Methods and assumptions", methods_html(ctx)),
        ("files", "Tables and figures as files", files_html(ctx)),
    ]
    toc = "".join(f'<li><a href="#{key}">{esc(head)}</a></li>' for key, head, _ in sections)
    body = "".join(
        f'<section id="{key}"><h2>{esc(head)}</h2>{content}</section>'
        for key, head, content in sections
    )
    lead = (
        "What each option does, to whom, at what cost, and how sure we are: results of the "
        "hrhsim agent-based model of international health-worker migration under the WHO "
        "Global Code of Practice on the International Recruitment of Health Personnel."
    )
    n_opt = len(ctx.options)
    meta = (
        f"{n_opt} option{'s' if n_opt != 1 else ''} compared with {esc(ctx.baseline.name)} · "
        f"simulated years {ctx.first + 1}–{y} · {ctx.evidence.replicates} replicates · "
        f"{esc(ctx.evidence.calibration.status)} · generated {esc(created)}"
    )
    from sim.compare.layout import page

    return page(
        ctx.title,
        f'<header><h1>{esc(ctx.title)}</h1><p class="lead">{esc(lead)}</p>'
        f'<p class="meta">{meta}</p></header>'
        f'<nav aria-label="Contents"><strong>Contents</strong><ol>{toc}</ol></nav>'
        f"<main>{body}</main>"
        "<footer>Produced by <code>hrhsim compare</code>.</footer>",
    )


def default_title(baseline: str, options: Sequence[str]) -> str:
    """`Briefing: a, b and c compared with baseline` (shortened beyond three options)."""
    if not options:
        return f"Briefing: {baseline}"
    if len(options) > 3:
        names = f"{len(options)} policy options"
    else:
        names = ", ".join(options[:-1]) + (" and " if len(options) > 1 else "") + options[-1]
    return f"Briefing: {names} compared with {baseline}"


def timing_warnings(scenario: dict, start: int, year: int) -> list[str]:
    """Levers, agreements and adjustments whose dates fall outside the simulated years."""
    out = []
    policies = scenario.get("policies") or {}
    items: list[tuple[str, Any]] = []
    for key, p in policies.items():
        if isinstance(p, dict) and p.get("enabled"):
            items.append((key.replace("_", " "), p))
    for a in policies.get("agreements") or []:
        items.append((f"the {a.get('source')}→{a.get('destination')} agreement", a))
    for adj in scenario.get("adjustments") or []:
        items.append(("an adjustment", adj))
    for what, p in items:
        begin, end = p.get("from"), p.get("until")
        if begin is not None and begin > year:
            out.append(
                f"Note: {what} starts in {begin}, after the last simulated year ({year}): it has "
                "no effect in this briefing."
            )
        elif end is not None and end < start:
            out.append(
                f"Note: {what} ends in {end}, before the first simulated year ({start}): it has "
                "no effect in this briefing."
            )
    return out
