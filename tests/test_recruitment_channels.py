"""Government-to-government recruitment channels in the destination choice (ODD §4.2.2,
`behaviour.recruitment_channel_effect`).

A destination that recruits a cadre in an origin through a government-to-government channel
(``recruitment_channels.csv``) carries μ_G more utility for that origin's workers of the cadre,
from the channel's first year: affinity[o, d, k] = affinity[o, d] + μ_G·[partner_from ≤ year].
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
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

NURSES, DOCTORS = CADRES.index("nurses"), CADRES.index("doctors")
CODES = ["GBR", "PHL", "KEN", "IND", "DEU", "JPN", "IDN"]


def channel_table(rows: list[dict]) -> pd.DataFrame:
    """A ``recruitment_channels.csv`` of the given rows, every other column empty."""
    columns = ["country", "side", "cadre", "channel", "partner", "annual_ceiling",
               "ceiling_scope", "year_from", "year_to"]  # fmt: skip
    return pd.DataFrame([{c: row.get(c, "") for c in columns} for row in rows], dtype=str)


def g2g(country, cadre, partner, year="", side="destination", channel="government_to_government"):
    return dict(country=country, side=side, cadre=cadre, channel=channel, partner=partner,
                year_from=year)  # fmt: skip


def test_channel_rows_give_each_partner_its_first_year_by_cadre():
    table = channel_table([
        g2g("GBR", "nurses", "PHL KEN", "2003"),
        g2g("GBR", "nurses", "PHL", "1999"),  # a second row for the same pair: the earlier year
        g2g("GBR", "both", "IND", "2021"),
        g2g("DEU", "both", "IDN", "2013"),
        g2g("JPN", "nurses", "IDN"),  # no year: in force always
        g2g("GBR", "both", "IDN", "2020", side="origin"),  # an origin's row names no partner
        g2g("DEU", "nurses", "IDN", "2020", channel="employer_driven"),
    ])  # fmt: skip
    got = channel_arrays(table, CODES)["recruitment_partner_from"]
    pos = {c: i for i, c in enumerate(CODES)}
    expected = np.full((len(CODES), len(CODES), len(CADRES)), np.inf)
    expected[pos["PHL"], pos["GBR"], NURSES] = 1999
    expected[pos["KEN"], pos["GBR"], NURSES] = 2003
    expected[pos["IND"], pos["GBR"], :] = 2021
    expected[pos["IDN"], pos["JPN"], NURSES] = 0
    expected[pos["IDN"], pos["DEU"], :] = 2013
    assert np.array_equal(got, expected)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (dict(g2g("GBR", "nurses", "PHL", "2003"), year_to="2030"), "ends in 2030"),
        (g2g("GBR", "nurses", "PHL KNE", "2021"), "names the partner 'KNE'"),
        (g2g("GBR", "nurses", "PHL", "from 2003"), "starts in 'from 2003'"),
    ],
)
def test_a_channel_row_the_model_cannot_read_is_a_clear_error(row, message):
    with pytest.raises(WorldError, match=message) as err:
        channel_arrays(channel_table([row]), CODES)
    assert "recruitment_channels.csv" in str(err.value)
    assert "government-to-government channel of GBR (nurses)" in str(err.value)


def test_the_bundled_world_carries_the_tables_channels_and_keeps_them_in_a_subset():
    world = world_for(load_scenario(SCENARIOS / "baseline.yaml").data)
    pos = {c: i for i, c in enumerate(world.iso3)}
    partner_from = world.recruitment_partner_from
    assert partner_from.shape == (len(pos), len(pos), len(CADRES))
    assert partner_from[pos["PHL"], pos["GBR"], NURSES] == 2003
    assert partner_from[pos["PHL"], pos["GBR"], DOCTORS] == np.inf
    assert (partner_from[pos["KEN"], pos["GBR"]] == 2021).all()
    # Germany's Triple Win: a placement programme (about 1,000 a year), recorded, not read
    assert np.isinf(partner_from[:, pos["DEU"]]).all()
    assert partner_from[pos["VNM"], pos["JPN"], NURSES] == 2014
    assert partner_from[pos["NGA"], pos["GBR"]].tolist() == [np.inf, np.inf]
    # Kerala's agreements with NHS partners: a state's, recorded as `subnational_partnership`
    # (docs/data.md §4), not a national channel
    assert partner_from[pos["IND"], pos["GBR"]].tolist() == [np.inf, np.inf]
    assert np.isinf(partner_from[np.arange(len(pos)), np.arange(len(pos))]).all()
    sub = world.subset(["GBR", "NGA", "PHL"])
    assert sub.recruitment_partner_from[2, 0, NURSES] == 2003
    assert np.isinf(sub.recruitment_partner_from[1, 0]).all()


def effects(channel: float, pathway: float = 0.0) -> dict:
    """The behaviour `dated_affinity` reads: μ_G and μ_R."""
    return {"recruitment_channel_effect": channel, "recognition_pathway_effect": pathway}


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.floats(-3.0, 3.0, allow_nan=False),
    st.integers(1990, 2040),
)
def test_a_channel_adds_its_effect_to_its_pair_and_cadre_from_its_first_year(seed, effect, year):
    rng = np.random.default_rng(seed)
    c, d, k = 5, 3, len(CADRES)
    affinity = rng.normal(0.0, 2.0, (c, d, k))  # (C, D, K): the language of practice by cadre
    years = rng.integers(1990, 2040, (c, d, k))
    partner_from = np.where(rng.random((c, d, k)) < 0.3, years, np.inf)
    none = np.full_like(affinity, np.inf)
    setup = SimpleNamespace(affinity=affinity, partner_from=partner_from, recognition_from=none)
    got = utilities.dated_affinity(effects(effect), setup, year)
    assert got.shape == (c, d, k) and got.flags.c_contiguous
    in_force = partner_from <= year
    assert np.allclose(got - affinity, np.where(in_force, effect, 0.0), atol=1e-12)
    assert np.array_equal(got[~in_force], affinity[~in_force])
    assert np.array_equal(utilities.dated_affinity(effects(0.0), setup, year), affinity)


def test_a_channel_raises_the_destination_utility_of_its_pair_only():
    rng = np.random.default_rng(8)
    c, k = 4, len(CADRES)
    slots = np.array([1, 2, 3])
    behaviour = {
        "wage_weight": 1.3, "network_weight": 0.5, "origin_weight": 0.5,
        "origin_size_weight": 0.0, "emigrate_constant": -5.0, "hiring_chance_weight": 0.0,
    }  # fmt: skip
    fee = np.full((c, c, k), 0.5)
    pol = SimpleNamespace(
        wage_discount=np.full(c, 0.15),
        conditions=np.zeros((c, k)),
        log1p_fee=lambda at: np.log1p(fee[:, at, :]),
    )
    wage = rng.uniform(1e3, 1e5, (c, 2, k))
    network = rng.uniform(0.0, 1e4, (c, 3, k))
    affinity = rng.normal(0.0, 1.0, (c, 3, k))
    args = (behaviour, wage, pol, slots, network)
    chance = np.zeros((c, k))
    flat = utilities.destination_utility(*args, affinity, chance)
    partner_from = np.full((c, 3, k), np.inf)
    partner_from[0, 1, NURSES] = 2003  # destination 2 (slot 1) recruits origin 0's nurses
    none = np.full_like(affinity, np.inf)
    setup = SimpleNamespace(affinity=affinity, partner_from=partner_from, recognition_from=none)
    dated = utilities.dated_affinity(effects(0.57), setup, 2020)
    rise = utilities.destination_utility(*args, dated, chance) - flat
    assert rise[0, 1, NURSES] == pytest.approx(0.57)
    rise[0, 1, NURSES] = 0.0
    assert np.abs(rise).max() < 1e-12


UK_PARTNERS = ("PHL", "KEN", "NPL")
"""The UK's channel partners for nurses in the bundled world (`recruitment_channels.csv`)."""


