"""Policies that cannot take effect: the warnings a valid scenario gets (`load_scenario`).

Each is (the file that set the key in question, the warning): a policy that starts after the
last simulated year or ends before the first, one configured but never enabled, an adjustment that
multiplies nothing, two bilateral agreements on one corridor and cadre at once (their quotas
add up: said, not an error), and a country selection (a list, or a keyword such as
`safeguards`) that holds no simulated country.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.inputs.extends import KeyPath, Provenance
from sim.inputs.schema import SCHEMA, Field, ListOf
from sim.inputs.selectors import selector_codes

__all__ = ["empty_selections", "ineffective_policies"]


def _policy_items(data: dict) -> list[tuple[tuple[str, ...], dict]]:
    """(key path, spec) of every policy, agreement and adjustment of resolved data."""
    items = [
        (("policies", name), spec)
        for name, spec in data["policies"].items()
        if isinstance(spec, dict)
    ]
    items += [
        (("policies", "agreements", str(i)), spec)
        for i, spec in enumerate(data["policies"]["agreements"])
    ]
    items += [(("adjustments", str(i)), spec) for i, spec in enumerate(data["adjustments"])]
    return items


_MULTIPLIERS = ("demand_multiplier", "recruitment_multiplier", "wage_multiplier",
                "capacity_multiplier")  # fmt: skip


def _where(prov: Provenance, *paths: KeyPath) -> str:
    """The file (or `--set`, or a sweep or calibration file) that set the first of `paths`
    recorded; the scenario's own file when none was set explicitly."""
    for kp in paths:
        if kp in prov.origins:
            return str(prov.origins[kp][0])
    return str(prov.root)


def ineffective_policies(data: dict, prov: Provenance) -> list[tuple[str, str]]:
    """A warning for every policy that cannot take effect: it starts after the last simulated
    year or ends before the first, it is configured but never enabled, or it is an adjustment
    that multiplies nothing: (the file that set the key in question, the warning)."""
    first = data["time"]["start_year"]
    last = first + data["time"]["years"] - 1
    notes = []
    for keys, spec in _policy_items(data):
        key = ".".join(keys)
        start, end = spec.get("from"), spec.get("until")
        if not spec.get("enabled", True):
            configured = [k for k in spec if k != "enabled" and prov.origins.get((*keys, k))]
            if configured and prov.origins.get((*keys, "enabled")) is None:
                notes.append(
                    (
                        _where(prov, (*keys, configured[0])),
                        f"{key} sets {', '.join(configured)} but is not enabled (add `enabled: "
                        "true`): it has no effect",
                    )
                )
            continue
        if start is not None and start > last:
            notes.append(
                (
                    _where(prov, (*keys, "from"), keys),
                    f"{key} starts in {start}, after the last simulated year {last}: it has no "
                    "effect",
                )
            )
        if end is not None and end < first:
            notes.append(
                (
                    _where(prov, (*keys, "until"), keys),
                    f"{key} ends in {end}, before the first simulated year {first}: it has no "
                    "effect",
                )
            )
        if keys[:2] == ("policies", "agreements"):
            notes += _repeated_agreement(data["policies"]["agreements"], int(keys[2]), prov)
        if keys[0] == "adjustments" and all(spec.get(m, 1.0) == 1.0 for m in _MULTIPLIERS):
            notes.append(
                (_where(prov, keys), f"{key} sets no multiplier (every one is 1): it has no effect")
            )
    return notes


def _years(spec: dict) -> tuple[float, float]:
    start, end = spec.get("from"), spec.get("until")
    return (-np.inf if start is None else start, np.inf if end is None else end)


def _repeated_agreement(agreements: list, i: int, prov: Provenance) -> list[tuple[str, str]]:
    """A note when agreement `i` has the corridor and cadre of an earlier one, in years that
    overlap: both apply, one after the other, so their quotas add up (an easy slip when a file
    extends another and lists the agreements again)."""
    mine = agreements[i]
    for j in range(i):
        other = agreements[j]
        same = all(mine.get(k) == other.get(k) for k in ("source", "destination"))
        cadres = {mine.get("cadre", "all"), other.get("cadre", "all")}
        (a0, a1), (b0, b1) = _years(mine), _years(other)
        if same and (len(cadres) == 1 or "all" in cadres) and a0 <= b1 and b0 <= a1:
            return [
                (
                    _where(prov, ("policies", "agreements", str(i))),
                    f"policies.agreements.{i} has the corridor ({mine.get('source')} -> "
                    f"{mine.get('destination')}) and cadre of policies.agreements.{j} in "
                    "overlapping years: both apply, and their quotas add up",
                )
            ]
    return []


def _selector_keys(keys: KeyPath) -> list[str]:
    """The keys of a policy item that select countries (schema fields of kind `selector`)."""
    node: Any = SCHEMA
    for part in keys:
        node = node.item if isinstance(node, ListOf) else node.get(part)
        if node is None:
            return []
    return [k for k, f in node.items() if isinstance(f, Field) and f.kind == "selector"]


def empty_selections(data: dict, world: Any, prov: Provenance) -> list[tuple[str, str]]:
    """A warning for every enabled policy or adjustment one of whose country selections (its
    own list or a keyword such as `safeguards`, its default) holds no simulated country."""
    notes = []
    simulated = set(selector_codes(data["world"]["countries"], data, world))
    for keys, spec in _policy_items(data):
        if not spec.get("enabled", True):
            continue
        for name in _selector_keys(keys):
            if name in spec and not simulated.intersection(selector_codes(spec[name], data, world)):
                what = spec[name] if isinstance(spec[name], str) else "its list"
                notes.append(
                    (
                        _where(prov, (*keys, name), (*keys, "enabled"), keys),
                        f"{'.'.join(keys)}.{name} ({what}) selects no simulated country: it has "
                        "no effect",
                    )
                )
    return notes
