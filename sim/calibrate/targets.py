"""Calibration targets as data: `targets.csv` (published figures) and their declared mapping.

`targets.csv` holds the published figures with their source and `confidence`; the mapping file
(`calibration/mapping.yaml`, format in docs/calibration.md) says, for each figure, what the model
output is: an indicator, an international flow or a bilateral stock, for which countries, cadre
and years, aggregated how, possibly a ratio of two such measures, possibly a *policy response*
(the difference between a paired policy run and the baseline run with the same seed). Rows with
several values (`2402;2372;1616`) are split into sub-targets `C12a`, `C12b`, `C12c`.

Every target has a role: `fit` (fitted), `holdout` (reported, never fitted), `input` (the data
work used it to build the initial state: neither fitted nor held out) or `none` (no model
counterpart; the mapping says why). Resolving the targets against a scenario
(`resolve_targets`) turns the years into weights on simulated years, applies the conventions for
financial years and for figures dated before the model's start, and marks what cannot be fitted
(and why). The observation error of each target comes from its `confidence` (`ErrorModel`).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sim.calibrate.files import Checker, read_yaml_file
from sim.declarations import ALL, AREAS, CADRES, WORLD
from sim.errors import CalibrationError

__all__ = [
    "GROUPS",
    "ROLES",
    "Conventions",
    "ErrorModel",
    "Measure",
    "Output",
    "Target",
    "TargetSet",
    "load_targets",
    "parse_value",
    "resolve_targets",
]

GROUPS = {
    "flows": "Flows",
    "stocks_shares": "Stocks and shares",
    "rates": "Rates",
    "policy_responses": "Policy responses",
}
"""Report groups of targets, in report order, with their titles."""
ROLES = ("fit", "holdout", "input", "none")
CSV_COLUMNS = (
    "id",
    "use",
    "quantity",
    "value",
    "unit",
    "year",
    "geography",
    "source",
    "url_or_ref",
    "confidence",
)
_ID_RE = re.compile(r"[A-Z][A-Z0-9_]*[0-9]")
_SUB_RE = re.compile(r"([A-Z][A-Z0-9_]*[0-9])([a-z])?")
_ISO3_RE = re.compile(r"[A-Z]{3}")
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"


# --------------------------------------------------------------------------------------------------
# values


@dataclass(frozen=True)
class Value:
    """One published figure: a number, a bound, a range or an approximation."""

    value: float
    approximate: bool = False
    bound: str | None = None
    """`lower` (">X": at least X) or `upper` ("<X"), else None."""
    low: float | None = None
    high: float | None = None
    """A range "a to b" (value is its midpoint)."""
    text: str = ""


def parse_value(text: str) -> list[Value | None]:
    """The figures of a `value` cell, in order (None for a piece that is not a number).

    Pieces are separated by `;` or ` / `; parenthesised notes are dropped. A piece is a number
    (`+15.2`), an approximation (`~4000`), a bound (`>15000`, `<25`), a range (`-0.9 to -1.6`) or
    a fraction (`1 in 8`).
    """
    cleaned = re.sub(r"\([^)]*\)", "", text)
    pieces = [p.strip() for p in re.split(r";|/", cleaned) if p.strip()]
    out: list[Value | None] = []
    for piece in pieces:
        out.append(_parse_piece(piece))
    return out


def _parse_piece(piece: str) -> Value | None:
    approx = piece.startswith("~")
    body = piece.lstrip("~").strip()
    if m := re.fullmatch(rf"({_NUMBER})\s+to\s+({_NUMBER})", body):
        a, b = float(m.group(1)), float(m.group(2))
        lo, hi = min(a, b), max(a, b)
        return Value((lo + hi) / 2, approx, None, lo, hi, piece)
    if m := re.fullmatch(rf"({_NUMBER})\s+in\s+({_NUMBER})", body):
        return Value(float(m.group(1)) / float(m.group(2)), approx, text=piece)
    if m := re.fullmatch(rf"([<>])\s*({_NUMBER})", body):
        return Value(
            float(m.group(2)), approx, "lower" if m.group(1) == ">" else "upper", text=piece
        )
    if re.fullmatch(_NUMBER, body):
        return Value(float(body), approx, text=piece)
    return None


# --------------------------------------------------------------------------------------------------
# outputs: what the model produces for a target


@dataclass(frozen=True)
class Measure:
    """A model quantity per simulated year, summed (or averaged) over countries.

    `source` is `indicators` (the indicator names in `names`, summed), `flows` (international moves
    from `origins` to `countries`) or `stocks` (workers trained in `origins` working in
    `countries`). `origins`: ISO3 codes, `all`, `foreign` (trained in another country than where
    they work or arrive) or `own`. `year_offset` shifts the years (-1: the stock at the end of the
    previous year, i.e. at the start of the year).
    """

    source: str
    names: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    origins: tuple[str, ...] | str = "all"
    area: str = ALL
    cadre: str = ALL
    combine: str = "sum"
    year_offset: int = 0

    def describe(self) -> dict:
        out = {
            "source": self.source,
            "countries": list(self.countries),
            "area": self.area,
            "cadre": self.cadre,
            "combine": self.combine,
            "year_offset": self.year_offset,
        }
        if self.names:
            out["indicators"] = list(self.names)
        if self.source != "indicators":
            out["origins"] = self.origins if isinstance(self.origins, str) else list(self.origins)
        return out

    def text(self) -> str:
        """A short human description (report)."""
        where = "world" if self.countries == (WORLD,) else ",".join(self.countries)
        if len(self.countries) > 4:
            where = f"{len(self.countries)} countries"
        cadre = "" if self.cadre == ALL else f" {self.cadre}"
        area = "" if self.area == ALL else f" {self.area}"
        how = " (mean)" if self.combine == "mean" else ""
        lag = f" [year{self.year_offset:+d}]" if self.year_offset else ""
        if self.source == "indicators":
            return f"{'+'.join(self.names)}{area}{cadre} in {where}{how}{lag}"
        origins = self.origins if isinstance(self.origins, str) else ",".join(self.origins)
        what = "flow" if self.source == "flows" else "stock"
        return f"{what} {origins}->{where}{cadre}{how}{lag}"


@dataclass(frozen=True)
class Output:
    """A target's model output: a measure or a ratio of two, times `factor`; maybe a response."""

    numerator: Measure
    denominator: Measure | None = None
    factor: float = 1.0
    response: str | None = None
    """Name of the paired policy run: the output is (policy run) - (baseline run)."""

    def measures(self) -> tuple[Measure, ...]:
        return (self.numerator,) if self.denominator is None else (self.numerator, self.denominator)

    def describe(self) -> dict:
        out: dict[str, Any] = {"numerator": self.numerator.describe(), "factor": self.factor}
        if self.denominator is not None:
            out["denominator"] = self.denominator.describe()
        if self.response:
            out["response"] = self.response
        return out

    def text(self) -> str:
        base = self.numerator.text()
        if self.denominator is not None:
            base = f"{base} / {self.denominator.text()}"
        if self.factor != 1:
            base = f"{self.factor:g} x {base}"
        if self.response:
            base = f"[{self.response}] - [baseline]: {base}"
        return base


