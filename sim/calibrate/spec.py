"""Calibration spec files: what to calibrate, against which targets, how, and with what budget.

Format (docs/calibration.md; every key but `scenario` optional)::

    name: global                       default: the file name
    description: text
    scenario: ../scenarios/baseline.yaml   the scenario whose parameters are calibrated
    set:                               overrides of the scenario for calibration runs (not
                                       seed, replicates or uncertainty: the calibration's own)
      time.start_year: 2020
      time.years: 6
    targets: targets.csv               published figures (default: targets.csv beside the spec)
    mapping: mapping.yaml              their mapping to model outputs (default: mapping.yaml)
    parameters: all                    `all` uncertain behavioural parameters of the registry,
                                       or a list of their names (sim.declarations.UNCERTAINTIES)
    exclude: [hazards.max_age]         names left out of `all`
    seed: 1                            root seed of the designs, the runs and the sampling
    budget: {runs: 6000, hours: 2}     model runs the plan is sized to (policy runs included);
                                       wall-clock limit of one invocation (resume to go on)
    screening: {trajectories: 10, levels: 4, threshold: 0.1}     or `screening: false`
    waves: {count: 4, cutoff: 3.0, rank: 2, pool: 20000, restarts: 0, max_train: 600}
    posterior: {proposals: 20000, draws: 1000, checks: 100, replicates: 10}
    discrepancy: 0.1                   model discrepancy (relative), overrides the mapping's

Every problem is a `CalibrationError` naming the file, the key path and the line.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sim.calibrate.files import Checker, read_yaml_file
from sim.errors import CalibrationError, HrhsimError
from sim.inputs.yamlio import check_regular_file

__all__ = [
    "CalibrationSpec",
    "Posterior",
    "Prior",
    "Screening",
    "Waves",
    "calibratable_parameters",
    "load_spec",
]

TOP = (
    "name",
    "description",
    "scenario",
    "set",
    "targets",
    "mapping",
    "parameters",
    "exclude",
    "seed",
    "budget",
    "screening",
    "waves",
    "posterior",
    "discrepancy",
)


@dataclass(frozen=True)
class Screening:
    """Morris screening: trajectories x (parameters + 1) evaluations."""

    enabled: bool = True
    trajectories: int = 10
    levels: int = 4
    threshold: float = 0.1
    """A parameter is active when it moves some fitted target by at least this share of the
    target's error (observation + discrepancy) across its prior range (Morris mu*)."""


@dataclass(frozen=True)
class Waves:
    """History matching: waves of runs, emulators, implausibility cut-off."""

    count: int = 4
    cutoff: float = 3.0
    rank: int = 2
    """Which largest implausibility of a point is compared with the cut-off (1: the maximum; 2:
    the second largest, robust to one emulator's error when there are many targets)."""
    pool: int = 20000
    restarts: int = 0
    max_train: int = 600
    min_shrink: float = 0.1
    """Stop early when a wave shrinks the non-implausible volume by less than this share."""


@dataclass(frozen=True)
class Posterior:
    """Importance sampling of the last wave's emulator likelihood; simulator checks."""

    proposals: int = 20000
    draws: int = 1000
    checks: int = 100
    """Posterior draws run with the simulator (posterior predictive check, 1 replicate each)."""
    replicates: int = 10
    """Replicates at the fitted point and at the uncalibrated defaults (fit tables)."""


@dataclass(frozen=True)
class Prior:
    """Uniform priors on the plausible ranges of registry parameters."""

    names: tuple[str, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    default: tuple[float, ...]
    integer: tuple[bool, ...]
    units: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.names)

    def values(self, unit: Any) -> Any:
        """(n, d) parameter values of points in the unit cube (integers: equal-width bins)."""
        import numpy as np

        u = np.asarray(unit, dtype=float)
        lo, hi = np.asarray(self.low), np.asarray(self.high)
        integer = np.asarray(self.integer)
        x = lo + u * (hi - lo)
        xi = np.minimum(np.floor(lo + u * (hi - lo + 1)), hi)
        return np.where(integer, xi, x)

    def unit(self, values: Any) -> Any:
        """Points in the unit cube of (n, d) parameter values (clipped to the prior range)."""
        import numpy as np

        v = np.asarray(values, dtype=float)
        lo, hi = np.asarray(self.low), np.asarray(self.high)
        integer = np.asarray(self.integer)
        u = np.where(integer, (v - lo + 0.5) / (hi - lo + 1), (v - lo) / (hi - lo))
        return np.clip(u, 0.0, 1.0)

    def as_params(self, values: Any) -> dict[str, float | int]:
        """One parameter vector as {dotted path: value} for a scenario."""
        return {
            n: round(float(v)) if i else float(v)
            for n, v, i in zip(self.names, values, self.integer, strict=True)
        }

    def subset(self, keep: Any) -> Prior:
        idx = [i for i, k in enumerate(keep) if k]

        def pick(t: tuple) -> tuple:
            return tuple(t[i] for i in idx) if t else t

        return Prior(*(pick(getattr(self, f)) for f in self.__dataclass_fields__))

    def describe(self) -> list[dict]:
        return [
            {
                "name": n,
                "low": lo,
                "high": hi,
                "default": d,
                "integer": i,
                "unit": self.units[k] if self.units else "",
            }
            for k, (n, lo, hi, d, i) in enumerate(
                zip(self.names, self.low, self.high, self.default, self.integer, strict=True)
            )
        ]


