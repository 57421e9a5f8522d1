"""Funded posts continue the observed growth of a fully employed workforce (ODD §7.2, `PostsTrend`).

Where every trained worker holds a post, the stock grew no faster than funded posts, so the part
of its observed growth above the fiscal-space path carries into the posts' growth and fades with
the training trend's persistence. Checked by its definition (the integral, the countries it acts
in, the posts it gives at every step) and its direction (the Gulf keeps recruiting; the sources'
posts do not move).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from sim.declarations import CADRES
from sim.model.setup import setup
from sim.model.trends import PostsTrend
from sim.runner import world_for
from tests.model_helpers import make_model, total
from tests.test_realism import global_subset, subset_run

DATA = Path(__file__).resolve().parents[1] / "sim" / "data"
GULF = ["SAU", "ARE"]
SOURCES = ["PHL", "IND", "NGA", "GHA"]  # lower-middle income: unemployment at the start


def _fading(s: float, y_ref: float, tau: float) -> float:
    return 1.0 if s < y_ref else math.exp(-(s - y_ref) / tau)


@settings(max_examples=80, deadline=None)
@given(
    a=st.floats(2000.0, 2060.0),
    b=st.floats(2000.0, 2060.0),
    c=st.floats(2000.0, 2060.0),
    y_ref=st.floats(2010.0, 2030.0),
    tau=st.floats(0.5, 200.0),
)
def test_the_momentum_is_the_integral_of_a_weight_that_fades_after_the_reference_year(
    a, b, c, y_ref, tau
):
    trend = PostsTrend(np.array([[0.02, 0.05]]), y_ref, tau)
    lo, hi = sorted((a, b))
    breaks = [y_ref] if lo < y_ref < hi else None
    numeric, _ = quad(_fading, lo, hi, args=(y_ref, tau), points=breaks)
    got = trend.decay_integral(a, b)
    assert got == pytest.approx(numeric if b >= a else -numeric, rel=1e-7, abs=1e-9)
    assert trend.decay_integral(a, b) + trend.decay_integral(b, c) == pytest.approx(
        trend.decay_integral(a, c), rel=1e-9, abs=1e-9
    )
    np.testing.assert_allclose(trend.log_factor(a, b), trend.excess * got)


def _global_setup(overrides=None):
    data = global_subset(overrides).data
    world = world_for(data)
    return setup(data, world), world, data


def test_the_momentum_acts_only_where_the_workforce_is_employed_and_outgrew_fiscal_space():
    s, world, data = _global_setup()
    wf = data["workforce"]
    eps = np.array([wf["demand_income_elasticity"][k] for k in CADRES])
    fiscal = s.trend.p_ref[:, None] + eps[None, :] * s.gdp_growth[:, None]
    employed = np.isin(np.asarray(world.income_group), ["UM", "H"])
    expected = np.where(
        employed[:, None], np.maximum(s.trend.growth - fiscal, 0.0) * wf["posts_trend_weight"], 0.0
    )
    np.testing.assert_allclose(s.posts_trend.excess, expected, rtol=1e-12)
    iso = list(world.iso3)
    for code in SOURCES:  # unemployment at the start: their stock's growth is no evidence of posts
        assert not employed[iso.index(code)]
        assert (s.posts_trend.excess[iso.index(code)] == 0.0).all()
    for code in GULF:  # stocks grew 4.5-10% a year while GDP per capita fell
        assert (s.posts_trend.excess[iso.index(code)] > 0.02).all()
    assert s.posts_trend.tau == s.trend.tau and s.posts_trend.y_ref == s.trend.y_ref
    # one cell from the data files themselves: the UAE's nurses
    growth = pd.read_csv(DATA / "stock_growth.csv").set_index(["iso3", "cadre"]).growth
    gdp = pd.read_csv(DATA / "gdp_growth.csv").set_index("iso3").growth_real
    are = iso.index("ARE")
    by_hand = growth["ARE", "nurses"] - s.trend.p_ref[are] - eps[1] * gdp["ARE"]
    assert s.posts_trend.excess[are, 1] == pytest.approx(by_hand * wf["posts_trend_weight"])
    # linear in the weight, none at 0
    half, _, _ = _global_setup({"workforce.posts_trend_weight": 0.5})
    none, _, _ = _global_setup({"workforce.posts_trend_weight": 0.0})
    np.testing.assert_allclose(half.posts_trend.excess, 0.5 * expected / wf["posts_trend_weight"])
    assert (none.posts_trend.excess == 0.0).all()


@pytest.mark.parametrize(
    "group, rate", [("UM", -0.01), ("UM", 0.0), ("H", 0.0), ("L", 0.0), ("LM", 0.05)]
)
def test_which_workforces_carry_momentum_does_not_follow_the_initial_vacancy_rate(group, rate):
    # a calibration or a sweep moving a group's initial rate across zero must not switch the
    # momentum on or off: the groups are fixed (upper-middle and high income)
    s, _, _ = _global_setup()
    moved, _, _ = _global_setup({f"workforce.initial_vacancy_rate.{group}": rate})
    np.testing.assert_array_equal(moved.posts_trend.excess, s.posts_trend.excess)


def test_a_world_without_observed_growth_has_no_momentum():
    # world files hold no stock growth (the trend is population growth), whatever their income
    # growth: here the global world's, where the Gulf's GDP per capita falls 2% a year
    data = global_subset().data
    world = dataclasses.replace(world_for(data), stock_growth=None)
    s = setup(data, world)
    assert (s.gdp_growth < 0).any()
    assert (s.posts_trend.excess == 0.0).all()


@pytest.mark.parametrize("start", [2023, 2016])
def test_posts_follow_the_fiscal_path_times_the_momentum_at_every_step(start):
    # from 2016 the run crosses the reference year 2020: the momentum is whole before it
    scenario = global_subset({"time.years": 6, "time.steps_per_year": 4, "time.start_year": start})
    model = make_model(scenario, seed=5, engine="arrays")
    s = model.setup
    plain = s.post_expansion_window[1] <= s.post_expansion_window[0]  # (C, K) no expansion
    assert plain.sum() >= plain.size - 2  # the NHS's from 2016 (tests/test_post_expansion.py)
    eps = model.demand.elasticity
    p0 = model.demand.initial_posts
    x = s.posts_trend.excess
    y_ref, tau = s.posts_trend.y_ref, s.posts_trend.tau
    for step in range(s.n_steps):
        model.step()
        year = start + step * s.dt
        path = s.population.at(year) / s.population.at(float(start))
        path = path[:, None] * np.exp(eps[None, :] * s.gdp_growth[:, None] * step * s.dt)
        whole = max(min(year, y_ref) - start, 0.0)  # ∫ D before y_ref
        lo = max(float(start), y_ref)
        fading = tau * (math.exp(-(lo - y_ref) / tau) - math.exp(-(year - y_ref) / tau))
        path = path * np.exp(x * (whole + (fading if year > lo else 0.0)))
        expected = p0 * path[:, None, :]
        np.testing.assert_allclose(
            model.demand.posts.transpose(1, 0, 2)[:, plain],
            expected.transpose(1, 0, 2)[:, plain],
            rtol=1e-11,
        )


def test_the_momentum_keeps_the_gulf_recruiting_and_leaves_the_sources_posts_alone():
    fading, _ = subset_run((("workforce.posts_trend_weight", 0.0),))
    kept, _ = subset_run()
    end = [2032]
    for code in GULF:
        for cadre in CADRES:
            assert total(kept, "posts", [code], end, cadre=cadre) > 1.1 * total(
                fading, "posts", [code], end, cadre=cadre
            )
        share = total(kept, "foreign_trained_share", [code], end, cadre="nurses")
        assert share > total(fading, "foreign_trained_share", [code], end, cadre="nurses")
    years = range(2025, 2033)
    assert total(kept, "immigrants", GULF, years) > 1.5 * total(fading, "immigrants", GULF, years)
    for cadre in CADRES:  # posts are a path, not a state: identical where the momentum is 0
        assert total(kept, "posts", SOURCES, end, cadre=cadre) == total(
            fading, "posts", SOURCES, end, cadre=cadre
        )
