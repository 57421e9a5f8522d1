"""Errors shown to users: one clear line naming the file, key path, line and expected value."""

from __future__ import annotations


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
