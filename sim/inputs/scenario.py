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
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import (
    HrhsimError,
    ScenarioError,
    describe_value,
    did_you_mean,
    first_control_character,
    safe_text,
)
from sim.inputs.schema import SCHEMA, SELECTOR_KEYWORDS, Field, ListOf
from sim.inputs.selectors import selector_codes
from sim.inputs.world import cached_world
from sim.inputs.yamlio import (
    MAX_BYTES,
    MAX_WORLD_BYTES,
    check_regular_file,
    parse_yaml,
    read_yaml,
)

__all__ = [
    "Scenario",
    "load_scenario",
    "numeric_paths",
    "parse_set",
    "schema_node",
    "selected_countries",
]

log = logging.getLogger(__name__)

KeyPath = tuple[str, ...]
Origin = tuple[str, int | None]
"""Where a value was set: (file name, or `--set`; 1-based line or None)."""

SET_SOURCE = "--set"
OVERRIDES_SOURCE = "overrides"
_CODE_RE = re.compile(r"[A-Z]{3}")
_MAX_EXTENDS = 32
"""Longest `extends` chain (a file, its parent, its grandparent, ...)."""
MAX_NAME_LENGTH = 100
"""Longest scenario name (it names the default results folder)."""
MAX_TEXT_LENGTH = 10_000
"""Longest text value (descriptions)."""
MAX_LIST_ITEMS = 1_000
"""Most items of a list (agreements, adjustments, country codes)."""
MAX_AGENTS = 200_000_000
"""Most simulated workers at the start of a run (the whole world at one agent per worker is
about 45 million)."""
_NOT_INHERITED = ("name",)
"""Keys a scenario does not inherit through `extends` (a variant gets its own name)."""

_SELECTOR_EXPECTED = "one of " + ", ".join(SELECTOR_KEYWORDS) + ", or a list of ISO3 codes"


# --------------------------------------------------------------------------------------------------
# small helpers


def _one_line(text: str | None) -> str | None:
    """Control characters (newlines in keys, ...) escaped, so that messages stay on one line."""
    return None if text is None else safe_text(text)


def _error(
    message: str,
    *,
    file: str | None = None,
    key_path: str | None = None,
    line: int | None = None,
    expected: str | None = None,
) -> ScenarioError:
    """A `ScenarioError` whose text is guaranteed to be one line."""
    return ScenarioError(
        _one_line(message),
        file=_one_line(None if file is None else str(file)),
        key_path=_one_line(key_path),
        line=line,
        expected=_one_line(expected),
    )


_hint = did_you_mean
_describe = describe_value


def _fmt(x: float | int) -> str:
    """A number as a user writes it (20 rather than 20.0, 1e+07 for large round floats)."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    if isinstance(x, float):
        return f"{x:g}"
    return str(x)


def _dotted(path: KeyPath) -> str | None:
    return ".".join(path) or None


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
# extends


class _Provenance:
    """Which file (and line) set each key path of the merged data."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.origins: dict[KeyPath, Origin] = {}

    @classmethod
    def of_file(cls, file: str, lines: Mapping[KeyPath, int]) -> _Provenance:
        prov = cls(file)
        prov.origins = {path: (file, line) for path, line in lines.items()}
        return prov

    def copy(self) -> _Provenance:
        new = _Provenance(self.root)
        new.origins = dict(self.origins)
        return new

    def lookup(self, path: KeyPath) -> Origin:
        """The origin of `path` or of its closest recorded ancestor."""
        for n in range(len(path), 0, -1):
            origin = self.origins.get(path[:n])
            if origin is not None:
                return origin
        return (self.root, None)

    def replace(self, path: KeyPath, other: Mapping[KeyPath, Origin]) -> None:
        """Forget origins at and below `path`; take those of `other` at and below it."""
        n = len(path)
        for p in [p for p in self.origins if p[:n] == path]:
            del self.origins[p]
        for p, origin in other.items():
            if p[:n] == path:
                self.origins[p] = origin

    def set(self, path: KeyPath, origin: Origin) -> None:
        self.replace(path, {})
        self.origins[path] = origin


