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
from sim.inputs.world import load_world
from sim.model.utilities import affinity

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
