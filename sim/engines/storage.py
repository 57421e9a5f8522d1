"""Storage of the arrays engine's columns: memory, compaction and the range of the 16-bit clocks.

The columns live on private anonymous memory mappings (`lazy_zeros`) rather than numpy's own
allocations: numpy asks the system for 2 MiB pages for arrays from 4 MiB, and a row list written
only at the start of each chunk of rows then filled every page it touched (0.34 GiB of the full
world's peak), while faulting those pages in was slower (building the full world's 51 million
workers: 7.0-8.0 s against 4.6-5.1 s; benchmarks/README.md, eleventh session). On Linux and
macOS, rows never written cost address space only (with the default overcommit of memory);
elsewhere the mapping is charged in full.
"""

from __future__ import annotations

import mmap

import numpy as np
from numba import njit

from sim.errors import HrhsimError
from sim.model import rules

CLOCK_MAX = int(np.iinfo(np.int16).max)
"""Largest clock, birth or end step the int16 columns hold (runs have at most 1,200 steps)."""

GROWTH = 2
"""A population that outgrows its columns reallocates them for GROWTH times the rows it needs..."""
SPARE_ROWS = 1024
"""... plus SPARE_ROWS."""


def lazy_zeros(n: int, dtype) -> np.ndarray:
    """(n,) zeros of `dtype` on 4 KiB pages allocated when first written.

    A private mapping (copy-on-write in a forked child, as numpy's memory is), with huge pages
    declined where the system offers them.
    """
    size = max(n, 1) * np.dtype(dtype).itemsize
    if hasattr(mmap, "MAP_PRIVATE"):
        memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)
        if hasattr(mmap, "MADV_NOHUGEPAGE"):
            memory.madvise(mmap.MADV_NOHUGEPAGE)
    else:  # Windows: no flags
        memory = mmap.mmap(-1, size)
    return np.frombuffer(memory, dtype=dtype)[:n]


def check_clock(value: int) -> None:
    """Stop if a clock, birth or end step (its magnitude) would not fit the int16 columns."""
    if value > CLOCK_MAX:
        raise HrhsimError(
            "the arrays engine keeps ages, bonds and contracts as 16-bit step counts and this "
            "run needs one beyond 32,767 steps",
            expected="fewer years, younger workers, shorter bonds and contracts",
        )


@njit(cache=True)
def compact_all(n, key, origin, country, area, cadre, status, birth, bond, contract, agreement):
    """Drop the rows of departed workers from every field, keeping row order; returns the rows
    left (numba needs homogeneous tuples, so the fields are listed)."""
    j = 0
    for i in range(n):
        if status[i] == rules.ACTIVE:
            if i != j:
                key[j] = key[i]
                origin[j] = origin[i]
                country[j] = country[i]
                area[j] = area[i]
                cadre[j] = cadre[i]
                status[j] = status[i]
                birth[j] = birth[i]
                bond[j] = bond[i]
                contract[j] = contract[i]
                agreement[j] = agreement[i]
            j += 1
    return j


@njit(cache=True)
def keep_columns(cols, keep):
    """Move the columns j of `cols` (r, n) where `keep[j]` holds to its front, in order, in
    place; returns how many (no copy of the table: its rows are read in place)."""
    m = 0
    for j in range(keep.shape[0]):
        if keep[j]:
            if m != j:
                for r in range(cols.shape[0]):
                    cols[r, m] = cols[r, j]
            m += 1
    return m
