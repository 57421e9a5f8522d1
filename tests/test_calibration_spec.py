"""Calibration spec files, plans and the `hrhsim calibrate` command line (no model runs)."""

from __future__ import annotations

import argparse
import os
import re
import textwrap
from pathlib import Path

import pytest

from sim.calibrate.engine import make_plan
from sim.calibrate.spec import calibratable_parameters, load_spec
from sim.cli.app import main
from sim.cli.calibrate import budget
from sim.declarations import UNCERTAINTIES
from sim.errors import CalibrationError

ROOT = Path(__file__).resolve().parents[1]
RECOVERY = ROOT / "calibration" / "recovery"
TREND = "workforce.training_trend_persistence"


def _spec(tmp_path, body: str) -> Path:
    path = tmp_path / "spec.yaml"
    text = textwrap.dedent(body).replace("@REC", str(RECOVERY)).replace("@ROOT", str(ROOT))
    path.write_text(text)
    return path


BASE = """\
scenario: @ROOT/scenarios/archetypes_baseline.yaml
targets: @REC/targets.csv
mapping: @REC/mapping.yaml
parameters: [behaviour.emigrate_constant, hazards.attrition_rate.nurses]
"""
PARAMETERS = "parameters: [behaviour.emigrate_constant, hazards.attrition_rate.nurses]\n"


def test_the_shipped_specs_load_and_plan():
    spec = load_spec(ROOT / "calibration" / "global.yaml")
    # the training trend is fitted by trend.yaml (a decade's runs), the recognition pathways by
    # nothing yet (no figure identifies them), the rest here
    pathways = "behaviour.recognition_pathway_effect"
    assert set(spec.parameters) == set(calibratable_parameters()) - {TREND, pathways}
    plan = make_plan(spec)
    assert plan.runs_per_evaluation == 2  # the baseline and the paired policy run
    assert plan.screening == spec.screening.trajectories * (len(spec.parameters) + 1)
    evaluations = plan.screening + spec.waves.count * plan.per_wave + plan.checks
    assert evaluations * plan.runs_per_evaluation <= spec.budget_runs
    recovery = make_plan(load_spec(RECOVERY / "recovery.yaml"))
    assert [t.id for t in recovery.targets.fitted] == ["R01", "R02", "R03", "R04", "R06"]
    trend = make_plan(load_spec(ROOT / "calibration" / "trend.yaml"))
    assert trend.spec.parameters == (TREND,)
    assert [t.id for t in trend.targets.fitted] == ["B01", "B02"]
    # ten years: the end of 2029 over the initial state (the 2020 data, labelled 2019)
    for t in trend.targets.fitted:
        assert tuple(t.weights) == ((2029, 1.0),)
        assert t.output.denominator.year_offset == -10
    # every block spec beside them loads, plans within its budget and fits registry parameters
    for path in sorted((ROOT / "calibration").glob("*.yaml")):
        if path.name in ("fitted.yaml", "mapping.yaml", "global.yaml", "trend.yaml"):
            continue
        block = make_plan(load_spec(path))
        assert set(block.spec.parameters) <= set(calibratable_parameters()), path.name
        runs = (block.screening + block.spec.waves.count * block.per_wave + block.checks) * (
            block.runs_per_evaluation
        )
        assert runs <= block.spec.budget_runs, path.name


def test_all_means_every_numeric_uncertainty_with_a_range():
    names = set(calibratable_parameters())
    numeric = {p.name for p in UNCERTAINTIES if hasattr(p, "low") and p.low < p.high}
    assert names == numeric


