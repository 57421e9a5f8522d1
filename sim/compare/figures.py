"""The briefing's charts (matplotlib, no pyplot: no global backend state, Agg/SVG renderers).

One style for every chart: the Okabe-Ito colour-blind-safe palette (baseline in black), labelled
axes with units, a title saying what the chart shows. Each chart is saved as PNG and SVG, named
for what it shows; the SVG is what the HTML embeds.

Charts are described by a `Spec` (drawing function and its data) and drawn by `render_all`: in
parallel worker processes, and not at all when the same chart (same data, same drawing code) is
already in the figures folder from an earlier briefing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import multiprocessing
import os
import pickle
import sys
import textwrap
import types
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.compare import fmt
from sim.compare.tables import MONEY, TIME_SERIES, Metric
from sim.outputs.results import atomic_write, figure_bytes

log = logging.getLogger(__name__)

OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442")
"""Option colours (Okabe & Ito 2008), after black for the baseline."""
BASELINE_COLOUR = "#000000"
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "svg.fonttype": "path",
    "svg.hashsalt": "hrhsim-compare",
    "figure.dpi": 100,
    "savefig.dpi": 120,
}


@dataclass
class Chart:
    """A finished chart: its file stem (what it shows), title, caption, and the figure."""

    key: str
    title: str
    caption: str
    figure: Figure | None = None
    svg: bytes = b""
    png_path: Path | None = None
    svg_path: Path | None = None


@dataclass
class Spec:
    """A chart to draw: `function(*args)` returns a `Chart` (a module-level function of
    `sim.compare.figures` or `sim.compare.maps`, so that worker processes can call it)."""

    function: Callable[..., Chart]
    args: tuple = ()
    cost: float = 1.0
    """Relative drawing time (the costliest charts are started first)."""
    meta: dict = field(default_factory=dict)

    def digest(self) -> str:
        """What the chart depends on: the drawing code, the data and the matplotlib version."""
        h = hashlib.sha256()
        h.update(_code_digest().encode())
        h.update(f"{self.function.__module__}.{self.function.__qualname__}".encode())
        h.update(pickle.dumps(self.args, protocol=5))
        return h.hexdigest()[:20]


def _code_digest() -> str:
    """Hash of the chart code (this module, maps, fmt) and the matplotlib version."""
    h = hashlib.sha256(mpl.__version__.encode())
    here = Path(__file__).resolve().parent
    for name in ("figures.py", "maps.py", "fmt.py", "reading.py"):
        path = here / name
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


INDEX_NAME = ".charts.json"
"""In the figures folder: which data digest each chart file was drawn from (for reuse)."""


def _draw_and_save(spec: Spec, folder: str) -> tuple[str, str, str, bytes]:
    """Worker: draw one chart and save it; (key, title, caption, svg bytes)."""
    import time

    t0 = time.perf_counter()
    chart = spec.function(*spec.args)
    t1 = time.perf_counter()
    save(chart, Path(folder))
    log.debug(
        "chart %s: drawn in %.2f s, saved in %.2f s", chart.key, t1 - t0, time.perf_counter() - t1
    )
    chart.figure = None
    return chart.key, chart.title, chart.caption, chart.svg


PRELOAD = ["sim.compare.maps", "sim.compare.figures"]
"""Modules the drawing processes' server imports once (matplotlib, pandas come with them)."""


