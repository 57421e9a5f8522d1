"""Simulated values of targets from result tables: measures, year weights, ratios, responses."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_arrival_measures_count_by_country_of_training():
    """A register counts its joiners by country of training: a nurse trained in AAA who moves on
    from CCC to BBB is an arrival from AAA, though the flow leaves CCC; a return is no arrival."""
    flows = (
        pd.DataFrame(
            [
                (2020, "AAA", "BBB", "nurses", 7.0),  # first moves
                (2020, "CCC", "BBB", "nurses", 3.0),  # AAA-trained nurses moving on from CCC
                (2020, "CCC", "BBB", "nurses", 2.0),  # BBB-trained nurses coming home from CCC
            ],
            columns=["year", "origin", "destination", "cadre", "workers"],
        )
        .groupby(["year", "origin", "destination", "cadre"], as_index=False)
        .sum()
    )
    arrivals = pd.DataFrame(
        [(2020, "AAA", "BBB", "nurses", 10.0)],
        columns=["year", "origin", "country", "cadre", "workers"],
    )
    tables = {**TABLES, "flows": flows, "arrivals": arrivals}

    def read(source, origins):
        series = measure_by_year(tables, Measure(source, (), ("BBB",), origins, cadre="nurses"))
        assert math.isnan(series.loc[2019])  # the initial state has no arrivals either
        return series.loc[2020]

    assert read("arrivals", ("AAA",)) == 10.0 and read("flows", ("AAA",)) == 7.0
    # every move into BBB left another country: the flows count the return home too
    assert read("arrivals", "foreign") == 10.0 and read("flows", "foreign") == 12.0


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


# --------------------------------------------------------------------------------------------------
# the compiled reading against the plain pandas one it replaced (the same numbers, to rounding)


def _pandas_measure(tables, m: Measure) -> pd.Series:
    """`measure_by_year` as it was written with pandas' group-by (the reference)."""
    if m.source == "indicators":
        ind = tables["indicators"]
        rows = ind[
            ind["indicator"].isin(m.names)
            & ind["country"].isin(m.countries)
            & (ind["area"] == m.area)
            & (ind["cadre"] == m.cadre)
        ]
        per_country = rows.groupby(["year", "country"])["value"].sum(min_count=1)
    else:
        table = tables[m.source]
        place = "destination" if m.source == "flows" else "country"
        keep = table[place].isin(m.countries)
        if m.origins == "foreign":
            keep &= table["origin"] != table[place]
        elif m.origins == "own":
            keep &= table["origin"] == table[place]
        elif m.origins != "all":
            keep &= table["origin"].isin(list(m.origins)) & (table["origin"] != table[place])
        if m.cadre != "all":
            keep &= table["cadre"] == m.cadre
        per_country = table[keep].groupby(["year", place])["workers"].sum(min_count=1)
    years = pd.Index(sorted(tables["indicators"]["year"].unique()), name="year")
    if m.combine == "sum":
        out = per_country.groupby(level=0).sum(min_count=1)
        if m.source != "indicators":
            out = out.reindex(years, fill_value=0.0)
            if m.source in ("flows", "arrivals"):  # no moves in the initial state
                out = out[out.index > int(years.min())]
        return out.reindex(years)
    return per_country.groupby(level=0).mean().reindex(years)


CODES = ("AAA", "BBB", "CCC", "DDD")
cell_value = st.one_of(st.floats(0, 1e6, allow_nan=False), st.just(float("nan")))


@st.composite
def _random_tables(draw):
    years = sorted(draw(st.sets(st.integers(2019, 2024), min_size=1, max_size=4)))
    ind, flows = [], []
    for year in years:
        for country in CODES:
            for area in ("all", "rural"):
                for name in ("stock", "exits"):
                    if draw(st.booleans()):
                        ind.append((year, country, area, "nurses", name, draw(cell_value)))
        for _ in range(draw(st.integers(0, 5))):
            pair = draw(st.tuples(st.sampled_from(CODES), st.sampled_from(CODES)))
            cadre = draw(st.sampled_from(("nurses", "doctors")))
            flows.append((year, *pair, cadre, draw(cell_value)))
    if not any(row[0] == years[0] for row in ind):  # every simulated year has indicator rows
        ind.append((years[0], "AAA", "all", "nurses", "stock", 1.0))
    columns = ["year", "country", "area", "cadre", "indicator", "value"]
    indicators = pd.DataFrame(ind, columns=columns)
    flow_columns = ["year", "origin", "destination", "cadre", "workers"]
    flow_table = pd.DataFrame(flows, columns=flow_columns).astype({"year": "int64"})
    stocks = flow_table.rename(columns={"destination": "country"})
    # another table than the stocks, so that reading the wrong one shows
    arrivals = flow_table.rename(columns={"origin": "country", "destination": "origin"})
    # as the results are read: arrow strings
    for frame in (indicators, flow_table, stocks, arrivals):
        for col in frame.columns:
            if col in ("value", "workers"):
                frame[col] = frame[col].astype("float64")
            elif col != "year":
                frame[col] = frame[col].astype("string[pyarrow]")
    return {"indicators": indicators, "flows": flow_table, "stocks": stocks, "arrivals": arrivals}


@st.composite
def _random_measure(draw):
    source = draw(st.sampled_from(("indicators", "flows", "stocks", "arrivals")))
    countries = tuple(draw(st.sets(st.sampled_from((*CODES, "ZZZ")), min_size=1)))
    combine = draw(st.sampled_from(("sum", "mean")))
    if source == "indicators":
        names = tuple(draw(st.sets(st.sampled_from(("stock", "exits", "none")), min_size=1)))
        area = draw(st.sampled_from(("all", "rural")))
        return Measure(source, names, countries, area=area, cadre="nurses", combine=combine)
    origins = draw(
        st.one_of(
            st.sampled_from(("all", "foreign", "own")),
            st.sets(st.sampled_from((*CODES, "ZZZ")), min_size=1).map(tuple),
        )
    )
    cadre = draw(st.sampled_from(("all", "nurses", "doctors")))
    return Measure(source, (), countries, origins, cadre=cadre, combine=combine)


@settings(max_examples=300, deadline=None)
@given(_random_tables(), _random_measure())
def test_measures_equal_the_pandas_reading(tables, m):
    got = measure_by_year(tables, m)
    want = _pandas_measure(tables, m)
    assert list(got.index) == list(want.index)
    for year in want.index:
        a, b = got.loc[year], want.loc[year]
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12), (year, a, b)
