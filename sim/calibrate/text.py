"""Text of the calibration's HTML pages: escaping and numbers as the report prints them."""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

COMPARED_LABELS = ("fitted", "held out", "checked after")
"""The report's labels of the compared roles (`sim.calibrate.targets.COMPARED`)."""


def esc(text: Any) -> str:
    """`text` escaped for HTML (quotes too)."""
    return html.escape(str(text), quote=True)


def num(x: Any) -> str:
    """A number as the report prints it: thousands separated, small values in 2-3 significant
    figures, "–" for none."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    x = float(x)
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if x != 0 and abs(x) < 1e-2:
        return f"{x:.2g}"
    return f"{x:.3g}"


def figure_of(t: pd.Series) -> str:
    """A published figure with its bound ("> ", "< "), range ("-1.6 to -0.9") and approximation
    ("~") marks."""
    mark = {"lower": "&gt; ", "upper": "&lt; "}.get(t["bound"], "")
    approx = "~" if t["approximate"] else ""
    low, high = t.get("low"), t.get("high")
    if low is not None and high is not None and not (pd.isna(low) or pd.isna(high)):
        return f"{approx}{num(low)} to {num(high)}"
    return f"{mark}{approx}{num(t['value'])}"
