"""Sets of files that belong together (a briefing), written staged and swapped in as a set.

`staged_files(out, label)` gives a hidden staging folder inside `out`
(`out/.LABEL.new-HOST-PID-TOKEN`, which `clean_temp_files` removes once its process is gone). The
caller writes every file of the set there, with the layout it has in `out`. When the block ends
without an error the staged entries are swapped into `out` (`swap_in`), each in one step (Linux
`renameat2` `RENAME_EXCHANGE`; two renames elsewhere), all of them with a Ctrl-C deferred
(`sim.processes.interrupts_deferred`) and the page that links the rest (`last`) moved last;
entries of the previous set that the new one lacks (`owned` says which) are removed with it. If
a swap fails half way, the entries already swapped are swapped back. An error or a Ctrl-C while
the files are written leaves `out` as it was: the previous set whole, no staging folder. Nothing
is written outside `out`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from sim.errors import HrhsimError
from sim.outputs.results import (
    HOST_TAG,
    clean_temp_files,
    exchange_paths,
    fsync_dir,
    write_problem,
)
from sim.processes import interrupts_deferred

__all__ = ["staged_files", "swap_in"]

_ASIDE = ".replaced"
"""In the staging folder: where the previous set's entries go when they cannot be exchanged."""


@contextlib.contextmanager
def staged_files(
    out: str | os.PathLike,
    label: str,
    *,
    owned: Callable[[str], bool] | None = None,
    last: Sequence[str] = (),
) -> Iterator[Path]:
    """A staging folder inside `out` whose entries replace theirs in `out` when the block ends.

    `owned(name)` says whether an entry of `out` that the new set lacks belongs to the previous
    set (removed with it) or to the user (kept); `last` names the entries moved in last. Raises
    `SetupError` when `out` cannot be written.
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_problem(exc, out, "create the folder") from None
    clean_temp_files(out)  # staging folders of killed writers
    stage = out / f".{label}.new-{HOST_TAG}-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        stage.mkdir()
    except OSError as exc:
        raise write_problem(exc, out, "write in") from None
    try:
        try:
            yield stage
        except HrhsimError as err:  # name the file where it was going, not the staging folder
            raise _renamed(err, stage, out) from None
        swap_in(stage, out, owned=owned, last=last)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _renamed(err: HrhsimError, stage: Path, out: Path) -> HrhsimError:
    """`err` with the staging folder's path replaced by `out` in its message and file."""
    err.message = err.message.replace(str(stage), str(out))
    err.args = (err.message,)
    if err.file is not None:
        err.file = err.file.replace(str(stage), str(out))
    return err


def swap_in(
    stage: Path,
    out: Path,
    *,
    owned: Callable[[str], bool] | None = None,
    last: Sequence[str] = (),
) -> None:
    """Move every entry of `stage` into `out`, the entries they replace into `stage`.

    All or none: an error half way swaps back what was swapped (and raises `SetupError`); a
    Ctrl-C takes effect when the swap is done. `owned` and `last` as in `staged_files`.
    """
    new = sorted(e for e in os.listdir(stage) if e != _ASIDE)
    new.sort(key=lambda name: name in last)  # stable: `last` at the end, in name order
    stale = sorted(
        e
        for e in os.listdir(out)
        if owned is not None and e not in new and not e.startswith(".") and owned(e)
    )
    aside = stage / _ASIDE
    done: list[tuple[str, str]] = []  # (how, name), to undo
    name = _ASIDE
    with interrupts_deferred():
        try:
            aside.mkdir()
            for name in stale:  # first: the previous set's extra entries
                os.rename(out / name, aside / name)
                done.append(("stale", name))
            for name in new:
                target = out / name
                if not os.path.lexists(target):
                    os.rename(stage / name, target)
                    done.append(("moved", name))
                elif exchange_paths(stage / name, target):
                    done.append(("exchanged", name))
                else:
                    os.rename(target, aside / name)
                    done.append(("stale", name))
                    os.rename(stage / name, target)
                    done.append(("moved", name))
        except OSError as exc:
            _undo(done, stage, out)
            raise write_problem(exc, out / name) from None
    fsync_dir(out)


def _undo(done: list[tuple[str, str]], stage: Path, out: Path) -> None:
    """Put back what `swap_in` swapped, in reverse order (best effort)."""
    for how, name in reversed(done):
        with contextlib.suppress(OSError):
            if how == "moved":
                os.rename(out / name, stage / name)
            elif how == "exchanged":
                exchange_paths(stage / name, out / name)
            else:
                os.rename(stage / _ASIDE / name, out / name)
