"""The ODD's money and graduate equations restated for the tests, independently of `sim/model`.

`Oracle` reads a scenario's resolved data and its world and states, year by year and step by step,
what docs/ODD.md §7.6-7.8 say the model must book: which levers are in force (§7.1: `from ≤ year ≤
until`, inclusive), the training fund and the extra intake at each year start (§7.6), the money of
phase 6 (§7.7) from the step's counts, the year-end settlement of compensation (§7.8) and the
number of graduates of phase 5 (§7.6, carry-rounded as §7.10 says). Nothing here calls the model's
own policy, demand, training or money code; two inputs are read from the model: the base graduate
output G_base of `sim.model.supply.graduate_path` (tested in tests/test_realism.py) and the funded
posts of phase 1 (for the year-end vacancy rates). A test comparing the model with the oracle
(`run_against_oracle`) therefore fails when either drifts from the ODD.

Country selectors must be lists of ISO3 codes, `all` or `none` (the keywords that depend on the
world's lists are the selectors module's concern and tested there); shapes use C countries and
K = 2 cadres (doctors, nurses).
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.ledger import F_GRADUATES, MONEY_KINDS, T_EMIGRATE
from sim.runner import world_for

CADRES = ("doctors", "nurses")
RURAL = 1  # area index (urban is 0)


def in_window(spec: dict, year: int) -> bool:
    """ODD §7.1: a policy applies in `year` when enabled and from ≤ year ≤ until (null: open)."""
    first, last = spec.get("from"), spec.get("until")
    return (
        spec.get("enabled", True)
        and (first is None or first <= year)
        and (last is None or year <= last)
    )


def year_of_step(step: int, start_year: int, steps_per_year: int) -> int:
    """Calendar year of step `step` (0-based): all steps of a year use that year's levers."""
    return start_year + math.floor(step / steps_per_year)


