"""The registry's types (parameters, levers, outcomes) and the constants defined once."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, ClassVar

# --------------------------------------------------------------------------------------------------
# constants defined once

CADRES = ("doctors", "nurses")
"""Cadres of health workers (nurses include midwives)."""
INCOME_GROUPS = ("L", "LM", "UM", "H")
"""World Bank income groups (FY2023), low to high."""
FULLY_EMPLOYED_INCOME_GROUPS = ("UM", "H")
"""Income groups whose workforce starts fully employed, so that its observed growth carries into
its funded posts (ODD §7.2, `workforce.posts_trend_weight`): those whose registry default
`initial_vacancy_rate` is not negative. Fixed, not read from the rate itself, so that a calibration
or sweep moving the rate across zero does not switch the momentum on or off."""
AREAS = ("urban", "rural")
"""The two areas of every country (index 0 urban, 1 rural)."""
ALL = "all"
"""Label of a total over areas or cadres in the indicator table."""
WORLD = "WLD"
"""Country code of the global aggregate rows of the indicator table."""
SELECTOR_KEYWORDS = ("all", "none", "safeguards", "destinations", "high_income", "low_income")
"""Country selectors: one of these keywords or a list of ISO3 codes of the scenario's world."""
SDG_THRESHOLD = 44.5
"""Doctors + nurses/midwives per 10,000 population: the SDG index threshold (WHO 2016)."""
SAFEGUARDS_MEDIAN = 49.0
"""Global median density used for the WHO health workforce support and safeguards list 2023."""
DENSITY_THRESHOLDS = {"44_5": SDG_THRESHOLD, "49": SAFEGUARDS_MEDIAN}
"""Density thresholds of the `*_below_*` indicators, by label."""
MIGRATION_AGE_EDGES = (35, 45, 55)
"""Ages (years) at which the emigration age factor changes: <35 (reference), 35-44, 45-54, 55+."""
MIGRATION_AGE_LABELS = ("35_44", "45_54", "55_plus")
"""Keys of `behaviour.emigration_age_factor`, the bands above the reference band."""
EMIGRANT_AGE_BANDS = ("lt35", "35_44", "45_54", "55plus")
"""Suffixes of the `emigrants_age_*` indicators (bands of `MIGRATION_AGE_EDGES`)."""
YOUNG_AGE = 40
"""Workers under this age (years) are counted by `stock_under_40` and `attrition_under_40` (the
migrating ages 20-40 of Antwi & Phillips 2011, C25)."""
RECRUITMENT_REFERENCE = "GBR"
"""The destination whose international recruitment intensity is `workforce.recruitment_intensity`
itself (the UK: that parameter's source is its joiners and vacancies); every other destination's
follows its foreign-trained share relative to this one's (ODD §7.2)."""
AUTO_ARRAYS_THRESHOLD = 20_000
"""`engine: auto` uses the arrays engine above this many agents."""
AGENTS_ENGINE_WARNING = 2_000_000
"""`engine: agents` warns above this many agents (slow and memory-hungry)."""
PASSIVE_RATE_SOURCE = (
    "a rough reading of the UK's code after Nigeria's red listing in 2023: Nigeria's share of the "
    "NMC's international joiners in 2023/24 and 2024/25 was 0.86 of its share in 2021/22, which "
    "the model met at 0.93 at the parameters of 2026-12-03 (single years and other counts "
    "0.76-1); at those adopted since, its own falling trend for Nigeria, which Nigeria's council "
    "contradicts, leaves no effect to read (1.0; scripts/passive_rate.py, docs/data.md §4.1)"
)
"""The source of the passive rates of the national codes and of the ethical-recruitment lever."""


# --------------------------------------------------------------------------------------------------
# parameter types


class _Named:
    """A declaration named by its dotted scenario path."""

    name: str

    @property
    def key(self) -> str:
        """The last part of the dotted name (the key in its scenario section)."""
        return self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class _Ranged(_Named):
    """A number with a plausible range `low`..`high` and valid bounds `min`..`max`."""

    name: str
    low: float
    high: float
    default: float
    unit: str = ""
    source: str = ""
    doc: str = ""
    min: float | None = None
    max: float | None = None
    range_source: str = ""
    """Why the plausible range is `low`..`high` (when `source` alone does not say)."""


@dataclass(frozen=True)
class RealParameter(_Ranged):
    """A real-valued constant of the model.

    `low`/`high` bound its plausible range (a calibration prior, a sweep range); `min`/`max` bound
    what a scenario file may set (validation), and are at least as wide.
    """

    kind: ClassVar[str] = "float"


