"""Exact money on a two-country world: every amount of ODD §7.6-7.8 from the step's counts.

The world is the archetype world restricted to Sourceland (XSR, low income, on the safeguards
list) and Destia (XDA, high income, the only destination). Every lever that moves money is on:
compensation, retention pay, a rural allowance, bonding with buy-out, domestic training, two
agreements (one fee-free for nurses with training places, one for all cadres with fees) and wage
adjustments in both countries, so that each term has its own wage, mask and cadre. At every step
the model's money and graduates must equal `tests.odd_oracle.Oracle`, the ODD's equations applied
to the counts of the step (workers recruited from their training country and moved abroad,
present, bonded workers who broke their bond) and to two inputs read from the model: the base
graduate output G_base of `sim.model.supply.graduate_path` (tested in tests/test_realism.py) and
the funded posts of phase 1 (for the year-end vacancy rates). The training fund, capacity, extra
intake, the response to sustained vacancies and the lag (§7.6) are restated in the oracle. Hazard
exits, deaths and retirement are off so that a bonded worker who disappears left by choice.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.ledger import F_GRADUATES, MONEY_KINDS
from sim.model.rules import URBAN
from tests.model_helpers import archetypes, make_model
from tests.odd_oracle import oracle_for, run_against_oracle

SOURCE, DEST = "XSR", "XDA"

TWO_COUNTRIES = {
    "world.countries": [SOURCE, DEST],
    "workforce.destinations": [DEST],
    "time.years": 4,
    "time.steps_per_year": 4,
    "scale.workers_per_agent": 20.0,
    # Short training lags so that settled compensation and lagged training arrive within the run.
    "workforce.training_lag.doctors": 2,
    "workforce.training_lag.nurses": 1,
    "hazards.attrition_rate": {"doctors": 0.0, "nurses": 0.0},
    "hazards.death_rate": 0.0,
    "hazards.retirement_scale": {"doctors": 0.0, "nurses": 0.0},
    # Many decisions and a strong pull abroad: recruitment, leaving and buy-outs every year.
    "behaviour.reconsider_rate": 1.5,
    "behaviour.emigrate_constant": -3.0,
    "behaviour.leave_constant": -1.5,
}

MONEY_LEVERS = {
    "policies.compensation.enabled": True,
    "policies.compensation.payers": [DEST],
    "policies.compensation.recipients": [SOURCE],
    "policies.compensation.rate": 20000.0,
    "policies.retention.enabled": True,
    "policies.retention.countries": [SOURCE],
    "policies.retention.pay_rise": 0.1,
    "policies.rural_allowance.enabled": True,
    "policies.rural_allowance.countries": [SOURCE, DEST],
    "policies.rural_allowance.cadres": "nurses",
    "policies.rural_allowance.allowance": 0.2,
    "policies.bonding.enabled": True,
    "policies.bonding.countries": [SOURCE],
    "policies.bonding.years": 2.0,
    "policies.bonding.buyout": 1.5,
    "policies.domestic_training.enabled": True,
    "policies.domestic_training.countries": [DEST],
    "policies.domestic_training.expansion": 0.25,
    "policies.ethical_recruitment.protected": [SOURCE],
    "policies.ethical_recruitment.destinations": [DEST],
    "policies.fee_free_recruitment.destinations": [DEST],
    "policies.equal_treatment.destinations": [DEST],
    "policies.agreements": [
        {"source": SOURCE, "destination": DEST, "cadre": "nurses", "quota": 200.0,
         "training_places": 100.0},
        {"source": SOURCE, "destination": DEST, "cadre": "all", "quota": 100.0,
         "training_places": 60.0, "fee_free": False, "contract_years": 1.0,
         "return_probability": 0.5},
    ],
    "adjustments": [
        {"countries": [SOURCE], "wage_multiplier": 1.2},
        {"countries": [DEST], "wage_multiplier": 0.9, "from": 2024},
    ],
}  # fmt: skip


def two_country_scenario(extra: dict | None = None):
    """The two-country world with every money lever on (and `extra` overrides)."""
    return archetypes({**TWO_COUNTRIES, **MONEY_LEVERS, **(extra or {})})


def money_totals(model) -> dict[str, np.ndarray]:
    """Money of the whole run by kind and country (from the recorder), for non-vacuity checks."""
    ind = model.recorder.indicators()
    rows = ind[ind.indicator.isin(MONEY_KINDS) & (ind.cadre == "all") & (ind.area == "all")]
    return rows.groupby(["indicator", "country"]).value.sum()


def test_every_amount_of_money_follows_the_odd_at_every_step():
    scenario = two_country_scenario()
    model = make_model(scenario, seed=3)
    oracle = oracle_for(model, scenario)
    for _ in run_against_oracle(model, oracle):
        pass
    totals = money_totals(model)
    # Every term was exercised, so the comparison above could fail for each of them.
    for kind, country in [
        ("compensation_paid", DEST),
        ("compensation_received", SOURCE),
        ("incentive_spending", SOURCE),
        ("incentive_spending", DEST),  # the rural allowance for nurses only
        ("training_investment", DEST),
        ("training_cost_emigrants", SOURCE),
        ("recruitment_fees", SOURCE),
        ("bond_buyouts", SOURCE),
    ]:
        assert totals[kind, country] > 0, (kind, country)
    assert totals["compensation_paid", SOURCE] == totals["compensation_received", DEST] == 0


def test_sustained_vacancies_buy_training_in_the_room_money_leaves():
    """X_r = min(κ·p·G_base, room − X_f), paid by the country (§7.6 step 4, §7.7). With the
    destination's expansion on, money fills the room; without it, its vacancies buy intake."""
    for expansion, responds in [(True, False), (False, True)]:
        scenario = two_country_scenario(
            {"policies.domestic_training.enabled": expansion, "time.years": 3}
        )
        model = make_model(scenario, seed=3)
        oracle = oracle_for(model, scenario)
        for _ in run_against_oracle(model, oracle):
            pass
        dst = oracle.index(DEST)
        assert oracle.pressure[dst].max() > 0  # (Destia's vacancies stay above the threshold)
        assert any(r[dst].sum() > 0 for r in oracle.responded.values()) == responds


