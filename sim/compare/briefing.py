"""The briefing: one self-contained HTML page a policymaker reads, with its figures and tables.

`write_briefing(baseline, options, out_dir)` computes the tables (`sim.compare.tables`,
`sim.compare.focus`), draws the charts and maps (`sim.compare.figures`,
`sim.compare.focus_figures`, `sim.compare.maps`, by `sim.compare.drawing`: in parallel and reusing
identical earlier ones), says what each option changes (`sim.compare.changes`) and writes:

- `index.html` (CSS inline, charts embedded as SVG data URIs, nothing fetched from the network),
- a page per focus country `countries/ISO3.html`, and the model description `ODD.html`,
- every table as CSV (`headline.csv`, ...) and all of them in `briefing.xlsx`,
- `figures/*.png|svg`, named for what they show.

The files are written as a set: into a hidden staging folder inside `out_dir`, swapped in only
when every one is written (`sim.outputs.filesets`). An error or a Ctrl-C half way leaves the
previous briefing whole, never a new `index.html` beside the previous figures and tables; entries
of the previous briefing that the new one lacks (a table, a chart, a country page) go with it;
the user's files stay, in `figures/` and `countries/` too (`sim.compare.folder`).

Every piece of user text is HTML-escaped (`sim.compare.layout.esc`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.compare import (
    changes,
    context,
    drawing,
    export,
    figures,
    focus,
    focus_figures,
    glance,
    maps,
    pages,
    reading,
    sections,
    summary,
    tables,
)
from sim.compare.folder import INDEX, SHARED, briefing_entry, briefing_owner
from sim.compare.runs import Run, pairing_notes
from sim.compare.tables import HEADLINE, WLD
from sim.inputs.selectors import country_groups, scenario_world, selector_codes
from sim.inputs.yamlio import read_regular_file
from sim.outputs.filesets import staged_files
from sim.outputs.results import atomic_write

log = logging.getLogger(__name__)

FOCUS_CHART_MAX = 8
"""Focus countries drawn in the briefing's small-multiples chart (all have their own page)."""


@dataclass
class Briefing:
    """What `write_briefing` wrote."""

    index_html: Path
    headline_csv: Path
    figures: list[Path] = field(default_factory=list)
    headline: pd.DataFrame | None = None
    horizon: int | None = None
    tables: dict[str, Path] = field(default_factory=dict)
    workbook: Path | None = None
    pages: dict[str, Path] = field(default_factory=dict)
    focus: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# the computation


def write_briefing(
    baseline: Run,
    options: Sequence[Run],
    out_dir: str | Path,
    *,
    world: Any = None,
    notes: Sequence[str] = (),
    title: str | None = None,
    focus_codes: Sequence[str] = (),
    countries: Sequence[str] | None = None,
    jobs: int | None = None,
    progress: bool = False,
    adopt: Mapping[str, Path] | None = None,
) -> Briefing:
    """Write the briefing of `options` against `baseline` into `out_dir`.

    `world` defaults to the baseline scenario's world; `notes` are extra lines for the methods
    section (e.g. which runs were reused); `title` replaces the default title; `focus_codes` adds
    focus countries (ISO3) to those the scenarios name; `countries` chooses the countries that get
    a page (default: every focus country); `jobs` is the number of drawing processes (default:
    the CPUs available, at most 4); `progress` shows a progress bar while charts are drawn;
    `adopt` maps paths in `out_dir` (`runs/baseline`) to folders made beforehand inside it (the
    new runs the briefing describes, `sim.compare.folder.PENDING`), moved there with the
    briefing's files.

    The files appear together, when all are written; an error or a Ctrl-C before leaves the
    previous briefing in `out_dir` as it was (module docstring), and the folders of `adopt`
    where they were.
    """
    out_dir = Path(out_dir)
    owned = briefing_owner(out_dir)  # the previous briefing's files, not the user's
    with staged_files(
        out_dir, "briefing", owned=owned, last=(INDEX,), merged=SHARED, adopt=adopt
    ) as stage:
        staged = _write(
            stage,
            out_dir,
            baseline,
            options,
            world=world,
            notes=notes,
            title=title,
            focus_codes=focus_codes,
            countries=countries,
            jobs=jobs,
            progress=progress,
        )
    log.info("briefing written to %s", out_dir / INDEX)
    return _moved(staged, stage, out_dir)


