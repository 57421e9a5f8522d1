"""Sweep files: strict validation, designs, outcomes (no Dask needed)."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main as sweep_main
from sim.errors import ScenarioError
from sim.sweep.design import build_design
from sim.sweep.execute import plan_sweep, replicate_seed
from sim.sweep.outcomes import compute_outcome, compute_outcomes
from sim.sweep.spec import OutcomeSpec, load_sweep, parse_sweep

ROOT = Path(__file__).resolve().parents[1]

TOY = """\
name: toy
model: toy
parameters:
  a: {levels: [0, 1, 2]}
  b: {levels: [0.5, 1.5]}
design: {kind: grid}
replicates: 2
outcomes: [y, z]
"""

BASE = """\
name: tiny
world: {kind: archetypes}
time: {start_year: 2023, years: 2, steps_per_year: 4}
"""


def write(tmp_path: Path, text: str, name: str = "sweep.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_sweep(write(tmp_path, text))
    return info.value


# --------------------------------------------------------------------------------------------------
# validation


def test_valid_toy_sweep(tmp_path):
    spec = load_sweep(write(tmp_path, TOY))
    assert spec.model == "toy"
    assert spec.names == ["a", "b"]
    assert spec.replicates == 2
    assert [o.name for o in spec.outcomes] == ["y", "z"]
    assert spec.design.kind == "grid"


def test_unknown_top_key_did_you_mean_with_line(tmp_path):
    err = error_of(tmp_path, TOY.replace("replicates: 2", "replicate: 2"))
    assert err.key_path == "replicate"
    assert err.line == 7
    assert "did you mean 'replicates'" in str(err)
    assert str(err).startswith(str(tmp_path / "sweep.yaml") + ":7: replicate: ")


def test_unknown_design_key_and_kind(tmp_path):
    err = error_of(tmp_path, TOY.replace("{kind: grid}", "{kind: sobel, samples: 8}"))
    assert err.key_path == "design.kind"
    assert "did you mean 'sobol'" in str(err)
    err = error_of(tmp_path, TOY.replace("{kind: grid}", "{kind: lhs, sample: 8}"))
    assert err.key_path == "design.sample"
    assert "did you mean 'samples'" in str(err)
    err = error_of(tmp_path, TOY.replace("{kind: grid}", "{kind: grid, samples: 8}"))
    assert "not used by a grid design" in str(err)


def test_types_and_ranges(tmp_path):
    err = error_of(tmp_path, TOY.replace("replicates: 2", "replicates: two"))
    assert err.key_path == "replicates" and "expected an integer" in str(err)
    err = error_of(tmp_path, TOY.replace("replicates: 2", "replicates: 0"))
    assert "out of range" in str(err)
    err = error_of(tmp_path, TOY.replace("[0, 1, 2]", "[0, x, 2]"))
    assert err.key_path == "parameters.a.levels.1"
    assert err.line == 4
    sampled = TOY.replace("{kind: grid}", "{kind: sobol, samples: 100}").replace(
        "{levels: [0, 1, 2]}", "{min: 0, max: 1}"
    )
    sampled = sampled.replace("{levels: [0.5, 1.5]}", "{min: 2, max: 1}")
    err = error_of(tmp_path, sampled)
    assert "power of 2" in str(err)
    err = error_of(tmp_path, sampled.replace("samples: 100", "samples: 64"))
    assert err.key_path == "parameters.b.max" and "must exceed min" in str(err)


def test_grid_and_sampled_parameters_are_not_mixed(tmp_path):
    err = error_of(tmp_path, TOY.replace("{levels: [0, 1, 2]}", "{min: 0, max: 1}"))
    assert "needs 'levels'" in str(err)
    text = TOY.replace("{kind: grid}", "{kind: lhs, samples: 5}")
    err = error_of(tmp_path, text)
    assert "only used by a grid design" in str(err)


def test_distribution_keys(tmp_path):
    text = TOY.replace("{kind: grid}", "{kind: lhs, samples: 5}")
    text = text.replace("{levels: [0, 1, 2]}", "{distribution: normal, mean: 1, sd: 0.2}")
    text = text.replace("{levels: [0.5, 1.5]}", "{distribution: triangular, min: 0, max: 1}")
    err = error_of(tmp_path, text)
    assert err.key_path == "parameters.b" and "missing required key 'mode'" in str(err)
    err = error_of(tmp_path, text.replace("max: 1}", "max: 1, mode: 0.2, sd: 1}"))
    assert err.key_path == "parameters.b.sd"
    err = error_of(tmp_path, text.replace("normal", "gaussian"))
    assert err.key_path == "parameters.a.distribution"


def test_model_must_exist(tmp_path):
    err = error_of(tmp_path, TOY.replace("model: toy", "model: tyo"))
    assert err.key_path == "model" and "did you mean 'toy'" in str(err)
    err = error_of(tmp_path, TOY.replace("model: toy", "model: 'no_such_module:f'"))
    assert err.key_path == "model" and "do not import" in str(err)


def test_a_sweep_file_never_imports_a_module(tmp_path, monkeypatch):
    """`model: module:function` is refused before any import (it ran commands before)."""
    import importlib
    import sys

    imported = []
    real = importlib.import_module
    monkeypatch.setattr(importlib, "import_module", lambda n, *a: imported.append(n) or real(n, *a))
    for model in ("subprocess:run", "os:system", "tests.sweep_models:toy", "sim.cli:main"):
        text = TOY.replace("model: toy", f"model: '{model}'")
        err = error_of(tmp_path, text)
        assert err.key_path == "model", model
    assert "subprocess" not in imported and "os" not in imported
    assert sys.modules.get("no_such_module") is None


def test_outcome_names(tmp_path):
    err = error_of(tmp_path, TOY.replace("[y, z]", "[y, y]"))
    assert "duplicate outcome name" in str(err)
    err = error_of(tmp_path, TOY.replace("[y, z]", "[a]"))
    assert "also a parameter" in str(err)
    err = error_of(tmp_path, TOY.replace("[y, z]", "[point_id]"))
    assert "invalid outcome name" in str(err)


def test_duplicate_keys_are_errors(tmp_path):
    err = error_of(tmp_path, TOY.replace("  b: {levels: [0.5, 1.5]}", "  a: {levels: [0.5]}"))
    assert err.key_path == "parameters.a" and err.line == 5 and "duplicate key" in str(err)


def test_malformed_yaml_names_line(tmp_path):
    err = error_of(tmp_path, TOY.replace("replicates: 2", "replicates: [2"))
    assert err.line is not None and "malformed YAML" in str(err)


def hrhsim_sweep(tmp_path: Path, parameters: str, extra: str = "") -> str:
    write(tmp_path, BASE, "base.yaml")
    return f"""\
