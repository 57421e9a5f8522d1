"""A calibration's plan and state: the spec resolved against its scenario, and calibration.json.

`make_plan` loads the calibration scenario, reads and resolves the targets, checks the paired
policy runs, builds the uniform priors and shares the run budget among the stages; the state file
`calibration.json` records the spec, the plan, the targets and every finished stage.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibrate import methods
from sim.calibrate.mapping import load_targets
from sim.calibrate.spec import CalibrationSpec, Prior, base_scenario, prior_for
from sim.calibrate.targets import TargetSet, resolve_targets, transform
from sim.errors import CalibrationError

__all__ = [
    "RUNS",
    "STAGES",
    "STATE",
    "Plan",
    "comparison",
    "evaluations_stored",
    "initial_state",
    "load_state",
    "make_plan",
    "record_call",
    "transformed",
    "write_state",
]

log = logging.getLogger(__name__)

STATE = "calibration.json"
STATE_MAX_BYTES = 256 << 20
"""Largest calibration state read (256 MiB; a global calibration's is a few MiB at most)."""
RUNS = "runs"
STAGES = "stages"


def load_state(out_dir: str | Path) -> dict:
    """The `calibration.json` state of a calibration folder."""
    from sim.inputs.yamlio import read_regular_file

    path = Path(out_dir) / STATE
    if not Path(out_dir).is_dir() or not path.exists():
        raise CalibrationError(
            "not a calibration folder (no calibration.json)",
            file=str(out_dir),
            expected="the -o folder of `hrhsim calibrate`",
        )
    # a regular file only (a pipe named calibration.json would block a plain read)
    raw = read_regular_file(
        path, error=CalibrationError, what="calibration state", max_bytes=STATE_MAX_BYTES
    )
    try:
        return json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise CalibrationError(
            f"cannot read the calibration state: {exc}", file=str(path)
        ) from None


# --------------------------------------------------------------------------------------------------
# the plan


@dataclass
class Plan:
    """A spec resolved against its scenario: targets, prior, sizes of the stages."""

    spec: CalibrationSpec
    scenario: Any
    targets: TargetSet
    prior: Prior
    comparison: methods.Comparison
    policies: dict[str, dict]
    runs_per_evaluation: int
    screening: int
    per_wave: int
    checks: int

    def describe(self) -> dict:
        return {
            "runs_per_evaluation": self.runs_per_evaluation,
            "policy_runs": list(self.policies),
            "evaluations": {
                "screening": self.screening,
                "per_wave": self.per_wave,
                "waves": self.spec.waves.count,
                "checks": self.checks,
            },
            "budget_runs": self.spec.budget_runs,
        }


def make_plan(spec: CalibrationSpec, budget_runs: int | None = None) -> Plan:
    """Resolve the spec: scenario, targets, prior and how the run budget is shared."""
    from sim.inputs.selectors import scenario_world, selector_codes
    from sim.outputs.indicators import INDICATOR_NAMES

    if budget_runs is not None:
        spec = replace(spec, budget_runs=budget_runs)
    scenario = base_scenario(spec)
    data = scenario.data
    world = scenario_world(data)
    targets = load_targets(spec.targets_path, spec.mapping_path, discrepancy=spec.discrepancy)
    targets = resolve_targets(
        targets,
        start_year=int(data["time"]["start_year"]),
        years=int(data["time"]["years"]),
        world_codes=[str(c) for c in world.iso3],
        simulated=selector_codes(data["world"]["countries"], data, world),
        indicators=tuple(INDICATOR_NAMES),
    )
    fitted = targets.fitted
    if not fitted:
        raise CalibrationError(
            "no target can be fitted with this scenario (see the mapping's dates and outputs)",
            file=str(spec.mapping_path),
        )
    policies = {name: targets.policies[name] for name in targets.used_policies()}
    for name, overrides in policies.items():
        try:
            scenario.with_overrides(overrides, source=f"{spec.mapping_path} policy {name}")
        except Exception as err:
            raise CalibrationError(
                f"policy run {name} is invalid for the scenario: {err}",
                file=str(spec.mapping_path),
                key_path=f"policies.{name}",
            ) from None
    prior = prior_for(spec.parameters, scenario)
    comp = comparison(fitted)
    per_eval = 1 + len(policies)
    evaluations = spec.budget_runs // per_eval
    d = len(prior)
    screening = spec.screening.trajectories * (d + 1) if spec.screening.enabled and d > 1 else 0
    checks = 2 * spec.posterior.replicates + spec.posterior.checks
    per_wave = (evaluations - screening - checks) // spec.waves.count
    if per_wave < 10:
        need = (screening + checks + 10 * spec.waves.count) * per_eval
        raise CalibrationError(
            f"a budget of {spec.budget_runs} runs leaves {max(per_wave, 0)} per wave "
            f"({per_eval} run(s) per evaluation, {screening} screening and {checks} check "
            "evaluations)",
            file=str(spec.path),
            key_path="budget.runs",
            expected=f"at least {need} runs, or fewer waves, trajectories or checks",
        )
    return Plan(
        spec, scenario, targets, prior, comp, policies, per_eval, screening, per_wave, checks
    )


def comparison(fitted: list) -> methods.Comparison:
    """The fitted targets on their comparison scale."""
    return methods.Comparison(
        ids=tuple(t.id for t in fitted),
        z=np.array([t.observed for t in fitted], dtype=float),
        obs_var=np.array([t.obs_sd**2 for t in fitted]),
        md_var=np.array([t.md_sd**2 for t in fitted]),
        bound=np.array([{"lower": 1, "upper": -1}.get(t.bound, 0) for t in fitted], dtype=float),
    )


def transformed(rows: pd.DataFrame, targets: list) -> np.ndarray:
    """(n, m) simulated values of `targets` on their comparison scale."""
    cols = []
    for t in targets:
        values = rows[f"target:{t.id}"].to_numpy(dtype=float)
        cols.append(transform(values, t.scale, t.value))
    return np.column_stack(cols) if cols else np.zeros((len(rows), 0))


def initial_state(out: Path, plan: Plan) -> dict:
    path = out / STATE
    spec = plan.spec
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    if path.exists():
        state = load_state(out)
        stored = state.get("spec", {})
        mine = spec.describe()
        differ = [
            key for key in ("name", "parameters", "set", "seed") if stored.get(key) != mine[key]
        ]
        if differ:
            raise CalibrationError(
                f"this folder holds another calibration ('{stored.get('name')}'; it differs "
                f"from '{spec.name}' in {', '.join(differ)}), whose results would be replaced",
                file=str(out),
                expected="the folder of the same calibration to resume it, or another -o folder",
            )
        old = state.get("plan", {}).get("budget_runs")
        if old is not None and old != spec.budget_runs:
            raise CalibrationError(
                f"this folder holds a calibration planned for {old} runs, not {spec.budget_runs}",
                file=str(out),
                expected=f"--budget {old} to resume it, or another output folder",
            )
        if state.get("spec", {}).get("path") != str(spec.path):
            log.warning("resuming a calibration started from %s", state.get("spec", {}).get("path"))
    else:
        state = {"created": now}
    from sim import __version__
    from sim.outputs.provenance import git_commit

    state.update(
        {
            "spec": spec.describe(),
            "plan": plan.describe(),
            "prior": plan.prior.describe(),
            "targets": [target_row(t) for t in plan.targets],
            "package_version": __version__,
            "git_commit": git_commit(),
            "command": " ".join(sys.argv[:1] + sys.argv[1:]) if sys.argv else "",
            "status": "running",
            "_started": now,
        }
    )
    state.pop("error", None)  # of an earlier call that failed
    return state


def evaluations_stored(out: Path) -> int:
    """Evaluations (a baseline and its paired policy runs) whose results the folder holds."""
    return len(list((out / RUNS).glob("*.parquet")))


def record_call(out: Path, state: dict, model_runs: int, seconds: float, *, failing: bool) -> None:
    """Record how a call of `calibrate` ended (its `status`) in calibration.json.

    Args:
        out: the calibration folder.
        state: the calibration's state; its `runs_done` and `invocations` are updated.
        model_runs: model runs this call made.
        seconds: how long it took.
        failing: an error is stopping the calibration: a failure to record is then logged, not
            raised, so that it cannot hide that error.
    """
    try:
        state["runs_done"] = evaluations_stored(out)
        state.setdefault("invocations", []).append(
            {
                "started": state.pop("_started", None),
                "seconds": round(seconds, 1),
                "model_runs": model_runs,
                "ended": state.get("status"),
            }
        )
        write_state(out, state)
    except Exception as exc:
        if not failing:
            raise
        log.error("%s: cannot record how the calibration ended: %s", out / STATE, exc)


def write_state(out: Path, state: dict) -> None:
    """Write calibration.json (atomically), whatever numbers the state holds.

    JSON has no NaN or infinity: a state holding one is written with null in its place, its
    `status` `failed` and its `error` naming where they were (a defect: they should not be
    there), instead of not being written at all.

    Args:
        out: the calibration folder.
        state: the state to write.
    """
    from sim.outputs.results import write_json

    try:
        write_json(out / STATE, state)
        return
    except ValueError:
        bad: list[str] = []
        clean = _finite_or_null(state, "", bad)
        if not bad:
            raise
    where = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
    note = f"non-finite numbers written as null in calibration.json: {where}"
    clean["status"] = "failed"
    clean["error"] = f"{clean['error']}; {note}" if clean.get("error") else note
    log.error("%s", note)
    write_json(out / STATE, clean)


def _finite_or_null(value: Any, path: str, bad: list[str]) -> Any:
    """`value` with every non-finite float replaced by None; their key paths added to `bad`."""
    if isinstance(value, dict):
        return {
            k: _finite_or_null(v, f"{path}.{k}" if path else str(k), bad) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_finite_or_null(v, f"{path}[{i}]", bad) for i, v in enumerate(value)]
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        bad.append(path)
        return None
    return value


def target_row(t) -> dict:
    return {
        "id": t.id,
        "row": t.row,
        "group": t.group,
        "role": t.role,
        "status": t.status,
        "reason": t.status_reason,
        "quantity": t.quantity,
        "value": None if math.isnan(t.value) else t.value,
        "unit": t.unit,
        "year": t.year,
        "geography": t.geography,
        "source": t.source,
        "url": t.url,
        "confidence": t.confidence,
        "bound": t.bound,
        "low": t.low,
        "high": t.high,
        "approximate": t.approximate,
        "scale": t.scale,
        "obs_sd": None if math.isnan(t.obs_sd) else t.obs_sd,
        "md_sd": None if math.isnan(t.md_sd) else t.md_sd,
        "output": None if t.output is None else t.output.text(),
        "weights": [list(w) for w in t.weights],
        "shifted": t.shifted,
        "note": t.note,
    }
