"""Choropleth maps of the briefing: one panel per option, drawn with matplotlib.

Outlines come from `sim/data/world_110m.json` (Natural Earth 1:110m, public domain, simplified by
`scripts/build_map.py`), in the Equal Earth projection (Šavrič, Patterson & Jenny 2018), an
equal-area projection, so that no country looks bigger than it is. States too small for the 1:110m
outlines are listed beside the map by the briefing (`small_states`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize

from sim.compare.chartstyle import STYLE, label, new_figure
from sim.compare.drawing import Chart
from sim.compare.reading import STEPS_RELEVANT

MAP_FILE = Path(__file__).resolve().parents[1] / "data" / "world_110m.json"
NO_DATA = "#d9d9d9"
FLAGGED = "#f2f2f2"


@functools.cache
def outlines() -> dict[str, dict]:
    """ISO3 -> {"name", "rings"} (rings of longitude, latitude in degrees)."""
    return json.loads(MAP_FILE.read_text(encoding="utf-8"))["countries"]


def equal_earth(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal Earth projection of degrees to unit-sphere coordinates."""
    a1, a2, a3, a4 = 1.340264, -0.081106, 0.000893, 0.003796
    m = np.sqrt(3.0) / 2.0
    lam, phi = np.radians(lon), np.radians(lat)
    theta = np.arcsin(m * np.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * np.cos(theta) / (m * (a1 + 3 * a2 * t2 + t6 * (7 * a3 + 9 * a4 * t2)))
    y = theta * (a1 + a2 * t2 + t6 * (a3 + a4 * t2))
    return x, y


@functools.cache
def _projected() -> tuple[tuple[str, ...], tuple[np.ndarray, ...]]:
    """Every ring projected once: (ISO3 of each ring, ring vertices)."""
    codes, rings = [], []
    for code, entry in outlines().items():
        for ring in entry["rings"]:
            arr = np.asarray(ring, dtype=float)
            x, y = equal_earth(arr[:, 0], arr[:, 1])
            codes.append(code)
            rings.append(np.column_stack([x, y]))
    return tuple(codes), tuple(rings)


def small_states(codes: Sequence[str]) -> list[str]:
    """The codes with no outline at 1:110m (small island and city states)."""
    have = outlines()
    return [c for c in codes if c not in have]


def color_limit(values: np.ndarray, least: float) -> float:
    """A shared symmetric colour limit: the 95th percentile of |values|, at least `least`.

    Beyond it colours saturate (the colour bar shows an arrow), so one extreme small country
    cannot wash out every other.
    """
    finite = np.abs(values[np.isfinite(values)])
    if finite.size == 0:
        return least
    return float(max(np.percentile(finite, 95), least))


def choropleth(
    values: pd.DataFrame,
    options: Sequence[str],
    *,
    key: str,
    title: str,
    unit: str,
    caption: str,
    least: float,
    higher_is_better: bool = True,
    flagged: Sequence[str] = (),
    steps: Mapping[str, float] | None = None,
) -> Chart:
    """Small multiples: one world map per option, coloured by `values[option]` (index: ISO3).

    Countries in `flagged` are drawn light grey and hatched (too small for the scale); countries
    not simulated or without a value in mid grey. `steps` gives one simulated worker of each
    country in the map's unit: a change smaller than `STEPS_RELEVANT` of them is drawn as no
    change (the model's resolution, as the tables' marks read it).
    """
    codes, rings = _projected()
    all_values = values[list(options)].to_numpy(float) if len(options) else np.array([])
    limit = color_limit(all_values.ravel(), least)
    norm = Normalize(-limit, limit)
    cmap = mpl.colormaps["RdBu" if higher_is_better else "RdBu_r"]
    n = max(len(options), 1)
    cols = 2 if n > 1 else 1
    rows_n = -(-n // cols)
    flagged_set = set(flagged)
    with mpl.rc_context(STYLE):
        fig = new_figure(7.0, 0.9 + 1.95 * rows_n)
        axes = fig.subplots(rows_n, cols, squeeze=False)
        for ax, option in zip(axes.flat, options, strict=False):
            col = values[option]
            faces, hatches = [], []
            for code in codes:
                v = col.get(code, np.nan)
                if code in flagged_set:
                    faces.append(FLAGGED)
                elif v is None or not np.isfinite(v):
                    faces.append(NO_DATA)
                elif steps and abs(v) < STEPS_RELEVANT * steps.get(code, 0.0):
                    faces.append(cmap(norm(0.0)))
                else:
                    faces.append(cmap(norm(v)))
                hatches.append(code in flagged_set)
            coll = PolyCollection(
                rings, facecolors=faces, edgecolors="#ffffff", linewidths=0.15, rasterized=True
            )
            ax.add_collection(coll)
            ax.set_xlim(-2.75, 2.75)
            ax.set_ylim(-1.15, 1.35)
            ax.set_aspect("equal")
            ax.axis("off")
            ax.set_title(label(option, 50), fontsize=8.5)
        for ax in list(axes.flat)[len(options) :]:
            ax.set_visible(False)
        sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
        bar = fig.colorbar(
            sm,
            ax=axes.ravel().tolist(),
            orientation="horizontal",
            location="bottom",
            shrink=0.6,
            aspect=40,
            extend="both",
            pad=0.02,
        )
        bar.set_label(unit)
        fig.suptitle(title, fontweight="bold", fontsize=10)
    if steps:
        caption += (
            f" A change smaller than {STEPS_RELEVANT} simulated workers of the country (the "
            "smallest step of its value in one replicate) is drawn as no change."
        )
    caption += (
        " Mid grey: not simulated (not a WHO Member State or outside the run's world) or no "
        "value; light grey: health workforce smaller than one simulated worker at this scale."
    )
    return Chart(key, title, caption, fig)


DENSITY_LEAST = 0.2
"""Smallest colour limit of the density map (twice the relevance threshold, per 10,000)."""
EMIGRATION_LEAST = 1.0
"""Smallest colour limit of the emigration map (emigrants per 1,000 health workers)."""


def density_change_map(
    values: pd.DataFrame,
    options: Sequence[str],
    year: int,
    flagged: Sequence[str] = (),
    steps: Mapping[str, float] | None = None,
) -> Chart:
    """Map of the median paired change in density at `year`, one panel per option."""
    return choropleth(
        values,
        options,
        key=f"map_density_change_{year}",
        title=f"Change in health-worker density against the baseline, end of {year}",
        unit="change in doctors + nurses per 10,000 population (median paired change)",
        caption=(
            f"Each map is one option: the median paired change in density at the end of {year} "
            "against the baseline, by country (blue: more health workers per 10,000). Colours "
            "saturate at the 95th percentile of the changes so that one extreme country cannot "
            "wash out the rest; the table below lists the states too small to draw."
        ),
        least=DENSITY_LEAST,
        higher_is_better=True,
        flagged=flagged,
        steps=steps,
    )


def emigration_change_map(
    values: pd.DataFrame,
    options: Sequence[str],
    year: int,
    flagged: Sequence[str] = (),
    steps: Mapping[str, float] | None = None,
) -> Chart:
    """Map of the median paired change in the emigration rate in `year`, one panel per option."""
    return choropleth(
        values,
        options,
        key=f"map_emigration_change_{year}",
        title=f"Change in the emigration rate against the baseline, {year}",
        unit="change in emigrants per 1,000 health workers in the year (median paired change)",
        caption=(
            "Each map is one option: the median paired change in emigrants per 1,000 of the "
            f"country's doctors and nurses in {year}, against the baseline (blue: fewer leave). "
            "Emigrants are every worker leaving the country for abroad: its own, and migrants "
            "moving on or going home, so a destination turns red when its migrants go home (an "
            "agreement's circular migration, say). Colours saturate at the 95th percentile of the "
            "changes; the table below lists the states too small to draw."
        ),
        least=EMIGRATION_LEAST,
        higher_is_better=False,
        flagged=flagged,
        steps=steps,
    )
