"""scripts/validation.py: the growth check of the foreign-trained stocks, and a clear stop on a
results folder written before some of today's parameters existed."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.inputs.world import load_world
from sim.runner import load_results, run_scenario
from tests.model_helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import validation

SCRIPT = ROOT / "scripts" / "validation.py"


def run_script(results, out) -> subprocess.CompletedProcess:
    """`python scripts/validation.py --results RESULTS --out OUT`, its output captured."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--results", str(results), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )


def _stock(rows: dict) -> pd.Series:
    index = pd.MultiIndex.from_tuples(list(rows), names=["origin", "country"])
    return pd.Series(list(rows.values()), index=index, dtype=float)


@settings(max_examples=50, deadline=None)
@given(
    start=st.floats(1.0, 1e6),
    factor=st.floats(0.01, 100.0),
    years=st.integers(1, 30),
)
def test_annual_growth_compounds_back_to_the_end(start, factor, years):
    rate = validation.annual_growth(start, start * factor, years)
    assert np.isclose(start * (1 + rate) ** years, start * factor, rtol=1e-9)


def test_growth_check_lists_the_fastest_corridors_over_the_floor():
    start = _stock({("IND", "DEU"): 2_000, ("IND", "GBR"): 20_000, ("NGA", "GBR"): 500,
                    ("PHL", "USA"): 100_000, ("PHL", "SAU"): 50_000})  # fmt: skip
    end = _stock({("IND", "DEU"): 8_000, ("IND", "GBR"): 22_000, ("NGA", "GBR"): 5_000,
                  ("PHL", "USA"): 90_000, ("PHL", "SAU"): 40_000})  # fmt: skip
    facts = {"doctors_stock_start": start, "doctors_stock_end": end,
             "start_year": 2022, "end_year": 2032}  # fmt: skip
    text, out = validation.growth_check(facts, "doctors")
    corridors = list(out["fastest"].index)
    # NGA → GBR grows fastest but starts below the floor; the others in order of growth.
    assert corridors == [("IND", "DEU"), ("IND", "GBR"), ("PHL", "USA"), ("PHL", "SAU")]
    assert np.isclose(out["fastest"].growth.iloc[0], 4**0.1 - 1)
    # The OECD total: every corridor into a member (not Saudi Arabia), the one under the floor
    # too: 122,500 → 125,000.
    assert np.isclose(out["model"], (125_000 / 122_500) ** 0.1 - 1)
    assert np.isclose(out["published"], 1.5**0.1 - 1)
    assert "IND → DEU | 2,000 | 8,000 | 14.9%" in "\n".join(text)


def test_missing_parameters_names_each_new_leaf():
    current = {"behaviour": {"a": 1, "b": {"x": 1, "y": 2}}, "hazards": {"c": 1}, "time": {"t": 1}}
    recorded = {"behaviour": {"a": 1, "b": {"x": 1}}, "time": {}}
    assert validation.missing_parameters(recorded, current) == ["behaviour.b.y", "hazards.c"]
    assert validation.missing_parameters(current, current) == []


@pytest.mark.slow
def test_an_older_results_folder_stops_with_a_clear_message(tmp_path):
    """A run whose recorded scenario lacks a parameter of today's model: the script names the
    folder and the parameter and says how to go on, instead of a KeyError deep in the model."""
    scenario = validation.load_scenario(validation.BASELINE).with_overrides(
        {"time.years": 1, "time.spin_up_from": None, "scale.workers_per_agent": 4000}
    )
    run = tmp_path / "run"
    run_scenario(scenario, run, replicates=1)
    manifest = json.loads((run / "manifest.json").read_text())
    del manifest["scenario"]["behaviour"]["origin_size_weight"]
    (run / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "validation.md"
    proc = run_script(run, out)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert str(run) in proc.stderr and "behaviour.origin_size_weight" in proc.stderr
    assert "python scripts/validation.py" in proc.stderr
    assert not out.exists()
    shutil.rmtree(run)


def test_a_results_folder_without_arrivals_stops_with_a_clear_message(tmp_path):
    """A run written before arrivals.parquet existed: the checks read it, so the script names the
    folder and the table instead of failing on an empty table."""
    data = validation.load_scenario(validation.BASELINE).data
    results = SimpleNamespace(manifest={"scenario": data, "git_commit": "abc"})
    with pytest.raises(SystemExit, match=r"run.*arrivals\.parquet.*Run the baseline again"):
        validation.check_results_folder(tmp_path / "run", results)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "arrivals.parquet").write_bytes(b"")
    validation.check_results_folder(tmp_path / "run", results)  # nothing missing


