"""The initial foreign-trained stock by (origin, destination, cadre) for the model's start year.

For every high-income destination (and any other with a published share) and each cadre, a total
``T[d, k]`` is chosen (in this order): a published share times the destination's stock
(``raw/literature/foreign_trained_shares.csv``); the OECD 2018 total (doctors); a level model. The
total is split over origins:

* doctors at OECD reporters: the OECD cells; a complete list is scaled pro rata to the total
  (the difference is "origin not stated"); a partial list (Australia) keeps its cells and spreads
  the rest over the unlisted origins in proportion to the gravity weights ``w[o, d]``;
* otherwise in proportion to the gravity weights,
  ``F[o, d, k] = T[d, k] w_k[o, d] / sum_o w_k[o, d]``.

Doctors' levels come from the gravity fit's level model. Nurses: the same dyadic coefficients with
nurse origin intensities ``gamma_o = mu_o + ln(nurses_o / doctors_o) + delta_o`` (the origin's
doctor effect scaled to its nurse workforce; ``delta_o = 0`` except for the Philippines and India,
whose ``delta`` reproduce their shares of US internationally educated nurses, C32), and the nurse
share of a destination linked to its doctor share, ``logit s_N = logit s_D + Delta``, with ``Delta``
such that the unweighted mean over the OECD members is C15.

In the Gulf Cooperation Council countries English is the working language of the health system
(its workforce is mostly expatriate), so an origin with English as an official language shares the
language of practice with a GCC destination: for doctors in addition to the official language
(Arabic), for nurses instead of it (see ``GCC_PRACTICE_LANGUAGE``).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from worldbuild.common import CADRES, expit, largest_remainder, logit, sig
from worldbuild.gravity import (
    PARTIAL_LISTS,
    GravityResult,
    level_features,
    predict_level,
    solve_intercept,
)

log = logging.getLogger("build_world.initial_stock")

DESTINATION_GROUPS = ("H",)
"""Income groups whose countries all get rows (the default destination selector is high_income).
Any other country gets rows only if it has a published share: the level model is fitted on OECD
destinations and is not trusted for middle-income ones (e.g. post-Soviet migrant stocks would make
Kazakhstan 25% foreign-trained)."""
MAX_SHARE = 0.95
"""No destination starts with more than this share of its workforce trained abroad."""
INDIA_BORN_NURSES_OECD = 122_400
"""India-born nurses working in OECD countries in 2020/21 (census round, DIOC): OECD (2025),
International Migration Outlook 2025, as reported in the press (docs/data.md §1.8). A held-out check
of the gravity-built nurse corridors, which no Indian nurse count outside the USA entered."""

REGISTER_FILE = "raw/literature/register_counts.csv"
"""Where the register counts of groups of origins come from (named in error messages)."""
UK_REGISTER_2020_SHARE = (31_385 + 11_008 / 0.15 + 11_008) / 716_607
"""The internationally educated share of the NMC register at 31 March 2020 (0.162), derived from
the NMC's press release of 9 July 2020 (the source of C36 in ``register_counts.csv``; the three
figures are written here, as published there): 31,385 educated in the EEA, and
outside it a number that rose by 11,008 ("15 percent", so about 84,400; the rounding of the
percentage gives 82,000-87,000), of 716,607. A check of the UK's initial total, which no count
of the register set."""
OECD_MEMBERS = (
    "AUS",
    "AUT",
    "BEL",
    "CAN",
    "CHE",
    "CHL",
    "COL",
    "CRI",
    "CZE",
    "DEU",
    "DNK",
    "ESP",
    "EST",
    "FIN",
    "FRA",
    "GBR",
    "GRC",
    "HUN",
    "IRL",
    "ISL",
    "ISR",
    "ITA",
    "JPN",
    "KOR",
    "LTU",
    "LUX",
    "LVA",
    "MEX",
    "NLD",
    "NOR",
    "NZL",
    "POL",
    "PRT",
    "SVK",
    "SVN",
    "SWE",
    "TUR",
    "USA",
)
"""The 38 OECD members (2021), for the OECD-wide figures C14, C15 and C28."""
NURSE_EXPORTERS = {"PHL": "us_ien_share_phl", "IND": "us_ien_share_ind"}
"""Origins with a nurse-specific intensity, and the anchor giving their share at the USA."""
NURSE_ANCHOR_DESTINATION = "USA"
GCC = ("ARE", "BHR", "KWT", "OMN", "QAT", "SAU")
GCC_PRACTICE_LANGUAGE = {"doctors": "official_or_english", "nurses": "english"}
"""How ``common_language`` is read at a GCC destination, by cadre (see the module docstring).

