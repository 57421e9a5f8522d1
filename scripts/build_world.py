"""Build the bundled world tables in ``sim/data/`` from the raw public files in ``sim/data/raw/``.

Usage::

    python scripts/build_world.py [--raw DIR] [--out DIR] [--quiet]

Writes ``countries.csv``, ``population_projection.csv``, ``ftd_doctors_2018.csv``,
``ftd_destinations.csv``, ``migrant_stock_2020.csv``, ``affinity.csv`` and ``safeguards_check.csv``.
Sources, vintages, licences and every choice made here are documented in ``sim/data/SOURCES.md``.
The output is deterministic: rebuilding from the same raw files gives the same bytes (values are
rounded explicitly before writing; rows are sorted).
"""

from __future__ import annotations

import os

# One BLAS thread: the gravity fits are many small least-squares problems (faster single-threaded
# on a shared machine) and the tables must not depend on the thread count. Set before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
from collections.abc import Iterable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from worldbuild import demand, gravity, initial_stock, literature, supply  # noqa: E402
from worldbuild.common import RECOGNITION_AREA, RECOGNITION_LEFT  # noqa: E402

log = logging.getLogger("build_world")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RAW = ROOT / "sim" / "data" / "raw"
DEFAULT_OUT = ROOT / "sim" / "data"

BASE_YEAR = 2020
"""Year the stocks refer to: population of this year times the latest density."""
PROJ_FIRST, PROJ_LAST = 2000, 2100
SSL_DENSITY_THRESHOLD = 49.0
"""Doctors + nurses/midwives per 10,000: the 2023 safeguards-list global median (48.6, rounded)."""
SSL_UHC_THRESHOLD = 55.0
SSL_EXPECTED = 55
MIN_GROUP_SIZE = 3
"""A group median is used for imputation only if the group has this many observed values."""

FILES = {
    "members": "who_gho/who_member_states.tsv",
    "who_doctors": "who_gho/medical_doctors_per10000.csv",
    "who_nurses": "who_gho/nursing_midwives_per10000.csv",
    "wdi_doctors": "wdi_2023/API_SH.MED.PHYS.ZS_DS2_en_csv_v2_5359574.csv",
    "wdi_nurses": "wdi_2023/API_SH.MED.NUMW.P3_DS2_en_csv_v2_5359576.csv",
    "wdi_urban": "wdi_2022/API_SP.URB.TOTL.IN.ZS_DS2_en_csv_v2_4151278.csv",
    "wdi_population": "wdi_2025/API_SP.POP.TOTL_DS2_en_csv_v2_246068.csv",
    "wdi_uhc": "wdi_2025/API_SH.UHC.SRVS.CV.XD_DS2_en_csv_v2_15880.csv",
    "wdi_gdp": "wdi_2025/API_NY.GDP.PCAP.PP.CD_DS2_en_csv_v2_216039.csv",
    "income": "worldbank/CLASS_2023-01.xlsx",
    "owid_population": "owid/owid_population-with-un-projections.csv",
    "owid_uhc": "owid/owid_universal-health-coverage-index.csv",
    "ftd_by_origin": "oecd/oecd_health_wfmi_foreign_trained_doctors_stock_2018_by_origin.csv",
    "ftd_totals": "oecd/oecd_ftd_stock_2018_with_totals_afeb038.csv",
    "migrant_stock": "undesa/migrant_stock_bilateral_1990_2020.csv",
    "cepii": "cepii/dist_cepii.csv",
    "ssl": "ssl_2023_countries.csv",
    "targets": "calibration_targets.csv",
    "lit_shares": "literature/foreign_trained_shares.csv",
    "lit_natives": "literature/natives_trained_abroad.csv",
    "lit_anchors": "literature/anchors.csv",
    "lit_register": "literature/register_counts.csv",
    "lit_hazards": "literature/exit_hazards.csv",
    "lit_ages": "literature/entry_and_migration_age.csv",
    "lit_channels": "literature/recruitment_channels.csv",
    "lit_posts": "literature/post_expansions.csv",
    "lit_expansion": "literature/training_expansion.csv",
    "lit_costs": "literature/training_costs.csv",
    "lit_income": "literature/national_income.csv",
}

WHO_REGIONS = {
    "African Region": "AFR",
    "Region of the Americas": "AMR",
    "South-East Asia Region": "SEAR",
    "European Region": "EUR",
    "Eastern Mediterranean Region": "EMR",
    "Western Pacific Region": "WPR",
}
INCOME_GROUPS = {
    "Low income": "L",
    "Lower middle income": "LM",
    "Upper middle income": "UM",
    "High income": "H",
}
INCOME_ORDER = ("L", "LM", "UM", "H")

COUNTRY_COLUMNS = [
    "iso3",
    "name",
    "who_region",
    "income_group",
    "population",
    "urban_share",
    "doctors",
    "nurses",
    "doctors_density",
    "nurses_density",
    "doctors_year",
    "nurses_year",
    "doctors_source",
    "nurses_source",
    "safeguards",
    "recognition_area",
    "free_movement",
    "uhc_index",
    "gdp_pc_ppp",
    "imputed",
    "urban_year",
    "uhc_year",
    "gdp_year",
    "gdp_basis",
]
IMPUTABLE = (
    "income_group",
    "urban_share",
    "doctors_density",
    "nurses_density",
    "uhc_index",
    "gdp_pc_ppp",
)
"""Fields that may be imputed, in the order they are imputed and listed in ``imputed``."""

