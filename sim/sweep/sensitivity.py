"""Sensitivity indices of a finished sweep: Sobol (S1, ST) or Morris (mu*, sigma) via SALib.

Replicates are averaged per point first (the indices describe the expected outcome). Morris
elementary effects are taken in unit space: mu* is the change of the outcome when a parameter moves
across its whole range, so parameters with different units can be ranked.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import HrhsimError
from sim.outputs.results import atomic_write, figure_bytes, write_csv
from sim.sweep.design import salib_problem
from sim.sweep.spec import RESERVED_COLUMNS
from sim.sweep.store import load_manifest, load_runs

__all__ = ["analyze", "outcome_names", "plot_indices", "sensitivity"]

TABLE = "sensitivity.csv"
FIGURE = "sensitivity"

log = logging.getLogger(__name__)


def _damaged(out_dir: str | os.PathLike, problem: str) -> HrhsimError:
    return HrhsimError(
        f"damaged sweep manifest: {problem}",
        file=str(Path(out_dir) / "sweep.json"),
        expected="the sweep.json that hrhsim sweep wrote, with every point run",
    )


def _checked_design(out_dir: str | os.PathLike, manifest: dict) -> dict:
    """The manifest's design, with the fields the indices read, or a `_damaged` error."""
    design = manifest["design"]
    if not isinstance(design, dict) or not isinstance(design.get("kind"), str):
        raise _damaged(out_dir, "design is not a design")
    names = design.get("parameters")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise _damaged(out_dir, "design.parameters is not a list of parameter names")
    points = manifest["points"]
    if not isinstance(points, list) or not all(isinstance(pt, dict) for pt in points):
        raise _damaged(out_dir, "points is not a list of points")
    return design


def outcome_names(manifest: dict, runs: pd.DataFrame) -> list[str]:
    """The outcome columns of a sweep, in the order of the sweep file."""
    declared = manifest.get("outcomes") or []
    if declared:
        return list(declared)
    skip = set(RESERVED_COLUMNS) | set(manifest["design"]["parameters"])
    return [c for c in runs.columns if c not in skip]


