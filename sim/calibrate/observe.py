"""Simulated values of the targets from the result tables of one replicate (and its paired runs).

A target's output (`sim.calibrate.targets.Output`) is read from the tables a run writes
(docs/architecture.md, results contract): `indicators` (long form), `flows` (international moves
by country left and destination), `arrivals` (immigrants by country of training and country
entered) and `stocks` (workers by country of training and country of work). Each measure gives one
number per year; the target's year weights combine them; a ratio divides the combined numerator by
the combined denominator; a policy response is the value in the paired policy run minus the value
in the baseline run (same parameters, same seed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from sim.calibrate.targets import Measure, Target
from sim.declarations import ALL

__all__ = ["Observed", "measure_by_year", "simulated_values", "target_value"]

Tables = Mapping[str, pd.DataFrame]
"""Result tables of one replicate: `indicators`, `flows` and maybe `stocks` and `arrivals`."""


class _Columns:
    """One result table as integer codes (strings factorised once), for many measures.

    A calibration reads some hundred measures from each replicate's tables; filtering the text
    columns of a data frame once per measure cost a fifth of an evaluation.
    """

    def __init__(self, frame: pd.DataFrame, value: str) -> None:
        self.year = frame["year"].to_numpy(dtype=np.int64)
        self.value = frame[value].to_numpy(dtype=np.float64)
        self.codes: dict[str, np.ndarray] = {}
        self.lookup: dict[str, dict[str, int]] = {}
        for col in frame.columns:
            if col in ("year", value, "replicate"):
                continue
            codes, uniques = pd.factorize(frame[col])
            self.codes[col] = codes
            self.lookup[col] = {str(u): i for i, u in enumerate(uniques)}

    def isin(self, col: str, wanted) -> np.ndarray:
        """Rows whose `col` is one of `wanted` (strings)."""
        table = self.lookup[col]
        chosen = np.zeros(len(table) + 1, dtype=bool)  # the last entry: pandas' code -1 (NA)
        chosen[[table[w] for w in wanted if w in table]] = True
        return chosen[self.codes[col]]

    def same(self, col: str, other: str) -> np.ndarray:
        """Rows whose `col` and `other` hold the same string (a missing value matches none)."""
        mine = self.lookup[col]
        # other's codes in col's codes; -2 (no code) for strings col lacks and for NA (-1, last)
        translate = np.array([mine.get(name, -2) for name in self.lookup[other]] + [-2])
        return self.codes[col] == translate[self.codes[other]]


class Observed:
    """The result tables of one run, prepared for reading measures (`measure_by_year`)."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self._columns: dict[str, _Columns] = {}
        self.years = pd.Index(sorted(tables["indicators"]["year"].unique()), name="year")

    def columns(self, source: str) -> _Columns:
        if source not in self._columns:
            table = self.tables.get(source)
            if table is None:
                raise KeyError(f"the run has no {source} table")
            self._columns[source] = _Columns(
                table, "value" if source == "indicators" else "workers"
            )
        return self._columns[source]


def _origin_mask(cols: _Columns, origins, place: str) -> np.ndarray:
    if origins == "all":
        return np.ones(cols.year.shape[0], dtype=bool)
    if origins == "foreign":
        return ~cols.same("origin", place)
    if origins == "own":
        return cols.same("origin", place)
    # Listed origins count workers outside their training country (a stock's own-trained are `own`).
    return cols.isin("origin", list(origins)) & ~cols.same("origin", place)