@dataclass(frozen=True)
class CalibrationSpec:
    """A validated calibration spec."""

    name: str
    description: str
    path: Path
    scenario_path: Path
    overrides: dict[str, Any]
    targets_path: Path
    mapping_path: Path
    parameters: tuple[str, ...]
    seed: int
    budget_runs: int
    budget_hours: float | None
    screening: Screening
    waves: Waves
    posterior: Posterior
    discrepancy: float | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)
    lines: dict = field(default_factory=dict, compare=False, repr=False)
    """Line of each key path in the spec file (for errors found later, e.g. in `set`)."""

    def describe(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "path": str(self.path),
            "scenario": str(self.scenario_path),
            "set": dict(self.overrides),
            "targets": str(self.targets_path),
            "mapping": str(self.mapping_path),
            "parameters": list(self.parameters),
            "seed": self.seed,
            "budget": {"runs": self.budget_runs, "hours": self.budget_hours},
            "screening": asdict(self.screening),
            "waves": asdict(self.waves),
            "posterior": asdict(self.posterior),
            "discrepancy": self.discrepancy,
        }


def calibratable_parameters() -> dict[str, Any]:
    """Registry uncertainties a calibration can fit: numeric, with a plausible range low < high."""
    from sim.declarations import UNCERTAINTIES, IntegerParameter, RealParameter

    return {
        p.name: p
        for p in UNCERTAINTIES
        if isinstance(p, RealParameter | IntegerParameter) and p.low < p.high
    }


def prior_for(names: tuple[str, ...], base: Any) -> Prior:
    """Uniform priors of registry parameters; defaults are the base scenario's values."""
    from sim.declarations import IntegerParameter

    registry = calibratable_parameters()
    params = [registry[n] for n in names]
    return Prior(
        names=tuple(names),
        low=tuple(float(p.low) for p in params),
        high=tuple(float(p.high) for p in params),
        default=tuple(float(base.get(n)) for n in names),
        integer=tuple(isinstance(p, IntegerParameter) for p in params),
        units=tuple(p.unit for p in params),
        sources=tuple(p.source for p in params),
    )


def _section(ck: Checker, data: dict, key: str, cls: type, ranges: dict) -> Any:
    value = data.get(key)
    if value is None:
        return cls()
    if value is False and "enabled" in cls.__dataclass_fields__:
        return cls(enabled=False)
    fields = [f for f in cls.__dataclass_fields__ if f != "enabled"]
    ck.mapping(value, (key,), tuple(fields))
    kwargs = {}
    for name, raw in value.items():
        lo, hi, kind = ranges[name]
        if kind is int:
            kwargs[name] = ck.integer(raw, (key, name), lo, hi)
        else:
            kwargs[name] = ck.number(raw, (key, name), lo, hi)
    if cls is Screening and kwargs.get("levels", 4) % 2:
        raise ck.error((key, "levels"), "the number of Morris levels must be even")
    return cls(**kwargs)


