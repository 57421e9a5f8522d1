"""The countries, corridors and agreements the options name: what a ministry looks for first.

Focus countries are the ISO3 codes written in any scenario's policies (agreement sources and
destinations, country lists of levers and adjustments) plus those asked for with `--focus`.
For each, the briefing shows stock and density over time by scenario, its corridors (flows and,
when the run recorded them, bilateral stocks), its money, and for each bilateral agreement the
workers it moved against its quota, year by year.

Delivery comes from the run's `agreements.parquet` (workers hired under the agreement); a run
without that table shows the corridor's total flow of the agreement's cadre, which also counts
recruitment outside the agreement (the briefing says so).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.compare.runs import Run
from sim.compare.tables import WLD, _rows, country_medians, paired, quantiles, start_year

SERIES = ("density", "stock", "emigrants", "immigrants")
"""Per-country indicators shown over time (doctors + nurses)."""

MONEY_ITEMS = (
    ("compensation_received", "Compensation received"),
    ("compensation_paid", "Compensation paid"),
    ("incentive_spending", "Incentive spending (retention pay, rural allowances)"),
    (
        "training_investment",
        "Extra training funded (expansion, agreement places, response to vacancies)",
    ),
    ("training_cost_emigrants", "Training cost embodied in its emigrants"),
    ("recruitment_fees", "Recruitment fees paid by workers trained there"),
)


@dataclass(frozen=True)
class Agreement:
    """One bilateral agreement of one scenario (`index` is its place in `policies.agreements`)."""

    scenario: str
    index: int
    source: str
    destination: str
    cadre: str
    quota: float
    start: int | None = None
    end: int | None = None
    fee_free: bool = False
    contract_years: float = 0.0
    training_places: float = 0.0

    def in_force(self, year: int) -> bool:
        return (self.start is None or year >= self.start) and (self.end is None or year <= self.end)

    @property
    def corridor(self) -> tuple[str, str]:
        return (self.source, self.destination)

    @property
    def cadre_label(self) -> str:
        return "workers" if self.cadre in (None, "all") else str(self.cadre)


def agreements_of(name: str, scenario: dict) -> list[Agreement]:
    """The bilateral agreements of a resolved scenario."""
    out = []
    for i, a in enumerate((scenario.get("policies") or {}).get("agreements") or []):
        out.append(
            Agreement(
                scenario=name,
                index=i,
                source=str(a["source"]),
                destination=str(a["destination"]),
                cadre=str(a.get("cadre") or "all"),
                quota=float(a.get("quota") or 0.0),
                start=a.get("from"),
                end=a.get("until"),
                fee_free=bool(a.get("fee_free")),
                contract_years=float(a.get("contract_years") or 0.0),
                training_places=float(a.get("training_places") or 0.0),
            )
        )
    return out


def named_countries(scenario: dict) -> list[str]:
    """ISO3 codes written in a scenario's policies and adjustments (in file order)."""
    codes: list[str] = []
    policies = scenario.get("policies") or {}
    for a in policies.get("agreements") or []:
        codes += [str(a["source"]), str(a["destination"])]
    for lever in policies.values():
        if isinstance(lever, dict) and lever.get("enabled"):
            for value in lever.values():
                if isinstance(value, list) and all(isinstance(v, str) for v in value):
                    codes += value
    for adj in scenario.get("adjustments") or []:
        if isinstance(adj.get("countries"), list):
            codes += [str(c) for c in adj["countries"]]
    return list(dict.fromkeys(codes))


def focus_countries(runs: Sequence[Run], extra: Iterable[str] = (), present: Iterable[str] = ()):
    """Focus countries: named by any scenario, then `extra` (`--focus`), among `present`."""
    here = set(present)
    codes: list[str] = []
    for run in runs:
        codes += named_countries(run.scenario)
    codes += [str(c).strip().upper() for c in extra if str(c).strip()]
    return [c for c in dict.fromkeys(codes) if not here or c in here]