def _group_sum(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sums of `values` by key, NaN where a key has no finite value (pandas' `min_count=1`):
    (sorted unique keys, sums)."""
    unique, inverse = np.unique(keys, return_inverse=True)
    finite = ~np.isnan(values)
    sums = np.bincount(inverse, weights=np.where(finite, values, 0.0), minlength=unique.size)
    counts = np.bincount(inverse, weights=finite, minlength=unique.size)
    return unique, np.where(counts > 0, sums, np.nan)


def measure_by_year(tables: Tables | Observed, m: Measure) -> pd.Series:
    """The measure for every year of the tables (index: year), NaN where nothing is defined.

    Per year and country the rows are summed (NaN if none is finite); countries are then summed
    (NaN if none is finite) or averaged over those with a finite value (`combine: mean`).
    """
    obs = tables if isinstance(tables, Observed) else Observed(tables)
    years = obs.years
    if m.source == "indicators":
        cols = obs.columns("indicators")
        place = "country"
        keep = cols.isin("indicator", m.names) & cols.isin("country", m.countries)
        keep &= cols.isin("area", [m.area]) & cols.isin("cadre", [m.cadre])
    else:
        cols = obs.columns(m.source)
        place = "destination" if m.source == "flows" else "country"
        keep = cols.isin(place, m.countries) & _origin_mask(cols, m.origins, place)
        if m.cadre != ALL:
            keep &= cols.isin("cadre", [m.cadre])
    year, where = cols.year[keep], cols.codes[place][keep]
    width = max(len(cols.lookup[place]), 1)
    cells, per_country = _group_sum(year * width + where, cols.value[keep])
    cell_year = cells // width
    if m.combine == "sum":
        found, totals = _group_sum(cell_year, per_country)
        out = pd.Series(totals, index=pd.Index(found, name="year"), dtype=np.float64)
        if m.source != "indicators":
            # flows list only the pairs that moved: a year without any row is a zero, not unknown
            out = out.reindex(years, fill_value=0.0)
            if m.source != "stocks":  # no flows are recorded for the initial state
                out = out[out.index > int(years.min())]
        return out.reindex(years)
    finite = ~np.isnan(per_country)
    found, totals = _group_sum(cell_year[finite], per_country[finite])
    counts = np.bincount(np.searchsorted(found, cell_year[finite]), minlength=found.size)
    means = pd.Series(totals / np.maximum(counts, 1), index=pd.Index(found, name="year"))
    return means.reindex(years)


def _combined(tables: Tables | Observed, m: Measure, weights: Iterable[tuple[int, float]]) -> float:
    series = measure_by_year(tables, m)
    total = 0.0
    for year, w in weights:
        y = year + m.year_offset
        if y not in series.index or not np.isfinite(series.loc[y]):
            return float("nan")
        total += w * float(series.loc[y])
    return total


def target_value(tables: Tables | Observed, t: Target) -> float:
    """The target's output in one run (not a response: see `simulated_values`)."""
    tables = tables if isinstance(tables, Observed) else Observed(tables)
    out = t.output
    assert out is not None
    num = _combined(tables, out.numerator, t.weights)
    if out.denominator is None:
        return out.factor * num
    den = _combined(tables, out.denominator, t.weights)
    if not np.isfinite(den) or den == 0:
        return float("nan")
    return out.factor * num / den


def _reduced(tables: Tables, targets: list[Target]) -> dict[str, pd.DataFrame]:
    """The tables cut down to the indicators and countries the targets read (a faster lookup)."""
    names, countries = set(), set()
    for t in targets:
        assert t.output is not None
        for m in t.output.measures():
            names.update(m.names)
            countries.update(m.countries)
    ind = tables["indicators"]
    keep = ind["indicator"].isin(names) & ind["country"].isin(countries)
    # every year stays known (a year without a matching row is still a simulated year)
    out = dict(tables)
    out["indicators"] = ind[keep | ~ind["year"].duplicated()]
    return out


def simulated_values(
    baseline: Tables, policies: Mapping[str, Tables], targets: Iterable[Target]
) -> dict[str, float]:
    """Every target's simulated value in one replicate: {target id: value in the target's unit}.

    `policies` holds the tables of the paired policy runs by name (same seed as `baseline`).
    """
    targets = list(targets)
    baseline = Observed(_reduced(baseline, targets))
    policies = {name: Observed(_reduced(tables, targets)) for name, tables in policies.items()}
    values = {}
    for t in targets:
        assert t.output is not None
        v = target_value(baseline, t)
        if t.output.response:
            v = target_value(policies[t.output.response], t) - v
        values[t.id] = float(v)
    return values
