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
