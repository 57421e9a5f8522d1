"""Every table of the briefing as CSV (unrounded, tidy), and all of them in one xlsx workbook.

Wide briefing tables with `scenario|what|statistic` columns are written long: one row per
scenario and statistic group, so that a spreadsheet user can filter and pivot them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.outputs.results import atomic_write, write_csv

log = logging.getLogger(__name__)

WORKBOOK = "briefing.xlsx"


def long_form(table: pd.DataFrame, id_cols: Sequence[str], baseline: str) -> pd.DataFrame:
    """`<scenario>|<what>|<stat>` columns (`baseline|...` for the baseline) to rows.

    Result columns: *id_cols, scenario, measure (level/change/...), p5, median, p95 (whatever
    statistics the table has).
    """
    id_cols = list(id_cols)
    rest = [c for c in table.columns if c not in id_cols and "|" in str(c)]
    if not rest:
        return table.copy()
    melted = table[id_cols + rest].melt(id_vars=id_cols, var_name="column", value_name="value")
    parts = melted["column"].str.rsplit("|", n=2, expand=True)
    if parts.shape[1] == 2:  # `<scenario>|<stat>` only
        parts.insert(1, "measure", "level")
    else:  # `<scenario>|<stat>` beside `<scenario>|<what>|<stat>`: the first are levels
        short = parts[2].isna()
        parts.loc[short, 2] = parts.loc[short, 1]
        parts.loc[short, 1] = "level"
    parts.columns = ["scenario", "measure", "statistic"]
    melted = pd.concat([melted.drop(columns="column"), parts], axis=1)
    melted["scenario"] = melted["scenario"].replace({"baseline": baseline})
    keys = [*id_cols, "scenario", "measure"]
    order = melted[keys].drop_duplicates()
    wide = melted.set_index([*keys, "statistic"])["value"].unstack("statistic")
    wide = order.merge(wide.reset_index(), on=keys, how="left")
    wide.columns.name = None
    return wide


def _write_csv(path: Path, table: pd.DataFrame) -> None:
    write_csv(path, table)  # atomically, formula-like text escaped (sim.outputs.results)


def _cell(sheet, value):
    """A workbook cell: numbers as numbers, missing as empty, the rest as a cell typed as text,
    which a spreadsheet shows as written and never runs as a formula (CSV, which has no cell
    types, escapes such text instead: `sim.outputs.results.escape_cell`)."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(value)
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=str(value))
    cell.data_type = "s"  # text, even when it starts with = + - @
    return cell


def write_tables(out_dir: Path, tables: dict[str, pd.DataFrame], *, workbook: bool = True):
    """Write each table as `<key>.csv`, and all of them as sheets of `briefing.xlsx`.

    Returns ({key: csv file name}, workbook file name or None when openpyxl is missing).
    """
    names = {}
    for key, table in tables.items():
        log.debug("table %s: %d rows", key, len(table))
        name = f"{key}.csv"
        _write_csv(out_dir / name, table)
        names[key] = name
    book = None
    if workbook and tables:
        try:
            from openpyxl import Workbook
        except ImportError:  # pragma: no cover - openpyxl is a dependency
            log.warning("openpyxl is not installed: no %s", WORKBOOK)
            return names, None
        wb = Workbook(write_only=True)  # streamed: fast for tables of thousands of rows
        try:
            _fill(wb, tables)
            atomic_write(out_dir / WORKBOOK, wb.save)
        except BaseException:
            _discard(wb)
            raise
        book = WORKBOOK
    return names, book


def _fill(wb, tables: dict[str, pd.DataFrame]) -> None:
    """One sheet per table (names cut to Excel's 31 characters, made distinct)."""
    used: set[str] = set()
    for key, table in tables.items():
        sheet = key[:31]
        k = 2
        while sheet in used:
            sheet = f"{key[:28]}_{k}"
            k += 1
        used.add(sheet)
        ws = wb.create_sheet(sheet)
        ws.append([_cell(ws, str(c)) for c in table.columns])
        for row in table.itertuples(index=False, name=None):
            ws.append([_cell(ws, v) for v in row])


def _discard(wb) -> None:
    """Close the sheets of a workbook left half written (an error, a Ctrl-C) now: collected at
    exit, their row writers printed "Exception ignored" tracebacks (their files closed first)."""
    for ws in wb.worksheets:
        with contextlib.suppress(Exception):
            ws.close()
