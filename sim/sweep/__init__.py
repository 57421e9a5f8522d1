"""Parameter sweeps and sensitivity analysis on Dask distributed, resumable.

- `spec`: sweep files (YAML) and their strict validation -> `SweepSpec`
- `parameters`: the parameters (levels, distributions) and the design of a sweep file, with caps
- `models`: the models a sweep file may name (`hrhsim` and those registered in Python)
- `design`: grid / Latin hypercube / Sobol / Morris points (SALib samplers)
- `execute`: planning and running a sweep, resumable
- `cluster`: Dask (checked scheduler address, local cluster, a watch on the workers)
- `store`: the sweep folder (lock, `sweep.json`, one Parquet file per run, written durably)
- `outcomes`: scalar outcomes from the long-form indicators of one run
- `sensitivity`: Sobol and Morris indices (SALib), table and figure

The commands are `hrhsim sweep` and `hrhsim sensitivity` (`sim.cli.sweep`, `sim.cli.sensitivity`).
Importing this package is light; heavy modules (dask, SALib, matplotlib) load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from sim.sweep.models import register_model, registered_models, unregister_model

__all__ = [
    "analyze",
    "build_design",
    "load_runs",
    "load_sweep",
    "register_model",
    "registered_models",
    "run_sweep",
    "sensitivity",
    "unregister_model",
]

_LAZY = {
    "load_sweep": "sim.sweep.spec",
    "parse_sweep": "sim.sweep.spec",
    "build_design": "sim.sweep.design",
    "run_sweep": "sim.sweep.execute",
    "plan_sweep": "sim.sweep.execute",
    "load_runs": "sim.sweep.store",
    "load_manifest": "sim.sweep.store",
    "analyze": "sim.sweep.sensitivity",
    "sensitivity": "sim.sweep.sensitivity",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim.sweep' has no attribute {name!r}")
