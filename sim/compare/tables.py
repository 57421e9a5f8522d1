"""The numbers of the briefing, computed from the runs' indicator and flow tables.

Every summary is taken across replicates: the median and a 90% interval (5th-95th percentile,
linear interpolation). Changes against the baseline are *paired*: option replicate r minus baseline
replicate r, which share their random numbers when the seeds are equal, so that the interval shows
the effect of the option rather than the noise between two independent runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.compare.groups import CountryGroups
from sim.compare.runs import Run

WLD = "WLD"
QUANTILES = (0.05, 0.5, 0.95)
KEYS = ["replicate", "year"]


@dataclass(frozen=True)
class Metric:
    """One headline indicator: what it measures, in which unit, and which direction is better."""

    key: str
    label: str
    kind: str  # a sim.compare.fmt kind
    unit: str
    better: int = 0  # +1: higher is better, -1: lower is better, 0: neither
    short: str = ""

    @property
    def short_label(self) -> str:
        return self.short or self.label


HEADLINE: tuple[Metric, ...] = (
    Metric(
        "safeguards_density",
        "Health-worker density in safeguards-list countries",
        "density",
        "doctors + nurses per 10,000 population (population-weighted)",
        +1,
        "Density, safeguards-list countries",
    ),
    Metric(
        "safeguards_emigration",
        "Emigration from safeguards-list countries",
        "workers",
        "workers/year",
        0,
        "Emigration, safeguards-list countries",
    ),
    Metric(
        "destination_vacancy_rate",
        "Vacancy rate in destination countries",
        "share",
        "% of funded posts (posts-weighted)",
        -1,
        "Vacancy rate, destinations",
    ),
    Metric(
        "destination_foreign_share",
        "Share of foreign-trained workers in destinations",
        "share",
        "% of the workforce (workforce-weighted)",
        0,
        "Foreign-trained share, destinations",
    ),
    Metric(
        "rural_urban_ratio",
        "Rural/urban density ratio (world)",
        "ratio",
        "rural density / urban density",
        +1,
        "Rural/urban density ratio",
    ),
    Metric(
        "population_below_44_5",
        "Population living below 44.5 health workers per 10,000",
        "people",
        "people",
        -1,
        "Population below 44.5 per 10,000",
    ),
    Metric(
        "compensation_paid",
        "Compensation paid by destinations",
        "money",
        "int$ PPP/year",
        0,
        "Compensation paid",
    ),
    Metric(
        "compensation_received",
        "Compensation received by source countries",
        "money",
        "int$ PPP/year",
        0,
        "Compensation received",
    ),
)
METRICS = {m.key: m for m in HEADLINE}
TIME_SERIES = HEADLINE[:6]
"""Indicators shown over time (the money ones are in the money section)."""


@dataclass(frozen=True)
class MoneyItem:
    key: str
    indicator: str
    label: str
    group: str  # "all" or "safeguards"


MONEY: tuple[MoneyItem, ...] = (
    MoneyItem(
        "compensation_paid", "compensation_paid", "Compensation paid (by destinations)", "all"
    ),
    MoneyItem(
        "compensation_received",
        "compensation_received",
        "Compensation received (by source countries)",
        "all",
    ),
    MoneyItem(
        "incentive_spending",
        "incentive_spending",
        "Incentive spending (retention pay, rural allowances)",
        "all",
    ),
    MoneyItem("training_investment", "training_investment", "Training investment", "all"),
    MoneyItem(
        "training_cost_emigrants_safeguards",
        "training_cost_emigrants",
        "Training cost embodied in emigrants from safeguards-list countries",
        "safeguards",
    ),
    MoneyItem(
        "training_cost_emigrants",
        "training_cost_emigrants",
        "Training cost embodied in emigrants (all countries)",
        "all",
    ),
    MoneyItem("bond_buyouts", "bond_buyouts", "Bond buy-outs paid by graduates", "all"),
    MoneyItem("recruitment_fees", "recruitment_fees", "Recruitment fees paid by workers", "all"),
)


# --------------------------------------------------------------------------------------------------
# selecting from the long table


def _rows(
    source: Run | pd.DataFrame, indicator: str, countries: Sequence[str] | None, additive: bool
) -> pd.DataFrame:
    """Rows (replicate, year, country, value) of `indicator`, area `all`, cadre `all`.

    `source` is a run (its per-indicator split is reused) or a long indicator table. Without
    `cadre == all` rows, an additive indicator is summed over the cadres. `countries=None` means
    every country but the `WLD` aggregate.
    """
    if isinstance(source, Run):
        sel = source.indicator(indicator)
    else:
        sel = source[(source["indicator"] == indicator) & (source["area"] == "all")]
    sel = sel[sel["country"] != WLD] if countries is None else sel[sel["country"].isin(countries)]
    rows = sel[sel["cadre"] == "all"]
    keys = ["replicate", "year", "country"]
    if len(rows) and not rows.duplicated(keys).any():  # one row each already: nothing to sum
        return rows[[*keys, "value"]].reset_index(drop=True)
    if rows.empty and additive:
        rows = sel[sel["cadre"] != "all"]
    return (
        rows.groupby(keys, observed=True)["value"]
        .sum(min_count=1)  # an undefined value (NaN) stays undefined, never 0
        .reset_index()
    )


def _wide(
    source: Run | pd.DataFrame,
    indicator: str,
    countries: Sequence[str] | None,
    index: pd.MultiIndex,
    *,
    additive: bool = False,
) -> pd.DataFrame:
    """`indicator` as a (replicate, year) x country table on `index`."""
    rows = _rows(source, indicator, countries, additive)
    wide = rows.set_index([*KEYS, "country"])["value"].unstack("country")
    if wide.empty:
        return pd.DataFrame(index=index)
    wide.index = wide.index.set_levels([lvl.astype("int64") for lvl in wide.index.levels])
    return wide.reindex(index)


def _index(run: Run) -> pd.MultiIndex:
    """Every (replicate, year) of the run."""
    if "index" not in run._cache:
        pairs = run.indicators[KEYS].drop_duplicates().sort_values(KEYS)
        run._cache["index"] = pd.MultiIndex.from_frame(pairs.astype("int64"))
    return run._cache["index"]


def _population(
    run: Run,
    countries: Sequence[str],
    index: pd.MultiIndex,
    stock: pd.DataFrame,
    groups: CountryGroups,
) -> pd.DataFrame:
    """Population by country: the `population` indicator, or stock * 10,000 / density.

    Where the density is zero the population is carried over from the nearest year of the same
    replicate, else taken from the world's base-year population.
    """
    if run.has_indicator("population"):
        return _wide(run, "population", countries, index)
    density = _wide(run, "density", countries, index)
    pop = stock * 1e4 / density.where(density > 0)
    if pop.shape[1] == 0:
        return pop
    pop = pop.groupby(level="replicate").ffill().groupby(level="replicate").bfill()
    world = groups.world
    if world is not None and pop.isna().any().any():
        base = dict(
            zip(map(str, np.asarray(world.iso3)), np.asarray(world.population, float), strict=True)
        )
        for code in pop.columns:
            pop[code] = pop[code].fillna(base.get(code, np.nan))
    return pop


def metric_values(run: Run, groups: CountryGroups) -> pd.DataFrame:
    """Every headline metric of every replicate and year: columns replicate, year, metric, value."""
    ind = run  # every selection goes through the run's per-indicator split
    index = _index(run)
    sg, dest = list(groups.safeguards), list(groups.destinations)
    out: dict[str, pd.Series] = {}

    stock_sg = _wide(ind, "stock", sg, index, additive=True)
    pop_sg = _population(ind, sg, index, stock_sg, groups)
    known = pop_sg.notna() & stock_sg.notna()
    out["safeguards_density"] = (
        stock_sg.where(known).sum(axis=1, min_count=1)
        * 1e4
        / pop_sg.where(known).sum(axis=1, min_count=1)
    )
    out["safeguards_emigration"] = _wide(ind, "emigrants", sg, index, additive=True).sum(
        axis=1, min_count=1
    )
    vac = _wide(ind, "vacancies", dest, index, additive=True).sum(axis=1, min_count=1)
    posts = _wide(ind, "posts", dest, index, additive=True).sum(axis=1, min_count=1)
    out["destination_vacancy_rate"] = vac / posts.where(posts > 0)
    out["destination_foreign_share"] = _foreign_share(ind, dest, index)
    for key in ("rural_urban_ratio", "population_below_44_5"):
        out[key] = _wide(ind, key, [WLD], index).sum(axis=1, min_count=1)
    for key in ("compensation_paid", "compensation_received"):
        out[key] = _wide(ind, key, None, index, additive=True).sum(axis=1, min_count=1)

    frame = pd.DataFrame(out, index=index)
    frame.columns.name = "metric"
    long = frame.stack(future_stack=True).rename("value").reset_index()
    return long.astype({"replicate": "int64", "year": "int64", "value": "float64"})


def _foreign_share(run: Run, dest: Sequence[str], index: pd.MultiIndex) -> pd.Series:
    """Workforce-weighted share of foreign-trained workers over the destinations."""
    share = _rows(run, "foreign_trained_share", dest, additive=False)
    stock = _rows(run, "stock", dest, additive=False)
    if share.empty:  # per-cadre shares only: weight each by its cadre's stock
        share = run.indicator("foreign_trained_share")
        stock = run.indicator("stock")
        share = share[share["country"].isin(dest) & (share["cadre"] != "all")]
        stock = stock[stock["country"].isin(dest) & (stock["cadre"] != "all")]
        on = [*KEYS, "country", "cadre"]
    else:
        if stock.empty:
            stock = _rows(run, "stock", dest, additive=True)
        on = [*KEYS, "country"]
    both = share[[*on, "value"]].merge(stock[[*on, "value"]], on=on, suffixes=("_s", "_w"))
    both["sw"] = both["value_s"] * both["value_w"]
    sums = both.groupby(KEYS)[["sw", "value_w"]].sum()
    result = sums["sw"] / sums["value_w"].where(sums["value_w"] > 0)
    if result.empty:
        return pd.Series(np.nan, index=index)
    result.index = result.index.set_levels([lvl.astype("int64") for lvl in result.index.levels])
    return result.reindex(index)


# --------------------------------------------------------------------------------------------------
# summaries across replicates


def quantiles(df: pd.DataFrame, by: list[str], column: str) -> pd.DataFrame:
    """Median, 5th and 95th percentile of `column` by `by` (columns p5, median, p95, n)."""
    df = df.dropna(subset=[column])
    if df.empty:
        empty = {c: pd.Series(dtype="object") for c in by}
        return pd.DataFrame(
            {**empty, **{c: pd.Series(dtype="float64") for c in ("p5", "median", "p95", "n")}}
        )
    df = df.astype({column: "float64"})
    grouped = df.groupby(by, observed=True, sort=True)[column]
    q = grouped.quantile(list(QUANTILES)).unstack()
    q.columns = ["p5", "median", "p95"]
    q["n"] = grouped.count()
    return q.reset_index()


def paired(
    base: pd.DataFrame, option: pd.DataFrame, keys: list[str], column: str = "value"
) -> pd.DataFrame:
    """Option minus baseline for every replicate present in both (column `diff`)."""
    both = option.merge(base, on=keys, suffixes=("_option", "_base"), how="inner")
    both["diff"] = both[f"{column}_option"] - both[f"{column}_base"]
    return both


def horizon_year(runs: Sequence[Run]) -> int:
    """The last year every run reaches (the final simulated year when they agree)."""
    return min(max(run.years) for run in runs)


def start_year(run: Run) -> int:
    """The first year of the run's indicators (the initial state, `start_year - 1`)."""
    return min(run.years)


