"""Destinations' own codes of practice in the world data (ODD §7.5,
`behaviour.national_code_passive_rate`).

An `ethical_recruitment_code` row of ``recruitment_channels.csv`` (the UK's) bars the destination's
active recruitment of the cadre from the safeguards list from its first year, not before the
list's year (2023, the list in the data): an applicant from a listed country is taken there with
probability r_code, unless the destination recruits the cadre in that country through a
government-to-government channel in force. Where the lever `policies.ethical_recruitment` applies
too, the lower rate holds.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.declarations import CADRES
from sim.errors import WorldError
from sim.inputs.dated_facts import SAFEGUARDS_LIST_YEAR, channel_arrays
from sim.inputs.scenario import load_scenario
from sim.model.matching import first_scan_classes, first_scan_probability
from sim.model.policies import PolicySchedule
from sim.runner import world_for
from tests.model_helpers import SCENARIOS, run_all
from tests.test_recruitment_channels import CODES, channel_table

NURSES, DOCTORS = CADRES.index("nurses"), CADRES.index("doctors")


def code(country: str, cadre: str, year: str = "") -> dict:
    return dict(country=country, side="destination", cadre=cadre,
                channel="ethical_recruitment_code", year_from=year)  # fmt: skip


def test_a_code_applies_from_its_year_but_not_before_the_lists():
    table = channel_table([
        code("GBR", "both", "2021"),  # the UK's code: the 2020 list until 2023, not in the data
        code("DEU", "nurses", "2024"),
        code("DEU", "nurses", "2025"),  # a second row for the same cadre: the earlier year holds
        code("JPN", "doctors"),  # no year: from the list's
        code("ALL", "both", "2023"),  # a norm for every destination: not a country, no code
        dict(code("IND", "both", "2024"), side="origin"),  # an origin has no code
    ])  # fmt: skip
    got = channel_arrays(table, CODES)["ethical_code_from"]
    pos = {c: i for i, c in enumerate(CODES)}
    expected = np.full((len(CODES), len(CADRES)), np.inf)
    expected[pos["GBR"]] = SAFEGUARDS_LIST_YEAR
    expected[pos["DEU"], NURSES] = 2024
    expected[pos["JPN"], DOCTORS] = SAFEGUARDS_LIST_YEAR
    assert SAFEGUARDS_LIST_YEAR == 2023
    assert np.array_equal(got, expected)


@pytest.mark.parametrize(
    ("row", "message", "key"),
    [
        (code("GBR", "both", "since 2021"), "starts in 'since 2021'", "year_from"),
        (dict(code("GBR", "both", "2021"), year_to="2024"), "ends in 2024", "year_to"),
    ],
)
def test_a_code_row_the_model_cannot_read_is_a_clear_error(row, message, key):
    with pytest.raises(WorldError, match=message) as err:
        channel_arrays(channel_table([row]), CODES)
    text = str(err.value)
    assert "ethical recruitment code of GBR (both)" in text
    assert "recruitment_channels.csv" in text and key in text


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(SCENARIOS / "baseline.yaml")


@pytest.fixture(scope="module")
def world(baseline):
    return world_for(baseline.data)


def test_the_bundled_world_carries_the_uks_code_only_and_keeps_it_in_a_subset(world):
    pos = {c: i for i, c in enumerate(world.iso3)}
    coded = np.isfinite(world.ethical_code_from)
    assert coded[pos["GBR"]].all() and coded.sum() == len(CADRES)
    assert (world.ethical_code_from[pos["GBR"]] == 2023).all()
    sub = world.subset(["NGA", "GBR", "USA"])
    at = {c: i for i, c in enumerate(sub.iso3)}
    assert sub.ethical_code_from[at["GBR"]].tolist() == [2023, 2023]
    assert np.isinf(sub.ethical_code_from[[at["NGA"], at["USA"]]]).all()


def _schedule(scenario, world) -> PolicySchedule:
    destinations = np.isin(np.asarray(world.iso3), ["GBR", "USA", "SAU", "DEU", "AUS"])  # (C,)
    return PolicySchedule(scenario.data, world, destinations)


def _passive(scenario, world, year: int) -> np.ndarray:
    return _schedule(scenario, world).year(year).passive()


def test_the_uks_code_turns_away_listed_applicants_from_2023_except_through_its_channels(
    baseline, world
):
    pos = {c: i for i, c in enumerate(world.iso3)}
    assert (_passive(baseline, world, 2022) == 1.0).all()  # before the list's year
    rate = baseline.data["behaviour"]["national_code_passive_rate"]
    assert rate == 0.9
    assert (_passive(baseline, world, 2023)[pos["NGA"], pos["GBR"]] == rate).all()  # from it
    passive = _passive(baseline, world, 2024)
    assert passive[pos["NGA"], pos["GBR"]].tolist() == [rate, rate]  # red-listed in 2023
    assert passive[pos["NPL"], pos["GBR"], NURSES] == 1.0  # the UK-Nepal channel (2022)
    assert passive[pos["NPL"], pos["GBR"], DOCTORS] == rate  # which covers nurses only
    assert (passive[pos["IND"], pos["GBR"]] == 1.0).all()  # not on the list
    assert (passive[pos["NGA"], pos["USA"]] == 1.0).all()  # no code at the USA
    listed = np.asarray(world.safeguards, dtype=bool)
    ruled = passive < 1.0
    assert (ruled.any(axis=(0, 2)) == (np.asarray(world.iso3) == "GBR")).all()
    assert (ruled.any(axis=(1, 2)) == listed).all()


@settings(max_examples=25, deadline=None)
@given(
    lever_rate=st.floats(0.0, 1.0),
    code_rate=st.floats(0.0, 1.0),
    everywhere=st.booleans(),
)
def test_where_the_lever_and_a_code_both_apply_the_lower_rate_holds(
    baseline, world, lever_rate, code_rate, everywhere
):
    scenario = baseline.with_overrides(
        {
            "behaviour.national_code_passive_rate": code_rate,
            "policies.ethical_recruitment.enabled": True,
            "policies.ethical_recruitment.destinations": "destinations" if everywhere else ["USA"],
            "policies.ethical_recruitment.protected": "safeguards",
            "policies.ethical_recruitment.passive_rate": lever_rate,
            "policies.ethical_recruitment.from": 2023,
        }
    )
    pos = {c: i for i, c in enumerate(world.iso3)}
    passive = _passive(scenario, world, 2024)
    nga, gbr, usa = pos["NGA"], pos["GBR"], pos["USA"]
    at_uk = min(lever_rate, code_rate) if everywhere else code_rate
    assert passive[nga, gbr].tolist() == pytest.approx([at_uk, at_uk])
    assert passive[nga, usa].tolist() == pytest.approx([lever_rate, lever_rate])
    assert (passive[pos["IND"]] == 1.0).all()


def _listed_arrivals_in_the_uk(rate: float) -> tuple[float, float]:
    """Arrivals in the UK over 2023-2025 of workers trained in safeguards-list countries, and of
    those trained elsewhere, in a short global run with the UK's code at `rate` (workers)."""
    scenario = load_scenario(SCENARIOS / "baseline.yaml").with_overrides(
        {
            "behaviour.national_code_passive_rate": rate,
            "scale.workers_per_agent": 1000.0,
            "time.spin_up_from": None,
            "time.years": 3,
        }
    )
    _, flows = run_all(scenario, replicates=2, seed=5, engine="arrays")
    world = world_for(scenario.data)
    listed = set(np.asarray(world.iso3)[np.asarray(world.safeguards, dtype=bool)])
    to_uk = flows[(flows.destination == "GBR") & (flows.origin != "GBR")]
    from_listed = to_uk.origin.isin(listed)
    return float(to_uk.workers[from_listed].sum()), float(to_uk.workers[~from_listed].sum())


