"""World files: the YAML format of `sim/data/archetypes.yaml`, read and checked.

`read_world_file(path)` reads a world file with the one YAML reader (`sim.inputs.yamlio`: regular
files only, a size cap, no aliases bombs or duplicate keys) and checks every value: types, finite
and plausible ranges (populations, densities, GDP, distances, stocks), codes (three upper-case
letters, `WLD` reserved), text without control characters, every pair of countries listed once.
Errors are `WorldError`s naming the file, line and key path. It returns the fields of a `World`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from sim.declarations import INCOME_GROUPS
from sim.errors import WorldError, describe_value, did_you_mean, first_control_character

__all__ = ["RESERVED_CODES", "WHO_REGIONS", "read_world_file"]

WHO_REGIONS = ("AFR", "AMR", "SEAR", "EUR", "EMR", "WPR")
RESERVED_CODES = {"WLD": "the results use it for world totals"}
"""Codes a world file may not give a country."""

_NUMBER = "number"
_TOP_KEYS = {
    "name": ("str", False),
    "description": ("str", False),
    "base_year": ("year", True),
    "projection_years": ("year_range", False),
    "countries": ("list", True),
    "pairs": ("list", False),
    "corridors": ("list", False),
}
_COUNTRY_KEYS: dict[str, tuple[str, bool, float | None, float | None]] = {
    # key: (type, required, min, max)
    "iso3": ("code", True, None, None),
    "name": ("str", True, None, None),
    "who_region": ("region", True, None, None),
    "income_group": ("income", True, None, None),
    "population": (_NUMBER, True, 1.0, 3e9),
    "pop_growth": (_NUMBER, True, -0.2, 0.2),
    "urban_share": (_NUMBER, True, 0.0, 1.0),
    "doctors_density": (_NUMBER, True, 0.0, 1_000.0),
    "nurses_density": (_NUMBER, True, 0.0, 1_000.0),
    "doctors_year": ("year", False, None, None),
    "nurses_year": ("year", False, None, None),
    "safeguards": ("bool", True, None, None),
    "recognition_area": ("bool", False, None, None),
    "free_movement": ("bool", False, None, None),
    "uhc_index": (_NUMBER, True, 0.0, 100.0),
    "gdp_pc_ppp": (_NUMBER, True, 1.0, 1e6),
    "internal_distance_km": (_NUMBER, True, 0.0, 20_100.0),
    "ftd_reported": ("bool", False, None, None),
    "note": ("str", False, None, None),
}
_PAIR_KEYS = {
    "between": ("code_pair", True, None, None),
    "distance_km": (_NUMBER, True, 0.0, 20_100.0),
    "common_language": ("bool", False, None, None),
    "colony": ("bool", False, None, None),
}
_CORRIDOR_KEYS = {
    "origin": ("known_code", True, None, None),
    "destination": ("known_code", True, None, None),
    "ftd_doctors": (_NUMBER, False, 0.0, 1e7),
    "migrant_stock": (_NUMBER, False, 0.0, 1e9),
}
_EXPECTED = {
    "str": "a text",
    "bool": "true or false",
    _NUMBER: "a number",
    "year": "a year (integer)",
    "code": "a three-letter upper-case code such as XSR",
    "known_code": "a country code defined under countries",
    "code_pair": "a list of two different country codes, e.g. [XSR, XDA]",
    "region": "one of " + ", ".join(WHO_REGIONS),
    "income": "one of " + ", ".join(INCOME_GROUPS),
    "list": "a list",
    "year_range": "a list of two years [first, last]",
}


class _Reader:
    """Validates a parsed world file, raising `WorldError` with file, line and key path."""

    def __init__(self, path: Path) -> None:
        from sim.inputs.yamlio import MAX_WORLD_BYTES, read_yaml

        self.path = path
        doc = read_yaml(path, error=WorldError, what="world file", max_bytes=MAX_WORLD_BYTES)
        self.data = doc.data
        self.lines: dict[tuple, int] = dict(doc.lines)
        self.lines.setdefault((), 1)

    def error(self, path: tuple, message: str, expected: str | None = None) -> WorldError:
        """A `WorldError` located at ``path`` (the nearest enclosing line if the key is absent)."""
        line = None
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                line = self.lines[path[:n]]
                break
        key_path = ".".join(str(p) for p in path) or None
        return WorldError(
            message, file=str(self.path), key_path=key_path, line=line, expected=expected
        )

    def mapping(self, value: Any, path: tuple, spec: dict) -> dict:
        """Check a mapping's keys against ``spec`` (unknown keys, missing required keys)."""
        if not isinstance(value, dict):
            raise self.error(path, f"expected a mapping, got {describe_value(value)}", "a mapping")
        for key in value:
            if key not in spec:
                raise self.error(
                    (*path, str(key)),
                    f"unknown key '{key}'{did_you_mean(key, list(spec))}",
                    "one of " + ", ".join(spec),
                )
        for key, entry in spec.items():
            if entry[1] and key not in value:
                raise self.error(path, f"missing key '{key}'", f"{key}: {_EXPECTED[entry[0]]}")
        return value

    def value(self, value: Any, path: tuple, entry: tuple, codes: dict | None = None) -> Any:
        """Check one value's type and range; return it converted."""
        kind = entry[0]
        lo = entry[2] if len(entry) > 2 else None
        hi = entry[3] if len(entry) > 3 else None
        expected = _EXPECTED[kind]
        if kind == _NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.error(path, f"expected a number, got {describe_value(value)}", expected)
            if not math.isfinite(value):
                raise self.error(path, f"{value} is not a finite number", expected)
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                rng = _range_text(lo, hi)
                raise self.error(path, f"{value} is out of range", f"a number {rng}")
            return float(value)
        if kind == "year":
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.error(path, f"expected a year, got {describe_value(value)}", expected)
            if not 1900 <= value <= 2200:
                raise self.error(path, f"{value} is out of range", "a year 1900..2200")
            return int(value)
        if kind == "bool":
            if not isinstance(value, bool):
                raise self.error(path, f"expected true or false, got {value!r}", expected)
            return value
        if kind == "str":
            if not isinstance(value, str) or not value.strip():
                raise self.error(path, f"expected a text, got {describe_value(value)}", expected)
            bad = first_control_character(value, allow="\n\t")
            if bad is not None:
                raise self.error(path, f"the text holds a control character ({bad})", expected)
            if len(value) > 2000:
                raise self.error(path, f"text too long ({len(value)} characters)", "at most 2000")
            return value
        if kind == "code":
            if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
                raise self.error(path, f"invalid country code {value!r}", expected)
            if value in RESERVED_CODES:
                raise self.error(
                    path, f"{value} is reserved ({RESERVED_CODES[value]})", "another code"
                )
            return value
        if kind == "region" and value not in WHO_REGIONS:
            raise self.error(
                path, f"unknown WHO region {value!r}{did_you_mean(value, WHO_REGIONS)}", expected
            )
        if kind == "income" and value not in INCOME_GROUPS:
            hint = did_you_mean(value, INCOME_GROUPS)
            raise self.error(path, f"unknown income group {value!r}{hint}", expected)
        if kind == "known_code":
            return self.known_code(value, path, codes or {})
        if kind == "code_pair":
            if not isinstance(value, list) or len(value) != 2:
                raise self.error(path, f"expected two country codes, got {value!r}", expected)
            a = self.known_code(value[0], (*path, "0"), codes or {})
            b = self.known_code(value[1], (*path, "1"), codes or {})
            if a == b:
                raise self.error(
                    path, f"a pair needs two different countries, got {a} twice", expected
                )
            return (a, b)
        return value

    def known_code(self, value: Any, path: tuple, codes: dict) -> str:
        """A code defined under ``countries`` (with a did-you-mean hint otherwise)."""
        if value not in codes:
            raise self.error(
                path,
                f"unknown country code {value!r}{did_you_mean(value, list(codes))}",
                "one of " + ", ".join(codes),
            )
        return value


