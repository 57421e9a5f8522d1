"""Ctrl-C during `hrhsim sweep`: one line "interrupted", no traceback, and the sweep resumes.

A terminal sends SIGINT to the whole process group: the sweep's process and its local Dask
worker processes. The workers used to take it too and print KeyboardInterrupt tracebacks while
the cluster closed; they ignore it now (`sim.sweep.cluster`), and only the main process stops.
Its `sweep.json` says `interrupted` (it said `running` until the sweep was run again).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sim.cli.app import EXIT_INTERRUPTED
from sim.processes import interrupts_ignored
from sim.sweep.cluster import dask_client
from sim.sweep.execute import load_manifest, load_runs
from tests.process_groups import own_group
from tests.test_sweep import (
    ENV,
    N_RUNS,
    ROOT,
    SWEEP_CMD,
    assert_same_runs,
    count_runs,
    expected_toy,
    toy_file,
)

SLEEP = 0.5
"""Seconds each toy run lasts: 24 runs on 2 workers take 6 s, so the interrupt lands mid-sweep."""


def _group_gone(pgid: int, timeout: float) -> bool:
    """Whether no process of the group `pgid` is left (waiting up to `timeout` s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_ctrl_c_stops_a_sweep_without_traceback_and_it_resumes(tmp_path):
    path = toy_file(tmp_path, SLEEP)
    out = tmp_path / "out"
    runs_dir = out / "runs"
    cmd = [*SWEEP_CMD, str(path), "-o", str(out), "--workers", "2", "--no-progress"]
    stderr_path = tmp_path / "stderr.txt"
    with own_group(cmd, stderr_path, ENV, ROOT) as proc:
        deadline = time.monotonic() + 90  # the cluster's start on a loaded machine
        while count_runs(runs_dir) < 1 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, f"the sweep ended first: {stderr_path.read_text()}"
        assert count_runs(runs_dir) >= 1, "no run written in 90 s"
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole group, workers included
        code = proc.wait(timeout=60)
    err = stderr_path.read_text()
    assert code == EXIT_INTERRUPTED, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.strip().splitlines()[-1] == "interrupted", err
    assert _group_gone(proc.pid, 30), "worker processes outlived the interrupted sweep"
    first = {p: p.stat().st_mtime_ns for p in runs_dir.glob("*.parquet")}
    assert 1 <= len(first) < N_RUNS, f"{len(first)} runs done when interrupted"
    status = load_manifest(out)["status"]  # not `running` any more: nothing runs
    assert status == {"runs": N_RUNS, "done": len(first), "failed": 0, "state": "interrupted"}

    rerun = subprocess.run(cmd, env=ENV, cwd=str(ROOT), capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(first)} already done, {N_RUNS - len(first)} run now, 0 failed" in rerun.stdout
    assert {p: p.stat().st_mtime_ns for p in first} == first  # finished runs were not redone
    assert_same_runs(load_runs(out, complete=True), expected_toy(), check_dtype=False)
    status = load_manifest(out)["status"]
    assert status == {"runs": N_RUNS, "done": N_RUNS, "failed": 0, "state": "complete"}


def _ignores_sigint() -> bool:
    return signal.getsignal(signal.SIGINT) == signal.SIG_IGN


def test_local_workers_ignore_sigint_also_when_restarted():
    """The workers a nanny starts again (after a crash) ignore SIGINT too (the preload); the
    main process's handler is as it was."""
    handler = signal.getsignal(signal.SIGINT)
    with dask_client(2) as client:
        assert signal.getsignal(signal.SIGINT) is handler
        assert list(client.run(_ignores_sigint).values()) == [True, True]
        before = set(client.run(os.getpid).values())
        client.restart(timeout=120)
        restarted = client.run(_ignores_sigint)
        assert not before & set(client.run(os.getpid).values())  # new processes
        assert list(restarted.values()) == [True, True]
    assert signal.getsignal(signal.SIGINT) is handler


def test_processes_started_while_the_cluster_starts_ignore_sigint():
    """The local workers ignore SIGINT from their start (a Ctrl-C while the cluster starts)."""
    show = "import signal; print(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)"
    with interrupts_ignored():
        started = subprocess.run([sys.executable, "-c", show], capture_output=True, text=True)
    after = subprocess.run([sys.executable, "-c", show], capture_output=True, text=True)
    assert (started.stdout.strip(), after.stdout.strip()) == ("True", "False")


def test_closing_logs_are_quiet_inside_the_block_and_restored_after():
    """A cluster closed under runs in flight (`dask_client` on an exception): Dask and tornado
    log the cut connections as errors with tracebacks (seen once in CI after a Ctrl-C on a loaded
    machine); inside the block every such logger, children whose level Dask's configuration sets
    included, is at CRITICAL, and each gets its own level back after it."""
    import logging

    import distributed  # noqa: F401  (configures the levels of its loggers and tornado's)

    from sim.sweep.cluster import CLOSING_LOGGERS, _quiet_logs

    names = ("distributed", "distributed.scheduler", "distributed.client", "tornado",
             "tornado.application")  # fmt: skip
    before = {name: logging.getLogger(name).level for name in names}
    assert logging.getLogger("tornado.application").level == logging.ERROR  # set by Dask
    with _quiet_logs(CLOSING_LOGGERS):
        for name in names:
            assert logging.getLogger(name).getEffectiveLevel() == logging.CRITICAL, name
    assert {name: logging.getLogger(name).level for name in names} == before


def test_a_calibration_closes_its_cluster_with_the_exception_that_stopped_it():
    """`hrhsim calibrate` closes its cluster in a `finally` (`Runner.close`): the cluster's
    context sees the exception being handled (a Ctrl-C), so `dask_client` closes quietly, and a
    normal end closes it with none."""
    import contextlib
    from types import SimpleNamespace

    from sim.calibrate.execute import Runner

    seen = []

    @contextlib.contextmanager
    def cluster():
        try:
            yield
        except BaseException as exc:
            seen.append(type(exc))
            raise
        else:
            seen.append(None)

    for stop in (KeyboardInterrupt, None):
        stack = contextlib.ExitStack()
        stack.enter_context(cluster())
        runner = SimpleNamespace(stack=stack)
        try:
            try:
                if stop is not None:
                    raise stop
            finally:
                Runner.close(runner)
        except KeyboardInterrupt:
            pass
    assert seen == [KeyboardInterrupt, None]
