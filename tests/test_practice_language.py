"""The language of practice in the destination utility (ODD §4.2.2, docs/data.md §1.5).

The affinity table adds β_lang where the origin shares the destination's language of practice of
the cadre: the common official language, except at the Gulf's destinations, whose health systems
work in English, the rule that also builds the initial foreign-trained stock. A world without the
table (world files) reads the common official language for both cadres.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.declarations import CADRES
from sim.inputs.scenario import load_scenario
from sim.inputs.world import load_world
from sim.model.utilities import affinity
from sim.runner import world_for
from tests.model_helpers import SCENARIOS, make_model

NURSES, DOCTORS = CADRES.index("nurses"), CADRES.index("doctors")


def _behaviour(weight: float) -> dict:
    return {
        "distance_weight": 0.5,
        "language_weight": weight,
        "colony_weight": 0.4,
        "africa_origin_effect": 0.3,
        "free_movement_effect": 0.2,
    }


@settings(max_examples=20, deadline=None)
@given(weight=st.floats(-5.0, 5.0), drop=st.integers(0, 193))
def test_the_language_term_reads_the_language_of_practice_of_each_cadre(weight, drop):
    world = load_world("global")
    slots = np.array([c for c in range(world.n_countries) if c != drop])[::-1]
    with_language = affinity(_behaviour(weight), world, slots)
    without = affinity(_behaviour(0.0), world, slots)
    practice = np.asarray(world.practice_language)[:, slots, :]
    np.testing.assert_allclose(with_language - without, weight * practice, atol=1e-9)


def test_the_gulf_reads_english_for_nurses():
    world = load_world("global")
    i, slots = world.index, np.arange(world.n_countries)
    table = affinity(_behaviour(0.6), world, slots)
    # the Philippines shares no official language with Saudi Arabia, the language of practice
    assert table[i("PHL"), i("SAU"), NURSES] - table[i("PHL"), i("SAU"), DOCTORS] == 0.0
    common = dataclasses.replace(world, practice_language=None)
    official = affinity(_behaviour(0.6), common, slots)
    assert np.isclose(table[i("PHL"), i("SAU"), NURSES] - official[i("PHL"), i("SAU"), NURSES], 0.6)
    # Egypt's nurses practise in English there, its doctors in Arabic too
    assert np.isclose(official[i("EGY"), i("SAU"), NURSES] - table[i("EGY"), i("SAU"), NURSES], 0.6)
    assert table[i("EGY"), i("SAU"), DOCTORS] == official[i("EGY"), i("SAU"), DOCTORS]
    # outside the Gulf nothing changes
    gulf = [i(c) for c in ("ARE", "BHR", "KWT", "OMN", "QAT", "SAU")]
    rest = np.setdiff1d(slots, gulf)
    np.testing.assert_array_equal(table[:, rest], official[:, rest])


def test_a_world_without_the_table_reads_the_common_language_for_both_cadres():
    world = load_world("archetypes")
    assert world.practice_language is None
    slots = np.arange(world.n_countries)
    table = affinity(_behaviour(0.6), world, slots)
    without = affinity(_behaviour(0.0), world, slots)
    for k in range(len(CADRES)):
        np.testing.assert_allclose(
            table[:, :, k] - without[:, :, k], 0.6 * np.asarray(world.common_language), atol=1e-12
        )


def _gulf_nurses_by_origin(read_practice: bool) -> dict[str, float]:
    """Saudi Arabia's and the UAE's nurses by country of training at the end of a three-year run
    of the shipped baseline on a few countries, same seed, with or without the language of
    practice (workers)."""
    scenario = load_scenario(SCENARIOS / "baseline.yaml").with_overrides(
        {
            "world.countries": ["PHL", "IND", "EGY", "SDN", "NGA", "SAU", "ARE", "GBR", "USA"],
            "scale.workers_per_agent": 20.0,
            "time.years": 3,
        }
    )
    world = world_for(scenario.data)
    if not read_practice:
        world = dataclasses.replace(world, practice_language=None)
    model = make_model(scenario, seed=3, engine="arrays", world=world)
    model.run()
    iso = list(model.world.iso3)
    gulf = [iso.index("SAU"), iso.index("ARE")]
    stock = model.ledger.stock[:, gulf][..., NURSES].sum(axis=(1, 2)) * model.workers_per_agent
    return dict(zip(iso, stock.tolist(), strict=True))


def test_the_gulf_recruits_more_english_speaking_nurses_with_the_language_of_practice():
    """Direction: on the same seed, reading English as the Gulf's language of practice sends
    more of the Philippines' and India's nurses there, and fewer of Egypt's and Sudan's, than
    reading the official language (Arabic) does."""
    practice, official = _gulf_nurses_by_origin(True), _gulf_nurses_by_origin(False)
    english = ("PHL", "IND")
    arabic = ("EGY", "SDN")
    assert sum(practice[c] for c in english) > sum(official[c] for c in english) + 1000
    assert sum(practice[c] for c in arabic) < sum(official[c] for c in arabic)
