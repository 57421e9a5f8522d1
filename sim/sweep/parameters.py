"""The design of a sweep file: its parameters (levels or distributions) and its sampler.

`parse_parameters` and `parse_design` validate those two parts of a sweep file (with the checker
of `sim.sweep.spec`, so that errors name the file, key path and line); `check_size` refuses a
design above the caps before any point is built; `ParameterSpec.transform` maps unit-interval
samples to parameter values.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

from sim.errors import describe_value, did_you_mean

__all__ = [
    "DESIGN_KINDS",
    "DISTRIBUTIONS",
    "MAX_DESIGN_POINTS",
    "MAX_OPTIMISED_TRAJECTORIES",
    "MAX_RUNS",
    "PARAM_PATH",
    "DesignSpec",
    "ParameterSpec",
    "check_size",
    "design_size",
    "parse_design",
    "parse_parameters",
]

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
MIN_TRUNCATED_MASS = 1e-3
"""Least probability a truncated normal may keep between its `min` and `max`."""
PARAM_KEYS = ("levels", "distribution", "min", "max", "mean", "sd", "mode")

MAX_DESIGN_POINTS = 50_000
"""Most points a design may have (every point is checked against the scenario schema)."""
MAX_RUNS = 500_000
"""Most runs (points x replicates) a sweep may have."""
MAX_OPTIMISED_TRAJECTORIES = 1_000
"""Most candidate Morris trajectories when `optimal_trajectories` selects among them."""

PARAM_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*")
"""A dotted scenario path (`behaviour.wage_weight`, `policies.agreements.0.quota`)."""

_hint = did_you_mean
_describe = describe_value


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


def design_size(design: DesignSpec, n_parameters: int, levels: list[int] | None = None) -> int:
    """Number of points of a design over `n_parameters` (`levels`: grid levels per parameter)."""
    d = n_parameters
    if design.kind == "grid":
        return math.prod(levels or [])
    n = int(design.samples or 0)
    if design.kind == "sobol":
        return n * (2 * d + 2 if design.second_order else d + 2)
    if design.kind == "morris":
        return int(design.optimal_trajectories or n) * (d + 1)
    return n


def check_size(ck: Any, design: DesignSpec, params: list[ParameterSpec], replicates: int) -> None:
    """Refuse designs above the caps before any point is built."""
    levels = [len(p.levels or ()) for p in params]
    points = design_size(design, len(params), levels)
    where = ("parameters",) if design.kind == "grid" else ("design", "samples")
    if points > MAX_DESIGN_POINTS:
        raise ck.error(
            where,
            f"the {design.kind} design has {points:,} points, more than {MAX_DESIGN_POINTS:,}",
            expected=f"at most {MAX_DESIGN_POINTS:,} points (fewer levels or samples)",
        )
    if points * replicates > MAX_RUNS:
        raise ck.error(
            ("replicates",),
            f"{points:,} points x {replicates:,} replicates = {points * replicates:,} runs, "
            f"more than {MAX_RUNS:,}",
            expected=f"at most {MAX_RUNS:,} runs",
        )


def parse_design(ck: Any, value: Any) -> DesignSpec:
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
    samples = ck.integer(value["samples"], (*path, "samples"), 1, MAX_DESIGN_POINTS)
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
            if samples > MAX_OPTIMISED_TRAJECTORIES:
                raise ck.error(
                    (*path, "samples"),
                    f"{samples:,} candidate trajectories are too many to optimise",
                    f"at most {MAX_OPTIMISED_TRAJECTORIES:,} with optimal_trajectories",
                )
            if samples < 3:  # SALib picks the best among more candidates than it keeps
                raise ck.error(
                    (*path, "samples"),
                    f"optimal_trajectories picks among the {samples} candidate trajectories",
                    "samples of at least 3 with optimal_trajectories (more than it keeps)",
                )
            opt = ck.integer(opt, (*path, "optimal_trajectories"), 2, samples - 1)
        return DesignSpec(
            kind=kind, samples=samples, seed=seed, levels=levels, optimal_trajectories=opt
        )
    return DesignSpec(kind=kind, samples=samples, seed=seed)


def parse_parameters(ck: Any, value: Any, kind: str) -> list[ParameterSpec]:
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
        if not isinstance(key, str) or not PARAM_PATH.fullmatch(key):
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
            raise ck.error(
                (*kp, "max"), f"max ({hi:g}) must exceed min ({lo:g})", f"a number above {lo:g}"
            )
        if dist == "loguniform" and lo <= 0:
            raise ck.error((*kp, "min"), "a log-uniform range needs min > 0")
        if "sd" in nums and nums["sd"] <= 0:
            raise ck.error((*kp, "sd"), "the standard deviation must be > 0")
        if dist == "normal" and (lo is not None or hi is not None):
            below = -math.inf if lo is None else (lo - nums["mean"]) / nums["sd"]
            above = math.inf if hi is None else (hi - nums["mean"]) / nums["sd"]
            kept = 0.5 * (math.erf(above / math.sqrt(2.0)) - math.erf(below / math.sqrt(2.0)))
            if not kept >= MIN_TRUNCATED_MASS:
                raise ck.error(
                    kp,
                    f"min..max holds {kept:.1e} of the normal (mean {nums['mean']:g}, sd "
                    f"{nums['sd']:g}): every point would sit at a bound",
                    "a mean inside or near min..max, or a larger sd",
                )
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
