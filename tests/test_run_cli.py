"""`hrhsim run`: the results-folder contract, atomic writing, CSV export, summary, errors."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.outputs.reading import read_results
from sim.outputs.results import write_table
from tests.model_helpers import ROOT, SCENARIOS

SMALL = ["--set", "time.years=2", "--replicates", "2", "--no-progress"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "base"
    assert (
        main(["run", str(SCENARIOS / "archetypes_baseline.yaml"), "-o", str(out), "--csv", *SMALL])
        == 0
    )
    return out


def test_results_folder_contract(run_dir):
    names = sorted(p.name for p in run_dir.iterdir())
    assert names == [
        "agreements.csv",
        "agreements.parquet",
        "arrivals.csv",
        "arrivals.parquet",
        "flows.csv",
        "flows.parquet",
        "indicators.csv",
        "indicators.parquet",
        "manifest.json",
        "stocks.csv",
        "stocks.parquet",
    ]
    manifest, ind, flows = read_results(run_dir)
    for key in (
        "scenario",
        "seed",
        "replicates",
        "replicate_seeds",
        "engine",
        "engine_requested",
        "package_version",
        "git_commit",
        "timings",
        "scenario_hash",
    ):
        assert key in manifest
    assert manifest["replicates"] == 2 and len(manifest["timings"]["per_replicate_s"]) == 2
    assert manifest["scenario"]["time"]["years"] == 2
    assert list(ind.columns) == [
        "replicate",
        "year",
        "country",
        "area",
        "cadre",
        "indicator",
        "value",
    ]
    assert list(flows.columns) == ["replicate", "year", "origin", "destination", "cadre", "workers"]
    assert set(ind.replicate) == {0, 1}
    assert set(ind.year) == {2022, 2023, 2024}  # initial state, then two simulated years
    assert {"urban", "rural", "all"} <= set(ind.area)
    assert {"doctors", "nurses", "all"} <= set(ind.cadre)
    schema = pq.read_schema(run_dir / "indicators.parquet")
    assert str(schema.field("value").type) == "double"
    csv = pd.read_csv(run_dir / "indicators.csv")
    assert len(csv) == len(ind)


def test_bilateral_stocks_and_agreements_in_the_results_folder(run_dir):
    """stocks.parquet (R1 of issue 11): workers by country of training and of work at the start
    and at every year end, adding up to the stock indicator; agreements.parquet (R2)."""
    _, ind, _ = read_results(run_dir)
    stocks = pd.read_parquet(run_dir / "stocks.parquet")
    assert list(stocks.columns) == ["replicate", "year", "origin", "country", "cadre", "workers"]
    assert set(stocks.year) == {2022, 2023, 2024}
    by_country = stocks.groupby(["replicate", "year", "country", "cadre"]).workers.sum()
    rows = ind[(ind.indicator == "stock") & (ind.area == "all") & (ind.cadre != "all")]
    rows = rows[rows.country != "WLD"].set_index(["replicate", "year", "country", "cadre"])
    pd.testing.assert_series_equal(
        by_country.sort_index(), rows.value[rows.value > 0].sort_index(), check_names=False
    )
    own = stocks[stocks.origin == stocks.country]
    foreign = stocks[stocks.origin != stocks.country]
    assert not own.empty and not foreign.empty
    agreements = pd.read_parquet(run_dir / "agreements.parquet")
    assert list(agreements.columns) == [
        "replicate", "year", "agreement", "source", "destination", "cadre", "quota", "hired",
    ]  # fmt: skip


def test_arrivals_in_the_results_folder(run_dir):
    """arrivals.parquet: immigrants by country of training and country entered; summed over
    origins they are the immigrants indicator, and with the returns home they are every move in
    the flows table (which counts them by the country left)."""
    _, ind, flows = read_results(run_dir)
    arrivals = pd.read_parquet(run_dir / "arrivals.parquet")
    assert list(arrivals.columns) == ["replicate", "year", "origin", "country", "cadre", "workers"]
    assert set(arrivals.year) == {2023, 2024} and not arrivals.empty  # no initial-state rows
    assert (arrivals.origin != arrivals.country).all() and (arrivals.workers > 0).all()
    keys = ["replicate", "year", "country", "cadre"]
    rows = ind[(ind.area == "all") & (ind.cadre != "all") & (ind.country != "WLD")]
    immigrants = rows[rows.indicator == "immigrants"].set_index(keys).value
    pd.testing.assert_series_equal(
        arrivals.groupby(keys).workers.sum().sort_index(),
        immigrants[immigrants > 0].sort_index(),
        check_names=False,
    )
    returns = rows[rows.indicator == "returns"].groupby(["replicate", "year"]).value.sum()
    moves = flows.groupby(["replicate", "year"]).workers.sum()
    pd.testing.assert_series_equal(
        moves, arrivals.groupby(["replicate", "year"]).workers.sum() + returns, check_names=False
    )


def test_replicates_use_spawned_seeds(run_dir):
    manifest, ind, _ = read_results(run_dir)
    spawned = np.random.SeedSequence(manifest["seed"]).spawn(2)
    assert [s[1:] for s in manifest["replicate_seeds"]] == [list(s.spawn_key) for s in spawned]
    a = ind[ind.replicate == 0].value.to_numpy()
    b = ind[ind.replicate == 1].value.to_numpy()
    assert not np.array_equal(a, b)


def test_results_are_in_workers_and_totals_add_up(run_dir):
    _, ind, _ = read_results(run_dir)
    last = ind[(ind.year == 2024) & (ind.replicate == 0) & (ind.indicator == "stock")]
    by_cadre = last[(last.area == "all") & (last.cadre != "all") & (last.country != "WLD")]
    total = last[(last.area == "all") & (last.cadre == "all") & (last.country != "WLD")]
    assert by_cadre.value.sum() == pytest.approx(total.value.sum())
    assert (total.value % 100 == 0).all()  # 100 workers per agent


def test_atomic_write_leaves_no_temporary_files_and_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "t.parquet"
    write_table(target, pd.DataFrame({"a": [1, 2]}))

    bad = pd.DataFrame({"a": [object()]})
    with pytest.raises(Exception):  # noqa: B017 - pyarrow cannot convert an arbitrary object
        write_table(target, bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.parquet"]
    assert pd.read_parquet(target).a.tolist() == [1, 2]


def test_run_prints_a_summary_table(tmp_path, capsys):
    assert (
        main(
            ["run", str(SCENARIOS / "archetypes_retention.yaml"), "-o", str(tmp_path / "r"), *SMALL]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "archetypes_retention" in out and "median" in out and "90% interval" in out
    assert "Density, safeguards-list countries" in out


def test_run_bad_override_is_a_clear_error_with_status_2(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "run",
            str(SCENARIOS / "archetypes_baseline.yaml"),
            "-o",
            str(tmp_path / "x"),
            "--set",
            "behaviour.wage_wieght=2",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 2
    assert "wage_weight" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x").exists()


def test_manifest_records_the_engine_auto_chose(tmp_path):
    assert (
        main(
            [
                "run",
                str(SCENARIOS / "archetypes_baseline.yaml"),
                "-o",
                str(tmp_path / "a"),
                "--set",
                "engine=auto",
                *SMALL,
            ]
        )
        == 0
    )
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["engine_requested"] == "auto"
    assert manifest["engine"] == "agents"  # 3,500 agents: below the threshold
    # what can change the numbers from one machine to another is recorded with them
    env = manifest["environment"]
    assert env["packages"]["numpy"] == np.__version__ and env["python"] == platform.python_version()
    assert {"numba", "pandas", "mesa"} <= {k for k, v in env["packages"].items() if v}


def test_every_indicator_written_is_declared(run_dir):
    from sim.outputs.indicators import INDICATOR_NAMES

    _, ind, _ = read_results(run_dir)
    assert set(ind.indicator) == set(INDICATOR_NAMES)


@pytest.mark.parametrize("args", [["--replicates", "0"], ["--seed", "-1"], ["--replicates", "x"]])
def test_bad_command_line_numbers_exit_2(args, capsys):
    assert main(["run", str(SCENARIOS / "archetypes_baseline.yaml"), *args]) == 2
    assert "expected a whole number" in capsys.readouterr().err


def test_an_output_path_that_is_a_link_to_a_folder_is_named_as_a_link(tmp_path, capsys):
    """`-o LINK` where LINK points at a folder: refused (a run's folder is replaced whole), and
    the message says it is a link, not 'not a folder'; the linked folder is untouched."""
    target = tmp_path / "real"
    target.mkdir()
    (target / "mine.txt").write_text("mine")
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    scenario = str(SCENARIOS / "archetypes_baseline.yaml")
    status = main(["run", scenario, "--set", "time.years=1", "--replicates", "1", "-o", str(link)])
    err = capsys.readouterr().err
    assert status == 2
    assert f"the output path {link} is a symbolic link" in err
    assert "not a link to it" in err
    assert [p.name for p in target.iterdir()] == ["mine.txt"]
