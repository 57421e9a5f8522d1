"""A sweep's folder: `sweep.json` and one Parquet file per run, written durably, read back checked.

`sweep_folder` checks the output folder (new, empty or a sweep folder), locks it for one sweep at a
time and removes temporary files of killed writers. `write_run` writes a run's row through the
package's atomic writer (fsync, `os.replace`); `finished_runs` counts only run files that read as
one Parquet row (an empty or damaged file is removed, to be run again); `load_runs` reads the runs
of the manifest and refuses duplicates and damaged files.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import HrhsimError, SetupError
from sim.inputs.yamlio import read_regular_file
from sim.outputs.folders import check_folder_kind, held_folder
from sim.outputs.results import (
    atomic_write,
    check_output_dir,
    clean_temp_files,
)
from sim.sweep.spec import RESERVED_COLUMNS

__all__ = [
    "MANIFEST",
    "RUNS",
    "STATES",
    "finished_runs",
    "load_manifest",
    "load_runs",
    "stored_runs",
    "sweep_folder",
    "valid_run_file",
    "write_manifest",
    "write_run",
]

log = logging.getLogger(__name__)

MANIFEST = "sweep.json"
RUNS = "runs"
STATES = ("running", "complete", "incomplete", "interrupted", "stopped")
"""`status.state` in sweep.json: `running` while a sweep runs (or after its process was killed),
then `complete` (every run done), `incomplete` (runs failed, or no worker was left),
`interrupted` (Ctrl-C) or `stopped` (an error). The same command resumes the sweep from any."""


def write_run(runs_dir: Path, row: dict, schema: Any) -> Path:
    """Write one run row to `runs_dir/<run_key>.parquet` atomically and durably (fsync)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([row], schema=schema)
    return atomic_write(runs_dir / f"{row['run_key']}.parquet", lambda p: pq.write_table(table, p))


def valid_run_file(path: Path) -> bool:
    """Whether `path` is a complete Parquet file of one run (not empty, not truncated)."""
    import pyarrow.parquet as pq

    try:
        if path.stat().st_size < 12:
            return False
        with open(path, "rb") as fh:
            head = fh.read(4)
            fh.seek(-4, os.SEEK_END)
            tail = fh.read(4)
        if head != b"PAR1" or tail != b"PAR1":
            return False
        return pq.read_metadata(path).num_rows == 1
    except Exception as exc:  # OSError, or pyarrow's own errors for a damaged footer
        log.debug("run file %s unreadable: %s", path, exc)
        return False


def finished_runs(runs_dir: Path, expected: set[str]) -> set[str]:
    """Keys in `expected` with a valid run file; damaged files are removed (to be run again)."""
    done = set()
    for path in runs_dir.glob("*.parquet"):
        if path.stem not in expected:
            continue
        if valid_run_file(path):
            done.add(path.stem)
        else:
            log.warning("run file %s is empty or damaged; the run is done again", path)
            with contextlib.suppress(OSError):
                path.unlink()
    return done


def stored_runs(runs_dir: Path, expected: set[str]) -> set[str]:
    """Keys in `expected` with a run file, unchecked (a quick count; `finished_runs` checks)."""
    return {p.stem for p in runs_dir.glob("*.parquet")} & expected


def write_manifest(out_dir: Path, manifest: dict) -> None:
    atomic_write(out_dir / MANIFEST, json.dumps(manifest, indent=1, allow_nan=False, default=str))


MAX_MANIFEST_BYTES = 1 << 30
"""Largest sweep.json read (a sweep at the run cap writes about 100 MiB)."""


def load_manifest(out_dir: str | os.PathLike) -> dict:
    """The `sweep.json` manifest of a sweep folder (`HrhsimError` naming the folder otherwise)."""
    folder = Path(out_dir)
    path = folder / MANIFEST
    if not folder.is_dir() or not path.exists():
        if not folder.exists():
            what = "no such folder"
        elif not folder.is_dir():
            what = "not a folder"
        else:
            what = "not a sweep folder (no sweep.json)"
        raise HrhsimError(
            what,
            file=str(folder),
            expected="the -o folder of `hrhsim sweep`",
        )
    raw = read_regular_file(
        path, error=HrhsimError, what="sweep manifest", max_bytes=MAX_MANIFEST_BYTES
    )
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise HrhsimError(f"damaged sweep manifest: {exc}", file=str(path)) from None
    needed = ("runs", "design", "points", "sweep")
    if not isinstance(manifest, dict) or any(k not in manifest for k in needed):
        raise HrhsimError("damaged sweep manifest (keys missing)", file=str(path))
    return manifest


