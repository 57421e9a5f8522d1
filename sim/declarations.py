"""The registry: every uncertainty, lever and outcome of the model, declared once and typed.

In the spirit of the EMA Workbench (Kwakkel 2017, *Environmental Modelling & Software* 96:239-250):

- **uncertainties** (`UNCERTAINTIES`): the behavioural, hazard and workforce constants, each a
  `RealParameter` or `IntegerParameter` with its default, unit, source, the bounds a scenario file
  may use (`min`, `max`) and a narrower *plausible range* (`low`, `high`) that sweeps and the
  calibration take as their prior;
- **levers** (`LEVERS`): the policies of the WHO Code of Practice with their parameters, country
  selectors and dates (`from`/`until`), and the dated exogenous `ADJUSTMENTS`;
- **outcomes** (`OUTCOMES`): `ScalarOutcome(name, kind=MAXIMIZE|MINIMIZE|INFO, unit, definition)`,
  each a declarative recipe over the indicator table that `sim.outputs.outcomes` computes (once).

Everything else reads this module: the scenario schema (`sim.inputs.schema`) generates its
`behaviour`, `hazards`, `workforce` and `policies` sections from it, `PolicySchedule` takes each
lever's selectors from it, and the run summary, the briefing and sweeps take their outcomes from it.
This module imports nothing from the package, so every layer may read it.
"""

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
AUTO_ARRAYS_THRESHOLD = 20_000
"""`engine: auto` uses the arrays engine above this many agents."""
AGENTS_ENGINE_WARNING = 2_000_000
"""`engine: agents` warns above this many agents (slow and memory-hungry)."""


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
# uncertainties: behaviour, hazards, workforce
# (default, plausible low, plausible high); docs and sources feed docs/scenarios.md and docs/ODD.md

BEHAVIOUR: tuple[Parameter, ...] = (
    RealParameter(
        "behaviour.reconsider_rate", 0.1, 0.5, 0.25, "1/year",
        "assumption; sets the speed of adjustment",
        "Rate at which a worker reconsiders their job.", min=0.0, max=12.0,
        range_source="a reconsideration every 2 to 10 years (assumption)",
    ),
    RealParameter(
        "behaviour.wage_weight", 1.0, 2.5, 1.3, "utility/log-wage",
        "Antwi & Phillips 2011 (10% pay rise cut attrition ~1 pt of 8%)",
        "Utility per unit of log wage in emigration, return and leaving decisions.",
        min=0.0, max=20.0,
        range_source="0.9-1.6 pp less attrition per 10% pay rise imply 1.3-2.3",
    ),
    RealParameter(
        "behaviour.area_wage_weight", 3.0, 7.5, 6.4, "utility/log-wage",
        "Blaauw et al. 2010 (10% allowance: +15 to +17 pp rural uptake)",
        "Utility per unit of log wage in the urban/rural choice (and graduates' placement).",
        min=0.0, max=50.0,
        range_source="the three DCEs imply 2.9 (Thailand), 6.4 (Kenya), 7.3 (South Africa)",
    ),
    RealParameter(
        "behaviour.network_weight", 0.3, 0.8, 0.5, "utility/log-workers",
        "Beine, Docquier & Özden 2011 (diaspora elasticity 0.4-0.7)",
        "Utility per unit of log(1 + same-origin, same-cadre workers already in the destination).",
        min=0.0, max=5.0,
        range_source="the literature's 0.4-0.7, widened",
    ),
    RealParameter(
        "behaviour.distance_weight", 0.2, 1.2, 0.5, "utility/log-km",
        "gravity models of migration, Mayda 2010; Grogger & Hanson 2011",
        "Disutility per unit of log distance (km).", min=0.0, max=5.0,
        range_source="distance elasticities of bilateral migration in gravity models",
    ),
    RealParameter(
        "behaviour.language_weight", 0.2, 1.2, 0.6, "utility",
        "Adserà & Pytliková 2015", "Utility of a common official language.", min=0.0, max=5.0,
        range_source="common-language effects in gravity models of migration",
    ),
    RealParameter(
        "behaviour.colony_weight", 0.0, 1.0, 0.4, "utility",
        "Beine et al. 2011", "Utility of a past colonial relationship.", min=0.0, max=5.0,
        range_source="colonial-tie effects in gravity models, from none",
    ),
    RealParameter(
        "behaviour.recruitment_fee", 0.1, 1.0, 0.5, "annual wages",
        "ILO 2019 recruitment fees surveys (fees of months to a year of earnings)",
        "Recruitment fee paid by the worker, in annual source-country wages; enters utility as "
        "-wage_weight * log(1 + fee).", min=0.0, max=10.0,
        range_source="one month to one year of earnings",
    ),
    RealParameter(
        "behaviour.migrant_wage_discount", 0.05, 0.3, 0.15, "share",
        "OECD/ILO evidence on migrant health-worker pay gaps (assumption in the 10-20% range)",
        "Pay gap of migrant workers relative to natives in a destination without equal treatment.",
        min=0.0, max=0.9,
        range_source="the 10-20% evidence, widened",
    ),
    RealParameter(
        "behaviour.emigrate_constant", -10.0, -4.0, -7.0, "utility",
        "set so baseline outflows match calibration targets C17-C20 in order of magnitude",
        "Alternative-specific constant of emigrating (per destination).", min=-50.0, max=50.0,
        range_source="wide prior around the value that matches outflows (to be calibrated)",
    ),
    RealParameter(
        "behaviour.move_constant", -4.0, -1.0, -2.5, "utility", "assumption",
        "Constant of moving to the other area.", min=-50.0, max=50.0,
        range_source="wide prior (to be calibrated)",
    ),
    RealParameter(
        "behaviour.return_constant", -4.0, 0.0, -2.0, "utility", "assumption",
        "Constant of a migrant returning home.", min=-50.0, max=50.0,
        range_source="wide prior (to be calibrated)",
    ),
    RealParameter(
        "behaviour.leave_constant", -5.0, -2.0, -3.5, "utility",
        "set so voluntary leaving is ~1-2%/yr (C08, C09, C27)",
        "Constant of leaving the profession.", min=-50.0, max=50.0,
        range_source="voluntary leaving from about 0.5 to 5%/yr",
    ),
    RealParameter(
        "behaviour.outside_wage_ratio", 0.5, 1.2, 0.8, "ratio", "assumption",
        "Wage outside the profession relative to the country's health-worker wage before "
        "policies.", min=0.01, max=10.0,
        range_source="assumption: half to more than the health wage",
    ),
    RealParameter(
        "behaviour.propensity_sd", 0.5, 2.0, 1.0, "utility",
        "assumption (taste heterogeneity)",
        "Standard deviation of the personal migration propensity (logistic, drawn once per "
        "worker).", min=0.0, max=10.0,
        range_source="assumption",
    ),
)  # fmt: skip

