"""Sweep files: YAML schema, strict validation and the validated `SweepSpec`.

A sweep file names a base scenario, the parameters to vary (dotted scenario paths), a design (grid,
Latin hypercube, Sobol or Morris), the replicates per point and the scalar outcomes to keep. It is
validated as strictly as a scenario file: unknown keys get a did-you-mean hint and every error is a
`ScenarioError` naming the file, the key path and the line.

Format (every key but `parameters` and `design` optional; `base` and `outcomes` required for
`model: hrhsim`)::

    name: text                      default: the file name
    description: text
    model: hrhsim                   hrhsim (default); test models `ishigami`, `toy`; or
                                    `module:function` taking (params: dict, seed: int) -> dict
    base: ../archetypes_baseline.yaml   scenario file, relative to the sweep file (hrhsim only)
    seed: 123                       root seed (hrhsim: overrides the scenario's `seed`)
    fixed:                          constant overrides applied to the base scenario
      policies.compensation.enabled: true
    parameters:                     dotted path -> grid levels, or a range / distribution
      policies.compensation.rate: {levels: [0, 10000, 20000]}     (grid; shorthand: [0, ...])
      behaviour.wage_weight: {min: 0.5, max: 2.5}                 (uniform)
      behaviour.network_weight: {distribution: normal, mean: 0.5, sd: 0.1[, min:, max:]}
      #   distributions: uniform | loguniform (min, max) | normal (mean, sd, optional min/max:
      #   truncated) | triangular (min, max, mode) | lognormal (mean, sd of the log)
    design:
      kind: grid | lhs | sobol | morris
      samples: 256                  lhs: points; sobol: base N (a power of 2, N x (D + 2)
                                    points, N x (2D + 2) with second_order); morris: trajectories
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

import importlib
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import HrhsimError, ScenarioError, describe_value, did_you_mean
from sim.sweep.outcomes import (
    AREAS_ALL,
    CADRES_ALL,
    INDICATORS,
    OutcomeSpec,
    outcome_years,
    parse_outcomes,
)

__all__ = [
    "AREAS",
    "BUILTIN_MODELS",
    "CADRES",
    "DESIGN_KINDS",
    "DISTRIBUTIONS",
    "INDICATORS",
    "DesignSpec",
    "OutcomeSpec",
    "ParameterSpec",
    "SweepSpec",
    "load_sweep",
    "parse_sweep",
    "resolve_model",
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
DESIGN_KINDS = ("grid", "lhs", "sobol", "morris")
DESIGN_KEYS = {
    "grid": ("kind",),
    "lhs": ("kind", "samples", "seed"),
    "sobol": ("kind", "samples", "seed", "second_order"),
    "morris": ("kind", "samples", "seed", "levels", "optimal_trajectories"),
}
DISTRIBUTIONS = ("uniform", "loguniform", "normal", "triangular", "lognormal")
DIST_KEYS = {
    "uniform": ("min", "max"),
    "loguniform": ("min", "max"),
    "normal": ("mean", "sd", "min", "max"),
    "triangular": ("min", "max", "mode"),
    "lognormal": ("mean", "sd"),
}
DIST_REQUIRED = {
    "uniform": ("min", "max"),
    "loguniform": ("min", "max"),
    "normal": ("mean", "sd"),
    "triangular": ("min", "max", "mode"),
    "lognormal": ("mean", "sd"),
}
PARAM_KEYS = ("levels", "distribution", "min", "max", "mean", "sd", "mode")

BUILTIN_MODELS = {
    "ishigami": "sim.sweep.testmodels:ishigami",
    "toy": "sim.sweep.testmodels:toy",
}
"""Test models (`model: NAME`) that take (params, seed) and return a dict of outcomes."""

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

_PARAM_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*")


# --------------------------------------------------------------------------------------------------
# the validated specification


@dataclass(frozen=True)
class ParameterSpec:
    """One swept parameter: grid levels, or a distribution for sampled designs."""

    path: str
    levels: tuple | None = None
    distribution: str | None = None
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    sd: float | None = None
    mode: float | None = None
    integer: bool = False

    def transform(self, u: Any) -> Any:
        """Map unit-interval samples `u` (numpy array) to values of this parameter."""
        import numpy as np
        from scipy import stats

        u = np.asarray(u, dtype=float)
        d = self.distribution
        if d == "uniform" and self.integer:
            # Every integer from min to max equally likely (not rounding, which halves the ends).
            return np.minimum(np.floor(self.min + u * (self.max - self.min + 1)), self.max)
        if d == "uniform":
            x = self.min + u * (self.max - self.min)
        elif d == "loguniform":
            lo, hi = math.log(self.min), math.log(self.max)
            x = np.exp(lo + u * (hi - lo))
        elif d == "triangular":
            width = self.max - self.min
            x = stats.triang.ppf(u, c=(self.mode - self.min) / width, loc=self.min, scale=width)
        elif d == "normal":
            eps = 1e-12
            u = np.clip(u, eps, 1.0 - eps)
            if self.min is None and self.max is None:
                x = stats.norm.ppf(u, loc=self.mean, scale=self.sd)
            else:
                lo = -np.inf if self.min is None else (self.min - self.mean) / self.sd
                hi = np.inf if self.max is None else (self.max - self.mean) / self.sd
                x = stats.truncnorm.ppf(u, lo, hi, loc=self.mean, scale=self.sd)
        elif d == "lognormal":
            u = np.clip(u, 1e-12, 1.0 - 1e-12)
            x = np.exp(stats.norm.ppf(u, loc=self.mean, scale=self.sd))
        else:  # pragma: no cover - validated
            raise ValueError(f"no distribution for {self.path}")
        if self.integer:
            x = np.rint(x)
        return x

    def describe(self) -> dict:
        """JSON-serialisable description (for the manifest)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class DesignSpec:
    """How points are chosen: grid (product of levels) or a SALib sampler."""

    kind: str
    samples: int | None = None
    seed: int | None = None
    second_order: bool = False
    levels: int = 4
    optimal_trajectories: int | None = None

    def describe(self) -> dict:
        return asdict(self)


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


