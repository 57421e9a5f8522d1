"""Ctrl-C during `hrhsim compare`: one line "interrupted", exit 130, no traceback, runs kept.

A terminal sends SIGINT to the whole process group: `hrhsim compare` and the worker processes of
its pools (the forkserver they fork from, the resource tracker, the workers that draw charts or run
replicates). The forkserver printed a KeyboardInterrupt traceback when the Ctrl-C came while it
imported its preload modules, workers when it came while they were idle or starting; they leave it
to the main process now (`sim.processes`), which stops its pools and says "interrupted".
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from sim.cli.app import EXIT_INTERRUPTED
from sim.compare.cache import reusable
from sim.compare.folder import PENDING
from sim.inputs.scenario import load_scenario
from sim.outputs.results import verify_run_folder
from tests.process_groups import own_group
from tests.test_sweep import ENV, ROOT

SCENARIOS = [ROOT / "scenarios" / f"archetypes_{n}.yaml" for n in ("baseline", "retention")]
RUNS = ["archetypes_baseline", "archetypes_retention"]
SET = ("time.years=3",)
REPLICATES = 2

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs /proc")


def _group(pgid: int) -> dict[int, str]:
    """The processes of the group `pgid` still running (not zombies): pid -> command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found[int(entry.name)] = command
    return found


def _under_way(out: Path, pgid: int) -> bool:
    """Every scenario run written, and the briefing's drawing processes starting: the forkserver
    is importing matplotlib (where a Ctrl-C printed a traceback)."""
    runs = all((out / PENDING / name / "manifest.json").is_file() for name in RUNS)
    return runs and any("multiprocessing.forkserver" in c for c in _group(pgid).values())


def _group_ended(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _group(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _group(pgid)


def test_ctrl_c_stops_a_compare_without_traceback_and_keeps_its_runs(tmp_path):
    out = tmp_path / "briefing"
    sets = [item for s in SET for item in ("--set", s)]
    cmd = [sys.executable, "-m", "sim", "compare", *map(str, SCENARIOS), "-o", str(out)]
    cmd += [*sets, "--replicates", str(REPLICATES), "--no-progress"]
    stderr_path = tmp_path / "stderr.txt"
    with own_group(cmd, stderr_path, ENV, ROOT) as proc:
        deadline = time.monotonic() + 120  # numba compiles on a cold cache; a loaded machine
        while not _under_way(out, proc.pid) and proc.poll() is None:
            assert time.monotonic() < deadline, "the briefing did not start in 120 s"
            time.sleep(0.02)
        assert proc.poll() is None, f"the compare ended first: {stderr_path.read_text()}"
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole group, workers included
        code = proc.wait(timeout=60)
    err = stderr_path.read_text()
    assert code == EXIT_INTERRUPTED, err
    assert err.strip().splitlines() == ["interrupted"], err  # one line: no traceback, no warning
    assert _group_ended(proc.pid, 30), f"processes outlived the compare: {_group(proc.pid)}"

    # The finished runs are whole (every table as its manifest records) and would be reused; they
    # wait beside `runs/` for the briefing that describes them (none yet: `runs/` has no run); no
    # staging folder or temporary file of the interrupted writers is left.
    assert not any((out / "runs").glob("*/manifest.json"))
    for path, name in zip(SCENARIOS, RUNS, strict=True):
        run_dir = out / PENDING / name
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        assert verify_run_folder(run_dir, manifest) == [], name
        scenario = load_scenario(path, SET)
        assert reusable(
            scenario, run_dir, seed=scenario.data["seed"], replicates=REPLICATES, force=False
        ), name
    leftovers = [
        p for p in out.rglob(".*") if ".new-" in p.name or ".old-" in p.name or p.suffix == ".tmp"
    ]
    assert not leftovers, leftovers


def _stoppable_sleep(marker: str, seconds: float) -> str:
    """A pool task that says when it runs, then takes `seconds` unless stopped."""
    from sim.processes import stoppable

    with stoppable():
        Path(marker).touch()
        time.sleep(seconds)
    return "slept"


def test_pool_workers_leave_ctrl_c_to_the_main_process_which_can_end_their_task(tmp_path):
    """The workers of the compare pools ignore SIGINT (blocked since the forkserver started), and
    `stop_workers` ends the task a worker runs, so that a pool closed after a Ctrl-C does not
    wait for the replicates in flight; the worker then ends as usual."""
    from concurrent.futures import ProcessPoolExecutor

    from sim.processes import forkserver_context, stop_workers, worker_initializer

    handler = signal.getsignal(signal.SIGINT)
    context = forkserver_context()
    assert signal.getsignal(signal.SIGINT) is handler  # the caller's handler is as it was
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    with ProcessPoolExecutor(1, mp_context=context, initializer=worker_initializer) as pool:
        assert pool.submit(signal.getsignal, signal.SIGINT).result(60) == signal.SIG_IGN
        assert signal.SIGINT in pool.submit(signal.pthread_sigmask, signal.SIG_BLOCK, []).result()
        marker = tmp_path / "started"
        future = pool.submit(_stoppable_sleep, str(marker), 120)
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert time.monotonic() < deadline, "the task did not start in 60 s"
            time.sleep(0.01)
        started = time.monotonic()
        stop_workers(pool)
        with pytest.raises(KeyboardInterrupt):
            future.result(timeout=60)
        assert pool.submit(os.getpid).result(60)  # the worker is still there, idle
    assert time.monotonic() - started < 30
