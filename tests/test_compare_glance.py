"""The briefing's first table, at a glance: the options ranked by the health workers they add in
the safeguards-list countries, their public spending and its price per added worker, and the
headline message's sentence on spending, checked against sums straight from the Parquet files;
and the figures' findings in words, their text alternatives (`sim.compare.alt`).
"""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.compare import fmt, glance, load_run, reading, summary, write_briefing
from tests.test_compare import (
    CODES,
    SAFEGUARDS,
    default_scenario,
    fake_world,
    write_synthetic_run,
)

LISTED = [c for c, s in zip(CODES, SAFEGUARDS, strict=True) if s]
EFFECTS = {"small": 0.02, "large": 1.5, "same": 0.0}
"""Synthetic options: density in the listed countries rises by `effect` per 10,000 a year and
compensation of 1e6 x `effect` a year is paid and received (`tests.test_compare`)."""


@pytest.fixture(scope="module")
def glance_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("glance")
    base = write_synthetic_run(tmp / "runs" / "baseline", default_scenario())
    options = [
        write_synthetic_run(tmp / "runs" / name, default_scenario(name=name), effect=effect)
        for name, effect in EFFECTS.items()
    ]
    out = tmp / "brief"
    write_briefing(load_run(base), [load_run(p) for p in options], out, world=fake_world())
    return base, options, out


def _independent(run_dir) -> pd.DataFrame:
    """By replicate: workers in the listed countries at the horizon, and public spending over the
    simulated years by all payers and by the listed countries (from the Parquet file)."""
    ind = pd.read_parquet(run_dir / "indicators.parquet")
    ind = ind[(ind["area"] == "all") & (ind["cadre"] == "all") & (ind["country"] != "WLD")]
    last, first = ind["year"].max(), ind["year"].min()
    flows = ind[ind["year"] > first]

    def total(indicators, countries=None):
        rows = flows[flows["indicator"].isin(indicators)]
        if countries is not None:
            rows = rows[rows["country"].isin(countries)]
        return rows.groupby("replicate")["value"].sum()

    listed_at_end = ind[(ind["year"] == last) & ind["country"].isin(LISTED)]

    def at_end(indicator):
        rows = listed_at_end[listed_at_end["indicator"] == indicator]
        return rows.groupby("replicate")["value"].sum()

    return pd.DataFrame(
        {
            "workers": at_end("stock"),
            "employed": at_end("stock") - at_end("unemployed"),
            "spending": total(["compensation_paid", "incentive_spending", "training_investment"]),
            "spending_listed": total(["incentive_spending", "training_investment"], LISTED),
        }
    )


def test_the_glance_table_equals_sums_from_the_parquet_files(glance_runs):
    base_dir, option_dirs, out = glance_runs
    table = pd.read_csv(out / "glance.csv")
    base = _independent(base_dir)
    for name, run_dir in zip(EFFECTS, option_dirs, strict=True):
        diff = _independent(run_dir) - base  # paired: the same replicate index
        rows = table[table["option"] == name].set_index("item")
        for item in ("workers", "employed", "spending", "spending_listed"):
            expected = np.percentile(diff[item].to_numpy(float), [5, 50, 95])
            got = rows.loc[item, ["p5", "median", "p95"]].to_numpy(float)
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-6, err_msg=item)
            assert rows.loc[item, "baseline"] == pytest.approx(np.median(base[item]))
        added = diff["workers"].to_numpy(float)
        got = rows.loc["per_worker", ["p5", "median", "p95"]].to_numpy(float)
        if name == "large":  # quoted: its density rises by a relevant margin
            assert rows.loc["per_worker", "status"] == "quoted"
            price = diff["spending"].to_numpy(float) / added
            np.testing.assert_allclose(got, np.percentile(price, [5, 50, 95]), rtol=1e-9)
        else:  # withheld on the page, so blank in the file, with the reason
            assert rows.loc["per_worker", "status"] == "no gain"
            assert np.isnan(got).all() and rows.loc["per_worker", "note"].startswith("not quoted")
        assert (rows["rank"] == {"large": 1, "small": 2, "same": 3}[name]).all()
        assert rows.loc["spending", "unit"] == "int$ PPP"


