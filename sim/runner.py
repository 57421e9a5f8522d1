"""Running scenarios: the Python API (`sim.run`) and the results folders of `hrhsim run`.

`run(scenario)` runs every replicate (seeds from `SeedSequence(seed).spawn(N)`) and returns a
`Results` with tidy pandas tables; `run_scenario(scenario, out_dir)` also writes the results folder
(docs/architecture.md, results contract) atomically; `load_results(folder)` reads one back.
`build_model` gives a model to step by hand (Mesa style). See docs/api.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim.declarations import AGENTS_ENGINE_WARNING, AUTO_ARRAYS_THRESHOLD
from sim.engines import population_factory
from sim.inputs.posterior import calibration_record
from sim.inputs.selectors import simulated_world
from sim.inputs.world import World
from sim.model.model import WorkforceModel
from sim.model.rng import seed_from_sequence
from sim.outputs.indicators import IndicatorRecorder
from sim.outputs.provenance import code_fingerprint, environment, git_commit
from sim.outputs.results import check_output_dir, csv_writer, parquet_writer, write_run_folder

log = logging.getLogger(__name__)

BESIDE_TABLES = ("stocks", "arrivals", "agreements")
"""The tables of `Results` beside its indicators and flows (docs/architecture.md)."""


@dataclass
class ReplicateResult:
    """Indicators, flows, bilateral stocks, arrivals and agreements of one replicate, with its
    timing."""

    replicate: int
    seed: int
    indicators: pd.DataFrame
    flows: pd.DataFrame
    seconds: float
    engine: str
    model: WorkforceModel | None = None
    stocks: pd.DataFrame | None = None
    agreements: pd.DataFrame | None = None
    arrivals: pd.DataFrame | None = None


@dataclass
class Results:
    """The results of a scenario's replicates, as tidy tables (docs/architecture.md).

    `indicators` (replicate, year, country, area, cadre, indicator, value), `flows` (replicate,
    year, origin, destination, cadre, workers), `stocks` (replicate, year, origin, country,
    cadre, workers: workers by country of training and of work), `agreements` (replicate, year,
    agreement, source, destination, cadre, quota, hired), `arrivals` (replicate, year, origin,
    country, cadre, workers: immigrants by country of training and country entered) and the
    `manifest` (resolved scenario, seeds, engine, versions, timings) of a run; `scenario` is
    the resolved scenario.
    """

    indicators: pd.DataFrame
    flows: pd.DataFrame
    manifest: dict
    scenario: object | None = None
    replicate_seconds: list[float] = field(default_factory=list)
    stocks: pd.DataFrame | None = None
    agreements: pd.DataFrame | None = None
    arrivals: pd.DataFrame | None = None

    @property
    def data(self) -> dict:
        """The resolved scenario that was run."""
        return self.manifest["scenario"]

    def indicator(
        self,
        name: str,
        *,
        country: str | list[str] | None = None,
        area: str = "all",
        cadre: str = "all",
        year: int | list[int] | None = None,
    ) -> pd.DataFrame:
        """Rows of one indicator (default: area and cadre `all`; None keeps every value).

        Example: `results.indicator("density", country="XSR")` gives its density per replicate
        and year.
        """
        ind = self.indicators
        keep = ind["indicator"] == name
        for column, value in (("country", country), ("area", area), ("cadre", cadre)):
            if value is not None:
                values = [value] if isinstance(value, str) else list(value)
                keep &= ind[column].isin(values)
        if year is not None:
            keep &= ind["year"].isin([year] if isinstance(year, int) else list(year))
        return ind[keep].reset_index(drop=True)

    def outcomes(self, names: list[str] | None = None) -> pd.DataFrame:
        """The registry's outcomes (`sim.declarations.OUTCOMES`) by replicate and year."""
        from sim.outputs.outcomes import outcome_values

        return outcome_values(self.indicators, self._groups(), names)

    def summary(self, names: list[str] | None = None) -> pd.DataFrame:
        """Outcomes at the last year: median and 5-95% range across replicates."""
        from sim.outputs.outcomes import summarize

        return summarize(self.outcomes(names), int(self.indicators["year"].max()))

    def _groups(self):
        from sim.inputs.selectors import country_groups

        return country_groups(self.data, world_for(self.data))


@dataclass
class RunSummary:
    """What `run_scenario` wrote and how long it took."""

    out_dir: Path
    engine: str
    replicates: int
    seconds: float
    per_replicate: list[float] = field(default_factory=list)
    indicators: pd.DataFrame | None = None


def world_for(data: dict) -> World:
    """The world a resolved scenario simulates (`sim.inputs.selectors.simulated_world`)."""
    return simulated_world(data)


