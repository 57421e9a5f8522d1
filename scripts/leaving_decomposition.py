"""Who leaves a country's foreign-trained (or own-trained) workforce, and how: a diagnostic.

    python scripts/leaving_decomposition.py      # C08: the UK's foreign-trained nurses
    python scripts/leaving_decomposition.py --country GBR --cadre doctors --trained own
    python scripts/leaving_decomposition.py --years 2023 2024 --replicates 4 [--set PATH=VALUE ...]

Runs the calibration spec's scenario (`--spec`, default calibration/global.yaml, seeded as the
calibration's checks are) and counts, in each year of `--years`, the departures of the chosen
workers from the country by kind (retirement, death, attrition exit, voluntary leaving, return
home, onward emigration; internal moves are not departures), as a share of those workers present
at the start of the year. Prints the means over replicates in % a year. The total is what the
mapping of C08/C09 compares with the NMC's leaving rate (docs/calibration.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.calibrate.plan import make_plan  # noqa: E402
from sim.calibrate.run import replicate_seed  # noqa: E402
from sim.calibrate.spec import load_spec  # noqa: E402
from sim.declarations import CADRES  # noqa: E402
from sim.errors import HrhsimError  # noqa: E402
from sim.inputs.scenario import parse_set  # noqa: E402
from sim.model import ledger as ledger_module  # noqa: E402
from sim.runner import build_model, seed_from_sequence, world_for  # noqa: E402

KINDS = {
    ledger_module.T_RETIRE: "retirement",
    ledger_module.T_DEATH: "death",
    ledger_module.T_EXIT: "attrition exit",
    ledger_module.T_LEAVE: "voluntary leaving",
    ledger_module.T_RETURN: "return home",
    ledger_module.T_EMIGRATE: "emigration (onward, or own-trained abroad)",
}


def decompose(scenario, seed, country: int, cadre: int, foreign: bool, years: set[int]) -> dict:
    """Departures by kind and the workers present at each year's start, for one replicate."""
    model = build_model(scenario, seed=seed, world=world_for(scenario.data))
    counts = {name: 0 for name in KINDS.values()}
    present = 0
    year = {"now": None}
    apply = model.ledger.apply

    def counting_apply(tr):
        if len(tr) and year["now"] in years:
            chosen = (tr.country_from == country) & (tr.cadre == cadre)
            chosen &= (tr.origin != country) if foreign else (tr.origin == country)
            for kind, name in KINDS.items():
                counts[name] += int((chosen & (tr.kind == kind)).sum())
        apply(tr)

    model.ledger.apply = counting_apply
    spy = model.steps_per_year
    while model.steps < model.n_steps:
        t = model.steps
        year["now"] = model.start_year + t // spy
        if t % spy == 0 and year["now"] in years:
            stock = model.ledger.stock[:, country, :, cadre].sum(axis=1)  # by origin, agents
            present += int(stock.sum() - stock[country]) if foreign else int(stock[country])
        model.step()
    return {"counts": counts, "present": present}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=str(ROOT / "calibration" / "global.yaml"))
    parser.add_argument("--country", default="GBR")
    parser.add_argument("--cadre", default="nurses", choices=CADRES)
    parser.add_argument("--trained", default="foreign", choices=("foreign", "own"))
    parser.add_argument("--years", type=int, nargs="+", default=[2023, 2024])
    parser.add_argument("--replicates", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    args = parser.parse_args(argv)
    spec = load_spec(args.spec)
    scenario = make_plan(spec).scenario
    try:
        overrides = dict(parse_set(item) for item in args.set)
    except HrhsimError as err:
        parser.error(str(err))
    if overrides:
        scenario = scenario.with_overrides(overrides)
    iso3 = [str(x) for x in np.asarray(world_for(scenario.data).iso3)]
    if args.country not in iso3:
        parser.error(f"--country {args.country}: not a country of the world")
    last = int(scenario.data["time"]["start_year"]) + int(scenario.data["time"]["years"]) - 1
    if not all(int(scenario.data["time"]["start_year"]) <= y <= last for y in args.years):
        parser.error(f"--years: the run simulates {scenario.data['time']['start_year']}-{last}")
    runs = [
        decompose(
            scenario,
            seed_from_sequence(replicate_seed(spec.seed, r)),
            iso3.index(args.country),
            CADRES.index(args.cadre),
            args.trained == "foreign",
            set(args.years),
        )
        for r in range(args.replicates)
    ]
    present = sum(r["present"] for r in runs)
    print(
        f"{args.country} {args.trained}-trained {args.cadre}, {args.years}, "
        f"{args.replicates} replicates: departures in % a year of those present at its start"
    )
    total = 0.0
    for name in KINDS.values():
        rate = 100.0 * sum(r["counts"][name] for r in runs) / max(present, 1)
        total += rate
        print(f"  {name:45s} {rate:5.2f}")
    print(f"  {'all departures':45s} {total:5.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
