"""Policy windows: a lever is in force exactly in the years `from`..`until`, both inclusive.

ODD §2.3 and §7.1: levers and adjustments are switched by calendar year (all the steps of a year
use the levers in force that year); lagged effects of training arrive `training_lag` years after
the years the policy was in force, never counting years before the run's start.

Two layers: the policy schedule, lever by lever and year by year (every lever of the registry
must be listed here); and runs of the two-country world with dated levers, checked at every
step against the ODD's money and graduates (`tests.odd_oracle`) and against what each lever
visibly does, so that a lever switching one step early or late fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.declarations import ADJUSTMENTS, LEVERS
from sim.model.ledger import F_GRADUATES, MONEY_KINDS
from sim.model.policies import PolicySchedule
from sim.model.rules import URBAN
from sim.model.setup import setup
from sim.runner import world_for
from tests.model_helpers import archetypes, make_model
from tests.odd_oracle import Oracle, run_against_oracle
from tests.test_money_exact import DEST, SOURCE, TWO_COUNTRIES

YEARS = range(2021, 2031)
SSL, HIC = ["XSR"], ["XDA", "XDB"]
AGREEMENT = {"source": "XEX", "destination": "XDA", "cadre": "nurses", "quota": 500.0,
             "training_places": 40.0}  # fmt: skip

# lever -> (overrides switching it on, what shows it is in force in a year's PolicyYear)
LEVER_ON = {
    "ethical_recruitment": (
        {
            "policies.ethical_recruitment.enabled": True,
            "policies.ethical_recruitment.protected": SSL,
        },
        lambda p: p.ethical.any() and p.protected.any(),
    ),
    "fee_free_recruitment": (
        {"policies.fee_free_recruitment.enabled": True},
        lambda p: (p.fee == 0).any(),
    ),
    "equal_treatment": (
        {"policies.equal_treatment.enabled": True},
        lambda p: (p.wage_discount == 0).any(),
    ),
    "agreements": (
        {"policies.agreements": [AGREEMENT]},
        lambda p: p.agreement_active.all() and (p.fee == 0).any(),  # active, and fee-free
    ),
    "compensation": (
        {"policies.compensation.enabled": True, "policies.compensation.recipients": SSL},
        lambda p: p.compensation_payer.any() and p.compensation_recipient.any(),
    ),
    "retention": (
        {"policies.retention.enabled": True, "policies.retention.conditions": 0.1},
        lambda p: p.pay_rise.any() and p.conditions.any(),
    ),
    "rural_allowance": (
        {"policies.rural_allowance.enabled": True},
        lambda p: p.allowance.any(),
    ),
    "bonding": (
        {"policies.bonding.enabled": True},
        lambda p: p.bond_steps.any(),
    ),
    "domestic_training": (
        {"policies.domestic_training.enabled": True},
        lambda p: p.expansion_cost.any(),
    ),
    "adjustments": (
        {
            "adjustments": [
                {
                    "countries": HIC,
                    "demand_multiplier": 1.2,
                    "recruitment_multiplier": 0.5,
                    "wage_multiplier": 1.1,
                }
            ]
        },
        lambda p: (
            (p.demand_multiplier != 1).any()
            and (p.recruitment_multiplier != 1).any()
            and (p.wage_multiplier != 1).any()
        ),
    ),
}


def test_every_lever_has_a_window_case():
    assert set(LEVER_ON) == {lever.name for lever in (*LEVERS, ADJUSTMENTS)}


def _dated(name: str, first, last) -> dict:
    """The lever's overrides with its `from`/`until` set (on each item of a list lever)."""
    overrides, _ = LEVER_ON[name]
    dated = dict(overrides)
    if name in ("agreements", "adjustments"):
        key = next(iter(overrides))
        dated[key] = [{**item, "from": first, "until": last} for item in overrides[key]]
    else:
        dated[f"policies.{name}.from"] = first
        dated[f"policies.{name}.until"] = last
    return dated


def _schedule(overrides: dict) -> PolicySchedule:
    scenario = archetypes({"time.start_year": 2023, **overrides})
    world = world_for(scenario.data)
    s = setup(scenario.data, world)
    return PolicySchedule(scenario.data, world, s.destinations, s.training_lag)


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (2025, 2026, {2025, 2026}),
        (2025, 2025, {2025}),
        (2025, None, set(range(2025, 2031))),
        (None, 2026, set(range(2021, 2027))),
        (None, None, set(YEARS)),
    ],
    ids=["two-years", "one-year", "open-end", "open-start", "always"],
)
@pytest.mark.parametrize("name", sorted(LEVER_ON))
def test_a_lever_is_in_force_exactly_from_until_inclusive(name, first, last, expected):
    schedule = _schedule(_dated(name, first, last))
    _, shows = LEVER_ON[name]
    assert {y for y in YEARS if shows(schedule.year(y))} == expected


