"""The calibration pages' figures, as inlined PNG (base64): model over published figure for each
target, the posteriors against the priors, and the convergence of the waves."""

from __future__ import annotations

import base64
import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibrate.text import COMPARED_LABELS
from sim.outputs.results import figure_bytes

__all__ = ["convergence_figure", "parameter_figure", "png", "ratio_figure", "validated"]


def png(fig) -> str:
    """A matplotlib figure as base64 PNG text (for an `img` tag's data URL); closes it."""
    import matplotlib.pyplot as plt

    data = figure_bytes(fig, "png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(data).decode("ascii")


SERIES = (("default", "#999999", "before (the scenario's values)"), ("fitted", "#0072B2", "fitted"))
"""The calibration report's two series: the fit table's columns prefix, colour, legend label."""


def ratio_figure(table: pd.DataFrame, series: tuple = SERIES) -> str | None:
    """Model over published figure for each compared target with a nonzero value, on a log axis:
    one line (90% interval) and marker (median) per series, the ±25% band shaded.

    Args:
        table: the fit table (`sim.calibrate.report.fit_table`): `status`, `value`, `id` and
            `{prefix}_median`, `{prefix}_p05`, `{prefix}_p95` for each series' prefix.
        series: (column prefix, colour, legend label) for each series, drawn top to bottom.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sub = table[table["status"].isin(COMPARED_LABELS) & table["value"].notna()]
    sub = sub[sub["value"] != 0]
    if sub.empty:
        return None
    fig, ax = plt.subplots(figsize=(8.0, 0.28 * len(sub) + 1.2))
    y = np.arange(len(sub))[::-1]
    for i, (_, r) in zip(y, sub.iterrows(), strict=True):
        v = r["value"]
        for k, (kind, colour, _) in enumerate(series):
            dy = 0.0 if len(series) == 1 else 0.18 - 0.30 * k / (len(series) - 1)
            med, lo, hi = r[f"{kind}_median"], r[f"{kind}_p05"], r[f"{kind}_p95"]
            if med is None or pd.isna(med):
                continue
            ratios = [x / v for x in (med, lo, hi)]
            if min(ratios) <= 0:
                continue
            ax.plot([ratios[1], ratios[2]], [i + dy, i + dy], color=colour, lw=1.5)
            marker = {"fitted": "o", "held out": "D"}.get(r["status"], "s")
            ax.plot(ratios[0], i + dy, marker, color=colour, ms=4)
    ax.axvspan(0.75, 1.25, color="#d9ebf7", zorder=0)
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels([f"{r['id']} ({r['status']})" for _, r in sub.iterrows()], fontsize=7)
    ax.set_xlabel("model / published figure (median and 90% interval); band: ±25%")
    for _, colour, label in series:
        ax.plot([], [], "o", color=colour, label=label)
    ax.legend(loc="lower right", fontsize=7)
    return png(fig)


def parameter_figure(state: dict, out: Path) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    post = state.get("posterior")
    path = out / "posterior.csv"
    if not post or not path.exists():
        return None
    draws = pd.read_csv(path)
    prior = {p["name"]: p for p in state["prior"]}
    names = post["active"]
    if not names:
        return None
    cols = 3
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(9.0, 2.1 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), names, strict=False):
        p = prior[name]
        ax.hist(draws[name], bins=25, range=(p["low"], p["high"]), density=True, color="#0072B2")
        ax.axhline(1.0 / (p["high"] - p["low"]), color="#999999", lw=1.2, label="prior")
        ax.axvline(p["default"], color="#E69F00", lw=1.2, ls="--", label="default")
        ax.axvline(post["fitted"][name], color="k", lw=1.2, label="fitted")
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=6)
    fig.tight_layout()
    return png(fig)


def validated(wave: dict, key: str) -> list[float]:
    """A wave's emulator validation figures `key` (`r2`, `within_3sd`) that were computed.

    Args:
        wave: one wave of calibration.json's `waves`.
        key: the diagnostic of its `emulators`.

    Returns:
        The finite values, in emulator order; None (not computed, under
        `sim.calibrate.methods.MIN_VALIDATION_RUNS` runs) is left out.
    """
    values = (e.get(key) for e in wave["emulators"])
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def convergence_figure(state: dict) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    waves = state.get("waves") or []
    if not waves:
        return None
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8.5, 2.8))
    k = [w["wave"] for w in waves]
    share = [max(w["share_after"], 1e-6) for w in waves]
    a1.plot([0, *k], [1.0, *share], "o-", color="#0072B2")
    a1.set_yscale("log")
    a1.set_xlabel("wave")
    a1.set_ylabel("share of prior volume not ruled out")
    data = [validated(w, "r2") for w in waves]
    a2.boxplot(data)
    a2.set_xticks(range(1, len(k) + 1), [str(x) for x in k])
    a2.set_xlabel("wave")
    a2.set_ylabel("emulator Q² (left-out runs)")
    fig.tight_layout()
    return png(fig)
