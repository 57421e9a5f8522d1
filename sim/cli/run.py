"""`hrhsim run`: run one scenario's replicates, write the results folder, print a summary table."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli import argtypes
from sim.cli.argtypes import add_set_option

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

HELP = "run a scenario's replicates and write its results folder"
DESCRIPTION = (
    "Run every replicate of a scenario (seeds from SeedSequence(seed).spawn(N)) and write "
    "manifest.json, indicators.parquet and flows.parquet to the results folder (built beside "
    "it and swapped in complete), then print a summary table at the horizon."
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
        type=Path,
        default=None,
        help="results folder (default: results/<scenario name>); replaced as a whole",
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


def summary_table(indicators: pd.DataFrame, data: dict) -> pd.DataFrame:
    """Headline numbers at the horizon: median and 5-95% range across replicates."""
    import numpy as np
    import pandas as pd

    from sim.model.policies import country_mask
    from sim.runner import world_for

    world = world_for(data)
    iso = np.asarray(world.iso3).astype(str)
    safeguards = set(iso[np.asarray(world.safeguards, dtype=bool)])
    destinations = set(iso[country_mask(data["workforce"]["destinations"], world)])
    final = indicators[
        (indicators.year == indicators.year.max())
        & (indicators.area == "all")
        & (indicators.cadre == "all")
    ]

    def per_replicate(indicator: str, countries: set | None, ratio_of: str | None = None):
        rows = final[final.indicator == indicator]
        if countries is not None:
            rows = rows[rows.country.isin(countries)]
        value = rows.groupby("replicate").value.sum()
        if ratio_of is not None:
            base = final[(final.indicator == ratio_of) & final.country.isin(countries)]
            value = value / base.groupby("replicate").value.sum().replace(0, np.nan)
        return value

    lines = {
        "health workers, world": per_replicate("stock", {"WLD"}),
        "density per 10,000, world": per_replicate("density", {"WLD"}),
        "density per 10,000, safeguards list": per_replicate("stock", safeguards)
        / per_replicate("population", safeguards)
        * 1e4,
        "emigrants/yr from safeguards list": per_replicate("emigrants", safeguards),
        "immigrants/yr to destinations": per_replicate("immigrants", destinations),
        "vacancy rate, destinations": per_replicate("vacancies", destinations, "posts"),
        "population below 44.5/10,000": per_replicate("population_below_44_5", {"WLD"}),
    }
    rows = []
    for name, values in lines.items():
        v = np.asarray(values, dtype=float)
        v = v[np.isfinite(v)]
        if v.size == 0:
            continue
        rows.append(
            {
                "indicator": name,
                "median": np.median(v),
                "p5": np.percentile(v, 5),
                "p95": np.percentile(v, 95),
            }
        )
    return pd.DataFrame(rows)


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
    from sim.outputs.results import folder_slug
    from sim.runner import run_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    out = args.output or Path("results") / folder_slug(scenario.name)
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
