"""Running a sweep on Dask distributed: one task per (point, replicate), one Parquet file per run.

Every run has a key, a hash of (model, point parameters, replicate, resolved scenario hash, seed,
outcome definitions). Its row is written, as soon as the run finishes, to `DIR/runs/<key>.parquet`
by the package's atomic writer (temporary file, fsync, `os.replace`), so a file is either complete
or absent. A re-run skips every key whose file exists and reads as one Parquet row (a zero-byte or
damaged file is removed and run again): a killed or failed sweep restarts and runs only what is
missing, and no run can be stored twice. Tasks are pure, keyed by the run key and submitted with
`retries`, so a task lost with a worker (or failing transiently) is re-run elsewhere.

One sweep at a time writes to a folder (a lock held while it runs). A scheduler address is checked
before use: it must parse, accept a connection within 2 s and answer as a Dask scheduler within
10 s. When no worker is left for `worker_timeout` seconds the sweep stops and says so.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import __version__
from sim.errors import HrhsimError, ScenarioError, SetupError
from sim.inputs.yamlio import read_regular_file
from sim.model.rng import seed_from_sequence
from sim.outputs.provenance import code_fingerprint, git_commit
from sim.outputs.results import atomic_write, check_output_dir, clean_temp_files, write_problem
from sim.sweep.design import Design, build_design
from sim.sweep.models import get_model
from sim.sweep.outcomes import OutcomeSpec
from sim.sweep.spec import RESERVED_COLUMNS, SweepSpec

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
# files


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
    """Write one run row to `runs_dir/<run_key>.parquet` atomically and durably (fsync)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([row], schema=schema)
    return atomic_write(runs_dir / f"{row['run_key']}.parquet", lambda p: pq.write_table(table, p))


def valid_run_file(path: Path) -> bool:
    """Whether `path` is a complete Parquet file of one run (not empty, not truncated)."""
    import pyarrow.parquet as pq

    try:
        if path.stat().st_size < 12:
            return False
        with open(path, "rb") as fh:
            head = fh.read(4)
            fh.seek(-4, os.SEEK_END)
            tail = fh.read(4)
        if head != b"PAR1" or tail != b"PAR1":
            return False
        return pq.read_metadata(path).num_rows == 1
    except Exception as exc:  # OSError, or pyarrow's own errors for a damaged footer
        log.debug("run file %s unreadable: %s", path, exc)
        return False


def finished_runs(runs_dir: Path, expected: set[str]) -> set[str]:
    """Keys in `expected` with a valid run file; damaged files are removed (to be run again)."""
    done = set()
    for path in runs_dir.glob("*.parquet"):
        if path.stem not in expected:
            continue
        if valid_run_file(path):
            done.add(path.stem)
        else:
            log.warning("run file %s is empty or damaged; the run is done again", path)
            with contextlib.suppress(OSError):
                path.unlink()
    return done


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
    atomic_write(out_dir / MANIFEST, json.dumps(manifest, indent=1, allow_nan=False, default=str))


MAX_MANIFEST_BYTES = 1 << 30
"""Largest sweep.json read (a sweep at the run cap writes about 100 MiB)."""


def load_manifest(out_dir: str | os.PathLike) -> dict:
    """The `sweep.json` manifest of a sweep folder (`HrhsimError` naming the folder otherwise)."""
    folder = Path(out_dir)
    path = folder / MANIFEST
    if not folder.is_dir() or not path.exists():
        raise HrhsimError(
            "not a sweep folder (no sweep.json)",
            file=str(folder),
            expected="the -o folder of `hrhsim sweep`",
        )
    raw = read_regular_file(
        path, error=HrhsimError, what="sweep manifest", max_bytes=MAX_MANIFEST_BYTES
    )
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise HrhsimError(f"damaged sweep manifest: {exc}", file=str(path)) from None
    needed = ("runs", "design", "points", "sweep")
    if not isinstance(manifest, dict) or any(k not in manifest for k in needed):
        raise HrhsimError("damaged sweep manifest (keys missing)", file=str(path))
    return manifest


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