def test_the_options_are_ranked_by_the_workers_they_add(glance_runs):
    _base, _options, out = glance_runs
    page = (out / "index.html").read_text(encoding="utf-8")
    part = page[page.index('id="glance-table"') :]
    part = part[: part.index("</table>")]
    body = part[part.index("<tbody>") :]
    order = [m for m in re.findall(r"<tr><td>(\d+)</td><th[^>]*>(.*?)</th>", body)]
    names = [re.sub(r"<[^>]+>", "", html.unescape(n)).replace("_", "") for _, n in order]
    assert [int(r) for r, _ in order] == [1, 2, 3]
    assert names == ["large", "small", "same"]
    assert page.index('id="glance-table"') < page.index('class="card"')  # before the messages


def test_a_price_per_worker_only_where_density_rises_by_a_relevant_margin(glance_runs):
    """The large option's price is quoted; the small one (below the density threshold in the
    headline table) and the one identical to the baseline get a dash."""
    _base, _options, out = glance_runs
    page = (out / "index.html").read_text(encoding="utf-8")
    part = page[page.index('id="glance-table"') :]
    rows = part[: part.index("</table>")].split("<tr>")[3:]  # the head, the baseline
    last_cells = [re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S)[-1] for r in rows]
    assert "$" in last_cells[0]
    assert last_cells[1] == "—" and last_cells[2] == "—"
    table = pd.read_csv(out / "glance.csv")
    small = table[(table["option"] == "small") & (table["item"] == "per_worker")].iloc[0]
    assert small["status"] == "no gain"  # it adds workers in every replicate: the reading's dash


def test_ranking_keeps_the_order_of_ties_and_puts_missing_values_last():
    table = pd.DataFrame(
        {"option": ["a", "b", "c", "d"], "item": "workers", "median": [5.0, np.nan, 9.0, 5.0]}
    )
    assert glance.ranked(table, ["a", "b", "c", "d"]) == ["c", "a", "d", "b"]


def _ctx(total, parts):
    glance_table = pd.DataFrame(
        {
            "option": "opt",
            "item": ["spending"],
            "median": [total[0]],
            "p5": [total[1]],
            "p95": [total[2]],
        }
    )
    money = pd.DataFrame(
        {"item": list(parts), "opt|change|median": [float(v) for v in parts.values()]}
    )
    return SimpleNamespace(year=2032, first=2022, glance=glance_table, money=money)


def test_an_option_message_states_all_the_public_money_it_spends():
    """The total is the glance table's (incentives, compensation and extra training, the
    package's training expansion among them); each part above the money threshold for the
    period is named with its sign."""
    run = SimpleNamespace(name="opt")
    parts = {"training_investment": 7.86e11, "incentive_spending": 4.35e10, "compensation_paid": 0}
    text = summary._spending(_ctx((8.3e11, 8.2e11, 8.4e11), parts), run)
    assert text == (
        "Over 2023–2032 it spends int$830 billion more public money than the baseline (90% "
        "interval int$820 billion to int$840 billion): extra training funded +int$786 billion, "
        "incentives +int$43.5 billion."
    )
    cut = {"training_investment": -4.4e7, "compensation_paid": 7.44e9}
    text = summary._spending(_ctx((7.4e9, 7.3e9, 7.5e9), cut), run)
    assert text.endswith(
        ": extra training funded −int$44.0 million, compensation +int$7.44 billion."
    )
    saving = summary._spending(_ctx((-3e9, -3.5e9, -2.5e9), {}), run)
    assert saving.startswith(  # the interval in the direction of the words, not signed
        "Over 2023–2032 it spends int$3.00 billion less public money than the baseline (90% "
        "interval int$2.50 billion to int$3.50 billion)"
    )
    assert "includes zero" in summary._spending(_ctx((2e9, -1e9, 3e9), {}), run)
    assert summary._spending(_ctx((9e6, 8e6, 1e7), {}), run) == ""  # under int$1 million a year
    assert summary._spending(_ctx((1.1e7, 1e7, 1.2e7), {}), run) != ""
    assert summary._spending(_ctx((1e9, 1e9, 1e9), {}), SimpleNamespace(name="other")) == ""


