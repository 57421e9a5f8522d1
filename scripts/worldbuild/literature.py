"""Figures transcribed by hand from publications (``raw/literature/*.csv``), validated.

These files are not publishers' downloads: each row names its source, year and confidence
(``primary``, ``secondary``, ``approximate recollection`` or ``assumption``), and, where the
figure is also a calibration target, its id in ``calibration_targets.csv`` (such targets are then
inputs of the world and can no longer be held out; ``docs/data.md`` lists them).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from worldbuild.common import CADRES

CONFIDENCE = ("primary", "secondary", "approximate recollection", "assumption")


BLANK_ALLOWED = ("target", "partner", "annual_ceiling", "year_from", "value", "low", "high")
"""Columns that may be empty (no calibration target, no partner, no ceiling, a range only)."""


def read_table(path: Path, required: list[str]) -> pd.DataFrame:
    """A literature CSV with its required columns present and non-blank (``BLANK_ALLOWED``
    excepted)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    for col in required:
        blank = df[col].str.strip() == ""
        if blank.any() and col not in BLANK_ALLOWED:
            raise ValueError(f"{path}: blank {col} in rows {list(df.index[blank] + 2)}")
    return df


def check_confidence(df: pd.DataFrame, path: Path) -> None:
    """Every row's confidence is one of ``CONFIDENCE``."""
    bad = ~df["confidence"].isin(CONFIDENCE)
    if bad.any():
        raise ValueError(
            f"{path}: confidence must be one of {CONFIDENCE}: {df.loc[bad, 'confidence'].tolist()}"
        )


def check_cadres(df: pd.DataFrame, path: Path, allowed: tuple[str, ...] = CADRES) -> None:
    """Every row's cadre is one of ``allowed``."""
    bad = sorted(set(df["cadre"]) - set(allowed))
    if bad:
        raise ValueError(f"{path}: cadre must be one of {allowed}, not {bad}")


def check_codes(df: pd.DataFrame, column: str, iso3: list[str], path: Path) -> None:
    """Every code in ``column`` is a Member State."""
    bad = sorted(set(df[column]) - set(iso3))
    if bad:
        raise ValueError(
            f"{path}: unknown country codes in {column}: {bad}; expected the ISO3 codes of WHO "
            "Member States"
        )


def check_targets(df: pd.DataFrame, targets: pd.DataFrame, path: Path) -> None:
    """Every non-empty ``target`` cell is an id of the calibration targets."""
    ids = set(targets["id"])
    bad = sorted({t for t in df["target"] if t and t not in ids})
    if bad:
        raise ValueError(f"{path}: unknown calibration target ids {bad}")


def read_foreign_shares(path: Path, iso3: list[str], targets: pd.DataFrame) -> pd.DataFrame:
    """Published shares by destination and cadre: ``destination, cadre, share, low, high, ...``
    (the foreign-trained share, ``foreign_trained_shares.csv``; the share of the foreign-trained
    who are natives trained abroad, ``natives_trained_abroad.csv``)."""
    cols = [
        "destination",
        "cadre",
        "share",
        "low",
        "high",
        "year",
        "target",
        "confidence",
        "source",
    ]
    df = read_table(path, cols)
    check_codes(df, "destination", iso3, path)
    check_confidence(df, path)
    check_targets(df, targets, path)
    check_cadres(df, path)
    for col in ("share", "low", "high"):
        df[col] = pd.to_numeric(df[col], errors="raise")
    if not ((df["low"] <= df["share"]) & (df["share"] <= df["high"]) & (df["high"] < 1)).all():
        raise ValueError(f"{path}: need 0 < low <= share <= high < 1")
    if df.duplicated(["destination", "cadre"]).any():
        raise ValueError(f"{path}: a destination and cadre appear twice")
    return df