SCHEDULER_CONNECT_S = 2.0
"""Seconds to wait for a scheduler address to accept a TCP connection."""
SCHEDULER_HANDSHAKE_S = 10.0
"""Seconds to wait for a Dask scheduler to answer once connected."""
WORKER_TIMEOUT_S = 20.0
"""Default seconds a sweep waits with no worker alive before it stops and says so."""

_ADDRESS = re.compile(
    r"(?:(?P<scheme>tcp|tls|ws|wss)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(?P<port>\d{1,5})"
)


def parse_scheduler_address(address: str) -> tuple[str, str, int]:
    """(scheme, host, port) of `tcp://host:port` (or `host:port`, `tls://...`); `SetupError`."""
    match = _ADDRESS.fullmatch(str(address).strip())
    if match is None or not 0 < int(match["port"]) < 65536:
        raise SetupError(
            f"--scheduler: {address!r} is not a scheduler address",
            expected="an address such as tcp://127.0.0.1:8786",
        )
    return match["scheme"] or "tcp", match["host"].strip("[]"), int(match["port"])


def check_scheduler(
    address: str,
    connect_timeout: float = SCHEDULER_CONNECT_S,
    handshake_timeout: float = SCHEDULER_HANDSHAKE_S,
) -> None:
    """`SetupError` unless a Dask scheduler answers at `address`.

    Nothing listening fails within `connect_timeout` (a refused connection in milliseconds);
    a server that accepts but does not answer as a Dask scheduler (silent, another protocol, a
    Dask worker) fails within `handshake_timeout`. `distributed.Client` alone can wait forever
    on a silent server.
    """
    _, host, port = parse_scheduler_address(address)
    expected = "the address of a running Dask scheduler, e.g. tcp://127.0.0.1:8786"
    try:
        with socket.create_connection((host, port), timeout=connect_timeout):
            pass
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
        raise SetupError(
            f"cannot connect to the Dask scheduler {address}: {reason}", expected=expected
        ) from None
    outcome: dict[str, Any] = {}

    def probe() -> None:
        import asyncio

        from distributed.comm import connect

        async def identity() -> Any:
            comm = await connect(address, timeout=handshake_timeout)
            try:
                await comm.write({"op": "identity", "reply": True})
                return await comm.read()
            finally:
                comm.abort()

        try:
            outcome["reply"] = asyncio.run(asyncio.wait_for(identity(), handshake_timeout))
        except BaseException as exc:  # timeouts, closed connections, garbage decoded
            outcome["error"] = exc

    thread = threading.Thread(target=probe, name="hrhsim-scheduler-probe", daemon=True)
    thread.start()
    thread.join(handshake_timeout + 5)
    reply = outcome.get("reply")
    kind = reply.get("type") if isinstance(reply, dict) else None
    if kind != "Scheduler":
        if "error" in outcome:
            exc = outcome["error"]
            why = "no answer" if isinstance(exc, TimeoutError) else type(exc).__name__
        else:
            why = f"a {kind} answered" if kind else "no Dask answer"
        raise SetupError(
            f"{address} is not a Dask scheduler: no Dask handshake within "
            f"{handshake_timeout:g} s ({why})",
            expected=expected,
        )


@contextlib.contextmanager
def dask_client(
    workers: int | None = None,
    scheduler: str | None = None,
    connect_timeout: float = SCHEDULER_HANDSHAKE_S,
) -> Iterator[Any]:
    """A Dask client connected to `scheduler`, or to a new `LocalCluster` of `workers` processes.

    A scheduler address is checked first (`SetupError` when it does not parse, refuses the
    connection, or does not answer as a Dask scheduler within `connect_timeout` seconds).
    """
    import dask
    from dask.distributed import Client, LocalCluster

    if scheduler:
        check_scheduler(scheduler, handshake_timeout=connect_timeout)
        try:
            with dask.config.set({"distributed.comm.timeouts.connect": f"{connect_timeout}s"}):
                client = Client(scheduler, timeout=f"{connect_timeout}s")
        except Exception as exc:  # timeouts, closed connections, garbage from another server
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SetupError(
                f"cannot connect to the Dask scheduler {scheduler}: no Dask handshake within "
                f"{connect_timeout:g} s ({detail})",
                expected="the address of a running Dask scheduler, e.g. tcp://127.0.0.1:8786",
            ) from None
        try:
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.close(timeout=5)
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


