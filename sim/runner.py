"""Running scenarios: replicates from SeedSequence(seed).spawn(N); results written atomically."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim.inputs.world import World, load_world
from sim.model.model import AUTO_ARRAYS_THRESHOLD, WorkforceModel
from sim.model.policies import country_mask
from sim.model.rng import seed_from_sequence
from sim.outputs.provenance import code_fingerprint, git_commit
from sim.outputs.results import check_output_dir, csv_writer, parquet_writer, write_run_folder

log = logging.getLogger(__name__)


@dataclass
class ReplicateResult:
    """Indicators and flows of one replicate, with its timing."""

    replicate: int
    seed: int
    indicators: pd.DataFrame
    flows: pd.DataFrame
    seconds: float
    engine: str
    model: WorkforceModel | None = None


@dataclass
class RunSummary:
    """What `run_scenario` wrote and how long it took."""

    out_dir: Path
    engine: str
    replicates: int
    seconds: float
    per_replicate: list[float] = field(default_factory=list)
    indicators: pd.DataFrame | None = None


@functools.lru_cache(maxsize=8)
def _base_world(kind: str, file: str | None) -> World:
    return load_world(kind, file=file)


def world_for(data: dict) -> World:
    """The world a resolved scenario names, restricted to its country subset."""
    spec = data["world"]
    world = _base_world(spec["kind"], spec.get("file"))
    selector = spec["countries"]
    if selector == "all":
        return world
    if isinstance(selector, list):
        return world.subset(selector)
    dest = (
        country_mask(data["workforce"]["destinations"], world)
        if selector == "destinations"
        else None
    )
    mask = country_mask(selector, world, dest)
    return world.subset([str(c) for c in np.asarray(world.iso3)[mask]])


def choose_engine(data: dict, world: World) -> str:
    """The engine a scenario asks for; `auto` picks arrays above AUTO_ARRAYS_THRESHOLD agents."""
    engine = data["engine"]
    agents = (np.sum(world.doctors) + np.sum(world.nurses)) / data["scale"]["workers_per_agent"]
    if engine == "auto":
        return "arrays" if agents > AUTO_ARRAYS_THRESHOLD else "agents"
    if engine == "agents" and agents > 2_000_000:
        log.warning(
            "engine 'agents' with about %.1f million Mesa agents will be slow and need much "
            "memory; 'arrays' gives identical results far faster",
            agents / 1e6,
        )
    return engine


def replicate_seeds(seed: int, replicates: int) -> list[np.random.SeedSequence]:
    """One independent seed sequence per replicate."""
    return np.random.SeedSequence(seed).spawn(replicates)


def run_replicate(
    scenario,
    replicate: int,
    seed_seq: np.random.SeedSequence,
    *,
    engine: str | None = None,
    progress: Callable[[int], None] | None = None,
    keep_model: bool = False,
) -> ReplicateResult:
    """Run one replicate of a scenario and return its indicators and flows (long form)."""
    data = scenario.data if hasattr(scenario, "data") else scenario
    world = world_for(data)
    chosen = choose_engine({**data, "engine": engine or data["engine"]}, world)
    seed = seed_from_sequence(seed_seq)
    start = time.perf_counter()
    model = WorkforceModel(scenario, world, seed=seed, engine=chosen, replicate=replicate)
    model.run(progress)
    indicators = model.recorder.indicators()
    indicators.insert(0, "replicate", np.int32(replicate))
    flows = model.recorder.flows()
    flows.insert(0, "replicate", np.int32(replicate))
    return ReplicateResult(
        replicate,
        seed,
        indicators,
        flows,
        time.perf_counter() - start,
        chosen,
        model if keep_model else None,
    )


def run_scenario(
    scenario,
    out_dir,
    *,
    replicates: int | None = None,
    seed: int | None = None,
    engine: str | None = None,
    progress: bool = False,
    csv: bool | None = None,
) -> RunSummary:
    """Run every replicate of a scenario and write the results folder (docs/architecture.md)."""
    from tqdm import tqdm

    data = scenario.data
    n_rep = int(replicates if replicates is not None else data["replicates"])
    root_seed = int(seed if seed is not None else data["seed"])
    world = world_for(data)
    chosen = choose_engine({**data, "engine": engine or data["engine"]}, world)
    out = check_output_dir(out_dir)
    seeds = replicate_seeds(root_seed, n_rep)
    steps = data["time"]["years"] * data["time"]["steps_per_year"]
    started = time.perf_counter()
    results = []
    log.info(
        "running %s: %d replicate(s), engine %s, %d countries",
        scenario.name,
        n_rep,
        chosen,
        len(world.iso3),
    )
    with tqdm(
        total=n_rep * steps, disable=not progress, unit="step", desc=str(scenario.name)[:30]
    ) as bar:
        for r, ss in enumerate(seeds):
            results.append(run_replicate(scenario, r, ss, engine=chosen, progress=bar.update))
    total = time.perf_counter() - started
    indicators = pd.concat([r.indicators for r in results], ignore_index=True)
    flows = pd.concat([r.flows for r in results], ignore_index=True)
    manifest = {
        "name": scenario.name,
        # The scenario as run: seed and replicates as used (a command line may override them).
        "scenario": {**data, "seed": root_seed, "replicates": n_rep},
        "scenario_path": str(scenario.path) if scenario.path else None,
        "scenario_hash": scenario.hash(),
        "seed": root_seed,
        "replicates": n_rep,
        "replicate_seeds": [[int(s.entropy), *map(int, s.spawn_key)] for s in seeds],
        "engine": chosen,
        "engine_requested": data["engine"] if engine is None else engine,
        "package_version": sim.__version__,
        "git_commit": git_commit(),
        "code_hash": code_fingerprint(),
        "timings": {"total_s": total, "per_replicate_s": [r.seconds for r in results]},
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    # The folder is built beside `out` and swapped in complete (sim.outputs.results).
    write_csvs = csv if csv is not None else data["outputs"]["csv"]
    tables = {"indicators.parquet": parquet_writer(indicators)}
    if data["outputs"]["flows"]:
        tables["flows.parquet"] = parquet_writer(flows)
    if write_csvs:
        tables["indicators.csv"] = csv_writer(indicators)
        if data["outputs"]["flows"]:
            tables["flows.csv"] = csv_writer(flows)
    write_run_folder(out, tables, manifest)
    return RunSummary(out, chosen, n_rep, total, [r.seconds for r in results], indicators)
