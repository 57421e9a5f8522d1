"""Expedited recognition pathways in the destination choice (ODD §4.2.2,
`behaviour.recognition_pathway_effect`).

A destination that registers a cadre trained in an origin without its own examinations
(``recruitment_channels.csv``, rows ``expedited_recognition``: Australia's Competent Authority
pathway, New Zealand's, the Trans-Tasman Mutual Recognition Act) carries μ_R more utility for that
origin's workers of the cadre from the pathway's first year:
affinity[o, d, k] + μ_G·[partner_from ≤ year] + μ_R·[recognition_from ≤ year].
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.declarations import CADRES
from sim.errors import WorldError
from sim.inputs.dated_facts import channel_arrays
from sim.inputs.scenario import load_scenario
from sim.model import utilities
from sim.runner import world_for
from tests.model_helpers import SCENARIOS, make_model
from tests.test_recruitment_channels import channel_table, g2g

NURSES, DOCTORS = CADRES.index("nurses"), CADRES.index("doctors")
CODES = ["AUS", "NZL", "GBR", "IRL", "IND", "USA"]
PATHWAY_ORIGINS = ("GBR", "IRL", "USA", "CAN", "NZL")
"""The origins whose doctors Australia registers through its Competent Authority pathway."""


def pathway(country, cadre, partner, year=""):
    return g2g(country, cadre, partner, year, channel="expedited_recognition")


def test_pathway_rows_give_each_partner_its_first_year_apart_from_the_channels():
    table = channel_table([
        pathway("AUS", "doctors", "GBR IRL USA NZL", "2007"),
        pathway("NZL", "doctors", "GBR IRL"),  # no year: in force always
        pathway("AUS", "both", "NZL", "1998"),  # the earlier of two rows for AUS <- NZL doctors
        g2g("GBR", "nurses", "IND", "2021"),  # a channel: not a pathway
    ])  # fmt: skip
    arrays = channel_arrays(table, CODES)
    got, channels = arrays["recognition_pathway_from"], arrays["recruitment_partner_from"]
    pos = {c: i for i, c in enumerate(CODES)}
    expected = np.full((len(CODES), len(CODES), len(CADRES)), np.inf)
    for origin in ("GBR", "IRL", "USA"):
        expected[pos[origin], pos["AUS"], DOCTORS] = 2007
    expected[pos["NZL"], pos["AUS"], :] = 1998
    expected[[pos["GBR"], pos["IRL"]], pos["NZL"], DOCTORS] = 0
    assert np.array_equal(got, expected)
    assert channels[pos["IND"], pos["GBR"], NURSES] == 2021
    assert not np.isnan(channels).any() and not np.isnan(got).any()
    assert np.isfinite(channels).sum() == 1


def test_a_pathway_row_the_model_cannot_read_is_a_clear_error():
    with pytest.raises(WorldError, match="names the partner 'UK'") as err:
        channel_arrays(channel_table([pathway("AUS", "doctors", "UK", "2007")]), CODES)
    assert "recruitment_channels.csv" in str(err.value) and "partner" in str(err.value)


def test_the_bundled_world_carries_the_pathways_and_keeps_them_in_a_subset():
    world = world_for(load_scenario(SCENARIOS / "baseline.yaml").data)
    pos = {c: i for i, c in enumerate(world.iso3)}
    table = world.recognition_pathway_from
    assert table.shape == (len(pos), len(pos), len(CADRES))
    for origin in PATHWAY_ORIGINS:
        assert table[pos[origin], pos["AUS"], DOCTORS] == (1998 if origin == "NZL" else 2007)
    assert table[pos["GBR"], pos["AUS"], NURSES] == np.inf
    assert table[pos["IND"], pos["AUS"]].tolist() == [np.inf, np.inf]
    assert (
        table[pos["GBR"], pos["NZL"], DOCTORS] == 0
        and table[pos["USA"], pos["NZL"], DOCTORS] == np.inf
    )
    assert table[pos["AUS"], pos["NZL"]].tolist() == [1998, 1998]
    assert np.isfinite(table).sum() == 10  # AUS 5 doctors + 1 nurses; NZL 3 doctors + 1 nurses
    sub = world.subset(["AUS", "GBR", "IND"])
    assert sub.recognition_pathway_from[1, 0, DOCTORS] == 2007
    assert np.isinf(sub.recognition_pathway_from[2, 0]).all()


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.floats(-3.0, 3.0, allow_nan=False),
    st.floats(-3.0, 3.0, allow_nan=False),
    st.integers(1990, 2040),
)
def test_a_pathway_adds_its_effect_to_its_pair_and_cadre_from_its_first_year(
    seed, channel, effect, year
):
    rng = np.random.default_rng(seed)
    shape = (5, 3, len(CADRES))
    affinity = rng.normal(0.0, 2.0, shape)

    def dated_table():
        return np.where(rng.random(shape) < 0.3, rng.integers(1990, 2040, shape), np.inf)

    setup = SimpleNamespace(
        affinity=affinity, partner_from=dated_table(), recognition_from=dated_table()
    )
    behaviour = {"recruitment_channel_effect": channel, "recognition_pathway_effect": effect}
    got = utilities.dated_affinity(behaviour, setup, year)
    assert got.shape == shape and got.flags.c_contiguous
    expected = (
        affinity
        + np.where(setup.partner_from <= year, channel, 0.0)
        + np.where(setup.recognition_from <= year, effect, 0.0)
    )
    assert np.allclose(got, expected, atol=1e-12)
    none = {"recruitment_channel_effect": 0.0, "recognition_pathway_effect": 0.0}
    assert np.array_equal(utilities.dated_affinity(none, setup, year), affinity)


def australias_doctors_from_pathway_origins(effect: float) -> float:
    """Australia's doctors trained in its Competent Authority pathway's five origins at the end
    of a three-year global run (workers), with the pathways' utility `effect`."""
    scenario = load_scenario(SCENARIOS / "baseline.yaml").with_overrides(
        {"behaviour.recognition_pathway_effect": effect, "time.years": 3}
    )
    model = make_model(scenario, seed=5, engine="arrays")
    model.run()
    iso = list(model.world.iso3)
    origins = [iso.index(c) for c in PATHWAY_ORIGINS]
    at_aus = model.ledger.stock[origins, iso.index("AUS"), :, DOCTORS].sum()
    return float(at_aus * model.workers_per_agent)


def test_pathways_move_the_pathway_origins_doctors_to_australia():
    """With the pathways, more of Australia's doctors come from the countries it registers
    without examinations (the UK's, above all), where without them few of these come."""
    without, with_pathways = (australias_doctors_from_pathway_origins(e) for e in (0.0, 3.0))
    assert with_pathways > without + 1000.0, (without, with_pathways)
