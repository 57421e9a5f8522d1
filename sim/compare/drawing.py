"""Drawing the briefing's charts into the figures folder, in parallel and only when needed.

Charts are described by a `Spec` (drawing function and its data) and drawn by `render_all` or a
`Renderer`: in parallel worker processes, and not at all when the same chart (same data, same
drawing code) is already in the figures folder from an earlier briefing. Each chart is saved as
PNG and SVG, named for what it shows; the SVG is what the HTML embeds.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import pickle
import sys
import types
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib as mpl
from matplotlib.figure import Figure

from sim.compare.chartstyle import STYLE
from sim.outputs.results import atomic_write, figure_bytes
from sim.processes import forkserver_context, interrupts_deferred, worker_initializer

log = logging.getLogger(__name__)


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
    `sim.compare.figures`, `sim.compare.focus_figures` or `sim.compare.maps`, so that worker
    processes can call it)."""

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


CHART_CODE = (
    "drawing.py",
    "chartstyle.py",
    "figures.py",
    "focus_figures.py",
    "maps.py",
    "fmt.py",
    "reading.py",
    "tables.py",
)
"""The files of `sim.compare` whose code draws or saves the charts, or names what they show
(`tables.py`: the labels of money items and outcomes), in the cache's digest; the declarations
(`sim/declarations/*.py`, the outcomes' names and units) are in it too."""