def uk_nurses_by_origin(overrides: dict, workers_per_agent: float) -> pd.Series:
    """The UK's nurses by country of training at the end of a three-year global run (workers),
    with these behaviour overrides."""
    scenario = load_scenario(SCENARIOS / "baseline.yaml").with_overrides(
        {**overrides, "scale.workers_per_agent": workers_per_agent, "time.years": 3}
    )
    model = make_model(scenario, seed=3, engine="arrays")
    model.run()
    uk = list(model.world.iso3).index("GBR")
    at_uk = model.ledger.stock[:, uk, :, NURSES].sum(axis=1) * model.workers_per_agent
    return pd.Series(at_uk, index=list(model.world.iso3))


def uk_nurses_from_partners(effect: float) -> tuple[float, float]:
    """The UK's nurses trained in its three partner origins, and in Nigeria (no channel), with
    the channels' utility `effect`."""
    at_uk = uk_nurses_by_origin({"behaviour.recruitment_channel_effect": effect}, 1000.0)
    return float(at_uk[list(UK_PARTNERS)].sum()), float(at_uk["NGA"])


def uk_foreign_nurses_by_channel(preference: float) -> tuple[float, float]:
    """The UK's foreign-trained nurses trained in its partner origins and in every other origin,
    with the employers' `preference` for partners."""
    at_uk = uk_nurses_by_origin({"behaviour.channel_preference": preference}, 200.0)
    partner = at_uk.index.isin(UK_PARTNERS)
    return float(at_uk[partner].sum()), float(at_uk[~partner].sum() - at_uk["GBR"])


