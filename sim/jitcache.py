"""numba's on-disk cache, keyed on the code it compiles (imported by `sim/__init__.py` first).

numba checks a cached kernel against the source file of the decorated function only: a kernel in
`sim/engines/arrays.py` that inlines a rule from `sim/model/rules.py` kept running the old rule
after `rules.py` changed, while the agents engine ran the new one. Here the cache folder is keyed
on a fingerprint of every module that uses numba and of every package module those import
(transitively), plus the versions of Python, numba, llvmlite and numpy. Any edit of that code
selects a new, empty cache folder, so a stale kernel cannot be loaded.

The folder is `ROOT/hrhsim-<fingerprint>`, where ROOT is the user's `NUMBA_CACHE_DIR` when set,
else `sim/__pycache__/numba` when writable, else the user's cache folder
(`$XDG_CACHE_HOME/hrhsim/numba`), else the temporary folder. `configure()` points
`NUMBA_CACHE_DIR` (and numba's config, if numba is already imported) at it; child processes
(Dask workers) inherit it and keep it. It must run before any `@njit(cache=True)` decoration,
because numba fixes a function's cache location when the decorator runs.

A Ctrl-C while numba compiles a kernel or loads it from the cache takes effect when that is done
(`sim.processes.interrupts_deferred` around numba's `Dispatcher.compile`): one that reached Python
inside llvmlite's ctypes callbacks was printed as "Exception ignored" and lost, the command going
on (or exiting 0), instead of the `interrupted` and exit status 130 of `sim.cli.app`.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.abc
import importlib.util
import logging
import os
import re
import sys
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["PREFIX", "cache_dir", "configure", "fingerprint", "jitted_sources"]

PACKAGE_DIR = Path(__file__).resolve().parent
PREFIX = "hrhsim-"
_USES_NUMBA = re.compile(r"^\s*(?:from\s+numba[\s.]|import\s+numba\b)", re.M)


def _module_file(name: str) -> Path | None:
    """The source file of a module of this package (`sim.model.rules`), or None."""
    parts = name.split(".")
    if parts[0] != PACKAGE_DIR.name:
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, text: str) -> set[str]:
    """Package modules imported by a source file (absolute and relative imports)."""
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError:
        return set()
    here = _module_name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {m for m in found if m.split(".")[0] == PACKAGE_DIR.name}


def jitted_sources() -> list[Path]:
    """Modules that use numba and every package module they import, transitively (sorted)."""
    texts: dict[Path, str] = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        if "__pycache__" in path.parts:
            continue
        try:
            texts[path] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    me = Path(__file__).resolve()
    todo = [p for p, text in texts.items() if _USES_NUMBA.search(text) and p != me]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in _imports(path, texts.get(path, "")):
            target = _module_file(module)
            if target is not None and target not in seen and target in texts:
                todo.append(target)
    return sorted(seen)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """16 hex digits over the jitted sources (paths and contents) and the compiler versions."""
    digest = hashlib.sha256()
    for dist in ("numba", "llvmlite", "numpy"):
        digest.update(f"{dist}={_version(dist)}\n".encode())
    digest.update(f"python={sys.version_info[:3]}\n".encode())
    for path in jitted_sources():
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def cache_dir(environ: dict | None = None) -> Path:
    """The keyed cache folder for this code (see the module docstring)."""
    env = os.environ if environ is None else environ
    tag = PREFIX + fingerprint()
    given = env.get("NUMBA_CACHE_DIR", "")
    if given and Path(given).name == tag:  # already keyed (a child process of ours)
        return Path(given)
    roots = [Path(given)] if given else []
    roots.append(PACKAGE_DIR / "__pycache__" / "numba")
    xdg = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    roots.append(Path(xdg) / "hrhsim" / "numba")
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    roots.append(Path(tempfile.gettempdir()) / f"hrhsim-numba-{uid}")
    for root in roots:
        if _writable(root / tag):
            return root / tag
    return roots[-1] / tag  # numba falls back to its own locations if this fails


def configure() -> Path:
    """Point numba's cache at `cache_dir()`; return it. Safe to call more than once.

    Also makes a failure to *write* the cache (full disk, quota) a warning instead of an error:
    the kernel is compiled and runs; it is only compiled again next time.
    """
    folder = cache_dir()
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    config = sys.modules.get("numba.core.config")
    if config is not None:  # numba imported before sim: update its parsed configuration too
        config.CACHE_DIR = str(folder)
    for name, patch in _PATCHES.items():
        module = sys.modules.get(name)
        if module is not None:
            patch(module)
        elif not any(isinstance(f, _AfterImport) and f.name == name for f in sys.meta_path):
            sys.meta_path.insert(0, _AfterImport(name))  # numba is imported later (`import sim`
            # stays light)
    return folder


def _tolerate_save_errors(caching: Any) -> None:
    """Wrap `numba.core.caching.Cache.save_overload`: an `OSError` is logged, not raised."""
    original = caching.Cache.save_overload
    if getattr(original, "_hrhsim", False):
        return

    def save_overload(self: Any, sig: Any, data: Any) -> None:
        try:
            original(self, sig, data)
        except OSError as exc:
            logging.getLogger(__name__).warning(
                "numba could not write its cache in %s (%s); compiled kernels still run",
                os.environ.get("NUMBA_CACHE_DIR", "its cache folder"),
                exc.strerror or exc,
            )

    save_overload._hrhsim = True  # type: ignore[attr-defined]
    caching.Cache.save_overload = save_overload


def _defer_interrupts(dispatcher: Any) -> None:
    """Wrap `numba.core.dispatcher.Dispatcher.compile` (compiling a kernel, or loading it from
    the cache) in `interrupts_deferred`: a Ctrl-C meanwhile takes effect when it is done.

    Inside, llvmlite calls back into Python through ctypes (`_raw_object_cache_notify`); a
    KeyboardInterrupt raised there was printed as "Exception ignored" and lost. A compile nested
    in another (a kernel calling a kernel) keeps SIGINT blocked until the outermost one ends.
    """
    original = dispatcher.Dispatcher.compile
    if getattr(original, "_hrhsim", False):
        return
    from sim.processes import interrupts_deferred

    @functools.wraps(original)
    def compile(self: Any, sig: Any) -> Any:
        with interrupts_deferred():
            return original(self, sig)

    compile._hrhsim = True  # type: ignore[attr-defined]
    dispatcher.Dispatcher.compile = compile


def serial_and_parallel(func: Any) -> dict[bool, Any]:
    """A kernel built serial (`False`: small inputs) and parallel (`True`: large ones), with
    identical results: {False: njit(func), True: njit(parallel=True)(copy of func)}.

    The parallel build compiles a copy named `<name>_parallel`: numba's disk cache names an
    entry by module, function name and first line, not by compiler flags, so two builds of one
    function would share one entry (docs/architecture.md, "The parallel kernels' cache").
    """
    import types

    from numba import njit

    twin = types.FunctionType(func.__code__, func.__globals__, func.__name__, func.__defaults__)
    twin.__qualname__, twin.__module__ = f"{func.__qualname__}_parallel", func.__module__
    return {False: njit(cache=True)(func), True: njit(parallel=True, cache=True)(twin)}


_PATCHES = {
    "numba.core.caching": _tolerate_save_errors,
    "numba.core.dispatcher": _defer_interrupts,
}
"""What `configure` changes in numba modules (when imported, or right after numba imports them)."""


class _AfterImport(importlib.abc.MetaPathFinder):
    """Applies the `_PATCHES` entry of module `name` right after that module is first imported."""

    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module: Any) -> None:
            original(module)
            _PATCHES[fullname](module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


CACHE_DIR = configure()
"""The folder numba caches this code's kernels in (set when `sim` is imported)."""
