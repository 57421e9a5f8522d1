"""Country selectors: which countries a keyword or a list of ISO3 codes picks (the one place).

A selector (`docs/scenarios.md`, type *countries*) is one of `sim.declarations.SELECTOR_KEYWORDS`
or a list of ISO3 codes. `all`, `none`, `safeguards` (WHO health workforce support and safeguards
list 2023), `high_income` (World Bank group `H`), `low_income` (group `L`) depend on the world
only; `destinations` means the countries of the scenario's `workforce.destinations`. The model's
policies, the simulated subset of the world, the briefing's country groups and sweep outcomes all
resolve selectors here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.inputs.world import World, cached_world

__all__ = [
    "CountryGroups",
    "country_groups",
    "country_mask",
    "destinations_mask",
    "scenario_mask",
    "scenario_world",
    "selector_codes",
    "simulated_world",
]

_INCOME_KEYWORDS = {"high_income": "H", "low_income": "L"}


def country_mask(selector: Any, world: World, destinations: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask (C,) over the world's countries picked by `selector`.

    Args:
        selector: a keyword or a list (or tuple) of ISO3 codes; codes not in the world pick
            nothing (scenario validation reports them with their file and line).
        world: the world whose countries are selected.
        destinations: mask (C,) of the destination countries, needed for `destinations`.
    """
    iso3 = np.asarray(world.iso3).astype(str)
    if isinstance(selector, list | tuple):
        return np.isin(iso3, [str(code) for code in selector])
    if selector == "all":
        return np.ones(iso3.size, dtype=bool)
    if selector == "none":
        return np.zeros(iso3.size, dtype=bool)
    if selector == "safeguards":
        return np.asarray(world.safeguards, dtype=bool).copy()
    if selector in _INCOME_KEYWORDS:
        return np.asarray(world.income_group).astype(str) == _INCOME_KEYWORDS[selector]
    if selector == "destinations":
        if destinations is None:
            raise ValueError("the 'destinations' selector cannot define the destinations")
        return np.asarray(destinations, dtype=bool).copy()
    raise ValueError(f"unknown selector {selector!r}")


def destinations_mask(data: dict, world: World) -> np.ndarray:
    """Mask (C,) of the countries that recruit internationally (`workforce.destinations`)."""
    return country_mask(data["workforce"]["destinations"], world)


def scenario_mask(selector: Any, data: dict, world: World) -> np.ndarray:
    """Mask (C,) of a selector of a resolved scenario (`destinations` from its workforce)."""
    dest = destinations_mask(data, world) if selector == "destinations" else None
    return country_mask(selector, world, dest)


def selector_codes(selector: Any, data: dict, world: World) -> list[str]:
    """The ISO3 codes a selector of a resolved scenario picks in `world`, in world order."""
    mask = scenario_mask(selector, data, world)
    return [str(code) for code in np.asarray(world.iso3)[mask]]


def scenario_world(data: dict) -> World:
    """The whole world a resolved scenario names (loaded once per process, `cached_world`)."""
    spec = data["world"]
    return cached_world(spec["kind"], spec.get("file"))


def simulated_world(data: dict) -> World:
    """The world a resolved scenario simulates: its world restricted to `world.countries`."""
    world = scenario_world(data)
    selector = data["world"]["countries"]
    if selector == "all":
        return world
    return world.subset(selector_codes(selector, data, world))


@dataclass(frozen=True)
class CountryGroups:
    """The safeguards-list countries and the destinations of a run, by ISO3 code."""

    safeguards: tuple[str, ...]
    destinations: tuple[str, ...]
    names: dict[str, str] = field(default_factory=dict)
    world: Any = None

    def name(self, code: str) -> str:
        """The country's name (`code` itself when the world does not know it)."""
        return self.names.get(code, code)

    def codes(self, countries: str) -> Sequence[str] | None:
        """The codes of a group: `safeguards`, `destinations`; None for `all` (every country)."""
        if countries == "all":
            return None
        return {"safeguards": self.safeguards, "destinations": self.destinations}[countries]


def country_groups(data: dict, world: World, present: Iterable[str] | None = None) -> CountryGroups:
    """Safeguards-list countries and destinations of a resolved scenario.

    Args:
        data: the resolved scenario (`workforce.destinations` defines the destinations).
        world: its world.
        present: keep only these ISO3 codes (the countries in a run's results); None keeps all.
    """
    codes = [str(c) for c in np.asarray(world.iso3)]
    keep = set(codes) if present is None else {str(c) for c in present}
    safeguards = np.asarray(world.safeguards, dtype=bool)
    dest = destinations_mask(data, world)
    return CountryGroups(
        safeguards=tuple(c for c, s in zip(codes, safeguards, strict=True) if s and c in keep),
        destinations=tuple(c for c, d in zip(codes, dest, strict=True) if d and c in keep),
        names={c: str(n) for c, n in zip(codes, np.asarray(world.name), strict=True)},
        world=world,
    )