def build_model(
    scenario,
    *,
    seed: int,
    engine: str = "agents",
    world: World | None = None,
    replicate: int = 0,
    visit_order: str = "fixed",
) -> WorkforceModel:
    """A model of the scenario with the chosen engine and an indicator recorder, ready to step.

    Args:
        scenario: a loaded `Scenario` (or its resolved data).
        seed: the counter-based generator's seed (`run_replicate` derives it from the seed
            sequence of the replicate).
        engine: `agents` or `arrays` (`choose_engine` resolves `auto`).
        world: the simulated world (default: the one the scenario names, `world_for`).
        replicate, visit_order: see `WorkforceModel`.
    """
    data = scenario.data if hasattr(scenario, "data") else scenario
    return WorkforceModel(
        scenario,
        world if world is not None else world_for(data),
        seed=seed,
        population=population_factory(engine),
        recorder=IndicatorRecorder,
        replicate=replicate,
        visit_order=visit_order,
    )


def initial_agents(data: dict, world: World) -> float:
    """Agents a scenario starts with: the world's doctors and nurses over workers per agent."""
    return (np.sum(world.doctors) + np.sum(world.nurses)) / data["scale"]["workers_per_agent"]


def choose_engine(data: dict, world: World) -> str:
    """The engine a scenario asks for; `auto` picks arrays above AUTO_ARRAYS_THRESHOLD agents."""
    engine = data["engine"]
    agents = initial_agents(data, world)
    if engine == "auto":
        return "arrays" if agents > AUTO_ARRAYS_THRESHOLD else "agents"
    if engine == "agents" and agents > AGENTS_ENGINE_WARNING:
        log.warning(
            "engine 'agents' with about %.1f million Mesa agents will be slow and need much "
            "memory; 'arrays' gives identical results far faster",
            agents / 1e6,
        )
    return engine


PARALLEL_MIN_AGENT_STEPS = 2e7
"""Work below which a run's replicates stay in this process (agents x steps x replicates): a
worker process takes about a second to start and load the compiled kernels."""


class ReplicatePool:
    """Worker processes that run replicates, started on first use and shared by several runs
    (`hrhsim compare` runs the README's eight scenarios through one pool).

    Replicates are independent (each has its own seed sequence) and a replicate's results do
    not depend on the process or thread count that ran it, so a run gives identical tables with
    or without a pool. Use as a context manager, or call `close`.
    """

    def __init__(self, workers: int):
        self.workers = max(1, int(workers))
        self._executor = None
        self._queued = {}  # replicate key -> future submitted ahead by `prefetch`

    def worthwhile(self, agent_steps: float, replicates: int) -> bool:
        """Whether a run of this size gains from the pool."""
        return self.workers > 1 and replicates > 1 and agent_steps >= PARALLEL_MIN_AGENT_STEPS

    def executor(self):
        """The process pool (forkserver: workers inherit no threads and leave a Ctrl-C to this
        process, `sim.processes`), started on first use."""
        if self._executor is None:
            from concurrent.futures import ProcessPoolExecutor

            from sim.processes import forkserver_context

            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=forkserver_context(), initializer=_one_thread
            )
        return self._executor

    def submit(self, scenario, replicate: int, seed_seq, engine: str):
        """The future of one replicate: the one `prefetch` queued, else a new task."""
        key = _replicate_key(scenario, replicate, seed_seq, engine)
        future = self._queued.pop(key, None)
        return self._submit(scenario, replicate, seed_seq, engine) if future is None else future

    def _submit(self, *task):
        from sim.processes import interrupts_deferred

        with interrupts_deferred():  # it may start a worker: whole, or a Ctrl-C leaves a traceback
            return self.executor().submit(_replicate_task, *task)

    def prefetch(self, scenario, *, replicates: int | None = None, seed: int | None = None) -> None:
        """Queue the replicates of a run that `run(scenario, ..., pool=self)` will ask for.

        `hrhsim compare` queues every scenario's replicates before it waits for the first, so
        the workers never idle between scenarios while the results of one are written. Runs
        too small for the pool queue nothing; the tables are the same either way.
        """
        plan = _plan(scenario, replicates, seed, None)
        if not self.worthwhile(plan.agent_steps, len(plan.replicas)):
            return
        for rep, r, ss in plan.replicas:
            key = _replicate_key(rep, r, ss, plan.engine)
            if key not in self._queued:
                self._queued[key] = self._submit(rep, r, ss, plan.engine)

    def close(self, *, stop: bool = False) -> None:
        """Wait for the replicates in flight and end the workers (`stop`: end them at once)."""
        self._queued.clear()
        if self._executor is not None:
            if stop:
                from sim.processes import stop_workers

                stop_workers(self._executor)
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> ReplicatePool:
        return self

    def __exit__(self, kind, *exc) -> None:
        self.close(stop=kind is not None)  # a Ctrl-C or an error: no replicate is awaited


