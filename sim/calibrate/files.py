"""Reading the calibration's files: YAML through the project's reader, errors that name the place.

Every problem is a `CalibrationError` naming the file, the key path, the line and what was expected
(the one error format of `sim.errors`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sim.errors import CalibrationError, describe_value, did_you_mean

__all__ = ["Checker", "read_yaml_file"]

KeyPath = tuple[str, ...]
MAX_BYTES = 1 << 20
"""Largest calibration spec or mapping read (1 MiB)."""


def read_yaml_file(path: str | Path, what: str) -> tuple[Any, dict[KeyPath, int], str]:
    """(data, line of every key path, file name as shown) of a YAML file; `what` names it.

    Read with the project's one YAML reader (`sim.inputs.yamlio`): regular files only, a size cap,
    the alias, duplicate-key and depth guards.
    """
    from sim.inputs.yamlio import read_yaml

    shown = str(path)
    document = read_yaml(path, file=shown, error=CalibrationError, what=what, max_bytes=MAX_BYTES)
    if document.data is None:
        raise CalibrationError(f"empty {what}", file=shown, expected="a mapping of keys")
    return document.data, document.lines, shown


class Checker:
    """Builds `CalibrationError`s that name the file, the key path and its line."""

    def __init__(self, file: str, lines: dict[KeyPath, int]) -> None:
        self.file = file
        self.lines = lines

    def error(self, path: KeyPath, message: str, expected: str | None = None) -> CalibrationError:
        line = None
        for n in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:n]))
            if line is not None:
                break
        return CalibrationError(
            message, file=self.file, key_path=".".join(path) or None, line=line, expected=expected
        )

    def mapping(
        self, value: Any, path: KeyPath, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict:
        """`value` as a mapping with only `allowed` keys and every `required` one."""
        if not isinstance(value, dict):
            raise self.error(
                path,
                f"expected a mapping, got {describe_value(value)}",
                "keys: " + ", ".join(allowed),
            )
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                raise self.error(
                    (*path, str(key)),
                    f"unknown key '{key}'{did_you_mean(key, allowed)}",
                    "one of " + ", ".join(allowed),
                )
        for key in required:
            if key not in value:
                where = ".".join(path) or "the top level"
                raise self.error(path, f"missing required key '{key}' in {where}")
        return value

    def choice(self, value: Any, path: KeyPath, choices: tuple | list) -> Any:
        if isinstance(value, str) and value in choices:
            return value
        hint = did_you_mean(value, [str(c) for c in choices]) if isinstance(value, str) else ""
        raise self.error(
            path,
            f"invalid choice {describe_value(value)}{hint}",
            "one of " + ", ".join(map(str, choices)),
        )

    def integer(self, value: Any, path: KeyPath, lo: int, hi: int | None = None) -> int:
        expected = f"an integer >= {lo}" if hi is None else f"an integer from {lo} to {hi}"
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(path, f"expected an integer, got {describe_value(value)}", expected)
        if value < lo or (hi is not None and value > hi):
            raise self.error(path, f"{value} is out of range", expected)
        return value

    def number(
        self, value: Any, path: KeyPath, lo: float | None = None, hi: float | None = None
    ) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok:
            raise self.error(path, f"expected a number, got {describe_value(value)}", "a number")
        if not math.isfinite(float(value)):
            raise self.error(path, f"{value!r} is not a finite number", "a finite number")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            span = f"from {lo:g} to {hi:g}" if lo is not None and hi is not None else ""
            span = span or (f">= {lo:g}" if lo is not None else f"<= {hi:g}")
            raise self.error(path, f"{value:g} is out of range", f"a number {span}")
        return float(value)

    def text(self, value: Any, path: KeyPath) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(path, f"expected text, got {describe_value(value)}", "text")
        return value

    def boolean(self, value: Any, path: KeyPath) -> bool:
        if not isinstance(value, bool):
            raise self.error(path, f"expected true or false, got {describe_value(value)}")
        return value
