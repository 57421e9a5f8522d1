"""`hrhsim sweep`: run a parameter sweep on Dask distributed, resumably."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli import argtypes

HELP = "run a parameter sweep (grid, LHS, Sobol, Morris) on Dask, resumably"
DESCRIPTION = (
    "Run a parameter sweep (grid, Latin hypercube, Sobol or Morris design over scenario keys) on "
    "Dask distributed. Each finished run is written at once to DIR/runs/<key>.parquet; running "
    "the same command again runs only what is missing (resume after a crash or Ctrl-C)."
)
EPILOG = """\
examples:
  hrhsim sweep scenarios/sweeps/compensation_x_passive.yaml
  hrhsim sweep scenarios/sweeps/sobol_behaviour.yaml -o results/sobol --workers 8
  hrhsim sweep scenarios/sweeps/sobol_behaviour.yaml --scheduler tcp://10.0.0.5:8786
  hrhsim sweep scenarios/sweeps/sobol_behaviour.yaml --dry-run
  hrhsim sensitivity results/sobol

Output: DIR/sweep.json (sweep file, design, points, package version, status) and DIR/runs/*.parquet,
one file per run: point_id, replicate, parameters, outcomes, seed, timing. Read them with
sim.sweep.load_runs("DIR"): one row per point and replicate of this sweep
(pandas.read_parquet("DIR/runs") also reads the files of an earlier design or version of hrhsim
left in the folder).

Exit status: 0 all runs done, 1 some runs failed (run again to retry them), 2 invalid input or
an environment problem (scheduler unreachable, no worker left, output folder not writable)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sweep", metavar="SWEEP.yaml", help="sweep file")
    parser.add_argument(
        "-o",
        "--output",
        type=argtypes.folder,
        metavar="DIR",
        default=None,
        help="output folder (default: results/<sweep file name>)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=argtypes.workers,
        metavar="N",
        default=None,
        help=f"worker processes of the local Dask cluster (default: number of CPUs; at most "
        f"{argtypes.MAX_WORKERS})",
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
        type=argtypes.retries,
        metavar="N",
        default=3,
        help=f"times a failed run is retried on another worker (default: 3; at most "
        f"{argtypes.MAX_RETRIES})",
    )
    parser.add_argument(
        "--worker-timeout",
        type=argtypes.seconds,
        metavar="S",
        default=20,
        help="stop (exit 2, finished runs kept) when no Dask worker is alive for S seconds "
        "(default: 20)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="validate the sweep and print its size (points, runs, already done); run nothing",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def default_output(sweep: str) -> Path:
    """`results/<sweep file name>` as a safe folder name."""
    from sim.outputs.folders import folder_slug

    return Path("results") / folder_slug(Path(sweep).stem, fallback="sweep")


def run(args: argparse.Namespace) -> int:
    """0 when every run is done, 1 when some failed; HrhsimError for bad input."""
    from sim.errors import SetupError
    from sim.sweep.cluster import parse_scheduler_address
    from sim.sweep.execute import plan_sweep, run_sweep
    from sim.sweep.spec import load_sweep
    from sim.sweep.store import RUNS, finished_runs

    if args.scheduler:
        parse_scheduler_address(args.scheduler)
    spec = load_sweep(args.sweep)
    out = Path(args.output) if args.output else default_output(args.sweep)
    if args.dry_run:
        from sim.sweep.store import check_sweep_output

        check_sweep_output(out)  # what the run itself would refuse, said now
        plan = plan_sweep(spec)
        runs_dir = out / RUNS
        done = len(finished_runs(runs_dir, {t.key for t in plan.tasks})) if runs_dir.is_dir() else 0
        shared = len(plan.runs) - len(plan.tasks)
        note = f" ({len(plan.tasks)} distinct)" if shared else ""
        print(
            f"sweep {spec.name}: {spec.design.kind} design, {len(spec.parameters)} parameter(s), "
            f"{len(plan.design)} points x {spec.replicates} replicate(s) = {len(plan.runs)} "
            f"runs{note}; {done} already done in {out}"
        )
        return 0
    try:
        report = run_sweep(
            spec,
            out,
            workers=args.workers,
            scheduler=args.scheduler,
            retries=args.retries,
            progress=not args.no_progress and sys.stderr.isatty(),
            worker_timeout=args.worker_timeout,
        )
    except OSError as exc:  # Dask's lost connections (CommClosedError, timeouts)
        if getattr(exc, "filename", None):
            raise
        raise SetupError(
            f"the Dask cluster failed: {type(exc).__name__}: {exc}",
            expected="a running Dask scheduler and workers (run again to resume)",
        ) from None
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
