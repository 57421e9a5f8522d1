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

from sim.compare.runs import Run
from sim.declarations import OUTCOMES, WORLD, outcome
from sim.inputs.selectors import CountryGroups
from sim.outputs.outcomes import outcome_values, select_rows

WLD = WORLD
QUANTILES = (0.05, 0.5, 0.95)


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


def _metric(name: str) -> Metric:
    o = outcome(name)
    return Metric(o.name, o.label, o.display, o.unit, int(o.kind), o.short)


HEADLINE: tuple[Metric, ...] = tuple(
    _metric(name)
    for name in (
        "safeguards_density",
        "safeguards_emigration",
        "destination_vacancy_rate",
        "destination_foreign_share",
        "rural_urban_ratio",
        "population_below_44_5",
        "compensation_paid",
        "compensation_received",
    )
)
"""The briefing's headline outcomes (declared in `sim.declarations`, computed by
`sim.outputs.outcomes`)."""
METRICS = {m.key: m for m in HEADLINE}
TIME_SERIES = HEADLINE[:6]
"""Indicators shown over time (the money ones are in the money section)."""


@dataclass(frozen=True)
class MoneyItem:
    key: str
    indicator: str
    label: str
    group: str  # "all" or "safeguards"


MONEY: tuple[MoneyItem, ...] = tuple(
    MoneyItem(o.name, o.indicator, o.label, o.countries) for o in OUTCOMES if o.display == "money"
)
"""Money items of the briefing: the money outcomes of `sim.declarations`."""


# --------------------------------------------------------------------------------------------------
# outcomes (computed by sim.outputs.outcomes)


def _rows(
    source: Run | pd.DataFrame, indicator: str, countries: Sequence[str] | None, additive: bool
) -> pd.DataFrame:
    """Rows (replicate, year, country, value) of `indicator` (`sim.outputs.outcomes.select_rows`).

    `source` is a run (its indicator table, split by indicator once, is reused) or a long table.
    """
    return select_rows(
        source.table if isinstance(source, Run) else source, indicator, countries, additive
    )


def metric_values(run: Run, groups: CountryGroups) -> pd.DataFrame:
    """Every headline metric of every replicate and year: columns replicate, year, metric, value."""
    values = outcome_values(run.table, groups, [m.key for m in HEADLINE])
    return values.rename(columns={"outcome": "metric"})


# --------------------------------------------------------------------------------------------------
# summaries across replicates


def quantiles(df: pd.DataFrame, by: list[str], column: str) -> pd.DataFrame:
    """Median, 5th and 95th percentile of `column` by `by` (columns p5, median, p95, n).

    Linear interpolation between the order statistics, as `DataFrameGroupBy.quantile` computes
    it (the same floats), with one sort of every group at once instead of pandas' per-quantile
    machinery (the briefing calls this a few hundred times).
    """
    df = df.dropna(subset=[column])
    if df.empty:
        empty = {c: pd.Series(dtype="object") for c in by}
        return pd.DataFrame(
            {**empty, **{c: pd.Series(dtype="float64") for c in ("p5", "median", "p95", "n")}}
        )
    grouped = df.groupby(by, observed=True, sort=True)
    group = grouped.ngroup().to_numpy()
    sizes = grouped.size()
    values = df[column].to_numpy(dtype="float64")
    ordered = values[np.lexsort((values, group))]
    count = sizes.to_numpy()
    start = np.concatenate(([0], np.cumsum(count)[:-1]))
    q = pd.DataFrame(index=sizes.index)
    for name, level in zip(("p5", "median", "p95"), QUANTILES, strict=True):
        position = level * (count - 1).astype("float64")
        low = position.astype("int64")
        frac = position % 1
        below = ordered[start + low]
        above = ordered[start + np.minimum(low + 1, count - 1)]
        with np.errstate(invalid="ignore"):  # inf - inf where the order statistics are infinite
            q[name] = np.where(frac == 0.0, below, below + (above - below) * frac)
    q["n"] = count
    return q.reset_index()


def paired(
    base: pd.DataFrame, option: pd.DataFrame, keys: list[str], column: str = "value"
) -> pd.DataFrame:
    """Option minus baseline for every replicate present in both (column `diff`)."""
    both = option.merge(base, on=keys, suffixes=("_option", "_base"), how="inner")
    both["diff"] = both[f"{column}_option"] - both[f"{column}_base"]
    return both


DISPLACEMENT_ALPHA = 0.10
"""The chance, over all the countries scanned, of naming a displacement that is noise."""


