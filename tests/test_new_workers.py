"""New workers (initial and graduates) are made block by block, serially or in parallel.

`rules.initial_workers` and `rules.new_graduates` number workers in cell order and draw each one's
attributes from its cell and its key alone, so the rows can be made in any order: their serial and
parallel builds, at any number of threads, must give the workers a plain one-by-one loop gives.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import rules
from sim.model.rng import STREAM_AGE, uniform_keyed, worker_key

C, K, Y, D = 5, 2, 7, 3


def _profiles(rng: np.random.Generator) -> tuple:
    cumulative = np.cumsum(rng.random((C, K, Y)), axis=-1)
    cumulative /= cumulative[..., -1:]
    migrant = np.cumsum(rng.random((C, K, Y)), axis=-1)
    migrant /= migrant[..., -1:]
    edges = np.stack([np.arange(Y + 1) * 12 + 240, np.arange(Y + 1) * 12 + 264]).astype(np.int64)
    return cumulative, migrant, edges


def _cells(rng: np.random.Generator, m: int, most: int) -> tuple:
    origin, country = rng.integers(0, C, m), rng.integers(0, C, m)
    return origin, country, rng.integers(0, 2, m), rng.integers(0, K, m), rng.integers(0, most, m)


def _initial_one_by_one(seed, first_id, origin, country, area, cadre, count, cum, mig, edges):
    rows = []
    for j in range(count.shape[0]):
        c, k = country[j], cadre[j]
        for _ in range(count[j]):
            key = worker_key(seed, first_id + len(rows))
            profile = cum[c, k] if origin[j] == c else mig[c, k]
            age = rules.initial_age_steps(key, profile, edges[k])
            rows.append((first_id + len(rows), key, origin[j], c, area[j], k, age, 0))
    return rows


def _graduates_one_by_one(seed, step, first_id, counts, p_rural, bond, service, entry, late, spy):
    rows = []
    for c in range(counts.shape[0]):
        for k in range(counts.shape[1]):
            for _ in range(counts[c, k]):
                key = worker_key(seed, first_id + len(rows))
                rural = (bond[c, k] > 0 and service[c, k]) or rules.placed_rural(
                    key, step, p_rural[c, k]
                )
                d = rules.pick_index(uniform_keyed(key, step, STREAM_AGE), late[k])
                age = entry[k] + d * spy
                rows.append((first_id + len(rows), key, c, c, int(rural), k, age, bond[c, k]))
    return rows


def _as_rows(made: tuple) -> list:
    wid, key, attrs = made
    assert wid.dtype == key.dtype == attrs.dtype == np.int64
    return [(wid[i], key[i], *attrs[:, i]) for i in range(wid.shape[0])]


def _graduate_args(rng: np.random.Generator, most: int) -> tuple:
    counts = rng.integers(0, most, (C, K))
    counts[rng.random((C, K)) < 0.3] = 0  # empty cells between full ones
    late = np.cumsum(rng.random((K, D)), axis=1)
    return (
        counts, rng.random((C, K)), rng.integers(0, 3, (C, K)) * 12, rng.random((C, K)) < 0.5,
        np.array([288, 264]), late, 12,
    )  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**40), first_id=st.integers(0, 10**9), m=st.integers(0, 12))
def test_initial_workers_are_the_workers_a_loop_makes(seed, first_id, m):
    rng = np.random.default_rng(seed)
    cells = _cells(rng, m, 40)
    profiles = _profiles(rng)
    made = rules.initial_workers(seed, first_id, *cells, *profiles)
    assert _as_rows(made) == _initial_one_by_one(seed, first_id, *cells, *profiles)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**40), first_id=st.integers(0, 10**9), step=st.integers(0, 500))
def test_graduates_are_the_workers_a_loop_makes(seed, first_id, step):
    args = _graduate_args(np.random.default_rng(seed), 30)
    made = rules.new_graduates(seed, step, first_id, *args)
    assert _as_rows(made) == _graduates_one_by_one(seed, step, first_id, *args)


def _both_builds(builds, args: tuple) -> list:
    """The serial build's result, and the parallel build's at one and at two threads."""
    results = [builds[False](*args)]
    before = numba.get_num_threads()
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            results.append(builds[True](*args))
    finally:
        numba.set_num_threads(before)
    return results


def test_the_builds_agree_at_any_thread_count_over_many_blocks():
    rng = np.random.default_rng(11)
    origin, country, area, cadre, count = _cells(rng, 60, rules.NEW_WORKERS_BLOCK // 6)
    count[::7] = 0
    ends = np.cumsum(count)
    assert ends[-1] > 2 * rules.NEW_WORKERS_BLOCK  # rows of one cell in two blocks, and more
    cells = _both_builds(rules._CELL_OF_ROWS, (ends,))
    for other in cells[1:]:
        np.testing.assert_array_equal(cells[0], other)
    np.testing.assert_array_equal(cells[0], np.repeat(np.arange(count.size), count))
    args = (3, 17, origin, country, area, cadre, cells[0], *_profiles(rng))
    first, *others = _both_builds(rules._INITIAL_WORKERS, args)
    for other in others:
        for a, b in zip(first, other, strict=True):
            np.testing.assert_array_equal(a, b)
    counts, *rest = _graduate_args(rng, rules.NEW_WORKERS_BLOCK)
    args = (3, 40, 17, np.repeat(np.arange(counts.size), counts.reshape(-1)), *rest)
    first, *others = _both_builds(rules._NEW_GRADUATES, args)
    for other in others:
        for a, b in zip(first, other, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("workers", [rules.PARALLEL_MIN_WORKERS - 1, rules.PARALLEL_MIN_WORKERS])
def test_the_parallel_build_makes_from_its_threshold(monkeypatch, workers):
    used = []
    for name in ("_INITIAL_WORKERS", "_NEW_GRADUATES"):
        builds = getattr(rules, name)

        def spy(flag, name=name, serial=builds[False]):
            def run(*args):
                used.append((name, flag))
                return serial(*args)

            return run

        monkeypatch.setattr(rules, name, {False: spy(False), True: spy(True)})
    one = np.array([0])
    rng = np.random.default_rng(2)
    rules.initial_workers(1, 0, one, one, one, one, np.array([workers]), *_profiles(rng))
    counts, *rest = _graduate_args(rng, 1)
    counts[:] = 0
    counts[1, 0] = workers
    rules.new_graduates(1, 0, 0, counts, *rest)
    parallel = workers >= rules.PARALLEL_MIN_WORKERS
    assert used == [("_INITIAL_WORKERS", parallel), ("_NEW_GRADUATES", parallel)]
