"""A calibration's state (calibration.json) through small waves and failures, without the model.

The model's runs are replaced by a smooth function of the parameters (`_fake_run`, written to
`runs/` as the real runner writes them), so a whole calibration takes seconds: screening off, one
wave of 11 evaluations (the bug: too few to validate its emulators, whose NaN diagnostics made
calibration.json unwritable, and the `finally` then hid that error behind the same one).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from sim.calibrate import engine, methods
from sim.calibrate.execute import Runner
from sim.calibrate.spec import load_spec
from sim.cli.app import main
from sim.outputs.results import write_table
from tests.test_calibration_spec import BASE, _spec

SMALL = BASE.replace(
    "parameters: [behaviour.emigrate_constant, hazards.attrition_rate.nurses]\n",
    "parameters: [behaviour.emigrate_constant]\n",
) + (
    "name: small\nseed: 3\nbudget: {runs: 30}\nscreening: false\n"
    "waves: {count: 1, pool: 1000}\n"
    "posterior: {proposals: 1000, draws: 10, checks: 2, replicates: 1}\n"
)
"""The recovery targets (one policy run: two runs per evaluation), 30 runs: 11 per wave."""


def _fake_run(self, stage, evaluations, label):
    """`Runner.run` with each evaluation's targets a smooth function of its parameters plus
    noise seeded by its key, written to `runs/` (so a later call finds them)."""
    for ev in evaluations:
        path = self.runs_dir / f"{ev.key}.parquet"
        if path.exists():
            continue
        rng = np.random.default_rng(int(ev.key[:12], 16))
        shift = 0.2 * sum(ev.params.values())
        row = {"key": ev.key, "stage": ev.stage, "index": ev.index, "replicate": ev.replicate}
        row |= {"seed": 0, "runs": 2, "elapsed_s": 0.0, "cpu_s": 0.0, "worker": "fake"}
        row |= {f"param:{k}": float(v) for k, v in ev.params.items()}
        for t in self.plan.targets.compared:
            value = t.value * math.exp(shift + 0.05 * rng.standard_normal())
            row[f"target:{t.id}"] = value
        write_table(path, pd.DataFrame([row]))
    return self.read([ev.key for ev in evaluations])


@pytest.fixture
def small(tmp_path, monkeypatch):
    """The small spec, with the model's runs replaced by `_fake_run`."""
    monkeypatch.setattr(Runner, "run", _fake_run)
    return load_spec(_spec(tmp_path, SMALL))


def _state(out) -> dict:
    return json.loads((out / "calibration.json").read_text(encoding="utf-8"))


def test_a_wave_too_small_to_validate_its_emulators_completes(small, tmp_path):
    """`hrhsim calibrate` crashed (ValueError: ... not JSON compliant: nan) after the first
    wave, leaving `status: running`; its emulators' validation is now `null`, not computed."""
    out = tmp_path / "calibration"
    planned = engine.make_plan(small)
    assert 10 <= planned.per_wave < methods.MIN_VALIDATION_RUNS  # accepted, but too few to validate
    result = engine.calibrate(small, out, client=object())
    assert result.complete, result.message
    state = _state(out)
    assert state["status"] == "complete" and "error" not in state
    emulators = state["waves"][0]["emulators"]
    assert emulators and all(e["r2"] is None and e["within_3sd"] is None for e in emulators)
    assert all(e["n_train"] == planned.per_wave for e in emulators)
    assert "not computed (under 20 runs)" in (out / "report.html").read_text(encoding="utf-8")


