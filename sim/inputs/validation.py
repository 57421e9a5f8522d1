"""Validation of a merged scenario against the schema: types, ranges, choices, defaults, names.

`Validator(provenance).mapping(SCHEMA, data, ())` checks every key of the merged data (unknown
keys with a did-you-mean hint; types, ranges and choices of `sim.inputs.schema`; text without
control characters; lists of at most `MAX_LIST_ITEMS` items; referenced files regular) and fills
the defaults. `check_consistency` checks rules across keys and `check_name` that the scenario name
can name a results folder. Every error names the file and line that set the value.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError, describe_value, did_you_mean, first_control_character
from sim.inputs.extends import (
    SET_SOURCE,
    KeyPath,
    Provenance,
    dotted,
    scenario_error,
)
from sim.inputs.schema import SELECTOR_KEYWORDS, Field, ListOf
from sim.inputs.yamlio import MAX_BYTES, MAX_WORLD_BYTES, check_regular_file

log = logging.getLogger(__name__)

__all__ = [
    "MAX_LIST_ITEMS",
    "MAX_NAME_LENGTH",
    "MAX_TEXT_LENGTH",
    "Validator",
    "check_consistency",
    "check_name",
    "expected_text",
    "walk_mappings",
    "walk_schema",
]

_CODE_RE = re.compile(r"[A-Z]{3}")
MAX_NAME_LENGTH = 100
"""Longest scenario name (it names the default results folder)."""
WORLD_FILE_MARKERS = frozenset({"base_year", "countries"})
"""Top-level keys of a world file (`sim.inputs.worldfile`) that no scenario has."""
MAX_TEXT_LENGTH = 10_000
"""Longest text value (descriptions)."""
MAX_LIST_ITEMS = 1_000
"""Most items of a list (agreements, adjustments, country codes)."""

_SELECTOR_EXPECTED = "one of " + ", ".join(SELECTOR_KEYWORDS) + ", or a list of ISO3 codes"

_hint = did_you_mean
_describe = describe_value


def _fmt(x: float | int) -> str:
    """A number as a user writes it (20 rather than 20.0, 1e+07 for large round floats)."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    if isinstance(x, float):
        return f"{x:g}"
    return str(x)


# --------------------------------------------------------------------------------------------------
# validation


