"""The spin-up (`time.spin_up_from`, ODD §2.3): a run that starts from the data at an earlier year
and reports from `start_year` is the same run as one that starts at the earlier year, cut at
`start_year`, with no lever of the scenario in force before it.

Both engines, exactly: every indicator, flow, stock and agreement row of the reported years, the
initial state of the results being the spin-up's last year end (its stock rows only). `compare`
refuses an option whose spin-up differs from the baseline's.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest

from sim.compare import compare
from sim.compare.pipeline import check_comparable
from sim.errors import ScenarioError
from sim.inputs.scenario import load_scenario
from sim.runner import run_replicate
from tests.model_helpers import SCENARIOS, archetypes

COUNTRIES = ["IND", "PHL", "NGA", "GHA", "GBR", "SAU", "USA"]
RETENTION = {"enabled": True, "countries": ["GHA", "NGA"], "pay_rise": 0.1}


def _run(engine: str, **time_and_policies):
    over = {
        "world.countries": COUNTRIES,
        "scale.workers_per_agent": 200.0,
        "behaviour.reconsider_rate": 1.0,
        **time_and_policies,
    }
    scenario = load_scenario(SCENARIOS / "baseline.yaml").with_overrides(over)
    return run_replicate(scenario, 0, np.random.SeedSequence(5), engine=engine)


def _cut(full, first_reported: int, initial_indicators: set) -> dict[str, pd.DataFrame]:
    """The tables of a run from the earlier year as a spin-up reports them."""
    ind = full.indicators
    keep = (ind.year >= first_reported) | (
        (ind.year == first_reported - 1) & ind.indicator.isin(initial_indicators)
    )
    out = {"indicators": ind[keep]}
    for name in ("flows", "arrivals", "agreements"):
        table = getattr(full, name)
        out[name] = table[table.year >= first_reported]
    out["stocks"] = full.stocks[full.stocks.year >= first_reported - 1]
    return {name: table.reset_index(drop=True) for name, table in out.items()}


def _assert_same(spun, full, first_reported: int) -> None:
    initial = set(spun.indicators[spun.indicators.year == first_reported - 1].indicator)
    assert initial and "emigrants" not in initial  # stocks only, as a run's initial state
    expected = _cut(full, first_reported, initial)
    for name, table in expected.items():
        pd.testing.assert_frame_equal(getattr(spun, name).reset_index(drop=True), table)


@pytest.mark.parametrize("engine", ["agents", "arrays"])
def test_a_spin_up_is_the_earlier_run_cut_at_the_start(engine):
    spun = _run(engine, **{"time.spin_up_from": 2020, "time.start_year": 2022, "time.years": 2})
    full = _run(engine, **{"time.spin_up_from": None, "time.start_year": 2020, "time.years": 4})
    assert sorted(spun.indicators.year.unique()) == [2021, 2022, 2023]
    _assert_same(spun, full, 2022)


def test_no_lever_is_in_force_during_the_spin_up():
    """A policy with no `from` starts at `start_year`, not at the spin-up's start."""
    spun = _run(
        "arrays",
        **{"time.spin_up_from": 2020, "time.start_year": 2022, "time.years": 2,
           "policies.retention": RETENTION},
    )  # fmt: skip
    full = _run(
        "arrays",
        **{"time.spin_up_from": None, "time.start_year": 2020, "time.years": 4,
           "policies.retention": {**RETENTION, "from": 2022}},
    )  # fmt: skip
    _assert_same(spun, full, 2022)
    backdated = _run(
        "arrays",
        **{"time.spin_up_from": None, "time.start_year": 2020, "time.years": 4,
           "policies.retention": RETENTION},
    )  # fmt: skip
    with pytest.raises(AssertionError):  # the same policy in force from 2020 differs
        _assert_same(spun, backdated, 2022)


def test_spin_up_from_the_start_year_is_no_spin_up():
    same = _run("arrays", **{"time.spin_up_from": 2022, "time.start_year": 2022, "time.years": 2})
    plain = _run("arrays", **{"time.spin_up_from": None, "time.start_year": 2022, "time.years": 2})
    for name in ("indicators", "flows", "stocks", "arrivals", "agreements"):
        pd.testing.assert_frame_equal(getattr(same, name), getattr(plain, name))


@pytest.mark.parametrize(
    ("key", "value"),
    [("time.spin_up_from", 2021), ("time.start_year", 2024), ("time.years", 3),
     ("world.countries", ["XSR", "XDA"])],
)  # fmt: skip
def test_compare_refuses_options_on_another_period_or_world(key, value):
    """An option started from another state (a spin-up the baseline has not, another start,
    length or world) cannot be compared with the baseline: a clear error naming the key."""
    base = archetypes({"name": "base"})
    option = archetypes({"name": "option", key: value})
    with pytest.raises(ScenarioError, match=rf"option has {key} = .* but the baseline base"):
        check_comparable(base, [option])
    check_comparable(base, [archetypes({"name": "same"})])


def test_the_briefing_says_the_baseline_was_spun_up(tmp_path):
    """The methods note names the spin-up's years; a briefing without a spin-up says nothing."""
    base = (
        "name: spun\nworld: {kind: archetypes}\nreplicates: 2\nengine: arrays\n"
        "scale: {workers_per_agent: 200}\ntime: {start_year: 2023, years: 2, spin_up_from: %s}\n"
    )
    option = "extends: base.yaml\nname: option\npolicies: {retention: {enabled: true}}\n"
    texts = {}
    for spin_up in ("2021", "null"):
        folder = tmp_path / spin_up
        folder.mkdir()
        (folder / "base.yaml").write_text(base % spin_up, encoding="utf-8")
        (folder / "option.yaml").write_text(option, encoding="utf-8")
        compare(folder / "base.yaml", [folder / "option.yaml"], folder / "out")
        page = html.unescape(re.sub(r"<[^>]+>", " ", (folder / "out/index.html").read_text()))
        texts[spin_up] = re.sub(r"\s+", " ", page)
    assert "starts from the data at the beginning of 2021 and simulates 2021–2022" in texts["2021"]
    assert "spin-up" not in texts["null"]
