"""The briefing's methods note: how the numbers were made, with which runs and groups."""

from __future__ import annotations

from collections.abc import Sequence

from sim.compare import fmt
from sim.compare.page import esc, scenario_label
from sim.compare.runs import Run
from sim.inputs.selectors import CountryGroups

FEW_REPLICATES = 20
"""Below this many replicates the note says the 90% interval is a rough guide."""


def _calibration(scenario: dict) -> str:
    status = scenario.get("calibration")
    if isinstance(status, dict):
        status = status.get("status") or status.get("file") or status.get("name")
    if status:
        return str(status)
    return "not calibrated"


def methods_html(
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
            f'<tr><td class="text">{scenario_label(run.name, i)}</td>'
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