def _one_thread() -> None:
    """Worker processes share the CPUs: one numba thread each (results do not depend on it);
    a Ctrl-C is the main process's, which may stop the replicate (`sim.processes`)."""
    from sim.processes import worker_initializer

    worker_initializer()
    import numba

    numba.set_num_threads(1)


def _replicate_key(scenario, replicate: int, seed_seq, engine: str) -> tuple:
    """What makes a replicate's results: the scenario as run, its seed and the engine."""
    return (scenario.hash(), replicate, int(seed_seq.entropy), tuple(seed_seq.spawn_key), engine)


@dataclass
class _RunPlan:
    """The replicates of a run, as `run` and `ReplicatePool.prefetch` both lay them out."""

    scenario: object
    world: World
    engine: str
    seeds: list
    draws: ParameterDraws | None
    replicas: list  # (scenario of the replicate, replicate, seed sequence)
    agent_steps: float


def _plan(scenario, replicates: int | None, seed: int | None, engine: str | None) -> _RunPlan:
    if not hasattr(scenario, "data"):
        from sim.inputs.scenario import load_scenario

        scenario = load_scenario(scenario)
    data = scenario.data
    n_rep = int(replicates if replicates is not None else data["replicates"])
    root_seed = int(seed if seed is not None else data["seed"])
    world = world_for(data)
    chosen = choose_engine({**data, "engine": engine or data["engine"]}, world)
    seeds = replicate_seeds(root_seed, n_rep)
    steps = data["time"]["years"] * data["time"]["steps_per_year"]
    draws = parameter_draws(scenario, seeds)
    replicas = [
        (scenario if draws is None else draws.scenario(scenario, r), r, ss)
        for r, ss in enumerate(seeds)
    ]
    agent_steps = initial_agents(data, world) * steps * n_rep
    return _RunPlan(scenario, world, chosen, seeds, draws, replicas, agent_steps)


def _replicate_task(scenario, replicate: int, seed_seq, engine: str) -> ReplicateResult:
    """`run_replicate` in a worker process (a top-level function, so that it pickles)."""
    from sim.processes import stoppable

    with stoppable():  # a pool closed after a Ctrl-C does not wait for it
        return run_replicate(scenario, replicate, seed_seq, engine=engine)


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
    model = build_model(scenario, seed=seed, engine=chosen, world=world, replicate=replicate)
    model.run(progress)
    if not keep_model:
        # The tables come from the recorder: the workers' columns (1.8 GiB in the full world)
        # are freed before the tables are built, not held until the model is.
        model.population = None
    indicators = model.recorder.indicators()
    indicators.insert(0, "replicate", np.int32(replicate))
    tables = {
        "flows": model.recorder.flows(),
        "stocks": model.recorder.stocks(),
        "agreements": model.recorder.agreements(),
        "arrivals": model.recorder.arrivals(),
    }
    for table in tables.values():
        table.insert(0, "replicate", np.int32(replicate))
    return ReplicateResult(
        replicate,
        seed,
        indicators,
        tables["flows"],
        time.perf_counter() - start,
        chosen,
        model if keep_model else None,
        **{name: tables[name] for name in BESIDE_TABLES},
    )


def run(
    scenario,
    *,
    replicates: int | None = None,
    seed: int | None = None,
    engine: str | None = None,
    progress: bool = False,
    pool: ReplicatePool | None = None,
) -> Results:
    """Run every replicate of a scenario and return its results as tidy tables.

    Args:
        scenario: a `Scenario` (`sim.load_scenario`) or the path of a scenario file.
        replicates: number of replicates (default: the scenario's `replicates`).
        seed: root seed (default: the scenario's `seed`); replicate r uses
            `SeedSequence(seed).spawn(replicates)[r]`.
        engine: `auto`, `agents` or `arrays` (default: the scenario's `engine`).
        progress: show a progress bar (tqdm).
        pool: worker processes for the replicates, used when the run is large enough
            (`ReplicatePool.worthwhile`); the tables are identical either way.
    """
    from tqdm import tqdm

    plan = _plan(scenario, replicates, seed, engine)
    scenario, world, chosen, seeds, draws = (
        plan.scenario, plan.world, plan.engine, plan.seeds, plan.draws
    )  # fmt: skip
    data = scenario.data
    n_rep = len(seeds)
    root_seed = int(seed if seed is not None else data["seed"])
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
    parallel = pool is not None and pool.worthwhile(plan.agent_steps, n_rep)
    with tqdm(
        total=n_rep * steps, disable=not progress, unit="step", desc=str(scenario.name)[:30]
    ) as bar:
        if parallel:
            from concurrent.futures import as_completed

            futures = {pool.submit(rep, r, ss, chosen): r for rep, r, ss in plan.replicas}
            done = {}
            for future in as_completed(futures):
                done[futures[future]] = future.result()
                bar.update(steps)
            results = [done[r] for r in range(n_rep)]
        else:
            for rep, r, ss in plan.replicas:
                results.append(run_replicate(rep, r, ss, engine=chosen, progress=bar.update))
    total = time.perf_counter() - started
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
        "environment": environment(),
        "timings": {"total_s": total, "per_replicate_s": [r.seconds for r in results]},
        "uncertainty": "stochastic" if draws is None else "parameters",
        **({} if draws is None else draws.manifest()),
        **calibration_record(data),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return Results(
        indicators=pd.concat([r.indicators for r in results], ignore_index=True),
        flows=pd.concat([r.flows for r in results], ignore_index=True),
        manifest=manifest,
        scenario=scenario,
        replicate_seconds=[r.seconds for r in results],
        **{
            name: pd.concat([getattr(r, name) for r in results], ignore_index=True)
            for name in BESIDE_TABLES
        },
    )