def test_onward_moves_pay_fees_but_neither_compensation_nor_training_cost():
    """A migrant moving on from one destination to another pays the fee; compensation and the
    training cost embodied count workers recruited from their training country only (§7.7)."""
    scenario = two_country_scenario({
        "world.countries": [SOURCE, DEST, "XDB"], "workforce.destinations": [DEST, "XDB"],
        "policies.compensation.payers": [DEST, "XDB"], "behaviour.onward_constant": 3.0,
        "time.years": 3,
    })  # fmt: skip
    model = make_model(scenario, seed=3)
    oracle = oracle_for(model, scenario)
    for _ in run_against_oracle(model, oracle):
        pass
    first, moved = oracle.moves
    assert 0 < first < moved  # onward moves happened, and the money above was checked for them


def test_compensation_paid_equals_received_equals_rate_times_recruits():
    """paid = received = rate × workers recruited from recipients by payers (ODD §7.7)."""
    scenario = two_country_scenario()
    model = make_model(scenario, seed=3)
    model.run()
    ind = model.recorder.indicators()
    flows = model.recorder.flows()
    recruited = flows[(flows.origin == SOURCE) & (flows.destination == DEST)]
    totals = money_totals(model)
    expected = 20000.0 * recruited.workers.sum()
    assert recruited.workers.sum() > 0
    assert totals["compensation_paid", DEST] == pytest.approx(expected, rel=1e-12)
    assert totals["compensation_received", SOURCE] == pytest.approx(expected, rel=1e-12)
    # Year by year too: the money of a year is that year's recruits.
    for year, rows in recruited.groupby("year"):
        paid = ind[
            (ind.indicator == "compensation_paid") & (ind.country == DEST) & (ind.year == year)
            & (ind.cadre == "all") & (ind.area == "all")
        ].value.sum()  # fmt: skip
        assert paid == pytest.approx(20000.0 * rows.workers.sum(), rel=1e-12), year


