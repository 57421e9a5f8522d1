"""`hrhsim compare`: run or reuse a baseline and options, then write the HTML briefing.

Light on purpose: the heavy modules (pandas, matplotlib, the model) are imported when the command
runs, so that `hrhsim --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli import argtypes
from sim.cli.argtypes import add_set_option

HELP = "compare policy options with a baseline and write an HTML briefing"
DESCRIPTION = (
    "Run the baseline and each option (reusing earlier runs with the same scenario, seed, "
    "replicates and model version) into DIR/runs/<name>/, then write a self-contained briefing "
    "DIR/index.html, the headline table DIR/headline.csv and every chart as PNG and SVG in "
    "DIR/figures/. Options are run with the baseline's seed and replicates, so that each "
    "difference is paired replicate by replicate."
)
EPILOG = """examples:
  hrhsim compare scenarios/archetypes_baseline.yaml scenarios/archetypes_ethical_recruitment.yaml
  hrhsim compare scenarios/baseline.yaml scenarios/ethical_recruitment.yaml \\
      scenarios/compensation.yaml -o results/briefing --replicates 20
  hrhsim compare scenarios/baseline.yaml scenarios/retention.yaml --set time.years=5

The briefing opens offline (figures and styles are inside index.html) and prints to PDF.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `hrhsim compare BASELINE.yaml OPTION.yaml [OPTION.yaml ...]`."""
    parser.add_argument("baseline", metavar="BASELINE.yaml", help="the baseline scenario file")
    parser.add_argument(
        "options",
        metavar="OPTION.yaml",
        nargs="+",
        help="one or more policy options to compare with the baseline",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        type=Path,
        default=None,
        help="output folder (default: results/compare-<baseline name>)",
    )
    parser.add_argument(
        "--replicates",
        metavar="N",
        type=argtypes.replicates,
        default=None,
        help="replicates of every scenario (default: the baseline's; at most "
        f"{argtypes.MAX_REPLICATES:,})",
    )
    parser.add_argument(
        "--seed",
        metavar="SEED",
        type=argtypes.seed,
        default=None,
        help="root seed of every scenario (default: the baseline's)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="run every scenario again even when a matching run exists",
    )
    parser.add_argument(
        "--no-progress", dest="progress", action="store_false", help="no progress bars"
    )
    add_set_option(parser)


def run(args: argparse.Namespace) -> int:
    """Run `hrhsim compare`; print what was run or reused and where the briefing is.

    User errors (bad scenario files, ...) raise `HrhsimError` for the CLI to report.
    """
    from sim.compare.pipeline import compare

    progress = bool(getattr(args, "progress", True)) and sys.stderr.isatty()
    result = compare(
        args.baseline,
        args.options,
        args.output,
        replicates=args.replicates,
        seed=args.seed,
        overrides=tuple(getattr(args, "overrides", None) or ()),
        force=args.force,
        progress=progress,
    )
    for run in result.runs:
        what = "reused" if run.reused else "ran   "
        print(f"{what} {run.name}: {run.run_dir}")
    print(f"Headline table: {result.briefing.headline_csv}")
    print(f"Figures: {result.out_dir / 'figures'}")
    print(f"Briefing: {result.index_html.resolve()}")
    return 0