def _line_map(node: yaml.Node | None, file: str) -> dict[tuple[str, ...], int]:
    """Every key path of a composed YAML tree with its 1-based line; duplicate keys are errors."""
    lines: dict[tuple[str, ...], int] = {}
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [] if node is None else [(node, ())]
    while stack:
        n, path = stack.pop()
        if isinstance(n, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode):
                    kp = (*path, k.value)
                    if k.value in seen:
                        raise ScenarioError(
                            f"duplicate key '{k.value}'",
                            file=file,
                            key_path=".".join(kp),
                            line=k.start_mark.line + 1,
                        )
                    seen.add(k.value)
                    lines.setdefault(kp, k.start_mark.line + 1)
                    stack.append((v, kp))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                kp = (*path, str(i))
                lines.setdefault(kp, item.start_mark.line + 1)
                stack.append((item, kp))
    return lines


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

    def text(self, value: Any, path: tuple[str, ...]) -> str:
        if not isinstance(value, str):
            raise self.error(path, f"expected text, got {_describe(value)}")
        return value


# --------------------------------------------------------------------------------------------------
# models


def resolve_model(model: str) -> Callable[[dict, int], dict] | None:
    """The function of a test model (`ishigami`, `toy`, `module:function`); None for hrhsim."""
    if model == "hrhsim":
        return None
    target = BUILTIN_MODELS.get(model, model)
    module_name, _, func_name = target.partition(":")
    module = importlib.import_module(module_name)
    func = getattr(module, func_name)
    if not callable(func):
        raise TypeError(f"{target} is not callable")
    return func


# --------------------------------------------------------------------------------------------------
# parsing


def load_sweep(path: str | os.PathLike) -> SweepSpec:
    """Read and validate a sweep file; raise `ScenarioError` (file, key path, line) on problems."""
    given = Path(path)
    display = str(given)
    try:
        text = given.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("sweep file not found", file=display) from None
    except IsADirectoryError:
        raise ScenarioError("is a directory, not a sweep file", file=display) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read file: {exc}", file=display) from None
    return parse_sweep(text, file=display, path=Path(os.path.abspath(given)))


