"""The opening sections of the briefing: the headline messages, how sure the results are, the
headline table and what each option changes; the briefing's default title and the warnings
about policy dates outside the simulated years.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from sim.compare import fmt, glance, reading
from sim.compare.chartstyle import colour
from sim.compare.context import Context, change_cells, csv_link, option_head
from sim.compare.focus import Agreement
from sim.compare.layout import Column, esc, split_table, td, th
from sim.compare.runs import Run
from sim.compare.tables import HEADLINE, METRICS, Metric

_UNIT = {
    "density": " per 10,000",
    "workers": " workers a year",
    "share": "",
    "ratio": "",
    "people": " people",
    "money": " a year",
}
"""The unit after a number of each kind in the messages' sentences."""


def _phrase(
    metric: Metric,
    row: pd.Series,
    ev: reading.Evidence,
    *,
    step: float | None = None,
    unit: str | None = None,
) -> str:
    """`rises by 0.60 per 10,000 (90% interval 0.58 to 0.63)` and the like (`step`: one
    simulated worker of a country, as `reading.read_change` takes it; `unit`: the words after
    the number, by default its kind's, `_UNIT`)."""
    lo, med, hi = row["change_p5"], row["change_median"], row["change_p95"]
    if not all(isinstance(v, float | int) and math.isfinite(v) for v in (lo, med, hi)):
        return "is not available"
    unit = _UNIT.get(metric.kind, "") if unit is None else unit
    med_s, lo_t, hi_t = fmt.estimate(med, lo, hi, metric.kind, signed=True)
    med_t = med_s.lstrip("+" + fmt.MINUS)  # the verb says the direction
    if metric.kind == "share":
        med_t = med_t.replace(" pp", " percentage points")
    rd = reading.read_change(lo, med, hi, metric.kind, metric.better, ev, step=step)
    ci = f"90% interval {lo_t} to {hi_t}"
    if lo == hi == 0:
        return "does not change"
    if not rd.relevant:
        return f"hardly changes ({med_s}{unit}; {ci})"
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
    spending = _spending(ctx, run)
    elsewhere = _elsewhere(ctx, run)
    lead = ctx.descriptions.get(run.name) or (ctx.described.get(run.name) or [""])[0]
    text = lead.strip()
    if text and not text.endswith("."):
        text += "."
    if parts:
        text += f" By the end of {ctx.year}, compared with the baseline, " + "; ".join(parts) + "."
    text += _employment(ctx, run)
    if elsewhere:
        text += " " + elsewhere
    if spending:
        text += " " + spending
    sources = []
    for agreement, table, source in ctx.agreements:
        if agreement.scenario != run.name:
            continue
        text += " " + _delivery_sentence(ctx, agreement, table, source)
        if agreement.source not in sources:
            sources.append(agreement.source)
    for code in sources:
        text += _source_effect(ctx, run, code, emigration_said=bool(elsewhere))
    if not ctx.evidence.allows_clear:
        text += (
            " (Intervals cover stochastic noise only, not uncertainty about the model's "
            "parameters: ▲/▼ mark changes beyond that noise, and no change is called clear.)"
        )
    return text.strip()


def _employment(ctx: Context, run: Run) -> str:
    """` Of the N health workers it adds in the safeguards-list countries, about M are in funded
    posts; the others are unemployed (...)`, or, where the workers in funded posts there fall,
    `none is in a new funded post: ...`; '' where the option does not add workers there beyond
    the noise (the interval's low end at or under 0), where all but two simulated workers of
    them have a post, or where the glance table does not know."""
    table = ctx.glance
    if table is None or table.empty:
        return ""
    added, employed = (glance.cell(table, run.name, item) for item in ("workers", "employed"))
    if added is None or employed is None:
        return ""
    w, e = float(added["change_median"]), float(employed["change_median"])
    low = float(added["change_p5"])
    resolved = 2 * float(ctx.evidence.workers_per_agent or 0.0)
    if not all(math.isfinite(v) for v in (w, e, low)) or low <= 0 or w - e < resolved:
        return ""
    head = (
        f" Of the {fmt.quote(w, 'workers')} health workers it adds in the safeguards-list countries"
    )
    why = "posts there follow health budgets, docs/ODD.md §7.2"
    if e <= 0:
        return (
            f"{head}, none is in a new funded post: the workers in funded posts there change by "
            f"{fmt.quote(e, 'workers', 2, signed=True)} ({why})."
        )
    return (
        f"{head}, about {fmt.quote(e, 'workers', 2)} are in funded posts; the others are "
        f"unemployed ({why})."
    )


