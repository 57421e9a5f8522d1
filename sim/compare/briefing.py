"""The briefing: one self-contained HTML page a policymaker reads, with its figures and tables.

`write_briefing(baseline, options, out_dir)` computes the tables (`sim.compare.tables`), draws the
charts (`sim.compare.figures`), says what each option changes (`sim.compare.changes`) and writes
`index.html` (CSS inline, charts embedded as SVG data URIs, nothing fetched from the network),
`headline.csv` and `figures/*.png|svg`. Every piece of user text is HTML-escaped.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.compare import changes, figures, fmt, tables
from sim.compare.methods import methods_html
from sim.compare.page import CSP, CSS, ci, esc, scenario_label
from sim.compare.runs import Run
from sim.compare.tables import HEADLINE, METRICS
from sim.inputs.selectors import CountryGroups, country_groups, scenario_world, selector_codes
from sim.outputs.results import atomic_write, write_csv

log = logging.getLogger(__name__)

ODD_NAME = "ODD.md"


@dataclass
class Briefing:
    """What `write_briefing` wrote."""

    index_html: Path
    headline_csv: Path
    figures: list[Path] = field(default_factory=list)
    headline: pd.DataFrame | None = None
    horizon: int | None = None


# --------------------------------------------------------------------------------------------------
# the computation


def write_briefing(
    baseline: Run,
    options: Sequence[Run],
    out_dir: str | Path,
    *,
    world: Any = None,
    notes: Sequence[str] = (),
) -> Briefing:
    """Write `index.html`, `headline.csv` and `figures/` for `options` against `baseline`.

    `world` defaults to the baseline scenario's world; `notes` are extra lines for the methods
    section (e.g. which runs were reused).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = [baseline, *options]
    names = [run.name for run in runs]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must differ to be compared: {names}")
    world = world if world is not None else scenario_world(baseline.scenario)
    present = sorted(set(baseline.indicators["country"].unique()) - {tables.WLD})
    groups = country_groups(baseline.scenario, world, present)
    year = tables.horizon_year(runs)
    first = tables.start_year(baseline)

    values = {run.name: tables.metric_values(run, groups) for run in runs}
    headline = tables.headline_table(
        values[baseline.name], [(o.name, values[o.name]) for o in options], year, baseline.name
    )
    series = [(run.name, tables.time_series(values[run.name])) for run in runs]
    flows = {run.name: tables.corridor_flows(run, year) for run in runs}
    corridors = tables.corridor_table(
        flows[baseline.name], [(o.name, flows[o.name]) for o in options]
    )
    per_country = tables.country_table(baseline, options, groups, year)
    money = {run.name: tables.money_values(run, groups, year) for run in runs}
    money_tab = tables.money_table(money[baseline.name], [(o.name, money[o.name]) for o in options])

    def resolver(data: dict):
        def resolve(selector: Any) -> list[str] | None:
            try:
                return [c for c in selector_codes(selector, data, world) if c in set(present)]
            except Exception:
                return None

        return resolve

    described = {
        o.name: changes.describe_changes(
            baseline.scenario, o.scenario, resolver(o.scenario), groups.names
        )
        for o in options
    }

    fig_dir = out_dir / "figures"
    option_names = [o.name for o in options]
    n_rep = len(baseline.replicates)
    charts = [
        figures.tradeoff(headline, option_names, year),
        *figures.all_time_series(series, n_rep),
        figures.corridors(corridors, [r.name for r in runs], year),
        figures.money([(r.name, money[r.name]) for r in runs], first + 1, year),
    ]
    if options and len(per_country):
        charts.insert(-1, figures.country_changes(per_country, option_names, year))
    for chart in charts:
        figures.save(chart, fig_dir)
    odd_link = _copy_odd(out_dir)

    page = render(
        baseline=baseline,
        options=options,
        groups=groups,
        year=year,
        first=first,
        headline=headline,
        corridors=corridors,
        per_country=per_country,
        money=money_tab,
        described=described,
        charts={c.key: c for c in charts},
        odd_link=odd_link,
        notes=list(notes) + _pairing_notes(baseline, options, year),
    )
    index = atomic_write(out_dir / "index.html", page)
    csv = write_csv(out_dir / "headline.csv", headline)
    paths = [p for c in charts for p in (c.png_path, c.svg_path) if p is not None]
    for chart in charts:
        chart.figure.clear()
    log.info("briefing written to %s", index)
    return Briefing(index, csv, paths, headline, year)


