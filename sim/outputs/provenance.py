"""Where results come from: package version, git commit and a fingerprint of the code and data."""

from __future__ import annotations

import functools
import hashlib
import subprocess
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 over the package's Python sources and bundled data (paths and contents).

    Changes to the model's code or data change the fingerprint even without a new version or
    commit, so cached results are never reused across such changes.
    """
    digest = hashlib.sha256()
    files = [
        p
        for p in PACKAGE_DIR.rglob("*")
        if p.is_file() and p.suffix in (".py", ".csv", ".yaml") and "__pycache__" not in p.parts
    ]
    for path in sorted(files):
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def git_commit() -> str | None:
    """The git commit of the package's checkout, if it is one."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PACKAGE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