_ELSEWHERE = Metric("emigration_elsewhere", "emigration", "workers", "workers")


def _elsewhere(ctx: Context, run: Run) -> str:
    """`Off the safeguards list, the largest change in emigration over 2023–2032 that stands out
    of the noise of the countries compared is in India (IND): it rises by 170,000 workers in all
    (...)`, when the change reaches two simulated workers (`tables.emigration_elsewhere` chose
    it, summed over the simulated years; displacement of recruitment is the Code's concern
    too)."""
    row = ctx.elsewhere.get(run.name)
    if row is None or not ctx.groups.safeguards or ctx.evidence.replicates < 2:
        return ""  # one replicate: no interval to exclude zero
    change = pd.Series(
        {"change_median": row["median"], "change_p5": row["p5"], "change_p95": row["p95"]}
    )
    ev = ctx.evidence
    step = ev.workers_per_agent  # a country's change needs two simulated workers, as densities do
    rd = reading.read_change(row["p5"], row["median"], row["p95"], "workers", 0, ev, step=step)
    if not rd.relevant:
        return ""
    code = str(row["country"])
    first, last = ctx.first + 1, ctx.year
    span = f"in {last}" if first >= last else f"over {first}–{last}"
    return (
        f"Off the safeguards list, the largest change in emigration {span} that stands out of "
        f"the noise of the countries compared is in {ctx.groups.name(code)} ({code}): it "
        f"{_phrase(_ELSEWHERE, change, ev, step=step, unit=' workers in all')}."
    )


_SPENT = (
    ("training_investment", "extra training funded"),
    ("incentive_spending", "incentives"),
    ("compensation_paid", "compensation"),
)
"""The parts of an option's public spending (`glance.SPENDING`) as the message names them."""


def _spending(ctx: Context, run: Run) -> str:
    """`Over 2023–2032 it spends int$835 billion more public money than the baseline (90%
    interval ...): extra training funded +int$786 billion, incentives +int$43.5 billion,
    compensation +int$5.33 billion.` The total is the at-a-glance table's (compensation paid,
    incentives and extra training funded, replicate by replicate); each part is the money
    section's paired change, named when it reaches the money threshold for those years. '' when
    the total does not.

    Every part is the option's own doing against the baseline: its training expansion, or the
    countries' training response to the vacancies it changes (the package's int$786 billion of
    destination training went unsaid while only incentives were stated)."""
    total = None if ctx.glance is None else glance.cell(ctx.glance, run.name, "spending")
    if total is None:
        return ""
    med, lo, hi = (float(total[f"change_{q}"]) for q in ("median", "p5", "p95"))
    years = ctx.year - ctx.first
    least = reading.threshold("money") * max(years, 1)
    if not all(math.isfinite(v) for v in (med, lo, hi)) or abs(med) < least:
        return ""
    sign = 1.0 if med > 0 else -1.0  # a saving's interval in the words' direction: less by ...
    ends = sorted((sign * lo, sign * hi))
    med_t, lo_t, hi_t = fmt.estimate(abs(med), *ends, "money", signed=False)
    text = (
        f"Over {ctx.first + 1}–{ctx.year} it spends {med_t} {'more' if med > 0 else 'less'} "
        f"public money than the baseline (90% interval {lo_t} to {hi_t}"
    )
    text += ", though the interval includes zero)" if lo <= 0 <= hi else ")"
    parts = []
    money = ctx.money
    column = f"{run.name}|change|median"
    if money is not None and column in money.columns:
        for item, words in _SPENT:
            value = _change(money, item, column)
            if math.isfinite(value) and abs(value) >= least:
                parts.append(f"{words} {fmt.quote(value, 'money', signed=True)}")
    text += (": " + ", ".join(parts) if parts else "") + "."
    fees = _change(money, "recruitment_fees", column)
    if fees <= -least:
        text += (
            f" Recruitment fees paid by workers fall by {fmt.quote(-fees, 'money')}: where "
            "recruitment is fee-free, employers pay them instead, and they are not in this total."
        )
    return text


def _change(money: pd.DataFrame | None, item: str, column: str) -> float:
    """The money table's `column` for `item`; NaN where there is none."""
    if money is None or column not in money.columns:
        return math.nan
    row = money[money["item"] == item]
    return float(row[column].iloc[0]) if len(row) else math.nan


