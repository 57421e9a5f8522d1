"""Running a sweep on Dask distributed: one task per (point, replicate), one Parquet file per run.

Every run has a key, a hash of (model, point parameters, replicate, resolved scenario hash, seed,
outcome definitions). Its row is written, as soon as the run finishes, to `DIR/runs/<key>.parquet`
through a temporary file and `os.replace`, so a file is either complete or absent. A re-run skips
every key whose file exists: a killed or failed sweep restarts and runs only what is missing, and
no run can be stored twice. Tasks are pure, keyed by the run key and submitted with `retries`, so a
task lost with a worker (or failing transiently) is re-run elsewhere.
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import __version__
from sim.errors import HrhsimError, ScenarioError
from sim.model.rng import seed_from_sequence
from sim.outputs.provenance import code_fingerprint, git_commit
from sim.sweep.design import Design, build_design
from sim.sweep.outcomes import OutcomeSpec
from sim.sweep.spec import RESERVED_COLUMNS, SweepSpec, resolve_model

__all__ = [
    "MANIFEST",
    "RUNS",
    "RunTask",
    "SweepPlan",
    "SweepReport",
    "load_manifest",
    "load_runs",
    "plan_sweep",
    "replicate_seed",
    "run_one",
    "run_sweep",
]

log = logging.getLogger(__name__)

MANIFEST = "sweep.json"
RUNS = "runs"
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
        "code": code_fingerprint() if spec.is_hrhsim else None,
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
        func = resolve_model(task.model)
        result = func({**task.fixed, **task.params}, task.seed)
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
# files


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


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


def write_run(runs_dir: Path, row: dict, schema: Any) -> Path:
    """Write one run row to `runs_dir/<run_key>.parquet` atomically (temp file + os.replace)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([row], schema=schema)
    path = runs_dir / f"{row['run_key']}.parquet"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    return path


def _clean_temp_files(runs_dir: Path) -> None:
    """Remove temporary files left by sweep processes that are gone (killed mid-write)."""
    for tmp in runs_dir.glob(".*.tmp"):
        try:
            pid = int(tmp.name.rsplit(".", 2)[-2])
        except ValueError:
            continue
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            tmp.unlink(missing_ok=True)
        except PermissionError:
            pass


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
        "python": sys.version.split()[0],
        "created": created,
        "updated": _now(),
        "status": status,
    }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_manifest(out_dir: Path, manifest: dict) -> None:
    text = json.dumps(manifest, indent=1, allow_nan=False, default=str)
    _atomic_write_bytes(out_dir / MANIFEST, text.encode("utf-8"))


def load_manifest(out_dir: str | os.PathLike) -> dict:
    """The `sweep.json` manifest of a sweep folder."""
    path = Path(out_dir) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HrhsimError(
            "not a sweep folder (no sweep.json)",
            file=str(path.parent),
            expected="the -o folder of `hrhsim sweep`",
        ) from None
    except (OSError, ValueError) as exc:
        raise HrhsimError(f"cannot read the sweep manifest: {exc}", file=str(path)) from None


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


