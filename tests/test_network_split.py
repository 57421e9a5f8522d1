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
    corr = expected_split_correction(hires, applicants, posts, cum, SLOTS, np.ones((3, 3)))
    assert corr[0, :, 0].tolist() == pytest.approx([-1.0, 1.0])
    assert not corr[1:].any()  # origins without hires, or without open destinations


def test_fill_rates_and_the_passive_rate_weigh_the_split():
    # country 1 took 1 of its 4 applicants (fill 1/4), country 2 had posts and no applicant
    # (fill 1); shares 1:1; origin 0 is protected at country 2 with passive rate 0.5
    hires = _hires([(0, 1, 1)])
    applicants = np.array([[0], [4], [0]])
    posts = np.array([[0], [1], [3]])
    cum = _cum([[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    passive = np.ones((3, 3))
    passive[0, 2] = 0.5
    corr = expected_split_correction(hires, applicants, posts, cum, SLOTS, passive)
    w1, w2 = 0.5 * 0.25, 0.5 * 1.0 * 0.5
    assert corr[0, :, 0].tolist() == pytest.approx([w1 / (w1 + w2) - 1.0, w2 / (w1 + w2)])
    # a destination that turns the origin away entirely gets none of its expected hires
    passive[0, 2] = 0.0
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
    corr = expected_split_correction(h, applicants, post, cum, SLOTS, np.ones((3, 3)))
    assert np.allclose(corr.sum(axis=1), 0.0)  # the split changes, never the total
    assert (h[:, SLOTS, :] + corr >= -1e-12).all()  # an expected count is never negative
