"""Mechanisms of issue 11 ("a credible world"), each checked by its definition and its direction.

Supply (ages, hazards by age, the trend of graduate output, initial stocks), demand with fiscal
space, recruitment channels and ceilings, the deployment cap, onward migration, returns to home
posts, money within training capacity, the scale-invariant diaspora and the new indicators.
Direction tests compare two runs with the same seeds (exact, not statistical, comparisons).
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.declarations import CADRES, LATE_ENTRY_MAX_YEARS, SDG_THRESHOLD
from sim.inputs.scenario import load_scenario
from sim.model import initial, rules, supply, utilities
from sim.model.ledger import T_EMIGRATE
from sim.model.setup import reliance_multiplier, setup
from sim.runner import world_for
from tests.model_helpers import SCENARIOS, archetypes, make_model, run_all, total

YEARS = range(2025, 2033)
SUBSET = ["PHL", "IND", "NGA", "GHA", "SAU", "ARE", "GBR", "USA", "CAN", "AUS", "JPN"]


def _plain(overrides) -> dict:
    """Overrides from a hashable tuple of (path, value) pairs (tuples become lists)."""
    items = overrides.items() if isinstance(overrides, dict) else overrides
    return {k: list(v) if isinstance(v, tuple) else v for k, v in items}


def global_subset(overrides=None, name: str = "baseline.yaml"):
    """A scenario on a subset of the global world (destinations: its high-income countries),
    started from the data at its start year (no spin-up: these tests follow the mechanisms from
    the initial state; tests/test_spin_up.py checks the spin-up)."""
    base = {
        "world.countries": SUBSET,
        "scale.workers_per_agent": 500.0,
        "replicates": 1,
        "time.spin_up_from": None,
    }
    return load_scenario(SCENARIOS / name).with_overrides({**base, **_plain(overrides or {})})


@functools.cache
def subset_run(extra: tuple = (), replicates: int = 2):
    """Indicators and flows of the global subset (cached across tests)."""
    return run_all(global_subset(extra), replicates=replicates, seed=3)


@functools.cache
def archetype_run(extra: tuple = (), name: str = "archetypes_baseline.yaml"):
    return run_all(archetypes(_plain(extra), name=name), replicates=3, seed=11)


# ------------------------------------------------------------------------------------- supply


def test_hazard_tables_follow_the_documented_age_profile():
    hz = archetypes().data["hazards"]
    p_retire, p_death, p_exit = supply.hazard_tables(hz, 1)
    doctors, nurses = 0, 1
    # Early-career attrition above mid-career (1.5% vs 0.8% for doctors), death part of it.
    assert p_death[doctors, 30] == pytest.approx(1 - np.exp(-0.002))
    assert p_exit[0, doctors, 30] == pytest.approx(1 - np.exp(-(0.015 - 0.002)))
    assert p_exit[0, doctors, 40] == pytest.approx(1 - np.exp(-(0.008 - 0.002)))
    assert p_exit[0, nurses, 30] == pytest.approx(1 - np.exp(-(0.03 - 0.002)))
    # Retirement only from 55, rising with age; nurses retire earlier than doctors.
    assert p_retire[:, :55].max() == 0.0
    assert p_retire[doctors, 62] == pytest.approx(1 - np.exp(-0.08))
    assert p_retire[nurses, 62] == pytest.approx(1 - np.exp(-0.20))
    assert np.all(np.diff(p_retire[:, 55:], axis=1) >= 0)
    # The scale parameters move the levels.
    hz2 = {**hz, "retirement_scale": {"doctors": 0.5, "nurses": 1.0}}
    assert supply.hazard_tables(hz2, 1)[0][doctors, 62] == pytest.approx(1 - np.exp(-0.04))


@settings(max_examples=40, deadline=None)
@given(ratio=st.floats(0.0, 10.0), steps_per_year=st.sampled_from([1, 4, 12]))
def test_migrant_attrition_ratio_scales_the_migrants_exit_only(ratio, steps_per_year):
    """A migrant's exit rate is `migrant_attrition_ratio` times a native's at the same age and
    cadre; retirement, death and the natives' exit do not depend on it (§7.3)."""
    hz = archetypes().data["hazards"]
    base = supply.hazard_tables({**hz, "migrant_attrition_ratio": 1.0}, steps_per_year)
    changed = supply.hazard_tables({**hz, "migrant_attrition_ratio": ratio}, steps_per_year)
    assert base[2].shape == (2, *base[0].shape)
    np.testing.assert_array_equal(base[2][0], base[2][1])  # ratio 1: no difference
    for before, after in zip(base[:2], changed[:2], strict=True):
        np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(changed[2][0], base[2][0])
    native_rate = -np.log1p(-base[2][0]) * steps_per_year
    migrant_rate = -np.log1p(-changed[2][1]) * steps_per_year
    np.testing.assert_allclose(migrant_rate, ratio * native_rate, rtol=1e-9, atol=1e-15)


