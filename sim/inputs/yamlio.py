"""The one YAML reader of hrhsim: scenario, world and sweep files all go through `read_yaml`.

What it guarantees, whatever the file holds:

- **regular files only**: a directory, a FIFO, a device (`/dev/zero`), a socket or a symbolic-link
  loop is refused at once, before anything is read (a FIFO is opened non-blocking and checked
  again, so it cannot be swapped in between);
- **a size cap** (`MAX_BYTES`, `MAX_WORLD_BYTES`): larger files are refused before parsing;
- **`yaml.safe_load` semantics only** (the C parser when available): no tags that build objects,
  hence no code run from a file;
- **an alias guard**: anchors and aliases may not expand the document by more than
  `MAX_ALIAS_EXPANSION` nodes ("billion laughs"), and may not refer to themselves;
- **no duplicate keys** at any level, **keys are scalars**, **nesting depth** at most `MAX_DEPTH`;
- **numbers as people write them**: `1e3` is the number 1000 (YAML 1.1 wants `1.0e+3`), and the
  YAML 1.1 forms that silently read as another number are refused: a leading zero (`010` would be
  octal 8) and colons (`2:30` would be 150, base 60); keys that YAML reads as null or a boolean
  (`~:`, `no:`) or as another number (`35_44:` would be the key 3544) are refused too;
- **one error format**: every problem is raised as the caller's `HrhsimError` subclass, printed
  as `FILE:LINE: key.path: message (expected ...)`.

`read_yaml` returns a `YamlDocument`: the data and the 1-based line of every key path.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from sim.errors import HrhsimError, ScenarioError

__all__ = [
    "MAX_ALIAS_EXPANSION",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_WORLD_BYTES",
    "KeyPath",
    "Referrer",
    "YamlDocument",
    "check_regular_file",
    "parse_yaml",
    "read_regular_file",
    "read_yaml",
]

KeyPath = tuple[str, ...]

MAX_BYTES = 1 << 20
"""Largest scenario or sweep file read (1 MiB; the shipped ones are under 10 KiB)."""
MAX_WORLD_BYTES = 4 << 20
"""Largest world file read (4 MiB: the 194 WHO Member States with every pair fit in about 1)."""
MAX_ALIAS_EXPANSION = 100_000
"""How many nodes aliases may add to a document beyond those written in it."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists."""