def parse_sweep(text: str, *, file: str = "<sweep>", path: Path | None = None) -> SweepSpec:
    """Validate the YAML text of a sweep file (`path` locates `base:`; default: working dir)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = ", ".join(p for p in (exc.context, exc.problem) if p) or str(exc)
        raise ScenarioError(
            f"malformed YAML: {detail}",
            file=file,
            line=None if mark is None else mark.line + 1,
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"malformed YAML: {exc}", file=file) from None
    ck = _Checker(file, _line_map(node, file))
    if data is None:
        raise ScenarioError("empty sweep file", file=file, expected="a mapping of keys")
    ck.mapping(data, (), TOP_KEYS, required=("parameters", "design"))

    name = data.get("name")
    if name is None:
        name = path.stem if path is not None else "sweep"
    name = ck.text(name, ("name",))
    description = ck.text(data.get("description", ""), ("description",))
    model = ck.text(data.get("model", "hrhsim"), ("model",))
    if model != "hrhsim":
        if model not in BUILTIN_MODELS and ":" not in model:
            raise ck.error(
                ("model",),
                f"unknown model '{model}'{_hint(model, ['hrhsim', *BUILTIN_MODELS])}",
                expected="hrhsim, " + ", ".join(BUILTIN_MODELS) + " or module:function",
            )
        try:
            resolve_model(model)
        except (ImportError, AttributeError, TypeError, ValueError) as exc:
            raise ck.error(
                ("model",),
                f"cannot load model function '{model}': {exc}",
                expected="module:function taking (params: dict, seed: int) -> dict",
            ) from None

    replicates = ck.integer(data.get("replicates", 1), ("replicates",), 1, 10000)
    seed_given = data.get("seed")
    if seed_given is not None:
        seed_given = ck.integer(seed_given, ("seed",), 0, 2**63 - 1)

    fixed = data.get("fixed") or {}
    if not isinstance(fixed, dict):
        raise ck.error(("fixed",), f"expected a mapping of dotted paths, got {_describe(fixed)}")
    for key in fixed:
        if not isinstance(key, str) or not _PARAM_RE.fullmatch(key):
            raise ck.error(("fixed", str(key)), f"invalid key path '{key}'", "a dotted path")

    design = _parse_design(ck, data["design"])
    params = _parse_parameters(ck, data["parameters"], design.kind)
    if model == "hrhsim":
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
    if model == "hrhsim":
        if "base" not in data:
            raise ck.error((), "missing required key 'base' (the base scenario file)")
        base_ref = ck.text(data["base"], ("base",))
        folder = path.parent if path is not None else Path.cwd()
        base_path = Path(os.path.abspath(folder / base_ref))
        if not base_path.is_file():
            raise ck.error(
                ("base",),
                f"base scenario not found: {base_ref} (resolved to {base_path})",
                "a scenario file path relative to the sweep file",
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


def _parse_design(ck: _Checker, value: Any) -> DesignSpec:
    path = ("design",)
    if not isinstance(value, dict):
        raise ck.error(path, f"expected a mapping, got {_describe(value)}", "design: {kind: ...}")
    if "kind" not in value:
        raise ck.error(path, "missing required key 'kind'", "one of " + ", ".join(DESIGN_KINDS))
    kind = ck.choice(value["kind"], (*path, "kind"), DESIGN_KINDS)
    allowed = DESIGN_KEYS[kind]
    for key in value:
        if key not in allowed:
            others = [k for k in sorted({k for ks in DESIGN_KEYS.values() for k in ks})]
            if key in others:
                raise ck.error(
                    (*path, str(key)),
                    f"'{key}' is not used by a {kind} design",
                    "one of " + ", ".join(allowed),
                )
            raise ck.error(
                (*path, str(key)),
                f"unknown key '{key}'{_hint(key, others)}",
                "one of " + ", ".join(allowed),
            )
    if kind == "grid":
        return DesignSpec(kind="grid")
    if "samples" not in value:
        raise ck.error(path, f"missing required key 'samples' for a {kind} design")
    samples = ck.integer(value["samples"], (*path, "samples"), 1, 10**7)
    seed = ck.integer(value.get("seed", 0), (*path, "seed"), 0, 2**32 - 1)
    if kind == "sobol":
        if samples & (samples - 1):
            raise ck.error(
                (*path, "samples"),
                f"{samples} is not a power of 2 (Sobol sequences need one)",
                "a power of 2 such as 256, 512, 1024",
            )
        second = ck.boolean(value.get("second_order", False), (*path, "second_order"))
        return DesignSpec(kind=kind, samples=samples, seed=seed, second_order=second)
    if kind == "morris":
        levels = ck.integer(value.get("levels", 4), (*path, "levels"), 2, 1000)
        if levels % 2:
            raise ck.error((*path, "levels"), f"{levels} is odd", "an even number of levels")
        opt = value.get("optimal_trajectories")
        if opt is not None:
            opt = ck.integer(opt, (*path, "optimal_trajectories"), 2, samples - 1)
        return DesignSpec(
            kind=kind, samples=samples, seed=seed, levels=levels, optimal_trajectories=opt
        )
    return DesignSpec(kind=kind, samples=samples, seed=seed)


def _parse_parameters(ck: _Checker, value: Any, kind: str) -> list[ParameterSpec]:
    path = ("parameters",)
    if not isinstance(value, dict) or not value:
        raise ck.error(
            path,
            f"expected a non-empty mapping of dotted paths, got {_describe(value)}",
            "e.g. behaviour.wage_weight: {min: 0.5, max: 2.0}",
        )
    out = []
    for key, spec in value.items():
        kp = (*path, str(key))
        if not isinstance(key, str) or not _PARAM_RE.fullmatch(key):
            raise ck.error(kp, f"invalid parameter path '{key}'", "a dotted path")
        if isinstance(spec, list):
            spec = {"levels": spec}  # shorthand: `path: [1, 2, 3]`
        ck.mapping(spec, kp, PARAM_KEYS)
        if kind == "grid":
            if "levels" not in spec:
                raise ck.error(kp, "a grid design needs 'levels' for every parameter")
            extra = [k for k in spec if k != "levels"]
            if extra:
                raise ck.error(
                    (*kp, extra[0]),
                    f"'{extra[0]}' is not used by a grid design",
                    "levels: [v1, v2, ...]",
                )
            levels = spec["levels"]
            if not isinstance(levels, list) or not levels:
                raise ck.error(
                    (*kp, "levels"), f"expected a non-empty list, got {_describe(levels)}"
                )
            for i, lv in enumerate(levels):
                ck.number(lv, (*kp, "levels", str(i)))
            if len(set(levels)) != len(levels):
                raise ck.error((*kp, "levels"), "duplicate levels")
            out.append(ParameterSpec(path=key, levels=tuple(levels)))
            continue
        if "levels" in spec:
            raise ck.error(
                (*kp, "levels"),
                f"'levels' is only used by a grid design (design is {kind})",
                "min/max or a distribution",
            )
        dist = spec.get("distribution", "uniform")
        dist = ck.choice(dist, (*kp, "distribution"), DISTRIBUTIONS)
        allowed = ("distribution", *DIST_KEYS[dist])
        for k in spec:
            if k not in allowed:
                raise ck.error(
                    (*kp, k), f"'{k}' is not used by a {dist} distribution", ", ".join(allowed)
                )
        for k in DIST_REQUIRED[dist]:
            if k not in spec:
                raise ck.error(kp, f"missing required key '{k}' for a {dist} distribution")
        nums = {k: ck.number(spec[k], (*kp, k)) for k in DIST_KEYS[dist] if k in spec}
        lo, hi = nums.get("min"), nums.get("max")
        if lo is not None and hi is not None and not lo < hi:
            raise ck.error((*kp, "max"), f"max ({hi:g}) must exceed min ({lo:g})")
        if dist == "loguniform" and lo <= 0:
            raise ck.error((*kp, "min"), "a log-uniform range needs min > 0")
        if "sd" in nums and nums["sd"] <= 0:
            raise ck.error((*kp, "sd"), "the standard deviation must be > 0")
        if dist == "triangular" and not lo <= nums["mode"] <= hi:
            raise ck.error((*kp, "mode"), "mode must lie between min and max")
        if kind == "morris" and dist not in ("uniform",):
            raise ck.error(
                (*kp, "distribution"),
                "a Morris design needs uniform parameters (min, max)",
                "uniform",
            )
        out.append(ParameterSpec(path=key, distribution=dist, **nums))
    return out


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
                "a dotted path listed by numeric_paths (e.g. behaviour.wage_weight)",
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
