"""At a glance: every option in one row, ranked by the health workers it adds in the
safeguards-list countries, with what it spends and what each added worker costs (the briefing's
first table, `glance.csv`).

A reader of the briefing asked for the options side by side, ranked, with the money beside the
effect; the headline table has the options as columns and no cost per worker.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.compare import fmt, reading
from sim.compare.context import Context, change_cells, csv_link
from sim.compare.layout import esc, number_cell, simple_table, td, th
from sim.compare.runs import Run
from sim.compare.tables import METRICS, Metric, paired, quantiles
from sim.inputs.selectors import CountryGroups
from sim.outputs.outcomes import select_rows

SPENDING = ("compensation_paid", "incentive_spending", "training_investment")
"""The public money an option moves (indicators, int$ PPP a year): compensation destinations
pay, incentives (retention pay, rural allowances) and extra training funded (expansion,
agreement places, response to vacancies). Recruitment fees and bond buy-outs are paid by
workers, and the training cost embodied in emigrants is a valuation, not a payment."""

FOR_SAFEGUARDS = ("compensation_received", "incentive_spending", "training_investment")
"""The same money counted where it goes to the safeguards-list countries: compensation where it
is received, incentives and training where they are paid (training places an agreement funds in
a source country are counted with the destination that pays for them)."""

ITEMS = ("workers", "spending", "spending_safeguards", "per_worker")
"""Rows of the glance table by option: health workers present in the safeguards-list countries
at the horizon (workers); public spending over the simulated years, all countries and in or for
the safeguards-list countries (int$ PPP); and that second sum per added worker (int$ PPP a
worker)."""


def _total(run: Run, indicators: Sequence[str], countries: list[str] | None, years) -> pd.Series:
    """Sum over `indicators`, `countries` (None: all) and `years` by replicate; NaN where the
    run does not report one of the indicators, where there are no countries to count, and in a
    replicate where one of the values summed is NaN (never a silent 0 or a partial sum)."""
    total = pd.Series(0.0, index=pd.Index(run.replicates, name="replicate"))
    for indicator in indicators:
        if not run.has_indicator(indicator) or (countries is not None and not countries):
            return total * np.nan
        rows = select_rows(run.table, indicator, countries, additive=True)
        rows = rows[rows["year"].isin(years)]
        undefined = rows["value"].isna().groupby(rows["replicate"]).any()
        part = rows.groupby("replicate")["value"].sum().mask(undefined)
        total += part.reindex(total.index, fill_value=0.0)
    return total


def glance_values(run: Run, groups: CountryGroups, first: int, year: int) -> pd.DataFrame:
    """One run's values by replicate: columns replicate, item, value (`ITEMS` but
    `per_worker`).

    Args:
        run: a finished run.
        groups: its safeguards-list countries.
        first: the initial-state year (money is summed over `first + 1` to `year`).
        year: the horizon (workers are counted at its end).
    """
    listed = list(groups.safeguards)
    years = range(first + 1, year + 1)
    items = {
        "workers": _total(run, ("stock",), listed, [year]),
        "spending": _total(run, SPENDING, None, years),
        "spending_safeguards": _total(run, FOR_SAFEGUARDS, listed, years),
    }
    frames = [
        pd.DataFrame({"replicate": s.index.astype("int64"), "item": item, "value": s.to_numpy()})
        for item, s in items.items()
    ]
    return pd.concat(frames, ignore_index=True)


def glance_table(base: pd.DataFrame, options: Sequence[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """Each option's paired changes against the baseline (`glance_values` of each run).

    Columns option, item, median, p5, p95, n, baseline (the baseline's median level; NaN for
    `per_worker`). `per_worker` is, replicate by replicate, the change in spending in or for the
    safeguards-list countries over the change in their health workers; NaN when any replicate
    adds no worker (a cost per worker of a loss or of nothing is not a price).
    """
    level = base.groupby("item")["value"].median()
    rows = []
    for name, values in options:
        diff = paired(base, values, ["replicate", "item"])
        q = quantiles(diff, ["item"], "diff").assign(option=name)
        wide = diff.pivot(index="replicate", columns="item", values="diff")
        added = wide.get("workers")
        spent = wide.get("spending_safeguards")
        if added is not None and spent is not None and len(added) and (added > 0).all():
            ratio = pd.DataFrame({"item": "per_worker", "value": spent / added})
            q = pd.concat([q, quantiles(ratio, ["item"], "value").assign(option=name)])
        rows.append(q)
    if not rows:
        return pd.DataFrame(columns=["option", "item", "median", "p5", "p95", "n", "baseline"])
    table = pd.concat(rows, ignore_index=True)
    table["baseline"] = table["item"].map(level)
    return table[["option", "item", "median", "p5", "p95", "n", "baseline"]]


def ranked(table: pd.DataFrame, names: Sequence[str]) -> list[str]:
    """The options by the median health workers they add in the safeguards-list countries,
    most first (ties and options without the value keep their order)."""
    added = table[table["item"] == "workers"].set_index("option")["median"]
    score = [float(added.get(n, np.nan)) for n in names]
    score = [-v if np.isfinite(v) else np.inf for v in score]
    order = sorted(range(len(names)), key=lambda i: (score[i], i))
    return [names[i] for i in order]


def cell(table: pd.DataFrame, option: str, item: str) -> pd.Series | None:
    """(median, p5, p95) of one option's item as `change_*` keys, or None."""
    row = table[(table["option"] == option) & (table["item"] == item)]
    if row.empty:
        return None
    r = row.iloc[0]
    return pd.Series({"change_median": r["median"], "change_p5": r["p5"], "change_p95": r["p95"]})


