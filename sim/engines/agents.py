"""Engine `agents`: every worker is a `mesa.Agent` (readable, inspectable, for small worlds).

Each `HealthWorker` takes its own decisions with the shared rules of `sim.model.rules`; the
population object gathers what happened into `Transitions` for the shared accounting. Decisions in a
phase read only the context computed at the start of the phase and the worker's own state, so the
order in which workers are visited never changes a result."""

from __future__ import annotations

import mesa
import numpy as np

from sim.model import rules
from sim.model.ledger import (
    T_DEATH,
    T_EMIGRATE,
    T_EXIT,
    T_LEAVE,
    T_MOVE,
    T_RETIRE,
    T_RETURN,
    Transitions,
)

_HAZARD_KIND = {rules.EVENT_RETIRE: T_RETIRE, rules.EVENT_DEATH: T_DEATH, rules.EVENT_EXIT: T_EXIT}
_STATUS = {
    rules.EVENT_RETIRE: rules.RETIRED,
    rules.EVENT_DEATH: rules.DEAD,
    rules.EVENT_EXIT: rules.EXITED,
}


class HealthWorker(mesa.Agent):
    """A doctor or nurse: where they trained, where they work, and their obligations."""

    __slots__ = (
        "age_steps",
        "agreement",
        "area",
        "bond_steps",
        "cadre",
        "contract_steps",
        "country",
        "key",
        "origin",
        "status",
        "worker_id",
    )

    def __init__(
        self,
        model,
        worker_id: int,
        key: int,
        origin: int,
        country: int,
        area: int,
        cadre: int,
        age_steps: int,
        bond_steps: int = 0,
    ):
        super().__init__(model)
        self.worker_id = worker_id
        self.key = key  # this worker's part of every counter-based draw (sim.model.rng.worker_key)
        self.origin = origin
        self.country = country
        self.area = area
        self.cadre = cadre
        self.age_steps = age_steps
        self.bond_steps = bond_steps
        self.contract_steps = 0
        self.agreement = -1
        self.status = rules.ACTIVE

    def age_and_hazards(self, step: int, hz) -> int:
        """Phase 2: grow one step older, run down obligations, then retirement/death/exit."""
        self.age_steps += 1
        if self.bond_steps > 0:
            self.bond_steps -= 1
        if self.contract_steps > 0:
            self.contract_steps -= 1
        return rules.hazard_event(
            self.key,
            step,
            self.age_steps,
            hz.retire_from[self.cadre],
            hz.max_age_steps,
            hz.p_retire,
            hz.p_death,
            hz.p_exit,
        )

    def decide(self, step: int, p_reconsider: float, context: tuple) -> tuple[int, int, bool]:
        """Phase 3: (choice, destination slot, contract ends), by the shared decision rule.

        `context` is `DecisionContext.rule_arrays()`; the cheap checks come first, as in the
        arrays engine, so most workers need no utilities.
        """
        if not (
            (self.agreement >= 0 and self.contract_steps <= 0)
            or rules.reconsiders(self.key, step, p_reconsider)
        ):
            return rules.CHOICE_STAY, -1, False
        return rules.decide_worker(
            self.key,
            step,
            self.origin,
            self.country,
            self.area,
            self.cadre,
            self.bond_steps,
            self.agreement,
            self.contract_steps,
            context,
        )


class _HazardScalars:
    """Hazard parameters as plain Python numbers (fast attribute access in the agent loop)."""

    def __init__(self, hz):
        self.retire_from = [int(x) for x in hz.retire_from_steps]
        self.max_age_steps = int(hz.max_age_steps)
        self.p_retire = float(hz.p_retire)
        self.p_death = float(hz.p_death)
        self.p_exit = float(hz.p_exit)


