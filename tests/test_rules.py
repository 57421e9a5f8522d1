"""The rule functions and the counter-based generator, checked against their definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.model import rules
from sim.model.rng import STREAM_CHOICE, STREAM_HAZARD, uniform, uniform_keyed, worker_key


def test_uniform_is_uniform_and_independent_across_streams():
    u = np.array([uniform(7, i, 3, STREAM_HAZARD) for i in range(20000)])
    v = np.array([uniform(7, i, 3, STREAM_CHOICE) for i in range(20000)])
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert stats.kstest(v, "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(u, v)[0, 1]) < 0.03
    assert ((u >= 0) & (u < 1)).all()


# No deadlines: the first call of a numba function compiles it (seconds on a cold cache).
@settings(deadline=None)
@given(st.integers(0, 2**62), st.integers(0, 2**40), st.integers(0, 10**6), st.integers(0, 20))
def test_uniform_is_a_pure_function_of_its_counters(seed, wid, step, stream):
    a = uniform(seed, wid, step, stream)
    assert a == uniform(seed, wid, step, stream)
    assert 0.0 <= a < 1.0
    assert a != uniform(seed, wid, step + 1, stream) or a != uniform(seed, wid + 1, step, stream)


def test_keyed_draws_equal_the_full_hash():
    for wid in (0, 1, 12345, 2**40):
        key = worker_key(99, wid)
        assert uniform_keyed(key, 17, 3) == uniform(99, wid, 17, 3)


def test_per_step_probability():
    assert rules.per_step_probability(0.0, 0.25) == 0.0
    assert rules.per_step_probability(0.4, 1.0) == pytest.approx(1 - math.exp(-0.4))
    # Four quarterly steps compound to the annual probability.
    q = rules.per_step_probability(0.4, 0.25)
    assert 1 - (1 - q) ** 4 == pytest.approx(1 - math.exp(-0.4))


def test_logit_choice_frequencies_match_probabilities():
    v = np.array([0.0, -1.0, 0.5, rules.NEG_INF, -2.0])
    p = np.exp(np.where(v > rules.NEG_INF, v, -np.inf))
    p /= p.sum()
    us = (np.arange(100000) + 0.5) / 100000
    counts = np.bincount([rules.logit_choice(u, *v) for u in us], minlength=5)
    np.testing.assert_allclose(counts / counts.sum(), p, atol=2e-4)
    assert counts[3] == 0  # a closed option is never chosen


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.001, 100.0), min_size=1, max_size=30), st.floats(0.0, 0.999999))
def test_pick_index_follows_the_cumulative_weights(weights, u):
    cum = np.cumsum(weights)
    i = rules.pick_index(u, cum)
    assert 0 <= i < len(weights)
    lower = 0.0 if i == 0 else cum[i - 1]
    assert lower <= u * cum[-1] < cum[i] or i == len(weights) - 1


def test_hazard_partition_gives_each_event_its_probability():
    n = 200000
    events = np.array(
        [rules.hazard_event(worker_key(3, i), 5, 700, 600, 840, 0.1, 0.05, 0.02) for i in range(n)]
    )
    freq = np.bincount(events, minlength=4) / n
    np.testing.assert_allclose(freq[1:], [0.1, 0.05, 0.02], atol=0.003)
    # Below the retirement age nobody retires; past the maximum age everybody does.
    young = [
        rules.hazard_event(worker_key(3, i), 5, 300, 600, 840, 0.9, 0.0, 0.0) for i in range(1000)
    ]
    assert set(young) == {rules.EVENT_NONE}
    assert (
        rules.hazard_event(worker_key(3, 1), 5, 840, 600, 840, 0.0, 0.0, 0.0) == rules.EVENT_RETIRE
    )


def test_rural_uptake_reproduces_the_dce_effect_size():
    # Blaauw et al. 2010, Kenya: base uptake 43.4%; a 10% allowance: +15.2 points.
    shifted = rules.rural_uptake(0.434, 6.4, 0.10)
    assert shifted - 0.434 == pytest.approx(0.152, abs=0.01)
    assert rules.rural_uptake(0.3, 6.4, 0.0) == pytest.approx(0.3)


def test_propensity_has_the_requested_spread():
    values = np.array([rules.propensity(worker_key(5, i), 1.5) for i in range(50000)])
    assert values.mean() == pytest.approx(0.0, abs=0.03)
    assert values.std() == pytest.approx(1.5, rel=0.03)


def _match(**kw):
    n = len(kw["origin"])
    args = dict(
        step=2,
        worker_id=np.arange(100, 100 + n, dtype=np.int64),
        cadre=np.zeros(n, dtype=np.int64),
        destination=np.full(n, 1, dtype=np.int64),
        posts=np.array([[0], [3]], dtype=np.int64),
        agreement_source=np.zeros(0, dtype=np.int64),
        agreement_destination=np.zeros(0, dtype=np.int64),
        agreement_cadre=np.zeros(0, dtype=np.int64),
        agreement_slots=np.zeros(0, dtype=np.int64),
        ethical=np.array([False, False]),
        protected=np.array([False, False]),
        passive_rate=0.0,
        rural_share=np.zeros((2, 1)),
    )
    args.update(kw)
    args["origin"] = np.asarray(args["origin"], dtype=np.int64)
    args["keys"] = np.array([worker_key(1, w) for w in args["worker_id"]], dtype=np.int64)
    order = [
        "step",
        "worker_id",
        "keys",
        "origin",
        "cadre",
        "destination",
        "posts",
        "agreement_source",
        "agreement_destination",
        "agreement_cadre",
        "agreement_slots",
        "ethical",
        "protected",
        "passive_rate",
        "rural_share",
    ]
    return rules.match_applicants(*(args[k] for k in order))


def test_matching_respects_posts_and_ignores_input_order():
    channel, _ = _match(origin=[0] * 10)
    assert (channel == -1).sum() == 3
    perm = np.random.default_rng(0).permutation(10)
    wid = np.arange(100, 110, dtype=np.int64)
    channel2, _ = _match(origin=[0] * 10, worker_id=wid[perm])
    taken = set(wid[channel == -1])
    assert set(wid[perm][channel2 == -1]) == taken


def test_matching_serves_agreements_first_and_blocks_active_recruitment():
    channel, _ = _match(
        origin=[0] * 5,
        agreement_source=np.array([0]),
        agreement_destination=np.array([1]),
        agreement_cadre=np.array([-1]),
        agreement_slots=np.array([2]),
    )
    assert (channel == 0).sum() == 2 and (channel == -1).sum() == 1
    blocked, _ = _match(
        origin=[0] * 10,
        ethical=np.array([False, True]),
        protected=np.array([True, False]),
        passive_rate=0.0,
    )
    assert (blocked == -2).all()
