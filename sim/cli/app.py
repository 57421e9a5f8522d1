"""The `hrhsim` command line: one `main`, one error path, a module per subcommand.

Each subcommand is a module of `sim.cli` with `HELP`, `DESCRIPTION`, `EPILOG`,
`add_arguments(parser)` and `run(args) -> int` (exit status); modules import their heavy
dependencies inside `run`, so `hrhsim --help` stays fast. Register a new one in `SUBCOMMANDS`.

Exit status: 0 success; 1 unexpected failure (the traceback with `--debug`); 2 invalid input or
an environment problem, with one line `error: FILE:LINE: key.path: message (expected ...)` on
stderr and no traceback (a command line that does not parse gets argparse's usage and its
`hrhsim COMMAND: error: ...` line instead); 130 interrupted. Everything the command prints goes
through one filter that escapes control characters, so no text from a file or an argument can
drive the terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import io
import logging
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sim import __version__
from sim.errors import HrhsimError, SetupError, safe_text

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

SUBCOMMANDS = ("validate", "world", "run", "compare", "sweep", "sensitivity", "calibrate")
"""Modules of `sim.cli`, one per subcommand, in the order `hrhsim --help` lists them."""


class _Formatter(argparse.HelpFormatter):
    """Fills prose paragraphs; keeps indented lines and example blocks as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out = []
        for paragraph in text.split("\n\n"):
            lines = paragraph.splitlines()
            raw = len(lines) > 1 and (lines[0].endswith(":") or lines[1].startswith(" "))
            if raw:
                out.append("\n".join(indent + line for line in lines))
            else:
                out.append(super()._fill_text(paragraph, width, indent))
        return "\n\n".join(out)


_MAIN_EPILOG = """\
examples:
  hrhsim validate scenarios/baseline.yaml scenarios/ethical_recruitment.yaml
  hrhsim validate scenarios/baseline.yaml --set time.years=20
  hrhsim run scenarios/archetypes_baseline.yaml
  hrhsim world --kind archetypes
  hrhsim COMMAND --help          (help on one command)

Exit status: 0 success, 2 invalid input or environment problem (one line on stderr:
error: FILE:LINE: key.path: message (expected ...); a command line that does not parse prints the
usage and a line "hrhsim COMMAND: error: ..." instead), 1 unexpected error.
"""


# --------------------------------------------------------------------------------------------------
# output: one filter for everything printed


class _Discard(io.TextIOBase):
    """A text stream that takes everything and keeps nothing (for a closed standard stream)."""

    def write(self, text: str) -> int:
        return len(text)


class SafeStream(io.TextIOBase):
    """A text stream that escapes control characters (keeps newline, tab, carriage return).

    A stream the caller closed (`hrhsim world >&-`: Python's `sys.stdout` is then None) takes
    the text and drops it, as the broken pipe of a reader that has gone does (the command's
    files are written all the same).
    """

    def __init__(self, stream: Any) -> None:
        self._stream = _Discard() if stream is None else stream

    def write(self, text: str) -> int:
        self._stream.write(safe_text(text, keep="\n\t\r"))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return bool(getattr(self._stream, "isatty", lambda: False)())

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", "utf-8")

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self._stream, "errors", None)

    def writable(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:  # buffer, mode, ... of the wrapped stream
        return getattr(self._stream, name)


@contextlib.contextmanager
def _safe_output() -> Iterator[None]:
    """Route `sys.stdout` and `sys.stderr` through `SafeStream` while a command runs."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(saved[0]), SafeStream(saved[1])
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        sys.stdout, sys.stderr = saved


class _StderrHandler(logging.StreamHandler):
    """A handler that writes to the *current* `sys.stderr` (so redirection and capture work)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:  # the base class assigns it; always use sys.stderr
        pass


@contextlib.contextmanager
def _logging_to_stderr(verbose: int, quiet: bool) -> Iterator[None]:
    """Log `sim.*` to stderr while the command runs: warnings, -v info, -vv debug, -q errors.

    The `sim` logger's previous state is restored afterwards (main() may be called in-process).
    """
    if quiet:
        level = logging.ERROR
    else:
        level = (logging.WARNING, logging.INFO)[verbose] if verbose < 2 else logging.DEBUG
    logger = logging.getLogger("sim")
    saved = (logger.level, logger.propagate)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


# --------------------------------------------------------------------------------------------------
# the parser


def _common_options(suppress: bool) -> argparse.ArgumentParser:
    """--debug, -v, -q: accepted before and after the subcommand."""
    default: Any = argparse.SUPPRESS if suppress else None
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("general options")
    group.add_argument(
        "--debug",
        action="store_true",
        default=default if suppress else False,
        help="show the full traceback of errors",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default if suppress else 0,
        help="more log messages (-vv for debug messages)",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default if suppress else False,
        help="only log errors",
    )
    return common


def subparser(
    subparsers: Any, name: str, help: str, description: str, epilog: str
) -> argparse.ArgumentParser:
    """A subcommand parser with the shared options and the help layout of this CLI."""
    return subparsers.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=_Formatter,
        parents=[_common_options(suppress=True)],
    )