def read_register_counts(
    path: Path, iso3: list[str], targets: pd.DataFrame, on: dt.date
) -> pd.DataFrame:
    """Counts of a destination's register for a group of origins together, interpolated to the
    initial state's date ``on``: one row per destination and cadre with ``origins`` (a tuple),
    ``set_by`` (the member whose cell takes the difference from the others' gravity-built
    cells), ``workers`` (int) and ``target``.

    Each (destination, cadre) has one group, counted at one or more dates; with two or more the
    count is interpolated linearly in time, and ``on`` must lie between the first and last; with
    one, its date must be within a year of ``on``.
    """
    cols = ["destination", "cadre", "origins", "set_by", "date", "workers", "target"]
    cols += ["confidence", "source"]
    df = read_table(path, cols)
    check_confidence(df, path)
    check_targets(df, targets, path)
    check_cadres(df, path)
    check_codes(df, "destination", iso3, path)
    df["origins"] = df["origins"].str.split().map(tuple)
    members = pd.DataFrame({"c": sorted({c for g in df["origins"] for c in g})})
    check_codes(members, "c", iso3, path)
    if not all(s in g for s, g in zip(df["set_by"], df["origins"], strict=True)):
        raise ValueError(f"{path}: set_by must be one of the row's origins")
    if any(df["destination"].iloc[i] in g for i, g in enumerate(df["origins"])):
        raise ValueError(f"{path}: a destination cannot be one of its own origins")
    df["date"] = pd.to_datetime(df["date"], format="%Y-%m-%d", errors="raise")
    df["workers"] = pd.to_numeric(df["workers"], errors="raise")
    if (df["workers"] <= 0).any():
        raise ValueError(f"{path}: workers must be positive")
    rows = []
    for (d, k), part in df.sort_values("date").groupby(["destination", "cadre"], sort=True):
        groups = {frozenset(g) for g in part["origins"]}
        if len(groups) != 1 or part["set_by"].nunique() != 1 or part["target"].nunique() != 1:
            raise ValueError(
                f"{path}: {d} {k}: one group of origins, one set_by and one target expected"
            )
        if part["date"].duplicated().any():
            raise ValueError(f"{path}: {d} {k}: two counts on one date")
        when = pd.Timestamp(on)
        days = (part["date"] - when).dt.days.to_numpy(dtype=float)
        if len(part) == 1 and abs(days[0]) > 366:
            raise ValueError(f"{path}: {d} {k}: a single count must be within a year of {on}")
        if len(part) > 1 and not days[0] <= 0 <= days[-1]:
            raise ValueError(f"{path}: {d} {k}: the dates must bracket {on}")
        workers = part["workers"].to_numpy(dtype=float)
        value = workers[0] if len(part) == 1 else float(np.interp(0.0, days, workers))
        first = part.iloc[0]
        rows.append(
            {
                "destination": d,
                "cadre": k,
                "origins": first["origins"],
                "set_by": first["set_by"],
                "workers": int(np.floor(value + 0.5)),
                "target": first["target"],
            }
        )
    return pd.DataFrame(rows)


