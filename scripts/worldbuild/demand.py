"""Demand tables: GDP per capita growth and the elasticity of health workers to GDP per capita.

* ``gdp_growth.csv``: real GDP per capita growth per country. WDI ``NY.GDP.PCAP.PP.CD`` is in
  *current* international dollars, so its growth mixes real growth and US-dollar inflation. The
  country's growth *relative to the world aggregate* (``WLD``, same units) removes the common
  inflation: ``g_rel = slope of ln(y_c / y_WLD)`` (Theil-Sen, 2010-2024), shrunk toward the median
  of the income group by empirical Bayes; real growth is ``g_rel + g_world`` with ``g_world`` the
  world's real GDP per capita growth (``anchors.csv``), and is kept within ``REAL_BOUNDS``. Where
  GDP does not measure national income (``GDP_NOT_NATIONAL_INCOME``: Ireland) the growth is not
  read, in the projection or in the elasticities: the income group's median stands for it; its
  level is GDP per capita times national income over GDP of the same year
  (``raw/literature/national_income.csv``: Ireland's GNI*, ``national_income_level``).
* ``demand_elasticity.csv``: estimates of the elasticity of health-worker density to GDP per
  capita from these data: across countries (levels) and within countries (growth rates).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from worldbuild import literature
from worldbuild.common import CADRES, empirical_bayes, sig
from worldbuild.supply import robust_trend

log = logging.getLogger("build_world.demand")

WINDOW = (2010, 2024)
MIN_POINTS = 8
MIN_TAU = 0.005
REAL_BOUNDS = (-0.02, 0.06)
"""Real GDP per capita growth kept within these bounds for a 10-30 year projection."""
GDP_NOT_NATIONAL_INCOME = {
    "IRL": "GDP inflated by the accounts of multinational firms (+36% in 2015 in WDI); the Central "
    "Statistics Office publishes modified GNI (GNI*) for this reason, from 2017",
}
"""Countries whose GDP per capita does not measure the national income that pays for health
workers: their growth is not read (the income group's median, as for a country without data) and
their level is GDP per capita times national income over GDP (``national_income_level``)."""


def national_income_level(df: pd.DataFrame, path: Path) -> None:
    """Where GDP does not measure national income (``GDP_NOT_NATIONAL_INCOME``), GDP per
    capita times national income over GDP of the same year (``path``), in place; ``gdp_basis``
    names the measure of that year (``gdp`` elsewhere). The countries listed in the two places
    must agree.

    Args:
        df: countries indexed by ISO3 code, with ``gdp_pc_ppp`` and ``gdp_year`` (WDI).
        path: ``raw/literature/national_income.csv``.
    """
    table = literature.national_income_shares(path, df.index.tolist())
    listed = set(table.index.get_level_values("iso3"))
    if listed != set(GDP_NOT_NATIONAL_INCOME):
        raise ValueError(
            f"{path}: lists {sorted(listed)}, expected the countries whose GDP is not national "
            f"income (GDP_NOT_NATIONAL_INCOME of scripts/worldbuild/demand.py): "
            f"{sorted(GDP_NOT_NATIONAL_INCOME)}"
        )
    df["gdp_basis"] = "gdp"
    for iso in sorted(listed):
        year = df.at[iso, "gdp_year"]
        if pd.isna(year):
            raise ValueError(
                f"{path}: {iso} has no GDP per capita in WDI (no gdp_year) to apply its national "
                "income share to; expected a WDI value, or no row for it"
            )
        if (iso, int(year)) not in table.index:
            raise ValueError(
                f"{path}: no row for {iso} in {int(year)}, the year of its GDP per capita (WDI); "
                f"expected a row ({iso}, {int(year)})"
            )
        share, measure = table.loc[(iso, int(year)), ["share", "measure"]]
        log.info("%s: GDP per capita %.0f x %s/GDP %.4f (%d)", iso, df.at[iso, "gdp_pc_ppp"],
                 measure, share, int(year))  # fmt: skip
        df.at[iso, "gdp_pc_ppp"] *= float(share)
        df.at[iso, "gdp_basis"] = measure


def gdp_growth(
    wdi: pd.DataFrame,
    countries: pd.DataFrame,
    world_growth: float,
    window: tuple[int, int] = WINDOW,
) -> pd.DataFrame:
    """Relative and real GDP per capita growth per Member State."""
    years = [y for y in wdi.columns if window[0] <= y <= window[1]]
    world = wdi.loc["WLD", years]
    rows = []
    for iso in countries["iso3"]:
        series = wdi.loc[iso, years] if iso in wdi.index else pd.Series(dtype=float)
        ok = series.notna() & world.notna()
        row = {"iso3": iso, "n_obs": int(ok.sum()), "growth_rel_observed": np.nan, "se": np.nan}
        if ok.sum() >= MIN_POINTS and iso not in GDP_NOT_NATIONAL_INCOME:
            ratio = (series[ok] / world[ok]).to_numpy(dtype=float)
            row["growth_rel_observed"], row["se"] = robust_trend(
                np.array(years)[ok.to_numpy()], ratio
            )
        rows.append(row)
    df = pd.DataFrame(rows).set_index("iso3")
    df["income_group"] = countries.set_index("iso3")["income_group"]
    eb = empirical_bayes(df["growth_rel_observed"], df["se"], df["income_group"], MIN_TAU)
    df["group_median"], df["weight"] = eb["median"], eb["weight"]
    df["growth_rel"] = eb["shrunk"]
    df["growth_real"] = (df["growth_rel"] + world_growth).clip(*REAL_BOUNDS)
    df["method"] = np.where(df["growth_rel_observed"].notna(), "shrunk", "group_median")
    df.loc[(df["growth_rel"] + world_growth) != df["growth_real"], "method"] = "bounded"
    df.loc[df.index.isin(list(GDP_NOT_NATIONAL_INCOME)), "method"] = "gdp_not_national_income"
    for col in ("growth_rel_observed", "se", "group_median", "weight", "growth_rel", "growth_real"):
        df[col] = sig(df[col].to_numpy(dtype=float), 5)
    df = df.reset_index()
    cols = ["iso3", "income_group", "n_obs", "growth_rel_observed", "se", "group_median", "weight"]
    return df[[*cols, "growth_rel", "growth_real", "method"]]


def elasticities(
    countries: pd.DataFrame,
    growth: pd.DataFrame,
    wdi: pd.DataFrame,
    projection: pd.DataFrame,
    min_obs: int = 6,
) -> pd.DataFrame:
    """Elasticity of density to GDP per capita: cross-section of levels, and within-country
    growth (density growth on GDP per capita growth relative to the world, both over the NHWA
    window 2008-2020; the world's growth only moves the constant)."""
    from worldbuild.supply import WINDOW as NHWA_WINDOW

    cty = countries.set_index("iso3")
    pop = projection.pivot(index="iso3", columns="year", values="population")
    first, last = NHWA_WINDOW
    pop_growth = np.log(pop[last] / pop[first]) / (last - first)
    gdp = gdp_growth(wdi, countries, 0.0, window=NHWA_WINDOW)
    rows = []
    for cadre in CADRES:
        keep = ~cty["imputed"].fillna("").str.contains("gdp_pc_ppp")
        x = np.log(cty.loc[keep, "gdp_pc_ppp"])
        y = np.log(cty.loc[keep, f"{cadre}_density"])
        definition = "ln density on ln GDP per capita PPP, 194 countries (latest years)"
        rows.append(_slope(y, x) | {"cadre": cadre, "estimate": "cross_section_levels"})
        rows[-1]["definition"] = definition
        g = growth[(growth["cadre"] == cadre) & (growth["n_obs"] >= min_obs)].set_index("iso3")
        g = g[g["growth_observed"].notna()]
        dens = g["growth_observed"] - pop_growth.reindex(g.index)
        real = gdp.set_index("iso3")["growth_rel_observed"].reindex(g.index)
        ok = dens.notna() & real.notna()
        rows.append(_slope(dens[ok], real[ok]) | {"cadre": cadre, "estimate": "within_growth"})
        rows[-1]["definition"] = (
            f"density growth (NHWA count trend minus population growth, {first}-{last}) on GDP "
            f"per capita growth relative to the world ({first}-{last}); countries with >= "
            f"{min_obs} count observations"
        )
    out = pd.DataFrame(rows)[["cadre", "estimate", "elasticity", "se_hc1", "n", "r2", "definition"]]
    for col in ("elasticity", "se_hc1", "r2"):
        out[col] = sig(out[col].to_numpy(), 4)
    return out


def _slope(y: pd.Series, x: pd.Series) -> dict[str, float]:
    """OLS slope of ``y`` on ``x`` (with a constant), its HC1 error, n and R squared."""
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.OLS(y, sm.add_constant(x)).fit(cov_type="HC1")
    return {
        "elasticity": float(res.params.iloc[1]),
        "se_hc1": float(res.bse.iloc[1]),
        "n": int(res.nobs),
        "r2": float(res.rsquared),
    }
