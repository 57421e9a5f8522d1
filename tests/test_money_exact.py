"""Exact money on a two-country world: every amount of ODD §7.6-7.8 from the step's counts.

The world is the archetype world restricted to Sourceland (XSR, low income, on the safeguards
list) and Destia (XDA, high income, the only destination). Every lever that moves money is on:
compensation, retention pay, a rural allowance, bonding with buy-out, domestic training, two
agreements (one fee-free for nurses with training places, one for all cadres with fees) and wage
adjustments in both countries, so that each term has its own wage, mask and cadre. At every step
the model's money and graduates must equal `OddOracle`, the ODD's equations applied to the counts
of the step (workers recruited from their training country and moved abroad, present, bonded
workers who broke their bond) and to two inputs read from the model: the base graduate output
G_base of `sim.model.supply.graduate_path` (tested in tests/test_realism.py) and the funded posts
of phase 1 (for the year-end vacancy rates). The training fund, capacity, extra intake, the
response to sustained vacancies and the lag (§7.6) are restated in the oracle. Hazard exits,
deaths and retirement are off so that a bonded worker who disappears left by choice.

`tests.odd_oracle.Oracle` (written before issue 11) supplies the lever masks, wages, fees,
compensation masks and buy-out prices, which did not change; `OddOracle` replaces its graduate,
training and settlement equations, which did (money now buys intake within capacity, §7.6).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.ledger import F_GRADUATES, MONEY_KINDS, T_EMIGRATE
from sim.model.rules import URBAN
from sim.runner import world_for
from tests.model_helpers import archetypes, make_model
from tests.odd_oracle import (
    CADRES,
    RURAL,
    Oracle,
    bonded_at_decision,
    broken_bonds,
    in_window,
    year_of_step,
)

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


class OddOracle(Oracle):
    """What ODD §7.6-7.8 say a run of `scenario` books, given the counts the run produced.

    Stateful like the model: call `begin_year` before the first step of each year, `step_money`
    and `graduates` once per step, `end_year` after the last step of each year. `path` (C, K, T)
    is G_base by year of the run (workers a year); `posts0` and `present0` (C, 2, K) the
    initial funded posts and agents (the first of the year-end vacancy rates).
    """

    def __init__(self, scenario, path: np.ndarray, posts0: np.ndarray, present0: np.ndarray):
        data = scenario.data
        world = world_for(data)
        self.iso = [str(code) for code in world.iso3]
        self.n = len(self.iso)
        wf = data["workforce"]
        self.omega = float(data["scale"]["workers_per_agent"])
        self.steps_per_year = int(data["time"]["steps_per_year"])
        self.dt = 1.0 / self.steps_per_year
        self.start_year = int(data["time"]["start_year"])
        self.policies = data["policies"]
        self.adjustments = data["adjustments"]
        self.fee = float(data["behaviour"]["recruitment_fee"])
        gdp = np.asarray(world.gdp_pc_ppp, dtype=np.float64)
        per_cadre = lambda key: np.array([wf[key][k] for k in CADRES], dtype=np.float64)  # noqa: E731
        self.base_wage = gdp[:, None] * per_cadre("wage_multiple")  # w̄ (C, K)
        self.training_cost = gdp[:, None] * per_cadre("training_cost")  # (C, K)
        self.lag = [int(wf["training_lag"][k]) for k in CADRES]
        self.destinations = self.mask(wf["destinations"])
        self.x_max = float(wf["training_expansion_rate"])
        self.kappa = float(wf["training_vacancy_response"])
        self.threshold = float(wf["vacancy_threshold"])
        self.rho_w = float(wf["wage_vacancy_response"])
        self.path = path
        shape = (self.n, 2)
        # State: compensation received this year, the compensation pay rise, the training fund,
        # extra intake by year, this year's training payments, the year-end vacancy rates, and
        # the carry rounding of graduates.
        self.received = np.zeros(shape)
        self.moves = np.zeros(2)  # agents moved abroad so far: from their training country, all
        self.compensation_pay_rise = np.zeros(shape)
        self.fund = np.zeros(shape)
        self.intake: dict[int, np.ndarray] = {}
        self.responded: dict[int, np.ndarray] = {}
        self.last_intake = np.zeros(shape)
        self.payments = np.zeros(self.n)
        self.pressure = np.zeros(shape)
        self.vacancy_rates = [self.vacancy_rate(posts0, present0)]
        self.graduates_expected = np.zeros(shape)
        self.graduates_issued = np.zeros(shape, dtype=np.int64)

    # ------------------------------------------------------------------ §7.2 and §7.6
    @staticmethod
    def vacancy_rate(posts: np.ndarray, present: np.ndarray) -> np.ndarray:
        """(C, K) vacancies over posts, areas summed (§7.9), 0 without posts."""
        vacancies = (posts - np.minimum(posts, present)).sum(axis=1)
        total = posts.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total > 0, vacancies / total, 0.0)

    def base_output(self, year: int) -> np.ndarray:
        """G_base (C, K) workers a year (the last year of the path beyond the run)."""
        t = min(max(year - self.start_year, 0), self.path.shape[2] - 1)
        return self.path[:, :, t]

    def begin_year(self, year: int) -> None:
        """§7.6 steps 1-5 at the start of `year`: fund credited, intake within capacity."""
        self.pressure = np.maximum(np.mean(self.vacancy_rates[-3:], axis=0) - self.threshold, 0)
        base = self.base_output(year)
        cost = self.training_cost
        into = self.lever("domestic_training", year, "expansion") * base * cost
        paid = into.sum(axis=1)
        for spec in self.policies["agreements"]:
            if in_window(spec, year):
                src, dst = self.index(spec["source"]), self.index(spec["destination"])
                share = self.cadres(spec["cadre"]) / self.cadres(spec["cadre"]).sum()
                money = spec["training_places"] * share * cost[src]
                into[src] += money
                paid[dst] += money.sum()
        self.fund = self.fund + into
        room = np.maximum(self.last_intake + self.x_max * base, 0.0)
        funded = np.minimum(self.fund / cost, room)
        self.fund = np.maximum(self.fund - funded * cost, 0.0)
        responded = np.maximum(np.minimum(self.kappa * self.pressure * base, room - funded), 0.0)
        self.payments = paid + (responded * cost).sum(axis=1)
        self.responded[year] = responded
        self.last_intake = funded + responded
        self.intake[year] = self.last_intake

    def extra_graduates(self, year: int) -> np.ndarray:
        """X(year − L_k) (C, K) workers a year: the intake started a lag earlier."""
        out = np.zeros((self.n, 2))
        for k in range(2):
            if year - self.lag[k] in self.intake:
                out[:, k] = self.intake[year - self.lag[k]][:, k]
        return out

    def expected_graduates(self, year: int) -> np.ndarray:
        """§7.6: expected graduates (agents) of one step of `year`, (C, K)."""
        return (self.base_output(year) + self.extra_graduates(year)) / self.omega * self.dt

    # ------------------------------------------------------------------ phase 6: money
    def step_money(
        self,
        year: int,
        first: np.ndarray,
        moved: np.ndarray,
        present: np.ndarray,
        broken: np.ndarray,
    ) -> dict[str, np.ndarray]:
        """§7.7: each money indicator (C,) of one step, in int$ PPP.

        Args:
            year: the step's calendar year.
            first: (C origin, C destination, K) agents recruited from their training country.
            moved: (C origin, C destination, K) agents who moved abroad (onward moves too).
            present: (C, 2, K) agents present after phases 1-5.
            broken: (C, K) bonded agents who left the profession or emigrated.
        """
        w = self.omega
        self.moves += first.sum(), moved.sum()
        wage = self.wages(year)
        pay_rise = self.lever("retention", year, "pay_rise")
        allowance = self.lever("rural_allowance", year, "allowance")
        incentive = (
            pay_rise * wage * present.sum(axis=1) * w
            + allowance * wage * (1.0 + pay_rise) * present[:, RURAL, :] * w
        ).sum(axis=1) * self.dt
        payers, recipients = self.compensation(year)
        comp = first * w * (recipients[:, None] & payers[None, :])[:, :, None]
        comp = comp * self.policies["compensation"]["rate"]
        self.received += comp.sum(axis=1)
        return {
            "compensation_paid": comp.sum(axis=(0, 2)),
            "compensation_received": comp.sum(axis=(1, 2)),
            "incentive_spending": incentive,
            "training_investment": self.payments * self.dt,
            "training_cost_emigrants": (first.sum(axis=1) * w * self.training_cost).sum(axis=1),
            "bond_buyouts": (broken * w * self.buyout() * wage).sum(axis=1),
            "recruitment_fees": (moved * w * self.fees(year) * wage[:, None, :]).sum(axis=(1, 2)),
        }

    # ------------------------------------------------------------------ year end: §7.8
    def end_year(self, year: int, posts: np.ndarray, present: np.ndarray) -> None:
        """Compensation received in `year` goes to the fund or next year's pay rise; the year's
        vacancy rate is kept for the responses of the next years."""
        if self.policies["compensation"]["use"] == "training":
            self.fund = self.fund + self.received
            self.compensation_pay_rise = np.zeros((self.n, 2))
        else:
            bill = present.sum(axis=1) * self.omega * self.wages(year + 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                rise = np.where(bill > 0, self.received / bill, 0.0)
            self.compensation_pay_rise = np.minimum(rise, 1.0)
        self.received = np.zeros((self.n, 2))
        self.vacancy_rates.append(self.vacancy_rate(posts, present))


def oracle_for(model, scenario) -> OddOracle:
    """The oracle of a model that has not stepped yet."""
    assert model.steps == 0
    return OddOracle(scenario, model.training.path, model.posts.copy(), model.ledger.present())


def _spy_on_admissions(model) -> list:
    """Collect the transitions of phase 4 (both calls of `admit` in a step)."""
    seen = []
    admit = model.population.admit

    def spy(*args):
        out = admit(*args)
        seen.append(out)
        return out

    model.population.admit = spy
    return seen


def _emigrants(transitions: list, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(C, C, K) agents who moved abroad from their training country, and all moves abroad."""
    first, moved = np.zeros((n, n, 2)), np.zeros((n, n, 2))
    for tr in transitions:
        go = tr.kind == T_EMIGRATE
        np.add.at(moved, (tr.origin[go], tr.country_to[go], tr.cadre[go]), 1)
        home = go & (tr.country_from == tr.origin)
        np.add.at(first, (tr.origin[home], tr.country_to[home], tr.cadre[home]), 1)
    return first, moved