def headline_table(
    base_values: pd.DataFrame,
    options: Sequence[tuple[str, pd.DataFrame]],
    year: int,
    base_name: str,
) -> pd.DataFrame:
    """The headline table: one row per option and metric, paired change at `year`.

    Columns: option, baseline, metric, label, unit, year, baseline_median, option_median,
    change_median, change_p5, change_p95, pairs.
    """
    rows = []
    base_y = base_values[base_values["year"] == year]
    base_q = quantiles(base_y, ["metric"], "value").set_index("metric")
    for name, values in options:
        opt_y = values[values["year"] == year]
        opt_q = quantiles(opt_y, ["metric"], "value").set_index("metric")
        diff = paired(base_y, opt_y, ["replicate", "year", "metric"])
        diff_q = quantiles(diff, ["metric"], "diff").set_index("metric")
        for m in HEADLINE:
            rows.append(
                {
                    "option": name,
                    "baseline": base_name,
                    "metric": m.key,
                    "label": m.label,
                    "unit": "share (0-1)" if m.kind == "share" else m.unit,
                    "year": year,
                    "baseline_median": _get(base_q, m.key, "median"),
                    "option_median": _get(opt_q, m.key, "median"),
                    "change_median": _get(diff_q, m.key, "median"),
                    "change_p5": _get(diff_q, m.key, "p5"),
                    "change_p95": _get(diff_q, m.key, "p95"),
                    "pairs": int(_get(diff_q, m.key, "n", 0)),
                }
            )
    return pd.DataFrame(rows)


