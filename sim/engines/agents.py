"""Engine `agents`: every worker is a `mesa.Agent` (readable, inspectable, for small worlds).

Each `HealthWorker` ages, draws its hazards and takes its decisions itself, with the shared rules
(`sim.model.rules`) and the shared effects of each choice (`sim.engines.effects`); departed
workers leave the model (`Agent.remove`). `AgentPopulation` drives the agents the Mesa way: it
creates them with `HealthWorker.create_agents`, runs each phase with `AgentSet.map` over the
model's `HealthWorker` set and gathers what happened into `Transitions` for the shared accounting.
Decisions in a phase read only the context computed at the start of the phase and the worker's own
state, so the order in which workers are visited never changes a result.
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import mesa
import numpy as np

from sim.engines import effects
from sim.model import rules
from sim.model.ledger import T_EMIGRATE, T_RETURN, Transitions
from sim.model.matching import NOT_TAKEN
from sim.model.population import AGE_YEARS, APPLY_EMIGRATE, Applicants, NewWorkers
from sim.model.rules import DecisionContext, HazardContext, may_decide

age_and_hazards = effects.age_and_hazards

Row = tuple[int, int, int, int, int, int, int, int, int]
"""One transition: origin, cadre, country_from, area_from, country_to, area_to, kind, bonded,
age."""


class Application(NamedTuple):
    """A worker who applied to a post abroad or at home: the country of the post and the kind
    of application (`sim.model.population.APPLY_*`)."""

    worker: HealthWorker
    destination: int
    kind: int


class HealthWorker(mesa.Agent):
    """A doctor or nurse: where they trained, where they work, and their obligations.

    Attributes (plain ints): `worker_id`; `key`, the worker's part of every counter-based draw
    (`sim.model.rng.worker_key`); `origin` (country of training), `country`, `area` (0 urban,
    1 rural), `cadre`; `age_steps`; `bond_steps` and `contract_steps` (steps left); `agreement`
    (index of the agreement of a fixed-term contract, -1 none); `status` (`rules.ACTIVE`, ...).
    """

    def __init__(self, model, worker_id, key, origin, country, area, cadre, age_steps, bond_steps):
        super().__init__(model)
        self.worker_id = worker_id
        self.key = key
        self.origin = origin
        self.country = country
        self.area = area
        self.cadre = cadre
        self.age_steps = age_steps
        self.bond_steps = bond_steps
        self.contract_steps = 0
        self.agreement = effects.NO_AGREEMENT
        self.status = rules.ACTIVE

    def _row(self, kind: int, country_to: int, area_to: int, bonded: int) -> Row:
        return (
            self.origin, self.cadre, self.country, self.area, country_to, area_to, kind, bonded,
            self.age_steps,
        )  # fmt: skip

    def age_and_hazards(self, step: int, hazards: tuple) -> Row | None:
        """Phase 2: grow one step older, run down obligations, then retirement/death/exit.

        `hazards` is (maximum age in steps, p_retire, p_death, p_exit), the probabilities as
        lists by cadre and age in steps, p_exit first by migrant status (`HazardContext`).
        Returns the transition of a worker who leaves (status no longer active), else None.
        """
        max_age, p_retire, p_death, p_exit = hazards
        a = min(self.age_steps + 1, max_age)  # effects.hazard_index
        k, migrant = self.cadre, int(self.origin != self.country)
        self.age_steps, self.bond_steps, self.contract_steps, event = age_and_hazards(
            self.key, step, self.age_steps, self.bond_steps, self.contract_steps,
            max_age, p_retire[k][a], p_death[k][a], p_exit[migrant][k][a],
        )  # fmt: skip
        if not event:
            return None
        self.status, *transition = effects.departure(event)
        return self._row(*transition)

    def decide(self, step: int, ctx: DecisionContext) -> Row | Application | None:
        """Phase 3: a transition row, an application (abroad or home), or None."""
        if not may_decide(self.key, step, self.agreement, self.contract_steps, ctx.p_reconsider):
            return None
        choice, slot, ends = rules.decide_worker(
            self.key, step, self.origin, self.country, self.area, self.cadre, self.age_steps,
            self.bond_steps, self.agreement, self.contract_steps, ctx,
        )  # fmt: skip
        if choice == rules.CHOICE_STAY and not ends:
            return None
        country, area, self.status, self.agreement, self.contract_steps, *transition = (
            effects.after_choice(
                choice, ends, self.origin, self.country, self.area,
                self.bond_steps, self.agreement, self.contract_steps,
            )
        )  # fmt: skip
        row = self._row(*transition) if transition[0] != effects.NO_TRANSITION else None
        self.country, self.area = country, area
        applies = effects.application_kind(choice)
        if applies == APPLY_EMIGRATE:
            return Application(self, int(ctx.destination_of_slot[slot]), applies)
        if applies >= 0:
            return Application(self, self.origin, applies)
        return row

    def admit(self, destination: int, area: int, channel: int, contract_steps) -> Row:
        """Phase 4: the worker takes a post abroad (`effects.admission`)."""
        before = self._row(T_EMIGRATE, destination, area, 0)
        (self.country, self.area, self.bond_steps, self.agreement, self.contract_steps, bonded) = (
            effects.admission(
                destination, area, channel, contract_steps,
                self.bond_steps, self.agreement, self.contract_steps,
            )
        )  # fmt: skip
        return (*before[:7], bonded, before[8])

    def go_home(self, area: int) -> Row:
        """Phase 4: a returning migrant goes home (`effects.homecoming`)."""
        row = self._row(T_RETURN, self.origin, area, 0)
        self.country, self.area, self.agreement, self.contract_steps = effects.homecoming(
            self.origin, area
        )
        return row


def _hazards_by_cadre(hz: HazardContext) -> tuple:
    """Hazard tables as plain Python lists (fast lookups in the per-agent loop)."""
    return (int(hz.max_age_steps), hz.p_retire.tolist(), hz.p_death.tolist(), hz.p_exit.tolist())


class AgentPopulation:
    """The worker population as the model's `HealthWorker` agents (a `mesa.AgentSet`)."""

    def __init__(self, model: mesa.Model):
        self.model = model
        self._applicants: list[Application] = []

    @property
    def workers(self) -> mesa.agent.AgentSet:
        """Every active worker, in creation order (the model's `HealthWorker` agent set)."""
        workers = self.model.agents_by_type.get(HealthWorker)
        return workers if workers is not None else mesa.agent.AgentSet([], self.model.random)

    def _visit(self) -> mesa.agent.AgentSet:
        if self.model.visit_order == "shuffle":
            return self.workers.shuffle()
        return self.workers

    def reserve(self, capacity: int) -> None:
        """Nothing to reserve: agents are created as they come."""

    def add(self, new: NewWorkers) -> None:
        """Create workers (initial workers and graduates) with `HealthWorker.create_agents`."""
        n = len(new.worker_id)
        if n:
            HealthWorker.create_agents(self.model, n, *(column.tolist() for column in new))

    def age_and_hazards(self, step: int, hazards: HazardContext) -> Transitions:
        """Phase 2 for every worker; those who retire, die or exit leave the model."""
        hz = _hazards_by_cadre(hazards)
        acted = [(w, row) for w in self._visit() if (row := w.age_and_hazards(step, hz))]
        for w, _ in acted:
            w.remove()
        return Transitions.from_rows([row for _, row in acted])

    def decide(self, step: int, ctx: DecisionContext) -> tuple[Transitions, Applicants]:
        """Phase 3 for every worker: moves and leaving now; applicants abroad and home."""
        acted = [(w, r) for w in self._visit() if (r := w.decide(step, ctx)) is not None]
        rows = [r for _, r in acted if type(r) is tuple]
        self._applicants = apps = [r for _, r in acted if type(r) is Application]
        for w, _ in acted:
            if w.status != rules.ACTIVE:
                w.remove()
        return Transitions.from_rows(rows), Applicants(
            *(
                np.array(column, dtype=np.int64)
                for column in (
                    [a.worker.worker_id for a in apps],
                    [a.worker.key for a in apps],
                    [a.worker.origin for a in apps],
                    [a.worker.cadre for a in apps],
                    [a.destination for a in apps],
                    [a.worker.country for a in apps],
                    [a.kind for a in apps],
                )
            )
        )

    def admit(
        self, channel: np.ndarray, area: np.ndarray, contract_steps: np.ndarray
    ) -> Transitions:
        """Phase 4 outcome: applicants taken move abroad or go home."""
        rows = [
            worker.admit(destination, int(area[i]), int(channel[i]), contract_steps)
            if kind == APPLY_EMIGRATE
            else worker.go_home(int(area[i]))
            for i, (worker, destination, kind) in enumerate(self._applicants)
            if channel[i] != NOT_TAKEN
        ]
        return Transitions.from_rows(rows)

    def age_counts(self, n_countries: int, n_cadres: int, steps_per_year: int) -> np.ndarray:
        """Active workers by (country, cadre, whole years of age) (C, K, 100)."""
        counts = np.zeros((n_countries, n_cadres, AGE_YEARS), dtype=np.int64)
        country, cadre, age = self._attributes("country", "cadre", "age_steps")
        np.add.at(counts, (country, cadre, np.minimum(age // steps_per_year, AGE_YEARS - 1)), 1)
        return counts

    def end_year(self) -> None:
        """Nothing to compact: departed agents were removed when they left."""

    def count(self, n_countries: int, n_cadres: int) -> np.ndarray:
        """Recount the stock tensor [origin, country, area, cadre] from the agents."""
        stock = np.zeros((n_countries, n_countries, 2, n_cadres), dtype=np.int64)
        np.add.at(stock, self._attributes("origin", "country", "area", "cadre"), 1)
        return stock

    def _attributes(self, *names: str) -> tuple[np.ndarray, ...]:
        """One int64 array (n,) per attribute of the workers, read in one pass over the agent
        set (a third of the time of `AgentSet.get`, a fifth of `AgentSet.groupby`)."""
        values = np.array(list(map(operator.attrgetter(*names), self.workers)), dtype=np.int64)
        return tuple(values.reshape(-1, len(names)).T)

    def __len__(self) -> int:
        return len(self.workers)
