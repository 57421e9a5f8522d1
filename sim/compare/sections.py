"""The briefing page: its sections in order, with the contents, header and footer.

Each section's HTML comes from its own module: `glance` (the options at a glance, before the
headline messages), `summary` (headline messages and table, what each option changes),
`focus_sections` (countries and agreements the options name), `overview_sections` (maps,
corridors, safeguards-list countries, money) and `methods`; what they show is the `Context`.
"""

from __future__ import annotations

import datetime as dt

from sim.compare.alt import figure
from sim.compare.context import Context
from sim.compare.focus_sections import focus_html
from sim.compare.glance import glance_html
from sim.compare.layout import esc
from sim.compare.methods import files_html, methods_html
from sim.compare.overview_sections import corridor_html, maps_html, money_html, safeguards_html
from sim.compare.summary import changes_html, headline_html, summary_html
from sim.compare.tables import TIME_SERIES

_OVER_TIME_NOTE = (
    "<p class=\"meta\">Each line is one scenario's median level across its replicates. The tables' "
    "changes are medians of paired differences (each replicate of an option against the "
    "baseline's replicate with the same seed), so they can differ from the gap between two "
    "lines: most for the people living below 44.5 per 10,000, where a whole country crosses the "
    "threshold in some replicates and not in others.</p>"
)
"""Read the lines as levels, not as the changes the tables give (a reader found the chart of
the people below 44.5 and its table 50 million apart)."""


def render(ctx: Context) -> str:
    """The briefing page."""
    ts = "".join(figure(ctx, f"over_time_{m.key}") for m in TIME_SERIES)
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    y = ctx.year
    sections = [
        ("summary", "Headline messages", glance_html(ctx) + summary_html(ctx)),
        ("headline", f"Headline results at the end of {y}", headline_html(ctx)),
        ("changes", "What each option changes", changes_html(ctx)),
        ("focus", "Countries and agreements the options name", focus_html(ctx)),
        ("maps", "Maps", maps_html(ctx)),
        (
            "tradeoff",
            "The trade-off: source countries and destinations",
            figure(ctx, "tradeoff_source_density_vs_destination_vacancies"),
        ),
        ("time", "Over time", _OVER_TIME_NOTE + f'<div class="grid">{ts}</div>'),
        (
            "corridors",
            "Migration corridors",
            figure(ctx, f"corridors_largest_{y}") + corridor_html(ctx),
        ),
        (
            "countries",
            "Safeguards-list countries",
            figure(ctx, f"safeguards_list_density_change_{y}") + safeguards_html(ctx),
        ),
        (
            "money",
            "Money flows",
            figure(ctx, f"money_totals_{ctx.first + 1}_{y}") + money_html(ctx),
        ),
        ("methods", "Methods and assumptions", methods_html(ctx)),
        ("files", "Tables and figures as files", files_html(ctx)),
    ]
    toc = "".join(f'<li><a href="#{key}">{esc(head)}</a></li>' for key, head, _ in sections)
    body = "".join(
        f'<section id="{key}"><h2>{esc(head)}</h2>{content}</section>'
        for key, head, content in sections
    )
    lead = (
        "What each option does, to whom, at what cost, and how sure we are: results of the "
        "hrhsim agent-based model of international health-worker migration under the WHO "
        "Global Code of Practice on the International Recruitment of Health Personnel."
    )
    n_opt = len(ctx.options)
    meta = (
        f"{n_opt} option{'s' if n_opt != 1 else ''} compared with {esc(ctx.baseline.name)} · "
        f"simulated years {ctx.first + 1}–{y} · {ctx.evidence.replicates} replicates · "
        f"{esc(ctx.evidence.calibration.short())} · generated {esc(created)}"
    )
    from sim.compare.layout import page

    return page(
        ctx.title,
        f'<header><h1>{esc(ctx.title)}</h1><p class="lead">{esc(lead)}</p>'
        f'<p class="meta">{meta}</p></header>'
        f'<nav aria-label="Contents"><strong>Contents</strong><ol>{toc}</ol></nav>'
        f"<main>{body}</main>"
        "<footer>Produced by <code>hrhsim compare</code>.</footer>",
    )
