"""Simulated values of targets from result tables: measures, year weights, ratios, responses."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.calibrate.observe import measure_by_year, simulated_values, target_value
from sim.calibrate.targets import Measure, Output, Target


def _indicators() -> pd.DataFrame:
    rows = []
    for year in (2019, 2020, 2021):
        for country, stock in (("AAA", 1000.0), ("BBB", 3000.0)):
            grow = stock + 100 * (year - 2019)
            rows += [
                (year, country, "all", "nurses", "stock", grow),
                (year, country, "rural", "nurses", "stock", grow / 4),
                (
                    year,
                    country,
                    "all",
                    "nurses",
                    "foreign_trained_share",
                    0.1 if country == "AAA" else 0.3,
                ),
            ]
            if year > 2019:  # flows are not recorded for the initial state
                rows += [
                    (year, country, "all", "nurses", "exits", 10.0 * (year - 2019)),
                    (year, country, "all", "nurses", "emigrants", 5.0),
                ]
    return pd.DataFrame(rows, columns=["year", "country", "area", "cadre", "indicator", "value"])


def _flows() -> pd.DataFrame:
    return pd.DataFrame(
        [
            (2020, "AAA", "BBB", "nurses", 7.0),
            (2020, "BBB", "BBB", "nurses", 2.0),  # a return home
            (2020, "CCC", "BBB", "doctors", 4.0),
            (2021, "AAA", "BBB", "nurses", 9.0),
        ],
        columns=["year", "origin", "destination", "cadre", "workers"],
    )


def _target(output: Output, weights, **kw) -> Target:
    base = dict(
        id="T1", row="T1", quantity="q", value=1.0, unit="u", year="y", geography="g",
        source="s", url="", confidence="primary", group="flows", role="fit", status="fit",
    )  # fmt: skip
    return Target(**{**base, **kw}, output=output, weights=tuple(weights))


TABLES = {"indicators": _indicators(), "flows": _flows()}


def test_indicator_measures_sum_or_average_countries():
    m = Measure("indicators", ("stock",), ("AAA", "BBB"), cadre="nurses")
    assert measure_by_year(TABLES, m).to_dict() == {2019: 4000.0, 2020: 4200.0, 2021: 4400.0}
    mean = Measure(
        "indicators", ("foreign_trained_share",), ("AAA", "BBB"), cadre="nurses", combine="mean"
    )
    assert measure_by_year(TABLES, mean).loc[2020] == pytest.approx(0.2)
    several = Measure("indicators", ("exits", "emigrants"), ("AAA",), cadre="nurses")
    assert measure_by_year(TABLES, several).loc[2021] == 25.0
    assert math.isnan(measure_by_year(TABLES, several).loc[2019])


def test_flow_measures_pick_origins():
    def flow(origins, cadre="nurses"):
        series = measure_by_year(TABLES, Measure("flows", (), ("BBB",), origins, cadre=cadre))
        assert math.isnan(series.loc[2019])  # the initial state has no flows
        return series.dropna()

    assert flow(("AAA",)).to_dict() == {2020: 7.0, 2021: 9.0}
    assert flow("foreign").to_dict() == {2020: 7.0, 2021: 9.0}
    assert flow("own").to_dict() == {2020: 2.0, 2021: 0.0}  # a year without a move is a zero
    assert flow("all", cadre="all").to_dict() == {2020: 13.0, 2021: 9.0}


def test_year_weights_ratios_offsets_and_factors():
    num = Measure("indicators", ("exits",), ("AAA",), cadre="nurses")
    den = Measure("indicators", ("stock",), ("AAA",), cadre="nurses", year_offset=-1)
    t = _target(Output(num, den, factor=100.0), [(2020, 0.75), (2021, 0.25)])
    # (0.75 x 10 + 0.25 x 20) / (0.75 x 1000 + 0.25 x 1100) x 100
    assert target_value(TABLES, t) == pytest.approx(100 * 12.5 / 1025)
    missing = _target(Output(num), [(2022, 1.0)])
    assert math.isnan(target_value(TABLES, missing))


def test_a_response_is_the_policy_run_minus_the_baseline_run():
    num = Measure("indicators", ("exits",), ("AAA",), cadre="nurses")
    t = _target(Output(num, response="pay"), [(2021, 1.0)])
    policy = _indicators()
    policy.loc[(policy["indicator"] == "exits") & (policy["country"] == "AAA"), "value"] -= 3
    values = simulated_values(TABLES, {"pay": {**TABLES, "indicators": policy}}, [t])
    assert values == {"T1": pytest.approx(-3.0)}
