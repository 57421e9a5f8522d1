"""The fit re-measured on the current model (`scripts/fit_check.py`): a table and a page.

A calibration's own report (`report.html`) shows the fit on the model and targets of the day it
ran. The model changes after it; `scripts/fit_check.py` evaluates every compared target of the
spec again at the shipped parameters, over many replicates, and this module turns those values
into the same fit table (`sim.calibrate.report.fit_table`, the re-measured figures in its
`fitted_*` columns) and into one self-contained page, which the briefing links as the fit behind
its runs. User-provided text (targets, sources) is escaped.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.calibrate.figures import ratio_figure
from sim.calibrate.plan import target_row
from sim.calibrate.report import (
    CSS,
    fit_counts,
    fit_table,
    model_cell,
    not_compared_table,
    spread,
    target_cells,
    target_sections,
    verdict_cells,
)
from sim.calibrate.text import COMPARED_LABELS, esc

__all__ = ["remeasured_counts", "remeasured_table", "write_remeasured_report"]

SERIES = (("fitted", "#0072B2", "the shipped parameters, re-measured"),)
"""The page's one series: the re-measured medians and 90% intervals."""


def remeasured_table(targets, values: pd.DataFrame) -> pd.DataFrame:
    """The fit table with each compared target's re-measured median and 90% interval.

    Args:
        targets: the spec's resolved targets (`TargetSet.targets`), every status.
        values: one row per replicate, a `target:ID` column per compared target (the model's
            value on the target's unit; NaN where a replicate has none).

    Returns:
        `fit_table`'s frame, one row per target; `fitted_median`, `fitted_p05` and
        `fitted_p95` are the median, 5th and 95th percentiles across replicates, `fitted_n`
        the replicates with a value.
    """
    checks = {
        t.id: {"fitted": spread(values[f"target:{t.id}"])}
        for t in targets
        if f"target:{t.id}" in values
    }
    table = fit_table({"targets": [target_row(t) for t in targets], "checks": {"targets": checks}})
    table["fitted_n"] = [(checks.get(i, {}).get("fitted") or {}).get("n", 0) for i in table["id"]]
    return table


