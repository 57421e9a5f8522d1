"""scripts/leaving_decomposition.py: departures from a country's workforce by kind (the C08
diagnostic of docs/calibration.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.model_helpers import ROOT

SCRIPT = ROOT / "scripts" / "leaving_decomposition.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=600
    )


def test_the_kinds_add_up_to_all_departures():
    proc = _run("--replicates", "1", "--years", "2021")
    assert proc.returncode == 0, proc.stderr[-2000:]
    rates = {}
    for line in proc.stdout.splitlines()[1:]:
        name, value = line.rsplit(maxsplit=1)
        rates[name.strip()] = float(value)
    total = rates.pop("all departures")
    assert total > 0
    assert all(v >= 0 for v in rates.values())
    assert sum(rates.values()) == pytest.approx(total, abs=0.02)  # each printed to 0.01
    assert rates["retirement"] > 0 and rates["attrition exit"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--country", "XXX"), "--country XXX: not a country of the world"),
        (("--years", "1990"), "--years: the run simulates"),
        (("--set", "nonsense"), "expected PATH=VALUE"),
    ],
)
def test_bad_arguments_are_named(args, message):
    proc = _run(*args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
