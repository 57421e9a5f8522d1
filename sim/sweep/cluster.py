"""Dask for sweeps: a checked scheduler address, a client, and a watch on the workers.

A scheduler address must parse (`tcp://host:port`), accept a TCP connection within
`SCHEDULER_CONNECT_S` and answer Dask's identity handshake as a *scheduler* within
`SCHEDULER_HANDSHAKE_S`: `distributed.Client` alone waits forever on a server that accepts and
stays silent. `WorkerWatch` stops a sweep (empties its `as_completed`) when no worker is alive for
a while, so a sweep whose workers all died says so instead of waiting.

Only the main process acts on a Ctrl-C (it stops, closes the cluster and says "interrupted"): a
terminal sends SIGINT to the whole process group, and local Dask workers that took it printed
KeyboardInterrupt tracebacks. They start with SIGINT ignored, ignore it once restarted (the
`dask_setup` preload), and log nothing as they close (`dask_teardown`); `sim.processes` says
the same of the worker processes of `hrhsim compare`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from sim.errors import SetupError
from sim.processes import ignore_interrupts, interrupts_ignored

__all__ = [
    "SCHEDULER_CONNECT_S",
    "SCHEDULER_HANDSHAKE_S",
    "WORKER_TIMEOUT_S",
    "WorkerWatch",
    "check_scheduler",
    "cpu_count",
    "dask_client",
    "parse_scheduler_address",
    "threads_per_process",
    "worker_threads_env",
]


SCHEDULER_CONNECT_S = 2.0
"""Seconds to wait for a scheduler address to accept a TCP connection."""
SCHEDULER_HANDSHAKE_S = 10.0
"""Seconds to wait for a Dask scheduler to answer once connected."""
WORKER_TIMEOUT_S = 20.0
"""Default seconds a sweep waits with no worker alive before it stops and says so."""

LOCAL_HTTP_ADDRESS = "127.0.0.1:0"
"""Where a local cluster's scheduler serves HTTP (no dashboard): any free port of this machine."""

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
    from dask.distributed import Client

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
        closing = contextlib.ExitStack()
        closing.callback(_close_client, client)
    else:
        with contextlib.ExitStack() as opening:  # closes the cluster if the client fails
            client = opening.enter_context(Client(opening.enter_context(_local_cluster(workers))))
            closing = opening.pop_all()
    # The quiet stack is left last, after the client and cluster have closed.
    with contextlib.ExitStack() as quiet, closing:
        try:
            yield client
        except BaseException:
            # Stopped with runs in flight (Ctrl-C, an error): closing the cluster cuts them, and
            # Dask and tornado log the cut connections in this process as errors with
            # tracebacks, nothing for the user, who is told of the runs by the caller.
            quiet.enter_context(_quiet_logs(CLOSING_LOGGERS))
            raise


def _close_client(client: Any) -> None:
    """Close a client of a remote scheduler, whatever the state of its connection."""
    with contextlib.suppress(Exception):
        client.close(timeout=5)


def _local_cluster(workers: int | None) -> Any:
    """A new `LocalCluster` of `workers` processes (default: the CPUs)."""
    import dask
    from dask.distributed import LocalCluster

    n = workers or cpu_count()
    preload = dask.config.get("distributed.worker.preload") or []
    preload = [preload] if isinstance(preload, str) else list(preload)
    with interrupts_ignored():  # the worker processes start with SIGINT ignored
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,  # no dashboard; the scheduler's own HTTP server (health,
            # metrics) on a free local port, not 8787: another cluster there made Dask warn
            scheduler_kwargs={"dashboard_address": LOCAL_HTTP_ADDRESS},
            silence_logs=logging.ERROR,
            env=worker_threads_env(n),
            preload=[*preload, __name__],  # dask_setup and dask_teardown below
        )
    return cluster


CLOSING_LOGGERS = ("distributed", "tornado")
"""Loggers silenced while a local cluster closes under runs in flight (`dask_client`)."""


@contextlib.contextmanager
def _quiet_logs(names: tuple[str, ...]) -> Iterator[None]:
    """Loggers `names` and their existing children (Dask's configuration sets some children's
    levels, e.g. `tornado.application`'s) at CRITICAL inside the block, restored after it."""
    children = [
        name
        for name in list(logging.Logger.manager.loggerDict)
        if any(name.startswith(f"{parent}.") for parent in names)
    ]
    loggers = [logging.getLogger(name) for name in (*names, *children)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def dask_setup(worker: Any) -> None:
    """Dask preload hook, run in each local worker process as it starts: SIGINT ignored.

    The workers of `dask_client` start with SIGINT ignored already; one that its nanny starts
    again later (after a crash) does not, and ignores it from here on.
    """
    ignore_interrupts()


def dask_teardown(worker: Any) -> None:
    """Dask preload hook, run in each local worker process as it starts closing: no more logs.

    A worker closed during a run (a sweep interrupted) may log its last heartbeat, cut by the
    closing cluster, as an error with a traceback: nothing for the user, who is told of the
    sweep's runs by the sweep.
    """
    logging.getLogger("distributed").setLevel(logging.CRITICAL)


def threads_per_process(processes: int) -> int:
    """numba threads for each of `processes` worker processes sharing this machine's CPUs, so
    that together they use the CPUs once (at least one). More, and the arrays engine's parallel
    kernels of one process spin against another's (2 processes of 2 threads on 2 cores: the fit
    check took 55 s instead of 20 s)."""
    return max(1, cpu_count() // max(1, processes))


def worker_threads_env(processes: int) -> dict[str, str]:
    """The environment of `processes` local worker processes: `threads_per_process` threads."""
    return {"NUMBA_NUM_THREADS": str(threads_per_process(processes))}


def cpu_count() -> int:
    """CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class WorkerWatch:
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

    def __enter__(self) -> WorkerWatch:
        if self.timeout and self.timeout > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