class Validator:
    """Validates merged data against the schema and fills the defaults."""

    def __init__(self, prov: Provenance, world_kind: str | None = "global") -> None:
        self.prov = prov
        self.world_kind = world_kind  # for hints only: the world whose codes are meant

    def error(self, path: KeyPath, message: str, expected: str | None = None) -> ScenarioError:
        file, line = self.prov.lookup(path)
        return scenario_error(
            message, file=file, key_path=dotted(path), line=line, expected=expected
        )

    def mapping(self, schema: dict, data: Any, path: KeyPath) -> dict:
        if not isinstance(data, dict):
            raise self.error(
                path,
                f"expected a mapping of keys, got {_describe(data)}",
                expected="keys: " + ", ".join(k for k in schema if k != "extends"),
            )
        if not path and set(data) >= WORLD_FILE_MARKERS:
            raise self.error(
                ("base_year",),
                "this is a world file (it has base_year and countries), not a scenario",
                expected="a scenario file; a world file is checked with `hrhsim world --file "
                "FILE` and named in a scenario's `world: {kind: file, file: FILE}`",
            )
        keys = [k for k in schema if not (not path and k == "extends")]
        out: dict = {}
        for key, value in data.items():
            if not isinstance(key, str) or key not in keys:
                hint = _hint(key, keys)
                if isinstance(key, int) and value is None:  # `{rate: 20,000}`: keys 20 and 0
                    hint = (
                        "; a comma inside {...} separates keys, so a number written with a "
                        "comma (20,000 or 0,05) is read as two: write 20000 or 0.05"
                    )
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
                expected=expected_text(spec),
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
            raise self.error(path, "must not be null", expected=expected_text(f))
        check = getattr(self, f"_{f.kind}", None)
        if check is None:  # pragma: no cover - guards the schema itself
            raise ValueError(f"unknown field kind {f.kind!r} at {dotted(path)}")
        return check(f, value, path)

    def _range(self, f: Field, value: float, path: KeyPath) -> None:
        if (f.min is not None and value < f.min) or (f.max is not None and value > f.max):
            side = (
                "below the minimum" if f.min is not None and value < f.min else "above the maximum"
            )
            bound = f.min if side == "below the minimum" else f.max
            raise self.error(
                path,
                f"{_fmt(value)} is out of range ({side} {_fmt(bound)})",
                expected=expected_text(f),
            )

    def _int(self, f: Field, value: Any, path: KeyPath) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            extra = ""
            if isinstance(value, float) and value.is_integer():
                extra = f" (write {int(value)} for an integer)"
            raise self.error(
                path,
                f"expected an integer, got {_describe(value)}{extra}",
                expected=expected_text(f),
            )
        self._range(f, value, path)
        return value

    _year = _int

    def _float(self, f: Field, value: Any, path: KeyPath) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(
                path, f"expected a number, got {_describe(value)}", expected=expected_text(f)
            )
        value = float(value)
        if not math.isfinite(value):
            raise self.error(
                path, f"expected a finite number, got {value!r}", expected=expected_text(f)
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
        raise self.error(
            path, f"invalid choice {_describe(value)}{hint}", expected=expected_text(f)
        )

    def _code(self, f: Field, value: Any, path: KeyPath) -> str:
        if not isinstance(value, str) or not _CODE_RE.fullmatch(value):
            hint = ""
            if isinstance(value, str) and _CODE_RE.fullmatch(value.upper()):
                hint = f"; did you mean '{value.upper()}'? (codes are upper case)"
            elif isinstance(value, str):
                hint = _name_hint(value, self.world_kind)
            raise self.error(
                path,
                f"expected a 3-letter ISO3 country code, got {_describe(value)}{hint}",
                expected="an ISO3 code such as KEN; " + codes_listed_by(self.world_kind),
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
            referrer=(file, line, dotted(path) or ""),
        )
        return str(resolved)


def expected_text(f: Field) -> str:
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


def walk_schema(schema: Any, data: Any, path: KeyPath) -> Iterator[tuple[KeyPath, Field, Any]]:
    """Every (path, field, value) leaf of validated data, list items included."""
    if isinstance(schema, dict):
        for key, spec in schema.items():
            if isinstance(data, dict) and key in data:
                yield from walk_schema(spec, data[key], (*path, key))
    elif isinstance(schema, ListOf):
        for i, item in enumerate(data or []):
            yield from walk_schema(schema.item, item, (*path, str(i)))
    else:
        yield path, schema, data


def walk_mappings(data: Any, path: KeyPath) -> Iterator[tuple[KeyPath, dict]]:
    """Every mapping in the validated data (for `from`/`until` checks)."""
    if isinstance(data, dict):
        yield path, data
        for key, value in data.items():
            yield from walk_mappings(value, (*path, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from walk_mappings(item, (*path, str(i)))


def _nearness(prov: Provenance, path: KeyPath) -> int:
    """How close to the user the key (or its nearest recorded ancestor: `--set time={...}`) was
    set: 2 by `--set` or another override that is not a file, 1 in the file loaded, 0 in a file
    it extends, by an override named after a file (a calibration's `set:`), or by default."""
    origin = prov.recorded(path)
    if origin is None:
        return 0
    if origin[0] == prov.root:
        return 1
    return 2 if not Path(str(origin[0])).is_file() else 0


def check_consistency(data: dict, v: Validator) -> None:
    """Rules across keys: from <= until, spin_up_from <= start_year, a world file for
    `kind: file`, distinct corridors."""
    for path, mapping in walk_mappings(data, ()):
        start, end = mapping.get("from"), mapping.get("until")
        if isinstance(start, int) and isinstance(end, int) and start > end:
            raise v.error(
                (*path, "until"),
                f"until ({end}) is before from ({start})",
                expected=f"a year >= {start} or null",
            )
    time = data["time"]
    if time["spin_up_from"] is not None and time["spin_up_from"] > time["start_year"]:
        spin_file = v.prov.lookup(("time", "spin_up_from"))[0]
        if _nearness(v.prov, ("time", "start_year")) > _nearness(v.prov, ("time", "spin_up_from")):
            # the start year was set closer to the user (an extending file, --set): blame it
            raise v.error(
                ("time", "start_year"),
                f"start_year ({time['start_year']}) is before spin_up_from "
                f"({time['spin_up_from']}, set in {spin_file})",
                expected=f"a year >= {time['spin_up_from']}, or also set time.spin_up_from "
                "(null: no spin-up)",
            )
        raise v.error(
            ("time", "spin_up_from"),
            f"spin_up_from ({time['spin_up_from']}) is after start_year ({time['start_year']})",
            expected=f"a year <= {time['start_year']} or null",
        )
    world = data["world"]
    if world["kind"] == "file" and world["file"] is None:
        raise v.error(
            ("world", "kind"),
            "world.kind is 'file' but world.file is not set",
            expected="world.file: a world YAML file",
        )
    if world["kind"] != "file" and world["file"] is not None:
        raise v.error(
            ("world", "file"),
            f"world.file is only read when world.kind is 'file' (here '{world['kind']}')",
            expected="world.kind: file with this file, or no world.file",
        )
    if data["workforce"]["destinations"] == "destinations":
        raise v.error(
            ("workforce", "destinations"),
            "workforce.destinations cannot refer to itself ('destinations')",
            expected="all, safeguards, high_income, low_income or a list of ISO3 codes",
        )
    uncertainty = data["uncertainty"]
    if uncertainty["kind"] == "parameters":
        from sim.inputs.posterior import read_parameter_sample

        if uncertainty["sample"] is None:
            raise v.error(
                ("uncertainty", "kind"),
                "uncertainty.kind is 'parameters' but uncertainty.sample is not set",
                expected="uncertainty.sample: the posterior sample of a calibration",
            )
        file, line = v.prov.lookup(("uncertainty", "sample"))
        sample = read_parameter_sample(
            uncertainty["sample"], referrer=(file, line, "uncertainty.sample")
        )
        for name in sample.names:  # each replicate's draw replaces them
            path = tuple(name.split("."))
            origin = v.prov.recorded(path)
            if (
                origin is not None
                and _nearness(v.prov, path) == 2  # --set or a sweep, not a file
                and not str(origin[0]).startswith(str(uncertainty["sample"]))  # not a draw
            ):
                raise v.error(
                    path,
                    f"{name} is drawn from the posterior sample in every replicate "
                    "(uncertainty.kind: parameters): the value set here would have no effect",
                    expected=f"no {name} here, or uncertainty.kind: stochastic",
                )
    for i, agreement in enumerate(data["policies"]["agreements"]):
        if agreement["source"] == agreement["destination"]:
            raise v.error(
                ("policies", "agreements", str(i), "destination"),
                f"source and destination are the same country ({agreement['source']})",
                expected="two different countries",
            )


def check_name(name: str, v: Validator, *, given: bool) -> None:
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
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # a file name's undecodable bytes (`\udcff`)
        raise fail("is not UTF-8 text") from None
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


def codes_listed_by(world_kind: str | None) -> str:
    """Which command lists the country codes of a scenario's world (`world.kind`)."""
    option = {"global": "", "archetypes": " --kind archetypes"}.get(str(world_kind), " --file F")
    return f"`hrhsim world{option} --countries` lists them"


def world_hint(world: Any, code: str, codes: Sequence[str] = ()) -> str:
    """The world's own hint for a code or a country's name ("; did you mean GBR (United
    Kingdom)?": names, aliases such as UK -> GBR), else a close code of `codes`; "" if none."""
    try:
        return str(world.hint(code))
    except Exception:  # a hint is a courtesy: never the cause of another error
        log.debug("World.hint failed for %r", code, exc_info=True)
    return did_you_mean(code, list(codes))


def _name_hint(text: str, world_kind: str | None) -> str:
    """`world_hint` for a country written by name or common abbreviation (`UK`, `Kenya`), from
    the scenario's world when it is bundled (`global`, `archetypes`); "" for a world file (read
    later, from its own path)."""
    from sim.inputs.world import cached_world

    if world_kind not in ("global", "archetypes"):
        return ""
    try:
        world = cached_world(world_kind, None)
    except Exception:  # a hint is a courtesy: never the cause of another error
        return ""
    return world_hint(world, text)
