"""The briefing page's furniture: escaping, style sheet, content security policy, small cells."""

from __future__ import annotations

import html
from typing import Any

from sim.compare import figures, fmt


def esc(text: Any) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape(str(text), quote=True)


CSS = """
:root { --ink:#1b1b1b; --muted:#5b5b5b; --rule:#d4d4d4; --accent:#0072B2;
        --better:#d9ebf7; --worse:#fbe2cc; --note:#fff8e1; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: var(--ink); max-width: 1120px; margin: 0 auto; padding: 24px 28px;
       line-height: 1.45; background: #fff; }
h1 { font-size: 1.65rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid var(--accent); padding-bottom: 3px;
     margin-top: 2.4rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
p.lead { font-size: 1.05rem; color: var(--muted); margin-top: 0; }
.meta { color: var(--muted); font-size: .85rem; }
nav { background: #f4f7fa; border: 1px solid var(--rule); padding: 8px 14px; margin: 1rem 0;
      font-size: .9rem; }
nav ol { margin: .2rem 0; padding-left: 1.3rem; columns: 2; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .86rem;
        font-variant-numeric: tabular-nums; margin: .6rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 7px; text-align: right;
         vertical-align: top; }
th { background: #f1f1f1; font-weight: 600; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
th[scope=row] { min-width: 13em; font-weight: 600; }
th .ci, td .ci { display: block; color: var(--muted); font-size: .8em; white-space: nowrap; }
td.better { background: var(--better); }
td.worse { background: var(--worse); }
.mark { font-size: .8em; color: var(--muted); }
figure { margin: 1rem 0 1.4rem; break-inside: avoid; page-break-inside: avoid; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: .85rem; color: var(--muted); margin-top: .3rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr));
        gap: .6rem 1.4rem; }
.card { border-left: 4px solid var(--accent); padding: .2rem 0 .2rem 1rem; margin: 1rem 0; }
.card ul { margin: .3rem 0; }
.note { background: var(--note); border: 1px solid #f0d890; padding: .5rem .8rem;
        font-size: .9rem; }
.swatch { display: inline-block; width: .9em; height: .9em; border-radius: 2px;
          vertical-align: -.1em; margin-right: .35em; }
code { font-size: .9em; background: #f3f3f3; padding: 0 .2em; }
footer { margin-top: 3rem; font-size: .8rem; color: var(--muted); }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  nav, .screen-only { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; margin-top: 1.4rem; }
  h3 { break-after: avoid; page-break-after: avoid; }
  .grid { grid-template-columns: 1fr 1fr; gap: .3rem .8rem; }
  figcaption { font-size: 8pt; }
  figure, tr, .card { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  .table-wrap { overflow: visible; }
  a { color: inherit; text-decoration: none; }
  td.better, td.worse, th, .note { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'"
)
"""Nothing but inline styles and data: images: no script runs, nothing is fetched."""


def ci(lo: float, hi: float, kind: str, *, signed: bool = True) -> str:
    """The 90% interval under a number."""
    return f'<span class="ci">{esc(fmt.interval(lo, hi, kind, signed=signed))}</span>'


def swatch(i: int) -> str:
    return f'<span class="swatch" style="background:{figures.colour(i)}"></span>'


def scenario_label(name: str, i: int) -> str:
    return f"{swatch(i)}{esc(name)}"
