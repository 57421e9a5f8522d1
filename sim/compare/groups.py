"""Which countries are on the safeguards list and which are destinations, for one run.

The indicator tables carry ISO3 codes only; the groups come from the scenario's world (the
safeguards-list flag, World Bank income groups) and `workforce.destinations`. This is the one place
that knows it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class CountryGroups:
    """Country groups of a run, restricted to the countries present in its results."""

    safeguards: tuple[str, ...]
    destinations: tuple[str, ...]
    names: dict[str, str] = field(default_factory=dict)
    world: Any = None

    def name(self, code: str) -> str:
        """The country's name (`code` itself when the world does not know it)."""
        return self.names.get(code, code)


def country_groups(scenario: dict, world: Any, present: Iterable[str]) -> CountryGroups:
    """Safeguards-list countries and destinations of `scenario` among the `present` ISO3 codes.

    Destinations follow `workforce.destinations` (`high_income` is World Bank income group `H`);
    selectors are resolved by `sim.model.policies.country_mask`, the same function the model uses.
    """
    from sim.model.policies import country_mask

    codes = [str(c) for c in np.asarray(world.iso3)]
    present_set = {str(c) for c in present}
    safeguards = np.asarray(world.safeguards, dtype=bool)
    dest = country_mask(scenario["workforce"]["destinations"], world)
    names = {c: str(n) for c, n in zip(codes, np.asarray(world.name), strict=True)}
    return CountryGroups(
        safeguards=tuple(
            c for c, s in zip(codes, safeguards, strict=True) if s and c in present_set
        ),
        destinations=tuple(c for c, d in zip(codes, dest, strict=True) if d and c in present_set),
        names=names,
        world=world,
    )


def selector_codes(selector: Any, scenario: dict, world: Any) -> list[str]:
    """The ISO3 codes a selector picks in `world` (`destinations` means workforce.destinations)."""
    from sim.model.policies import country_mask

    dest = country_mask(scenario["workforce"]["destinations"], world)
    mask = country_mask(selector, world, dest)
    return [str(c) for c, m in zip(np.asarray(world.iso3), mask, strict=True) if m]


def load_world_for(scenario: dict) -> Any:
    """The world a resolved scenario names (loaded once per process per kind and file)."""
    kind = scenario["world"]["kind"]
    file = scenario["world"].get("file") if kind == "file" else None
    return _load_world(kind, None if file is None else str(Path(file)))


@functools.lru_cache(maxsize=4)
def _load_world(kind: str, file: str | None) -> Any:
    from sim.inputs.world import load_world

    return load_world(kind, file)
