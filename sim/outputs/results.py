"""Writing results: the package's one atomic writer, run folders built beside and swapped in.

- `atomic_write(path, data)`: every file hrhsim writes (tables, manifests, briefings, figures, sweep
  run files) goes to a temporary name in the destination folder, is flushed to disk (`fsync`) and
  moved into place with `os.replace`: a reader sees the old file or the new one, never half of
  one. Temporary names carry the host and process, so `clean_temp_files` removes those of
  processes that died mid-write.
- `write_run_folder(out, tables, manifest)`: a run's folder is built complete in a hidden sibling
  folder (`.NAME.new-...`), with the size and SHA-256 of every table recorded in its manifest
  (written last), then swapped with the previous folder in one step (Linux `renameat2`
  `RENAME_EXCHANGE`; two renames elsewhere) under a lock of the parent folder. An interrupted run
  leaves the previous complete run untouched; two runs into one folder leave one of them, whole.
  `verify_run_folder` checks the recorded hashes (what `compare` does before reusing a run).
- `write_csv` escapes cells that a spreadsheet would read as a formula (`= + - @`, tab, CR).
- `check_output_dir` refuses, before a run starts, an output path that is a file, lies under a
  file, cannot be written, or is a folder hrhsim did not write.

Problems of the machine (full disk, no permission) are raised as `SetupError` naming the path.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import hashlib
import io
import json
import os
import secrets
import shutil
import socket
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import SetupError, write_problem

__all__ = [
    "FLOW_COLUMNS",
    "HOST_TAG",
    "INDICATOR_COLUMNS",
    "MANIFEST",
    "atomic_write",
    "check_output_dir",
    "clean_temp_files",
    "csv_writer",
    "escape_cell",
    "escape_formulas",
    "exchange_paths",
    "file_digest",
    "fsync_dir",
    "parquet_writer",
    "verify_run_folder",
    "write_csv",
    "write_json",
    "write_run_folder",
    "write_table",
]

INDICATOR_COLUMNS = ("replicate", "year", "country", "area", "cadre", "indicator", "value")
FLOW_COLUMNS = ("replicate", "year", "origin", "destination", "cadre", "workers")
STOCK_COLUMNS = ("replicate", "year", "origin", "country", "cadre", "workers")
AGREEMENT_COLUMNS = (
    "replicate", "year", "agreement", "source", "destination", "cadre", "quota", "hired",
)  # fmt: skip
ARRIVAL_COLUMNS = STOCK_COLUMNS
"""Arrivals: origin is the country of training, country the country entered (as in stocks)."""
TABLE_COLUMNS = {
    "flows": FLOW_COLUMNS,
    "stocks": STOCK_COLUMNS,
    "arrivals": ARRIVAL_COLUMNS,
    "agreements": AGREEMENT_COLUMNS,
}
"""Columns of the optional tables of a results folder (an absent file reads as an empty table)."""
MANIFEST = "manifest.json"
RUN_FILES = frozenset(
    {
        MANIFEST,
        "indicators.parquet",
        "flows.parquet",
        "stocks.parquet",
        "indicators.csv",
        "flows.csv",
        "stocks.csv",
        "agreements.parquet",
        "agreements.csv",
    }
)
"""What a run folder written before the manifests listed their files may hold."""

HOST_TAG = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
"""This machine in temporary and staging names (whose writer's process can be checked here)."""
_TEMP = ".tmp"
_STALE_S = 24 * 3600.0
"""Temporary files of another host are removed when older than this."""


# --------------------------------------------------------------------------------------------------
# names


def _temp_path(path: Path, kind: str = _TEMP) -> Path:
    """A hidden sibling of `path` named after this host and process."""
    token = secrets.token_hex(4)
    return path.with_name(f".{path.name}.{HOST_TAG}-{os.getpid()}-{token}{kind}")


def _owner(name: str) -> tuple[str, int] | None:
    """(host, pid) of a temporary name made by `_temp_path`, else None."""
    for part in reversed(name.split(".")):
        bits = part.split("-")  # [new-|old-]HOST-PID-TOKEN
        if len(bits) >= 3 and len(bits[-3]) == 8 and bits[-2].isdigit():
            return bits[-3], int(bits[-2])
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _abandoned(path: Path) -> bool:
    """A temporary entry whose writer is gone (this host), or an old one of another host."""
    owner = _owner(path.name)
    if owner is None:
        return False
    host, pid = owner
    if host == HOST_TAG:
        return pid != os.getpid() and not _alive(pid)
    try:
        return time.time() - path.lstat().st_mtime > _STALE_S
    except OSError:
        return False


def clean_temp_files(folder: str | os.PathLike) -> int:
    """Remove temporary files and staging folders left in `folder` by processes that died."""
    folder = Path(folder)
    removed = 0
    try:
        entries = list(folder.iterdir())
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(".") or not _abandoned(entry):
            continue
        if entry.name.endswith(_TEMP):
            with contextlib.suppress(OSError):
                entry.unlink()
                removed += 1
        elif ".new-" in entry.name or ".old-" in entry.name:
            _restore_or_remove(entry)
            removed += 1
    return removed


# --------------------------------------------------------------------------------------------------
# one file


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename in it) to disk, where the system allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(
    path: str | os.PathLike,
    data: bytes | str | Callable[[Path], Any],
    *,
    fsync: bool = True,
    shown: str | os.PathLike | None = None,
) -> Path:
    """Write `data` (bytes, UTF-8 text, or a function writing a given path) to `path` atomically.

    The parent folder is created. `OSError`s become `SetupError`s naming `shown` (default:
    `path`).
    """
    path = Path(path)
    shown = path if shown is None else shown
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_problem(exc, Path(shown).parent, "create the folder") from None
    tmp = _temp_path(path)
    try:
        if callable(data):
            data(tmp)
        else:
            # undecodable bytes of a file name in the text (`\udcf5`, from a command line or a
            # path) are written as that escape, as messages print them
            payload = (
                data.encode("utf-8", "backslashreplace") if isinstance(data, str) else bytes(data)
            )
            with open(tmp, "xb") as fh:
                fh.write(payload)
        if fsync:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.chmod(tmp, 0o666 & ~_umask())  # temporary files may be 0600; results are ordinary
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise write_problem(exc, shown) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if fsync:
        fsync_dir(path.parent)
    return path