def gain_reading(ctx: Context, option: str) -> reading.Reading:
    """How the option's change in the safeguards-list countries' health workers reads: as their
    density does in the headline table (the same effect, marked alike in both tables; a
    threshold in workers a year would mark changes of a few hundred among four million)."""
    key = (option, "safeguards_density")
    rows = ctx.headline.set_index(["option", "metric"])
    if key not in rows.index:
        return reading.Reading(words="not available")
    row = rows.loc[key]
    return reading.read_change(
        row["change_p5"], row["change_median"], row["change_p95"], "density", 1, ctx.evidence
    )


# --------------------------------------------------------------------------------------------------
# the table


def glance_html(ctx: Context) -> str:
    """The options ranked, one row each, with the baseline's levels first; '' without options
    or without the table."""
    table = ctx.glance
    if not ctx.options or table is None or table.empty:
        return ""
    names = ranked(table, ctx.option_names)
    y, first = ctx.year, ctx.first + 1
    least = reading.threshold("money") * (y - ctx.first)  # the money threshold for the period
    headline = ctx.headline.set_index(["option", "metric"])
    columns = {key: [] for key in ("workers", "emigration", "vacancy", "spend", "sg", "per")}
    gains = {n: gain_reading(ctx, n) for n in names}

    def workers_cells(present: list[str], rows: list[pd.Series]) -> list[str]:
        triples = [(r["change_median"], r["change_p5"], r["change_p95"]) for r in rows]
        texts = fmt.cells(triples, "workers", signed=True)
        return [
            number_cell(*t, "workers", signed=True, texts=x, css=gains[n].css, mark=gains[n].mark)
            for n, t, x in zip(present, triples, texts, strict=True)
        ]

    def money_cells(present: list[str], rows: list[pd.Series]) -> list[str]:
        return change_cells(ctx, _MONEY, rows)

    for key, item in (("workers", "workers"), ("spend", "spending"), ("sg", "spending_safeguards")):
        make = workers_cells if key == "workers" else money_cells
        columns[key] = _or_na(names, [cell(table, n, item) for n in names], make)
    for key, name in (
        ("emigration", "safeguards_emigration"),
        ("vacancy", "destination_vacancy_rate"),
    ):
        rows = [headline.loc[(n, name)] if (n, name) in headline.index else None for n in names]
        columns[key] = _or_na(names, rows, lambda _, r, m=METRICS[name]: change_cells(ctx, m, r))
    for n in names:
        gain = gains[n]
        price = cell(table, n, "per_worker")
        spent = cell(table, n, "spending_safeguards")
        if gain.css != "better":
            columns["per"].append(td("—"))
            continue
        if spent is not None and abs(spent["change_median"]) < least:
            columns["per"].append(td("no spending"))
            continue
        if price is None:  # spending not recorded, or a replicate adds no (or no known) worker
            columns["per"].append(td("n/a"))
            continue
        lo, med, hi = price["change_p5"], price["change_median"], price["change_p95"]
        columns["per"].append(number_cell(med, lo, hi, "money", signed=False))
    rows = [_baseline_row(ctx, table, headline)]
    for rank, n in enumerate(names, start=1):
        rows.append(
            [td(str(rank)), th(ctx.label(n), cls="text", scope="row")]
            + [columns[key][rank - 1] for key in columns]
        )
    n_sg = len(ctx.groups.safeguards)
    heads = [
        th("Rank"),
        th("Option", cls="text"),
        th(f"Health workers in the {n_sg} safeguards-list countries<br>"
           f'<span class="meta">change at the end of {y}</span>'),
        th(f'Emigration from them<br><span class="meta">workers a year, {y}</span>'),
        th(f'Vacancy rate in destinations<br><span class="meta">{y}</span>'),
        th(f'Public spending<br><span class="meta">{first}–{y}, all countries</span>'),
        th(f'of which in or for the safeguards-list countries<br><span class="meta">{first}–{y}'
           "</span>"),
        th('Per health worker added there<br><span class="meta">int$ PPP a worker</span>'),
    ]  # fmt: skip
    caption = (
        f"At a glance: the options ranked by the health workers they add in the safeguards-list "
        f"countries by the end of {y}, with what they spend against the baseline"
    )
    note = (
        "Each cell: the median of the paired differences from the baseline (each replicate "
        "against the baseline's replicate with the same seed), its 90% interval and the "
        "interval's width; the first row gives the baseline's levels. Public spending: "
        "compensation paid by destinations, incentives (retention pay, rural allowances) and "
        "extra training funded (expansion, agreement places, response to vacancies), in int$ "
        f"PPP summed over {first}–{y}; fees and buy-outs paid by workers are not in it. In or "
        "for the safeguards-list countries: the compensation they receive and the incentives "
        "and training they pay for. Per health worker added there: that spending over the "
        f"workers present at the end of {y} beyond the baseline's, replicate by replicate; a "
        f"snapshot, since training paid for in the last years graduates after {y} and pay rises "
        "go on costing. — : no price per worker, because the option does not raise their density "
        "by the relevance threshold with an interval above zero (▲, as in Table 1); no spending: "
        "the option "
        "adds them while its spending there changes by less than the money threshold for the "
        "period; n/a: it does, but its spending is not recorded or not every replicate adds "
        "workers there."
    )
    return simple_table("glance-table", caption, heads, rows, note=note + csv_link(ctx, "glance"))


