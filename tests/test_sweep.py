"""Sweeps on Dask distributed: LocalCluster, an external scheduler, kills and resumption.

The pipeline tests use the `toy` model (a deterministic function of the parameters and the replicate
seed, with an optional sleep) so they are fast and their results known exactly.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

from sim.errors import HrhsimError
from sim.sweep.execute import (
    MANIFEST,
    _warn_if_analysis_is_stale,
    load_runs,
    replicate_seed,
    run_sweep,
)
from sim.sweep.spec import load_sweep
from tests.sweep_models import toy

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}

TOY_SWEEP = """\
name: toy
model: toy
seed: 7
fixed:
  sleep: {sleep}
parameters:
  a: {{levels: [0, 1, 2, 3]}}
  b: {{levels: [0.5, 1.5, 2.5]}}
design: {{kind: grid}}
replicates: 2
outcomes: [y, z]
"""
N_RUNS = 4 * 3 * 2
SWEEP_CMD = (sys.executable, "-m", "tests.sweep_cli", "sweep")
"""`hrhsim sweep` with the test models registered (tests/sweep_cli.py)."""
COMPARED = ["point_id", "replicate", "seed", "a", "b", "y", "z"]
"""Columns identical between runs of the toy sweep (not timings or workers; the run keys also
depend on the `sleep` control)."""


def toy_file(folder: Path, sleep: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"toy_{sleep}.yaml"
    path.write_text(TOY_SWEEP.format(sleep=sleep), encoding="utf-8")
    return path


def expected_toy() -> pd.DataFrame:
    """The toy sweep's results computed directly, without the pipeline."""
    rows = []
    point = 0
    for a in (0.0, 1.0, 2.0, 3.0):
        for b in (0.5, 1.5, 2.5):
            for r in range(2):
                seed = replicate_seed(7, r)[1]
                out = toy({"a": a, "b": b}, seed)
                rows.append({"point_id": point, "replicate": r, "seed": seed, "a": a, "b": b})
                rows[-1].update(out)
            point += 1
    return pd.DataFrame(rows)


def count_runs(runs_dir: Path) -> int:
    return len(list(runs_dir.glob("*.parquet"))) if runs_dir.exists() else 0


def assert_same_runs(
    got: pd.DataFrame, ref: pd.DataFrame, columns=COMPARED, check_dtype: bool = True
) -> None:
    pd.testing.assert_frame_equal(
        got[columns].reset_index(drop=True),
        ref[columns].reset_index(drop=True),
        check_dtype=check_dtype,
    )


# --------------------------------------------------------------------------------------------------
# processes: a scheduler and workers on 127.0.0.1, always shut down


