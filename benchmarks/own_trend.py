"""How close each income group's own-trained stock at home stays to its trend (ODD §7.6).

Base graduate output replaces the reference voluntary outflow so that the own-trained stock follows
its observed trend while the outflow does; this prints, for the shipped global baseline (or another
scenario), the own-trained workers at home after `--years` years over that trend, by income group
and cadre, for each seed.

    python benchmarks/own_trend.py [--scenario scenarios/baseline.yaml] [--years 5] [--seeds 1 2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.declarations import CADRES, INCOME_GROUPS
from sim.inputs.scenario import load_scenario
from sim.model import initial
from sim.runner import build_model


def own_at_home(model) -> np.ndarray:
    """(C, K) own-trained agents working in their training country."""
    return initial.own_at_home(model.ledger.stock).sum(axis=1).astype(np.float64)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/baseline.yaml")
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario)
    heads = "  ".join(f"{k:>8}" for k in CADRES)
    print(f"seed  group  {heads}   (own-trained at home / trend)")
    for seed in args.seeds:
        model = build_model(scenario, seed=seed, engine="arrays")
        s = model.setup
        start = own_at_home(model)
        for _ in range(args.years * s.steps_per_year):
            model.step()
        trend = np.exp(s.trend.log_factor(float(s.start_year), s.start_year + args.years))
        ratio_of = own_at_home(model), start * trend
        income = np.asarray(model.world.income_group)
        for g in INCOME_GROUPS:
            mask = income == g
            ratio = ratio_of[0][mask].sum(axis=0) / ratio_of[1][mask].sum(axis=0)
            print(f"{seed:>4}  {g:>5}  " + "  ".join(f"{r:8.4f}" for r in ratio))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