HAZARDS: tuple[Parameter, ...] = (
    *_per(
        "hazards.retirement_age", CADRES, ((63, 60, 67), (60, 55, 65)),
        unit="years", source="OECD Pensions at a Glance 2023 (normal ages 60-67)",
        doc="Age from which workers retire at `retirement_rate`.", min=40, max=80,
        range_source="OECD normal pension ages; nurses often earlier (assumption)",
    ),
    RealParameter(
        "hazards.retirement_rate", 0.2, 1.0, 0.4, "1/year", "assumption",
        "Retirement rate past the retirement age.", min=0.0, max=50.0,
        range_source="assumption: median retirement 0.7 to 3.5 years past the age",
    ),
    RealParameter(
        "hazards.max_age", 65.0, 75.0, 70.0, "years", "assumption",
        "Age at which every remaining worker retires.", min=45, max=90,
        range_source="assumption",
    ),
    RealParameter(
        "hazards.death_rate", 0.001, 0.005, 0.002, "1/year", "WHO life tables, ages 25-64",
        "Mortality of working-age adults.", min=0.0, max=1.0,
        range_source="adult mortality of high- to low-income countries",
    ),
    RealParameter(
        "hazards.exit_rate", 0.005, 0.03, 0.012, "1/year",
        "register leaving rates 2-4%/yr (C08, C09, C27) less retirement",
        "Exogenous exit from the profession (health, family, career change).", min=0.0, max=1.0,
        range_source="register leaving 2-4%/yr less retirement and voluntary leaving",
    ),
    *_per(
        "hazards.entry_age", CADRES, ((27, 24, 30), (23, 21, 26)),
        unit="years", source="typical programme lengths", doc="Age of new graduates.",
        range_source="programme lengths and ages at entry",
        min=16, max=40,
    ),
)  # fmt: skip