_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_NULL_TAG = "tag:yaml.org,2002:null"
_BOOL_TAG = "tag:yaml.org,2002:bool"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (C parser when available) that also reads `1e3` and `2.5E-4` as numbers.

    PyYAML copies the resolver table to this class on the first addition, so the library's own
    loaders are unchanged.
    """


_Loader.add_implicit_resolver(
    _FLOAT_TAG,
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")
MAX_NUMBER_LENGTH = 400
"""Longest number written in a file (thousands of digits would stall its conversion)."""


@dataclass
class YamlDocument:
    """A parsed YAML file: its data and where each key path is (1-based lines)."""

    data: Any
    file: str
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, path: KeyPath) -> int | None:
        """The line of `path`, or of its closest ancestor that has one (None: unknown)."""
        for n in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:n]))
            if line is not None:
                return line
        return None


# --------------------------------------------------------------------------------------------------
# reading bytes: regular files only, with a size cap


_OS_REASONS = {
    errno.ELOOP: "too many levels of symbolic links (a symlink loop?)",
    errno.ENAMETOOLONG: "file name too long",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}

Referrer = tuple[str, int | None, str]
"""Where a file is named by another file: (that file, its line, the key), e.g. `extends`."""


class _Failures:
    """Errors about one file, worded for a file given directly or named by another file."""

    def __init__(
        self,
        shown: str,
        what: str,
        error: type[HrhsimError],
        referrer: Referrer | None,
    ) -> None:
        self.shown, self.what, self.error, self.referrer = shown, what, error, referrer

    def __call__(self, problem: str, expected: str | None = None, *, about: bool = False):
        """`problem` is said of the file (`about`: "WHAT problem") or follows its name."""
        if self.referrer is None:
            text = f"{self.what} {problem}" if about else problem
            return self.error(text, file=self.shown, expected=expected)
        text = f"{self.what} {problem}: {self.shown}" if about else f"{self.shown}: {problem}"
        ref_file, ref_line, ref_key = self.referrer
        return self.error(text, file=ref_file, line=ref_line, key_path=ref_key, expected=expected)

    def os_error(self, exc: OSError) -> HrhsimError:
        if exc.errno == errno.ENOENT:
            return self("not found", expected=f"an existing {self.what}", about=True)
        reason = _OS_REASONS.get(exc.errno or 0, exc.strerror or str(exc))
        return self(f"cannot read: {reason}", expected=f"a readable {self.what}")


def check_regular_file(
    path: str | os.PathLike,
    *,
    file: str | None = None,
    error: type[HrhsimError] = ScenarioError,
    what: str = "file",
    max_bytes: int = MAX_BYTES,
    referrer: Referrer | None = None,
) -> None:
    """Raise `error(...)` unless `path` is an existing regular file of at most `max_bytes`.

    `file` is the name shown in messages (default: `path`). When the file is named by another
    file (`extends`, `world.file`, `base`), `referrer` = (that file, line, key) and the error
    names the referring file, line and key, and this file in the message.
    """
    _stat_regular(
        path, _Failures(str(path) if file is None else file, what, error, referrer), max_bytes
    )


def _kind(mode: int) -> str:
    """What a file system entry is, for messages."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _stat_regular(path: str | os.PathLike, fail: _Failures, max_bytes: int) -> None:
    try:
        info = os.stat(path)
    except OSError as exc:
        raise fail.os_error(exc) from None
    except ValueError as exc:  # an embedded NUL
        raise fail(f"invalid file name ({exc})", expected="a file path") from None
    if not stat.S_ISREG(info.st_mode):
        raise fail(f"is {_kind(info.st_mode)}, not a file", expected="a regular file")
    if info.st_size > max_bytes:
        raise fail(
            f"too large ({info.st_size:,} bytes)",
            expected=f"at most {max_bytes:,} bytes",
            about=True,
        )


def read_regular_file(
    path: str | os.PathLike,
    *,
    file: str | None = None,
    error: type[HrhsimError] = ScenarioError,
    what: str = "file",
    max_bytes: int = MAX_BYTES,
    referrer: Referrer | None = None,
) -> bytes:
    """The bytes of a regular file of at most `max_bytes` (checked as by `check_regular_file`)."""
    fail = _Failures(str(path) if file is None else file, what, error, referrer)
    _stat_regular(path, fail, max_bytes)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise fail.os_error(exc) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # swapped for a pipe since the stat above
            raise fail(f"is {_kind(mode)}, not a file", expected="a regular file")
        chunks = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise fail.os_error(exc) from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise fail(
            f"too large (over {max_bytes:,} bytes)",
            expected=f"at most {max_bytes:,} bytes",
            about=True,
        )
    return b"".join(chunks)


def _decode(raw: bytes, file: str, error: type[HrhsimError]) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise error(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x})",
            file=file,
            line=line,
            expected="a text file in UTF-8",
        ) from None


# --------------------------------------------------------------------------------------------------
# parsing


def read_yaml(
    path: str | os.PathLike,
    *,
    file: str | None = None,
    error: type[HrhsimError] = ScenarioError,
    what: str = "YAML file",
    max_bytes: int = MAX_BYTES,
    referrer: Referrer | None = None,
) -> YamlDocument:
    """Read and parse one YAML file with every guard of this module (see the module docstring)."""
    shown = str(path) if file is None else file
    raw = read_regular_file(
        path, file=shown, error=error, what=what, max_bytes=max_bytes, referrer=referrer
    )
    return parse_yaml(_decode(raw, shown, error), file=shown, error=error)


