"""The fit of the shipped parameters on the current model: every target of a calibration spec.

    python scripts/fit_check.py [--spec calibration/global.yaml] [--replicates 10] [--jobs 2]
                                [--set PATH=VALUE ...] [--csv FILE] [--update-fit-json]

Evaluates the spec's targets (its scenario, which extends calibration/fitted.yaml, with the
spec's `set`) at the shipped parameters, `--replicates` times with the calibration's own
evaluation (`sim.calibrate.run.evaluate`, replicate r seeded from the spec's seed as the
calibration's checks are), and prints each target's median, its ratio to the published value and
the counts within ±25% and within a factor of 2, fitted, held-out and checks apart. `--csv`
writes the fit table (every target of the spec, the compared ones with the median and 90%
interval across replicates: `sim.calibrate.recheck.remeasured_table`). `--set` evaluates another
point (an experiment; never with `--update-fit-json`). `--update-fit-json` writes the counts into
calibration/fit.json (what the README's status, the briefing's methods note and every run's
manifest quote) with the command, date and git commit of the measurement, and the re-measured
report beside it, calibration/fit_check.html and fit_check.csv, which the briefing links as the
fit behind its runs (`fit.json`'s `remeasured.report`); the page also shows the targets of the
adopted block calibrations that have their own (`BLOCK_SPECS`), apart, on the same replicates'
seeds of each spec.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.calibrate.plan import make_plan  # noqa: E402
from sim.calibrate.recheck import (  # noqa: E402
    remeasured_counts,
    remeasured_table,
    write_remeasured_report,
)
from sim.calibrate.run import Context, Evaluation, evaluate  # noqa: E402
from sim.calibrate.spec import load_spec  # noqa: E402
from sim.compare.reading import REMEASURED  # noqa: E402
from sim.errors import HrhsimError  # noqa: E402
from sim.inputs.scenario import parse_set  # noqa: E402
from sim.outputs.provenance import git_commit  # noqa: E402
from sim.sweep.cluster import threads_per_process  # noqa: E402

GLOBAL_SPEC = ROOT / "calibration" / "global.yaml"
"""The spec whose fit calibration/fit.json records."""
BLOCK_SPECS = (ROOT / "calibration" / "europe.yaml", ROOT / "calibration" / "composition.yaml")
"""Adopted block calibrations with targets of their own (not in the global targets): the
re-measured page shows them too, apart (`--update-fit-json`)."""
ROLES = {"fit": "fitted", "holdout": "held out", "check": "checked after"}
"""The spec's compared roles and the fit table's labels of them."""


def _context(spec_path: str, overrides: dict) -> tuple:
    spec = load_spec(spec_path)
    plan = make_plan(spec)
    scenario = plan.scenario.with_overrides(overrides) if overrides else plan.scenario
    ctx = Context(scenario, plan.policies, tuple(plan.targets.compared), spec.seed, source="check")
    return plan, ctx


def _one(args: tuple) -> dict:
    spec_path, overrides, replicate, threads = args
    _, ctx = _context(spec_path, overrides)
    ctx = dataclasses.replace(ctx, threads=threads)  # evaluate sets numba's threads
    return evaluate(ctx, Evaluation("fit-check", "check", 0, replicate, {}))


def measure(spec: str | Path, overrides: dict, replicates: int, jobs: int) -> pd.DataFrame:
    """The spec's fit table (`remeasured_table`) from `replicates` evaluations on `jobs`
    processes."""
    plan, _ = _context(str(spec), overrides)
    jobs = max(1, jobs)
    tasks = [(str(spec), overrides, r, threads_per_process(jobs)) for r in range(replicates)]
    with ProcessPoolExecutor(jobs) as pool:  # the CPUs shared, not each
        values = pd.DataFrame(list(pool.map(_one, tasks)))
    return remeasured_table(plan.targets, values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=str(GLOBAL_SPEC))
    parser.add_argument("--replicates", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--update-fit-json", action="store_true")
    args = parser.parse_args(argv)
    try:
        overrides = dict(parse_set(item) for item in args.set)
    except HrhsimError as err:
        parser.error(str(err))
    if overrides and args.update_fit_json:
        parser.error("--update-fit-json records the shipped point: not with --set")
    if args.update_fit_json and Path(args.spec).resolve() != GLOBAL_SPEC:
        parser.error(f"--update-fit-json records the fit of {GLOBAL_SPEC.relative_to(ROOT)}: "
                     "not with another --spec")  # fmt: skip
    table = measure(args.spec, overrides, args.replicates, args.jobs)
    compared = table[table.status.isin(ROLES.values())]
    short = pd.DataFrame(
        {
            "id": compared.id,
            "role": compared.status,
            "target": compared.value,
            "model_median": compared.fitted_median,
            "ratio": compared.ratio,
            "within_25pct": compared.within_25pct,
            "within_factor_2": compared.within_factor_2,
        }
    )
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(short.to_string(index=False))
    counts = {}
    measured = remeasured_counts(table)
    for role, label in ROLES.items():
        c = measured[label]
        counts[role] = (c["n"], c["within_25pct"], c["within_factor_2"])
        missing = f" ({c['missing']} without a value)" if c["missing"] else ""
        print(f"{role}: {counts[role][0]} figures, {counts[role][1]} within ±25%, "
              f"{counts[role][2]} within a factor of 2{missing}")  # fmt: skip
    if args.csv:
        table.to_csv(args.csv, index=False)
    command = f"python scripts/fit_check.py --replicates {args.replicates}"
    if args.update_fit_json:
        path = ROOT / "calibration" / "fit.json"
        fit = json.loads(path.read_text(encoding="utf-8"))
        # the briefing prints the summary after the counts: its figures must be these ones
        what = fit.get("summary", "").split(REMEASURED)[0] or "the shipped parameters"
        fit["summary"] = (
            f"{what}{REMEASURED}{counts['fit'][2]} of "
            f"{counts['fit'][0]} within a factor of 2, {counts['holdout'][1]} of "
            f"{counts['holdout'][0]} held-out figures"
            + (
                f" and {counts['check'][1]} of {counts['check'][0]} checks added after the "
                "calibration"
                if counts["check"][0]
                else ""
            )
            + " within ±25% (medians of "
            f"{args.replicates} replicates: python scripts/fit_check.py --replicates "
            f"{args.replicates})"
        )
        fit.update(
            targets=counts["fit"][0],
            within_25pct=counts["fit"][1],
            within_factor_2=counts["fit"][2],
            held_out=counts["holdout"][0],
            held_out_within_25pct=counts["holdout"][1],
            checks=counts["check"][0],
            checks_within_25pct=counts["check"][1],
            remeasured={
                "by": command,
                "date": dt.date.today().isoformat(),
                "git_commit": git_commit(),
                "report": "fit_check.html",
            },
        )
        spec = Path(args.spec).resolve()
        meta = {
            "spec": spec.relative_to(ROOT).as_posix() if spec.is_relative_to(ROOT) else args.spec,
            "folder": path.parent.relative_to(ROOT).as_posix(),
            "parameters": "calibration/fitted.yaml",
            "replicates": args.replicates,
            "command": command,
            "date": fit["remeasured"]["date"],
            "git_commit": fit["remeasured"]["git_commit"],
            "fitted_by": fit.get("status", "the shipped parameters"),
            "report": fit.get("report"),
        }
        blocks = {
            spec.relative_to(ROOT).as_posix(): measure(spec, {}, args.replicates, args.jobs)
            for spec in BLOCK_SPECS
        }
        html, csv = write_remeasured_report(path.parent, table, meta, blocks)
        print(f"wrote {html} and {csv}")
        path.write_text(json.dumps(fit, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"updated {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
