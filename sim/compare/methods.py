"""The briefing's closing sections: methods and assumptions in plain words, the runs behind
it, and the tables and figures as files.
"""

from __future__ import annotations

from sim.compare import fmt, reading
from sim.compare.context import Context
from sim.compare.layout import esc, simple_table, td, th

THRESHOLD_44_5 = (
    "44.5 doctors, nurses and midwives per 10,000 population is the SDG index threshold of the "
    "WHO Global Strategy on Human Resources for Health: Workforce 2030 (2016): the density "
    "associated with 80% coverage of a set of essential health services. “Population below 44.5” "
    "counts the people living in countries whose density is under it (the model counts doctors "
    "and nurses, midwives included)."
)
DENSITY = (
    "Density counts the trained doctors and nurses present in a country per 10,000 people, "
    "employed or not: where posts are fewer than workers, part of it is unemployed (in "
    "low-income countries a large part in the baseline; the model's rates are in "
    "docs/validation.md §2, and no published figure checks them), so a gain in density is not "
    "the same gain in services."
)
POSTS = (
    "Posts are funded positions: the jobs a health system can pay for (its demand), which grow "
    "with health spending (and, where every trained worker had a job, keep for a while the "
    "growth the workforce showed in 2008-2020). They are not need (the 44.5 threshold): a "
    "country can need far more "
    "health workers than it has posts. A vacancy is a funded post without a worker; a trained "
    "worker without a post is unemployed, which pushes emigration and, when it lasts, makes "
    "fewer students start training."
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
    spin_up = (ctx.baseline.scenario.get("time") or {}).get("spin_up_from")
    spun = f"{spin_up}–{start - 1}" if spin_up is not None and int(spin_up) < start - 1 else spin_up
    spin_up_text = (
        " The initial state is the model's own: the run starts from the data at the beginning of "
        f"{spin_up} and simulates {spun} with no policy of any option in force "
        "(the spin-up), as the calibration's runs did; those years are not reported."
        if spin_up is not None and int(spin_up) < start
        else ""
    )
    note_html = "".join(f"<li>{esc(n)}</li>" for n in ctx.notes)
    return (
        "<h3>Assumptions in plain words</h3>"
        f"<p><strong>Simulated years.</strong> The results start at the beginning of {start} "
        f"(the initial state, labelled “start”) and simulates {start}–{ctx.year}; a value "
        f"“in {ctx.year}” is at the end of {ctx.year}, flows are totals over the year."
        f"{esc(spin_up_text)}</p>"
        f"<p><strong>Density.</strong> {esc(DENSITY)}</p>"
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
        f"<p><strong>Calibration.</strong> {esc(ev.calibration.text())}"
        + (
            f" What was fitted to what: {esc(ev.calibration.lineage)}."
            if ev.calibration.lineage
            else ""
        )
        + "</p>"
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