def paired_t_p(mean: np.ndarray, sd: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided p-values of one-sample t-tests that paired changes average zero, from each
    country's mean change, standard deviation (ddof 1) and number of replicates. A change the
    same in every replicate has p 0 (1 if it is 0); fewer than two replicates, p 1.

    A sign test (or any test that ignores the sizes) cannot reach below 2 x 0.5^5 = 0.0625 with
    five replicates, so among many countries it names nothing, not even a change of 30% whose
    replicates lie within a few percent of each other; the t-test weighs the change against its
    spread between replicates."""
    from scipy.stats import t as student_t

    mean, sd, n = (np.asarray(x, dtype=float) for x in (mean, sd, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.abs(mean) / (sd / np.sqrt(n))
    p = 2.0 * student_t.sf(stat, np.maximum(n - 1, 1))
    p = np.where(sd == 0, np.where(mean == 0, 1.0, 0.0), p)
    return np.where(n < 2, 1.0, np.nan_to_num(p, nan=1.0))


def emigration_elsewhere(
    baseline: Run,
    option: Run,
    groups: CountryGroups,
    years: Sequence[int],
    resolution: float = 0.0,
) -> pd.Series | None:
    """The country off the safeguards list whose emigration the option changes most over
    `years` (summed: a displacement in the option's first years that fades by the horizon
    counts, as a ministry reader found Kenya's under the Code's package): among the countries
    whose 90% interval of the median paired change (workers over the years) excludes zero and
    whose mean stands out of its spread between replicates over every country scanned
    (`paired_t_p`, Bonferroni-corrected for their number at `DISPLACEMENT_ALPHA`: the largest of
    many noisy changes is not a finding), the largest rise, or where none rises the largest
    fall. A Series with country, p5, median, p95, or None when there is none. Where recruitment
    from the listed countries is restrained, it may move to others (displacement): a rise is
    what the Code worries about, and a larger fall elsewhere (a destination training more of
    its own) must not hide it.

    `resolution` (workers; one simulated worker) floors the spread between replicates: counts
    move in whole simulated workers, so a few replicates can agree exactly by chance, and a
    spread of 0 would make any such change stand out (two replicates of +400 at 200 workers
    per agent named Belgium)."""
    listed = set(groups.safeguards)
    frames = []
    for run in (baseline, option):
        rows = _rows(run, "emigrants", None, additive=True)
        rows = rows[rows["year"].isin(list(years)) & ~rows["country"].astype(str).isin(listed)]
        by = rows.groupby(["replicate", "country"], observed=True)["value"]
        total = by.sum().where(by.count() == by.size())  # a NaN year: no partial sum
        frames.append(total.reset_index())
    diff = paired(frames[0], frames[1], ["replicate", "country"])
    if diff.empty:
        return None
    q = quantiles(diff, ["country"], "diff")
    spread = diff.groupby("country", observed=True)["diff"].agg(["mean", "std", "count"])
    spread = spread.reindex(q["country"])
    sd = np.maximum(spread["std"].fillna(0.0).to_numpy(float), float(resolution))
    p = paired_t_p(spread["mean"].to_numpy(float), sd, spread["count"].fillna(0).to_numpy(float))
    scanned = len(q)  # every country compared off the list
    q = q[((q["p5"] > 0) | (q["p95"] < 0)).to_numpy() & (p * scanned <= DISPLACEMENT_ALPHA)]
    if q.empty:
        return None
    rises = q[q["median"] > 0]  # displacement is a rise: the largest is named before any fall
    if len(rises):
        return rises.loc[rises["median"].idxmax()]
    return q.loc[q["median"].idxmin()]


def country_medians(
    run: Run, indicator: str, year: int, codes: Sequence[str] | None = None, *, additive: bool
) -> pd.Series:
    """Median across replicates of `indicator` (area `all`) by country in `year` (index
    country; `codes=None`: every country but the world aggregate)."""
    rows = _rows(run, indicator, None if codes is None else list(codes), additive)
    rows = rows[rows["year"] == year]
    return rows.groupby("country")["value"].median()


def worker_steps(
    baseline: Run, year: int, workers_per_agent: float | None, world=None
) -> dict[str, dict[str, float]]:
    """One simulated worker of each country, in the units of the briefing's country values at
    `year` (the smallest step of a value in one replicate): `density`, per 10,000 population
    (the baseline's population at `year`, median of the replicates; the world's base-year
    population where the runs do not report it), and `emigration`, per 1,000 health workers (the
    baseline's stock at `year`). Empty without a scale."""
    if not workers_per_agent:
        return {"density": {}, "emigration": {}}
    wpa = float(workers_per_agent)

    def medians(indicator: str) -> dict[str, float]:
        if not baseline.has_indicator(indicator):
            return {}
        values = country_medians(baseline, indicator, year, additive=True)
        return {str(c): float(v) for c, v in values.items()}

    population = {}
    if world is not None:
        population = {str(c): float(p) for c, p in zip(world.iso3, world.population, strict=True)}
    population.update(medians("population"))
    stock = medians("stock")
    return {
        "density": {c: wpa * 1e4 / p for c, p in population.items() if p > 0},
        "emigration": {c: wpa * 1e3 / s for c, s in stock.items() if s > 0},
    }


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
