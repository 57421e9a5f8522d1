"""hrhsim: agent-based simulation of health-worker migration and the WHO Code levers.

The Python API (docs/api.md)::

    import sim

    scenario = sim.load_scenario("scenarios/archetypes_baseline.yaml", ["time.years=5"])
    results = sim.run(scenario, replicates=3, seed=1)
    results.indicators                         # tidy pandas table
    results.indicator("density", country="XSR")
    results.summary()                          # registry outcomes at the horizon

Importing `sim` is light: the names below load their modules on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from sim import jitcache as _jitcache  # noqa: F401  (first: keys numba's cache on the code)

__version__ = "0.1.0"

_LAZY = {
    "load_scenario": "sim.inputs.scenario",
    "Scenario": "sim.inputs.scenario",
    "load_world": "sim.inputs.world",
    "run": "sim.runner",
    "run_scenario": "sim.runner",
    "load_results": "sim.runner",
    "build_model": "sim.runner",
    "Results": "sim.runner",
    "declarations": "sim.declarations",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        return module if name == "declarations" else getattr(module, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
