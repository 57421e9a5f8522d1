"""`hrhsim compare`: several scenarios -> one self-contained HTML briefing for policymakers.

Modules, one concept each:
`pipeline` (run or reuse, then brief), `cache` (run reuse), `runs` (a results folder),
`tables` (the numbers), `changes` (what an option changes, in words), `figures` (matplotlib
charts), `briefing` (the HTML page and its sections), `page` (escaping, style, small cells),
`methods` (the methods note), `fmt` (number formatting). Country groups come from
`sim.inputs.selectors`, outcomes from `sim.outputs.outcomes`; the command is `sim.cli.compare`.

Importing this package is light (for `hrhsim --help`); the rest loads on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Briefing": "sim.compare.briefing",
    "write_briefing": "sim.compare.briefing",
    "CompareResult": "sim.compare.pipeline",
    "compare": "sim.compare.pipeline",
    "default_out_dir": "sim.compare.pipeline",
    "Run": "sim.compare.runs",
    "load_run": "sim.compare.runs",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim.compare' has no attribute {name!r}")


__all__ = [
    "Briefing",
    "CompareResult",
    "Run",
    "compare",
    "default_out_dir",
    "load_run",
    "write_briefing",
]