@contextlib.contextmanager
def _sweep_folder(out: Path) -> Iterator[Path]:
    """The sweep's output folder, checked and locked for this process while the sweep runs."""
    check_output_dir(out, run_folder=False)
    if out.is_dir():
        entries = [e for e in os.listdir(out) if not e.startswith(".")]
        if entries and MANIFEST not in entries and RUNS not in entries:
            raise SetupError(
                f"the output folder {out} is not a sweep folder (no sweep.json)",
                expected="an empty folder, a new path, or the folder of the same sweep (-o)",
            )
    runs_dir = out / RUNS
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_problem(exc, runs_dir, "create the folder") from None
    fd = os.open(out, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SetupError(
                f"another sweep is writing to {out}",
                expected="one sweep at a time per output folder (wait, or use another -o)",
            ) from None
        clean_temp_files(runs_dir)
        clean_temp_files(out)
        yield runs_dir
    finally:
        os.close(fd)


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
    with _sweep_folder(out) as runs_dir:
        created = _now()
        if (out / MANIFEST).exists():
            with contextlib.suppress(OSError, ValueError, HrhsimError):
                created = load_manifest(out).get("created", created)

        expected = {t.key for t in plan.tasks}
        existing = finished_runs(runs_dir, expected)
        orphans = sum(1 for p in runs_dir.glob("*.parquet") if p.stem not in expected)
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
        stranded: str | None = None
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

        done = skipped + ran
        status = {
            "runs": len(plan.tasks),
            "done": done,
            "failed": len(failed),
            "state": "complete" if done == len(plan.tasks) else "incomplete",
        }
        _write_manifest(out, _manifest(plan, created, status))
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


class _WorkerWatch:
    """Stops a sweep (clears its `as_completed`) when no worker is alive for `timeout` s."""

    def __init__(self, client: Any, completed: Any, timeout: float, poll: float = 1.0) -> None:
        self.client, self.completed, self.timeout, self.poll = client, completed, timeout, poll
        self.reason: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="hrhsim-worker-watch", daemon=True)

    def _workers(self) -> int | None:
        try:
            return len(self.client.nthreads())
        except Exception:  # the scheduler itself is unreachable
            return None

    def _watch(self) -> None:
        since: float | None = None
        while not self._stop.wait(self.poll):
            n = self._workers()
            if n:
                since = None
                continue
            since = since if since is not None else time.monotonic()
            if time.monotonic() - since >= self.timeout:
                what = "no Dask worker" if n == 0 else "the Dask scheduler is unreachable"
                self.reason = f"{what} for {self.timeout:g} s: the sweep stopped"
                self.completed.clear()
                return

    def __enter__(self) -> _WorkerWatch:
        if self.timeout and self.timeout > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


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
    watch = _WorkerWatch(client, completed, worker_timeout)
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
    damaged = [f for f in files if not valid_run_file(Path(f))]
    if damaged:
        raise HrhsimError(
            f"{len(damaged)} run file(s) are empty or damaged, e.g. {Path(damaged[0]).name}",
            file=str(runs_dir),
            expected="complete run files (run `hrhsim sweep` again: damaged runs are redone)",
        )
    try:
        frame = ds.dataset(files, format="parquet").to_table().to_pandas()
    except Exception as exc:  # pyarrow's errors for files that do not fit together
        raise HrhsimError(f"cannot read the run files: {exc}", file=str(runs_dir)) from None
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
