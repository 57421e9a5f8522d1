"""The arrays engine runs the parallel builds of its kernels on large populations.

ODD, "Two engines, one set of rules": each phase is a numba kernel over fixed chunks of 32,768
rows, run in parallel when the population has at least 32,768 rows (one chunk) and serially
below. Identity of the two builds at one and two threads is tested where the builds are forced
(the hardening tests); here: the parallel builds are numba-parallel, and each phase picks them
exactly from 32,768 rows. The kernels are spied on (and run in their serial builds, which give
the same results) so that the test stays fast on a cold cache.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engines import arrays
from sim.engines.arrays import ArrayPopulation
from sim.model import rules
from sim.model.population import NewWorkers
from tests.test_decision_table import NO_HAZARD, Situation

KERNELS = ("_HAZARD", "_DECIDE", "_GATHER", "_DEPART", "_CHOICES")
ODD_CHUNK, ODD_PARALLEL_FROM = 32_768, 32_768


def test_the_parallel_builds_are_parallel_and_the_serial_builds_are_not():
    assert arrays.CHUNK == ODD_CHUNK
    for name in KERNELS:
        builds = getattr(arrays, name)
        assert builds[True].targetoptions.get("parallel") is True, name
        assert not builds[False].targetoptions.get("parallel"), name


def _population(rows: int) -> ArrayPopulation:
    """`rows` workers of a two-country world (all native urban nurses of country 0)."""
    one = np.array([1], dtype=np.int64)
    # One age band per cadre: ages uniform over 150 steps from entry.
    wid, key, attrs = rules.initial_workers(
        5, 0, one * 0, one * 0, one * 0, one, one * rows,
        np.ones((1, 2, 1)), np.ones((1, 2, 1)), np.array([[100, 250], [92, 242]]),
    )  # fmt: skip
    pop = ArrayPopulation(None, capacity=rows)
    pop.add(NewWorkers(wid, key, *attrs))
    return pop


@pytest.mark.parametrize(
    ("rows", "parallel"), [(ODD_PARALLEL_FROM - 1, False), (ODD_PARALLEL_FROM, True)]
)
def test_each_phase_runs_the_parallel_build_from_one_chunk(monkeypatch, rows, parallel):
    used = set()
    for name in KERNELS:
        serial = getattr(arrays, name)[False]

        def spy(flag, name=name, serial=serial):
            def run(*args):
                used.add((name, flag))
                return serial(*args)

            return run

        monkeypatch.setattr(arrays, name, {False: spy(False), True: spy(True)})
    pop = _population(rows)
    assert pop.n == rows
    pop.age_and_hazards(1, NO_HAZARD)
    pop.decide(1, Situation(p_reconsider=0.0).context())
    assert used == {(name, parallel) for name in KERNELS}


def test_age_counts_are_the_same_from_either_build_and_any_number_of_blocks():
    """The serial build counts in one block, the parallel one in `AGE_COUNT_BLOCKS`: both equal
    a numpy histogram of the active rows (inactive rows and ages beyond the last year counted as
    the docs say), at one and two threads."""
    import numba

    from sim.engines import passes
    from sim.model.population import AGE_YEARS

    rng = np.random.default_rng(7)
    n, countries, cadres, spy, clock = 40_000, 5, 2, 4, 600
    country = rng.integers(0, countries, n).astype(np.int16)
    cadre = rng.integers(0, cadres, n).astype(np.int8)
    status = rng.choice([rules.ACTIVE, rules.ACTIVE, rules.RETIRED, rules.EXITED], n).astype(
        np.int8
    )
    birth = rng.integers(-clock, clock, n).astype(np.int32)  # some beyond AGE_YEARS
    active = status == rules.ACTIVE
    years = np.minimum((clock - birth.astype(np.int64)) // spy, AGE_YEARS - 1)
    expected = np.zeros((countries, cadres, AGE_YEARS), dtype=np.int64)
    np.add.at(expected, (country[active], cadre[active], years[active]), 1)
    args = (n, country, cadre, status, birth, clock, spy, countries, cadres)
    assert np.array_equal(passes.AGE_COUNTS[False](*args, 1), expected)
    for threads in (1, 2):
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        got = passes.AGE_COUNTS[True](*args, passes.AGE_COUNT_BLOCKS)
        assert np.array_equal(got, expected)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    assert np.array_equal(passes.AGE_COUNTS[False](*args, 3), expected)