class AgentPopulation:
    """The worker population as Mesa agents, in a list kept in creation order."""

    def __init__(self, model):
        self.model = model
        self.workers: list[HealthWorker] = []
        self._applicants: list[tuple[HealthWorker, int]] = []

    def _visit(self) -> list[HealthWorker]:
        if self.model.visit_order == "shuffle":
            order = list(self.workers)
            self.model.random.shuffle(order)
            return order
        return self.workers

    def _make(self, wid, key, origin, country, area, cadre, age, bond) -> None:
        model = self.model
        for row in zip(
            wid.tolist(),
            key.tolist(),
            origin.tolist(),
            country.tolist(),
            area.tolist(),
            cadre.tolist(),
            age.tolist(),
            bond.tolist(),
            strict=True,
        ):
            self.workers.append(HealthWorker(model, *row))

    def reserve(self, capacity: int) -> None:
        """Nothing to reserve: agents are created one by one."""

    def add_initial(self, wid, key, origin, country, area, cadre, age) -> None:
        """Create the initial workers."""
        self._make(wid, key, origin, country, area, cadre, age, np.zeros_like(wid))

    def add_graduates(self, wid, key, country, cadre, area, age, bond) -> None:
        """Create this step's graduates in their training country."""
        self._make(wid, key, country, country, area, cadre, age, bond)

    def hazards(self, step: int, hz) -> Transitions:
        """Phase 2 for every worker; removes those who retire, die or exit."""
        scalars = _HazardScalars(hz)
        cols: list[list[int]] = [[] for _ in range(8)]
        gone = []
        for w in self._visit():
            event = w.age_and_hazards(step, scalars)
            if event:
                for col, v in zip(
                    cols,
                    (w.origin, w.cadre, w.country, w.area, -1, 0, _HAZARD_KIND[event], 0),
                    strict=True,
                ):
                    col.append(v)
                w.status = _STATUS[event]
                gone.append(w)
        self._remove(gone)
        return Transitions.from_columns(*cols)

    def decide(self, step: int, ctx) -> tuple[Transitions, tuple]:
        """Phase 3 for every worker: moves, returns and leaving now; applicants for phase 4."""
        cols: list[list[int]] = [[] for _ in range(8)]
        gone = []
        applicants = []
        p_reconsider, context = ctx.p_reconsider, ctx.rule_arrays()
        for w in self._visit():
            choice, slot, ends = w.decide(step, p_reconsider, context)
            if ends:
                w.agreement = -1
            if choice == rules.CHOICE_STAY:
                continue
            if choice == rules.CHOICE_EMIGRATE:
                applicants.append((w, int(ctx.destination_of_slot[slot])))
                continue
            row = [w.origin, w.cadre, w.country, w.area]
            if choice == rules.CHOICE_MOVE:
                w.area = 1 - w.area
                row += [w.country, w.area, T_MOVE, 0]
            elif choice == rules.CHOICE_LEAVE:
                row += [-1, 0, T_LEAVE, int(w.bond_steps > 0)]
                w.status = rules.EXITED
                gone.append(w)
            else:  # return home, freely or at the end of a fixed-term contract
                w.country, w.area = w.origin, rules.URBAN
                w.agreement, w.contract_steps = -1, 0
                row += [w.country, w.area, T_RETURN, 0]
            for col, v in zip(cols, row, strict=True):
                col.append(v)
        self._remove(gone)
        self._applicants = applicants
        arrays = (
            np.array([w.worker_id for w, _ in applicants], dtype=np.int64),
            np.array([w.key for w, _ in applicants], dtype=np.int64),
            np.array([w.origin for w, _ in applicants], dtype=np.int64),
            np.array([w.cadre for w, _ in applicants], dtype=np.int64),
            np.array([d for _, d in applicants], dtype=np.int64),
            np.array([w.area for w, _ in applicants], dtype=np.int64),
        )
        return Transitions.from_columns(*cols), arrays

    def admit(
        self, channel: np.ndarray, area: np.ndarray, contract_steps: np.ndarray
    ) -> Transitions:
        """Phase 4 outcome: applicants given a post move to their destination."""
        cols: list[list[int]] = [[] for _ in range(8)]
        for i, (w, dest) in enumerate(self._applicants):
            g = int(channel[i])
            if g == -2:
                continue
            row = [
                w.origin,
                w.cadre,
                w.country,
                w.area,
                dest,
                int(area[i]),
                T_EMIGRATE,
                int(w.bond_steps > 0),
            ]
            w.country, w.area, w.bond_steps = dest, int(area[i]), 0
            if g >= 0 and contract_steps[g] > 0:
                w.agreement, w.contract_steps = g, int(contract_steps[g])
            for col, v in zip(cols, row, strict=True):
                col.append(v)
        self._applicants = []
        return Transitions.from_columns(*cols)

    def _remove(self, gone: list[HealthWorker]) -> None:
        if not gone:
            return
        ids = {id(w) for w in gone}
        self.workers = [w for w in self.workers if id(w) not in ids]
        for w in gone:
            w.remove()

    def end_year(self) -> None:
        """Nothing to compact: departed agents were removed when they left."""

    def count(self, n_countries: int, n_cadres: int) -> np.ndarray:
        """Recount the stock tensor [origin, country, area, cadre] from the agents."""
        stock = np.zeros((n_countries, n_countries, 2, n_cadres), dtype=np.int64)
        for w in self.workers:
            stock[w.origin, w.country, w.area, w.cadre] += 1
        return stock

    def __len__(self) -> int:
        return len(self.workers)