def test_the_gain_reads_as_the_headline_density_does():
    headline = pd.DataFrame(
        {
            "option": ["up", "tiny"],
            "metric": "safeguards_density",
            "change_median": [0.5, 0.05],
            "change_p5": [0.4, 0.04],
            "change_p95": [0.6, 0.06],
        }
    )
    evidence = reading.Evidence(replicates=5)
    assert glance.gain_reading(headline, evidence, "up").css == "better"
    assert glance.gain_reading(headline, evidence, "tiny").css == ""
    assert glance.gain_reading(headline, evidence, "absent").words == "not available"


def test_no_price_when_a_replicate_adds_no_worker():
    """A price per worker is a ratio of paired changes: one replicate adding nothing (or losing
    workers) would make it infinite or negative, so the option gets none."""

    def values(workers, spent):
        return pd.DataFrame(
            {
                "replicate": [0, 1, 2] * 2,
                "item": ["workers"] * 3 + ["spending"] * 3,
                "value": [*workers, *spent],
            }
        )

    base = values([100.0, 100.0, 100.0], [0.0, 0.0, 0.0])
    for added, priced in (([110.0, 120.0, 130.0], True), ([110.0, 100.0, 130.0], False)):
        table = glance.glance_table(base, [("opt", values(added, [5.0, 5.0, 5.0]))])
        assert ("per_worker" in set(table["item"])) is priced
    table = glance.glance_table(base, [("opt", values([110.0, 120.0, 130.0], [5.0, 5.0, 5.0]))])
    price = table[table["item"] == "per_worker"].iloc[0]
    assert price["median"] == pytest.approx(0.25)  # 5 / 20


def test_glance_csv_is_the_briefings_and_goes_with_it(glance_runs, tmp_path):
    """glance.csv is one of the briefing's files: a later briefing without options (no glance
    table) removes it instead of leaving the previous options' numbers as if the user's."""
    from sim.compare.folder import briefing_entry

    base_dir, option_dirs, out = glance_runs
    assert all(briefing_entry(p.name) for p in out.glob("*.csv"))
    folder = tmp_path / "brief"
    write_briefing(load_run(base_dir), [load_run(option_dirs[0])], folder, world=fake_world())
    assert (folder / "glance.csv").is_file()
    write_briefing(load_run(base_dir), [], folder, world=fake_world())
    assert not (folder / "glance.csv").exists()


def _without(run_dir, indicators):
    """The run folder as an older run that did not record `indicators` writes it."""
    return _rewritten(run_dir, lambda ind: ind[~ind["indicator"].isin(indicators)])


