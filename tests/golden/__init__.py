"""Golden results (`cases.py`, `results.json`) and the floating-point setting they are recorded in.

numpy chooses its float64 `exp` and `log` kernels by CPU: on machines with AVX-512 (numpy's
`X86_V4` group) they are numpy's own vectorised versions, elsewhere the C library's. The two differ
in the last bit for some arguments, which leaves every count of a run unchanged but moves
quantities computed as small differences of large ones (vacancies, posts less the workers filling
them) at the 12th significant figure, where the fingerprints look. Tests and re-recording run with
those kernels switched off (`pin_numpy_kernels`, before numpy is first imported), so the
fingerprints are the same on every x86-64 machine (docs/architecture.md, "Reproducibility across
machines").
"""

from __future__ import annotations

import os
import sys
import warnings
from importlib.metadata import PackageNotFoundError, version

AVX512_GROUPS = "X86_V4 AVX512_ICL AVX512_SPR"
"""numpy >= 2.4's dispatch groups with AVX-512 kernels."""

AVX512_FEATURES_OLD = "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR"
"""The same for numpy < 2.4, which names the AVX-512 features one by one."""


def _numpy_major_minor() -> tuple[int, int]:
    try:
        major, minor = version("numpy").split(".")[:2]
        return int(major), int(minor)
    except (PackageNotFoundError, ValueError):
        return (0, 0)


def pin_numpy_kernels() -> None:
    """Switch off numpy's AVX-512 kernels in this process and the processes it starts.

    Must run before numpy is imported; if numpy already is, warns (the fingerprints may then
    differ on machines with AVX-512). An `NPY_DISABLE_CPU_FEATURES` already set is kept.
    """
    if "NPY_DISABLE_CPU_FEATURES" in os.environ or "NPY_ENABLE_CPU_FEATURES" in os.environ:
        return
    if "numpy" in sys.modules:
        warnings.warn(
            "numpy was imported before the golden tests' kernel setting: fingerprints may differ "
            "on machines with AVX-512",
            RuntimeWarning,
            stacklevel=2,
        )
    names = AVX512_GROUPS if _numpy_major_minor() >= (2, 4) else AVX512_FEATURES_OLD
    os.environ["NPY_DISABLE_CPU_FEATURES"] = names
