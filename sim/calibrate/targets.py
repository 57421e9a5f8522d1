"""Calibration targets as data: `targets.csv` (published figures) and their declared mapping.

`targets.csv` holds the published figures with their source and `confidence`; the mapping file
(`calibration/mapping.yaml`, format in docs/calibration.md) says, for each figure, what the model
output is: an indicator, an international flow (by country left), an arrival (by country of
training) or a bilateral stock, for which countries, cadre
and years, aggregated how, possibly a ratio of two such measures, possibly a *policy response*
(the difference between a paired policy run and the baseline run with the same seed). Rows with
several values (`2402;2372;1616`) are split into sub-targets `C12a`, `C12b`, `C12c`.

Every target has a role: `fit` (fitted), `holdout` (reported, never fitted, set aside before
the calibration), `check` (reported, never fitted, added after the model's values had been seen:
not a blind test), `input` (the data work used it to build the initial state: neither fitted nor
held out) or `none` (no model counterpart; the mapping says why). Resolving the targets against a
scenario (`resolve_targets`) turns the years into weights on simulated years, applies the
conventions for financial years and for figures dated before the model's start, and marks what
cannot be fitted (and why). The observation error of each target comes from its `confidence`
(`ErrorModel`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

from sim.declarations import ALL, WORLD
from sim.errors import CalibrationError

__all__ = [
    "COMPARED",
    "GROUPS",
    "MAX_MAGNITUDE",
    "ROLES",
    "Conventions",
    "ErrorModel",
    "Measure",
    "Output",
    "Target",
    "TargetSet",
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
ROLES = ("fit", "holdout", "check", "input", "none", "unreachable")
"""A target's role in the mapping: fitted, held out (reported, never fitted, set aside before the
calibration), a check (reported, never fitted, added after the model's values had been seen),
used as input to the data work, without a model counterpart, or unreachable (a counterpart no run
of an earlier calibration came near: neither fitted nor held out, reported with the reason)."""
COMPARED = ("fit", "holdout", "check")
"""The roles whose targets the model is compared with (only `fit` is fitted)."""
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
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
MAX_MAGNITUDE = 1e15
"""Largest magnitude of a target's figure: above any count of people, share, rate or sum of money
a target states (the world's product is about 1e14 US dollars a year); a larger one is a typo, and
its square (a variance) overflows beyond about 1e154."""
EVERY_COUNTRY = "*"
"""`countries: all` in a mapping: every simulated country (resolved against the scenario)."""


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
    (`+15.2`, `1.5e4`), an approximation (`~4000`), a bound (`>15000`, `<25`), a range
    (`-0.9 to -1.6`) or a fraction (`1 in 8`).
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
        whole = float(m.group(2))  # "1 in 0" is a number out of range, not a crash
        return Value(float(m.group(1)) / whole if whole else math.inf, approx, text=piece)
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
    from `origins`, the countries left, to `countries`), `arrivals` (immigrants trained in
    `origins` arriving in `countries`, from wherever they come: what registers count) or `stocks`
    (workers trained in `origins` working in `countries`). `origins`: ISO3 codes (workers outside
    their training country), `all`, `foreign` (trained in another country than where they work or
    arrive) or `own`.
    `year_offset` shifts the years (-1: the stock at the end of the previous year, i.e. at the
    start of the year).
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
        if self.source == "arrivals":
            return f"arrivals trained in {origins}->{where}{cadre}{how}{lag}"
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
    """`fit`, `holdout`, `check`, `input`, `none`, `unreachable` or `unfittable` once resolved."""
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
        """Compared with the model (fitted, held out or a check)."""
        return self.status in COMPARED

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
        """Targets the model is compared with: fitted, held out and checks."""
        return self.with_status(*COMPARED)

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
    if m.source in ("flows", "arrivals"):
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
    sources: tuple[str, ...] = ("indicators", "flows", "stocks", "arrivals"),
    indicators: tuple[str, ...] | None = None,
) -> TargetSet:
    """The targets with their status, year weights and errors for one calibration scenario.

    Args:
        start_year, years: the simulated period (the initial state is `start_year - 1`).
        world_codes: every country of the scenario's world (unknown codes are mapping errors).
        simulated: the countries simulated (`world.countries`).
        sources: the result tables the model writes (default: all four it writes today).
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
        if t.role in ("input", "none", "unreachable"):
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
        if not why and max(y for y, _ in weights) + max(offsets) > last:
            status, why = "unfittable", f"needs a year after the last simulated year {last}"
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
