"""Worker processes and Ctrl-C: only the command's own process acts on an interrupt.

A terminal sends SIGINT to its whole foreground process group: the command's process and every
process it started. Worker processes that took it printed KeyboardInterrupt tracebacks after the
command's one line "interrupted" (the forkserver while it imported its preload modules, pool
workers idle or in a callback). So worker processes never act on SIGINT; the main process gets the
KeyboardInterrupt, stops its pools and says "interrupted" (`sim.cli.app`, exit status 130):

- `interrupts_ignored`: SIGINT ignored in this process while a block runs; processes started
  meanwhile, by any thread, inherit the ignored SIGINT (a Python process started so keeps ignoring
  it), and a Ctrl-C meanwhile is lost. The local Dask cluster of sweeps starts so
  (`sim.sweep.cluster`): its nannies start the workers from another thread;
- `interrupts_deferred`: a Ctrl-C while a block runs takes effect when it ends; SIGINT is blocked
  meanwhile in the thread, a mask that the processes it starts inherit. Pools start their
  workers so: a worker started half way, its parent gone, printed a traceback; numba compiles
  kernels so (`sim.jitcache`), and a briefing's files are swapped in so (`sim.outputs.filesets`);
- `forkserver_context`: the `forkserver` context of `multiprocessing`, its server started with
  SIGINT blocked (`interrupts_deferred`), a mask that every process forked from it inherits;
- `worker_initializer`: a pool initializer that ignores SIGINT in a worker (for a server started
  by other code too) and lets `stop_workers` end its `stoppable` task: a pool closed after a
  Ctrl-C does not first finish the replicates in flight.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = [
    "forkserver_context",
    "ignore_interrupts",
    "interrupts_deferred",
    "interrupts_ignored",
    "stop_workers",
    "stoppable",
    "worker_initializer",
]


@contextlib.contextmanager
def interrupts_ignored() -> Iterator[None]:
    """SIGINT ignored in this process while the block runs (in the main thread; else a no-op).

    Processes started meanwhile inherit the ignored SIGINT, and a Python process started so
    keeps ignoring it. A Ctrl-C while the block runs is lost.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:  # (None: a handler set outside Python, which cannot be restored)
        signal.signal(signal.SIGINT, signal.default_int_handler if handler is None else handler)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """A Ctrl-C while the block runs takes effect when it ends (KeyboardInterrupt raised then).

    For blocks that must not stop half way, such as starting a worker process. SIGINT is also
    blocked in this thread meanwhile, a mask that processes started by it inherit (through exec).
    """
    masked = hasattr(signal, "pthread_sigmask")
    handler, received = None, []
    if threading.current_thread() is threading.main_thread():
        handler = signal.signal(signal.SIGINT, lambda *args: received.append(args))
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if masked else None
    try:
        yield
    finally:
        if masked:  # a SIGINT held back by the mask reaches the handler here (it is checked)
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        if threading.current_thread() is threading.main_thread():
            restored = signal.default_int_handler if handler is None else handler
            signal.signal(signal.SIGINT, restored)
            if received and callable(restored):
                restored(*received[0])


def forkserver_context(preload: Sequence[str] = ()) -> Any:
    """The `forkserver` context of `multiprocessing`, its server running and deaf to SIGINT.

    `preload`: modules the server imports once, when this call starts it (a running server
    keeps its own). Processes forked from the server inherit its blocked SIGINT.
    """
    import multiprocessing
    from multiprocessing import forkserver, resource_tracker

    context = multiprocessing.get_context("forkserver")
    if preload:
        context.set_forkserver_preload(list(preload))
    # The resource tracker first: starting it unblocks SIGINT in the caller's thread.
    resource_tracker.ensure_running()
    with interrupts_deferred():
        forkserver.ensure_running()
    return context


def ignore_interrupts() -> None:
    """SIGINT ignored in this (worker) process: the main process acts on a Ctrl-C."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


STOP = signal.SIGUSR1
"""The signal `stop_workers` sends: it ends the `stoppable` task a worker runs, nothing else."""
_task_running = False


def _stop_task(signum: int, frame: Any) -> None:
    """The `STOP` handler of a worker: a KeyboardInterrupt in its `stoppable` task, if any."""
    if _task_running:
        raise KeyboardInterrupt


def worker_initializer() -> None:
    """Pool initializer: SIGINT ignored, `STOP` ends a `stoppable` task (`stop_workers`)."""
    ignore_interrupts()
    if threading.current_thread() is threading.main_thread():
        signal.signal(STOP, _stop_task)


@contextlib.contextmanager
def stoppable() -> Iterator[None]:
    """In a worker task: `stop_workers` may end it (a KeyboardInterrupt raised in it, which the
    pool sends back as its outcome). Only inside: a worker idle or sending a result is not cut
    (a result cut half way would leave the pool waiting for the rest)."""
    global _task_running
    _task_running = True
    try:
        yield
    finally:
        _task_running = False


def stop_workers(executor: Any) -> None:
    """End the tasks that the worker processes of a `ProcessPoolExecutor` (started with
    `worker_initializer`) are running, so that its `shutdown` waits for none of them; the
    workers then end as usual (finalizers run: no semaphore is left behind)."""
    processes = getattr(executor, "_processes", None) or {}  # (no public list of the workers)
    for process in list(processes.values()):
        with contextlib.suppress(OSError, ValueError, TypeError):
            os.kill(process.pid, STOP)
