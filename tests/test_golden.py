"""Golden results: refactorings leave every result of these scenarios unchanged.

The fingerprints in tests/golden/results.json were recorded before the architecture refactoring
(issue 10). A change of behaviour re-records them deliberately (`python -m tests.golden.record`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.golden.cases import CASES, ROOT, first_difference, load_golden, run_case


@pytest.mark.parametrize("name", sorted(CASES))
def test_results_match_the_golden_fingerprints(name):
    expected = load_golden()[name]
    actual = run_case(name)
    assert actual == expected, f"{name}: {first_difference(expected, actual)}"


def test_both_engines_share_the_archetype_fingerprints():
    golden = load_golden()
    assert golden["archetypes_every_lever_agents"] == golden["archetypes_every_lever_arrays"]


def test_parallel_kernels_with_one_thread_match_the_golden_fingerprints():
    """The global case runs the parallel builds; with one thread it must give the same digests."""
    name = "global_baseline_arrays"
    code = (
        "import json; from tests.golden.cases import run_case; "
        f"print(json.dumps(run_case({name!r})))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "NUMBA_NUM_THREADS": "1"},
        cwd=ROOT,
        timeout=600,
        check=True,
    )
    actual = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = load_golden()[name]
    assert actual == expected, first_difference(expected, actual)


def test_numpy_runs_without_its_avx512_kernels():
    """The setting of tests/golden/__init__.py took effect (numpy was not imported before it):
    the fingerprints are recorded and compared with the same float64 exp and log everywhere."""
    import numpy as np

    from tests.golden import AVX512_FEATURES_OLD, AVX512_GROUPS

    features = np._core._multiarray_umath.__cpu_features__
    disabled = os.environ.get("NPY_DISABLE_CPU_FEATURES", "").split()
    assert set(disabled) in ({*AVX512_GROUPS.split()}, {*AVX512_FEATURES_OLD.split()})
    assert not any(features.get(name, False) for name in disabled)
