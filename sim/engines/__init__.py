"""How workers are stored and stepped: engine `agents` (Mesa agents) and engine `arrays` (numba).

Both implement `sim.model.population.Population` with the same rules (`sim.model.rules`) and the
same effects of each choice (`sim.engines.effects`), and give identical results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model.population import PopulationFactory

ENGINES = ("agents", "arrays")
"""Engine names (`engine: auto` in a scenario picks one of these by size)."""


def population_factory(engine: str) -> PopulationFactory:
    """The population class of an engine (imported on first use: numba kernels load lazily)."""
    if engine == "agents":
        from sim.engines.agents import AgentPopulation

        return AgentPopulation
    if engine == "arrays":
        from sim.engines.arrays import ArrayPopulation

        return ArrayPopulation
    raise ValueError(f"unknown engine {engine!r} (expected one of {', '.join(ENGINES)})")
