"""The ODD's money and graduate equations restated for the tests, independently of `sim/model`.

`Oracle` reads a scenario's resolved data and its world and states, year by year and step by step,
what docs/ODD.md says the model must book: which levers are in force (§7.1: `from ≤ year ≤ until`,
inclusive, lagged effects after the training lag), the money of phase 6 (§7.7) from the step's
counts, the compensation settlement at the end of each year (§7.8) and the number of graduates of
phase 5 (§7.6, carry-rounded as §7.10 says). Nothing here calls the model's own policy, demand or
money code, so a test comparing the model with the oracle fails when either drifts from the ODD.

Country selectors must be lists of ISO3 codes, `all` or `none` (the keywords that depend on the
world's lists are the selectors module's concern and tested there); shapes use C countries and
K = 2 cadres (doctors, nurses).
"""

from __future__ import annotations

import math

import numpy as np

from sim.runner import world_for

CADRES = ("doctors", "nurses")
URBAN, RURAL = 0, 1


def in_window(spec: dict, year: int) -> bool:
    """ODD §7.1: a policy applies in `year` when enabled and from ≤ year ≤ until (null: open)."""
    first, last = spec.get("from"), spec.get("until")
    return (
        spec.get("enabled", True)
        and (first is None or first <= year)
        and (last is None or year <= last)
    )


def lagged_window(spec: dict, year: int, lag: int, start_year: int) -> bool:
    """In force `lag` years before `year`, a policy without `from` counting from the run's start."""
    first = start_year if spec.get("from") is None else max(spec["from"], start_year)
    return in_window({**spec, "from": first}, year - lag)


