"""HTML building blocks of the briefing pages: escaping, styles, and tables that fit a page.

Tables with a column per option are split into several tables of at most `OPTIONS_PER_TABLE`
options, each repeating the row headers, so that no table is wider than an A4 page or a narrow
screen however many options are compared; long names wrap at `_`, `-` and spaces.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sim.compare import fmt

OPTIONS_PER_TABLE = 3
"""Option columns per table: three fit an A4 portrait page at 9 pt with their intervals."""


def esc(text: Any) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape(str(text), quote=True)


def wrap(text: Any) -> str:
    """Escaped text with break opportunities after `_`, `-`, `/` and `.` (long option names)."""
    return re.sub(r"([_\-/.])", r"\1<wbr>", esc(text))


def swatch(colour: str) -> str:
    return f'<span class="swatch" style="background:{esc(colour)}"></span>'


@dataclass
class Column:
    """One option column: its header (HTML) and one cell (HTML, with `<td>`) per row."""

    head: str
    cells: list[str]


def split_table(
    table_id: str,
    caption: str,
    stub_heads: Sequence[str],
    stub_rows: Sequence[Sequence[str]],
    columns: Sequence[Column],
    *,
    per_table: int = OPTIONS_PER_TABLE,
    note: str = "",
    what: str = "options",
    spans: dict[int, str] | None = None,
) -> str:
    """Tables of `stub` columns plus at most `per_table` option columns each.

    `stub_heads` are header cells (HTML, with `<th>`), `stub_rows` the row-header cells of each row
    (HTML, with `<th>`/`<td>`). The first table has id `table_id`, the next `table_id-2`, ...; every
    one carries `data-table="table_id"`. A row in `spans` shows that text (HTML) across all its
    option columns instead of their cells (e.g. a country too small for the scale).
    """
    spans = spans or {}
    chunks = [columns[i : i + per_table] for i in range(0, len(columns), per_table)] or [[]]
    out = []
    for k, chunk in enumerate(chunks):
        first = k * per_table + 1
        last = first + len(chunk) - 1
        span = f"{what} {first}–{last}" if last > first else f"{what.removesuffix('s')} {first}"
        part = f" ({span} of {len(columns)})" if len(chunks) > 1 and chunk else ""
        tid = table_id if k == 0 else f"{table_id}-{k + 1}"
        head = "".join(stub_heads) + "".join(c.head for c in chunk)
        body = []
        for r, stub in enumerate(stub_rows):
            if r in spans and chunk:
                cells = f'<td colspan="{len(chunk)}" class="flag">{spans[r]}</td>'
            else:
                cells = "".join(c.cells[r] for c in chunk)
            body.append(f"<tr>{''.join(stub)}{cells}</tr>")
        out.append(
            f'<table id="{esc(tid)}" data-table="{esc(table_id)}">'
            f"<caption>{caption}{esc(part)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )
    return "".join(out) + (f'<p class="meta">{note}</p>' if note else "")


def simple_table(
    table_id: str, caption: str, heads: Sequence[str], rows: Sequence[Sequence[str]], note: str = ""
) -> str:
    """A table whose columns do not grow with the number of options."""
    head = "".join(heads)
    body = "".join(f"<tr>{''.join(r)}</tr>" for r in rows)
    return (
        f'<table id="{esc(table_id)}" data-table="{esc(table_id)}"><caption>{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        + (f'<p class="meta">{note}</p>' if note else "")
    )


def th(text: str, *, cls: str = "", scope: str = "col") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<th scope="{scope}"{c}>{text}</th>'


def td(text: str, *, cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f"<td{c}>{text}</td>"


def number_cell(
    median: float,
    lo: float | None,
    hi: float | None,
    kind: str,
    *,
    signed: bool,
    texts: tuple[str, str, str] | None = None,
    css: str = "",
    mark: str = "",
) -> str:
    """A cell: the median, then its 90% interval and the interval's width on a second line.

    `texts` are preformatted (median, lo, hi) strings (from `fmt.cells` over a whole row).
    """
    if texts is None:
        texts = fmt.estimate(median, lo, hi, kind, signed=signed)
    med_t, lo_t, hi_t = texts
    ci = ""
    if lo is not None and hi is not None and fmt._finite(lo) and fmt._finite(hi):
        ci = (
            f'<span class="ci">{esc(lo_t)} to {esc(hi_t)}'
            f'<span class="w"> · width {esc(fmt.width(lo, hi, kind))}</span></span>'
        )
    mark_html = f'<span class="mark">{esc(mark)}</span>' if mark else ""
    cls = f' class="{css}"' if css else ""
    return f'<td{cls}><span class="v">{esc(med_t)}</span>{mark_html}{ci}</td>'


CSS = """
:root { --ink:#1b1b1b; --muted:#555; --rule:#d4d4d4; --accent:#0072B2;
        --better:#d9ebf7; --worse:#fbe2cc; --note:#fff8e1; --flag:#eeeeee; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: var(--ink); max-width: 1080px; margin: 0 auto; padding: 20px 24px;
       line-height: 1.45; background: #fff; overflow-wrap: break-word; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; line-height: 1.25; }
h2 { font-size: 1.25rem; border-bottom: 2px solid var(--accent); padding-bottom: 3px;
     margin-top: 2.2rem; }
h3 { font-size: 1.05rem; margin: 1.3rem 0 .4rem; }
p.lead { font-size: 1.05rem; color: var(--muted); margin-top: 0; }
.meta { color: var(--muted); font-size: .85rem; }
nav { background: #f4f7fa; border: 1px solid var(--rule); padding: 8px 14px; margin: 1rem 0;
      font-size: .9rem; }
nav ol { margin: .2rem 0; padding-left: 1.3rem; columns: 2 16em; }
table { border-collapse: collapse; width: 100%; font-size: .85rem;
        font-variant-numeric: tabular-nums; margin: .6rem 0 1.1rem; }
caption { text-align: left; font-weight: 600; padding-bottom: .3rem; caption-side: top; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 6px; text-align: right;
         vertical-align: top; }
th { background: #f1f1f1; font-weight: 600; overflow-wrap: break-word; }
thead th { vertical-align: bottom; }
th .meta, td .meta { display: block; font-size: .85em; font-weight: normal; color: var(--muted); }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
th[scope=row] { font-weight: 600; background: #fafafa; }
tr.group th { background: #e9eff5; text-align: left; }
.v { font-weight: 600; }
.ci { display: block; color: var(--muted); font-size: .82em; }
.w { color: var(--muted); }
#glance-table .w { display: none; }  /* the first table: the interval alone, to fit page 1 */
.mark { display: block; font-size: .82em; font-weight: 600; }
td.better { background: var(--better); }
td.worse { background: var(--worse); }
td.flag { background: var(--flag); color: var(--muted); font-size: .82em; text-align: left; }
figure { margin: 1rem 0 1.4rem; break-inside: avoid; page-break-inside: avoid; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: .85rem; color: var(--muted); margin-top: .3rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr));
        gap: .6rem 1.4rem; }
.card { border-left: 4px solid var(--accent); padding: .1rem 0 .1rem 1rem; margin: 1rem 0; }
.card p { margin: .35rem 0; }
.card ul { margin: .3rem 0; }
.note { background: var(--note); border: 1px solid #f0d890; padding: .5rem .8rem;
        font-size: .9rem; margin: .8rem 0; }
.trust { border: 1px solid var(--rule); background: #f7f9fb; padding: .5rem .8rem;
         font-size: .88rem; margin: .8rem 0; }
.trust p { margin: .25rem 0; }
.warn { color: #8a3b00; font-weight: 600; }
.swatch { display: inline-block; width: .9em; height: .9em; border-radius: 2px;
          vertical-align: -.1em; margin-right: .35em; }
.small-states { columns: 3 14em; font-size: .85rem; margin: .3rem 0 1rem; padding-left: 1.1rem; }
.map-block { break-inside: avoid; page-break-inside: avoid; }
code { font-size: .9em; background: #f3f3f3; padding: 0 .2em; overflow-wrap: anywhere; }
footer { margin-top: 3rem; font-size: .8rem; color: var(--muted); }
@media (max-width: 700px) {
  body { padding: 12px; }
  .grid { grid-template-columns: 1fr; }
  table { font-size: .8rem; }
  th, td { padding: 3px 4px; }
}
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { max-width: none; padding: 0; font-size: 9pt; }
  nav, .screen-only { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; margin-top: 1.2rem; }
  h3 { break-after: avoid; page-break-after: avoid; }
  caption { break-after: avoid; }
  table { font-size: 7.8pt; }
  th, td { padding: 2px 4px; }
  #glance-table { font-size: 7pt; line-height: 1.3; }
  #glance-table th, #glance-table td { padding: 1px 3px; }
  #glance-table + .meta { font-size: 7pt; line-height: 1.3; }
  .grid { grid-template-columns: 1fr 1fr; gap: .3rem .8rem; }
  figcaption { font-size: 7.5pt; }
  figure, tr, .card, .trust { break-inside: avoid; page-break-inside: avoid; }
  figure img { max-height: 240mm; width: auto; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
  td.better, td.worse, td.flag, th, .note, .trust, .swatch {
    -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'"
)
"""Nothing but inline styles and data: images: no script runs, nothing is fetched."""


def page(title: str, body: str, *, generator: str = "hrhsim compare") -> str:
    """A complete, self-contained HTML page (inline CSS, strict content security policy)."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="{esc(generator)}">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"{body}</body></html>\n"
    )