def _range_text(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{lo:g}..{hi:g}"
    return f">= {lo:g}" if lo is not None else f"<= {hi:g}"


def read_world_file(path: Path) -> dict[str, Any]:
    """The `World` fields (all but `kind`) of a YAML world file (format: archetypes.yaml)."""
    r = _Reader(path)
    top = r.mapping(r.data, (), _TOP_KEYS)
    base_year = r.value(top["base_year"], ("base_year",), ("year", True))
    first, last = base_year, 2100
    if "projection_years" in top:
        span = top["projection_years"]
        if not isinstance(span, list) or len(span) != 2:
            raise r.error(("projection_years",), f"got {span!r}", _EXPECTED["year_range"])
        first = r.value(span[0], ("projection_years", "0"), ("year", True))
        last = r.value(span[1], ("projection_years", "1"), ("year", True))
        if not first <= base_year <= last:
            raise r.error(
                ("projection_years",),
                f"projection years {first}..{last} do not include base_year {base_year}",
                f"first <= {base_year} <= last",
            )

    raw_countries = top["countries"]
    if not isinstance(raw_countries, list) or not raw_countries:
        raise r.error(("countries",), "expected a non-empty list of countries", "a list")
    rows: list[dict] = []
    codes: dict[str, int] = {}
    for i, entry in enumerate(raw_countries):
        at = ("countries", str(i))
        r.mapping(entry, at, _COUNTRY_KEYS)
        row = {k: r.value(v, (*at, k), _COUNTRY_KEYS[k]) for k, v in entry.items()}
        if row["iso3"] in codes:
            raise r.error(
                (*at, "iso3"),
                f"country code {row['iso3']} is defined twice",
                "a code used once",
            )
        codes[row["iso3"]] = i
        rows.append(row)
    c = len(rows)

    distance = np.full((c, c), np.nan)
    language = np.zeros((c, c), dtype=bool)
    colony = np.zeros((c, c), dtype=bool)
    for i, row in enumerate(rows):
        distance[i, i] = row["internal_distance_km"]
    pairs = top.get("pairs") or []
    if not isinstance(pairs, list):
        raise r.error(("pairs",), f"expected a list, got {describe_value(pairs)}", "a list")
    for k, entry in enumerate(pairs):
        at = ("pairs", str(k))
        r.mapping(entry, at, _PAIR_KEYS)
        a, b = r.value(entry["between"], (*at, "between"), _PAIR_KEYS["between"], codes)
        i, j = codes[a], codes[b]
        if not np.isnan(distance[i, j]):
            raise r.error((*at, "between"), f"pair {a}-{b} is listed twice", "each pair once")
        dist = r.value(entry["distance_km"], (*at, "distance_km"), _PAIR_KEYS["distance_km"])
        lang = r.value(entry.get("common_language", False), (*at, "common_language"), ("bool",))
        col = r.value(entry.get("colony", False), (*at, "colony"), ("bool",))
        distance[i, j] = distance[j, i] = dist
        language[i, j] = language[j, i] = lang
        colony[i, j] = colony[j, i] = col
    missing = [
        f"{rows[i]['iso3']}-{rows[j]['iso3']}"
        for i in range(c)
        for j in range(i + 1, c)
        if np.isnan(distance[i, j])
    ]
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise r.error(
            ("pairs",),
            f"no distance for {len(missing)} pair(s): {', '.join(missing[:5])}{more}",
            "one entry {between: [A, B], distance_km: ...} per pair of countries",
        )

    ftd = np.zeros((c, c))
    migrants = np.zeros((c, c))
    corridors = top.get("corridors") or []
    if not isinstance(corridors, list):
        raise r.error(("corridors",), f"expected a list, got {describe_value(corridors)}", "a list")
    seen: set[tuple[str, str]] = set()
    last_ftd: dict[str, int] = {}  # destination -> its last corridor with ftd_doctors
    for k, entry in enumerate(corridors):
        at = ("corridors", str(k))
        r.mapping(entry, at, _CORRIDOR_KEYS)
        o = r.value(entry["origin"], (*at, "origin"), _CORRIDOR_KEYS["origin"], codes)
        d = r.value(entry["destination"], (*at, "destination"), _CORRIDOR_KEYS["origin"], codes)
        if o == d:
            raise r.error(
                (*at, "destination"),
                f"origin and destination are both {o}",
                "two different countries",
            )
        if (o, d) in seen:
            raise r.error(at, f"corridor {o}->{d} is listed twice", "each corridor once")
        seen.add((o, d))
        for key, target in (("ftd_doctors", ftd), ("migrant_stock", migrants)):
            if key in entry:
                target[codes[o], codes[d]] = r.value(entry[key], (*at, key), _CORRIDOR_KEYS[key])
        if "ftd_doctors" in entry:
            last_ftd[d] = k

    def col_(key: str, default: Any = None) -> list:
        return [row.get(key, default) for row in rows]

    population = np.array(col_("population"))
    doctors_density = np.array(col_("doctors_density"))
    doctors = doctors_density * population / 10_000
    for d, k in last_ftd.items():  # the model would scale the excess away without a word
        foreign = float(ftd[:, codes[d]].sum())
        if foreign > 0 and not rows[codes[d]].get("ftd_reported", False):
            raise r.error(  # the model would read the migrant stocks instead without a word
                ("corridors", str(k), "ftd_doctors"),
                f"ftd_doctors into {d} are read only for a destination that reports its "
                f"foreign-trained doctors, and {d} has no `ftd_reported: true`",
                f"ftd_reported: true on {d}, or no ftd_doctors into it",
            )
        if foreign >= doctors[codes[d]]:
            raise r.error(
                ("corridors", str(k), "ftd_doctors"),
                f"the foreign-trained doctors in {d} ({foreign:,.0f}) are as many as all its "
                f"doctors ({doctors[codes[d]]:,.0f}: doctors_density x population / 10,000)",
                f"ftd_doctors into {d} summing to fewer than its doctors",
            )
    nurses_density = np.array(col_("nurses_density"))
    growth = np.array(col_("pop_growth"))
    years = np.arange(first, last + 1, dtype=np.int64)
    projection = population[:, None] * (1.0 + growth[:, None]) ** (years - base_year)[None, :]
    return dict(
        base_year=base_year,
        iso3=np.array(col_("iso3"), dtype=np.str_),
        name=np.array(col_("name"), dtype=np.str_),
        who_region=np.array(col_("who_region"), dtype=np.str_),
        income_group=np.array(col_("income_group"), dtype=np.str_),
        population=population,
        urban_share=np.array(col_("urban_share")),
        doctors=doctors,
        nurses=nurses_density * population / 10_000,
        doctors_density=doctors_density,
        nurses_density=nurses_density,
        doctors_year=np.array(col_("doctors_year", base_year)),
        nurses_year=np.array(col_("nurses_year", base_year)),
        safeguards=np.array(col_("safeguards")),
        recognition_area=np.array(col_("recognition_area", False)),
        free_movement=np.array(col_("free_movement", False)),
        uhc_index=np.array(col_("uhc_index")),
        gdp_pc_ppp=np.array(col_("gdp_pc_ppp")),
        imputed=np.full(c, "", dtype=np.str_),
        proj_years=years,
        pop_projection=projection,
        ftd_doctors=ftd,
        ftd_reported=np.array(col_("ftd_reported", False)),
        migrant_stock=migrants,
        distance_km=distance,
        common_language=language,
        colony=colony,
        source_file=str(path),
    )