class DaskProcesses:
    """`dask scheduler` (port chosen by the OS) and `dask worker` subprocesses, own sessions."""

    def __init__(self, folder: Path, n_workers: int = 2) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.procs: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []
        sched_file = folder / "scheduler.json"
        self.scheduler = self._start(
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(sched_file),
            ],
            "scheduler",
        )
        deadline = time.monotonic() + 60
        while not sched_file.exists():
            if self.scheduler.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("dask scheduler did not start: " + self.log("scheduler"))
            time.sleep(0.1)
        time.sleep(0.1)
        self.address = json.loads(sched_file.read_text())["address"]
        for i in range(n_workers):
            self.workers.append(
                self._start(
                    [
                        "worker",
                        self.address,
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                        "--name",
                        f"w{i}",
                        "--local-directory",
                        str(folder / f"w{i}"),
                    ],
                    f"worker{i}",
                )
            )
        from dask.distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(n_workers, timeout=60)

    def _start(self, args: list[str], name: str) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=ENV,
            cwd=str(ROOT),
            start_new_session=True,
        )
        log.close()
        self.procs.append(proc)
        return proc

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL the process group of `proc` (the nanny and its worker process)."""
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def close(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)


@pytest.fixture(scope="module")
def dask_processes(tmp_path_factory):
    procs = DaskProcesses(tmp_path_factory.mktemp("dask"))
    try:
        yield procs
    finally:
        procs.close()


@pytest.fixture
def fresh_dask_processes(tmp_path):
    procs = DaskProcesses(tmp_path / "dask")
    try:
        yield procs
    finally:
        procs.close()


@pytest.fixture(scope="module")
def local_result(tmp_path_factory):
    """The toy sweep run uninterrupted on a LocalCluster of 2 worker processes."""
    folder = tmp_path_factory.mktemp("local")
    spec = load_sweep(toy_file(folder, 0.0))
    report = run_sweep(spec, folder / "out", workers=2)
    return report, load_runs(folder / "out", complete=True)


# --------------------------------------------------------------------------------------------------
# tests


def test_local_cluster_sweep_is_complete_and_correct(local_result):
    report, runs = local_result
    assert report.complete and report.ran == N_RUNS and report.skipped == 0
    assert len(runs) == N_RUNS
    columns = ["point_id", "replicate", "seed", "a", "b", "y", "z"]
    assert_same_runs(runs, expected_toy(), columns, check_dtype=False)
    assert (runs["elapsed_s"] >= 0).all() and runs["worker"].str.len().gt(0).all()
    files = sorted(p.stem for p in (report.out_dir / "runs").glob("*.parquet"))
    assert files == sorted(runs["run_key"])
    manifest = json.loads((report.out_dir / MANIFEST).read_text())
    assert manifest["status"]["state"] == "complete"
    assert len(manifest["points"]) == 12 and len(manifest["runs"]) == N_RUNS
    assert manifest["sweep"]["design"]["kind"] == "grid"
    assert manifest["package_version"] and manifest["created"]
    # every run file is a Parquet table of one row; the folder reads as one dataset
    assert len(pd.read_parquet(report.out_dir / "runs")) == N_RUNS


def test_rerun_skips_everything(local_result, tmp_path):
    report, _ = local_result
    mtimes = {p: p.stat().st_mtime_ns for p in (report.out_dir / "runs").glob("*.parquet")}
    spec = load_sweep(toy_file(tmp_path, 0.0))
    again = run_sweep(spec, report.out_dir, client=object())  # no Dask needed: nothing to run
    assert again.skipped == N_RUNS and again.ran == 0 and again.complete
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes


def test_sensitivity_outputs_of_an_earlier_design_are_warned_about(tmp_path, caplog):
    """A sweep written into a folder whose sensitivity outputs came from other runs (its design
    or base changed) says they are stale; the same runs: no warning."""
    earlier = {"runs": [{"key": "a", "point_id": 0, "replicate": 0}, {"key": "b"}]}
    _warn_if_analysis_is_stale(tmp_path, earlier, {"a", "c"})  # no outputs: nothing to say
    (tmp_path / "sensitivity.csv").write_text("x\n")
    (tmp_path / "sensitivity.png").write_bytes(b"")
    with caplog.at_level("WARNING", logger="sim.sweep.execute"):
        _warn_if_analysis_is_stale(tmp_path, earlier, {"a", "b"})
    assert caplog.text == ""
    with caplog.at_level("WARNING", logger="sim.sweep.execute"):
        _warn_if_analysis_is_stale(tmp_path, earlier, {"a", "c"})
    assert "sensitivity.csv, sensitivity.png describe the runs" in caplog.text
    assert f"hrhsim sensitivity {tmp_path}" in caplog.text


def test_external_scheduler_gives_identical_results(dask_processes, local_result, tmp_path):
    _, ref = local_result
    path = toy_file(tmp_path, 0.0)
    out = tmp_path / "out"
    proc = subprocess.run(
        [*SWEEP_CMD, str(path), "-o", str(out), "--scheduler", dask_processes.address],
        env=ENV,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"{N_RUNS} run now, 0 failed" in proc.stdout
    assert_same_runs(load_runs(out, complete=True), ref, [*COMPARED, "run_key"])


def test_killed_sweep_resumes_without_loss_or_duplicates(local_result, tmp_path):
    _, ref = local_result
    path = toy_file(tmp_path, 0.25)  # runs last 0.25 s so the kill lands mid-sweep
    out = tmp_path / "out"
    runs_dir = out / "runs"
    cmd = [*SWEEP_CMD, str(path), "-o", str(out), "--workers", "2"]
    proc = subprocess.Popen(
        cmd,
        env=ENV,
        cwd=str(ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while count_runs(runs_dir) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    first = {p: p.stat().st_mtime_ns for p in runs_dir.glob("*.parquet")}
    assert 3 <= len(first) < N_RUNS, f"{len(first)} runs done when killed"
    with pytest.raises(HrhsimError, match="incomplete"):
        load_runs(out, complete=True)
    partial = load_runs(out)
    done = ref.set_index(["point_id", "replicate"]).index.isin(
        partial.set_index(["point_id", "replicate"]).index
    )
    assert_same_runs(partial, ref[done])

    rerun = subprocess.run(cmd, env=ENV, cwd=str(ROOT), capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(first)} already done, {N_RUNS - len(first)} run now, 0 failed" in rerun.stdout
    assert {p: p.stat().st_mtime_ns for p in first} == first  # finished runs were not redone
    assert len(list(runs_dir.glob("*.parquet"))) == N_RUNS
    assert not list(runs_dir.glob(".*.tmp"))  # temporary files of the killed process removed
    runs = load_runs(out, complete=True)
    assert not runs.duplicated(["point_id", "replicate"]).any()
    assert_same_runs(runs, ref)


def test_killed_worker_is_replaced_and_sweep_completes(
    fresh_dask_processes, local_result, tmp_path
):
    _, ref = local_result
    procs = fresh_dask_processes
    spec = load_sweep(toy_file(tmp_path, 0.25))
    out = tmp_path / "out"
    runs_dir = out / "runs"
    result: dict = {}

    def sweep() -> None:
        try:
            result["report"] = run_sweep(spec, out, scheduler=procs.address)
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=sweep, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while count_runs(runs_dir) < 4:
        assert time.monotonic() < deadline, "the sweep did not start"
        time.sleep(0.02)
    done_before = count_runs(runs_dir)
    procs.kill(procs.workers[1])  # mid-sweep: both workers are busy with 0.25 s runs
    thread.join(timeout=120)
    assert not thread.is_alive(), "the sweep did not finish after a worker was killed"
    assert "error" not in result, result.get("error")
    report = result["report"]
    assert done_before < N_RUNS
    assert report.complete and report.ran == N_RUNS and not report.failed
    runs = load_runs(out, complete=True)
    assert_same_runs(runs, ref)


def test_failed_runs_are_reported_and_retried_on_rerun(tmp_path, dask_processes):
    """A model error leaves the run missing (exit status 1); a re-run once fixed completes it."""
    flag = tmp_path / "fail"
    flag.write_text("x")
    path = tmp_path / "flaky.yaml"
    path.write_text(
        f"""\