class Oracle:
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
        self.x_max = float(wf["training_expansion_rate"])
        self.kappa = float(wf["training_vacancy_response"])
        self.threshold = float(wf["vacancy_threshold"])
        self.kappa_u = float(wf["training_unemployment_response"])
        self.threshold_u = float(wf["unemployment_threshold"])
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
        self.unemployment_rates = [self.unemployment_rate(posts0, present0)]
        self.cut: dict[int, np.ndarray] = {}
        self.graduates_expected = np.zeros(shape)
        self.graduates_issued = np.zeros(shape, dtype=np.int64)

    # ------------------------------------------------------------------ selectors and levers
    def index(self, code: str) -> int:
        return self.iso.index(code)

    def mask(self, selector) -> np.ndarray:
        """(C,) countries picked by a list of ISO3 codes, `all` or `none`."""
        if selector == "all":
            return np.ones(self.n, dtype=bool)
        if selector == "none":
            return np.zeros(self.n, dtype=bool)
        assert isinstance(selector, list), f"the oracle needs explicit codes, not {selector!r}"
        return np.array([code in selector for code in self.iso])

    @staticmethod
    def cadres(choice: str) -> np.ndarray:
        return np.array([choice in ("all", k) for k in CADRES])

    def lever(self, name: str, year: int, key: str, selector: str = "countries") -> np.ndarray:
        """(C, K): the lever's `key` in force in `year`, for its countries and cadres, else 0."""
        spec = self.policies[name]
        if not in_window(spec, year):
            return np.zeros((self.n, 2))
        picked = self.mask(spec[selector])[:, None] & self.cadres(spec.get("cadres", "all"))
        return np.where(picked, float(spec[key]), 0.0)

    def wage_multiplier(self, year: int) -> np.ndarray:
        """(C,) M^w: the product of the wage multipliers of the adjustments in force."""
        m = np.ones(self.n)
        for adj in self.adjustments:
            if in_window(adj, year):
                m[self.mask(adj["countries"])] *= adj["wage_multiplier"]
        return m

    def wages(self, year: int) -> np.ndarray:
        """(C, K) w̄·M^w, the base wage with the adjustments (the wage all money terms use)."""
        return self.base_wage * self.wage_multiplier(year)[:, None]

    def fees(self, year: int) -> np.ndarray:
        """(C origin, C destination, K) recruitment fee in annual source wages (ODD §7.1)."""
        f = np.full((self.n, self.n, 2), self.fee)
        free = self.policies["fee_free_recruitment"]
        if in_window(free, year):
            f[:, self.mask(free["destinations"]), :] = 0.0
        for spec in self.policies["agreements"]:
            if spec["fee_free"] and in_window(spec, year):
                o, d = self.index(spec["source"]), self.index(spec["destination"])
                f[o, d, self.cadres(spec["cadre"])] = 0.0
        return f

    def compensation(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        """(C,) payers and (C,) recipients of compensation in force in `year`."""
        comp = self.policies["compensation"]
        if not in_window(comp, year):
            return np.zeros(self.n, dtype=bool), np.zeros(self.n, dtype=bool)
        return self.mask(comp["payers"]), self.mask(comp["recipients"])

    def buyout(self) -> np.ndarray:
        """(C, K) buy-out price b in annual wages, for the bonding countries and cadres."""
        bond = self.policies["bonding"]
        if not bond["enabled"]:  # nobody is ever bonded
            return np.zeros((self.n, 2))
        return np.where(
            self.mask(bond["countries"])[:, None] & self.cadres(bond["cadres"]), bond["buyout"], 0.0
        )

    # ------------------------------------------------------------------ §7.2 and §7.6
    @staticmethod
    def vacancy_rate(posts: np.ndarray, present: np.ndarray) -> np.ndarray:
        """(C, K) vacancies over posts, areas summed (§7.9), 0 without posts."""
        vacancies = (posts - np.minimum(posts, present)).sum(axis=1)
        total = posts.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total > 0, vacancies / total, 0.0)

    @staticmethod
    def unemployment_rate(posts: np.ndarray, present: np.ndarray) -> np.ndarray:
        """(C, K) workers beyond the posts of their area over workers, areas summed, 0 without
        workers."""
        unemployed = np.maximum(present - posts, 0.0).sum(axis=1)
        total = present.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total > 0, unemployed / total, 0.0)

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
        slack = np.maximum(np.mean(self.unemployment_rates[-3:], axis=0) - self.threshold_u, 0)
        self.cut[year] = np.minimum(self.kappa_u * slack, 1.0)

    def extra_graduates(self, year: int) -> np.ndarray:
        """X(year − L_k) (C, K) workers a year: the intake started a lag earlier."""
        out = np.zeros((self.n, 2))
        for k in range(2):
            if year - self.lag[k] in self.intake:
                out[:, k] = self.intake[year - self.lag[k]][:, k]
        return out

    def kept_share(self, year: int) -> np.ndarray:
        """1 − cut(year − L_k) (C, K): the share of base output whose intake was started."""
        out = np.ones((self.n, 2))
        for k in range(2):
            if year - self.lag[k] in self.cut:
                out[:, k] -= self.cut[year - self.lag[k]][:, k]
        return out

    def expected_graduates(self, year: int) -> np.ndarray:
        """§7.6: expected graduates (agents) of one step of `year`, (C, K)."""
        output = self.base_output(year) * self.kept_share(year) + self.extra_graduates(year)
        return output / self.omega * self.dt

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
        self.unemployment_rates.append(self.unemployment_rate(posts, present))

    def graduates(self, year: int) -> np.ndarray:
        """Carry-rounded graduates (agents) of the next step (ODD §7.10), (C, K) int."""
        self.graduates_expected += self.expected_graduates(year)
        due = np.floor(self.graduates_expected + 1e-9).astype(np.int64) - self.graduates_issued
        due = np.maximum(due, 0)
        self.graduates_issued += due
        return due


def bonded_at_decision(model) -> list:
    """Agents-engine workers whose bond still runs after this step's ageing (bond_steps ≥ 2).

    Phase 2 runs the bond down by one step before the worker decides (§7.3), so these are the
    workers who pay the buy-out if they leave the profession or emigrate this step.
    """
    return [(w, w.country) for w in model.population.workers if w.bond_steps >= 2]


def broken_bonds(snapshot: list, n_countries: int) -> np.ndarray:
    """(C, K) bonded workers of `snapshot` who left the profession or the country this step.

    Only valid without hazard exits, deaths and retirement (`hazards.attrition_rate`,
    `death_rate` and `retirement_scale` all 0): then a bonded worker who is no longer active left
    by choice.
    """
    from sim.model.rules import ACTIVE

    out = np.zeros((n_countries, 2), dtype=np.int64)
    for worker, country in snapshot:
        if worker.status != ACTIVE or worker.country != country:
            out[country, worker.cadre] += 1
    return out


def oracle_for(model, scenario) -> Oracle:
    """The oracle of a model that has not stepped yet."""
    assert model.steps == 0
    return Oracle(scenario, model.training.path, model.posts.copy(), model.ledger.present())


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


def run_against_oracle(model, oracle: Oracle):
    """Step an agents-engine model to the end, checking money and graduates at every step.

    Yields (step, year) after each step's checks, so that a test can add its own; the money of
    every kind (§7.7), the graduates of every country and cadre (§7.6), the extra intake of each
    year (§7.6, checked after the year's first step) and the training fund at each year end
    (§7.8) must equal the oracle's. Hazard exits, deaths and retirement must be off.
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