@settings(max_examples=40, deadline=None)
@given(
    ratio=st.floats(0.0, 5.0),
    level=st.floats(0.0, 0.05),
    cadre=st.sampled_from(["doctors", "nurses"]),
    age=st.floats(0.0, 79.9),
)
def test_early_attrition_ratio_sets_attrition_under_35_only(ratio, level, cadre, age):
    """attrition_k(a) = level_k · early_attrition_ratio_k under 35, the profile from 35 (§7.3)."""
    hz = archetypes().data["hazards"]
    k = ("doctors", "nurses").index(cadre)
    changed = {
        **hz,
        "attrition_rate": {**hz["attrition_rate"], cadre: level},
        "early_attrition_ratio": {**hz["early_attrition_ratio"], cadre: ratio},
    }
    attrition, retirement = supply.annual_hazards(changed, np.array([age]))
    base_attrition, base_retirement = supply.annual_hazards(
        {**changed, "early_attrition_ratio": hz["early_attrition_ratio"]}, np.array([age])
    )
    if age < 35:
        assert attrition[k, 0] == pytest.approx(level * ratio, abs=1e-15)
    else:
        assert attrition[k, 0] == base_attrition[k, 0]
    np.testing.assert_array_equal(retirement, base_retirement)
    np.testing.assert_array_equal(attrition[1 - k], base_attrition[1 - k])


@settings(max_examples=60, deadline=None)
@given(
    doctors=st.one_of(st.just(0.0), st.floats(0.01, 12.0)),
    nurses=st.one_of(st.just(0.0), st.floats(0.01, 12.0)),
    entry=st.integers(16, 40),
    max_age=st.floats(45.0, 90.0),
)
def test_late_entry_weights_are_a_truncated_geometric(doctors, nurses, entry, max_age):
    """p_k(d) ∝ (m/(1 + m))^d for d ≤ min(20, floor(max age − entry) − 1), summing to 1 (§7.6)."""
    hz = archetypes().data["hazards"]
    hz = {
        **hz,
        "late_entry_years": {"doctors": doctors, "nurses": nurses},
        "entry_age": {"doctors": entry, "nurses": entry},
        "max_age": max_age,
    }
    weights = supply.late_entry_weights(hz)
    last = max(min(LATE_ENTRY_MAX_YEARS, int(np.floor(max_age - entry)) - 1), 0)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    assert (weights[:, last + 1 :] == 0).all()  # nobody enters at or above the maximum age
    for k, mean in enumerate((doctors, nurses)):
        inside = weights[k, : last + 1]
        if mean == 0:
            assert inside[0] == 1.0
        else:
            np.testing.assert_allclose(inside[1:] / inside[:-1], mean / (1 + mean), rtol=1e-9)


def test_stable_density_counts_the_cohorts_that_entered_late():
    """Without hazards and growth, n(a) ∝ P(D ≤ a − a0): the cohorts already entered (§5.4)."""
    hz = archetypes().data["hazards"]
    hz = {
        **hz,
        "attrition_rate": {"doctors": 0.0, "nurses": 0.0},
        "retirement_scale": {"doctors": 0.0, "nurses": 0.0},
        "late_entry_years": {"doctors": 3.0, "nurses": 0.0},
    }
    cumulative = np.cumsum(supply.late_entry_weights(hz), axis=1)
    for k, cadre in enumerate(("doctors", "nurses")):
        ages, density = supply._stable_density(hz, np.zeros((1, 2)), k)
        entered = np.floor(ages - hz["entry_age"][cadre] + 1e-9).astype(int)
        expected = cumulative[k, np.minimum(entered, cumulative.shape[1] - 1)]
        np.testing.assert_allclose(density[0], expected, rtol=1e-9)


