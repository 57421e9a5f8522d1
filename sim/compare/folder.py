"""The compare folder: which of its files are the briefing's, and where new runs wait.

A compare folder holds the briefing (`index.html`, the CSV tables, `briefing.xlsx`, `ODD.html`,
`fit_report.*`, `figures/`, `countries/`), the runs it describes (`runs/<name>/`) and whatever
the user puts there. A new briefing replaces the previous one's files and only those
(`briefing_owner`): top-level entries by name, figures as the previous briefing's record of its
charts names them (`figures/.charts.json`), country pages by name (`countries/ISO3.html`); any
other file, in the folder or in `figures/` and `countries/`, is the user's and stays.

The runs a comparison makes (new, or whose inputs changed) wait in `.runs.pending/<name>/`
(`PENDING`) until the briefing built from them is swapped in, when they replace their
predecessors in `runs/` (`sim.outputs.filesets`): an interrupted or failed comparison leaves
`runs/` as the briefing beside it describes it, and the next comparison reuses the waiting runs
whose inputs match (`sim.compare.cache`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from sim.compare import export, pages
from sim.compare.drawing import INDEX_NAME

INDEX = "index.html"
FIGURES = "figures"
TABLE_STEMS = frozenset(
    {
        "headline", "glance", "corridors", "safeguards_countries", "money", "over_time",
        "agreements_delivery", "focus_countries", "focus_corridors", "focus_money",
        "map_density_change", "map_emigration_change",
    }
)  # fmt: skip
"""The CSV tables a briefing may write (`sim.compare.briefing._export_tables`)."""
BRIEFING_ENTRIES = frozenset(
    {INDEX, pages.ODD_PAGE, pages.ODD_SOURCE, export.WORKBOOK, FIGURES, pages.COUNTRY_DIR}
)
"""The other entries of a briefing folder a briefing writes (besides `fit_report.*`)."""
SHARED = (FIGURES, pages.COUNTRY_DIR)
"""The briefing's folders that may hold the user's files too: replaced file by file."""
PENDING = ".runs.pending"
"""In a compare folder: the runs made for a briefing not yet swapped in (module docstring)."""

_COUNTRY_PAGE = re.compile(r"[A-Z]{3}\.html")


def briefing_entry(name: str) -> bool:
    """Whether `name`, an entry of a compare folder, is one a briefing writes (not `runs/`, not
    the user's own files): a new briefing replaces the previous one's whole."""
    stem, _, suffix = name.rpartition(".")
    return (
        name in BRIEFING_ENTRIES
        or stem == "fit_report"
        or (suffix == "csv" and stem in TABLE_STEMS)
    )


def briefing_owner(out_dir: str | Path) -> Callable[[str], bool]:
    """Which entries of the compare folder `out_dir` belong to its briefing, as it is now.

    Args:
        out_dir: the compare folder (read once, now: its briefing's record of its charts).

    Returns:
        `owned(path)`, for a path relative to `out_dir`: a top-level entry (`briefing_entry`),
        a chart file of the briefing's record or the record itself (`figures/...`), a country
        page (`countries/KEN.html`). Anything else is the user's.
    """
    charts = chart_files(Path(out_dir) / FIGURES)

    def owned(path: str) -> bool:
        folder, _, name = path.partition("/")
        if not name:
            return briefing_entry(folder)
        if folder == FIGURES:
            return name in charts
        return folder == pages.COUNTRY_DIR and bool(_COUNTRY_PAGE.fullmatch(name))

    return owned


def chart_files(folder: Path) -> frozenset[str]:
    """The files of the charts a briefing drew into `folder` (PNG and SVG of each chart its
    record `.charts.json` names) and the record; none when there is no readable record."""
    try:
        record = json.loads((folder / INDEX_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    entries = record.values() if isinstance(record, dict) else ()
    keys = {e.get("key") for e in entries if isinstance(e, dict)}
    names = {f"{k}.{ext}" for k in keys if isinstance(k, str) and k for ext in ("png", "svg")}
    return frozenset({INDEX_NAME, *names})
