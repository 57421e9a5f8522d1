"""Parameter sweeps and sensitivity analysis on Dask distributed, resumable.

- `spec`: sweep files (YAML) and their strict validation -> `SweepSpec`
- `design`: grid / Latin hypercube / Sobol / Morris points (SALib samplers)
- `execute`: Dask execution, one atomically written Parquet file per run, resumable
- `outcomes`: scalar outcomes from the long-form indicators of one run
- `sensitivity`: Sobol and Morris indices (SALib), table and figure
- `testmodels`: cheap models (`ishigami`, `toy`) that go through the same pipeline

The CLI subcommands `hrhsim sweep` and `hrhsim sensitivity` are declared here
(`add_sweep_arguments`, `cmd_sweep`, `add_sensitivity_arguments`, `cmd_sensitivity`); heavy
modules (dask, SALib, matplotlib) are imported only when a command runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sim.cli.argtypes import nonnegative_int, positive_int
from sim.errors import HrhsimError

__all__ = [
    "SENSITIVITY_DESCRIPTION",
    "SENSITIVITY_EPILOG",
    "SWEEP_DESCRIPTION",
    "SWEEP_EPILOG",
    "add_sensitivity_arguments",
    "add_sweep_arguments",
    "analyze",
    "build_design",
    "cmd_sensitivity",
    "cmd_sweep",
    "load_runs",
    "load_sweep",
    "run_sweep",
    "sensitivity",
]

_LAZY = {
    "load_sweep": "sim.sweep.spec",
    "parse_sweep": "sim.sweep.spec",
    "build_design": "sim.sweep.design",
    "run_sweep": "sim.sweep.execute",
    "plan_sweep": "sim.sweep.execute",
    "load_runs": "sim.sweep.execute",
    "load_manifest": "sim.sweep.execute",
    "analyze": "sim.sweep.sensitivity",
    "sensitivity": "sim.sweep.sensitivity",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim.sweep' has no attribute {name!r}")


SWEEP_DESCRIPTION = (
    "Run a parameter sweep (grid, Latin hypercube, Sobol or Morris design over scenario keys) on "
    "Dask distributed. Each finished run is written at once to DIR/runs/<key>.parquet; running "
    "the same command again runs only what is missing (resume after a crash or Ctrl-C)."
)

SWEEP_EPILOG = """\
examples:
  hrhsim sweep scenarios/sweeps/compensation_x_passive.yaml
  hrhsim sweep scenarios/sweeps/sobol_behaviour.yaml -o results/sobol --workers 8
  hrhsim sweep scenarios/sweeps/sobol_behaviour.yaml --scheduler tcp://10.0.0.5:8786
  hrhsim sweep scenarios/sweeps/sobol_behaviour.yaml --dry-run
  hrhsim sensitivity results/sobol

