"""The scenario schema: every key a scenario file may hold, with type, default, unit, range, source.

This module is data. `sim.inputs.scenario` validates files against it and `docs/scenarios.md` is
rendered from it (`python -m sim.inputs.schema > docs/scenarios.md`). Sources cited here are listed
in `docs/ODD.md`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CADRES = ("doctors", "nurses")
INCOME_GROUPS = ("L", "LM", "UM", "H")
SELECTOR_KEYWORDS = ("all", "none", "safeguards", "destinations", "high_income", "low_income")
"""Country selectors: one of these keywords or a list of ISO3 codes of the scenario's world."""


@dataclass(frozen=True)
class Field:
    """One leaf of the schema.

    `kind` is one of: int, float, bool, str, enum, selector (keyword or list of ISO3 codes),
    code (one ISO3 code), path (a file path relative to the scenario file), year (int or null).
    """

    kind: str
    default: Any
    doc: str
    unit: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple = ()
    source: str = ""
    nullable: bool = False


@dataclass(frozen=True)
class ListOf:
    """A list whose items are mappings following `item` (e.g. bilateral agreements)."""

    item: dict
    doc: str
    default: list = field(default_factory=list)


def _per_cadre(doctors: Any, nurses: Any, **kw: Any) -> dict:
    """A pair of fields, one per default cadre, sharing the documentation."""
    return {"doctors": Field(default=doctors, **kw), "nurses": Field(default=nurses, **kw)}


def _per_income(low: float, lower_mid: float, upper_mid: float, high: float, **kw: Any) -> dict:
    """Four fields, one per World Bank income group, sharing the documentation."""
    values = dict(zip(INCOME_GROUPS, (low, lower_mid, upper_mid, high), strict=True))
    return {g: Field(default=v, **kw) for g, v in values.items()}


# fmt: off
def _dated() -> dict:
    """The `from` / `until` years every policy may carry (inclusive, calendar years)."""
    return {
        "from": Field("year", None, "First calendar year the policy is in force (null: start).",
                      nullable=True, min=1900, max=2200),
        "until": Field("year", None, "Last calendar year the policy is in force (null: horizon).",
                       nullable=True, min=1900, max=2200),
    }


CADRE_CHOICE = Field("enum", "all", "Cadre(s) the policy applies to.", choices=("all", *CADRES))

