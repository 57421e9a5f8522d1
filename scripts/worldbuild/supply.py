"""Supply tables: observed stock growth, the age profile, exit hazards and graduate rates.

* ``stock_growth.csv``: the annual growth of each country's stock of doctors and of nurses and
  midwives, a robust (Theil-Sen) trend of the log WHO NHWA counts over 2008-2020, shrunk toward the
  median of its income group by empirical Bayes where observations are few or noisy.
* ``age_profile.csv``: shares by age band for each income group and cadre, from a stable-population
  profile (entry at ``a0``, exit hazards by age, entry cohorts growing at ``g``), with ``g`` fitted
  to the published share aged 55+ where one exists (OECD doctors; SOWN 2020 nurses) and the
  observed stock growth of the group otherwise.
* ``supply_by_group.csv``: per income group and cadre, the growth, the profile's crude exit rate and
  the graduate rate that keeps the stock on its observed trend.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from worldbuild.common import CADRES, empirical_bayes, sig

log = logging.getLogger("build_world.supply")

COUNT_INDICATORS = {"doctors": "HWF_0002", "nurses": "HWF_0007"}
"""WHO NHWA counts: medical doctors (number); nursing and midwifery personnel (number)."""
WINDOW = (2008, 2020)
MIN_POINTS, MIN_SPAN = 3, 4
SIGMA_FLOOR = 0.02
"""Lower bound of the residual noise of a log count (definition changes, rounding): a series that
is exactly log-linear (often interpolated) is not taken as exact."""
MIN_TAU = 0.005
GROWTH_BOUNDS = (-0.03, 0.10)
"""Annual growth kept inside these bounds after shrinkage (beyond them a trend is a break in the
series rather than a decade of growth)."""
INCOME_GROUPS = ("L", "LM", "UM", "H")
AGE_BANDS = (
    (0, 34, "<35"),
    (35, 44, "35-44"),
    (45, 54, "45-54"),
    (55, 64, "55-64"),
    (65, 79, "65+"),
)
MAX_AGE = 79


# --------------------------------------------------------------------------------------------
# stock growth
# --------------------------------------------------------------------------------------------


def read_counts(paths: dict[str, Path], iso3: list[str]) -> pd.DataFrame:
    """WHO NHWA counts ``iso3, cadre, year, count`` within ``WINDOW`` (positive values only)."""
    parts = []
    for cadre, path in paths.items():
        df = pd.read_csv(path)
        code = COUNT_INDICATORS[cadre]
        df = df[(df["IndicatorCode"] == code) & df["FactValueNumeric"].notna()]
        df = df[df["SpatialDimValueCode"].isin(iso3) & df["Period"].between(*WINDOW)]
        df = df[df["FactValueNumeric"] > 0]
        df = df.groupby(["SpatialDimValueCode", "Period"], as_index=False)[
            "FactValueNumeric"
        ].mean()
        df.columns = ["iso3", "year", "count"]
        df["cadre"] = cadre
        parts.append(df)
    return pd.concat(parts, ignore_index=True)[["iso3", "cadre", "year", "count"]]


def robust_trend(years: np.ndarray, values: np.ndarray) -> tuple[float, float]:
    """Theil-Sen slope of ``log(values)`` on years and its standard error.

    The error is ``sigma / sqrt(Sxx)`` with ``sigma`` the robust (MAD) scale of the residuals
    around the Theil-Sen line, at least ``SIGMA_FLOOR``.
    """
    x = np.asarray(years, dtype=np.float64)
    y = np.log(np.asarray(values, dtype=np.float64))
    res = stats.theilslopes(y, x)
    resid = y - (res.intercept + res.slope * x)
    sigma = max(1.4826 * float(np.median(np.abs(resid - np.median(resid)))), SIGMA_FLOOR)
    sxx = float(((x - x.mean()) ** 2).sum())
    return float(res.slope), sigma / math.sqrt(sxx)


def stock_growth(counts: pd.DataFrame, countries: pd.DataFrame) -> pd.DataFrame:
    """Observed and shrunk annual stock growth per country and cadre."""
    rows = []
    for cadre in CADRES:
        sub = counts[counts["cadre"] == cadre]
        for iso in countries["iso3"]:
            s = sub[sub["iso3"] == iso].sort_values("year")
            n = len(s)
            row = {"iso3": iso, "cadre": cadre, "n_obs": n, "first_year": pd.NA, "last_year": pd.NA}
            row |= {"growth_observed": np.nan, "se": np.nan}
            if n:
                row["first_year"], row["last_year"] = int(s["year"].min()), int(s["year"].max())
            if n >= MIN_POINTS and s["year"].max() - s["year"].min() >= MIN_SPAN:
                row["growth_observed"], row["se"] = robust_trend(s["year"], s["count"])
            rows.append(row)
    df = pd.DataFrame(rows)
    df["income_group"] = df["iso3"].map(countries.set_index("iso3")["income_group"])
    out = []
    for cadre in CADRES:
        part = df[df["cadre"] == cadre].set_index("iso3")
        eb = empirical_bayes(part["growth_observed"], part["se"], part["income_group"], MIN_TAU)
        part = part.join(eb[["median", "tau", "weight", "shrunk"]])
        out.append(part.reset_index())
    df = pd.concat(out, ignore_index=True)
    df["growth"] = df["shrunk"].clip(*GROWTH_BOUNDS)
    df["method"] = np.where(df["growth_observed"].notna(), "shrunk", "group_median")
    df.loc[df["growth"] != df["shrunk"], "method"] = "bounded"
    for col in ("growth_observed", "se", "median", "tau", "weight", "growth"):
        df[col] = sig(df[col].to_numpy(dtype=float), 5)
    df = df.rename(columns={"median": "group_median", "tau": "group_tau"})
    cols = ["iso3", "cadre", "income_group", "n_obs", "first_year", "last_year"]
    cols += ["growth_observed", "se", "group_median", "group_tau", "weight", "growth", "method"]
    df[["first_year", "last_year"]] = df[["first_year", "last_year"]].astype("Int64")
    return df[cols].sort_values(["iso3", "cadre"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# age profile
# --------------------------------------------------------------------------------------------


def hazard_by_age(hazards: pd.DataFrame, cadre: str) -> np.ndarray:
    """Annual exit hazard (attrition + retirement, rates) for ages 0..MAX_AGE."""
    h = np.full(MAX_AGE + 1, np.nan)
    for r in hazards[hazards["cadre"] == cadre].itertuples(index=False):
        h[int(r.age_from) : int(r.age_to) + 1] = float(r.attrition) + float(r.retirement)
    if np.isnan(h).any():
        raise ValueError(f"exit hazards: ages without a hazard for {cadre}")
    return h


def stable_profile(hazard: np.ndarray, entry_age: int, growth: float) -> np.ndarray:
    """Stable-population head counts by single age (sum 1): entry at ``entry_age``, survival
    ``exp(-sum h)``, each entry cohort ``exp(growth)`` times the previous one."""
    ages = np.arange(MAX_AGE + 1)
    survive = np.exp(-np.concatenate([[0.0], np.cumsum(hazard[entry_age:-1])]))
    n = np.zeros(MAX_AGE + 1)
    n[entry_age:] = survive * np.exp(-growth * (ages[entry_age:] - entry_age))
    return n / n.sum()


def band_shares(profile: np.ndarray) -> dict[str, float]:
    """Shares of the profile in each of ``AGE_BANDS``."""
    return {label: float(profile[lo : hi + 1].sum()) for lo, hi, label in AGE_BANDS}


def solve_growth(target: float, share_of: callable, lo: float = -0.15, hi: float = 0.25) -> float:
    """The ``g`` with ``share_of(g) = target`` for a share decreasing in ``g`` (bisection)."""
    if not share_of(hi) <= target <= share_of(lo):
        raise ValueError(f"no cohort growth in [{lo}, {hi}] gives the share {target}")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if share_of(mid) > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def age_profiles(
    growth: pd.DataFrame,
    countries: pd.DataFrame,
    hazards: pd.DataFrame,
    ages: pd.DataFrame,
    anchors: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``age_profile.csv`` (income group x cadre x band) and ``supply_by_group.csv``."""
    anchor = anchors.set_index("name")["value"].astype(float)
    entry = ages[ages["parameter"] == "entry_age"].set_index("cadre")["value"].astype(float)
    stock = countries.set_index("iso3")
    rows, groups = [], []
    for cadre in CADRES:
        h = hazard_by_age(hazards, cadre)
        a0 = int(entry[cadre])
        g = growth[growth["cadre"] == cadre]
        # stock-weighted growth of each income group
        weight = g["iso3"].map(stock[cadre])
        g_obs = (g["growth"] * weight).groupby(g["income_group"]).sum() / weight.groupby(
            g["income_group"]
        ).sum()
        g_obs = g_obs.reindex(INCOME_GROUPS)
        w_group = stock.groupby("income_group")[cadre].sum().reindex(INCOME_GROUPS)

        def share55(gg: float, h: np.ndarray = h, a0: int = a0) -> float:
            return float(stable_profile(h, a0, gg)[55:].sum())

        g_eff = g_obs.copy()
        basis = dict.fromkeys(INCOME_GROUPS, "observed growth (no age anchor)")
        if cadre == "doctors":
            g_eff["H"] = solve_growth(anchor["oecd_doctors_55plus_share"], share55)
            basis["H"] = "fitted: 55+ share = OECD average (oecd_doctors_55plus_share)"
        else:

            def world55(offset: float, g_obs: pd.Series = g_obs, w: pd.Series = w_group) -> float:
                s = [share55(g_obs[i] + offset) for i in INCOME_GROUPS]
                return float(np.dot(s, w) / w.sum())

            offset = solve_growth(anchor["sown_nurses_55plus_share"], world55)
            g_eff = g_obs + offset
            basis = dict.fromkeys(
                INCOME_GROUPS, f"observed growth {offset:+.4f}: world 55+ share = SOWN 2020"
            )
        for inc in INCOME_GROUPS:
            p = stable_profile(h, a0, float(g_eff[inc]))
            shares = band_shares(p)
            for label, share in shares.items():
                rows.append(
                    {"income_group": inc, "cadre": cadre, "age_band": label, "share": share}
                )
            crude_exit = float((p * h).sum())
            groups.append(
                {
                    "income_group": inc,
                    "cadre": cadre,
                    "stock": float(w_group[inc]),
                    "growth": float(g_obs[inc]),
                    "cohort_growth": float(g_eff[inc]),
                    "cohort_growth_basis": basis[inc],
                    "mean_age": float((p * np.arange(MAX_AGE + 1)).sum()),
                    "share_under35": shares["<35"],
                    "share_55plus": shares["55-64"] + shares["65+"],
                    "crude_exit": crude_exit,
                    "graduate_rate": crude_exit + float(g_obs[inc]),
                }
            )
    profile = pd.DataFrame(rows)
    profile["share"] = sig(profile["share"].to_numpy(), 10)
    summary = pd.DataFrame(groups)
    for col in summary.columns:
        if summary[col].dtype.kind == "f":
            summary[col] = sig(summary[col].to_numpy(), 5)
    summary["stock"] = summary["stock"].round(0).astype(np.int64)
    for cadre in CADRES:
        s = summary[summary["cadre"] == cadre]
        log.info(
            "%s: world 55+ share %.3f, under-35 share %.3f",
            cadre,
            float((s["share_55plus"] * s["stock"]).sum() / s["stock"].sum()),
            float((s["share_under35"] * s["stock"]).sum() / s["stock"].sum()),
        )
    return profile, summary
