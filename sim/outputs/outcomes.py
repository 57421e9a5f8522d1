"""Outcomes: every named outcome of the registry (`sim.declarations.OUTCOMES`), computed once.

An outcome is a number per replicate and year, computed from the long indicator table
(docs/architecture.md, results contract) by the recipe its `ScalarOutcome` declares: the rows of an
indicator (area `all`, cadre `all`) for a group of countries, summed, or a ratio of sums, or a
weighted mean. The run summary (`hrhsim run`), the briefing (`sim.compare`) and sweeps all call
`outcome_values`; nothing else computes them. Results from older runs without the `population`
indicator, or without cadre `all` rows, are handled here too (the briefing reads such folders).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from sim.declarations import ALL, OUTCOMES, WORLD, ScalarOutcome, outcome
from sim.inputs.selectors import CountryGroups
from sim.outputs.indicators import RATIO_INDICATORS

__all__ = ["KEYS", "IndicatorTable", "outcome_values", "select_rows", "summarize"]

KEYS = ["replicate", "year"]
_ROW_COLUMNS = ["replicate", "year", "country", "cadre", "value"]


class IndicatorTable:
    """A long indicator table, split by indicator once, for many selections.

    The briefing and the run summary select dozens of indicators from tables of millions of rows;
    splitting once (area `all` rows only) makes each selection cost the size of one indicator.
    """

    def __init__(self, indicators: pd.DataFrame):
        self.frame = indicators
        self._rows: dict[str, np.ndarray] | None = None
        self._split: dict[str, pd.DataFrame] = {}
        self._area_all: pd.DataFrame | None = None
        self._index: pd.MultiIndex | None = None

    def _positions(self) -> dict[str, np.ndarray]:
        """The positions of each indicator's rows among the area `all` rows, in table order
        (one stable sort; each indicator's frame is taken when first asked for)."""
        if self._rows is None:
            ind = self.frame
            area_all = (ind["area"] == ALL).to_numpy()
            self._area_all = ind.loc[area_all, _ROW_COLUMNS]
            codes, names = pd.factorize(ind["indicator"][area_all])
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
            self._rows = {
                str(name): order[bounds[i] : bounds[i + 1]] for i, name in enumerate(names)
            }
        return self._rows

    def rows(self, name: str) -> pd.DataFrame:
        """Rows of one indicator, area `all`: replicate, year, country, cadre, value."""
        positions = self._positions()
        if name in positions:
            if name not in self._split:
                taken = self._area_all.iloc[positions[name]]
                self._split[name] = taken.reset_index(drop=True)
            return self._split[name]
        return pd.DataFrame(
            {
                "replicate": pd.Series(dtype="int64"),
                "year": pd.Series(dtype="int64"),
                "country": pd.Series(dtype="object"),
                "cadre": pd.Series(dtype="object"),
                "value": pd.Series(dtype="float64"),
            }
        )

    def has(self, name: str) -> bool:
        """Whether the table holds the indicator (in area `all`)."""
        return name in self._positions()

    @property
    def index(self) -> pd.MultiIndex:
        """Every (replicate, year) of the table, sorted."""
        if self._index is None:
            pairs = self.frame[KEYS].drop_duplicates().sort_values(KEYS)
            self._index = pd.MultiIndex.from_frame(pairs.astype("int64"))
        return self._index


def as_table(source: pd.DataFrame | IndicatorTable) -> IndicatorTable:
    """`source` as an `IndicatorTable` (a long DataFrame is wrapped)."""
    return source if isinstance(source, IndicatorTable) else IndicatorTable(source)


def select_rows(
    source: pd.DataFrame | IndicatorTable,
    indicator: str,
    countries: Sequence[str] | None,
    additive: bool,
) -> pd.DataFrame:
    """Rows (replicate, year, country, value) of `indicator`, area `all`, cadre `all`.

    Without `cadre == all` rows, an additive indicator is summed over the cadres.
    `countries=None` means every country but the `WLD` aggregate.
    """
    sel = as_table(source).rows(indicator)
    sel = sel[sel["country"] != WORLD] if countries is None else sel[sel["country"].isin(countries)]
    rows = sel[sel["cadre"] == ALL]
    keys = ["replicate", "year", "country"]
    if len(rows) and not rows.duplicated(keys).any():  # one row each already: nothing to sum
        return rows[[*keys, "value"]].reset_index(drop=True)
    if rows.empty and additive:
        rows = sel[sel["cadre"] != ALL]
    return (
        rows.groupby(keys, observed=True)["value"]
        .sum(min_count=1)  # an undefined value (NaN) stays undefined, never 0
        .reset_index()
    )


def _wide(
    ind: IndicatorTable,
    indicator: str,
    countries: Sequence[str] | None,
    index: pd.MultiIndex,
    *,
    additive: bool = False,
) -> pd.DataFrame:
    """`indicator` as a (replicate, year) x country table on `index`."""
    rows = select_rows(ind, indicator, countries, additive)  # one row per key and country
    wide = rows.set_index([*KEYS, "country"])["value"].unstack("country")
    wide.columns.name = "country"
    return wide.reindex(index)


def _population(
    ind: IndicatorTable,
    countries: Sequence[str] | None,
    index: pd.MultiIndex,
    stock: pd.DataFrame,
    world,
) -> pd.DataFrame:
    """Population by country: the `population` indicator, or stock * 10,000 / density.

    Where the density is zero the population is carried over from the nearest year of the same
    replicate, else taken from the world's base-year population.
    """
    if ind.has("population"):
        return _wide(ind, "population", countries, index)
    density = _wide(ind, "density", countries, index)
    pop = stock * 1e4 / density.where(density > 0)
    if pop.shape[1] == 0:
        return pop
    pop = pop.groupby(level="replicate").ffill().groupby(level="replicate").bfill()
    if world is not None and pop.isna().any().any():
        base = dict(
            zip(map(str, np.asarray(world.iso3)), np.asarray(world.population, float), strict=True)
        )
        for code in pop.columns:
            pop[code] = pop[code].fillna(base.get(code, np.nan))
    return pop


def _weighted_mean(
    ind: IndicatorTable, o: ScalarOutcome, countries: Sequence[str] | None, index: pd.MultiIndex
) -> pd.Series:
    """sum(indicator x weight) / sum(weight) over the countries (per-cadre rows if no `all`)."""
    share = select_rows(ind, o.indicator, countries, additive=False)
    weight = select_rows(ind, o.weight, countries, additive=False)
    if share.empty:  # per-cadre values only: weight each by its cadre's weight
        share, weight = (ind.rows(o.indicator), ind.rows(o.weight))
        share, weight = (t[t["cadre"] != ALL] for t in (share, weight))
        if countries is not None:
            share, weight = (t[t["country"].isin(countries)] for t in (share, weight))
        on = [*KEYS, "country", "cadre"]
    else:
        if weight.empty:
            weight = select_rows(ind, o.weight, countries, additive=True)
        on = [*KEYS, "country"]
    both = share[[*on, "value"]].merge(weight[[*on, "value"]], on=on, suffixes=("_s", "_w"))
    both["sw"] = both["value_s"] * both["value_w"]
    sums = both.groupby(KEYS)[["sw", "value_w"]].sum()
    result = sums["sw"] / sums["value_w"].where(sums["value_w"] > 0)
    result.index = result.index.set_levels([lvl.astype("int64") for lvl in result.index.levels])
    return result.reindex(index)


def _series(
    ind: IndicatorTable, o: ScalarOutcome, groups: CountryGroups, index: pd.MultiIndex
) -> pd.Series:
    """One outcome by (replicate, year), by the recipe of its declaration."""
    countries = [WORLD] if o.countries == "world" else groups.codes(o.countries)
    if o.weight is not None:
        return _weighted_mean(ind, o, countries, index)
    additive = o.indicator not in RATIO_INDICATORS
    values = _wide(ind, o.indicator, countries, index, additive=additive)
    if o.per is None:
        return values.sum(axis=1, min_count=1)
    if o.per == "population":
        per = _population(ind, countries, index, values, groups.world)
    else:
        per = _wide(ind, o.per, countries, index, additive=True)
    known = per.notna() & values.notna()
    total = per.where(known).sum(axis=1, min_count=1)
    return values.where(known).sum(axis=1, min_count=1) * o.scale / total.where(total > 0)


def outcome_values(
    indicators: pd.DataFrame | IndicatorTable,
    groups: CountryGroups,
    names: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Outcomes of every replicate and year: columns replicate, year, outcome, value.

    Args:
        indicators: a run's indicator table (all replicates), or it split once
            (`IndicatorTable`).
        groups: the run's safeguards-list countries and destinations
            (`sim.inputs.selectors.country_groups`).
        names: the outcomes to compute (default: every outcome of `sim.declarations.OUTCOMES`).
    """
    chosen = [outcome(n) for n in names] if names is not None else list(OUTCOMES)
    indicators = as_table(indicators)
    index = indicators.index
    frame = pd.DataFrame({o.name: _series(indicators, o, groups, index) for o in chosen}, index)
    frame.columns.name = "outcome"
    long = frame.stack(future_stack=True).rename("value").reset_index()
    return long.astype({"replicate": "int64", "year": "int64", "value": "float64"})


def summarize(values: pd.DataFrame, year: int) -> pd.DataFrame:
    """Median and 5-95% range across replicates of each outcome in `year`.

    Columns: outcome, median, p5, p95 (outcomes without a finite value are left out).
    """
    rows = []
    at = values[values["year"] == year]
    for name, group in at.groupby("outcome", sort=False):
        v = group["value"].to_numpy(float)
        v = v[np.isfinite(v)]
        if v.size:
            rows.append(
                {
                    "outcome": name,
                    "median": np.median(v),
                    "p5": np.percentile(v, 5),
                    "p95": np.percentile(v, 95),
                }
            )
    return pd.DataFrame(rows, columns=["outcome", "median", "p5", "p95"])