model: toy
fixed: {{sleep: 0, fail_if_exists: "{flag}"}}
parameters:
  a: {{levels: [1, 2]}}
design: {{kind: grid}}
replicates: 1
outcomes: [y]
""",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    cmd = [*SWEEP_CMD, str(path), "-o", str(out)]
    cmd += ["--scheduler", dask_processes.address, "--retries", "1"]
    proc = subprocess.run(cmd, env=ENV, cwd=str(ROOT), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "2 failed" in proc.stdout and "RuntimeError" in proc.stderr
    assert count_runs(out / "runs") == 0
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["status"]["state"] == "incomplete" and manifest["status"]["failed"] == 2
    flag.unlink()
    proc = subprocess.run(cmd, env=ENV, cwd=str(ROOT), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "0 already done, 2 run now, 0 failed" in proc.stdout
    assert list(load_runs(out, complete=True)["a"]) == [1.0, 2.0]


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    spec = load_sweep(toy_file(tmp_path, 0.0))
    with pytest.raises(HrhsimError, match="cannot connect to the Dask scheduler"):
        run_sweep(spec, tmp_path / "out", scheduler=f"tcp://127.0.0.1:{port}", connect_timeout=2)


# --------------------------------------------------------------------------------------------------
# the real model


BASE = """\
name: tiny
world: {kind: archetypes}
time: {start_year: 2023, years: 2, steps_per_year: 4}
scale: {workers_per_agent: 100}
"""

HRHSIM_SWEEP = """\
base: base.yaml
fixed:
  policies.ethical_recruitment.enabled: true
  policies.compensation.enabled: true
parameters:
  policies.compensation.rate: {levels: [0, 40000]}
  policies.ethical_recruitment.passive_rate: {levels: [0.0, 1.0]}
design: {kind: grid}
replicates: 1
outcomes:
  - {name: sg_density, indicator: density, countries: safeguards}
  - {name: sg_emigrants, indicator: emigrants, countries: safeguards, year: all, stat: sum}
  - {name: comp, indicator: compensation_received, countries: safeguards, year: all, stat: sum}
  - {name: dest_vacancy_rate, indicator: vacancy_rate, countries: destinations}