def _code_digest() -> str:
    """Hash of the chart code (`CHART_CODE`) and the matplotlib version."""
    h = hashlib.sha256(mpl.__version__.encode())
    here = Path(__file__).resolve().parent
    for name in CHART_CODE:
        path = here / name
        if path.is_file():
            h.update(path.read_bytes())
    for path in sorted((here.parent / "declarations").glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()


INDEX_NAME = ".charts.json"
"""In the figures folder: which data digest each chart file was drawn from (for reuse)."""


def _draw_and_save(spec: Spec, folder: str) -> tuple[str, str, str, bytes, int]:
    """Worker: draw one chart and save it; (key, title, caption, svg bytes, the number of
    characters of its labels the figure font lacks)."""
    import time

    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart = spec.function(*spec.args)
        t1 = time.perf_counter()
        save(chart, Path(folder))
    missing = {str(w.message) for w in caught if "missing from font" in str(w.message)}
    for other in caught:  # names in scripts the font lacks (e.g. CJK) are said once, by finish
        if "missing from font" not in str(other.message):
            warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
    log.debug(
        "chart %s: drawn in %.2f s, saved in %.2f s", chart.key, t1 - t0, time.perf_counter() - t1
    )
    chart.figure = None
    return chart.key, chart.title, chart.caption, chart.svg, len(missing)


PRELOAD = ["sim.compare.maps", "sim.compare.figures", "sim.compare.focus_figures"]
"""Modules the drawing processes' server imports once (matplotlib, pandas come with them)."""


def _pool_context():
    """A forkserver context: worker processes fork from a clean server that has imported the
    drawing modules once, so they start fast, inherit no threads from the caller and leave a
    Ctrl-C to it (`sim.processes`)."""
    return forkserver_context(PRELOAD)


def warm_up(jobs: int | None = None) -> None:
    """Start the drawing processes' server now (it imports matplotlib while the caller computes
    its tables); harmless when it is running already or when drawing will be serial."""
    if (default_jobs() if jobs is None else jobs) <= 1:
        return
    try:
        _pool_context()
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
    data and code for it; with `reuse_from`, a new `folder` (a briefing being staged) gets the
    reused files of that earlier figures folder, which stays as it was. The others are drawn in
    `jobs` worker processes (1: in this process, at `finish`), while the caller goes on computing.
    `progress(n)` is called as charts finish.

        with Renderer(folder, jobs=2) as renderer:  # closed on an error or a Ctrl-C
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
        reuse_from: Path | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.previous = self.folder if reuse_from is None else Path(reuse_from)
        self.jobs = default_jobs() if jobs is None else max(1, int(jobs))
        self.progress = progress
        self._index_path = self.folder / INDEX_NAME
        try:
            text = (self.previous / INDEX_NAME).read_text(encoding="utf-8")
            self._index = json.loads(text)
        except (OSError, ValueError):
            self._index = {}
        self._specs: list[Spec] = []
        self._digests: list[str] = []
        self._done: dict[int, Chart] = {}
        self._futures: dict = {}
        self._glyphs: dict[str, int] = {}  # characters each drawn chart lacked in its font
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
                    with _main_hidden(), interrupts_deferred():  # and start it whole
                        future = self._pool.submit(_draw_and_save, spec, str(self.folder))
                    self._started += 1
                else:
                    future = self._pool.submit(_draw_and_save, spec, str(self.folder))
                self._futures[future] = i
                return
            except (OSError, BrokenProcessPool, RuntimeError) as err:
                self._fail(err)
        self._pending.append(i)

    def close(self) -> None:
        """Stop drawing: the charts being drawn are finished (whole files), the others dropped.

        `finish` closes; so does leaving a `with renderer:` block on an error or a Ctrl-C.
        """
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pool_ready(self) -> bool:
        if self._pool is None:
            try:
                self._pool = ProcessPoolExecutor(
                    self.jobs, mp_context=_pool_context(), initializer=worker_initializer
                )
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
        svg_path = self.previous / f"{entry['key']}.svg"
        png_path = self.previous / f"{entry['key']}.png"
        if not (svg_path.is_file() and png_path.is_file()):
            return None
        svg = svg_path.read_bytes()
        if self.previous != self.folder:
            svg_path = _copy(svg_path, self.folder)
            png_path = _copy(png_path, self.folder)
        return Chart(
            entry["key"],
            entry["title"],
            entry["caption"],
            svg=svg,
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
                    key, title, caption, svg, missing = future.result()
                except BrokenProcessPool as err:
                    self._fail(err)
                    self._pending.append(i)
                    continue
                self._glyphs[key] = missing
                self._done[i] = _finished(self.folder, key, title, caption, svg)
                self._tick()
        finally:
            self.close()
        for i in sorted(self._pending, key=lambda k: -self._specs[k].cost):
            key, title, caption, svg, self._glyphs[key] = _draw_and_save(
                self._specs[i], str(self.folder)
            )
            self._done[i] = _finished(self.folder, key, title, caption, svg)
            self._tick()
        charts = [self._done[i] for i in range(len(self._specs))]
        lacking = sorted(k for k, n in self._glyphs.items() if n)
        if lacking:
            log.warning(
                "%d chart(s) have labels with characters the figure font lacks, drawn as boxes "
                "(e.g. %s): names in Latin, Greek or Cyrillic letters draw fully",
                len(lacking), lacking[0],
            )  # fmt: skip
        keys = {c.key for c in charts}
        earlier = self._index.values() if self.previous == self.folder else ()  # (else: not here)
        for entry in earlier:  # charts of an earlier briefing that this one lacks
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
    with Renderer(folder, jobs=jobs, progress=progress) as renderer:
        for k in order:
            renderer.submit(specs[k])
        drawn = renderer.finish()
    out: dict[int, Chart] = dict(zip(order, drawn, strict=True))
    return [out[k] for k in range(len(specs))]


def _copy(source: Path, folder: Path) -> Path:
    """`source` put in `folder` under its name: hard-linked (its files are only ever replaced,
    never changed in place), else copied; the new path."""
    target = folder / source.name
    try:
        os.link(source, target)
    except OSError:
        atomic_write(target, source.read_bytes())
    return target


def _finished(folder: Path, key: str, title: str, caption: str, svg: bytes) -> Chart:
    return Chart(
        key, title, caption, svg=svg, png_path=folder / f"{key}.png", svg_path=folder / f"{key}.svg"
    )


def save(chart: Chart, folder: Path) -> Chart:
    """Write the chart as `<key>.png` and `<key>.svg` in `folder`; keep the SVG bytes."""
    with mpl.rc_context(STYLE):
        chart.svg = figure_bytes(chart.figure, "svg", metadata={"Date": None})
        chart.figure.set_layout_engine("none")  # laid out once: the PNG reuses the layout
        png = figure_bytes(chart.figure, "png", metadata={"Software": None})
    chart.png_path = atomic_write(folder / f"{chart.key}.png", png)
    chart.svg_path = atomic_write(folder / f"{chart.key}.svg", chart.svg)
    return chart
