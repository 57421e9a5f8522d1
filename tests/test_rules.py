"""The rule functions and the counter-based generator, checked against their definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.model import matching, rules
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


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.0, 0.1, 0.25, 0.5, 1.0, 3.0]), min_size=1, max_size=40),
    st.floats(-0.5, 8.0),
)
def test_first_exceeding_stops_where_a_scan_from_the_start_stops(steps, x):
    cumulative = np.cumsum(steps)  # non-decreasing, with ties
    b = 0
    while b < cumulative.size - 1 and x >= cumulative[b]:
        b += 1
    assert rules.first_exceeding(x, cumulative) == b


def test_hazard_partition_gives_each_event_its_probability():
    n = 200000
    events = np.array(
        [rules.hazard_event(worker_key(3, i), 5, 700, 840, 0.1, 0.05, 0.02) for i in range(n)]
    )
    freq = np.bincount(events, minlength=4) / n
    np.testing.assert_allclose(freq[1:], [0.1, 0.05, 0.02], atol=0.003)
    # Without hazards nobody leaves; past the maximum age everybody retires.
    none = [rules.hazard_event(worker_key(3, i), 5, 300, 840, 0.0, 0.0, 0.0) for i in range(1000)]
    assert set(none) == {rules.EVENT_NONE}
    assert rules.hazard_event(worker_key(3, 1), 5, 840, 840, 0.0, 0.0, 0.0) == rules.EVENT_RETIRE


@settings(max_examples=400, deadline=None)
@given(
    st.integers(-(2**63), 2**63 - 1), st.integers(0, 5000), st.integers(0, 1000),
    st.integers(-20, 1000), st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0),
    st.sampled_from([None, -2, -1, 0, 1, 2]),
)  # fmt: skip
def test_hazard_possible_holds_exactly_when_hazard_event_draws_an_event(
    key, step, age, extra_age, p_retire, p_death, p_exit, ulps
):
    max_age = max(age + extra_age, 1)  # mostly above the age, where the draw decides
    if ulps is not None:  # the last threshold at the worker's draw, to a few floats
        p_exit = max(uniform_keyed(key, step, STREAM_HAZARD) - (p_retire + p_death), 0.0)
        for _ in range(abs(ulps)):
            p_exit = max(float(np.nextafter(p_exit, math.copysign(2.0, ulps))), 0.0)
    table = [np.array([[p]]) for p in (p_retire, p_death)] + [np.full((2, 1, 1), p_exit)]
    p_any = float(rules.hazard_context(*table, max_age).p_any[1, 0, 0])
    event = rules.hazard_event(key, step, age, max_age, p_retire, p_death, p_exit)
    assert rules.hazard_possible(key, step, age, max_age, p_any) == (event != rules.EVENT_NONE)


def test_hazard_possible_at_thresholds_within_a_float_of_the_draw():
    """Deterministic companion of the property above: last thresholds one to three floats
    either side of each worker's draw, where the order of the additions decides."""
    gen = np.random.default_rng(11)
    mismatches = []
    for i in range(3000):
        key, step = worker_key(5, i), 40 + i % 7
        u = uniform_keyed(key, step, STREAM_HAZARD)
        p_retire, p_death = gen.uniform(0.0, u / 2, 2)
        p_exit = u - (p_retire + p_death)
        for _ in range(i % 4):
            p_exit = float(np.nextafter(p_exit, 1.0 if i % 8 < 4 else 0.0))
        migrant = i % 2  # the other migrant status's exit differs: the pre-check reads its own
        exits = np.full((2, 1, 1), p_exit)
        exits[1 - migrant] = p_exit / 2
        tables = (np.array([[p_retire]]), np.array([[p_death]]), exits)
        hz = rules.hazard_context(*tables, 900)
        event = rules.hazard_event(key, step, 300, 900, p_retire, p_death, p_exit)
        possible = rules.hazard_possible(key, step, 300, 900, float(hz.p_any[migrant, 0, 0]))
        if possible != (event != rules.EVENT_NONE):
            mismatches.append((i, p_retire, p_death, p_exit, event))
    assert mismatches == []


@pytest.mark.parametrize("bad", [-1e-9, math.nan, math.inf])
def test_hazard_context_refuses_probabilities_the_pre_check_cannot_follow(bad):
    tables = [np.full((2, 5), 0.01) for _ in range(2)] + [np.full((2, 2, 5), 0.01)]
    tables[1][1, 3] = bad
    with pytest.raises(ValueError, match="finite and non-negative"):
        rules.hazard_context(*tables, 4)
    tables[1][1, 3] = 0.01
    tables[2][1, 0, 2] = bad
    with pytest.raises(ValueError, match="finite and non-negative"):
        rules.hazard_context(*tables, 4)


def test_hazard_context_refuses_an_exit_table_without_the_migrant_axis():
    tables = [np.full((2, 5), 0.01) for _ in range(3)]
    with pytest.raises(ValueError, match=r"p_exit must be \(2, K, A\)"):
        rules.hazard_context(*tables, 4)


