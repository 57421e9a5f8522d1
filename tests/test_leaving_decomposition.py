"""scripts/leaving_decomposition.py: departures from a country's workforce by kind (the C08
diagnostic of docs/calibration.md)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from sim.runner import build_model, world_for
from tests.model_helpers import ROOT, archetypes

sys.path.insert(0, str(ROOT / "scripts"))
import leaving_decomposition

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


# A small world where every kind of departure happens (onward moves and voluntary leaving made
# likely), at 20 workers per agent.
SMALL = {
    "time.years": 3,
    "scale.workers_per_agent": 20.0,
    "behaviour.onward_constant": 3.0,
    "behaviour.migrant_leave_shift": 0.0,
}


def test_the_departures_counted_are_the_models_leavers():
    """Every departure of foreign-trained nurses the script counts is one the model records
    (`foreign_trained_leavers` of both destination archetypes, 2024-2025), every kind occurs,
    the own-trained nurses' retirements are the rest of the model's `retirements`, and the
    workers present at the years' starts are the stocks at the ends of the years before."""
    scenario = archetypes().with_overrides(SMALL)
    iso3 = [str(x) for x in np.asarray(world_for(scenario.data).iso3)]
    model = build_model(scenario, seed=7, world=world_for(scenario.data))
    model.run()
    rows = model.recorder.indicators()
    stocks = rows[(rows.indicator == "stock") & (rows.area == "all") & (rows.cadre == "nurses")]
    rows = rows[rows.year.isin([2024, 2025]) & (rows.area == "all") & (rows.cadre == "nurses")]
    by_kind = dict.fromkeys(leaving_decomposition.KINDS.values(), 0)
    for name in ("XDA", "XDB"):
        c, at = iso3.index(name), rows[rows.country == name]
        total = at.groupby("indicator").value.sum()
        foreign = leaving_decomposition.decompose(scenario, 7, c, 1, True, {2024, 2025})
        own = leaving_decomposition.decompose(scenario, 7, c, 1, False, {2024, 2025})
        omega = model.workers_per_agent
        assert sum(foreign["counts"].values()) * omega == total["foreign_trained_leavers"]
        retired = (foreign["counts"]["retirement"] + own["counts"]["retirement"]) * omega
        assert retired == total["retirements"]
        assert foreign["present"] > 0 and own["present"] > 0
        start = stocks[(stocks.country == name) & stocks.year.isin([2023, 2024])].value.sum()
        assert (foreign["present"] + own["present"]) * omega == start  # the years' start stocks
        for kind, n in foreign["counts"].items():
            by_kind[kind] += n
    assert all(n > 0 for n in by_kind.values()), by_kind  # no kind compared as zeros only