Output: DIR/sweep.json (sweep file, design, points, package version) and DIR/runs/*.parquet,
one file per run: point_id, replicate, parameters, outcomes, seed, timing. Read them with
sim.sweep.load_runs("DIR") (one row per point and replicate) or pandas.read_parquet("DIR/runs").

Exit status: 0 all runs done, 1 some runs failed (run again to retry them), 2 invalid input."""

SENSITIVITY_DESCRIPTION = (
    "Sensitivity indices of a finished sweep via SALib: Sobol first-order and total indices "
    "(S1, ST, with confidence intervals) for a sobol design, Morris mu* and sigma for a morris "
    "design. Replicates are averaged per point. Writes DIR/sensitivity.csv and "
    "DIR/sensitivity.png/.svg and prints the table."
)

SENSITIVITY_EPILOG = """\
examples:
  hrhsim sensitivity results/sobol_behaviour
  hrhsim sensitivity results/sobol_behaviour --outcome safeguards_density
  hrhsim sensitivity results/sobol_behaviour --conf-level 0.9 --resamples 2000"""


def _conf_level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a level between 0 and 1, got {value}")
    return value


def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `hrhsim sweep` (sets `func=cmd_sweep`)."""
    parser.add_argument("sweep", metavar="SWEEP.yaml", help="sweep file")
    parser.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        default=None,
        help="output folder (default: results/<sweep file name>)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        default=None,
        help="worker processes of the local Dask cluster (default: number of CPUs)",
    )
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="address of a running Dask scheduler (e.g. tcp://host:8786) instead of a local "
        "cluster; workers must be able to import hrhsim",
    )
    parser.add_argument(
        "--retries",
        type=nonnegative_int,
        metavar="N",
        default=3,
        help="times a failed run is retried on another worker (default: 3)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="validate the sweep and print its size (points, runs, already done); run nothing",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=cmd_sweep)


def _default_output(sweep: str) -> Path:
    return Path("results") / Path(sweep).stem


def cmd_sweep(args: argparse.Namespace) -> int:
    """`hrhsim sweep`: 0 when every run is done, 1 when some failed; HrhsimError for bad input."""
    from sim.sweep.execute import RUNS, plan_sweep, run_sweep
    from sim.sweep.spec import load_sweep

    spec = load_sweep(args.sweep)
    out = Path(args.output) if args.output else _default_output(args.sweep)
    if args.dry_run:
        plan = plan_sweep(spec)
        runs_dir = out / RUNS
        done = sum((runs_dir / f"{t.key}.parquet").exists() for t in plan.tasks)
        shared = len(plan.runs) - len(plan.tasks)
        note = f" ({len(plan.tasks)} distinct)" if shared else ""
        print(
            f"sweep {spec.name}: {spec.design.kind} design, {len(spec.parameters)} parameter(s), "
            f"{len(plan.design)} points x {spec.replicates} replicate(s) = {len(plan.runs)} "
            f"runs{note}; {done} already done in {out}"
        )
        return 0
    report = run_sweep(
        spec,
        out,
        workers=args.workers,
        scheduler=args.scheduler,
        retries=args.retries,
        progress=not args.no_progress and sys.stderr.isatty(),
    )
    print(
        f"sweep {spec.name}: {report.total} runs, {report.skipped} already done, "
        f"{report.ran} run now, {len(report.failed)} failed ({report.elapsed_s:.1f} s) -> {out}"
    )
    for f in report.failed[:10]:
        print(
            f"  failed: point {f['point_id']} replicate {f['replicate']}: {f['error']}",
            file=sys.stderr,
        )
    if report.failed:
        more = len(report.failed) - 10
        if more > 0:
            print(f"  ... and {more} more", file=sys.stderr)
        print("run the same command again to retry the failed runs", file=sys.stderr)
        return 1
    return 0


def add_sensitivity_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `hrhsim sensitivity` (sets `func=cmd_sensitivity`)."""
    parser.add_argument("dir", metavar="DIR", help="output folder of `hrhsim sweep`")
    parser.add_argument(
        "--outcome",
        action="append",
        metavar="NAME",
        default=None,
        help="outcome to analyse (repeatable; default: every outcome)",
    )
    parser.add_argument(
        "--conf-level",
        type=_conf_level,
        default=0.95,
        metavar="P",
        help="confidence level of the bootstrap intervals (default: 0.95)",
    )
    parser.add_argument(
        "--resamples",
        type=positive_int,
        default=1000,
        metavar="N",
        help="bootstrap resamples for the confidence intervals (default: 1000)",
    )
    parser.add_argument("--seed", type=nonnegative_int, default=0, help="bootstrap seed")
    parser.add_argument("--no-figure", action="store_true", help="write the table only")
    parser.set_defaults(func=cmd_sensitivity)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """`hrhsim sensitivity`: print the indices, write the CSV table and the figure."""
    import pandas as pd

    from sim.sweep.sensitivity import sensitivity

    table, files = sensitivity(
        args.dir,
        args.outcome,
        conf_level=args.conf_level,
        num_resamples=args.resamples,
        seed=args.seed,
        figure=not args.no_figure,
    )
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    for f in files:
        print(f"wrote {f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m sim.sweep {sweep,sensitivity} ...` (the same commands as `hrhsim`)."""
    import logging

    parser = argparse.ArgumentParser(prog="python -m sim.sweep")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    add_sweep_arguments(
        sub.add_parser(
            "sweep",
            description=SWEEP_DESCRIPTION,
            epilog=SWEEP_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    add_sensitivity_arguments(
        sub.add_parser(
            "sensitivity",
            description=SENSITIVITY_DESCRIPTION,
            epilog=SENSITIVITY_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    args = parser.parse_args(argv)
    logger = logging.getLogger("sim")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        logger.propagate = False
    try:
        return int(args.func(args))
    except HrhsimError as err:
        if args.debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