ARRIVAL_COLUMNS = ["replicate", "year", "origin", "country", "cadre", "workers"]


def test_register_joiners_count_by_country_of_training_with_zeros():
    """Nigeria-trained nurses joining the UK (whether from Nigeria or moving on from elsewhere:
    the arrivals table already counts them under Nigeria), a year without any counted as 0."""
    arrivals = pd.DataFrame(
        [(0, 2023, "NGA", "GBR", "nurses", 300.0), (0, 2024, "NGA", "GBR", "nurses", 100.0),
         (1, 2023, "NGA", "GBR", "nurses", 600.0),  # replicate 1: nothing in 2024
         (0, 2023, "NGA", "GBR", "doctors", 999.0), (0, 2023, "NGA", "IRL", "nurses", 999.0),
         (0, 2026, "NGA", "GBR", "nurses", 999.0)],
        columns=ARRIVAL_COLUMNS,
    )  # fmt: skip
    got = validation.register_joiners(arrivals, "NGA", "GBR", "nurses", range(2023, 2025), 3)
    assert got == 200.0  # the median of 200, 300 and 0 (replicate 2 has no row at all)


def test_the_philippines_sentence_leaves_out_the_usa_and_reads_saudi_arabias_share():
    arrivals = pd.DataFrame(
        [(0, 2023, "PHL", "SAU", "nurses", 300.0), (1, 2023, "PHL", "SAU", "nurses", 300.0),
         (0, 2024, "PHL", "GBR", "nurses", 200.0), (0, 2023, "PHL", "ARE", "nurses", 200.0),
         (0, 2023, "PHL", "USA", "nurses", 5000.0), (0, 2023, "PHL", "PHL", "nurses", 5000.0),
         (0, 2023, "PHL", "SAU", "doctors", 999.0), (0, 2026, "PHL", "GBR", "nurses", 999.0)],
        columns=ARRIVAL_COLUMNS,
    )  # fmt: skip
    shares = validation.destination_shares(arrivals, "PHL", "nurses", range(2023, 2025))
    assert shares.to_dict() == {
        "USA": 5000 / 6000,
        "SAU": 0.1,
        "GBR": 200 / 6000,
        "ARE": 200 / 6000,
    }
    text = " ".join(validation.philippines_sentence(arrivals, range(2023, 2025)))
    assert "SAU 60%" in text and "the Gulf 80%" in text and "about as often as" in text
    fewer = arrivals[arrivals.country != "SAU"]
    assert "less often than" in " ".join(validation.philippines_sentence(fewer, range(2023, 2025)))


def test_composition_check_reads_arrivals_by_country_of_training():
    """Norway's established origins (the OECD's 2018 table) against its arrivals: a Norwegian
    coming home is no arrival, so only the rows given count."""
    from composition_targets import established_shares

    table = established_shares(pd.read_csv(ROOT / "sim" / "data" / "ftd_doctors_2018.csv"))
    established = list(table.loc["NOR"].established)
    outsider = next(c for c in ("YEM", "COD", "BRA") if c not in established)
    arrivals = pd.DataFrame(
        [(0, 2023, established[0], "NOR", "doctors", 300.0),
         (0, 2024, outsider, "NOR", "doctors", 100.0),
         (0, 2023, outsider, "NOR", "nurses", 999.0)],
        columns=ARRIVAL_COLUMNS,
    )  # fmt: skip
    text, facts = validation.composition_check(arrivals)
    assert facts["NOR"] == pytest.approx(0.75)
    assert "by country of training" in "\n".join(text)