def _moved(staged: Briefing, stage: Path, out_dir: Path) -> Briefing:
    """The briefing's paths in `out_dir`, where its files were swapped in from `stage`."""

    def at(path: Path) -> Path:
        return out_dir / path.relative_to(stage)

    return replace(
        staged,
        index_html=at(staged.index_html),
        headline_csv=at(staged.headline_csv),
        figures=[at(p) for p in staged.figures],
        tables={k: at(v) for k, v in staged.tables.items()},
        workbook=None if staged.workbook is None else at(staged.workbook),
        pages={k: at(v) for k, v in staged.pages.items()},
    )


def _write(
    out_dir: Path,
    previous: Path,
    baseline: Run,
    options: Sequence[Run],
    *,
    world: Any,
    notes: Sequence[str],
    title: str | None,
    focus_codes: Sequence[str],
    countries: Sequence[str] | None,
    jobs: int | None,
    progress: bool,
) -> Briefing:
    """`write_briefing` into the staging folder `out_dir`; the charts of the briefing in
    `previous` (the output folder) are reused where unchanged."""
    clock = _Clock()
    drawing.warm_up(jobs)  # the drawing server imports matplotlib while the tables are computed
    runs = [baseline, *options]
    names = [run.name for run in runs]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must differ to be compared: {names}")
    world = world if world is not None else scenario_world(baseline.scenario)
    present = sorted(set(baseline.indicators["country"].unique()) - {WLD})
    groups = country_groups(baseline.scenario, world, present)
    year = tables.horizon_year(runs)
    first = tables.start_year(baseline)
    evidence = reading.evidence_of([r.manifest for r in runs], len(baseline.replicates))

    clock.lap("start")
    # ---- the numbers
    values = {run.name: tables.metric_values(run, groups) for run in runs}
    headline = tables.headline_table(
        values[baseline.name], [(o.name, values[o.name]) for o in options], year, baseline.name
    )
    series = [(run.name, tables.time_series(values[run.name])) for run in runs]
    flows = {run.name: tables.corridor_flows(run, year) for run in runs}
    corridors = tables.corridor_table(
        flows[baseline.name], [(o.name, flows[o.name]) for o in options]
    )
    per_country = tables.country_table(baseline, options, groups, year)
    money = {run.name: tables.money_values(run, groups, year) for run in runs}
    money_tab = tables.money_table(money[baseline.name], [(o.name, money[o.name]) for o in options])
    at_glance = {run.name: glance.glance_values(run, groups, first, year) for run in runs}
    glance_tab = glance.annotated(
        glance.glance_table(
            at_glance[baseline.name], [(o.name, at_glance[o.name]) for o in options]
        ),
        headline,
        evidence,
        year - first,
    )
    flagged = focus.scale_flags(baseline, present, evidence.workers_per_agent)

    def resolver(data: dict):
        here = set(present)

        def resolve(selector: Any) -> list[str] | None:
            try:
                return [c for c in selector_codes(selector, data, world) if c in here]
            except Exception:
                return None

        return resolve

    described = {
        o.name: changes.describe_changes(
            baseline.scenario, o.scenario, resolver(o.scenario), groups.names
        )
        for o in options
    }
    warnings = {run.name: summary.timing_warnings(run.scenario, first + 1, year) for run in runs}
    base_desc = str(baseline.scenario.get("description") or "").strip()
    descriptions: dict[str, str | None] = {baseline.name: base_desc or None}
    for o in options:
        own = str(o.scenario.get("description") or "").strip()
        # An option that does not describe itself inherits the baseline's text through
        # `extends:`; that text describes the baseline, not the option.
        descriptions[o.name] = own if own and own != base_desc else None

    clock.lap("tables")
    # ---- charts are drawn in worker processes while the rest is computed
    from tqdm import tqdm

    bar = tqdm(total=0, desc="figures", unit="chart", disable=not progress, leave=False)
    renderer = drawing.Renderer(
        out_dir / "figures", jobs=jobs, progress=bar.update, reuse_from=previous / "figures"
    )
    # an error or a Ctrl-C stops the drawing (the charts being drawn are finished whole)
    with renderer:

        def draw(spec: drawing.Spec) -> None:
            bar.total += 1
            bar.refresh()
            renderer.submit(spec)

        option_names = [o.name for o in options]
        n_rep = len(baseline.replicates)
        map_values = _map_values(runs, present, year, flagged)
        steps = tables.worker_steps(baseline, year, evidence.workers_per_agent, world)
        if options and map_values:
            for spec in _map_specs(map_values, option_names, year, list(flagged), steps):
                draw(spec)
        if options and len(per_country):
            sg_flagged = sorted(set(flagged) & set(groups.safeguards))
            least = reading.threshold("density") * 2
            resolution = {
                c: reading.STEPS_RELEVANT * step
                for c, step in steps.get("density", {}).items()
                if c in set(groups.safeguards)
            }
            draw(
                drawing.Spec(
                    figures.country_changes,
                    (per_country, option_names, year, sg_flagged, least, resolution),
                )
            )
        draw(drawing.Spec(figures.corridors, (corridors, names, year)))
        draw(
            drawing.Spec(figures.money, ([(r.name, money[r.name]) for r in runs], first + 1, year))
        )
        draw(drawing.Spec(figures.tradeoff, (headline, option_names, year)))
        for m in tables.TIME_SERIES:
            draw(drawing.Spec(figures.time_series, (m, series, n_rep)))

        # ---- focus countries and agreements
        sim_years = [y for y in baseline.years if first < y <= year]
        focus_list = focus.focus_countries(runs, focus_codes, present)
        page_codes = (
            [c for c in (str(x).strip().upper() for x in countries) if c in set(present)]
            if countries is not None
            else list(focus_list)
        )
        shown = list(dict.fromkeys([*focus_list, *page_codes]))
        deliveries = []
        inherited = focus.agreements_of("", baseline.scenario)
        for run in runs:
            for a in focus.agreements_of(run.name, run.scenario):
                if run is not baseline and replace(a, scenario="") in inherited:
                    continue  # the baseline's own agreement, inherited: shown once, for it
                table, source = focus.delivery(a, run, baseline, sim_years)
                deliveries.append((a, table, source))
        if deliveries:
            items = [
                {
                    "title": f"{a.source} → {a.destination} ({a.cadre_label}), {a.scenario}",
                    "table": t,
                    "i": names.index(a.scenario),
                    "source": s,
                }
                for a, t, s in deliveries
            ]
            draw(drawing.Spec(focus_figures.agreement_delivery, (items,)))
        country_vals = {run.name: focus.country_values(run, shown) for run in runs}
        per_code = {code: focus.country_series(country_vals, code) for code in shown}
        if focus_list:
            drawn = {code: per_code[code] for code in focus_list[:FOCUS_CHART_MAX]}
            draw(drawing.Spec(focus_figures.focus_over_time, (drawn, dict(groups.names), names)))
        for code in page_codes:
            draw(
                drawing.Spec(
                    focus_figures.country_panel,
                    (code, groups.name(code), per_code[code], names, n_rep),
                )
            )
        focus_changes = (
            focus.country_changes(country_vals, baseline.name, shown, year) if shown else None
        )
        focus_start = focus.start_values(baseline, shown) if shown else None
        agreement_corridors = [a.corridor for a, _, _ in deliveries]
        corridor_tabs = {}
        for code in shown:
            named = [c for c in agreement_corridors if code in c]
            corridor_tabs[code] = focus.corridor_levels(
                runs, focus.partners(runs, code, year, named, top=3), year
            )
        focus_corr = None
        if focus_list or agreement_corridors:
            largest = [c for code in focus_list for c in focus.partners(runs, code, year, top=1)]
            wanted = list(dict.fromkeys([*agreement_corridors, *largest]))
            focus_corr = focus.corridor_levels(runs, wanted, year)
        focus_money = focus.country_money(runs, shown, year) if shown else {}
        small = maps.small_states(present)
        clock.lap("focus")

        # ---- files (while the charts are drawn)
        page_links = {code: f"{pages.COUNTRY_DIR}/{code}.html" for code in page_codes}
        export_tables = _export_tables(
            headline=headline,
            glance_tab=glance_tab,
            corridors=corridors,
            per_country=per_country,
            money_tab=money_tab,
            series=series,
            deliveries=deliveries,
            focus_changes=focus_changes,
            focus_corr=focus_corr,
            focus_money=focus_money,
            map_values=map_values,
            base_name=baseline.name,
        )
        csv_names, book = export.write_tables(out_dir, export_tables)
        odd_link = pages.write_odd(out_dir)
        fit_report, when = _copy_fit_report(evidence.calibration, baseline.run_dir, out_dir)
        csv_names_links = (
            {**csv_names, "__fit_report__": fit_report, "__fit_report_when__": when}
            if fit_report
            else csv_names
        )
        clock.lap("files")
        charts = renderer.finish()
    bar.close()
    clock.lap("charts")
    ctx = context.Context(
        baseline=baseline,
        options=list(options),
        groups=groups,
        year=year,
        first=first,
        evidence=evidence,
        headline=headline,
        corridors=corridors,
        per_country=per_country,
        money=money_tab,
        described=described,
        warnings=warnings,
        descriptions=descriptions,
        charts={c.key: c for c in charts},
        title=title or summary.default_title(baseline.name, option_names),
        odd_link=odd_link,
        notes=list(notes) + pairing_notes(baseline, options, year),
        flagged=flagged,
        focus=focus_list,
        pages=page_links,
        agreements=deliveries,
        focus_changes=focus_changes,
        focus_start=focus_start,
        focus_corridors=focus_corr,
        focus_money=focus_money,
        map_values=map_values,
        small_states=small,
        tables=csv_names_links,
        workbook=book,
        baseline_series=series[0][1],
        steps=steps,
        glance=glance_tab,
        elsewhere={
            o.name: tables.emigration_elsewhere(
                baseline, o, groups, range(first + 1, year + 1), evidence.workers_per_agent or 0.0
            )
            for o in options
        },
    )
    index = out_dir / INDEX
    atomic_write(index, sections.render(ctx), shown=previous / INDEX)
    written_pages = {}
    if page_codes:
        country_dir = out_dir / pages.COUNTRY_DIR
        country_dir.mkdir(exist_ok=True)
        for code in page_codes:
            path = country_dir / f"{code}.html"
            html = pages.country_page(
                ctx, code, focus.country_series(country_vals, code), corridor_tabs.get(code)
            )
            atomic_write(path, html)
            written_pages[code] = path
    clock.lap("pages")
    paths = [p for c in charts for p in (c.png_path, c.svg_path) if p is not None]
    return Briefing(
        index,
        out_dir / csv_names["headline"],
        paths,
        headline,
        year,
        tables={k: out_dir / v for k, v in csv_names.items()},
        workbook=None if book is None else out_dir / book,
        pages=written_pages,
        focus=focus_list,
    )