def test_the_prior_is_the_registry_plausible_range(tmp_path):
    plan = make_plan(load_spec(_spec(tmp_path, BASE)))
    registry = calibratable_parameters()
    for name, lo, hi in zip(plan.prior.names, plan.prior.low, plan.prior.high, strict=True):
        assert (lo, hi) == (registry[name].low, registry[name].high)


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ("colour: red\n", "unknown key 'colour'"),
        ("parameters: [behaviour.wage_weigth]\n", "did you mean 'behaviour.wage_weight'"),
        ("screening: {levels: 3}\n", "must be even"),
        ("waves: {count: 0}\n", "out of range"),
        ("budget: {runs: 5}\n", "out of range"),
        ("set: {behaviour.emigrate_constant: -5}\n", "both calibrated and set"),
        (PARAMETERS.replace("parameters", "exclude"), "no parameter left"),
        # keys the calibration controls itself were ignored without a word
        ("set: {seed: 5}\n", "set.seed: 'seed' cannot be set: the runs' seeds come from"),
        ("set: {replicates: 50}\n", "set.replicates: 'replicates' cannot be set"),
        ("set: {uncertainty.kind: parameters}\n", "set.uncertainty.kind: 'uncertainty.kind' can"),
        ("set: {uncertainty: {kind: parameters}}\n", "set.uncertainty: 'uncertainty' cannot"),
    ],
)
def test_spec_errors_name_the_key(tmp_path, extra, needle):
    body = BASE
    key = extra.split(":")[0]
    if key == "parameters":
        body = body.replace(PARAMETERS, "")
    with pytest.raises(CalibrationError, match=needle.replace("(", r"\(")) as err:
        load_spec(_spec(tmp_path, body + extra))
    assert "spec.yaml" in str(err.value)


def test_a_missing_scenario_file_is_named(tmp_path):
    body = BASE.replace("@ROOT/scenarios/archetypes_baseline.yaml", "nowhere.yaml")
    with pytest.raises(CalibrationError, match=r"file not found: nowhere\.yaml"):
        load_spec(_spec(tmp_path, body))


def test_a_budget_too_small_for_the_plan_says_what_it_needs(tmp_path):
    spec = load_spec(_spec(tmp_path, BASE + "budget: {runs: 40}\n"))
    with pytest.raises(CalibrationError, match="at least"):
        make_plan(spec)


def test_an_invalid_override_is_a_calibration_error(tmp_path):
    spec = load_spec(_spec(tmp_path, BASE + "set:\n  time.start_year: 2023\n  time.years: 0\n"))
    with pytest.raises(CalibrationError, match="calibration scenario is invalid") as err:
        make_plan(spec)
    # named at its own line of the spec file, under `set`
    lines = (tmp_path / "spec.yaml").read_text().splitlines()
    assert err.value.key_path == "set.time.years"
    assert lines[err.value.line - 1].strip() == "time.years: 0"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("6000", ("runs", 6000.0)), ("2h", ("hours", 2.0)), ("90m", ("hours", 1.5)),
     ("1.5h", ("hours", 1.5)), ("30 min", ("hours", 0.5)), ("500 runs", ("runs", 500.0))],
)  # fmt: skip
def test_budget_arguments(text, parsed):
    assert budget(text) == parsed


@pytest.mark.parametrize("text", ["", "two hours", "-3", "0", "0h", "5 days"])
def test_bad_budget_arguments(text):
    with pytest.raises(argparse.ArgumentTypeError):
        budget(text)