def run_against_oracle(model, oracle: OddOracle):
    """Step an agents-engine model to the end, checking money and graduates at every step.

    Yields (step, year) after each step's checks, so that a test can add its own; the money of
    every kind (§7.7), the graduates of every country and cadre (§7.6), and at each year start
    the extra intake and the training fund must equal the oracle's.
    """
    hz = model.data["hazards"]
    assert hz["death_rate"] == 0 and not any(hz["attrition_rate"].values()), "no hazard exits"
    assert not any(hz["retirement_scale"].values()), "bond counting needs no retirement"
    spy = oracle.steps_per_year
    admitted = _spy_on_admissions(model)
    while model.steps < model.n_steps:
        t = model.steps
        year = year_of_step(t, oracle.start_year, spy)
        if t % spy == 0:
            oracle.begin_year(year)
        snapshot = bonded_at_decision(model)
        admitted.clear()
        model.step()
        if t % spy == 0:
            np.testing.assert_allclose(model.training.intake[year], oracle.intake[year],
                                       rtol=1e-12, atol=1e-9, err_msg=f"intake {year}")  # fmt: skip
        ledger = model.ledger
        present = ledger.present().copy()
        first, moved = _emigrants(admitted, oracle.n)
        expected = oracle.step_money(year, first, moved, present, broken_bonds(snapshot, oracle.n))
        for kind, value in expected.items():
            np.testing.assert_allclose(
                ledger.step_money[MONEY_KINDS.index(kind)], value, rtol=1e-12, atol=1e-6,
                err_msg=f"{kind} in step {t} ({year})",
            )  # fmt: skip
        np.testing.assert_array_equal(
            ledger.step_flows[F_GRADUATES].sum(axis=1),
            oracle.graduates(year),
            err_msg=f"graduates in step {t} ({year})",
        )
        if (t + 1) % spy == 0:
            oracle.end_year(year, model.posts.copy(), present)
            np.testing.assert_allclose(model.training.fund, oracle.fund, rtol=1e-12, atol=1e-6,
                                       err_msg=f"training fund at the end of {year}")  # fmt: skip
        yield t, year


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
