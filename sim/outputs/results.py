"""Result folders: atomic writing of manifest.json and the Parquet tables (indicators, flows,
stocks, agreements), and reading.

Every file is written to a temporary name in the destination folder and moved into place with
`os.replace`, so a reader never sees a half-written file and an interrupted run leaves the previous
results intact.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

INDICATOR_COLUMNS = ("replicate", "year", "country", "area", "cadre", "indicator", "value")
FLOW_COLUMNS = ("replicate", "year", "origin", "destination", "cadre", "workers")
STOCK_COLUMNS = ("replicate", "year", "origin", "country", "cadre", "workers")
AGREEMENT_COLUMNS = (
    "replicate", "year", "agreement", "source", "destination", "cadre", "quota", "hired",
)  # fmt: skip
TABLE_COLUMNS = {"flows": FLOW_COLUMNS, "stocks": STOCK_COLUMNS, "agreements": AGREEMENT_COLUMNS}
"""Columns of the optional tables of a results folder (an absent file reads as an empty table)."""


def _atomic(path: Path, write) -> None:
    """Call `write(tmp_path)` then move the temporary file onto `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; results are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: dict) -> None:
    """Write a JSON document atomically."""
    _atomic(
        Path(path),
        lambda p: p.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"),
    )


def write_table(path: Path, frame: pd.DataFrame) -> None:
    """Write a DataFrame as Parquet atomically (zstd-compressed)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    _atomic(Path(path), lambda p: pq.write_table(table, p, compression="zstd"))


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """Write a DataFrame as CSV atomically."""
    _atomic(Path(path), lambda p: frame.to_csv(p, index=False))


def read_results(run_dir) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Read a run folder: (manifest, indicators, flows)."""
    run_dir = Path(run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    indicators = pd.read_parquet(run_dir / "indicators.parquet")
    return manifest, indicators, read_table(run_dir, "flows")


def read_table(run_dir, name: str) -> pd.DataFrame:
    """An optional table of a run folder (`flows`, `stocks`, `agreements`); empty if absent."""
    path = Path(run_dir) / f"{name}.parquet"
    if path.exists():
        return pd.read_parquet(path)
    return pd.DataFrame(columns=list(TABLE_COLUMNS[name]))
