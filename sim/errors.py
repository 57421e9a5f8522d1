"""Errors shown to users: one clear line naming the file, key path, line and expected value."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any


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
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line is not None else "") + ": "
        key = f"{self.key_path}: " if self.key_path else ""
        tail = f" (expected {self.expected})" if self.expected else ""
        return f"{where}{key}{self.message}{tail}"


class ScenarioError(HrhsimError):
    """A scenario or sweep file (or a --set override) is invalid."""


class WorldError(HrhsimError):
    """A world file or a country code is invalid."""


class CalibrationError(HrhsimError):
    """A calibration spec, targets table or mapping is invalid, or a calibration cannot go on."""


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
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"
