"""Numbers as a briefing prints them: thousands separators, a true minus sign, sensible digits.

Every value carries a `kind` that fixes its unit and digits, so that the headline table, the
summary sentences and the figures agree (a share prints as a percentage, its change in points).

Numbers people quote are printed to significant figures (`sig`), and a group of numbers shown
together (a median with its interval, the options of one row) is printed with as many figures as
it takes for two different values never to print the same (`distinct`).
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


MONEY_PREFIX = "int$"
"""Money is printed in international dollars at purchasing-power parity, `int$1.2 million`: a
reader must not take it for US dollars at market exchange rates (a ministry reader's review)."""


def compact(x: float | None, *, signed: bool = False, prefix: str = "") -> str:
    """Large numbers in words: `1.2 million`, `3.4 billion` (with an optional prefix, `int$`)."""
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
    """A level of `kind` without its unit (`23.4`, `12.5%`, `1.2 million`, `int$3.4 million`)."""
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
        return compact(x, prefix=MONEY_PREFIX)
    return number(x, 2)


def change(x: float | None, kind: str) -> str:
    """A signed change of `kind` (`+1.2`, `−0.4 pp`, `+int$1.2 million`)."""
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
        return compact(x, signed=True, prefix=MONEY_PREFIX)
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


# --------------------------------------------------------------------------------------------------
# significant figures

MIN_SIG = {"density": 2, "share": 2, "ratio": 2, "workers": 3, "people": 3, "money": 3, "number": 2}
"""Fewest significant figures per kind (more when needed to tell two values apart)."""
MAX_SIG = 7
TINY = 1e-10
"""Magnitudes below this are floating-point residue (e.g. of a difference of equal sums): 0."""
RESIDUE = 1e-9
"""In a group, values smaller than this fraction of the group's largest are residue: 0."""
_WORDS = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


def sig(x: float | None, n: int = 2, *, signed: bool = False) -> str:
    """`x` to `n` significant figures, with thousands separators and no exponent.

    `sig(0.11249, 2) == "0.11"`, `sig(0.0601, 2) == "0.060"`, `sig(18612, 3) == "18,600"`.
    """
    if not _finite(x):
        return "n/a"
    x = float(x)
    size = abs(x)
    if size < TINY:  # floating-point residue of a difference, not a value
        x, size = 0.0, 0.0
    if size == 0:
        text = "0"
    else:
        digits = math.floor(math.log10(size)) + 1
        rounded = round(size, n - digits)
        if rounded >= 10.0**digits:  # 9.96 -> 10.0: one more digit before the point
            digits += 1
        decimals = max(0, n - digits)
        text = f"{rounded:,.{decimals}f}"
    if float(text.replace(",", "")) == 0:
        x, text = 0.0, "0"
    sign = MINUS if x < 0 else ("+" if signed and x > 0 else "")
    return sign + text


def _sig_compact(x: float | None, n: int, *, signed: bool, prefix: str = "") -> str:
    """Large numbers in words to `n` significant figures: `4.57 billion`, `int$544 million`."""
    if not _finite(x):
        return "n/a"
    x = float(x)
    size = abs(x)
    for scale, word in _WORDS:
        if float(sig(size / scale, n).replace(",", "")) >= 1:
            body = f"{sig(size / scale, n)} {word}"
            break
    else:
        body = sig(size, n)
    if body == "0":
        x = 0.0
    sign = MINUS if x < 0 else ("+" if signed and x > 0 else "")
    return f"{sign}{prefix}{body}"


def quote(x: float | None, kind: str, n: int | None = None, *, signed: bool = False) -> str:
    """A value of `kind` to `n` significant figures (default `MIN_SIG[kind]`), with `%`/`pp`.

    Shares print as percentages (levels, `12.1%`) or percentage points (changes, `+0.30 pp`).
    """
    n = MIN_SIG.get(kind, 2) if n is None else n
    if not _finite(x):
        return "n/a"
    if kind == "share":
        return sig(100.0 * float(x), n, signed=signed) + (" pp" if signed else "%")
    if kind == "workers":  # counts: `50`, not `50.0` (but `57.5` stays)
        text = sig(x, n, signed=signed)
        return text.split(".")[0] if "." in text and not text.split(".")[1].strip("0") else text
    if kind == "people":
        return _sig_compact(x, n, signed=signed)
    if kind == "money":
        return _sig_compact(x, n, signed=signed, prefix=MONEY_PREFIX)
    return sig(x, n, signed=signed)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _snap(values: list[float | None]) -> list[float | None]:
    """Values that are floating-point residue relative to the largest of the group set to 0."""
    finite = [abs(float(v)) for v in values if _finite(v)]
    top = max(finite, default=0.0)
    return [
        0.0 if _finite(v) and abs(float(v)) < RESIDUE * top else v  # type: ignore[arg-type]
        for v in values
    ]


def figures_needed(values: list[float | None], kind: str, *, signed: bool = False) -> int:
    """Fewest significant figures (from `MIN_SIG[kind]`) for different values to print apart."""
    values = _snap(values)
    for n in range(MIN_SIG.get(kind, 2), MAX_SIG + 1):
        seen: dict[str, float] = {}
        clash = False
        for v in values:
            if not _finite(v):
                continue
            t = quote(v, kind, n, signed=signed)
            if t in seen and not _same(seen[t], float(v)):
                clash = True
                break
            seen[t] = float(v)
        if not clash:
            return n
    return MAX_SIG


def distinct(
    values: list[float | None], kind: str, *, signed: bool = False, n: int | None = None
) -> list[str]:
    """`values` printed alike (`quote`), with the fewest figures that keep different values apart.

    Starts at `n` (default `MIN_SIG[kind]`) figures and adds one until no two different finite
    values print the same (at most `MAX_SIG`).
    """
    values = _snap(values)
    need = max(figures_needed(values, kind, signed=signed), n or 0)
    return [quote(v, kind, need, signed=signed) for v in values]


ESTIMATE_MAX_SIG = 15
"""Most figures of the largest value of an estimate (`estimate`): one place for three values
may need more than `MAX_SIG` to keep a small end apart from another beside a large one."""

_COMPACT = ("people", "money")
"""Kinds printed in words (`1.2 million`): their estimates keep `distinct`'s figures."""


def _at_resolution(x: float | None, kind: str, exponent: int, *, signed: bool) -> str:
    """`x` of `kind` rounded to a multiple of 10**exponent (in the printed unit: shares in
    percent), with the decimals that place needs; a non-zero value that rounds to zero keeps
    its sign (`+0.000`), since it still tells on which side of zero it lies."""
    if not _finite(x):
        return "n/a"
    v = 100.0 * float(x) if kind == "share" else float(x)
    decimals = max(0, -exponent)
    if abs(v) < TINY:
        text, v = "0", 0.0
    else:
        text = f"{abs(round(v, -exponent)):,.{decimals}f}"
    sign = MINUS if v < 0 else ("+" if signed and v > 0 else "")
    unit = (" pp" if signed else "%") if kind == "share" else ""
    return sign + text + unit


def estimate(
    median: float | None,
    lo: float | None,
    hi: float | None,
    kind: str,
    *,
    signed: bool,
    n: int | None = None,
) -> tuple[str, str, str]:
    """A median and its interval's ends printed to one decimal place, as a reader compares them.

    The place is that of the `n`-th significant figure (default `MIN_SIG[kind]`) of the largest
    of the three, moved right until different values print apart (at most `ESTIMATE_MAX_SIG`):
    `+0.021 pp (+0.000 pp to +0.028 pp)`, not `+0.0000016 pp` for the lower end. Kinds printed
    in words (people, money) keep `distinct`'s significant figures.
    """
    values = _snap([median, lo, hi])
    if kind in _COMPACT:
        return tuple(distinct(values, kind, signed=signed, n=n))  # type: ignore[return-value]
    finite = [abs(float(v)) for v in values if _finite(v)]
    top = max(finite, default=0.0) * (100.0 if kind == "share" else 1.0)
    start = max(MIN_SIG.get(kind, 2), n or 0)
    if top < TINY:
        return tuple(quote(v, kind, start, signed=signed) for v in values)  # type: ignore[return-value]
    leading = math.floor(math.log10(top))
    for figures in range(start, ESTIMATE_MAX_SIG + 1):
        texts = [_at_resolution(v, kind, leading + 1 - figures, signed=signed) for v in values]
        seen: dict[str, float] = {}
        if all(
            not _finite(v) or _same(seen.setdefault(t, float(v)), float(v))
            for t, v in zip(texts, values, strict=True)
        ):
            break
    return texts[0], texts[1], texts[2]


def cells(
    groups: list[tuple[float | None, float | None, float | None]], kind: str, *, signed: bool
) -> list[tuple[str, str, str]]:
    """(median, low, high) triples of one table row, as text.

    The medians of the row print apart from one another, and each median apart from its own
    interval's ends (`estimate`: one decimal place for the three); one cell's precision does
    not spread to the others.
    """
    row = figures_needed([g[0] for g in groups], kind, signed=signed)
    return [estimate(med, lo, hi, kind, signed=signed, n=row) for med, lo, hi in groups]


def whole_percent(share: float | None) -> str:
    """A share as a whole percentage (`107%`; `—` when undefined): shares of a quota, read as
    how far it was met."""
    return f"{100.0 * float(share):.0f}%" if _finite(share) else "—"


def width(lo: float | None, hi: float | None, kind: str) -> str:
    """The width of an interval (`hi - lo`) in the kind's unit, two significant figures; a width
    that is floating-point residue of its ends (`_snap`) is 0."""
    if not (_finite(lo) and _finite(hi)):
        return "n/a"
    size = _snap([float(hi) - float(lo), lo, hi])[0]
    return quote(size, kind, 2, signed=False).replace("%", " pp")
