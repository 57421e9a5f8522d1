"""Names and kinds of output folders: the default folder of a run, and which command wrote one.

`folder_slug` makes a user-given name one safe folder name; `default_folder` adds a short hash
where that loses anything, so two names never share a default folder; `check_folder_kind` keeps
each command (run, compare, sweep, calibrate) out of the folders of the others, and `held_folder`
keeps a second command out of a folder while one writes to it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from sim.errors import SetupError, write_problem

log = logging.getLogger(__name__)

__all__ = [
    "FOLDER_MARKERS",
    "check_folder_kind",
    "default_folder",
    "folder_slug",
    "held_folder",
    "name_hash",
]


def folder_slug(name: str, fallback: str = "scenario", max_length: int = 60) -> str:
    """A safe single folder name for a user-given name (`tiny baseline` -> `tiny_baseline`).

    Letters, digits, `.`, `_` and `-` only; no leading dot (nothing hidden, never `..`); at most
    `max_length` characters; `fallback` when nothing is left.
    """
    plain = unicodedata.normalize("NFKD", str(name))  # accents apart: "Équité" -> "Equite"
    out = []
    for char in plain:
        if unicodedata.combining(char):
            continue
        ok = char.isascii() and (char.isalnum() or char in "._-")
        out.append(char if ok else "_")
    slug = "".join(out)
    while "__" in slug:
        slug = slug.replace("__", "_")
    slug = slug.strip("._-")[:max_length].strip("._-")
    return slug or fallback


def name_hash(name: str) -> str:
    """A short hash of a name (8 hex digits), to tell apart names whose slugs are alike."""
    return hashlib.sha1(str(name).encode("utf-8")).hexdigest()[:8]


def default_folder(name: str, fallback: str = "scenario") -> str:
    """The default folder name of a run named `name`: `folder_slug`, plus a short hash of the
    name where the slug is not the name itself, so that two names never share a default folder
    (`退休政策` and `留任政策` both slug to `scenario`; `a/b` and `a b` to `a_b`)."""
    slug = folder_slug(name, fallback)
    if slug == name:
        return slug
    return f"{slug}-{name_hash(name)}"


FOLDER_MARKERS = {
    "run": ("manifest.json",),
    "compare": ("index.html", "headline.csv"),
    "sweep": ("sweep.json",),
    "calibration": ("calibration.json",),
}
"""The files that tell what wrote a folder (a run, a briefing, a sweep, a calibration)."""


def check_folder_kind(out: str | os.PathLike, kind: str, *, others_only: bool = True) -> None:
    """Refuse an existing folder that holds another command's results (`FOLDER_MARKERS`).

    With `others_only` False, any non-empty folder without this kind's marker is refused too
    (a calibration does not write into a folder of notes). Raises `SetupError` naming it.
    """
    out = Path(out)
    try:
        entries = {e for e in os.listdir(out) if not e.startswith(".")}
    except FileNotFoundError:
        return
    except OSError as exc:
        raise write_problem(exc, out, "read") from None
    what = {"run": "the results of a run", "compare": "a briefing", "sweep": "a sweep",
            "calibration": "a calibration"}  # fmt: skip
    expected = f"an empty folder, a new path, or the folder of an earlier {kind} (-o)"
    for other, markers in FOLDER_MARKERS.items():
        found = [m for m in markers if m in entries]
        if other != kind and found and not set(FOLDER_MARKERS[kind]) & entries:
            raise SetupError(
                f"{out} holds {what[other]} ({found[0]}), not {what[kind]}", expected=expected
            )
    own = {"stages", "runs"}  # what a calibration creates before its state file
    if not others_only and entries - own and not set(FOLDER_MARKERS[kind]) & entries:
        raise SetupError(
            f"{out} is not empty and holds no {kind} ({FOLDER_MARKERS[kind][0]})", expected=expected
        )


@contextlib.contextmanager
def held_folder(out: str | os.PathLike, kind: str, inner: str) -> Iterator[Path]:
    """Hold the output folder `out` while a `kind` command (compare, sweep, calibration)
    writes to it: a second hrhsim command writing to the same folder meanwhile is refused with
    a `SetupError` naming it, instead of mixing the two commands' files.

    The hold is an exclusive `flock` of the folder itself, released when the command ends or
    dies. `out` and its subfolder `inner` (the command's own: `runs`, `stages`) are created if
    needed, so that a run, which replaces only an empty folder or its own, never swaps the held
    folder away; the folders created here are removed again, if still empty, when the command
    fails.
    """
    out = Path(out)
    created = [f for f in (*reversed(out.parents), out, out / inner) if not f.is_dir()]
    try:
        (out / inner).mkdir(parents=True, exist_ok=True)
        fd = os.open(out, os.O_RDONLY)
    except OSError as exc:
        raise write_problem(exc, out, "create the folder") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SetupError(
                f"another hrhsim command is writing to {out}",
                expected=f"one command at a time per output folder (wait until it ends, or give "
                f"this {kind} another -o)",
            ) from None
        except OSError as exc:  # a file system without locks (some network ones): go on
            log.warning(
                "%s cannot be locked (%s): nothing stops a second command writing to it meanwhile",
                out,
                exc.strerror or exc,
            )
        yield out
    except BaseException:
        for folder in reversed(created):  # the deepest first; only empty ones go
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    finally:
        os.close(fd)