def _pool_context():
    """A forkserver context: worker processes fork from a clean server that has imported the
    drawing modules once, so they start fast and inherit no threads from the caller."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def warm_up(jobs: int | None = None) -> None:
    """Start the drawing processes' server now (it imports matplotlib while the caller computes
    its tables); harmless when it is running already or when drawing will be serial."""
    if (default_jobs() if jobs is None else jobs) <= 1:
        return
    try:
        from multiprocessing import forkserver

        _pool_context()
        forkserver.ensure_running()
    except (OSError, ValueError, RuntimeError) as err:  # pragma: no cover - no forkserver
        log.debug("no drawing server: %s", err)


@contextlib.contextmanager
def _main_hidden():
    """Hide the caller's `__main__` while worker processes start.

    Processes started by multiprocessing import the parent's main module again (as
    `__mp_main__`); a script calling `write_briefing` without an `if __name__ == "__main__"`
    guard would run again in every worker. The workers only need `sim.compare`.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def default_jobs() -> int:
    """Worker processes for drawing: the CPUs this process may use, at most 4."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        n = os.cpu_count() or 1
    return max(1, min(4, n))


class Renderer:
    """Draws charts into a folder as they are submitted, reusing identical earlier ones.

    A chart is reused when its files exist and `folder/.charts.json` records the same digest of
    data and code for it. The others are drawn in `jobs` worker processes (1: in this process,
    at `finish`), while the caller goes on computing. `progress(n)` is called as charts finish.

        renderer = Renderer(folder, jobs=2)
        renderer.submit(Spec(tradeoff, (headline, names, 2032)))
        ...
        charts = renderer.finish()   # in the order of submission
    """

    def __init__(
        self,
        folder: Path,
        *,
        jobs: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.jobs = default_jobs() if jobs is None else max(1, int(jobs))
        self.progress = progress
        self._index_path = self.folder / INDEX_NAME
        try:
            self._index = json.loads(self._index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._index = {}
        self._specs: list[Spec] = []
        self._digests: list[str] = []
        self._done: dict[int, Chart] = {}
        self._futures: dict = {}
        self._pending: list[int] = []
        self._pool: ProcessPoolExecutor | None = None
        self._started = 0

    def submit(self, spec: Spec) -> None:
        """Reuse the chart, or start drawing it (or keep it for `finish` when drawing here)."""
        i = len(self._specs)
        digest = spec.digest()
        self._specs.append(spec)
        self._digests.append(digest)
        reused = self._reuse(digest)
        if reused is not None:
            self._done[i] = reused
            self._tick()
            return
        if self.jobs > 1 and self._pool_ready():
            try:
                if self._started < self.jobs:  # a worker may start now: hide the caller's main
                    with _main_hidden():
                        future = self._pool.submit(_draw_and_save, spec, str(self.folder))
                    self._started += 1
                else:
                    future = self._pool.submit(_draw_and_save, spec, str(self.folder))
                self._futures[future] = i
                return
            except (OSError, BrokenProcessPool, RuntimeError) as err:
                self._fail(err)
        self._pending.append(i)

    def _pool_ready(self) -> bool:
        if self._pool is None:
            try:
                self._pool = ProcessPoolExecutor(self.jobs, mp_context=_pool_context())
            except (OSError, ValueError, RuntimeError) as err:  # pragma: no cover
                self._fail(err)
                return False
        return True

    def _fail(self, err: Exception) -> None:
        log.warning("drawing in %d processes failed (%s); drawing here", self.jobs, err)
        self.jobs = 1

    def _reuse(self, digest: str) -> Chart | None:
        entry = self._index.get(digest)
        if not entry:
            return None
        svg_path = self.folder / f"{entry['key']}.svg"
        png_path = self.folder / f"{entry['key']}.png"
        if not (svg_path.is_file() and png_path.is_file()):
            return None
        return Chart(
            entry["key"],
            entry["title"],
            entry["caption"],
            svg=svg_path.read_bytes(),
            png_path=png_path,
            svg_path=svg_path,
        )

    def _tick(self) -> None:
        if self.progress:
            self.progress(1)

    def finish(self) -> list[Chart]:
        """Wait for every chart; record what each file was drawn from; the charts in order."""
        try:
            for future in as_completed(list(self._futures)):
                i = self._futures[future]
                try:
                    key, title, caption, svg = future.result()
                except BrokenProcessPool as err:
                    self._fail(err)
                    self._pending.append(i)
                    continue
                self._done[i] = _finished(self.folder, key, title, caption, svg)
                self._tick()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
        for i in sorted(self._pending, key=lambda k: -self._specs[k].cost):
            key, title, caption, svg = _draw_and_save(self._specs[i], str(self.folder))
            self._done[i] = _finished(self.folder, key, title, caption, svg)
            self._tick()
        charts = [self._done[i] for i in range(len(self._specs))]
        keys = {c.key for c in charts}
        for entry in self._index.values():  # charts of an earlier briefing that this one lacks
            if entry.get("key") not in keys:
                for ext in ("png", "svg"):
                    (self.folder / f"{entry['key']}.{ext}").unlink(missing_ok=True)
        index = {}
        for chart, digest in zip(charts, self._digests, strict=True):
            index[digest] = {"key": chart.key, "title": chart.title, "caption": chart.caption}
        atomic_write(self._index_path, json.dumps(index, indent=0, sort_keys=True))
        return charts


def render_all(
    specs: Sequence[Spec],
    folder: Path,
    *,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Chart]:
    """Draw every chart of `specs` into `folder` (see `Renderer`); the charts in their order.

    The costliest charts are started first."""
    order = sorted(range(len(specs)), key=lambda k: -specs[k].cost)
    renderer = Renderer(folder, jobs=jobs, progress=progress)
    for k in order:
        renderer.submit(specs[k])
    drawn = renderer.finish()
    out: dict[int, Chart] = dict(zip(order, drawn, strict=True))
    return [out[k] for k in range(len(specs))]


def _finished(folder: Path, key: str, title: str, caption: str, svg: bytes) -> Chart:
    return Chart(
        key, title, caption, svg=svg, png_path=folder / f"{key}.png", svg_path=folder / f"{key}.svg"
    )


def colour(i: int) -> str:
    """Colour of scenario `i` (0 is the baseline)."""
    return BASELINE_COLOUR if i == 0 else OKABE_ITO[(i - 1) % len(OKABE_ITO)]


def linestyle(i: int) -> str:
    """Line style of scenario `i`: the baseline solid, options dashed (so that an option equal
    to the baseline leaves it visible), changing pattern beyond the palette."""
    return "-" if i == 0 else LINESTYLES[1 + ((i - 1) // len(OKABE_ITO)) % (len(LINESTYLES) - 1)]


def marker(i: int) -> str:
    """Marker of scenario `i` (a second cue besides colour)."""
    return MARKERS[i % len(MARKERS)]


def label(text: str, width: int = 40) -> str:
    """User text made safe for matplotlib: no mathtext (`$`), not hidden from legends (`_`)."""
    text = "\n".join(textwrap.wrap(str(text), width)) or " "
    text = text.replace("$", r"\$")
    return "\u200b" + text if text.startswith("_") else text


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _money_ticks(x: float, _pos: int | None = None) -> str:
    size = abs(x)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= scale:
            return f"{'-' if x < 0 else ''}${size / scale:g}{suffix}"
    return f"{'-' if x < 0 else ''}${size:g}"


def _compact_ticks(x: float, _pos: int | None = None) -> str:
    size = abs(x)
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= scale:
            return f"{'-' if x < 0 else ''}{size / scale:g}{suffix}"
    return f"{x:g}"


def _legend(fig: Figure, ax, ncol: int) -> None:
    """The legend below the chart, outside the axes (constrained layout makes room)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=max(ncol, 1))


