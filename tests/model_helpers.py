"""Shared helpers for the model tests: scenarios on the archetype world and step-by-step runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.inputs.scenario import load_scenario
from sim.model.model import WorkforceModel
from sim.runner import build_model, replicate_seeds, run_replicate, world_for

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def archetypes(overrides: dict | None = None, name: str = "archetypes_baseline.yaml"):
    """A scenario from the library, with dotted-path overrides."""
    scenario = load_scenario(SCENARIOS / name)
    return scenario.with_overrides(overrides) if overrides else scenario


def make_model(scenario, seed: int = 1, engine: str = "agents", **kw) -> WorkforceModel:
    """A model of the scenario on its world."""
    return build_model(scenario, seed=seed, engine=engine, **kw)


def run_all(scenario, replicates: int = 3, seed: int = 11, engine: str | None = None):
    """Indicators and flows of several replicates (same seeds for every scenario)."""
    results = [
        run_replicate(scenario, r, ss, engine=engine)
        for r, ss in enumerate(replicate_seeds(seed, replicates))
    ]
    return (
        pd.concat([r.indicators for r in results], ignore_index=True),
        pd.concat([r.flows for r in results], ignore_index=True),
    )


def total(ind: pd.DataFrame, indicator: str, countries, years=None, cadre="all", area="all"):
    """Sum of an indicator over countries, years and replicates."""
    rows = ind[(ind.indicator == indicator) & (ind.cadre == cadre) & (ind.area == area)]
    rows = rows[rows.country.isin(list(countries))]
    if years is not None:
        rows = rows[rows.year.isin(list(years))]
    return float(rows.value.sum())


def codes(scenario, mask_name: str) -> list[str]:
    """ISO3 codes of the scenario's world on the safeguards list or high income."""
    world = world_for(scenario.data)
    iso = np.asarray(world.iso3).astype(str)
    if mask_name == "safeguards":
        return list(iso[np.asarray(world.safeguards, dtype=bool)])
    return list(iso[np.asarray(world.income_group) == "H"])