@pytest.mark.parametrize(
    "change",
    [
        {"policies.compensation.recipients": [DEST]},  # the source is not paid
        {"policies.compensation.payers": [SOURCE]},  # the destination does not pay
        {"policies.compensation.enabled": False},
    ],
    ids=["source-not-a-recipient", "destination-not-a-payer", "disabled"],
)
def test_no_compensation_outside_payer_and_recipient(change):
    scenario = two_country_scenario({"time.years": 2, **change})
    model = make_model(scenario, seed=3)
    oracle = oracle_for(model, scenario)
    for _ in run_against_oracle(model, oracle):
        pass
    totals = money_totals(model)
    assert totals["compensation_paid"].sum() == totals["compensation_received"].sum() == 0
    assert totals["training_cost_emigrants", SOURCE] > 0  # there were recruits to pay for


def test_settled_compensation_buys_intake_within_capacity_and_graduates_after_the_lag():
    """Use `training` (ODD §7.6, §7.8): money received in year Y is credited to the recipient's
    fund at the end of Y; from Y + 1 it buys intake at the training cost, at most the room
    X(Y − 1) + x_max·G_base(Y); what capacity leaves stays in the fund; intake started in Y
    graduates in Y + L. (This replaces the rule that compensation bought received / cost
    graduates at once, whatever the capacity.)"""
    scenario = two_country_scenario()
    model = make_model(scenario, seed=3)
    oracle = oracle_for(model, scenario)
    src = oracle.index(SOURCE)
    ind = None
    for t, year in run_against_oracle(model, oracle):  # fund and intake checked every year
        if t % 4 == 0 and year > 2023:  # never more than the room
            room = oracle.intake[year - 1][src] + 0.05 * oracle.base_output(year)[src]
            assert (oracle.intake[year][src] <= room + 1e-9).all()
    ind = model.recorder.indicators()
    totals = ind[(ind.country == SOURCE) & (ind.cadre == "all") & (ind.area == "all")]
    received = totals[totals.indicator == "compensation_received"].set_index("year").value
    fund = ind[(ind.indicator == "training_fund") & (ind.country == SOURCE)].set_index("year").value
    assert received[2023] > 0 and fund[2022] == 0
    # 2023: the source's fund holds the agreements' places (doctors 30, nurses 100 + 30, paid by
    # the destination); capacity buys x_max·G_base of them; compensation received in 2023 is
    # credited at the end of 2023, on top of what capacity left.
    places, cost = np.array([30.0, 130.0]), oracle.training_cost[src]
    bought = np.minimum(places, 0.05 * oracle.base_output(2023)[src])
    np.testing.assert_allclose(oracle.intake[2023][src], bought, rtol=1e-12)
    leftover = ((places - bought) * cost).sum()
    np.testing.assert_allclose(fund[2023], leftover + received[2023], rtol=1e-12)
    # Money was worth more than capacity allowed: intake grew by exactly x_max·G_base a year
    # (the capacity bound binds) and money waited in the fund (indicator training_fund).
    for year in (2024, 2025, 2026):
        np.testing.assert_allclose(
            oracle.intake[year][src],
            oracle.intake[year - 1][src] + 0.05 * oracle.base_output(year)[src],
            rtol=1e-12,
        )
        assert fund[year] > 0
    np.testing.assert_allclose(fund[2026], oracle.fund[src].sum(), rtol=1e-12)
    # Intake started in Y graduates in Y + L: nurses (lag 1) bought in 2024 in 2025, doctors
    # (lag 2) in 2026.
    extra = model.training.extra_graduates
    np.testing.assert_allclose(extra(2025)[src], [bought[0], oracle.intake[2024][src, 1]])
    np.testing.assert_allclose(extra(2026)[src, 0], oracle.intake[2024][src, 0])
    assert (extra(2024)[src] == [0.0, bought[1]]).all()


