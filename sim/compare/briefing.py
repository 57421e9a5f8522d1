"""The briefing: one self-contained HTML page a policymaker reads, with its figures and tables.

`write_briefing(baseline, options, out_dir)` computes the tables (`sim.compare.tables`), draws the
charts (`sim.compare.figures`), says what each option changes (`sim.compare.changes`) and writes
`index.html` (CSS inline, charts embedded as SVG data URIs, nothing fetched from the network),
`headline.csv` and `figures/*.png|svg`. Every piece of user text is HTML-escaped.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.compare import changes, figures, fmt, tables
from sim.compare.groups import CountryGroups, country_groups, load_world_for, selector_codes
from sim.compare.runs import Run
from sim.compare.tables import HEADLINE, METRICS
from sim.outputs.results import atomic_write, write_csv

log = logging.getLogger(__name__)

ODD_NAME = "ODD.md"
FEW_REPLICATES = 20


@dataclass
class Briefing:
    """What `write_briefing` wrote."""

    index_html: Path
    headline_csv: Path
    figures: list[Path] = field(default_factory=list)
    headline: pd.DataFrame | None = None
    horizon: int | None = None


def esc(text: Any) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape(str(text), quote=True)


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
    world = world if world is not None else load_world_for(baseline.scenario)
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


CSS = """
:root { --ink:#1b1b1b; --muted:#5b5b5b; --rule:#d4d4d4; --accent:#0072B2;
        --better:#d9ebf7; --worse:#fbe2cc; --note:#fff8e1; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: var(--ink); max-width: 1120px; margin: 0 auto; padding: 24px 28px;
       line-height: 1.45; background: #fff; }
h1 { font-size: 1.65rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid var(--accent); padding-bottom: 3px;
     margin-top: 2.4rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
p.lead { font-size: 1.05rem; color: var(--muted); margin-top: 0; }
.meta { color: var(--muted); font-size: .85rem; }
nav { background: #f4f7fa; border: 1px solid var(--rule); padding: 8px 14px; margin: 1rem 0;
      font-size: .9rem; }
nav ol { margin: .2rem 0; padding-left: 1.3rem; columns: 2; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .86rem;
        font-variant-numeric: tabular-nums; margin: .6rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 7px; text-align: right;
         vertical-align: top; }
th { background: #f1f1f1; font-weight: 600; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
th[scope=row] { min-width: 13em; font-weight: 600; }
th .ci, td .ci { display: block; color: var(--muted); font-size: .8em; white-space: nowrap; }
td.better { background: var(--better); }
td.worse { background: var(--worse); }
.mark { font-size: .8em; color: var(--muted); }
figure { margin: 1rem 0 1.4rem; break-inside: avoid; page-break-inside: avoid; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: .85rem; color: var(--muted); margin-top: .3rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr));
        gap: .6rem 1.4rem; }
.card { border-left: 4px solid var(--accent); padding: .2rem 0 .2rem 1rem; margin: 1rem 0; }
.card ul { margin: .3rem 0; }
.note { background: var(--note); border: 1px solid #f0d890; padding: .5rem .8rem;
        font-size: .9rem; }
.swatch { display: inline-block; width: .9em; height: .9em; border-radius: 2px;
          vertical-align: -.1em; margin-right: .35em; }
code { font-size: .9em; background: #f3f3f3; padding: 0 .2em; }
footer { margin-top: 3rem; font-size: .8rem; color: var(--muted); }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  nav, .screen-only { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; margin-top: 1.4rem; }
  h3 { break-after: avoid; page-break-after: avoid; }
  .grid { grid-template-columns: 1fr 1fr; gap: .3rem .8rem; }
  figcaption { font-size: 8pt; }
  figure, tr, .card { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  .table-wrap { overflow: visible; }
  a { color: inherit; text-decoration: none; }
  td.better, td.worse, th, .note { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'"
)
"""Nothing but inline styles and data: images: no script runs, nothing is fetched."""


def _ci(lo: float, hi: float, kind: str, *, signed: bool = True) -> str:
    """The 90% interval under a number."""
    return f'<span class="ci">{esc(fmt.interval(lo, hi, kind, signed=signed))}</span>'


def _swatch(i: int) -> str:
    return f'<span class="swatch" style="background:{figures.colour(i)}"></span>'


def _scenario_label(name: str, i: int) -> str:
    return f"{_swatch(i)}{esc(name)}"


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
        f'<th scope="col">{_scenario_label(o.name, i)}<br>'
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
        f'<th scope="col">{_scenario_label(baseline.name, 0)}<br>'
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
            f'<div class="card"><h3>{_scenario_label(o.name, i)}</h3>'
            f"<ul>{''.join(items)}</ul></div>"
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
    parts = [f"<h3>{_scenario_label(baseline.name, 0)} (baseline)</h3>", _description(baseline)]
    for i, o in enumerate(options, start=1):
        items = "".join(f"<li>{esc(s)}</li>" for s in described.get(o.name, []))
        parts.append(
            f"<h3>{_scenario_label(o.name, i)}</h3>{_description(o)}"
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
        f'<th scope="col">{_scenario_label(o.name, i)}<br><span class="mark">change</span></th>'
        for i, o in enumerate(options, start=1)
    )
    body = []
    for _, r in table.iterrows():
        sg = " ‡" if r["origin"] in groups.safeguards else ""
        cells = "".join(
            f"<td>{esc(fmt.change(r[f'{o.name}|change|median'], 'workers'))}"
            f"{_ci(r[f'{o.name}|change|p5'], r[f'{o.name}|change|p95'], 'workers')}</td>"
            for o in options
        )
        body.append(
            f'<tr><td class="text">{esc(groups.name(r["origin"]))} ({esc(r["origin"])}){sg}</td>'
            f'<td class="text">{esc(groups.name(r["destination"]))} ({esc(r["destination"])})</td>'
            f"<td>{esc(fmt.value(r['baseline|level|median'], 'workers'))}"
            f"{_ci(r['baseline|level|p5'], r['baseline|level|p95'], 'workers', signed=False)}"
            f"</td>{cells}</tr>"
        )
    return (
        '<div class="table-wrap"><table id="corridor-table">'
        f"<caption>Workers moving origin → destination in {year} (doctors + nurses, "
        "workers/year): baseline level and each option's paired change, median with 90% "
        "interval</caption>"
        '<thead><tr><th scope="col" class="text">Origin</th>'
        '<th scope="col" class="text">Destination</th>'
        f'<th scope="col">{_scenario_label(baseline.name, 0)}<br><span class="mark">workers</span>'
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
                f'<th scope="col">{_scenario_label(run.name, i)}<br>'
                f'<span class="mark">{first}</span></th>'
            )
        head.append(
            f'<th scope="col">{_scenario_label(run.name, i)}<br>'
            f'<span class="mark">{year}</span></th>'
        )
        if i:
            head.append(
                f'<th scope="col">{_scenario_label(run.name, i)}<br>'
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
        f'{_scenario_label(baseline.name, 0)}<br><span class="mark">total</span></th>'
    ]
    for i, o in enumerate(options, start=1):
        head.append(
            f'<th scope="col">{_scenario_label(o.name, i)}<br>'
            '<span class="mark">total</span></th>'
            f'<th scope="col">{_scenario_label(o.name, i)}<br>'
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


def _calibration(scenario: dict) -> str:
    status = scenario.get("calibration")
    if isinstance(status, dict):
        status = status.get("status") or status.get("file") or status.get("name")
    if status:
        return str(status)
    return "not calibrated"


def _methods_html(
    baseline: Run,
    options: Sequence[Run],
    groups: CountryGroups,
    year: int,
    odd_link: str | None,
    notes: Sequence[str],
) -> str:
    runs = [baseline, *options]
    commit = baseline.manifest.get("git_commit")
    rows = []
    for i, run in enumerate(runs):
        m, s = run.manifest, run.scenario
        timings = m.get("timings") or {}
        total = timings.get("total_s")
        status = {True: "reused", False: "run now", None: "—"}[run.reused]
        rows.append(
            f'<tr><td class="text">{_scenario_label(run.name, i)}</td>'
            f"<td>{esc(m.get('seed', s.get('seed', '—')))}</td>"
            f"<td>{esc(len(run.replicates))}</td>"
            f"<td>{esc(fmt.number((s.get('scale') or {}).get('workers_per_agent'), 0))}</td>"
            f'<td class="text">{esc(m.get("engine", s.get("engine", "—")))}</td>'
            f'<td class="text">{esc(_calibration(s))}</td>'
            f'<td class="text"><code>{esc(str(m.get("scenario_hash", ""))[:12])}</code></td>'
            f'<td class="text">{esc(status)}'
            f"{'' if total is None else esc(f' ({float(total):.1f} s)')}</td></tr>"
        )
    time = baseline.scenario.get("time") or {}
    start = time.get("start_year", min(baseline.years) + 1)
    versions = sorted({str(r.manifest.get("package_version", "unknown")) for r in runs})
    odd = (
        f'<a href="{esc(odd_link)}">ODD.md</a> (copied next to this page)'
        if odd_link
        else "<code>docs/ODD.md</code> in the hrhsim source"
    )
    sg_names = ", ".join(groups.name(c) for c in groups.safeguards) or "none"
    dest_names = ", ".join(groups.name(c) for c in groups.destinations) or "none"
    calibrated = all(_calibration(r.scenario) == "not calibrated" for r in runs)
    caution = (
        ""
        if not calibrated
        else "<p><strong>Not calibrated.</strong> The behavioural parameters are assumptions and "
        "values from the literature (sources in the scenario reference); they have not been "
        "fitted to observed migration data. Read the results as the direction and relative "
        "size of effects, not as forecasts.</p>"
    )
    few = (
        ""
        if len(baseline.replicates) >= FEW_REPLICATES
        else f"<p>With {len(baseline.replicates)} replicates the 90% interval is a rough guide "
        "(close to the range of the replicates); use more replicates (<code>--replicates"
        "</code>) for decisions.</p>"
    )
    note_html = "".join(f"<li>{esc(n)}</li>" for n in notes)
    return (
        f"<p>Model: hrhsim {esc(', '.join(versions))}"
        f"{'' if not commit else f' (git commit <code>{esc(str(commit)[:12])}</code>)'}. "
        f"Model description (ODD protocol): {odd}.</p>"
        '<div class="table-wrap"><table id="methods-table"><thead><tr>'
        '<th scope="col" class="text">Scenario</th><th scope="col">Seed</th>'
        '<th scope="col">Replicates</th><th scope="col">Workers per agent</th>'
        '<th scope="col" class="text">Engine</th><th scope="col" class="text">Calibration</th>'
        '<th scope="col" class="text">Scenario hash</th><th scope="col" class="text">Run</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        f"{caution}"
        f"<p>Simulated years {esc(start)}–{year}; the horizon is {year}. Every number is a "
        "summary across replicates: the median and the 90% interval (5th–95th percentile, linear "
        "interpolation). Changes are paired: replicate r of an option minus replicate r of the "
        "baseline; with equal seeds, replicate r of every scenario uses the same spawned seed, so "
        "the difference shows the effect of the option rather than chance.</p>"
        f"{few}"
        "<p>Safeguards-list countries in this world (WHO health workforce support and safeguards "
        f"list 2023): {esc(sg_names)}. Destinations (<code>workforce.destinations</code> of the "
        f"baseline): {esc(dest_names)}. Every scenario is measured on these same groups. Density "
        "in the safeguards-list countries is population-weighted (their health workers per "
        "10,000 of their population); the destination vacancy rate is weighted by funded posts; "
        "the foreign-trained share by workforce. Emigration counts every international departure "
        "from those countries in the year. Money is in international dollars at purchasing-power "
        "parity (int$ PPP).</p>"
        + (f'<div class="note"><strong>Notes</strong><ul>{note_html}</ul></div>' if notes else "")
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
            _methods_html(baseline, options, groups, year, odd_link, notes),
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
