"""Policy windows: a lever is in force exactly in the years `from`..`until`, both inclusive.

ODD §2.3, §7.1 and §7.6: levers and adjustments are switched by calendar year (all the steps of a
year use the levers in force that year); money for training is committed to the training fund in
the years a lever is in force, buys intake within capacity, and the intake graduates
`training_lag` years after it started.

Three layers: the policy schedule, lever by lever and year by year (every lever of the registry
must be listed here); the training fund year by year under dated training levers; and runs of the
two-country world with dated levers, checked at every step against the ODD's money and graduates
(`tests.odd_oracle.Oracle`) and against what each lever visibly does, so that a lever
switching one step early or late fails.
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
from tests.odd_oracle import oracle_for, run_against_oracle
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
        lambda p: p.expansion.any(),
    ),
    "deployment_cap": (
        {
            "policies.deployment_cap.enabled": True,
            "policies.deployment_cap.countries": SSL,
            "policies.deployment_cap.exempt_agreements": False,
        },
        lambda p: (
            np.isfinite(p.deployment_cap).any()
            and p.deployment_capped.any()
            and not p.deployment_exempt_agreements.all()
        ),
    ),
    "adjustments": (
        {
            "adjustments": [
                {
                    "countries": HIC,
                    "demand_multiplier": 1.2,
                    "recruitment_multiplier": 0.5,
                    "capacity_multiplier": 0.7,
                    "wage_multiplier": 1.1,
                }
            ]
        },
        lambda p: (
            (p.demand_multiplier != 1).any()
            and (p.recruitment_multiplier != 1).any()
            and (p.capacity_multiplier != 1).any()
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
    return PolicySchedule(scenario.data, world, s.destinations)


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


def _training_years(overrides: dict, years=range(2023, 2031)) -> tuple:
    """The training fund of a model of the archetype world, year start by year start (ODD §7.6)
    with the vacancy response off (intake from money only): (model, payments by year (C,),
    commitments by year (C, K), intake by year (C, K))."""
    scenario = archetypes(
        {"time.start_year": 2023, "time.years": 8, "workforce.training_vacancy_response": 0.0,
         **overrides}
    )  # fmt: skip
    model = make_model(scenario)
    training, payments, fund_in, intake = model.training, {}, {}, {}
    no_pressure = np.zeros((model.n_countries, model.n_cadres))
    for y in years:
        before = training.fund.copy()
        training.start_year(y, model.policies.year(y), model.agreements, no_pressure, no_pressure)
        payments[y] = training.payments.copy()
        fund_in[y] = training.fund + training.intake[y] * model.setup.training_cost - before
        intake[y] = training.intake[y].copy()
    return model, payments, fund_in, intake


def _arrive_after_the_lag(model, intake: dict) -> None:
    """Extra graduates of year Y are the intake of Y − L_k (L: doctors 6, nurses 3), per cadre."""
    for y in range(2023, 2031):
        for k, lag in enumerate((6, 3)):
            expected = intake[y - lag][:, k] if y - lag in intake else 0.0
            np.testing.assert_array_equal(model.training.extra_graduates(y)[:, k], expected)


@pytest.mark.parametrize(("first", "last"), [(2025, 2026), (None, 2024), (2020, None)])
def test_training_expansion_pays_in_its_window_and_its_intake_graduates_after_the_lag(first, last):
    model, payments, fund_in, intake = _training_years(_dated("domestic_training", first, last))
    window = {y for y in range(2023, 2031) if (first or 0) <= y <= (last or 9999)}
    xhi = model.world.index("XDA")
    assert {y for y, p in payments.items() if p.any()} == window
    assert {y for y, f in fund_in.items() if np.abs(f).max() > 1.0} == window  # int$ (roundoff)
    np.testing.assert_allclose(  # expansion · G_base · cost, paid by the country that trains
        fund_in[min(window)][xhi],
        0.25 * model.training.base_output(min(window))[xhi] * model.setup.training_cost[xhi],
        rtol=1e-12,
    )
    # Intake starts with the window (money beyond capacity may keep buying after it ends).
    started = {y for y, x in intake.items() if x.any()}
    assert min(started) == min(window) and started >= window
    _arrive_after_the_lag(model, intake)


@pytest.mark.parametrize("cadre", ["nurses", "doctors", "all"])
def test_agreement_training_places_are_paid_in_its_window_and_graduate_after_each_lag(cadre):
    model, payments, fund_in, intake = _training_years(
        {"policies.agreements": [{**AGREEMENT, "cadre": cadre, "from": 2023, "until": 2024}]}
    )
    src, dst = model.world.index("XEX"), model.world.index("XDA")
    cost = model.setup.training_cost[src]
    share = {"doctors": [1.0, 0.0], "nurses": [0.0, 1.0], "all": [0.5, 0.5]}[cadre]
    for y in range(2023, 2031):
        in_force = y in (2023, 2024)
        # The destination pays; the places' money goes into the source's fund, split by cadre.
        expected = 40.0 * np.array(share) * cost if in_force else np.zeros(2)
        np.testing.assert_allclose(fund_in[y][src], expected, rtol=1e-12)
        assert (payments[y][dst] > 0) == in_force
        np.testing.assert_allclose(payments[y][dst], expected.sum(), rtol=1e-12)
        assert not payments[y][src].any()
    assert intake[2023][src][np.array(share) > 0].all()
    _arrive_after_the_lag(model, intake)


# ---------------------------------------------------------------------------- runs, step by step
DATED = {
    **TWO_COUNTRIES,
    "time.years": 5,  # 2023-2027
    "workforce.training_vacancy_response": 0.0,  # training paid by the levers only
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
    "policies.deployment_cap.enabled": True,
    "policies.deployment_cap.countries": [SOURCE],
    "policies.deployment_cap.cap": 0.0,
    "policies.deployment_cap.exempt_agreements": False,
    "policies.deployment_cap.from": 2024,
    "policies.deployment_cap.until": 2024,
    "adjustments": [
        {"countries": [SOURCE], "wage_multiplier": 1.5, "from": 2025, "until": 2026},
    ],
}  # fmt: skip


def _money(model, kind: str, country: int) -> float:
    return float(model.ledger.step_money[MONEY_KINDS.index(kind), country])


def test_dated_levers_act_exactly_in_their_years_step_by_step():
    scenario = archetypes(DATED)
    model = make_model(scenario, seed=4)
    oracle = oracle_for(model, scenario)
    src, dst = oracle.index(SOURCE), oracle.index(DEST)
    seen_buyouts = set()
    for t, year in run_against_oracle(model, oracle):
        recruits = model.ledger.step_international[src, dst].sum()
        # Ethical recruitment with passive rate 0 in 2027, a deployment cap of 0 in 2024.
        assert (recruits == 0) == (year in (2024, 2027)), (t, year)
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
    oracle = oracle_for(model, scenario)
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