base: base.yaml
fixed:
  policies.compensation.enabled: true
parameters:
{parameters}
design: {{kind: grid}}
outcomes:
  - name: sg_density
    indicator: density
    countries: safeguards
{extra}"""


def test_hrhsim_parameter_paths_checked_against_base(tmp_path):
    text = hrhsim_sweep(tmp_path, "  behaviour.wage_wieght: {levels: [1.0, 2.0]}")
    err = error_of(tmp_path, text)
    assert err.key_path == "parameters.behaviour.wage_wieght"
    assert err.line == 5
    assert "did you mean 'wage_weight'" in str(err)
    text = hrhsim_sweep(tmp_path, "  policies.retention.enabled: {levels: [0, 1]}")
    err = error_of(tmp_path, text)
    assert "not a numeric key" in str(err)


def test_hrhsim_levels_out_of_schema_range(tmp_path):
    text = hrhsim_sweep(tmp_path, "  policies.ethical_recruitment.passive_rate: [0.5, 1.5]")
    err = error_of(tmp_path, text)
    assert err.key_path == "parameters.policies.ethical_recruitment.passive_rate.levels.1"
    assert "out of range" in str(err)
    assert err.file == str(tmp_path / "sweep.yaml")


def test_hrhsim_fixed_is_validated(tmp_path):
    text = hrhsim_sweep(tmp_path, "  behaviour.wage_weight: [1.0, 2.0]")
    err = error_of(tmp_path, text.replace("enabled: true", "enabled: maybe"))
    assert err.key_path == "fixed.policies.compensation.enabled"
    assert err.line == 3
    err = error_of(tmp_path, text.replace("compensation.enabled", "compensaton.enabled"))
    assert "did you mean 'compensation'" in str(err)


def test_hrhsim_outcome_checks(tmp_path):
    text = hrhsim_sweep(tmp_path, "  behaviour.wage_weight: [1.0, 2.0]")
    err = error_of(tmp_path, text.replace("indicator: density", "indicator: densty"))
    assert err.key_path == "outcomes.0.indicator" and "did you mean 'density'" in str(err)
    err = error_of(tmp_path, text.replace("countries: safeguards", "countries: [XSR, QQQ]"))
    assert err.key_path == "outcomes.0.countries.1" and "unknown country code" in str(err)
    err = error_of(tmp_path, text + "    combine: sum\n    weight: population\n")
    assert err.key_path == "outcomes.0.weight"
    err = error_of(tmp_path, text + "    year: [2030, 2025]\n")
    assert "before its start" in str(err)


def test_hrhsim_integer_parameter_and_point_validation(tmp_path):
    text = hrhsim_sweep(tmp_path, "  time.years: [1, 2.5]")
    err = error_of(tmp_path, text)
    assert "takes integers" in str(err)
    spec = load_sweep(write(tmp_path, hrhsim_sweep(tmp_path, "  time.years: [1, 2]")))
    plan = plan_sweep(spec)
    assert [t.scenario.data["time"]["years"] for t in plan.tasks] == [1, 2]
    assert all(isinstance(t.params["time.years"], int) for t in plan.tasks)
    assert all(t.scenario.data["policies"]["compensation"]["enabled"] for t in plan.tasks)
    assert len({t.key for t in plan.tasks}) == 2


def test_cli_exit_status_2_on_invalid_sweep(tmp_path, capsys):
    path = write(tmp_path, TOY.replace("replicates: 2", "replicatez: 2"))
    assert sweep_main(["sweep", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{path}:7: replicatez: unknown key" in err
    assert not (tmp_path / "out").exists()


def test_cli_dry_run(tmp_path, capsys):
    path = write(tmp_path, TOY)
    assert sweep_main(["sweep", str(path), "-o", str(tmp_path / "out"), "--dry-run"]) == 0
    assert "6 points x 2 replicate(s) = 12 runs; 0 already done" in capsys.readouterr().out


def test_examples_validate():
    for path in sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml")):
        spec = load_sweep(path)
        plan = plan_sweep(spec)
        assert len(plan.tasks) == len(plan.design) * spec.replicates
    grid = load_sweep(ROOT / "scenarios" / "sweeps" / "compensation_x_passive.yaml")
    assert len(build_design(grid)) == 25
    assert grid.base.data["policies"]["ethical_recruitment"]["enabled"]
    assert grid.base.data["policies"]["compensation"]["enabled"]
    sobol = load_sweep(ROOT / "scenarios" / "sweeps" / "sobol_behaviour.yaml")
    assert sobol.design.kind == "sobol" and len(sobol.parameters) == 5


# --------------------------------------------------------------------------------------------------
# designs


def test_grid_design_is_the_product_in_order(tmp_path):
    design = build_design(load_sweep(write(tmp_path, TOY)))
    assert design.points.to_dict("list") == {
        "a": [0.0, 0.0, 1.0, 1.0, 2.0, 2.0],
        "b": [0.5, 1.5, 0.5, 1.5, 0.5, 1.5],
    }


@pytest.mark.parametrize(("kind", "n_points"), [("lhs", 16), ("sobol", 16 * 4), ("morris", 16 * 3)])
def test_sampled_designs(tmp_path, kind, n_points):
    text = f"""\