@pytest.mark.parametrize("name", sorted(set(LEVER_ON) - {"agreements", "adjustments"}))
def test_a_disabled_lever_is_never_in_force(name):
    overrides = {**_dated(name, 2025, 2026), f"policies.{name}.enabled": False}
    _, shows = LEVER_ON[name]
    schedule = _schedule(overrides)
    assert not any(shows(schedule.year(y)) for y in YEARS)


def test_adjustments_in_force_multiply():
    """Overlapping adjustments multiply; each counts only in its own years."""
    schedule = _schedule({"adjustments": [
        {"countries": ["XDA"], "wage_multiplier": 2.0, "from": 2024, "until": 2026},
        {"countries": ["XDA", "XDB"], "wage_multiplier": 3.0, "from": 2026, "until": 2027},
    ]})  # fmt: skip
    xda = 3  # world order: XSR, XEX, XMI, XDA, XDB
    got = {y: schedule.year(y).wage_multiplier[xda] for y in range(2023, 2029)}
    assert got == {2023: 1.0, 2024: 2.0, 2025: 2.0, 2026: 6.0, 2027: 3.0, 2028: 1.0}


def test_bonds_are_issued_in_the_window_but_bind_and_cost_after_it():
    """Rural service and the buy-out price apply to every bonded worker, even after `until`."""
    schedule = _schedule({**_dated("bonding", 2025, 2025), "time.steps_per_year": 4,
                          "policies.bonding.years": 2.0})  # fmt: skip
    for y in YEARS:
        pol = schedule.year(y)
        assert (pol.bond_steps[0] == (8 if y == 2025 else 0)).all()
        assert pol.rural_service[0].all() and (pol.buyout[0] == 1.0).all()


@pytest.mark.parametrize(("first", "last"), [(2025, 2026), (None, 2024), (2020, None)])
def test_training_expansion_produces_graduates_lag_years_after_its_window(first, last):
    lag = {"doctors": 6, "nurses": 3}
    schedule = _schedule({**_dated("domestic_training", first, last)})
    start = 2023
    for k, cadre in enumerate(("doctors", "nurses")):
        paid = {y for y in YEARS if schedule.year(y).expansion_cost[:, k].any()}
        output = {y for y in YEARS if schedule.year(y).expansion_output[:, k].any()}
        # Graduates arrive lag years after each year paid for, counting from the run's start.
        assert output == {y + lag[cadre] for y in paid if y >= start} & set(YEARS), cadre


@pytest.mark.parametrize("cadre", ["nurses", "doctors", "all"])
def test_agreement_training_places_arrive_lag_years_after_its_window(cadre):
    lag = {"doctors": 6, "nurses": 3, "all": 6}[cadre]  # all cadres: the longest lag
    schedule = _schedule(
        {"policies.agreements": [{**AGREEMENT, "cadre": cadre, "from": 2023, "until": 2024}]}
    )
    output = {y for y in YEARS if schedule.year(y).agreement_training_output.any()}
    assert output == {2023 + lag, 2024 + lag} & set(YEARS)


# ---------------------------------------------------------------------------- runs, step by step
DATED = {
    **TWO_COUNTRIES,
    "time.years": 5,  # 2023-2027
    "policies.retention.enabled": True,
    "policies.retention.countries": [SOURCE],
    "policies.retention.from": 2024,
    "policies.retention.until": 2025,
    "policies.rural_allowance.enabled": True,
    "policies.rural_allowance.countries": [DEST],
    "policies.rural_allowance.cadres": "nurses",
    "policies.rural_allowance.from": 2025,
    "policies.rural_allowance.until": 2026,
    "policies.domestic_training.enabled": True,
    "policies.domestic_training.countries": [DEST],
    "policies.domestic_training.from": 2024,
    "policies.domestic_training.until": 2024,
    "policies.agreements": [
        {"source": SOURCE, "destination": DEST, "cadre": "nurses", "quota": 200.0,
         "training_places": 100.0, "from": 2026, "until": 2026},
    ],
    "policies.compensation.enabled": True,
    "policies.compensation.payers": [DEST],
    "policies.compensation.recipients": [SOURCE],
    "policies.compensation.from": 2025,
    "policies.compensation.until": 2025,
    "policies.fee_free_recruitment.enabled": True,
    "policies.fee_free_recruitment.destinations": [DEST],
    "policies.fee_free_recruitment.from": 2024,
    "policies.fee_free_recruitment.until": 2024,
    "policies.ethical_recruitment.enabled": True,
    "policies.ethical_recruitment.destinations": [DEST],
    "policies.ethical_recruitment.protected": [SOURCE],
    "policies.ethical_recruitment.passive_rate": 0.0,
    "policies.ethical_recruitment.from": 2027,
    "policies.ethical_recruitment.until": 2027,
    "policies.bonding.enabled": True,
    "policies.bonding.countries": [SOURCE],
    "policies.bonding.years": 1.0,
    "policies.bonding.from": 2023,
    "policies.bonding.until": 2023,
    "adjustments": [
        {"countries": [SOURCE], "wage_multiplier": 1.5, "from": 2025, "until": 2026},
    ],
}  # fmt: skip