def _format_axis(axis, kind: str) -> None:
    if kind == "money":
        axis.set_major_formatter(FuncFormatter(_money_ticks))
    elif kind in ("people", "workers"):
        axis.set_major_formatter(FuncFormatter(_compact_ticks))


def save(chart: Chart, folder: Path) -> Chart:
    """Write the chart as `<key>.png` and `<key>.svg` in `folder`; keep the SVG bytes."""
    with mpl.rc_context(STYLE):
        chart.svg = figure_bytes(chart.figure, "svg", metadata={"Date": None})
        chart.figure.set_layout_engine("none")  # laid out once: the PNG reuses the layout
        png = figure_bytes(chart.figure, "png", metadata={"Software": None})
    chart.png_path = atomic_write(folder / f"{chart.key}.png", png)
    chart.svg_path = atomic_write(folder / f"{chart.key}.svg", chart.svg)
    return chart


# --------------------------------------------------------------------------------------------------
# the charts


def tradeoff(headline: pd.DataFrame, options: Sequence[str], year: int) -> Chart:
    """Source density change against destination vacancy-rate change, one point per option."""
    with mpl.rc_context(STYLE):
        fig = _figure(7.0, 4.8)
        ax = fig.add_subplot()
        ax.axhline(0, color="#777777", lw=0.8)
        ax.axvline(0, color="#777777", lw=0.8)
        xs, ys = [], []
        for i, name in enumerate(options, start=1):
            rows = headline[headline["option"] == name].set_index("metric")
            x = rows.loc["safeguards_density"]
            y = rows.loc["destination_vacancy_rate"]
            xm, ym = x["change_median"], 100 * y["change_median"]
            if not (np.isfinite(xm) and np.isfinite(ym)):
                continue
            xerr = [[max(xm - x["change_p5"], 0)], [max(x["change_p95"] - xm, 0)]]
            yerr = [[max(ym - 100 * y["change_p5"], 0)], [max(100 * y["change_p95"] - ym, 0)]]
            ax.errorbar(
                [xm],
                [ym],
                xerr=xerr,
                yerr=yerr,
                fmt="o",
                ms=7,
                capsize=4,
                lw=1.4,
                color=colour(i),
                label=label(name, 50),
            )
            xs += [x["change_p5"], x["change_p95"]]
            ys += [100 * y["change_p5"], 100 * y["change_p95"]]
        _symmetric(ax, xs, ys, (0.2, 0.2))
        ax.text(
            0.99,
            0.02,
            "more health workers in source countries →",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            color="#555555",
            fontsize=8,
        )
        ax.text(
            0.01,
            0.98,
            "↑ more unfilled posts in destinations",
            transform=ax.transAxes,
            ha="left",
            va="top",
            color="#555555",
            fontsize=8,
        )
        ax.set_xlabel(
            "Change in density, safeguards-list countries\n(doctors + nurses per 10,000 population)"
        )
        ax.set_ylabel("Change in destination vacancy rate\n(percentage points)")
        title = f"Trade-off in {year}: source-country density vs destination vacancies"
        ax.set_title(title)
        if options:
            _legend(fig, ax, min(3, len(options)))
    caption = (
        f"Each point is one option's change against the baseline in {year} (median of the "
        "paired replicate differences); bars show the 90% interval. Right is better for "
        "source countries, down is better for destinations."
    )
    return Chart("tradeoff_source_density_vs_destination_vacancies", title, caption, fig)


