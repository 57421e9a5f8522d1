"""Sensitivity indices through the whole pipeline: design -> Dask -> Parquet -> SALib."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main as sweep_main
from sim.errors import HrhsimError
from sim.sweep.execute import dask_client, load_runs, run_sweep
from sim.sweep.sensitivity import analyze, sensitivity
from sim.sweep.spec import load_sweep
from tests.sweep_models import ISHIGAMI_INDICES

PI = math.pi

ISHIGAMI = f"""\
name: ishigami
model: ishigami
parameters:
  x1: {{min: {-PI!r}, max: {PI!r}}}
  x2: {{min: {-PI!r}, max: {PI!r}}}
  x3: {{min: {-PI!r}, max: {PI!r}}}
design: {{kind: sobol, samples: 512, seed: 11}}
replicates: 1
outcomes: [y]
"""

MORRIS = """\
name: toy_morris
model: toy
parameters:
  a: {min: 0, max: 1}
  b: {min: 10, max: 30}
  c: {min: -1, max: 1}
design: {kind: morris, samples: 8, levels: 4, seed: 5}
replicates: 2
outcomes: [y, z]
"""


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of 2 single-threaded worker processes shared by this module."""
    with dask_client(workers=2) as c:
        yield c


def run(tmp_path: Path, text: str, client) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "sweep.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    report = run_sweep(load_sweep(path), out, client=client)
    assert report.complete, report.failed
    return out


def test_ishigami_sobol_indices_match_the_analytical_values(tmp_path, client):
    out = run(tmp_path, ISHIGAMI, client)
    assert len(load_runs(out, complete=True)) == 512 * 5
    table = analyze(out, conf_level=0.95, num_resamples=1000, seed=1).set_index("parameter")
    # Bootstrap intervals are reproducible, with the default seed (0) too.
    first, second = (analyze(out, num_resamples=200) for _ in range(2))
    pd.testing.assert_frame_equal(first, second)
    assert list(table.index) == ["x1", "x2", "x3"]
    tolerance = 0.02
    for index in ("S1", "ST"):
        for j, name in enumerate(["x1", "x2", "x3"]):
            got, ci = table.loc[name, index], table.loc[name, f"{index}_conf"]
            exact = ISHIGAMI_INDICES[index][j]
            assert 0 < ci < 0.15, (index, name, ci)
            assert abs(got - exact) <= ci + tolerance, (index, name, got, exact, ci)
    # the analytical values themselves (a = 7, b = 0.1)
    assert [round(v, 4) for v in ISHIGAMI_INDICES["S1"]] == [0.3139, 0.4424, 0.0]
    assert [round(v, 4) for v in ISHIGAMI_INDICES["ST"]] == [0.5576, 0.4424, 0.2437]

    # the CLI writes the table and the figure and prints the indices
    assert sweep_main(["sensitivity", str(out), "--outcome", "y", "--resamples", "200"]) == 0
    csv = pd.read_csv(out / "sensitivity.csv")
    assert list(csv.columns) == ["outcome", "parameter", "method", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(csv) == 3
    for suffix in (".png", ".svg"):
        assert (out / f"sensitivity{suffix}").stat().st_size > 1000


def test_morris_on_a_linear_model(tmp_path, client):
    """y = a + 2 b + 3 c + noise(replicate): mu* = coefficient x range, sigma = 0 (unit space)."""
    out = run(tmp_path, MORRIS, client)
    runs = load_runs(out, complete=True)
    assert len(runs) == 8 * 4 * 2
    # Morris trajectories revisit points: identical (parameters, replicate) share one run file
    assert runs["run_key"].nunique() == len(list((out / "runs").glob("*.parquet"))) < len(runs)
    table, files = sensitivity(out, ["y", "z"], num_resamples=100)
    y = table[table["outcome"] == "y"].set_index("parameter")
    assert y.loc["a", "mu_star"] == pytest.approx(1.0)
    assert y.loc["b", "mu_star"] == pytest.approx(2.0 * 20)
    assert y.loc["c", "mu_star"] == pytest.approx(3.0 * 2)
    assert y.loc["c", "mu"] == pytest.approx(6.0)
    assert y["sigma"].abs().max() < 1e-9
    z = table[table["outcome"] == "z"]
    assert z["mu_star"].abs().max() < 1e-12  # the noise is common to all points of a replicate
    assert [f.name for f in files] == ["sensitivity.csv", "sensitivity.png", "sensitivity.svg"]
    # the table of one outcome alone, without a figure: the figure of both is not left beside it
    table, files = sensitivity(out, ["y"], num_resamples=100, figure=False)
    assert [f.name for f in files] == ["sensitivity.csv"]
    assert set(pd.read_csv(out / "sensitivity.csv")["outcome"]) == {"y"}
    assert not (out / "sensitivity.png").exists() and not (out / "sensitivity.svg").exists()


def test_sensitivity_needs_a_sampled_complete_sweep(tmp_path, client, capsys):
    grid = run(
        tmp_path / "grid",
        "model: toy\nparameters:\n  a: [0, 1]\ndesign: {kind: grid}\noutcomes: [y]\n",
        client,
    )
    with pytest.raises(HrhsimError, match="need a sobol or morris design"):
        analyze(grid)
    assert sweep_main(["sensitivity", str(grid)]) == 2
    assert "grid design" in capsys.readouterr().err

    out = run(tmp_path / "morris", MORRIS, client)
    with pytest.raises(HrhsimError, match=r"no outcome 'yy'.*did you mean 'y'"):
        analyze(out, ["yy"])
    next((out / "runs").glob("*.parquet")).unlink()
    with pytest.raises(HrhsimError, match=r"incomplete: 1 of \d+ runs missing"):
        analyze(out)
    assert sweep_main(["sensitivity", str(tmp_path / "nowhere")]) == 2


def test_a_damaged_manifest_is_named_not_a_traceback(tmp_path, client, capsys):
    """Edits to sweep.json crashed with TypeError, ZeroDivisionError or KeyError."""
    import json
    import shutil

    out = run(tmp_path / "morris", MORRIS, client)
    pristine = json.loads((out / "sweep.json").read_text())
    damages = {
        "design is a string": {**pristine, "design": "x"},
        "design without parameters": {**pristine, "design": {"kind": "morris"}},
        "points cut to two": {**pristine, "points": pristine["points"][:2]},
        "points are not points": {**pristine, "points": [1, 2, 3]},
        "an outcome not in the runs": {**pristine, "outcomes": ["zzz"]},
    }
    for what, manifest in damages.items():
        copy = tmp_path / what.replace(" ", "_")
        shutil.copytree(out, copy)
        (copy / "sweep.json").write_text(json.dumps(manifest))
        with pytest.raises(HrhsimError, match="damaged sweep manifest") as err:
            analyze(copy, num_resamples=10)
        assert "sweep.json" in str(err.value), what
        assert sweep_main(["sensitivity", str(copy), "--resamples", "10"]) == 2, what
        assert "unexpected error" not in capsys.readouterr().err, what


def test_a_constant_outcome_has_undefined_sobol_indices(tmp_path, client, caplog):
    """z (the replicate's noise) is the same at every point: no variance to apportion."""
    sobol = MORRIS.replace("kind: morris, samples: 8, levels: 4", "kind: sobol, samples: 16")
    table = analyze(run(tmp_path, sobol, client), ["z"], num_resamples=10)
    assert len(table) == 3 and table[["S1", "ST", "S1_conf", "ST_conf"]].isna().all().all()
    assert "does not vary" in caplog.text
