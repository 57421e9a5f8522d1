"""Where results come from: package version, git commit, a fingerprint of the code and data, and
the computing environment."""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import subprocess
from importlib import metadata
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


NUMERICAL_PACKAGES = ("numpy", "numba", "llvmlite", "scipy", "pandas", "pyarrow", "mesa")
"""The libraries whose versions can change a run's numbers (recorded in every manifest)."""


def _numpy_kernels() -> dict:
    """numpy's CPU kernels in use: the build's baseline, and which dispatched groups this
    machine runs (those switched off by `NPY_DISABLE_CPU_FEATURES` do not)."""
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # numpy < 2
        from numpy.core import _multiarray_umath as umath
    features = getattr(umath, "__cpu_features__", {})
    return {
        "baseline": list(getattr(umath, "__cpu_baseline__", [])),
        "dispatched": [f for f in getattr(umath, "__cpu_dispatch__", []) if features.get(f)],
        "disabled_by_environment": os.environ.get("NPY_DISABLE_CPU_FEATURES", "").split(),
    }


@functools.lru_cache(maxsize=1)
def environment() -> dict:
    """The computing environment of a run: Python, the platform, the numerical libraries'
    versions and numpy's CPU kernels.

    The same scenario and seed give the same results on one machine; on another, a different
    library version or numpy's vectorised kernels (AVX-512, docs/architecture.md) may change
    floating-point results in the last bit. This is what a manifest records to tell them apart.
    """
    versions = {}
    for name in NUMERICAL_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": versions,
        "numpy_kernels": _numpy_kernels(),
    }