def _merge(
    base: dict, over: dict, path: KeyPath, prov: _Provenance, over_prov: _Provenance
) -> None:
    """Deep-merge `over` into `base` in place: mappings merge, everything else (lists) replaces."""
    for key, value in over.items():
        kp = (*path, str(key))
        if isinstance(base.get(key), dict) and isinstance(value, dict):
            if kp in over_prov.origins:
                prov.origins[kp] = over_prov.origins[kp]
            _merge(base[key], value, kp, prov, over_prov)
        else:
            base[key] = copy.deepcopy(value)
            prov.replace(kp, over_prov.origins)


def _load_tree(
    path: Path,
    display: str,
    chain: tuple[tuple[Path, str], ...],
    referrer: tuple[str, Origin] | None,
) -> tuple[dict, _Provenance]:
    """Load one file and its `extends` ancestors; return the merged data and its provenance."""

    def fail(message: str, expected: str | None = None) -> ScenarioError:
        if referrer is None:
            return _error(message, file=display, expected=expected)
        file, line = referrer[1]
        return _error(message, file=file, key_path="extends", line=line, expected=expected)

    try:
        real = Path(os.path.realpath(path))
    except (OSError, ValueError) as exc:
        raise fail(f"invalid file path {display!r}: {exc}") from None
    if any(real == p for p, _ in chain):
        names = [name for _, name in chain] + [display]
        raise fail("cyclic extends: " + " -> ".join(names))
    if len(chain) >= _MAX_EXTENDS:
        raise fail(
            f"the extends chain is longer than {_MAX_EXTENDS} files",
            expected=f"at most {_MAX_EXTENDS} files extending each other",
        )
    if referrer is None:
        doc = read_yaml(path, file=display, what="scenario file")
    else:
        file, line = referrer[1]
        doc = read_yaml(path, file=display, what="extended file", referrer=(file, line, "extends"))
    data, lines = doc.data, doc.lines
    if data is None:
        raise _error("empty scenario file", file=display, expected="a mapping of keys")
    if not isinstance(data, dict):
        raise _error(
            f"the file holds {_describe(data)}, not a mapping of keys",
            file=display,
            line=1,
            expected="a mapping of keys such as 'name:', 'world:', 'policies:'",
        )
    prov = _Provenance.of_file(display, lines)
    if "extends" not in data:
        return data, prov

    parent_ref = data.pop("extends")
    extends_origin: Origin = (display, lines.get(("extends",)))
    if parent_ref is None:
        return data, prov
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise _error(
            f"expected a file path, got {_describe(parent_ref)}",
            file=display,
            key_path="extends",
            line=extends_origin[1],
            expected="a scenario file path",
        )
    parent_path = path.parent / parent_ref
    parent_display = os.path.normpath(os.path.join(os.path.dirname(display), parent_ref))
    parent, parent_prov = _load_tree(
        parent_path, parent_display, (*chain, (real, display)), ("extends", extends_origin)
    )
    for key in _NOT_INHERITED:
        if key in parent:
            del parent[key]
            parent_prov.replace((key,), {})
    for p in [p for p in prov.origins if p[:1] == ("extends",)]:
        del prov.origins[p]
    merged = parent
    result_prov = parent_prov.copy()
    result_prov.root = display
    _merge(merged, data, (), result_prov, prov)
    log.debug("%s extends %s", display, parent_display)
    return merged, result_prov


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
        raise _error("empty key path", file=source, expected="a dotted path like time.years")
    parts = tuple(dotted.strip().split("."))
    if any(not p for p in parts):
        raise _error(
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
            raise _error(
                f"no key '{part}'{section}{hint}",
                file=source,
                key_path=dotted,
                expected=None if hint else "one of " + ", ".join(keys),
            )
        return node[part]
    if isinstance(node, ListOf):
        if not (part.isascii() and part.isdigit()):
            raise _error(
                f"'{where}' is a list; expected an item index (0, 1, ...), got '{part}'",
                file=source,
                key_path=dotted,
            )
        return node.item
    raise _error(
        f"'{where}' is a single value; it has no key '{part}'", file=source, key_path=dotted
    )


def parse_set(item: str) -> tuple[str, Any]:
    """Split a `--set PATH=VALUE` argument; VALUE is parsed as YAML (`3`, `true`, `[KEN, GHA]`)."""
    if not isinstance(item, str) or "=" not in item:
        raise _error(
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
        raise _error(message, file=SET_SOURCE, key_path=path or None) from None
    return path, value


def _apply_override(data: dict, prov: _Provenance, dotted: str, value: Any, source: str) -> None:
    """Set `dotted` (a path that exists in the schema) to `value` in `data`."""
    node: Any = SCHEMA
    target: Any = data
    parts = list(_walk_parts(dotted, source))
    path: KeyPath = ()
    for i, (part, prefix) in enumerate(parts):
        node_before = node
        node = _schema_child(node, part, prefix, dotted, source)
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
                        raise _error(
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
                raise _error(
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
# validation


class _Validator:
    """Validates merged data against the schema and fills the defaults."""

    def __init__(self, prov: _Provenance) -> None:
        self.prov = prov

    def error(self, path: KeyPath, message: str, expected: str | None = None) -> ScenarioError:
        file, line = self.prov.lookup(path)
        return _error(message, file=file, key_path=_dotted(path), line=line, expected=expected)

    def mapping(self, schema: dict, data: Any, path: KeyPath) -> dict:
        if not isinstance(data, dict):
            raise self.error(
                path,
                f"expected a mapping of keys, got {_describe(data)}",
                expected="keys: " + ", ".join(k for k in schema if k != "extends"),
            )
        keys = [k for k in schema if not (not path and k == "extends")]
        out: dict = {}
        for key, value in data.items():
            if not isinstance(key, str) or key not in keys:
                hint = _hint(key, keys)
                raise self.error(
                    (*path, str(key)),
                    f"unknown key '{key}'{hint}",
                    expected=None if hint else "one of " + ", ".join(keys),
                )
            out[key] = self.node(schema[key], value, (*path, key))
        for key in keys:
            if key not in out:
                out[key] = self.default(schema[key], (*path, key))
        return {k: out[k] for k in keys}

    def default(self, spec: Any, path: KeyPath) -> Any:
        if isinstance(spec, dict):
            return {k: self.default(v, (*path, k)) for k, v in spec.items()}
        if isinstance(spec, ListOf):
            return [self.mapping(spec.item, copy.deepcopy(item), path) for item in spec.default]
        if spec.default is None and not spec.nullable:
            parent = ".".join(path[:-1]) or "the top level"
            raise self.error(
                path[:-1],
                f"missing required key '{path[-1]}' in {parent}",
                expected=_expected(spec),
            )
        if spec.kind == "float" and isinstance(spec.default, int):
            return float(spec.default)
        return copy.deepcopy(spec.default)

    def node(self, spec: Any, value: Any, path: KeyPath) -> Any:
        if isinstance(spec, dict):
            return self.mapping(spec, value, path)
        if isinstance(spec, ListOf):
            if not isinstance(value, list):
                raise self.error(
                    path,
                    f"expected a list, got {_describe(value)}",
                    expected="a list of mappings (use [] for none)",
                )
            if len(value) > MAX_LIST_ITEMS:
                raise self.error(
                    path,
                    f"too many items ({len(value):,})",
                    expected=f"at most {MAX_LIST_ITEMS:,} items",
                )
            return [self.mapping(spec.item, item, (*path, str(i))) for i, item in enumerate(value)]
        return self.field(spec, value, path)

    def field(self, f: Field, value: Any, path: KeyPath) -> Any:
        if value is None:
            if f.nullable:
                return None
            raise self.error(path, "must not be null", expected=_expected(f))
        check = getattr(self, f"_{f.kind}", None)
        if check is None:  # pragma: no cover - guards the schema itself
            raise ValueError(f"unknown field kind {f.kind!r} at {_dotted(path)}")
        return check(f, value, path)

    def _range(self, f: Field, value: float, path: KeyPath) -> None:
        if (f.min is not None and value < f.min) or (f.max is not None and value > f.max):
            side = (
                "below the minimum" if f.min is not None and value < f.min else "above the maximum"
            )
            bound = f.min if side == "below the minimum" else f.max
            raise self.error(
                path, f"{_fmt(value)} is out of range ({side} {_fmt(bound)})", expected=_expected(f)
            )

    def _int(self, f: Field, value: Any, path: KeyPath) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            extra = ""
            if isinstance(value, float) and value.is_integer():
                extra = f" (write {int(value)} for an integer)"
            raise self.error(
                path, f"expected an integer, got {_describe(value)}{extra}", expected=_expected(f)
            )
        self._range(f, value, path)
        return value

    _year = _int

    def _float(self, f: Field, value: Any, path: KeyPath) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(
                path, f"expected a number, got {_describe(value)}", expected=_expected(f)
            )
        value = float(value)
        if not math.isfinite(value):
            raise self.error(
                path, f"expected a finite number, got {value!r}", expected=_expected(f)
            )
        self._range(f, value, path)
        return value

    def _bool(self, f: Field, value: Any, path: KeyPath) -> bool:
        if not isinstance(value, bool):
            raise self.error(
                path, f"expected true or false, got {_describe(value)}", expected="true or false"
            )
        return value

    def _str(self, f: Field, value: Any, path: KeyPath) -> str:
        if not isinstance(value, str):
            raise self.error(
                path,
                f"expected text, got {_describe(value)}",
                expected="text (quote it if YAML reads it as something else)",
            )
        bad = first_control_character(value, allow="" if path == ("name",) else "\n\t")
        if bad is not None:
            raise self.error(
                path,
                f"the text holds a control character ({bad})",
                expected="printable text",
            )
        if len(value) > MAX_TEXT_LENGTH:
            raise self.error(
                path,
                f"text too long ({len(value):,} characters)",
                expected=f"at most {MAX_TEXT_LENGTH:,} characters",
            )
        return value

    def _enum(self, f: Field, value: Any, path: KeyPath) -> Any:
        for choice in f.choices:
            if type(value) is type(choice) and value == choice:
                return value
        hint = _hint(value, [str(c) for c in f.choices]) if isinstance(value, str) else ""
        raise self.error(path, f"invalid choice {_describe(value)}{hint}", expected=_expected(f))

    def _code(self, f: Field, value: Any, path: KeyPath) -> str:
        if not isinstance(value, str) or not _CODE_RE.fullmatch(value):
            hint = ""
            if isinstance(value, str) and _CODE_RE.fullmatch(value.upper()):
                hint = f"; did you mean '{value.upper()}'? (codes are upper case)"
            raise self.error(
                path,
                f"expected a 3-letter ISO3 country code, got {_describe(value)}{hint}",
                expected="an ISO3 code such as KEN",
            )
        return value

    def _selector(self, f: Field, value: Any, path: KeyPath) -> str | list[str]:
        if isinstance(value, str):
            if value in SELECTOR_KEYWORDS:
                return value
            hint = _hint(value, SELECTOR_KEYWORDS)
            if not hint and _CODE_RE.fullmatch(value.upper()):
                hint = f"; a single country is written as a list: [{value.upper()}]"
            raise self.error(
                path, f"unknown country selector '{value}'{hint}", expected=_SELECTOR_EXPECTED
            )
        if not isinstance(value, list):
            raise self.error(
                path, f"expected a selector, got {_describe(value)}", expected=_SELECTOR_EXPECTED
            )
        if len(value) > MAX_LIST_ITEMS:
            raise self.error(
                path, f"too many items ({len(value):,})", expected=f"at most {MAX_LIST_ITEMS:,}"
            )
        seen: set[str] = set()
        for i, code in enumerate(value):
            self._code(f, code, (*path, str(i)))
            if code in seen:
                raise self.error((*path, str(i)), f"duplicate country code '{code}'")
            seen.add(code)
        return list(value)

    def _path(self, f: Field, value: Any, path: KeyPath) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(
                path,
                f"expected a file path, got {_describe(value)}",
                expected="a file path relative to the scenario file",
            )
        file, line = self.prov.lookup(path)
        # relative to the file that set it; `--set` and other override sources: the working dir
        base = Path(file).parent if file != SET_SOURCE and Path(file).is_file() else Path.cwd()
        try:
            resolved = Path(os.path.abspath(base / value))
        except (OSError, ValueError) as exc:
            raise self.error(path, f"invalid file path {value!r}: {exc}") from None
        check_regular_file(
            resolved,
            file=value if Path(value).is_absolute() else f"{value} (resolved to {resolved})",
            what="world file" if path == ("world", "file") else "file",
            max_bytes=MAX_WORLD_BYTES if path == ("world", "file") else MAX_BYTES,
            referrer=(file, line, _dotted(path) or ""),
        )
        return str(resolved)


def _expected(f: Field) -> str:
    """The `expected ...` part of an error for a field."""
    unit = f" {f.unit}" if f.unit else ""
    null = " or null" if f.nullable else ""
    if f.kind == "enum":
        return "one of " + ", ".join(str(c) for c in f.choices)
    if f.kind == "selector":
        return _SELECTOR_EXPECTED
    what = {
        "int": "an integer",
        "year": "a year (integer)",
        "float": "a number",
        "bool": "true or false",
        "str": "text",
        "code": "an ISO3 country code",
        "path": "a file path",
    }.get(f.kind, f.kind)
    if f.kind in ("int", "year", "float") and f.min is not None and f.max is not None:
        return f"{what} from {_fmt(f.min)} to {_fmt(f.max)}{unit}{null}"
    if f.kind in ("int", "year", "float") and f.min is not None:
        return f"{what} >= {_fmt(f.min)}{unit}{null}"
    return f"{what}{unit}{null}"


def _walk_schema(schema: Any, data: Any, path: KeyPath) -> Iterator[tuple[KeyPath, Field, Any]]:
    """Every (path, field, value) leaf of validated data, list items included."""
    if isinstance(schema, dict):
        for key, spec in schema.items():
            if isinstance(data, dict) and key in data:
                yield from _walk_schema(spec, data[key], (*path, key))
    elif isinstance(schema, ListOf):
        for i, item in enumerate(data or []):
            yield from _walk_schema(schema.item, item, (*path, str(i)))
    else:
        yield path, schema, data


def _walk_mappings(data: Any, path: KeyPath) -> Iterator[tuple[KeyPath, dict]]:
    """Every mapping in the validated data (for `from`/`until` checks)."""
    if isinstance(data, dict):
        yield path, data
        for key, value in data.items():
            yield from _walk_mappings(value, (*path, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from _walk_mappings(item, (*path, str(i)))


def _check_consistency(data: dict, v: _Validator) -> None:
    """Rules across keys: from <= until, a world file for `kind: file`, distinct corridors."""
    for path, mapping in _walk_mappings(data, ()):
        start, end = mapping.get("from"), mapping.get("until")
        if isinstance(start, int) and isinstance(end, int) and start > end:
            raise v.error(
                (*path, "until"),
                f"until ({end}) is before from ({start})",
                expected=f"a year >= {start} or null",
            )
    world = data["world"]
    if world["kind"] == "file" and world["file"] is None:
        raise v.error(
            ("world", "kind"),
            "world.kind is 'file' but world.file is not set",
            expected="world.file: a world YAML file",
        )
    if data["workforce"]["destinations"] == "destinations":
        raise v.error(
            ("workforce", "destinations"),
            "workforce.destinations cannot refer to itself ('destinations')",
            expected="all, safeguards, high_income, low_income or a list of ISO3 codes",
        )
    for i, agreement in enumerate(data["policies"]["agreements"]):
        if agreement["source"] == agreement["destination"]:
            raise v.error(
                ("policies", "agreements", str(i), "destination"),
                f"source and destination are the same country ({agreement['source']})",
                expected="two different countries",
            )


# --------------------------------------------------------------------------------------------------
# country codes against the world


def _world_codes(world: Any) -> list[str]:
    return [str(c) for c in list(world.iso3)]


def _check_countries(data: dict, v: _Validator) -> Any:
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
    for path, f, value in _walk_schema(SCHEMA, data, ()):
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
                    f"unknown country code '{code}' in the {label}{_code_hint(world, code, codes)}",
                    expected=f"one of {listed}" if listed else "an ISO3 code of a WHO Member State",
                )
            if path[:2] != ("world", "countries") and code not in simulated:
                raise v.error(
                    item_path,
                    f"country '{code}' is not simulated: `world.countries` leaves it out",
                    expected="a country selected by world.countries (or add it there)",
                )
    return world


def _check_size(world: Any, data: dict, simulated: set[str], v: _Validator) -> None:
    """Refuse runs with more simulated workers than `MAX_AGENTS` (they would exhaust memory)."""
    try:
        chosen = np.isin(np.asarray(world.iso3).astype(str), sorted(simulated))
        workers = float(
            np.sum(np.asarray(world.doctors)[chosen] + np.asarray(world.nurses)[chosen])
        )
    except (AttributeError, TypeError, ValueError):  # a stand-in world without stocks (tests)
        return
    agents = workers / data["scale"]["workers_per_agent"]
    if agents > MAX_AGENTS:
        raise v.error(
            ("scale", "workers_per_agent"),
            f"about {agents / 1e6:,.0f} million simulated workers at the start, more than the "
            f"limit of {MAX_AGENTS / 1e6:,.0f} million",
            expected=f"workers_per_agent >= {workers / MAX_AGENTS:,.1f} for this world",
        )


def _warn_about_projection(world: Any, data: dict, v: _Validator) -> None:
    """Warn when the world's population projection does not cover the simulated years."""
    years = getattr(world, "proj_years", None)
    if years is None or len(years) == 0:
        return
    first = data["time"]["start_year"]
    last = first + data["time"]["years"] - 1
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


def _code_hint(world: Any, code: str, codes: list[str]) -> str:
    """The world's own hint (codes with names, aliases such as UK -> GBR), else a close code."""
    hint = getattr(world, "hint", None)
    if callable(hint):
        try:
            return str(hint(code))
        except Exception:  # a hint is a nicety; never let it hide the real error
            log.debug("World.hint failed for %r", code, exc_info=True)
    return _hint(code, codes)


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
        self, data: dict, path: Path | None, provenance: _Provenance, check_countries: bool = True
    ) -> None:
        self._data = data
        self._path = path
        self._prov = provenance
        self._check_countries = check_countries

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
                    raise _error(
                        f"list index {part} out of range: '{'.'.join(done)}' has {len(value)} "
                        "items",
                        key_path=dotted,
                    )
                value = value[int(part)]
            else:
                keys = list(value) if isinstance(value, dict) else []
                raise _error(f"no key '{part}'{_hint(part, keys)}", key_path=dotted)
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
        return _finish(data, prov, self._path, check_countries=self._check_countries)

    def canonical_json(self) -> str:
        """The resolved scenario as canonical JSON (sorted keys, no spaces), for hashing."""
        return json.dumps(
            self._data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )

    def hash(self) -> str:
        """SHA-256 (hex) of `canonical_json()` and, for a world file, of that file's contents.

        A scenario names its world file by path; hashing the contents too means results are never
        reused after the world file is edited.
        """
        digest = hashlib.sha256(self.canonical_json().encode("utf-8"))
        world = self._data["world"]
        if world["kind"] == "file" and world["file"]:
            try:
                digest.update(Path(world["file"]).read_bytes())
            except OSError:
                digest.update(b"<world file unreadable>")
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


def _finish(data: dict, prov: _Provenance, path: Path | None, *, check_countries: bool) -> Scenario:
    """Validate merged (and overridden) data, fill defaults, check countries."""
    v = _Validator(prov)
    resolved = v.mapping(SCHEMA, data, ())
    if resolved["name"] is None:
        resolved["name"] = path.stem if path is not None else "scenario"
        _check_name(resolved["name"], v, given=False)
    else:
        _check_name(resolved["name"], v, given=True)
    _check_consistency(resolved, v)
    _warn_about_late_policies(resolved, path)
    if check_countries:
        _check_countries(resolved, v)
    return Scenario(resolved, path, prov, check_countries)


def _check_name(name: str, v: _Validator, *, given: bool) -> None:
    """A scenario name also names its default results folder (as a slug): no path, no `..`."""
    what = "name" if given else "the default name (the file name)"
    fix = "" if given else "; set `name:` in the file"

    def fail(problem: str) -> ScenarioError:
        return v.error(
            ("name",),
            f"{what} {problem}{fix}",
            expected=f"a short name, not a path (at most {MAX_NAME_LENGTH} characters)",
        )

    bad = first_control_character(name)
    if bad is not None:
        raise fail(f"holds a control character ({bad})")
    if not name.strip():
        raise fail("is empty")
    parts = [p.strip() for p in name.replace("\\", "/").split("/")]
    drive = len(name) > 2 and name[0].isalpha() and name[1] == ":" and name[2] in "/\\"
    if name.startswith(("/", "\\", "~")) or drive or ".." in parts:
        raise fail(f"{name!r} looks like a path (the name also names the results folder)")
    if name.strip() == ".":
        raise fail(f"{name!r} is not a folder name")
    if len(name) > MAX_NAME_LENGTH:
        raise fail(f"is too long ({len(name)} characters)")


def _warn_about_late_policies(data: dict, path: Path | None) -> None:
    """Log a warning for every policy that starts after the last simulated year (no effect)."""
    last = data["time"]["start_year"] + data["time"]["years"] - 1
    items = [
        (f"policies.{name}", spec)
        for name, spec in data["policies"].items()
        if isinstance(spec, dict)
    ]
    items += [
        (f"policies.agreements.{i}", spec) for i, spec in enumerate(data["policies"]["agreements"])
    ]
    items += [(f"adjustments.{i}", spec) for i, spec in enumerate(data["adjustments"])]
    for key, spec in items:
        start = spec.get("from")
        if spec.get("enabled", True) and start is not None and start > last:
            log.warning(
                "%s: %s starts in %d, after the last simulated year %d: it has no effect",
                path.name if path else "scenario",
                key,
                start,
                last,
            )


def load_scenario(
    path: str | os.PathLike, overrides: Sequence[str] = (), *, check_countries: bool = True
) -> Scenario:
    """Load, resolve (`extends`), override (`--set PATH=VALUE`) and validate a scenario file.

    Raises `ScenarioError` (file, key path, line) for every problem in the files or overrides.
    `check_countries=False` skips loading the world (schema checks only).
    """
    if isinstance(overrides, str):
        overrides = (overrides,)
    given = Path(path)
    display = str(given)
    data, prov = _load_tree(given, display, (), None)
    for item in overrides:
        dotted, value = parse_set(item)
        _apply_override(data, prov, dotted, value, SET_SOURCE)
    scenario = _finish(data, prov, Path(os.path.abspath(given)), check_countries=check_countries)
    log.info("loaded scenario %s (%s)", scenario.name, display)
    return scenario


def numeric_paths(scenario: Scenario) -> list[str]:
    """Every numeric (int or float) dotted path of a scenario, list items by index (for sweeps)."""
    return [
        ".".join(path)
        for path, f, _ in _walk_schema(SCHEMA, scenario.data, ())
        if f.kind in ("int", "float")
    ]