CEPII_CODE_FIXES = {
    "ZAR": ("COD",),
    "TMP": ("TLS",),
    "YUG": ("SRB", "MNE"),
    "PAL": ("PSE",),
    "ROM": ("ROU",),
}
"""Old CEPII codes and the current ISO3 code(s) that inherit their rows."""
CEPII_LINKS = {
    "common_language": ("comlang_off", "common_language"),
    "colony": ("colony", "colony"),
    "contiguous": ("contig", "distance_km"),
    "common_ethnic_language": ("comlang_ethno", "common_language"),
    "colony_post1945": ("col45", "colony"),
}
"""0/1 links read from CEPII: field -> (CEPII column, the ``CEPII_PROXIES`` key that stands in).

``common_language``: a common official language; ``colony``: ever in a colonial relationship;
``contiguous``: a common border; ``common_ethnic_language``: a language spoken by at least 9% of
both populations; ``colony_post1945``: a colonial relationship after 1945 (Mayer & Zignago 2011).
"""
CEPII_PROXIES = {
    "MCO": {"distance_km": "FRA", "common_language": "FRA", "colony": None},
    "SSD": {"distance_km": "SDN", "common_language": "UGA", "colony": "SDN"},
}
"""Member states absent from CEPII: for each field, the country whose CEPII row stands in.

``None`` means no link (0). Monaco is an enclave of France sharing its official language (French)
but not its colonial links. South Sudan was part of Sudan until 2011 (CEPII predates it): its
distances and Anglo-Egyptian colonial links are Sudan's; its official language is English, for
which Uganda (English official, CEPII) stands in. A country and its own language proxy share a
language (1); a country paired with its distance proxy gets the proxy's internal distance.
"""
UNDESA_CODE_FIXES = {"TZ": "TZA", "PS": "PSE"}
UNDESA_MALI_SOURCE_INDEX = (11450, 11505)
"""Rows labelled destination ``MLT`` whose source index (``Unnamed: 0``) is in this range are Mali.

The file has two blocks of rows with destination ``MLT``; this one sits between Liberia and
Mauritania in the source ordering and its largest origins are Cote d'Ivoire, Burkina Faso and
Guinea. Mali is otherwise absent as a destination (and, in this file, entirely as an origin).
"""


# --------------------------------------------------------------------------------------------
# readers
# --------------------------------------------------------------------------------------------


def read_member_states(path: Path) -> pd.DataFrame:
    """The 194 WHO Member States (``TRUE`` rows) with their WHO region code, sorted by ISO3."""
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    df = df[df["who_member_state"].str.strip().str.upper() == "TRUE"].copy()
    df["iso3"] = df["iso_3166"].str.strip()
    df["who_region"] = df["who_region"].str.strip().map(WHO_REGIONS)
    if df["who_region"].isna().any():
        bad = df.loc[df["who_region"].isna(), "iso3"].tolist()
        raise ValueError(f"unknown WHO region for {bad}")
    return df[["iso3", "who_region"]].sort_values("iso3").reset_index(drop=True)


def read_who_gho_latest(path: Path, indicator: str) -> pd.DataFrame:
    """Latest value per country of one GHO indicator: ``iso3, name, value, year``.

    The latest year is the row flagged ``IsLatestYear``; a country without such a row takes its
    maximum ``Period``.
    """
    df = pd.read_csv(path, encoding="utf-8")
    df = df[(df["IndicatorCode"] == indicator) & df["FactValueNumeric"].notna()]
    df = df.sort_values(["SpatialDimValueCode", "Period"])
    flagged = df[df["IsLatestYear"].astype(str).str.upper() == "TRUE"]
    fallback = df[~df["SpatialDimValueCode"].isin(flagged["SpatialDimValueCode"])]
    fallback = fallback.groupby("SpatialDimValueCode").tail(1)
    out = pd.concat([flagged, fallback]).drop_duplicates("SpatialDimValueCode", keep="last")
    out = out.rename(
        columns={
            "SpatialDimValueCode": "iso3",
            "Location": "name",
            "FactValueNumeric": "value",
            "Period": "year",
        }
    )
    return out[["iso3", "name", "value", "year"]].set_index("iso3").sort_index()


def read_wdi(path: Path) -> pd.DataFrame:
    """A WDI bulk CSV (4 preamble lines) as a wide table: ISO3 rows x int year columns."""
    df = pd.read_csv(path, skiprows=4, encoding="utf-8-sig")
    df = df.set_index("Country Code")
    years = [c for c in df.columns if str(c).strip().isdigit()]
    wide = df[years].apply(pd.to_numeric, errors="coerce")
    wide.columns = [int(c) for c in years]
    return wide


