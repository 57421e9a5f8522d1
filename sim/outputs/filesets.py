"""Sets of files that belong together (a briefing), written staged and swapped in as a set.

`staged_files(out, label)` gives a hidden staging folder inside `out`
(`out/.LABEL.new-HOST-PID-TOKEN`, which `clean_temp_files` removes once its process is gone). The
caller writes every file of the set there, with the layout it has in `out`. When the block ends
without an error the staged entries are swapped into `out` (`swap_in`), each in one step (Linux
`renameat2` `RENAME_EXCHANGE`; two renames elsewhere), all of them with a Ctrl-C deferred
(`sim.processes.interrupts_deferred`) and the page that links the rest (`last`) moved last;
entries of the previous set that the new one lacks (`owned` says which) are removed with it. A
folder of the set that holds the user's files too (`merged`: a briefing's `figures/`) is swapped
entry by entry, the user's entries kept; entries made beforehand outside the staging folder (a
comparison's new runs: `adopt`) are moved in with the set. If a swap fails half way, the entries
already swapped are swapped back. An error or a Ctrl-C while the files are written leaves `out`
as it was: the previous set whole, no staging folder, adopted entries where they were. Nothing is
written outside `out`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
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
    merged: Sequence[str] = (),
    adopt: Mapping[str, Path] | None = None,
) -> Iterator[Path]:
    """A staging folder inside `out` whose entries replace theirs in `out` when the block ends.

    Args:
        out: the output folder (created if needed).
        label: names the staging folder (`.LABEL.new-...`).
        owned: `owned(name)` says whether an entry of `out` that the new set lacks belongs to the
            previous set (removed with it) or to the user (kept). For the entries of a `merged`
            folder it is asked with the path relative to `out` (`figures/mine.png`).
        last: the entries moved in last (the page that links the rest).
        merged: folders of the set (`figures`) that may hold the user's files too: where `out`'s
            holds an entry `owned` denies, the folder is not replaced whole but entry by entry,
            and the user's entries stay in it.
        adopt: entries made beforehand elsewhere inside `out` (the runs of a comparison), by
            their path relative to `out` (`runs/baseline`): moved in with the set, the entries
            they replace removed with the previous set. They stay where they are if the set is
            not swapped in.

    Raises:
        SetupError: `out` cannot be written.
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
        swap_in(stage, out, owned=owned, last=last, merged=merged, adopt=adopt)
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
    merged: Sequence[str] = (),
    adopt: Mapping[str, Path] | None = None,
) -> None:
    """Move every entry of `stage` (and of `adopt`) into `out`, the entries they replace into
    `stage`.

    All or none: an error half way swaps back what was swapped (and raises `SetupError`); a
    Ctrl-C takes effect when the swap is done. `owned`, `last`, `merged` and `adopt` as in
    `staged_files`.
    """
    stale, moves = _plan(stage, out, owned or (lambda name: False), last, merged, adopt or {})
    aside = stage / _ASIDE
    done: list[tuple[str, str, Path | None]] = []  # (how, path in out, source), to undo
    name = _ASIDE
    with interrupts_deferred():
        try:
            aside.mkdir()
            for name in stale:  # first: the previous set's extra entries
                _set_aside(out, aside, name)
                done.append(("stale", name, None))
            for source, name in moves:
                target = out / name
                if not os.path.lexists(target):
                    os.rename(source, target)
                    done.append(("moved", name, source))
                elif source.is_relative_to(stage) and exchange_paths(source, target):
                    done.append(("exchanged", name, source))
                else:  # (an adopted entry's predecessor goes to the staging folder too)
                    _set_aside(out, aside, name)
                    done.append(("stale", name, None))
                    os.rename(source, target)
                    done.append(("moved", name, source))
        except OSError as exc:
            _undo(done, aside, out)
            raise write_problem(exc, out / name) from None
    fsync_dir(out)


def _plan(
    stage: Path,
    out: Path,
    owned: Callable[[str], bool],
    last: Sequence[str],
    merged: Sequence[str],
    adopt: Mapping[str, Path],
) -> tuple[list[str], list[tuple[Path, str]]]:
    """What `swap_in` does: the entries of `out` set aside (paths relative to `out`), and the
    entries moved in (source, path relative to `out`): the adopted ones first, `last` at the end.
    """

    def foreign(name: str) -> bool:  # a merged folder of `out` holding the user's entries
        folder = out / name
        if name not in merged or folder.is_symlink() or not folder.is_dir():
            return False
        return not all(owned(f"{name}/{child}") for child in os.listdir(folder))

    def owned_children(name: str, kept: Collection[str] = ()) -> list[str]:
        """The set's own entries of `out`'s folder `name` that the new set lacks (`kept`)."""
        children = sorted(os.listdir(out / name))
        return [f"{name}/{c}" for c in children if c not in kept and owned(f"{name}/{c}")]

    new = sorted(e for e in os.listdir(stage) if e != _ASIDE)
    stale, moves = [], []
    for name in sorted(os.listdir(out)):
        if name in new or name.startswith(".") or not owned(name):
            continue
        if foreign(name):  # the set has no such folder now: its own entries go, the user's stay
            stale += owned_children(name)
        else:
            stale.append(name)
    for name in new:
        if not (foreign(name) and (stage / name).is_dir()):
            moves.append((stage / name, name))
            continue
        kept = set(os.listdir(stage / name))
        stale += owned_children(name, kept)
        moves += [(stage / name / child, f"{name}/{child}") for child in sorted(kept)]
    moves.sort(key=lambda move: move[1] in last)  # stable: `last` at the end, in name order
    return stale, [*((Path(src), name) for name, src in sorted(adopt.items())), *moves]


def _set_aside(out: Path, aside: Path, name: str) -> None:
    """Move the entry `name` (a path relative to `out`) into the folder `aside`."""
    (aside / name).parent.mkdir(parents=True, exist_ok=True)
    os.rename(out / name, aside / name)


def _undo(done: list[tuple[str, str, Path | None]], aside: Path, out: Path) -> None:
    """Put back what `swap_in` swapped, in reverse order (best effort)."""
    for how, name, source in reversed(done):
        with contextlib.suppress(OSError):
            if how == "moved":
                os.rename(out / name, source)
            elif how == "exchanged":
                exchange_paths(source, out / name)
            else:
                os.rename(aside / name, out / name)
