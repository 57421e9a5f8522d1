"""The models a sweep file may name with `model:`: `hrhsim` and functions registered here.

A sweep never imports anything named in a file: `model:` must be `hrhsim` or a name registered
with `register_model` by Python code (a package, a notebook, the test suite) before the sweep is
loaded. A model is a function `(params: dict, seed: int) -> dict` of named scalar outcomes; it is
sent to the Dask workers by reference (or by value when defined in a notebook or script).
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["HRHSIM", "get_model", "register_model", "registered_models", "unregister_model"]

HRHSIM = "hrhsim"
"""The hrhsim model itself (scenario runs); always available, never replaced."""

Model = Callable[[dict, int], dict]

_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_MODELS: dict[str, Model] = {}


def register_model(name: str, func: Model) -> None:
    """Make `func` available to sweep files as `model: name` (lower-case identifier)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"invalid model name {name!r}: a lower-case identifier of <= 40 chars")
    if name == HRHSIM:
        raise ValueError("'hrhsim' is the package's own model and cannot be replaced")
    if not callable(func):
        raise TypeError(f"model {name!r} must be callable (params: dict, seed: int) -> dict")
    _MODELS[name] = func


def unregister_model(name: str) -> None:
    """Forget a registered model (no error when it is not registered)."""
    _MODELS.pop(name, None)


def registered_models() -> list[str]:
    """`hrhsim` and every registered name, sorted."""
    return [HRHSIM, *sorted(_MODELS)]


def get_model(name: str) -> Model | None:
    """The function registered as `name`; None for `hrhsim`; KeyError when unknown."""
    if name == HRHSIM:
        return None
    return _MODELS[name]