def _or_na(names: list[str], rows: list, make) -> list[str]:
    """`make(names, rows)` for the options that have their row, formatted together; n/a for
    the others (an option from an older run must not blank the other options' cells)."""
    present = [(n, r) for n, r in zip(names, rows, strict=True) if r is not None]
    cells = iter(make([n for n, _ in present], [r for _, r in present]) if present else [])
    return [td("n/a") if r is None else next(cells) for r in rows]


def _baseline_row(ctx: Context, table: pd.DataFrame, headline: pd.DataFrame) -> list[str]:
    """The baseline's levels: its workers, emigration and vacancy rate at the horizon."""
    levels = table.drop_duplicates("item").set_index("item")["baseline"]
    first_option = ctx.options[0].name

    def level(value: float, kind: str) -> str:
        if not (isinstance(value, float | int) and np.isfinite(value)):
            return td("n/a")
        return td(f'<span class="v">{esc(fmt.quote(value, kind, 3))}</span>')

    def headline_level(name: str, kind: str) -> str:
        if (first_option, name) not in headline.index:
            return td("n/a")
        return level(float(headline.loc[(first_option, name), "baseline_median"]), kind)

    return [
        td(""),
        th(f'{ctx.label(ctx.baseline.name)}<br><span class="meta">level</span>', cls="text",
           scope="row"),
        level(float(levels.get("workers", np.nan)), "workers"),
        headline_level("safeguards_emigration", "workers"),
        headline_level("destination_vacancy_rate", "share"),
        td(""), td(""), td(""),
    ]  # fmt: skip


_MONEY = Metric("spending", "Public spending", "money", "int$ PPP")
