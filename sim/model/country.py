"""`Country`: the health system of one country, as a Mesa agent.

The model keeps country state in arrays (so that both engines and the vectorised phases share one
copy); a `Country` is the readable view of one row of them, for inspection and interactive use.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.declarations import CADRES


class Country(mesa.Agent):
    """One country's health system: demand, wages, policies, money flows (views of model state)."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index
        self.iso3 = str(model.world.iso3[index])
        self.name = str(model.world.name[index])
        self.on_safeguards_list = bool(model.world.safeguards[index])
        self.is_destination = bool(model.destinations[index])

    def stock(self) -> dict:
        """Agents present by cadre (urban + rural), in workers."""
        present = self.model.ledger.present()[self.index].sum(axis=0)
        return {k: float(present[i] * self.model.workers_per_agent) for i, k in enumerate(CADRES)}

    def posts(self) -> dict:
        """Funded posts by cadre, in workers."""
        posts = np.asarray(self.model.posts)[self.index].sum(axis=0)
        return {k: float(posts[i] * self.model.workers_per_agent) for i, k in enumerate(CADRES)}

    def __repr__(self) -> str:
        return f"Country({self.iso3}, {self.name})"
