"""`hrhsim sensitivity`: Sobol or Morris indices of a finished sweep (SALib)."""

from __future__ import annotations

import argparse

from sim.cli import argtypes

HELP = "Sobol or Morris sensitivity indices of a finished sweep (SALib)"
DESCRIPTION = (
    "Sensitivity indices of a finished sweep via SALib: Sobol first-order and total indices "
    "(S1, ST, with confidence intervals) for a sobol design, Morris mu* and sigma for a morris "
    "design. Replicates are averaged per point. Writes DIR/sensitivity.csv and "
    "DIR/sensitivity.png/.svg and prints the table."
)
EPILOG = """\
examples:
  hrhsim sensitivity results/sobol_behaviour
  hrhsim sensitivity results/sobol_behaviour --outcome safeguards_density
  hrhsim sensitivity results/sobol_behaviour --conf-level 0.9 --resamples 2000"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
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
        type=argtypes.level,
        default=0.95,
        metavar="P",
        help="confidence level of the bootstrap intervals (default: 0.95)",
    )
    parser.add_argument(
        "--resamples",
        type=argtypes.resamples,
        default=1000,
        metavar="N",
        help=f"bootstrap resamples for the confidence intervals (default: 1000; at most "
        f"{argtypes.MAX_RESAMPLES:,})",
    )
    parser.add_argument(
        "--seed", type=argtypes.bootstrap_seed, default=0, help="bootstrap seed (0 to 2**32-1)"
    )
    parser.add_argument(
        "--no-figure",
        action="store_true",
        help="write the table only (a figure of an earlier table is removed)",
    )


def run(args: argparse.Namespace) -> int:
    """Print the indices, write the CSV table and the figure."""
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
