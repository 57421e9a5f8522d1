"""scripts/passive_rate.py: the observed ratio from the NMC's figures, the model's pooled ratio
from a flows table, and the script's clear errors."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.model_helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import passive_rate

FIGURES = {
    "C02": 1000.0, "C07": 100.0, "C03": 1200.0, "C37a": 1000.0, "C37b": 1400.0,
    "intl_joiners_2022_23": 900.0, "joiners_h1_2022_23": 800.0, "uk_joiners_h1_2022_23": 400.0,
    "intl_joiners_h1_2024_25": 500.0, "intl_leaving_rate_2023_24": 2.5,
    "intl_leaving_rate_2024_25": 5.0,
}  # fmt: skip


def test_the_observed_ratio_by_hand():
    """Share before 0.1; international joiners October 2022 - March 2023 900 - (800 - 400) =
    500, in the window 500 + 1200 + 500 = 2200; Nigeria's growth 400, leavers at 2.5% a year
    2 x 0.025 x 1200 = 60; before the listing 0.1 x 500 = 50 at the old share, so after
    (460 - 50) / 1700; whole window 460 / 2200."""
    ratio = passive_rate.observed_share_ratio(FIGURES, 0.025)
    assert ratio == pytest.approx((410 / 1700) / 0.1)
    whole = passive_rate.observed_share_ratio(FIGURES, 0.025, before_at_old_share=False)
    assert whole == pytest.approx((460 / 2200) / 0.1)
    ranges = passive_rate.observed_range(FIGURES)
    assert ranges["low"] == pytest.approx((350 / 1700) / 0.1)  # no leavers
    assert ranges["high"] == pytest.approx((520 / 2200) / 0.1)  # 5% a year, one share


def test_the_bundled_figures_give_the_documented_ratios():
    """docs/data.md §4.1 and the registry's source quote these (0.88, 0.77-0.92)."""
    observed = passive_rate.observed_range(passive_rate.read_figures())
    assert round(observed["central"], 2) == 0.88
    assert round(observed["low"], 2) == 0.77
    assert round(observed["high"], 2) == 0.92


def _flows(nga: dict[int, float], others: dict[int, float], replicate: int = 0) -> list[tuple]:
    rows = [(replicate, y, "NGA", "GBR", "nurses", w) for y, w in nga.items()]
    rows += [(replicate, y, "IND", "GBR", "nurses", w) for y, w in others.items()]
    rows += [(replicate, y, "NGA", "USA", "nurses", 999.0) for y in nga]  # another destination
    rows += [(replicate, y, "GBR", "GBR", "nurses", 999.0) for y in nga]  # never an arrival
    rows += [(replicate, y, "NGA", "GBR", "doctors", 999.0) for y in nga]  # another cadre
    return rows


def _table(rows: list[tuple]) -> pd.DataFrame:
    columns = ["replicate", "year", "origin", "country", "cadre", "workers"]  # the arrivals
    return pd.DataFrame(rows, columns=columns)


def test_the_windows_weigh_the_years_and_count_only_the_uks_foreign_trained_nurses():
    years = {2020: 1.0, 2021: 4.0, 2022: 8.0, 2023: 2.0, 2024: 6.0, 2025: 100.0}
    sums = passive_rate.window_sums(_table(_flows(years, dict.fromkeys(years, 10.0))), 1)
    nga_before, nga_after = 0.75 * 4 + 0.25 * 8, 0.75 * 2 + 0.75 * 6
    expected = [nga_before, nga_before + 10.0, nga_after, nga_after + 15.0]
    assert np.allclose(sums[0], expected)
    ratio = (nga_after / (nga_after + 15.0)) / (nga_before / (nga_before + 10.0))
    assert passive_rate.pooled_ratio(sums) == pytest.approx(ratio)


def test_each_direct_count_is_read_on_its_own_april_to_march_years():
    windows = passive_rate.DIRECT_WINDOWS
    assert windows["2023/24"] == {2023: 0.75, 2024: 0.25}
    assert windows["2024/25"] == {2024: 0.75, 2025: 0.25}
    both = {
        y: windows["2023/24"].get(y, 0) + windows["2024/25"].get(y, 0) for y in range(2023, 2026)
    }
    assert windows["both years"] == both
    years = {2020: 1.0, 2021: 4.0, 2022: 8.0, 2023: 2.0, 2024: 6.0, 2025: 100.0}
    flows = _table(_flows(years, dict.fromkeys(years, 10.0)))
    sums = passive_rate.window_sums(flows, 1, windows["2024/25"])
    nga_after = 0.75 * 6 + 0.25 * 100
    assert np.allclose(sums[0, 2:], [nga_after, nga_after + 10.0])


