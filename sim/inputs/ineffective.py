"""Policies that cannot take effect, or add up unnoticed: the warnings a valid scenario gets
(`load_scenario`).

Each is (the file that set the key in question, the warning): a policy that starts after the
last simulated year or ends before the first, one configured but never enabled, an adjustment that
multiplies nothing, two bilateral agreements on one corridor and cadre at once (their quotas
add up: said, not an error), a posterior sample the scenario names but does not read, and a
country selection (a list, or a keyword such as `safeguards`) that holds no simulated country.
"""

from __future__ import annotations

from typing import Any

from sim.inputs.extends import SET_SOURCE, KeyPath, Provenance
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
    recorded, else the one that set the nearest ancestor of the last (a whole list replaced by
    `--set` records only the list), else the scenario's own file."""
    for kp in paths:
        if kp in prov.origins:
            return str(prov.origins[kp][0])
    return str(prov.lookup(paths[-1])[0])


def ineffective_policies(data: dict, prov: Provenance) -> list[tuple[str, str]]:
    """A warning for every policy that cannot take effect (it starts after the last simulated
    year or ends before the first, it is configured but never enabled, or it is an adjustment
    that multiplies nothing) and for every bilateral agreement repeating an earlier one's
    corridor and cadre in a simulated year: (the file that set the key in question, the
    warning)."""
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
            agreements = data["policies"]["agreements"]
            notes += _repeated_agreement(agreements, int(keys[2]), prov, (first, last))
        if keys[0] == "adjustments" and all(spec.get(m, 1.0) == 1.0 for m in _MULTIPLIERS):
            notes.append(
                (_where(prov, keys), f"{key} sets no multiplier (every one is 1): it has no effect")
            )
    return notes + _unread_sample(data, prov)


def _unread_sample(data: dict, prov: Provenance) -> list[tuple[str, str]]:
    """A warning where the scenario's own file or `--set` names a posterior sample that its
    `uncertainty.kind` does not read (a file it extends may name one for its children, as
    calibration/fitted.yaml does: no warning then)."""
    uncertainty = data["uncertainty"]
    set_by = prov.origins.get(("uncertainty", "sample"))
    if uncertainty["sample"] is None or uncertainty["kind"] == "parameters" or set_by is None:
        return []
    if set_by[0] not in (prov.root, SET_SOURCE):
        return []
    return [
        (
            str(set_by[0]),
            f"uncertainty.sample is set but uncertainty.kind is '{uncertainty['kind']}': the "
            "sample is not read and the replicates carry stochastic noise only (set "
            "`uncertainty.kind: parameters` to draw from it)",
        )
    ]


def _years(spec: dict, run: tuple[int, int]) -> tuple[int, int]:
    """The simulated years (first, last) in which an agreement is in force (first > last: none)."""
    start, end = spec.get("from"), spec.get("until")
    return (
        run[0] if start is None else max(start, run[0]),
        run[1] if end is None else min(end, run[1]),
    )


def _repeated_agreement(
    agreements: list, i: int, prov: Provenance, run: tuple[int, int]
) -> list[tuple[str, str]]:
    """A note when agreement `i` has the corridor and cadre of an earlier one in a simulated year
    (`run`: the first and last): both apply, one after the other, so their quotas add up (an easy
    slip when a file extends another and lists the agreements again)."""
    mine = agreements[i]
    for j in range(i):
        other = agreements[j]
        same = all(mine.get(k) == other.get(k) for k in ("source", "destination"))
        cadres = {mine.get("cadre", "all"), other.get("cadre", "all")}
        (a0, a1), (b0, b1) = _years(mine, run), _years(other, run)
        if same and (len(cadres) == 1 or "all" in cadres) and max(a0, b0) <= min(a1, b1):
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
