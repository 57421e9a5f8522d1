"""Running a sweep on Dask distributed: one task per (point, replicate), one Parquet file per run.

Every run has a key, a hash of (model, point parameters, replicate, resolved scenario hash, seed,
outcome definitions). Its row is written, as soon as the run finishes, to `DIR/runs/<key>.parquet`
by the package's atomic writer (temporary file, fsync, `os.replace`), so a file is either complete
or absent. A re-run skips every key whose file exists and reads as one Parquet row (a zero-byte or
damaged file is removed and run again): a killed or failed sweep restarts and runs only what is
missing, and no run can be stored twice. Tasks are pure, keyed by the run key and submitted with
`retries`, so a task lost with a worker (or failing transiently) is re-run elsewhere.

One sweep at a time writes to a folder (`sim.sweep.store`). A scheduler address is checked before
use, and a sweep with no worker left for `worker_timeout` seconds stops and says so
(`sim.sweep.cluster`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sim import __version__
from sim.errors import HrhsimError, ScenarioError, SetupError
from sim.model.rng import seed_from_sequence
from sim.outputs.provenance import code_fingerprint, environment, git_commit
from sim.sweep.cluster import (
    SCHEDULER_HANDSHAKE_S,
    WORKER_TIMEOUT_S,
    WorkerWatch,
    check_scheduler,
    dask_client,
    parse_scheduler_address,
)
from sim.sweep.design import Design, build_design
from sim.sweep.models import get_model
from sim.sweep.outcomes import OutcomeSpec
from sim.sweep.spec import RESERVED_COLUMNS, SweepSpec
from sim.sweep.store import (
    MANIFEST,
    RUNS,
    finished_runs,
    load_manifest,
    load_runs,
    stored_runs,
    sweep_folder,
    valid_run_file,
    write_manifest,
    write_run,
)

__all__ = [  # with the names of `cluster` and `store` that callers use from here
    "MANIFEST",
    "RUNS",
    "RunTask",
    "SweepPlan",
    "SweepReport",
    "check_scheduler",
    "dask_client",
    "finished_runs",
    "load_manifest",
    "load_runs",
    "parse_scheduler_address",
    "plan_sweep",
    "replicate_seed",
    "run_one",
    "run_sweep",
    "valid_run_file",
    "write_run",
]

log = logging.getLogger(__name__)

KEY_VERSION = 1

# --------------------------------------------------------------------------------------------------
# planning


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs to execute one (point, replicate) run."""

    key: str
    point_id: int
    replicate: int
    params: dict
    model: str
    root_seed: int
    seed: int
    """The integer seed of this replicate (passed to test models; recorded in the row)."""
    outcomes: tuple[OutcomeSpec, ...]
    fixed: dict = field(default_factory=dict)
    scenario: Any = None
    """The point's resolved `Scenario` (model hrhsim)."""
    func: Any = None
    """The registered model function (other models); sent to the workers with the task."""


@dataclass
class SweepPlan:
    """A sweep expanded into its design and its runs (in design order, replicates innermost).

    `runs` lists every (key, point_id, replicate); `tasks` holds one task per distinct key (design
    points with identical parameters, frequent in Morris designs, share their runs).
    """

    spec: SweepSpec
    design: Design
    tasks: list[RunTask]
    runs: list[tuple[str, int, int]]
    scenario_hashes: list[str | None]


def replicate_seed(root_seed: int, replicate: int) -> tuple[np.random.SeedSequence, int]:
    """Replicate `r` uses `SeedSequence(root_seed).spawn(...)[r]`, as a plain run of the scenario.

    Every point uses the same replicate seeds (common random numbers across points).
    """
    ss = np.random.SeedSequence(root_seed).spawn(replicate + 1)[replicate]
    return ss, seed_from_sequence(ss)


def _code_hash(spec: SweepSpec) -> str | None:
    """The fingerprint of hrhsim's code and data for its own model's runs (None for others)."""
    return code_fingerprint() if spec.is_hrhsim else None