def test_dry_run_prints_the_plan(capsys):
    assert main(["calibrate", str(RECOVERY / "recovery.yaml"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "5 fitted, 1 held out" in out and "runs per evaluation: 2 (baseline, pay_rise)" in out


def test_cli_errors_are_one_line_with_exit_2(tmp_path, capsys):
    assert main(["calibrate", str(tmp_path / "none.yaml")]) == 2
    assert "calibration spec not found" in capsys.readouterr().err
    assert main(["calibrate", "report"]) == 2
    assert "needs the calibration folder" in capsys.readouterr().err
    assert main(["calibrate", "report", str(tmp_path)]) == 2
    assert "not a calibration folder" in capsys.readouterr().err
    assert main(["calibrate", str(RECOVERY / "recovery.yaml"), "--budget", "soon"]) == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_specs_files_and_states_that_are_not_regular_files_are_refused(tmp_path, capsys, kind):
    def make(path: Path) -> Path:
        path.mkdir() if kind == "folder" else os.mkfifo(path)
        return path

    said = "is a folder, not a file" if kind == "folder" else "is a pipe (FIFO), not a file"
    assert main(["calibrate", str(make(tmp_path / "bad.yaml")), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert said in err and "bad.yaml" in err and "\n" not in err
    # a file the spec names: the spec's file, line and key are named, then the file
    bad = make(tmp_path / "mapping.yaml")
    body = BASE.replace("@REC/mapping.yaml", str(bad))
    with pytest.raises(CalibrationError, match=re.escape(f"mapping: {bad}: {said}")) as exc:
        load_spec(_spec(tmp_path, body))
    assert str(exc.value).startswith(f"{tmp_path / 'spec.yaml'}:3:")
    # a calibration folder whose state is not a regular file (a pipe would block a plain read)
    folder = tmp_path / "calibration"
    folder.mkdir()
    make(folder / "calibration.json")
    assert main(["calibrate", "report", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert said in err and "calibration.json" in err and "\n" not in err
    # a path that is not a folder at all is not a calibration folder
    assert main(["calibrate", "report", str(tmp_path / "bad.yaml")]) == 2
    assert "not a calibration folder" in capsys.readouterr().err


def test_another_calibration_in_the_same_folder_is_refused(tmp_path):
    """A second spec run into the first one's folder replaced its fitted.yaml and report."""
    from sim.calibrate.plan import STATE, initial_state
    from sim.outputs.results import write_json

    out = tmp_path / "out"
    out.mkdir()
    first = make_plan(load_spec(_spec(tmp_path, BASE + "name: first\n")))
    write_json(out / STATE, initial_state(out, first))
    assert initial_state(out, first)["spec"]["name"] == "first"  # the same one resumes
    other = tmp_path / "other"
    other.mkdir()
    for extra in (
        "name: second\n",
        "name: first\nseed: 99\n",
        "name: first\nset: {time.years: 3}\n",
    ):
        spec = load_spec(_spec(other, BASE + extra))
        with pytest.raises(CalibrationError, match="holds another calibration"):
            initial_state(out, make_plan(spec))


def test_a_fitted_target_the_model_leaves_undefined_stops_with_its_name(tmp_path):
    """A ratio over zero ran 560 runs, then failed with 'unexpected error: ValueError'."""
    import numpy as np
    import pandas as pd

    from sim.calibrate import engine, methods

    plan = make_plan(load_spec(_spec(tmp_path, BASE)))
    stages = engine._Stages.__new__(engine._Stages)
    stages.fitted, stages.spec = plan.targets.fitted, plan.spec
    ids = [t.id for t in plan.targets.fitted]
    rows = pd.DataFrame({f"target:{i}": np.arange(12.0) for i in ids})
    stages._check_defined(rows, "screening")  # every target defined somewhere: fine
    rows[f"target:{ids[1]}"] = np.nan
    with pytest.raises(CalibrationError, match=rf"target\(s\) {ids[1]} have no finite value"):
        stages._check_defined(rows, "screening")
    assert stages._check_defined(rows.head(3), "checks") is None  # too few runs to judge
    # and the posterior's own failure is a calibration error, not a traceback
    with pytest.raises(methods.NoSupportError):
        methods.importance_posterior(
            np.full((5, 1), 0.5),
            lambda u: np.full(len(u), -np.inf),
            None,
            np.random.default_rng(0),
            proposals=200,
            draws=10,
        )


def test_an_interrupted_calibration_says_so_in_its_state(tmp_path, monkeypatch):
    """A Ctrl-C leaves `status: interrupted` in calibration.json, not `running` (and the state
    is written: a later call resumes from it)."""
    import json

    from sim.calibrate import engine

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine._Stages, "screening", interrupted)
    out = tmp_path / "calibration"
    with pytest.raises(KeyboardInterrupt):
        engine.calibrate(load_spec(RECOVERY / "recovery.yaml"), out, client=object())
    state = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    assert state["status"] == "interrupted" and state["runs_done"] == 0
