"""Scenario files: YAML loading, `extends`, `--set` overrides and strict validation.

`load_scenario(path, overrides)` reads a scenario file with `yaml.safe_load`, resolves its `extends`
chain (deep merge of mappings, lists replace), applies `--set PATH=VALUE` overrides, validates the
result against `sim.inputs.schema.SCHEMA`, fills the defaults and checks country codes against the
world the scenario names. Every problem is a `ScenarioError` naming the file that set the value, the
key path and, where known, the line."""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import HrhsimError, ScenarioError, describe_value, did_you_mean
from sim.inputs.extends import (
    SET_SOURCE,
    KeyPath,
    Provenance,
    load_tree,
    scenario_error,
)
from sim.inputs.ineffective import empty_selections, ineffective_policies
from sim.inputs.schema import SCHEMA, Field, ListOf, first_simulated_year
from sim.inputs.selectors import selector_codes
from sim.inputs.validation import (
    MAX_LIST_ITEMS,
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    Validator,
    check_consistency,
    check_name,
    codes_listed_by,
    walk_schema,
    world_hint,
)
from sim.inputs.world import cached_world
from sim.inputs.yamlio import parse_yaml

__all__ = [
    "MAX_AGENTS",
    "MAX_LIST_ITEMS",
    "MAX_NAME_LENGTH",
    "MAX_TEXT_LENGTH",
    "Scenario",
    "load_scenario",
    "numeric_paths",
    "parse_set",
    "schema_node",
    "selected_countries",
]

log = logging.getLogger(__name__)

OVERRIDES_SOURCE = "overrides"
MAX_AGENTS = 200_000_000
"""Most simulated workers at the start of a run (the whole world at one agent per worker is
about 45 million)."""

_hint = did_you_mean
_describe = describe_value