def _pairing_notes(baseline: Run, options: Sequence[Run], year: int) -> list[str]:
    """Warnings when replicate r of an option does not share its seed with the baseline's."""
    notes = []
    for o in options:
        if o.manifest.get("seed") != baseline.manifest.get("seed"):
            notes.append(
                f"“{o.name}” used seed {o.manifest.get('seed')} and the baseline seed "
                f"{baseline.manifest.get('seed')}: its differences are not paired by "
                "common random numbers, so its intervals are wider."
            )
        if o.replicates != baseline.replicates:
            notes.append(
                f"“{o.name}” has replicates {len(o.replicates)} and the baseline "
                f"{len(baseline.replicates)}: differences use the replicates both have."
            )
        if max(o.years) != max(baseline.years):
            notes.append(
                f"“{o.name}” ends in {max(o.years)} and the baseline in "
                f"{max(baseline.years)}: the comparison is made in {year}."
            )
    return notes


def _copy_odd(out_dir: Path) -> str | None:
    """Copy docs/ODD.md next to the briefing (so the link works offline); its relative link."""
    import sim

    source = Path(sim.__file__).resolve().parent.parent / "docs" / ODD_NAME
    if not source.is_file():
        return None
    atomic_write(out_dir / ODD_NAME, source.read_bytes())
    return ODD_NAME


# --------------------------------------------------------------------------------------------------
# HTML pieces


def _verdict(metric: tables.Metric, lo: float, med: float, hi: float) -> tuple[str, str]:
    """(css class, words) for a paired change: is it clearly above/below zero, and is that good?"""
    if not all(pd.notna(v) for v in (lo, med, hi)):
        return "", "not available"
    if lo == hi == 0:
        return "", "no change"
    if lo > 0 or hi < 0:
        direction = 1 if lo > 0 else -1
        words = "clearly higher" if direction > 0 else "clearly lower"
        if metric.better:
            return ("better" if direction == metric.better else "worse"), words
        return "", words
    return "", "no clear change (the interval includes zero)"


def _change_cell(metric: tables.Metric, row: pd.Series) -> str:
    lo, med, hi = row["change_p5"], row["change_median"], row["change_p95"]
    css, _words = _verdict(metric, lo, med, hi)
    mark = {"better": " ▲ better", "worse": " ▼ worse"}.get(css, "")
    cls = f' class="{css}"' if css else ""
    return (
        f"<td{cls}>{esc(fmt.change(med, metric.kind))}"
        f'<span class="ci">{esc(fmt.interval(lo, hi, metric.kind))}'
        f"{esc(mark)}</span></td>"
    )


def _headline_html(headline: pd.DataFrame, baseline: Run, options: Sequence[Run], year: int) -> str:
    head = "".join(
        f'<th scope="col">{scenario_label(o.name, i)}<br>'
        '<span class="mark">change (90% interval)</span></th>'
        for i, o in enumerate(options, start=1)
    )
    body = []
    for m in HEADLINE:
        rows = headline[headline["metric"] == m.key]
        if rows.empty:
            continue
        base_level = rows["baseline_median"].iloc[0]
        unit = _inline_unit(m.kind, fmt.UNITS, "int$ PPP/year")
        cells = "".join(_change_cell(m, rows[rows["option"] == o.name].iloc[0]) for o in options)
        body.append(
            f'<tr><th scope="row" class="text">{esc(m.label)}'
            f'<span class="ci">{esc(m.unit)}</span></th>'
            f"<td>{esc(fmt.value(base_level, m.kind))}"
            f'<span class="ci">{esc(unit)}</span></td>{cells}</tr>'
        )
    return (
        '<div class="table-wrap"><table id="headline-table">'
        f"<caption>Change against the baseline in {year}: median of the paired replicate "
        "differences, with the 90% interval (5th–95th percentile) below</caption>"
        f'<thead><tr><th scope="col" class="text">Indicator</th>'
        f'<th scope="col">{scenario_label(baseline.name, 0)}<br>'
        f'<span class="mark">level in {year}</span></th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
        '<p class="meta">▲ better / ▼ worse: the whole 90% interval lies on one side of zero, in '
        "the direction that is better (or worse) for health-worker coverage. Changes in shares "
        "are in percentage points (pp). Money is per year in "
        f"{year}; totals over the period are in the money section.</p>"
    )