def load_spec(path: str | os.PathLike) -> CalibrationSpec:
    """Read and validate a calibration spec (files named in it are relative to it)."""
    data, lines, shown = read_yaml_file(path, "calibration spec")
    ck = Checker(shown, lines)
    ck.mapping(data, (), TOP, required=("scenario",))
    folder = Path(os.path.abspath(path)).parent

    def file_key(key: str, default: str | None) -> Path:
        ref = data.get(key, default)
        ref = ck.text(ref, (key,))
        resolved = Path(os.path.abspath(folder / ref))
        shown = ref if Path(ref) == resolved else f"{ref} (resolved to {resolved})"
        # a regular file of readable size: a folder or a pipe is named as such, never opened
        check_regular_file(
            resolved,
            file=shown,
            error=CalibrationError,
            referrer=(ck.file, ck.lines.get((key,)), key),
        )
        return resolved

    name = ck.text(data.get("name", Path(path).stem), ("name",))
    overrides = data.get("set") or {}
    if not isinstance(overrides, dict):
        raise ck.error(("set",), "expected a mapping of dotted scenario paths to values")
    for key in overrides:
        section = str(key).split(".")[0]
        if section in NOT_SETTABLE:
            reason, expected = NOT_SETTABLE[section]
            raise ck.error(("set", str(key)), f"'{key}' cannot be set: {reason}", expected)
    registry = calibratable_parameters()
    chosen = data.get("parameters", "all")
    if chosen == "all":
        names = list(registry)
    elif isinstance(chosen, list) and chosen:
        names = []
        for i, n in enumerate(chosen):
            ck.choice(n, ("parameters", str(i)), tuple(registry))
            if n in names:
                raise ck.error(("parameters", str(i)), f"parameter {n} is listed twice")
            names.append(n)
    else:
        raise ck.error(("parameters",), "expected `all` or a list of parameter names")
    exclude = data.get("exclude") or []
    if not isinstance(exclude, list):
        raise ck.error(("exclude",), "expected a list of parameter names")
    for i, n in enumerate(exclude):
        ck.choice(n, ("exclude", str(i)), tuple(registry))
    names = [n for n in names if n not in exclude]
    if not names:
        raise ck.error(("parameters",), "no parameter left to calibrate")
    for n in names:
        if n in overrides:
            raise ck.error(("set", n), f"{n} is both calibrated and set", "one or the other")
    budget = data.get("budget") or {}
    ck.mapping(budget, ("budget",), ("runs", "hours"))
    runs = ck.integer(budget.get("runs", 2000), ("budget", "runs"), 10)
    hours = budget.get("hours")
    if hours is not None:
        hours = ck.number(hours, ("budget", "hours"), 0.0, 1000.0)
    screening = _section(
        ck,
        data,
        "screening",
        Screening,
        {"trajectories": (2, 1000, int), "levels": (2, 100, int), "threshold": (0.0, 100.0, float)},
    )
    waves = _section(
        ck,
        data,
        "waves",
        Waves,
        {
            "count": (1, 20, int),
            "cutoff": (0.5, 10.0, float),
            "rank": (1, 10, int),
            "pool": (1000, 10**6, int),
            "restarts": (0, 10, int),
            "max_train": (20, 5000, int),
            "min_shrink": (0.0, 1.0, float),
        },
    )
    posterior = _section(
        ck,
        data,
        "posterior",
        Posterior,
        {
            "proposals": (1000, 10**6, int),
            "draws": (10, 10**5, int),
            "checks": (0, 10**4, int),
            "replicates": (1, 1000, int),
        },
    )
    discrepancy = data.get("discrepancy")
    if discrepancy is not None:
        discrepancy = ck.number(discrepancy, ("discrepancy",), 0.0, 5.0)
    spec = CalibrationSpec(
        name=name,
        description=str(data.get("description", "")),
        path=Path(os.path.abspath(path)),
        scenario_path=file_key("scenario", None),
        overrides={str(k): v for k, v in overrides.items()},
        lines=dict(ck.lines),
        targets_path=file_key("targets", "targets.csv"),
        mapping_path=file_key("mapping", "mapping.yaml"),
        parameters=tuple(names),
        seed=ck.integer(data.get("seed", 1), ("seed",), 0, 2**32 - 1),
        budget_runs=runs,
        budget_hours=hours,
        screening=screening,
        waves=waves,
        posterior=posterior,
        discrepancy=discrepancy,
        raw=data,
    )
    return spec


NOT_SETTABLE = {
    "seed": (
        "the runs' seeds come from the calibration's own `seed`",
        "the calibration's top-level `seed:`",
    ),
    "replicates": (
        "the calibration decides its runs (one seed per evaluation, `posterior.replicates` "
        "for the checks)",
        "posterior: {replicates: N}",
    ),
    "uncertainty": (
        "calibration runs carry stochastic uncertainty only (the parameters are what it samples)",
        "no uncertainty key under set:",
    ),
}
"""Scenario keys (or sections) a calibration controls itself: `set` may not name them, as they
would be ignored."""


def base_scenario(spec: CalibrationSpec) -> Any:
    """The calibration's scenario: its file with `set` applied, stochastic uncertainty only."""
    from sim.inputs.scenario import load_scenario

    scenario = load_scenario(spec.scenario_path)
    overrides = {**spec.overrides}
    if "uncertainty" in scenario.data:
        overrides["uncertainty.kind"] = "stochastic"
    try:
        scenario = scenario.with_overrides(overrides, source=str(spec.path))
        prior = prior_for(spec.parameters, scenario)
        for bound in (prior.low, prior.high):  # the prior's corners are valid scenario values
            scenario.with_overrides(prior.as_params(bound), source=str(spec.path))
    except HrhsimError as err:
        key = err.key_path if err.key_path in spec.overrides else None
        line = spec.lines.get(("set", key)) or spec.lines.get(("set",))
        raise CalibrationError(
            f"the calibration scenario is invalid: {err}",
            file=str(spec.path),
            key_path=f"set.{key}" if key else "set",
            line=line,
        ) from None
    return scenario
