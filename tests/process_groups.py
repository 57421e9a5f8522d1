"""Starting a command as a terminal's foreground job, for the Ctrl-C tests.

A terminal sends SIGINT to its whole foreground process group; a test starts the command in its
own group (`start_own_group`) and interrupts the group (`os.killpg`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path


@contextlib.contextmanager
def own_group(cmd: Sequence[str], stderr_path: Path, env: dict, cwd: Path) -> Iterator:
    """The command running in its own process group, its stderr to `stderr_path`; killed with
    its group if still running when the block ends."""
    with stderr_path.open("w") as stderr:
        proc = subprocess.Popen(
            list(cmd),
            env=env,
            cwd=str(cwd),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
