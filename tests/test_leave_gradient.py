"""The income gradient of leaving the profession (ODD §4.2.2): V_leave falls by g per unit of
ι[c] = ln(GDP per capita / the world's median).

Checked by definition (g = 0 is the model without it; the difference is the documented term,
the same for natives and migrants), by its reference (ι is the whole world's, whatever the
countries simulated) and by direction: with g > 0 a rich country's workers leave the profession
less and a poor country's more, in runs with the same seeds.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim.inputs.scenario import load_scenario
from sim.model.utilities import leave_utility
from sim.runner import world_for
from tests.model_helpers import SCENARIOS, run_all


def _behaviour(gradient: float) -> dict:
    return {
        "wage_weight": 1.8,
        "outside_wage_ratio": 0.9,
        "leave_constant": -3.5,
        "migrant_leave_shift": -1.5,
        "leave_income_gradient": gradient,
    }


@settings(max_examples=60, deadline=None)
@given(
    wages=hnp.arrays(np.float64, (5, 2), elements=st.floats(100.0, 1e6)),
    income=hnp.arrays(np.float64, (5,), elements=st.floats(-4.0, 4.0)),
    gradient=st.floats(0.0, 5.0),
)
def test_the_gradient_is_the_documented_term(wages, income, gradient):
    pol = SimpleNamespace(wage_multiplier=np.ones(5))
    with_g = leave_utility(_behaviour(gradient), wages, pol, income)
    without = leave_utility(_behaviour(0.0), wages, pol, income)
    expected = -gradient * income[:, None, None] * np.ones((1, 2, 2))
    np.testing.assert_allclose(with_g - without, expected, rtol=1e-9, atol=1e-9)


def test_the_reference_is_the_whole_worlds_median():
    base = load_scenario(SCENARIOS / "baseline.yaml")
    world = world_for(base.data)
    gdp = np.asarray(world.gdp_pc_ppp, dtype=np.float64)
    np.testing.assert_allclose(world.income_relative, np.log(gdp / np.median(gdp)), rtol=1e-12)
    small = world_for(base.with_overrides({"world.countries": ["GBR", "GHA", "USA"]}).data)
    for code in ("GBR", "GHA", "USA"):
        assert small.income_relative[small.index(code)] == world.income_relative[world.index(code)]
    assert (
        world.income_relative[world.index("GBR")]
        > 1.0
        > -0.5
        > world.income_relative[world.index("GHA")]
    )


def _scenario(gradient: float):
    over = {
        "world.countries": ["GBR", "GHA", "NGA", "IND", "PHL", "USA"],
        "scale.workers_per_agent": 100.0,
        "time.years": 3,
        "behaviour.leave_income_gradient": gradient,
    }
    return load_scenario(SCENARIOS / "baseline.yaml").with_overrides(over)


@functools.cache
def _voluntary_exits(gradient: float) -> dict:
    ind, _ = run_all(_scenario(gradient), replicates=2, seed=5)
    rows = ind[(ind.indicator == "exits_voluntary") & (ind.cadre == "all") & (ind.area == "all")]
    return rows.groupby("country").value.sum().to_dict()


@pytest.mark.parametrize("gradient", [0.5, 1.0])
def test_a_gradient_moves_leaving_from_rich_to_poor_countries(gradient):
    flat, steep = _voluntary_exits(0.0), _voluntary_exits(gradient)
    for rich in ("GBR", "USA"):
        assert steep[rich] < 0.9 * flat[rich]
    for poor in ("GHA", "NGA"):
        assert steep[poor] > 1.1 * flat[poor]