"""


def test_hrhsim_model_sweep_matches_direct_runs(tmp_path, dask_processes):
    from sim.inputs.scenario import selected_countries
    from sim.runner import run_replicate
    from sim.sweep.outcomes import compute_outcomes

    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    path = tmp_path / "sweep.yaml"
    path.write_text(HRHSIM_SWEEP, encoding="utf-8")
    spec = load_sweep(path)
    report = run_sweep(spec, tmp_path / "out", scheduler=dask_processes.address)
    assert report.complete and report.total == 4
    runs = load_runs(tmp_path / "out", complete=True)
    assert list(runs["policies.compensation.rate"]) == [0.0, 0.0, 40000.0, 40000.0]
    assert list(runs["policies.ethical_recruitment.passive_rate"]) == [0.0, 1.0, 0.0, 1.0]
    assert (runs["comp"][runs["policies.compensation.rate"] == 0] == 0).all()
    assert (runs[["sg_density", "sg_emigrants", "comp", "dest_vacancy_rate"]] >= 0).all().all()
    # the last point equals a direct run of the scenario with the same overrides
    point = spec.base.with_overrides(
        {"policies.compensation.rate": 40000.0, "policies.ethical_recruitment.passive_rate": 1.0}
    )
    seed_seq, seed = replicate_seed(int(point.data["seed"]), 0)
    direct = run_replicate(point, 0, seed_seq)
    values = compute_outcomes(
        direct.indicators,
        spec.outcomes,
        lambda sel: list(sel) if isinstance(sel, tuple) else selected_countries(point, sel),
        start_year=2023,
    )
    assert runs.loc[3, "seed"] == seed == direct.seed
    for name, value in values.items():
        assert runs.loc[3, name] == pytest.approx(value, rel=1e-12), name


def test_runs_of_other_code_are_named_as_such(tmp_path, monkeypatch, caplog):
    """A sweep's run keys include the code's fingerprint, so after any change to hrhsim's code or
    data (a pull, an edit under sim/) every run is done again: sweep.json records the fingerprint
    and the warning about the ignored runs says that is why (it said "another sweep definition")."""
    import sim.sweep.execute as execute

    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    path = tmp_path / "sweep.yaml"
    path.write_text(HRHSIM_SWEEP, encoding="utf-8")
    spec = load_sweep(path)
    out = tmp_path / "out"
    monkeypatch.setattr(execute, "_execute", lambda *args: (0, [], None))  # no Dask, no runs
    monkeypatch.setattr(execute, "code_fingerprint", lambda: "old code")
    run_sweep(spec, out, client=object())
    assert json.loads((out / MANIFEST).read_text(encoding="utf-8"))["code_hash"] == "old code"
    old_keys = [r["key"] for r in json.loads((out / MANIFEST).read_text())["runs"]]
    for key in old_keys:  # stand-ins for the runs the old code made
        (out / "runs" / f"{key}.parquet").write_bytes(b"")

    monkeypatch.setattr(execute, "code_fingerprint", lambda: "new code")
    with caplog.at_level("WARNING", logger="sim.sweep.execute"):
        report = run_sweep(spec, out, client=object())
    assert report.skipped == 0  # the old code's runs are not reused
    assert "4 run file(s)" in caplog.text
    assert "were made by another version of hrhsim's code or data" in caplog.text
    assert "another sweep definition" not in caplog.text
    assert json.loads((out / MANIFEST).read_text(encoding="utf-8"))["code_hash"] == "new code"

    # the same code, another design: the runs belong to another sweep definition
    caplog.clear()
    path.write_text(HRHSIM_SWEEP.replace("[0, 40000]", "[0, 20000]"), encoding="utf-8")
    with caplog.at_level("WARNING", logger="sim.sweep.execute"):
        run_sweep(load_sweep(path), out, client=object())
    assert "another sweep definition" in caplog.text
    assert "were made by another version" not in caplog.text


def test_local_workers_share_the_cpus_between_their_numba_threads(monkeypatch):
    """Local worker processes get numba threads that together use the CPUs once: without it each
    ran the arrays engine's parallel kernels on every CPU (2 workers on 2 cores: 4 spinning
    threads, the fit check 2.7 times slower)."""
    from sim.sweep import cluster

    for cpus, workers, threads in ((2, 2, "1"), (8, 2, "4"), (2, 4, "1"), (4, 1, "4")):
        monkeypatch.setattr(cluster, "cpu_count", lambda cpus=cpus: cpus)
        assert cluster.worker_threads_env(workers) == {"NUMBA_NUM_THREADS": threads}
    monkeypatch.undo()
    monkeypatch.setenv("NUMBA_NUM_THREADS", "7")  # what the workers would inherit otherwise
    with cluster.dask_client(2) as client:
        seen = client.run(lambda: os.environ.get("NUMBA_NUM_THREADS"))
    expected = cluster.worker_threads_env(2)["NUMBA_NUM_THREADS"]
    assert len(seen) == 2 and set(seen.values()) == {expected}


def test_the_local_cluster_leaves_port_8787_to_other_clusters():
    """With another cluster's dashboard on port 8787 (held here when free), a sweep's local cluster
    starts without Dask's "Port 8787 is already in use" warning: it starts no dashboard, and its
    scheduler serves HTTP (health, metrics) on a free local port."""
    from sim.sweep import cluster

    with contextlib.ExitStack() as stack:
        holder = stack.enter_context(socket.socket())
        with contextlib.suppress(OSError):  # held by another program already: as good
            holder.bind(("127.0.0.1", 8787))
            holder.listen()
        caught = stack.enter_context(warnings.catch_warnings(record=True))
        warnings.simplefilter("always")
        with cluster.dask_client(1) as client:
            http = client.cluster.scheduler.http_server
            address, port = http.address, http.port
    said = [str(w.message) for w in caught]
    assert not [m for m in said if "already in use" in m], said
    assert address == "127.0.0.1" and port != 8787