# --------------------------------------------------------------------------------------------------
# conventions and observation error


@dataclass(frozen=True)
class Conventions:
    """How dates are read: financial years, figures dated before the model's start."""

    financial_year: tuple[float, float] = (0.75, 0.25)
    """Weights of the first and second calendar year of `2021/22` (UK April-March years)."""
    before_start_years: int = 3
    """A figure dated at most this many years before the first simulated year (flows, rates) or
    the initial state (stocks, shares) is compared with that first year; older ones are not
    fittable."""


@dataclass(frozen=True)
class ErrorModel:
    """Observation error from a target's `confidence`, on the scale it is compared on.

    Coefficient of variation by confidence; an approximation (`~`) adds `approximate_cv` in
    quadrature; a range "a to b" is read as a `range_coverage` (90%) interval of a normal error,
    so its sd is (b - a) / 2 / z; the model discrepancy `discrepancy` (relative) is added apart.
    """

    cv: dict[str, float] = field(
        default_factory=lambda: {
            "primary": 0.10,
            "primary-extract": 0.10,
            "secondary-analysis": 0.15,
            "secondary": 0.20,
        }
    )
    approximate_cv: float = 0.10
    range_coverage: float = 0.90
    discrepancy: float = 0.10

    def describe(self) -> dict:
        return {
            "cv": dict(self.cv),
            "approximate_cv": self.approximate_cv,
            "range_coverage": self.range_coverage,
            "discrepancy": self.discrepancy,
        }


