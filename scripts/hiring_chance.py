"""Who is taken where: open recruitment's applications, hires and fill rate by destination and year.

    python scripts/hiring_chance.py [--scenario scenarios/baseline.yaml] [--cadre nurses]
                                    [--seed 1] [--years 5] [--set PATH=VALUE ...]
                                    [--destinations GBR USA ...] [--origin PHL]
                                    [--without-deployment-caps]

Runs one replicate of the scenario from its first simulated year (the spin-up's included) and
prints, for each year and destination, the applications to its open recruitment, its open hires
and their ratio, the fill rate that `behaviour.hiring_chance_weight` weighs (docs/ODD.md §4.2.2);
then where the origin's applications went and where it was hired (by year, and to the first
listed destination), and where the first listed destination's applications came from.
`--without-deployment-caps` lifts the world data's caps on an origin's deployments of new hires
(the Philippines' in 2020-2022; `World.deployment_cap`), to see what they hold back. An
application is one worker applying in one step: a worker turned away who applies again at a
later decision counts again. Counts are workers (agents × ω) over the years shown. The table
leaves out applications taken under an agreement and their hires, as the model's chance of a post
does; the origin's and the destination's lines count them (`counts_by_year`).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.declarations import CADRES  # noqa: E402
from sim.errors import HrhsimError  # noqa: E402
from sim.inputs.scenario import load_scenario, parse_set  # noqa: E402
from sim.model.population import APPLY_EMIGRATE  # noqa: E402
from sim.runner import build_model, world_for  # noqa: E402

DESTINATIONS = ("GBR", "USA", "SAU", "AUS", "CAN", "SGP", "IRL", "ARE", "QAT", "DEU", "NZL")


def counts_by_year(model, years: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """By year of the run, in agents: open hires and applications (Y, C destination, K), the
    model's own `Demand.record_hiring` inputs summed over each year's steps; every application
    abroad (Y, C origin, C destination, K) from phase 3's applicants (`Population.decide`); and
    every hire abroad (Y, C origin, C destination, K) from phase 4's emigrants
    (`WorkforceModel._match`). The last two include those taken under an agreement."""
    n, k = model.demand.hired.shape
    hires, applicants = np.zeros((years, n, k)), np.zeros((years, n, k))
    applied, moved = np.zeros((years, n, n, k)), np.zeros((years, n, n, k))
    record, decide, match = model.demand.record_hiring, model.population.decide, model._match

    def counted(step_hires, step_applicants):
        year = (model.steps - 1) // model.steps_per_year
        hires[year] += step_hires
        applicants[year] += step_applicants
        record(step_hires, step_applicants)

    def matched(step, pol, apps, context):
        emigrated = match(step, pol, apps, context)
        where = (emigrated.origin, emigrated.country_to, emigrated.cadre)
        np.add.at(moved[step // model.steps_per_year], where, 1)
        return emigrated

    def deciding(step, context):
        moves, apps = decide(step, context)
        abroad = apps.kind == APPLY_EMIGRATE
        year = step // model.steps_per_year
        where = (apps.origin[abroad], apps.destination[abroad], apps.cadre[abroad])
        np.add.at(applied[year], where, 1)
        return moves, apps

    model.demand.record_hiring = counted  # this model's instances only
    model.population.decide = deciding
    model._match = matched
    for _ in range(years * model.steps_per_year):
        model.step()
    return hires, applicants, applied, moved


def shares(counts: np.ndarray, iso: list[str], top: int = 8) -> str:
    """The largest entries of `counts` (C,) as "ISO3 n (share)"."""
    total = counts.sum()
    order = [i for i in np.argsort(-counts, kind="stable")[:top] if counts[i] > 0]
    return ", ".join(f"{iso[i]} {counts[i]:,.0f} ({counts[i] / total:.0%})" for i in order)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    parser.add_argument("--cadre", choices=CADRES, default="nurses")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    parser.add_argument("--destinations", nargs="+", default=list(DESTINATIONS))
    parser.add_argument("--origin", default="PHL")
    parser.add_argument(
        "--without-deployment-caps",
        action="store_true",
        help="lift the world data's caps on deployments of new hires (World.deployment_cap)",
    )
    args = parser.parse_args(argv)
    try:
        scenario = load_scenario(args.scenario)
        if args.set:
            scenario = scenario.with_overrides(dict(parse_set(s) for s in args.set))
        world = world_for(scenario.data)
        if args.without_deployment_caps and world.deployment_cap is not None:
            uncapped = np.full_like(world.deployment_cap, np.inf)
            world = dataclasses.replace(world, deployment_cap=uncapped)
        model = build_model(scenario, seed=args.seed, engine="arrays", world=world)
        iso = list(model.world.iso3)
        unknown = [c for c in [*args.destinations, args.origin] if c not in iso]
        if unknown:
            raise HrhsimError(f"--destinations/--origin: not in the simulated world: {unknown}")
        years = min(args.years, model.n_steps // model.steps_per_year)
        hires, applicants, applied, moved = counts_by_year(model, years)
    except HrhsimError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    k, wpa, first = CADRES.index(args.cadre), model.workers_per_agent, model.setup.start_year
    print(f"{args.cadre}: open hires / applications (fill rate), workers a year; seed {args.seed}")
    print("| year | " + " | ".join(args.destinations) + " |")
    print("|---|" + "---|" * len(args.destinations))
    for y in range(years):
        cells = []
        for d in args.destinations:
            i = iso.index(d)
            h, a = hires[y, i, k] * wpa, applicants[y, i, k] * wpa
            cells.append(f"{h:,.0f} / {a:,.0f} ({h / a:.0%})" if a else f"{h:,.0f} / 0")
        print(f"| {first + y} | " + " | ".join(cells) + " |")
    span, o, d = (
        f"{first}-{first + years - 1}",
        iso.index(args.origin),
        iso.index(args.destinations[0]),
    )
    sent = applied[:, o, :, k].sum(axis=0) * wpa
    print(f"\n{args.origin}'s applications abroad, {span}: {shares(sent, iso)}")
    taken = moved[:, o, :, k].sum(axis=0) * wpa
    print(f"{args.origin}'s hires abroad, {span}: {shares(taken, iso)}")
    by_year = moved[:, o, :, k] * wpa  # (Y, C destination)
    print(
        f"{args.origin}'s hires abroad by year (to {args.destinations[0]}): "
        + ", ".join(
            f"{first + y} {by_year[y].sum():,.0f} ({by_year[y, d]:,.0f})" for y in range(years)
        )
    )
    came = applied[:, :, d, k].sum(axis=0) * wpa
    print(f"Applications to {args.destinations[0]} by origin, {span}: {shares(came, iso)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
