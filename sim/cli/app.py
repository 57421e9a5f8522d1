"""The `hrhsim` command line.

Each subcommand is a pair of functions: `_add_<name>(subparsers)` declares its parser (with
examples in the epilog) and sets `func=_cmd_<name>`; `_cmd_<name>(args) -> int` does the work and
returns the exit status. Register new subcommands in `_SUBCOMMANDS` at the bottom of this file.

Exit status: 0 success, 2 user error (`HrhsimError`: bad scenario, world, arguments), 1 unexpected
failure (the traceback is shown with `--debug`), 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sim import __version__
from sim.errors import HrhsimError

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


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


_FORMATTER = _Formatter

_MAIN_EPILOG = """\
examples:
  hrhsim validate scenarios/baseline.yaml scenarios/ethical_recruitment.yaml
  hrhsim validate scenarios/baseline.yaml --set time.years=20
  hrhsim world --kind archetypes
  hrhsim world --json > world.json
  hrhsim COMMAND --help          (help on one command)

Exit status: 0 success, 2 invalid input (message on stderr), 1 unexpected error.
"""


# --------------------------------------------------------------------------------------------------
# logging


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


def _subparser(
    subparsers: Any, name: str, help: str, description: str, epilog: str
) -> argparse.ArgumentParser:
    """A subcommand parser with the shared options and the help layout of this CLI."""
    return subparsers.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=_FORMATTER,
        parents=[_common_options(suppress=True)],
    )


# --------------------------------------------------------------------------------------------------
# hrhsim validate


def _add_validate(subparsers: Any) -> None:
    p = _subparser(
        subparsers,
        "validate",
        help="check scenario files",
        description="Check scenario files: YAML syntax, `extends` chains, keys, types, ranges, "
        "choices and country codes (against the world each scenario names). Prints one line per "
        "valid file; errors name the file, line and key path.",
        epilog="""\
