"""`hrhsim calibrate SPEC` and `hrhsim calibrate report DIR`."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from sim.cli import argtypes
from sim.errors import CalibrationError

HELP = "calibrate behavioural parameters to published targets (history matching), resumably"
DESCRIPTION = (
    "Calibrate the registry's uncertain behavioural parameters to the published figures of a "
    "targets table: Morris screening (SALib), waves of history matching with Gaussian-process "
    "emulators (scikit-learn), an importance-sampled posterior, and simulator checks, every run "
    "on Dask and written once as it finishes. Running the same command again resumes a stopped "
    "calibration. Writes DIR/fitted.yaml, DIR/posterior.csv, DIR/report.html and DIR/report.csv."
)
EPILOG = """\
examples:
  hrhsim calibrate calibration/global.yaml --budget 6000 --budget 2h
  hrhsim calibrate calibration/global.yaml --dry-run
  hrhsim calibrate calibration/global.yaml -o results/calibration/global --workers 2
  hrhsim calibrate report results/calibration/global

--budget N sizes the plan to N model runs (baseline and paired policy runs; a resumed
calibration keeps the number it started with); --budget 2h, 90m or 1.5h stops this invocation
cleanly after that wall time (run the command again to continue). Both may be given.

Exit status: 0 complete, 3 stopped by the time budget (resumable), 2 invalid input, 1 error."""

EXIT_STOPPED = 3
MAX_BUDGET_RUNS = 1_000_000
"""`--budget` in model runs."""
MAX_BUDGET_HOURS = 24 * 30
"""`--budget` as a wall time (30 days)."""


def budget(text: str) -> tuple[str, float]:
    """`--budget`: a number of runs (`6000`) or a wall time (`2h`, `90m`, `1.5h`)."""
    t = text.strip().lower()
    if m := re.fullmatch(r"(\d+)\s*(runs?)?", t):
        n = int(m.group(1))
        if not 1 <= n <= MAX_BUDGET_RUNS:
            raise argparse.ArgumentTypeError(f"expected 1 to {MAX_BUDGET_RUNS:,} runs, got {n}")
        return ("runs", float(n))
    if m := re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)\s*(h|hours?|m|min|minutes?)", t):
        value = float(m.group(1))
        hours = value if m.group(2).startswith("h") else value / 60.0
        if not 0 < hours <= MAX_BUDGET_HOURS:
            raise argparse.ArgumentTypeError(
                f"expected a time above 0 and at most {MAX_BUDGET_HOURS} hours, got {text!r}"
            )
        return ("hours", hours)
    raise argparse.ArgumentTypeError(
        f"expected a number of runs (6000) or a wall time (2h, 90m), got {text!r}"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `hrhsim calibrate`."""
    parser.add_argument(
        "spec", metavar="SPEC", help="calibration spec (YAML), or `report` followed by DIR"
    )
    parser.add_argument("dir", nargs="?", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument(
        "-o",
        "--output",
        type=argtypes.folder,
        metavar="DIR",
        default=None,
        help="output folder (default: results/calibration/<spec name>)",
    )
    parser.add_argument(
        "--budget",
        type=budget,
        action="append",
        metavar="RUNS|TIME",
        default=None,
        help="model runs the plan is sized to (e.g. 6000) and/or a wall-time limit for this "
        "invocation (e.g. 2h, 90m)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=argtypes.workers,
        metavar="N",
        default=None,
        help="worker processes of the local Dask cluster (default: number of CPUs)",
    )
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="address of a running Dask scheduler instead of a local cluster",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="validate and print the plan; run nothing"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    """Run, resume or report a calibration; 0 complete, 3 stopped by the time budget."""
    if args.spec == "report":
        if not args.dir:
            raise CalibrationError("`hrhsim calibrate report` needs the calibration folder DIR")
        return _report(Path(args.dir))
    if args.dir:
        raise CalibrationError(
            f"unexpected argument {args.dir!r}", expected="hrhsim calibrate SPEC [options]"
        )
    from sim.calibrate.engine import calibrate, make_plan
    from sim.calibrate.spec import load_spec
    from sim.sweep.cluster import parse_scheduler_address

    if args.scheduler:
        parse_scheduler_address(args.scheduler)

    spec = load_spec(args.spec)
    runs = hours = None
    for kind, value in args.budget or []:
        if kind == "runs":
            runs = int(value)
        else:
            hours = value
    from sim.outputs.folders import default_folder

    default = Path("results") / "calibration" / default_folder(spec.name, fallback="calibration")
    out = Path(args.output) if args.output else default
    if args.dry_run:
        plan = make_plan(spec, runs)
        print(_describe_plan(plan))
        return 0
    result = calibrate(
        spec,
        out,
        budget_runs=runs,
        hours=hours,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not args.no_progress and sys.stderr.isatty(),
    )
    print(
        f"calibration {spec.name}: {result.message}; {result.ran} model runs now "
        f"({result.elapsed_s / 60:.1f} min), {result.runs} evaluations stored -> {out}"
    )
    if result.complete:
        for name in ("fitted.yaml", "posterior.csv", "report.html", "report.csv"):
            print(f"wrote {out / name}")
        return 0
    return EXIT_STOPPED


def _report(folder: Path) -> int:
    from sim.calibrate.engine import load_state
    from sim.calibrate.report import write_report

    state = load_state(folder)
    if "checks" not in state:
        how = {
            "failed": f"it failed: {state.get('error', 'no reason recorded')}",
            "stopped": "its time budget was spent",
            "interrupted": "it was interrupted",
            "running": "it is running, or was killed",
        }.get(state.get("status"), f"status {state.get('status')!r}")
        raise CalibrationError(
            f"the calibration is not finished ({how}): no fit to report yet",
            file=str(folder),
            expected="a folder of a complete calibration (run `hrhsim calibrate SPEC` again to "
            "resume it; finished runs are kept)",
        )
    if "explored" not in state:
        _explore_stored(folder, state)
    html, csv = write_report(folder, state)
    print(f"wrote {html}\nwrote {csv}")
    return 0


def _explore_stored(folder: Path, state: dict) -> None:
    """A calibration finished before the `explored` stage existed: explore its stored runs now
    (its spec must still be where it was), so that its report says what no run reached."""
    import logging

    import pandas as pd

    from sim.calibrate.explored import explore
    from sim.calibrate.plan import RUNS, make_plan, write_state
    from sim.calibrate.spec import load_spec

    spec_path = Path(state.get("spec", {}).get("path", ""))
    if not spec_path.is_file():
        logging.getLogger(__name__).warning(
            "%s: the spec %s is gone; the report leaves out what no run reached",
            folder, spec_path,
        )  # fmt: skip
        return
    plan = make_plan(load_spec(spec_path), state["plan"]["budget_runs"])
    files = sorted((folder / RUNS).glob("*.parquet"))
    runs = pd.concat([pd.read_parquet(f) for f in files]) if files else pd.DataFrame()
    state["explored"] = explore(runs, plan)
    write_state(folder, state)


def _describe_plan(plan) -> str:
    t = plan.targets
    lines = [
        f"calibration {plan.spec.name}: scenario {plan.spec.scenario_path}",
        f"  parameters ({len(plan.prior)}): " + ", ".join(plan.prior.names),
        f"  targets: {len(t.with_status('fit'))} fitted, {len(t.with_status('holdout'))} held "
        f"out, {len(t.with_status('check'))} checks added after, "
        f"{len(t.with_status('unfittable'))} not fittable, {len(t.with_status('input'))} "
        f"used as input, {len(t.with_status('none'))} without a model counterpart, "
        f"{len(t.with_status('unreachable'))} unreachable",
        f"  runs per evaluation: {plan.runs_per_evaluation} (baseline"
        + "".join(f", {p}" for p in plan.policies)
        + ")",
        f"  evaluations: screening {plan.screening}, {plan.spec.waves.count} waves of "
        f"{plan.per_wave}, checks {plan.checks} (budget {plan.spec.budget_runs} runs)",
    ]
    for target in t:
        extra = f" ({target.status_reason})" if target.status not in ("fit",) else ""
        shifted = f" [{target.shifted}]" if target.shifted else ""
        lines.append(f"    {target.id:5} {target.status:10}{shifted}{extra}")
    return "\n".join(lines)
