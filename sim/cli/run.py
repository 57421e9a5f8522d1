"""`hrhsim run`: run one scenario's replicates, write the results folder, print a summary table."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli import argtypes
from sim.cli.argtypes import add_set_option, refuse_set_and_option

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

HELP = "run a scenario's replicates and write its results folder"
DESCRIPTION = (
    "Run every replicate of a scenario (seeds from SeedSequence(seed).spawn(N)) and write "
    "manifest.json, indicators.parquet, flows.parquet and arrivals.parquet (unless outputs.flows "
    "is false), stocks.parquet and agreements.parquet to the results folder (built beside it and "
    "swapped in complete), then print a summary table at the horizon."
)
EPILOG = """examples:
  hrhsim run scenarios/archetypes_baseline.yaml
  hrhsim run scenarios/baseline.yaml -o results/baseline --replicates 10 --seed 7
  hrhsim run scenarios/ethical_recruitment.yaml --set policies.ethical_recruitment.passive_rate=0.1
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `hrhsim run`."""
    parser.add_argument("scenario", type=Path, help="scenario YAML file")
    parser.add_argument(
        "-o",
        "--output",
        type=argtypes.folder,
        default=None,
        help=(
            "results folder (default: results/<scenario name>, with a short hash of the name "
            "where it is not a plain folder name); replaced as a whole"
        ),
    )
    parser.add_argument(
        "--replicates",
        type=argtypes.replicates,
        default=None,
        help="number of replicates (default: the scenario's `replicates`; at most "
        f"{argtypes.MAX_REPLICATES:,})",
    )
    parser.add_argument(
        "--seed",
        type=argtypes.seed,
        default=None,
        help="root seed (default: the scenario's `seed`)",
    )
    parser.add_argument(
        "--engine",
        choices=("auto", "agents", "arrays"),
        default=None,
        help="override the scenario's engine",
    )
    parser.add_argument(
        "--csv", action="store_true", default=None, help="also write CSV copies of the tables"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_set_option(parser)


SUMMARY = (
    "world_stock",
    "world_density",
    "safeguards_density",
    "safeguards_emigration",
    "destination_immigration",
    "destination_vacancy_rate",
    "population_below_44_5",
)
"""Outcomes of the run summary (declared in `sim.declarations`, computed by
`sim.outputs.outcomes`)."""


def summary_table(indicators: pd.DataFrame, data: dict) -> pd.DataFrame:
    """Headline outcomes at the horizon: median and 5-95% range across replicates."""
    from sim.declarations import outcome
    from sim.inputs.selectors import country_groups, simulated_world
    from sim.outputs.outcomes import outcome_values, summarize

    groups = country_groups(data, simulated_world(data))
    values = outcome_values(indicators, groups, SUMMARY)
    table = summarize(values, int(indicators["year"].max()))
    table.insert(0, "indicator", [outcome(name).short for name in table["outcome"]])
    return table.drop(columns="outcome")


def format_table(table: pd.DataFrame) -> str:
    """Plain-text rendering of a summary table."""

    def fmt(x: float) -> str:
        return f"{x:,.3f}" if abs(x) < 10 else f"{x:,.0f}"

    width = max(len(s) for s in table.indicator) if len(table) else 10
    lines = [f"{'indicator':<{width}}  {'median':>14}  {'90% interval':>29}"]
    for row in table.itertuples():
        interval = f"[{fmt(row.p5)}, {fmt(row.p95)}]"
        lines.append(f"{row.indicator:<{width}}  {fmt(row.median):>14}  {interval:>29}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run a scenario and print where the results are and a summary table."""
    from sim.inputs.scenario import load_scenario
    from sim.outputs.folders import default_folder
    from sim.runner import run_scenario

    refuse_set_and_option(
        args.overrides,
        {
            "seed": ("--seed", args.seed),
            "replicates": ("--replicates", args.replicates),
            "engine": ("--engine", args.engine),
            "outputs.csv": ("--csv", args.csv),
        },
    )
    scenario = load_scenario(args.scenario, args.overrides)
    out = args.output or Path("results") / default_folder(scenario.name)
    summary = run_scenario(
        scenario,
        out,
        replicates=args.replicates,
        seed=args.seed,
        engine=args.engine,
        progress=not args.no_progress,
        csv=args.csv,
    )
    data = scenario.data
    year = data["time"]["start_year"] + data["time"]["years"] - 1
    print(
        f"{scenario.name}: {summary.replicates} replicate(s), engine {summary.engine}, "
        f"{summary.seconds:.1f} s -> {summary.out_dir}"
    )
    print(f"At the end of {year}:")
    print(format_table(summary_table(summary.indicators, data)))
    return 0