examples:
  hrhsim validate scenarios/baseline.yaml
  hrhsim validate scenarios/*.yaml
  hrhsim validate scenarios/ethical_recruitment.yaml --set policies.compensation.enabled=true
  hrhsim validate scenarios/baseline.yaml --set "world.countries=[KEN, GHA, GBR]"

Exit status 2 if any file is invalid (every file is checked).""",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML file(s)")
    _add_set_option(p)
    p.set_defaults(func=_cmd_validate)


def _add_set_option(parser: argparse.ArgumentParser) -> None:
    """`--set PATH=VALUE` (repeatable), shared by commands that load scenarios."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a scenario key after `extends` (VALUE is YAML; repeatable), "
        "e.g. --set behaviour.wage_weight=1.5 or --set policies.agreements.0.quota=800",
    )


def _cmd_validate(args: argparse.Namespace) -> int:
    from sim.inputs.scenario import load_scenario, selected_countries

    status = EXIT_OK
    for file in args.files:
        try:
            scenario = load_scenario(file, args.overrides)
            countries = len(selected_countries(scenario))
        except HrhsimError as err:
            if args.debug:
                raise
            print(f"error: {err}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        data = scenario.data
        world = data["world"]["kind"]
        if world == "file":
            world = f"file {data['world']['file']}"
        first = data["time"]["start_year"]
        last = first + data["time"]["years"] - 1
        print(
            f"OK  {file} (name: {scenario.name}, world: {world}, {countries} "
            f"countr{'y' if countries == 1 else 'ies'}, years {first}-{last})"
        )
    return status


# --------------------------------------------------------------------------------------------------
# hrhsim world


def _add_world(subparsers: Any) -> None:
    p = _subparser(
        subparsers,
        "world",
        help="summarise the bundled world data",
        description="Summarise a world: number of countries, doctors and nurses/midwives, the "
        "WHO safeguards list countries, the imputations made for missing data, base year.",
        epilog="""\
examples:
  hrhsim world                         (the 194 WHO Member States)
  hrhsim world --kind archetypes       (the stylised five-country world)
  hrhsim world --file my_world.yaml    (a world file, same format as archetypes)
  hrhsim world --json""",
    )
    p.add_argument(
        "--kind",
        choices=("global", "archetypes", "file"),
        default=None,
        help="which world (default: global, or file when --file is given)",
    )
    p.add_argument("--file", metavar="F", help="world YAML file (with --kind file)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=_cmd_world)


def _cmd_world(args: argparse.Namespace) -> int:
    from sim.errors import WorldError
    from sim.inputs.world import load_world

    kind = args.kind or ("file" if args.file else "global")
    if kind == "file" and not args.file:
        raise WorldError("--kind file needs --file F", expected="a world YAML file")
    if kind != "file" and args.file:
        raise WorldError(f"--file is only used with --kind file (not --kind {kind})")
    world = load_world(kind, args.file)
    summary = world.summary()
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=False, default=_json_default))
        return EXIT_OK
    print(_format_world_summary(kind, world, summary))
    return EXIT_OK


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _imputed_codes(world: Any) -> dict[str, list[str]]:
    """Field -> ISO3 codes of the countries where that field was imputed."""
    out: dict[str, list[str]] = {}
    for code, entry in zip(getattr(world, "iso3", []), getattr(world, "imputed", []), strict=False):
        for field in filter(None, str(entry).split(";")):
            out.setdefault(field, []).append(str(code))
    return out


def _format_world_summary(kind: str, world: Any, summary: dict) -> str:
    """Human-readable lines for `World.summary()` (known keys first, then any others)."""
    used: set[str] = set()

    def take(*keys: str) -> Any:
        for key in keys:
            if key in summary:
                used.add(key)
                return summary[key]
        return None

    def number(x: Any) -> str:
        try:
            return f"{float(x):,.0f}"
        except (TypeError, ValueError):
            return str(x)

    def plural(n: int, word: str) -> str:
        if n == 1:
            return f"{n} {word}"
        return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"

    lines = [f"world: {take('kind') or kind}"]
    source = take("source")
    if source:
        lines.append(f"source: {source}")
    base_year = take("base_year")
    if base_year is not None:
        lines.append(f"base year: {base_year}")
    countries = take("n_countries", "countries")
    if isinstance(countries, (list, tuple)):
        countries = len(countries)
    lines.append(f"countries: {countries if countries is not None else len(world.iso3)}")
    for key, label in (
        ("population", "population"),
        ("doctors", "doctors"),
        ("nurses", "nurses and midwives"),
    ):
        value = take(key)
        if value is not None:
            lines.append(f"{label}: {number(value)}")
    safeguards = take("safeguards")
    take("n_safeguards")
    if isinstance(safeguards, (list, tuple)):
        lines.append(f"WHO safeguards list 2023: {plural(len(safeguards), 'country')}")
        lines.extend(_wrap(", ".join(map(str, safeguards))))
    reporting = take("ftd_reporting_destinations")
    if isinstance(reporting, (list, tuple)):
        lines.append(
            f"report foreign-trained doctors by origin (OECD): {plural(len(reporting), 'country')}"
        )
        lines.extend(_wrap(", ".join(map(str, reporting))))
    check = take("safeguards_recomputed")
    if isinstance(check, dict):
        lines.append(
            f"safeguards list recomputed ({check['criteria']}): {check['n_recomputed']} countries"
        )
        lines.append(f"  recomputed, not published: {', '.join(check['recomputed_only']) or '-'}")
        lines.append(f"  published, not recomputed: {', '.join(check['published_only']) or '-'}")
    imputations = take("imputations")
    if isinstance(imputations, dict):
        codes = _imputed_codes(world)
        total = sum(int(v) for v in imputations.values() if isinstance(v, (int, float)))
        lines.append(f"imputations: {total} (by field)" if imputations else "imputations: none")
        for field, count in imputations.items():
            where = f" ({', '.join(codes[field])})" if codes.get(field) else ""
            lines.append(f"  {field}: {count}{where}")
    for key, value in summary.items():
        if key not in used:
            lines.append(f"{key.replace('_', ' ')}: {value}")
    return "\n".join(lines)


def _wrap(text: str, width: int = 96, indent: str = "  ") -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent) or []


# --------------------------------------------------------------------------------------------------
# Other subcommands (`run`, `compare`, `sweep`, `sensitivity`, ...) go here: write
#
#     def _add_<name>(subparsers) -> None:   # p = _subparser(subparsers, "<name>", help=...,
#                                            #     description=..., epilog="examples: ...")
#         ...; p.set_defaults(func=_cmd_<name>)
#     def _cmd_<name>(args) -> int: ...      # return EXIT_OK; raise HrhsimError for user errors
#
# import heavy modules inside `_cmd_<name>` (keeps `hrhsim --help` fast), use `_add_set_option(p)`
# for commands that load scenarios, and append `_add_<name>` to `_SUBCOMMANDS` below.
# --------------------------------------------------------------------------------------------------


def _add_run(subparsers: Any) -> None:
    from sim.cli.run import EXAMPLES, add_run_arguments, cmd_run

    p = _subparser(
        subparsers,
        "run",
        help="run a scenario's replicates and write its results folder",
        description="Run every replicate of a scenario (seeds from SeedSequence(seed).spawn(N)) "
        "and write manifest.json, indicators.parquet and flows.parquet (atomically) to the "
        "results folder, then print a summary table at the horizon.",
        epilog=EXAMPLES,
    )
    add_run_arguments(p)
    _add_set_option(p)
    p.set_defaults(func=cmd_run)


def _add_compare(subparsers: Any) -> None:
    from sim.compare import DESCRIPTION, EXAMPLES, HELP, add_compare_arguments, cmd_compare

    p = _subparser(subparsers, "compare", help=HELP, description=DESCRIPTION, epilog=EXAMPLES)
    add_compare_arguments(p)
    _add_set_option(p)
    p.set_defaults(func=cmd_compare)


def _add_sweep(subparsers: Any) -> None:
    from sim.sweep import SWEEP_DESCRIPTION, SWEEP_EPILOG, add_sweep_arguments

    p = _subparser(
        subparsers,
        "sweep",
        help="run a parameter sweep (grid, LHS, Sobol, Morris) on Dask, resumably",
        description=SWEEP_DESCRIPTION,
        epilog=SWEEP_EPILOG,
    )
    add_sweep_arguments(p)


def _add_sensitivity(subparsers: Any) -> None:
    from sim.sweep import SENSITIVITY_DESCRIPTION, SENSITIVITY_EPILOG, add_sensitivity_arguments

    p = _subparser(
        subparsers,
        "sensitivity",
        help="Sobol or Morris sensitivity indices of a finished sweep (SALib)",
        description=SENSITIVITY_DESCRIPTION,
        epilog=SENSITIVITY_EPILOG,
    )
    add_sensitivity_arguments(p)


def _add_calibrate(subparsers: Any) -> None:
    from sim.cli.calibrate import DESCRIPTION, EXAMPLES, HELP, add_arguments

    p = _subparser(subparsers, "calibrate", help=HELP, description=DESCRIPTION, epilog=EXAMPLES)
    add_arguments(p)


_SUBCOMMANDS: list[Callable[[Any], None]] = [
    _add_validate,
    _add_world,
    _add_run,
    _add_compare,
    _add_sweep,
    _add_sensitivity,
    _add_calibrate,
]


def build_parser() -> argparse.ArgumentParser:
    """The `hrhsim` argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="hrhsim",
        description="hrhsim: agent-based simulation of the international migration of health "
        "workers and the WHO Global Code of Practice levers that govern it.",
        epilog=_MAIN_EPILOG,
        formatter_class=_FORMATTER,
        parents=[_common_options(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"hrhsim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    subparsers.required = True
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status (0 ok, 2 invalid input, 1 unexpected error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    try:
        with _logging_to_stderr(max(args.verbose or 0, 0), bool(args.quiet)):
            return int(args.func(args))
    except HrhsimError as err:
        if args.debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `hrhsim world | head`: the reader has gone, nothing to report
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if args.debug:
            raise
        detail = str(exc).splitlines()[0] if str(exc) else ""
        print(
            f"unexpected error: {type(exc).__name__}{': ' + detail if detail else ''} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
