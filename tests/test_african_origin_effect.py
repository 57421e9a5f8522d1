"""The African origin effect (ODD §4.2.2, `behaviour.africa_origin_effect`).

Checked in the affinity table (the effect is added to every destination of an origin in the WHO
African Region and to no other origin) and by direction: with a positive effect, on the same
seeds, more workers emigrate from the African origins, and the Indian workers they compete with
for the same posts are not hired more.
"""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.inputs.scenario import load_scenario
from sim.model.utilities import AFRICAN_REGION, affinity
from sim.runner import world_for
from tests.model_helpers import SCENARIOS, run_all, total

COUNTRIES = ["IND", "PHL", "NGA", "GHA", "ZWE", "GBR", "SAU", "IRL"]
AFRICAN = ["NGA", "GHA", "ZWE"]


def _scenario(effect: float = 0.0):
    over = {
        "world.countries": COUNTRIES,
        "scale.workers_per_agent": 100.0,
        "time.years": 4,
        "behaviour.africa_origin_effect": effect,
    }
    return load_scenario(SCENARIOS / "baseline.yaml").with_overrides(over)


@functools.cache
def _world():
    return world_for(_scenario().data)


@settings(max_examples=25, deadline=None)
@given(effect=st.floats(-10.0, 10.0))
def test_the_effect_is_added_to_every_destination_of_african_origins_only(effect):
    world = _world()
    behaviour = dict(_scenario().data["behaviour"])
    slots = np.arange(len(world.iso3))
    base = affinity(behaviour, world, slots)
    shifted = affinity({**behaviour, "africa_origin_effect": effect}, world, slots)
    african = np.asarray(world.who_region).astype(str) == AFRICAN_REGION
    assert sorted(np.asarray(world.iso3)[african]) == sorted(AFRICAN)
    np.testing.assert_allclose(shifted[african] - base[african], effect, atol=1e-9)
    np.testing.assert_array_equal(shifted[~african], base[~african])


@functools.cache
def _run(effect: float):
    ind, _ = run_all(_scenario(effect), replicates=2, seed=3)
    return ind


def test_a_positive_effect_raises_african_emigration():
    none, some = _run(0.0), _run(1.0)
    emigrants = [total(r, "emigrants", AFRICAN) for r in (none, some)]
    assert emigrants[1] > 1.2 * emigrants[0]
    india = [total(r, "emigrants", ["IND"]) for r in (none, some)]
    assert india[1] <= india[0]
