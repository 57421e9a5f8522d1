"""Sweep files: YAML schema, strict validation and the validated `SweepSpec`.

A sweep file names a base scenario, the parameters to vary (dotted scenario paths), a design (grid,
Latin hypercube, Sobol or Morris), the replicates per point and the scalar outcomes to keep. It is
validated as strictly as a scenario file: unknown keys get a did-you-mean hint and every error is a
`ScenarioError` naming the file, the key path and the line.

Format (every key but `parameters` and `design` optional; `base` and `outcomes` required for
`model: hrhsim`)::

    name: text                      default: the file name
    description: text
    model: hrhsim                   hrhsim (default), or a model registered in Python with
                                    `sim.sweep.register_model` (nothing named in a file is
                                    imported)
    base: ../archetypes_baseline.yaml   scenario file, relative to the sweep file (hrhsim only)
    seed: 123                       root seed (hrhsim: overrides the scenario's `seed`)
    fixed:                          constant overrides applied to the base scenario (not seed or
                                    replicates: the sweep's own keys)
      policies.compensation.enabled: true
    parameters:                     dotted path -> grid levels, or a range / distribution
      policies.compensation.rate: {levels: [0, 10000, 20000]}     (grid; shorthand: [0, ...])
      behaviour.wage_weight: {min: 0.5, max: 2.5}                 (uniform)
      behaviour.network_weight: {distribution: normal, mean: 0.5, sd: 0.1[, min:, max:]}
      #   distributions: uniform | loguniform (min, max) | normal (mean, sd, optional min/max:
      #   truncated) | triangular (min, max, mode) | lognormal (mean, sd of the log)
    design:                         at most MAX_DESIGN_POINTS points and MAX_RUNS runs
      kind: grid | lhs | sobol | morris
      samples: 256                  lhs: points; sobol: base N (a power of 2, N x (D + 2)
                                    points, N x (2D + 2) with second_order); morris: trajectories
                                    (N x (D + 1) points)
      seed: 1                       sampler seed (default 0)
      second_order: false           sobol only
      levels: 4                     morris only (even); optimal_trajectories: morris only
    replicates: 1                   runs per point; replicate r uses SeedSequence(seed).spawn()[r]
                                    at every point (common random numbers)
    outcomes:                       scalar outcomes kept per run (test models: names only)
      - safeguards_density          an outcome of the registry (sim.declarations.OUTCOMES), by
                                    name, at the final year; the long form also takes outcome,
                                    year and stat: {name: sg_emig, outcome:
                                    safeguards_emigration, year: all, stat: sum}
      - name: rural_density         or a query of the indicator table: an identifier, the
                                    column name in the results
        indicator: density          an indicator of docs/architecture.md
        countries: safeguards       all | safeguards | destinations | high_income | low_income |
                                    world (the WLD aggregate rows) | [ISO3, ...]
        area: all                   all | urban | rural
        cadre: all                  all | doctors | nurses
        year: final                 final | all (every simulated year) | 2030 | [2025, 2030]
        stat: mean                  over the years: mean | sum | last | min | max
        combine: mean               over the countries: sum | mean (default: mean for density,
                                    vacancy_rate, foreign_trained_share, rural_urban_ratio and
                                    whenever weight: population is given; sum otherwise)
        weight: population          population | none (with combine: mean; default population)
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import (
    HrhsimError,
    ScenarioError,
    describe_value,
    did_you_mean,
    first_control_character,
)
from sim.inputs.yamlio import MAX_BYTES, check_regular_file, parse_yaml, read_yaml
from sim.sweep.models import HRHSIM, registered_models
from sim.sweep.outcomes import (
    AREAS_ALL,
    CADRES_ALL,
    INDICATORS,
    OutcomeSpec,
    outcome_years,
    parse_outcomes,
)
from sim.sweep.parameters import (
    DESIGN_KINDS,
    DISTRIBUTIONS,
    MAX_DESIGN_POINTS,
    MAX_RUNS,
    PARAM_PATH,
    DesignSpec,
    ParameterSpec,
    check_size,
    design_size,
    parse_design,
    parse_parameters,
)

__all__ = [
    "AREAS",
    "CADRES",
    "DESIGN_KINDS",
    "DISTRIBUTIONS",
    "INDICATORS",
    "MAX_DESIGN_POINTS",
    "MAX_RUNS",
    "DesignSpec",
    "OutcomeSpec",
    "ParameterSpec",
    "SweepSpec",
    "design_size",
    "load_sweep",
    "parse_sweep",
]

TOP_KEYS = (
    "name",
    "description",
    "model",
    "base",
    "seed",
    "fixed",
    "parameters",
    "design",
    "replicates",
    "outcomes",
)
MAX_REPLICATES = 10_000
"""Most replicates per point."""

AREAS = AREAS_ALL
CADRES = CADRES_ALL

RESERVED_COLUMNS = (
    "point_id",
    "replicate",
    "run_key",
    "seed",
    "elapsed_s",
    "finished",
    "worker",
)
"""Columns of every run row besides the parameters and outcomes."""


# --------------------------------------------------------------------------------------------------
# the validated specification


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file."""

    name: str
    model: str
    parameters: tuple[ParameterSpec, ...]
    design: DesignSpec
    replicates: int
    outcomes: tuple[OutcomeSpec, ...]
    seed: int
    fixed: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    path: Path | None = None
    base_path: Path | None = None
    base: Any = field(default=None, compare=False, repr=False)
    """The base `Scenario` with `fixed` applied (model hrhsim), else None."""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def names(self) -> list[str]:
        return [p.path for p in self.parameters]

    @property
    def is_hrhsim(self) -> bool:
        return self.model == "hrhsim"

    def describe(self) -> dict:
        """JSON-serialisable resolved specification (for the manifest)."""
        return {
            "name": self.name,
            "description": self.description,
            "path": None if self.path is None else str(self.path),
            "model": self.model,
            "base": None if self.base_path is None else str(self.base_path),
            "seed": self.seed,
            "fixed": dict(self.fixed),
            "parameters": [p.describe() for p in self.parameters],
            "design": self.design.describe(),
            "replicates": self.replicates,
            "outcomes": [o.describe() for o in self.outcomes],
            "file": _json_safe(dict(self.raw)),
        }