class _Clock:
    """Debug log of how long each phase of the briefing took."""

    def __init__(self) -> None:
        import time

        self._now = time.perf_counter
        self._last = self._now()

    def lap(self, what: str) -> None:
        now = self._now()
        log.debug("briefing: %s done in %.2f s", what, now - self._last)
        self._last = now


def _copy_fit_report(calibration, run_dir: Path, out_dir: Path) -> tuple[str | None, str]:
    """Copy the fit report next to the briefing: the first of `calibration.reports` (the fit
    re-measured after the calibration, then the calibration's own) that is found and is the page
    the runs recorded (its sha256, where recorded; a page rewritten since would not match the
    figures quoted from the runs' manifests). Its relative link and `remeasured` text, or None."""
    import hashlib

    for report, sha, when in calibration.reports:
        path = Path(report)
        candidates = [path] if path.is_absolute() else [run_dir / path, Path.cwd() / path]
        for candidate in candidates:
            if not candidate.is_file():
                continue
            data = read_regular_file(candidate, what="fit report")
            if sha and hashlib.sha256(data).hexdigest() != sha:
                log.warning(
                    "the fit report %s has changed since the runs were made; not linked (run "
                    "the comparison again to link the current one)",
                    candidate,
                )
                break
            name = f"fit_report{candidate.suffix}"
            atomic_write(out_dir / name, data)
            return name, when
    return None, ""


