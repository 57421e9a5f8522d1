"""The initial foreign-trained workers' age profile (ODD §5.2, `supply.migrant_age_shares`).

The profile is the steady state of a growing migrant stock entered at the ages at which workers
emigrate; it is checked against a cohort-by-cohort simulation of that stock, for its directions
(faster growth and a steeper emigration age factor make migrants younger), and in the model's
initial population.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.inputs.scenario import load_scenario
from sim.model import initial, supply
from tests.model_helpers import SCENARIOS, archetypes, make_model


def _sections(factors=(0.5, 0.15, 0.02)):
    data = archetypes().data
    behaviour = {
        **data["behaviour"],
        "emigration_age_factor": dict(zip(("35_44", "45_54", "55_plus"), factors, strict=True)),
    }
    return data["hazards"], behaviour


def _yearly(hazards, bands):
    """A workforce profile by whole year of age (..., Y) from band shares (..., B): the model's
    spreading (`supply.age_distribution`) with no cohort growth."""
    bands = np.asarray(bands, dtype=np.float64)
    flat = bands.reshape(-1, 2, bands.shape[-1])
    out = supply.age_distribution(hazards, flat, np.zeros(flat.shape[:2]))
    return out.reshape(*bands.shape[:-1], out.shape[-1])


def _shares_by_simulation(hazards, behaviour, profile, growth, years=400):
    """Simulate the migrant stock year by year: each year a cohort of emigrants enters (their
    number growing at `growth`), at the ages of `profile`'s workforce (K, Y) times the emigration
    age factor; everyone ages a year and survives the hazards; a year of age counts for its part
    below the maximum age. Returns the shares by whole year of age at the end (K, Y)."""
    n_years = profile.shape[-1]
    mids = np.arange(n_years) + 0.5
    edges = supply.age_band_edges(hazards)
    out = []
    for k in range(profile.shape[0]):
        factor = np.ones(n_years)
        labels = ("35_44", "45_54", "55_plus")
        for lo_age, label in zip((35, 45, 55), labels, strict=True):
            factor[mids >= lo_age] = behaviour["emigration_age_factor"][label]
        entrants = profile[k] * factor
        entrants /= entrants.sum()
        attrition, retirement = supply.annual_hazards(hazards, mids)
        death, ratio = hazards["death_rate"], hazards["migrant_attrition_ratio"]
        exits = ratio * np.maximum(attrition[k] - death, 0.0)  # a migrant's exit (§7.3)
        rate = np.minimum(attrition[k], death) + exits + retirement[k]
        stock = np.zeros(n_years)
        for t in range(years):
            aged = np.zeros(n_years)
            # a year older: survive from mid-year a to mid-year a + 1
            aged[1:] = stock[:-1] * np.exp(-(rate[:-1] + rate[1:]) / 2)
            stock = aged + entrants * math.exp(growth * t)
        lo, hi = edges[k, 0], edges[k, -1]
        years_ = np.arange(n_years)
        stock = stock * np.clip(np.minimum(years_ + 1, hi) - np.maximum(years_, lo), 0.0, 1.0)
        out.append(stock / stock.sum())
    return np.array(out)


def _bands(hazards, yearly):
    """Shares by whole year of age (..., Y) gathered into the five bands (..., B)."""
    edges = supply.age_band_edges(hazards)[0, 1:-1]  # 35, 45, 55, 65
    band = np.searchsorted(edges, np.arange(yearly.shape[-1]) + 0.5, side="right")
    return np.stack([yearly[..., band == b].sum(-1) for b in range(5)], axis=-1)


@settings(max_examples=12, deadline=None)
@given(
    growth=st.floats(-0.02, 0.06),
    young=st.floats(0.2, 0.6),
    factors=st.tuples(st.floats(0.05, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 0.3)),
    ratio=st.floats(0.0, 1.0),
)
def test_profile_equals_a_cohort_by_cohort_simulation_of_the_migrant_stock(
    growth, young, factors, ratio
):
    hazards, behaviour = _sections(factors)
    hazards = {**hazards, "migrant_attrition_ratio": ratio}
    rest = (1 - young) * np.array([0.35, 0.3, 0.25, 0.1])
    profile = _yearly(hazards, [[young, *rest], [young, *rest[::-1]]])  # (K, Y)
    shares = np.stack([profile, _yearly(hazards, np.full((2, 5), 0.2))])  # origin 0, dest. 1
    foreign = np.zeros((2, 2, 2))
    foreign[0, 1, :] = 1000.0
    got = supply.migrant_age_shares(hazards, behaviour, shares, foreign, growth)
    expected = _shares_by_simulation(hazards, behaviour, profile, growth)
    np.testing.assert_allclose(got[1], expected, atol=1e-9)
    np.testing.assert_allclose(got[0], shares[0])  # no foreign-trained workers: own profile


def test_origins_are_mixed_by_their_workers_in_the_destination():
    hazards, behaviour = _sections()
    young = _yearly(hazards, [[0.6, 0.2, 0.1, 0.07, 0.03]] * 2)
    old = _yearly(hazards, [[0.1, 0.2, 0.3, 0.3, 0.1]] * 2)
    shares = np.stack([young, old, _yearly(hazards, np.full((2, 5), 0.2))])
    one = np.zeros((3, 3, 2))
    one[0, 2] = 1.0
    alone_young = supply.migrant_age_shares(hazards, behaviour, shares, one, 0.02)[2]
    one[:] = 0.0
    one[1, 2] = 1.0
    alone_old = supply.migrant_age_shares(hazards, behaviour, shares, one, 0.02)[2]
    one[0, 2], one[1, 2] = 3000.0, 1000.0
    mixed = supply.migrant_age_shares(hazards, behaviour, shares, one, 0.02)[2]
    # the stock is linear in its entrants: the mixed profile is one convex combination of the
    # two origins' profiles (weight 3:1 times each origin's stock per entrant), the same at every
    # age, and closer to the larger origin's
    gap = alone_young - alone_old
    weight = ((mixed - alone_old) * gap).sum(-1) / (gap * gap).sum(-1)  # (K,) least squares
    np.testing.assert_allclose(mixed, alone_old + weight[:, None] * gap, atol=1e-12)
    assert np.all((weight > 0.5) & (weight < 1.0))


def _mean_migrant_age(growth=0.02, factors=(0.5, 0.15, 0.02), ratio=None):
    """Mean age (K,) of the foreign-trained workers of one destination whose only origin has a
    fixed workforce profile, at these growth, emigration age factors and attrition ratio."""
    hazards, behaviour = _sections(factors)
    if ratio is not None:
        hazards = {**hazards, "migrant_attrition_ratio": ratio}
    profile = _yearly(hazards, [[0.3, 0.25, 0.25, 0.17, 0.03]] * 2)
    foreign = np.zeros((2, 2, 2))
    foreign[0, 1] = 500.0
    shares = np.stack([profile] * 2)
    got = supply.migrant_age_shares(hazards, behaviour, shares, foreign, growth)[1]
    return (got * (np.arange(profile.shape[-1]) + 0.5)).sum(-1)


def test_migrants_who_leave_the_profession_less_are_older():
    """With the migrants' attrition below the natives' more of them survive to older ages."""
    assert np.all(_mean_migrant_age(ratio=0.3) > _mean_migrant_age(ratio=1.0) + 0.2)


def test_migrants_are_younger_with_faster_growth_and_steeper_age_factors():
    slow, fast = _mean_migrant_age(growth=0.0), _mean_migrant_age(growth=0.05)
    flat = _mean_migrant_age(factors=(1.0, 1.0, 1.0))
    steep = _mean_migrant_age(factors=(0.3, 0.05, 0.0))
    assert np.all(fast < slow - 1.0) and np.all(steep < flat - 1.0)


def test_initial_foreign_trained_workers_draw_their_ages_from_the_migrant_profile():
    scenario = load_scenario(SCENARIOS / "baseline.yaml").with_overrides(
        {"scale.workers_per_agent": 10.0, "world.countries": ["SAU", "IND", "PHL", "EGY"]}
    )
    model = make_model(scenario, seed=3, engine="arrays")
    s = model.setup
    yearly = np.diff(initial.migrant_age_cumulative(s, initial.foreign_workers(s, model.world)),
                     axis=-1, prepend=0.0)  # fmt: skip
    expected = _bands(s.hazard_section, yearly)
    n = model.population.n
    state = {name: model.population.a[name][:n] for name in ("origin", "country", "cadre")}
    state["age"] = model.population.ages()
    sau = model.world.index("SAU")
    edges = [0, 35, 45, 55, 65, 200]
    spy = s.steps_per_year
    for k in range(s.n_cadres):
        for migrant, profile in ((True, expected[sau, k]), (False, s.age_shares[sau, k])):
            here = (state["country"] == sau) & (state["cadre"] == k)
            here &= (state["origin"] != sau) if migrant else (state["origin"] == sau)
            age = state["age"][here]
            counts = np.array([((age >= lo * spy) & (age < hi * spy)).sum()
                               for lo, hi in itertools.pairwise(edges)])  # fmt: skip
            assert counts.sum() > 2000
            np.testing.assert_allclose(counts / counts.sum(), profile, atol=0.02)
