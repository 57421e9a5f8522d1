"""A scenario file and its `extends` chain, read and merged, with where each value was set.

`load_tree(path)` reads a scenario file with the one YAML reader (`sim.inputs.yamlio`), follows its
`extends` chain (at most `MAX_EXTENDS` files, no cycles; every file a regular file named relative to
the one extending it) and deep-merges it (mappings merge, everything else replaces). `Provenance`
records which file and line set each key path, so that every later error names them.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from sim.errors import ScenarioError, describe_value, did_you_mean, safe_text
from sim.inputs.yamlio import read_yaml

__all__ = [
    "MAX_EXTENDS",
    "NOT_INHERITED",
    "SET_SOURCE",
    "KeyPath",
    "Origin",
    "Provenance",
    "dotted",
    "load_tree",
    "merge",
    "one_line",
    "scenario_error",
]

log = logging.getLogger(__name__)

KeyPath = tuple[str, ...]
Origin = tuple[str, int | None]
"""Where a value was set: (file name, or `--set`; 1-based line or None)."""

SET_SOURCE = "--set"
MAX_EXTENDS = 32
"""Longest `extends` chain (a file, its parent, its grandparent, ...)."""
NOT_INHERITED = ("name",)
"""Keys a scenario does not inherit through `extends` (a variant gets its own name)."""


def one_line(text: str | None) -> str | None:
    """Control characters (newlines in keys, ...) escaped, so that messages stay on one line."""
    return None if text is None else safe_text(text)


def scenario_error(
    message: str,
    *,
    file: str | None = None,
    key_path: str | None = None,
    line: int | None = None,
    expected: str | None = None,
) -> ScenarioError:
    """A `ScenarioError` whose text is guaranteed to be one line."""
    return ScenarioError(
        one_line(message),
        file=one_line(None if file is None else str(file)),
        key_path=one_line(key_path),
        line=line,
        expected=one_line(expected),
    )


_hint = did_you_mean
_describe = describe_value


def dotted(path: KeyPath) -> str | None:
    return ".".join(path) or None


# --------------------------------------------------------------------------------------------------
# extends


class Provenance:
    """Which file (and line) set each key path of the merged data."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.origins: dict[KeyPath, Origin] = {}

    @classmethod
    def of_file(cls, file: str, lines: Mapping[KeyPath, int]) -> Provenance:
        prov = cls(file)
        prov.origins = {path: (file, line) for path, line in lines.items()}
        return prov

    def copy(self) -> Provenance:
        new = Provenance(self.root)
        new.origins = dict(self.origins)
        return new

    def recorded(self, path: KeyPath) -> Origin | None:
        """The origin of `path` or of its closest recorded ancestor; None if none was set (a
        default)."""
        for n in range(len(path), 0, -1):
            origin = self.origins.get(path[:n])
            if origin is not None:
                return origin
        return None

    def lookup(self, path: KeyPath) -> Origin:
        """The origin of `path` or of its closest recorded ancestor (else the root file)."""
        origin = self.recorded(path)
        return (self.root, None) if origin is None else origin

    def replace(self, path: KeyPath, other: Mapping[KeyPath, Origin]) -> None:
        """Forget origins at and below `path`; take those of `other` at and below it."""
        n = len(path)
        for p in [p for p in self.origins if p[:n] == path]:
            del self.origins[p]
        for p, origin in other.items():
            if p[:n] == path:
                self.origins[p] = origin

    def set(self, path: KeyPath, origin: Origin) -> None:
        self.replace(path, {})
        self.origins[path] = origin


def merge(base: dict, over: dict, path: KeyPath, prov: Provenance, over_prov: Provenance) -> None:
    """Deep-merge `over` into `base` in place: mappings merge, everything else (lists) replaces."""
    for key, value in over.items():
        kp = (*path, str(key))
        if isinstance(base.get(key), dict) and isinstance(value, dict):
            if kp in over_prov.origins:
                prov.origins[kp] = over_prov.origins[kp]
            merge(base[key], value, kp, prov, over_prov)
        else:
            base[key] = copy.deepcopy(value)
            prov.replace(kp, over_prov.origins)


def load_tree(
    path: Path,
    display: str,
    chain: tuple[tuple[Path, str], ...],
    referrer: tuple[str, Origin] | None,
) -> tuple[dict, Provenance]:
    """Load one file and its `extends` ancestors; return the merged data and its provenance."""

    def fail(message: str, expected: str | None = None) -> ScenarioError:
        if referrer is None:
            return scenario_error(message, file=display, expected=expected)
        file, line = referrer[1]
        return scenario_error(message, file=file, key_path="extends", line=line, expected=expected)

    try:
        real = Path(os.path.realpath(path))
    except (OSError, ValueError) as exc:
        raise fail(f"invalid file path {display!r}: {exc}") from None
    if any(real == p for p, _ in chain):
        names = [name for _, name in chain] + [display]
        raise fail(
            "cyclic extends: " + " -> ".join(names),
            expected="a chain of files that ends in a file without `extends`",
        )
    if len(chain) >= MAX_EXTENDS:
        raise fail(
            f"the extends chain is longer than {MAX_EXTENDS} files",
            expected=f"at most {MAX_EXTENDS} files extending each other",
        )
    if referrer is None:
        doc = read_yaml(path, file=display, what="scenario file")
    else:
        file, line = referrer[1]
        doc = read_yaml(path, file=display, what="extended file", referrer=(file, line, "extends"))
    data, lines = doc.data, doc.lines
    if data is None:
        raise scenario_error("empty scenario file", file=display, expected="a mapping of keys")
    if not isinstance(data, dict):
        raise scenario_error(
            f"the file holds {_describe(data)}, not a mapping of keys",
            file=display,
            line=1,
            expected="a mapping of keys such as 'name:', 'world:', 'policies:'",
        )
    prov = Provenance.of_file(display, lines)
    if "extends" not in data:
        return data, prov

    parent_ref = data.pop("extends")
    extends_origin: Origin = (display, lines.get(("extends",)))
    if parent_ref is None:
        return data, prov
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise scenario_error(
            f"expected a file path, got {_describe(parent_ref)}",
            file=display,
            key_path="extends",
            line=extends_origin[1],
            expected="a scenario file path",
        )
    parent_path = path.parent / parent_ref
    parent_display = os.path.normpath(os.path.join(os.path.dirname(display), parent_ref))
    parent, parent_prov = load_tree(
        parent_path, parent_display, (*chain, (real, display)), ("extends", extends_origin)
    )
    for key in NOT_INHERITED:
        if key in parent:
            del parent[key]
            parent_prov.replace((key,), {})
    for p in [p for p in prov.origins if p[:1] == ("extends",)]:
        del prov.origins[p]
    merged = parent
    result_prov = parent_prov.copy()
    result_prov.root = display
    merge(merged, data, (), result_prov, prov)
    log.debug("%s extends %s", display, parent_display)
    return merged, result_prov
