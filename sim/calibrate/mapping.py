"""Reading the targets table and its mapping file into a `TargetSet` (format: docs/calibration.md).

`read_targets_csv` reads `targets.csv` (the published figures); `load_targets` reads the mapping
YAML with the project's YAML reader, validates it strictly (unknown keys with a did-you-mean hint,
every error naming the file, the key path and the line) and checks that every row of the table
is accounted for: fitted, held out, used as input or without a model counterpart.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from sim.calibrate.files import Checker, read_yaml_file
from sim.calibrate.targets import (
    _ID_RE,
    _ISO3_RE,
    _SUB_RE,
    CSV_COLUMNS,
    EVERY_COUNTRY,
    GROUPS,
    MAX_MAGNITUDE,
    ROLES,
    Conventions,
    ErrorModel,
    Measure,
    Output,
    Target,
    TargetSet,
    Value,
    observation_sd,
    parse_value,
)
from sim.declarations import ALL, AREAS, CADRES, WORLD
from sim.errors import CalibrationError

__all__ = ["load_targets", "read_targets_csv"]


# --------------------------------------------------------------------------------------------------
# reading the CSV


def read_targets_csv(path: str | Path) -> dict[str, dict[str, str]]:
    """Rows of the targets table by id; CalibrationError naming the file, row and column."""
    shown = str(path)
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            header = tuple(reader.fieldnames or ())
            missing = [c for c in CSV_COLUMNS if c not in header]
            if missing:
                raise CalibrationError(
                    f"missing column(s) {', '.join(missing)}",
                    file=shown,
                    line=1,
                    expected="columns " + ", ".join(CSV_COLUMNS),
                )
            rows: dict[str, dict[str, str]] = {}
            for n, row in enumerate(reader, start=2):
                ident = (row.get("id") or "").strip()
                if not _ID_RE.fullmatch(ident):
                    raise CalibrationError(
                        f"invalid target id {ident!r}",
                        file=shown,
                        line=n,
                        key_path="id",
                        expected="an id such as C01",
                    )
                if ident in rows:
                    raise CalibrationError(
                        f"duplicate target id {ident}", file=shown, line=n, key_path="id"
                    )
                rows[ident] = {k: (v or "").strip() for k, v in row.items() if k}
                rows[ident]["_line"] = str(n)
    except FileNotFoundError:
        raise CalibrationError("targets file not found", file=shown) from None
    except UnicodeDecodeError as exc:
        raise CalibrationError(
            f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x})",
            file=shown,
            expected="a CSV file in UTF-8",
        ) from None
    except (OSError, csv.Error) as exc:
        raise CalibrationError(f"cannot read the targets file: {exc}", file=shown) from None
    if not rows:
        raise CalibrationError("the targets file has no rows", file=shown)
    return rows


# --------------------------------------------------------------------------------------------------
# reading the mapping

_TOP = (
    "version",
    "conventions",
    "observation_error",
    "country_groups",
    "planned_indicators",
    "policies",
    "targets",
)
_TARGET_KEYS = (
    "group",
    "role",
    "reason",
    "year",
    "stat",
    "output",
    "response",
    "unit_factor",
    "scale",
    "value",
    "approximate",
    "note",
)
_MEASURE_KEYS = (
    "indicator",
    "flow",
    "arrival",
    "stock",
    "countries",
    "area",
    "cadre",
    "combine",
    "year_offset",
)
_ORIGIN_WORDS = ("all", "foreign", "own")


def load_targets(
    targets_csv: str | Path,
    mapping: str | Path,
    *,
    indicators: tuple[str, ...] | None = None,
    discrepancy: float | None = None,
) -> TargetSet:
    """Read the targets table and its mapping; check that every row is accounted for.

    Args:
        targets_csv: the published figures (columns of `CSV_COLUMNS`).
        mapping: the mapping YAML file.
        indicators: indicator names the model writes (default: `INDICATOR_NAMES`), to check the
            mapping's indicator names.
        discrepancy: model discrepancy (relative) overriding the mapping's.
    """
    if indicators is None:
        from sim.outputs.indicators import INDICATOR_NAMES

        indicators = tuple(INDICATOR_NAMES)
    rows = read_targets_csv(targets_csv)
    data, lines, shown = read_yaml_file(mapping, "target mapping")
    ck = Checker(shown, lines)
    ck.mapping(data, (), _TOP, required=("targets",))
    ck.integer(data.get("version", 1), ("version",), 1, 1)
    conventions = _conventions(ck, data.get("conventions") or {})
    errors = _error_model(ck, data.get("observation_error") or {})
    if discrepancy is not None:
        errors = replace(errors, discrepancy=discrepancy)
    groups = _country_groups(ck, data.get("country_groups") or {})
    policies, docs = _policies(ck, data.get("policies") or {})
    planned = data.get("planned_indicators") or []
    if not isinstance(planned, list) or not all(isinstance(n, str) for n in planned):
        raise ck.error(("planned_indicators",), "expected a list of indicator names")
    indicators = (*indicators, *planned)
    entries = data["targets"]
    if not isinstance(entries, dict) or not entries:
        raise ck.error(("targets",), "expected a mapping of target ids", "C01: {...}")
    covered: dict[str, set[int]] = {}
    targets: list[Target] = []
    for key, entry in entries.items():
        kp = ("targets", str(key))
        m = _SUB_RE.fullmatch(str(key))
        if not m or m.group(1) not in rows:
            raise ck.error(
                kp,
                f"no target {key} in {Path(targets_csv).name}",
                "an id of the targets table, with a letter for a sub-target (C12a)",
            )
        row = rows[m.group(1)]
        values = parse_value(row["value"])
        index = 0 if m.group(2) is None else ord(m.group(2)) - ord("a")
        if m.group(2) is None and len(values) > 1:
            raise ck.error(
                kp,
                f"{key} has {len(values)} values ({row['value']}): map each as "
                + ", ".join(f"{key}{chr(97 + i)}" for i in range(len(values))),
            )
        if index >= len(values):
            raise ck.error(kp, f"{m.group(1)} has only {len(values)} value(s): {row['value']}")
        covered.setdefault(m.group(1), set()).add(index)
        target = _target(ck, kp, str(key), row, values[index], entry, groups, policies, indicators)
        if target.role not in ("input", "none"):
            _check_figure(ck, kp, entry, target, errors, row, str(targets_csv))
        targets.append(target)
    for ident, row in rows.items():
        n = max(1, len(parse_value(row["value"])))
        done = covered.get(ident, set())
        if len(done) < n:
            need = (
                [ident] if n == 1 else [f"{ident}{chr(97 + i)}" for i in range(n) if i not in done]
            )
            raise ck.error(
                ("targets",),
                f"target(s) {', '.join(need)} of {Path(targets_csv).name} are not mapped: give "
                "each a role (fit, holdout, check, input, none or unreachable with a reason)",
            )
    targets.sort(key=lambda t: _sort_key(t.id))
    return TargetSet(tuple(targets), conventions, errors, policies, docs, str(targets_csv), shown)


def _sort_key(ident: str) -> tuple:
    m = re.fullmatch(r"([A-Z]+)(\d+)([a-z]?)", ident)
    return (m.group(1), int(m.group(2)), m.group(3)) if m else (ident, 0, "")


def _conventions(ck: Checker, value: Any) -> Conventions:
    path = ("conventions",)
    ck.mapping(value, path, ("financial_year", "before_start_years"))
    fy = value.get("financial_year", [0.75, 0.25])
    if not isinstance(fy, list) or len(fy) != 2:
        raise ck.error((*path, "financial_year"), "expected two weights", "[0.75, 0.25]")
    w = [ck.number(x, (*path, "financial_year", str(i)), 0.0, 1.0) for i, x in enumerate(fy)]
    if abs(sum(w) - 1.0) > 1e-9:
        raise ck.error((*path, "financial_year"), "the two weights must add up to 1")
    years = ck.integer(value.get("before_start_years", 3), (*path, "before_start_years"), 0, 50)
    return Conventions((w[0], w[1]), years)


def _error_model(ck: Checker, value: Any) -> ErrorModel:
    path = ("observation_error",)
    ck.mapping(value, path, ("cv", "approximate_cv", "range_coverage", "discrepancy"))
    base = ErrorModel()
    cv = dict(base.cv)
    given = value.get("cv")
    if given is not None:
        ck.mapping(given, (*path, "cv"), tuple(given) if isinstance(given, dict) else ())
        cv = {str(k): ck.number(v, (*path, "cv", str(k)), 0.0, 5.0) for k, v in given.items()}
    return ErrorModel(
        cv=cv,
        approximate_cv=ck.number(
            value.get("approximate_cv", base.approximate_cv), (*path, "approximate_cv"), 0.0, 5.0
        ),
        range_coverage=ck.number(
            value.get("range_coverage", base.range_coverage), (*path, "range_coverage"), 0.5, 0.999
        ),
        discrepancy=ck.number(
            value.get("discrepancy", base.discrepancy), (*path, "discrepancy"), 0.0, 5.0
        ),
    )


def _country_groups(ck: Checker, value: Any) -> dict[str, tuple[str, ...]]:
    path = ("country_groups",)
    if not isinstance(value, dict):
        raise ck.error(path, "expected a mapping of group names to ISO3 lists")
    out = {}
    for name, codes in value.items():
        kp = (*path, str(name))
        if not isinstance(codes, list) or not codes:
            raise ck.error(kp, "expected a non-empty list of ISO3 codes")
        for i, code in enumerate(codes):
            if not isinstance(code, str) or not _ISO3_RE.fullmatch(code):
                raise ck.error((*kp, str(i)), f"expected an ISO3 code, got {code!r}", "e.g. GBR")
        out[str(name)] = tuple(codes)
    return out


def _policies(ck: Checker, value: Any) -> tuple[dict[str, dict], dict[str, str]]:
    path = ("policies",)
    if not isinstance(value, dict):
        raise ck.error(path, "expected a mapping of policy-run names")
    out, docs = {}, {}
    for name, spec in value.items():
        kp = (*path, str(name))
        ck.mapping(spec, kp, ("description", "set"), required=("set",))
        sets = spec["set"]
        if not isinstance(sets, dict) or not sets:
            raise ck.error((*kp, "set"), "expected a mapping of dotted scenario paths to values")
        out[str(name)] = {str(k): v for k, v in sets.items()}
        docs[str(name)] = str(spec.get("description", ""))
    return out, docs


def _countries(ck: Checker, value: Any, kp: tuple, groups: dict) -> tuple[str, ...]:
    if value == "world":
        return (WORLD,)
    if value == "all":
        return (EVERY_COUNTRY,)
    if isinstance(value, str) and value in groups:
        return groups[value]
    if isinstance(value, list) and value:
        for i, code in enumerate(value):
            if not isinstance(code, str) or not _ISO3_RE.fullmatch(code):
                raise ck.error((*kp, str(i)), f"expected an ISO3 code, got {code!r}", "e.g. GBR")
        return tuple(value)
    raise ck.error(
        kp,
        f"expected a list of ISO3 codes, a country group or 'world', got {value!r}",
        "e.g. [GBR], all, world" + (", " + ", ".join(groups) if groups else ""),
    )


def _origins(ck: Checker, value: Any, kp: tuple, groups: dict) -> tuple[str, ...] | str:
    if isinstance(value, str) and value in _ORIGIN_WORDS:
        return value
    if isinstance(value, str) and value in groups:
        return tuple(groups[value])
    if isinstance(value, list) and value:
        for i, code in enumerate(value):
            if not isinstance(code, str) or not _ISO3_RE.fullmatch(code):
                raise ck.error((*kp, str(i)), f"expected an ISO3 code, got {code!r}")
        return tuple(value)
    raise ck.error(
        kp,
        f"invalid origins {value!r}",
        "all, foreign, own, a country group or a list of ISO3 codes",
    )


def _measure(
    ck: Checker, value: Any, kp: tuple, groups: dict, indicators: tuple[str, ...]
) -> Measure:
    ck.mapping(value, kp, _MEASURE_KEYS)
    kinds = [k for k in ("indicator", "flow", "arrival", "stock") if k in value]
    if len(kinds) != 1:
        raise ck.error(
            kp, "give exactly one of indicator, flow, arrival, stock", "e.g. indicator: emigrants"
        )
    kind = kinds[0]
    area = ck.choice(value.get("area", ALL), (*kp, "area"), (ALL, *AREAS))
    cadre = ck.choice(value.get("cadre", ALL), (*kp, "cadre"), (ALL, *CADRES))
    combine = ck.choice(value.get("combine", "sum"), (*kp, "combine"), ("sum", "mean"))
    offset = ck.integer(value.get("year_offset", 0), (*kp, "year_offset"), -20, 20)
    if "countries" not in value:
        raise ck.error(kp, "missing required key 'countries'", "a list of ISO3 codes or 'world'")
    countries = _countries(ck, value["countries"], (*kp, "countries"), groups)
    if kind == "indicator":
        names = value["indicator"]
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, list) or not names:
            raise ck.error((*kp, "indicator"), "expected an indicator name or a list of names")
        for i, name in enumerate(names):
            where = (*kp, "indicator") if len(names) == 1 else (*kp, "indicator", str(i))
            ck.choice(name, where, indicators)
        return Measure("indicators", tuple(names), countries, "all", area, cadre, combine, offset)
    spec = value[kind]
    ck.mapping(spec, (*kp, kind), ("origins",))
    origins = _origins(ck, spec.get("origins", "all"), (*kp, kind, "origins"), groups)
    if kind == "arrival" and origins == "own":
        raise ck.error(
            (*kp, kind, "origins"),
            "an arrival is never in its own training country: origins 'own' counts none",
            "all or foreign (the same for arrivals), a country group or a list of ISO3 codes",
        )
    if area != ALL:
        raise ck.error((*kp, "area"), f"{kind}s are not split by area", "area: all")
    source = {"flow": "flows", "arrival": "arrivals", "stock": "stocks"}[kind]
    return Measure(source, (), countries, origins, area, cadre, combine, offset)


def _output(
    ck: Checker, value: Any, kp: tuple, groups: dict, indicators: tuple[str, ...]
) -> tuple[Measure, Measure | None]:
    if isinstance(value, dict) and "ratio" in value:
        ck.mapping(value, kp, ("ratio",))
        ratio = ck.mapping(
            value["ratio"],
            (*kp, "ratio"),
            ("numerator", "denominator"),
            ("numerator", "denominator"),
        )
        num = _measure(ck, ratio["numerator"], (*kp, "ratio", "numerator"), groups, indicators)
        den = _measure(ck, ratio["denominator"], (*kp, "ratio", "denominator"), groups, indicators)
        return num, den
    return _measure(ck, value, kp, groups, indicators), None


def _year_spec(ck: Checker, value: Any, kp: tuple) -> Any:
    if isinstance(value, bool):
        raise ck.error(kp, "expected a year", _YEAR_EXPECTED)
    if isinstance(value, int):
        return ck.integer(value, kp, 1900, 2300)
    if isinstance(value, dict):
        ck.mapping(value, kp, ("first",), ("first",))
        return ("first", ck.integer(value["first"], (*kp, "first"), 1, 100))
    if isinstance(value, str):
        if value in ("initial", "first"):
            return value
        m = re.fullmatch(r"(\d{4})/(\d{2})", value)
        if m and (int(m.group(1)) + 1) % 100 == int(m.group(2)):
            return value
        raise ck.error(kp, f"invalid year {value!r}", _YEAR_EXPECTED)
    if isinstance(value, list) and len(value) == 2:
        a = ck.integer(value[0], (*kp, "0"), 1900, 2300)
        b = ck.integer(value[1], (*kp, "1"), 1900, 2300)
        if b < a:
            raise ck.error(kp, f"window end {b} is before its start {a}")
        return (a, b)
    raise ck.error(kp, f"invalid year {value!r}", _YEAR_EXPECTED)


_YEAR_EXPECTED = (
    "a year (2022), a financial year (2021/22), a window [2021, 2022], initial, first, or "
    "{first: N} (the first N simulated years)"
)


def _target(
    ck: Checker,
    kp: tuple,
    ident: str,
    row: dict[str, str],
    parsed: Value | None,
    entry: Any,
    groups: dict,
    policies: dict,
    indicators: tuple[str, ...],
) -> Target:
    ck.mapping(entry, kp, _TARGET_KEYS, required=("role",))
    role = ck.choice(entry["role"], (*kp, "role"), ROLES)
    reason = entry.get("reason", "")
    needs_reason = role in ("holdout", "check", "input", "none", "unreachable")
    if needs_reason and not (isinstance(reason, str) and reason.strip()):
        raise ck.error((*kp, "reason"), f"a target with role '{role}' needs a reason", "text")
    common = {
        "id": ident,
        "row": row["id"],
        "quantity": row["quantity"],
        "unit": row["unit"],
        "year": row["year"],
        "geography": row["geography"],
        "source": row["source"],
        "url": row["url_or_ref"],
        "confidence": row["confidence"],
        "reason": str(reason),
        "note": str(entry.get("note", "")),
    }
    value = parsed
    if "value" in entry:
        number = ck.number(entry["value"], (*kp, "value"), -MAX_MAGNITUDE, MAX_MAGNITUDE)
        if not common["note"]:
            raise ck.error((*kp, "note"), "a value given in the mapping needs a note saying why")
        approx = ck.boolean(entry.get("approximate", False), (*kp, "approximate"))
        value = Value(number, approx, text=str(entry["value"]))
    if role in ("input", "none"):
        number = math.nan if value is None else value.value
        return Target(**common, value=number, group=entry.get("group", "stocks_shares"), role=role)
    if value is None:
        raise ck.error(
            kp, f"{ident} has no numeric value ({row['value']!r}): it cannot be fitted or held out"
        )
    group = ck.choice(entry.get("group"), (*kp, "group"), tuple(GROUPS))
    if "output" not in entry:
        raise ck.error(kp, "missing required key 'output'")
    if "year" not in entry:
        raise ck.error(kp, "missing required key 'year'", _YEAR_EXPECTED)
    num, den = _output(ck, entry["output"], (*kp, "output"), groups, indicators)
    response = entry.get("response")
    if response is not None:
        response = ck.choice(response, (*kp, "response"), tuple(policies) or ("<none declared>",))
    factor = ck.number(entry.get("unit_factor", 1.0), (*kp, "unit_factor"))
    if factor == 0:
        raise ck.error((*kp, "unit_factor"), "the unit factor cannot be 0")
    default_scale = "linear" if response else "log"  # a figure <= 0 on it: `_check_figure`
    scale = ck.choice(entry.get("scale", default_scale), (*kp, "scale"), ("log", "linear"))
    stat = ck.choice(entry.get("stat", "mean"), (*kp, "stat"), ("mean", "sum"))
    return Target(
        **common,
        value=value.value,
        group=group,
        role=role,
        approximate=value.approximate,
        bound=value.bound,
        low=value.low,
        high=value.high,
        output=Output(num, den, factor, response),
        years=_year_spec(ck, entry["year"], (*kp, "year")),
        stat=stat,
        scale=scale,
    )


def _check_figure(
    ck: Checker,
    kp: tuple,
    entry: dict,
    t: Target,
    errors: ErrorModel,
    row: dict[str, str],
    targets_csv: str,
) -> None:
    """Refuse a figure the comparison cannot use, naming where it is written.

    A figure (its value, or a range's ends) must be finite and at most `MAX_MAGNITUDE` in size,
    positive on a log scale (the default for a target that is not a policy response), and give a
    non-zero error sd (a linear scale's errors are relative to the figure).

    Args:
        ck, kp: the mapping's checker and the target's key path in it.
        entry: the target's mapping entry (a `value` there replaces the table's).
        t: the target read.
        errors: the observation error model (with the spec's discrepancy).
        row: its row of the targets table (with `_line`).
        targets_csv: the targets table's path.

    Raises:
        CalibrationError: naming the targets table, its line and the `value` column (or the
            mapping's `value` key), the target and the expected value.
    """

    def error(message: str, expected: str) -> CalibrationError:
        if "value" in entry:
            return ck.error((*kp, "value"), f"{t.id}: {message}", expected)
        line = int(row["_line"])
        message = f"target {t.id}: {message}"
        return CalibrationError(
            message, file=targets_csv, line=line, key_path="value", expected=expected
        )

    figures = [x for x in (t.value, t.low, t.high) if x is not None]
    if not all(math.isfinite(x) and abs(x) <= MAX_MAGNITUDE for x in figures):
        raise error(
            f"{row['value']!r} is a number out of range",
            f"a number of magnitude at most {MAX_MAGNITUDE:g}".replace("e+", "e"),
        )
    shown = f"{t.low:g} to {t.high:g}" if t.low is not None else f"{t.value:g}"
    if t.scale == "log" and min(figures) <= 0:
        how = "its scale" if "scale" in entry else "the default unless a policy response"
        raise error(
            f"{shown} is not positive, and {t.id} is compared on a log scale ({how})",
            f"a positive number, or, for a signed figure, scale: linear for {t.id} in {ck.file}",
        )
    obs, md = observation_sd(t, errors)
    if math.hypot(obs, md) > 0:
        return
    if t.value == 0:
        raise error(
            f"{shown} gives a zero error sd (on a linear scale the error is relative to the "
            "figure)",
            "a non-zero number, or a range 'a to b'",
        )
    raise ck.error(
        ("observation_error",),
        f"target {t.id} has a zero error sd: its confidence {t.confidence!r} has cv 0 and the "
        "model discrepancy is 0",
        "a cv above 0 for the confidence, or a discrepancy above 0",
    )
