"""The scenario schema: every key a scenario file may hold, with type, default, unit, range, source.

The `behaviour`, `hazards` and `workforce` sections (the uncertainties) and the `policies` and
`adjustments` sections (the levers) are generated from the registry `sim.declarations`, their one
source; the rest (world, time, scale, engine, seed, replicates, outputs) is declared here.
`sim.inputs.scenario` validates files against `SCHEMA` and `docs/scenarios.md` is rendered from it
(`python -m sim.inputs.schema > docs/scenarios.md`). Sources cited here are listed in
`docs/ODD.md`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim import declarations as decl
from sim.declarations import AUTO_ARRAYS_THRESHOLD, CADRES, INCOME_GROUPS, SELECTOR_KEYWORDS

__all__ = ["CADRES", "INCOME_GROUPS", "SCHEMA", "SELECTOR_KEYWORDS", "Field", "ListOf"]


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
    plausible: tuple[float, float, str] | None = None
    """Plausible range of an uncertainty (`sim.declarations`): low, high and why."""


@dataclass(frozen=True)
class ListOf:
    """A list whose items are mappings following `item` (e.g. bilateral agreements)."""

    item: dict
    doc: str
    default: list = field(default_factory=list)


def _field(p: decl.Parameter) -> Field:
    """The schema field of a registry parameter."""
    plausible = None
    if isinstance(p, decl.RealParameter | decl.IntegerParameter):
        plausible = (p.low, p.high, p.range_source)
    return Field(
        p.kind,
        p.default,
        p.doc,
        unit=getattr(p, "unit", ""),
        min=getattr(p, "min", None),
        max=getattr(p, "max", None),
        choices=getattr(p, "categories", ()),
        source=getattr(p, "source", ""),
        plausible=plausible if p.name.split(".")[0] in decl.UNCERTAINTY_SECTIONS else None,
    )


def _nest(params: tuple, prefix: str) -> dict:
    """Registry parameters below `prefix` as nested schema mappings, in declaration order."""
    out: dict = {}
    for p in params:
        if not p.name.startswith(prefix):
            continue
        parts = p.name.removeprefix(prefix).split(".")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _field(p)
    return out


# fmt: off
def _dated() -> dict:
    """The `from` / `until` years every policy may carry (inclusive, calendar years)."""
    return {
        "from": Field("year", None, "First calendar year the policy is in force (null: start).",
                      nullable=True, min=1900, max=2200),
        "until": Field("year", None, "Last calendar year the policy is in force (null: horizon).",
                       nullable=True, min=1900, max=2200),
    }


def _lever(lever: decl.Lever) -> dict | ListOf:
    """A lever's section: `enabled` (unless a list), its parameters, `from` and `until`."""
    if lever.many:
        item = {**_nest(lever.parameters, lever.section + "[]."), **_dated()}
        return ListOf(item=item, doc=lever.doc)
    enabled = {"enabled": Field("bool", False, lever.doc)}
    return {**enabled, **_nest(lever.parameters, lever.section + "."), **_dated()}


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
        "start_year": Field("int", 2023, "First calendar year of the results (the first "
                            "simulated year unless `spin_up_from` is set).", unit="year",
                            min=2000, max=2100),
        "spin_up_from": Field("year", None, "Simulate from this earlier year (the world data's, "
                              "2020 for the global world) to `start_year` with no policy or "
                              "adjustment of the scenario in force, so that the state at the "
                              "start is the model's own, as in the calibration's runs; results "
                              "begin with the state at the end of the year before `start_year`. "
                              "Null: start from the data at `start_year`.", unit="year",
                              min=2000, max=2100, nullable=True),
        "years": Field("int", 10, "Number of simulated years.", unit="years", min=1, max=100),
        "steps_per_year": Field("enum", 4, "Time steps per year; annual rates become per-step "
                                "probabilities p = 1 - exp(-rate * dt).", choices=(1, 4, 12)),
    },
    "scale": {
        "workers_per_agent": Field("float", 100.0, "How many real workers one simulated worker "
                                   "stands for (1 = one agent per worker). Outputs are in workers. "
                                   "Each country's doctors and nurses round to whole agents: a "
                                   "scale that leaves no country an agent is refused, one that "
                                   "leaves a tenth of them none is warned about.",
                                   unit="workers/agent", min=1.0, max=1e6),
    },
    "engine": Field("enum", "auto", "`agents`: every worker a Mesa agent (small runs, teaching); "
                    "`arrays`: numba struct-of-arrays (large runs); `auto`: arrays above "
                    f"{AUTO_ARRAYS_THRESHOLD:,} agents. Both give identical results.",
                    choices=("auto", "agents", "arrays")),
    "seed": Field("int", 20100521, "Root seed; replicates use SeedSequence(seed).spawn(N).",
                  min=0, max=2**63 - 1),
    "replicates": Field("int", 5, "Independent replicates (different seeds).", min=1, max=10000),
    **{section: _nest(decl.UNCERTAINTIES, section + ".") for section in decl.UNCERTAINTY_SECTIONS},
    "policies": {lever.name: _lever(lever) for lever in decl.LEVERS},
    "adjustments": _lever(decl.ADJUSTMENTS),
    "uncertainty": {
        "kind": Field("enum", "stochastic", "What the replicates carry: `stochastic` (each "
                      "replicate its own seed, the parameters as set) or `parameters` (each "
                      "replicate also draws, with its own seed, one parameter vector of `sample`, "
                      "the calibration's posterior; the manifest records each draw; its "
                      "parameters may then not be set by `--set` or a sweep, as the draw "
                      "replaces them).",
                      choices=("stochastic", "parameters")),
        "sample": Field("path", None, "Posterior sample of `hrhsim calibrate` (CSV: a `draw` "
                        "column and one column per dotted parameter path, e.g. "
                        "calibration/posterior.csv), relative to the file that names it; needed "
                        "by `kind: parameters` and read only then (named by the scenario's own "
                        "file or `--set` with another kind: a warning).", nullable=True),
    },
    "outputs": {
        "csv": Field("bool", False, "Also write CSV copies of the Parquet tables."),
        "flows": Field(
            "bool", True,
            "Write flows.parquet and arrivals.parquet (the international moves by country left "
            "and by country of training).",
        ),
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
  (from 0) and must exist. A mapping given for a section (`--set "behaviour={wage_weight: 1.5}"`)
  sets its keys one by one, as `extends` merges files: the section's other keys keep their values
  (a sweep's `fixed:` and a calibration's `set:` read the same way).
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


def first_simulated_year(time: dict) -> int:
    """The first simulated calendar year of a resolved `time` section: `spin_up_from` where set
    (the spin-up's start), else `start_year`."""
    spin_up = time["spin_up_from"]
    return int(time["start_year"] if spin_up is None else spin_up)


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


def _md_rows(spec: dict, prefix: str, plausible: bool = False) -> list[str]:
    """Table rows for every field below `spec` (nested mappings flattened into dotted keys).

    With `plausible`, a column gives each uncertainty's plausible range (`sim.declarations`).
    """
    rows = []
    for key, value in spec.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Field):
            default = _md_value(value.default)
            if dotted == "name":
                default = "file name"
            elif value.default is None and not value.nullable:
                default = "required"
            cells = [f"`{dotted}`", _md_type(value), default, value.unit, _md_range(value)]
            if plausible:
                low, high, why = value.plausible or (None, None, "")
                text = "" if low is None else f"{_md_number(low)} to {_md_number(high)}"
                cells.append(f"{text}: {why}" if why else text)
            cells += [value.doc, value.source]
            rows.append("| " + " | ".join(_md_cell(cell) for cell in cells) + " |")
        elif isinstance(value, dict):
            rows.extend(_md_rows(value, dotted + ".", plausible))
    return rows


_TABLE_HEAD = [
    "| key | type | default | unit | range / choices | description | source |",
    "|---|---|---|---|---|---|---|",
]
_PLAUSIBLE_HEAD = [
    "| key | type | default | unit | range / choices | plausible range | description | source |",
    "|---|---|---|---|---|---|---|---|",
]
_PLAUSIBLE_INTRO = (
    "The plausible range of each constant (declared with its source in "
    "`sim/declarations/uncertainties.py`) is the prior of sweeps and calibration; the range / "
    "choices column is what a file may set."
)


def _md_section(title: str, spec: dict, prefix: str, intro: str = "") -> list[str]:
    out = [f"## {title}", ""]
    if intro:
        out += [intro, ""]
    section = prefix.rstrip(".")
    if section in decl.UNCERTAINTY_SECTIONS:
        out += [_PLAUSIBLE_INTRO, ""]
        return [*out, *_PLAUSIBLE_HEAD, *_md_rows(spec, prefix, plausible=True), ""]
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
