"""Argument types and shared options of the command line, with documented caps.

Every number a user types is bounded: beyond a cap the command stops at once with exit status 2
and a message naming the argument (docs/guide.md, "Limits").
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from sim.inputs.schema import SCHEMA

MAX_REPLICATES = int(SCHEMA["replicates"].max)
"""`--replicates` of run and compare: the same cap as the scenario key `replicates`."""
MAX_WORKERS = 256
"""`--workers` of sweep: local Dask worker processes."""
MAX_RETRIES = 100
"""`--retries` of sweep."""
MAX_RESAMPLES = 10_000
"""`--resamples` of sensitivity (bootstrap resamples of SALib's confidence intervals)."""
MAX_WORKER_TIMEOUT = 86_400
"""`--worker-timeout` of sweep, seconds."""


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type accepting whole numbers from `low` to `high` (inclusive)."""
    expected = f"a whole number >= {low}" if high is None else f"a whole number {low} to {high:,}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {value}")
        return value

    parse.__name__ = "whole number"
    return parse


positive_int = whole_number(1)
nonnegative_int = whole_number(0)
seed = whole_number(0, 2**63 - 1)
replicates = whole_number(1, MAX_REPLICATES)
workers = whole_number(1, MAX_WORKERS)
retries = whole_number(0, MAX_RETRIES)
resamples = whole_number(2, MAX_RESAMPLES)  # a bootstrap interval needs two resamples
bootstrap_seed = whole_number(0, 2**32 - 1)
seconds = whole_number(1, MAX_WORKER_TIMEOUT)


def level(text: str) -> float:
    """A confidence level strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a level between 0 and 1, got {value}")
    return value


def add_set_option(parser: argparse.ArgumentParser, *, every: str | None = None) -> None:
    """`--set PATH=VALUE` (repeatable), shared by commands that load scenarios.

    `every`: what the command applies each override to when it loads several scenarios
    (`compare`: "scenario compared, the baseline and each option"), which the help says, with an
    example valid for all of them.
    """
    if every:
        text = (
            f"override a key of every {every}, after `extends` (VALUE is YAML; repeatable), "
            "e.g. --set time.years=5 or --set scale.workers_per_agent=1000; to change one "
            "file only, edit it"
        )
    else:
        text = (
            "override a scenario key after `extends` (VALUE is YAML; repeatable), "
            "e.g. --set behaviour.wage_weight=1.5 or --set policies.agreements.0.quota=800"
        )
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE", help=text
    )


def refuse_set_and_option(overrides: list[str], options: dict[str, tuple[str, object]]) -> None:
    """Refuse a key given both by `--set` and by its own option (`--seed 5 --set seed=7`), which
    the option would override without a word. `options`: {scenario path: (option, its value, or
    None when not given)}."""
    from sim.errors import ScenarioError
    from sim.inputs.extends import SET_SOURCE

    for item in overrides:
        path = str(item).partition("=")[0].strip()
        for key, (option, value) in options.items():
            # the key itself, or a section holding it (`--set 'outputs={csv: false}'` with --csv)
            if value is None or not (key == path or key.startswith(path + ".")):
                continue
            given = option if value is True else f"{option} {value}"
            raise ScenarioError(
                f"also given by {given}" + ("" if key == path else f" (its key {key})"),
                file=SET_SOURCE,
                key_path=path,
                expected=f"either --set {path}=... or {option}, not both",
            )


def folder(text: str) -> Path:
    """An argparse type for an output folder: a non-empty path (`-o ""` meant the current one)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder path, got an empty one")
    return Path(text)


folder.__name__ = "folder"