def _display(path: Path) -> str:
    """A file name for messages: relative to the working directory when below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _to_builtin(value: Any) -> Any:
    """Numpy scalars and arrays (from sweeps) as plain Python values."""
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, tuple):
        return [_to_builtin(v) for v in value]
    if isinstance(value, list):
        return [_to_builtin(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_builtin(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------------------------------
# --set overrides


def schema_node(dotted: str) -> Field | ListOf | dict:
    """The schema entry at a dotted path (`behaviour.wage_weight`, `policies.agreements.0.quota`).

    Raises `ScenarioError` naming the path, with a did-you-mean hint, when it does not exist.
    """
    node: Any = SCHEMA
    for part, prefix in _walk_parts(dotted, SET_SOURCE):
        node = _schema_child(node, part, prefix, dotted, SET_SOURCE)
    return node


def _walk_parts(dotted: str, source: str) -> Iterator[tuple[str, KeyPath]]:
    if not isinstance(dotted, str) or not dotted.strip():
        raise scenario_error(
            "empty key path", file=source, expected="a dotted path like time.years"
        )
    parts = tuple(dotted.strip().split("."))
    if any(not p for p in parts):
        raise scenario_error(
            f"invalid key path '{dotted}'",
            file=source,
            key_path=dotted,
            expected="a dotted path like behaviour.wage_weight",
        )
    for i, part in enumerate(parts):
        yield part, parts[:i]


def _schema_child(node: Any, part: str, prefix: KeyPath, dotted: str, source: str) -> Any:
    """One step down the schema, with clear errors for paths that do not exist."""
    where = ".".join(prefix)
    if isinstance(node, dict):
        keys = [k for k in node if not (not prefix and k == "extends")]
        if part not in keys:
            section = f" in '{where}'" if where else ""
            hint = _hint(part, keys)
            raise scenario_error(
                f"no key '{part}'{section}{hint}",
                file=source,
                key_path=dotted,
                expected=None if hint else "one of " + ", ".join(keys),
            )
        return node[part]
    if isinstance(node, ListOf):
        if not (part.isascii() and part.isdigit()):
            raise scenario_error(
                f"'{where}' is a list; expected an item index (0, 1, ...), got '{part}'",
                file=source,
                key_path=dotted,
            )
        return node.item
    raise scenario_error(
        f"'{where}' is a single value; it has no key '{part}'", file=source, key_path=dotted
    )


def parse_set(item: str) -> tuple[str, Any]:
    """Split a `--set PATH=VALUE` argument; VALUE is parsed as YAML (`3`, `true`, `[KEN, GHA]`)."""
    if not isinstance(item, str) or "=" not in item:
        raise scenario_error(
            f"expected PATH=VALUE, got {item!r}",
            file=SET_SOURCE,
            expected="e.g. --set behaviour.wage_weight=1.5",
        )
    path, _, raw = item.partition("=")
    path = path.strip()
    try:
        value = parse_yaml(raw, file=SET_SOURCE).data
    except ScenarioError as err:
        message = err.message.replace("malformed YAML", "value is not valid YAML")
        raise scenario_error(
            message, file=SET_SOURCE, key_path=path or None, expected=err.expected
        ) from None
    return path, value


def _apply_override(data: dict, prov: Provenance, dotted: str, value: Any, source: str) -> None:
    """Set `dotted` (a path that exists in the schema) to `value` in `data`.

    A mapping given for a section (`behaviour={wage_weight: 1.9}`) is merged key by key, as
    `extends` merges files: each of its keys is set as its own path, and the section's other keys
    keep their values (replacing the section would silently reset them to the defaults).
    """
    parts = list(_walk_parts(dotted, source))
    nodes: list[Any] = [SCHEMA]  # the schema's node above each part, then the path's own
    for part, prefix in parts:
        nodes.append(_schema_child(nodes[-1], part, prefix, dotted, source))
    node = nodes[-1]
    if isinstance(node, dict) and isinstance(value, dict):
        if not value:
            raise scenario_error(
                f"'{dotted}' is a section; an empty mapping sets nothing",
                file=source,
                key_path=dotted,
                expected=f"a key of it, e.g. {dotted}.{next(iter(node))}=VALUE",
            )
        for key, item in value.items():
            _apply_override(data, prov, f"{dotted.strip()}.{key}", item, source)
        return
    target: Any = data
    path: KeyPath = ()
    for i, (part, prefix) in enumerate(parts):
        node_before, node = nodes[i], nodes[i + 1]
        last = i == len(parts) - 1
        if isinstance(node_before, dict):
            key: Any = part
            if last:
                target[key] = copy.deepcopy(value)
            else:
                nxt = target.get(key)
                if isinstance(node, ListOf):
                    if nxt is None:
                        nxt = copy.deepcopy(node.default)
                    if not isinstance(nxt, list):
                        raise scenario_error(
                            f"'{'.'.join((*prefix, part))}' is not a list",
                            file=source,
                            key_path=dotted,
                        )
                elif not isinstance(nxt, dict):
                    nxt = {}
                target[key] = nxt
                target = nxt
        else:  # a list item
            index = int(part)
            if index >= len(target):
                n = len(target)
                raise scenario_error(
                    f"list index {index} out of range: '{'.'.join(prefix)}' has {n} "
                    f"item{'s' if n != 1 else ''}",
                    file=source,
                    key_path=dotted,
                    expected=f"an index from 0 to {n - 1}" if n else "a list set in the file first",
                )
            if last:
                target[index] = copy.deepcopy(value)
            else:
                if not isinstance(target[index], dict):
                    target[index] = {}
                target = target[index]
        path = (*path, part)
    prov.set(path, (source, None))


# --------------------------------------------------------------------------------------------------
# country codes against the world


def _world_codes(world: Any) -> list[str]:
    return [str(c) for c in list(world.iso3)]


def _check_countries(data: dict, v: Validator) -> Any:
    """Check every country code of the scenario against its world; return the world."""
    kind, file = data["world"]["kind"], data["world"]["file"]
    try:
        world = cached_world(kind, file)
    except HrhsimError as err:
        if err.file is None:
            err.file, err.line = v.prov.lookup(("world", "file" if kind == "file" else "kind"))
        raise
    codes = _world_codes(world)
    known = set(codes)
    simulated = set(selector_codes(data["world"]["countries"], data, world))
    if not simulated and not (
        isinstance(data["world"]["countries"], list) and set(data["world"]["countries"]) - known
    ):
        raise v.error(
            ("world", "countries"),
            f"selects no country of the {kind} world",
            expected="all, a group that has countries in this world, or a list of ISO3 codes",
        )
    _check_size(world, data, simulated, v)
    _warn_about_projection(world, data, v)
    for path, f, value in walk_schema(SCHEMA, data, ()):
        if f.kind == "selector" and isinstance(value, list):
            items = [((*path, str(i)), code) for i, code in enumerate(value)]
        elif f.kind == "code" and value is not None:
            items = [(path, value)]
        else:
            continue
        for item_path, code in items:
            if code not in known:
                label = f"world file {Path(file).name}" if kind == "file" else f"{kind} world"
                listed = ", ".join(codes) if len(codes) <= 12 else None
                raise v.error(
                    item_path,
                    f"unknown country code '{code}' in the {label}{world_hint(world, code, codes)}",
                    expected=f"one of {listed}"
                    if listed
                    else (
                        "an ISO3 code of a WHO Member State; " + codes_listed_by("global")
                        if kind == "global"
                        else f"a code of the {label}; " + codes_listed_by(kind)
                    ),
                )
            if path[:2] != ("world", "countries") and code not in simulated:
                raise v.error(
                    item_path,
                    f"country '{code}' is not simulated: `world.countries` leaves it out",
                    expected="a country selected by world.countries (or add it there)",
                )
    return world


def _check_size(world: Any, data: dict, simulated: set[str], v: Validator) -> None:
    """Refuse runs with more simulated workers than `MAX_AGENTS` (they would exhaust memory) or
    with no agent at all (every result would be 0), and warn when a tenth or more of the
    simulated countries have no agent at the start (their workers round away)."""
    try:
        iso3 = np.asarray(world.iso3).astype(str)
        chosen = np.isin(iso3, sorted(simulated))
        stocks = np.stack([np.asarray(world.doctors), np.asarray(world.nurses)])[:, chosen]
        workers = float(stocks.sum())
    except (AttributeError, TypeError, ValueError):  # a stand-in world without stocks (tests)
        return
    omega = data["scale"]["workers_per_agent"]
    agents = workers / omega
    if agents > MAX_AGENTS:
        raise v.error(
            ("scale", "workers_per_agent"),
            f"about {agents / 1e6:,.0f} million simulated workers at the start, more than the "
            f"limit of {MAX_AGENTS / 1e6:,.0f} million",
            expected=f"workers_per_agent >= {workers / MAX_AGENTS:,.1f} for this world",
        )
    # each country's doctors and nurses become whole agents (nearest integer)
    by_country = stocks.sum(axis=0)
    empty = (np.floor(stocks / omega + 0.5).sum(axis=0) == 0) & (by_country > 0)
    if empty.any() and empty.all():
        raise v.error(
            ("scale", "workers_per_agent"),
            f"{workers:,.0f} workers at {omega:,.0f} workers per agent leave no simulated "
            "country with a single agent: every result would be 0",
            expected=f"workers_per_agent <= {2 * by_country.max():,.0f} for these "
            "countries (fewer workers per agent)",
        )
    if empty.sum() >= max(2, 0.1 * chosen.sum()):
        names = iso3[chosen][empty]
        file, _ = v.prov.lookup(("scale", "workers_per_agent"))
        log.warning(
            "%s: scale.workers_per_agent = %s leaves %d of the %d simulated countries without "
            "an agent at the start (%s): their workers round away and their results are 0; "
            "fewer workers per agent keep them",
            file,
            f"{omega:g}",
            int(empty.sum()),
            int(chosen.sum()),
            ", ".join(names[:8]) + (", ..." if len(names) > 8 else ""),
        )


def _warn_about_projection(world: Any, data: dict, v: Validator) -> None:
    """Warn when the world's population projection does not cover the simulated years."""
    years = getattr(world, "proj_years", None)
    if years is None or len(years) == 0:
        return
    last = data["time"]["start_year"] + data["time"]["years"] - 1
    first = first_simulated_year(data["time"])
    lo, hi = int(years[0]), int(years[-1])
    if last > hi or first < lo:
        file, _ = v.prov.lookup(("world", "file" if data["world"]["kind"] == "file" else "kind"))
        log.warning(
            "%s: the world's population projection covers %d-%d but the run simulates %d-%d; "
            "populations outside it are held at the nearest projected year",
            file,
            lo,
            hi,
            first,
            last,
        )