SCHEMA: dict = {
    "name": Field("str", None, "Short name shown in results and briefings (default: file name).",
                  nullable=True),
    "description": Field("str", "", "Plain-language description of the scenario."),
    "extends": Field("path", None, "Another scenario file this one starts from (deep merge; lists "
                     "replace).", nullable=True),
    "world": {
        "kind": Field("enum", "global", "Which world: the 194 WHO Member States (`global`), the "
                      "stylised five-country world (`archetypes`) or a world file (`file`).",
                      choices=("global", "archetypes", "file")),
        "file": Field("path", None, "World file (YAML, format of sim/data/archetypes.yaml) when "
                      "`kind: file`.", nullable=True),
        "countries": Field("selector", "all", "Subset of the world's countries to simulate."),
    },
    "time": {
        "start_year": Field("int", 2023, "First simulated calendar year.", unit="year",
                            min=2000, max=2100),
        "years": Field("int", 10, "Number of simulated years.", unit="years", min=1, max=100),
        "steps_per_year": Field("enum", 4, "Time steps per year; annual rates become per-step "
                                "probabilities p = 1 - exp(-rate * dt).", choices=(1, 4, 12)),
    },
    "scale": {
        "workers_per_agent": Field("float", 100.0, "How many real workers one simulated worker "
                                   "stands for (1 = one agent per worker). Outputs are in workers.",
                                   unit="workers/agent", min=1.0, max=1e6),
    },
    "engine": Field("enum", "auto", "`agents`: every worker a Mesa agent (small runs, teaching); "
                    "`arrays`: numba struct-of-arrays (large runs); `auto`: arrays above "
                    "20,000 agents. Both give identical results.",
                    choices=("auto", "agents", "arrays")),
    "seed": Field("int", 20100521, "Root seed; replicates use SeedSequence(seed).spawn(N).",
                  min=0, max=2**63 - 1),
    "replicates": Field("int", 5, "Independent replicates (different seeds).", min=1, max=10000),
    "behaviour": {
        "reconsider_rate": Field("float", 0.25, "Rate at which a worker reconsiders their job.",
                                 unit="1/year", min=0.0, max=12.0,
                                 source="assumption; sets the speed of adjustment"),
        "wage_weight": Field("float", 1.3, "Utility per unit of log wage in emigration, return "
                             "and leaving decisions.", unit="utility/log-wage", min=0.0, max=20.0,
                             source="Antwi & Phillips 2011 (10% pay rise cut attrition ~1 pt "
                             "of 8%)"),
        "area_wage_weight": Field("float", 6.4, "Utility per unit of log wage in the urban/rural "
                                  "choice (and graduates' placement).", unit="utility/log-wage",
                                  min=0.0, max=50.0,
                                  source="Blaauw et al. 2010 (10% allowance: +15 to +17 pp rural "
                                  "uptake)"),
        "network_weight": Field("float", 0.5, "Utility per unit of log(1 + same-origin, "
                                "same-cadre workers already in the destination).",
                                unit="utility/log-workers", min=0.0, max=5.0,
                                source="Beine, Docquier & Özden 2011 (diaspora elasticity "
                                "0.4-0.7)"),
        "distance_weight": Field("float", 0.5, "Disutility per unit of log distance (km).",
                                 unit="utility/log-km", min=0.0, max=5.0,
                                 source="gravity models of migration, Mayda 2010; Grogger & "
                                 "Hanson 2011"),
        "language_weight": Field("float", 0.6, "Utility of a common official language.",
                                 unit="utility", min=0.0, max=5.0,
                                 source="Adserà & Pytliková 2015"),
        "colony_weight": Field("float", 0.4, "Utility of a past colonial relationship.",
                               unit="utility", min=0.0, max=5.0, source="Beine et al. 2011"),
        "recruitment_fee": Field("float", 0.5, "Recruitment fee paid by the worker, in annual "
                                 "source-country wages; enters utility as -wage_weight * "
                                 "log(1 + fee).", unit="annual wages", min=0.0, max=10.0,
                                 source="ILO 2019 recruitment fees surveys (fees of months to "
                                 "a year of earnings)"),
        "migrant_wage_discount": Field("float", 0.15, "Pay gap of migrant workers relative to "
                                       "natives in a destination without equal treatment.",
                                       unit="share", min=0.0, max=0.9,
                                       source="OECD/ILO evidence on migrant health-worker pay "
                                       "gaps (assumption in the 10-20% range)"),
        "emigrate_constant": Field("float", -7.0, "Alternative-specific constant of emigrating "
                                   "(per destination).", unit="utility", min=-50.0, max=50.0,
                                   source="set so baseline outflows match calibration targets "
                                   "C17-C20 in order of magnitude"),
        "move_constant": Field("float", -2.5, "Constant of moving to the other area.",
                               unit="utility", min=-50.0, max=50.0, source="assumption"),
        "return_constant": Field("float", -2.0, "Constant of a migrant returning home.",
                                 unit="utility", min=-50.0, max=50.0, source="assumption"),
        "leave_constant": Field("float", -3.5, "Constant of leaving the profession.",
                                unit="utility", min=-50.0, max=50.0,
                                source="set so voluntary leaving is ~1-2%/yr (C08, C09, C27)"),
        "outside_wage_ratio": Field("float", 0.8, "Wage outside the profession relative to the "
                                    "country's health-worker wage before policies.",
                                    unit="ratio", min=0.01, max=10.0, source="assumption"),
        "propensity_sd": Field("float", 1.0, "Standard deviation of the personal migration "
                               "propensity (logistic, drawn once per worker).", unit="utility",
                               min=0.0, max=10.0, source="assumption (taste heterogeneity)"),
    },
    "hazards": {
        "retirement_age": _per_cadre(63, 60, kind="float", doc="Age from which workers retire "
                                     "at `retirement_rate`.", unit="years", min=40, max=80,
                                     source="OECD Pensions at a Glance 2023 (normal ages 60-67)"),
        "retirement_rate": Field("float", 0.4, "Retirement rate past the retirement age.",
                                 unit="1/year", min=0.0, max=50.0, source="assumption"),
        "max_age": Field("float", 70.0, "Age at which every remaining worker retires.",
                         unit="years", min=45, max=90, source="assumption"),
        "death_rate": Field("float", 0.002, "Mortality of working-age adults.", unit="1/year",
                            min=0.0, max=1.0, source="WHO life tables, ages 25-64"),
        "exit_rate": Field("float", 0.012, "Exogenous exit from the profession (health, "
                           "family, career change).", unit="1/year", min=0.0, max=1.0,
                           source="register leaving rates 2-4%/yr (C08, C09, C27) less "
                           "retirement"),
        "entry_age": _per_cadre(27, 23, kind="float", doc="Age of new graduates.",
                                unit="years", min=16, max=40, source="typical programme lengths"),
    },
    "workforce": {
        "wage_multiple": _per_cadre(3.0, 1.3, kind="float", doc="Wage as a multiple of GDP per "
                                    "capita PPP.", unit="ratio", min=0.1, max=50.0,
                                    source="OECD Health at a Glance 2023 (remuneration of "
                                    "doctors 2-4x, nurses ~1.2x the average wage)"),
        "rural_density_ratio": _per_cadre(0.33, 0.6, kind="float", doc="Initial rural density "
                                          "relative to urban density.", unit="ratio", min=0.01,
                                          max=5.0, source="WHO 2010 rural retention "
                                          "recommendations (C22)"),
        "graduate_rate": _per_cadre(0.045, 0.055, kind="float", doc="Annual graduates as a share "
                                    "of the initial stock (training capacity).", unit="1/year",
                                    min=0.0, max=1.0, source="assumption; replacement plus "
                                    "modest growth"),
        "training_lag": _per_cadre(6, 3, kind="int", doc="Years from a training investment to "
                                   "extra graduates.", unit="years", min=0, max=15,
                                   source="length of medical and nursing programmes"),
        "training_cost": _per_cadre(10.0, 4.0, kind="float", doc="Cost of training one graduate "
                                    "as a multiple of GDP per capita PPP.", unit="ratio",
                                    min=0.01, max=100.0, source="Mills et al. 2011 (BMJ)"),
        "initial_vacancy_rate": _per_income(-0.10, -0.05, 0.02, 0.08, kind="float",
                                            doc="Funded posts relative to the initial stock, "
                                            "minus one (negative: more trained workers than "
                                            "posts).", unit="share", min=-0.9, max=2.0,
                                            source="NHS vacancy statistics (~8-10%); "
                                            "unemployment of trained nurses in source countries"),
        "demand_growth": _per_income(0.01, 0.015, 0.015, 0.01, kind="float",
                                     doc="Growth of funded posts per year on top of population "
                                     "growth.", unit="1/year", min=-0.5, max=0.5,
                                     source="Liu et al. 2017 (global demand projections to "
                                     "2030)"),
        "destinations": Field("selector", "high_income", "Countries that recruit "
                              "internationally (open international posts)."),
        "recruitment_intensity": Field("float", 0.5, "Share of a destination's vacancies "
                                       "opened to international recruitment per year.",
                                       unit="1/year", min=0.0, max=12.0,
                                       source="UK: ~25k international nurse joiners vs ~45k "
                                       "vacancies (C02-C04)"),
        "foreign_share_default": _per_cadre(0.19, 0.09, kind="float", doc="Initial share of "
                                            "foreign-trained workers in destinations without "
                                            "OECD bilateral data (distributed over origins by "
                                            "UN DESA migrant stocks).", unit="share", min=0.0,
                                            max=0.95, source="OECD Health at a Glance 2023 "
                                            "(C14, C15)"),
    },
    "policies": {
        "ethical_recruitment": {
            "enabled": Field("bool", False, "No active recruitment from protected countries."),
            "destinations": Field("selector", "destinations", "Countries applying the rule."),
            "protected": Field("selector", "safeguards", "Countries not actively recruited from."),
            "passive_rate": Field("float", 0.3, "Share of applicants from protected countries "
                                  "who still obtain a post by applying on their own.",
                                  unit="share", min=0.0, max=1.0,
                                  source="assumption; post-2001 UK experience of passive routes"),
            **_dated(),
        },
        "fee_free_recruitment": {
            "enabled": Field("bool", False, "Recruitment free of charge to workers."),
            "destinations": Field("selector", "destinations", "Destinations where employers pay "
                                  "the fees."),
            **_dated(),
        },
        "equal_treatment": {
            "enabled": Field("bool", False, "Migrant pay equals native pay (no wage discount)."),
            "destinations": Field("selector", "destinations", "Destinations applying it."),
            **_dated(),
        },
        "agreements": ListOf(
            item={
                "source": Field("code", None, "Source country (ISO3)."),
                "destination": Field("code", None, "Destination country (ISO3)."),
                "cadre": CADRE_CHOICE,
                "quota": Field("float", 1000.0, "Workers per year recruited first under the "
                               "agreement (within the destination's international posts).",
                               unit="workers/year", min=0.0, max=1e7),
                "fee_free": Field("bool", True, "Recruitment under the agreement is free of "
                                  "charge to workers."),
                "training_places": Field("float", 0.0, "Extra graduates per year trained in the "
                                         "source, funded by the destination (after the training "
                                         "lag).", unit="graduates/year", min=0.0, max=1e7),
                "contract_years": Field("float", 0.0, "Fixed-term (circular) contract length; 0 "
                                        "means permanent.", unit="years", min=0.0, max=40.0),
                "return_probability": Field("float", 0.7, "Probability that a worker returns "
                                            "home at the end of a fixed-term contract.",
                                            unit="probability", min=0.0, max=1.0,
                                            source="assumption"),
                **_dated(),
            },
            doc="Bilateral agreements, each for one corridor (source -> destination).",
        ),
        "compensation": {
            "enabled": Field("bool", False, "Destinations pay sources per worker recruited."),
            "payers": Field("selector", "destinations", "Destinations that pay."),
            "recipients": Field("selector", "safeguards", "Source countries that are paid."),
            "rate": Field("float", 20000.0, "Payment per worker recruited.", unit="int$ PPP",
                          min=0.0, max=1e7, source="assumption; order of a nurse's training cost "
                          "in low-income countries"),
            "use": Field("enum", "training", "What the source spends it on: more graduates "
                         "(after the training lag) or retention pay.",
                         choices=("training", "retention")),
            **_dated(),
        },
        "retention": {
            "enabled": Field("bool", False, "Retention pay and working conditions."),
            "countries": Field("selector", "safeguards", "Countries applying it."),
            "cadres": CADRE_CHOICE,
            "pay_rise": Field("float", 0.10, "Pay rise.", unit="share of wage", min=0.0,
                              max=5.0, source="Ghana 2006 reform (Antwi & Phillips 2011)"),
            "conditions": Field("float", 0.0, "Improvement of working conditions, in log-wage "
                                "equivalents.", unit="log-wage", min=-2.0, max=2.0),
            **_dated(),
        },
        "rural_allowance": {
            "enabled": Field("bool", False, "Allowance paid to rural workers."),
            "countries": Field("selector", "safeguards", "Countries applying it."),
            "cadres": CADRE_CHOICE,
            "allowance": Field("float", 0.10, "Rural allowance.", unit="share of wage", min=0.0,
                               max=5.0, source="Blaauw et al. 2010"),
            **_dated(),
        },
        "bonding": {
            "enabled": Field("bool", False, "Compulsory service for new graduates, with buy-out."),
            "countries": Field("selector", "safeguards", "Countries applying it."),
            "cadres": CADRE_CHOICE,
            "years": Field("float", 3.0, "Length of the bond.", unit="years", min=0.0, max=20.0,
                           source="typical bonding schemes (Frehywot et al. 2010)"),
            "buyout": Field("float", 1.0, "Buy-out price of the bond.", unit="annual wages",
                            min=0.0, max=50.0, source="Frehywot et al. 2010"),
            "rural_service": Field("bool", True, "Bonded graduates serve in rural areas and may "
                                   "not move to urban posts while bonded."),
            **_dated(),
        },
        "domestic_training": {
            "enabled": Field("bool", False, "Expansion of domestic training (self-sufficiency)."),
            "countries": Field("selector", "destinations", "Countries expanding training."),
            "cadres": CADRE_CHOICE,
            "expansion": Field("float", 0.25, "Increase of graduate output (after the training "
                               "lag).", unit="share", min=0.0, max=10.0),
            **_dated(),
        },
    },
    "adjustments": ListOf(
        item={
            "countries": Field("selector", "none", "Countries the adjustment applies to."),
            "demand_multiplier": Field("float", 1.0, "Multiplier on funded posts (a demand "
                                       "surge or cut).", unit="ratio", min=0.0, max=10.0),
            "recruitment_multiplier": Field("float", 1.0, "Multiplier on international "
                                            "recruitment (0 closes the visa route).",
                                            unit="ratio", min=0.0, max=100.0),
            "wage_multiplier": Field("float", 1.0, "Multiplier on wages.", unit="ratio",
                                     min=0.01, max=100.0),
            **_dated(),
        },
        doc="Dated exogenous changes to country parameters.",
    ),
    "outputs": {
        "csv": Field("bool", False, "Also write CSV copies of the Parquet tables."),
        "flows": Field("bool", True, "Write flows.parquet (origin x destination flows)."),
    },
}
# fmt: on


