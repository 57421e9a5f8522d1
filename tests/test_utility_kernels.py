"""The compiled destination table equals numpy's broadcast formulas to the last bit (issue 12).

`sim.model.utilities` sums the destination utilities, the diaspora, the open destinations and the
logit shift and running sums in compiled helpers, keeping numpy's `exp`/`log`. Each is checked
here against the plain numpy form of its ODD §4.2.2 formula (the form the model used before),
on random tables: equal arrays, not close ones, so that a change of the order of a sum shows.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import utilities
from sim.model.rules import NEG_INF


def reference_inclusive_value(v_dest, is_open):
    n_countries, _, n_cadres = v_dest.shape
    v_dest = np.where(is_open, v_dest, -np.inf)
    top = v_dest.max(axis=1, initial=-np.inf)
    finite = np.isfinite(top)
    weights = np.exp(v_dest - np.where(finite, top, 0.0)[:, None, :])
    cum = np.cumsum(weights, axis=1).transpose(0, 2, 1).copy()
    total = cum[:, :, -1] if cum.shape[2] else np.zeros((n_countries, n_cadres))
    v_emig = np.where(finite, top + np.log(np.maximum(total, 1e-300)), NEG_INF)
    if cum.shape[2] == 0:
        cum = np.ones((n_countries, n_cadres, 1))
    return v_emig, cum


def reference_diaspora(stock, slots, workers_per_agent, offset):
    at_dest = stock[:, slots]
    return np.maximum((at_dest[:, :, 0, :] + at_dest[:, :, 1, :]) * workers_per_agent + offset, 0.0)


def reference_destination_utility(
    behaviour, wage, pol, slots, network, affinity_od, chance, origin, size
):
    dest_wage = wage[slots, 0, :] * (1.0 - pol.wage_discount[slots])[:, None]
    return (
        behaviour["wage_weight"]
        * (
            np.log(dest_wage)[None, :, :]
            + behaviour["hiring_chance_weight"] * chance[slots][None, :, :]
            + pol.conditions[slots][None, :, :]
            - np.log1p(pol.fee[:, slots, :])
        )
        + behaviour["network_weight"] * np.log1p(network)
        + affinity_od
        + behaviour["origin_weight"] * origin[..., None, :]
        + behaviour["origin_size_weight"] * size[..., None, :]
        + behaviour["emigrate_constant"]
    )


def reference_open(expected_posts, slots):
    n_countries = expected_posts.shape[0]
    return (expected_posts[slots] > 0)[None, :, :] & (
        slots[None, :] != np.arange(n_countries)[:, None]
    )[:, :, None]


sizes = st.tuples(st.integers(1, 9), st.integers(0, 7), st.integers(1, 3), st.integers(0, 2**32))


@settings(max_examples=60, deadline=None)
@given(sizes, st.floats(0.0, 1.0), st.booleans())
def test_inclusive_value_is_numpys_to_the_last_bit(size, open_share, with_nan):
    c, d, k, seed = size
    rng = np.random.default_rng(seed)
    v_dest = rng.normal(0.0, 8.0, (c, d, k))
    is_open = rng.random((c, d, k)) < open_share
    if with_nan and d:  # an undefined utility stays undefined, as in numpy's max
        v_dest[0, d - 1, 0] = np.nan
        is_open[0, d - 1, 0] = True
    v_emig, cum = utilities.inclusive_value(v_dest, is_open)
    ref_emig, ref_cum = reference_inclusive_value(v_dest, is_open)
    assert cum.shape == ref_cum.shape
    assert np.array_equal(v_emig, ref_emig, equal_nan=True)
    assert np.array_equal(cum, ref_cum, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(sizes, st.floats(0.01, 1000.0))
def test_destination_table_is_numpys_to_the_last_bit(size, workers_per_agent):
    c, d, k, seed = size
    d = min(d, c)
    rng = np.random.default_rng(seed)
    slots = np.sort(rng.choice(c, size=d, replace=False)).astype(np.int64)
    stock = rng.integers(0, 50, (c, c, 2, k))
    offset = rng.normal(0.0, 100.0, (c, d, k))
    network = utilities.diaspora(stock, slots, workers_per_agent, offset)
    assert np.array_equal(network, reference_diaspora(stock, slots, workers_per_agent, offset))
    expected = rng.normal(0.0, 1.0, (c, k))
    opened = utilities.open_destinations(expected, slots)
    assert np.array_equal(opened, reference_open(expected, slots))

    behaviour = {
        "wage_weight": rng.uniform(0.1, 3.0),
        "network_weight": rng.uniform(0.0, 1.0),
        "origin_weight": rng.uniform(-1.0, 1.0),
        "origin_size_weight": rng.uniform(-1.0, 0.5),
        "emigrate_constant": rng.normal(0.0, 3.0),
        "hiring_chance_weight": rng.uniform(0.0, 1.5),
    }
    fee = rng.uniform(0.0, 0.3, (c, c, k))
    pol = SimpleNamespace(
        wage_discount=rng.uniform(0.0, 0.5, c),
        conditions=rng.normal(0.0, 0.5, (c, k)),
        fee=fee,
        log1p_fee=lambda at: np.log1p(fee[:, at, :]),  # PolicyYear's, without its yearly cache
    )
    wage = rng.uniform(1e3, 1e5, (c, 2, k))
    affinity_od = rng.normal(0.0, 2.0, (c, d, k))  # by cadre (the language of practice)
    origin = rng.normal(0.0, 1.0, (c, k))
    size = rng.normal(0.0, 2.0, (c, k))
    chance = np.log(rng.uniform(0.01, 1.0, (c, k)))  # ln q̄ at every country (C, K)
    args = (behaviour, wage, pol, slots, network, affinity_od, chance, origin, size)
    got = utilities.destination_utility(*args)
    ref = reference_destination_utility(*args)
    assert np.array_equal(got, ref)


def test_the_yearly_log_fee_is_the_fee_of_its_own_policy_year():
    """`PolicyYear.log1p_fee` caches ln(1 + fee) for the year; a `replace`d year (the neutral
    year of `without_levers`) computes its own."""
    from dataclasses import replace

    from tests.model_helpers import archetypes, make_model

    model = make_model(archetypes(), seed=1)
    slots = model.setup.destination_of_slot
    pol = model.policies.year(model.start_year)
    first = pol.log1p_fee(slots)
    assert np.array_equal(first, np.log1p(pol.fee[:, slots, :]))
    assert pol.log1p_fee(slots) is first
    other = replace(pol, fee=pol.fee + 0.5)
    assert np.array_equal(other.log1p_fee(slots), np.log1p(pol.fee[:, slots, :] + 0.5))
