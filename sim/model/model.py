"""`WorkforceModel`: the step order of docs/ODD.md §3 (DESIGN §4), shared by both engines.

This module holds the order of the phases only; each phase's content lives in its own module:
`demand` (phase 1 and graduate numbers), `utilities` (the utility of every option, phase 3),
`rules` (per-worker rules), `matching` (phase 4), `training` (the training fund and extra
intake), `money` (phase 6 and the year-end settlement), `ledger` (the stock tensor and flows),
`setup` and `supply` (what is fixed for a run), `initial` (the initial state), `policies` (the
levers of each year).
The worker population is an engine (`sim.model.population.Population`) handed in by the caller
(`sim.runner.build_model` picks one), and so is the indicator recorder.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.declarations import MIGRATION_AGE_EDGES, YOUNG_AGE
from sim.model import initial, matching, memo, rules, supply, utilities
from sim.model.demand import Demand, DeploymentAllowance
from sim.model.ledger import Ledger, Transitions
from sim.model.money import Money
from sim.model.policies import PolicySchedule, PolicyYear, steps_of
from sim.model.population import Applicants, NewWorkers, PopulationFactory, RecorderFactory
from sim.model.setup import setup
from sim.model.training import Training


class WorkforceModel(mesa.Model):
    """Health workers across urban, rural and international posts under a scenario's policies.

    Args:
        scenario: a `sim.inputs.scenario.Scenario` (or its resolved `data` dict).
        world: the `sim.inputs.world.World` it simulates (restricted to `world.countries`).
        seed: root of every counter-based draw (and of Mesa's own generators).
        population: builds the worker population for this model (an engine), `factory(model)`.
        recorder: builds the indicator recorder, `factory(model)`; None records nothing.
        replicate: replicate number (kept for reference).
        visit_order: `fixed` (creation order) or `shuffle` (agents engine; results identical).

    `model.steps` (Mesa's step counter) is the number of completed steps; the model stops
    (`running` False) after `n_steps`.
    """

    def __init__(
        self,
        scenario,
        world,
        seed: int,
        population: PopulationFactory,
        *,
        recorder: RecorderFactory | None = None,
        replicate: int = 0,
        visit_order: str = "fixed",
    ):
        super().__init__(seed=seed)
        self.scenario = scenario
        self.data = scenario.data if hasattr(scenario, "data") else scenario
        self.world = world
        self.counter_seed, self.replicate, self.visit_order = int(seed), replicate, visit_order
        self.setup = s = setup(self.data, world)
        self.policies = PolicySchedule(self.data, world, s.destinations)
        self.agreements = self.policies.agreements
        self.contract_steps = steps_of(self.agreements.contract_years, s.steps_per_year)
        spy, edges = s.steps_per_year, np.array(MIGRATION_AGE_EDGES) * s.steps_per_year
        self.ledger = Ledger(
            s.n_countries, s.n_cadres, YOUNG_AGE * spy, edges, world.recognition_area
        )
        self.population = population(self)
        foreign = initial.foreign_workers(s, world)
        cells = initial.initial_cells(s, foreign)
        self.next_worker_id = initial.create_population(
            s, cells, self.counter_seed, self.population, foreign
        )
        self.ledger.set_stock(cells)
        self.diaspora_offset = initial.diaspora_offset(s, foreign, cells)
        self.origin_term = initial.origin_propensity(foreign, s.initial_workers)
        self.origin_size = initial.origin_size(foreign, s.initial_workers)
        present = cells.sum(axis=0).astype(np.float64)  # (C, area, K) agents
        self.amenity = initial.rural_amenity(present)
        posts = initial.initial_posts(present, s.initial_vacancy)
        self.demand = Demand(s, posts, len(self.agreements.source))
        self.demand.record_year(present)
        self.allowance = DeploymentAllowance(s.n_countries)
        self.money = Money(s)
        self.rural_uptake = utilities.RuralUptake(
            s.initial_rural_share, s.behaviour["area_wage_weight"]
        )
        self.vacancy_premium = np.zeros((s.n_countries, s.n_cadres))
        self.affinity = utilities.dated_affinity(s.behaviour, s, s.start_year)  # (C, D, K)
        self.network_log1p = memo.Elementwise(np.log1p)  # ln(1 + D), changed cells only
        own, outflow = s.initial_workers - foreign.sum(axis=0), self._reference_outflow(cells)
        self.training = Training(s, own, s.n_steps // spy, outflow)
        self.graduate_output = np.zeros((s.n_countries, s.n_cadres))
        self.agreement_hires = np.zeros(len(self.agreements.source), dtype=np.int64)
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "year": lambda m: m.start_year + m.steps // m.steps_per_year - 1,
                "agents": lambda m: len(m.population),
                "workers": lambda m: float(m.ledger.present().sum() * m.workers_per_agent),
            }
        )
        self.recorder = recorder(self) if recorder is not None else None
        if self.recorder is not None:
            self.recorder.record_initial()

    # ------------------------------------------------------------------ views of the state
    start_year = property(lambda self: self.setup.start_year)
    steps_per_year = property(lambda self: self.setup.steps_per_year)
    n_steps = property(lambda self: self.setup.n_steps)
    workers_per_agent = property(lambda self: self.setup.workers_per_agent)
    n_countries = property(lambda self: self.setup.n_countries)
    n_cadres = property(lambda self: self.setup.n_cadres)
    posts = property(lambda self: self.demand.posts, doc="(C, 2, K) funded posts (agents).")
    vacancies = property(lambda self: self.demand.vacancies, doc="(C, 2, K) vacancies (agents).")
    international_posts = property(
        lambda self: self.demand.international_posts, doc="(C, K) international posts open now."
    )

    def population_in(self, year: float) -> np.ndarray:
        """Population (C,) of every country at a (fractional) calendar year, interpolated."""
        return self.setup.population.at(year)

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """One time step in the order of ODD §3 (Mesa has already counted it in `steps`)."""
        t = self.steps - 1
        s = self.setup
        year = s.start_year + t // s.steps_per_year
        pol = self.policies.year(year)
        ledger = self.ledger
        ledger.start_step()
        if t % s.steps_per_year == 0:
            self._start_year(year, pol)
        # 1. Demand: posts, vacancies, international posts.
        self.demand.update(t, pol, ledger.present())
        # 2. Ageing and hazards.
        ledger.apply(self.population.age_and_hazards(t, s.hazards))
        # 3. Decisions: moves and leaving now; applications abroad and home go to phase 4.
        context = self._decision_context(pol)
        moves, applicants = self.population.decide(t, context)
        ledger.apply(moves)
        # 4. Matching: applicants to international posts, then returning migrants to home posts.
        emigrated = self._match(t, pol, applicants, context)
        # 5. Graduates.
        self._graduate(t, pol)
        # 6. Money.
        self.money.record_step(
            ledger.step_money, pol, ledger.present(), emigrated, self.training.payments
        )
        self.money.record_buyouts(ledger.step_money, pol, moves.concat(emigrated))
        # 7. Indicators.
        if self.recorder is not None:
            self.recorder.end_step()
        if (t + 1) % s.steps_per_year == 0:
            self._end_year(year, pol)
        self.running = self.steps < s.n_steps

    def _start_year(self, year: int, pol: PolicyYear) -> None:
        """Year start: responses to sustained vacancies (wages, training) and unemployment
        (training), and this year's training intake (ODD §7.2, §7.6)."""
        pressure = self.demand.pressure()
        self.affinity = utilities.dated_affinity(self.setup.behaviour, self.setup, year)
        self.vacancy_premium = float(self.setup.workforce["wage_vacancy_response"]) * pressure
        self.training.start_year(year, pol, self.agreements, pressure, self.demand.slack())
        self.graduate_output = self.training.output(year)

    def _reference_outflow(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """λ_vol (C, K, Y, Q), weights (Q,): what base output replaces (ODD §7.6, no levers)."""
        s, neutral = self.setup, self.policies.without_levers()
        self.demand.expect_at_start(neutral, self.ledger.present())
        own = initial.own_at_home(cells).astype(np.float64)
        ctx, expected = self._decision_context(neutral), self.demand.expected_posts
        caps = (neutral.deployment_cap / s.workers_per_agent * s.dt, neutral.deployment_capped)
        return supply.reference_outflow(ctx, own, s.age_profile, expected, caps, s.dt)

    def _decision_context(self, pol: PolicyYear) -> rules.DecisionContext:
        """Phase 3 context: the utility of every option (`sim.model.utilities`)."""
        s = self.setup
        return utilities.decision_context(
            s.behaviour, s.dt, pol,
            present=self.ledger.present(), posts=self.demand.posts, stock=self.ledger.stock,
            expected_posts=self.demand.expected_posts,
            log_hiring_chance=self.demand.log_hiring_chance(),
            base_wage=s.base_wage,
            compensation_pay_rise=self.money.compensation_pay_rise,
            vacancy_premium=self.vacancy_premium,
            amenity=self.amenity,
            affinity_od=self.affinity,
            slots=s.destination_of_slot,
            workers_per_agent=s.workers_per_agent,
            diaspora_offset=self.diaspora_offset,
            origin_term=self.origin_term,
            origin_size=self.origin_size,
            agreement_return_probability=self.agreements.return_probability,
            age_term=s.age_term,
            income_relative=s.income_relative,
            network_log1p=self.network_log1p,
        )  # fmt: skip

    def _match(
        self, t: int, pol: PolicyYear, apps: Applicants, context: rules.DecisionContext
    ) -> Transitions:
        """Phase 4 (`sim.model.matching.match_step`): applicants to international posts, then
        returning migrants to vacant posts at home; the network offset takes the open hires'
        split over destinations at its expectation (ODD §4.2.2). Returns emigrants' transitions."""
        emigrated, self.agreement_hires, opened = matching.match_step(
            t, pol, apps, self.demand, self.allowance, self.agreements, self.contract_steps,
            self.population, self.ledger,
        )  # fmt: skip
        correction = utilities.open_split_correction(opened, context, self.setup, pol)
        self.demand.record_hiring(opened.destination_hires, opened.applicants)
        self.diaspora_offset = self.diaspora_offset + self.workers_per_agent * correction
        return emigrated

    def _graduate(self, t: int, pol: PolicyYear) -> None:
        """Phase 5: graduates enter in their training country, placed by policy (ODD §7.6)."""
        counts = self.demand.graduates(self.graduate_output)
        wid, key, attrs = rules.new_graduates(
            self.counter_seed, t, self.next_worker_id, counts, self.rural_uptake(pol.allowance),
            pol.bond_steps, pol.rural_service, self.setup.entry_steps,
            self.setup.late_entry_cumulative, self.steps_per_year,
        )  # fmt: skip
        if wid.shape[0]:
            new = NewWorkers(wid, key, *attrs)
            self.next_worker_id += wid.shape[0]
            self.population.add(new)
            entered = Transitions.graduates(new.country, new.cadre, new.area, new.age_steps)
            self.ledger.apply(entered)

    def _end_year(self, year: int, pol: PolicyYear) -> None:
        """Year end: compensation settlement (ODD §7.8), vacancy rates, indicators, housekeeping."""
        next_wage = self.policies.year(year + 1).wage_multiplier
        present = self.ledger.present()
        self.training.deposit(self.money.settle(pol.compensation_use, next_wage, present))
        self.demand.record_year(present)
        self.allowance.end_year()
        if self.recorder is not None:
            self.recorder.end_year(year)
        self.datacollector.collect(self)
        self.population.end_year()

    def run(self, progress=None) -> None:
        """Run every remaining step; `progress(n)` is called after each step if given."""
        while self.steps < self.n_steps:
            self.step()
            if progress is not None:
                progress(1)