# --------------------------------------------------------------------------------------------------
# targets


@dataclass(frozen=True)
class Target:
    """One (sub-)target: the published figure, its role, its model output and its errors."""

    id: str
    row: str
    quantity: str
    value: float
    unit: str
    year: str
    geography: str
    source: str
    url: str
    confidence: str
    group: str
    role: str
    reason: str = ""
    approximate: bool = False
    bound: str | None = None
    low: float | None = None
    high: float | None = None
    output: Output | None = None
    years: Any = None
    """The year spec of the mapping: an int, `YYYY/YY`, [from, to], `initial` or `first`."""
    stat: str = "mean"
    scale: str = "log"
    """`log` (ratios matter: counts, shares, rates) or `linear` (responses, signed values)."""
    note: str = ""
    # filled by resolve_targets
    status: str = ""
    """`fit`, `holdout`, `input`, `none` or `unfittable` once resolved."""
    status_reason: str = ""
    weights: tuple[tuple[int, float], ...] = ()
    """(calendar year, weight) pairs of the comparison, after the date conventions."""
    shifted: str = ""
    obs_sd: float = float("nan")
    md_sd: float = float("nan")

    @property
    def label(self) -> str:
        return self.quantity if len(self.quantity) <= 90 else self.quantity[:87] + "..."

    @property
    def observed(self) -> float:
        """The figure on its comparison scale (log for `scale: log`)."""
        return transform(self.value, self.scale, self.value)

    @property
    def used(self) -> bool:
        """Compared with the model (fitted or held out)."""
        return self.status in ("fit", "holdout")

    def describe(self) -> dict:
        return {
            "id": self.id,
            "value": self.value,
            "bound": self.bound,
            "low": self.low,
            "high": self.high,
            "scale": self.scale,
            "status": self.status,
            "output": None if self.output is None else self.output.describe(),
            "weights": [list(w) for w in self.weights],
        }


def transform(x: Any, scale: str, reference: float) -> Any:
    """A model or observed value on the comparison scale: log (floored at 1% of the target)."""
    import numpy as np

    if scale == "linear":
        return x
    floor = abs(reference) * 0.01 if reference else 1e-9
    return np.log(np.maximum(np.asarray(x, dtype=float), floor))


@dataclass(frozen=True)
class TargetSet:
    """The targets of a calibration with the conventions and error model of their mapping."""

    targets: tuple[Target, ...]
    conventions: Conventions
    errors: ErrorModel
    policies: dict[str, dict[str, Any]]
    """Paired policy runs: name -> {dotted scenario path: value}."""
    policy_docs: dict[str, str]
    targets_file: str
    mapping_file: str

    def __iter__(self):
        return iter(self.targets)

    def __len__(self) -> int:
        return len(self.targets)

    def by_id(self, ident: str) -> Target:
        for t in self.targets:
            if t.id == ident:
                return t
        raise KeyError(ident)

    def with_status(self, *statuses: str) -> list[Target]:
        return [t for t in self.targets if t.status in statuses]

    @property
    def fitted(self) -> list[Target]:
        return self.with_status("fit")

    @property
    def compared(self) -> list[Target]:
        """Targets the model is compared with: fitted and held out."""
        return self.with_status("fit", "holdout")

    def used_policies(self) -> list[str]:
        """Names of the policy runs that compared targets need (sorted)."""
        return sorted({t.output.response for t in self.compared if t.output and t.output.response})

    def describe(self) -> dict:
        """What defines the simulated values of the targets (for run keys and the manifest)."""
        return {
            "targets": [t.describe() for t in self.compared],
            "policies": {k: self.policies[k] for k in self.used_policies()},
        }


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
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
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
        targets.append(
            _target(ck, kp, str(key), row, values[index], entry, groups, policies, indicators)
        )
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
                "each a role (fit, holdout, input, or none with a reason)",
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


EVERY_COUNTRY = "*"
"""`countries: all` in a mapping: every simulated country (resolved against the scenario)."""


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


