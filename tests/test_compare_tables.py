"""The briefing's summaries across replicates, and the reader of the results contract.

`tables.quantiles` computes every group's percentiles from one sort; pandas' own
`DataFrameGroupBy.quantile` is the oracle (the same floats, to the bit). `read_results(...,
categorical=True)`, the briefing's reader, gives text columns as categoricals with the values,
orderings and comparisons of a plain read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.compare.runs import Run
from sim.compare.tables import QUANTILES, quantiles
from sim.outputs.outcomes import IndicatorTable
from sim.outputs.reading import read_results, read_table


def _pandas_quantiles(df: pd.DataFrame, by: list[str], column: str) -> pd.DataFrame:
    df = df.dropna(subset=[column]).astype({column: "float64"})
    grouped = df.groupby(by, observed=True, sort=True)[column]
    q = grouped.quantile(list(QUANTILES)).unstack()
    q.columns = ["p5", "median", "p95"]
    q["n"] = grouped.count()
    return q.reset_index()


_values = st.one_of(
    st.floats(-1e9, 1e9, allow_nan=False),
    st.integers(-5, 5).map(float),  # ties
    st.just(np.nan),
    st.sampled_from([np.inf, -np.inf]),  # a ratio over zero: order statistics taken as they are
)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["GHA", "NGA", "IND"]), st.integers(2020, 2023), _values),
        min_size=1,
        max_size=60,
    ),
    categorical=st.booleans(),
)
def test_quantiles_equal_pandas_groupby_quantile(rows, categorical):
    df = pd.DataFrame(rows, columns=["country", "year", "value"])
    if categorical:
        df["country"] = df["country"].astype("category")
    got = quantiles(df, ["country", "year"], "value")
    if df["value"].isna().all():
        assert got.empty and list(got.columns) == ["country", "year", "p5", "median", "p95", "n"]
        return
    want = _pandas_quantiles(df, ["country", "year"], "value")
    pd.testing.assert_frame_equal(got, want, check_exact=True, check_dtype=False)


def test_quantiles_of_one_replicate_and_of_two():
    df = pd.DataFrame({"k": ["a", "b", "b"], "v": [3.0, 1.0, 2.0]})
    q = quantiles(df, ["k"], "v").set_index("k")
    assert q.loc["a", ["p5", "median", "p95"]].tolist() == [3.0, 3.0, 3.0]
    assert q.loc["b", ["p5", "median", "p95"]].tolist() == [1.05, 1.5, 1.95]
    assert q["n"].tolist() == [1, 2]


def test_read_results_reads_text_columns_as_categoricals(tmp_path):
    indicators = pd.DataFrame(
        {
            "replicate": np.array([0, 0, 1], "int32"),
            "year": np.array([2020, 2021, 2020], "int32"),
            "country": ["WLD", "GHA", "GHA"],
            "area": ["all", "all", "urban"],
            "cadre": ["nurses", "all", "doctors"],
            "indicator": ["stock", "density", "stock"],
            "value": [1.0, 2.5, np.nan],
        }
    )
    flows = pd.DataFrame(
        {
            "replicate": np.array([0], "int32"),
            "year": np.array([2021], "int32"),
            "origin": ["GHA"],
            "destination": ["GBR"],
            "cadre": ["nurses"],
            "workers": [40.0],
        }
    )
    indicators.to_parquet(tmp_path / "indicators.parquet")
    flows.to_parquet(tmp_path / "flows.parquet")
    (tmp_path / "manifest.json").write_text('{"name": "t"}', encoding="utf-8")
    manifest, got, got_flows = read_results(tmp_path, categorical=True)
    assert manifest == {"name": "t"}
    for table, want, labels in (
        (got, indicators, ("country", "area", "cadre", "indicator")),
        (got_flows, flows, ("origin", "destination", "cadre")),
    ):
        for column in labels:
            assert isinstance(table[column].dtype, pd.CategoricalDtype), column
            categories = list(table[column].cat.categories)
            assert categories == sorted(categories), column  # rankings break ties as text does
        plain = table.astype({c: "str" for c in labels})
        pd.testing.assert_frame_equal(
            plain, want.astype({c: "str" for c in labels}), check_dtype=False
        )
    assert (got_flows["origin"] != got_flows["destination"]).all()  # one set of country codes
    _, text, _ = read_results(tmp_path)  # the default: text, as written
    pd.testing.assert_frame_equal(text, indicators, check_dtype=False)
    assert not isinstance(text["country"].dtype, pd.CategoricalDtype)
    assert read_table(tmp_path, "stocks", categorical=True).empty  # absent: empty, with columns


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 2),
            st.integers(2020, 2022),
            st.sampled_from(["GHA", "GBR", "WLD"]),
            st.sampled_from(["all", "urban"]),
            st.sampled_from(["all", "nurses"]),
            st.sampled_from(["stock", "emigrants", "density"]),
            st.floats(0, 1e6),
        ),
        max_size=50,
    ),
    categorical=st.booleans(),
)
def test_indicator_table_rows_are_a_plain_selection(rows, categorical):
    """Each indicator's rows (area `all`, in table order) as a boolean selection gives them."""
    columns = ["replicate", "year", "country", "area", "cadre", "indicator", "value"]
    frame = pd.DataFrame(rows, columns=columns)
    if categorical:
        for c in ("country", "area", "cadre", "indicator"):
            frame[c] = frame[c].astype("category")
    table = IndicatorTable(frame)
    for name in ("stock", "emigrants", "density", "absent"):
        want = frame[(frame["area"] == "all") & (frame["indicator"] == name)]
        assert table.has(name) == (len(want) > 0)
        got = table.rows(name)
        assert list(got.columns) == ["replicate", "year", "country", "cadre", "value"]
        if len(want):
            want = want[list(got.columns)].reset_index(drop=True)
            pd.testing.assert_frame_equal(got, want)
        else:
            assert got.empty