@dataclass
class ParameterDraws:
    """The posterior row each replicate of a `uncertainty: parameters` scenario runs with."""

    sample: object
    rows: list[int]

    def scenario(self, scenario, replicate: int):
        """The scenario of one replicate: its drawn parameter vector set."""
        row = self.rows[replicate]
        return scenario.with_overrides(
            self.sample.params(row), source=f"{self.sample.path} (draw {row})"
        )

    def manifest(self) -> dict:
        return {
            "parameter_draws": self.rows,
            "posterior_sample": {
                "path": self.sample.path,
                "sha256": hashlib.sha256(Path(self.sample.path).read_bytes()).hexdigest(),
                "draws": len(self.sample),
                "parameters": list(self.sample.names),
            },
        }


def parameter_draws(scenario, seeds: list[np.random.SeedSequence]) -> ParameterDraws | None:
    """Each replicate's posterior row (drawn with its own seed), or None for `stochastic`."""
    data = scenario.data if hasattr(scenario, "data") else scenario
    spec = data.get("uncertainty") or {}
    if spec.get("kind") != "parameters":
        return None
    from sim.inputs.posterior import draw_for_replicate, read_parameter_sample

    sample = read_parameter_sample(spec["sample"])
    return ParameterDraws(sample, [draw_for_replicate(ss, len(sample)) for ss in seeds])


def load_results(run_dir) -> Results:
    """The results of a results folder written by `run_scenario` or `hrhsim run`."""
    from sim.outputs.reading import read_results, read_table

    manifest, indicators, flows = read_results(run_dir)
    return Results(
        indicators=indicators,
        flows=flows,
        manifest=manifest,
        **{name: read_table(run_dir, name) for name in BESIDE_TABLES},
    )


def _say_what_is_replaced(out: Path, name: str) -> None:
    """A warning when the folder holds another scenario's run, which this run replaces whole."""
    import json

    try:
        earlier = json.loads((Path(out) / "manifest.json").read_text(encoding="utf-8"))
        other = earlier["scenario"]["name"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    if other != name:
        log.warning(
            "%s holds the run of scenario '%s' (%s); this run of '%s' replaces it",
            out, other, earlier.get("created", "date unknown"), name,
        )  # fmt: skip


def run_scenario(
    scenario,
    out_dir,
    *,
    replicates: int | None = None,
    seed: int | None = None,
    engine: str | None = None,
    progress: bool = False,
    csv: bool | None = None,
    pool: ReplicatePool | None = None,
) -> RunSummary:
    """Run every replicate of a scenario and write the results folder (docs/architecture.md);
    `pool` as in `run`."""
    data = scenario.data
    out = check_output_dir(out_dir)  # before the run: a bad output path fails at once
    _say_what_is_replaced(out, scenario.name)
    results = run(
        scenario, replicates=replicates, seed=seed, engine=engine, progress=progress, pool=pool
    )
    indicators, manifest = results.indicators, results.manifest
    # The folder is built beside `out` and swapped in complete (sim.outputs.results).
    write_csvs = csv if csv is not None else data["outputs"]["csv"]
    # the moves (flows by country left, arrivals by country of training) unless switched off
    moves = ("flows", "arrivals") if data["outputs"]["flows"] else ()
    names = ("indicators", *moves, "stocks", "agreements")
    written = {name: getattr(results, name) for name in names}
    tables = {f"{name}.parquet": parquet_writer(table) for name, table in written.items()}
    if write_csvs:
        tables.update({f"{name}.csv": csv_writer(table) for name, table in written.items()})
    write_run_folder(out, tables, manifest)
    return RunSummary(
        out,
        manifest["engine"],
        manifest["replicates"],
        manifest["timings"]["total_s"],
        results.replicate_seconds,
        indicators,
    )