# --------------------------------------------------------------------------------------------------
# reference documentation (docs/scenarios.md is generated from here)

EXAMPLE_SCENARIO = """\
# scenarios/example.yaml: a variant of a baseline file in the same folder
extends: baseline.yaml
name: ethical-recruitment-2027
description: >
  No active recruitment from safeguards-list countries from 2027, plus a
  fee-free bilateral agreement for nurses.
world:
  kind: archetypes
time:
  start_year: 2025
  years: 15
policies:
  ethical_recruitment:
    enabled: true
    from: 2027
  agreements:
    - source: XSR
      destination: XDA
      cadre: nurses
      quota: 500
      training_places: 200
      from: 2026
      until: 2035
  retention:
    enabled: true
    countries: [XSR, XEX]
    pay_rise: 0.15
"""
"""The example shown in docs/scenarios.md (archetype world codes; `baseline.yaml` is its parent)."""

_KIND_NAMES = {
    "int": "integer",
    "float": "number",
    "bool": "true/false",
    "str": "text",
    "enum": "choice",
    "selector": "countries",
    "code": "ISO3 code",
    "path": "file path",
    "year": "year",
}

_INTRO = """\
# Scenario file reference

<!-- Generated by `python -m sim.inputs.schema > docs/scenarios.md` from sim/inputs/schema.py:
edit the schema, not this file. A test checks that the two agree. -->

A scenario is a YAML file (read with `yaml.safe_load`) that says which world to simulate, for how
long, with which behavioural parameters and which policy levers of the WHO Global Code of Practice.
Every key is optional: missing keys take the defaults below. Validate a file with
`hrhsim validate FILE`; errors name the file, the line, the key path and what was expected.

## Rules

- **Strict keys.** Unknown keys are errors, with a "did you mean" hint. Types are strict: `true` is
  not a number, `3.0` is not an integer (write `3`), an integer is accepted where a number is
  expected. Numbers must lie in the range shown.
- **`extends: other.yaml`** starts from another scenario (the path is relative to the extending
  file). Mappings merge key by key, recursively; lists (agreements, adjustments, country lists)
  replace the parent's list as a whole; the extending file wins. Chains (`c` extends `b` extends
  `a`) are allowed, cycles are errors. `name` is not inherited: a scenario without a `name` is named
  after its file.
- **`--set PATH=VALUE`** on the command line overrides one key after `extends` is resolved and
  before validation, e.g. `--set behaviour.wage_weight=1.5`, `--set time.years=20`,
  `--set policies.compensation.enabled=true`, `--set policies.agreements.0.quota=800`,
  `--set "world.countries=[XSR, XDA]"`. VALUE is read as YAML. List items are addressed by index
  (from 0) and must exist.
- **Country selectors** (type *countries*) are one of the keywords `all`, `none`, `safeguards`
  (WHO health workforce support and safeguards list 2023), `destinations` (the countries chosen by
  `workforce.destinations`), `high_income` (World Bank income group H), `low_income` (group L), or a
  list of ISO3 codes of the scenario's world, e.g. `[KEN, GHA, ZWE]` (one country: `[KEN]`). Codes
  are checked against the world; the archetype world's codes are `XSR`, `XEX`, `XMI`, `XDA`, `XDB`.
- **Dated policies.** Every policy and adjustment may carry `from` and `until` (calendar years,
  inclusive; `null` means the start or the end of the run), so a lever can switch on in 2027 or an
  agreement end in 2032. `from` must not be after `until`.
- **File paths** (`extends`, `world.file`) are relative to the file that names them.
- Rates are per year; the model turns them into per-step probabilities `p = 1 - exp(-rate * dt)`.
  Money is in international dollars (PPP).
"""