def parse_yaml(text: str, *, file: str, error: type[HrhsimError] = ScenarioError) -> YamlDocument:
    """Parse YAML text (already read) with the alias, duplicate-key and depth guards."""
    if len(text) > 4 * MAX_WORLD_BYTES:
        raise error("text too large", file=file, expected=f"at most {MAX_WORLD_BYTES:,} bytes")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates, e.g. undecodable command-line bytes
        line = text.count("\n", 0, exc.start) + 1
        raise error("not valid UTF-8 text", file=file, line=line) from None
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise error(
                "nested too deeply", file=file, expected=f"at most {MAX_DEPTH} levels"
            ) from None
        except yaml.YAMLError as exc:
            raise _syntax_error(exc, text, file, error) from None
        if node is None:
            return YamlDocument(None, file, {})
        lines = _check_tree(node, file, error)
        try:
            data = loader.construct_document(node)
        except RecursionError:
            raise error("nested too deeply", file=file) from None
        except (yaml.YAMLError, TypeError, ValueError, OverflowError) as exc:
            raise _syntax_error(exc, text, file, error, what="invalid value") from None
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose is not None:
            dispose()
    return YamlDocument(data, file, lines)


def _syntax_error(
    exc: Exception,
    text: str,
    file: str,
    error: type[HrhsimError],
    what: str = "malformed YAML",
) -> HrhsimError:
    """An error from a PyYAML exception, with the line of the problem."""
    line = None
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            line = mark.line + 1
        parts = [p for p in (exc.context, exc.problem) if p]
        detail = ", ".join(parts) if parts else str(exc).splitlines()[0]
    elif isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        detail = (
            f"unacceptable character #x{exc.character:04x}"
            if isinstance(exc.character, int)
            else str(exc.reason)
        )
    else:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if line is not None and "\t" in "".join(text.splitlines()[line - 1 : line]):
        detail += " (this line holds a tab: YAML indents with spaces only)"
    return error(f"{what}: {detail}", file=file, line=line)


