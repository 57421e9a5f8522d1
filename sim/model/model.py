"""`WorkforceModel`: the step order of DESIGN §4, shared by both engines.

Country-level work (demand, utilities of each option, matching, graduates' numbers, money,
indicators) is done here once, with numpy, on the stock tensor kept by the `Ledger`. Only the worker
population differs between engines: `sim.engines.agents.AgentPopulation` (Mesa agents) and
`sim.engines.arrays.ArrayPopulation` (numba struct-of-arrays). Both call the same rules.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import mesa
import numpy as np

from sim.declarations import AUTO_ARRAYS_THRESHOLD, CADRES, INCOME_GROUPS
from sim.inputs.selectors import country_mask
from sim.model import rules
from sim.model.country import Country
from sim.model.ledger import MONEY_KINDS, Ledger, Transitions
from sim.model.policies import PolicySchedule, steps_of
from sim.outputs.indicators import IndicatorRecorder

log = logging.getLogger(__name__)

__all__ = ["AUTO_ARRAYS_THRESHOLD", "WorkforceModel"]


@dataclass
class HazardContext:
    """Per-cadre hazard parameters for phase 2 (per-step probabilities, ages in steps)."""

    retire_from_steps: np.ndarray
    max_age_steps: int
    p_retire: float
    p_death: float
    p_exit: float


@dataclass
class DecisionContext:
    """Utilities of every option at the start of phase 3 (DESIGN §4.3), read by both engines."""

    p_reconsider: float
    propensity_sd: float
    v_stay: np.ndarray  # (C, area, K, migrant)
    v_move: np.ndarray  # (C, area, K, migrant)
    v_emigrate: np.ndarray  # (C origin, K) inclusive value over destinations
    cum_emigrate: np.ndarray  # (C origin, K, D) cumulative logit weights of destination slots
    destination_of_slot: np.ndarray  # (D,) country index of each destination slot
    v_return: np.ndarray  # (C origin, K)
    v_leave: np.ndarray  # (C, K)
    bond_penalty: np.ndarray  # (C, K)
    rural_service: np.ndarray  # (C, K)
    agreement_return_probability: np.ndarray  # (G,)

    def rule_arrays(self) -> tuple:
        """The context as the tuple `rules.decide_worker` takes (built once per step)."""
        return (
            self.propensity_sd,
            self.p_reconsider,
            self.v_stay,
            self.v_move,
            self.v_emigrate,
            self.cum_emigrate,
            self.v_return,
            self.v_leave,
            self.bond_penalty,
            self.rural_service,
            self.agreement_return_probability,
        )


def round_half_up(x: np.ndarray) -> np.ndarray:
    """Deterministic rounding to integers (halves up)."""
    return np.floor(np.asarray(x) + 0.5).astype(np.int64)


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer total over cells in proportion to weights (largest-remainder method)."""
    weights = np.asarray(weights, dtype=np.float64)
    s = weights.sum()
    if total <= 0 or s <= 0:
        return np.zeros(weights.shape, dtype=np.int64)
    exact = weights / s * total
    base = np.floor(exact).astype(np.int64)
    left = int(total - base.sum())
    if left > 0:
        order = np.lexsort((np.arange(exact.size), -(exact - base).ravel()))
        base.ravel()[order[:left]] += 1
    return base


class CarryRounder:
    """Turns a stream of fractional expected counts into integers without drift or randomness."""

    def __init__(self, shape):
        self.cumulative = np.zeros(shape)
        self.issued = np.zeros(shape, dtype=np.int64)

    def take(self, expected: np.ndarray, cap: np.ndarray | None = None) -> np.ndarray:
        """Integers whose running total tracks the running total of `expected` (floor).

        With `cap`, no more than `cap` are issued, and what the cap withholds is dropped rather
        than carried (the carried remainder never exceeds one).
        """
        self.cumulative += expected
        target = np.floor(self.cumulative + 1e-9).astype(np.int64)
        out = np.maximum(target - self.issued, 0)
        if cap is not None:
            out = np.minimum(out, cap)
        self.issued += out
        if cap is not None:
            self.cumulative = np.minimum(self.cumulative, self.issued + 1.0)
        return out