def _spy_on_decisions(model) -> list:
    """Record the decision context and the state each step's phase 3 starts from."""
    seen = []
    decide = model.population.decide

    def spy(step, ctx):
        seen.append(
            (step, ctx, model.ledger.present().copy(), model.demand.posts.copy(),
             model.money.compensation_pay_rise.copy())
        )  # fmt: skip
        return decide(step, ctx)

    model.population.decide = spy
    return seen


@pytest.mark.parametrize("rate", [2000.0, 5e6], ids=["below-the-cap", "capped-at-100%"])
def test_compensation_for_retention_pays_a_rise_the_next_year(rate):
    """use: retention — π^comp = min(received / next year's wage bill, 1), in force in Y+1."""
    scenario = two_country_scenario(
        {
            "policies.compensation.use": "retention",
            "policies.compensation.rate": rate,
            "policies.retention.enabled": False,
            "time.years": 3,
        }
    )
    model = make_model(scenario, seed=3)
    oracle = oracle_for(model, scenario)
    seen = _spy_on_decisions(model)
    rises, pressures = {}, {}
    for t, year in run_against_oracle(model, oracle):
        pressures[year] = oracle.pressure.copy()
        if (t + 1) % 4 == 0:
            rises[year + 1] = oracle.compensation_pay_rise.copy()
            np.testing.assert_allclose(
                model.money.compensation_pay_rise, oracle.compensation_pay_rise, rtol=1e-12
            )
    src = oracle.index(SOURCE)
    if rate > 1e6:
        np.testing.assert_array_equal(rises[2024][src], [1.0, 1.0])
    else:
        assert ((rises[2024][src] > 0) & (rises[2024][src] < 1)).all()
    # The rise enters the wage of staying in the source during the next year, and only then:
    # V_stay(urban, native) = β_w·(ln(w̄·M^w·(1 + ρ_w·p)·(1 + π^comp)·max(1 − u, 0.05)) + κ)
    # + A_U, A_U = 0 (ODD §4.2.2), with p the vacancy pressure of the year.
    beta = scenario.data["behaviour"]["wage_weight"]
    for step, ctx, present, posts, _ in seen:
        year = 2023 + step // 4
        rise = rises.get(year, np.zeros((oracle.n, 2)))[src]
        premium = oracle.rho_w * pressures[year][src]
        wage = oracle.wages(year)[src] * (1.0 + premium) * (1.0 + rise)
        n, p = present[src, URBAN], posts[src, URBAN]
        unemployment = np.where(n > 0, np.maximum(n - p, 0) / np.maximum(n, 1), 0.0)
        expected = beta * np.log(wage * np.maximum(1.0 - unemployment, 0.05))
        np.testing.assert_allclose(ctx.v_stay[src, URBAN, :, 0], expected, rtol=1e-12)
    # (The compensation pay rise is paid from compensation, not booked as incentive spending:
    # the oracle's incentive spending, checked every step, has no π^comp term.)


def test_bonded_graduates_serve_in_rural_posts():
    """A bonded graduate with rural service is placed rural; the others by the uptake draw."""
    scenario = two_country_scenario({"time.years": 2})
    model = make_model(scenario, seed=3)
    src, dst = model.world.index(SOURCE), model.world.index(DEST)
    rural_graduates = 0
    destination_graduates = np.zeros(2, dtype=np.int64)  # by area
    while model.steps < model.n_steps:
        model.step()
        graduates = model.ledger.step_flows[F_GRADUATES]  # (C, area, K)
        assert graduates[src, URBAN].sum() == 0, "a bonded graduate took an urban post"
        rural_graduates += graduates[src].sum()
        destination_graduates += graduates[dst].sum(axis=1)
    assert rural_graduates > 0
    # Unbonded graduates (the destination's) take both kinds of posts.
    assert (destination_graduates > 0).all()