def _map_values(
    runs: Sequence[Run], present: Sequence[str], year: int, flagged: dict
) -> dict[str, pd.DataFrame]:
    """Per country (index) and option (columns): median paired change at `year` of the density
    and of the emigration rate (emigrants per 1,000 health workers)."""
    base, options = runs[0], runs[1:]
    if not options:
        return {}
    keys = ["replicate", "country"]

    def at(run: Run, name: str, additive: bool) -> pd.DataFrame:
        rows = tables._rows(run, name, None, additive=additive)
        return rows[rows["year"] == year].drop(columns="year")

    def rate(run: Run) -> pd.DataFrame:
        e, s = at(run, "emigrants", True), at(run, "stock", True)
        both = e.merge(s, on=keys, suffixes=("_e", "_s"))
        both["value"] = 1000.0 * both["value_e"] / both["value_s"].where(both["value_s"] > 0)
        return both[[*keys, "value"]]

    out = {}
    for key, get in (
        ("density", lambda r: at(r, "density", False)),
        ("emigration", rate),
    ):
        b = get(base)
        if b.empty:
            continue
        cols = {}
        for o in options:
            d = b.merge(get(o), on=keys, suffixes=("_b", "_o"))
            d["diff"] = d["value_o"] - d["value_b"]
            cols[o.name] = d.groupby("country")["diff"].median()
        frame = pd.DataFrame(cols).reindex(list(present))
        frame.loc[frame.index.isin(list(flagged))] = np.nan
        out[key] = frame
    return out