def _children(node: yaml.Node) -> Iterator[tuple[str | None, yaml.Node, yaml.Node | None]]:
    """(key text, value node, key node) of a mapping, (index, item, None) of a sequence."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            text = key.value if isinstance(key, yaml.ScalarNode) else None
            yield text, value, key
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield str(i), item, None


def _check_tree(root: yaml.Node, file: str, error: type[HrhsimError]) -> dict[KeyPath, int]:
    """Duplicate and non-scalar keys, depth, alias expansion; the line of every key path.

    Aliases make the node tree a graph (a node reached twice); the expanded size is counted
    over the graph with memoisation, so the check itself is linear in the file.
    """
    # expanded sizes, post-order, detecting cycles (an alias inside its own anchor)
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        ident = id(node)
        if done:
            on_path.discard(ident)
            kids = [child for _, child, _ in _children(node)]
            size[ident] = 1 + sum(size[id(c)] for c in kids)
            depth[ident] = 1 + max((depth[id(c)] for c in kids), default=0)
            continue
        if ident in size:
            continue
        if ident in on_path:
            raise error(
                "an alias refers to the node that contains it",
                file=file,
                line=node.start_mark.line + 1,
                expected="aliases to complete nodes only",
            )
        on_path.add(ident)
        stack.append((node, True))
        for _, child, _ in _children(node):
            if id(child) not in size:
                stack.append((child, False))
    distinct = len(size)
    if size[id(root)] - distinct > MAX_ALIAS_EXPANSION:
        raise error(
            f"aliases expand the document by {size[id(root)] - distinct:,} nodes (an alias bomb?)",
            file=file,
            expected=f"anchors and aliases adding at most {MAX_ALIAS_EXPANSION:,} nodes",
        )
    if depth[id(root)] > MAX_DEPTH:
        raise error("nested too deeply", file=file, expected=f"at most {MAX_DEPTH} levels")

    if isinstance(root, yaml.ScalarNode) and root.tag in (_INT_TAG, _FLOAT_TAG):
        _check_number(root, file, error, None)  # a document that is one number (`--set`)

    # keys: scalars, no duplicates; lines of every key path (each node visited once)
    lines: dict[KeyPath, int] = {}
    seen: set[int] = set()
    todo: list[tuple[yaml.Node, KeyPath]] = [(root, ())]
    while todo:
        node, path = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        keys: set[tuple[str, str]] = set()
        for text, child, key in _children(node):
            if key is not None:
                if key.tag == _MERGE_TAG:
                    continue
                if text is None:
                    raise error(
                        "a key is a list or a mapping",
                        file=file,
                        key_path=".".join(path) or None,
                        line=key.start_mark.line + 1,
                        expected="plain keys such as 'name:'",
                    )
                if key.tag in (_NULL_TAG, _BOOL_TAG):
                    raise error(
                        f"the key '{text}' is read by YAML as "
                        + ("null" if key.tag == _NULL_TAG else "a true/false value"),
                        file=file,
                        key_path=".".join(path) or None,
                        line=key.start_mark.line + 1,
                        expected=f"a plain key such as 'name:' (quote it if meant: '{text}':)",
                    )
                if (
                    key.tag in (_INT_TAG, _FLOAT_TAG)
                    and not text.lstrip("+-").isdigit()  # `000:` of `{rate: 20,000}`: validation.py
                    and len(text) <= MAX_NUMBER_LENGTH
                ):
                    number = yaml.load(text, Loader=_Loader)  # a plain number: safe
                    if str(number) != text:  # `35_44:` is 3544, `0x1F:` 31, `1e3:` 1000.0
                        raise error(
                            f"the key '{text}' is read by YAML as the number {number}",
                            file=file,
                            key_path=".".join(path) or None,
                            line=key.start_mark.line + 1,
                            expected=f"a plain key such as 'name:' (quote it if meant: '{text}':)",
                        )
                if (key.tag, text) in keys:
                    raise error(
                        f"duplicate key '{text}'",
                        file=file,
                        key_path=".".join((*path, text)),
                        line=key.start_mark.line + 1,
                        expected="each key once in a mapping",
                    )
                keys.add((key.tag, text))
                lines[(*path, text)] = key.start_mark.line + 1
            else:
                lines[(*path, text)] = child.start_mark.line + 1
            if isinstance(child, yaml.ScalarNode) and child.tag in (_INT_TAG, _FLOAT_TAG):
                _check_number(child, file, error, ".".join((*path, text)))
            if (
                isinstance(child, yaml.ScalarNode)
                and child.tag in (_INT_TAG, _FLOAT_TAG)
                and len(child.value) > MAX_NUMBER_LENGTH
            ):
                raise error(
                    f"number too long ({len(child.value):,} characters)",
                    file=file,
                    key_path=".".join((*path, text)),
                    line=child.start_mark.line + 1,
                    expected=f"a number of at most {MAX_NUMBER_LENGTH} characters",
                )
            todo.append((child, (*path, text)))
    return lines


def _check_number(
    node: yaml.ScalarNode, file: str, error: type[HrhsimError], key: str | None
) -> None:
    """Refuse the YAML 1.1 number forms that read silently as another number."""
    text = node.value
    if _LEADING_ZERO.match(text):
        reads, expected = (
            "has a leading zero, which YAML reads as the octal number",
            (f"a number without leading zeros, such as {text.lstrip('+-0_') or '0'}"),
        )
    elif ":" in text:
        reads, expected = "is read by YAML as the base-60 number", "a plain number (or quoted text)"
    else:
        return
    value = yaml.load(text, Loader=yaml.SafeLoader)  # a plain number: safe
    raise error(
        f"'{text}' {reads} {value}",
        file=file,
        key_path=key,
        line=node.start_mark.line + 1,
        expected=expected,
    )