def test_onward_share_is_the_onward_arrivals_over_the_immigrants():
    rows = [
        (r, 2023, c, "all", "nurses", name, v)
        for r, (onward, immigrants) in enumerate([(10.0, 100.0), (30.0, 100.0), (20.0, 100.0)])
        for c, name, v in (("GBR", "onward_arrivals", onward), ("GBR", "immigrants", immigrants),
                           ("USA", "onward_arrivals", 0.0), ("USA", "immigrants", 100.0),
                           ("WLD", "immigrants", 999.0))
    ]  # fmt: skip
    ind = pd.DataFrame(rows, columns=["replicate", "year", "country", "area", "cadre",
                                      "indicator", "value"])  # fmt: skip
    assert validation.onward_share(ind, ["GBR"], "nurses", range(2023, 2024)) == 0.2
    assert validation.onward_share(ind, None, "nurses", range(2023, 2024)) == 0.1  # WLD not twice
    assert np.isnan(validation.onward_share(ind.iloc[0:0], None, "nurses", range(2023, 2024)))


def test_common_language_reads_the_affinity_table():
    pairs = [("IND", "GBR"), ("IND", "DEU"), ("COD", "FRA"), ("NGA", "ESP"), ("XXX", "GBR")]
    world = load_world("global")
    assert validation.common_language(world, pairs) == [True, False, True, False, False]


def test_the_language_reading_reads_the_language_of_practice_by_cadre():
    pairs = [("PHL", "SAU"), ("EGY", "SAU"), ("IND", "GBR"), ("XXX", "SAU")]
    world = load_world("global")
    assert validation.common_language(world, pairs) == [False, True, True, False]
    assert validation.practice_language(world, pairs, "nurses") == [True, False, True, False]
    assert validation.practice_language(world, pairs, "doctors") == [True, True, True, False]
    files = load_world("archetypes")  # no table: the official language
    codes = [str(c) for c in files.iso3][:2]
    pair = [(codes[0], codes[1])]
    assert validation.practice_language(files, pair, "nurses") == validation.common_language(
        files, pair
    )


def _register_run(end: int = 2032, phl: tuple[int, int] = (40, 60)):
    """A stand-in for validation.Run: two replicates of the UK's nurses at the end of 2024."""
    rows = []
    for replicate, (own, ind, filipino) in enumerate([(700, 200, phl[0]), (800, 240, phl[1])]):
        for origin, workers in (("GBR", own), ("IND", ind), ("PHL", filipino), ("NGA", 60)):
            rows.append((replicate, 2024, origin, "GBR", "nurses", workers))
        rows.append((replicate, 2024, "IND", "GBR", "doctors", 999))  # another cadre
        rows.append((replicate, 2023, "IND", "GBR", "nurses", 999))  # another year
    stocks = pd.DataFrame(rows, columns=["replicate", "year", "origin", "country", "cadre",
                                         "workers"])  # fmt: skip
    return SimpleNamespace(stocks=stocks, start=2023, end=end, world=load_world("global"),
                           first=2020)  # fmt: skip


def test_uk_register_check_reads_the_uk_nurses_in_2024_and_splits_india_by_language():
    start = _stock({("IND", "GBR"): 100, ("IND", "DEU"): 10, ("IND", "SAU"): 1_000,
                    ("PHL", "DEU"): 50})  # fmt: skip
    end = _stock({("IND", "GBR"): 150, ("IND", "DEU"): 40, ("IND", "SAU"): 5_000,
                  ("PHL", "DEU"): 500})  # fmt: skip
    facts = {"nurses_stock_start": start, "nurses_stock_end": end}
    text, out = validation.uk_register_check(_register_run(), facts)
    assert out["IND"] == (220.0, 67_576)  # the median of 200 and 240
    assert out["PHL"] == (50.0, 50_180)
    assert out["NGA"] == (60.0, 14_815)
    # foreign-trained shares 300/1,000 and 360/1,160: the median is their mean
    assert np.isclose(out["share"][0], (0.3 + 360 / 1160) / 2)
    # India's nurses only, OECD members only (not Saudi Arabia): English-speaking UK, Germany
    assert out["language"] == (100.0, 150.0)
    assert out["other"] == (10.0, 40.0)
    assert "(4.00-fold)" in "\n".join(text)
    # the Philippines' corridor: 50 at the end of 2024 against its start in the world data
    assert "shrinking while the register's grew to 50,180 (the stocks alone" in "\n".join(text)