def build_parser() -> argparse.ArgumentParser:
    """The `hrhsim` argument parser with every subcommand of `SUBCOMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="hrhsim",
        description="hrhsim: agent-based simulation of the international migration of health "
        "workers and the WHO Global Code of Practice levers that govern it.",
        epilog=_MAIN_EPILOG,
        formatter_class=_Formatter,
        parents=[_common_options(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"hrhsim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    subparsers.required = True
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"sim.cli.{name}")
        p = subparser(subparsers, name, module.HELP, module.DESCRIPTION, module.EPILOG)
        module.add_arguments(p)
        p.set_defaults(func=module.run)
    return parser


# --------------------------------------------------------------------------------------------------
# the one error path


_ENVIRONMENT_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EFBIG,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.ENOENT,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.ENAMETOOLONG,
        errno.ELOOP,
        errno.EMFILE,
        errno.ENFILE,
        errno.ENOMEM,
        errno.EIO,
        errno.EEXIST,
        errno.ENXIO,
    }
)


def _os_error_message(exc: OSError) -> str | None:
    """The user-facing line for an OS error of the machine, or None for an unexpected one."""
    if exc.errno not in _ENVIRONMENT_ERRNOS and not exc.filename:
        return None
    from sim.errors import describe_os_error

    reason = describe_os_error(exc)
    return f"{exc.filename}: {reason}" if exc.filename else reason


def _report(message: str) -> None:
    print(f"error: {safe_text(message)}", file=sys.stderr)


def check_environment(environ: Mapping[str, str] = os.environ) -> None:
    """Refuse environment settings numba would stop on or print a traceback for, before it is
    imported: `NUMBA_NUM_THREADS` must be a whole number of threads, at least 1.

    Raises:
        SetupError: naming the variable, its value and what is expected.
    """
    raw = environ.get("NUMBA_NUM_THREADS")
    if raw is None:
        return
    text = raw.strip()
    if not (text.isascii() and text.isdigit() and int(text) >= 1):
        raise SetupError(
            f"NUMBA_NUM_THREADS is {raw!r}",
            file="environment",
            expected="a whole number of threads, at least 1 (or leave it unset: all cores)",
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status (0 ok, 2 invalid input, 1 unexpected error)."""
    with _safe_output():
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version, usage errors (argparse printed them)
            code = exc.code
            return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
        debug = bool(getattr(args, "debug", False))
        try:
            check_environment()
            with _logging_to_stderr(max(args.verbose or 0, 0), bool(args.quiet)):
                return int(args.func(args))
        except HrhsimError as err:
            if debug:
                raise
            _report(str(err))
            return EXIT_USAGE
        except BrokenPipeError:  # e.g. `hrhsim world | head`: the reader has gone
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_OK
        except KeyboardInterrupt:
            if debug:
                raise
            print("interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        except MemoryError:
            if debug:
                raise
            _report("out of memory (use a larger scale.workers_per_agent or fewer replicates)")
            return EXIT_USAGE
        except RecursionError:
            if debug:
                raise
            _report("input nested too deeply")
            return EXIT_USAGE
        except OSError as exc:
            message = _os_error_message(exc)
            if debug or message is None:
                if debug:
                    raise
                return _unexpected(exc)
            _report(message)
            return EXIT_USAGE
        except Exception as exc:
            if debug:
                raise
            return _unexpected(exc)


def _unexpected(exc: BaseException) -> int:
    detail = str(exc).splitlines()[0] if str(exc) else ""
    print(
        f"unexpected error: {type(exc).__name__}{': ' + detail if detail else ''} "
        "(run with --debug for the traceback)",
        file=sys.stderr,
    )
    return EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