def remeasured_counts(table: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Per compared status (`COMPARED_LABELS`): every target of it (`n`), those within ±25% and
    within a factor of 2, and those no replicate gave a value (`missing`, counted in `n` as not
    met)."""
    out = {}
    for label in COMPARED_LABELS:
        c = fit_counts(table, label)
        n = int((table["status"] == label).sum())
        out[label] = {**c, "n": n, "missing": n - c["n"]}
    return out


def _targets(sub: pd.DataFrame) -> str:
    head = (
        "<tr><th class=text>target</th><th class=text>figure (unit, year, place)</th>"
        "<th>published</th><th class=text>source, confidence</th>"
        "<th>model<br>median, 90%</th><th>ratio</th><th>±25%</th><th>×2</th></tr>"
    )
    rows = "".join(target_cells(r) + model_cell(r, "fitted") + verdict_cells(r)
                   for _, r in sub.iterrows())  # fmt: skip
    return f"<div class=wrap><table>{head}{rows}</table></div>"


def _summary(counts: dict[str, dict[str, int]]) -> str:
    titles = {
        "fitted": "<b>Fitted</b>",
        "held out": "<b>Held out</b> (never fitted)",
        "checked after": "<b>Checks</b> added after the calibration (never fitted, not blind)",
    }
    return "".join(
        f"<li>{titles[label]}: {c['within_25pct']} of {c['n']} within ±25%, "
        f"{c['within_factor_2']} within a factor of 2"
        + (f"; {c['missing']} without a value in any replicate" if c["missing"] else "")
        + ".</li>"
        for label, c in counts.items()
        if c["n"]
    )


def write_remeasured_report(
    out: Path, table: pd.DataFrame, meta: dict, blocks: dict[str, pd.DataFrame] | None = None
) -> tuple[Path, Path]:
    """Write `fit_check.csv` and the self-contained `fit_check.html` into `out`.

    Args:
        out: the folder (the calibration's, beside `fit.json`).
        table: `remeasured_table`'s frame.
        meta: `spec` (the spec's path as shown), `replicates`, `command`, `date`, `git_commit`,
            `parameters` (the shipped parameters' file, as the page names it),
            `fitted_by` (what fitted them first, `fit.json`'s status), `report` (the
            calibration's own report's file name, or None) and `folder` (where both files are,
            as the page names them: "calibration"; optional).
        blocks: the fit tables of adopted block calibrations' own targets, by spec name, shown
            after the global ones with their own counts (the summary's counts are the global
            spec's alone).

    Returns:
        The paths of the page and of the table.
    """
    from sim.outputs.results import atomic_write, write_csv

    csv_path = out / "fit_check.csv"
    write_csv(csv_path, table)
    counts = remeasured_counts(table)
    kept = table[table["fitted_n"] > 0]
    fewest = int(kept["fitted_n"].min()) if len(kept) else 0
    folder = f"{meta['folder']}/" if meta.get("folder") else ""
    own = (
        f" The calibration's own report, <code>{esc(folder + meta['report'])}</code> in the "
        "repository, shows the fit on the model and targets of the day it ran; this page "
        "supersedes its figures."
        if meta.get("report")
        else ""
    )
    summary = _summary(counts)
    fewer = f" (at least {fewest} with a value for each target)" * (fewest < meta["replicates"])
    commit = str(meta.get("git_commit") or "")[:12]
    when = f"{meta['date']}, hrhsim git {commit}" if commit else str(meta["date"])
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">",
        f"<title>The fit, re-measured: {esc(meta['spec'])}</title><style>{CSS}</style></head>"
        "<body>",
        f"<h1>The fit, re-measured on the model of {esc(when)}</h1>",
        f"<p class=meta>Targets of {esc(meta['spec'])} at the shipped parameters, those of "
        f"<code>{esc(meta['parameters'])}</code> ({esc(meta['fitted_by'])}, then the block "
        f"calibrations its header lists); medians of {meta['replicates']} replicates"
        + fewer
        + f"; measured by <code>{esc(meta['command'])}</code>.{own}</p>",
        f"<h2>Summary</h2><ul>{summary}</ul>",
        "<div class=note><b>How to read it.</b> Each figure is compared with the model's median "
        "across replicates; the 90% interval is the spread of the replicates (the model's "
        "chance), not of the parameters. A figure is met within ±25% of its value (a bound by "
        "not being beyond it by more than 25%, a range by lying in it widened by 25% of its "
        "ends). Fitted figures were seen by the calibration; held-out figures were not; checks "
        "were added after the model's values had been seen.</div>",
    ]
    img = ratio_figure(table, SERIES)
    if img:
        parts.append(
            f"<figure><img alt='model over published figure' src='data:image/png;base64,{img}'>"
            "<figcaption>Model over published figure: median and 90% interval over replicates; "
            "circles fitted, diamonds held out, squares checks; shaded: ±25%. A bound or a "
            "range is met as the tables say (within 25% of its edge), which the band does not "
            "show.</figcaption>"
            "</figure>"
        )
    parts.extend(target_sections(table, _targets))
    for name, block in (blocks or {}).items():
        parts.append(
            f"<h2>Targets of a block calibration: {esc(name)}</h2><p>Fitted by this block with "
            "the other parameters held (docs/calibration.md); not in the counts above.</p>"
            f"<ul>{_summary(remeasured_counts(block))}</ul>"
        )
        sections = target_sections(block[block["status"].isin(COMPARED_LABELS)], _targets)
        parts.extend(x.replace("<h2>", "<h3>").replace("</h2>", "</h3>") for x in sections)
    rest = table[~table["status"].isin(COMPARED_LABELS)]
    if len(rest):
        parts.append("<h2>Not compared</h2>" + not_compared_table(rest))
    parts.append(
        f"<p class=meta>The table as CSV: <code>{esc(folder + csv_path.name)}</code>.</p>"
        "</body></html>"
    )
    html_path = out / "fit_check.html"
    atomic_write(html_path, "\n".join(parts))
    return html_path, csv_path
