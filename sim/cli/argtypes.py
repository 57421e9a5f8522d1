"""Argument types for the command line: whole numbers within a range, with clear messages."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type accepting whole numbers from `low` to `high` (inclusive)."""
    expected = f"a whole number >= {low}" if high is None else f"a whole number {low} to {high}"

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
