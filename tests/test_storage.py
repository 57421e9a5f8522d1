"""The arrays engine's storage: zeroed, writable, private columns (sim/engines/storage.py)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from sim.engines import storage
from sim.errors import HrhsimError


@pytest.mark.parametrize("n", [0, 1, 5000])
def test_lazy_zeros_are_writable_zeros_of_the_length_and_type(n):
    column = storage.lazy_zeros(n, np.int16)
    assert column.shape == (n,) and column.dtype == np.int16 and column.flags.writeable
    assert not column.any()
    column[n // 2 : n] = 7
    assert int(column.sum()) == 7 * (n - n // 2)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_lazy_zeros_are_private_to_a_forked_child():
    """numpy's own memory is copy-on-write across fork; so must the columns be (a population
    that exists before a default-fork process pool must not be written by the children)."""
    column = storage.lazy_zeros(4096, np.int64)
    pid = os.fork()
    if pid == 0:  # the child writes and leaves at once
        column[3] = 42
        os._exit(0)
    os.waitpid(pid, 0)
    assert column[3] == 0


def test_a_clock_beyond_16_bits_is_refused_with_a_clear_message():
    storage.check_clock(storage.CLOCK_MAX)
    with pytest.raises(HrhsimError, match="beyond 32,767 steps"):
        storage.check_clock(storage.CLOCK_MAX + 1)


@pytest.mark.parametrize("seed", range(5))
def test_keep_columns_moves_the_kept_columns_to_the_front_in_order(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 50))
    cols = rng.integers(-1000, 1000, (9, n)).astype(np.int64)
    keep = rng.random(n) < rng.random()
    expected = cols[:, keep].copy()
    m = storage.keep_columns(cols, keep)
    assert m == expected.shape[1]
    assert np.array_equal(cols[:, :m], expected)