def test_a_failed_calibration_says_why_and_resumes(small, tmp_path, monkeypatch, capsys):
    """An error is not hidden by a state that cannot be written (a NaN in it): it propagates,
    calibration.json says `failed` with the reason (the NaN written as null, named), `report`
    says so, and the same call again resumes and completes without running anything twice."""
    out = tmp_path / "calibration"
    real = engine._Stages.posterior

    def fails(self):
        self.state["posterior"] = {"ess": float("nan")}  # a state JSON cannot hold
        raise RuntimeError("the posterior went wrong")

    monkeypatch.setattr(engine._Stages, "posterior", fails)
    with pytest.raises(RuntimeError, match="the posterior went wrong"):
        engine.calibrate(small, out, client=object())
    state = _state(out)
    assert state["status"] == "failed"
    assert state["error"].startswith("RuntimeError: the posterior went wrong; ")
    assert (
        "non-finite numbers written as null in calibration.json: posterior.ess" in (state["error"])
    )
    assert state["posterior"] == {"ess": None}
    assert state["invocations"][-1]["ended"] == "failed" and state["runs_done"] > 0

    assert main(["calibrate", "report", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not finished (it failed: RuntimeError: the posterior went wrong" in err
    assert "Traceback" not in err

    monkeypatch.setattr(engine._Stages, "posterior", real)
    stored = state["runs_done"]
    result = engine.calibrate(small, out, client=object())
    assert result.complete, result.message
    state = _state(out)
    assert state["status"] == "complete" and "error" not in state
    assert [c["ended"] for c in state["invocations"]] == ["failed", "complete"]
    assert state["runs_done"] > stored  # the checks ran now; the waves' runs were kept


def test_a_stage_saving_a_non_finite_number_does_not_stop_on_it(small, tmp_path, monkeypatch):
    """Every writer of calibration.json writes a NaN as null and names it (the stages' own saves
    too: they raised JSON's ValueError, hiding the calibration's state and its error)."""
    out = tmp_path / "calibration"

    def saves_nan(self):
        self.state["posterior"] = {"ess": float("nan")}
        self._save()
        raise RuntimeError("after the save")

    monkeypatch.setattr(engine._Stages, "posterior", saves_nan)
    with pytest.raises(RuntimeError, match="after the save"):
        engine.calibrate(small, out, client=object())
    state = _state(out)
    assert state["posterior"] == {"ess": None} and state["status"] == "failed"
    assert "posterior.ess" in state["error"]


def test_an_error_recording_the_end_does_not_hide_the_first(small, tmp_path, caplog, monkeypatch):
    """The `finally` that records how a call ended logs its own failure (here calibration.json
    replaced by a folder: the state cannot be written) and lets the error that stopped the
    calibration through."""
    out = tmp_path / "calibration"

    def fails(self):
        state = self.out / "calibration.json"
        state.unlink()
        (state / "in the way").mkdir(parents=True)
        raise RuntimeError("the waves went wrong")

    monkeypatch.setattr(engine._Stages, "waves", fails)
    with pytest.raises(RuntimeError, match="the waves went wrong"):
        engine.calibrate(small, out, client=object())
    assert "cannot record how the calibration ended" in caplog.text


def test_too_few_runs_leave_an_emulator_unvalidated():
    """Under `MIN_VALIDATION_RUNS` runs (or a draw that leaves out fewer than 2) an emulator's
    r2 and within_3sd are None, never NaN; with enough they are numbers."""
    rng = np.random.default_rng(0)
    x = rng.random((40, 1))
    y = np.sin(3 * x[:, :1]) + 0.01 * rng.standard_normal((40, 1))
    for n, expect_numbers in ((8, False), (19, False), (40, True)):
        em = methods.Emulator(("T",), seed=1).fit(x[:n], y[:n])
        (diag,) = em.diagnostics
        assert (diag.r2 is not None) is expect_numbers and (diag.within_3sd is not None) is (
            expect_numbers
        )
    flat = methods.Emulator(("T",)).fit(x[:8], np.ones((8, 1)))  # constant: not validated
    assert flat.diagnostics[0].r2 is None
    none_left_out = methods.Emulator(("T",), seed=1).fit(x, y, validate=1e-9)
    assert none_left_out.diagnostics[0].r2 is None
