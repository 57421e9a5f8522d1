"""Scalar outcomes of one run: an indicator, over countries, area, cadre and years, as one number.

An outcome selects rows of the long-form indicators table (docs/architecture.md), combines the
countries of each year (`combine: sum`, or `combine: mean` weighted by population or not), then
summarises the years of the window (`stat`: mean, sum, last, min, max). Population weights are the
populations behind the densities (stock / density x 10,000 for the outcome's area), so a
population-weighted mean density equals total workers over total population.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from sim.sweep.spec import OutcomeSpec

__all__ = ["compute_outcome", "compute_outcomes", "population_weights"]

WORLD = "WLD"


def compute_outcomes(
    indicators: pd.DataFrame,
    outcomes: Iterable[OutcomeSpec],
    countries_of: Callable[[str | tuple[str, ...]], list[str]],
    start_year: int | None = None,
) -> dict[str, float]:
    """Every outcome of one replicate; `countries_of(selector)` resolves country selectors."""
    return {
        o.name: compute_outcome(indicators, o, countries_of(o.countries), start_year)
        for o in outcomes
    }


def _years(
    available: np.ndarray, year: str | int | tuple[int, int], start_year: int | None
) -> list[int]:
    if year == "final":
        return [int(available.max())]
    if year == "all":
        first = int(available.min()) if start_year is None else start_year
        return sorted(int(y) for y in available if y >= first)
    if isinstance(year, tuple):
        return [int(y) for y in available if year[0] <= y <= year[1]]
    return [int(year)] if int(year) in set(available.tolist()) else []


def population_weights(indicators: pd.DataFrame, area: str) -> pd.Series:
    """Population by (year, country) of an area: the `population` indicator of the results.

    Results without it (older runs) fall back to stock / density x 10,000, which cannot weigh
    places with no health workers.
    """
    pop = indicators[(indicators["indicator"] == "population") & (indicators["area"] == area)]
    if not pop.empty:
        return pop.groupby(["year", "country"])["value"].first()
    sel = indicators[
        indicators["indicator"].isin(("stock", "density")) & (indicators["area"] == area)
    ]
    wide = sel.pivot_table(
        index=["year", "country", "cadre"], columns="indicator", values="value", aggfunc="first"
    )
    if "stock" not in wide or "density" not in wide:
        return pd.Series(dtype=float)
    valid = wide[(wide["density"] > 0) & np.isfinite(wide["density"])]
    return (valid["stock"] / valid["density"] * 1e4).groupby(level=["year", "country"]).median()


def compute_outcome(
    indicators: pd.DataFrame,
    outcome: OutcomeSpec,
    countries: list[str],
    start_year: int | None = None,
) -> float:
    """One outcome of one replicate (NaN when no row matches).

    `start_year`: first simulated year; `year: all` covers the years from it (leaving out the
    initial state, reported as `start_year - 1`).
    """
    ind = indicators[indicators["indicator"] == outcome.indicator]
    if ind.empty:
        raise ValueError(f"indicator '{outcome.indicator}' is not in the results")
    years = _years(ind["year"].unique(), outcome.year, start_year)
    if not years:
        raise ValueError(
            f"outcome '{outcome.name}': no results in year {outcome.year} "
            f"(results cover {int(ind['year'].min())}-{int(ind['year'].max())})"
        )
    national = ind[ind["country"] != WORLD]
    if outcome.countries == "world" or (outcome.countries == "all" and national.empty):
        chosen = [WORLD]
    else:
        chosen = countries
    rows = ind[
        ind["country"].isin(chosen)
        & (ind["area"] == outcome.area)
        & (ind["cadre"] == outcome.cadre)
        & ind["year"].isin(years)
    ]
    if rows.empty:
        return float("nan")
    if outcome.combine == "sum":
        per_year = rows.groupby("year")["value"].sum()
    elif outcome.weight == "none":
        per_year = rows.groupby("year")["value"].mean()
    else:
        pop = population_weights(indicators, outcome.area)
        if pop.empty:
            pop = population_weights(indicators, "all")
        w = pop.reindex(pd.MultiIndex.from_frame(rows[["year", "country"]])).to_numpy()
        frame = pd.DataFrame(
            {"year": rows["year"].to_numpy(), "v": rows["value"].to_numpy(), "w": w}
        )
        frame = frame[np.isfinite(frame["w"]) & np.isfinite(frame["v"])]
        if frame.empty:
            return float("nan")
        frame["vw"] = frame["v"] * frame["w"]
        sums = frame.groupby("year")[["vw", "w"]].sum()
        per_year = sums["vw"] / sums["w"].where(sums["w"] > 0)
    per_year = per_year.sort_index()
    if outcome.stat == "mean":
        return float(per_year.mean())
    if outcome.stat == "sum":
        return float(per_year.sum())
    if outcome.stat == "last":
        return float(per_year.iloc[-1])
    if outcome.stat == "min":
        return float(per_year.min())
    if outcome.stat == "max":
        return float(per_year.max())
    raise ValueError(f"unknown stat {outcome.stat!r}")  # pragma: no cover - validated
