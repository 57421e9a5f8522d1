"""Scalar outcomes of a sweep run: their declaration in a sweep file, and their computation.

A sweep outcome is either

- a **registry outcome** (`sim.declarations.OUTCOMES`, e.g. `safeguards_density`), named by
  `outcome:` (or by its `name` alone, or as a bare string in the list), computed per year by
  `sim.outputs.outcomes` — the same numbers as the run summary and the briefing; or
- a **query** of the long-form indicator table (docs/architecture.md): the rows of `indicator` for
  `countries`, `area` and `cadre`, combined over countries each year (`combine: sum`, or
  `combine: mean` weighted by population or not). Population weights are the populations behind
  the densities, so a population-weighted mean density equals total workers over total population.

Either way the years of the window (`year`) are then summarised by `stat` (mean, sum, last, min,
max).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.declarations import ALL, AREAS, CADRES, OUTCOME_NAMES, WORLD
from sim.errors import describe_value, did_you_mean
from sim.outputs.indicators import INDICATOR_NAMES, RATIO_INDICATORS, WORLD_ROWS

__all__ = [
    "AREAS_ALL",
    "CADRES_ALL",
    "COUNTRY_KEYWORDS",
    "INDICATORS",
    "OutcomeSpec",
    "compute_outcome",
    "compute_outcomes",
    "parse_outcomes",
    "population_weights",
    "scenario_countries",
]

OUTCOME_KEYS = (
    "name",
    "outcome",
    "indicator",
    "countries",
    "area",
    "cadre",
    "year",
    "stat",
    "combine",
    "weight",
)
AREAS_ALL = (ALL, *AREAS)
CADRES_ALL = (ALL, *CADRES)
STATS = ("mean", "sum", "last", "min", "max")
COMBINES = ("sum", "mean")
WEIGHTS = ("population", "none")
COUNTRY_KEYWORDS = ("all", "safeguards", "destinations", "high_income", "low_income", "world")
"""`world` picks the global-aggregate rows (country `WLD`)."""
INDICATORS = INDICATOR_NAMES
"""Indicator names of docs/architecture.md."""
_QUERY_KEYS = ("indicator", "countries", "area", "cadre", "combine", "weight")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ISO3_RE = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class OutcomeSpec:
    """One scalar outcome extracted from a run (for `model: hrhsim`, from the indicators).

    `outcome` names a registry outcome; otherwise `indicator` ... `weight` describe a query.
    """

    name: str
    indicator: str | None = None
    countries: str | tuple[str, ...] = "all"
    area: str = "all"
    cadre: str = "all"
    year: str | int | tuple[int, int] = "final"
    stat: str = "mean"
    combine: str = "sum"
    weight: str = "none"
    outcome: str | None = None

    def describe(self) -> dict:
        """JSON-serialisable description (for the manifest)."""
        out = asdict(self)
        for k in ("countries", "year"):
            if isinstance(out[k], tuple):
                out[k] = list(out[k])
        return out


# --------------------------------------------------------------------------------------------------
# declaration in a sweep file


def parse_outcomes(ck: Any, value: Any, *, hrhsim: bool, reserved: tuple[str, ...]) -> list:
    """The `outcomes` list of a sweep file, validated with the sweep file's checker `ck`.

    `reserved` are column names of every run row that an outcome may not take.
    """
    path = ("outcomes",)
    if value is None:
        if hrhsim:
            raise ck.error((), "missing required key 'outcomes'", "a list of {name, indicator}")
        return []
    if not isinstance(value, list) or not value:
        raise ck.error(path, f"expected a non-empty list, got {describe_value(value)}")
    out: list[OutcomeSpec] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        kp = (*path, str(i))
        if isinstance(item, str):
            if hrhsim and item not in OUTCOME_NAMES:
                raise ck.error(
                    kp,
                    f"unknown outcome '{item}'{did_you_mean(item, OUTCOME_NAMES)}",
                    "a registry outcome (sim/declarations/outcomes.py) or {name, indicator: ...}",
                )
            item = {"name": item}
        ck.mapping(item, kp, OUTCOME_KEYS if hrhsim else ("name",), required=("name",))
        name = ck.text(item["name"], (*kp, "name"))
        if not _NAME_RE.fullmatch(name) or name in reserved:
            raise ck.error(
                (*kp, "name"),
                f"invalid outcome name '{name}'",
                "an identifier (letters, digits, _) other than " + ", ".join(reserved),
            )
        if name in seen:
            raise ck.error((*kp, "name"), f"duplicate outcome name '{name}'")
        seen.add(name)
        if not hrhsim:
            out.append(OutcomeSpec(name=name))
        elif "indicator" in item or ("outcome" not in item and name not in OUTCOME_NAMES):
            out.append(_parse_query(ck, item, kp, name))
        else:
            out.append(_parse_registry(ck, item, kp, name))
    return out


def _parse_year(ck: Any, item: dict, kp: tuple[str, ...]) -> str | int | tuple[int, int]:
    year = item.get("year", "final")
    if isinstance(year, list):
        if len(year) != 2:
            raise ck.error((*kp, "year"), "a year window is [from, to]", "[from, to]")
        y0 = ck.integer(year[0], (*kp, "year", "0"), 1900, 2300)
        y1 = ck.integer(year[1], (*kp, "year", "1"), 1900, 2300)
        if y1 < y0:
            raise ck.error((*kp, "year"), f"window end {y1} is before its start {y0}")
        return (y0, y1)
    if isinstance(year, int) and not isinstance(year, bool):
        return ck.integer(year, (*kp, "year"), 1900, 2300)
    if year not in ("final", "all"):
        raise ck.error(
            (*kp, "year"),
            f"invalid year {describe_value(year)}{did_you_mean(year, ('final', 'all'))}",
            "final, all, a year, or a window [from, to]",
        )
    return year


def _parse_registry(ck: Any, item: dict, kp: tuple[str, ...], name: str) -> OutcomeSpec:
    """A registry outcome: `outcome` (default: the name), `year` and `stat` only."""
    registry = ck.choice(item.get("outcome", name), (*kp, "outcome"), OUTCOME_NAMES)
    for key in _QUERY_KEYS:
        if key in item:
            raise ck.error(
                (*kp, key),
                f"'{key}' is not used with the registry outcome '{registry}'",
                "outcome, year and stat (or an indicator query without outcome)",
            )
    stat = ck.choice(item.get("stat", "mean"), (*kp, "stat"), STATS)
    return OutcomeSpec(name=name, outcome=registry, year=_parse_year(ck, item, kp), stat=stat)


def _parse_query(ck: Any, item: dict, kp: tuple[str, ...], name: str) -> OutcomeSpec:
    """An indicator query: indicator, countries, area, cadre, year, stat, combine, weight."""
    if "outcome" in item:
        raise ck.error((*kp, "outcome"), "give either `outcome` or `indicator`, not both")
    if "indicator" not in item:
        raise ck.error(kp, "missing required key 'indicator'", "an indicator name")
    indicator = ck.choice(item["indicator"], (*kp, "indicator"), INDICATORS)
    countries = item.get("countries", "all")
    if isinstance(countries, list):
        if not countries:
            raise ck.error((*kp, "countries"), "empty country list")
        for j, code in enumerate(countries):
            if not isinstance(code, str) or not _ISO3_RE.fullmatch(code):
                raise ck.error(
                    (*kp, "countries", str(j)),
                    f"expected an ISO3 code, got {describe_value(code)}",
                    "an ISO3 code such as KEN",
                )
        countries = tuple(countries)
    else:
        countries = ck.choice(countries, (*kp, "countries"), COUNTRY_KEYWORDS)
    area = ck.choice(item.get("area", "all"), (*kp, "area"), AREAS_ALL)
    cadre = ck.choice(item.get("cadre", "all"), (*kp, "cadre"), CADRES_ALL)
    if countries == "world":  # the world's rows: a few indicators, area all (WORLD_ROWS)
        if indicator not in WORLD_ROWS:
            raise ck.error(
                (*kp, "indicator"),
                f"'{indicator}' has no world total",
                "with countries: world, one of "
                + ", ".join(WORLD_ROWS)
                + " (or countries: all to combine every country)",
            )
        if area != "all" or cadre not in WORLD_ROWS[indicator]:
            raise ck.error(
                (*kp, "area" if area != "all" else "cadre"),
                f"the world total of '{indicator}' exists for area all and cadre "
                + " or ".join(WORLD_ROWS[indicator])
                + " only",
                "area: all (countries: all with area: rural combines every country)",
            )
    year = _parse_year(ck, item, kp)
    stat = ck.choice(item.get("stat", "mean"), (*kp, "stat"), STATS)
    weighted = item.get("weight") == "population"
    default_combine = "mean" if indicator in RATIO_INDICATORS or weighted else "sum"
    combine = ck.choice(item.get("combine", default_combine), (*kp, "combine"), COMBINES)
    weight = ck.choice(
        item.get("weight", "population" if combine == "mean" else "none"),
        (*kp, "weight"),
        WEIGHTS,
    )
    if combine == "sum" and weight != "none":
        raise ck.error(
            (*kp, "weight"),
            "weights only apply when countries are combined by a mean",
            "weight: none, or combine: mean",
        )
    return OutcomeSpec(
        name=name,
        indicator=indicator,
        countries=countries,
        area=area,
        cadre=cadre,
        year=year,
        stat=stat,
        combine=combine,
        weight=weight,
    )


def outcome_years(o: OutcomeSpec) -> list[int]:
    """The explicit years an outcome names (to check against a scenario's period)."""
    if isinstance(o.year, int):
        return [o.year]
    if isinstance(o.year, tuple | list):
        return list(o.year)
    return []


# --------------------------------------------------------------------------------------------------
# computation


def scenario_countries(scenario: Any) -> Callable[[str | tuple[str, ...]], list[str]]:
    """The resolver of an outcome's `countries` for a scenario (`sim.inputs.selectors`)."""
    from sim.inputs.selectors import scenario_world, selector_codes

    data = scenario.data

    def countries_of(selector: str | tuple[str, ...]) -> list[str]:
        if isinstance(selector, tuple):
            return list(selector)
        if selector == "world":
            return [WORLD]
        return selector_codes(selector, data, scenario_world(data))

    return countries_of


def compute_outcomes(
    indicators: pd.DataFrame,
    outcomes: Iterable[OutcomeSpec],
    countries_of: Callable[[str | tuple[str, ...]], list[str]],
    start_year: int | None = None,
) -> dict[str, float]:
    """Every outcome of one replicate; `countries_of(selector)` resolves country selectors."""
    return {o.name: _compute(indicators, o, countries_of, start_year) for o in outcomes}


def _compute(indicators, o: OutcomeSpec, countries_of, start_year: int | None) -> float:
    if o.outcome is None:
        return compute_outcome(indicators, o, countries_of(o.countries), start_year)
    from sim.inputs.selectors import CountryGroups
    from sim.outputs.outcomes import outcome_values

    groups = CountryGroups(tuple(countries_of("safeguards")), tuple(countries_of("destinations")))
    values = outcome_values(indicators, groups, [o.outcome])
    per_year = values.groupby("year")["value"].sum(min_count=1)
    years = _years(per_year.index.to_numpy(), o.year, start_year)
    if not years:
        raise ValueError(f"outcome '{o.name}': no results in year {o.year}")
    return _summarise(o.stat, per_year.loc[years].sort_index())


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


def _summarise(stat: str, per_year: pd.Series) -> float:
    """The values of the window's years (in year order) summarised by `stat`."""
    if stat == "mean":
        return float(per_year.mean())
    if stat == "sum":
        return float(per_year.sum())
    if stat == "last":
        return float(per_year.iloc[-1])
    if stat == "min":
        return float(per_year.min())
    if stat == "max":
        return float(per_year.max())
    raise ValueError(f"unknown stat {stat!r}")  # pragma: no cover - validated


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
    """One indicator-query outcome of one replicate (NaN when no row matches).

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
    return _summarise(outcome.stat, per_year.sort_index())