_SOURCE_DENSITY = Metric("source_density", "density", "density", "per 10,000", better=1)
_SOURCE_EMIGRATION = Metric("source_emigration", "emigration", "workers", "workers/year")


def _source_effect(ctx: Context, run: Run, code: str, *, emigration_said: bool = False) -> str:
    """` Philippines (PHL), where the agreements' workers come from, in 2032: health-worker
    density falls by 2.8 per 10,000 (...); emigration rises by 6,000 workers a year (...).`: what
    the option's agreements do to the country that sends the workers (its whole workforce, every
    corridor), from the country table (`focus.country_changes`); '' where the table lacks the
    country. `emigration_said`: the headline's displacement sentence was given (`_elsewhere`);
    its country's emigration is then not said twice."""
    ch = ctx.focus_changes
    if ch is None or ctx.evidence.replicates < 2:
        return ""
    rows = ch[(ch["country"] == code) & (ch["scenario"] == run.name)].set_index("indicator")
    named = ctx.elsewhere.get(run.name)  # `emigration_said`: `_elsewhere` gave this one's
    repeated = emigration_said and named is not None and str(named["country"]) == code
    said = []
    for indicator, metric, what, steps in (
        ("density", _SOURCE_DENSITY, "health-worker density", "density"),
        ("emigrants", _SOURCE_EMIGRATION, "emigration", None),
    ):
        if indicator not in rows.index or (indicator == "emigrants" and repeated):
            continue
        step = ctx.steps.get(steps, {}).get(code) if steps else ctx.evidence.workers_per_agent
        said.append(f"{what} {_phrase(metric, rows.loc[indicator], ctx.evidence, step=step)}")
    if not said:
        return ""
    return (
        f" {ctx.groups.name(code)} ({code}), where the agreements' workers come from, in "
        f"{ctx.year}: " + "; ".join(said) + "."
    )


def _delivery_sentence(ctx: Context, a: Agreement, table: pd.DataFrame, source: str) -> str:
    live = table[table["quota"] > 0]
    src, dst = ctx.groups.name(a.source), ctx.groups.name(a.destination)
    if live.empty:
        return (
            f"The {src}–{dst} agreement is not in force in any simulated year "
            f"(it starts in {a.start})."
        )
    what = "moved" if source == "agreement" else "moved on the corridor (all recruitment)"
    quota = fmt.quote(live["quota"].max(), "workers")
    span = f"{int(live['year'].min())}–{int(live['year'].max())}"
    text = (
        f"The {src}→{dst} agreement ({a.cadre_label}) {what} {_span(live['median'])} a year "
        f"(median by year, {span}) against a quota of {quota} a year."
    )
    if source == "agreement" and live["corridor"].notna().all() and live["baseline"].notna().all():
        text += (
            f" With every other move on the corridor, it carried {_span(live['corridor'])} a "
            f"year, against {_span(live['baseline'])} in the baseline."
        )
    return text


def _span(values: pd.Series) -> str:
    """`5,000` or `800 to 1,600`: the smallest and largest of `values`, as workers."""
    lo, hi = (fmt.quote(v, "workers") for v in (values.min(), values.max()))
    return lo if lo == hi else f"{lo} to {hi}"


_PATH = (
    ("safeguards_density", "health-worker density in the {n} safeguards-list countries goes"),
    ("population_below_44_5", "the people living in countries below 44.5 per 10,000 go"),
    ("destination_vacancy_rate", "the vacancy rate in destination countries goes"),
)
"""The baseline's own path, said before the options' changes (what their changes are against)."""


def baseline_message(ctx: Context) -> str:
    """`In the baseline, health-worker density ... goes from 15.1 per 10,000 at the beginning of
    2023 to 19.4 at the end of 2032; ...` (medians of the replicates), or '' without a series."""
    series = ctx.baseline_series
    if series is None or series.empty:
        return ""
    parts = []
    n_sg = len(ctx.groups.safeguards)
    for key, words in _PATH:
        if key == "safeguards_density" and not n_sg:
            continue
        rows = series[series["metric"] == key].set_index("year")["median"]
        if ctx.first not in rows.index or ctx.year not in rows.index:
            continue
        start, end = float(rows[ctx.first]), float(rows[ctx.year])
        if not (math.isfinite(start) and math.isfinite(end)):
            continue
        kind = METRICS[key].kind
        unit = _UNIT[kind] if kind == "density" else ""  # a level, not a rate a year
        parts.append(
            f"{words.format(n=n_sg)} from {fmt.quote(start, kind, 3)}{unit} at the "
            f"beginning of {ctx.first + 1} to {fmt.quote(end, kind, 3)} at the end of {ctx.year}"
        )
    if not parts:
        return ""
    return "In the baseline, " + "; ".join(parts) + " (medians of the replicates)."