def _md_value(value: Any) -> str:
    """A default or choice as it is written in YAML."""
    if value is None:
        return "`null`"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, float):
        return f"`{int(value)}`" if value.is_integer() and abs(value) < 1e15 else f"`{value!r}`"
    if isinstance(value, int):
        return f"`{value}`"
    if value == "":
        return '`""`'
    if isinstance(value, list):
        return "`[]`" if not value else "`" + str(value) + "`"
    return f"`{value}`"


def _md_number(value: float) -> str:
    """A range bound: integers as written, round floats with thousands separators."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}" if abs(value) >= 1e4 else str(int(value))
    return f"{value:g}"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_range(f: Field) -> str:
    if f.choices:
        return ", ".join(_md_value(c) for c in f.choices)
    if f.kind == "selector":
        return "keyword or list of ISO3 codes"
    if f.min is not None or f.max is not None:
        low = _md_number(f.min) if f.min is not None else "-inf"
        high = _md_number(f.max) if f.max is not None else "inf"
        return f"{low} to {high}"
    return ""


def _md_type(f: Field) -> str:
    name = _KIND_NAMES.get(f.kind, f.kind)
    return f"{name} or null" if f.nullable else name


def _md_rows(spec: dict, prefix: str) -> list[str]:
    """Table rows for every field below `spec` (nested mappings flattened into dotted keys)."""
    rows = []
    for key, value in spec.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Field):
            default = _md_value(value.default)
            if dotted == "name":
                default = "file name"
            elif value.default is None and not value.nullable:
                default = "required"
            rows.append(
                "| "
                + " | ".join(
                    _md_cell(cell)
                    for cell in (
                        f"`{dotted}`",
                        _md_type(value),
                        default,
                        value.unit,
                        _md_range(value),
                        value.doc,
                        value.source,
                    )
                )
                + " |"
            )
        elif isinstance(value, dict):
            rows.extend(_md_rows(value, dotted + "."))
    return rows


_TABLE_HEAD = [
    "| key | type | default | unit | range / choices | description | source |",
    "|---|---|---|---|---|---|---|",
]


def _md_section(title: str, spec: dict, prefix: str, intro: str = "") -> list[str]:
    out = [f"## {title}", ""]
    if intro:
        out += [intro, ""]
    return [*out, *_TABLE_HEAD, *_md_rows(spec, prefix), ""]


def render_markdown() -> str:
    """The scenario reference (docs/scenarios.md) rendered from `SCHEMA`."""
    lines = [_INTRO]
    top = {k: v for k, v in SCHEMA.items() if isinstance(v, Field)}
    lines += _md_section("General", top, "")
    for section, spec in SCHEMA.items():
        if isinstance(spec, Field):
            continue
        if isinstance(spec, ListOf):
            intro = (
                f"{spec.doc} A list (default `[]`); each item is a mapping with the keys below, "
                f"addressed as `{section}.0.KEY`, `{section}.1.KEY`, ... in `--set`."
            )
            lines += _md_section(f"`{section}` (list)", spec.item, f"{section}[].", intro)
            continue
        if section != "policies":
            lines += _md_section(f"`{section}`", spec, f"{section}.")
            continue
        lines += [
            "## `policies`",
            "",
            "The levers of the WHO Global Code of Practice. Every lever is off "
            "(`enabled: false`) by default and may be dated with `from` / `until`.",
            "",
        ]
        for name, policy in spec.items():
            if isinstance(policy, ListOf):
                intro = (
                    f"{policy.doc} A list (default `[]`); each item is a mapping with the keys "
                    f"below (`source` and `destination` are required), addressed as "
                    f"`policies.{name}.0.KEY` in `--set`."
                )
                head = [f"### `policies.{name}` (list)", "", intro, ""]
                lines += [*head, *_TABLE_HEAD, *_md_rows(policy.item, f"policies.{name}[]."), ""]
            else:
                head = [f"### `policies.{name}`", ""]
                lines += [*head, *_TABLE_HEAD, *_md_rows(policy, f"policies.{name}."), ""]
    lines += [
        "## Example",
        "",
        "```yaml",
        EXAMPLE_SCENARIO.rstrip("\n"),
        "```",
        "",
        "Check it, and a variant with a longer horizon, with:",
        "",
        "```sh",
        "hrhsim validate scenarios/example.yaml",
        "hrhsim validate scenarios/example.yaml --set time.years=25",
        "```",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_markdown())