def _symmetric(ax, xs: list[float], ys: list[float], least: tuple[float, float] = (1.0, 1.0)):
    """Axis limits that include zero and every interval, with a margin, and never narrower than
    `least` on each side of zero (so that noise-sized changes do not fill the chart)."""
    for values, setter, half in ((xs, ax.set_xlim, least[0]), (ys, ax.set_ylim, least[1])):
        finite = [v for v in values if np.isfinite(v)]
        lo, hi = (min([*finite, 0.0]), max([*finite, 0.0])) if finite else (-half, half)
        lo, hi = min(lo, -half), max(hi, half)
        pad = 0.1 * (hi - lo)
        setter(lo - pad, hi + pad)


def time_series(
    metric: Metric, series: Sequence[tuple[str, pd.DataFrame]], replicates: int
) -> Chart:
    """Median and 5-95% band of one indicator over time, every scenario on the same axes."""
    scale, unit = fmt.scale_for_level_axis(metric.kind)
    years = [int(y) for _, ts in series for y in ts["year"]] if series else []
    first = min(years) if years else 0
    with mpl.rc_context(STYLE):
        fig = _figure(6.0, 3.9)
        ax = fig.add_subplot()
        drawn = 0
        for i, (name, ts) in enumerate(series):
            d = ts[ts["metric"] == metric.key].sort_values("year")
            if metric.kind in ("workers", "money") and len(ts):
                d = d[d["year"] > ts["year"].min()]  # the initial state has no flows
            d = d.dropna(subset=["median"])
            if d.empty:
                continue
            c = colour(i)
            ax.fill_between(d["year"], scale * d["p5"], scale * d["p95"], color=c, alpha=0.15, lw=0)
            ax.plot(
                d["year"],
                scale * d["median"],
                color=c,
                ls=linestyle(i),
                lw=2.4 if i == 0 else 1.7,
                marker=marker(i),
                ms=3.5,
                zorder=2 if i == 0 else 3,
                label=label(name + (" (baseline)" if i == 0 else ""), 45),
            )
            drawn += 1
        _year_axis(ax, first)
        _format_axis(ax.yaxis, metric.kind)
        ax.set_ylabel(textwrap.fill(unit or metric.unit, 35))
        title = textwrap.fill(metric.label, 60)
        ax.set_title(title)
        if drawn:
            _legend(fig, ax, 2)
    caption = (
        f"{metric.label} ({metric.unit}). Lines: median across {replicates} replicates; "
        "shaded: 5–95% range across replicates. Values at the end of each simulated year; "
        "“start” is the initial state."
    )
    return Chart(f"over_time_{metric.key}", metric.label, caption, fig)


