"""What no run of a calibration reaches: the `explored` stage and its section of the report.

Over every run a calibration made, each compared target's range and smallest implausibility
(observation and discrepancy errors only, `methods.reachability`); a target no run meets within
the waves' cut-off is outside what the model produces over the parameters explored, a limit of its
structure, data or mapping that no fit can mend (docs/calibration.md, "The method").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.calibrate import methods
from sim.calibrate.plan import comparison, transformed
from sim.calibrate.text import esc, figure_of, num

if TYPE_CHECKING:
    from sim.calibrate.plan import Plan


def explore(runs: pd.DataFrame, plan: Plan) -> dict:
    """How near the runs of a calibration came to each compared target (fitted, held out, checks).

    For every target: the range of its simulated values over the runs, its smallest
    implausibility (`methods.reachability`: observation and discrepancy errors only) and whether
    that is within the waves' cut-off; and the run that best meets every fitted target some run
    reaches, with the fitted targets still beyond the cut-off there. A target no run reaches is
    outside what the model produces over the parameters explored: no fit can mend it.

    Args:
        runs: rows of evaluations (`sim.calibrate.run`), one per key (duplicates dropped).
        plan: the calibration's plan (its targets and comparison).
    """
    if len(runs):
        runs = runs.drop_duplicates("key").reset_index(drop=True)
    cutoff = plan.spec.waves.cutoff
    compared = list(plan.targets.compared)
    fit_ids = plan.comparison.ids
    y = transformed(runs, compared) if len(runs) else np.zeros((0, len(compared)))
    reach = methods.reachability(y, comparison(compared), cutoff)
    targets = {}
    for i, t in enumerate(compared):
        raw = runs[f"target:{t.id}"].to_numpy(dtype=float) if len(runs) else np.zeros(0)
        raw = raw[np.isfinite(raw)]
        least = reach.min_implausibility[i]
        targets[t.id] = {
            "runs": len(raw),
            "min": float(raw.min()) if len(raw) else None,
            "max": float(raw.max()) if len(raw) else None,
            "min_implausibility": None if np.isnan(least) else float(least),
            "reachable": None if np.isnan(least) else bool(least <= cutoff),
        }
    entry: dict[str, Any] = {"runs": len(runs), "cutoff": cutoff, "targets": targets}
    cols = [i for i, t in enumerate(compared) if t.id in fit_ids]
    best = methods.reachability(y[:, cols], plan.comparison, cutoff)
    if best.best_point >= 0:
        row = runs.iloc[best.best_point]
        imp = dict(zip(fit_ids, best.best_implausibility.tolist(), strict=True))
        reached = [v for k, v in imp.items() if targets[k]["reachable"] and np.isfinite(v)]
        entry["best_run"] = {
            "stage": str(row.get("stage", "")),
            "index": int(row.get("index", -1)),
            "max_implausibility_reachable": float(max(reached, default=0.0)),
            "beyond_cutoff": {k: v for k, v in imp.items() if np.isfinite(v) and v > cutoff},
        }
    return entry


def reach_summary(state: dict, table: pd.DataFrame) -> str | None:
    """One sentence: how many fitted figures some run of the calibration reached (None before
    the `explored` stage)."""
    explored = state.get("explored")
    if not explored:
        return None
    fit = table[(table["status"] == "fitted") & table["reachable"].notna()]
    missed = fit[fit["reachable"] == False]  # noqa: E712
    text = (
        f"{len(fit) - len(missed)} of {len(fit)} fitted figures are met within the cut-off "
        f"({explored['cutoff']:g}) by at least one of the {explored['runs']} runs made"
    )
    if len(missed):
        text += (
            f"; no run reaches {', '.join(missed['id'])}, whatever the parameters tried: "
            "a limit of the model's structure or data, not of the fit"
        )
    return text + "."


def reach_section(state: dict, table: pd.DataFrame) -> str:
    """The targets no run of the calibration reached, with the range the runs spanned, and the
    targets that pull against each other at the best compromise run."""
    explored = state.get("explored")
    if not explored:
        return ""
    parts = ["<h2>What no parameter set reaches</h2>", f"<p>{esc(reach_summary(state, table))}"]
    best = explored.get("best_run")
    if best:
        beyond = best.get("beyond_cutoff") or {}
        parts.append(
            f" The run that best meets every reachable fitted figure ({esc(best['stage'])}, "
            f"point {best['index']}) has the largest implausibility "
            f"{best['max_implausibility_reachable']:.1f} among them"
            + (
                "; beyond the cut-off there: "
                + ", ".join(f"{esc(k)} ({v:.1f})" for k, v in beyond.items())
                + " (with the unreachable ones, the figures no single run meets together)"
                if beyond
                else ""
            )
            + "."
        )
    parts.append("</p>")
    sub = table[table["reachable"] == False]  # noqa: E712
    if len(sub):
        parts.append(
            "<table><tr><th class=text>target</th><th class=text>status</th>"
            "<th class=text>figure</th><th>published</th><th>lowest of all runs</th>"
            "<th>highest of all runs</th><th>least implausibility</th></tr>"
            + "".join(
                f"<tr><td class=text>{esc(r['id'])}</td><td class=text>{esc(r['status'])}</td>"
                f"<td class=text>{esc(r['quantity'])} ({esc(r['year'])}, "
                f"{esc(r['geography'])})</td><td>{figure_of(r)}</td>"
                f"<td>{num(r['explored_min'])}</td><td>{num(r['explored_max'])}</td>"
                f"<td>{num(r['explored_min_implausibility'])}</td></tr>"
                for _, r in sub.iterrows()
            )
            + "</table>"
        )
    return "".join(parts)
