"""Scale does not bias the headline outcomes (issue 11, N2): the shipped default of workers per
agent gives the same headline outcomes as ω = 5, within 5%, on a subset of the global world.

The global figure comes from `python benchmarks/scale_bias.py` (docs/validation.md §11); this test
runs a subset of small and middle-sized sources and destinations, where rounding to agents bites
hardest, with the shipped baseline's ω against ω = 5 and the same seeds.
"""

from __future__ import annotations

import functools

import pytest

import sim
from tests.model_helpers import SCENARIOS

COUNTRIES = ["GHA", "KEN", "ZWE", "NPL", "LKA", "JAM", "PHL", "GBR", "IRL", "NZL", "SAU"]
HEADLINE = (
    "safeguards_density",
    "safeguards_emigration",
    "destination_immigration",
    "destination_vacancy_rate",
    "destination_foreign_share",
    "rural_urban_ratio",
    "world_density",
)
FLOWS = {"safeguards_emigration", "destination_immigration"}
REPLICATES = {5.0: 3}
"""Replicates by scale. The shipped scale's flows from this subset are a dozen agents a year, so
one replicate's Monte Carlo noise is several percent; the coarse scale (cheap) runs enough
replicates that its noise is well under the 5% being tested (a dozen agents a year at ω = 200
give a standard error of about 5% a replicate; 40 replicates about 1%)."""
COARSE_REPLICATES = 40


def shipped_scale() -> float:
    return float(sim.load_scenario(SCENARIOS / "baseline.yaml").data["scale"]["workers_per_agent"])


@functools.cache
def outcomes(scale: float) -> dict[str, float]:
    scenario = sim.load_scenario(SCENARIOS / "baseline.yaml").with_overrides(
        {"scale.workers_per_agent": scale, "world.countries": COUNTRIES, "engine": "arrays"}
    )
    replicates = REPLICATES.get(scale, COARSE_REPLICATES)
    values = sim.run(scenario, replicates=replicates, seed=7).outcomes(list(HEADLINE))
    horizon = int(values.year.max())
    out = {}
    for name in HEADLINE:
        rows = values[values.outcome == name]
        if name in FLOWS:  # a flow: its mean a year over the run, less noisy than one year
            rows = rows[rows.year > rows.year.min()]
            out[name] = float(rows.groupby("replicate").value.mean().mean())
        else:
            out[name] = float(rows[rows.year == horizon].value.mean())
    return out


@pytest.mark.parametrize("name", HEADLINE)
def test_the_shipped_scale_keeps_headline_outcomes_within_5_percent_of_scale_5(name):
    fine, shipped = outcomes(5.0), outcomes(shipped_scale())
    assert fine[name] != 0
    assert shipped[name] == pytest.approx(fine[name], rel=0.05)
