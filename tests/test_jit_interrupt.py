"""Ctrl-C while numba compiles (a cold cache): one line "interrupted", exit 130, no traceback.

numba compiles a kernel on its first call, or loads it from its disk cache; inside, llvmlite calls
back into Python through ctypes. A KeyboardInterrupt raised in such a callback was printed as
"Exception ignored on calling ctypes callback function" and lost: the command went on, or ended
with status 0. A Ctrl-C during a compile now takes effect when that compile is done
(`sim.jitcache`, with `sim.processes.interrupts_deferred`), so `run`, `compare` and `sweep` end as
after any other Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cli.app import EXIT_INTERRUPTED
from tests.process_groups import own_group
from tests.test_sweep import ENV, ROOT

pytestmark = pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signals")

_COMPILE_INTERRUPTED = """
import os, signal

import sim  # noqa: F401  (sim.jitcache: numba's compiles defer a Ctrl-C)
from numba import njit
from numba.core import event


@njit
def kernel(x):
    return x * 2 + 1


class CtrlC(event.Listener):
    def on_start(self, ev):  # numba starts compiling `kernel`: a Ctrl-C now
        os.kill(os.getpid(), signal.SIGINT)

    def on_end(self, ev):
        pass


event.register("numba:compile", CtrlC())
try:
    kernel(3)
except KeyboardInterrupt:
    print("interrupted", len(kernel.overloads))
else:
    print("not interrupted")
"""


def test_a_ctrl_c_during_a_compile_takes_effect_when_the_compile_is_done(tmp_path):
    """The KeyboardInterrupt comes after the kernel is compiled whole, never inside numba."""
    proc = subprocess.run(
        [sys.executable, "-c", _COMPILE_INTERRUPTED],
        env={**ENV, "NUMBA_CACHE_DIR": str(tmp_path / "cache")},
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["interrupted", "1"], proc.stdout + proc.stderr
    assert proc.stderr == "", proc.stderr


_CTRL_C_IN_LLVMLITE = """
import os, signal, sys

import sim  # noqa: F401
from numba.core import codegen
from sim.cli import main

original = codegen.JITCodeLibrary._object_compiled_hook
sent = []


def hook(cls, ll_module, buf):  # llvmlite's ctypes callback, when LLVM made a kernel's code
    if not sent:
        sent.append(1)
        os.kill(os.getpid(), signal.SIGINT)  # a Ctrl-C: its handler runs in the callback
    return original(ll_module, buf)


codegen.JITCodeLibrary._object_compiled_hook = classmethod(hook)
sys.exit(main(sys.argv[1:]))
"""

SCENARIO = ROOT / "scenarios" / "archetypes_baseline.yaml"
RUN_ARGS = ["--set", "time.years=5", "--replicates", "2", "--no-progress"]


def test_a_ctrl_c_inside_llvmlite_callbacks_ends_a_run_cleanly(tmp_path):
    """The Ctrl-C that was lost: its KeyboardInterrupt raised in llvmlite's ctypes callback was
    printed as "Exception ignored" and the run went on to exit 0."""
    out = tmp_path / "run"
    cmd = [sys.executable, "-c", _CTRL_C_IN_LLVMLITE, "run", str(SCENARIO), "-o", str(out)]
    proc = subprocess.run(
        [*cmd, *RUN_ARGS],
        env={**ENV, "NUMBA_CACHE_DIR": str(tmp_path / "cache")},
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == EXIT_INTERRUPTED, proc.stderr
    assert proc.stderr.strip().splitlines() == ["interrupted"], proc.stderr
    assert not (out / "manifest.json").exists()


def _compiling(cache: Path) -> bool:
    """Whether numba has cached a first kernel (it is compiling the next ones then)."""
    return any(cache.rglob("*.nbi"))


def test_ctrl_c_while_numba_compiles_ends_a_run_cleanly(tmp_path):
    """`hrhsim run` on a cold numba cache, interrupted in its own process group as a terminal
    does, while it compiles its kernels: exit 130 and the one line "interrupted"."""
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "sim", "run", str(SCENARIO), "-o", str(out), *RUN_ARGS]
    stderr_path = tmp_path / "stderr.txt"
    env = {**ENV, "NUMBA_CACHE_DIR": str(cache)}
    with own_group(cmd, stderr_path, env, ROOT) as proc:
        deadline = time.monotonic() + 120
        while not _compiling(cache) and proc.poll() is None:
            assert time.monotonic() < deadline, "numba cached no kernel in 120 s"
            time.sleep(0.01)
        assert proc.poll() is None, f"the run ended first: {stderr_path.read_text()}"
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C, as the terminal sends it
        code = proc.wait(timeout=60)
    err = stderr_path.read_text()
    assert code == EXIT_INTERRUPTED, err
    assert err.strip().splitlines() == ["interrupted"], err
    for bad in ("Traceback", "Exception ignored", "Fatal", "Segmentation"):
        assert bad not in err
    assert not (out / "manifest.json").exists()
    leftovers = [p.name for p in tmp_path.glob(".*") if ".new-" in p.name or ".old-" in p.name]
    assert not leftovers, leftovers