WORKFORCE: tuple[Parameter, ...] = (
    *_per(
        "workforce.wage_multiple", CADRES, ((3.0, 2.0, 4.0), (1.3, 1.0, 1.6)),
        unit="ratio", doc="Wage as a multiple of GDP per capita PPP.", min=0.1, max=50.0,
        range_source="OECD country range",
        source="OECD Health at a Glance 2023 (remuneration of doctors 2-4x, nurses ~1.2x the "
        "average wage)",
    ),
    *_per(
        "workforce.rural_density_ratio", CADRES, ((0.33, 0.2, 0.5), (0.6, 0.4, 0.8)),
        unit="ratio", doc="Initial rural density relative to urban density.", min=0.01, max=5.0,
        range_source="rural/urban density ratios reported by WHO 2010",
        source="WHO 2010 rural retention recommendations (C22)",
    ),
    *_per(
        "workforce.graduate_rate", CADRES, ((0.045, 0.03, 0.06), (0.055, 0.04, 0.07)),
        unit="1/year", doc="Annual graduates as a share of the initial stock (training capacity).",
        min=0.0, max=1.0, source="assumption; replacement plus modest growth",
        range_source="replacement of 2-3%/yr retirements plus growth of 1-4%/yr",
    ),
    *_per(
        "workforce.training_lag", CADRES, ((6, 5, 7), (3, 2, 4)), IntegerParameter,
        unit="years", doc="Years from a training investment to extra graduates.", min=0, max=15,
        range_source="programme lengths",
        source="length of medical and nursing programmes",
    ),
    *_per(
        "workforce.training_cost", CADRES, ((10.0, 5.0, 20.0), (4.0, 2.0, 8.0)),
        unit="ratio", doc="Cost of training one graduate as a multiple of GDP per capita PPP.",
        min=0.01, max=100.0, source="Mills et al. 2011 (BMJ)",
        range_source="the range across countries in Mills et al. 2011",
    ),
    *_per(
        "workforce.initial_vacancy_rate", INCOME_GROUPS,
        ((-0.10, -0.2, 0.0), (-0.05, -0.15, 0.05), (0.02, -0.05, 0.08), (0.08, 0.03, 0.12)),
        unit="share", min=-0.9, max=2.0,
        range_source="NHS 8-10% vacancies; unemployment of trained workers in source countries",
        doc="Funded posts relative to the initial stock, minus one (negative: more trained "
        "workers than posts).",
        source="NHS vacancy statistics (~8-10%); unemployment of trained nurses in source "
        "countries",
    ),
    *_per(
        "workforce.demand_growth", INCOME_GROUPS,
        ((0.01, 0.0, 0.03), (0.015, 0.0, 0.03), (0.015, 0.0, 0.03), (0.01, 0.0, 0.02)),
        unit="1/year", min=-0.5, max=0.5,
        range_source="Liu et al. 2017 demand growth by income group",
        doc="Growth of funded posts per year on top of population growth.",
        source="Liu et al. 2017 (global demand projections to 2030)",
    ),
    SelectorParameter(
        "workforce.destinations", "high_income",
        "Countries that recruit internationally (open international posts).",
    ),
    RealParameter(
        "workforce.recruitment_intensity", 0.2, 1.0, 0.5, "1/year",
        "UK: ~25k international nurse joiners vs ~45k vacancies (C02-C04)",
        "Share of a destination's vacancies opened to international recruitment per year.",
        min=0.0, max=12.0,
        range_source="UK joiners / vacancies from 0.22 (2020/21) to 0.66 (2023/24)",
    ),
    *_per(
        "workforce.foreign_share_default", CADRES, ((0.19, 0.1, 0.3), (0.09, 0.04, 0.15)),
        unit="share", min=0.0, max=0.95, source="OECD Health at a Glance 2023 (C14, C15)",
        range_source="spread of foreign-trained shares across OECD countries",
        doc="Initial share of foreign-trained workers in destinations without OECD bilateral "
        "data (distributed over origins by UN DESA migrant stocks).",
    ),
)  # fmt: skip

UNCERTAINTIES: tuple[Parameter, ...] = (*BEHAVIOUR, *HAZARDS, *WORKFORCE)
"""Every constant of the `behaviour`, `hazards` and `workforce` sections, in schema order."""

UNCERTAINTY_SECTIONS = ("behaviour", "hazards", "workforce")


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


_POLICY_RANGE = "range of options explored (policy choice, not an estimate)"


