"""Designs: the points of a sweep (grid by `itertools.product`, LHS/Sobol/Morris by SALib).

Sampled designs draw in the unit hypercube with SALib and map each column through the parameter's
distribution (inverse CDF), so every SALib sampler works with every distribution and the unit
samples are kept for the analysis (Morris elementary effects are taken in unit space).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.sweep.spec import SweepSpec

__all__ = ["Design", "build_design", "salib_problem"]


@dataclass(frozen=True)
class Design:
    """The points of a sweep, in design order (the order SALib's analysers expect)."""

    kind: str
    points: pd.DataFrame
    """One row per point, index `point_id` (0..n-1), one column per parameter path."""
    unit: np.ndarray | None
    """(n, d) samples in the unit hypercube before the distributions (None for grids)."""

    def __len__(self) -> int:
        return len(self.points)

    def params(self, point_id: int) -> dict:
        """The parameter values of one point as plain Python numbers."""
        row = self.points.loc[point_id]
        return {name: _plain(row[name]) for name in self.points.columns}


def _plain(value: object) -> int | float:
    if isinstance(value, (np.integer, int)):
        return int(value)
    return float(value)


def salib_problem(names: list[str]) -> dict:
    """The SALib problem of a sampled design: every parameter on [0, 1] (unit space)."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def build_design(spec: SweepSpec) -> Design:
    """The points of `spec.design` over `spec.parameters` (deterministic given the seed)."""
    names = spec.names
    d = spec.design
    if d.kind == "grid":
        rows = list(itertools.product(*(p.levels for p in spec.parameters)))
        frame = pd.DataFrame(rows, columns=names)
        frame = _cast(frame, spec)
        frame.index.name = "point_id"
        return Design(kind="grid", points=frame, unit=None)

    problem = salib_problem(names)
    if d.kind == "lhs":
        from SALib.sample import latin

        unit = latin.sample(problem, d.samples, seed=d.seed)
    elif d.kind == "sobol":
        from SALib.sample import sobol

        unit = sobol.sample(
            problem, d.samples, calc_second_order=d.second_order, scramble=True, seed=d.seed
        )
    elif d.kind == "morris":
        from SALib.sample import morris

        unit = morris.sample(
            problem,
            d.samples,
            num_levels=d.levels,
            optimal_trajectories=d.optimal_trajectories,
            seed=d.seed,
        )
    else:  # pragma: no cover - validated by the spec
        raise ValueError(f"unknown design kind {d.kind!r}")
    unit = np.asarray(unit, dtype=float)
    values = np.column_stack([p.transform(unit[:, j]) for j, p in enumerate(spec.parameters)])
    frame = _cast(pd.DataFrame(values, columns=names), spec)
    frame.index.name = "point_id"
    return Design(kind=d.kind, points=frame, unit=unit)


def _cast(frame: pd.DataFrame, spec: SweepSpec) -> pd.DataFrame:
    """Integer parameters as int64, the others as float64."""
    for p in spec.parameters:
        if p.integer:
            frame[p.path] = np.rint(frame[p.path].astype(float)).astype("int64")
        else:
            frame[p.path] = frame[p.path].astype("float64")
    return frame