Sources (qualitative): the Gulf health workforces are majority expatriate (C21, C29); licensing
examinations (e.g. the Saudi Commission for Health Specialties') and nursing practice are in
English; most expatriate nurses in Saudi Arabia come from the Philippines and India (Almalki,
FitzGerald & Clark 2011, "The nursing profession in Saudi Arabia: an overview", Int Nurs Rev
58(3):304-311; approximate recollection). Without
this rule the doctors' Arabic-language effect makes Egypt and Sudan 70% of Saudi Arabia's foreign
nurses and leaves 3% of Filipino nurses abroad in the Gulf."""


def nurse_intensity_shift(weights: pd.Series, anchors: dict[str, float]) -> dict[str, float]:
    """``delta_o`` (log) so that the origins of ``anchors`` get exactly their shares at one
    destination, the other origins keeping their weights (closed form)."""
    rest = weights.drop(list(anchors)).sum()
    share_rest = 1.0 - sum(anchors.values())
    if share_rest <= 0:
        raise ValueError("nurse anchors: shares sum to 1 or more")
    total = rest / share_rest
    return {o: float(np.log(s * total / weights[o])) for o, s in anchors.items()}


def practice_language(frame: pd.DataFrame, cadre: str) -> pd.DataFrame:
    """The frame with ``common_language`` read as the language of practice for ``cadre``."""
    english = set(
        frame.loc[(frame["destination"] == "GBR") & (frame["common_language"] == 1), "origin"]
    )
    english.add("GBR")
    out = frame.copy()
    gcc = out["destination"].isin(GCC)
    is_english = out["origin"].isin(english).astype(float)
    rule = GCC_PRACTICE_LANGUAGE[cadre]
    if rule == "english":
        out.loc[gcc, "common_language"] = is_english[gcc]
    else:
        out.loc[gcc, "common_language"] = np.maximum(
            out.loc[gcc, "common_language"], is_english[gcc]
        )
    return out


def gravity_weights(
    grav: GravityResult, countries: pd.DataFrame, anchor: pd.Series
) -> tuple[dict[str, pd.Series], dict[str, float]]:
    """``w_k[o, d]`` for each cadre (index origin, destination) and the nurse shifts ``delta``."""
    cty = countries.set_index("iso3")
    out = {}
    for k in CADRES:
        frame = practice_language(grav.frame, k)
        w = pd.Series(
            grav.fit.weights(frame),
            index=pd.MultiIndex.from_frame(frame[["origin", "destination"]]),
        )
        if k == "nurses":
            ratio = np.log(cty["nurses"] / cty["doctors"])
            w = w * np.exp(frame["origin"].map(ratio).to_numpy())
            at = w.xs(NURSE_ANCHOR_DESTINATION, level="destination")
            delta = nurse_intensity_shift(at, {o: anchor[a] for o, a in NURSE_EXPORTERS.items()})
            w = w * np.exp(frame["origin"].map(delta).fillna(0.0).to_numpy())
            log.info("nurse intensities: delta %s", {o: round(v, 3) for o, v in delta.items()})
        out[k] = w
    return out, delta


def group_weight(weights: pd.Series, destination: str, origins: tuple[str, ...]) -> float:
    """The share ``g`` of a group of origins in the gravity weights at ``destination``."""
    w = weights.xs(destination, level="destination")
    return float(w.reindex(list(origins)).fillna(0.0).sum() / w.sum())


def with_register(
    reg: pd.DataFrame, kept: dict, key: tuple[str, str], total: float, method: str, ref: str
) -> tuple[float, str, str]:
    """The total, method and reference of ``key`` with its register count:
    ``T_0 (1 - g) + N`` (the other origins keep their gravity cells)."""
    counted = float(reg.at[key, "workers"])
    return total * kept[key] + counted, f"{method}+register", f"{ref}, {reg.at[key, 'target']}"


def destination_totals(
    grav: GravityResult,
    countries: pd.DataFrame,
    oecd_total: pd.Series,
    published: pd.DataFrame,
    anchor: pd.Series,
    weights: dict[str, pd.Series],
    register: pd.DataFrame,
    natives: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, float]:
    """``T[d, k]`` with its method and reference, and the nurse link ``Delta``.

    The nurse link reads the migrants' part of the doctor share: where a published figure gives
    the share of a destination's foreign-trained doctors who are its natives trained abroad
    (``natives``: destination, cadre, share), the link's doctor share leaves them out, for the
    model's foreign-trained workers are migrants (docs/data.md §1.4).

    Where a register counts a group of origins together (``register``, one row per destination
    and cadre), the other origins keep their gravity-built cells and the group takes the count:
    ``T = T_0 (1 - g) + N``, with ``T_0`` the total by the rules above, ``g`` the group's share
    of the gravity weights and ``N`` the count (the nurse link is solved with this total)."""
    cty = countries.set_index("iso3")
    pub = published.set_index(["destination", "cadre"])
    reg = register.set_index(["destination", "cadre"])
    grouped = set(cty.index[cty["income_group"].isin(DESTINATION_GROUPS)])
    dests = sorted(grouped | set(published["destination"]))
    for d, k in reg.index:
        if (d, k) in pub.index or (k == "doctors" and d in oecd_total.index):
            raise ValueError(f"{REGISTER_FILE}: {d} {k}: its total is published; not supported")
        if d not in dests:
            raise ValueError(f"{REGISTER_FILE}: {d} {k}: not a destination with rows (high income)")
    kept = {key: 1.0 - group_weight(weights[key[1]], key[0], reg.at[key, "origins"])
            for key in reg.index}  # fmt: skip
    rows = []
    # doctors: published, else the OECD total, else the level model
    attraction = weights["doctors"].groupby(level="destination").sum()
    feats = level_features(attraction, countries, grav.frame, cadre="doctors")
    terms = [t for t in grav.level_params.index if t != "const"]
    level = predict_level(grav.level_params, feats.loc[dests, terms])
    for d in dests:
        stock = float(cty.at[d, "doctors"])
        if (d, "doctors") in pub.index:
            total, method, ref = (
                pub.at[(d, "doctors"), "share"] * stock,
                "published",
                pub.at[(d, "doctors"), "target"],
            )
        elif d in oecd_total.index:
            total, method, ref = float(oecd_total[d]), "oecd_total", "C13"
        else:
            total, method, ref = float(level[d]) * stock, "level_model", grav.level_spec
        if (d, "doctors") in reg.index:
            total, method, ref = with_register(reg, kept, (d, "doctors"), total, method, ref)
        rows.append(
            {
                "destination": d,
                "cadre": "doctors",
                "stock": stock,
                "total": total,
                "total_method": method,
                "reference": ref,
            }
        )
    doc = pd.DataFrame(rows).set_index("destination")
    migrant_doctor_share = np.minimum(doc["total"] / doc["stock"], MAX_SHARE)
    if natives is not None:  # the migrants' part of the doctor share
        native = natives[natives["cadre"] == "doctors"].set_index("destination")["share"]
        native = native.reindex(migrant_doctor_share.index).fillna(0.0)
        migrant_doctor_share = migrant_doctor_share * (1.0 - native)
    # nurses: published, else the doctor share moved by Delta (mean over the OECD = C15)
    members = [d for d in OECD_MEMBERS if d in doc.index]
    fixed = [d for d in members if (d, "nurses") in pub.index]
    free = [d for d in members if d not in fixed]
    n = len(members)
    counted = [d for d in free if (d, "nurses") in reg.index]
    delta = solve_intercept(
        anchor["oecd_mean_share_nurses"],
        np.array([kept.get((d, "nurses"), 1.0) / n for d in free]),
        np.asarray(logit(migrant_doctor_share[free].to_numpy())),
        fixed=sum(pub.at[(d, "nurses"), "share"] for d in fixed) / n
        + sum(reg.at[(d, "nurses"), "workers"] / float(cty.at[d, "nurses"]) for d in counted) / n,
    )
    log.info("nurse share link: logit s_N = logit s_D %+.3f", delta)
    for d in dests:
        stock = float(cty.at[d, "nurses"])
        if (d, "nurses") in pub.index:
            share, method, ref = (
                pub.at[(d, "nurses"), "share"],
                "published",
                pub.at[(d, "nurses"), "target"],
            )
        else:
            share = float(expit(logit(migrant_doctor_share[d]) + delta))
            method, ref = "doctor_share_link", "C15"
        total = share * stock
        if (d, "nurses") in reg.index:
            total, method, ref = with_register(reg, kept, (d, "nurses"), total, method, ref)
        rows.append(
            {
                "destination": d,
                "cadre": "nurses",
                "stock": stock,
                "total": total,
                "total_method": method,
                "reference": ref,
            }
        )
    totals = pd.DataFrame(rows)
    totals["reference"] = totals["reference"].replace("", "approximate recollection")
    over = totals["total"] > MAX_SHARE * totals["stock"]
    for r in totals[over].itertuples():
        log.info(
            "%s %s: total capped at %.0f%% of the stock", r.destination, r.cadre, 100 * MAX_SHARE
        )
    totals.loc[over, "total"] = MAX_SHARE * totals.loc[over, "stock"]
    totals.loc[over, "total_method"] += "_capped"
    return totals, delta


def register_cells(
    w: pd.Series, target: int, origins: tuple[str, ...], set_by: str, counted: int
) -> pd.DataFrame:
    """Cells of a destination whose register counts ``origins`` together (``counted``): the
    other origins share ``target - counted`` by their gravity weights ``w`` (their gravity-built
    cells); the group's members other than ``set_by`` keep their gravity-built cells, and
    ``set_by`` takes the rest of the count."""
    group = w.reindex(list(origins)).fillna(0.0)
    rest = w.drop(list(origins), errors="ignore")
    where = f"{REGISTER_FILE}: the count of {' '.join(origins)}"
    if rest.sum() <= 0:
        raise ValueError(f"{where}: no other origin at the destination to keep")
    if target < counted:
        raise ValueError(f"{where} ({counted}) is above the destination's total {target} (capped?)")
    scale = (target - counted) / rest.sum()
    fixed = {o: int(np.floor(group[o] * scale + 0.5)) for o in origins if o != set_by}
    taken = counted - sum(fixed.values())
    if taken < 0:
        raise ValueError(f"{where} ({counted}) is below the gravity cells of {sorted(fixed)}")
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "origin": [*fixed, set_by],
                    "workers": [*fixed.values(), taken],
                    "method": [*(["gravity"] * len(fixed)), "register"],
                }
            ),
            pd.DataFrame(
                {
                    "origin": rest.index,
                    "workers": largest_remainder(target - counted, rest.to_numpy()),
                    "method": "gravity",
                }
            ),
        ]
    )


def split_over_origins(
    totals: pd.DataFrame,
    weights: dict[str, pd.Series],
    listing: pd.DataFrame,
    register: pd.DataFrame,
) -> pd.DataFrame:
    """Integer workers by origin for each destination total (largest remainder, totals exact);
    a register's group count as ``register_cells``."""
    listed = listing[listing["doctors"] > 0]
    reg = register.set_index(["destination", "cadre"])
    parts = []
    for r in totals.itertuples(index=False):
        d, k = r.destination, r.cadre
        w = weights[k].xs(d, level="destination")
        target = int(np.floor(r.total + 0.5))
        reported = (
            listed[listed["destination"] == d].set_index("origin")["doctors"].astype(np.int64)
        )
        if k == "doctors" and len(reported):
            extra = max(target - int(reported.sum()), 0)
            if d in PARTIAL_LISTS:
                spread = w.drop(reported.index)
                cells = pd.concat(
                    [
                        pd.DataFrame(
                            {
                                "origin": reported.index,
                                "workers": reported.to_numpy(),
                                "method": "oecd",
                            }
                        ),
                        pd.DataFrame(
                            {
                                "origin": spread.index,
                                "workers": largest_remainder(extra, spread.to_numpy()),
                                "method": "gravity",
                            }
                        ),
                    ]
                )
            elif target < int(reported.sum()):
                # a published share below the OECD count (a broader population counted: IRL):
                # the OECD's composition scaled down to the total
                cells = pd.DataFrame(
                    {
                        "origin": reported.index,
                        "workers": largest_remainder(target, reported.to_numpy(dtype=float)),
                        "method": "oecd",
                    }
                )
            else:
                add = largest_remainder(extra, reported.to_numpy(dtype=float))
                cells = pd.DataFrame(
                    {
                        "origin": reported.index,
                        "workers": reported.to_numpy() + add,
                        "method": "oecd",
                    }
                )
        elif (d, k) in reg.index:
            row = reg.loc[(d, k)]
            cells = register_cells(w, target, row["origins"], row["set_by"], int(row["workers"]))
        else:
            cells = pd.DataFrame(
                {
                    "origin": w.index,
                    "workers": largest_remainder(target, w.to_numpy()),
                    "method": "gravity",
                }
            )
        cells["destination"], cells["cadre"] = d, k
        parts.append(cells[cells["workers"] > 0])
    cells = pd.concat(parts, ignore_index=True)[
        ["origin", "destination", "cadre", "workers", "method"]
    ]
    cells["workers"] = cells["workers"].astype(np.int64)
    return cells.sort_values(["destination", "cadre", "origin"]).reset_index(drop=True)


def build_initial_stock(
    grav: GravityResult,
    countries: pd.DataFrame,
    listing: pd.DataFrame,
    oecd_total: pd.Series,
    published: pd.DataFrame,
    anchors: pd.DataFrame,
    register: pd.DataFrame,
    natives: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """``initial_foreign_trained.csv``, ``foreign_trained_totals.csv`` and ``nurse_model`` (the
    nurse parameters, for the documentation); ``natives`` as `destination_totals` reads it."""
    cty = countries.set_index("iso3")
    anchor = anchors.set_index("name")["value"].astype(float)
    weights, shifts = gravity_weights(grav, countries, anchor)
    totals, delta = destination_totals(
        grav, countries, oecd_total, published, anchor, weights, register, natives
    )
    cells = split_over_origins(totals, weights, listing, register)

    sums = cells.groupby(["destination", "cadre"])["workers"].sum()
    data = cells[cells["method"] == "oecd"].groupby(["destination", "cadre"])["workers"].sum()
    keys = list(zip(totals["destination"], totals["cadre"], strict=True))
    totals["foreign_trained"] = [int(sums.get(key, 0)) for key in keys]
    totals["from_data"] = [int(data.get(key, 0)) for key in keys]
    totals["share"] = sig((totals["foreign_trained"] / totals["stock"]).to_numpy(), 5)
    totals["income_group"] = totals["destination"].map(cty["income_group"])
    totals["stock"] = totals["stock"].round(0).astype(np.int64)
    totals = totals[
        [
            "destination",
            "income_group",
            "cadre",
            "stock",
            "foreign_trained",
            "share",
            "total_method",
            "reference",
            "from_data",
        ]
    ]
    totals = totals.sort_values(["destination", "cadre"]).reset_index(drop=True)
    params = pd.DataFrame(
        [
            {
                "parameter": f"delta_{o}",
                "value": shifts[o],
                "basis": f"{NURSE_EXPORTERS[o]} at {NURSE_ANCHOR_DESTINATION} (C32)",
            }
            for o in sorted(shifts)
        ]
        + [
            {
                "parameter": "nurse_share_link_Delta",
                "value": delta,
                "basis": "OECD mean nurse share = C15",
            }
        ]
    )
    params["value"] = sig(params["value"].to_numpy(), 5)
    return {
        "initial_foreign_trained.csv": cells,
        "foreign_trained_totals.csv": totals,
        "initial_stock_checks.csv": checks(cells, totals, countries, register),
        "nurse_model.csv": params,
    }


def checks(
    cells: pd.DataFrame, totals: pd.DataFrame, countries: pd.DataFrame, register: pd.DataFrame
) -> pd.DataFrame:
    """The initial state against published figures: inputs (reproduced by construction) and
    held-out figures (independent checks). Written to ``initial_stock_checks.csv``."""
    cty = countries.set_index("iso3")
    tot = totals.set_index(["destination", "cadre"])
    share = tot["foreign_trained"] / tot["stock"]
    rows = []

    def add(
        target: str, quantity: str, published: float, model: float, role: str, note: str = ""
    ) -> None:
        rows.append(
            {
                "target": target,
                "quantity": quantity,
                "published": published,
                "model": model,
                "role": role,
                "note": note,
            }
        )

    members = [d for d in OECD_MEMBERS if (d, "doctors") in tot.index]
    add(
        "C14",
        "OECD mean share of foreign-trained doctors",
        0.19,
        share.loc[members, "doctors"].mean(),
        "held-out",
        f"unweighted mean over the {len(members)} members with rows (high income)",
    )
    add(
        "C15",
        "OECD mean share of foreign-trained nurses",
        0.09,
        share.loc[members, "nurses"].mean(),
        "input",
        f"sets the nurse share link (mean over the same {len(members)} members)",
    )
    for k, pub in (("doctors", 500_000), ("nurses", 550_000)):
        add(
            "C28",
            f"foreign-trained {k} in OECD countries",
            pub,
            tot.loc[members].xs(k, level="cadre")["foreign_trained"].sum(),
            "held-out",
            "published for 2016; coverage of the OECD series is incomplete",
        )
    for d, pub in (("NOR", 0.40), ("NZL", 0.40), ("ISR", 0.60)):
        add(
            "C33",
            f"{d} share of foreign-trained doctors",
            pub,
            share[(d, "doctors")],
            "held-out",
            "2021; model: OECD 2018 count over the WHO stock",
        )
    add(
        "C33",
        "IRL share of foreign-trained doctors",
        0.40,
        share[("IRL", "doctors")],
        "input",
        "2021; the OECD 2018 count over the WHO stock would give 0.55 (different populations)",
    )
    add("C16", "AUS share of foreign-trained nurses", 0.1807, share[("AUS", "nurses")], "input")
    add("C16", "NZL share of foreign-trained nurses", 0.2986, share[("NZL", "nurses")], "input")
    add("C29", "SAU share of foreign-trained doctors", 0.705, share[("SAU", "doctors")], "input")
    add("C29", "SAU share of foreign-trained nurses", 0.633, share[("SAU", "nurses")], "input")
    add(
        "C21",
        "SAU share of expatriate doctors (~2015)",
        0.76,
        share[("SAU", "doctors")],
        "held-out",
    )
    add("C21", "SAU share of expatriate nurses (~2015)", 0.63, share[("SAU", "nurses")], "held-out")
    nurses_abroad = cells.loc[cells["cadre"] == "nurses", "workers"].sum()
    add(
        "C26",
        "world share of nurses working outside their country of training",
        0.125,
        nurses_abroad / cty["nurses"].sum(),
        "held-out",
        "C26 also counts the foreign-born trained at destination: an upper bound",
    )
    uk = cells[(cells["destination"] == "GBR") & (cells["cadre"] == "nurses")].set_index("origin")[
        "workers"
    ]
    for target, o, pub in (
        ("C05", "IND", 9769 / 23444),
        ("C06", "PHL", 5763 / 23444),
        ("C07", "NGA", 3010 / 23444),
    ):
        add(
            target,
            f"{o} share of the UK's foreign-trained nurses",
            pub,
            uk.get(o, 0) / uk.sum(),
            "held-out",
            "published: share of 2021/22 joiners (a flow), model: of the stock",
        )
    for r in register.itertuples(index=False):
        at = cells[(cells["destination"] == r.destination) & (cells["cadre"] == r.cadre)]
        add(
            r.target,
            f"{r.destination} {r.cadre} trained in {' and '.join(r.origins)} together",
            r.workers,
            at.loc[at["origin"].isin(r.origins), "workers"].sum(),
            "input",
            "the register's count at the initial state (interpolated); "
            f"{r.set_by} takes the difference from the others' gravity-built cells",
        )
    add(
        "",
        "GBR share of foreign-trained nurses",
        UK_REGISTER_2020_SHARE,
        share[("GBR", "nurses")],
        "check",
        "published: the NMC register's internationally educated share at 31 March 2020, derived "
        "(EEA 31,385; non-EEA from a rise of 11,008 given as 15%); model: over WHO's stock",
    )
    us = cells[(cells["destination"] == "USA") & (cells["cadre"] == "nurses")].set_index("origin")[
        "workers"
    ]
    for o, pub in (("PHL", 0.58), ("IND", 0.11)):
        add(
            "C32",
            f"{o} share of US internationally educated nurses",
            pub,
            us.get(o, 0) / us.sum(),
            "input",
        )
    india = cells[(cells["origin"] == "IND") & (cells["cadre"] == "nurses")]
    add(
        "",
        "India-trained nurses in OECD countries",
        INDIA_BORN_NURSES_OECD,
        india.loc[india["destination"].isin(OECD_MEMBERS), "workers"].sum(),
        "held-out",
        "published: India-born nurses in OECD countries in 2020/21 (OECD 2025, DIOC), an upper "
        "bound (the India-born include those trained abroad)",
    )
    for o in ("PHL", "IND"):
        out = cells[(cells["origin"] == o) & (cells["cadre"] == "nurses")]
        add(
            "",
            f"{o} nurses abroad: share in the GCC",
            np.nan,
            out.loc[out["destination"].isin(GCC), "workers"].sum() / out["workers"].sum(),
            "report",
        )
    for k in CADRES:
        add(
            "",
            f"world {k} abroad (in the destinations covered)",
            np.nan,
            cells.loc[cells["cadre"] == k, "workers"].sum(),
            "report",
        )
    out = pd.DataFrame(rows)
    for col in ("published", "model"):
        out[col] = sig(out[col].to_numpy(dtype=float), 4)
    return out