def _get(table: pd.DataFrame, row: str, col: str, default: float = np.nan) -> float:
    if row in table.index and col in table.columns:
        return float(table.at[row, col])
    return default


def time_series(values: pd.DataFrame) -> pd.DataFrame:
    """Median and 90% band of each metric by year (columns metric, year, p5, median, p95, n)."""
    return quantiles(values, ["metric", "year"], "value")


# --------------------------------------------------------------------------------------------------
# corridors


def corridor_flows(run: Run, year: int) -> pd.DataFrame:
    """Workers moving origin -> destination in `year`, both cadres: replicate, origin,
    destination, workers (0 where a replicate had no move on a corridor another replicate had)."""
    flows = run.flows
    cols = ["replicate", "origin", "destination", "workers"]
    empty = pd.DataFrame(
        {
            "replicate": pd.Series(dtype="int64"),
            "origin": pd.Series(dtype="object"),
            "destination": pd.Series(dtype="object"),
            "workers": pd.Series(dtype="float64"),
        }
    )
    # The replicates (and whether flows were recorded at all) travel with the table, so that a
    # run with no move in `year` counts as explicit zeros, and one without flows as unknown.
    empty.attrs = {"replicates": list(run.replicates), "available": run.flows_available}
    if flows is None or flows.empty:
        return empty
    sel = flows[flows["year"] == year]
    if sel.empty:
        return empty
    if (sel["cadre"] == "all").any():
        sel = sel[sel["cadre"] == "all"]
    else:
        sel = sel[sel["cadre"] != "all"]
    wide = sel.pivot_table(
        index=["origin", "destination"],
        columns="replicate",
        values="workers",
        aggfunc="sum",
        fill_value=0.0,
        observed=True,
    )
    wide = wide.reindex(columns=run.replicates, fill_value=0.0)
    wide.columns.name = "replicate"
    long = wide.stack().rename("workers").reset_index()
    long = long[cols].astype({"replicate": "int64", "workers": "float64"})
    long.attrs = dict(empty.attrs)
    return long


