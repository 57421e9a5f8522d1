"""An origin's cap on deployments of new hires, year by year (ODD §7.2, `World.deployment_cap`).

Each ``origin_cap`` row of ``recruitment_channels.csv`` is one entry of its origin's cap: a
ceiling a year in force from ``year_from`` to ``year_to``. The Philippines' cap was 5,000 in
2020, 7,000 in 2021 (6,500 from June, 7,000 from December) and 7,500 in 2022, and lifted in
2023. In a year, an origin's cap is the smallest of its entries in force (+inf where none).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import WorldError
from sim.inputs.dated_facts import channel_arrays
from sim.inputs.scenario import load_scenario
from sim.inputs.world import load_world
from sim.model.policies import PolicySchedule
from sim.runner import world_for
from tests.model_helpers import SCENARIOS, archetypes
from tests.test_recruitment_channels import channel_table

CODES = ["GBR", "PHL", "IND", "NPL"]


def cap_row(country, ceiling, year_from="", year_to=""):
    return dict(country=country, side="origin", cadre="both", channel="origin_cap",
                annual_ceiling=str(ceiling), year_from=str(year_from),
                year_to=str(year_to))  # fmt: skip


def test_each_origin_cap_row_is_one_entry_of_its_origins_schedule():
    table = channel_table([
        cap_row("PHL", 5000, 2020, 2020),
        cap_row("PHL", 6500, 2021, 2021),
        cap_row("PHL", 7500, 2022, 2022),
        cap_row("NPL", 1000, 2024),  # no end
        cap_row("IND", 300, "", 2021),  # no start
        dict(cap_row("GBR", 9), side="destination"),  # a destination's row is not a cap
    ])  # fmt: skip
    got = channel_arrays(table, CODES)
    inf = np.inf
    assert np.array_equal(
        got["deployment_cap"],
        [[inf, inf, inf], [5000, 6500, 7500], [300, inf, inf], [1000, inf, inf]],
    )
    assert got["deployment_cap_from"][2, 0] == inf and got["deployment_cap_until"][2, 0] == 2021
    assert np.array_equal(got["deployment_cap_from"][1], [2020, 2021, 2022])
    assert np.array_equal(got["deployment_cap_until"][1], [2020, 2021, 2022])
    assert got["deployment_cap_from"][3, 0] == 2024 and got["deployment_cap_until"][3, 0] == inf


def test_a_world_without_caps_has_one_empty_entry():
    got = channel_arrays(channel_table([]), CODES)
    assert got["deployment_cap"].shape == (len(CODES), 1)
    assert np.isinf(got["deployment_cap"]).all()


@pytest.mark.parametrize(
    ("row", "key", "expected"),
    [
        (cap_row("PHL", "five thousand", 2020, 2020), "annual_ceiling", "workers a year"),
        (cap_row("PHL", "", 2020, 2020), "annual_ceiling", "workers a year"),
        (cap_row("PHL", -1, 2020, 2020), "annual_ceiling", "0 or more"),
        (cap_row("PHL", "inf", 2020, 2020), "annual_ceiling", "workers a year"),
        (cap_row("PHL", 5000, "late 2020", 2020), "year_from", "calendar year"),
        (cap_row("PHL", 5000, "-inf", 2020), "year_from", "calendar year"),
        (cap_row("PHL", 5000, 2020.5, 2021), "year_from", "calendar year"),
        (cap_row("PHL", 5000, 20, 2021), "year_from", "1900-2200"),
        (cap_row("PHL", 5000, 2020, "late 2022"), "year_to", "calendar year"),
        (cap_row("PHL", 5000, 2020, "inf"), "year_to", "calendar year"),
        (cap_row("PHL", 5000, 2022, 2020), "year_to", "2022 or later"),
        (dict(cap_row("PHL", 5000, 2020, 2020), cadre="nurses"), "cadre", "both"),
    ],
)
def test_a_cap_row_the_model_cannot_read_is_a_clear_error(row, key, expected):
    with pytest.raises(WorldError, match="deployment cap of PHL") as err:
        channel_arrays(channel_table([row]), CODES, "/data/recruitment_channels.csv")
    assert err.value.key_path == key
    assert expected in err.value.expected
    assert "/data/recruitment_channels.csv" in str(err.value)
    assert f"year_from {row['year_from']!r}" in str(err.value)  # which of the origin's rows


def test_the_bundled_world_caps_the_philippines_year_by_year():
    data = load_scenario(SCENARIOS / "baseline.yaml").data
    world = world_for(data)
    schedule = PolicySchedule(data, world, np.zeros(len(world.iso3), bool))
    phl = world.index("PHL")
    caps = {year: schedule._world_cap(year) for year in range(2019, 2025)}
    assert [caps[y][phl] for y in range(2019, 2025)] == [np.inf, 5000, 7000, 7500, np.inf, np.inf]
    others = np.arange(len(world.iso3)) != phl
    assert all(np.isinf(c[others]).all() for c in caps.values())


@pytest.mark.parametrize("odd", ["deployment_cap_from", "deployment_cap_until"])
def test_entries_of_different_shapes_are_refused(odd):
    world = load_world("archetypes")
    n = len(world.iso3)
    arrays = {f: np.full((n, 2), np.inf) for f in ("deployment_cap", "deployment_cap_from",
                                                    "deployment_cap_until")}  # fmt: skip
    arrays[odd] = np.full((n, 1), np.inf)
    with pytest.raises(WorldError, match=f"{odd} has shape") as err:
        dataclasses.replace(world, **arrays)
    assert err.value.key_path == odd


entry = st.tuples(
    st.one_of(st.just(np.inf), st.floats(0.0, 1e4)),  # ceiling
    st.one_of(st.just(np.inf), st.integers(2015, 2030).map(float)),  # first year (inf: none)
    st.one_of(st.just(np.inf), st.integers(2015, 2030).map(float)),  # last year
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(entry, min_size=1, max_size=3), min_size=1, max_size=4), st.data())
def test_the_cap_in_force_is_the_smallest_entry_in_force(entries_by_country, data):
    world = load_world("archetypes")
    n = len(world.iso3)
    width = max(len(e) for e in entries_by_country)
    table = np.full((3, n, width), np.inf)
    for c, entries in enumerate(entries_by_country[:n]):
        for e, values in enumerate(entries):
            table[:, c, e] = values
    world = dataclasses.replace(
        world, deployment_cap=table[0], deployment_cap_from=table[1], deployment_cap_until=table[2]
    )
    schedule = PolicySchedule(archetypes().data, world, np.zeros(n, bool))
    year = data.draw(st.integers(2014, 2031))
    expected = np.full(n, np.inf)
    for c in range(n):
        for cap, first, last in table[:, c, :].T:
            if (np.isinf(first) or first <= year) and year <= last:
                expected[c] = min(expected[c], cap)
    assert np.array_equal(schedule._world_cap(year), expected)
    assert np.array_equal(schedule.year(year).deployment_cap, expected)
