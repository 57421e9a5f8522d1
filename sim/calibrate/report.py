"""The calibration's products: `fitted.yaml`, the fit table (`report.csv`) and `report.html`.

The report is one self-contained page (figures inlined as PNG, no network): what was fitted, to
what, how well; every target with its value, source and confidence, the model's median and 90%
interval before calibration (the scenario's own values), at the fit and over the posterior, the
ratio to the published figure and whether it is within tolerance (±25%, and a factor of 2),
grouped, with fitted and held-out targets apart; the posteriors against the priors; the
convergence of the method; what could not be fitted and why. User-provided text is escaped.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibrate.explored import reach_section, reach_summary
from sim.calibrate.figures import convergence_figure, parameter_figure, ratio_figure, validated
from sim.calibrate.methods import MIN_VALIDATION_RUNS
from sim.calibrate.targets import COMPARED, GROUPS
from sim.calibrate.text import COMPARED_LABELS, esc, figure_of, num
from sim.outputs.results import write_csv

__all__ = ["fit_table", "write_fit_summary", "write_fitted", "write_report"]

TOLERANCE = 0.25
"""Relative tolerance of the fit table (the issue's ±25%)."""


# --------------------------------------------------------------------------------------------------
# the fit table


def _within(t: dict, median: float | None, tol: float) -> bool | None:
    """Whether a simulated median meets the published figure within a relative tolerance.

    A bound (">X", "<X") is met when the median is not beyond it by more than `tol`; a range when
    the median lies in it, widened by `tol` of its ends.
    """
    if median is None or t["value"] is None or not math.isfinite(median):
        return None
    v = t["value"]
    if t.get("bound") == "lower":
        return median >= v * (1 - tol) if v > 0 else median >= v
    if t.get("bound") == "upper":
        return median <= v * (1 + tol) if v > 0 else median <= v
    if t.get("low") is not None and t.get("high") is not None:
        lo, hi = t["low"], t["high"]
        return lo - tol * abs(lo) <= median <= hi + tol * abs(hi)
    if v == 0:
        return abs(median) <= tol
    return abs(median / v - 1) <= tol


def _factor2(t: dict, median: float | None) -> bool | None:
    if median is None or t["value"] is None or not math.isfinite(median):
        return None
    v = t["value"]
    if t.get("bound") == "lower":
        return median >= v / 2
    if t.get("bound") == "upper":
        return median <= 2 * v
    if v == 0 or median / v <= 0:
        return False
    return 0.5 <= median / v <= 2.0


def fit_table(state: dict) -> pd.DataFrame:
    """One row per target: published figure, model before/at the fit/posterior, tolerance."""
    checks = (state.get("checks") or {}).get("targets", {})
    explored = (state.get("explored") or {}).get("targets", {})
    rows = []
    for t in state["targets"]:
        c = checks.get(t["id"], {})
        row = {
            "group": GROUPS.get(t["group"], t["group"]) if t["status"] in COMPARED else "",
            "id": t["id"],
            "status": {
                "fit": "fitted",
                "holdout": "held out",
                "check": "checked after",
                "input": "used as input",
                "none": "no model counterpart",
                "unreachable": "not reachable",
                "unfittable": "not fittable",
            }[t["status"]],
            "quantity": t["quantity"],
            "geography": t["geography"],
            "year": t["year"],
            "value": t["value"],
            "bound": t["bound"] or "",
            "low": t.get("low"),
            "high": t.get("high"),
            "approximate": t["approximate"],
            "unit": t["unit"],
            "source": t["source"],
            "url": t["url"],
            "confidence": t["confidence"],
            "model_output": t["output"] or "",
            "obs_sd": t["obs_sd"],
            "scale": t["scale"],
        }
        for kind in ("default", "fitted", "posterior"):
            s = c.get(kind) or {}
            for stat in ("median", "p05", "p95"):
                row[f"{kind}_{stat}"] = s.get(stat)
        med = row["fitted_median"]
        row["ratio"] = med / t["value"] if med is not None and t["value"] not in (None, 0) else None
        row["within_25pct"] = _within(t, med, TOLERANCE)
        row["within_factor_2"] = _factor2(t, med)
        row["default_within_25pct"] = _within(t, row["default_median"], TOLERANCE)
        row["default_within_factor_2"] = _factor2(t, row["default_median"])
        e = explored.get(t["id"]) or {}
        row["explored_min"] = e.get("min")
        row["explored_max"] = e.get("max")
        row["explored_min_implausibility"] = e.get("min_implausibility")
        row["reachable"] = e.get("reachable")
        row["reason"] = t["reason"] if t["status"] != "fit" else ""
        row["note"] = " ".join(x for x in (t.get("shifted", ""), t.get("note", "")) if x)
        rows.append(row)
    return pd.DataFrame(rows)


def spread(values: np.ndarray) -> dict | None:
    """The median, 5th and 95th percentiles and count of a target's finite values across
    replicates (the fit table's `{kind}_median`, `_p05`, `_p95`); None where there is none."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return None
    return {
        "median": float(np.median(v)),
        "p05": float(np.percentile(v, 5)),
        "p95": float(np.percentile(v, 95)),
        "n": len(v),
    }


def fit_counts(table: pd.DataFrame, status: str, prefix: str = "") -> dict[str, int]:
    """How many targets of a status are within ±25% and a factor 2 (of those with a value)."""
    sub = table[table["status"] == status]
    have = sub[f"{prefix}within_25pct"].notna()
    return {
        "n": int(have.sum()),
        "within_25pct": int((sub[f"{prefix}within_25pct"] == True).sum()),  # noqa: E712
        "within_factor_2": int((sub[f"{prefix}within_factor_2"] == True).sum()),  # noqa: E712
    }


# --------------------------------------------------------------------------------------------------
# fitted.yaml


def write_fitted(out: Path, state: dict) -> Path:
    """`fitted.yaml`: the fitted parameters in scenario-file form, with a header saying what,
    to what, how well, the command and the date; it points to the posterior sample."""
    import yaml

    from sim.outputs.results import atomic_write

    post = state["posterior"]
    table = fit_table(state)
    fit, held = fit_counts(table, "fitted"), fit_counts(table, "held out")
    before = fit_counts(table, "fitted", "default_")
    spec = state["spec"]
    n_params = len(state["prior"])
    active = post["active"]
    inert = n_params - len(active)
    lines = [
        f"# Fitted behavioural parameters of hrhsim: calibration '{spec['name']}'.",
        "#",
        f"# What: {len(active)} of the {n_params} uncertain parameters of the registry"
        + (f" ({inert} inert in the Morris screening keep their defaults)." if inert else "."),
        f"# To what: {fit['n']} published figures of {Path(spec['targets']).name} (mapping "
        f"{Path(spec['mapping']).name}); {held['n']} more held out, reported only.",
        f"# How well (median of {state['checks']['replicates']} replicates at these values): "
        f"{fit['within_25pct']} of {fit['n']} fitted figures within +-25%, "
        f"{fit['within_factor_2']} within a factor of 2 (before: {before['within_25pct']} and "
        f"{before['within_factor_2']}); held out: {held['within_25pct']} of {held['n']} within "
        "+-25%.",
        "# Method: Morris screening, history matching with Gaussian-process emulators "
        f"({state.get('waves_done', 0)} waves), importance-sampled posterior (effective sample "
        f"size {post['ess']:.0f}); these values are its central draw. Report: report.html.",
        f"# Command: {state.get('command') or 'hrhsim calibrate ' + spec['path']}",
        f"# Date: {state.get('finished', '')[:10]} (hrhsim {state.get('package_version')}, "
        f"git {str(state.get('git_commit'))[:12]})",
        "# Posterior sample: posterior.csv (parameter uncertainty: a scenario that extends this "
        "file and sets `uncertainty: {kind: parameters}` draws one row per replicate).",
    ]
    nested: dict = {}
    for name in active:
        value = post["fitted"][name]
        node = nested
        parts = name.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value if isinstance(value, int) else float(f"{value:.6g}")
    nested["uncertainty"] = {"sample": "posterior.csv"}
    body = yaml.safe_dump(nested, sort_keys=False, default_flow_style=False)
    text = "\n".join(lines) + "\n" + body
    path = out / "fitted.yaml"
    atomic_write(path, text)
    return path


def write_fit_summary(out: Path, state: dict) -> Path:
    """`fit.json` beside the posterior sample: what runs using the fit record in their manifest
    (`calibration`), and what the briefing says about the calibration."""
    from sim.outputs.results import write_json

    table = fit_table(state)
    fit, held = fit_counts(table, "fitted"), fit_counts(table, "held out")
    checked = fit_counts(table, "checked after")
    spec = state["spec"]
    when = state.get("finished", "")[:10]
    summary = {
        "status": f"fitted by hrhsim calibrate ('{spec['name']}', {when})",
        "within_25pct": fit["within_25pct"],
        "targets": fit["n"],
        "within_factor_2": fit["within_factor_2"],
        "held_out": held["n"],
        "held_out_within_25pct": held["within_25pct"],
        "checks": checked["n"],
        "checks_within_25pct": checked["within_25pct"],
        "summary": (
            f"{len(state['posterior']['active'])} behavioural parameters fitted to {fit['n']} "
            f"published figures; {held['within_25pct']} of {held['n']} held-out figures within "
            "±25%"
        ),
        "report": "report.html",
        "parameters": state["posterior"]["active"],
        "git_commit": state.get("git_commit"),
    }
    path = out / "fit.json"
    write_json(path, summary)
    return path


# --------------------------------------------------------------------------------------------------
# the page

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color:#1b1b1b; max-width:1180px; margin:0 auto; padding:24px 28px; line-height:1.45; }
h1 { font-size:1.6rem; margin:0 0 .3rem; }
h2 { font-size:1.2rem; border-bottom:2px solid #0072B2; padding-bottom:3px; margin-top:2.2rem; }
h3 { font-size:1.02rem; margin:1.3rem 0 .4rem; }
.meta { color:#5b5b5b; font-size:.85rem; }
table { border-collapse:collapse; width:100%; font-size:.8rem; margin:.5rem 0 1rem;
        font-variant-numeric:tabular-nums; }
th, td { border-bottom:1px solid #d4d4d4; padding:3px 6px; text-align:right; vertical-align:top; }
th { background:#f1f1f1; }
td.text, th.text { text-align:left; overflow-wrap:anywhere; }
td.text { max-width:30em; }
td:first-child { white-space:nowrap; overflow-wrap:normal; }
.wrap { overflow-x:auto; }
td.ok { background:#d9ebf7; } td.bad { background:#fbe2cc; }
.ci { display:block; color:#5b5b5b; font-size:.85em; white-space:nowrap; }
figure { margin:1rem 0; } figure img { max-width:100%; }
figcaption { font-size:.85rem; color:#5b5b5b; }
.note { background:#fff8e1; border:1px solid #f0d890; padding:.5rem .8rem; font-size:.9rem; }
code { background:#f3f3f3; padding:0 .2em; }
@media print { body { max-width:none; padding:0; font-size:9pt; } }
"""


def model_cell(row: pd.Series, kind: str) -> str:
    """The `kind` column's median with its 90% interval (5th-95th percentiles), or "–"."""
    med = row[f"{kind}_median"]
    if med is None or pd.isna(med):
        return "<td>–</td>"
    ci = f"<span class=ci>{num(row[f'{kind}_p05'])} – {num(row[f'{kind}_p95'])}</span>"
    return f"<td>{num(med)}{ci}</td>"


def _flag(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "<td>–</td>"
    return "<td class=ok>yes</td>" if value else "<td class=bad>no</td>"


def target_cells(r: pd.Series) -> str:
    """A fit-table row's first cells: id; the figure with unit, year, place, model output and
    note; the published figure; its source (linked where a web address) and confidence."""
    src = (
        f"<a href='{esc(r['url'])}'>{esc(r['source'])}</a>"
        if str(r["url"]).startswith("http")
        else esc(r["source"])
    )
    note = f"<span class=ci>{esc(r['note'])}</span>" if r["note"] else ""
    out = f"<span class=ci>model: {esc(r['model_output'])}</span>"
    return (
        f"<tr><td class=text>{esc(r['id'])}</td>"
        f"<td class=text>{esc(r['quantity'])} ({esc(r['unit'])}, {esc(r['year'])}, "
        f"{esc(r['geography'])}){out}{note}</td>"
        f"<td>{figure_of(r)}</td><td class=text>{src}, {esc(r['confidence'])}</td>"
    )


def verdict_cells(r: pd.Series) -> str:
    """A fit-table row's last cells: the ratio and the ±25% and factor-of-2 flags."""
    return f"<td>{num(r['ratio'])}</td>{_flag(r['within_25pct'])}{_flag(r['within_factor_2'])}</tr>"


def _target_table(sub: pd.DataFrame) -> str:
    head = (
        "<tr><th class=text>target</th><th class=text>figure (unit, year, place)</th>"
        "<th>published</th><th class=text>source, confidence</th>"
        "<th>before<br>median, 90%</th><th>fitted<br>median, 90%</th>"
        "<th>posterior<br>median, 90%</th><th>ratio</th><th>±25%</th><th>×2</th></tr>"
    )
    kinds = ("default", "fitted", "posterior")
    body = [
        target_cells(r) + "".join(model_cell(r, k) for k in kinds) + verdict_cells(r)
        for _, r in sub.iterrows()
    ]
    return f"<div class=wrap><table>{head}{''.join(body)}</table></div>"


SECTIONS = (
    ("Fitted targets", "fitted"),
    ("Held-out targets", "held out"),
    ("Checks added after the calibration (never fitted; not blind)", "checked after"),
)
"""The pages' sections of compared targets: heading and the fit table's status."""


def target_sections(table: pd.DataFrame, render, keep_empty: tuple[str, ...] = ()) -> list[str]:
    """One section per compared status (`SECTIONS`), a table per group of targets in it, drawn by
    `render(rows) -> html`; a status without targets is left out unless in `keep_empty`."""
    parts = []
    for title, status in SECTIONS:
        sub = table[table["status"] == status]
        if sub.empty and status not in keep_empty:
            continue
        parts.append(f"<h2>{title}</h2>")
        for label in GROUPS.values():
            g = sub[sub["group"] == label]
            if len(g):
                parts.append(f"<h3>{esc(label)}</h3>{render(g)}")
    return parts


def not_compared_table(rest: pd.DataFrame) -> str:
    """The fit table's rows that are not compared (input, unfittable, unreachable...), with why."""
    return (
        "<table><tr><th class=text>target</th><th class=text>figure</th><th>published</th>"
        "<th class=text>status</th><th class=text>why</th></tr>"
        + "".join(
            f"<tr><td class=text>{esc(r['id'])}</td><td class=text>{esc(r['quantity'])} "
            f"({esc(r['year'])}, {esc(r['geography'])})</td><td>{figure_of(r)}</td>"
            f"<td class=text>{esc(r['status'])}</td><td class=text>{esc(r['reason'])}</td></tr>"
            for _, r in rest.iterrows()
        )
        + "</table>"
    )


def write_report(out: Path, state: dict) -> tuple[Path, Path]:
    """Write `report.csv` and the self-contained `report.html`; return their paths."""
    from sim.outputs.results import atomic_write

    table = fit_table(state)
    csv_path = out / "report.csv"
    write_csv(csv_path, table)
    spec = state["spec"]
    post = state.get("posterior") or {}
    fit, held = fit_counts(table, "fitted"), fit_counts(table, "held out")
    checked = fit_counts(table, "checked after")
    before = fit_counts(table, "fitted", "default_")
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">",
        f"<title>Calibration report: {esc(spec['name'])}</title><style>{CSS}</style></head><body>",
        f"<h1>Calibration report: {esc(spec['name'])}</h1>",
        f"<p class=meta>{esc(spec.get('description', ''))}<br>Scenario {esc(spec['scenario'])};"
        f" targets {esc(spec['targets'])}; mapping {esc(spec['mapping'])}; "
        f"finished {esc(state.get('finished', 'not yet'))}; hrhsim "
        f"{esc(state.get('package_version'))}, git {esc(str(state.get('git_commit'))[:12])}.</p>",
        "<h2>Summary</h2><ul>",
        f"<li><b>Fitted</b>: {fit['within_25pct']} of {fit['n']} fitted figures within ±25% "
        f"and {fit['within_factor_2']} within a factor of 2 at the fitted parameters "
        f"(before calibration: {before['within_25pct']} and {before['within_factor_2']}).</li>",
        *(
            [f"<li><b>Reachable</b>: {esc(reach_summary(state, table))}</li>"]
            if state.get("explored")
            else []
        ),
        f"<li><b>Held out</b> (never fitted): {held['within_25pct']} of {held['n']} within ±25%, "
        f"{held['within_factor_2']} within a factor of 2.</li>",
        f"<li><b>Checks</b> added after the model's values had been seen (never fitted, not "
        f"blind): {checked['within_25pct']} of {checked['n']} within ±25%, "
        f"{checked['within_factor_2']} within a factor of 2.</li>" * bool(checked["n"]),
        f"<li><b>Parameters</b>: {len(post.get('active', []))} of {len(state['prior'])} "
        "calibrated (the others inert in the screening keep their defaults).</li>",
        f"<li><b>Runs</b>: {state.get('runs_done', 0)} evaluations of "
        f"{state['plan']['runs_per_evaluation']} model run(s) each (baseline and paired policy "
        f"runs); budget {state['plan']['budget_runs']} runs.</li>",
        f"<li><b>Command</b>: <code>{esc(state.get('command', ''))}</code></li></ul>",
        _method_note(state),
    ]
    img = ratio_figure(table)
    if img:
        parts.append(
            f"<figure><img alt='fit before and after' src='data:image/png;base64,{img}'>"
            "<figcaption>Model over published figure, before calibration (grey, the "
            "scenario's own values) and at the fit (blue): median and 90% interval over "
            "replicates; circles fitted, diamonds held out, squares checks added after the "
            "calibration.</figcaption></figure>"
        )
    parts.extend(target_sections(table, _target_table, keep_empty=("fitted", "held out")))
    parts.append(reach_section(state, table))
    parts.append("<h2>Not fitted</h2>")
    rest = table[~table["status"].isin(COMPARED_LABELS)]
    if rest.empty:
        parts.append("<p>Every target was fitted, held out or checked.</p>")
    else:
        parts.append(not_compared_table(rest))
    parts.append(_parameters_section(state, out))
    parts.append(_convergence_section(state))
    parts.append(
        "<p class=meta>Fit table as CSV: report.csv. Fitted parameters: fitted.yaml; posterior "
        "sample: posterior.csv.</p></body></html>"
    )
    html_path = out / "report.html"
    text = "\n".join(parts)
    atomic_write(html_path, text)
    return html_path, csv_path


def _method_note(state: dict) -> str:
    w = state["spec"]["waves"]
    post = state.get("posterior") or {}
    err = "observation error from each figure's confidence, model discrepancy"
    return (
        "<div class=note><b>Method.</b> Priors: uniform on each parameter's plausible range "
        "(sim/declarations). Morris screening (SALib) keeps the parameters that move some fitted "
        "target by a tenth of its error or more. History matching in waves: Gaussian-process "
        "emulators (scikit-learn) of every fitted target on the log scale (linear for policy "
        "responses) rule out points whose "
        f"{'second-' if w['rank'] == 2 else ''}largest implausibility exceeds {w['cutoff']:g} "
        f"({err}, emulator variance and the model's stochastic variance). The posterior is the "
        "last wave's Gaussian likelihood under the priors, by importance sampling (effective "
        f"sample size {post.get('ess', float('nan')):.0f} of {post.get('proposals', 0)} "
        "proposals); the fit is its central draw (nearest the componentwise median). Policy "
        "responses are differences between paired runs with the same seeds. 'Before' is the "
        "calibration scenario's own values (the registry defaults until a fit is installed); "
        "'fitted' and 'before' use the same seeds; 'posterior' runs one replicate per posterior "
        "draw (parameter and stochastic uncertainty).</div>"
    )


def _parameters_section(state: dict, out: Path) -> str:
    post = state.get("posterior") or {}
    screen = state.get("screening") or {}
    rows = []
    strength = {p["name"]: p for p in screen.get("parameters", [])}
    for p in state["prior"]:
        s = (post.get("summary") or {}).get(p["name"])
        fitted = (post.get("fitted") or {}).get(p["name"])
        scr = strength.get(p["name"])
        rows.append(
            f"<tr><td class=text>{esc(p['name'])}</td><td>{num(p['low'])} – {num(p['high'])}"
            f"</td><td>{num(p['default'])}</td>"
            f"<td>{num(fitted) if s else 'inert'}</td>"
            f"<td>{num(s['p05']) + ' – ' + num(s['p95']) if s else '–'}</td>"
            f"<td>{num(scr['strength']) if scr else '–'}</td>"
            f"<td class=text>{esc(scr['target']) if scr else ''}</td></tr>"
        )
    img = parameter_figure(state, out)
    fig = (
        f"<figure><img alt='posteriors' src='data:image/png;base64,{img}'><figcaption>Posterior "
        "draws (histogram) against the uniform prior (grey line); dashed: registry default; "
        "black: fit.</figcaption></figure>"
        if img
        else ""
    )
    return (
        "<h2>Parameters: posteriors against priors</h2><table><tr><th class=text>parameter</th>"
        "<th>prior (plausible range)</th><th>default</th><th>fitted</th><th>posterior 90%</th>"
        "<th>screening strength</th><th class=text>most sensitive target</th></tr>"
        + "".join(rows)
        + "</table>"
        + fig
    )


NOT_VALIDATED = f"not computed (under {MIN_VALIDATION_RUNS} runs)"
"""A wave's emulator validation that was not computed (too few runs to leave some out)."""


def _convergence_section(state: dict) -> str:
    waves = state.get("waves") or []
    post = state.get("posterior") or {}
    rows = []
    for w in waves:
        r2 = validated(w, "r2")
        cov = validated(w, "within_3sd")
        rows.append(
            f"<tr><td>{w['wave']}</td><td>{w['evaluations']}</td><td>{w['share_before']:.3g}</td>"
            f"<td>{w['share_after']:.3g}{' (empty)' if w['empty'] else ''}</td>"
            f"<td>{f'{np.median(r2):.2f} (min {min(r2):.2f})' if r2 else NOT_VALIDATED}</td>"
            f"<td>{f'{np.mean(cov):.2f}' if cov else NOT_VALIDATED}</td>"
            f"<td>{w['runs_seconds']:.0f} / {w['fit_seconds']:.0f}</td></tr>"
        )
    img = convergence_figure(state)
    stopped = state.get("waves_stopped")
    return (
        "<h2>Convergence</h2><table><tr><th>wave</th><th>evaluations</th>"
        "<th>share not ruled out before</th><th>after</th><th>emulator Q² median</th>"
        "<th>left-out runs within 3 sd</th><th>seconds (runs / fit)</th></tr>"
        + "".join(rows)
        + "</table>"
        + (f"<p>Waves stopped {esc(stopped)}.</p>" if stopped else "")
        + f"<p>Posterior: effective sample size {post.get('ess', float('nan')):.0f} of "
        f"{post.get('proposals', 0)} proposals ({post.get('in_support', 0)} inside the region "
        "left by the earlier waves)."
        + (
            " The last region was empty: the fit is the least implausible point."
            if post.get("region_empty")
            else ""
        )
        + "</p>"
        + (
            f"<figure><img alt='convergence' src='data:image/png;base64,{img}'></figure>"
            if img
            else ""
        )
    )


def report_date() -> str:
    return dt.date.today().isoformat()
