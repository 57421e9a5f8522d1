"""Test-session settings: quiet Mesa logging; list CI artefacts (screenshots) at the end."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from hypothesis import settings

from tests.golden import pin_numpy_kernels

pin_numpy_kernels()  # before anything imports numpy: the same floats on every x86-64 machine

# The test workers (pytest-xdist, `-n 2`) share the CPUs: numba threads each so that together
# they use them once, as the sweeps' local workers do (`sim.sweep.cluster.worker_threads_env`;
# oversubscribed, the arrays engine's parallel kernels spin against each other). Tests of other
# thread counts set NUMBA_NUM_THREADS in their subprocesses.
# (`sim.sweep.cluster` imports neither numpy nor numba.)
if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
    from sim.sweep.cluster import worker_threads_env

    for _name, _value in worker_threads_env(int(os.environ["PYTEST_XDIST_WORKER_COUNT"])).items():
        os.environ.setdefault(_name, _value)

from tests import sweep_models  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[1] / "results" / "ci-artifacts"
_STARTED = time.time()

logging.getLogger("MESA").setLevel(logging.WARNING)

# No Hypothesis deadlines: the first call of a numba function compiles it (seconds on a cold
# cache), and machines are shared and noisy, so a per-example time limit only makes tests flaky.
# Tests that need a time bound assert it themselves.
settings.register_profile("hrhsim", deadline=None)
settings.load_profile("hrhsim")

# The sweep test models (`model: toy`, `model: ishigami`) exist only for the tests.
sweep_models.register()


def pytest_terminal_summary(terminalreporter) -> None:
    """Name the artefacts (e.g. the briefing screenshot) that this test session wrote."""
    if not ARTIFACTS.is_dir():
        return
    fresh = sorted(p for p in ARTIFACTS.iterdir() if p.stat().st_mtime >= _STARTED)
    if fresh:
        terminalreporter.write_sep("-", "CI artefacts")
        for path in fresh:
            terminalreporter.write_line(str(path))