def _money(model, kind: str, country: int) -> float:
    return float(model.ledger.step_money[MONEY_KINDS.index(kind), country])


def test_dated_levers_act_exactly_in_their_years_step_by_step():
    scenario = archetypes(DATED)
    model = make_model(scenario, seed=4)
    oracle = Oracle(scenario)
    src, dst = oracle.index(SOURCE), oracle.index(DEST)
    seen_buyouts = set()
    for t, year in run_against_oracle(model, oracle):
        recruits = model.ledger.step_international[src, dst].sum()
        assert (recruits == 0) == (year == 2027), (t, year)  # ethical recruitment, passive 0
        checks = {
            "retention pay": (_money(model, "incentive_spending", src) > 0, {2024, 2025}),
            "rural allowance": (_money(model, "incentive_spending", dst) > 0, {2025, 2026}),
            "training investment": (
                _money(model, "training_investment", dst) > 0,
                {2024, 2026},  # domestic expansion 2024, agreement places 2026
            ),
            "compensation": (_money(model, "compensation_paid", dst) > 0, {2025}),
            "fees": (_money(model, "recruitment_fees", src) == 0, {2024, 2027}),
            "rural service": (model.ledger.step_flows[F_GRADUATES, src, URBAN].sum() == 0, {2023}),
        }
        for name, (shown, years) in checks.items():
            assert shown == (year in years), f"{name} in step {t} ({year})"
        if _money(model, "bond_buyouts", src) > 0:
            seen_buyouts.add(year)
    # Bonds of 2023's graduates (4 steps) are bought out in 2023 and early 2024, never later.
    assert 2023 in seen_buyouts and seen_buyouts <= {2023, 2024}


def test_dated_adjustments_act_exactly_in_their_years_step_by_step():
    adjustments = [
        {"countries": [SOURCE], "wage_multiplier": 1.5, "from": 2024, "until": 2025},
        {"countries": [DEST], "demand_multiplier": 1.3, "from": 2025, "until": 2025},
        {"countries": [DEST], "recruitment_multiplier": 0.0, "from": 2026, "until": 2026},
    ]
    base = {**TWO_COUNTRIES, "time.years": 4, "policies.retention.enabled": True,
            "policies.retention.countries": [SOURCE]}  # fmt: skip
    scenario = archetypes({**base, "adjustments": adjustments})
    model = make_model(scenario, seed=4)
    twin = make_model(archetypes(base), seed=4)  # the same run without the adjustments
    oracle = Oracle(scenario)
    src, dst = oracle.index(SOURCE), oracle.index(DEST)
    for t, year in run_against_oracle(model, oracle):
        twin.step()
        ratio = model.posts[dst] / twin.posts[dst]  # funded posts do not depend on the workers
        np.testing.assert_allclose(ratio, 1.3 if year == 2025 else 1.0, rtol=1e-12)
        np.testing.assert_allclose(model.posts[src], twin.posts[src], rtol=1e-12)
        closed = model.international_posts[dst].sum() == 0
        assert closed == (year == 2026), (t, year)
        # Retention pay is 10% of the base wage with the wage multiplier in force (ODD §7.7).
        present = model.ledger.present()[src].sum(axis=0) * 20.0
        wage = oracle.base_wage[src] * (1.5 if year in (2024, 2025) else 1.0)
        expected = (0.1 * wage * present).sum() * 0.25
        assert _money(model, "incentive_spending", src) == pytest.approx(expected, rel=1e-12)
