"""Test models with the sweep model signature `(params: dict, seed: int) -> dict of outcomes`.

They go through exactly the same pipeline as `model: hrhsim` (design, Dask, Parquet, SALib) and make
the pipeline testable quickly: `ishigami` has analytical Sobol indices, `toy` is a deterministic
function of the parameters and the seed (with an optional `sleep` to make runs last). They are not
part of the package: `register()` (called by tests/conftest.py and tests/sweep_cli.py) makes
them available to sweep files as `model: ishigami` and `model: toy`.
"""

from __future__ import annotations

import math
import os
import time

import numpy as np

__all__ = ["ISHIGAMI_INDICES", "ishigami", "register", "toy"]


def ishigami(params: dict, seed: int) -> dict:
    """The Ishigami function y = sin x1 + a sin^2 x2 + b x3^4 sin x1 (a=7, b=0.1 by default)."""
    x1, x2, x3 = float(params["x1"]), float(params["x2"]), float(params["x3"])
    a, b = float(params.get("a", 7.0)), float(params.get("b", 0.1))
    return {"y": math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)}


def _ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict:
    """Analytical first-order and total Sobol indices of the Ishigami function (x ~ U(-pi, pi))."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    return {
        "S1": (v1 / var, v2 / var, 0.0),
        "ST": ((v1 + v13) / var, v2 / var, v13 / var),
    }


ISHIGAMI_INDICES = _ishigami_indices()
"""S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437) for a = 7, b = 0.1."""


_TOY_CONTROLS = ("sleep", "fail_if_exists")


def toy(params: dict, seed: int) -> dict:
    """A deterministic function of the parameters and the seed, for testing the pipeline.

    Outcomes: `y` = sum of (i + 1) x_i over the parameters in name order plus a seed-dependent
    noise in [0, 1); `z` = the noise alone. Controls (not parameters): `sleep` seconds to wait;
    `fail_if_exists`, a file whose existence makes the run raise `RuntimeError`.
    """
    delay = float(params.get("sleep", 0.0))
    if delay > 0:
        time.sleep(delay)
    flag = params.get("fail_if_exists")
    if flag and os.path.exists(flag):
        raise RuntimeError(f"toy model asked to fail ({flag} exists)")
    names = sorted(k for k in params if k not in _TOY_CONTROLS)
    noise = float(np.random.default_rng(seed).random())
    y = sum((i + 1) * float(params[k]) for i, k in enumerate(names)) + noise
    return {"y": y, "z": noise}


def register() -> None:
    """Register `ishigami` and `toy` as sweep models."""
    from sim.sweep import register_model

    register_model("ishigami", ishigami)
    register_model("toy", toy)
