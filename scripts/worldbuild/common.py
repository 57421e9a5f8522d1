"""Helpers shared by the world builders: cadres, rounding, shrinkage, checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

CADRES = ("doctors", "nurses")
"""Cadres of the bundled world, in the order of the cadre axis of every array."""

RECOGNITION_AREA = (
    # the European Union's 27 Member States since 1 February 2020
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
    "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
    "SWE",
    # the EEA (Iceland, Norway; Liechtenstein is not a WHO Member State) and Switzerland
    "ISL", "NOR", "CHE",
)  # fmt: skip
"""Countries whose doctors' and nurses' qualifications are recognised automatically in each
other, with the right to live and work there without a permit (Directive 2005/36/EC on the
recognition of professional qualifications, applied to the EEA by the EEA Agreement and to
Switzerland by the Agreement on the Free Movement of Persons), since 2021: the area of the
validation's European check (``scripts/validation.py``)."""

RECOGNITION_LEFT = {"GBR": 2020}
"""Former members and the last year they were in the area: the United Kingdom left the EU on 31
January 2020, its transition period ending 31 December 2020.

The area of the world's data year (2020) is both: ``recognition_area`` in ``countries.csv``, the
workers a country's registers count apart from its "international" ones (the NMC's register:
trained in the UK, in the EU/EEA, or elsewhere; `international_workers`,
`international_leavers`), and, for pairs of two distinct members, the
``mutual_recognition_2018`` link of the gravity model's test of a recognition effect
(``worldbuild.gravity``, G6 and G7; docs/data.md §1.2). The model's behaviour has no
recognition term, because the test finds none."""


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` summing exactly to ``total`` (Hamilton's method).

    Ties in the remainders go to the lower index, so the result is deterministic.
    """
    w = np.asarray(weights, dtype=np.float64)
    if total < 0 or (w < 0).any():
        raise ValueError("largest_remainder: negative total or weights")
    if total == 0 or w.sum() <= 0:
        if total and w.sum() <= 0:
            raise ValueError("largest_remainder: positive total with zero weights")
        return np.zeros(w.shape, dtype=np.int64)
    exact = w / w.sum() * total
    floor = np.floor(exact).astype(np.int64)
    short = int(total - floor.sum())
    order = np.lexsort((np.arange(w.size), -(exact - floor)))
    floor[order[:short]] += 1
    return floor


def sig(x: float | np.ndarray, digits: int = 6) -> float | np.ndarray:
    """Round to ``digits`` significant digits (stable bytes across machines)."""
    arr = np.asarray(x, dtype=np.float64)
    out = np.array([float(f"{v:.{digits}g}") for v in arr.ravel()]).reshape(arr.shape)
    return float(out) if np.ndim(x) == 0 else out


def logit(p: float | np.ndarray) -> float | np.ndarray:
    """log(p / (1 - p))."""
    return np.log(p) - np.log1p(-np.asarray(p))


def expit(x: float | np.ndarray) -> float | np.ndarray:
    """1 / (1 + exp(-x))."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def empirical_bayes(
    estimate: pd.Series, se: pd.Series, group: pd.Series, min_tau: float
) -> pd.DataFrame:
    """Shrink noisy estimates toward their group median (normal-normal empirical Bayes).

    Within each group, the between-country variance of the true values is estimated by the
    method of moments, ``tau2 = max(var(estimate) - mean(se^2), min_tau^2)``; each estimate gets the
    weight ``w = tau2 / (tau2 + se^2)`` and the shrunk value ``w * estimate + (1 - w) * median``.
    Missing estimates take the group median (``w = 0``). Returns ``median, tau, weight, shrunk``.
    """
    out = pd.DataFrame(index=estimate.index)
    out["median"] = np.nan
    out["tau"] = np.nan
    for g in sorted(group.dropna().unique()):
        members = group == g
        obs = members & estimate.notna()
        values = estimate[obs]
        if len(values) == 0:
            raise ValueError(f"empirical_bayes: no observation in group {g}")
        var = float(values.var(ddof=1)) if len(values) > 1 else 0.0
        tau2 = max(var - float((se[obs] ** 2).mean()), min_tau**2)
        out.loc[members, "median"] = float(values.median())
        out.loc[members, "tau"] = math.sqrt(tau2)
    w = out["tau"] ** 2 / (out["tau"] ** 2 + se**2)
    out["weight"] = w.where(estimate.notna(), 0.0)
    out["shrunk"] = np.where(
        estimate.notna(),
        out["weight"] * estimate + (1 - out["weight"]) * out["median"],
        out["median"],
    )
    return out