def _cadres(path: str) -> CategoricalParameter:
    return CategoricalParameter(
        f"{path}.cadres", "all", "Cadre(s) the policy applies to.", ("all", *CADRES)
    )


def _lever_real(path: str, low: float, high: float, default: float, unit: str, doc: str,
                source: str = "", **bounds: float) -> RealParameter:  # fmt: skip
    return RealParameter(path, low, high, default, unit, source, doc, **bounds)


_P = "policies."
_AG = "policies.agreements[]."
LEVERS: tuple[Lever, ...] = (
    Lever(
        "ethical_recruitment", "ethical recruitment",
        "No active recruitment from protected countries.",
        (
            SelectorParameter(_P + "ethical_recruitment.destinations", "destinations",
                              "Countries applying the rule."),
            SelectorParameter(_P + "ethical_recruitment.protected", "safeguards",
                              "Countries not actively recruited from."),
            _lever_real(_P + "ethical_recruitment.passive_rate", 0.0, 0.6, 0.3, "share",
                        "Share of applicants from protected countries who still obtain a post by "
                        "applying on their own.",
                        "assumption; post-2001 UK experience of passive routes", min=0.0, max=1.0),
        ),
        topic="recruitment practices",
    ),
    Lever(
        "fee_free_recruitment", "fee-free recruitment", "Recruitment free of charge to workers.",
        (SelectorParameter(_P + "fee_free_recruitment.destinations", "destinations",
                           "Destinations where employers pay the fees."),),
        topic="recruitment practices",
    ),
    Lever(
        "equal_treatment", "equal treatment of migrant workers",
        "Migrant pay equals native pay (no wage discount).",
        (SelectorParameter(_P + "equal_treatment.destinations", "destinations",
                           "Destinations applying it."),),
        topic="recruitment practices",
    ),
    Lever(
        "agreements", "bilateral agreements",
        "Bilateral agreements, each for one corridor (source -> destination).",
        (
            CodeParameter(_AG + "source", None, "Source country (ISO3)."),
            CodeParameter(_AG + "destination", None, "Destination country (ISO3)."),
            CategoricalParameter(_AG + "cadre", "all", "Cadre(s) the policy applies to.",
                                 ("all", *CADRES)),
            _lever_real(_AG + "quota", 0.0, 5000.0, 1000.0, "workers/year",
                        "Workers per year recruited first under the agreement (within the "
                        "destination's international posts).", min=0.0, max=1e7),
            BooleanParameter(_AG + "fee_free", True,
                             "Recruitment under the agreement is free of charge to workers."),
            _lever_real(_AG + "training_places", 0.0, 1000.0, 0.0, "graduates/year",
                        "Extra graduates per year trained in the source, funded by the "
                        "destination (after the training lag).", min=0.0, max=1e7),
            _lever_real(_AG + "contract_years", 0.0, 5.0, 0.0, "years",
                        "Fixed-term (circular) contract length; 0 means permanent.",
                        min=0.0, max=40.0),
            _lever_real(_AG + "return_probability", 0.0, 1.0, 0.7, "probability",
                        "Probability that a worker returns home at the end of a fixed-term "
                        "contract.", "assumption", min=0.0, max=1.0),
        ),
        topic="mutuality of benefits",
        many=True,
    ),
    Lever(
        "compensation", "compensation of source countries",
        "Destinations pay sources per worker recruited.",
        (
            SelectorParameter(_P + "compensation.payers", "destinations",
                              "Destinations that pay."),
            SelectorParameter(_P + "compensation.recipients", "safeguards",
                              "Source countries that are paid."),
            _lever_real(_P + "compensation.rate", 0.0, 50000.0, 20000.0, "int$ PPP",
                        "Payment per worker recruited.",
                        "assumption; order of a nurse's training cost in low-income countries",
                        min=0.0, max=1e7),
            CategoricalParameter(_P + "compensation.use", "training",
                                 "What the source spends it on: more graduates (after the "
                                 "training lag) or retention pay.", ("training", "retention")),
        ),
        topic="mutuality of benefits",
    ),
    Lever(
        "retention", "retention pay", "Retention pay and working conditions.",
        (
            SelectorParameter(_P + "retention.countries", "safeguards", "Countries applying it."),
            _cadres(_P + "retention"),
            _lever_real(_P + "retention.pay_rise", 0.0, 0.5, 0.10, "share of wage", "Pay rise.",
                        "Ghana 2006 reform (Antwi & Phillips 2011)", min=0.0, max=5.0),
            _lever_real(_P + "retention.conditions", 0.0, 0.3, 0.0, "log-wage",
                        "Improvement of working conditions, in log-wage equivalents.",
                        min=-2.0, max=2.0),
        ),
        topic="workforce sustainability",
    ),
    Lever(
        "rural_allowance", "a rural allowance", "Allowance paid to rural workers.",
        (
            SelectorParameter(_P + "rural_allowance.countries", "safeguards",
                              "Countries applying it."),
            _cadres(_P + "rural_allowance"),
            _lever_real(_P + "rural_allowance.allowance", 0.0, 0.5, 0.10, "share of wage",
                        "Rural allowance.", "Blaauw et al. 2010", min=0.0, max=5.0),
        ),
        topic="workforce sustainability",
    ),
    Lever(
        "bonding", "bonding (compulsory service)",
        "Compulsory service for new graduates, with buy-out.",
        (
            SelectorParameter(_P + "bonding.countries", "safeguards", "Countries applying it."),
            _cadres(_P + "bonding"),
            _lever_real(_P + "bonding.years", 0.0, 5.0, 3.0, "years", "Length of the bond.",
                        "typical bonding schemes (Frehywot et al. 2010)", min=0.0, max=20.0),
            _lever_real(_P + "bonding.buyout", 0.0, 5.0, 1.0, "annual wages",
                        "Buy-out price of the bond.", "Frehywot et al. 2010", min=0.0, max=50.0),
            BooleanParameter(_P + "bonding.rural_service", True,
                             "Bonded graduates serve in rural areas and may not move to urban "
                             "posts while bonded."),
        ),
        topic="workforce sustainability",
    ),
    Lever(
        "domestic_training", "domestic training expansion",
        "Expansion of domestic training (self-sufficiency).",
        (
            SelectorParameter(_P + "domestic_training.countries", "destinations",
                              "Countries expanding training."),
            _cadres(_P + "domestic_training"),
            _lever_real(_P + "domestic_training.expansion", 0.0, 1.0, 0.25, "share",
                        "Increase of graduate output (after the training lag).",
                        min=0.0, max=10.0),
        ),
        topic="workforce sustainability",
    ),
)  # fmt: skip
"""The levers, in the order of the scenario file's `policies` section."""