def wdi_latest(wide: pd.DataFrame, codes: Iterable[str]) -> pd.DataFrame:
    """Latest non-missing value and its year per country: ``value, year`` indexed by ISO3."""
    sub = wide.reindex(list(codes))
    years = np.array(sub.columns, dtype=int)
    values = sub.to_numpy(dtype=float)
    has = ~np.isnan(values)
    last = np.where(has.any(axis=1), values.shape[1] - 1 - np.argmax(has[:, ::-1], axis=1), -1)
    rows = np.arange(len(sub))
    value = np.where(last >= 0, values[rows, np.maximum(last, 0)], np.nan)
    year = pd.array(np.where(last >= 0, years[np.maximum(last, 0)], 0), dtype="Int64")
    year[last < 0] = pd.NA
    return pd.DataFrame({"value": value, "year": year}, index=sub.index)


def read_income_groups(path: Path) -> pd.Series:
    """World Bank FY2023 income group code (L, LM, UM, H) by ISO3; NaN where unclassified."""
    df = pd.read_excel(path, sheet_name="List of economies", engine="openpyxl")
    df = df.dropna(subset=["Code"])
    return df.set_index("Code")["Income group"].map(INCOME_GROUPS)


def read_owid_population(path: Path) -> pd.DataFrame:
    """UN WPP 2024 population via OWID, long form ``iso3, year, population``.

    Estimates (``Population, total``, to 2023) and the medium projection (2024 on) are joined.
    """
    df = pd.read_csv(path)
    df = df.dropna(subset=["Code"])
    est = df["Population, total"]
    proj = df["Population, medium projection (Projected)"]
    both = est.notna() & proj.notna()
    if both.any():
        raise ValueError("OWID population: estimate and projection overlap")
    out = pd.DataFrame(
        {"iso3": df["Code"], "year": df["Year"].astype(int), "population": est.fillna(proj)}
    )
    return out.dropna(subset=["population"])


def read_owid_latest(path: Path, column: str) -> pd.DataFrame:
    """Latest value and year per country of one OWID indicator (``value, year`` by ISO3)."""
    df = pd.read_csv(path).dropna(subset=["Code", column]).sort_values(["Code", "Year"])
    last = df.groupby("Code").tail(1).set_index("Code")
    return pd.DataFrame({"value": last[column], "year": last["Year"].astype("Int64")})


def read_ssl(path: Path) -> list[str]:
    """ISO3 codes on the WHO health workforce support and safeguards list 2023."""
    df = pd.read_csv(path, dtype=str)
    return sorted(df["iso3"].str.strip())


# --------------------------------------------------------------------------------------------
# countries
# --------------------------------------------------------------------------------------------


def pick_density(
    iso3: pd.Index, who: pd.DataFrame, wdi: pd.DataFrame, scale_wdi: float
) -> pd.DataFrame:
    """Density per 10,000 preferring WHO GHO, else WDI (x ``scale_wdi``); ``value, year, source``.

    Rows missing in both sources get ``source = "imputed"`` and NaN value, to be imputed later.
    """
    w = who.reindex(iso3)
    b = wdi.reindex(iso3)
    use_who = w["value"].notna()
    use_wdi = ~use_who & b["value"].notna()
    value = np.where(use_who, w["value"], np.where(use_wdi, b["value"] * scale_wdi, np.nan))
    year = np.where(use_who, w["year"], np.where(use_wdi, b["year"].fillna(0), BASE_YEAR))
    source = np.where(use_who, "who_gho", np.where(use_wdi, "wdi", "imputed"))
    return pd.DataFrame({"value": value, "year": year.astype(int), "source": source}, index=iso3)


def impute_income_group(df: pd.DataFrame, gdp_observed: pd.Series) -> pd.Series:
    """Fill missing income groups; return the mask of imputed rows.

    A country with an observed GDP per capita (PPP) takes the group whose median log GDP is
    nearest; otherwise the most common group of its WHO region (ties: the lower-income group).
    """
    missing = df["income_group"].isna()
    known = df[~missing & gdp_observed]
    log_median = np.log(known["gdp_pc_ppp"]).groupby(known["income_group"]).median()
    for i in df.index[missing]:
        if gdp_observed[i]:
            dist = (log_median - math.log(df.at[i, "gdp_pc_ppp"])).abs()
            df.at[i, "income_group"] = min(dist.index, key=lambda g: (dist[g], g))
        else:
            peers = df.loc[~missing & (df["who_region"] == df.at[i, "who_region"]), "income_group"]
            counts = peers.value_counts()
            df.at[i, "income_group"] = min(
                INCOME_ORDER, key=lambda g: (-counts.get(g, 0), INCOME_ORDER.index(g))
            )
    return missing


def impute_group_median(df: pd.DataFrame, field: str) -> pd.Series:
    """Fill NaNs of ``field`` with a group median of the observed values; return the mask.

    The first of (WHO region x income group), (income group), (all countries) with at least
    ``MIN_GROUP_SIZE`` observed values gives the median.
    """
    missing = df[field].isna()
    observed = df[~missing]
    for i in df.index[missing]:
        region, income = df.at[i, "who_region"], df.at[i, "income_group"]
        for mask in (
            (observed["who_region"] == region) & (observed["income_group"] == income),
            observed["income_group"] == income,
            pd.Series(True, index=observed.index),
        ):
            if mask.sum() >= MIN_GROUP_SIZE:
                df.at[i, field] = float(observed.loc[mask, field].median())
                break
    return missing