def test_initial_ages_follow_the_band_shares_uniformly_within_bands():
    cum = np.array([0.2, 0.5, 0.7, 0.9, 1.0])
    edges = np.array([100, 140, 180, 220, 260, 320], dtype=np.int64)  # steps
    ages = np.array([rules.initial_age_steps(worker_key(4, i), cum, edges) for i in range(40000)])
    assert ages.min() >= 100 and ages.max() < 320
    band = np.searchsorted(edges[1:-1], ages, side="right")
    np.testing.assert_allclose(np.bincount(band, minlength=5) / ages.size, np.diff(cum, prepend=0),
                               atol=0.01)  # fmt: skip
    inside = ages[band == 1]  # uniform over the 40 steps 140..179
    assert stats.chisquare(np.bincount(inside - 140, minlength=40)).pvalue > 1e-3
    # An empty band (no share) is never drawn; a band of zero width gives its lower edge.
    cum0 = np.array([0.0, 0.5, 0.5, 1.0, 1.0])
    drawn = {rules.initial_age_steps(worker_key(4, i), cum0, edges) // 40 for i in range(2000)}
    assert all(edges[0] // 40 <= a for a in drawn)


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
        posts=np.array([[0], [3], [0]], dtype=np.int64),
        agreement_source=np.zeros(0, dtype=np.int64),
        agreement_destination=np.zeros(0, dtype=np.int64),
        agreement_cadre=np.zeros(0, dtype=np.int64),
        agreement_slots=np.zeros(0, dtype=np.int64),
        passive=np.ones((3, 3, 1)),
        allowance=np.full(3, 2**40, dtype=np.int64),
        capped=np.zeros((3, 1), dtype=bool),
        exempt_agreements=np.ones((3, 1), dtype=bool),
        rural_share=np.zeros((3, 1)),
        first_scan=np.zeros((3, 3, 1)),
    )
    args.update(kw)
    args["origin"] = np.asarray(args["origin"], dtype=np.int64)
    args.setdefault("country", args["origin"])
    args["country"] = np.asarray(args["country"], dtype=np.int64)
    args["keys"] = np.array([worker_key(1, w) for w in args["worker_id"]], dtype=np.int64)
    order = [
        "step", "worker_id", "keys", "origin", "country", "cadre", "destination", "posts",
        "agreement_source", "agreement_destination", "agreement_cadre", "agreement_slots",
        "passive", "allowance", "capped", "exempt_agreements",
        "rural_share", "first_scan",
    ]  # fmt: skip
    return matching.match_applicants(*(args[k] for k in order))


def _turned_away(country: int, destination: int) -> np.ndarray:
    """A (3, 3, 1) passive table in which `destination` takes no applicant from `country`."""
    passive = np.ones((3, 3, 1))
    passive[country, destination, 0] = 0.0
    return passive


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
    blocked, _ = _match(origin=[0] * 10, passive=_turned_away(0, 1))
    assert (blocked == -2).all()


def test_agreements_recruit_only_in_their_source_country():
    # Workers trained in 0 but working in 2 (moving on) cannot use the 0 -> 1 agreement.
    channel, _ = _match(
        origin=[0] * 3,
        country=[2] * 3,
        agreement_source=np.array([0]),
        agreement_destination=np.array([1]),
        agreement_cadre=np.array([-1]),
        agreement_slots=np.array([3]),
    )
    assert (channel == -1).all()


def test_ethical_recruitment_looks_at_the_country_recruited_from():
    # Trained in a protected country (0), recruited from an unprotected one (2): taken.
    onward, _ = _match(origin=[0] * 3, country=[2] * 3, passive=_turned_away(0, 1))
    assert (onward == -1).all()


def test_deployment_cap_limits_new_hires_from_the_capped_origin_only():
    capped = np.array([[True], [False], [False]])
    allowance = np.array([1, 2**40, 2**40], dtype=np.int64)
    channel, _ = _match(origin=[0] * 5, allowance=allowance, capped=capped)
    assert (channel == -1).sum() == 1 and allowance[0] == 0
    # Migrants moving on from abroad are not deployments from their origin.
    allowance = np.array([0, 2**40, 2**40], dtype=np.int64)
    onward, _ = _match(origin=[0] * 5, country=[2] * 5, allowance=allowance, capped=capped)
    assert (onward == -1).sum() == 3
    # Agreement hires count only when agreements are not exempt.
    agreement = dict(
        agreement_source=np.array([0]),
        agreement_destination=np.array([1]),
        agreement_cadre=np.array([-1]),
        agreement_slots=np.array([3]),
        capped=capped,
    )
    allowance = np.array([0, 2**40, 2**40], dtype=np.int64)
    exempt, _ = _match(origin=[0] * 5, allowance=allowance, **agreement)
    assert (exempt == 0).sum() == 3
    allowance = np.array([1, 2**40, 2**40], dtype=np.int64)
    counted, _ = _match(
        origin=[0] * 5, allowance=allowance, exempt_agreements=np.zeros((3, 1), bool), **agreement
    )
    assert (counted >= -1).sum() == 1


def test_returns_need_a_post_at_home_unless_the_contract_ended():
    n = 6
    wid = np.arange(n, dtype=np.int64)
    keys = np.array([worker_key(2, w) for w in wid], dtype=np.int64)
    origin = np.zeros(n, dtype=np.int64)
    cadre = np.zeros(n, dtype=np.int64)
    forced = np.array([False, False, False, False, True, True])
    posts = np.array([[2]], dtype=np.int64)
    channel, area = matching.match_returns(
        3, wid, keys, origin, cadre, forced, posts, np.array([[1.0]])
    )
    # Both contract-end returners go home first and take the two posts (rural: all vacancies
    # are rural); no post is left for the voluntary returners.
    assert (channel[forced] == -1).all() and (channel[~forced] == -2).all()
    assert (area[forced] == rules.RURAL).all() and posts[0, 0] == 0
    posts = np.array([[3]], dtype=np.int64)
    channel, _ = matching.match_returns(
        3, wid, keys, origin, cadre, np.zeros(n, dtype=bool), posts, np.array([[0.0]])
    )
    assert (channel == -1).sum() == 3
    # Contract-end returners without a post go home to an urban area.
    channel, area = matching.match_returns(
        3, wid, keys, origin, cadre, np.ones(n, dtype=bool), np.zeros((1, 1), dtype=np.int64),
        np.array([[1.0]]),
    )  # fmt: skip
    assert (channel == -1).all() and (area == rules.URBAN).all()