_AD = "adjustments[]."
ADJUSTMENTS = Lever(
    "adjustments", "adjustments", "Dated exogenous changes to country parameters.",
    (
        SelectorParameter(_AD + "countries", "none", "Countries the adjustment applies to."),
        _lever_real(_AD + "demand_multiplier", 0.5, 2.0, 1.0, "ratio",
                    "Multiplier on funded posts (a demand surge or cut).", min=0.0, max=10.0),
        _lever_real(_AD + "recruitment_multiplier", 0.0, 3.0, 1.0, "ratio",
                    "Multiplier on international recruitment (0 closes the visa route).",
                    min=0.0, max=100.0),
        _lever_real(_AD + "wage_multiplier", 0.5, 2.0, 1.0, "ratio", "Multiplier on wages.",
                    min=0.01, max=100.0),
    ),
    topic="exogenous changes",
    many=True,
    path="adjustments",
)  # fmt: skip
"""Exogenous, dated changes (a scenario's uncertainties, not policy choices), declared like a
list lever: each item selects countries and multiplies demand, recruitment or wages."""

LEVER_PARAMETER_RANGE_SOURCE = _POLICY_RANGE
"""What `low`/`high` mean for a lever's numeric parameters (the source unless one is given)."""


def lever(name: str) -> Lever:
    """The lever (or `adjustments`) of this name."""
    for item in (*LEVERS, ADJUSTMENTS):
        if item.name == name:
            return item
    raise KeyError(f"no lever {name!r}")


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


def _money(name: str, label: str, short: str, definition: str, **kw: Any) -> ScalarOutcome:
    return ScalarOutcome(
        name, INFO, "int$ PPP/year", definition, label, short, "money",
        kw.pop("indicator", name), kw.pop("countries", "all"), **kw,
    )  # fmt: skip


