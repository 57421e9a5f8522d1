"""The network term takes each origin's open hires split over destinations at its expectation
(`utilities.expected_split_correction`, ODD §4.2.2 network and §7.10)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.utilities import expected_split_correction

SLOTS = np.array([1, 2])  # countries 1 and 2 are the destinations of a 3-country world


def _cum(shares):
    """(C, K=1, D) cumulative weights from per-origin slot weights."""
    return np.cumsum(np.asarray(shares, dtype=float), axis=1)[:, None, :]


def _hires(pairs):
    h = np.zeros((3, 3, 1), dtype=np.int64)
    for o, d, n in pairs:
        h[o, d, 0] = n
    return h


def test_a_realised_split_is_replaced_by_its_expectation():
    # origin 0 chose both destinations equally; both filled every applicant; its 2 hires both
    # went to country 1: expected 1 and 1, so 1 moves from country 1's diaspora to country 2's
    hires = _hires([(0, 1, 2)])
    applicants = np.array([[0], [2], [0]])
    posts = np.array([[0], [5], [5]])
    cum = _cum([[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    corr = expected_split_correction(hires, applicants, posts, cum, SLOTS, np.ones((3, 3, 1)))
    assert corr[0, :, 0].tolist() == pytest.approx([-1.0, 1.0])
    assert not corr[1:].any()  # origins without hires, or without open destinations


def test_fill_rates_and_the_passive_rate_weigh_the_split():
    # country 1 took 1 of its 4 applicants (fill 1/4), country 2 had posts and no applicant
    # (fill 1); shares 1:1; origin 0 is protected at country 2 with passive rate 0.5
    hires = _hires([(0, 1, 1)])
    applicants = np.array([[0], [4], [0]])
    posts = np.array([[0], [1], [3]])
    cum = _cum([[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    passive = np.ones((3, 3, 1))
    passive[0, 2, 0] = 0.5
    corr = expected_split_correction(hires, applicants, posts, cum, SLOTS, passive)
    w1, w2 = 0.5 * 0.25, 0.5 * 1.0 * 0.5
    assert corr[0, :, 0].tolist() == pytest.approx([w1 / (w1 + w2) - 1.0, w2 / (w1 + w2)])
    # a destination that turns the origin away entirely gets none of its expected hires
    passive[0, 2, 0] = 0.0
    corr = expected_split_correction(hires, applicants, posts, cum, SLOTS, passive)
    assert corr[0, :, 0].tolist() == pytest.approx([0.0, 0.0])


@settings(max_examples=60, deadline=None)
@given(
    hires=st.lists(st.integers(0, 5), min_size=12, max_size=12),
    extra=st.lists(st.integers(0, 5), min_size=4, max_size=4),
    weights=st.lists(st.floats(0.0, 3.0), min_size=6, max_size=6),
    posts=st.lists(st.integers(0, 3), min_size=4, max_size=4),
)
def test_an_origins_diaspora_abroad_is_unchanged_and_expected_hires_are_non_negative(
    hires, extra, weights, posts
):
    h = np.zeros((3, 3, 2), dtype=np.int64)
    h[:, 1:, :] = np.array(hires).reshape(3, 2, 2)
    applicants = np.zeros((3, 2), dtype=np.int64)
    applicants[1:, :] = h.sum(axis=0)[1:, :] + np.array(extra).reshape(2, 2)
    post = np.zeros((3, 2), dtype=np.int64)
    post[1:, :] = np.array(posts).reshape(2, 2)
    cum = np.cumsum(np.array(weights).reshape(3, 1, 2).repeat(2, axis=1), axis=2)
    corr = expected_split_correction(h, applicants, post, cum, SLOTS, np.ones((3, 3, 1)))
    assert np.allclose(corr.sum(axis=1), 0.0)  # the split changes, never the total
    assert (h[:, SLOTS, :] + corr >= -1e-12).all()  # an expected count is never negative


def _numpy_split_correction(open_hires, open_applicants, posts, cum, slots, passive):
    """The formula of `expected_split_correction`'s docstring in numpy: the oracle."""
    hired = open_hires[:, slots, :].astype(np.float64)
    applied = open_applicants[slots, :].astype(np.float64)
    fill = np.where(
        applied > 0, hired.sum(axis=0) / np.maximum(applied, 1.0), (posts[slots] > 0) * 1.0
    )
    total = cum[:, :, -1:]
    share = np.diff(cum, axis=2, prepend=0.0) / np.where(total > 0, total, 1.0)
    weight = share.transpose(0, 2, 1) * fill[None] * passive[:, slots]
    norm = weight.sum(axis=1, keepdims=True)
    expected = hired.sum(axis=1, keepdims=True) * weight / np.where(norm > 0, norm, 1.0)
    return np.where(norm > 0, expected, hired) - hired


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 6), k=st.integers(1, 2))
def test_the_compiled_correction_is_the_formula(seed, n, k):
    rng = np.random.default_rng(seed)
    slots = np.sort(rng.choice(n, size=rng.integers(1, n + 1), replace=False))
    hires = rng.integers(0, 4, (n, n, k)) * (rng.random((n, n, k)) < 0.6)
    applicants = hires.sum(axis=0) + rng.integers(0, 3, (n, k)) * (rng.random((n, k)) < 0.5)
    posts = rng.integers(0, 3, (n, k))
    weights = rng.random((n, k, slots.size)) * (rng.random((n, k, slots.size)) < 0.8)
    cum = np.cumsum(weights, axis=2)
    passive = np.where(rng.random((n, n, k)) < 0.3, rng.random((n, n, k)), 1.0)
    got = expected_split_correction(hires, applicants, posts, cum, slots, passive)
    want = _numpy_split_correction(hires, applicants, posts, cum, slots, passive)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_no_destination_slot_gives_an_empty_correction():
    hires = np.zeros((3, 3, 1), dtype=np.int64)
    out = expected_split_correction(
        hires, np.zeros((3, 1)), np.zeros((3, 1)), np.ones((3, 1, 1)), np.zeros(0, np.int64),
        np.ones((3, 3, 1)),
    )  # fmt: skip
    assert out.shape == (3, 0, 1)