class Oracle:
    """What the ODD says a run of `scenario` books, given the counts the run produced.

    Stateful like the model: call `step_money` and `graduates` once per step, `end_year` after the
    last step of each year (the settlement of §7.8).
    """

    def __init__(self, scenario):
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
        stock = np.stack([np.asarray(world.doctors), np.asarray(world.nurses)], axis=1)
        self.stock_rate = stock * per_cadre("graduate_rate")  # graduates/year in workers (C, K)
        self.lag = [int(wf["training_lag"][k]) for k in CADRES]
        self.destinations = self.mask(wf["destinations"])
        # State: compensation received this year, graduates bought for each arrival year, the
        # compensation pay rise of the current year, and the carry rounding of graduates.
        self.received = np.zeros((self.n, 2))
        self.funded: dict[int, np.ndarray] = {}
        self.compensation_pay_rise = np.zeros((self.n, 2))
        self.graduates_expected = np.zeros((self.n, 2))
        self.graduates_issued = np.zeros((self.n, 2), dtype=np.int64)

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

    def agreement_cost(self, spec: dict) -> float:
        """Training cost of one place of an agreement: its cadre's, or the mean over cadres."""
        source = self.training_cost[self.index(spec["source"])]
        return (
            float(source.mean())
            if spec["cadre"] == "all"
            else float(source[CADRES.index(spec["cadre"])])
        )

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

    # ------------------------------------------------------------------ phase 6: money
    def step_money(
        self, year: int, recruited: np.ndarray, present: np.ndarray, broken_bonds: np.ndarray
    ) -> dict[str, np.ndarray]:
        """ODD §7.7: each money indicator (C,) of one step, in int$ PPP.

        Args:
            year: the step's calendar year.
            recruited: (C origin, C destination, K) agents recruited in phase 4.
            present: (C, 2, K) agents present after phases 1-5.
            broken_bonds: (C, K) bonded agents who left the profession or emigrated.
        """
        w = self.omega
        wage = self.wages(year)
        pay_rise = self.lever("retention", year, "pay_rise")
        allowance = self.lever("rural_allowance", year, "allowance")
        incentive = (
            pay_rise * wage * present.sum(axis=1) * w
            + allowance * wage * (1.0 + pay_rise) * present[:, RURAL, :] * w
        ).sum(axis=1) * self.dt
        expansion = self.lever("domestic_training", year, "expansion")
        training = (expansion * self.stock_rate * self.training_cost).sum(axis=1) * self.dt
        for spec in self.policies["agreements"]:
            if in_window(spec, year):
                d = self.index(spec["destination"])
                training[d] += spec["training_places"] * self.agreement_cost(spec) * self.dt
        workers = recruited * w  # (o, d, k)
        payers, recipients = self.compensation(year)
        comp = workers * (recipients[:, None] & payers[None, :])[:, :, None]
        comp = comp * self.policies["compensation"]["rate"]
        self.received += comp.sum(axis=1)
        return {
            "compensation_paid": comp.sum(axis=(0, 2)),
            "compensation_received": comp.sum(axis=(1, 2)),
            "incentive_spending": incentive,
            "training_investment": training,
            "training_cost_emigrants": (workers.sum(axis=1) * self.training_cost).sum(axis=1),
            "bond_buyouts": (broken_bonds * w * self.buyout() * wage).sum(axis=1),
            "recruitment_fees": (workers * self.fees(year) * wage[:, None, :]).sum(axis=(1, 2)),
        }

    # ------------------------------------------------------------------ year end: settlement
    def end_year(self, year: int, present: np.ndarray) -> None:
        """ODD §7.8: compensation received in `year` buys graduates or next year's pay rise."""
        if self.policies["compensation"]["use"] == "training":
            for k in range(2):
                arrive = year + 1 + self.lag[k]
                bought = self.funded.setdefault(arrive, np.zeros((self.n, 2)))
                bought[:, k] += self.received[:, k] / self.training_cost[:, k]
            self.compensation_pay_rise = np.zeros((self.n, 2))
        else:
            bill = present.sum(axis=1) * self.omega * self.wages(year + 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                rise = np.where(bill > 0, self.received / bill, 0.0)
            self.compensation_pay_rise = np.minimum(rise, 1.0)
        self.received = np.zeros((self.n, 2))

    # ------------------------------------------------------------------ phase 5: graduates
    def expected_graduates(self, year: int) -> np.ndarray:
        """ODD §7.6: expected graduates (agents) of one step of `year`, (C, K)."""
        dom = self.policies["domestic_training"]
        expansion = np.zeros((self.n, 2))
        for k in range(2):
            if lagged_window(dom, year, self.lag[k], self.start_year):
                expansion[:, k] = np.where(
                    self.mask(dom["countries"]) & self.cadres(dom["cadres"])[k], dom["expansion"], 0
                )
        places = np.zeros((self.n, 2))
        for spec in self.policies["agreements"]:
            lag = max(self.lag) if spec["cadre"] == "all" else self.lag[CADRES.index(spec["cadre"])]
            if lagged_window(spec, year, lag, self.start_year):
                share = self.cadres(spec["cadre"]) / self.cadres(spec["cadre"]).sum()
                places[self.index(spec["source"])] += spec["training_places"] * share
        capacity = self.stock_rate / self.omega  # agents per year without policies
        funded = self.funded.get(year, 0.0)
        return (capacity * (1.0 + expansion) + funded / self.omega + places / self.omega) * self.dt

    def graduates(self, year: int) -> np.ndarray:
        """Carry-rounded graduates (agents) of the next step (ODD §7.10), (C, K) int."""
        self.graduates_expected += self.expected_graduates(year)
        due = np.floor(self.graduates_expected + 1e-9).astype(np.int64) - self.graduates_issued
        due = np.maximum(due, 0)
        self.graduates_issued += due
        return due


def year_of_step(step: int, start_year: int, steps_per_year: int) -> int:
    """Calendar year of step `step` (0-based): all steps of a year use that year's levers."""
    return start_year + math.floor(step / steps_per_year)


def bonded_at_decision(model) -> list:
    """Agents-engine workers whose bond still runs after this step's ageing (bond_steps ≥ 2).

    Phase 2 runs the bond down by one step before the worker decides (§7.3), so these are the
    workers who pay the buy-out if they leave the profession or emigrate this step.
    """
    return [(w, w.country) for w in model.population.workers if w.bond_steps >= 2]


def broken_bonds(snapshot: list, n_countries: int) -> np.ndarray:
    """(C, K) bonded workers of `snapshot` who left the profession or the country this step.

    Only valid without hazard exits and deaths (`hazards.exit_rate` = `death_rate` = 0): then a
    bonded worker who is no longer active left by choice.
    """
    from sim.model.rules import ACTIVE

    out = np.zeros((n_countries, 2), dtype=np.int64)
    for worker, country in snapshot:
        if worker.status != ACTIVE or worker.country != country:
            out[country, worker.cadre] += 1
    return out


def run_against_oracle(model, oracle: Oracle):
    """Step an agents-engine model to the end, checking money and graduates at every step.

    Yields (step, year) after each step's checks, so that a test can add its own; the money of
    every kind (§7.7) and the graduates of every country and cadre (§7.6) must equal the
    oracle's. Recruited workers are the step's international moves into a destination country
    (returns go to training countries; the tests' worlds never train workers in a destination
    and send them back there).
    """
    from sim.model.ledger import F_GRADUATES, MONEY_KINDS

    hz = model.data["hazards"]
    assert hz["exit_rate"] == 0 and hz["death_rate"] == 0, "bond counting needs no hazard exits"
    spy = oracle.steps_per_year
    while model.steps < model.n_steps:
        t = model.steps
        year = year_of_step(t, oracle.start_year, spy)
        snapshot = bonded_at_decision(model)
        model.step()
        ledger = model.ledger
        recruited = ledger.step_international * oracle.destinations[None, :, None]
        present = ledger.present().copy()
        expected = oracle.step_money(year, recruited, present, broken_bonds(snapshot, oracle.n))
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
            oracle.end_year(year, present)
        yield t, year