def _map_specs(values: dict, options: list[str], year: int, flagged: list[str], steps: dict):
    specs = []
    if "density" in values:
        args = (values["density"], options, year, flagged, steps.get("density") or {})
        specs.append(drawing.Spec(maps.density_change_map, args, cost=3))
    if "emigration" in values:
        args = (values["emigration"], options, year, flagged, steps.get("emigration") or {})
        specs.append(drawing.Spec(maps.emigration_change_map, args, cost=3))
    return specs


def _export_tables(
    *,
    headline,
    glance_tab,
    corridors,
    per_country,
    money_tab,
    series,
    deliveries,
    focus_changes,
    focus_corr,
    focus_money,
    map_values,
    base_name,
) -> dict[str, pd.DataFrame]:
    """Every table of the briefing, tidy and unrounded, by CSV stem (keywords only: eleven
    tables of the same kinds are easy to pass in the wrong order)."""
    out = {"headline": headline}
    if len(glance_tab):
        out["glance"] = glance_tab
    if len(corridors):
        out["corridors"] = export.long_form(corridors, ["origin", "destination"], base_name)
    if len(per_country):
        # scenarios that start apart (another scale) have their own `<scenario>|start`: the
        # baseline's `start` is then one of them, not a key of every row
        apart = any(str(c).endswith("|start") for c in per_country.columns)
        ids = ["country", "name"] if apart else ["country", "name", "start"]
        out["safeguards_countries"] = export.long_form(per_country, ids, base_name)
    if len(money_tab):
        out["money"] = export.long_form(money_tab, ["item", "label"], base_name)
    out["over_time"] = pd.concat(
        [ts.assign(scenario=name) for name, ts in series], ignore_index=True
    )
    if deliveries:
        out["agreements_delivery"] = pd.concat(
            [
                t.assign(
                    scenario=a.scenario,
                    agreement=a.index,
                    source=a.source,
                    destination=a.destination,
                    cadre=a.cadre,
                    moved_from=s,
                )
                for a, t, s in deliveries
            ],
            ignore_index=True,
        )
    if focus_changes is not None and len(focus_changes):
        out["focus_countries"] = focus_changes
    if focus_corr is not None and len(focus_corr):
        out["focus_corridors"] = focus_corr
    money = [m.assign(country=c) for c, m in focus_money.items() if len(m)]
    if money:
        out["focus_money"] = pd.concat(money, ignore_index=True)
    for key, frame in map_values.items():
        out[f"map_{key}_change"] = frame.rename_axis("country").reset_index()
    return out


__all__ = ["HEADLINE", "Briefing", "briefing_entry", "write_briefing"]
