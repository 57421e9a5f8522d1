"""International workers and leavers: foreign-trained, and not trained in the country's European
recognition area (`World.recognition_area`; ODD §7.9, the NMC's "international" nurses, C08/C09).

Checked in the ledger against a direct count of random transitions (hypothesis), and in runs of a
world subset with members and non-members of the area on both engines: a member's international
workers are its foreign-trained workers less those trained in other members (the stocks table),
a non-member's are all its foreign-trained workers, leavers likewise, and the two engines agree.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim.inputs.scenario import load_scenario
from sim.inputs.world import load_world
from sim.model import ledger as ledger_module
from sim.model.ledger import Ledger, Transitions
from sim.runner import replicate_seeds, run_replicate
from tests.model_helpers import SCENARIOS

COUNTRIES = ["IND", "PHL", "NGA", "ROU", "POL", "DEU", "GBR", "USA", "IRL"]
N, K = 5, 2


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    recognition=hnp.arrays(np.bool_, (N,)),
    size=st.integers(1, 40),
)
def test_the_ledger_counts_international_leavers_as_a_direct_count(data, recognition, size):
    ints = functools.partial(hnp.arrays, np.int64, (size,))
    origin = data.draw(ints(elements=st.integers(0, N - 1)))
    c_from = data.draw(ints(elements=st.integers(0, N - 1)))
    cadre = data.draw(ints(elements=st.integers(0, K - 1)))
    kind = data.draw(ints(elements=st.sampled_from([0, 1, 2, 3, 5, 6])))  # departures only
    c_to = np.where(np.isin(kind, [5, 6]), (c_from + 1) % N, -1)
    ledger = Ledger(N, K, recognition=recognition)
    ledger.stock[:] = 100  # enough of everyone to leave
    ledger.set_stock(ledger.stock.copy())
    ledger.start_step()
    zeros = np.zeros(size, dtype=np.int64)
    ledger.apply(Transitions(origin, cadre, c_from, zeros, c_to, zeros, kind, zeros, zeros + 400))
    counted = ledger.step_by_age[ledger_module.BY_AGE_INTERNATIONAL_LEAVERS, :, :, 0]
    foreign = ledger.step_by_age[ledger_module.BY_AGE_FOREIGN_LEAVERS, :, :, 0]
    expected = np.zeros((N, K), dtype=np.int64)
    for o, c, k in zip(origin, c_from, cadre, strict=True):
        if o != c and not (recognition[o] and recognition[c]):
            expected[c, k] += 1
    np.testing.assert_array_equal(counted, expected)
    assert (counted <= foreign).all()
    if not recognition.any():
        np.testing.assert_array_equal(counted, foreign)


def _scenario():
    over = {
        "world.countries": COUNTRIES,
        "scale.workers_per_agent": 100.0,
        "time.start_year": 2020,
        "time.spin_up_from": None,
        "time.years": 3,
    }
    return load_scenario(SCENARIOS / "baseline.yaml").with_overrides(over)


@functools.cache
def _run(engine: str):
    seed = replicate_seeds(3, 1)[0]
    return run_replicate(_scenario(), 0, seed, engine=engine)


def _by_country(ind: pd.DataFrame, name: str) -> pd.Series:
    rows = ind[(ind.indicator == name) & (ind.area == "all") & (ind.cadre != "all")]
    return rows.set_index(["year", "country", "cadre"]).value.sort_index()


def test_the_area_is_the_data_years():
    world = load_world()
    members = set(np.asarray(world.iso3)[np.asarray(world.recognition_area)])
    assert {"DEU", "ROU", "POL", "IRL", "GBR", "CHE", "NOR"} <= members
    assert not members & {"USA", "IND", "PHL", "NGA", "AUS", "TUR"}
    assert len(members) == 31
    assert not load_world("archetypes").recognition_area.any()


@pytest.mark.parametrize("engine", ["arrays", "agents"])
def test_international_workers_leave_out_those_trained_in_the_area(engine):
    result = _run(engine)
    world = load_world().subset(COUNTRIES)
    member = dict(zip(world.iso3, world.recognition_area, strict=True))
    s = result.stocks
    foreign = s[s.origin != s.country]
    from_area = foreign[foreign.origin.map(member) & foreign.country.map(member)]
    expected = (
        foreign.groupby(["year", "country", "cadre"])
        .workers.sum()
        .sub(from_area.groupby(["year", "country", "cadre"]).workers.sum(), fill_value=0.0)
    )
    got = _by_country(result.indicators, "international_workers")
    got = got[got.index.get_level_values("country").isin(COUNTRIES)]
    pd.testing.assert_series_equal(
        got.reindex(expected.index), expected, check_names=False, check_exact=True
    )
    leavers = _by_country(result.indicators, "international_leavers")
    all_leavers = _by_country(result.indicators, "foreign_trained_leavers")
    assert (leavers <= all_leavers).all()
    outside = [c for c in COUNTRIES if not member[c]]
    inside = leavers.index.get_level_values("country").isin(outside)
    pd.testing.assert_series_equal(leavers[inside], all_leavers[inside])
    # the UK's EU-trained nurses are foreign-trained but not international, and some leave
    uk = foreign[(foreign.country == "GBR") & (foreign.cadre == "nurses")]
    assert (uk[uk.origin.map(member)].groupby("year").workers.sum() > 0).all()
    leaving = (slice(None), "GBR", "nurses")
    assert leavers.loc[leaving].sum() < all_leavers.loc[leaving].sum()


def test_both_engines_count_the_same():
    arrays, agents = _run("arrays").indicators, _run("agents").indicators
    for name in ("international_workers", "international_leavers"):
        pd.testing.assert_series_equal(_by_country(arrays, name), _by_country(agents, name))
