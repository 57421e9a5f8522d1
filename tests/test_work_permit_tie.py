"""The work-permit tie on a migrant's leaving in place (ODD §4.2.2, `migrant_leave_shift`) and on
a migrant's attrition (ODD §7.3, `hazards.migrant_attrition_ratio`).

Checked in the utilities (a migrant's V_leave is a native's plus γ_lm, for every country, cadre and
wage) and by direction: with a stronger tie, on the same seeds, fewer foreign-trained workers
leave the destinations and fewer workers leave the profession there. The decision table
(tests/test_decision_table.py) checks that the tie weighs on migrants only; the hazard tables
(tests/test_realism.py) that the attrition ratio scales the migrants' exit only.
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
from tests.model_helpers import SCENARIOS, run_all, total

COUNTRIES = ["IND", "PHL", "NGA", "GHA", "GBR", "SAU", "IRL"]
DESTINATIONS = ["GBR", "SAU", "IRL"]


@settings(max_examples=50, deadline=None)
@given(
    shift=st.floats(-50.0, 0.0),
    leave=st.floats(-10.0, 0.0),
    wages=hnp.arrays(np.float64, (4, 2), elements=st.floats(100.0, 1e6)),
    multiplier=hnp.arrays(np.float64, (4,), elements=st.floats(0.5, 2.0)),
)
def test_a_migrants_leaving_is_a_natives_plus_the_tie(shift, leave, wages, multiplier):
    behaviour = {
        "wage_weight": 1.5,
        "outside_wage_ratio": 0.8,
        "leave_constant": leave,
        "migrant_leave_shift": shift,
        "leave_income_gradient": 0.0,
    }
    v = leave_utility(behaviour, wages, SimpleNamespace(wage_multiplier=multiplier), np.ones(4))
    assert v.shape == (4, 2, 2)
    expected = 1.5 * np.log(0.8 * wages * multiplier[:, None]) + leave
    np.testing.assert_allclose(v[..., 0], expected, rtol=1e-12)
    np.testing.assert_allclose(v[..., 1] - v[..., 0], shift, atol=1e-9)


def _scenario(shift: float, attrition_ratio: float = 1.0):
    over = {
        "world.countries": COUNTRIES,
        "scale.workers_per_agent": 100.0,
        "time.years": 4,
        "behaviour.migrant_leave_shift": shift,
        "hazards.migrant_attrition_ratio": attrition_ratio,
    }
    return load_scenario(SCENARIOS / "baseline.yaml").with_overrides(over)


@functools.cache
def _run(shift: float, attrition_ratio: float = 1.0):
    ind, _ = run_all(_scenario(shift, attrition_ratio), replicates=2, seed=5)
    return ind


@pytest.mark.parametrize("shift", [-1.0, -3.0])
def test_a_stronger_tie_keeps_foreign_trained_workers_in_the_destinations(shift):
    loose, tied = _run(0.0), _run(shift)
    leavers = [total(r, "foreign_trained_leavers", DESTINATIONS) for r in (loose, tied)]
    exits = [total(r, "exits_voluntary", DESTINATIONS) for r in (loose, tied)]
    assert leavers[1] < 0.95 * leavers[0]
    assert exits[1] < exits[0]


def test_a_lower_migrant_attrition_keeps_foreign_trained_workers_in_the_destinations():
    """Same seeds, the migrants' exit hazard at 0.3 of the natives': fewer foreign-trained workers
    leave the destinations and fewer exits there; the sources, almost all natives, barely move."""
    same, lower = _run(-1.0), _run(-1.0, 0.3)
    leavers = [total(r, "foreign_trained_leavers", DESTINATIONS) for r in (same, lower)]
    exits = [total(r, "exits", DESTINATIONS) for r in (same, lower)]
    sources = [total(r, "exits", ["IND", "PHL", "NGA", "GHA"]) for r in (same, lower)]
    assert leavers[1] < 0.9 * leavers[0]
    assert exits[1] < exits[0]
    assert sources[1] == pytest.approx(sources[0], rel=0.05)