def test_the_register_growth_reads_the_last_count_before_the_initial_state():
    count, years = validation.register_growth()
    assert count == 57_303  # C36b, 31 March 2020
    assert np.isclose(years, 1_644 / 365.25)  # to 30 September 2024


def test_uk_register_check_compares_the_growth_of_the_philippines_and_india_in_the_uk():
    facts = {"nurses_stock_start": _stock({("IND", "GBR"): 1}),
             "nurses_stock_end": _stock({("IND", "GBR"): 1})}  # fmt: skip
    run = _register_run(phl=(40_000, 60_000))  # medians: 50,000 and India's 220
    w = run.world
    start = sum(float(w.initial_foreign_trained[w.index(o), w.index("GBR"), 1])
                for o in ("PHL", "IND"))  # fmt: skip
    text, out = validation.uk_register_check(run, facts)
    model, register = out["uk_decade"]
    assert np.isclose(model, (50_220 / start) ** (10 / 5))  # 2020-2024: five simulated years
    assert np.isclose(register, (117_756 / 57_303) ** (10 / (1_644 / 365.25)))
    assert f"{register:.2f}-fold a decade" in "\n".join(text)


def test_uk_register_check_says_where_the_origins_are_shared_wrongly(monkeypatch):
    facts = {"nurses_stock_start": _stock({("IND", "GBR"): 1}),
             "nurses_stock_end": _stock({("IND", "GBR"): 1})}  # fmt: skip
    said = "too much from Nigeria and too little from the Philippines"
    # the model's 60 Nigeria-trained nurses against 14,815: not too many
    assert said not in "\n".join(validation.uk_register_check(_register_run(), facts)[0])
    register = validation.NMC_REGISTER_2024 | {"NGA": 40}  # 60 against 40: 1.5 times
    monkeypatch.setattr(validation, "NMC_REGISTER_2024", register)
    assert said in "\n".join(validation.uk_register_check(_register_run(), facts)[0])
    # and not where the Philippines' corridor is as published (50 against 50)
    monkeypatch.setattr(validation, "NMC_REGISTER_2024", register | {"PHL": 50})
    assert said not in "\n".join(validation.uk_register_check(_register_run(), facts)[0])


def test_uk_register_check_says_when_the_philippines_corridor_grows():
    facts = {"nurses_stock_start": _stock({("IND", "GBR"): 1}),
             "nurses_stock_end": _stock({("IND", "GBR"): 1})}  # fmt: skip
    # a median of 50,000 Philippines-trained nurses in 2024, above the world data's start
    text = "\n".join(validation.uk_register_check(_register_run(phl=(40_000, 60_000)), facts)[0])
    assert "growing while the register's grew to 50,180." in text
    assert "the stocks alone" not in text


def test_uk_register_check_is_silent_when_2024_is_not_simulated():
    facts = {"nurses_stock_start": _stock({("IND", "GBR"): 1}),
             "nurses_stock_end": _stock({("IND", "GBR"): 1})}  # fmt: skip
    assert validation.uk_register_check(_register_run(end=2023), facts) == ([], {})


@pytest.fixture(scope="module")
def coarse_baseline(tmp_path_factory):
    """The shipped baseline, coarse (one replicate, 4,000 workers per agent), run once and read
    back as `validation.main` reads a results folder."""
    scenario = validation.load_scenario(validation.BASELINE).with_overrides(
        {"scale.workers_per_agent": 4000}
    )
    run = tmp_path_factory.mktemp("validation") / "baseline"
    run_scenario(scenario, run, replicates=1)
    return run


def _c_row(text: str, target: str) -> str:
    """The outflow table's row of one target (`| C06 | ... |`)."""
    (row,) = [line for line in text.splitlines() if line.startswith(f"| {target} |")]
    return row


@pytest.mark.slow
def test_the_script_writes_every_section_from_a_results_folder(coarse_baseline, tmp_path):
    """`python scripts/validation.py --results DIR --out FILE` end to end: every section, the
    artefacts' table with a status on each row, no NaN where a figure should be."""
    out = tmp_path / "validation.md"
    proc = run_script(coarse_baseline, out)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    for heading in ("## 3. The need gap", "## 12. The artefacts of issue 11, one by one"):
        assert heading in text
    artefacts = text.split("## 12.")[1]
    rows = [line for line in artefacts.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) > 20
    assert all(row.rstrip(" |").rsplit("|", 1)[1].strip() for row in rows)  # a status each
    assert "| nan |" not in text and "nan%" not in text
    assert _c_row(text, "C06").count("|") == 5


