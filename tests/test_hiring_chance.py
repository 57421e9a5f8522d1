"""The chance of a post in the destination choice (ODD §4.2.2, `behaviour.hiring_chance_weight`).

An applicant weighs a destination's wage by the smoothed chance that its open recruitment takes
them, q̄ = hired / applied (`Demand.record_hiring`, `Demand.log_hiring_chance`):
V_dest gains β_w · λ_h · ln q̄[d, k].
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.inputs.scenario import load_scenario
from sim.model import utilities
from sim.model.demand import HIRING_CHANCE_FLOOR, HIRING_MEMORY_YEARS
from tests.model_helpers import SCENARIOS, archetypes, make_model


@pytest.fixture(scope="module")
def demand_model():
    return make_model(archetypes({"time.steps_per_year": 4}), seed=1)


def fresh_demand(model):
    """The model's `Demand` with its smoothed sums emptied (no step taken)."""
    demand = model.demand
    demand.hired = np.zeros_like(demand.hired)
    demand.applied = np.zeros_like(demand.applied)
    return demand


step_counts = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=12
).map(lambda pairs: [(min(h, a), a) for h, a in pairs])  # hires never exceed applicants


@settings(max_examples=60, deadline=None)
@given(step_counts)
def test_the_chance_is_the_ratio_of_the_implicitly_smoothed_sums(demand_model, counts):
    demand = fresh_demand(demand_model)
    n, k = demand.hired.shape
    a = demand.setup.dt / (HIRING_MEMORY_YEARS + demand.setup.dt)
    hired = applied = 0.0
    for h, app in counts:
        hires = np.zeros((n, k), dtype=np.int64)
        hires[1, 0] = h  # hired at destination 1, first cadre
        applicants = np.zeros((n, k), dtype=np.int64)
        applicants[1, 0] = app
        demand.record_hiring(hires, applicants)
        hired += a * (h - hired)
        applied += a * (app - applied)
    got = demand.log_hiring_chance()
    assert got.shape == (n, k)
    expected = 1.0 if applied == 0 else min(max(hired / applied, HIRING_CHANCE_FLOOR), 1.0)
    assert got[1, 0] == pytest.approx(np.log(expected), rel=1e-12, abs=1e-12)
    others = np.ones((n, k), dtype=bool)
    others[1, 0] = False
    assert (got[others] == 0.0).all()  # nobody applied there: a chance of 1
    assert np.log(HIRING_CHANCE_FLOOR) <= got.min() and got.max() <= 0.0


def test_the_constants_are_the_odds():
    """ODD §4.2.2: a memory of one year (a = 0.2 at quarterly steps) and a floor of 0.01."""
    assert HIRING_MEMORY_YEARS == 1.0
    assert HIRING_CHANCE_FLOOR == 0.01


def test_quarterly_smoothing_weighs_the_new_step_by_a_fifth(demand_model):
    demand = fresh_demand(demand_model)
    assert demand.setup.dt == 0.25
    n, k = demand.hired.shape
    hires = np.zeros((n, k), dtype=np.int64)
    applicants = np.zeros((n, k), dtype=np.int64)
    applicants[1, 0] = 10
    demand.record_hiring(hires, applicants)  # 0 of 10
    hires[1, 0] = 10
    demand.record_hiring(hires, applicants)  # 10 of 10
    assert demand.applied[1, 0] == pytest.approx(10 * 0.2 + 0.8 * (10 * 0.2))
    assert demand.hired[1, 0] == pytest.approx(10 * 0.2)
    assert np.exp(demand.log_hiring_chance()[1, 0]) == pytest.approx(2.0 / 3.6)


def test_after_one_step_the_chance_is_that_steps_fill_rate(demand_model):
    demand = fresh_demand(demand_model)
    n, k = demand.hired.shape
    hires = np.zeros((n, k), dtype=np.int64)
    hires[2, 1] = 5
    applicants = np.zeros((n, k), dtype=np.int64)
    applicants[2, 1] = 20
    applicants[1, 0] = 7  # applied, nobody hired: the floor
    demand.record_hiring(hires, applicants)
    chance = np.exp(demand.log_hiring_chance())
    assert chance[2, 1] == pytest.approx(5 / 20)
    assert chance[1, 0] == pytest.approx(HIRING_CHANCE_FLOOR)


def test_matching_counts_each_destinations_open_hires_over_all_origins(monkeypatch):
    """`OpenRecruitment.destination_hires`, which the chance of a post records, is the open hires
    summed over the origins, step by step."""
    from sim.model import matching

    seen = []
    match_step = matching.match_step

    def spy(*args):
        emigrated, hires, opened = match_step(*args)
        seen.append(opened)
        return emigrated, hires, opened

    monkeypatch.setattr(matching, "match_step", spy)
    model = make_model(archetypes({"time.years": 2, "behaviour.emigrate_constant": -3.0}))
    model.run()
    assert sum(int(o.destination_hires.sum()) for o in seen) > 0
    for opened in seen:
        assert np.array_equal(opened.destination_hires, opened.hires.sum(axis=0))


def test_a_smaller_chance_lowers_that_destination_only_and_not_at_weight_zero():
    rng = np.random.default_rng(5)
    c, k = 4, 2
    slots = np.array([1, 2, 3])
    behaviour = {
        "wage_weight": 1.3, "network_weight": 0.5, "origin_weight": 0.5,
        "origin_size_weight": 0.0, "emigrate_constant": -5.0, "hiring_chance_weight": 1.0,
    }  # fmt: skip
    fee = np.full((c, c, k), 0.5)
    pol = SimpleNamespace(
        wage_discount=np.full(c, 0.15),
        conditions=np.zeros((c, k)),
        log1p_fee=lambda at: np.log1p(fee[:, at, :]),
    )
    wage = rng.uniform(1e3, 1e5, (c, 2, k))
    network = rng.uniform(0.0, 1e4, (c, 3, k))
    args = (behaviour, wage, pol, slots, network, np.zeros((c, 3, k)))
    full = np.zeros((c, k))
    low = full.copy()
    low[2, 1] = np.log(0.1)  # destination 2 (slot 1), nurses: one application in ten is taken
    base = utilities.destination_utility(*args, full)
    lowered = utilities.destination_utility(*args, low)
    drop = base - lowered
    assert drop[:, 1, 1] == pytest.approx(np.full(c, 1.3 * np.log(10.0)))
    drop[:, 1, 1] = 0.0
    assert (drop == 0.0).all()
    off = dict(behaviour, hiring_chance_weight=0.0)
    assert np.array_equal(
        utilities.destination_utility(off, *args[1:], low),
        utilities.destination_utility(off, *args[1:], full),
    )


def global_fill_rate(weight: float) -> float:
    """The smoothed open hires over the smoothed applications, pooled over every destination and
    cadre, at the end of a short global run."""
    scenario = load_scenario(SCENARIOS / "baseline.yaml").with_overrides(
        {
            "behaviour.hiring_chance_weight": weight,
            "scale.workers_per_agent": 2000.0,
            "time.years": 3,
        }
    )
    model = make_model(scenario, seed=3, engine="arrays")
    model.run()
    return float(model.demand.hired.sum() / model.demand.applied.sum())


def test_weighing_the_chance_moves_applicants_to_destinations_that_take_them():
    """Where applicants weigh the chance of a post, fewer of them queue where few are taken: the
    share of all applicants that open recruitment takes rises."""
    without, with_chance = global_fill_rate(0.0), global_fill_rate(1.0)
    assert with_chance > without + 0.05, (without, with_chance)