def _year_axis(ax, first: int) -> None:
    """Integer simulated years on the x axis; the initial state (`first`) labelled `start`."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _pos: "start" if round(x) == first else f"{x:.0f}")
    )
    ax.set_xlabel(f"Simulated year (start = initial state, beginning of {first + 1})")


def all_time_series(series: Sequence[tuple[str, pd.DataFrame]], replicates: int) -> list[Chart]:
    return [time_series(m, series, replicates) for m in TIME_SERIES]


def corridors(table: pd.DataFrame, names: Sequence[str], year: int, top: int = 12) -> Chart:
    """The largest corridors: workers moving in `year` by scenario (median, 90% interval)."""
    rows = table.head(top)
    n = len(names)
    with mpl.rc_context(STYLE):
        fig = _figure(7.0, 1.2 + 0.22 * max(len(rows), 1) * max(n, 1) + 0.5)
        ax = fig.add_subplot()
        height = 0.8 / max(n, 1)
        y0 = np.arange(len(rows))[::-1]
        for i, name in enumerate(names):
            key = "baseline" if i == 0 else name
            med = rows[f"{key}|level|median"].to_numpy(float) if len(rows) else np.array([])
            lo = rows[f"{key}|level|p5"].to_numpy(float) if len(rows) else np.array([])
            hi = rows[f"{key}|level|p95"].to_numpy(float) if len(rows) else np.array([])
            y = y0 + 0.4 - height * (i + 0.5)
            ax.barh(
                y,
                med,
                height=height * 0.9,
                color=colour(i),
                label=label(name + (" (baseline)" if i == 0 else ""), 45),
                xerr=[np.maximum(med - lo, 0), np.maximum(hi - med, 0)],
                error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#444444"},
            )
        ax.set_yticks(
            y0,
            [f"{o} → {d}" for o, d in zip(rows["origin"], rows["destination"], strict=True)]
            if len(rows)
            else [],
        )
        ax.grid(axis="y", visible=False)
        _format_axis(ax.xaxis, "workers")
        ax.set_xlabel(f"Workers moving in {year} (doctors + nurses, workers/year)")
        title = f"Largest migration corridors (origin → destination) in {year}"
        ax.set_title(title)
        if n:
            _legend(fig, ax, min(3, n))
        if rows.empty:
            ax.text(
                0.5,
                0.5,
                "no international moves recorded",
                transform=ax.transAxes,
                ha="center",
                va="center",
            )
    caption = (
        f"Bars: median workers moving on each corridor in {year}; whiskers: 5–95% range "
        "across replicates. Corridors: the largest in the baseline and those each option "
        "changes most. Codes are ISO3; the table below gives country names."
    )
    return Chart(f"corridors_largest_{year}", title, caption, fig)


def country_changes(
    table: pd.DataFrame,
    options: Sequence[str],
    year: int,
    flagged: Sequence[str] = (),
    least: float = 0.2,
) -> Chart:
    """Change in density by safeguards-list country and option (median, 90% interval).

    Countries in `flagged` (too small for the scale) are left out and named in the caption. The
    axis covers every median and most intervals; an interval reaching beyond it (one small
    country's noise) is cut at the edge with an arrow, so that it cannot flatten the others.
    """
    table = table[~table["country"].isin(list(flagged))].reset_index(drop=True)
    n_rows = max(len(table), 1)
    meds, ends = [], []
    for name in options:
        meds += list(table[f"{name}|change|median"].to_numpy(float))
        ends += list(table[f"{name}|change|p5"].to_numpy(float))
        ends += list(table[f"{name}|change|p95"].to_numpy(float))
    meds = [v for v in meds if np.isfinite(v)]
    ends = [abs(v) for v in ends if np.isfinite(v)]
    limit = max([abs(v) for v in meds] + [least])
    if ends:  # intervals may widen the axis, up to three times the largest median
        limit = max(limit, min(float(np.percentile(ends, 90)), 3 * limit))
    limit *= 1.12
    with mpl.rc_context(STYLE):
        fig = _figure(7.0, 1.6 + 0.24 * n_rows + 0.2 * len(options))
        ax = fig.add_subplot()
        ax.axvspan(-least / 2, least / 2, color="#f0f0f0", lw=0, zorder=0)
        ax.axvline(0, color="#777777", lw=0.8)
        y0 = np.arange(len(table))[::-1]
        step = 0.6 / max(len(options), 1)
        cut = 0
        for i, name in enumerate(options, start=1):
            med = table[f"{name}|change|median"].to_numpy(float)
            lo = table[f"{name}|change|p5"].to_numpy(float)
            hi = table[f"{name}|change|p95"].to_numpy(float)
            y = y0 + 0.3 - step * (i - 0.5)
            lo_c, hi_c = np.clip(lo, -limit, limit), np.clip(hi, -limit, limit)
            ax.errorbar(
                np.clip(med, -limit, limit),
                y,
                xerr=[np.maximum(med - lo_c, 0), np.maximum(hi_c - med, 0)],
                fmt="o",
                ms=4,
                capsize=2,
                lw=1,
                color=colour(i),
                label=label(name, 45),
            )
            for yy, a, b in zip(y, lo, hi, strict=True):
                if np.isfinite(a) and a < -limit:
                    ax.plot([-limit], [yy], marker="<", color=colour(i), ms=5)
                    cut += 1
                if np.isfinite(b) and b > limit:
                    ax.plot([limit], [yy], marker=">", color=colour(i), ms=5)
                    cut += 1
        ax.set_xlim(-limit, limit)
        ax.set_yticks(y0, [label(str(n), 30) for n in table["name"]] if len(table) else [])
        ax.set_ylim(-0.7, max(len(table), 1) - 0.3)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(
            "Change in density against the baseline\n(doctors + nurses per 10,000 population)"
        )
        title = f"Change in health-worker density by safeguards-list country, {year}"
        fig.suptitle(title, fontweight="bold", fontsize=10)
        if options:
            _legend(fig, ax, min(3, len(options)))
    caption = (
        f"Dots: median paired change in density at the end of {year} against the baseline; bars: "
        f"90% interval across replicates. Grey band: smaller than the relevance threshold "
        f"(±{least / 2:g})."
    )
    if cut:
        caption += " Arrows: the interval reaches beyond the axis (the table gives its ends)."
    if len(flagged):
        caption += (
            " Not shown (health workforce smaller than one simulated worker at this scale): "
            + ", ".join(flagged)
            + "."
        )
    return Chart(f"safeguards_list_density_change_{year}", title, caption, fig)


def money(values: Sequence[tuple[str, pd.DataFrame]], first: int, last: int) -> Chart:
    """Money flows over the period by scenario, one panel per item (median, 90% interval)."""
    from sim.compare.tables import quantiles

    present = [
        m
        for m in MONEY
        if any((v.loc[v["item"] == m.key, "value"].abs() > 0).any() for _, v in values)
    ]
    absent = [
        m.label
        for m in MONEY
        if m not in present and any((v["item"] == m.key).any() for _, v in values)
    ]
    cols = 2
    rows_n = max(1, -(-len(present) // cols))
    n = len(values)
    with mpl.rc_context(STYLE):
        fig = _figure(7.0, 0.6 + rows_n * (0.5 + 0.28 * n) + 0.4)
        axes = fig.subplots(rows_n, cols, squeeze=False)
        for ax, item in zip(axes.flat, present, strict=False):
            y = np.arange(n)[::-1]
            for i, (name, v) in enumerate(values):
                q = quantiles(v[v["item"] == item.key], ["item"], "value")
                if q.empty:
                    continue
                med, lo, hi = (float(q[c].iloc[0]) for c in ("median", "p5", "p95"))
                ax.barh(
                    y[i],
                    med,
                    color=colour(i),
                    height=0.7,
                    xerr=[[max(med - lo, 0)], [max(hi - med, 0)]],
                    error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#444444"},
                    label=label(name + (" (baseline)" if i == 0 else ""), 45),
                )
            ax.set_yticks([])
            ax.grid(axis="y", visible=False)
            ax.set_title(textwrap.fill(item.label, 42), fontsize=8.5)
            _format_axis(ax.xaxis, "money")
            ax.xaxis.set_major_locator(MaxNLocator(4))
        for ax in list(axes.flat)[len(present) :]:
            ax.set_visible(False)
        title = f"Money flows, total over {first}–{last} (int$ PPP)"
        fig.suptitle(title, fontweight="bold", fontsize=10)
        handles = [
            Patch(color=colour(i), label=label(name + (" (baseline)" if i == 0 else ""), 45))
            for i, (name, _) in enumerate(values)
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=min(3, n))
    caption = (
        f"Bars: median total over {first}–{last}, all countries unless stated, in "
        "international dollars at purchasing-power parity; whiskers: 5–95% range across "
        "replicates."
    )
    if absent:
        caption += " Zero in every scenario (not drawn): " + "; ".join(absent) + "."
    if not present:
        axes.flat[0].set_visible(True)
        axes.flat[0].text(
            0.5,
            0.5,
            "no money flows in any scenario",
            ha="center",
            transform=axes.flat[0].transAxes,
        )
    return Chart(f"money_totals_{first}_{last}", title, caption, fig)


# --------------------------------------------------------------------------------------------------
# focus countries and agreements

SERIES_LABELS = {
    "density": "Doctors + nurses per 10,000 population",
    "stock": "Doctors + nurses (workers)",
    "emigrants": "Emigrants (workers/year)",
    "immigrants": "Immigrants (workers/year)",
}


def _scenario_lines(
    ax, d: pd.DataFrame, scenarios: Sequence[str], first: int, handles: dict
) -> None:
    """One line (median) and band (5-95%) per scenario of an indicator's yearly quantiles `d`
    (columns scenario, indicator, year, p5, median, p95); flows skip the initial state."""
    for i, name in enumerate(scenarios):
        e = d[d["scenario"] == name].sort_values("year")
        if len(e) and e["indicator"].iloc[0] in ("emigrants", "immigrants"):
            e = e[e["year"] > first]
        if e.empty:
            continue
        c = colour(i)
        ax.fill_between(e["year"], e["p5"], e["p95"], color=c, alpha=0.12, lw=0)
        (line,) = ax.plot(
            e["year"],
            e["median"],
            color=c,
            ls=linestyle(i),
            lw=2.0 if i == 0 else 1.4,
            marker=marker(i),
            ms=2.5,
        )
        handles.setdefault(name, line)
    _year_axis(ax, first)
    ax.set_xlabel("")


def focus_over_time(
    series: dict[str, pd.DataFrame],
    names: dict[str, str],
    scenarios: Sequence[str],
    indicator: str = "density",
    key: str = "focus_countries_density_over_time",
) -> Chart:
    """One panel per focus country: `indicator` over time, one line per scenario (median, band).

    `series[code]` has columns scenario, indicator, year, p5, median, p95.
    """
    codes = list(series)
    cols = 2 if len(codes) > 1 else 1
    rows_n = max(1, -(-len(codes) // cols))
    with mpl.rc_context(STYLE):
        fig = _figure(7.0, 0.9 + 2.1 * rows_n)
        axes = fig.subplots(rows_n, cols, squeeze=False)
        handles = {}
        for ax, code in zip(axes.flat, codes, strict=False):
            d = series[code]
            first = int(d["year"].min()) if len(d) else 0
            _scenario_lines(ax, d[d["indicator"] == indicator], scenarios, first, handles)
            _format_axis(ax.yaxis, "workers" if indicator != "density" else "density")
            ax.set_title(label(f"{names.get(code, code)} ({code})", 40), fontsize=9)
        for ax in list(axes.flat)[len(codes) :]:
            ax.set_visible(False)
        title = f"{SERIES_LABELS.get(indicator, indicator)} in the focus countries"
        fig.suptitle(title, fontweight="bold", fontsize=10)
        if handles:
            fig.legend(
                list(handles.values()),
                [label(n + (" (baseline)" if n == scenarios[0] else ""), 40) for n in handles],
                loc="outside lower center",
                ncol=min(3, len(handles)),
            )
    caption = (
        "Lines: median across replicates; shaded: 5–95% range. Values at the end of each "
        "simulated year; “start” is the initial state."
    )
    return Chart(key, title, caption, fig)


def agreement_delivery(items: Sequence[dict]) -> Chart:
    """One panel per agreement: workers moved each simulated year against the quota.

    `items`: dicts with title, table (focus.delivery columns), scenario index `i`, `source`
    (`agreement` or `corridor`).
    """
    cols = 2 if len(items) > 1 else 1
    rows_n = max(1, -(-len(items) // cols))
    with mpl.rc_context(STYLE):
        fig = _figure(7.0, 1.0 + 2.3 * rows_n)
        axes = fig.subplots(rows_n, cols, squeeze=False)
        for ax, item in zip(axes.flat, items, strict=False):
            t = item["table"]
            x = t["year"].to_numpy(int)
            med = t["median"].to_numpy(float)
            lo, hi = t["p5"].to_numpy(float), t["p95"].to_numpy(float)
            c = colour(item["i"])
            ax.bar(
                x,
                np.nan_to_num(med),
                width=0.7,
                color=c,
                alpha=0.85,
                yerr=[
                    np.maximum(np.nan_to_num(med - lo), 0),
                    np.maximum(np.nan_to_num(hi - med), 0),
                ],
                error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#444444"},
                label="moved (agreement)" if item["source"] == "agreement" else "moved on corridor",
            )
            ax.hlines(
                t["quota"].to_numpy(float),
                x - 0.45,
                x + 0.45,
                color="#000000",
                lw=1.6,
                label="quota in force",
            )
            ax.plot(
                x,
                t["baseline"].to_numpy(float),
                color="#777777",
                ls=":",
                lw=1.2,
                marker=".",
                label="same corridor in the baseline",
            )
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
            _format_axis(ax.yaxis, "workers")
            ax.set_ylim(bottom=0)
            ax.set_title(label(item["title"], 48), fontsize=8.5)
            handles, labels = ax.get_legend_handles_labels()
        for ax in list(axes.flat)[len(items) :]:
            ax.set_visible(False)
        title = "Bilateral agreements: workers moved each year against the quota"
        fig.suptitle(title, fontweight="bold", fontsize=10)
        if items:
            fig.legend(handles, labels, loc="outside lower center", ncol=3)
    caption = (
        "Bars: median workers moved in each simulated year (whiskers: 5–95% range across "
        "replicates); black steps: the quota in force; dotted grey: the same corridor in the "
        "baseline. Where a run did not record hires by agreement, the bars are all moves on the "
        "corridor for the agreement's cadre, including recruitment outside the agreement."
    )
    return Chart("agreements_delivery_against_quota", title, caption, fig)


def country_panel(
    code: str, name: str, series: pd.DataFrame, scenarios: Sequence[str], replicates: int
) -> Chart:
    """A country's page chart: density, stock, emigrants and immigrants over time by scenario."""
    with mpl.rc_context(STYLE):
        fig = _figure(7.0, 5.6)
        axes = fig.subplots(2, 2, squeeze=False)
        first = int(series["year"].min()) if len(series) else 0
        handles = {}
        for ax, ind in zip(axes.flat, ("density", "stock", "emigrants", "immigrants"), strict=True):
            _scenario_lines(ax, series[series["indicator"] == ind], scenarios, first, handles)
            _format_axis(ax.yaxis, "workers" if ind != "density" else "density")
            ax.set_title(SERIES_LABELS[ind], fontsize=8.5)
        title = f"{name} ({code}): health workforce over time"
        fig.suptitle(label(title, 70), fontweight="bold", fontsize=10)
        if handles:
            fig.legend(
                list(handles.values()),
                [label(n + (" (baseline)" if n == scenarios[0] else ""), 40) for n in handles],
                loc="outside lower center",
                ncol=min(3, len(handles)),
            )
    caption = (
        f"Lines: median across {replicates} replicates; shaded: 5–95% range. Values at the end of "
        "each simulated year; “start” is the initial state."
    )
    return Chart(f"country_{code}_over_time", title, caption, fig)
