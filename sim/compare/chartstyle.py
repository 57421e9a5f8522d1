"""The one style of the briefing's charts: palette, line styles, axes, labels, legends.

The Okabe-Ito colour-blind-safe palette (baseline in black), labelled axes with units, a legend
below the chart; matplotlib without pyplot (no global backend state): every chart module draws
in `mpl.rc_context(STYLE)` on a `new_figure`.
"""

from __future__ import annotations

import textwrap

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.compare import fmt

OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#882255")
"""Option colours (Okabe & Ito 2008), after black for the baseline; the seventh, their yellow
(#F0E442, contrast 1.3:1 on white: the last option's lines and points all but vanished), is
replaced by Tol's wine (#882255; Tol 2021, colour schemes for colour-blind readers)."""
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


def scenario_label(name: str, baseline: bool, width: int = 45) -> str:
    """A scenario's legend entry: its name, `(baseline)` added to the baseline's unless its name
    says so already (`baseline`, not `baseline (baseline)`)."""
    marked = baseline and "baseline" not in str(name).lower()
    return label(f"{name} (baseline)" if marked else str(name), width)


def new_figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _money_ticks(x: float, _pos: int | None = None) -> str:
    size = abs(x)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= scale:
            return f"{'-' if x < 0 else ''}{fmt.MONEY_PREFIX}{size / scale:g}{suffix}"
    return f"{'-' if x < 0 else ''}{fmt.MONEY_PREFIX}{size:g}"


def _compact_ticks(x: float, _pos: int | None = None) -> str:
    size = abs(x)
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= scale:
            return f"{'-' if x < 0 else ''}{size / scale:g}{suffix}"
    return f"{x:g}"


def legend_below(fig: Figure, ax, ncol: int) -> None:
    """The legend below the chart, outside the axes (constrained layout makes room)."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncol=max(ncol, 1))


def format_axis(axis, kind: str) -> None:
    if kind == "money":
        axis.set_major_formatter(FuncFormatter(_money_ticks))
    elif kind in ("people", "workers"):
        axis.set_major_formatter(FuncFormatter(_compact_ticks))


def year_axis(ax, first: int, *, start_shown: bool = True) -> None:
    """Integer simulated years on the x axis; the initial state (`first`) labelled `start` when
    the chart shows it (flows have no initial state: their axis says so instead)."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _pos: "start" if round(x) == first else f"{x:.0f}")
    )
    if start_shown:
        ax.set_xlabel(f"Simulated year (start = initial state, beginning of {first + 1})")
    else:
        ax.set_xlabel("Simulated year (each year's total)")