def corridor_table(
    base: pd.DataFrame,
    options: Sequence[tuple[str, pd.DataFrame]],
    top: int = 10,
    per_option: int = 3,
) -> pd.DataFrame:
    """The largest baseline corridors, plus each option's largest changes.

    Columns: origin, destination, then `baseline` p5/median/p95 and for each option its level
    and paired change (`<option>|level|median`, `<option>|change|p5`, ...), sorted by the
    baseline median flow.
    """
    keys = ["origin", "destination"]
    base_q = quantiles(base, keys, "workers").set_index(keys)
    chosen = list(base_q.sort_values("median", ascending=False).head(top).index)
    diffs = {}
    unavailable = {name for name, flows in options if not flows.attrs.get("available", True)}
    for name, flows in options:
        if name in unavailable:
            continue
        full = _full_pairs(base, flows)
        diff = paired(full[0], full[1], ["replicate", *keys], "workers")
        diffs[name] = (
            quantiles(full[1], keys, "workers").set_index(keys),
            quantiles(diff, keys, "diff").set_index(keys),
        )
        biggest = diffs[name][1]["median"].abs().sort_values(ascending=False)
        chosen += [k for k in biggest[biggest > 0].head(per_option).index if k not in chosen]
    rows = []
    for key in chosen:
        row = {"origin": key[0], "destination": key[1]}
        for col in ("p5", "median", "p95"):
            row[f"baseline|level|{col}"] = _get_multi(base_q, key, col, 0.0)
        for name, _ in options:
            for col in ("p5", "median", "p95"):
                if name in unavailable:  # no flows.parquet: unknown, not zero
                    row[f"{name}|level|{col}"] = row[f"{name}|change|{col}"] = float("nan")
                    continue
                level, change = diffs[name]
                row[f"{name}|level|{col}"] = _get_multi(level, key, col, 0.0)
                row[f"{name}|change|{col}"] = _get_multi(change, key, col, 0.0)
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=keys)
    return table.sort_values(
        "baseline|level|median", ascending=False, kind="stable", ignore_index=True
    )


