"""Documented expansions of staffed posts (`post_expansions.csv`, ODD §7.2): the NHS 2019-2023.

Inside an expansion's window posts grow at its documented rate, not at the model's own path; after
it they keep the level reached; before it, and where there is none, nothing changes. The world
data hold the UK's expansion and a run with it opens more posts and hires more from abroad in
its window than the same run on a world without it.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from sim.declarations import CADRES
from sim.errors import WorldError
from sim.inputs.scenario import load_scenario
from sim.inputs.world import load_world
from sim.model.demand import post_expansion_factor
from sim.model.ledger import F_IMMIGRANTS
from sim.model.setup import PopulationProjection, _post_expansion
from sim.model.trends import PostsTrend
from sim.runner import world_for
from tests.model_helpers import SCENARIOS, make_model

GBR_WORLD = ["GBR", "IND", "PHL", "NGA", "GHA", "ZWE"]


def _setup(
    rate: float, window: tuple[float, float], pop_growth: float, gdp: float, momentum: float = 0.0
):
    """A stand-in for `Setup` with one country, the attributes the factor reads (the posts'
    momentum `momentum` 1/year for nurses, reference year 2020, persistence 15 years)."""
    years = np.arange(2000, 2061)
    table = (1e6 * np.exp(pop_growth * (years - 2000)))[None, :]
    return dataclasses.make_dataclass(
        "S", ["n_countries", "n_cadres", "post_expansion", "post_expansion_window",
              "population", "gdp_growth", "posts_trend"],
    )(
        1,
        len(CADRES),
        np.array([[0.0, rate]]),
        np.array([[[0.0, window[0]]], [[0.0, window[1]]]]),
        PopulationProjection(years, table),
        np.array([gdp]),
        PostsTrend(np.array([[0.0, momentum]]), 2020.0, 15.0),
    )  # fmt: skip


def _own(setup, elasticity, a: float, b: float) -> float:
    """The model's own growth G(b)/G(a) of the expanding cell (country 0, nurses), with the
    posts' momentum (a numerical integral of its fading weight)."""
    pop = setup.population.at(b)[0] / setup.population.at(a)[0]
    trend = setup.posts_trend
    lo, hi = sorted((a, b))
    fades = quad(
        lambda s: 1.0 if s < trend.y_ref else math.exp(-(s - trend.y_ref) / trend.tau),
        lo,
        hi,
        points=[trend.y_ref] if lo < trend.y_ref < hi else None,
    )[0]
    momentum = trend.excess[0, 1] * (fades if b >= a else -fades)
    return pop * math.exp(elasticity[1] * setup.gdp_growth[0] * (b - a) + momentum)


@settings(max_examples=60, deadline=None)
@given(
    rate=st.floats(0.0, 0.1),
    start=st.integers(2015, 2030),
    length=st.integers(0, 6),
    pop_growth=st.floats(-0.01, 0.03),
    gdp=st.floats(-0.02, 0.05),
    momentum=st.sampled_from([0.0, 0.01, 0.08]),
    t1=st.floats(2010, 2045),
    t2=st.floats(2010, 2045),
)
def test_posts_grow_at_the_documented_rate_inside_the_window_only(
    rate, start, length, pop_growth, gdp, momentum, t1, t2
):
    a, b = float(start), float(start + length)
    setup = _setup(rate, (a, b), pop_growth, gdp, momentum)
    elasticity = np.array([0.5, 0.8])
    t1, t2 = sorted((t1, t2))
    f1 = post_expansion_factor(setup, elasticity, t1)
    f2 = post_expansion_factor(setup, elasticity, t2)
    assert np.all(f1[:, 0] == 1.0) and np.all(f2[:, 0] == 1.0)  # doctors: no expansion
    # posts ∝ G(t)·M^S(t): their growth from t1 to t2 is the expansion's rate over the part of
    # [t1, t2] inside the window and the own path G over the rest
    lo, hi = min(max(t1, a), b), min(max(t2, a), b)
    inside = (1.0 + rate) ** (hi - lo)
    outside = _own(setup, elasticity, t1, t2) / _own(setup, elasticity, lo, hi)
    got = _own(setup, elasticity, t1, t2) * f2[0, 1] / f1[0, 1]
    assert got == pytest.approx(inside * outside, rel=1e-7)
    if t2 <= a:
        assert f2[0, 1] == 1.0


