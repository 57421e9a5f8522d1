"""Simulated values of the targets from the result tables of one replicate (and its paired runs).

A target's output (`sim.calibrate.targets.Output`) is read from the tables a run writes
(docs/architecture.md, results contract): `indicators` (long form), `flows` (international moves
by origin and destination) and, once the model writes it, `stocks` (workers by country of training
and country of work). Each measure gives one number per year; the target's year weights combine
them; a ratio divides the combined numerator by the combined denominator; a policy response is the
value in the paired policy run minus the value in the baseline run (same parameters, same seed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from sim.calibrate.targets import Measure, Target
from sim.declarations import ALL

__all__ = ["measure_by_year", "simulated_values", "target_value"]

Tables = Mapping[str, pd.DataFrame]
"""Result tables of one replicate: `indicators`, `flows` and maybe `stocks`."""


def _origin_mask(frame: pd.DataFrame, origins, place: str) -> np.ndarray:
    if origins == "all":
        return np.ones(len(frame), dtype=bool)
    if origins == "foreign":
        return (frame["origin"] != frame[place]).to_numpy()
    if origins == "own":
        return (frame["origin"] == frame[place]).to_numpy()
    return frame["origin"].isin(list(origins)).to_numpy()


def measure_by_year(tables: Tables, m: Measure) -> pd.Series:
    """The measure for every year of the tables (index: year), NaN where nothing is defined."""
    if m.source == "indicators":
        ind = tables["indicators"]
        rows = ind[
            ind["indicator"].isin(m.names)
            & ind["country"].isin(m.countries)
            & (ind["area"] == m.area)
            & (ind["cadre"] == m.cadre)
        ]
        per_country = rows.groupby(["year", "country"])["value"].sum(min_count=1)
        years = pd.Index(sorted(ind["year"].unique()), name="year")
    else:
        table = tables.get(m.source)
        if table is None:
            raise KeyError(f"the run has no {m.source} table")
        place = "destination" if m.source == "flows" else "country"
        value = "workers"
        keep = table[place].isin(m.countries).to_numpy() & _origin_mask(table, m.origins, place)
        if m.cadre != ALL:
            keep &= (table["cadre"] == m.cadre).to_numpy()
        rows = table[keep]
        per_country = rows.groupby(["year", place])[value].sum(min_count=1)
        # flows list only the pairs that moved: a year without any row is a zero, not unknown
        years = pd.Index(sorted(tables["indicators"]["year"].unique()), name="year")
    if m.combine == "sum":
        out = per_country.groupby(level=0).sum(min_count=1)
        if m.source != "indicators":
            out = out.reindex(years, fill_value=0.0)
            first = int(tables["indicators"]["year"].min())
            if m.source == "flows":  # no flows are recorded for the initial state
                out = out[out.index > first]
        return out.reindex(years)
    return per_country.groupby(level=0).mean().reindex(years)


def _combined(tables: Tables, m: Measure, weights: Iterable[tuple[int, float]]) -> float:
    series = measure_by_year(tables, m)
    total = 0.0
    for year, w in weights:
        y = year + m.year_offset
        if y not in series.index or not np.isfinite(series.loc[y]):
            return float("nan")
        total += w * float(series.loc[y])
    return total


def target_value(tables: Tables, t: Target) -> float:
    """The target's output in one run (not a response: see `simulated_values`)."""
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
    baseline = _reduced(baseline, targets)
    policies = {name: _reduced(tables, targets) for name, tables in policies.items()}
    values = {}
    for t in targets:
        assert t.output is not None
        v = target_value(baseline, t)
        if t.output.response:
            v = target_value(policies[t.output.response], t) - v
        values[t.id] = float(v)
    return values
