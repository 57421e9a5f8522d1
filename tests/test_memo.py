"""`memo.Elementwise` gives the ufunc's own values, bit for bit, however its input changes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import memo


def bits(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64).view(np.int64)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), changed=st.floats(0.0, 1.0))
def test_equals_the_ufunc_on_every_call(seed, changed):
    rng = np.random.default_rng(seed)
    log1p = memo.Elementwise(np.log1p)
    x = rng.exponential(50.0, size=(7, 5, 2))
    x[rng.random(x.shape) < 0.3] = 0.0
    for _ in range(6):
        assert np.array_equal(bits(log1p(x)), bits(np.log1p(x)))
        x = x.copy()
        where = rng.random(x.shape) < changed
        x[where] = rng.exponential(50.0, size=where.sum())


def test_signed_zeros_nans_and_a_new_shape():
    log1p = memo.Elementwise(np.log1p)
    x = np.array([0.0, 1.0, np.nan, -0.0])
    log1p(x)
    y = np.array([-0.0, 1.0, np.nan, 0.0])
    assert np.array_equal(bits(log1p(y)), bits(np.log1p(y)))  # −0 and +0 are told apart
    z = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(log1p(z), np.log1p(z))


def test_returns_a_new_array():
    log1p = memo.Elementwise(np.log1p)
    x = np.ones(4)
    first = log1p(x)
    first[:] = 0.0
    assert np.array_equal(log1p(x), np.log1p(x))