def test_long_form_reads_levels_beside_changes():
    """`baseline|median` beside `opt|change|median` (the safeguards table): the first is a level,
    not a statistic-less column (the CSV's header had an empty column)."""
    from sim.compare.export import long_form

    table = pd.DataFrame(
        {
            "country": ["AFG"],
            "baseline|median": [6.7],
            "opt|median": [6.9],
            "opt|change|median": [0.2],
            "opt|change|p5": [0.1],
        }
    )
    out = long_form(table, ["country"], "base")
    assert list(out.columns) == ["country", "scenario", "measure", "median", "p5"]
    rows = {(r.scenario, r.measure): (r.median, r.p5) for r in out.itertuples()}
    assert rows[("base", "level")][0] == 6.7 and rows[("opt", "level")][0] == 6.9
    assert rows[("opt", "change")] == (0.2, 0.1)


def _emigrants_run(values: dict[str, list[float]], later: dict | None = None) -> Run:
    """A run's emigrants in 2030 (`values`) and, if given, 2031 (`later`), by replicate."""
    from pathlib import Path

    rows = [
        (r, year, code, "all", "all", "emigrants", v)
        for year, table in ((2030, values), (2031, later or {}))
        for code, per_rep in table.items()
        for r, v in enumerate(per_rep)
    ]
    columns = ["replicate", "year", "country", "area", "cadre", "indicator", "value"]
    flows = pd.DataFrame(columns=["replicate", "year", "origin", "destination", "cadre", "workers"])
    return Run(Path("."), {}, pd.DataFrame(rows, columns=columns), flows)


