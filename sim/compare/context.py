"""What the briefing page shows (`Context`, computed once by `briefing.write_briefing`) and the
pieces of HTML its sections share: option headings, change cells, figures, CSV links.

Every piece of user text goes through `layout.esc`; numbers through `fmt` (significant figures,
never two different values printed alike) and their reading through `reading.read_change`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from sim.compare import fmt, reading
from sim.compare.chartstyle import colour
from sim.compare.drawing import Chart
from sim.compare.focus import Agreement
from sim.compare.layout import Column, esc, number_cell, swatch, td, th, wrap
from sim.compare.runs import Run
from sim.compare.tables import METRICS, Metric
from sim.inputs.selectors import CountryGroups


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
    small_states: list[str] = field(default_factory=list)
    tables: dict[str, str] = field(default_factory=dict)
    """CSV file name by table id (for the download links)."""
    workbook: str | None = None
    elsewhere: dict[str, pd.Series | None] = field(default_factory=dict)
    """By option: the country off the safeguards list whose emigration it changes most
    (`tables.emigration_elsewhere`)."""
    baseline_series: pd.DataFrame | None = None
    """The baseline's headline metrics by year (`tables.time_series`: metric, year, median...)."""
    glance: pd.DataFrame | None = None
    """Each option's changes in the safeguards-list countries' workers and in public spending
    (`glance.glance_table`)."""
    steps: dict[str, dict[str, float]] = field(default_factory=dict)
    """One simulated worker of each country in the units of its density and emigration rate
    (`tables.worker_steps`)."""

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

    def step(self, key: str, code: str) -> float | None:
        """One simulated worker of `code` in the unit of its `key` value (`density`: per 10,000
        population; `emigration`: per 1,000 health workers): the smallest step of the value in
        one replicate (`tables.worker_steps`); None without a scale or a denominator."""
        return self.steps.get(key, {}).get(code)

    def country(self, code: str) -> str:
        """A country's name and code, linked to its page when it has one."""
        text = f"{esc(self.groups.name(code))} ({esc(code)})"
        if code in self.pages:
            return f'<a href="{esc(self.pages[code])}">{text}</a>'
        return text


def change_cells(
    ctx: Context,
    metric: Metric,
    rows: Sequence[pd.Series | dict],
    *,
    step: float | None = None,
    readings: Sequence[reading.Reading] | None = None,
) -> list[str]:
    """Cells for one metric's change in several options, formatted together (distinct values).

    `step`: the smallest step of the value in one replicate (one simulated worker), when larger
    than the kind's relevance threshold: a smaller change gets no mark. `readings`: each row's
    mark read elsewhere (the listed countries' workers marked as their density is), instead of
    reading the row itself.
    """
    texts = fmt.cells(
        [(r["change_median"], r["change_p5"], r["change_p95"]) for r in rows],
        metric.kind,
        signed=True,
    )
    cells = []
    for k, r in enumerate(rows):
        rd = readings[k] if readings is not None else reading.read_change(
            r["change_p5"],
            r["change_median"],
            r["change_p95"],
            metric.kind,
            metric.better,
            ctx.evidence,
            step=step,
        )  # fmt: skip
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


def option_head(ctx: Context, name: str, what: str) -> str:
    return th(f'{ctx.label(name)}<br><span class="meta">{esc(what)}</span>')


def csv_link(ctx: Context, key: str) -> str:
    name = ctx.tables.get(key)
    return f' <span class="screen-only">(<a href="{esc(name)}">CSV</a>)</span>' if name else ""


def flag_text(ctx: Context, code: str) -> str:
    wpa = ctx.evidence.workers_per_agent
    return esc(
        f"too small for the scale: fewer than one simulated worker ({fmt.quote(wpa, 'workers')} "
        "real workers)"
    )


def figure_html(chart: Chart | None, prefix: str = "", alt: str = "") -> str:
    """A chart as a figure: the image (its text alternative the title, then `alt`, what it
    shows in words: `sim.compare.alt`), the caption and links to its files."""
    import base64

    if chart is None:
        return ""
    data = base64.b64encode(chart.svg).decode("ascii")
    text = f"{chart.title}. {alt}" if alt else chart.title
    return (
        f'<figure id="fig-{esc(chart.key)}" data-figure="{esc(chart.key)}">'
        f'<img src="data:image/svg+xml;base64,{data}" alt="{esc(text)}">'
        f"<figcaption>{esc(chart.caption)} "
        f'<span class="screen-only">Files: <a href="{prefix}figures/{esc(chart.key)}.png">PNG</a>'
        f' · <a href="{prefix}figures/{esc(chart.key)}.svg">SVG</a></span></figcaption></figure>'
    )


def density_rows(
    ctx: Context, entries: Sequence[tuple[str, float, float, Sequence]], what: str
) -> tuple[list[list[str]], list[Column], dict[int, str]]:
    """The body of a table of countries' density: stub rows (country, start, level), one column
    of paired changes per option (head: the option and `what`), and the spans that replace the
    numbers of countries too small for the scale.

    Args:
        entries: (country code, density at the start, density in the baseline at the end, one
            mapping per option with `change_median`, `change_p5` and `change_p95`).
    """
    density = METRICS["safeguards_density"]
    columns = [Column(option_head(ctx, o.name, what), []) for o in ctx.options]
    stub_rows: list[list[str]] = []
    spans: dict[int, str] = {}
    for code, start, level, rows in entries:
        flagged = code in ctx.flagged
        stub_rows.append(
            [
                td(ctx.country(code), cls="text"),
                td("—" if flagged else esc(fmt.quote(start, "density", 3))),
                td("—" if flagged else esc(fmt.quote(level, "density", 3))),
            ]
        )
        if flagged:
            spans[len(stub_rows) - 1] = flag_text(ctx, code)
        step = ctx.step("density", code)
        for col, cell in zip(columns, change_cells(ctx, density, rows, step=step), strict=True):
            col.cells.append(cell)
    return stub_rows, columns, spans