def _glance_html(headline: pd.DataFrame, options: Sequence[Run], year: int) -> str:
    keys = (
        "safeguards_density",
        "safeguards_emigration",
        "destination_vacancy_rate",
        "population_below_44_5",
        "compensation_paid",
    )
    cards = []
    for i, o in enumerate(options, start=1):
        rows = headline[headline["option"] == o.name].set_index("metric")
        items = []
        for key in keys:
            if key not in rows.index:
                continue
            m, r = METRICS[key], rows.loc[key]
            _, words = _verdict(m, r["change_p5"], r["change_median"], r["change_p95"])
            unit = _inline_unit(m.kind, fmt.CHANGE_UNITS, "per year (int$ PPP)")
            items.append(
                f"<li>{esc(m.short_label)}: <strong>{esc(fmt.change(r['change_median'], m.kind))}"
                f"</strong> {esc(unit)}"
                f" (90% interval {esc(fmt.interval(r['change_p5'], r['change_p95'], m.kind))}) — "
                f"{esc(words)}</li>"
            )
        cards.append(
            f'<div class="card"><h3>{scenario_label(o.name, i)}</h3><ul>{"".join(items)}</ul></div>'
        )
    return "".join(cards) or "<p>No option to compare.</p>"


def _figure_html(chart: figures.Chart | None, out_dir_files: str = "figures") -> str:
    if chart is None:
        return ""
    data = base64.b64encode(chart.svg).decode("ascii")
    return (
        f'<figure id="fig-{esc(chart.key)}" data-figure="{esc(chart.key)}">'
        f'<img src="data:image/svg+xml;base64,{data}" alt="{esc(chart.title)}">'
        f"<figcaption>{esc(chart.caption)} "
        f'<span class="screen-only">Files: <a href="{out_dir_files}/{esc(chart.key)}.png">PNG</a>'
        f' · <a href="{out_dir_files}/{esc(chart.key)}.svg">SVG</a></span></figcaption></figure>'
    )


def _changes_html(baseline: Run, options: Sequence[Run], described: dict[str, list[str]]) -> str:
    parts = [f"<h3>{scenario_label(baseline.name, 0)} (baseline)</h3>", _description(baseline)]
    for i, o in enumerate(options, start=1):
        items = "".join(f"<li>{esc(s)}</li>" for s in described.get(o.name, []))
        parts.append(
            f"<h3>{scenario_label(o.name, i)}</h3>{_description(o)}"
            f"<p>Against the baseline, this option:</p><ul>{items}</ul>"
        )
    return "".join(parts)


def _description(run: Run) -> str:
    text = str(run.scenario.get("description") or "").strip()
    path = run.manifest.get("scenario_path")
    src = f'<p class="meta">Scenario file: <code>{esc(path)}</code></p>' if path else ""
    if not text:
        return src
    paras = "".join(f"<p>{esc(p.strip())}</p>" for p in text.split("\n\n") if p.strip())
    return paras + src