class WorkforceModel(mesa.Model):
    """Health workers across urban, rural and international posts under a scenario's policies."""

    def __init__(
        self,
        scenario,
        world,
        seed: int,
        engine: str = "agents",
        replicate: int = 0,
        visit_order: str = "fixed",
    ):
        super().__init__(seed=seed)
        self.scenario = scenario
        self.data = scenario.data if hasattr(scenario, "data") else scenario
        self.world = world
        self.counter_seed = int(seed)
        self.replicate = replicate
        self.engine_name = engine
        self.visit_order = visit_order
        d = self.data
        self.start_year = int(d["time"]["start_year"])
        self.steps_per_year = int(d["time"]["steps_per_year"])
        self.n_steps = int(d["time"]["years"]) * self.steps_per_year
        self.dt = 1.0 / self.steps_per_year
        self.workers_per_agent = float(d["scale"]["workers_per_agent"])
        self.t = 0
        self.next_worker_id = 0
        self.n_countries = len(world.iso3)
        self.n_cadres = len(CADRES)
        self._setup_parameters()
        self.ledger = Ledger(self.n_countries, self.n_cadres)
        self.countries = [Country(self, i) for i in range(self.n_countries)]
        self.population = self._make_population(engine)
        self._create_initial_population()
        self.recorder = IndicatorRecorder(self)
        self.recorder.record_initial()

    # ------------------------------------------------------------------ setup
    def _make_population(self, engine: str):
        if engine == "agents":
            from sim.engines.agents import AgentPopulation

            return AgentPopulation(self)
        if engine == "arrays":
            from sim.engines.arrays import ArrayPopulation

            return ArrayPopulation(self)
        raise ValueError(f"unknown engine {engine!r}")

    def _setup_parameters(self) -> None:
        d, w = self.data, self.world
        beh, hz, wf = d["behaviour"], d["hazards"], d["workforce"]
        spy = self.steps_per_year
        self.beh = beh
        income = np.asarray(w.income_group)
        self.income_index = np.array([INCOME_GROUPS.index(g) for g in income])
        self.destinations = country_mask(wf["destinations"], w)
        self.destination_of_slot = np.flatnonzero(self.destinations).astype(np.int64)
        lag = np.array([wf["training_lag"][k] for k in CADRES], dtype=np.int64)
        self.training_lag = lag
        self.policies = PolicySchedule(d, w, self.destinations, lag)
        self.agreements = self.policies.agreements

        self.hazard_context = HazardContext(
            retire_from_steps=np.array(
                [math.ceil(hz["retirement_age"][k] * spy) for k in CADRES], dtype=np.int64
            ),
            max_age_steps=math.ceil(hz["max_age"] * spy),
            p_retire=float(rules.per_step_probability(hz["retirement_rate"], self.dt)),
            p_death=float(rules.per_step_probability(hz["death_rate"], self.dt)),
            p_exit=float(rules.per_step_probability(hz["exit_rate"], self.dt)),
        )
        self.entry_steps = np.array(
            [round(hz["entry_age"][k] * spy) for k in CADRES], dtype=np.int64
        )
        retire = np.array([hz["retirement_age"][k] for k in CADRES])
        self.span_steps = np.maximum(
            np.round((retire + 2.0) * spy).astype(np.int64) - self.entry_steps, 1
        )

        gdp = np.asarray(w.gdp_pc_ppp, dtype=np.float64)
        mult = np.array([wf["wage_multiple"][k] for k in CADRES])
        self.base_wage = gdp[:, None] * mult[None, :]  # (C, K) annual, int$ PPP
        self.training_cost = gdp[:, None] * np.array([wf["training_cost"][k] for k in CADRES])

        # Initial stocks in workers, by (origin, country, area, cadre).
        stock = np.stack([np.asarray(w.doctors, float), np.asarray(w.nurses, float)], axis=1)
        self.initial_workers = stock
        rural_pop = 1.0 - np.asarray(w.urban_share, dtype=np.float64)
        ratio = np.array([wf["rural_density_ratio"][k] for k in CADRES])
        rural = ratio[None, :] * rural_pop[:, None]
        self.initial_rural_share = rural / (rural + (1.0 - rural_pop)[:, None])
        self.rural_population_share = rural_pop
        self.graduate_rate = np.array([wf["graduate_rate"][k] for k in CADRES])
        self.initial_vacancy = np.array([wf["initial_vacancy_rate"][g] for g in INCOME_GROUPS])[
            self.income_index
        ]
        self.demand_growth = np.array([wf["demand_growth"][g] for g in INCOME_GROUPS])[
            self.income_index
        ]
        self.recruitment_intensity = float(wf["recruitment_intensity"])
        self.foreign_default = np.array([wf["foreign_share_default"][k] for k in CADRES])
        base_pop = np.asarray(w.population, dtype=np.float64)
        self.base_population = base_pop
        years = np.asarray(w.proj_years)
        self._pop_years = years
        self._pop_table = np.asarray(w.pop_projection, dtype=np.float64)
        self._uptake_cache: dict[bytes, np.ndarray] = {}
        # Time-invariant part of the utility of each destination: distance, language, colony.
        slots = self.destination_of_slot
        dist = np.maximum(np.asarray(w.distance_km, dtype=np.float64)[:, slots], 1.0)
        self.affinity = (
            -beh["distance_weight"] * np.log(dist)
            + beh["language_weight"] * np.asarray(w.common_language)[:, slots]
            + beh["colony_weight"] * np.asarray(w.colony)[:, slots]
        )

    def _rural_uptake(self, pol) -> np.ndarray:
        """Graduates' rural uptake by (country, cadre) under this year's allowance (cached)."""
        key = pol.allowance.tobytes()
        if key not in self._uptake_cache:
            uptake = np.vectorize(rules.rural_uptake)
            self._uptake_cache[key] = uptake(
                self.initial_rural_share, self.beh["area_wage_weight"], pol.allowance
            )
        return self._uptake_cache[key]

    def population_in(self, year_float: float) -> np.ndarray:
        """Population of every country at a (fractional) calendar year, interpolated."""
        years = self._pop_years
        y = min(max(float(year_float), float(years[0])), float(years[-1]))
        i = min(int(np.searchsorted(years, y, side="right")) - 1, len(years) - 2)
        if len(years) == 1:
            return self._pop_table[:, 0].copy()
        w = (y - years[i]) / (years[i + 1] - years[i])
        return self._pop_table[:, i] * (1.0 - w) + self._pop_table[:, i + 1] * w

    def _initial_cells(self) -> np.ndarray:
        """Initial agents by (origin, country, area, cadre), totals preserved per country."""
        w = self.world
        c_n, k_n = self.n_countries, self.n_cadres
        foreign = np.zeros((c_n, c_n, k_n))  # [origin, destination, cadre] workers
        ftd = np.asarray(w.ftd_doctors, dtype=np.float64).copy()
        np.fill_diagonal(ftd, 0.0)
        mig = np.asarray(w.migrant_stock, dtype=np.float64).copy()
        np.fill_diagonal(mig, 0.0)
        reported = np.asarray(w.ftd_reported, dtype=bool)
        for k in range(k_n):
            for d in range(c_n):
                total = self.initial_workers[d, k]
                if k == 0 and reported[d]:
                    col = ftd[:, d]
                elif self.destinations[d] and mig[:, d].sum() > 0:
                    col = mig[:, d] / mig[:, d].sum() * self.foreign_default[k] * total
                else:
                    continue
                if col.sum() > 0.95 * total:
                    col = col * (0.95 * total / col.sum())
                foreign[:, d, k] = col
        cells = np.zeros((c_n, c_n, 2, k_n), dtype=np.int64)
        wpa = self.workers_per_agent
        for d in range(c_n):
            for k in range(k_n):
                total_agents = int(round_half_up(self.initial_workers[d, k] / wpa))
                by_origin = foreign[:, d, k].copy()
                by_origin[d] = self.initial_workers[d, k] - by_origin.sum()
                rs = self.initial_rural_share[d, k]
                weights = np.stack([by_origin * (1 - rs), by_origin * rs], axis=1)
                cells[:, d, :, k] = largest_remainder(total_agents, weights)
        return cells

    def _create_initial_population(self) -> None:
        cells = self._initial_cells()
        o, c, a, k = np.nonzero(cells)
        counts = cells[o, c, a, k]
        self.graduate_capacity = (
            self.initial_workers * self.graduate_rate[None, :] / self.workers_per_agent
        )  # agents per year
        total = int(counts.sum())
        self.population.reserve(total + int(self.graduate_capacity.sum() * 2.0) + 1024)
        # Create in blocks of cells so that a full-scale world never holds all temporaries at once.
        block_ends = np.searchsorted(
            np.cumsum(counts), np.arange(1, total // 2_000_000 + 2) * 2_000_000, side="right"
        )
        start = 0
        for end in np.unique(np.append(block_ends, counts.size)):
            if end <= start:
                continue
            part = slice(start, end)
            attrs = rules.initial_workers(
                self.counter_seed,
                self.next_worker_id,
                o[part],
                c[part],
                a[part],
                k[part],
                counts[part],
                self.entry_steps,
                self.span_steps,
            )
            self.next_worker_id += int(counts[part].sum())
            self.population.add_initial(*attrs)
            start = end
        self.ledger.set_stock(cells)
        present = cells.sum(axis=0).astype(np.float64)  # (C, area, K) agents
        self.initial_present = present
        # Funded posts relative to the initial stock, by income group (negative: unemployment).
        self.initial_posts = present * (1.0 + self.initial_vacancy)[:, None, None]
        # Rural amenity: makes the initial urban/rural split a steady state of internal moves.
        nu = np.maximum(present[:, 0, :], 0.5)
        nr = np.maximum(present[:, 1, :], 0.5)
        self.amenity = np.zeros((self.n_countries, 2, self.n_cadres))
        self.amenity[:, 1, :] = 0.5 * np.log(nr / nu)
        self.graduate_rounder = CarryRounder((self.n_countries, self.n_cadres))
        self.post_rounder = CarryRounder((self.n_countries, self.n_cadres))
        self.quota_rounder = CarryRounder((len(self.agreements.source),))
        self.funded_graduates: dict[int, np.ndarray] = {}  # year -> (C, K) workers
        self.compensation_pay_rise = np.zeros((self.n_countries, self.n_cadres))
        self._compensation_this_year = np.zeros((self.n_countries, self.n_cadres))
        self.posts = self.initial_posts.copy()

    # ------------------------------------------------------------------ helpers
    @property
    def year(self) -> int:
        """Calendar year of the current step."""
        return self.start_year + self.t // self.steps_per_year

    def wages(self, pol) -> np.ndarray:
        """Native wages by (country, area, cadre), before unemployment, with policies."""
        base = self.base_wage * pol.wage_multiplier[:, None]
        national = base * (1.0 + pol.pay_rise + self.compensation_pay_rise)
        wage = np.repeat(national[:, None, :], 2, axis=1)
        wage[:, 1, :] *= 1.0 + pol.allowance
        return wage

    # ------------------------------------------------------------------ phases
    def _phase_demand(self, pol) -> None:
        """Phase 1: population, funded posts and vacancies by area and cadre."""
        year_float = self.start_year + self.t * self.dt
        pop = self.population_in(year_float)
        self.current_population = pop
        growth = (pop / self.population_in(self.start_year))[:, None, None]
        trend = ((1.0 + self.demand_growth) ** (self.t * self.dt))[:, None, None]
        self.posts = self.initial_posts * growth * trend * pol.demand_multiplier[:, None, None]
        present = self.ledger.present()
        self.vacancies = np.maximum(self.posts - present, 0.0)
        open_rate = self.recruitment_intensity * pol.recruitment_multiplier * self.destinations
        share = -np.expm1(-open_rate * self.dt)  # 1 - exp(-rate dt): never above the vacancies
        expected = self.vacancies.sum(axis=1) * share[:, None]
        whole_vacancies = np.floor(self.vacancies.sum(axis=1) + 1e-9).astype(np.int64)
        self.international_posts = self.post_rounder.take(expected, cap=whole_vacancies)
        vac_total = self.vacancies.sum(axis=1)
        self.immigrant_rural_share = np.where(
            vac_total > 0,
            self.vacancies[:, 1, :] / np.maximum(vac_total, 1e-12),
            self.initial_rural_share,
        )

    def decision_context(self, pol) -> DecisionContext:
        """Utilities of every option from the state at the start of phase 3."""
        beh = self.beh
        bw, ba = beh["wage_weight"], beh["area_wage_weight"]
        present = self.ledger.present().astype(np.float64)
        unemployed_rate = np.where(
            present > 0, np.maximum(present - self.posts, 0.0) / np.maximum(present, 1.0), 0.0
        )
        wage = self.wages(pol)
        effective = wage * np.maximum(1.0 - unemployed_rate, 0.05)
        log_eff = np.log(effective)
        cond = pol.conditions[:, None, :]
        discount = np.log(1.0 - pol.wage_discount)[:, None, None]
        v_native = bw * (log_eff + cond) + self.amenity
        v_stay = np.stack([v_native, v_native + bw * discount], axis=-1)
        other = log_eff[:, ::-1, :]
        move_gain = (
            ba * (other - log_eff) + self.amenity[:, ::-1, :] - self.amenity + beh["move_constant"]
        )
        # No move into an area without funded posts (e.g. the empty rural area of a city state).
        move_gain = np.where(self.posts[:, ::-1, :] > 0, move_gain, -np.inf)
        v_move = np.stack([v_native + move_gain, v_native + bw * discount + move_gain], axis=-1)
        v_move = np.where(np.isfinite(v_move), v_move, rules.NEG_INF)

        slots = self.destination_of_slot
        at_dest = self.ledger.stock[:, slots]  # (C origin, D, area, K)
        diaspora = (at_dest[:, :, 0, :] + at_dest[:, :, 1, :]) * self.workers_per_agent
        dest_wage = wage[slots, 0, :] * (1.0 - pol.wage_discount[slots])[:, None]  # (D, K)
        affinity = self.affinity
        v_dest = (
            bw
            * (
                np.log(dest_wage)[None, :, :]
                + pol.conditions[slots][None, :, :]
                - np.log1p(pol.fee[:, slots, :])
            )
            + beh["network_weight"] * np.log1p(diaspora)
            + affinity[:, :, None]
            + beh["emigrate_constant"]
        )
        is_open = (self.international_posts[slots] > 0)[None, :, :] & (
            slots[None, :] != np.arange(self.n_countries)[:, None]
        )[:, :, None]
        v_dest = np.where(is_open, v_dest, -np.inf)
        top = v_dest.max(axis=1, initial=-np.inf)  # (C, K); -inf where no destination is open
        finite = np.isfinite(top)
        weights = np.exp(v_dest - np.where(finite, top, 0.0)[:, None, :])
        cum = np.cumsum(weights, axis=1).transpose(0, 2, 1).copy()  # (C, K, D)
        total = cum[:, :, -1] if cum.shape[2] else np.zeros((self.n_countries, self.n_cadres))
        v_emig = np.where(finite, top + np.log(np.maximum(total, 1e-300)), rules.NEG_INF)
        if cum.shape[2] == 0:
            cum = np.ones((self.n_countries, self.n_cadres, 1))

        v_return = (
            bw * (log_eff[:, 0, :] + pol.conditions)
            + self.amenity[:, 0, :]
            + beh["return_constant"]
        )
        outside = self.base_wage * pol.wage_multiplier[:, None] * beh["outside_wage_ratio"]
        v_leave = bw * np.log(outside) + beh["leave_constant"]
        bond_penalty = bw * np.log1p(pol.buyout)
        return DecisionContext(
            p_reconsider=float(rules.per_step_probability(beh["reconsider_rate"], self.dt)),
            propensity_sd=float(beh["propensity_sd"]),
            v_stay=np.ascontiguousarray(v_stay),
            v_move=np.ascontiguousarray(v_move),
            v_emigrate=v_emig,
            cum_emigrate=cum,
            destination_of_slot=slots,
            v_return=v_return,
            v_leave=v_leave,
            bond_penalty=bond_penalty,
            rural_service=pol.rural_service,
            agreement_return_probability=self.agreements.return_probability,
        )

    def _phase_matching(self, applicants, pol) -> tuple[np.ndarray, np.ndarray]:
        """Phase 4: agreement quotas first, then open recruitment, within international posts.

        Returns, per applicant, the channel (agreement index, -1 open recruitment, -2 not taken)
        and the area of the post taken.
        """
        wid, keys, origin, cadre, dest, _area_from = applicants
        ag = self.agreements
        quota = ag.quota * pol.agreement_active / self.workers_per_agent * self.dt
        slots = self.quota_rounder.take(quota)
        if len(wid) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        posts = self.international_posts.copy()
        return rules.match_applicants(
            self.t,
            wid,
            keys,
            origin,
            cadre,
            dest,
            posts,
            ag.source,
            ag.destination,
            ag.cadre,
            slots,
            pol.ethical,
            pol.protected,
            pol.passive_rate,
            self.immigrant_rural_share,
        )

    def _phase_graduates(self, pol) -> tuple:
        """Phase 5: graduates by country and cadre, placed by the placement and bonding policy."""
        expansion = 1.0 + pol.expansion_output
        funded = self.funded_graduates.get(self.year, 0.0) / self.workers_per_agent
        agreement_places = np.zeros((self.n_countries, self.n_cadres))
        ag = self.agreements
        for g in np.flatnonzero(pol.agreement_training_output):
            if ag.cadre[g] < 0:  # places of an all-cadre agreement are split evenly
                agreement_places[ag.source[g]] += ag.training_places[g] / self.n_cadres
            else:
                agreement_places[ag.source[g], ag.cadre[g]] += ag.training_places[g]
        expected = (
            self.graduate_capacity * expansion + funded + agreement_places / self.workers_per_agent
        ) * self.dt
        counts = self.graduate_rounder.take(expected)
        p_rural = self._rural_uptake(pol)
        return rules.new_graduates(
            self.counter_seed,
            self.t,
            self.next_worker_id,
            counts,
            p_rural,
            pol.bond_steps,
            pol.rural_service,
            self.entry_steps,
        )

    def _phase_money(self, pol, emigrated: Transitions) -> None:
        """Phase 6: compensation, incentives, training investment, embodied training cost."""
        money = self.ledger.step_money
        idx = {name: i for i, name in enumerate(MONEY_KINDS)}
        wpa, dt = self.workers_per_agent, self.dt
        present = self.ledger.present().astype(np.float64) * wpa  # workers
        wage = self.base_wage * pol.wage_multiplier[:, None]
        # Retention pay on every worker; the rural allowance on the (raised) rural wage.
        money[idx["incentive_spending"]] += (
            (pol.pay_rise * wage * present.sum(axis=1)).sum(axis=1)
            + (pol.allowance * wage * (1.0 + pol.pay_rise) * present[:, 1, :]).sum(axis=1)
        ) * dt
        base_output = self.graduate_capacity * wpa
        money[idx["training_investment"]] += (
            pol.expansion_cost * base_output * self.training_cost
        ).sum(axis=1) * dt
        ag = self.agreements
        for g in np.flatnonzero(pol.agreement_active):
            cad = ag.cadre[g]
            cost = (
                self.training_cost[ag.source[g]].mean()
                if cad < 0
                else self.training_cost[ag.source[g], cad]
            )
            money[idx["training_investment"], ag.destination[g]] += (
                ag.training_places[g] * cost * dt
            )
        if len(emigrated):
            # Distinct (origin, destination, cadre) cells in sorted order with their counts, so
            # the money does not depend on the order in which an engine lists its transitions.
            cells, n = np.unique(
                np.stack([emigrated.origin, emigrated.country_to, emigrated.cadre]),
                axis=1,
                return_counts=True,
            )
            o, d, k = cells
            workers = n * wpa
            np.add.at(money[idx["training_cost_emigrants"]], o, workers * self.training_cost[o, k])
            np.add.at(money[idx["recruitment_fees"]], o, workers * pol.fee[o, d, k] * wage[o, k])
            comp = workers * (pol.compensation_recipient[o] & pol.compensation_payer[d])
            comp = comp * pol.compensation_rate
            np.add.at(money[idx["compensation_paid"]], d, comp)
            np.add.at(money[idx["compensation_received"]], o, comp)
            np.add.at(self._compensation_this_year, (o, k), comp)

    def _settle_compensation(self, pol, year: int) -> None:
        """At the end of `year`, compensation received funds training or next year's pay.

        Money received in year Y trains extra graduates who arrive in Y + 1 + training lag, or
        pays a retention supplement in Y + 1.
        """
        received = self._compensation_this_year
        if pol.compensation_use == "training":
            for k in range(self.n_cadres):
                arrive = year + 1 + int(self.training_lag[k])
                extra = received[:, k] / np.maximum(self.training_cost[:, k], 1e-9)
                self.funded_graduates.setdefault(
                    arrive, np.zeros((self.n_countries, self.n_cadres))
                )[:, k] += extra
            self.compensation_pay_rise = np.zeros_like(self.compensation_pay_rise)
        else:
            wage = self.base_wage * self.policies.year(year + 1).wage_multiplier[:, None]
            bill = self.ledger.present().sum(axis=1) * self.workers_per_agent * wage
            self.compensation_pay_rise = np.minimum(received / np.maximum(bill, 1e-9), 1.0)
        self._compensation_this_year = np.zeros_like(received)

    def step(self) -> None:
        """One time step in the order of DESIGN §4."""
        pol = self.policies.year(self.year)
        ledger = self.ledger
        ledger.start_step()
        self.recorder.start_step()
        # 1. Demand.
        self._phase_demand(pol)
        # 2. Ageing and hazards.
        ledger.apply(self.population.hazards(self.t, self.hazard_context))
        # 3. Decisions (moves, returns, leaving now; emigration applications to phase 4).
        ctx = self.decision_context(pol)
        moves, applicants = self.population.decide(self.t, ctx)
        ledger.apply(moves)
        # 4. Matching.
        channel, area = self._phase_matching(applicants, pol)
        emigrated = Transitions.empty()
        if len(channel):
            emigrated = self.population.admit(channel, area, self._contract_steps())
            ledger.apply(emigrated)
        # 5. Graduates.
        grads = self._phase_graduates(pol)
        n_new = grads[0].shape[0]
        self.next_worker_id += n_new
        if n_new:
            wid, key, country, cadre, area, age, bond = grads
            self.population.add_graduates(wid, key, country, cadre, area, age, bond)
            ledger.apply(Transitions.graduates(country, cadre, area))
        # 6. Money.
        self._phase_money(pol, emigrated)
        self._bond_buyouts(moves.concat(emigrated), pol)
        # 7. Indicators.
        self.recorder.end_step()
        self.t += 1
        if self.t % self.steps_per_year == 0:
            self._settle_compensation(pol, self.year - 1)
            self.recorder.end_year(self.year - 1)
            self.population.end_year()

    def _contract_steps(self) -> np.ndarray:
        """Contract length in steps of each agreement (0: permanent)."""
        return steps_of(self.agreements.contract_years, self.steps_per_year)

    def _bond_buyouts(self, tr: Transitions, pol) -> None:
        """Workers who leave or emigrate while bonded pay the buy-out to their government."""
        broke = tr.bonded.astype(bool)
        if broke.any():
            count = np.zeros((self.n_countries, self.n_cadres), dtype=np.int64)
            np.add.at(count, (tr.country_from[broke], tr.cadre[broke]), 1)
            wage = self.base_wage * pol.wage_multiplier[:, None]
            price = pol.buyout * wage * self.workers_per_agent
            self.ledger.step_money[MONEY_KINDS.index("bond_buyouts")] += (count * price).sum(axis=1)

    def run(self, progress=None) -> None:
        """Run every step of the scenario; `progress(n)` is called after each step if given."""
        while self.t < self.n_steps:
            self.step()
            if progress is not None:
                progress(1)