def selected_countries(scenario: Scenario, selector: Any = None) -> list[str]:
    """The ISO3 codes a selector picks in the scenario's world (default: `world.countries`).

    Selectors are resolved by `sim.inputs.selectors` (keywords: `docs/scenarios.md`).
    """
    data = scenario.data
    world = cached_world(data["world"]["kind"], data["world"]["file"])
    return selector_codes(data["world"]["countries"] if selector is None else selector, data, world)


# --------------------------------------------------------------------------------------------------
# the Scenario


class Scenario:
    """A validated scenario: `.data` is the resolved, defaults-filled, JSON-serialisable dict."""

    def __init__(
        self,
        data: dict,
        path: Path | None,
        provenance: Provenance,
        check_countries: bool = True,
        warned: set[str] | None = None,
    ) -> None:
        self._data = data
        self._path = path
        self._prov = provenance
        self._check_countries = check_countries
        self._warned = set() if warned is None else warned  # shared with its variants

    @property
    def data(self) -> dict:
        """The resolved scenario (treat as read-only; use `with_overrides` for variants)."""
        return self._data

    @property
    def path(self) -> Path | None:
        """The scenario file (absolute), or None for a scenario built in memory."""
        return self._path

    @property
    def name(self) -> str:
        return self._data["name"]

    def get(self, dotted: str) -> Any:
        """The value at a dotted path (`behaviour.wage_weight`, `policies.agreements.0.quota`)."""
        value: Any = self._data
        done: list[str] = []
        for part in dotted.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isascii() and part.isdigit():
                if int(part) >= len(value):
                    raise scenario_error(
                        f"list index {part} out of range: '{'.'.join(done)}' has {len(value)} "
                        "items",
                        key_path=dotted,
                    )
                value = value[int(part)]
            else:
                keys = list(value) if isinstance(value, dict) else []
                raise scenario_error(f"no key '{part}'{_hint(part, keys)}", key_path=dotted)
            done.append(part)
        return value

    def with_overrides(
        self, overrides: Mapping[str, Any], *, source: str = OVERRIDES_SOURCE
    ) -> Scenario:
        """A new validated Scenario with values set at dotted paths (for sweeps and calibration)."""
        data = copy.deepcopy(self._data)
        prov = self._prov.copy()
        for dotted, value in overrides.items():
            _apply_override(data, prov, dotted, _to_builtin(value), source)
        return _finish(
            data, prov, self._path, check_countries=self._check_countries, warned=self._warned
        )

    def canonical_json(self) -> str:
        """The resolved scenario as canonical JSON (sorted keys, no spaces), for hashing."""
        return json.dumps(
            self._data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )

    def hash(self) -> str:
        """SHA-256 (hex) of `canonical_json()` and, for a world file, of that file's contents.

        A scenario names its world file (and posterior sample) by path; hashing the contents too
        means results are never reused after the file is edited.
        """
        digest = hashlib.sha256(self.canonical_json().encode("utf-8"))
        world = self._data["world"]
        if world["kind"] == "file" and world["file"]:
            try:
                digest.update(Path(world["file"]).read_bytes())
            except OSError:
                digest.update(b"<world file unreadable>")
        if self._data["uncertainty"]["kind"] == "parameters":  # and of the posterior sample
            try:
                digest.update(Path(self._data["uncertainty"]["sample"]).read_bytes())
            except OSError:
                digest.update(b"<posterior sample unreadable>")
        return digest.hexdigest()

    def origin(self, dotted: str) -> tuple[str, int | None]:
        """The file (or `--set`) and line that set a dotted path."""
        return self._prov.lookup(tuple(dotted.split(".")))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        return self.canonical_json() == other.canonical_json()

    def __hash__(self) -> int:
        return hash(self.canonical_json())

    def __repr__(self) -> str:
        return f"Scenario(name={self.name!r}, path={str(self._path)!r})"


