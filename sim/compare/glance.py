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

BY_LISTED = ("incentive_spending", "training_investment")
"""The part the safeguards-list countries pay themselves: their incentives and the training they
fund (compensation they receive is income to them, not spending; training places an agreement
funds in a listed country are paid by its destination)."""

ITEMS = ("workers", "employed", "spending", "spending_listed", "per_worker")
"""Rows of the glance table by option: health workers present in the safeguards-list countries
at the horizon (workers) and those of them in funded posts (employed); public spending over the
simulated years by all payers and by the safeguards-list countries (int$ PPP); and all payers'
spending per added worker (int$ PPP a worker)."""


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
    present = _total(run, ("stock",), listed, [year])
    items = {
        "workers": present,
        "employed": present - _total(run, ("unemployed",), listed, [year]),
        "spending": _total(run, SPENDING, None, years),
        "spending_listed": _total(run, BY_LISTED, listed, years),
    }
    frames = [
        pd.DataFrame({"replicate": s.index.astype("int64"), "item": item, "value": s.to_numpy()})
        for item, s in items.items()
    ]
    return pd.concat(frames, ignore_index=True)


def glance_table(base: pd.DataFrame, options: Sequence[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """Each option's paired changes against the baseline (`glance_values` of each run).

    Columns option, item, median, p5, p95, n, baseline (the baseline's median level; NaN for
    `per_worker`). `per_worker` is, replicate by replicate, the change in all payers' public
    spending over the change in the safeguards-list countries' health workers (what the option
    spends, wherever, per worker it adds there); NaN when any replicate adds no worker (a cost
    per worker of a loss or of nothing is not a price).
    """
    level = base.groupby("item")["value"].median()
    rows = []
    for name, values in options:
        diff = paired(base, values, ["replicate", "item"])
        q = quantiles(diff, ["item"], "diff").assign(option=name)
        wide = diff.pivot(index="replicate", columns="item", values="diff")
        added = wide.get("workers")
        spent = wide.get("spending")
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


def gain_reading(
    headline: pd.DataFrame, evidence: reading.Evidence, option: str
) -> reading.Reading:
    """How the option's change in the safeguards-list countries' health workers reads: as their
    density does in the headline table (the same effect, marked alike in both tables; a
    threshold in workers a year would mark changes of a few hundred among four million)."""
    rows = headline[(headline["option"] == option) & (headline["metric"] == "safeguards_density")]
    if rows.empty:
        return reading.Reading(words="not available")
    row = rows.iloc[0]
    return reading.read_change(
        row["change_p5"], row["change_median"], row["change_p95"], "density", 1, evidence
    )


LABELS = {
    "workers": ("Health workers in the safeguards-list countries at the horizon", "workers"),
    "employed": ("of which in funded posts", "workers"),
    "spending": ("Public spending by all payers over the simulated years", "int$ PPP"),
    "spending_listed": ("Public spending by the safeguards-list countries", "int$ PPP"),
    "per_worker": ("All payers' spending per health worker added there", "int$ PPP a worker"),
}

STATUS = {
    "quoted": "",
    "no gain": "not quoted: the option does not raise the safeguards-list countries' density by "
    "the relevance threshold with an interval above zero",
    "no spending": "not quoted: the option's public spending changes by less than the money "
    "threshold for the period",
    "unknown": "not known: spending not recorded, or a replicate adds no worker (or none known)",
}
"""Why a price per worker is or is not quoted (`annotated`)."""


def annotated(
    table: pd.DataFrame, headline: pd.DataFrame, evidence: reading.Evidence, years: int
) -> pd.DataFrame:
    """The glance table as the briefing shows it and `glance.csv` holds it: with each option's
    rank, each item's label and unit, and a price per worker only where it is quoted (`status`
    and `note` say why not elsewhere, and its values are blanked: a reader lifting figures from
    the file must not find a price the page withholds). `years` simulated years set the money
    threshold."""
    if table.empty:
        return table.assign(rank=[], label=[], unit=[], status=[], note=[])
    names = list(dict.fromkeys(table["option"]))
    rank = {n: i for i, n in enumerate(ranked(table, names), start=1)}
    least = reading.threshold("money") * max(years, 1)
    priced = []
    for name in names:
        spent = cell(table, name, "spending")
        if gain_reading(headline, evidence, name).css != "better":
            status = "no gain"
        elif spent is not None and abs(spent["change_median"]) < least:
            status = "no spending"
        elif cell(table, name, "per_worker") is None:
            status = "unknown"
        else:
            status = "quoted"
        priced.append({"option": name, "item": "per_worker", "status": status})
    out = table.merge(pd.DataFrame(priced), on=["option", "item"], how="outer")
    out["status"] = out["status"].fillna("")
    withheld = (out["item"] == "per_worker") & (out["status"] != "quoted")
    out.loc[withheld, ["median", "p5", "p95"]] = np.nan
    out["note"] = out["status"].map(STATUS).fillna("")
    out["rank"] = out["option"].map(rank).astype("int64")
    out["label"] = out["item"].map(lambda i: LABELS.get(i, (i, ""))[0])
    out["unit"] = out["item"].map(lambda i: LABELS.get(i, (i, ""))[1])
    out["order"] = out["item"].map({item: k for k, item in enumerate(ITEMS)})
    out = out.sort_values(["rank", "order"], ignore_index=True).drop(columns="order")
    columns = ["rank", "option", "item", "label", "unit", "median", "p5", "p95", "n", "baseline"]
    return out[[*columns, "status", "note"]]


# --------------------------------------------------------------------------------------------------
# the table


def glance_html(ctx: Context) -> str:
    """The options ranked, one row each, with the baseline's levels first; '' without options
    or without the table (`ctx.glance`, `annotated`)."""
    table = ctx.glance
    if not ctx.options or table is None or table.empty:
        return ""
    names = list(dict.fromkeys(table.sort_values("rank", kind="stable")["option"]))
    names += [n for n in ctx.option_names if n not in names]
    y, first = ctx.year, ctx.first + 1
    headline = ctx.headline.set_index(["option", "metric"])
    keys = ("workers", "employed", "emigration", "vacancy", "spend", "listed", "per")
    columns: dict[str, list[str]] = {key: [] for key in keys}
    gains = {n: gain_reading(ctx.headline, ctx.evidence, n) for n in names}

    summed = {  # column: (glance item, metric); the workers are marked as their density is
        "workers": ("workers", _WORKERS),
        "employed": ("employed", _EMPLOYED),
        "spend": ("spending", _MONEY),
        "listed": ("spending_listed", _MONEY),
    }
    for key, (item, metric) in summed.items():

        def make(present: list[str], rows: list[pd.Series], metric=metric, key=key) -> list[str]:
            marks = [gains[n] for n in present] if key == "workers" else None
            return change_cells(ctx, metric, rows, readings=marks)

        columns[key] = _or_na(names, [cell(table, n, item) for n in names], make)
    for key, name in (
        ("emigration", "safeguards_emigration"),
        ("vacancy", "destination_vacancy_rate"),
    ):
        rows = [headline.loc[(n, name)] if (n, name) in headline.index else None for n in names]
        columns[key] = _or_na(names, rows, lambda _, r, m=METRICS[name]: change_cells(ctx, m, r))
    status = table[table["item"] == "per_worker"].set_index("option")["status"]
    for n in names:
        price = cell(table, n, "per_worker")
        said = _WITHHELD.get(str(status.get(n, "unknown")))
        if said is not None or price is None:
            columns["per"].append(td(said or "n/a"))
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
        th(f'of which in funded posts<br><span class="meta">change at the end of {y}</span>'),
        th(f'Emigration from them<br><span class="meta">workers a year, {y}</span>'),
        th(f'Vacancy rate in destinations<br><span class="meta">{y}</span>'),
        th(f'Public spending, all payers<br><span class="meta">{first}–{y}</span>'),
        th(f'of which paid by the safeguards-list countries<br><span class="meta">{first}–{y}'
           "</span>"),
        th('All payers\' spending per health worker added there<br><span class="meta">int$ PPP '
           "a worker</span>"),
    ]  # fmt: skip
    caption = (
        f"At a glance: the options ranked by the health workers they add in the safeguards-list "
        f"countries by the end of {y}, with what they spend against the baseline"
    )
    return simple_table(
        "glance-table", caption, heads, rows, note=_note(ctx, table) + csv_link(ctx, "glance")
    )


_WITHHELD = {"no gain": "—", "no spending": "no spending", "unknown": "n/a"}
"""The price cell of an option whose price is not quoted, by `annotated`'s status."""


def _note(ctx: Context, table: pd.DataFrame) -> str:
    """What the glance table's cells are, what its money leaves out, when a price is withheld
    (the thresholds in the table's own units), and what its intervals cover."""
    y, first = ctx.year, ctx.first + 1
    years = y - ctx.first
    money = fmt.quote(reading.threshold("money") * years, "money")
    density = reading.threshold("density")
    gain = f"{fmt.quote(density, 'density', 2)} per 10,000"
    levels = _levels(table)
    rows = ctx.headline[ctx.headline["metric"] == "safeguards_density"]
    if len(rows) and np.isfinite(levels.get("workers", np.nan)):
        per_10k = float(levels["workers"]) / float(rows["baseline_median"].iloc[0])
        if np.isfinite(per_10k) and per_10k > 0:
            gain += f", about {fmt.quote(density * per_10k, 'workers', 2)} workers"
    return (
        "Each cell: the median of the paired differences from the baseline (each replicate "
        "against the baseline's replicate with the same seed) and its 90% interval; the "
        "first row gives the baseline's levels (its spending is the training countries fund "
        "in response to their vacancies). Health workers: doctors and nurses present, employed "
        "or not, as in their density; of which in funded posts: the others are unemployed. "
        "Posts follow health budgets (docs/ODD.md §7.2): the workers an option adds there "
        "without raising their budgets find no post. Emigration carries no ▲/▼: fewer "
        "departures are not in themselves better or worse. Public spending, all payers: "
        "compensation paid by destinations, incentives (retention pay, rural allowances) and "
        "training funded beyond the base output (expansion, agreement places, response to "
        f"vacancies), in int$ PPP summed over {first}–{y}. Not in it: the recruitment fees "
        "employers take over from workers where recruitment is fee-free, "
        "and the cost of paying migrants as natives, which the model does not count. Paid by "
        "the safeguards-list countries: their incentives and the training they fund "
        "(compensation they receive is income to them). All payers' spending per health "
        f"worker added there: over the workers present (employed or not) at the end of {y} "
        "beyond the baseline's, replicate by replicate; a snapshot, since training paid for in "
        f"the last years graduates after {y} and pay rises go on costing. — : no price, because "
        f"the option does not raise the listed countries' density by {gain} with an interval "
        f"above zero (▲ in Table 1); no spending: it does, while its spending changes by less "
        f"than {money} over the period; n/a: it does, but its spending is not recorded or not "
        "every replicate adds workers there. The intervals and the ranking cover the model's "
        "own noise only, not uncertainty about its parameters, and each option's caveats (in "
        "its message below) apply to its row. int$ PPP are international dollars at "
        "purchasing-power parity, not US dollars at market exchange rates: in low- and "
        "middle-income countries the same spending is fewer US dollars."
    )


def _levels(table: pd.DataFrame) -> pd.Series:
    """The baseline's median level of each item (the same in every option's rows)."""
    return table.drop_duplicates("item").set_index("item")["baseline"]


def _or_na(names: list[str], rows: list, make) -> list[str]:
    """`make(names, rows)` for the options that have their row, formatted together; n/a for
    the others (an option from an older run must not blank the other options' cells)."""
    present = [(n, r) for n, r in zip(names, rows, strict=True) if r is not None]
    cells = iter(make([n for n, _ in present], [r for _, r in present]) if present else [])
    return [td("n/a") if r is None else next(cells) for r in rows]


def _baseline_row(ctx: Context, table: pd.DataFrame, headline: pd.DataFrame) -> list[str]:
    """The baseline's levels: its workers, emigration and vacancy rate at the horizon."""
    levels = _levels(table)
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
        level(float(levels.get("employed", np.nan)), "workers"),
        headline_level("safeguards_emigration", "workers"),
        headline_level("destination_vacancy_rate", "share"),
        level(float(levels.get("spending", np.nan)), "money"),
        level(float(levels.get("spending_listed", np.nan)), "money"),
        td(""),
    ]  # fmt: skip


_MONEY = Metric("spending", "Public spending", "money", "int$ PPP")
_EMPLOYED = Metric("employed", "Health workers in funded posts", "workers", "workers")
_WORKERS = Metric(
    "workers", "Health workers in the safeguards-list countries", "workers", "workers"
)
