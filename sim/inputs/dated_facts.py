"""Dated facts of the bundled world: recruitment channels and expansions of staffed posts.

Turns the built tables ``recruitment_channels.csv`` and ``post_expansions.csv`` (docs/data.md §4)
into the optional (C, K), (C, C, K) and (C, E) arrays of `sim.inputs.world.World`. Shapes use C
countries (in the order of ``codes``), K cadres (`sim.declarations.CADRES`) and E entries of a
country (its `origin_cap` rows).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.declarations import CADRES
from sim.errors import WorldError

SAFEGUARDS_LIST_YEAR = 2023
"""The year of the WHO health workforce support and safeguards list in the world data
(``ssl_2023_countries.csv``, `World.safeguards`). Codes of practice that follow the list apply from
this year in the model; before it they followed the 2020 list, which the data do not hold."""


def post_expansion_arrays(table: Any, codes: list[str]) -> dict[str, np.ndarray]:
    """Documented expansions of staffed posts from ``post_expansions.csv`` (one per country and
    cadre at most): their annualised growth and the years of the counts it was measured between
    (0 growth and no years where there is none)."""
    pos = {c: i for i, c in enumerate(codes)}
    shape = (len(codes), len(CADRES))
    growth, start, end = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for row in table.to_dict("records"):
        if row["country"] not in pos:
            continue
        c, k = pos[row["country"]], CADRES.index(row["cadre"])
        growth[c, k] = float(row["annualised"])
        start[c, k], end[c, k] = float(row["from_year"]), float(row["to_year"])
    return {"post_expansion": growth, "post_expansion_from": start, "post_expansion_until": end}


def channel_arrays(
    table: Any, codes: list[str], file: str = "recruitment_channels.csv"
) -> dict[str, np.ndarray]:
    """Recruitment ceilings and licensing-only destinations from ``recruitment_channels.csv``.

    Per destination and cadre (a row for ``both`` counts for each cadre): the ceiling is the
    largest annual ceiling of a capped entry channel (``capped_visa``, ``residency_match``; the
    smaller US Conrad 30 waiver is a route to stay, not to enter), or else the sum of the
    ceilings of government-to-government channels (Japan's EPA nurses); it is shared when its
    scope covers all occupations. Each `origin_cap` row of an origin is one entry of its cap on
    deployments of new hires (all cadres): a ceiling a year and the years it is in force, so a cap
    raised from year to year is one row a year (`deployment_cap_entries`); a
    `labour_market_test_waived` row waives the Community
    preference of a member of the free movement area (ODD §7.5). A `government_to_government` row
    makes each of its partners (origins) a recruitment partner of the destination for the cadre
    from its first year (the earliest where two rows name the same pair; year 0, always, where
    none is given; ODD §4.2.2, `behaviour.recruitment_channel_effect`). An
    `ethical_recruitment_code` row makes the destination apply its code of practice to the cadre
    (no active recruitment from the safeguards list, ODD §7.5) from its first year, but not before
    `SAFEGUARDS_LIST_YEAR`: the list in the data is the one of that year. An
    `expedited_recognition` row makes the destination register the cadre trained in each of its
    partners without its own examinations from its first year (Australia's Competent Authority
    pathway, New Zealand's, the Trans-Tasman Mutual Recognition Act; ODD §4.2.2,
    `behaviour.recognition_pathway_effect`), read as the channels' partners are. Other rows add
    nothing.
    """
    pos = {c: i for i, c in enumerate(codes)}
    shape = (len(codes), len(CADRES))
    cap_entries: dict[int, list[tuple[float, float, float]]] = {}
    capped = np.full(shape, -np.inf)
    g2g = np.zeros(shape)
    shared = np.zeros(shape)
    licensing = np.zeros(shape)
    waived = np.zeros(shape)
    partner_from = np.full((len(codes), len(codes), len(CADRES)), np.inf)  # [origin, dest, k]
    recognition_from = np.full_like(partner_from, np.inf)
    partnered = {
        "government_to_government": partner_from,
        "expedited_recognition": recognition_from,
    }
    code_from = np.full(shape, np.inf)
    for row in table.fillna("").to_dict("records"):
        if row["country"] not in pos:
            continue
        c = pos[row["country"]]
        if row["side"] == "origin" and row["channel"] == "origin_cap":
            cap_entries.setdefault(c, []).append(_cap_entry(row, file))
        if row["side"] != "destination":
            continue
        if row["channel"] in ("ethical_recruitment_code", *partnered):
            _no_end(row, file)  # the model reads when these start, not when they end
        for k, cadre in enumerate(CADRES):
            if row["cadre"] not in ("both", cadre):
                continue
            if row["channel"] == "licensing_exam":
                licensing[c, k] = 1.0
            if row["channel"] == "labour_market_test_waived":
                waived[c, k] = 1.0
            if row["channel"] == "ethical_recruitment_code":
                first = max(_first_year(row, file), SAFEGUARDS_LIST_YEAR)
                code_from[c, k] = min(code_from[c, k], first)
            if row["channel"] in partnered:
                first, first_years = _first_year(row, file), partnered[row["channel"]]
                for partner in row["partner"].split():
                    if partner not in pos:
                        raise _channel_error(
                            file,
                            row,
                            f"names the partner {partner!r}, not a country of the world",
                            "partner",
                            "ISO3 codes of countries",
                        )
                    o = pos[partner]
                    first_years[o, c, k] = min(first_years[o, c, k], first)
            if not row["annual_ceiling"]:
                continue
            ceiling = float(row["annual_ceiling"])
            if row["channel"] == "government_to_government":
                g2g[c, k] += ceiling
            elif row["channel"] in ("capped_visa", "residency_match") and ceiling > capped[c, k]:
                capped[c, k] = ceiling
                shared[c, k] = float("all occupations" in row["ceiling_scope"])
    ceiling = np.where(capped > -np.inf, capped, np.where(g2g > 0, g2g, np.inf))
    return {
        "recruitment_ceiling": ceiling,
        "recruitment_ceiling_shared": shared,
        "licensing_exam": licensing,
        "preference_waived": waived,
        "recruitment_partner_from": partner_from,
        "recognition_pathway_from": recognition_from,
        "ethical_code_from": code_from,
        **deployment_cap_entries(cap_entries, len(codes)),
    }


def deployment_cap_entries(
    entries: dict[int, list[tuple[float, float, float]]], n_countries: int
) -> dict[str, np.ndarray]:
    """The origins' caps on deployments as (C, E) tables, E the most entries of one origin (at
    least 1): `deployment_cap` (workers a year; +inf pads), `deployment_cap_from` and
    `deployment_cap_until` (calendar years, inclusive; +inf: no bound)."""
    width = max((len(rows) for rows in entries.values()), default=1)
    out = np.full((3, n_countries, width), np.inf)
    for c, rows in entries.items():
        for e, entry in enumerate(rows):
            out[:, c, e] = entry
    return {"deployment_cap": out[0], "deployment_cap_from": out[1], "deployment_cap_until": out[2]}


YEARS = (1900, 2200)
"""Calendar years a dated row may name."""
YEAR_EXPECTED = f"a calendar year ({YEARS[0]}-{YEARS[1]}) or nothing"


def _calendar_year(text: Any, missing: float) -> float:
    """A dated row's year: `missing` where the cell is empty; ValueError unless a whole year
    within `YEARS`."""
    text = str(text).strip()
    if not text:
        return missing
    value = float(text)
    if not (np.isfinite(value) and value.is_integer() and YEARS[0] <= value <= YEARS[1]):
        raise ValueError(text)
    return value


def _cap_entry(row: dict, file: str) -> tuple[float, float, float]:
    """One `origin_cap` row: (ceiling a year, first year, last year), +inf for an open end."""
    where = (
        f"the deployment cap of {row['country']} (annual_ceiling {row['annual_ceiling']!r}, "
        f"year_from {row['year_from']!r}, year_to {row['year_to']!r})"
    )
    if row["cadre"] != "both":  # the model's caps count every cadre of the origin
        raise WorldError(f"{where} is for {row['cadre']!r}", file=file, key_path="cadre",
                         expected="both (a cap counts every cadre)")  # fmt: skip
    try:
        ceiling = float(str(row["annual_ceiling"]).strip())
    except ValueError:
        ceiling = np.nan
    if not (np.isfinite(ceiling) and ceiling >= 0):
        raise WorldError(f"{where} has annual_ceiling {row['annual_ceiling']!r}", file=file,
                         key_path="annual_ceiling",
                         expected="a number of workers a year, 0 or more")  # fmt: skip
    years = []
    for key in ("year_from", "year_to"):
        try:
            years.append(_calendar_year(row[key], np.inf))  # nothing: no bound
        except ValueError:
            raise WorldError(f"{where} has {key} {row[key]!r}", file=file, key_path=key,
                             expected=YEAR_EXPECTED) from None  # fmt: skip
    first, last = years
    if np.isfinite(first) and last < first:  # a missing first year bounds nothing
        raise WorldError(f"{where} ends before it starts", file=file, key_path="year_to",
                         expected=f"a year_to of {first:g} or later")  # fmt: skip
    return ceiling, first, last


def _no_end(row: dict, file: str) -> None:
    """Refuse an end year on a row whose end the model does not read (a clear error, not a rule
    that silently runs on)."""
    if row["year_to"]:
        raise _channel_error(
            file, row, f"ends in {row['year_to']}; the model reads no end", "year_to",
            "an empty year_to",
        )  # fmt: skip


def _first_year(row: dict, file: str) -> float:
    """A dated channel's first year (0, always, where none is given)."""
    try:
        return _calendar_year(row["year_from"], 0.0)
    except ValueError:
        raise _channel_error(
            file, row, f"starts in {row['year_from']!r}", "year_from", YEAR_EXPECTED
        ) from None


def _channel_error(file: str, row: dict, what: str, key: str, expected: str) -> WorldError:
    """A clear error about one row of ``recruitment_channels.csv``."""
    channel = {"government_to_government": "government-to-government channel"}.get(
        row["channel"], str(row["channel"]).replace("_", " ")
    )
    return WorldError(
        f"the {channel} of {row['country']} ({row['cadre']}) {what}",
        file=file,
        key_path=key,
        expected=expected,
    )