@settings(max_examples=50, deadline=None)
@given(st.floats(0.05, 1.0), st.lists(st.floats(1.0, 500.0), min_size=2, max_size=6))
def test_the_pooled_ratio_is_the_after_shrink_of_nigerias_share(shrink, sizes):
    """Scaling Nigeria's arrivals after the listing by s (others kept at s times their share)
    gives a ratio of s when the shares are equal in every replicate, whatever the sizes."""
    rows = []
    for r, size in enumerate(sizes):
        nga = {2021: size, 2022: size, 2023: shrink * size, 2024: shrink * size}
        others = {2021: size, 2022: size, 2023: (2 - shrink) * size, 2024: (2 - shrink) * size}
        rows += _flows(nga, others, r)
    sums = passive_rate.window_sums(_table(rows), len(sizes))
    assert passive_rate.pooled_ratio(sums) == pytest.approx(shrink)
    low, high = passive_rate.bootstrap_interval(sums, draws=50)
    assert low == pytest.approx(shrink) and high == pytest.approx(shrink)


def test_the_rate_is_read_between_the_rates_run():
    rates, model = np.array([0.3, 0.6, 1.0]), np.array([0.4, 0.7, 0.9])
    assert passive_rate.rate_at(0.8, rates, model) == "0.80"
    assert passive_rate.rate_at(0.2, rates, model).startswith("below 0.3")
    assert passive_rate.rate_at(0.95, rates, model).startswith("1.0 or above")


def test_clear_errors_name_the_file_and_row(tmp_path, capsys):
    targets = tmp_path / "targets.csv"
    table = pd.read_csv(passive_rate.TARGETS, dtype=str)
    table[table.id != "C07"].to_csv(targets, index=False)
    with pytest.raises(ValueError, match=r"targets\.csv: no row C07"):
        passive_rate.read_figures(targets=targets)
    table.loc[table.id == "C37", "value"] = "8891"
    table.to_csv(targets, index=False)
    with pytest.raises(ValueError, match=r"row C37, column value: expected 2 exact number"):
        passive_rate.read_figures(targets=targets)
    for inexact in ("~3010", ">3010", "2900 to 3100"):
        table.loc[table.id == "C37", "value"] = "8891;14815"
        table.loc[table.id == "C07", "value"] = inexact
        table.to_csv(targets, index=False)
        with pytest.raises(ValueError, match=r"row C07, column value: expected 1 exact number"):
            passive_rate.read_figures(targets=targets)
    joiners = tmp_path / "joiners.csv"
    rows = pd.read_csv(passive_rate.JOINERS, dtype=str)
    rows.loc[rows.name == "intl_joiners_h1_2024_25", "value"] = "many"
    rows.to_csv(joiners, index=False)
    with pytest.raises(ValueError, match=r"row 'intl_joiners_h1_2024_25', column value"):
        passive_rate.read_figures(joiners=joiners)
    rows[rows.name != "joiners_h1_2022_23"].to_csv(joiners, index=False)
    with pytest.raises(ValueError, match=r"one row named 'joiners_h1_2022_23', found 0"):
        passive_rate.read_figures(joiners=joiners)
    for bad in (["--replicates", "1"], ["--rates", "1.5"]):
        with pytest.raises(SystemExit):
            passive_rate.main(bad)
        assert "expected" in capsys.readouterr().err


def test_the_direct_counts_by_hand():
    figures = {**FIGURES, "C04": 800.0, "nga_joiners_2023_24": 96.0,
               "nga_joiners_change_2024_25": -25.0}  # fmt: skip
    direct = passive_rate.direct_share_ratios(figures)
    assert direct["2023/24"] == pytest.approx((96 / 1200) / 0.1)
    assert direct["2024/25"] == pytest.approx((72 / 800) / 0.1)
    assert direct["both years"] == pytest.approx((168 / 2000) / 0.1)
    bundled = passive_rate.direct_share_ratios(passive_rate.read_figures())
    assert [round(v, 2) for v in bundled.values()] == [0.83, 0.89, 0.86]  # docs/data.md §4.1


def test_the_pooled_ratio_pools_unequal_replicates_and_the_interval_is_its_percentiles():
    sums = np.array([[10.0, 100.0, 5.0, 100.0], [30.0, 100.0, 30.0, 300.0]])
    assert passive_rate.pooled_ratio(sums) == pytest.approx((35 / 400) / (40 / 200))
    picks = np.random.default_rng(3).integers(0, 2, size=(400, 2))
    ratios = [passive_rate.pooled_ratio(sums[p]) for p in picks]
    expected = (np.percentile(ratios, 5), np.percentile(ratios, 95))
    assert passive_rate.bootstrap_interval(sums, draws=400, seed=3) == pytest.approx(expected)


def test_the_model_runs_the_uks_code_of_the_world_data_at_each_rate():
    scenario = passive_rate._scenario(0.45)
    assert scenario.data["behaviour"]["national_code_passive_rate"] == 0.45
    assert scenario.data["policies"]["ethical_recruitment"]["enabled"] is False
    base = passive_rate.calibration_scenario().data["behaviour"]
    assert base["national_code_passive_rate"] == 0.9  # the shipped reading, without the override