@pytest.mark.slow
def test_the_register_rows_read_the_arrivals_not_the_flows(coarse_baseline):
    """The register joiners (C05-C07, by country of training) come from `arrivals.parquet`:
    tripling the Philippines' nurse arrivals in the UK triples C06's model value; tripling the
    flows leaves it as it was (the mutant "validation reads the flows at its call sites")."""
    results = load_results(coarse_baseline)

    def c06(res) -> float:
        text = "\n".join(validation.outflow_section(validation.Run(res))[0])
        return float(_c_row(text, "C06").split("|")[3].replace(",", ""))

    def tripled(table, origin_column, country_column):
        rows = (
            (table[origin_column] == "PHL")
            & (table[country_column] == "GBR")
            & (table.cadre == "nurses")
        )
        out = table.copy()
        out.loc[rows, "workers"] = out.loc[rows, "workers"] * 3
        return out

    base = c06(results)
    assert base > 0
    more_arrivals = dataclasses.replace(
        results, arrivals=tripled(results.arrivals, "origin", "country")
    )
    more_flows = dataclasses.replace(results, flows=tripled(results.flows, "origin", "destination"))
    assert c06(more_arrivals) == pytest.approx(3 * base, rel=0.02)
    assert c06(more_flows) == base


def test_the_initial_corridors_are_read_from_the_world_data():
    """The reference line of §4 is the world data's largest corridors (it was typed in and had
    gone stale: IND→GBR 19,563 after the register's count made it 22,997)."""
    world = load_world("global")
    text = validation.initial_corridors_sentence(world)
    f = world.initial_foreign_trained
    i = world.index
    assert f"PHL→USA {validation.fmt(f[i('PHL'), i('USA'), 1])}" in text
    assert f"PHL→GBR {validation.fmt(f[i('PHL'), i('GBR'), 1])}" in text
    assert text.count("→") == 10  # five a cadre
    assert validation.initial_corridors_sentence(load_world("archetypes")) == ""


def test_the_rich_origins_section_counts_their_graduates_abroad_and_the_uks_doctors_arriving():
    """§13: the stock of the six English-speaking origins' graduates working in another country
    at the start and the end (their own country left out), and the UK's doctors arriving in New
    Zealand and Australia a year."""
    stocks = pd.DataFrame(
        [
            (0, 2022, "GBR", "AUS", "doctors", 100.0),
            (0, 2022, "GBR", "GBR", "doctors", 5000.0),  # at home: not abroad
            (0, 2022, "IND", "GBR", "doctors", 900.0),  # not a rich origin
            (0, 2022, "IRL", "GBR", "nurses", 40.0),
            (0, 2032, "GBR", "AUS", "doctors", 60.0),
            (0, 2032, "IRL", "GBR", "nurses", 30.0),
        ],
        columns=["replicate", "year", "origin", "country", "cadre", "workers"],
    )
    arrivals = pd.DataFrame(
        [(0, 2025, "GBR", "AUS", "doctors", 50.0), (0, 2026, "GBR", "NZL", "nurses", 9.0)],
        columns=["replicate", "year", "origin", "country", "cadre", "workers"],
    )
    r = SimpleNamespace(stocks=stocks, arrivals=arrivals, start=2023, end=2032, replicates=1)
    text = "\n".join(validation.rich_origins_section(r))
    assert "| doctors | 100 | 60 | -40% |" in text
    assert "| nurses | 40 | 30 | -25% |" in text
    assert "NZL 0 a year" in text and "AUS 5 a year" in text  # 50 over ten years
    # A replicate without an arrival counts 0: one agent (200 workers) in one replicate of
    # three is a median of 0 a year, not 20 (the median of the replicates that had one).
    r.replicates = 3
    r.arrivals = pd.DataFrame(
        [(1, 2025, "GBR", "AUS", "doctors", 200.0)],
        columns=["replicate", "year", "origin", "country", "cadre", "workers"],
    )
    assert "AUS 0 a year" in "\n".join(validation.rich_origins_section(r))
