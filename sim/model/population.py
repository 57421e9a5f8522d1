"""The interface between the model and a worker population (an engine), and the records they trade.

The model (`sim.model.model.WorkforceModel`) owns the step order and the country-level phases; an
engine owns the workers. Each engine (`sim.engines.agents.AgentPopulation`,
`sim.engines.arrays.ArrayPopulation`) implements `Population`: the model hands it new workers
(`NewWorkers`), asks it to run the per-worker parts of phases 2 to 4 with the shared rules, and
receives what happened as `Transitions` (`sim.model.ledger`) and, in phase 3, the emigration
`Applicants` for matching. The model never imports an engine; the runner chooses one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from sim.model.ledger import Transitions
    from sim.model.rules import DecisionContext, HazardContext


class NewWorkers(NamedTuple):
    """Workers entering the population (initial workers or graduates), one entry per worker.

    Every field is an int64 array of shape (n,); workers are numbered consecutively.
    """

    worker_id: np.ndarray
    key: np.ndarray
    """The worker's part of every counter-based draw (`sim.model.rng.worker_key`)."""
    origin: np.ndarray
    """Country of training (index into the world's countries)."""
    country: np.ndarray
    area: np.ndarray
    """0 urban, 1 rural."""
    cadre: np.ndarray
    age_steps: np.ndarray
    bond_steps: np.ndarray
    """Steps of a graduate bond still to serve (0: not bonded)."""


AGE_YEARS = 100
"""Length of the age axis of `Population.age_counts` (whole years; older workers count in the
last)."""
APPLY_EMIGRATE = 0
"""An application to a post abroad (emigration from home, or onward from abroad)."""
APPLY_RETURN = 1
"""A migrant's application to a post at home."""
APPLY_CONTRACT_RETURN = 2
"""A migrant going home at the end of a fixed-term contract (always goes)."""


class Applicants(NamedTuple):
    """Workers who applied in phase 3 to a post abroad or at home, for matching (ODD §7.5);
    int64 arrays (n,), in the engine's order."""

    tie_order: np.ndarray
    """Integers in the order of the applicants' worker ids: the ids themselves (agents engine) or
    the rows (arrays engine, whose rows are in worker-id order); they break ties of the random
    priority in matching."""
    key: np.ndarray
    origin: np.ndarray
    cadre: np.ndarray
    destination: np.ndarray
    """Country index of the post applied for (the origin for returns)."""
    country: np.ndarray
    """Country the applicant works in now."""
    kind: np.ndarray
    """`APPLY_EMIGRATE`, `APPLY_RETURN` or `APPLY_CONTRACT_RETURN`."""

    @classmethod
    def empty(cls) -> Applicants:
        """No applicants."""
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, z, z, z, z)


class Population(Protocol):
    """What the model asks of a worker population (both engines implement it)."""

    def reserve(self, capacity: int) -> None:
        """Make room for about `capacity` workers (a hint; may do nothing)."""

    def add(self, workers: NewWorkers) -> None:
        """Add workers (initial workers in blocks, then each step's graduates)."""

    def age_and_hazards(self, step: int, hazards: HazardContext) -> Transitions:
        """Phase 2 for every worker: one step older, then retirement, death or exit."""

    def decide(self, step: int, ctx: DecisionContext) -> tuple[Transitions, Applicants]:
        """Phase 3 for every worker: moves and leaving now; applicants abroad and home."""

    def admit(
        self, channel: np.ndarray, area: np.ndarray, contract_steps: np.ndarray
    ) -> Transitions:
        """Phase 4 outcome for the last phase-3 applicants (may be called more than once per
        step, each applicant taken at most once): channel (agreement, -1 open or home, -2 not
        taken), area of the post taken, contract length in steps of each agreement. Emigration
        applicants move abroad (`effects.admission`), returners go home (`effects.homecoming`)."""

    def age_counts(self, n_countries: int, n_cadres: int, steps_per_year: int) -> np.ndarray:
        """Active workers by (country, cadre, age in whole years) (C, K, AGE_YEARS)."""

    def end_year(self) -> None:
        """Housekeeping at the end of a year (e.g. compaction)."""

    def count(self, n_countries: int, n_cadres: int) -> np.ndarray:
        """Recount the stock tensor [origin, country, area, cadre] from the workers."""

    def __len__(self) -> int:
        """Active workers."""


class Recorder(Protocol):
    """What the model asks of its indicator recorder (`sim.outputs.indicators`)."""

    def record_initial(self) -> None:
        """Record the initial state."""

    def end_step(self) -> None:
        """Add a step's flows and money to the year's totals."""

    def end_year(self, year: int) -> None:
        """Record the stocks at the end of `year` and the year's flows."""

    def indicators(self) -> pd.DataFrame:
        """The indicator table so far."""

    def flows(self) -> pd.DataFrame:
        """The international flow table so far."""

    def arrivals(self) -> pd.DataFrame:
        """The arrivals table (immigrants by country of training and country entered) so far."""

    def stocks(self) -> pd.DataFrame:
        """The bilateral stock table (workers by country of training and of work) so far."""

    def agreements(self) -> pd.DataFrame:
        """Quotas and hires of every agreement by year so far."""


PopulationFactory = Callable[..., Population]
"""Builds a population for a model: `factory(model)`."""
RecorderFactory = Callable[..., Recorder]
"""Builds a recorder for a model: `factory(model)`."""