@dataclass(frozen=True)
class IntegerParameter(_Ranged):
    """An integer constant of the model (plausible range `low`..`high`, valid `min`..`max`)."""

    kind: ClassVar[str] = "int"


@dataclass(frozen=True)
class _Setting(_Named):
    """A non-numeric parameter: a default and a description."""

    name: str
    default: Any
    doc: str = ""


@dataclass(frozen=True)
class BooleanParameter(_Setting):
    """A switch."""

    kind: ClassVar[str] = "bool"


@dataclass(frozen=True)
class CategoricalParameter(_Setting):
    """One of a fixed set of `categories`."""

    categories: tuple = ()
    kind: ClassVar[str] = "enum"


@dataclass(frozen=True)
class SelectorParameter(_Setting):
    """A set of countries: a keyword of `SELECTOR_KEYWORDS` or a list of ISO3 codes."""

    kind: ClassVar[str] = "selector"


@dataclass(frozen=True)
class CodeParameter(_Setting):
    """One country, by ISO3 code (required: the default is None)."""

    kind: ClassVar[str] = "code"


Parameter = (
    RealParameter
    | IntegerParameter
    | BooleanParameter
    | CategoricalParameter
    | SelectorParameter
    | CodeParameter
)


def _per(
    name: str,
    labels: tuple[str, ...],
    values: tuple[tuple[float, float, float], ...],
    cls: type = RealParameter,
    **common: Any,
) -> tuple:
    """One parameter per label (cadre or income group): (default, low, high) each."""
    return tuple(
        cls(f"{name}.{label}", low, high, default, **common)
        for label, (default, low, high) in zip(labels, values, strict=True)
    )


# --------------------------------------------------------------------------------------------------
# levers: the policies of the Code of Practice, and dated adjustments


@dataclass(frozen=True)
class Lever:
    """A policy lever: its switch, parameters and country selectors, dated by `from`/`until`.

    `many` levers are lists of items (bilateral agreements), each dated and without a switch.
    Parameter names are dotted scenario paths (`policies.retention.pay_rise`; list items
    `policies.agreements[].quota`).
    """

    name: str
    label: str
    doc: str
    parameters: tuple[Parameter, ...]
    topic: str = ""
    many: bool = False
    path: str = ""

    @property
    def section(self) -> str:
        """The dotted path of the lever in a scenario (`policies.<name>` or `adjustments`)."""
        return self.path or f"policies.{self.name}"

    @property
    def selectors(self) -> tuple[str, ...]:
        """Keys of the parameters that select countries (masks resolved once per run)."""
        return tuple(p.key for p in self.parameters if isinstance(p, SelectorParameter))

    def parameter(self, key: str) -> Parameter:
        """The parameter with this key."""
        for p in self.parameters:
            if p.key == key:
                return p
        raise KeyError(f"lever {self.name} has no parameter {key!r}")


# --------------------------------------------------------------------------------------------------
# outcomes


class Kind(enum.IntEnum):
    """Which direction of an outcome is better (as in the EMA Workbench's `ScalarOutcome`)."""

    MINIMIZE = -1
    INFO = 0
    MAXIMIZE = 1


MAXIMIZE, MINIMIZE, INFO = Kind.MAXIMIZE, Kind.MINIMIZE, Kind.INFO


@dataclass(frozen=True)
class ScalarOutcome:
    """A scalar outcome of a run year, computed from the indicator table.

    Recipe (area `all`, cadre `all`, for each replicate and year): the rows of `indicator` for the
    countries of `countries` (`world`: the `WLD` aggregate; `all`: every country; `safeguards`;
    `destinations`), then

    - summed over countries (`per` and `weight` unset);
    - or a ratio of sums, `scale * sum(indicator) / sum(per)` over countries where both are known;
    - or a mean weighted by `weight`, `sum(indicator * weight) / sum(weight)`.
    """

    name: str
    kind: Kind
    unit: str
    definition: str
    label: str
    short: str
    display: str
    """How the briefing formats it: density, workers, share, ratio, people or money."""
    indicator: str
    countries: str = "world"
    per: str | None = None
    scale: float = 1.0
    weight: str | None = None

    MAXIMIZE: ClassVar[Kind] = Kind.MAXIMIZE
    MINIMIZE: ClassVar[Kind] = Kind.MINIMIZE
    INFO: ClassVar[Kind] = Kind.INFO
