"""`hrhsim compare`: run or reuse a baseline and options, then write the HTML briefing.

Light on purpose: the heavy modules (pandas, matplotlib, the model) are imported when the command
runs, so that `hrhsim --help` stays fast.
"""

from __future__ import annotations

import argparse
import re
import sys

from sim.cli import argtypes
from sim.cli.argtypes import add_set_option, refuse_set_and_option

HELP = "compare policy options with a baseline and write an HTML briefing"
DESCRIPTION = (
    "Run the baseline and each option (reusing earlier runs with the same scenario, seed, "
    "replicates and model version), then write a self-contained briefing DIR/index.html with a "
    "page per focus country in DIR/countries/, every table as CSV and in DIR/briefing.xlsx, and "
    "every chart as PNG and SVG in DIR/figures/; the runs it describes are in DIR/runs/<name>/ "
    "(new ones wait in DIR/.runs.pending/ until their briefing replaces the previous one, and "
    "files of yours in DIR, DIR/figures/ and DIR/countries/ are kept). Options are run with "
    "the baseline's seed and replicates, so that each difference is paired replicate by "
    "replicate."
)
EPILOG = """examples:
  hrhsim compare scenarios/archetypes_baseline.yaml scenarios/archetypes_ethical_recruitment.yaml
  hrhsim compare scenarios/baseline.yaml scenarios/ethical_recruitment.yaml \\
      scenarios/compensation.yaml -o results/briefing --replicates 20
  hrhsim compare scenarios/baseline.yaml scenarios/retention.yaml --set time.years=5
  hrhsim compare scenarios/baseline.yaml scenarios/bilateral_agreements.yaml \\
      --title "Nurse agreements with the Philippines" --focus KEN,GHA --countries PHL,GBR

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
        type=argtypes.folder,
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
    add_set_option(parser, every="scenario compared, the baseline and each option")
    add_briefing_arguments(parser)


# --- briefing options: kept apart so that they can move with the argument code -------------------

_ISO3 = re.compile(r"^[A-Za-z]{3}$")


def iso3_list(text: str) -> list[str]:
    """`KEN,GHA` -> ["KEN", "GHA"] (argparse type); a clear error for anything else."""
    codes = [c.strip() for c in str(text).split(",") if c.strip()]
    bad = [c for c in codes if not _ISO3.match(c)]
    if not codes or bad:
        raise argparse.ArgumentTypeError(
            f"expected ISO3 country codes separated by commas (e.g. KEN,GHA), got {text!r}"
        )
    return [c.upper() for c in codes]


def add_briefing_arguments(parser: argparse.ArgumentParser) -> None:
    """`--title`, `--focus ISO3,...`, `--countries ISO3,...`: what the briefing puts first."""
    parser.add_argument(
        "--title", metavar="TEXT", default=None, help="title of the briefing (default: generated)"
    )
    parser.add_argument(
        "--focus",
        metavar="ISO3,...",
        type=iso3_list,
        default=[],
        help="countries to show in the focus section besides those the options name",
    )
    parser.add_argument(
        "--countries",
        metavar="ISO3,...",
        type=iso3_list,
        default=None,
        help="countries that get a page of their own (default: every focus country)",
    )


def briefing_options(args: argparse.Namespace) -> dict:
    """The keyword arguments of `compare` that come from the briefing options."""
    return {
        "title": getattr(args, "title", None),
        "focus": tuple(getattr(args, "focus", None) or ()),
        "countries": getattr(args, "countries", None),
    }


def run(args: argparse.Namespace) -> int:
    """Run `hrhsim compare`; print what was run or reused and where the briefing is.

    User errors (bad scenario files, ...) raise `HrhsimError` for the CLI to report.
    """
    from sim.compare.pipeline import compare

    progress = bool(getattr(args, "progress", True)) and sys.stderr.isatty()

    def report(run) -> None:  # as each scenario is run or reused, not at the end
        what = "reused" if run.reused else "ran   "
        print(f"{what} {run.name}: {run.run_dir}", flush=True)

    refuse_set_and_option(
        getattr(args, "overrides", None) or [],
        {"seed": ("--seed", args.seed), "replicates": ("--replicates", args.replicates)},
    )
    result = compare(
        args.baseline,
        args.options,
        args.output,
        replicates=args.replicates,
        seed=args.seed,
        overrides=tuple(getattr(args, "overrides", None) or ()),
        force=args.force,
        progress=progress,
        report=report,
        **briefing_options(args),
    )
    print(f"Tables: {result.briefing.headline_csv.parent} (CSV; all in briefing.xlsx)")
    print(f"Figures: {result.out_dir / 'figures'}")
    for code, path in result.briefing.pages.items():
        print(f"Country page {code}: {path}")
    print(f"Briefing: {result.index_html.resolve()}")
    return 0
