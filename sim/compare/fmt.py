"""Numbers as a briefing prints them: thousands separators, a true minus sign, sensible digits.

Every value carries a `kind` that fixes its unit and digits, so that the headline table, the
summary sentences and the figures agree (a share prints as a percentage, its change in points).
"""

from __future__ import annotations

import math

MINUS = "\u2212"

KINDS = ("density", "workers", "share", "ratio", "people", "money", "number")
"""Value kinds: doctors+nurses per 10,000; workers; share 0..1; ratio; people; int$ PPP; other."""

UNITS = {
    "density": "per 10,000 population",
    "workers": "workers/year",
    "share": "%",
    "ratio": "ratio",
    "people": "people",
    "money": "int$ PPP",
    "number": "",
}
CHANGE_UNITS = {**UNITS, "share": "percentage points"}


def _finite(x: float | None) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def _fixed(size: float, digits: int) -> str:
    """A non-negative number with `digits` decimals, or two significant digits when tiny."""
    if size != 0 and size < 0.5 * 10.0**-digits:
        if size < 5e-7:
            return "0"
        decimals = min(6, 1 - math.floor(math.log10(size)))
        return f"{size:.{decimals}f}"
    return f"{size:,.{digits}f}"


def number(x: float | None, digits: int = 1, *, signed: bool = False) -> str:
    """`x` with thousands separators, `digits` decimals (two significant digits when tiny)."""
    if not _finite(x):
        return "n/a"
    x = float(x)
    text = _fixed(abs(x), digits)
    if float(text.replace(",", "")) == 0:
        x = 0.0
    sign = MINUS if x < 0 else ("+" if signed and x > 0 else "")
    return sign + text


def _short(v: float) -> str:
    """1-3 significant digits, no exponent, no trailing zeros (`2.92`, `30`, `315`)."""
    text = f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def compact(x: float | None, *, signed: bool = False, prefix: str = "") -> str:
    """Large numbers in words: `1.2 million`, `3.4 billion` (with an optional `$` prefix)."""
    if not _finite(x):
        return "n/a"
    x = float(x)
    size = abs(x)
    for scale, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if size >= scale:
            body = f"{_short(size / scale)} {word}"
            break
    else:
        body = f"{size:,.0f}" if size >= 1 or size == 0 else _fixed(size, 0)
    if body == "0":
        x = 0.0
    sign = MINUS if x < 0 else ("+" if signed and x > 0 else "")
    return f"{sign}{prefix}{body}"


def value(x: float | None, kind: str) -> str:
    """A level of `kind` without its unit (`23.4`, `12.5%`, `1.2 million`, `$3.4 million`)."""
    if kind == "share":
        return number(None if not _finite(x) else 100.0 * x, 1) + ("%" if _finite(x) else "")
    if kind == "density":
        return number(x, 1)
    if kind == "workers":
        return number(x, 0)
    if kind == "ratio":
        return number(x, 2)
    if kind == "people":
        return compact(x)
    if kind == "money":
        return compact(x, prefix="$")
    return number(x, 2)


def change(x: float | None, kind: str) -> str:
    """A signed change of `kind` (`+1.2`, `−0.4 pp`, `+$1.2 million`)."""
    if kind == "share":
        text = number(None if not _finite(x) else 100.0 * x, 1, signed=True)
        return text + (" pp" if _finite(x) else "")
    if kind == "density":
        return number(x, 1, signed=True)
    if kind == "workers":
        return number(x, 0, signed=True)
    if kind == "ratio":
        return number(x, 2, signed=True)
    if kind == "people":
        return compact(x, signed=True)
    if kind == "money":
        return compact(x, signed=True, prefix="$")
    return number(x, 2, signed=True)


def interval(lo: float | None, hi: float | None, kind: str, *, signed: bool = True) -> str:
    """A 90% interval as `−0.3 to +1.2` (levels are printed unsigned)."""
    fn = change if signed else value
    return f"{fn(lo, kind)} to {fn(hi, kind)}"


def scale_for_level_axis(kind: str) -> tuple[float, str]:
    """Multiplier and axis unit for plotting a level of `kind` (shares in %)."""
    if kind == "share":
        return 100.0, "%"
    return 1.0, UNITS.get(kind, "")