def test_channels_move_the_uks_nurses_toward_its_partner_origins():
    """With channels, more of the UK's nurses come from the origins it recruits in by agreement,
    and fewer from Nigeria, whose applicants now compete with more of theirs for its posts."""
    partners_without, nigeria_without = uk_nurses_from_partners(0.0)
    partners_with, nigeria_with = uk_nurses_from_partners(1.5)
    assert partners_with > 1.05 * partners_without, (partners_without, partners_with)
    assert nigeria_with < nigeria_without, (nigeria_without, nigeria_with)


def test_the_channel_preference_moves_the_uks_nurses_toward_its_partner_origins():
    """With its employers taking the partners' applicants first (ODD §7.5), more of the UK's
    nurses come from its partner origins and fewer from the others, whose applicants the
    partners' now displace from its scarce posts (the applicants' choice unchanged)."""
    partners_without, others_without = uk_foreign_nurses_by_channel(0.0)
    partners_with, others_with = uk_foreign_nurses_by_channel(1.0)
    assert partners_with > 1.05 * partners_without, (partners_without, partners_with)
    assert others_with < others_without, (others_without, others_with)


def test_the_policy_year_dates_each_channel_for_the_first_scan():
    """`PolicyYear.channel_partner` holds the world's channels in force in the year, spin-up
    years included (data, not a lever): UK-Kenya from 2021, UK-Philippines (nurses) throughout,
    UK-Nigeria never, nor UK-India (Kerala's agreements with NHS partners are a
    `subnational_partnership` row, recorded, not read)."""
    scenario = load_scenario(SCENARIOS / "baseline.yaml").with_overrides(
        {"scale.workers_per_agent": 20000.0, "time.spin_up_from": 2020, "time.years": 1}
    )
    model = make_model(scenario, seed=1, engine="arrays")
    pos = {c: i for i, c in enumerate(model.world.iso3)}
    uk = pos["GBR"]
    for year, kenya in ((2020, False), (2021, True)):
        partner = model.policies.year(year).channel_partner
        assert partner.shape == (len(pos), len(pos), len(CADRES))
        assert bool(partner[pos["KEN"], uk, NURSES]) is kenya
        assert bool(partner[pos["KEN"], uk, DOCTORS]) is kenya
        assert partner[pos["PHL"], uk, NURSES] and not partner[pos["PHL"], uk, DOCTORS]
        assert not partner[pos["NGA"], uk].any() and not partner[pos["IND"], uk].any()


def test_the_model_takes_up_each_channel_in_its_first_year():
    """The UK-Kenya channel (2021) is off in a run's 2020 and on from 2021; the UK-Philippines
    channel (2003) is on throughout, for nurses only; the model is built (its reference outflow,
    ODD §7.6, computed) with the channels of its first year."""
    scenario = load_scenario(SCENARIOS / "baseline.yaml").with_overrides(
        {
            "behaviour.recruitment_channel_effect": 1.0,
            "scale.workers_per_agent": 20000.0,
            "time.spin_up_from": 2020,
            "time.years": 1,
        }
    )
    model = make_model(scenario, seed=1, engine="arrays")
    s = model.setup
    pos = {c: i for i, c in enumerate(model.world.iso3)}
    uk = int(np.flatnonzero(s.destination_of_slot == pos["GBR"])[0])

    def channel_term(origin: str) -> np.ndarray:
        return model.affinity[pos[origin], uk] - s.affinity[pos[origin], uk]

    seen = {"built": (channel_term("KEN").tolist(), channel_term("PHL").tolist())}
    while model.steps < model.n_steps:
        model.step()
        year = s.start_year + (model.steps - 1) // s.steps_per_year
        seen[year] = (channel_term("KEN").tolist(), channel_term("PHL").tolist())
    assert s.start_year == 2020 and {2020, 2021} <= set(seen)
    assert seen["built"] == seen[2020] == ([0.0, 0.0], [0.0, 1.0])  # the reference outflow's
    assert seen[2021] == ([1.0, 1.0], [0.0, 1.0])
