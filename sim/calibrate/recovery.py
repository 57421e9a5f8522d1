"""Recovery experiments: targets made by the model at known parameters, to calibrate back.

`synthetic_targets` runs a calibration spec's scenario (and its paired policy runs) at known
parameter values, replaces the published figures of the compared targets by the simulated ones
(optionally perturbed by the targets' own observation error, as real data would be) and writes the
new table. Calibrating the spec against it should put the known values inside the posterior's 90%
intervals about 90% of the time: `scripts/calibration_coverage.py` measures that over seeds, and
`tests/test_calibration_recovery.py` checks one seed in CI.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from sim.calibrate.mapping import load_targets
from sim.calibrate.run import Context, Evaluation, evaluate
from sim.calibrate.spec import CalibrationSpec, base_scenario
from sim.calibrate.targets import observation_sd, resolve_targets
from sim.outputs.results import atomic_write

__all__ = ["SYNTHETIC_REPLICATE", "synthetic_targets"]

SYNTHETIC_REPLICATE = 99_000_000
"""Replicates of synthetic data use seeds no calibration stage uses."""


def synthetic_targets(
    spec: CalibrationSpec,
    truth: dict[str, float],
    out_csv: str | Path,
    *,
    seed: int = 0,
    noise: bool = True,
) -> dict[str, float]:
    """Write `out_csv`: the spec's targets with the model's values at `truth` (returned by id).

    The model runs once (one realisation, as the world is one), with the replicate seed
    `SYNTHETIC_REPLICATE + seed`; with `noise`, each value is then multiplied (log scale) or
    shifted (linear scale) by a normal observation error of the target's own sd.
    """
    from sim.inputs.selectors import scenario_world, selector_codes

    scenario = base_scenario(spec)
    data = scenario.data
    world = scenario_world(data)
    targets = resolve_targets(
        load_targets(spec.targets_path, spec.mapping_path, discrepancy=spec.discrepancy),
        start_year=int(data["time"]["start_year"]),
        years=int(data["time"]["years"]),
        world_codes=[str(c) for c in world.iso3],
        simulated=selector_codes(data["world"]["countries"], data, world),
    )
    compared = targets.compared
    policies = {n: targets.policies[n] for n in targets.used_policies()}
    ctx = Context(scenario, policies, tuple(compared), spec.seed, source="<synthetic targets>")
    row = evaluate(ctx, Evaluation("synthetic", "synthetic", 0, SYNTHETIC_REPLICATE + seed, truth))
    rng = np.random.default_rng([spec.seed, seed, 7])
    values: dict[str, float] = {}
    for t in compared:
        v = float(row[f"target:{t.id}"])
        if noise and math.isfinite(v):
            # the error the calibration will assume for this value (relative: of v itself)
            sd, _ = observation_sd(replace(t, value=v), targets.errors)
            e = rng.normal(0.0, sd)
            v = v * math.exp(e) if t.scale == "log" else v + e
        values[t.id] = v
    _write(spec.targets_path, Path(out_csv), values, [replace(t) for t in compared])
    return values


def _write(source: Path, out: Path, values: dict[str, float], targets: list) -> None:
    """A copy of the targets table with the values of `targets` replaced."""
    with open(source, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    by_row: dict[str, dict[int, float]] = {}
    for t in targets:
        index = 0 if t.id == t.row else ord(t.id[-1]) - ord("a")
        by_row.setdefault(t.row, {})[index] = values[t.id]
    for r in rows:
        if r["id"] in by_row:
            pieces = r["value"].split(";")
            for i, v in by_row[r["id"]].items():
                pieces[i] = f"{v:.6g}"
            r["value"] = ";".join(pieces)
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=header)
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(out, text.getvalue())


def recover(
    spec: CalibrationSpec,
    truth: dict[str, float],
    out_dir: str | Path,
    *,
    seed: int = 0,
    workers: int | None = None,
    client=None,
) -> dict[str, dict[str, float | bool]]:
    """Make synthetic targets at `truth` (data seed `seed`), calibrate back, compare.

    The calibration runs with its own seed (the spec's seed plus `seed`). Returns, for each
    parameter, the posterior's 5% and 95% quantiles and whether the true value lies between them.
    """
    import pandas as pd

    from sim.calibrate.engine import calibrate

    out = Path(out_dir)
    synthetic = out / "synthetic_targets.csv"
    synthetic_targets(spec, truth, synthetic, seed=seed)
    run_spec = replace(spec, targets_path=synthetic, seed=spec.seed + 1000 * seed)
    result = calibrate(run_spec, out / "calibration", workers=workers, client=client)
    if not result.complete:
        raise RuntimeError(f"the recovery calibration did not finish: {result.message}")
    draws = pd.read_csv(out / "calibration" / "posterior.csv")
    report = {}
    for name, value in truth.items():
        if name not in draws:
            report[name] = {"truth": value, "inside": False, "inert": True}
            continue
        lo, hi = np.percentile(draws[name], [5, 95])
        report[name] = {
            "truth": value,
            "p05": float(lo),
            "p95": float(hi),
            "inside": bool(lo <= value <= hi),
        }
    return report
