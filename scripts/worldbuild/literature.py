"""Figures transcribed by hand from publications (``raw/literature/*.csv``), validated.

These files are not publishers' downloads: each row names its source, year and confidence
(``primary``, ``secondary``, ``approximate recollection`` or ``assumption``), and, where the
figure is also a calibration target, its id in ``calibration_targets.csv`` (such targets are then
inputs of the world and can no longer be held out; ``docs/data.md`` lists them).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from worldbuild.common import CADRES

CONFIDENCE = ("primary", "secondary", "approximate recollection", "assumption")


def read_table(path: Path, required: list[str]) -> pd.DataFrame:
    """A literature CSV with its required columns present and no blank required cell."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    for col in required:
        blank = df[col].str.strip() == ""
        if blank.any() and col not in ("target", "note", "low", "high", "ceiling", "year_end"):
            raise ValueError(f"{path}: blank {col} in rows {list(df.index[blank] + 2)}")
    return df


def check_confidence(df: pd.DataFrame, path: Path) -> None:
    """Every row's confidence is one of ``CONFIDENCE``."""
    bad = ~df["confidence"].isin(CONFIDENCE)
    if bad.any():
        raise ValueError(
            f"{path}: confidence must be one of {CONFIDENCE}: {df.loc[bad, 'confidence'].tolist()}"
        )


def check_codes(df: pd.DataFrame, column: str, iso3: list[str], path: Path) -> None:
    """Every code in ``column`` is a Member State."""
    bad = sorted(set(df[column]) - set(iso3))
    if bad:
        raise ValueError(f"{path}: unknown country codes in {column}: {bad}")


def check_targets(df: pd.DataFrame, targets: pd.DataFrame, path: Path) -> None:
    """Every non-empty ``target`` cell is an id of the calibration targets."""
    ids = set(targets["id"])
    bad = sorted({t for t in df["target"] if t and t not in ids})
    if bad:
        raise ValueError(f"{path}: unknown calibration target ids {bad}")


def read_foreign_shares(path: Path, iso3: list[str], targets: pd.DataFrame) -> pd.DataFrame:
    """Published foreign-trained shares: ``destination, cadre, share, low, high, ...``."""
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
    if not df["cadre"].isin(CADRES).all():
        raise ValueError(f"{path}: cadre must be one of {CADRES}")
    for col in ("share", "low", "high"):
        df[col] = pd.to_numeric(df[col], errors="raise")
    if not ((df["low"] <= df["share"]) & (df["share"] <= df["high"]) & (df["high"] < 1)).all():
        raise ValueError(f"{path}: need 0 < low <= share <= high < 1")
    if df.duplicated(["destination", "cadre"]).any():
        raise ValueError(f"{path}: a destination and cadre appear twice")
    return df


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