def _rewritten(run_dir, edit):
    """The run folder with its indicator table replaced by `edit(table)` (manifest updated)."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests.test_compare import table_records

    path = run_dir / "indicators.parquet"
    ind = edit(pd.read_parquet(path))
    pq.write_table(pa.Table.from_pandas(ind, preserve_index=False), path)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] = table_records(run_dir, "indicators.parquet", "flows.parquet")
    (run_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return run_dir


def _glance_cells(page: str) -> dict[str, list[str]]:
    """The glance table's cells by option (the baseline's row left out)."""
    part = page[page.index('id="glance-table"') :]
    part = part[: part.index("</table>")]
    rows = {}
    for row in part.split("<tbody>")[1].split("<tr>")[2:]:
        name = re.sub(r"<[^>]+>", "", re.search(r"<th[^>]*>(.*?)</th>", row).group(1))
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)[1:]  # after the rank
        rows[html.unescape(name)] = [re.sub(r"<[^>]+>", " ", c) for c in cells]
    return rows


def test_an_option_without_money_indicators_leaves_the_others_their_spending(tmp_path):
    """An option from an older run without `training_investment` has no spending (n/a, and no
    price rather than a dash that says its density does not rise); the other options keep
    theirs."""
    base = write_synthetic_run(tmp_path / "runs" / "baseline", default_scenario())
    new = write_synthetic_run(tmp_path / "runs" / "new", default_scenario(name="new"), effect=1.5)
    old = _without(
        write_synthetic_run(tmp_path / "runs" / "old", default_scenario(name="old"), effect=0.5),
        ["training_investment"],
    )
    out = tmp_path / "brief"
    write_briefing(load_run(base), [load_run(new), load_run(old)], out, world=fake_world())
    cells = _glance_cells((out / "index.html").read_text(encoding="utf-8"))
    workers, _employed, _emigration, _vacancy, spend, listed, price = cells["new"]
    assert "$" in spend and "$" in listed and "$" in price
    workers, _employed, _emigration, _vacancy, spend, listed, price = cells["old"]
    assert "▲" in workers  # its density rises: a price would be quoted if it were known
    assert (spend, listed, price) == ("n/a", "n/a", "n/a")


SPENDING_INDICATORS = ("compensation_paid", "compensation_received", "incentive_spending",
                       "training_investment")  # fmt: skip


def _fake_run(values: dict[tuple[int, int, str, str], float]) -> SimpleNamespace:
    """A run whose indicator table holds `values` by (replicate, year, country, indicator)."""
    table = pd.DataFrame(
        [(r, y, c, "all", "all", i, v) for (r, y, c, i), v in values.items()],
        columns=["replicate", "year", "country", "area", "cadre", "indicator", "value"],
    )
    return SimpleNamespace(
        replicates=sorted(table["replicate"].unique()),
        table=table,
        has_indicator=lambda name: name in set(table["indicator"]),
    )


def test_glance_values_are_undefined_where_the_runs_are_not_never_a_partial_sum():
    """A NaN (a country's stock, a year's training) makes that replicate's sum NaN, not the sum
    of the rest; and with no safeguards-list countries their workers and spending are undefined
    (n/a in the table, as their density is in the headline table), not 0."""
    values = {}
    for r in (0, 1):
        for year in (2022, 2023, 2024):
            for code in ("XSR", "XEX", "XDA"):
                for indicator in (*SPENDING_INDICATORS, "stock"):
                    values[(r, year, code, indicator)] = 10.0
                values[(r, year, code, "unemployed")] = 4.0
    values[(1, 2024, "XSR", "stock")] = np.nan
    values[(1, 2023, "XDA", "training_investment")] = np.nan
    run = _fake_run(values)
    got = glance.glance_values(run, SimpleNamespace(safeguards=["XSR", "XEX"]), 2022, 2024)
    got = got.set_index(["item", "replicate"])["value"]
    assert got[("workers", 0)] == 20.0  # two countries at the horizon
    assert got[("employed", 0)] == 12.0  # of which 4 unemployed in each
    assert np.isnan(got[("employed", 1)])  # a NaN stock: no count of the employed either
    assert got[("spending", 0)] == 180.0  # three indicators, three countries, 2023-2024
    assert got[("spending_listed", 0)] == 80.0  # incentives and training, two countries
    assert np.isnan(got[("workers", 1)]) and np.isnan(got[("spending", 1)])
    assert got[("spending_listed", 1)] == 80.0  # XDA is not listed
    none_listed = glance.glance_values(run, SimpleNamespace(safeguards=[]), 2022, 2024)
    none_listed = none_listed.set_index("item")["value"]
    assert none_listed[["workers", "spending_listed"]].isna().all()
    assert none_listed["spending"].notna().any()


def test_no_dash_for_an_option_whose_density_rises_but_whose_price_is_unknown(tmp_path):
    """The dash says the option does not raise the listed countries' density; an option marked
    better whose price is unknown (a replicate's workers undefined, or one adding none) gets
    n/a instead."""

    def undefined_stock(ind):
        last = ind["year"] == ind["year"].max()
        at = (ind["indicator"] == "stock") & (ind["country"] == LISTED[0]) & last
        ind.loc[at & (ind["replicate"] == 1), "value"] = np.nan
        return ind

    base = write_synthetic_run(tmp_path / "runs" / "baseline", default_scenario())
    opt = write_synthetic_run(tmp_path / "runs" / "opt", default_scenario(name="opt"), effect=1.5)
    out = tmp_path / "brief"
    write_briefing(
        load_run(base), [load_run(_rewritten(opt, undefined_stock))], out, world=fake_world()
    )
    table = pd.read_csv(out / "glance.csv").set_index("item")
    assert table.loc["per_worker", "status"] == "unknown"
    assert np.isnan(table.loc["per_worker", "median"])
    workers, *_, price = _glance_cells((out / "index.html").read_text(encoding="utf-8"))["opt"]
    assert "▲" in workers
    assert price == "n/a"


def test_a_price_is_withheld_where_the_option_spends_nothing_and_the_file_says_why():
    """Status by option: quoted; no gain (density not marked better); no spending (under the
    money threshold for the period: int$10 million over ten years); unknown (no ratio)."""
    rows = []
    for name, spent, ratio in (
        ("a", 5e9, 1e5),
        ("b", 5e9, 1e5),
        ("c", 5e6, 100.0),
        ("d", 5e9, None),
    ):
        rows.append({"option": name, "item": "workers", "median": 5e4, "p5": 4e4, "p95": 6e4})
        rows.append(
            {"option": name, "item": "spending", "median": spent, "p5": spent, "p95": spent}
        )
        if ratio is not None:
            rows.append({"option": name, "item": "per_worker", "median": ratio, "p5": ratio,
                         "p95": ratio})  # fmt: skip
    table = pd.DataFrame(rows).assign(n=5, baseline=np.nan)
    density = {"a": 0.5, "b": 0.05, "c": 0.5, "d": 0.5}
    headline = pd.DataFrame(
        {
            "option": list(density),
            "metric": "safeguards_density",
            "change_median": list(density.values()),
            "change_p5": [v * 0.8 for v in density.values()],
            "change_p95": [v * 1.2 for v in density.values()],
        }
    )
    out = glance.annotated(table, headline, reading.Evidence(replicates=5), 10)
    price = out[out["item"] == "per_worker"].set_index("option")
    assert price["status"].to_dict() == {
        "a": "quoted", "b": "no gain", "c": "no spending", "d": "unknown"
    }  # fmt: skip
    assert price.loc["a", "median"] == 1e5
    assert price.loc[["b", "c", "d"], "median"].isna().all()
    assert price.loc["c", "note"].startswith("not quoted: the option's public spending")


def test_a_fall_in_the_fees_workers_pay_is_said_as_not_in_the_total():
    """Fee-free recruitment moves fees from workers to employers, whom the total does not
    count: the message says how much, so the total is not read as the whole cost."""
    run = SimpleNamespace(name="opt")
    parts = {"training_investment": 7.86e11, "recruitment_fees": -4.01e10}
    text = summary._spending(_ctx((8.3e11, 8.2e11, 8.4e11), parts), run)
    assert text.endswith(
        " Recruitment fees paid by workers fall by int$40.1 billion: where recruitment is "
        "fee-free, employers pay them instead, and they are not in this total."
    )
    rise = summary._spending(_ctx((8.3e11, 8.2e11, 8.4e11), {"recruitment_fees": 6.8e9}), run)
    assert "Recruitment fees" not in rise


# --------------------------------------------------------------------------------------------------
# what each figure shows, in words (sim.compare.alt)


def _alts(page: str) -> dict[str, str]:
    """The text alternative of every figure's image, by figure key."""
    found = re.findall(r'data-figure="([^"]+)"><img src="[^"]*" alt="([^"]*)"', page)
    return {key: html.unescape(alt) for key, alt in found}


def test_every_main_figure_says_its_findings_in_words(glance_runs):
    """A reader who cannot see a chart gets its numbers: each figure of the page has a text
    alternative beyond its title, with the values the tables give."""
    _base, _options, out = glance_runs
    page = (out / "index.html").read_text(encoding="utf-8")
    alts = _alts(page)
    headline = pd.read_csv(out / "headline.csv").set_index(["option", "metric"])
    tradeoff = alts["tradeoff_source_density_vs_destination_vacancies"]
    change = headline.loc[("large", "safeguards_density"), "change_median"]
    assert f"large {fmt.quote(change, 'density', signed=True)} per 10,000" in tradeoff
    for key in ("safeguards_list_density_change_2025", "corridors_largest_2025",
                "over_time_safeguards_density", "money_totals_2023_2025"):  # fmt: skip
        _title, _, said = alts[key].partition(". ")
        assert said and re.search(r"\d", said), key
    countries = alts["safeguards_list_density_change_2025"]
    assert "(large)" in countries  # the option that changes the listed countries most
    money = alts["money_totals_2023_2025"]
    assert "large: compensation paid by destinations +int$" in money


def test_a_figure_without_a_description_keeps_its_title():
    from sim.compare import alt

    ctx = SimpleNamespace(year=2032, first=2022)
    assert alt.describe(ctx, "agreements_delivery_against_quota") == ""


def test_the_country_chart_and_the_maps_name_no_change_they_do_not_resolve():
    """A change within two simulated workers of a country is faded (†) in the safeguards-list
    countries' chart and drawn as none on the maps: the text alternatives do not name it among
    the largest. The emigration map shows a year's flow: 'in 2032', not 'at the end of'."""
    from sim.compare import alt

    steps = {"density": {"SML": 5.0, "BIG": 0.01}, "emigration": {"SML": 5.0, "BIG": 0.01}}
    ctx = SimpleNamespace(
        year=2032,
        first=2022,
        options=[SimpleNamespace(name="opt")],
        per_country=pd.DataFrame(
            {"country": ["SML", "BIG"], "name": ["Small", "Big"], "opt|change|median": [3.0, 0.5]}
        ),
        map_values={"emigration": pd.DataFrame({"opt": [3.0, -0.5]}, index=["SML", "BIG"])},
        groups=SimpleNamespace(name=lambda code: {"SML": "Small", "BIG": "Big"}[code]),
        step=lambda key, code: steps[key].get(code),
    )
    countries = alt.describe(ctx, "safeguards_list_density_change_2032")
    assert "Big +0.50 (opt)" in countries and "Small" not in countries
    emigration = alt.describe(ctx, "map_emigration_change_2032")
    assert emigration.startswith("Largest changes in 2032: Big") and "Small" not in emigration


def test_an_option_message_says_how_many_of_the_workers_it_adds_have_a_post():
    """Funded posts follow budgets: an option that adds workers to the safeguards-list countries
    without raising them adds unemployed ones, and its message says how many have a post (a
    reader would otherwise quote them as added services); not where nearly all have one, nor
    where the gain is within the noise; where the workers in posts fall, it says so."""

    def message(added: float, employed: float, low: float | None = None) -> str:
        low = added * 0.9 if low is None else low
        table = pd.DataFrame(
            [
                {"option": "opt", "item": "workers", "median": added, "p5": low, "p95": added},
                {"option": "opt", "item": "employed", "median": employed, "p5": 0, "p95": 0},
            ]
        )
        ctx = SimpleNamespace(glance=table, evidence=SimpleNamespace(workers_per_agent=200.0))
        return summary._employment(ctx, SimpleNamespace(name="opt"))

    said = message(98_000.0, 1_300.0)
    assert said.startswith(
        " Of the 98,000 health workers it adds in the safeguards-list countries, about 1,300 are "
        "in funded posts; the others are unemployed (posts there follow health budgets"
    )
    assert message(5_000.0, 4_700.0) == ""  # all but 300, under two simulated workers
    assert message(-2_000.0, -2_000.0) == "" and message(float("nan"), 0.0) == ""
    assert message(3_000.0, 0.0, low=-500.0) == ""  # the gain's interval reaches below zero
    fell = message(3_000.0, -600.0)
    assert "none is in a new funded post: the workers in funded posts there change by −600" in fell