def test_emigration_elsewhere_is_the_largest_change_off_the_list_with_an_interval_off_zero():
    """Displacement: the listed country's change is left out, a larger median whose interval
    includes zero gives way to smaller ones whose interval does not, a rise is named before a
    larger fall and a fall where nothing rises, and only the year asked for is read (12
    replicates: enough for a change whose replicates all agree to stand out of the noise of the
    countries scanned)."""
    from types import SimpleNamespace

    from sim.compare import reading, summary, tables

    r = 12
    steady = {"AAA": [100] * r, "BBB": [100] * r, "CCC": [100] * r, "DDD": [100] * r}
    base = _emigrants_run(steady, later=steady)
    noisy = [50, 400, 800] * (r // 3)
    consistent = [300, 310, 320] * (r // 3)
    moved = {"AAA": [5100] * r, "BBB": noisy, "CCC": consistent, "DDD": [100] * r}
    option = _emigrants_run(moved, later={**steady, "DDD": [9000] * r})
    groups = SimpleNamespace(safeguards=("AAA",), name=lambda code: code.title())
    row = tables.emigration_elsewhere(base, option, groups, [2030])
    assert row["country"] == "CCC" and row["median"] == pytest.approx(210.0)
    fall = _emigrants_run({**moved, "DDD": [-190, -200, -210] * (r // 3)})
    row_fall = tables.emigration_elsewhere(_emigrants_run(steady), fall, groups, [2030])
    assert row_fall["country"] == "CCC"  # a rise (displacement) before a larger fall
    only_fall = _emigrants_run({**moved, "CCC": [100] * r, "DDD": [-190, -200, -210] * (r // 3)})
    row_fall = tables.emigration_elsewhere(_emigrants_run(steady), only_fall, groups, [2030])
    assert row_fall["country"] == "DDD" and row_fall["median"] == pytest.approx(-300.0)
    ctx = SimpleNamespace(
        year=2030,
        first=2029,
        elsewhere={"opt": row},
        groups=groups,
        evidence=reading.Evidence(replicates=r, workers_per_agent=50.0),
    )
    text = summary._elsewhere(ctx, SimpleNamespace(name="opt"))
    assert text.startswith("Off the safeguards list, the largest change in emigration in 2030")
    assert "in Ccc (CCC): it rises by 210 workers in all" in text
    # below two simulated workers (2 x 200 = 400): not said
    ctx.evidence = reading.Evidence(replicates=r, workers_per_agent=200.0)
    assert summary._elsewhere(ctx, SimpleNamespace(name="opt")) == ""
    # one replicate: its 'interval' is one value and excludes nothing
    ctx.evidence = reading.Evidence(replicates=1, workers_per_agent=50.0)
    assert summary._elsewhere(ctx, SimpleNamespace(name="opt")) == ""
    # nothing off the list with an interval off zero: no country
    quiet = _emigrants_run({"AAA": [5100] * r, "BBB": noisy, "CCC": [100] * r})
    assert tables.emigration_elsewhere(_emigrants_run(steady), quiet, groups, [2030]) is None


def test_a_displacement_is_summed_over_the_years_asked_for():
    """A change in 2030 and another in 2031 add up over both years (a displacement that fades by
    the horizon still counts); a year with no value in a replicate is no partial sum."""
    from types import SimpleNamespace

    from sim.compare import tables

    r = 6
    steady = {c: [100] * r for c in ("AAA", "BBB", "CCC")}
    base = _emigrants_run(steady, later=steady)
    option = _emigrants_run(
        {**steady, "CCC": [300, 310, 320] * 2}, later={**steady, "CCC": [150, 160, 170] * 2}
    )
    groups = SimpleNamespace(safeguards=("AAA",), name=lambda code: code.title())
    both = tables.emigration_elsewhere(base, option, groups, [2030, 2031])
    assert both["country"] == "CCC" and both["median"] == pytest.approx(210.0 + 60.0)
    assert tables.emigration_elsewhere(base, option, groups, [2031])["median"] == pytest.approx(
        60.0
    )
    gap = _emigrants_run(
        {**steady, "CCC": [300, 310, 320] * 2},
        later={**steady, "CCC": [150, 160, 170] * 2, "BBB": [np.nan] * r},
    )
    busy = _emigrants_run(steady, later={**steady, "BBB": [1000] * r})
    with_gap = tables.emigration_elsewhere(busy, gap, groups, [2030, 2031])
    assert with_gap["country"] == "CCC"  # BBB undefined, not 1,000 short in every replicate


def test_a_displacement_must_stand_out_of_the_noise_of_every_country_scanned():
    """A change whose replicates agree closely stands out of the noise of the countries scanned
    even with 5 replicates (t-test, Bonferroni over 3 countries at 10%): named. One whose
    interval excludes zero but whose replicates scatter widely is not (t 2.8, p 0.05 before the
    correction); one whose interval includes zero is not, however consistent the rest."""
    from types import SimpleNamespace

    from sim.compare import tables

    groups = SimpleNamespace(safeguards=("AAA",), name=lambda code: code.title())

    def elsewhere(changes):
        n = len(changes)
        steady = {c: [100] * n for c in ("AAA", "BBB", "CCC", "DDD")}
        option = {**steady, "CCC": [100 + c for c in changes]}
        return tables.emigration_elsewhere(
            _emigrants_run(steady), _emigrants_run(option), groups, [2030]
        )

    assert elsewhere([200, 210, 220, 230, 240])["country"] == "CCC"
    assert elsewhere([50, 400, 800, 100, 600]) is None
    assert elsewhere([200, 210, 220] * 3 + [-10, -20, -5]) is None
    assert elsewhere([0, 0, 0, 0, 0]) is None


def test_paired_t_p_values():
    """Mean 1 and sd 1 over 5 replicates: t = sqrt(5), p 0.089 (t with 4 degrees of freedom);
    a change the same in every replicate: p 0 (0 if it is no change: 1); one replicate: p 1."""
    from sim.compare import tables

    p = tables.paired_t_p(np.array([1.0, 3.0, 0.0, 5.0]), np.array([1.0, 0.0, 0.0, 2.0]),
                          np.array([5, 5, 5, 1]))  # fmt: skip
    assert p == pytest.approx([0.0890, 0.0, 1.0, 1.0], abs=1e-3)


def test_a_displacement_of_replicates_that_agree_by_the_grain_of_the_count_is_not_named():
    """Counts move in whole simulated workers: two replicates of +400 at 200 workers per agent
    agree exactly by chance, and with a spread of 0 they stood out of the noise of any number of
    countries (a guide's run named Belgium). The spread is floored at one simulated worker;
    twelve replicates of +2,000 still stand out."""
    from types import SimpleNamespace

    from sim.compare import tables

    groups = SimpleNamespace(safeguards=("AAA",), name=lambda code: code.title())
    codes = ("AAA", "BBB", "CCC", "DDD")

    def named(changes, resolution):
        steady = {c: [100] * len(changes) for c in codes}
        option = {**steady, "CCC": [100 + c for c in changes]}
        row = tables.emigration_elsewhere(
            _emigrants_run(steady), _emigrants_run(option), groups, [2030], resolution
        )
        return None if row is None else row["country"]

    assert named([400, 400], 0.0) == "CCC"  # without the floor: named on two equal replicates
    assert named([400, 400], 200.0) is None
    assert named([2000] * 12, 200.0) == "CCC"