# --------------------------------------------------------------------------------------------------
# agreement delivery


def delivery(
    agreement: Agreement, run: Run, baseline: Run, years: Sequence[int]
) -> tuple[pd.DataFrame, str]:
    """Workers moved under `agreement` in `run` by simulated year, against the quota.

    Returns (table, source) where source is `agreement` (the run's agreements.parquet) or
    `corridor` (total flows on the corridor for the agreement's cadre). Table columns: year,
    quota, p5, median, p95 (workers moved), share (median / quota), corridor (median corridor
    flow in the run: the agreement's hires and every other move on it), baseline (the same in
    the baseline), change_p5/median/p95 (paired corridor flow change against the baseline).
    """
    years = [int(y) for y in years]
    quota = [agreement.quota if agreement.in_force(y) else 0.0 for y in years]
    hired: pd.DataFrame | None = None
    source = "corridor"
    if run.agreements is not None:
        a = run.agreements
        sel = a[a["agreement"] == agreement.index]
        if len(sel):
            hired = sel.groupby(["replicate", "year"], observed=True)["hired"].sum().reset_index()
            hired = hired.rename(columns={"hired": "workers"})
            recorded = sel.groupby("year", observed=True)["quota"].median()
            quota = [float(recorded.get(y, q)) for y, q in zip(years, quota, strict=True)]
            source = "agreement"
    option_flow = corridor_series(run, agreement.corridor, agreement.cadre, years)
    base_flow = corridor_series(baseline, agreement.corridor, agreement.cadre, years)
    moved = hired if hired is not None else option_flow
    q = quantiles(moved, ["year"], "workers").set_index("year").reindex(years)
    bq = quantiles(base_flow, ["year"], "workers").set_index("year").reindex(years)
    oq = quantiles(option_flow, ["year"], "workers").set_index("year").reindex(years)
    diff = paired(base_flow, option_flow, ["replicate", "year"], "workers")
    dq = quantiles(diff, ["year"], "diff").set_index("year").reindex(years)
    table = pd.DataFrame(
        {
            "year": years,
            "quota": quota,
            "p5": q["p5"].to_numpy(float),
            "median": q["median"].to_numpy(float),
            "p95": q["p95"].to_numpy(float),
            "corridor": oq["median"].to_numpy(float),
            "baseline": bq["median"].to_numpy(float),
            "change_p5": dq["p5"].to_numpy(float),
            "change_median": dq["median"].to_numpy(float),
            "change_p95": dq["p95"].to_numpy(float),
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        table["share"] = np.where(table["quota"] > 0, table["median"] / table["quota"], np.nan)
    return table, source


def corridor_series(
    run: Run, corridor: tuple[str, str], cadre: str, years: Sequence[int]
) -> pd.DataFrame:
    """Workers moving on `corridor` by replicate and year (0 where none moved), for `cadre`
    (both cadres for `all`); NaN when the run recorded no flows."""
    years = [int(y) for y in years]
    grid = pd.MultiIndex.from_product([run.replicates, years], names=["replicate", "year"])
    if not run.flows_available:
        return pd.Series(np.nan, index=grid).rename("workers").reset_index()
    rows, reps, yrs, values = _corridor_index(run)
    key = (*corridor, cadre if cadre not in (None, "") else "all")
    out = np.zeros((len(run.replicates), len(years)))
    r = rows.get(key)
    if r is not None:
        ri = [reps.get(rep) for rep in run.replicates]
        yi = [yrs.get(y) for y in years]
        for a, i in enumerate(ri):
            for b, j in enumerate(yi):
                if i is not None and j is not None:
                    out[a, b] = values[r, i, j]
    return pd.Series(out.ravel(), index=grid).rename("workers").reset_index()


def _corridor_index(run: Run) -> tuple[dict, dict, dict, np.ndarray]:
    """Workers by corridor-cadre, replicate and year, computed once per run: (row of each
    (origin, destination, cadre), index of each replicate, index of each year, values). Cadre
    `all` is the sum of the cadres where the run has no `all` rows."""
    if "corridors" not in run._cache:
        f = run.flows
        if f is None or f.empty:
            run._cache["corridors"] = ({}, {}, {}, np.zeros((0, 0, 0)))
        else:
            f = f[["origin", "destination", "cadre", "replicate", "year", "workers"]]
            parts = [f[f["cadre"] != "all"]]
            parts.append(f[f["cadre"] == "all"] if (f["cadre"] == "all").any() else f)
            if not (f["cadre"] == "all").any():
                parts[-1] = parts[-1].assign(cadre="all")
            both = pd.concat(parts, ignore_index=True)
            keys = both["origin"].astype(str) + "\0" + both["destination"].astype(str) + "\0"
            keys = keys + both["cadre"].astype(str)
            codes, uniques = pd.factorize(keys)
            reps = sorted(int(r) for r in both["replicate"].unique())
            yrs = sorted(int(y) for y in both["year"].unique())
            rep_i = {r: i for i, r in enumerate(reps)}
            yr_i = {y: i for i, y in enumerate(yrs)}
            values = np.zeros((len(uniques), len(reps), len(yrs)))
            np.add.at(
                values,
                (
                    codes,
                    both["replicate"].map(rep_i).to_numpy(int),
                    both["year"].map(yr_i).to_numpy(int),
                ),
                both["workers"].to_numpy(float),
            )
            rows = {tuple(str(u).split("\0")): i for i, u in enumerate(uniques)}
            run._cache["corridors"] = (rows, rep_i, yr_i, values)
    return run._cache["corridors"]


def _q3(values: np.ndarray) -> tuple[float, float, float]:
    """5th, 50th and 95th percentile (linear, as `tables.quantiles`); NaN when empty."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return (np.nan, np.nan, np.nan)
    lo, med, hi = np.percentile(values, [5, 50, 95])
    return float(lo), float(med), float(hi)


# --------------------------------------------------------------------------------------------------
# one country


def country_values(run: Run, codes: Sequence[str]) -> pd.DataFrame:
    """SERIES indicators of `codes` by replicate and year: replicate, year, country, indicator,
    value (doctors + nurses)."""
    frames = []
    for name in SERIES:
        rows = _rows(run, name, list(codes), additive=name != "density")
        if len(rows):
            frames.append(rows.assign(indicator=name))
    if not frames:
        return pd.DataFrame(columns=["replicate", "year", "country", "indicator", "value"])
    return pd.concat(frames, ignore_index=True)


def country_series(values: dict[str, pd.DataFrame], code: str) -> pd.DataFrame:
    """Median and 90% band by scenario, indicator and year for one country."""
    frames = []
    for name, v in values.items():
        q = quantiles(v[v["country"] == code], ["indicator", "year"], "value")
        frames.append(q.assign(scenario=name))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def country_changes(
    values: dict[str, pd.DataFrame], base: str, codes: Sequence[str], year: int
) -> pd.DataFrame:
    """Level at `year` by scenario and paired change of each option, per country and indicator.

    Columns: country, indicator, scenario, median, p5, p95, change_p5, change_median, change_p95.
    """
    out = []
    b = values[base]
    b = b[(b["year"] == year) & b["country"].isin(codes)]
    for name, v in values.items():
        v = v[(v["year"] == year) & v["country"].isin(codes)]
        lv = quantiles(v, ["country", "indicator"], "value")
        if name != base:
            d = paired(b, v, ["replicate", "year", "country", "indicator"])
            dq = quantiles(d, ["country", "indicator"], "diff").rename(
                columns={"p5": "change_p5", "median": "change_median", "p95": "change_p95"}
            )
            lv = lv.merge(dq.drop(columns="n"), on=["country", "indicator"], how="left")
        out.append(lv.assign(scenario=name))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def start_values(baseline: Run, codes: Sequence[str]) -> pd.DataFrame:
    """Median stock and density of `codes` in the initial state (index country)."""
    first = start_year(baseline)
    out = {
        name: country_medians(baseline, name, first, codes, additive=name == "stock")
        for name in ("stock", "density")
    }
    return pd.DataFrame(out).reindex(list(codes))


def scale_flags(baseline: Run, codes: Sequence[str], workers_per_agent: float | None) -> dict:
    """Countries whose health workforce rounds to zero simulated workers, at the start or later.

    Their density is an artefact of the scale (one simulated worker stands for
    `workers_per_agent` real ones), not data: the briefing flags them instead of printing 0.0.
    """
    if not workers_per_agent:
        return {}
    rows = _rows(baseline, "stock", list(codes), additive=True)
    if rows.empty:
        return {}
    med = rows.groupby(["country", "year"])["value"].median().groupby("country").min()
    agents = med / float(workers_per_agent)
    return {str(c): float(n) for c, n in agents.items() if n < 0.5 and c != WLD and np.isfinite(n)}


def partners(
    runs: Sequence[Run], code: str, year: int, named: Iterable[str] = (), top: int = 4
) -> list[tuple[str, str]]:
    """The corridors of `code` to show: named ones, then the largest in and out of it in `year`
    in any scenario (median over replicates, both cadres)."""
    chosen = [tuple(c) for c in named]
    for side in (0, 1):  # origin, destination
        totals: dict[tuple[str, str], float] = {}
        for run in runs:
            medians = _corridor_medians(run, year)
            if medians is None:
                continue
            ends, cadres, values = medians
            for i in np.flatnonzero((ends[:, side] == code) & (cadres == "all")):
                key = (str(ends[i, 0]), str(ends[i, 1]))
                totals[key] = max(totals.get(key, 0.0), float(values[i]))
        best = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
        chosen += [k for k, v in best[:top] if v > 0]
    return list(dict.fromkeys(chosen))


def _corridor_medians(run: Run, year: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Every corridor-cadre's median flow over replicates in `year`, once per run and year:
    (origin and destination, shape (n, 2); cadre, shape (n,); median workers, shape (n,)), or
    None when the run has no flows that year."""
    key = ("corridor_medians", int(year))
    if key not in run._cache:
        rows, _reps, yrs, values = _corridor_index(run)
        if int(year) not in yrs:
            run._cache[key] = None
        else:
            labels = np.array(list(rows), dtype=object).reshape(len(rows), 3)
            order = np.fromiter(rows.values(), dtype=np.int64, count=len(rows))
            medians = np.median(values[order, :, yrs[int(year)]], axis=1)
            run._cache[key] = (labels[:, :2], labels[:, 2], medians)
    return run._cache[key]


def corridor_levels(
    runs: Sequence[Run], corridors: Sequence[tuple[str, str]], year: int
) -> pd.DataFrame:
    """Flows at `year` and bilateral stocks (when recorded) on `corridors`, by scenario.

    Columns: origin, destination, scenario, flow_p5/median/p95, change_p5/median/p95 (paired
    against the first run), stock_median (workers trained in origin working in destination; NaN
    when the run has no stocks.parquet).
    """
    base = runs[0]
    base_series = {c: _corridor_year(base, c, year) for c in corridors}
    rows = []
    for run in runs:
        stocks = _bilateral(run, corridors, year)
        for c in corridors:
            s = _corridor_year(run, c, year) if run is not base else base_series[c]
            row = {"origin": c[0], "destination": c[1], "scenario": run.name}
            row.update(zip(("flow_p5", "flow_median", "flow_p95"), _q3(s.to_numpy()), strict=True))
            if run is not base:
                b = base_series[c]
                common = s.index.intersection(b.index)
                diff = s[common].to_numpy(float) - b[common].to_numpy(float)
                row.update(
                    zip(("change_p5", "change_median", "change_p95"), _q3(diff), strict=True)
                )
            row["stock_median"] = stocks.get(c, np.nan)
            rows.append(row)
    return pd.DataFrame(rows)


def _corridor_year(run: Run, corridor: tuple[str, str], year: int) -> pd.Series:
    """Workers moving on `corridor` (both cadres) in `year`, by replicate: `corridor_series` for
    one year, without building its frame."""
    if not run.flows_available:
        return pd.Series(np.nan, index=run.replicates, dtype="float64")
    rows, reps, yrs, values = _corridor_index(run)
    out = np.zeros(len(run.replicates))
    r, j = rows.get((*corridor, "all")), yrs.get(int(year))
    if r is not None and j is not None:
        for a, rep in enumerate(run.replicates):
            if rep in reps:
                out[a] = values[r, reps[rep], j]
    return pd.Series(out, index=run.replicates)


def _bilateral(run: Run, corridors: Sequence[tuple[str, str]], year: int) -> dict:
    """Median bilateral stock (trained in origin, working in destination) at `year`."""
    key = ("bilateral", int(year))
    if key not in run._cache:  # every corridor of the year at once, computed once per run
        s = run.stocks
        if s is None or s.empty:
            run._cache[key] = None
        else:
            sel = s[s["year"] == year]
            if (sel["cadre"] == "all").any():
                sel = sel[sel["cadre"] == "all"]
            else:
                sel = sel[sel["cadre"] != "all"]
            per = sel.groupby(["origin", "country", "replicate"], observed=True)["workers"].sum()
            wide = per.unstack("replicate").reindex(columns=run.replicates).fillna(0.0)
            run._cache[key] = dict(zip(wide.index, wide.median(axis=1).astype(float), strict=True))
    medians = run._cache[key]
    if medians is None:
        return {}
    return {(o, d): float(medians.get((o, d), 0.0)) for o, d in corridors}


def country_money(runs: Sequence[Run], codes: Sequence[str], last_year: int) -> dict:
    """Money of each country over the simulated years, by code: a table with columns item,
    label, scenario, median, p5, p95, change_p5/median/p95 (paired against the first run).
    Items that are zero in every scenario are left out."""
    base = runs[0]
    first = start_year(base) + 1
    codes = list(dict.fromkeys(codes))
    totals: dict[str, dict[str, np.ndarray]] = {}  # item -> run -> (country, replicate) sums
    for key, _ in MONEY_ITEMS:
        for run in runs:
            if not run.has_indicator(key):
                continue
            r = _rows(run, key, codes, additive=True)
            r = r[(r["year"] >= first) & (r["year"] <= last_year)]
            grid = pd.MultiIndex.from_product([codes, run.replicates], names=["country", "rep"])
            t = r.groupby(["country", "replicate"], observed=True)["value"].sum()
            t.index = t.index.set_names(["country", "rep"])
            sums = t.reindex(grid, fill_value=0.0).to_numpy(dtype="float64")
            sums = sums.reshape(len(codes), len(run.replicates))
            totals.setdefault(key, {})[run.name] = sums
    replicates = {run.name: run.replicates for run in runs}
    out = {}
    for i, code in enumerate(codes):
        rows = []
        for key, label in MONEY_ITEMS:
            per = {
                name: pd.Series(t[i], index=replicates[name])
                for name, t in totals.get(key, {}).items()
            }
            if not per or all((t.abs() == 0).all() for t in per.values()):
                continue
            b = per.get(base.name)
            for run in runs:
                t = per.get(run.name)
                if t is None:
                    continue
                row = {"item": key, "label": label, "scenario": run.name}
                row.update(zip(("p5", "median", "p95"), _q3(t.to_numpy()), strict=True))
                if run is not base and b is not None:
                    common = t.index.intersection(b.index)
                    d = t[common].to_numpy(float) - b[common].to_numpy(float)
                    row.update(
                        zip(("change_p5", "change_median", "change_p95"), _q3(d), strict=True)
                    )
                rows.append(row)
        out[code] = pd.DataFrame(rows)
    return out