def analyze(
    out_dir: str | os.PathLike,
    outcomes: list[str] | None = None,
    *,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Indices for each outcome and parameter; one row per (outcome, parameter).

    Sobol designs give `S1, S1_conf, ST, ST_conf` (the `_conf` columns are the half-widths of the
    `conf_level` bootstrap intervals); Morris designs give `mu, mu_star, mu_star_conf, sigma`.
    """
    manifest = load_manifest(out_dir)
    design = _checked_design(out_dir, manifest)
    kind = design["kind"]
    if kind not in ("sobol", "morris"):
        raise HrhsimError(
            f"sensitivity indices need a sobol or morris design; this sweep is a {kind} design",
            file=str(out_dir),
            expected="design: {kind: sobol, ...} or {kind: morris, ...} in the sweep file",
        )
    runs = load_runs(out_dir, complete=True)
    names = design["parameters"]
    available = outcome_names(manifest, runs)
    lost = [name for name in available if name not in runs.columns]
    if lost:
        raise _damaged(out_dir, f"outcome(s) {', '.join(map(str, lost))} are not in its runs")
    chosen = list(available) if not outcomes else list(outcomes)
    for name in chosen:
        if name not in available:
            import difflib

            close = difflib.get_close_matches(name, available, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise HrhsimError(
                f"no outcome '{name}' in this sweep{hint}",
                file=str(out_dir),
                expected="one of " + ", ".join(available),
            )
    n_points = len(manifest["points"])
    means = runs.groupby("point_id")[chosen].mean().reindex(range(n_points))
    problem = salib_problem(names)
    rows = []
    for name in chosen:
        y = means[name].to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):
            bad = int((~np.isfinite(y)).sum())
            raise HrhsimError(
                f"outcome '{name}' is missing or not finite at {bad} point(s)",
                file=str(out_dir),
            )
        try:
            found = _indices(problem, design, manifest, name, y, conf_level, num_resamples, seed)
        except (ArithmeticError, ValueError, IndexError, KeyError, TypeError) as exc:
            raise _damaged(
                out_dir, f"its runs do not form its {kind} design ({type(exc).__name__}: {exc})"
            ) from None
        if kind == "sobol" and np.ptp(y) == 0:  # no variance to apportion
            log.warning("outcome '%s' does not vary: its Sobol indices are undefined (NaN)", name)
            for row in found:
                row.update({k: float("nan") for k in ("S1", "S1_conf", "ST", "ST_conf")})
        rows += found
    return pd.DataFrame(rows)


def _indices(problem, design, manifest, name, y, conf_level, num_resamples, seed) -> list[dict]:
    """SALib's indices of one outcome: rows (outcome, parameter, method, indices)."""
    kind = design["kind"]
    names = design["parameters"]
    rows = []
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a constant outcome (said by the caller)
        if kind == "sobol":
            from SALib.analyze import sobol

            _seed_salib(seed)
            res = sobol.analyze(
                problem,
                y,
                calc_second_order=bool(design.get("second_order", False)),
                num_resamples=num_resamples,
                conf_level=conf_level,
                seed=seed,
            )
            for j, p in enumerate(names):
                rows.append(
                    {
                        "outcome": name,
                        "parameter": p,
                        "method": "sobol",
                        "S1": float(res["S1"][j]),
                        "S1_conf": float(res["S1_conf"][j]),
                        "ST": float(res["ST"][j]),
                        "ST_conf": float(res["ST_conf"][j]),
                    }
                )
        else:
            from SALib.analyze import morris

            x = np.array([pt["unit"] for pt in manifest["points"]], dtype=float)
            _seed_salib(seed)
            res = morris.analyze(
                problem,
                x,
                y,
                num_resamples=num_resamples,
                conf_level=conf_level,
                num_levels=int(design.get("levels", 4)),
                seed=seed,
            )
            for j, p in enumerate(names):
                rows.append(
                    {
                        "outcome": name,
                        "parameter": p,
                        "method": "morris",
                        "mu": float(res["mu"][j]),
                        "mu_star": float(res["mu_star"][j]),
                        "mu_star_conf": float(res["mu_star_conf"][j]),
                        "sigma": float(res["sigma"][j]),
                    }
                )
    return rows


def plot_indices(table: pd.DataFrame, stem: str | os.PathLike, title: str = "") -> list[Path]:
    """A figure of the indices (one panel per outcome), saved as `stem.png` and `stem.svg`."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    outcomes = list(dict.fromkeys(table["outcome"]))
    method = table["method"].iloc[0]
    n = len(outcomes)
    params = list(dict.fromkeys(table["parameter"]))
    height = max(2.5, 0.45 * len(params) + 1.2)
    ncols = min(n, 3)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.6 * ncols, height * nrows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax, name in zip(axes.flat, outcomes, strict=False):
        sub = table[table["outcome"] == name].set_index("parameter").reindex(params)
        ypos = np.arange(len(params))
        if method == "sobol":
            h = 0.38
            ax.barh(
                ypos - h / 2,
                sub["S1"],
                h,
                xerr=sub["S1_conf"],
                label="first order S1",
                color="#4C72B0",
                capsize=3,
            )
            ax.barh(
                ypos + h / 2,
                sub["ST"],
                h,
                xerr=sub["ST_conf"],
                label="total ST",
                color="#DD8452",
                capsize=3,
            )
            ax.set_xlabel("Sobol index (share of variance)")
            ax.axvline(0, color="black", linewidth=0.6)
            ax.set_yticks(ypos, params)
            ax.invert_yaxis()
            ax.legend(loc="lower right", fontsize=8)
        else:
            ax.errorbar(
                sub["mu_star"],
                sub["sigma"],
                xerr=sub["mu_star_conf"],
                fmt="o",
                color="#4C72B0",
                capsize=3,
            )
            for p, x, y in zip(params, sub["mu_star"], sub["sigma"], strict=True):
                ax.annotate(p, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
            ax.set_xlabel("mu* (mean |elementary effect| over the full range)")
            ax.set_ylabel("sigma (interactions / non-linearity)")
        ax.set_title(_plain(name))
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(_plain(title))
    fig.tight_layout()
    stem = Path(stem)
    files = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    for f in files:
        atomic_write(f, figure_bytes(fig, f.suffix[1:], dpi=150 if f.suffix == ".png" else None))
    plt.close(fig)
    return files


def sensitivity(
    out_dir: str | os.PathLike,
    outcomes: list[str] | None = None,
    *,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    seed: int = 0,
    figure: bool = True,
) -> tuple[pd.DataFrame, list[Path]]:
    """`analyze`, then write `DIR/sensitivity.csv` and the figure; return the table and files."""
    out = Path(out_dir)
    table = analyze(out, outcomes, conf_level=conf_level, num_resamples=num_resamples, seed=seed)
    written = []
    written.append(write_csv(out / TABLE, table))
    if figure:
        name = load_manifest(out)["sweep"]["name"]
        method = table["method"].iloc[0]
        label = "Sobol indices" if method == "sobol" else "Morris screening"
        written.extend(plot_indices(table, out / FIGURE, title=f"{label}: {name}"))
    else:  # a figure of an earlier table would no longer show the table beside it
        for suffix in (".png", ".svg"):
            stale = out / f"{FIGURE}{suffix}"
            if stale.is_file():
                stale.unlink()
                log.info("removed %s: it showed the indices of an earlier table", stale)
    return table, written


def _plain(text: str) -> str:
    """User text shown literally by matplotlib (a `$` would otherwise start mathtext)."""
    return str(text).replace("$", r"\$")


def _seed_salib(seed: int) -> None:
    """Seed the bootstrap of SALib's analyzers.

    SALib draws its resamples from numpy's global generator and seeds it only for a truthy
    `seed`, so seed 0 would leave the intervals varying from call to call.
    """
    np.random.seed(seed)  # SALib's analyzers read numpy's global generator
