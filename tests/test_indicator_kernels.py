"""The year-end stock rows' compiled sums equal numpy's forms to the last bit (issue 12).

`sim.outputs.indicators` sums the bilateral stock over areas, origins and countries of work in
compiled helpers; each is checked here against the numpy form the recorder used before, on
random tables with a large spread of values, so that a change of the order of a sum shows.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.outputs import indicators


def bits(x):
    return np.ascontiguousarray(x).view(np.uint8)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), wpa=st.floats(0.01, 5000.0))
def test_bilateral_sums_equal_numpy(seed, n, wpa):
    rng = np.random.default_rng(seed)
    stock = rng.integers(0, 50, size=(n, n, 2, 2)) * rng.random((n, n, 2, 2)) ** 6 * 1e4
    stock = stock.astype(np.int64)
    pair = rng.random((n, n)) < 0.5
    by_oc = indicators._area_sum(stock)
    assert np.array_equal(by_oc, stock.sum(axis=2))
    own, trained, working, international = indicators._bilateral_sums(by_oc, wpa, pair)
    workers = by_oc.astype(np.float64) * wpa
    assert np.array_equal(bits(own), bits(np.einsum("ccK->cK", workers)))
    assert np.array_equal(bits(trained), bits(workers.sum(axis=1)))
    assert np.array_equal(bits(working), bits(workers.sum(axis=0)))
    expected = np.where(pair[:, :, None], workers, 0.0).sum(axis=0)
    assert np.array_equal(bits(international), bits(expected))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 12), zeros=st.floats(0.0, 1.0))
def test_nonzero_cells_equal_numpy(seed, n, zeros):
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 100, size=(n, n, 2))
    x[rng.random(x.shape) < zeros] = 0
    first, second, third, values = indicators._nonzero_cells(x)
    o, c, k = np.nonzero(x)
    for got, expected in ((first, o), (second, c), (third, k), (values, x[o, c, k])):
        assert got.dtype == expected.dtype and np.array_equal(got, expected)