def _json_safe(value: Any) -> Any:
    """YAML data as JSON-compatible values (dates and other scalars as strings)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


# --------------------------------------------------------------------------------------------------
# helpers


_hint = did_you_mean
_describe = describe_value


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


class _Checker:
    """Builds errors that name the sweep file, the key path and its line."""

    def __init__(self, file: str, lines: dict[tuple[str, ...], int]) -> None:
        self.file = file
        self.lines = lines

    def error(self, path: tuple[str, ...], message: str, expected: str | None = None):
        line = None
        for n in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:n]))
            if line is not None:
                break
        return ScenarioError(
            message,
            file=self.file,
            key_path=".".join(path) or None,
            line=line,
            expected=expected,
        )

    def mapping(
        self,
        value: Any,
        path: tuple[str, ...],
        allowed: tuple[str, ...],
        required: tuple[str, ...] = (),
    ) -> dict:
        if not isinstance(value, dict):
            raise self.error(
                path,
                f"expected a mapping of keys, got {_describe(value)}",
                expected="keys: " + ", ".join(allowed),
            )
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                raise self.error(
                    (*path, str(key)),
                    f"unknown key '{key}'{_hint(key, allowed)}",
                    expected="one of " + ", ".join(allowed),
                )
        for key in required:
            if key not in value:
                where = ".".join(path) or "the top level"
                raise self.error(path, f"missing required key '{key}' in {where}")
        return value

    def choice(self, value: Any, path: tuple[str, ...], choices: tuple) -> Any:
        if isinstance(value, str) and value in choices:
            return value
        hint = _hint(value, choices) if isinstance(value, str) else ""
        raise self.error(
            path,
            f"invalid choice {_describe(value)}{hint}",
            expected="one of " + ", ".join(map(str, choices)),
        )

    def integer(self, value: Any, path: tuple[str, ...], lo: int, hi: int | None = None) -> int:
        expected = f"an integer >= {lo}" if hi is None else f"an integer from {lo} to {hi}"
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(path, f"expected an integer, got {_describe(value)}", expected)
        if value < lo or (hi is not None and value > hi):
            raise self.error(path, f"{value} is out of range", expected)
        return value

    def number(self, value: Any, path: tuple[str, ...]) -> float:
        if not _is_number(value):
            raise self.error(path, f"expected a number, got {_describe(value)}", "a finite number")
        return float(value)

    def boolean(self, value: Any, path: tuple[str, ...]) -> bool:
        if not isinstance(value, bool):
            raise self.error(path, f"expected true or false, got {_describe(value)}")
        return value

    def text(self, value: Any, path: tuple[str, ...], allow: str = "") -> str:
        if not isinstance(value, str):
            raise self.error(path, f"expected text, got {_describe(value)}")
        bad = first_control_character(value, allow=allow)
        if bad is not None:
            raise self.error(path, f"the text holds a control character ({bad})", "printable text")
        if len(value) > 10_000:
            raise self.error(path, f"text too long ({len(value):,} characters)", "shorter text")
        return value


# --------------------------------------------------------------------------------------------------
# parsing


def load_sweep(path: str | os.PathLike) -> SweepSpec:
    """Read and validate a sweep file; raise `ScenarioError` (file, key path, line) on problems."""
    given = Path(path)
    doc = read_yaml(given, file=str(given), what="sweep file", max_bytes=MAX_BYTES)
    return _parse(doc.data, doc.lines, file=str(given), path=Path(os.path.abspath(given)))


def parse_sweep(text: str, *, file: str = "<sweep>", path: Path | None = None) -> SweepSpec:
    """Validate the YAML text of a sweep file (`path` locates `base:`; default: working dir)."""
    doc = parse_yaml(text, file=file)
    return _parse(doc.data, doc.lines, file=file, path=path)


def _parse(data: Any, lines: dict, *, file: str, path: Path | None) -> SweepSpec:
    ck = _Checker(file, lines)
    if data is None:
        raise ScenarioError("empty sweep file", file=file, expected="a mapping of keys")
    ck.mapping(data, (), TOP_KEYS, required=("parameters", "design"))

    name = data.get("name")
    if name is None:
        name = path.stem if path is not None else "sweep"
    name = ck.text(name, ("name",))
    description = ck.text(data.get("description", ""), ("description",), allow="\n\t")
    model = ck.text(data.get("model", HRHSIM), ("model",))
    known = registered_models()
    if model not in known:
        why = (
            "; sweep files name models, they do not import them"
            if ":" in model or "." in model
            else _hint(model, known)
        )
        raise ck.error(
            ("model",),
            f"unknown model '{model}'{why}",
            expected="one of " + ", ".join(known) + " (register others with "
            "sim.sweep.register_model in Python)",
        )

    replicates = ck.integer(data.get("replicates", 1), ("replicates",), 1, MAX_REPLICATES)
    seed_given = data.get("seed")
    if seed_given is not None:
        seed_given = ck.integer(seed_given, ("seed",), 0, 2**63 - 1)

    fixed = data.get("fixed") or {}
    if not isinstance(fixed, dict):
        raise ck.error(("fixed",), f"expected a mapping of dotted paths, got {_describe(fixed)}")
    for key in fixed:
        if not isinstance(key, str) or not PARAM_PATH.fullmatch(key):
            raise ck.error(("fixed", str(key)), f"invalid key path '{key}'", "a dotted path")

    design = parse_design(ck, data["design"])
    params = parse_parameters(ck, data["parameters"], design.kind)
    check_size(ck, design, params, replicates)
    if model == HRHSIM:
        outcomes = parse_outcomes(ck, data.get("outcomes"), hrhsim=True, reserved=RESERVED_COLUMNS)
    else:
        outcomes = parse_outcomes(ck, data.get("outcomes"), hrhsim=False, reserved=RESERVED_COLUMNS)
    names = {p.path for p in params}
    for i, o in enumerate(outcomes):
        if o.name in names:
            raise ck.error(
                ("outcomes", str(i), "name"),
                f"outcome name '{o.name}' is also a parameter",
                "a name distinct from the parameters",
            )
    for p in params:
        if p.path in fixed:
            raise ck.error(
                ("fixed", p.path),
                f"'{p.path}' is both fixed and swept",
                "each path either under fixed or under parameters",
            )

    base_path = None
    base = None
    if model == HRHSIM:
        if "base" not in data:
            raise ck.error((), "missing required key 'base' (the base scenario file)")
        base_ref = ck.text(data["base"], ("base",))
        folder = path.parent if path is not None else Path.cwd()
        try:
            base_path = Path(os.path.abspath(folder / base_ref))
        except ValueError as exc:  # a NUL in the name
            raise ck.error(("base",), f"invalid file path: {exc}", "a file path") from None
        check_regular_file(
            base_path,
            file=f"{base_ref} (resolved to {base_path})",
            what="base scenario",
            referrer=(file, lines.get(("base",)), "base"),
        )
        base, params = _check_against_base(
            ck, base_path, base_ref, fixed, params, seed_given, outcomes
        )
        seed = int(base.data["seed"])
    else:
        if "base" in data:
            raise ck.error(("base",), f"'base' is only used by model hrhsim (model is '{model}')")
        seed = 20100521 if seed_given is None else seed_given

    return SweepSpec(
        name=name,
        description=description,
        model=model,
        parameters=tuple(params),
        design=design,
        replicates=replicates,
        outcomes=tuple(outcomes),
        seed=seed,
        fixed=dict(fixed),
        path=path,
        base_path=base_path,
        base=base,
        raw=data,
    )


NOT_SWEEPABLE = {
    "seed": "each replicate's seed comes from the sweep's own `seed`",
    "replicates": "use the sweep's `replicates`",
}
"""Numeric scenario keys that a sweep controls itself."""


def _check_against_base(
    ck: _Checker,
    base_path: Path,
    base_ref: str,
    fixed: dict,
    params: list[ParameterSpec],
    seed: int | None,
    outcomes: list[OutcomeSpec],
) -> tuple[Any, list[ParameterSpec]]:
    """Load the base scenario, apply `fixed`, and check every parameter path and range."""
    from sim.inputs.scenario import load_scenario, numeric_paths, schema_node, selected_countries

    display = os.path.normpath(os.path.join(os.path.dirname(ck.file), base_ref))
    base = load_scenario(display if os.path.isfile(display) else base_path)
    for key in NOT_SWEEPABLE:
        if key in fixed:
            raise ck.error(
                ("fixed", key),
                f"'{key}' cannot be fixed: {NOT_SWEEPABLE[key]}",
                f"the sweep's top-level `{key}:`",
            )
    overrides = dict(fixed)
    if seed is not None:
        overrides["seed"] = seed
    if overrides:
        base = _with_overrides(ck, base, overrides, "fixed")
    paths = numeric_paths(base)
    checked = []
    for p in params:
        kp = ("parameters", p.path)
        if p.path in NOT_SWEEPABLE:
            raise ck.error(
                kp,
                f"'{p.path}' cannot be swept: {NOT_SWEEPABLE[p.path]}",
                "a behavioural, workforce or policy parameter",
            )
        if p.path not in paths:
            hint = _hint(p.path, paths)
            try:
                schema_node(p.path)
            except ScenarioError as err:
                raise ck.error(kp, err.message, "a numeric key of the base scenario") from None
            raise ck.error(
                kp,
                f"'{p.path}' is not a numeric key of the base scenario{hint}",
                "a numeric key of the scenario (docs/scenarios.md), e.g. behaviour.wage_weight",
            )
        f = schema_node(p.path)
        integer = getattr(f, "kind", "float") in ("int", "year")
        if integer:
            p = ParameterSpec(**{**p.__dict__, "integer": True})
            if p.levels is not None and any(float(v) != int(v) for v in p.levels):
                raise ck.error((*kp, "levels"), f"'{p.path}' takes integers")
        checked.append(p)
        probe = list(p.levels) if p.levels is not None else [p.min, p.max]
        for i, v in enumerate(probe):
            if v is None:
                continue
            v = int(v) if integer else float(v)
            if p.levels is not None:
                where = (*kp, "levels", str(i))
            else:
                where = (*kp, "max" if i else "min")
            _with_overrides(ck, base, {p.path: v}, where)
    first = base.data["time"]["start_year"] - 1
    last = base.data["time"]["start_year"] + base.data["time"]["years"] - 1
    for i, o in enumerate(outcomes):
        for y in outcome_years(o):
            if not first <= y <= last:
                raise ck.error(
                    ("outcomes", str(i), "year"),
                    f"year {y} is outside the base scenario's results ({first}-{last})",
                    f"a year from {first} to {last}, `final` or `all`",
                )
        if isinstance(o.countries, tuple):
            known = selected_countries(base, "all")
            for j, code in enumerate(o.countries):
                if code not in known:
                    raise ck.error(
                        ("outcomes", str(i), "countries", str(j)),
                        f"unknown country code '{code}' in the base scenario's world"
                        f"{_hint(code, known)}",
                        "one of " + ", ".join(known) if len(known) <= 12 else "an ISO3 code",
                    )
    return base, checked


def _with_overrides(ck: _Checker, base: Any, overrides: dict, where: Any) -> Any:
    """`base.with_overrides(...)`, with errors re-pointed at the sweep file."""
    source = f"<{ck.file}>"
    try:
        return base.with_overrides(overrides, source=source)
    except HrhsimError as err:
        if err.file != source:
            raise
        if isinstance(where, tuple):
            kp = where
        else:
            key = err.key_path if err.key_path in overrides else next(iter(overrides))
            kp = (where, key)
        raise ck.error(kp, err.message, err.expected) from None
