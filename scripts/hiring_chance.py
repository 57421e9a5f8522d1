"""Who is taken where: open recruitment's applicants, hires and fill rate by destination and year.

    python scripts/hiring_chance.py [--scenario scenarios/baseline.yaml] [--cadre nurses]
                                    [--seed 1] [--years 5] [--set PATH=VALUE ...]
                                    [--destinations GBR USA ...] [--origin PHL]

Runs one replicate of the scenario from its first simulated year (the spin-up's included) and
prints, for each year and destination, the applicants to its open recruitment, its open hires and
their ratio, the fill rate that `behaviour.hiring_chance_weight` weighs (docs/ODD.md §4.2.2),
then the origin's open hires by destination. Counts are workers (agents × ω); agreement hires
and their applicants are left out, as in the model's chance of a post.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.declarations import CADRES  # noqa: E402
from sim.errors import HrhsimError  # noqa: E402
from sim.inputs.scenario import load_scenario, parse_set  # noqa: E402
from sim.runner import build_model  # noqa: E402

DESTINATIONS = ("GBR", "USA", "SAU", "AUS", "CAN", "SGP", "IRL", "ARE", "QAT", "DEU", "NZL")


def counts_by_year(model, years: int) -> tuple[np.ndarray, np.ndarray]:
    """Open hires (Y, C origin, C destination, K) and applicants (Y, C, K), agents, by year of the
    run: the model's own `Demand.record_hiring` inputs, summed over each year's steps."""
    n, k = model.demand.hired.shape
    hires, applicants = np.zeros((years, n, n, k)), np.zeros((years, n, k))
    record = model.demand.record_hiring

    def counted(step_hires, step_applicants):
        year = (model.steps - 1) // model.steps_per_year
        hires[year] += step_hires
        applicants[year] += step_applicants
        record(step_hires, step_applicants)

    model.demand.record_hiring = counted  # this model's instance only
    for _ in range(years * model.steps_per_year):
        model.step()
    return hires, applicants


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    parser.add_argument("--cadre", choices=CADRES, default="nurses")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    parser.add_argument("--destinations", nargs="+", default=list(DESTINATIONS))
    parser.add_argument("--origin", default="PHL")
    args = parser.parse_args(argv)
    try:
        scenario = load_scenario(args.scenario)
        if args.set:
            scenario = scenario.with_overrides(dict(parse_set(s) for s in args.set))
        model = build_model(scenario, seed=args.seed, engine="arrays")
        iso = list(model.world.iso3)
        unknown = [c for c in [*args.destinations, args.origin] if c not in iso]
        if unknown:
            raise HrhsimError(f"--destinations/--origin: not in the simulated world: {unknown}")
        years = min(args.years, model.n_steps // model.steps_per_year)
        hires, applicants = counts_by_year(model, years)
    except HrhsimError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    k, wpa, first = CADRES.index(args.cadre), model.workers_per_agent, model.setup.start_year
    print(f"{args.cadre}: open hires / applicants (fill rate), workers a year; seed {args.seed}")
    print("| year | " + " | ".join(args.destinations) + " |")
    print("|---|" + "---|" * len(args.destinations))
    for y in range(years):
        cells = []
        for d in args.destinations:
            i = iso.index(d)
            h, a = hires[y, :, i, k].sum() * wpa, applicants[y, i, k] * wpa
            cells.append(f"{h:,.0f} / {a:,.0f} ({h / a:.0%})" if a else f"{h:,.0f} / 0")
        print(f"| {first + y} | " + " | ".join(cells) + " |")
    taken = hires[:, iso.index(args.origin), :, k].sum(axis=0) * wpa
    top = np.argsort(-taken)[:8]
    listed = ", ".join(f"{iso[t]} {taken[t]:,.0f}" for t in top if taken[t] > 0)
    print(f"\n{args.origin}'s open hires abroad, {first}-{first + years - 1}: {listed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