def _corridor_html(
    table: pd.DataFrame, baseline: Run, options: Sequence[Run], groups: CountryGroups, year: int
) -> str:
    if table.empty:
        return "<p>No international moves were recorded in the horizon year.</p>"
    head = "".join(
        f'<th scope="col">{scenario_label(o.name, i)}<br><span class="mark">change</span></th>'
        for i, o in enumerate(options, start=1)
    )
    body = []
    for _, r in table.iterrows():
        sg = " ‡" if r["origin"] in groups.safeguards else ""
        cells = "".join(
            f"<td>{esc(fmt.change(r[f'{o.name}|change|median'], 'workers'))}"
            f"{ci(r[f'{o.name}|change|p5'], r[f'{o.name}|change|p95'], 'workers')}</td>"
            for o in options
        )
        body.append(
            f'<tr><td class="text">{esc(groups.name(r["origin"]))} ({esc(r["origin"])}){sg}</td>'
            f'<td class="text">{esc(groups.name(r["destination"]))} ({esc(r["destination"])})</td>'
            f"<td>{esc(fmt.value(r['baseline|level|median'], 'workers'))}"
            f"{ci(r['baseline|level|p5'], r['baseline|level|p95'], 'workers', signed=False)}"
            f"</td>{cells}</tr>"
        )
    return (
        '<div class="table-wrap"><table id="corridor-table">'
        f"<caption>Workers moving origin → destination in {year} (doctors + nurses, "
        "workers/year): baseline level and each option's paired change, median with 90% "
        "interval</caption>"
        '<thead><tr><th scope="col" class="text">Origin</th>'
        '<th scope="col" class="text">Destination</th>'
        f'<th scope="col">{scenario_label(baseline.name, 0)}<br><span class="mark">workers</span>'
        f"</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        '<p class="meta">‡ origin on the WHO health workforce support and safeguards list 2023. '
        "Returns of migrants appear as flows from the destination back to the origin.</p>"
    )


def _country_html(
    table: pd.DataFrame, baseline: Run, options: Sequence[Run], first: int, year: int
) -> str:
    if table.empty:
        return (
            "<p>No country of this world is on the safeguards list, so this section is empty.</p>"
        )
    runs = [baseline, *options]
    per_start = f"{baseline.name}|start" in table.columns
    head = [
        f'<th scope="col" class="text">Country</th><th scope="col">Start<br>'
        f'<span class="mark">{first}</span></th>'
        if not per_start
        else '<th scope="col" class="text">Country</th>'
    ]
    for i, run in enumerate(runs):
        if per_start:
            head.append(
                f'<th scope="col">{scenario_label(run.name, i)}<br>'
                f'<span class="mark">{first}</span></th>'
            )
        head.append(
            f'<th scope="col">{scenario_label(run.name, i)}<br>'
            f'<span class="mark">{year}</span></th>'
        )
        if i:
            head.append(
                f'<th scope="col">{scenario_label(run.name, i)}<br>'
                '<span class="mark">change (90% interval)</span></th>'
            )
    body = []
    for _, r in table.iterrows():
        cells = [f'<td class="text">{esc(r["name"])} ({esc(r["country"])})</td>']
        if not per_start:
            cells.append(f"<td>{esc(fmt.value(r['start'], 'density'))}</td>")
        for i, run in enumerate(runs):
            if per_start:
                cells.append(f"<td>{esc(fmt.value(r[f'{run.name}|start'], 'density'))}</td>")
            cells.append(f"<td>{esc(fmt.value(r[f'{run.name}|median'], 'density'))}</td>")
            if i:
                lo, med, hi = (r[f"{run.name}|change|{c}"] for c in ("p5", "median", "p95"))
                css, _ = _verdict(METRICS["safeguards_density"], lo, med, hi)
                cls = f' class="{css}"' if css else ""
                cells.append(
                    f"<td{cls}>{esc(fmt.change(med, 'density'))}"
                    f'<span class="ci">{esc(fmt.interval(lo, hi, "density"))}</span></td>'
                )
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        '<div class="table-wrap"><table id="country-table">'
        "<caption>Doctors + nurses per 10,000 population in the safeguards-list countries: at the "
        f"start ({first}), in {year} (median across replicates) and each option's paired change"
        f"</caption><thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(body)}</tbody>"
        "</table></div>"
    )