@contextlib.contextmanager
def dask_client(
    workers: int | None = None, scheduler: str | None = None, connect_timeout: float = 30.0
) -> Iterator[Any]:
    """A Dask client connected to `scheduler`, or to a new `LocalCluster` of `workers` processes."""
    import dask
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            with dask.config.set({"distributed.comm.timeouts.connect": f"{connect_timeout}s"}):
                client = Client(scheduler, timeout=f"{connect_timeout}s")
        except (OSError, TimeoutError) as exc:
            raise HrhsimError(
                f"cannot connect to the Dask scheduler {scheduler}: {exc}",
                expected="an address such as tcp://127.0.0.1:8786",
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or _cpu_count()
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_sweep(
    spec: SweepSpec,
    out_dir: str | os.PathLike,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    retries: int = 3,
    progress: bool = False,
    connect_timeout: float = 30.0,
) -> SweepReport:
    """Run every missing run of `spec` on Dask, writing each result as soon as it finishes.

    `client`: an existing `dask.distributed.Client` (else one is made from `scheduler`, or a
    `LocalCluster` of `workers` single-threaded processes). Runs whose file exists are skipped.
    A failing run is reported (and left missing, so a re-run tries it again), not fatal.
    `connect_timeout`: seconds to wait for the scheduler at `scheduler`.
    """
    start = time.perf_counter()
    plan = plan_sweep(spec)
    out = Path(out_dir)
    runs_dir = out / RUNS
    runs_dir.mkdir(parents=True, exist_ok=True)
    _clean_temp_files(runs_dir)

    created = _now()
    previous = out / MANIFEST
    if previous.exists():
        with contextlib.suppress(OSError, ValueError, HrhsimError):
            created = load_manifest(out).get("created", created)

    existing = {p.stem for p in runs_dir.glob("*.parquet")}
    expected = {t.key for t in plan.tasks}
    orphans = len(existing - expected)
    if orphans:
        log.warning(
            "%d run file(s) in %s belong to another sweep definition and are ignored",
            orphans,
            runs_dir,
        )
    todo = [t for t in plan.tasks if t.key not in existing]
    skipped = len(plan.tasks) - len(todo)
    status = {"runs": len(plan.tasks), "done": skipped, "failed": 0, "state": "running"}
    _write_manifest(out, _manifest(plan, created, status))
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
    if todo:
        ctx = (
            contextlib.nullcontext(client)
            if client is not None
            else dask_client(workers, scheduler, connect_timeout)
        )
        with ctx as c:
            ran, failed = _execute(c, plan, todo, runs_dir, retries, progress, skipped)

    done = skipped + ran
    status = {
        "runs": len(plan.tasks),
        "done": done,
        "failed": len(failed),
        "state": "complete" if done == len(plan.tasks) else "incomplete",
    }
    _write_manifest(out, _manifest(plan, created, status))
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
) -> tuple[int, list[dict]]:
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
        desc=f"sweep {plan.spec.name}",
        unit="run",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    try:
        for fut, result in as_completed(futures, with_results=True, raise_errors=False):
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
    return ran, failed


# --------------------------------------------------------------------------------------------------
# collecting


def load_runs(out_dir: str | os.PathLike, *, complete: bool = False) -> pd.DataFrame:
    """The runs of a sweep folder, one row per (point, replicate), sorted; dedup-checked.

    Only the run files of the folder's manifest are read; `point_id` and `replicate` come from the
    manifest (design points with identical parameters share one run file). Raises `HrhsimError`
    when a run is stored twice or a file does not hold the run its name says; with
    `complete=True` also when runs are missing.
    """
    import pyarrow.dataset as ds

    out = Path(out_dir)
    manifest = load_manifest(out)
    runs_dir = out / RUNS
    table = pd.DataFrame(manifest["runs"], columns=["key", "point_id", "replicate"])
    expected = set(table["key"])
    present = {p.stem for p in runs_dir.glob("*.parquet")} if runs_dir.is_dir() else set()
    keys = sorted(present & expected)
    missing = len(expected) - len(keys)
    if complete and missing:
        raise HrhsimError(
            f"the sweep is incomplete: {missing} of {len(expected)} runs missing",
            file=str(out),
            expected="a complete sweep (run `hrhsim sweep` again to finish it)",
        )
    params = manifest["design"]["parameters"]
    if not keys:
        return pd.DataFrame(columns=[*RESERVED_COLUMNS, *params])
    files = [str(runs_dir / f"{k}.parquet") for k in keys]
    frame = ds.dataset(files, format="parquet").to_table().to_pandas()
    if len(frame) != len(keys) or frame["run_key"].duplicated().any():
        raise HrhsimError(
            f"{len(frame)} rows in {len(keys)} run files (one run per file expected)",
            file=str(runs_dir),
        )
    if set(frame["run_key"]) != set(keys):
        raise HrhsimError("run files do not hold the runs their names say", file=str(runs_dir))
    columns = list(frame.columns)
    rows = table.rename(columns={"key": "run_key"}).merge(
        frame.drop(columns=["point_id"]), on="run_key", how="inner", suffixes=("", "_file")
    )
    if (rows["replicate"] != rows["replicate_file"]).any():
        raise HrhsimError("run files disagree with the manifest (replicate)", file=str(runs_dir))
    rows = rows.drop(columns=["replicate_file"])
    if rows.duplicated(["point_id", "replicate"]).any():
        raise HrhsimError("a (point, replicate) is stored twice", file=str(runs_dir))
    rows["point_id"] = rows["point_id"].astype("int64")
    rows["replicate"] = rows["replicate"].astype("int32")
    return rows[columns].sort_values(["point_id", "replicate"], ignore_index=True)