def _origins(ck: Checker, value: Any, kp: tuple) -> tuple[str, ...] | str:
    if isinstance(value, str) and value in _ORIGIN_WORDS:
        return value
    if isinstance(value, list) and value:
        for i, code in enumerate(value):
            if not isinstance(code, str) or not _ISO3_RE.fullmatch(code):
                raise ck.error((*kp, str(i)), f"expected an ISO3 code, got {code!r}")
        return tuple(value)
    raise ck.error(kp, f"invalid origins {value!r}", "all, foreign, own or a list of ISO3 codes")


def _measure(
    ck: Checker, value: Any, kp: tuple, groups: dict, indicators: tuple[str, ...]
) -> Measure:
    ck.mapping(value, kp, _MEASURE_KEYS)
    kinds = [k for k in ("indicator", "flow", "stock") if k in value]
    if len(kinds) != 1:
        raise ck.error(
            kp, "give exactly one of indicator, flow, stock", "e.g. indicator: emigrants"
        )
    kind = kinds[0]
    area = ck.choice(value.get("area", ALL), (*kp, "area"), (ALL, *AREAS))
    cadre = ck.choice(value.get("cadre", ALL), (*kp, "cadre"), (ALL, *CADRES))
    combine = ck.choice(value.get("combine", "sum"), (*kp, "combine"), ("sum", "mean"))
    offset = ck.integer(value.get("year_offset", 0), (*kp, "year_offset"), -5, 5)
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
    origins = _origins(ck, spec.get("origins", "all"), (*kp, kind, "origins"))
    if area != ALL:
        raise ck.error((*kp, "area"), f"{kind}s are not split by area", "area: all")
    source = "flows" if kind == "flow" else "stocks"
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
    if role in ("holdout", "input", "none") and not (isinstance(reason, str) and reason.strip()):
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
        number = ck.number(entry["value"], (*kp, "value"))
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
    default_scale = "linear" if response or value.value <= 0 else "log"
    scale = ck.choice(entry.get("scale", default_scale), (*kp, "scale"), ("log", "linear"))
    if scale == "log" and value.value <= 0:
        raise ck.error((*kp, "scale"), "a log scale needs a positive value", "scale: linear")
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


# --------------------------------------------------------------------------------------------------
# resolving against a scenario


def _year_weights(t: Target, conv: Conventions, start: int) -> list[tuple[int, float]]:
    spec = t.years
    if spec == "initial":
        return [(start - 1, 1.0)]
    if spec == "first":
        return [(start, 1.0)]
    if isinstance(spec, int):
        return [(spec, 1.0)]
    if isinstance(spec, str):
        y0 = int(spec[:4])
        return [(y0, conv.financial_year[0]), (y0 + 1, conv.financial_year[1])]
    if spec[0] == "first":
        a, b = start, start + spec[1] - 1
    else:
        a, b = spec
    n = b - a + 1
    return [(y, 1.0 if t.stat == "sum" else 1.0 / n) for y in range(a, b + 1)]


def year_text(spec: Any) -> str:
    """A mapping's year spec as text (`2021/22`, `2021-2022`, `first 3 years`)."""
    if isinstance(spec, tuple) and spec and spec[0] == "first":
        return f"first {spec[1]} simulated years"
    if isinstance(spec, tuple):
        return f"{spec[0]}-{spec[1]}"
    if spec == "first":
        return "first simulated year"
    if spec == "initial":
        return "initial state"
    return str(spec)


def _is_stock(t: Target) -> bool:
    """Stocks and shares exist for the initial state (year start - 1); flows do not."""
    assert t.output is not None
    m = t.output.numerator
    if m.source == "stocks":
        return True
    if m.source == "flows":
        return False
    from sim.outputs.indicators import STOCK_INDICATORS

    return all(name in STOCK_INDICATORS for name in m.names)