@pytest.mark.parametrize("mean", [0.0, 1.5, 4.0])
def test_graduates_enter_at_the_youngest_age_plus_whole_late_years(mean):
    """Graduates' ages: entry_age + d years, d drawn with the shares of `late_entry_weights`."""
    hz = archetypes().data["hazards"]
    hz = {**hz, "late_entry_years": {"doctors": mean, "nurses": 2 * mean}}
    weights = supply.late_entry_weights(hz)
    spy, n = 12, 20_000
    entry = np.array([26 * spy, 23 * spy], dtype=np.int64)
    counts = np.array([[n, n]], dtype=np.int64)
    zeros = np.zeros((1, 2))
    args = (7, 5, 0, counts, zeros, zeros.astype(np.int64), zeros.astype(bool), entry)
    _, _, attrs = rules.new_graduates(*args, np.cumsum(weights, axis=1), spy)
    again = rules.new_graduates(*args, np.cumsum(weights, axis=1), spy)[2]
    np.testing.assert_array_equal(attrs, again)  # keyed draws: the same graduates every time
    for k in range(2):
        late = attrs[4, attrs[3] == k] - entry[k]
        assert (late % spy == 0).all() and (late >= 0).all()
        shares = np.bincount(late // spy, minlength=weights.shape[1]) / n
        bound = 5 * np.sqrt(weights[k] * (1 - weights[k]) / n) + 1e-12
        assert (np.abs(shares - weights[k]) <= bound).all()
        if mean == 0:
            assert (late == 0).all()


def test_later_entry_makes_an_older_workforce():
    """Direction: later entry of the same graduates raises the mean age ten years on."""

    def mean_age(late):
        sc = global_subset({"hazards.late_entry_years.nurses": late, "time.years": 10})
        ind = run_all(sc, replicates=1, seed=5)[0]
        q = ind[(ind.indicator == "mean_age") & (ind.cadre == "nurses") & (ind.area == "all")]
        return q[q.year == q.year.max()].set_index("country").value

    early, late = mean_age(0.0), mean_age(6.0)
    assert (late > early + 1.0).all()


def test_initial_ages_follow_the_worlds_age_profile():
    scenario = load_scenario(SCENARIOS / "baseline.yaml").with_overrides(
        {"scale.workers_per_agent": 20.0, "world.countries": ["USA", "NGA"]}
    )
    model = make_model(scenario, seed=4, engine="arrays")
    ages = model.population.age_counts(model.n_countries, model.n_cadres, model.steps_per_year)
    edges = [0, 35, 45, 55, 65, ages.shape[2]]
    bands = np.stack([ages[:, :, lo:hi].sum(axis=2) for lo, hi in itertools.pairwise(edges)], -1)
    shares = bands / bands.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(shares, model.world.age_shares, atol=0.025)
    # Mean ages as the rule draws them (the bands spread over whole years as the stable
    # population is, ODD §5.4): high-income doctors older than low-income ones.
    profile = model.setup.age_profile
    expected = (profile * (np.arange(profile.shape[2]) + 0.5)).sum(-1)
    mean = (ages * (np.arange(ages.shape[2]) + 0.5)).sum(-1) / ages.sum(-1)
    np.testing.assert_allclose(mean, expected, atol=0.3)
    usa, nga = model.world.index("USA"), model.world.index("NGA")
    assert mean[usa, 0] > mean[nga, 0] + 8


def test_stable_age_profile_of_world_files_is_a_distribution_younger_with_growth():
    hz = archetypes().data["hazards"]
    growth = np.array([[0.0, 0.0], [0.05, 0.05]])
    shares = supply.stable_age_shares(hz, growth)
    np.testing.assert_allclose(shares.sum(-1), 1.0)
    assert (shares[1, :, 0] > shares[0, :, 0]).all()  # faster growth, more workers under 35


@settings(max_examples=30, deadline=None)
@given(st.floats(2005, 2040), st.floats(2005, 2040), st.floats(2005, 2040))
def test_the_trend_composes_so_that_any_start_year_is_consistent(a, b, c):
    world = world_for(global_subset().data)
    s = setup(global_subset().data, world)
    trend = s.trend
    np.testing.assert_allclose(
        trend.log_factor(a, b) + trend.log_factor(b, c), trend.log_factor(a, c), atol=1e-9
    )


def test_initial_stocks_are_projected_from_their_data_year_to_the_start_year():
    data = global_subset().data
    world = world_for(data)
    s2023 = setup(data, world)
    s2020 = setup({**data, "time": {**data["time"], "start_year": 2020}}, world)
    # From the data year to 2020, then along the trend to 2023, is the 2023 start.
    np.testing.assert_allclose(
        s2020.initial_workers * np.exp(s2023.trend.log_factor(2020, 2023)),
        s2023.initial_workers,
        rtol=1e-12,
    )
    # Each stock is moved from its own data year (2014-2020) with its observed growth.
    years = np.stack([world.doctors_year, world.nurses_year], axis=1)
    stock = np.stack([world.doctors, world.nurses], axis=1)
    for (c, k), year in np.ndenumerate(years):
        factor = np.exp(s2023.trend.log_factor(float(year), 2023.0))[c, k]
        assert s2023.initial_workers[c, k] == pytest.approx(stock[c, k] * factor, rel=1e-12)


def test_graduate_path_keeps_the_own_trained_stock_on_its_trend():
    data = global_subset().data
    world = world_for(data)
    s = setup(data, world)
    hz = s.hazard_section
    own = s.initial_workers * 0.9
    path = supply.graduate_path(hz, s.age_profile, own, s.trend, s.start_year, 5, 0.0)
    # Project the expected cohorts by hand with the same hazards: the stock meets the trend.
    n_years = path.shape[2]
    cohort = s.age_profile * own[:, :, None]
    ages = np.arange(cohort.shape[2])
    attrition, retirement = supply.annual_hazards(hz, ages + 0.5)
    survive = np.exp(-(np.maximum(attrition, hz["death_rate"]) + retirement))
    survive[:, -1] = 0.0
    late = supply.late_entry_weights(hz)
    assert (late[:, 1:].sum(axis=1) > 0.3).all()  # the shipped scenario enters at several ages
    for t in range(n_years):
        aged = np.zeros_like(cohort)
        aged[..., 1:] = (cohort * survive[None])[..., :-1]
        for k, cadre in enumerate(("doctors", "nurses")):  # the scenario's entry ages
            for d, share in enumerate(late[k]):  # and the shares entering d years later
                aged[:, k, int(hz["entry_age"][cadre]) + d] += path[:, k, t] * share
        cohort = aged
        target = own * np.exp(s.trend.log_factor(s.start_year, s.start_year + t + 1))
        # graduates are never negative: where the survivors alone exceed the trend, none enter
        # and the stock stays above it; elsewhere it meets the trend exactly
        entering = path[:, :, t] > 0
        np.testing.assert_allclose(cohort.sum(-1)[entering], target[entering], rtol=1e-9)
        assert (cohort.sum(-1) >= target * (1 - 1e-9)).all()
        assert entering.mean() > 0.5


def test_graduates_replace_the_reference_outflow():
    data = global_subset().data
    s = setup(data, world_for(data))
    own = s.initial_workers
    args = (s.hazard_section, s.age_profile, own, s.trend, s.start_year, 3)
    low = supply.graduate_path(*args, 0.0)
    high = supply.graduate_path(*args, np.full((*own.shape, 1), 0.02))
    assert (high > low).all()


# ------------------------------------------------------------------------------------- demand


def test_funded_posts_grow_with_income_and_unemployment_persists_without_it():
    flat, _ = subset_run((("workforce.demand_income_elasticity.nurses", 0.1),))
    rich, _ = subset_run((("workforce.demand_income_elasticity.nurses", 1.2),))
    world = world_for(global_subset().data)
    growing = [c for c, g in zip(world.iso3, world.gdp_pc_growth, strict=True) if g > 0.01]
    assert growing
    end = [2032]
    assert total(rich, "posts", growing, end, cadre="nurses") > total(
        flat, "posts", growing, end, cadre="nurses"
    )
    sources = ["NGA", "GHA", "IND"]
    assert total(flat, "unemployed", sources, end, cadre="nurses") > total(
        rich, "unemployed", sources, end, cadre="nurses"
    )


def test_need_and_need_gap_against_the_threshold():
    ind, _ = subset_run()
    rows = ind[(ind.area == "all") & (ind.cadre == "all") & (ind.replicate == 0)]
    wide = rows.pivot_table(index=["year", "country"], columns="indicator", values="value")
    countries = wide.drop(index="WLD", level="country")
    np.testing.assert_allclose(countries.need, countries.population * SDG_THRESHOLD / 1e4)
    np.testing.assert_allclose(
        countries.need_gap, np.maximum(countries.need - countries.stock, 0.0), atol=1e-6
    )
    world = wide.xs("WLD", level="country")
    by_year = countries.groupby(level="year")
    np.testing.assert_allclose(world.need_gap, by_year.need_gap.sum())
    assert (world.need_gap > 0).all()


# ------------------------------------------------------------------------------------- channels


def test_a_recruitment_ceiling_caps_international_hires():
    ind, _ = subset_run()
    s = setup(global_subset().data, world_for(global_subset().data))
    usa = s.recruitment_ceiling[list(world_for(global_subset().data).iso3).index("USA")]
    share = global_subset().data["workforce"]["shared_ceiling_share"]  # fitted or default
    assert usa[1] == pytest.approx(40040 * share)  # EB-3 times the nurses' share
    hires = ind[
        (ind.indicator == "international_hires")
        & (ind.country == "USA")
        & (ind.cadre == "nurses")
        & (ind.area == "all")
    ]
    assert (hires.value <= usa[1] + 500).all()  # at most one agent above the ceiling
    adjustment = [{"countries": ["USA"], "capacity_multiplier": 0.5}]
    half, _ = run_all(global_subset({"adjustments": adjustment}), replicates=2, seed=3)
    halved = half[
        (half.indicator == "international_hires")
        & (half.country == "USA")
        & (half.cadre == "nurses")
    ]
    assert halved.value.sum() < hires.value.sum()
    assert (halved.value <= usa[1] / 2 + 500).all()


def test_recruitment_regime_reports_which_side_is_short():
    ind, _ = subset_run()
    rows = ind[(ind.area == "all") & (ind.cadre != "all") & (ind.indicator.str.startswith(
        ("international_", "recruitment_regime")))]  # fmt: skip
    wide = rows.pivot_table(
        index=["replicate", "year", "country", "cadre"], columns="indicator", values="value"
    ).dropna()
    short_of_applicants = wide.international_hires < wide.international_posts
    np.testing.assert_array_equal(wide.recruitment_regime == 1, short_of_applicants)
    assert (wide.international_hires <= wide.international_posts).all()


def test_the_philippines_deployment_caps_of_2020_2022_are_world_data():
    data = global_subset({"time.start_year": 2020, "time.years": 4}).data
    from sim.model.policies import PolicySchedule

    world = world_for(data)
    schedule = PolicySchedule(data, world, np.asarray(world.income_group) == "H")
    phl = world.index("PHL")
    caps = {year: schedule.year(year).deployment_cap[phl] for year in range(2019, 2024)}
    assert caps == {2019: np.inf, 2020: 5000.0, 2021: 7000.0, 2022: 7500.0, 2023: np.inf}
    assert schedule.year(2021).deployment_capped[phl].all()
    assert schedule.year(2021).deployment_exempt_agreements[phl].all()


def test_a_lever_cap_without_exemption_leaves_the_world_data_cap_exempt():
    """The lever's `exempt_agreements: false` applies to the origins and cadres it caps (here
    Nigeria's and the Philippines' nurses); the Philippines' caps of the world data (all cadres)
    exempt government-to-government hires of the cadres the lever leaves alone."""
    data = global_subset(
        {
            "time.start_year": 2020,
            "time.years": 4,
            "policies.deployment_cap.enabled": True,
            "policies.deployment_cap.countries": ["NGA", "PHL"],
            "policies.deployment_cap.cadres": "nurses",
            "policies.deployment_cap.exempt_agreements": False,
        }
    ).data
    from sim.model.policies import PolicySchedule

    world = world_for(data)
    schedule = PolicySchedule(data, world, np.asarray(world.income_group) == "H")
    phl, nga = world.index("PHL"), world.index("NGA")
    for year in (2020, 2021, 2022):
        pol = schedule.year(year)
        assert np.isfinite(pol.deployment_cap[[phl, nga]]).all()
        exempt = pol.deployment_exempt_agreements
        doctors, nurses = CADRES.index("doctors"), CADRES.index("nurses")
        assert not exempt[nga, nurses] and not exempt[phl, nurses]
        assert exempt[phl, doctors] and pol.deployment_capped[phl, doctors]  # the world's cap
        assert exempt[nga, doctors] and not pol.deployment_capped[nga, doctors]


def test_licensing_exam_destinations_recruit_little():
    data = global_subset().data
    world = world_for(data)
    s = setup(data, world)
    jpn, gbr = world.index("JPN"), world.index("GBR")
    reliance = reliance_multiplier(data["workforce"], world)
    assert s.recruitment_intensity[jpn, 0] == pytest.approx(
        0.1 * reliance[jpn, 0] * s.recruitment_intensity[gbr, 0]
    )
    assert s.recruitment_ceiling[jpn, 1] == 400  # EPA nurses (Indonesia, the Philippines)


def test_deployment_cap_lowers_emigration_from_the_capped_origin():
    cap = (
        ("policies.deployment_cap.enabled", True),
        ("policies.deployment_cap.countries", ("XEX",)),
        ("policies.deployment_cap.cap", 100.0),
        ("policies.deployment_cap.from", 2025),
        ("scale.workers_per_agent", 50.0),
    )
    base, _ = archetype_run((("scale.workers_per_agent", 50.0),))
    opt, opt_flows = archetype_run(cap)
    assert total(opt, "emigrants", ["XEX"], YEARS) < 0.5 * total(base, "emigrants", ["XEX"], YEARS)
    # Within the cap every year (plus less than one agent of rounding), three replicates.
    out = opt_flows[(opt_flows.origin == "XEX") & opt_flows.year.isin(list(YEARS))]
    per_year = out.groupby(["replicate", "year"]).workers.sum()
    assert (per_year <= 100 + 50).all()
    # Before the cap, nothing changes; elsewhere no fewer emigrants beyond noise.
    assert total(opt, "emigrants", ["XEX"], [2023, 2024]) == total(
        base, "emigrants", ["XEX"], [2023, 2024]
    )
    others = ["XSR", "XMI"]
    assert total(opt, "emigrants", others, YEARS) >= 0.9 * total(base, "emigrants", others, YEARS)


def _onward_moves(onward_constant: float, gulf, oecd) -> int:
    """Migrants trained elsewhere moving from the Gulf to OECD destinations over 10 years."""
    model = make_model(
        global_subset({"behaviour.onward_constant": onward_constant}), seed=3, engine="arrays"
    )
    iso = list(model.world.iso3)
    g, o = [iso.index(c) for c in gulf], [iso.index(c) for c in oecd]
    moves = [0]
    apply = model.ledger.apply

    def counting(tr):
        onward = (
            (tr.kind == T_EMIGRATE)
            & np.isin(tr.country_from, g)
            & np.isin(tr.country_to, o)
            & (tr.origin != tr.country_from)
        )
        moves[0] += int(onward.sum())
        apply(tr)

    model.ledger.apply = counting
    model.run()
    return moves[0]


def test_step_migration_from_the_gulf_to_oecd_destinations_when_enabled():
    gulf, oecd = ["SAU", "ARE"], ["GBR", "USA", "CAN", "AUS"]
    assert _onward_moves(0.0, gulf, oecd) > 0
    assert _onward_moves(-50.0, gulf, oecd) == 0


@pytest.mark.parametrize("engine", ["agents", "arrays"])
def test_onward_arrivals_count_the_migrants_coming_from_a_third_country(engine):
    """The `onward_arrivals` indicator (step migration made visible) against the transitions
    counted one by one: moves abroad by workers outside their training country, not going home."""
    model = make_model(
        global_subset({"behaviour.onward_constant": 1.0, "time.years": 3}), seed=5, engine=engine
    )
    n, k = model.n_countries, model.n_cadres
    counted = np.zeros((n, k))
    apply = model.ledger.apply

    def counting(tr):
        onward = (
            (tr.kind == T_EMIGRATE) & (tr.origin != tr.country_from) & (tr.origin != tr.country_to)
        )
        np.add.at(counted, (tr.country_to[onward], tr.cadre[onward]), 1.0)
        apply(tr)

    model.ledger.apply = counting
    model.run()
    ind = model.recorder.indicators()
    rows = ind[(ind.indicator == "onward_arrivals") & (ind.cadre != "all")]
    got = rows.groupby(["country", "cadre"]).value.sum()
    iso = list(model.world.iso3)
    expected = {
        (iso[c], CADRES[j]): counted[c, j] * model.workers_per_agent
        for c, j in zip(*np.nonzero(counted), strict=True)
    }
    assert expected  # the scenario has onward moves
    assert got[got > 0].to_dict() == expected
    immigrants = ind[(ind.indicator == "immigrants") & (ind.cadre != "all")]
    immigrants = immigrants.groupby(["country", "cadre"]).value.sum()
    assert (got <= immigrants.reindex(got.index)).all()  # part of the immigrants


def test_returns_go_only_to_vacant_posts_at_home():
    keen = (("behaviour.return_constant", 3.0), ("time.years", 4))
    no_posts = (*keen, ("workforce.initial_vacancy_rate.UM", -0.3))  # Midland: no vacancies
    ind, _ = archetype_run(keen)
    ind0, _ = archetype_run(no_posts)
    assert total(ind, "returns", ["XMI"], range(2023, 2027)) > 0
    assert total(ind0, "returns", ["XMI"], range(2023, 2027)) == 0


def test_emigrants_are_younger_than_the_workforce():
    ind, _ = subset_run()
    young = total(ind, "emigrants_age_lt35", ["IND", "PHL", "NGA"], YEARS)
    first = sum(
        total(ind, f"emigrants_age_{b}", ["IND", "PHL", "NGA"], YEARS)
        for b in ("lt35", "35_44", "45_54", "55plus")
    )
    assert first > 0
    stock_young = total(ind, "stock_under_40", ["IND", "PHL", "NGA"], [2028])
    stock = total(ind, "stock", ["IND", "PHL", "NGA"], [2028])
    assert young / first > stock_young / stock  # under 35 vs under 40: a conservative check
    flat, _ = subset_run(
        (
            ("behaviour.emigration_age_factor.35_44", 1.0),
            ("behaviour.emigration_age_factor.45_54", 1.0),
            ("behaviour.emigration_age_factor.55_plus", 1.0),
        )
    )
    young_flat = total(flat, "emigrants_age_lt35", ["IND", "PHL", "NGA"], YEARS)
    first_flat = sum(
        total(flat, f"emigrants_age_{b}", ["IND", "PHL", "NGA"], YEARS)
        for b in ("lt35", "35_44", "45_54", "55plus")
    )
    assert young_flat / first_flat < young / first


# ------------------------------------------------------------------------------------- training


def _training_model(expansion: float, years: int = 4):
    scenario = archetypes(
        {
            "time.years": years,
            "policies.domestic_training.enabled": True,
            "policies.domestic_training.expansion": expansion,
            "workforce.training_vacancy_response": 0.0,
        }
    )
    model = make_model(scenario, seed=2, engine="arrays")
    model.run()
    return model


def test_money_beyond_training_capacity_is_carried_not_lost():
    model = _training_model(1.0)
    tr, s = model.training, model.setup
    destinations = np.flatnonzero(s.destinations)
    committed = sum(
        tr.base_output(year)[destinations] * s.training_cost[destinations]
        for year in range(s.start_year, s.start_year + 4)
    )
    spent = sum(tr.intake[y][destinations] * s.training_cost[destinations] for y in tr.intake)
    np.testing.assert_allclose(committed, spent + tr.fund[destinations], rtol=1e-9)
    assert (tr.fund[destinations] > 0).all()  # capacity bound: money carried
    # Extra intake grows by at most the expansion rate of base output a year.
    rate = float(s.workforce["training_expansion_rate"])
    previous = np.zeros_like(tr.intake[s.start_year])
    for year in sorted(tr.intake):
        assert (tr.intake[year] <= previous + rate * tr.base_output(year) + 1e-9).all()
        previous = tr.intake[year]
    ind = model.recorder.indicators()
    fund = ind[(ind.indicator == "training_fund") & (ind.year == s.start_year + 3)]
    assert fund.value.sum() == pytest.approx(tr.fund.sum())


def test_money_beyond_capacity_buys_no_graduates_that_year():
    small, large = _training_model(0.04, years=5), _training_model(1.0, years=5)
    # 4% is within the 5% capacity, 100% is not: the same intake in the first year...
    first = small.setup.start_year
    np.testing.assert_allclose(
        large.training.intake[first], small.training.intake[first] * 0.05 / 0.04
    )
    # ...but the large commitment keeps a fund that small one does not need.
    assert large.training.fund.sum() > 0 and small.training.fund.sum() == pytest.approx(0.0)


def test_training_responds_to_sustained_vacancies():
    none, _ = archetype_run((("workforce.training_vacancy_response", 0.0),))
    strong, _ = archetype_run((("workforce.training_vacancy_response", 2.0),))
    dest = ["XDA", "XDB"]
    assert total(strong, "graduates", dest, range(2029, 2033)) > total(
        none, "graduates", dest, range(2029, 2033)
    )
    assert total(strong, "training_investment", dest, YEARS) > 0
    assert total(none, "training_investment", dest, YEARS) == 0


def _unemployment_model(response: float, years: int = 8):
    scenario = archetypes(
        {"time.years": years, "workforce.training_unemployment_response": response}
    )
    model = make_model(scenario, seed=3, engine="arrays")
    model.run()
    return model


def _expected_slack(model, year: int) -> np.ndarray:
    """ODD §7.2: the mean of the year-end unemployment rates of the three years before `year`
    (the initial state counting as one) above the threshold, recomputed from the recorded
    rates (C, K)."""
    t = year - model.setup.start_year
    rates = model.demand.unemployment_rates  # the initial state, then each year end
    threshold = float(model.setup.workforce["unemployment_threshold"])
    return np.maximum(np.mean(rates[max(t - 2, 0) : t + 1], axis=0) - threshold, 0.0)


def test_training_responds_to_sustained_unemployment():
    """ODD §7.6: the base intake of year Y is cut by min(κ_u · slack, 1), slack the 3-year mean
    year-end unemployment rate above the threshold; it graduates in Y + lag."""
    none, strong = _unemployment_model(0.0), _unemployment_model(2.0)
    s = strong.setup
    for year in range(s.start_year, s.start_year + 8):
        slack = _expected_slack(strong, year)
        np.testing.assert_allclose(strong.training.cut[year], np.minimum(2.0 * slack, 1.0))
        assert (none.training.cut[year] == 0).all()
        for k, lag in enumerate(s.training_lag):
            kept = 1.0 - strong.training.cut.get(year - lag, np.zeros((5, 2)))[:, k]
            expected = strong.training.base_output(year)[:, k] * kept
            expected = expected + strong.training.extra_graduates(year)[:, k]
            np.testing.assert_allclose(strong.training.output(year)[:, k], expected)
    # The low-income source starts with 10% unemployed (threshold 5%): its nurses' intake is cut
    # from the first year, so fewer graduate after the lag and fewer are unemployed at the end.
    xsr = strong.world.index("XSR")
    assert strong.training.cut[s.start_year][xsr].min() > 0
    last = s.start_year + 7
    graduates = lambda m: total(m.recorder.indicators(), "graduates", ["XSR"], range(2026, last))  # noqa: E731
    unemployed = lambda m: total(m.recorder.indicators(), "unemployed", ["XSR"], [last])  # noqa: E731
    assert graduates(strong) < graduates(none)
    assert unemployed(strong) < unemployed(none)


def test_the_unemployment_cut_takes_at_most_the_whole_base_intake():
    """With a response far above its plausible range, the cut is capped at the whole base
    intake: the graduates are the extra ones only, never negative (ODD §7.6, step 6)."""
    model = _unemployment_model(20.0)
    s, tr = model.setup, model.training
    capped = []
    for year in range(s.start_year, s.start_year + 8):
        over = 20.0 * _expected_slack(model, year) > 1.0
        assert (tr.cut[year][over] == 1.0).all() and (tr.cut[year] <= 1.0).all()
        assert (tr.output(year) >= 0.0).all()
        capped += [(year, c, k) for c, k in zip(*np.nonzero(over), strict=True)]
    assert capped  # the low-income source's unemployment exceeds 10% within the run
    graduating = [(y + int(s.training_lag[k]), c, k) for y, c, k in capped]
    graduating = [(y, c, k) for y, c, k in graduating if y in tr.cut]  # within the run
    assert graduating
    for year, c, k in graduating:  # none of the base intake started: extra graduates only
        assert tr.output(year)[c, k] == tr.extra_graduates(year)[c, k]


def test_wages_respond_to_sustained_vacancies():
    model = make_model(archetypes({"workforce.wage_vacancy_response": 1.0}), seed=1)
    for _ in range(9):  # into the third year: its premium is set from the two years before
        model.step()
    pressure = model.demand.pressure()
    np.testing.assert_allclose(model.vacancy_premium, pressure)
    assert (model.vacancy_premium[model.setup.destinations] > 0).any()


# ------------------------------------------------------------------------------------- network


def test_the_diaspora_starts_at_its_exact_size_whatever_the_scale():
    for wpa in (50.0, 500.0):
        scenario = global_subset({"scale.workers_per_agent": wpa})
        model = make_model(scenario, seed=1, engine="arrays")
        s = model.setup
        exact = initial.foreign_workers(s, model.world)[:, s.destination_of_slot, :]
        network = utilities.diaspora(
            model.ledger.stock, s.destination_of_slot, wpa, model.diaspora_offset
        )
        off_diagonal = s.destination_of_slot[None, :] != np.arange(s.n_countries)[:, None]
        np.testing.assert_allclose(network[off_diagonal], exact[off_diagonal], atol=1e-6)


def test_origin_propensity_ranks_origins_by_their_share_abroad():
    model = make_model(global_subset(), seed=1, engine="arrays")
    iso = list(model.world.iso3)
    term = model.origin_term
    # The Philippines (nurses) and India (doctors) have far more workers abroad than the USA.
    assert term[iso.index("PHL"), 1] > term[iso.index("USA"), 1]
    assert term[iso.index("IND"), 0] > term[iso.index("USA"), 0]


def test_origin_size_is_the_trained_workforce_over_the_median_origins():
    model = make_model(global_subset(), seed=1, engine="arrays")
    s = model.setup
    foreign = initial.foreign_workers(s, model.world)
    trained = foreign.sum(axis=1) + np.maximum(s.initial_workers - foreign.sum(axis=0), 0.0)
    has = trained > 0
    median = np.array([np.median(trained[has[:, k], k]) for k in range(s.n_cadres)])
    np.testing.assert_allclose(np.exp(model.origin_size)[has], (trained / median)[has])
    iso = list(model.world.iso3)
    assert model.origin_size[iso.index("IND"), 0] > model.origin_size[iso.index("GHA"), 0]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    factor=st.floats(1e-3, 1e3),
    empty=st.integers(0, 5),
)
def test_origin_size_is_scale_free_and_zero_where_an_origin_has_no_workers(seed, factor, empty):
    """ln(T/T̃) does not change when every workforce is scaled (workers per agent, units), and an
    origin without trained workers gets 0 (it emigrates nobody)."""
    rng = np.random.default_rng(seed)
    c, k = 6, 2
    foreign = rng.integers(0, 50, (c, c, k)).astype(np.float64)
    foreign[np.arange(c), np.arange(c), :] = 0.0
    workers = foreign.sum(axis=0) + rng.integers(1, 10_000, (c, k))
    workers[empty] = 0.0
    foreign[empty] = 0.0
    size = initial.origin_size(foreign, workers)
    np.testing.assert_allclose(initial.origin_size(foreign * factor, workers * factor), size,
                               atol=1e-9)  # fmt: skip
    trained = foreign.sum(axis=1) + np.maximum(workers - foreign.sum(axis=0), 0.0)
    assert np.all(size[trained == 0] == 0.0)
    assert np.all(np.isfinite(size))
    # the median is over the origins that have workers: an empty origin does not move it
    for kk in range(k):
        has = trained[:, kk] > 0
        expected = np.log(trained[has, kk] / np.median(trained[has, kk]))
        np.testing.assert_allclose(size[has, kk], expected, rtol=1e-12)