def _finish(
    data: dict,
    prov: Provenance,
    path: Path | None,
    *,
    check_countries: bool,
    warned: set[str] | None = None,
) -> Scenario:
    """Validate merged (and overridden) data, fill defaults, check countries; log a warning
    for each policy that has no effect, unless it is in `warned` (the warnings already given
    for the scenario this one varies)."""
    world = data.get("world") if isinstance(data.get("world"), dict) else {}
    v = Validator(prov, world_kind=world.get("kind", "global"))
    resolved = v.mapping(SCHEMA, data, ())
    if resolved["name"] is None:
        resolved["name"] = path.stem if path is not None else "scenario"
        check_name(resolved["name"], v, given=False)
    else:
        check_name(resolved["name"], v, given=True)
    check_consistency(resolved, v)
    world = _check_countries(resolved, v) if check_countries else None
    # warnings only for a valid file: an error is the one line a broken file gets; a variant
    # (`with_overrides`: a sweep's points, a calibration's evaluations) repeats none of its
    # family's warnings
    notes = ineffective_policies(resolved, v.prov)
    if world is not None:
        notes += empty_selections(resolved, world, v.prov)
    warned = set() if warned is None else warned
    for where, note in notes:
        if note not in warned:
            warned.add(note)
            log.warning("%s: %s", where, note)
    return Scenario(resolved, path, prov, check_countries, warned)