def _money_html(
    table: pd.DataFrame, baseline: Run, options: Sequence[Run], first: int, year: int
) -> str:
    if table.empty:
        return "<p>The runs report no money flows.</p>"
    head = [
        f'<th scope="col" class="text">Money flow</th><th scope="col">'
        f'{scenario_label(baseline.name, 0)}<br><span class="mark">total</span></th>'
    ]
    for i, o in enumerate(options, start=1):
        head.append(
            f'<th scope="col">{scenario_label(o.name, i)}<br>'
            '<span class="mark">total</span></th>'
            f'<th scope="col">{scenario_label(o.name, i)}<br>'
            '<span class="mark">change (90% interval)</span></th>'
        )
    body = []
    for _, r in table.iterrows():
        cells = [f'<th scope="row" class="text">{esc(r["label"])}</th>', _level_cell(r, "baseline")]
        for o in options:
            cells.append(_level_cell(r, o.name))
            lo, med, hi = (r.get(f"{o.name}|change|{c}") for c in ("p5", "median", "p95"))
            cells.append(
                f"<td>{esc(fmt.change(med, 'money'))}"
                f'<span class="ci">{esc(fmt.interval(lo, hi, "money"))}</span></td>'
            )
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        '<div class="table-wrap"><table id="money-table">'
        f"<caption>Money over {first}–{year}, total of the simulated years (int$ PPP): median "
        "across replicates with the 90% interval</caption>"
        f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _level_cell(r: pd.Series, key: str) -> str:
    lo, med, hi = (r.get(f"{key}|level|{c}") for c in ("p5", "median", "p95"))
    return (
        f"<td>{esc(fmt.value(med, 'money'))}"
        f'<span class="ci">{esc(fmt.interval(lo, hi, "money", signed=False))}</span></td>'
    )


def render(
    *,
    baseline: Run,
    options: Sequence[Run],
    groups: CountryGroups,
    year: int,
    first: int,
    headline: pd.DataFrame,
    corridors: pd.DataFrame,
    per_country: pd.DataFrame,
    money: pd.DataFrame,
    described: dict[str, list[str]],
    charts: dict,
    odd_link: str | None,
    notes: Sequence[str],
) -> str:
    """The HTML page."""
    names = ", ".join(o.name for o in options) or "no option"
    title = f"Briefing: {names} compared with {baseline.name}"
    ts = "".join(_figure_html(charts.get(f"timeseries_{m.key}")) for m in tables.TIME_SERIES)
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = [
        ("glance", "At a glance", _glance_html(headline, options, year)),
        ("changes", "What each option changes", _changes_html(baseline, options, described)),
        (
            "headline",
            f"Headline results in {year}",
            _headline_html(headline, baseline, options, year),
        ),
        (
            "tradeoff",
            "The trade-off: source countries and destinations",
            _figure_html(charts.get("tradeoff")),
        ),
        ("time", "Over time", f'<div class="grid">{ts}</div>'),
        (
            "corridors",
            "Migration corridors",
            _figure_html(charts.get("corridors"))
            + _corridor_html(corridors, baseline, options, groups, year),
        ),
        (
            "countries",
            "Safeguards-list countries",
            _figure_html(charts.get("safeguards_countries"))
            + _country_html(per_country, baseline, options, first, year),
        ),
        (
            "money",
            "Money flows",
            _figure_html(charts.get("money"))
            + _money_html(money, baseline, options, first + 1, year),
        ),
        (
            "methods",
            "Methods note",
            methods_html(baseline, options, groups, year, odd_link, notes),
        ),
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
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="hrhsim compare">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{esc(title)}</h1><p class="lead">{esc(lead)}</p>'
        f'<p class="meta">Horizon {year} · {len(baseline.replicates)} replicates · generated '
        f"{esc(created)}</p></header>"
        f'<nav aria-label="Contents"><strong>Contents</strong><ol>{toc}</ol></nav>'
        f"<main>{body}</main>"
        '<footer>Produced by <code>hrhsim compare</code>. Tables: <a href="headline.csv">'
        "headline.csv</a>; figures: the <code>figures/</code> folder.</footer>"
        "</body></html>\n"
    )


def _inline_unit(kind: str, units: dict, money: str) -> str:
    """The unit written after a number in text; none where the number carries it (`%`, `pp`)."""
    if kind == "money":
        return money
    return "" if kind in ("share", "ratio") else units[kind]