OUTCOMES: tuple[ScalarOutcome, ...] = (
    ScalarOutcome(
        "world_stock", INFO, "workers",
        "Doctors and nurses/midwives working in the simulated countries at the end of the year.",
        "Health workers in the simulated countries", "Health workers, world", "workers",
        "stock", "world",
    ),
    ScalarOutcome(
        "world_density", MAXIMIZE, "doctors + nurses per 10,000 population",
        "Doctors and nurses/midwives per 10,000 population over all simulated countries.",
        "Health-worker density, all simulated countries", "Density, world", "density",
        "density", "world",
    ),
    ScalarOutcome(
        "safeguards_density", MAXIMIZE,
        "doctors + nurses per 10,000 population (population-weighted)",
        "Workers present in the safeguards-list countries per 10,000 of their population: "
        "10,000 x sum(stock) / sum(population).",
        "Health-worker density in safeguards-list countries",
        "Density, safeguards-list countries", "density",
        "stock", "safeguards", per="population", scale=1e4,
    ),
    ScalarOutcome(
        "safeguards_emigration", INFO, "workers/year",
        "International departures from the safeguards-list countries during the year.",
        "Emigration from safeguards-list countries", "Emigration, safeguards-list countries",
        "workers", "emigrants", "safeguards",
    ),
    ScalarOutcome(
        "destination_immigration", INFO, "workers/year",
        "Arrivals of foreign-trained workers in the destination countries during the year.",
        "Immigration to destination countries", "Immigration, destinations", "workers",
        "immigrants", "destinations",
    ),
    ScalarOutcome(
        "destination_vacancy_rate", MINIMIZE, "% of funded posts (posts-weighted)",
        "Unfilled funded posts in the destination countries: sum(vacancies) / sum(posts).",
        "Vacancy rate in destination countries", "Vacancy rate, destinations", "share",
        "vacancies", "destinations", per="posts",
    ),
    ScalarOutcome(
        "destination_foreign_share", INFO, "% of the workforce (workforce-weighted)",
        "Share of the destinations' workforce trained abroad, weighted by each country's stock.",
        "Share of foreign-trained workers in destinations", "Foreign-trained share, destinations",
        "share", "foreign_trained_share", "destinations", weight="stock",
    ),
    ScalarOutcome(
        "rural_urban_ratio", MAXIMIZE, "rural density / urban density",
        "World rural density divided by world urban density (health workers per 10,000).",
        "Rural/urban density ratio (world)", "Rural/urban density ratio", "ratio",
        "rural_urban_ratio", "world",
    ),
    ScalarOutcome(
        "population_below_44_5", MINIMIZE, "people",
        f"Population of the countries with fewer than {SDG_THRESHOLD} doctors + nurses/midwives "
        "per 10,000 (SDG index threshold).",
        f"Population living below {SDG_THRESHOLD} health workers per 10,000",
        f"Population below {SDG_THRESHOLD} per 10,000", "people",
        "population_below_44_5", "world",
    ),
    _money("compensation_paid", "Compensation paid by destinations", "Compensation paid",
           "Compensation paid by destinations for the workers they recruited."),
    _money("compensation_received", "Compensation received by source countries",
           "Compensation received", "Compensation received by source countries."),
    _money("incentive_spending", "Incentive spending (retention pay, rural allowances)",
           "Incentive spending", "Retention pay rises and rural allowances paid."),
    _money("training_investment", "Training investment", "Training investment",
           "Domestic training expansion and training places funded under agreements."),
    _money("training_cost_emigrants_safeguards",
           "Training cost embodied in emigrants from safeguards-list countries",
           "Training cost of emigrants, safeguards-list countries",
           "Training cost of the workers who emigrated from safeguards-list countries.",
           indicator="training_cost_emigrants", countries="safeguards"),
    _money("training_cost_emigrants", "Training cost embodied in emigrants (all countries)",
           "Training cost of emigrants", "Training cost of every worker who emigrated."),
    _money("bond_buyouts", "Bond buy-outs paid by graduates", "Bond buy-outs",
           "Buy-outs paid by bonded workers who left or emigrated."),
    _money("recruitment_fees", "Recruitment fees paid by workers", "Recruitment fees",
           "Recruitment fees paid by emigrating workers."),
)  # fmt: skip
"""Every named outcome; `sim.outputs.outcomes` computes each (and only it)."""


def outcome(name: str) -> ScalarOutcome:
    """The outcome of this name."""
    for item in OUTCOMES:
        if item.name == name:
            return item
    raise KeyError(f"no outcome {name!r}")


OUTCOME_NAMES = tuple(o.name for o in OUTCOMES)