def load_scenario(
    path: str | os.PathLike,
    overrides: Sequence[str] = (),
    *,
    check_countries: bool = True,
    warned: set[str] | None = None,
) -> Scenario:
    """Load, resolve (`extends`), override (`--set PATH=VALUE`) and validate a scenario file.

    Raises `ScenarioError` (file, key path, line) for every problem in the files or overrides.
    `check_countries=False` skips loading the world (schema checks only). `warned`: warnings
    already given for scenarios loaded together (`compare`'s baseline and options, which share
    their parent files), not repeated.
    """
    if isinstance(overrides, str):
        overrides = (overrides,)
    given = Path(path)
    display = str(given)
    data, prov = load_tree(given, display, (), None)
    seen: set[str] = set()
    for item in overrides:
        dotted, value = parse_set(item)
        if dotted in seen:  # as a key twice in a file is an error
            raise scenario_error(
                f"{dotted} is set twice",
                file=SET_SOURCE,
                key_path=dotted,
                expected="each PATH once in the --set items",
            )
        seen.add(dotted)
        _apply_override(data, prov, dotted, value, SET_SOURCE)
    scenario = _finish(
        data, prov, Path(os.path.abspath(given)), check_countries=check_countries, warned=warned
    )
    log.info("loaded scenario %s (%s)", scenario.name, display)
    return scenario


def numeric_paths(scenario: Scenario) -> list[str]:
    """Every numeric (int or float) dotted path of a scenario, list items by index (for sweeps)."""
    return [
        ".".join(path)
        for path, f, _ in walk_schema(SCHEMA, scenario.data, ())
        if f.kind in ("int", "float")
    ]