def _run_key(spec: SweepSpec, params: dict, replicate: int, scenario_hash: str | None) -> str:
    ident = {
        "v": KEY_VERSION,
        "model": spec.model,
        "params": params,
        "replicate": replicate,
        "scenario": scenario_hash,
        "fixed": None if spec.is_hrhsim else spec.fixed,
        "seed": spec.seed,
        "outcomes": [o.describe() for o in spec.outcomes],
        # hrhsim runs are redone when the model's code or data change (never silently reused).
        "code": _code_hash(spec),
    }
    text = json.dumps(ident, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def plan_sweep(spec: SweepSpec) -> SweepPlan:
    """Build the design and one `RunTask` per distinct run; validate every point (hrhsim)."""
    design = build_design(spec)
    tasks: dict[str, RunTask] = {}
    runs: list[tuple[str, int, int]] = []
    hashes: list[str | None] = []
    scenarios: dict[str, Any] = {}
    seeds = [replicate_seed(spec.seed, r)[1] for r in range(spec.replicates)]
    func = get_model(spec.model)
    for pid in range(len(design)):
        params = design.params(pid)
        scenario = None
        scenario_hash = None
        if spec.is_hrhsim:
            ident = json.dumps(params, sort_keys=True)
            if ident not in scenarios:
                scenarios[ident] = _point_scenario(spec, pid, params)
            scenario = scenarios[ident]
            scenario_hash = scenario.hash()
        hashes.append(scenario_hash)
        for r in range(spec.replicates):
            key = _run_key(spec, params, r, scenario_hash)
            runs.append((key, pid, r))
            if key in tasks:
                continue
            tasks[key] = RunTask(
                key=key,
                point_id=pid,
                replicate=r,
                params=params,
                model=spec.model,
                root_seed=spec.seed,
                seed=seeds[r],
                outcomes=spec.outcomes,
                fixed=dict(spec.fixed) if not spec.is_hrhsim else {},
                scenario=scenario,
                func=func,
            )
    return SweepPlan(
        spec=spec, design=design, tasks=list(tasks.values()), runs=runs, scenario_hashes=hashes
    )


def _point_scenario(spec: SweepSpec, pid: int, params: dict) -> Any:
    source = f"<sweep point {pid}>"
    try:
        return spec.base.with_overrides(params, source=source)
    except HrhsimError as err:
        shown = ", ".join(f"{k}={v:g}" for k, v in params.items())
        key = err.key_path if err.key_path in params else None
        raise ScenarioError(
            f"design point {pid} ({shown}) is invalid: {err.message}",
            file=None if spec.path is None else str(spec.path),
            key_path=f"parameters.{key}" if key else "parameters",
            expected=err.expected,
        ) from None


# --------------------------------------------------------------------------------------------------
# one run (executed on a worker)


def run_one(task: RunTask) -> dict:
    """Execute one run and return its row (a dict of plain values). Pure given the task."""
    start = time.perf_counter()
    if task.model == "hrhsim":
        values = _run_hrhsim(task)
    else:
        result = task.func({**task.fixed, **task.params}, task.seed)
        if not isinstance(result, dict):
            raise TypeError(f"model {task.model} returned {type(result).__name__}, not a dict")
        names = [o.name for o in task.outcomes] or sorted(result)
        missing = [n for n in names if n not in result]
        if missing:
            raise KeyError(f"model {task.model} did not return outcome(s) {', '.join(missing)}")
        values = {n: float(result[n]) for n in names}
    row: dict[str, Any] = {
        "point_id": task.point_id,
        "replicate": task.replicate,
        "run_key": task.key,
        "seed": task.seed,
        "elapsed_s": time.perf_counter() - start,
        "finished": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }
    row.update(task.params)
    row.update(values)
    return row


def _run_hrhsim(task: RunTask) -> dict[str, float]:
    from sim.runner import run_replicate
    from sim.sweep.outcomes import compute_outcomes, scenario_countries

    seed_seq, _ = replicate_seed(task.root_seed, task.replicate)
    result = run_replicate(task.scenario, task.replicate, seed_seq)
    countries_of = scenario_countries(task.scenario)
    start_year = int(task.scenario.data["time"]["start_year"])
    return compute_outcomes(result.indicators, task.outcomes, countries_of, start_year)


# --------------------------------------------------------------------------------------------------
# the manifest and the rows


def _row_schema(plan: SweepPlan, row: dict | None = None) -> Any:
    import pyarrow as pa

    fields = [
        pa.field("point_id", pa.int64()),
        pa.field("replicate", pa.int32()),
        pa.field("run_key", pa.string()),
        pa.field("seed", pa.int64()),
        pa.field("elapsed_s", pa.float64()),
        pa.field("finished", pa.string()),
        pa.field("worker", pa.string()),
    ]
    for p in plan.spec.parameters:
        fields.append(pa.field(p.path, pa.int64() if p.integer else pa.float64()))
    names = _outcome_names(plan.spec, row)
    fields.extend(pa.field(n, pa.float64()) for n in names)
    return pa.schema(fields)


def _outcome_names(spec: SweepSpec, row: dict | None) -> list[str]:
    if spec.outcomes:
        return [o.name for o in spec.outcomes]
    if row is None:
        return []
    skip = set(RESERVED_COLUMNS) | set(spec.names)
    return [k for k in row if k not in skip]


def _record(out: Path, manifest: dict, *, state: str, done: int, failed: int = 0) -> None:
    """Write `manifest` again with the sweep's state (`store.STATES`) and the runs done."""
    manifest["status"] = {**manifest["status"], "done": done, "failed": failed, "state": state}
    manifest["updated"] = _now()
    write_manifest(out, manifest)


def _manifest(plan: SweepPlan, created: str, status: dict) -> dict:
    spec = plan.spec
    points = []
    for pid in range(len(plan.design)):
        item: dict[str, Any] = {"point_id": pid, "params": plan.design.params(pid)}
        if plan.design.unit is not None:
            item["unit"] = [float(u) for u in plan.design.unit[pid]]
        if plan.scenario_hashes[pid] is not None:
            item["scenario_hash"] = plan.scenario_hashes[pid]
        points.append(item)
    return {
        "sweep": spec.describe(),
        "design": {
            **spec.design.describe(),
            "points": len(plan.design),
            "parameters": spec.names,
        },
        "replicates": spec.replicates,
        "outcomes": [o.name for o in spec.outcomes],
        "base_scenario": None if spec.base is None else spec.base.data,
        "base_scenario_hash": None if spec.base is None else spec.base.hash(),
        "points": points,
        "runs": [{"key": k, "point_id": pid, "replicate": r} for k, pid, r in plan.runs],
        "package_version": __version__,
        "git_commit": git_commit(),
        "code_hash": _code_hash(spec),
        "python": sys.version.split()[0],
        "environment": environment(),
        "created": created,
        "updated": _now(),
        "status": status,
    }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------------------------------------
# executing


@dataclass
class SweepReport:
    """What a call of `run_sweep` did."""

    out_dir: Path
    total: int
    skipped: int
    ran: int
    failed: list[dict]
    elapsed_s: float

    @property
    def complete(self) -> bool:
        return not self.failed and self.skipped + self.ran == self.total


def _warn_if_analysis_is_stale(out: Path, earlier: dict, expected: set[str]) -> None:
    """Warn when the folder's sensitivity outputs were computed from another set of runs than
    the sweep about to be written (its design or base changed): they stay, as written, until
    `hrhsim sensitivity` is run again."""
    from sim.sweep.sensitivity import FIGURE, TABLE

    outputs = [n for n in (TABLE, f"{FIGURE}.png", f"{FIGURE}.svg") if (out / n).exists()]
    before = {r.get("key") for r in earlier.get("runs", []) if isinstance(r, dict)}
    if outputs and before != expected:
        log.warning(
            "%s: %s describe the runs of this folder's earlier design, not this one's; run "
            "`hrhsim sensitivity %s` again once the sweep is complete",
            out,
            ", ".join(outputs),
            out,
        )


def run_sweep(
    spec: SweepSpec,
    out_dir: str | os.PathLike,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    retries: int = 3,
    progress: bool = False,
    connect_timeout: float = SCHEDULER_HANDSHAKE_S,
    worker_timeout: float = WORKER_TIMEOUT_S,
) -> SweepReport:
    """Run every missing run of `spec` on Dask, writing each result as soon as it finishes.

    `client`: an existing `dask.distributed.Client` (else one is made from `scheduler`, or a
    `LocalCluster` of `workers` single-threaded processes). Runs whose file is valid are skipped.
    A failing run is reported (and left missing, so a re-run tries it again), not fatal.
    `connect_timeout`: seconds a scheduler has to answer. `worker_timeout`: seconds without any
    worker after which the sweep stops with a `SetupError` (finished runs are kept).
    """
    start = time.perf_counter()
    plan = plan_sweep(spec)
    out = Path(out_dir)
    with sweep_folder(out) as runs_dir:
        created = _now()
        earlier: dict = {}
        if (out / MANIFEST).exists():
            with contextlib.suppress(OSError, ValueError, HrhsimError):
                earlier = load_manifest(out)
                created = earlier.get("created", created)
            name = (earlier.get("sweep") or {}).get("name") if earlier else None
            if name is not None and name != spec.name:
                raise SetupError(
                    f"{out} holds the sweep '{name}', not '{spec.name}': its sweep.json would be "
                    "replaced and its runs left unreachable",
                    expected="the folder of the same sweep to resume or extend it, or a new -o",
                )

        expected = {t.key for t in plan.tasks}
        _warn_if_analysis_is_stale(out, earlier, expected)
        existing = finished_runs(runs_dir, expected)
        orphans = sum(1 for p in runs_dir.glob("*.parquet") if p.stem not in expected)
        code = _code_hash(spec)
        if orphans and code is not None and earlier.get("code_hash") not in (None, code):
            log.warning(
                "%d run file(s) in %s were made by another version of hrhsim's code or data "
                "(a run's key includes their fingerprint: after any change under sim/ every run "
                "is done again) and are ignored",
                orphans,
                runs_dir,
            )
        elif orphans:
            log.warning(
                "%d run file(s) in %s belong to another sweep definition (its design, base "
                "scenario, seed or outcomes) or another version of hrhsim's code or data, and "
                "are ignored",
                orphans,
                runs_dir,
            )
        todo = [t for t in plan.tasks if t.key not in existing]
        skipped = len(plan.tasks) - len(todo)
        status = {"runs": len(plan.tasks), "done": skipped, "failed": 0, "state": "running"}
        manifest = _manifest(plan, created, status)
        write_manifest(out, manifest)
        log.info(
            "sweep %s: %d points x %d replicates = %d runs; %d already done, %d to run",
            spec.name,
            len(plan.design),
            spec.replicates,
            len(plan.tasks),
            skipped,
            len(todo),
        )

        failed: list[dict] = []
        ran = 0
        stranded: str | None = None
        try:
            if todo:
                ctx = (
                    contextlib.nullcontext(client)
                    if client is not None
                    else dask_client(workers, scheduler, connect_timeout)
                )
                with ctx as c:
                    ran, failed, stranded = _execute(
                        c, plan, todo, runs_dir, retries, progress, skipped, worker_timeout
                    )
        except BaseException as exc:  # no longer running: say so (the runs done are kept)
            stopped = "interrupted" if isinstance(exc, KeyboardInterrupt) else "stopped"
            with contextlib.suppress(Exception):  # (the error said is the one that stopped it)
                _record(out, manifest, state=stopped, done=len(stored_runs(runs_dir, expected)))
            raise

        done = skipped + ran
        state = "complete" if done == len(plan.tasks) else "incomplete"
        _record(out, manifest, state=state, done=done, failed=len(failed))
    if stranded:
        raise SetupError(
            f"{stranded}; {done} of {len(plan.tasks)} runs are done and kept in {out}",
            expected="running Dask workers (run the same command again to finish the sweep)",
        )
    return SweepReport(
        out_dir=out,
        total=len(plan.tasks),
        skipped=skipped,
        ran=ran,
        failed=failed,
        elapsed_s=time.perf_counter() - start,
    )


def _execute(
    client: Any,
    plan: SweepPlan,
    todo: list[RunTask],
    runs_dir: Path,
    retries: int,
    progress: bool,
    skipped: int,
    worker_timeout: float = WORKER_TIMEOUT_S,
) -> tuple[int, list[dict], str | None]:
    """Submit the runs; write each as it finishes. Returns (ran, failed, why it stopped early)."""
    from dask.distributed import as_completed
    from tqdm import tqdm

    by_key = {f"hrhsim-run-{t.key}": t for t in todo}
    futures = [
        client.submit(run_one, t, key=k, pure=True, retries=retries) for k, t in by_key.items()
    ]
    schema = _row_schema(plan) if plan.spec.outcomes else None
    ran = 0
    failed: list[dict] = []
    bar = tqdm(
        total=len(plan.tasks),
        initial=skipped,
        desc=f"sweep {plan.spec.name}"[:40],
        unit="run",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    completed = as_completed(futures, with_results=True, raise_errors=False)
    watch = WorkerWatch(client, completed, worker_timeout)
    try:
        with watch:
            for fut, result in completed:
                task = by_key[fut.key]
                if fut.status == "finished" and isinstance(result, dict):
                    if schema is None:
                        schema = _row_schema(plan, row=result)
                    write_run(runs_dir, result, schema)
                    ran += 1
                else:  # a model error (after the retries), a cancelled task or a lost worker
                    exc = result[1] if isinstance(result, tuple) else result
                    log.error(
                        "run %s (point %d, replicate %d) failed: %s: %s",
                        task.key,
                        task.point_id,
                        task.replicate,
                        type(exc).__name__,
                        exc,
                    )
                    failed.append(
                        {
                            "key": task.key,
                            "point_id": task.point_id,
                            "replicate": task.replicate,
                            "error": f"{type(exc).__name__}: {exc}",
                        }
                    )
                fut.release()
                bar.update(1)
    finally:
        bar.close()
        if watch.reason:
            with contextlib.suppress(Exception):
                client.cancel(futures)
    return ran, failed, watch.reason
