"""The code fingerprint recorded in every manifest changes with the package's sources and data."""

from __future__ import annotations

import os

from sim.outputs import provenance


def test_fingerprint_is_stable_and_covers_sources(tmp_path, monkeypatch):
    first = provenance.code_fingerprint()
    assert first == provenance.code_fingerprint() and len(first) == 64
    fake = tmp_path / "sim"
    fake.mkdir()
    (fake / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(provenance, "PACKAGE_DIR", fake)
    provenance.code_fingerprint.cache_clear()
    one = provenance.code_fingerprint()
    (fake / "a.py").write_text("x = 2\n")
    provenance.code_fingerprint.cache_clear()
    assert provenance.code_fingerprint() != one
    provenance.code_fingerprint.cache_clear()


def test_environment_names_the_libraries_and_the_kernels_in_use(monkeypatch):
    import numpy as np

    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # numpy < 2
        from numpy.core import _multiarray_umath as umath

    env = provenance.environment()
    assert env["packages"]["numpy"] == np.__version__
    kernels = env["numpy_kernels"]
    assert kernels["baseline"] == list(umath.__cpu_baseline__)
    # exactly the dispatched groups this process runs: none the test session switched off
    # (tests/golden/__init__.py), every one the machine has and nobody switched off
    expected = [f for f in umath.__cpu_dispatch__ if umath.__cpu_features__.get(f)]
    assert kernels["dispatched"] == expected
    assert not set(kernels["disabled_by_environment"]) & set(kernels["dispatched"])
    assert set(kernels["disabled_by_environment"]) == set(
        os.environ.get("NPY_DISABLE_CPU_FEATURES", "").split()
    )
