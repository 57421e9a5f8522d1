"""Errors shown to users: one clear line naming the file, key path, line and expected value."""

from __future__ import annotations

import difflib
import errno
import os
import re
from collections.abc import Sequence
from typing import Any

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Control characters: C0 and C1 (terminal escapes start with ESC or CSI), DEL, line and
paragraph separators, and the bidirectional overrides that make text display in another order."""


def safe_text(text: Any, *, keep: str = "") -> str:
    """`text` with every control character written as an escape (`\\x1b`), on one line.

    Characters in `keep` (e.g. `"\\n\\t"` for multi-line output) are left as they are.
    """

    def escape(match: re.Match) -> str:
        char = match.group()
        if char in keep:
            return char
        return char.encode("unicode_escape").decode("ascii")

    return _UNSAFE.sub(escape, str(text))


def first_control_character(text: str, allow: str = "") -> str | None:
    """The first control character of `text` not in `allow`, escaped (`\\x1b`), or None."""
    for match in _UNSAFE.finditer(text):
        if match.group() not in allow:
            return match.group().encode("unicode_escape").decode("ascii")
    return None


class HrhsimError(Exception):
    """Base of every error shown to users: one clear line, exit status 2."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key_path: str | None = None,
        line: int | None = None,
        expected: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = None if file is None else str(file)
        self.key_path = key_path
        self.line = line
        self.expected = expected

    def __str__(self) -> str:
        """`FILE:LINE: key.path: message (expected ...)`, one line, control characters escaped."""
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line is not None else "") + ": "
        key = f"{self.key_path}: " if self.key_path else ""
        tail = f" (expected {self.expected})" if self.expected else ""
        return safe_text(f"{where}{key}{self.message}{tail}")


class ScenarioError(HrhsimError):
    """A scenario or sweep file (or a --set override) is invalid."""


class WorldError(HrhsimError):
    """A world file or a country code is invalid."""


class CalibrationError(HrhsimError):
    """A calibration spec, targets table or mapping is invalid, or a calibration cannot go on."""


class SetupError(HrhsimError):
    """The machine cannot do what was asked: an output folder that cannot be written, a full
    disk, a Dask scheduler that cannot be reached, workers that died, memory exhausted."""


def did_you_mean(word: Any, candidates: Sequence[str]) -> str:
    """A `; did you mean 'x'?` suffix when a candidate is close to `word`, else ''."""
    word = str(word)
    match = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    if not match and len(word) >= 3:  # abbreviations: 'retain' -> 'retention'
        match = [c for c in candidates if c.lower().startswith(word.lower())][:1]
    if not match:
        lowered = {c.lower(): c for c in candidates}
        match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
        match = [lowered[m] for m in match]
    return f"; did you mean '{match[0]}'?" if match else ""


def describe_value(value: Any) -> str:
    """A short description of a YAML value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"string {text!r}"
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    if isinstance(value, dict):
        return "an empty mapping" if not value else "a mapping"
    return f"a {type(value).__name__}"


# ------------------------------------------------------------------ operating-system errors

_WRITE_PROBLEMS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file is too large for this file system (or a size limit)",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ELOOP: "too many levels of symbolic links",
    errno.EIO: "input/output error",
    errno.ENOENT: "no such file or folder",
}


def describe_os_error(exc: OSError) -> str:
    """A short phrase for an OS error (`the disk is full`, `permission denied`, ...)."""
    return _WRITE_PROBLEMS.get(exc.errno or 0, exc.strerror or str(exc) or type(exc).__name__)


def write_problem(exc: OSError, path: str | os.PathLike, verb: str = "write") -> SetupError:
    """A `SetupError` for an OS error met while writing `path`."""
    return SetupError(
        f"cannot {verb} {path}: {describe_os_error(exc)}", expected="a writable output folder"
    )