def summary_html(ctx: Context) -> str:
    """Headline messages: the baseline's path, then one card per option, with timing
    warnings."""
    cards = []
    path = baseline_message(ctx)
    if path:
        cards.append(
            f'<div class="card" style="border-left-color:{colour(0)}">'
            f"<h3>{ctx.label(ctx.baseline.name)}</h3><p>{esc(path)}</p></div>"
        )
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
    link = ctx.tables.get("__fit_report__")
    when = ctx.tables.get("__fit_report_when__")
    if cal.report and link and when:
        report = (
            f' <a href="{esc(link)}">The fit, target by target</a>, re-measured on the model of '
            f"{esc(when)}: each published figure, the model's median and 90% interval across "
            "replicates, and whether it is met."
        )
    elif cal.report and link:
        report = (
            f' <a href="{esc(link)}">The calibration\'s report</a> '
            "shows its fit when it ran, on the model and targets of that day; figures re-measured "
            "on a later model, where the sentence above gives them, supersede it."
        )
    elif cal.report:
        from pathlib import PurePath

        report = f" Fit report: {esc(PurePath(cal.report).name)} (not found next to the runs)."
    kinds = [m.kind for m in HEADLINE]
    granular = ""
    if ev.workers_per_agent:
        granular = (
            f"; nor does a country's density change smaller than {reading.STEPS_RELEVANT} "
            "simulated workers of its population (one is the smallest step of its density in "
            "one replicate, the model's resolution)"
        )
    return (
        '<div class="trust" id="how-sure">'
        f"<p><strong>Calibration.</strong> {esc(cal.text())}{report}</p>"
        + (
            "<details><summary>What was fitted to what</summary>"
            f'<p class="meta">{esc(reading.sentence(cal.lineage))}</p></details>'
            if cal.lineage
            else ""
        )
        + f"<p><strong>Uncertainty.</strong> {esc(ev.covers())} {esc(ev.clear_rule())}</p>"
        + "<p><strong>Relevance.</strong> Changes smaller than "
        f"{esc(reading.relevance_text(kinds, ev.workers_per_agent))} get no ▲/▼ mark"
        f"{granular}.</p>"
        "</div>"
    )


def headline_html(ctx: Context) -> str:
    if ctx.headline.empty:
        return trust_html(ctx) + "<p>No option to compare with the baseline.</p>"
    stub_rows = []
    columns = [Column(option_head(ctx, o.name, "change, 90% interval"), []) for o in ctx.options]
    for m in HEADLINE:
        rows = ctx.headline[ctx.headline["metric"] == m.key]
        if rows.empty:
            continue
        level = rows["baseline_median"].iloc[0]
        unit = "" if m.kind in ("share", "ratio") else fmt.UNITS.get(m.kind, "")
        if m.kind == "money":
            unit = m.unit  # a year's flow, as the row says (int$ PPP/year), not a total
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
        for col, cell in zip(columns, change_cells(ctx, m, per_option), strict=True):
            col.cells.append(cell)
    caption = (
        f"Table 1. Change against the baseline at the end of {ctx.year}: median of the paired "
        "replicate differences, its 90% interval and the interval's width"
    )
    note = (
        "▲ better / ▼ worse: the change is at least the relevance threshold and its 90% interval "
        "excludes zero, in the direction that is better (or worse) for health-worker coverage. "
        "Changes in shares are in percentage points (pp). Money is per year in "
        f"{ctx.year}; totals over the period are in the money section. The population below "
        "44.5 per 10,000 moves by whole countries: a country crossing the line, even by one "
        "simulated worker, moves all its people, so its changes come in steps of millions."
    )
    heads = [
        th("Indicator", cls="text"),
        th(f'{ctx.label(ctx.baseline.name)}<br><span class="meta">level in {ctx.year}</span>'),
    ]
    return trust_html(ctx) + split_table(
        "headline-table", caption, heads, stub_rows, columns, note=note + csv_link(ctx, "headline")
    )


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