def resolve_targets(
    targets: TargetSet,
    *,
    start_year: int,
    years: int,
    world_codes: list[str] | tuple[str, ...],
    simulated: list[str] | tuple[str, ...],
    sources: tuple[str, ...] = ("indicators", "flows"),
    indicators: tuple[str, ...] | None = None,
) -> TargetSet:
    """The targets with their status, year weights and errors for one calibration scenario.

    Args:
        start_year, years: the simulated period (the initial state is `start_year - 1`).
        world_codes: every country of the scenario's world (unknown codes are mapping errors).
        simulated: the countries simulated (`world.countries`).
        sources: the result tables the model writes (`stocks` once bilateral stocks exist).
        indicators: indicator names the model writes (default: `INDICATOR_NAMES`).
    """
    if indicators is None:
        from sim.outputs.indicators import INDICATOR_NAMES

        indicators = tuple(INDICATOR_NAMES)
    conv, err = targets.conventions, targets.errors
    last = start_year + years - 1
    known, present = set(world_codes) | {WORLD}, set(simulated) | {WORLD}
    out = []
    for t in targets.targets:
        if t.role in ("input", "none"):
            out.append(replace(t, status=t.role, status_reason=t.reason))
            continue
        assert t.output is not None
        status, why, shifted = t.role, "", ""
        every = tuple(c for c in simulated if c != WORLD)
        t = replace(
            t,
            output=replace(
                t.output,
                numerator=_with_countries(t.output.numerator, every),
                denominator=None
                if t.output.denominator is None
                else _with_countries(t.output.denominator, every),
            ),
        )
        for m in t.output.measures():
            unknown = [c for c in m.countries if c not in known]
            if unknown:
                raise CalibrationError(
                    f"target {t.id}: country code(s) {', '.join(unknown)} not in the world",
                    file=targets.mapping_file,
                    key_path=f"targets.{t.id}.output",
                    expected="ISO3 codes of the calibration scenario's world",
                )
            gone = [c for c in m.countries if c not in present]
            if gone and not why:
                status, why = "unfittable", f"{', '.join(gone)} not simulated (world.countries)"
            if m.source not in sources and not why:
                status, why = "unfittable", f"the model does not write {m.source} yet"
            missing = [n for n in m.names if n not in indicators]
            if missing and not why:
                status, why = "unfittable", f"the model does not write {', '.join(missing)} yet"
        weights = _year_weights(t, conv, start_year)
        first = start_year - 1 if _is_stock(t) else start_year
        early = max(y for y, _ in weights)
        offsets = [m.year_offset for m in t.output.measures()]
        dated = year_text(t.years)
        if not why and min(y for y, _ in weights) < first:
            if first - early <= conv.before_start_years:
                shifted = f"dated {dated}: compared with {first}"
                weights = [(first, 1.0)]
            else:
                status = "unfittable"
                what = "initial state" if first < start_year else "first simulated year"
                why = (
                    f"dated {dated}, more than {conv.before_start_years} years before the "
                    f"model's {what} ({first})"
                )
        if not why and max(y for y, _ in weights) > last:
            status, why = "unfittable", f"dated {dated}, after the last simulated year {last}"
        if not why and min(y for y, _ in weights) + min(offsets) < start_year - 1:
            status, why = "unfittable", "needs a year before the initial state"
        obs, md = observation_sd(t, err)
        out.append(
            replace(
                t,
                status=status,
                status_reason=why or t.reason,
                weights=tuple(weights),
                shifted=shifted,
                obs_sd=obs,
                md_sd=md,
            )
        )
    return replace(targets, targets=tuple(out))


def _with_countries(m: Measure, every: tuple[str, ...]) -> Measure:
    return replace(m, countries=every) if m.countries == (EVERY_COUNTRY,) else m


def observation_sd(t: Target, err: ErrorModel) -> tuple[float, float]:
    """(observation sd, model-discrepancy sd) on the target's comparison scale."""
    from scipy.stats import norm

    cv = err.cv.get(t.confidence)
    if cv is None:
        cv = max(err.cv.values())
    parts = [cv]
    if t.approximate:
        parts.append(err.approximate_cv)
    rel = math.sqrt(sum(p * p for p in parts))
    z = norm.ppf(0.5 + err.range_coverage / 2)
    half = 0.0 if t.low is None or t.high is None else (t.high - t.low) / 2
    if t.scale == "log":
        obs = math.sqrt(rel**2 + (half / z / abs(t.value)) ** 2) if t.value else rel
        return obs, err.discrepancy
    size = abs(t.value)
    obs = math.sqrt((rel * size) ** 2 + (half / z) ** 2)
    return obs, err.discrepancy * size