model: toy
parameters:
  a: {{min: 2, max: 5}}
  b: {{min: -1, max: 0}}
design: {{kind: {kind}, samples: 16, seed: 3}}
"""
    spec = load_sweep(write(tmp_path, text))
    d1, d2 = build_design(spec), build_design(spec)
    assert len(d1) == n_points
    pd.testing.assert_frame_equal(d1.points, d2.points)  # deterministic given the seed
    assert d1.points["a"].between(2, 5).all() and d1.points["b"].between(-1, 0).all()
    np.testing.assert_allclose(d1.points["a"], 2 + 3 * d1.unit[:, 0])


def test_distributions(tmp_path):
    text = """\
model: toy
parameters:
  n: {distribution: normal, mean: 10, sd: 2}
  t: {distribution: triangular, min: -4, max: -1, mode: -3}
  g: {distribution: loguniform, min: 1, max: 100}
  c: {distribution: normal, mean: 0, sd: 1, min: 0, max: 1}
design: {kind: lhs, samples: 4000, seed: 1}
"""
    points = build_design(load_sweep(write(tmp_path, text))).points
    assert abs(points["n"].mean() - 10) < 0.05 and abs(points["n"].std() - 2) < 0.05
    assert points["t"].between(-4, -1).all()
    assert abs(points["t"].mean() - (-4 - 1 - 3) / 3) < 0.02
    assert points["g"].between(1, 100).all() and abs(np.log10(points["g"]).mean() - 1) < 0.02
    assert points["c"].between(0, 1).all()


def test_replicate_seeds_match_a_plain_run():
    seeds = np.random.SeedSequence(42).spawn(3)
    for r in range(3):
        ss, as_int = replicate_seed(42, r)
        assert ss.spawn_key == seeds[r].spawn_key
        assert as_int == int(seeds[r].generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


# --------------------------------------------------------------------------------------------------
# outcomes


def _indicators() -> pd.DataFrame:
    """Two countries, three years; A: 100 workers / 1,000 people, B: 30 / 2,000 (year 2024)."""
    rows = []
    for year, scale in ((2022, 1.0), (2023, 1.0), (2024, 2.0)):
        for country, stock, pop in (("AAA", 100.0, 1000.0), ("BBB", 30.0, 2000.0)):
            stock *= scale
            for cadre in ("doctors", "nurses", "all"):
                share = {"doctors": 0.25, "nurses": 0.75, "all": 1.0}[cadre]
                rows.append((year, country, "all", cadre, "stock", stock * share))
                rows.append((year, country, "all", cadre, "density", stock * share / pop * 1e4))
            rows.append((year, country, "all", "all", "emigrants", 10.0 * scale))
        rows.append((year, "WLD", "all", "all", "countries_below_44_5", 1.0 + (year == 2024)))
    frame = pd.DataFrame(rows, columns=["year", "country", "area", "cadre", "indicator", "value"])
    frame.insert(0, "replicate", 0)
    return frame


def test_population_weighted_density():
    ind = _indicators()
    o = OutcomeSpec(name="d", indicator="density", combine="mean", weight="population")
    value = compute_outcome(ind, o, ["AAA", "BBB"])
    assert math.isclose(value, (200 + 60) / 3000 * 1e4)
    o = OutcomeSpec(name="d", indicator="density", combine="mean", weight="none")
    assert math.isclose(compute_outcome(ind, o, ["AAA", "BBB"]), (2000 + 300) / 2)
    o = OutcomeSpec(
        name="d", indicator="density", cadre="doctors", combine="mean", weight="population"
    )
    assert math.isclose(compute_outcome(ind, o, ["AAA", "BBB"]), 0.25 * 260 / 3000 * 1e4)


def test_windows_and_stats():
    ind = _indicators()
    total = OutcomeSpec(name="e", indicator="emigrants", year="all", stat="sum")
    assert compute_outcome(ind, total, ["AAA"], start_year=2023) == 10 + 20
    assert compute_outcome(ind, total, ["AAA", "BBB"], start_year=2023) == 60
    window = OutcomeSpec(name="e", indicator="emigrants", year=(2022, 2023), stat="mean")
    assert compute_outcome(ind, window, ["AAA", "BBB"]) == 20
    last = OutcomeSpec(name="e", indicator="emigrants", year=(2022, 2024), stat="last")
    assert compute_outcome(ind, last, ["BBB"]) == 20
    world = OutcomeSpec(name="w", indicator="countries_below_44_5", countries="world")
    assert compute_outcome(ind, world, ["WLD"]) == 2
    with pytest.raises(ValueError, match="no results in year 2030"):
        compute_outcome(ind, OutcomeSpec(name="x", indicator="stock", year=2030), ["AAA"])


def test_parse_sweep_without_file():
    spec = parse_sweep(TOY)
    assert spec.path is None and spec.name == "toy"


@pytest.mark.parametrize("command", ["sweep", "sensitivity"])
def test_hrhsim_cli_wiring(tmp_path, capsys, command):
    """`hrhsim sweep` and `hrhsim sensitivity` are commands of the one CLI."""
    from sim.cli import app as cli

    if command == "sweep":
        path = write(tmp_path, TOY)
        assert cli.main(["sweep", str(path), "-o", str(tmp_path / "o"), "--dry-run"]) == 0
        assert "12 runs" in capsys.readouterr().out
        bad = write(tmp_path, TOY.replace("replicates: 2", "replicatez: 2"), "bad.yaml")
        assert cli.main(["sweep", str(bad)]) == 2
        assert f"{bad}:7: replicatez: unknown key" in capsys.readouterr().err
    else:
        assert cli.main(["sensitivity", str(tmp_path / "nowhere")]) == 2
        assert "nowhere: no such folder" in capsys.readouterr().err
        path = write(tmp_path, TOY)
        assert cli.main(["sensitivity", str(path)]) == 2
        assert f"{path}: not a folder" in capsys.readouterr().err
        assert cli.main(["sensitivity", str(tmp_path)]) == 2
        assert "not a sweep folder (no sweep.json)" in capsys.readouterr().err


def test_no_python_m_sim_sweep_entry():
    """One command line: the sweep commands have no second entry point."""
    import importlib.util

    assert importlib.util.find_spec("sim.sweep.__main__") is None


def test_seed_and_replicates_cannot_be_swept(tmp_path):
    for path in ("seed", "replicates"):
        err = error_of(tmp_path, hrhsim_sweep(tmp_path, f"  {path}: [1, 2]"))
        assert err.key_path == f"parameters.{path}" and "cannot be swept" in str(err)


def test_outcome_year_outside_the_run_is_an_error(tmp_path):
    text = hrhsim_sweep(tmp_path, "  behaviour.wage_weight: [1.0, 2.0]")
    err = error_of(tmp_path, text + "    year: 2030\n")
    assert err.key_path == "outcomes.0.year" and "outside the base scenario's results" in str(err)


def test_sampled_integer_parameters_are_uniform_over_the_integers():
    from sim.sweep.spec import ParameterSpec

    p = ParameterSpec(path="time.years", distribution="uniform", min=1, max=3, integer=True)
    values = p.transform((np.arange(3000) + 0.5) / 3000)
    counts = np.bincount(values.astype(int))[1:]
    assert counts.tolist() == [1000, 1000, 1000]


def test_population_weights_include_places_without_health_workers():
    rows = []
    for country, pop, stock in (("AAA", 1000.0, 100.0), ("BBB", 3000.0, 0.0)):
        rows += [
            dict(
                year=2030,
                country=country,
                area="all",
                cadre="all",
                indicator="population",
                value=pop,
            ),
            dict(
                year=2030, country=country, area="all", cadre="all", indicator="stock", value=stock
            ),
            dict(
                year=2030,
                country=country,
                area="all",
                cadre="all",
                indicator="density",
                value=stock / pop * 1e4,
            ),
        ]
    ind = pd.DataFrame(rows)
    ind.insert(0, "replicate", 0)
    o = OutcomeSpec(name="d", indicator="density", combine="mean", weight="population")
    assert math.isclose(compute_outcome(ind, o, ["AAA", "BBB"]), 100 / 4000 * 1e4)


def test_registry_outcomes_are_named_and_validated(tmp_path):
    text = hrhsim_sweep(tmp_path, "  behaviour.wage_weight: [1.0, 2.0]")
    extra = (
        "  - safeguards_density\n"
        "  - {name: sg_emig, outcome: safeguards_emigration, year: all, stat: sum}\n"
    )
    spec = load_sweep(write(tmp_path, text + extra))
    by_name = {o.name: o for o in spec.outcomes}
    assert by_name["safeguards_density"].outcome == "safeguards_density"
    assert by_name["safeguards_density"].indicator is None
    assert (by_name["sg_emig"].outcome, by_name["sg_emig"].stat) == ("safeguards_emigration", "sum")
    assert by_name["sg_density"].outcome is None  # an indicator query stays a query
    err = error_of(tmp_path, text + "  - {name: x, outcome: safeguard_density}\n")
    assert err.key_path == "outcomes.1.outcome" and "did you mean 'safeguards_density'" in str(err)
    err = error_of(tmp_path, text + "  - {name: safeguards_density, countries: destinations}\n")
    assert err.key_path == "outcomes.1.countries" and "registry outcome" in str(err)
    err = error_of(tmp_path, text + "  - {name: y, outcome: world_stock, indicator: stock}\n")
    assert err.key_path == "outcomes.1.outcome"


def test_registry_outcome_equals_the_population_weighted_query():
    """Density in safeguards-list countries: the registry outcome and the weighted query agree."""
    ind = _indicators()
    countries = {"safeguards": ["AAA", "BBB"], "destinations": []}.get
    registry = OutcomeSpec(name="d", outcome="safeguards_density")
    query = OutcomeSpec(name="q", indicator="density", combine="mean", weight="population")
    values = compute_outcomes(ind, [registry, query], lambda s: countries(s, ["AAA", "BBB"]))
    assert math.isclose(values["d"], (200 + 60) / 3000 * 1e4)
    assert math.isclose(values["d"], values["q"])
    window = OutcomeSpec(name="e", outcome="safeguards_emigration", year="all", stat="sum")
    assert compute_outcomes(ind, [window], lambda s: ["AAA"], start_year=2023)["e"] == 30
