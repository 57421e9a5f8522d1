"""Evaluations: one parameter point, one seed, the baseline run and its paired policy runs.

An evaluation runs the calibration scenario with the point's parameters and every policy run the
targets need (same parameters, same seed: common random numbers, so a response is not drowned in
noise), then computes every compared target's simulated value (`sim.calibrate.observe`). It is
pure given its inputs and is keyed by a hash of them: the key names its row file
(`DIR/runs/<key>.parquet`), written once, atomically, by the project's writer, so an interrupted
calibration resumes without running anything twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from sim.calibrate.observe import simulated_values
from sim.calibrate.targets import Target

__all__ = [
    "Context",
    "Evaluation",
    "evaluate",
    "evaluation_key",
    "model_tables",
    "replicate_seed",
]

KEY_VERSION = 1


@dataclass(frozen=True)
class Context:
    """What every evaluation of a calibration shares (sent once to each worker)."""

    scenario: Any
    """The calibration's base `Scenario` (spec `set` applied)."""
    policies: dict[str, dict[str, Any]]
    """Paired policy runs: name -> scenario overrides."""
    targets: tuple[Target, ...]
    """The compared targets (fitted, held out and checks), resolved."""
    root_seed: int
    source: str = "<calibration>"
    threads: int = 0
    """numba threads per evaluation (0: numba's default); results do not depend on it."""


@dataclass(frozen=True)
class Evaluation:
    """One parameter point with one seed."""

    key: str
    stage: str
    index: int
    replicate: int
    params: dict[str, float | int]


def replicate_seed(root_seed: int, replicate: int) -> np.random.SeedSequence:
    """Replicate r's seed sequence: `SeedSequence(root).spawn(r + 1)[r]`, computed directly."""
    return np.random.SeedSequence(root_seed, spawn_key=(replicate,))


def context_fingerprint(ctx: Context) -> str:
    """Hash of what defines an evaluation's result besides its point and seed."""
    from sim.outputs.provenance import code_fingerprint

    ident = {
        "v": KEY_VERSION,
        "scenario": ctx.scenario.hash(),
        "policies": ctx.policies,
        "targets": [t.describe() for t in ctx.targets],
        "seed": ctx.root_seed,
        "code": code_fingerprint(),
    }
    text = json.dumps(ident, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def evaluation_key(fingerprint: str, params: dict, replicate: int) -> str:
    """The run key of a point and replicate (parameters as exact decimal strings)."""
    shown = {k: repr(float(v)) if not isinstance(v, int) else v for k, v in sorted(params.items())}
    text = json.dumps([fingerprint, shown, replicate], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def model_tables(result: Any) -> dict[str, Any]:
    """The result tables of a replicate that targets can read (stocks, arrivals if it has them)."""
    names = {f.name for f in fields(result)}
    tables = {"indicators": result.indicators, "flows": result.flows}
    for name in ("stocks", "arrivals"):
        if name in names and getattr(result, name, None) is not None:
            tables[name] = getattr(result, name)
    return tables


def evaluate(ctx: Context, ev: Evaluation) -> dict[str, Any]:
    """Run one evaluation and return its row: identification, parameters, target values."""
    from sim.runner import run_replicate

    start, cpu = time.perf_counter(), time.process_time()
    if ctx.threads:
        import numba

        numba.set_num_threads(min(ctx.threads, numba.config.NUMBA_NUM_THREADS))
    scenario = ctx.scenario.with_overrides(ev.params, source=ctx.source)
    seed_seq = replicate_seed(ctx.root_seed, ev.replicate)
    base = run_replicate(scenario, ev.replicate, seed_seq)
    paired = {}
    for name, overrides in ctx.policies.items():
        variant = scenario.with_overrides(overrides, source=f"{ctx.source} policy {name}")
        paired[name] = model_tables(run_replicate(variant, ev.replicate, seed_seq))
    values = simulated_values(model_tables(base), paired, ctx.targets)
    row: dict[str, Any] = {
        "key": ev.key,
        "stage": ev.stage,
        "index": ev.index,
        "replicate": ev.replicate,
        "seed": base.seed,
        "runs": 1 + len(paired),
        "elapsed_s": time.perf_counter() - start,
        "cpu_s": time.process_time() - cpu,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }
    row.update({f"param:{k}": float(v) for k, v in ev.params.items()})
    row.update({f"target:{k}": v for k, v in values.items()})
    return row