def check_sweep_output(out: Path) -> None:
    """What a sweep refuses as its output folder before any work: a path that cannot become a
    folder, or another command's results (`sim.outputs.folders.check_folder_kind`)."""
    check_output_dir(out, run_folder=False)
    check_folder_kind(out, "sweep")


@contextlib.contextmanager
def sweep_folder(out: Path) -> Iterator[Path]:
    """The sweep's output folder, checked and locked for this process while the sweep runs."""
    check_sweep_output(out)
    if out.is_dir():
        entries = [e for e in os.listdir(out) if not e.startswith(".")]
        if entries and MANIFEST not in entries and RUNS not in entries:
            raise SetupError(
                f"the output folder {out} is not a sweep folder (no sweep.json)",
                expected="an empty folder, a new path, or the folder of the same sweep (-o)",
            )
    runs_dir = out / RUNS
    with held_folder(out, "sweep", RUNS):
        clean_temp_files(runs_dir)
        clean_temp_files(out)
        yield runs_dir


# --------------------------------------------------------------------------------------------------
# collecting


def load_runs(out_dir: str | os.PathLike, *, complete: bool = False) -> pd.DataFrame:
    """The runs of a sweep folder, one row per (point, replicate), sorted; dedup-checked.

    Only the run files of the folder's manifest are read; `point_id` and `replicate` come from the
    manifest (design points with identical parameters share one run file). Raises `HrhsimError`
    when a run is stored twice or a file does not hold the run its name says; with
    `complete=True` also when runs are missing.
    """
    import pyarrow.dataset as ds

    out = Path(out_dir)
    manifest = load_manifest(out)
    runs_dir = out / RUNS
    table = pd.DataFrame(manifest["runs"], columns=["key", "point_id", "replicate"])
    expected = set(table["key"])
    present = {p.stem for p in runs_dir.glob("*.parquet")} if runs_dir.is_dir() else set()
    keys = sorted(present & expected)
    missing = len(expected) - len(keys)
    if complete and missing:
        raise HrhsimError(
            f"the sweep is incomplete: {missing} of {len(expected)} runs missing",
            file=str(out),
            expected="a complete sweep (run `hrhsim sweep` again to finish it)",
        )
    params = manifest["design"]["parameters"]
    if not keys:
        return pd.DataFrame(columns=[*RESERVED_COLUMNS, *params])
    files = [str(runs_dir / f"{k}.parquet") for k in keys]
    damaged = [f for f in files if not valid_run_file(Path(f))]
    if damaged:
        raise HrhsimError(
            f"{len(damaged)} run file(s) are empty or damaged, e.g. {Path(damaged[0]).name}",
            file=str(runs_dir),
            expected="complete run files (run `hrhsim sweep` again: damaged runs are redone)",
        )
    try:
        frame = ds.dataset(files, format="parquet").to_table().to_pandas()
    except Exception as exc:  # pyarrow's errors for files that do not fit together
        raise HrhsimError(f"cannot read the run files: {exc}", file=str(runs_dir)) from None
    if len(frame) != len(keys) or frame["run_key"].duplicated().any():
        raise HrhsimError(
            f"{len(frame)} rows in {len(keys)} run files (one run per file expected)",
            file=str(runs_dir),
        )
    if set(frame["run_key"]) != set(keys):
        raise HrhsimError("run files do not hold the runs their names say", file=str(runs_dir))
    columns = list(frame.columns)
    rows = table.rename(columns={"key": "run_key"}).merge(
        frame.drop(columns=["point_id"]), on="run_key", how="inner", suffixes=("", "_file")
    )
    if (rows["replicate"] != rows["replicate_file"]).any():
        raise HrhsimError("run files disagree with the manifest (replicate)", file=str(runs_dir))
    rows = rows.drop(columns=["replicate_file"])
    if rows.duplicated(["point_id", "replicate"]).any():
        raise HrhsimError("a (point, replicate) is stored twice", file=str(runs_dir))
    rows["point_id"] = rows["point_id"].astype("int64")
    rows["replicate"] = rows["replicate"].astype("int32")
    return rows[columns].sort_values(["point_id", "replicate"], ignore_index=True)