def test_a_negative_origin_size_weight_moves_emigration_from_large_origins_to_small():
    """β_s < 0: India's emigrants fall, Ghana's and Nigeria's rise (the same seeds)."""
    years = [2023, 2024]
    base, _ = subset_run((("time.years", 2),), replicates=1)
    weighted, _ = subset_run(
        (("time.years", 2), ("behaviour.origin_size_weight", -0.5)), replicates=1
    )
    assert total(weighted, "emigrants", ["IND"], years) < 0.7 * total(
        base, "emigrants", ["IND"], years
    )
    assert total(weighted, "emigrants", ["GHA", "NGA"], years) > 1.1 * total(
        base, "emigrants", ["GHA", "NGA"], years
    )


# ------------------------------------------------------------------------------------- tables


def test_stocks_table_adds_up_and_agreements_table_counts_hires():
    scenario = archetypes(
        {
            "time.years": 3,
            "policies.agreements": [
                {"source": "XEX", "destination": "XDA", "cadre": "nurses", "quota": 800.0,
                 "from": 2024}
            ],
        }
    )  # fmt: skip
    model = make_model(scenario, seed=5)
    model.run()
    stocks = model.recorder.stocks()
    ind = model.recorder.indicators()
    abroad = stocks[stocks.origin != stocks.country].groupby(["year", "origin", "cadre"]).workers
    rows = ind[(ind.indicator == "migrants_abroad") & (ind.cadre != "all")]
    rows = rows.set_index(["year", "country", "cadre"]).value
    rows.index.names = ["year", "origin", "cadre"]
    pd.testing.assert_series_equal(
        abroad.sum().sort_index(), rows[rows > 0].sort_index(), check_names=False
    )
    agreements = model.recorder.agreements()
    assert list(agreements.year) == [2023, 2024, 2025]
    assert list(agreements.quota) == [0.0, 800.0, 800.0]
    assert agreements.hired.iloc[0] == 0 and agreements.hired.iloc[1:].sum() > 0
    flows = model.recorder.flows()
    corridor = flows[
        (flows.origin == "XEX") & (flows.destination == "XDA") & (flows.cadre == "nurses")
    ]
    assert agreements.hired.sum() <= corridor.workers.sum()