def build_countries(raw: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """Assemble ``countries.csv`` (one row per WHO Member State) and the imputation counts."""
    members = read_member_states(raw / FILES["members"])
    iso3 = pd.Index(members["iso3"], name="iso3")
    df = members.set_index("iso3")

    who_doc = read_who_gho_latest(raw / FILES["who_doctors"], "HWF_0001")
    who_nur = read_who_gho_latest(raw / FILES["who_nurses"], "HWF_0006")
    owid_pop = read_owid_population(raw / FILES["owid_population"])
    names = who_doc["name"].combine_first(who_nur["name"])
    owid_names = pd.read_csv(raw / FILES["owid_population"]).dropna(subset=["Code"])
    owid_names = owid_names.drop_duplicates("Code").set_index("Code")["Entity"]
    df["name"] = names.reindex(iso3).fillna(owid_names.reindex(iso3))
    if df["name"].isna().any():
        raise ValueError(f"no name for {df.index[df['name'].isna()].tolist()}")

    df["income_group"] = read_income_groups(raw / FILES["income"]).reindex(iso3)

    pop_base = owid_pop[owid_pop["year"] == BASE_YEAR].set_index("iso3")["population"]
    wdi_pop = read_wdi(raw / FILES["wdi_population"])[BASE_YEAR]
    df["population"] = pop_base.reindex(iso3).fillna(wdi_pop.reindex(iso3))
    if df["population"].isna().any():
        raise ValueError(f"no {BASE_YEAR} population for {df.index[df['population'].isna()]}")

    urban = wdi_latest(read_wdi(raw / FILES["wdi_urban"]), iso3)
    df["urban_share"] = urban["value"] / 100.0
    df["urban_year"] = urban["year"]

    for cadre, who, wdi_key in (
        ("doctors", who_doc, "wdi_doctors"),
        ("nurses", who_nur, "wdi_nurses"),
    ):
        wdi = wdi_latest(read_wdi(raw / FILES[wdi_key]), iso3)
        dens = pick_density(iso3, who, wdi, scale_wdi=10.0)
        df[f"{cadre}_density"] = dens["value"]
        df[f"{cadre}_year"] = dens["year"]
        df[f"{cadre}_source"] = dens["source"]

    uhc = read_owid_latest(raw / FILES["owid_uhc"], "UHC Service Coverage Index (SDG 3.8.1)")
    uhc = uhc.reindex(iso3)
    uhc_wdi = wdi_latest(read_wdi(raw / FILES["wdi_uhc"]), iso3)
    df["uhc_index"] = uhc["value"].fillna(uhc_wdi["value"])
    df["uhc_year"] = uhc["year"].fillna(uhc_wdi["year"])

    gdp = wdi_latest(read_wdi(raw / FILES["wdi_gdp"]), iso3)
    df["gdp_pc_ppp"] = gdp["value"]
    df["gdp_year"] = gdp["year"]
    demand.national_income_level(df, raw / FILES["lit_income"])

    ssl = read_ssl(raw / FILES["ssl"])
    unknown = sorted(set(ssl) - set(iso3))
    if len(ssl) != SSL_EXPECTED or unknown:
        raise ValueError(f"safeguards list: {len(ssl)} codes (expected 55), unknown {unknown}")
    df["safeguards"] = iso3.isin(ssl).astype(int)
    df["recognition_area"] = iso3.isin([*RECOGNITION_AREA, *RECOGNITION_LEFT]).astype(int)
    df["free_movement"] = iso3.isin(RECOGNITION_AREA).astype(int)

    df = df.reset_index()
    imputed = {field: pd.Series(False, index=df.index) for field in IMPUTABLE}
    imputed["income_group"] = impute_income_group(df, df["gdp_pc_ppp"].notna())
    for field in IMPUTABLE[1:]:
        imputed[field] = impute_group_median(df, field)
    for field in ("urban_share", "uhc_index", "gdp_pc_ppp"):
        df.loc[imputed[field], f"{field.split('_')[0]}_year"] = pd.NA
    df["imputed"] = [";".join(f for f in IMPUTABLE if imputed[f][i]) for i in range(len(df))]
    counts = {field: int(imputed[field].sum()) for field in IMPUTABLE}

    df["population"] = df["population"].round().astype("int64")
    for cadre in ("doctors", "nurses"):
        df[f"{cadre}_density"] = df[f"{cadre}_density"].round(4)
        df[cadre] = (df[f"{cadre}_density"] * df["population"] / 10_000).round(2)
    df["urban_share"] = df["urban_share"].round(5)
    df["uhc_index"] = df["uhc_index"].round(5)
    df["gdp_pc_ppp"] = df["gdp_pc_ppp"].round(2)
    for col in ("urban_year", "uhc_year", "gdp_year"):
        df[col] = df[col].astype("Int64")
    df = df[COUNTRY_COLUMNS].sort_values("iso3").reset_index(drop=True)
    check_countries(df)
    return df, counts


def check_countries(df: pd.DataFrame) -> None:
    """Fail loudly if a country row is incomplete or out of range."""
    numeric = ["population", "urban_share", "doctors", "nurses", "doctors_density"]
    numeric += ["nurses_density", "uhc_index", "gdp_pc_ppp"]
    values = df[numeric].to_numpy(dtype=float)
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError("countries: non-finite or negative values remain")
    if df[["name", "who_region", "income_group"]].isna().any().any():
        raise ValueError("countries: missing name, region or income group")
    if not df["urban_share"].between(0, 1).all():
        raise ValueError("countries: urban_share outside 0..1")
    if df["iso3"].duplicated().any():
        raise ValueError("countries: duplicate ISO3 codes")


# --------------------------------------------------------------------------------------------
# population projection
# --------------------------------------------------------------------------------------------


def build_population_projection(raw: Path, iso3: list[str]) -> pd.DataFrame:
    """Long-form population ``iso3, year, population`` for ``PROJ_FIRST..PROJ_LAST``."""
    pop = read_owid_population(raw / FILES["owid_population"])
    pop = pop[pop["iso3"].isin(iso3) & pop["year"].between(PROJ_FIRST, PROJ_LAST)].copy()
    expected = len(iso3) * (PROJ_LAST - PROJ_FIRST + 1)
    if len(pop) != expected:
        raise ValueError(f"population projection: {len(pop)} rows, expected {expected}")
    pop["population"] = pop["population"].round().astype("int64")
    return pop.sort_values(["iso3", "year"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# bilateral tables
# --------------------------------------------------------------------------------------------


def build_ftd(raw: Path, iso3: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """OECD 2018 foreign-trained doctors: the member-state pairs and a per-destination table.

    A destination counts as reporting by origin if its by-origin rows hold at least one doctor
    (Greece lists only three origins, all zero). ``total_reported`` is the OECD "Total" row where
    the destination has exactly one such row in the with-totals file.
    """
    members = set(iso3)
    by = pd.read_csv(raw / FILES["ftd_by_origin"], encoding="utf-8-sig")
    by = by.rename(columns={"CO2": "origin", "COU": "destination", "Value": "doctors"})
    if by.duplicated(["origin", "destination"]).any():
        raise ValueError("OECD by-origin file: duplicate origin-destination rows")
    pairs = by[by["origin"].isin(members) & by["destination"].isin(members) & (by["doctors"] > 0)]
    pairs = pairs[pairs["origin"] != pairs["destination"]]
    pairs = pairs[["origin", "destination", "doctors"]].astype({"doctors": "int64"})
    pairs = pairs.sort_values(["origin", "destination"]).reset_index(drop=True)

    name_to_iso = dict(zip(by["Country"], by["destination"], strict=False))
    name_to_iso.update(zip(by["Country of origin"], by["origin"], strict=False))
    tot = pd.read_csv(raw / FILES["ftd_totals"], encoding="utf-8-sig")
    tot = tot[tot["Country of origin"] == "Total"].copy()
    tot["destination"] = tot["Country"].map(name_to_iso)
    if tot["destination"].isna().any():
        raise ValueError(f"OECD totals: unknown names {tot.loc[tot['destination'].isna()]}")
    n_tot = tot.groupby("destination")["Value"].agg(["count", "first"])
    unique_total = n_tot.loc[n_tot["count"] == 1, "first"]

    grouped = by.groupby("destination")["doctors"]
    dest = pd.DataFrame({"origins_listed": grouped.size(), "doctors_by_origin": grouped.sum()})
    dest = dest.reindex(sorted(set(dest.index) | set(n_tot.index)))
    dest["by_origin_reported"] = (dest["doctors_by_origin"].fillna(0) > 0).astype(int)
    dest["doctors_by_origin_members"] = pairs.groupby("destination")["doctors"].sum()
    dest["total_reported"] = unique_total
    dest["total_rows"] = n_tot["count"]
    dest = dest[dest.index.isin(members)].fillna(0)
    dest["total_reported"] = dest["total_reported"].where(dest["total_rows"] == 1)
    cols = ["origins_listed", "doctors_by_origin", "doctors_by_origin_members", "total_rows"]
    dest[cols] = dest[cols].astype("int64")
    dest["total_reported"] = dest["total_reported"].astype("Int64")
    dest = dest.rename_axis("destination").reset_index()
    dest = dest[
        [
            "destination",
            "by_origin_reported",
            "origins_listed",
            "doctors_by_origin",
            "doctors_by_origin_members",
            "total_reported",
            "total_rows",
        ]
    ]
    return pairs, dest


def build_migrant_stock(raw: Path, iso3: list[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """UN DESA 2020 bilateral migrant stock between member states (zeros dropped).

    Fixes the non-ISO codes (``TZ``, ``PS``) and the Mali rows mislabelled ``MLT`` (see
    ``UNDESA_MALI_SOURCE_INDEX``). Returns the table and counts of the fixes.
    """
    df = pd.read_csv(raw / FILES["migrant_stock"])
    lo, hi = UNDESA_MALI_SOURCE_INDEX
    mali = (df["dest"] == "MLT") & df["Unnamed: 0"].between(lo, hi)
    top = df[mali].nlargest(2, "2020")["orig"].tolist()
    if sorted(top) != ["BFA", "CIV"] or (df["dest"] == "MLI").any():
        raise ValueError("UN DESA: the Mali block is not where expected; review the fix")
    df.loc[mali, "dest"] = "MLI"
    fixes = {"MLT->MLI (destination)": int(mali.sum())}
    for old, new in UNDESA_CODE_FIXES.items():
        fixes[f"{old}->{new}"] = int((df["dest"] == old).sum() + (df["orig"] == old).sum())
        df["dest"] = df["dest"].replace(old, new)
        df["orig"] = df["orig"].replace(old, new)
    if df.duplicated(["orig", "dest"]).any():
        raise ValueError("UN DESA: duplicate origin-destination rows after the code fixes")
    members = set(iso3)
    df = df[df["orig"].isin(members) & df["dest"].isin(members) & (df["2020"] > 0)]
    df = df[df["orig"] != df["dest"]]
    out = pd.DataFrame(
        {"origin": df["orig"], "destination": df["dest"], "migrants": df["2020"].astype("int64")}
    )
    return out.sort_values(["origin", "destination"]).reset_index(drop=True), fixes


def read_cepii(path: Path) -> pd.DataFrame:
    """CEPII GeoDist with current ISO3 codes: ``origin, destination, distance_km`` and the
    link fields of ``CEPII_LINKS`` (0/1), plus ``source`` (``cepii_distw`` or ``cepii_dist``).
    """
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    blank = (df["iso_o"] == "") | (df["iso_d"] == "")
    kaz = (df["iso_o"] == "ZAF") & (df["iso_d"] == "")
    if blank.sum() != kaz.sum() or kaz.sum() > 1:
        raise ValueError("CEPII: unexpected blank codes")
    df.loc[kaz, "iso_d"] = "KAZ"
    for col in ("iso_o", "iso_d"):
        df[col] = df[col].map(lambda c: list(CEPII_CODE_FIXES.get(c, (c,))))
        df = df.explode(col)
    df = df.drop_duplicates(["iso_o", "iso_d"], keep="first")
    use_w = df["distw"] != "."
    dist = np.where(use_w, df["distw"], df["dist"])
    out = {
        "origin": df["iso_o"].to_numpy(),
        "destination": df["iso_d"].to_numpy(),
        "distance_km": pd.to_numeric(pd.Series(dist), errors="raise").to_numpy(),
    }
    for field, (column, _) in CEPII_LINKS.items():
        out[field] = df[column].astype(int).to_numpy()
    out["source"] = np.where(use_w, "cepii_distw", "cepii_dist")
    return pd.DataFrame(out)


def build_dyads(raw: Path, countries: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """All member-state pairs: CEPII distance and the links of ``CEPII_LINKS``.

    Countries missing in CEPII take a documented proxy (``CEPII_PROXIES``); any pair still
    missing gets the median CEPII distance between the two WHO regions (internal distances for a
    self pair), with every link 0. ``affinity.csv`` is a selection of these columns; the gravity
    model (``worldbuild.gravity``) uses them all.
    """
    iso3 = countries["iso3"].tolist()
    region = dict(zip(countries["iso3"], countries["who_region"], strict=True))
    cep = read_cepii(raw / FILES["cepii"])
    cep = cep[cep["origin"].isin(iso3) & cep["destination"].isin(iso3)]
    links = list(CEPII_LINKS)
    table = {(o, d): row for o, d, *row in cep.itertuples(index=False)}
    present = {c for pair in table for c in pair}
    proxied = {c: f for c, f in CEPII_PROXIES.items() if c not in present}
    counts = {"cepii_distw": 0, "cepii_dist": 0, "proxy": 0, "region_median": 0}

    def by_proxy(o: str, d: str, field: str) -> float | None:
        """A field of the pair (o, d) read from the proxies' CEPII row (None if unavailable)."""
        proxy_key = "distance_km" if field == "distance_km" else CEPII_LINKS[field][1]
        po = proxied[o][proxy_key] if o in proxied else o
        pd_ = proxied[d][proxy_key] if d in proxied else d
        if po is None or pd_ is None:
            return 0
        if po == pd_ and o != d and field != "distance_km":
            # a country and its own proxy: neighbours sharing the language, never colonies
            return 0 if proxy_key == "colony" else 1
        row = table.get((po, pd_))
        return None if row is None else row[0 if field == "distance_km" else 1 + links.index(field)]

    rows = []
    for o in iso3:
        for d in iso3:
            if (o, d) in table:
                dist, *values, source = table[(o, d)]
            elif o in proxied or d in proxied:
                dist = by_proxy(o, d, "distance_km")
                values = [by_proxy(o, d, field) or 0 for field in links]
                names = {v for c in (o, d) if c in proxied for v in proxied[c].values() if v}
                source = "proxy_" + "+".join(sorted(names))
                if dist is None:
                    dist, source = np.nan, "region_median"
            else:
                dist, values, source = np.nan, [0] * len(links), "region_median"
            counts["proxy" if source.startswith("proxy") else source] += 1
            rows.append((o, d, dist, *values, source))
    out = pd.DataFrame(rows, columns=["origin", "destination", "distance_km", *links, "source"])
    if counts["region_median"]:
        observed = out[out["source"].str.startswith("cepii")]
        med = (
            observed.assign(
                ro=observed["origin"].map(region),
                rd=observed["destination"].map(region),
                internal=observed["origin"] == observed["destination"],
            )
            .groupby(["ro", "rd", "internal"])["distance_km"]
            .median()
        )
        for i in out.index[out["distance_km"].isna()]:
            o, d = out.at[i, "origin"], out.at[i, "destination"]
            out.at[i, "distance_km"] = med[(region[o], region[d], o == d)]
    out["distance_km"] = out["distance_km"].round(4)
    out[links] = out[links].astype("int64")
    area = set(RECOGNITION_AREA) | set(RECOGNITION_LEFT)
    both = out["origin"].isin(area) & out["destination"].isin(area)
    out["mutual_recognition_2018"] = (both & (out["origin"] != out["destination"])).astype("int64")
    return out.sort_values(["origin", "destination"]).reset_index(drop=True), counts


AFFINITY_COLUMNS = [
    "origin",
    "destination",
    "distance_km",
    "common_language",
    "colony",
    "practice_language_doctors",
    "practice_language_nurses",
    "source",
]
"""``practice_language_<cadre>``: ``common_language`` read as the language of practice of the
cadre (`initial_stock.practice_language`: English at the Gulf's destinations), the one rule that
both the initial stock and the model's destination choice read (docs/data.md §1.5)."""


def with_practice_language(dyads: pd.DataFrame) -> pd.DataFrame:
    """The dyads with a ``practice_language_<cadre>`` column (0/1) for each cadre."""
    out = dyads.copy()
    for cadre in ("doctors", "nurses"):
        read = initial_stock.practice_language(dyads, cadre)
        out[f"practice_language_{cadre}"] = read["common_language"].astype("int64")
    return out


# --------------------------------------------------------------------------------------------
# safeguards-list check
# --------------------------------------------------------------------------------------------


def build_safeguards_check(countries: pd.DataFrame) -> pd.DataFrame:
    """Recompute the safeguards list from its published criteria and compare (a report only).

    Criteria: doctors + nurses/midwives per 10,000 below ``SSL_DENSITY_THRESHOLD`` and UHC
    service coverage index below ``SSL_UHC_THRESHOLD``, with the densities and UHC used here.
    """
    df = countries[["iso3", "name", "who_region", "doctors_density", "nurses_density"]].copy()
    df["density_total"] = (df["doctors_density"] + df["nurses_density"]).round(4)
    df["uhc_index"] = countries["uhc_index"]
    df["published"] = countries["safeguards"].astype(int)
    df["recomputed"] = (
        (df["density_total"] < SSL_DENSITY_THRESHOLD) & (df["uhc_index"] < SSL_UHC_THRESHOLD)
    ).astype(int)
    df = df[(df["published"] == 1) | (df["recomputed"] == 1)].copy()
    df["status"] = np.select(
        [df["published"] == df["recomputed"], df["recomputed"] == 1],
        ["both", "recomputed_not_published"],
        "published_not_recomputed",
    )
    return df.sort_values(["status", "iso3"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------------


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write a table as UTF-8 CSV with ``\\n`` line ends (values are rounded beforehand)."""
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    log.info("wrote %s (%d rows)", path.name, len(df))


def build(raw: Path, out: Path) -> dict[str, pd.DataFrame]:
    """Build every derived table from ``raw`` into ``out``; return them by file name."""
    out.mkdir(parents=True, exist_ok=True)
    countries, imputations = build_countries(raw)
    iso3 = countries["iso3"].tolist()
    for field, n in imputations.items():
        who = countries.loc[countries["imputed"].str.contains(field), "iso3"].tolist()
        log.info("imputed %-16s %3d %s", field, n, " ".join(who) or "-")
    log.info(
        "%d countries; %.0f doctors, %.0f nurses and midwives; %d on the safeguards list",
        len(countries),
        countries["doctors"].sum(),
        countries["nurses"].sum(),
        countries["safeguards"].sum(),
    )
    for cadre in ("doctors", "nurses"):
        sources = countries[f"{cadre}_source"].value_counts().sort_index()
        log.info("%s density sources: %s", cadre, sources.to_dict())

    projection = build_population_projection(raw, iso3)
    ftd, destinations = build_ftd(raw, iso3)
    reporting = destinations.loc[destinations["by_origin_reported"] == 1, "destination"]
    log.info(
        "OECD 2018: %d destinations report by origin (%s); %d member pairs, %d doctors",
        len(reporting),
        " ".join(reporting),
        len(ftd),
        ftd["doctors"].sum(),
    )
    migrants, fixes = build_migrant_stock(raw, iso3)
    log.info(
        "UN DESA 2020: %d member pairs, %d migrants; code fixes %s",
        len(migrants),
        migrants["migrants"].sum(),
        fixes,
    )
    dyads, sources = build_dyads(raw, countries)
    affinity = with_practice_language(dyads)[AFFINITY_COLUMNS]
    log.info("affinity: %d pairs; distance sources %s", len(affinity), sources)
    check = build_safeguards_check(countries)
    log.info(
        "safeguards list: %d published, %d recomputed (density < %g and UHC < %g), %d in both",
        int((check["published"] == 1).sum()),
        int((check["recomputed"] == 1).sum()),
        SSL_DENSITY_THRESHOLD,
        SSL_UHC_THRESHOLD,
        int((check["status"] == "both").sum()),
    )
    for _, r in check[check["status"] != "both"].iterrows():
        log.info(
            "  %s %s (%s): density %.2f, UHC %.1f",
            r["status"],
            r["iso3"],
            r["name"],
            r["density_total"],
            r["uhc_index"],
        )

    tables = {
        "countries.csv": countries,
        "population_projection.csv": projection,
        "ftd_doctors_2018.csv": ftd,
        "ftd_destinations.csv": destinations,
        "migrant_stock_2020.csv": migrants,
        "affinity.csv": affinity,
        "safeguards_check.csv": check,
    }
    tables |= build_corridors(raw, countries, dyads, migrants)
    tables |= build_supply_demand(raw, countries, projection)
    for name, table in tables.items():
        write_csv(table, out / name)
    return tables


def build_corridors(
    raw: Path, countries: pd.DataFrame, dyads: pd.DataFrame, migrants: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """The gravity fit and the initial foreign-trained stock (``worldbuild``)."""
    iso3 = countries["iso3"].tolist()
    targets = literature.read_targets(raw / FILES["targets"])
    listing = gravity.read_ftd_listing(raw / FILES["ftd_by_origin"], iso3)
    totals = gravity.oecd_totals(
        raw / FILES["ftd_totals"], raw / FILES["ftd_by_origin"], listing, iso3
    )
    frame = gravity.dyad_frame(dyads, countries, migrants, listing)
    fit = gravity.fit_gravity(frame, listing, totals, countries)
    published = literature.read_foreign_shares(raw / FILES["lit_shares"], iso3, targets)
    natives = literature.read_foreign_shares(raw / FILES["lit_natives"], iso3, targets)
    anchors = literature.read_anchors(raw / FILES["lit_anchors"], targets)
    register = literature.read_register_counts(
        raw / FILES["lit_register"], iso3, targets, dt.date(BASE_YEAR, 1, 1)
    )
    stock = initial_stock.build_initial_stock(
        fit, countries, listing, totals, published, anchors, register, natives
    )
    tables = gravity.tables(fit) | stock
    cells = stock["initial_foreign_trained.csv"]
    for k in ("doctors", "nurses"):
        log.info(
            "initial foreign-trained %s: %d workers in %d destinations",
            k,
            cells.loc[cells["cadre"] == k, "workers"].sum(),
            cells.loc[cells["cadre"] == k, "destination"].nunique(),
        )
    return tables


def build_supply_demand(
    raw: Path, countries: pd.DataFrame, projection: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """Stock growth, age profiles, GDP growth, elasticities, channels and training (worldbuild)."""
    iso3 = countries["iso3"].tolist()
    targets = literature.read_targets(raw / FILES["targets"])
    anchors = literature.read_anchors(raw / FILES["lit_anchors"], targets)
    anchor = anchors.set_index("name")["value"]
    counts = supply.read_counts(
        {"doctors": raw / FILES["who_doctors"], "nurses": raw / FILES["who_nurses"]}, iso3
    )
    growth = supply.stock_growth(counts, countries)
    hazards = literature.read_hazards(raw / FILES["lit_hazards"])
    ages = literature.read_ages(raw / FILES["lit_ages"])
    profile, by_group = supply.age_profiles(growth, countries, hazards, ages, anchors)
    wdi = read_wdi(raw / FILES["wdi_gdp"])
    gdp = demand.gdp_growth(wdi, countries, float(anchor["world_real_gdp_pc_growth"]))
    elasticity = demand.elasticities(countries, growth, wdi, projection)
    channels = literature.recruitment_channels(raw / FILES["lit_channels"], iso3)
    expansion = literature.training_expansion(raw / FILES["lit_expansion"], iso3)
    posts = literature.post_expansions(raw / FILES["lit_posts"], iso3)
    literature.read_costs(raw / FILES["lit_costs"])
    for k in ("doctors", "nurses"):
        g = growth[growth["cadre"] == k]
        log.info(
            "%s stock growth: %d countries observed, %d group medians, %d bounded",
            k,
            int((g["method"] != "group_median").sum()),
            int((g["method"] == "group_median").sum()),
            int((g["method"] == "bounded").sum()),
        )
    log.info("real GDP per capita growth: methods %s", gdp["method"].value_counts().to_dict())
    return {
        "stock_growth.csv": growth,
        "age_profile.csv": profile,
        "supply_by_group.csv": by_group,
        "gdp_growth.csv": gdp,
        "demand_elasticity.csv": elasticity,
        "recruitment_channels.csv": channels,
        "training_capacity.csv": expansion,
        "post_expansions.csv": posts,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=DEFAULT_RAW, help="raw data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--quiet", action="store_true", help="log warnings only")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    build(args.raw, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