def test_the_uks_code_lowers_its_arrivals_from_the_list_and_others_take_their_posts():
    listed_open, others_open = _listed_arrivals_in_the_uk(1.0)
    listed_coded, others_coded = _listed_arrivals_in_the_uk(0.3)
    assert listed_coded < 0.8 * listed_open, (listed_open, listed_coded)
    assert others_coded > others_open, (others_open, others_coded)


def test_a_code_is_data_so_a_spin_up_keeps_it_while_it_strips_the_levers(baseline, world):
    """In a spin-up's years no lever of the scenario is in force (ODD §7.1), but a code of the
    world data is, as the Philippines' caps are; so is it in the state without levers (the first
    simulated year's, 2023 here)."""
    scenario = baseline.with_overrides(
        {
            "time.spin_up_from": 2023,
            "time.start_year": 2025,
            "policies.ethical_recruitment.enabled": True,
            "policies.ethical_recruitment.passive_rate": 0.2,
        }
    )
    pos = {c: i for i, c in enumerate(world.iso3)}
    nga, gbr, usa = pos["NGA"], pos["GBR"], pos["USA"]
    schedule = _schedule(scenario, world)
    rate = baseline.data["behaviour"]["national_code_passive_rate"]
    spin_up = schedule.year(2024).passive()
    assert spin_up[nga, gbr].tolist() == [rate, rate] and (spin_up[nga, usa] == 1.0).all()
    in_force = schedule.year(2025).passive()
    assert in_force[nga, gbr].tolist() == [0.2, 0.2] and in_force[nga, usa].tolist() == [0.2, 0.2]
    assert schedule.without_levers().passive()[nga, gbr].tolist() == [rate, rate]


def test_the_years_cached_tables_are_computed_once_and_read_only(baseline, world):
    """What a PolicyYear caches for the year (the passive table, ln(1 + fee), the first scan) is
    the same array on every call and cannot be written: one reader cannot change what the
    others read."""
    pol = _schedule(baseline, world).year(2025)
    slots = np.arange(3)
    n = len(world.iso3)
    setup = SimpleNamespace(
        behaviour={"community_preference": 0.5, "channel_preference": 0.5},
        free_movement=np.zeros(n, dtype=bool),
        preferring=np.zeros((n, len(CADRES)), dtype=bool),
    )
    for table in (pol.passive(), pol.log1p_fee(slots), first_scan_probability(setup, pol),
                  first_scan_classes(setup, pol)):  # fmt: skip
        assert not table.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            table.flat[0] = table.flat[0]
    assert pol.passive() is pol.passive()
    assert pol.log1p_fee(slots) is pol.log1p_fee(slots)
    assert first_scan_probability(setup, pol) is first_scan_probability(setup, pol)