def read_targets(path: Path) -> pd.DataFrame:
    """The calibration targets (``id`` and their description)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def read_anchors(path: Path, targets: pd.DataFrame) -> pd.DataFrame:
    """Scalar published figures used by the build: ``name, value, ...`` (unique names)."""
    cols = ["name", "value", "unit", "year", "target", "confidence", "source"]
    df = read_table(path, cols)
    check_confidence(df, path)
    check_targets(df, targets, path)
    if df["name"].duplicated().any():
        raise ValueError(f"{path}: duplicate anchor names")
    df["value"] = pd.to_numeric(df["value"], errors="raise")
    return df


CHANNELS = (
    "capped_visa",
    "uncapped_visa",
    "employer_driven",
    "points_based",
    "government_to_government",
    "free_movement",
    "residency_match",
    "licensing_exam",
    "labour_market_test_waived",
    "ethical_recruitment_code",
    "origin_cap",
    "origin_regulated_recruitment",
    "subnational_partnership",
    "placement_programme",
    "expedited_recognition",
)


def recruitment_channels(path: Path, iso3: list[str]) -> pd.DataFrame:
    """``recruitment_channels.csv``: one row per country and channel (the literature rows list
    several countries; the row for all destinations, ``ALL``, is left out: the safeguards list is
    in the world and the ethical-recruitment lever applies it)."""
    cols = ["countries", "side", "cadre", "channel", "partner", "annual_ceiling", "year_from"]
    cols += ["confidence", "source"]
    df = read_table(path, cols)
    check_confidence(df, path)
    bad = sorted(set(df["channel"]) - set(CHANNELS))
    if bad:
        raise ValueError(f"{path}: unknown channels {bad}")
    if not df["side"].isin(["destination", "origin"]).all():
        raise ValueError(f"{path}: side must be destination or origin")
    check_cadres(df, path, (*CADRES, "both"))
    df = df[df["countries"] != "ALL"].copy()
    df["country"] = df["countries"].str.split()
    df = df.explode("country")
    partners = {c for p in df["partner"] for c in p.split()}
    check_codes(pd.DataFrame({"c": sorted(set(df["country"]) | partners)}), "c", iso3, path)
    for col in ("annual_ceiling", "ceiling_low", "ceiling_high"):
        df[col] = pd.to_numeric(df[col].replace("", None), errors="raise").astype("Int64")
    for col in ("year_from", "year_to"):
        df[col] = pd.to_numeric(df[col].replace("", None), errors="raise").astype("Int64")
    out = df.drop(columns=["countries"])
    out = out[["country", *[c for c in out.columns if c != "country"]]]
    keys = ["country", "side", "cadre", "channel", "partner", "year_from"]
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def annualised(df: pd.DataFrame) -> pd.Series:
    """Annual growth between two counts, ``(to_value / from_value) ** (1 / years) - 1``, rounded
    to 4 decimals (NA where an end is missing)."""
    years = (df["to_year"] - df["from_year"]).astype(float)
    ratio = df["to_value"].astype(float) / df["from_value"].astype(float)
    return (ratio ** (1.0 / years) - 1.0).round(4)


def training_expansion(path: Path, iso3: list[str]) -> pd.DataFrame:
    """``training_capacity.csv``: documented expansions of training output with their annualised
    growth ``(to / from) ** (1 / years) - 1`` where both ends are given."""
    cols = ["country", "cadre", "change", "from_year", "to_year", "unit", "confidence", "source"]
    df = read_table(path, cols)
    check_confidence(df, path)
    check_codes(df, "country", iso3, path)
    for col in ("from_value", "to_value", "from_year", "to_year"):
        df[col] = pd.to_numeric(df[col].replace("", None), errors="raise").astype("Int64")
    df["annualised"] = annualised(df)
    return df


def post_expansions(path: Path, iso3: list[str]) -> pd.DataFrame:
    """``post_expansions.csv``: documented expansions of a destination's staffed health posts
    (one per country and cadre) with their annualised growth ``(to / from) ** (1 / years) - 1``."""
    cols = ["country", "cadre", "change", "from_value", "to_value", "from_year", "to_year", "unit",
            "confidence", "source"]  # fmt: skip
    df = read_table(path, cols)
    check_confidence(df, path)
    check_codes(df, "country", iso3, path)
    check_cadres(df, path)
    if df.duplicated(["country", "cadre"]).any():
        raise ValueError(f"{path}: more than one expansion for a country and cadre")
    for col in ("from_value", "to_value", "from_year", "to_year"):
        df[col] = pd.to_numeric(df[col], errors="raise")
    if not (
        (df["to_year"] > df["from_year"]) & (df["from_value"] > 0) & (df["to_value"] > 0)
    ).all():
        raise ValueError(f"{path}: need to_year > from_year and positive from_value, to_value")
    df["annualised"] = annualised(df)
    return df.sort_values(["country", "cadre"]).reset_index(drop=True)


def read_hazards(path: Path) -> pd.DataFrame:
    """Exit hazards by cadre and age band: contiguous bands from 0 to 79, rates in [0, 1]."""
    cols = ["cadre", "age_from", "age_to", "attrition", "retirement", "confidence", "source"]
    df = read_table(path, cols)
    check_confidence(df, path)
    num = [c for c in df.columns if c.startswith(("age_", "attrition", "retirement"))]
    df[num] = df[num].apply(pd.to_numeric, errors="raise")
    for cadre, part in df.groupby("cadre"):
        part = part.sort_values("age_from")
        if cadre not in CADRES:
            raise ValueError(f"{path}: unknown cadre {cadre}")
        if part["age_from"].iloc[0] != 0 or part["age_to"].iloc[-1] != 79:
            raise ValueError(f"{path}: {cadre} bands must cover ages 0-79")
        if not (
            part["age_from"].iloc[1:].to_numpy() == part["age_to"].iloc[:-1].to_numpy() + 1
        ).all():
            raise ValueError(f"{path}: {cadre} bands must be contiguous")
    for rate in ("attrition", "retirement"):
        lo, hi = df[f"{rate}_low"], df[f"{rate}_high"]
        if not ((lo <= df[rate]) & (df[rate] <= hi) & (lo >= 0) & (hi <= 1)).all():
            raise ValueError(f"{path}: need 0 <= {rate}_low <= {rate} <= {rate}_high <= 1")
    return df


def read_ages(path: Path) -> pd.DataFrame:
    """Entry ages and relative migration propensities by age band (``parameter, cadre, value``)."""
    df = read_table(path, ["parameter", "cadre", "value", "low", "high", "unit", "confidence"])
    check_confidence(df, path)
    for col in ("value", "low", "high"):
        df[col] = pd.to_numeric(df[col], errors="raise")
    entry = df[df["parameter"] == "entry_age"]
    if sorted(entry["cadre"]) != sorted(CADRES):
        raise ValueError(f"{path}: one entry_age per cadre expected")
    return df


def read_costs(path: Path) -> pd.DataFrame:
    """Training costs (documentation only; the model's default is ``training_cost``)."""
    df = read_table(path, ["cadre", "setting", "unit", "scope", "confidence", "source"])
    check_confidence(df, path)
    return df


NATIONAL_INCOME_SHARE = (0.3, 1.5)
"""Plausible national income over GDP: national incomes are within about 0.65-1.2 of GDP almost
everywhere, Ireland's GNI* 0.50-0.60 of its GDP (CSO, 2017-2025); a share outside this range is
more likely a typing error or swapped columns than a fact."""


def national_income_shares(path: Path, iso3: list[str]) -> pd.DataFrame:
    """National income over GDP, both at current prices in the same year (``share``), and the
    name of the national income measure (``measure``), by (country, year)
    (``national_income.csv``: countries whose GDP does not measure their national income).

    Raises:
        ValueError: naming the file, the row, the column and the value expected.
    """
    cols = ["country", "year", "gdp", "national_income", "measure", "unit", "confidence"]
    df = read_table(path, [*cols, "source"])
    check_confidence(df, path)
    check_codes(df, "country", iso3, path)
    year = pd.to_numeric(df["year"], errors="coerce")
    values = {col: pd.to_numeric(df[col], errors="coerce") for col in ("gdp", "national_income")}
    shares = (values["national_income"] / values["gdp"]).to_numpy()
    low, high = NATIONAL_INCOME_SHARE
    for i in df.index:
        row = f"{path}: row {i + 2} ({df.at[i, 'country']}, {df.at[i, 'year']})"
        if not (1990 <= year[i] <= 2100 and year[i] % 1 == 0):
            raise ValueError(
                f"{row}: year must be a whole year in 1990-2100, not {df.at[i, 'year']!r}"
            )
        for col, value in values.items():
            if not (np.isfinite(value[i]) and value[i] > 0):
                raise ValueError(
                    f"{row}: {col} must be a positive number (current prices), not "
                    f"{df.at[i, col]!r}"
                )
        if not low <= shares[i] <= high:
            raise ValueError(
                f"{row}: national_income / gdp is {shares[i]:.3g}, expected {low}-{high} (a typing "
                "error, or the two columns swapped?)"
            )
    index = pd.MultiIndex.from_arrays([df["country"], year.astype(int)], names=["iso3", "year"])
    if index.duplicated().any():
        raise ValueError(
            f"{path}: more than one row for {index[index.duplicated()].tolist()}, expected one row "
            "per country and year"
        )
    return pd.DataFrame({"share": shares, "measure": df["measure"].to_numpy()}, index=index)
