"""Reading a results folder (the results contract of docs/architecture.md, written by
`sim.outputs.results.write_run_folder`): the manifest and the tables, as written or with their text
columns as categoricals for the briefing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from sim.outputs.results import INDICATOR_COLUMNS, MANIFEST, TABLE_COLUMNS

__all__ = ["read_results", "read_table"]

_NUMBERS = frozenset({"replicate", "year", "value", "workers", "quota", "hired"})
_LABELS = {
    name: tuple(c for c in columns if c not in _NUMBERS)
    for name, columns in {"indicators": INDICATOR_COLUMNS, **TABLE_COLUMNS}.items()
}
"""The text columns of each table (`read_table(categorical=True)`)."""
_COUNTRY_CODES = frozenset({"country", "origin", "destination", "source"})


def read_results(
    run_dir: str | os.PathLike, *, categorical: bool = False
) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Read a run folder: (manifest, indicators, flows).

    `categorical` reads the text columns as categoricals (`read_table`).
    """
    run_dir = Path(run_dir)
    manifest = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    indicators = _read(run_dir / "indicators.parquet", "indicators", categorical)
    return manifest, indicators, read_table(run_dir, "flows", categorical=categorical)


def read_table(run_dir, name: str, *, categorical: bool = False) -> pd.DataFrame:
    """An optional table of a run folder (`flows`, `stocks`, `arrivals`, `agreements`); empty if
    absent.

    `categorical` reads the text columns (country codes, cadre, area, indicator, agreement) as
    categoricals with sorted categories, the country codes of a table sharing one set: the same
    values, orderings and comparisons as text, several times faster to select and group (the
    briefing reads tables of millions of rows).
    """
    path = Path(run_dir) / f"{name}.parquet"
    if path.exists():
        return _read(path, name, categorical)
    return pd.DataFrame(columns=list(TABLE_COLUMNS[name]))


def _read(path: Path, name: str, categorical: bool) -> pd.DataFrame:
    if not categorical:
        return pd.read_parquet(path)
    table = pd.read_parquet(path, read_dictionary=list(_LABELS[name]))
    labels = [
        c for c in _LABELS[name] if c in table and isinstance(table[c].dtype, pd.CategoricalDtype)
    ]
    codes = [c for c in labels if c in _COUNTRY_CODES]
    shared = sorted(set().union(*(table[c].cat.categories for c in codes)))
    for column in labels:
        categories = shared if column in _COUNTRY_CODES else sorted(table[column].cat.categories)
        table[column] = table[column].cat.set_categories(categories)
    return table