def _full_pairs(base: pd.DataFrame, option: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both corridor tables on the union of corridors and the common replicates (missing = 0)."""
    reps = sorted(
        set(base.attrs.get("replicates", base["replicate"]))
        & set(option.attrs.get("replicates", option["replicate"]))
    )
    corridors = pd.concat([base[["origin", "destination"]], option[["origin", "destination"]]])
    corridors = corridors.drop_duplicates()
    grid = corridors.merge(pd.DataFrame({"replicate": reps}), how="cross")
    out = []
    for frame in (base, option):
        full = grid.merge(frame, on=["replicate", "origin", "destination"], how="left")
        out.append(full.fillna({"workers": 0.0}))
    return out[0], out[1]


def _get_multi(table: pd.DataFrame, key: tuple, col: str, default: float) -> float:
    if key in table.index:
        return float(table.at[key, col])
    return default


# --------------------------------------------------------------------------------------------------
# safeguards-list countries


def country_density(run: Run, countries: Sequence[str], years: Sequence[int]) -> pd.DataFrame:
    """Density (doctors + nurses per 10,000) by replicate, year and country for `years`."""
    rows = _rows(run, "density", countries, additive=False)
    rows = rows[rows["year"].isin(list(years))]
    return rows.astype({"replicate": "int64", "year": "int64", "value": "float64"})


def country_table(
    base: Run, options: Sequence[Run], groups: CountryGroups, year: int
) -> pd.DataFrame:
    """Per safeguards-list country: density at the start and at `year` in every scenario.

    Columns: country, name, `start`, `<scenario>|start` (when the scenarios start differently),
    `<scenario>|median` and, for options, `<option>|change|p5/median/p95` (paired).
    """
    countries = list(groups.safeguards)
    first = start_year(base)
    data = {run.name: country_density(run, countries, [first, year]) for run in [base, *options]}
    table = pd.DataFrame({"country": countries, "name": [groups.name(c) for c in countries]})
    table = table.set_index("country")

    def med(run_name: str, y: int) -> pd.Series:
        d = data[run_name]
        return d[d["year"] == y].groupby("country")["value"].median()

    starts = {run.name: med(run.name, start_year(run)) for run in [base, *options]}
    table["start"] = starts[base.name]
    same_start = all(
        np.allclose(
            s.reindex(countries).to_numpy(float),
            starts[base.name].reindex(countries).to_numpy(float),
            equal_nan=True,
        )
        for s in starts.values()
    )
    for run in [base, *options]:
        if not same_start:
            table[f"{run.name}|start"] = starts[run.name]
        table[f"{run.name}|median"] = med(run.name, year)
    base_y = data[base.name][data[base.name]["year"] == year]
    for run in options:
        opt_y = data[run.name][data[run.name]["year"] == year]
        diff = paired(base_y, opt_y, ["replicate", "year", "country"])
        q = quantiles(diff, ["country"], "diff").set_index("country")
        for col in ("p5", "median", "p95"):
            table[f"{run.name}|change|{col}"] = q[col]
    return table.reset_index().sort_values("name", ignore_index=True)


# --------------------------------------------------------------------------------------------------
# money


def money_values(run: Run, groups: CountryGroups, last_year: int) -> pd.DataFrame:
    """Money totals over the simulated years up to `last_year` (int$ PPP), by replicate.

    Columns replicate, item, value; items whose indicator the run does not report are absent.
    """
    first = start_year(run) + 1  # the initial-state year carries no flows
    frames = []
    for item in MONEY:
        if not run.has_indicator(item.indicator):
            continue
        countries = list(groups.safeguards) if item.group == "safeguards" else None
        rows = _rows(run, item.indicator, countries, additive=True)
        rows = rows[(rows["year"] >= first) & (rows["year"] <= last_year)]
        total = rows.groupby("replicate")["value"].sum().reindex(run.replicates, fill_value=0.0)
        frames.append(
            pd.DataFrame(
                {
                    "replicate": total.index.astype("int64"),
                    "item": item.key,
                    "value": total.to_numpy(float),
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            {
                "replicate": pd.Series(dtype="int64"),
                "item": pd.Series(dtype="object"),
                "value": pd.Series(dtype=float),
            }
        )
    return pd.concat(frames, ignore_index=True)


def money_table(base: pd.DataFrame, options: Sequence[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """Per money item: baseline level, each option's level and paired change (p5/median/p95)."""
    items = [
        m
        for m in MONEY
        if (base["item"] == m.key).any() or any((o["item"] == m.key).any() for _, o in options)
    ]
    table = pd.DataFrame({"item": [m.key for m in items], "label": [m.label for m in items]})
    table = table.set_index("item")
    for col, series in quantiles(base, ["item"], "value").set_index("item").items():
        if col != "n":
            table[f"baseline|level|{col}"] = series
    for name, values in options:
        for col, series in quantiles(values, ["item"], "value").set_index("item").items():
            if col != "n":
                table[f"{name}|level|{col}"] = series
        diff = paired(base, values, ["replicate", "item"])
        for col, series in quantiles(diff, ["item"], "diff").set_index("item").items():
            if col != "n":
                table[f"{name}|change|{col}"] = series
    return table.reset_index()