def write_json(path: str | os.PathLike, data: Mapping) -> Path:
    """Write a JSON document atomically (sorted keys, NaN refused)."""
    text = json.dumps(data, indent=2, sort_keys=True, default=str, allow_nan=False) + "\n"
    return atomic_write(path, text)


def parquet_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    """A function writing `frame` as Parquet (zstd) at a given path (for `write_run_folder`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    return lambda path: pq.write_table(table, path, compression="zstd")


def write_table(path: str | os.PathLike, frame: pd.DataFrame) -> Path:
    """Write a DataFrame as Parquet atomically (zstd-compressed)."""
    return atomic_write(path, parquet_writer(frame))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, with a leading `'` (else as is)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells cannot run as spreadsheet formulas.

    A text cell starting with `= + - @`, a tab or a carriage return gets a leading `'` (OWASP's
    advice against CSV injection); numbers are left alone, so negative values stay numbers.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or isinstance(
            values.dtype, (pd.StringDtype, pd.CategoricalDtype)
        ):
            risky = {
                v for v in pd.unique(values) if isinstance(v, str) and v.startswith(_FORMULA_START)
            }
            if risky:
                out[column] = (
                    values.astype(object)
                    .map({v: "'" + v for v in risky})
                    .fillna(values.astype(object))
                )
    out.columns = [
        "'" + c if isinstance(c, str) and c.startswith(_FORMULA_START) else c for c in out.columns
    ]
    return out


def csv_writer(frame: pd.DataFrame, **to_csv: Any) -> Callable[[Path], None]:
    """A function writing `frame` as CSV, formula-like text cells escaped, at a given path."""
    safe = escape_formulas(frame)
    return lambda path: safe.to_csv(path, index=False, **to_csv)


def write_csv(path: str | os.PathLike, frame: pd.DataFrame, **to_csv: Any) -> Path:
    """Write a DataFrame as CSV atomically, formula-like text cells escaped."""
    return atomic_write(path, csv_writer(frame, **to_csv))


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's contents."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------------
# output folders


def check_output_dir(out: str | os.PathLike, *, run_folder: bool = True) -> Path:
    """Refuse an output path that cannot become hrhsim's folder, before any work starts.

    `out` must be a folder or not exist yet; the nearest existing ancestor must be a writable
    folder. With `run_folder`, an existing `out` must be empty or a run folder hrhsim wrote (it
    is replaced as a whole). Raises `SetupError` naming the path.
    """
    out = Path(out)
    try:
        os.fspath(out).encode("utf-8")
    except UnicodeEncodeError:  # bytes the file system decoding could not read (`\udcff`)
        raise SetupError(
            f"the output path {out} is not UTF-8 text",
            expected="a folder name in UTF-8 (the Parquet writer takes no other)",
        ) from None
    try:
        absolute = Path(os.path.abspath(out))
        info = out.lstat() if run_folder and out.is_symlink() else out.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise write_problem(exc, out, "use") from None
    except ValueError as exc:
        raise SetupError(f"invalid output path {str(out)!r}: {exc}") from None
    if run_folder and (
        absolute.name in ("", ".", "..") or absolute == Path.cwd() or absolute in Path.cwd().parents
    ):
        raise SetupError(
            f"the output folder {out} is the current folder or contains it",
            expected="a folder of its own for the run, e.g. results/NAME",
        )
    if info is not None and not stat.S_ISDIR(info.st_mode):
        kind = "a file" if stat.S_ISREG(info.st_mode) else "not a folder"
        expected = "a folder (or a path where one can be created)"
        if stat.S_ISLNK(info.st_mode):  # a run folder is swapped in whole: not through a link
            kind = "a symbolic link"
            expected = "the folder itself, not a link to it: a run's folder is replaced whole"
        raise SetupError(f"the output path {out} is {kind}", expected=expected)
    # a run folder is built beside `out` and swapped in, so its parent is where runs write; probing
    # there also keeps probes out of a folder that another run may be checking or swapping away
    probe = out if info is not None and not run_folder else out.parent
    while True:
        try:
            pinfo = probe.stat()
            break
        except FileNotFoundError:
            if probe.parent == probe:
                raise SetupError(f"cannot create {out}: no existing parent folder") from None
            probe = probe.parent
        except OSError as exc:
            raise write_problem(exc, out, "create") from None
    if not stat.S_ISDIR(pinfo.st_mode):
        raise SetupError(
            f"cannot create {out}: {probe} is a file, not a folder",
            expected="an output path under a folder",
        )
    try:  # try it: permissions, read-only mounts and special file systems all show here
        # named as a temporary entry, so a concurrent run checking this folder ignores it
        os.rmdir(tempfile.mkdtemp(prefix=".hrhsim-probe-", suffix=_TEMP, dir=probe))
    except OSError as exc:
        raise write_problem(exc, probe, "write in") from None
    if run_folder and info is not None:
        _check_replaceable(out)
    return out


def _check_replaceable(out: Path) -> None:
    """An existing folder may be replaced only when empty or holding only a previous run."""
    try:
        entries = [e for e in os.listdir(out) if not (e.startswith(".") and e.endswith(_TEMP))]
    except OSError as exc:
        raise write_problem(exc, out, "read") from None
    if not entries:
        return
    manifest = _read_json(out / MANIFEST)
    ours = isinstance(manifest, dict) and "code_hash" in manifest and "scenario" in manifest
    listed = set(manifest.get("files", {})) if ours else set()
    allowed = (listed | {MANIFEST}) if listed else RUN_FILES
    foreign = sorted(e for e in entries if e not in allowed or not (out / e).is_file())
    if not ours:  # another command's folder is named as such (a sweep, a briefing)
        from sim.outputs.folders import check_folder_kind

        check_folder_kind(out, "run")
    if not ours or foreign:
        shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
        what = f"holds files hrhsim did not write ({shown})" if ours else "is not a results folder"
        raise SetupError(
            f"the output folder {out} {what}; a run replaces its whole folder",
            expected="an empty folder, a new path, or a previous results folder (use -o)",
        )


def _read_json(path: Path) -> Any:
    try:
        if not path.is_file() or path.stat().st_size > 64 << 20:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock of `folder` (flock on the folder itself; released on exit or death)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange_paths(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False when the system cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _restore_or_remove(entry: Path) -> None:
    """A staging folder of a dead run: an `.old-` one is put back if its folder is missing."""
    name = entry.name[1:]
    target = entry.with_name(name.split(".old-")[0]) if ".old-" in name else None
    if target is not None and not target.exists():
        with contextlib.suppress(OSError):
            entry.rename(target)
            return
    shutil.rmtree(entry, ignore_errors=True)


def write_run_folder(
    out: str | os.PathLike,
    tables: Mapping[str, Callable[[Path], Any]],
    manifest: Mapping[str, Any],
) -> Path:
    """Build a complete run folder beside `out` and swap it in; return `out`.

    `tables` maps file names to functions writing that file at a given path. The manifest gets
    `files: {name: {bytes, sha256}}` and is written last.
    """
    check_output_dir(out)
    out = Path(os.path.abspath(out))
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_problem(exc, parent, "create the folder") from None
    clean_temp_files(parent)
    stage = out.with_name(f".{out.name}.new-{HOST_TAG}-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        try:
            stage.mkdir()
        except OSError as exc:
            raise write_problem(exc, out, "create a folder beside") from None
        files = {}
        for name, write in tables.items():
            path = atomic_write(stage / name, write, shown=out / name)
            files[name] = {"bytes": path.stat().st_size, "sha256": file_digest(path)}
        text = json.dumps({**manifest, "files": files}, indent=2, sort_keys=True, default=str)
        atomic_write(stage / MANIFEST, text + "\n", shown=out / MANIFEST)
        fsync_dir(stage)
        with _locked(parent):
            check_output_dir(out)  # another run may have swapped in meanwhile: still ours
            _swap_in(stage, out)
        fsync_dir(parent)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    return out


def _swap_in(stage: Path, out: Path) -> None:
    """Put `stage` at `out`; the previous `out` (if any) ends at `stage` and is removed."""
    try:
        if not out.exists():
            os.rename(stage, out)
            return
        if not any(out.iterdir()) or not exchange_paths(stage, out):
            old = out.with_name(f".{out.name}.old-{HOST_TAG}-{os.getpid()}-{secrets.token_hex(4)}")
            os.rename(out, old)
            os.rename(stage, out)
            shutil.rmtree(old, ignore_errors=True)
            return
    except OSError as exc:
        raise write_problem(exc, out) from None
    shutil.rmtree(stage, ignore_errors=True)  # now the previous run


def verify_run_folder(run_dir: str | os.PathLike, manifest: Mapping[str, Any]) -> list[str]:
    """Files of a run folder that are missing or differ from the manifest's record (empty: ok).

    A manifest without a `files` record (written by an older version) verifies nothing.
    """
    run_dir = Path(run_dir)
    problems = []
    for name, record in (manifest.get("files") or {}).items():
        path = run_dir / name
        try:
            if path.stat().st_size != record.get("bytes") or file_digest(path) != record.get(
                "sha256"
            ):
                problems.append(name)
        except OSError:
            problems.append(name)
    return problems


def figure_bytes(figure: Any, fmt: str, **savefig: Any) -> bytes:
    """A matplotlib figure rendered to bytes (to be written with `atomic_write`)."""
    buf = io.BytesIO()
    figure.savefig(buf, format=fmt, **savefig)
    return buf.getvalue()