def test_an_empty_window_means_no_change():
    # the world arrays hold an empty window (from = until = 0) where there is no expansion
    setup = _setup(0.05, (2019.0, 2019.0), 0.01, 0.02)
    for year in (2018.0, 2020.5, 2030.0):
        assert np.all(post_expansion_factor(setup, np.array([0.5, 0.8]), year) == 1.0)


def test_the_world_holds_the_nhs_expansion():
    world = load_world("global")
    iso = list(world.iso3)
    g = iso.index("GBR")
    for k, cadre in enumerate(CADRES):
        # England's FTE 2019 -> 2023 (post_expansions.csv): about 3.9% a year for both cadres
        assert 0.03 < world.post_expansion[g, k] < 0.05, cadre
        assert (world.post_expansion_from[g, k], world.post_expansion_until[g, k]) == (2019, 2023)
    others = np.delete(np.asarray(world.post_expansion), g, axis=0)
    assert np.all(others == 0.0)


def _uk_run(world, years: int = 4):
    """End-of-year UK posts (years, K) and international hires in each year (years, K)."""
    scenario = load_scenario(SCENARIOS / "baseline.yaml").with_overrides(
        {"world.countries": GBR_WORLD, "time.start_year": 2020, "time.years": years}
    )
    model = make_model(scenario, seed=3, engine="arrays", world=world)
    g = list(model.world.iso3).index("GBR")
    posts, hires = [], []
    for _ in range(years):
        hired = np.zeros(len(CADRES))
        for _ in range(model.setup.steps_per_year):
            model.step()
            hired += model.ledger.step_flows[F_IMMIGRANTS, g].sum(axis=0)
        posts.append(model.demand.posts[g].sum(axis=0).copy())
        hires.append(hired)
    return np.array(posts), np.array(hires), model


@pytest.fixture(scope="module")
def uk_runs():
    scenario = load_scenario(SCENARIOS / "baseline.yaml").with_overrides(
        {"world.countries": GBR_WORLD}
    )
    world = world_for(scenario.data)
    # no expansion: an empty window (a zero rate over the window would be a freeze)
    none = dataclasses.replace(world, post_expansion_until=world.post_expansion_from)
    return world, _uk_run(world), _uk_run(none)


def test_the_expansion_raises_uk_posts_by_its_rate(uk_runs):
    world, (posts, _, model), (posts_none, _, _) = uk_runs
    ratio = posts / posts_none  # (years, K), the posts of each year's last step
    g = list(world.iso3).index("GBR")
    setup = model.setup
    for year in range(ratio.shape[0]):
        t = setup.start_year + ((year + 1) * setup.steps_per_year - 1) * setup.dt
        expected = post_expansion_factor(setup, model.demand.elasticity, t)[g]
        assert ratio[year] == pytest.approx(expected, rel=1e-9), year
    # inside the window [2020, 2023] the gap to a UK without the expansion widens every year
    assert np.all(np.diff(ratio, axis=0) > 0) and np.all(ratio[-1] > 1.05)


def test_the_expansion_draws_more_international_hires(uk_runs):
    _, (_, hires, _), (_, hires_none, _) = uk_runs
    assert hires[1:].sum() > hires_none[1:].sum()


@pytest.mark.parametrize(
    ("start", "window"),
    [(2018, (2019, 2023)), (2020, (2020, 2023)), (2021, (2021, 2023)), (2023, (2023, 2023)),
     (2025, (2025, 2025))],
)  # fmt: skip
def test_the_window_is_cut_to_the_run(start, window):
    world = load_world("global")
    cut = _post_expansion(world, start)
    g, k = list(world.iso3).index("GBR"), CADRES.index("nurses")
    assert tuple(cut["post_expansion_window"][:, g, k]) == window
    # countries without an expansion have an empty window
    assert np.all(cut["post_expansion_window"][0, g + 1] == cut["post_expansion_window"][1, g + 1])


def test_a_world_with_half_an_expansion_is_refused():
    world = load_world("global")
    with pytest.raises(WorldError, match="post_expansion"):
        dataclasses.replace(world, post_expansion_until=None)
