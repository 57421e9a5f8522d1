"""A gravity model of foreign-trained doctor stocks, fitted on the OECD 2018 matrix.

Two parts, each chosen by leave-one-destination-out (LODO) predictive accuracy, because the model
must predict destinations it has never seen (the USA, Japan, Korea, the Gulf, and every
destination for nurses lack bilateral data):

* **Composition** (which origins supply a destination): Poisson pseudo-maximum likelihood (PPML,
  Santos Silva & Tenreyro 2006) of the stock ``F[o, d]`` on dyadic terms with origin and
  destination fixed effects (structural gravity), ``E[F_od] = exp(b . x_od + mu_o + lambda_d)``.
  At a destination never seen, ``lambda_d`` cancels out of the origin shares
  ``F_od / sum_o F_od = w_od / sum_o w_od`` with ``w_od = exp(b . x_od + mu_o)``. A one-step PPML on
  origin and destination size covariates (no fixed effects) is fitted as a benchmark.
* **Level** (how large the foreign-trained share of a destination is): a fractional logit
  (Papke & Wooldridge 1996) of the destination's foreign-trained share on the log "attraction"
  ``A_d = sum_o w_od`` per worker of the destination, ``logit s_d = a + c ln(A_d / N_d) + ...``.

statsmodels' GLM (Poisson, Binomial) does the fitting; robust (HC1) standard errors are reported.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from worldbuild.common import expit, logit, sig

log = logging.getLogger("build_world.gravity")

PARTIAL_LISTS = {"AUS": "lists 14 origins (no zeros), 73% of its OECD total of 30,383"}
"""OECD reporters whose by-origin rows are a top-N list, not a complete one: unlisted origins are
unknown, not zero, so they are left out of the fit (their total is still used)."""
MIN_COVERAGE = 0.9
"""A reporter not in ``PARTIAL_LISTS`` must list this share of its total or the build stops."""

DYADIC = {
    "ln_distance": "log population-weighted distance (km), CEPII distw",
    "contiguous": "common border (CEPII contig)",
    "common_language": "common official language (CEPII comlang_off)",
    "common_ethnic_language": "language spoken by >= 9% of both (CEPII comlang_ethno)",
    "colony": "ever in a colonial relationship (CEPII colony)",
    "colony_post1945": "colonial relationship after 1945 (CEPII col45)",
    "ln_migrants": "log(1 + all-occupation migrant stock o->d), UN DESA 2020",
    "no_migrants": "1 if UN DESA reports no migrant stock o->d (mostly unreported)",
    "mutual_recognition_2018": "both in the EU/EEA/Switzerland's automatic recognition of "
    "qualifications in 2018, the United Kingdom included (build_world.RECOGNITION_AREA)",
}
SIZES = {
    "ln_doctors_o": "log doctors in the origin (WHO, 2020)",
    "ln_population_o": "log population of the origin (WPP 2024, 2020)",
    "ln_gdp_pc_o": "log GDP per capita PPP of the origin (WDI)",
    "ln_doctors_d": "log doctors in the destination",
    "ln_population_d": "log population of the destination",
    "ln_gdp_pc_d": "log GDP per capita PPP of the destination",
}
_GEO = ["ln_distance", "contiguous", "common_language", "colony"]
_MIG = ["ln_migrants", "no_migrants"]
COMPOSITION_SPECS: dict[str, tuple[str, list[str]]] = {
    "G1": ("fe", _GEO),
    "G2": ("fe", _GEO + _MIG),
    "G3": ("fe", _GEO + _MIG + ["common_ethnic_language"]),
    "G4": ("fe", _GEO + _MIG + ["colony_post1945"]),
    "G5": ("fe", [t for t in _GEO if t != "contiguous"] + _MIG),
    "G6": ("fe", _GEO + _MIG + ["colony_post1945", "mutual_recognition_2018"]),
    "G7": ("fe", [*_GEO, "colony_post1945", "mutual_recognition_2018"]),
    "S2": ("sizes", _GEO + _MIG + list(SIZES)),
}
"""Candidate specifications: (kind, terms). ``fe``: origin and destination fixed effects;
``sizes``: a constant and origin/destination size covariates (benchmark, not eligible)."""
LEVEL_SPECS: dict[str, list[str]] = {
    "L1": ["ln_attraction"],
    "L2": ["ln_attraction", "ln_gdp_pc"],
    "L3": ["ln_attraction", "ln_population"],
    "L4": ["ln_immigrant_share"],
    "L5": ["ln_attraction", "ln_immigrant_share"],
}
"""Candidate level models (fractional logit of the foreign-trained share), all with a constant.
``ln_attraction`` = log(A_d / doctors_d); ``ln_immigrant_share`` = log(all-occupation immigrants
/ population), UN DESA 2020."""
TOP = 10


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


def read_ftd_listing(path: Path, iso3: list[str]) -> pd.DataFrame:
    """OECD 2018 by-origin rows between Member States, zeros included: ``origin, destination,
    doctors`` (a listed zero is a reported zero; an unlisted origin is unknown)."""
    by = pd.read_csv(path, encoding="utf-8-sig")
    by = by.rename(columns={"CO2": "origin", "COU": "destination", "Value": "doctors"})
    members = set(iso3)
    by = by[by["origin"].isin(members) & by["destination"].isin(members)]
    by = by[by["origin"] != by["destination"]]
    return by[["origin", "destination", "doctors"]].reset_index(drop=True)


def oecd_totals(
    path: Path, by_origin_path: Path, listing: pd.DataFrame, iso3: list[str]
) -> pd.Series:
    """OECD 2018 foreign-trained doctor totals by destination (Member States).

    Several destinations have two "Total" rows in the with-totals file; the larger is the stock
    (in every such case with by-origin rows the smaller is below the by-origin sum, so it cannot be
    the stock total; the same rule is applied to Italy, which has no by-origin rows).
    """
    names = pd.read_csv(by_origin_path, encoding="utf-8-sig")
    name_to_iso = dict(zip(names["Country"], names["COU"], strict=False))
    name_to_iso.update(zip(names["Country of origin"], names["CO2"], strict=False))
    tot = pd.read_csv(path, encoding="utf-8-sig")
    tot = tot[tot["Country of origin"] == "Total"].copy()
    tot["destination"] = tot["Country"].map(name_to_iso)
    if tot["destination"].isna().any():
        raise ValueError(f"OECD totals: unknown names {tot.loc[tot['destination'].isna()]}")
    listed = listing.groupby("destination")["doctors"].sum()
    out = {}
    for d, rows in tot.groupby("destination"):
        values = sorted(rows["Value"].astype(float))
        if len(values) > 1 and values[0] >= listed.get(d, 0) > 0:
            raise ValueError(f"OECD totals: two totals for {d} both above the by-origin sum")
        out[d] = values[-1]
    return pd.Series(out, name="total").reindex(sorted(set(out) & set(iso3)))


def dyad_frame(
    dyads: pd.DataFrame,
    countries: pd.DataFrame,
    migrants: pd.DataFrame,
    listing: pd.DataFrame,
) -> pd.DataFrame:
    """Every ordered pair of distinct Member States with the gravity regressors and, where the
    destination reports, the OECD stock (``doctors``: NaN where the origin is not listed)."""
    df = dyads[dyads["origin"] != dyads["destination"]].copy()
    df = df.merge(migrants, on=["origin", "destination"], how="left")
    df["migrants"] = df["migrants"].fillna(0.0)
    df = df.merge(listing, on=["origin", "destination"], how="left")
    df["ln_distance"] = np.log(df["distance_km"])
    df["ln_migrants"] = np.log1p(df["migrants"])
    df["no_migrants"] = (df["migrants"] == 0).astype(float)
    cty = countries.set_index("iso3")
    for side, s in (("origin", "o"), ("destination", "d")):
        df[f"ln_doctors_{s}"] = np.log(df[side].map(cty["doctors"]))
        df[f"ln_nurses_{s}"] = np.log(df[side].map(cty["nurses"]))
        df[f"ln_population_{s}"] = np.log(df[side].map(cty["population"]))
        df[f"ln_gdp_pc_{s}"] = np.log(df[side].map(cty["gdp_pc_ppp"]))
    for col in ("contiguous", "common_language", "common_ethnic_language", "colony"):
        df[col] = df[col].astype(float)
    df["colony_post1945"] = df["colony_post1945"].astype(float)
    df["mutual_recognition_2018"] = df["mutual_recognition_2018"].astype(float)
    return df.sort_values(["destination", "origin"]).reset_index(drop=True)


def training_destinations(listing: pd.DataFrame, totals: pd.Series) -> list[str]:
    """Reporters whose by-origin list is complete (unlisted origins are zero)."""
    listed = listing.groupby("destination")["doctors"].agg(["sum", "size"])
    listed = listed[listed["sum"] > 0]
    out = []
    for d, row in listed.iterrows():
        coverage = row["sum"] / totals.get(d, row["sum"])
        if d in PARTIAL_LISTS:
            continue
        if coverage < MIN_COVERAGE and row["size"] < 20:
            raise ValueError(f"OECD: {d} lists {row['size']} origins covering {coverage:.0%}")
        out.append(d)
    return sorted(out)


# --------------------------------------------------------------------------------------------
# composition: PPML
# --------------------------------------------------------------------------------------------


@dataclass
class PPMLFit:
    """A PPML fit: coefficients of the named terms, origin effects (log scale), the model."""

    kind: str
    terms: list[str]
    params: pd.Series
    bse: pd.Series | None
    origin_effect: pd.Series
    result: object = field(repr=False)
    n_obs: int = 0

    def weights(self, frame: pd.DataFrame) -> np.ndarray:
        """``w_od``: the fitted stock up to a destination factor (0 for unseen origins)."""
        eta = frame[self.terms].to_numpy(dtype=np.float64) @ self.params[self.terms].to_numpy()
        if self.kind == "fe":
            effect = frame["origin"].map(self.origin_effect).to_numpy(dtype=np.float64)
            return np.where(np.isnan(effect), 0.0, np.exp(eta + np.nan_to_num(effect)))
        return np.exp(eta + self.params["const"])


def fit_ppml(train: pd.DataFrame, kind: str, terms: list[str], robust: bool = False) -> PPMLFit:
    """PPML of ``doctors`` on ``terms`` (+ origin and destination fixed effects for ``fe``)."""
    import statsmodels.api as sm

    y_all = train["doctors"].to_numpy(dtype=np.float64)
    if kind == "fe":
        # origins never observed abroad have no finite effect: left out (predicted 0)
        keep = train.groupby("origin")["doctors"].transform("sum").to_numpy() > 0
        train, y = train[keep], y_all[keep]
        origins = sorted(train["origin"].unique())
        dests = sorted(train["destination"].unique())
        o_idx = train["origin"].map({c: i for i, c in enumerate(origins)}).to_numpy()
        d_idx = train["destination"].map({c: i for i, c in enumerate(dests)}).to_numpy()
        fe = np.zeros((len(train), len(origins) + len(dests) - 1))
        fe[np.arange(len(train)), o_idx] = 1.0
        has_d = d_idx > 0
        fe[np.arange(len(train))[has_d], len(origins) + d_idx[has_d] - 1] = 1.0
        X = np.hstack([train[terms].to_numpy(dtype=np.float64), fe])
        names = terms + [f"o_{c}" for c in origins] + [f"d_{c}" for c in dests[1:]]
    else:
        y = y_all
        X = np.hstack([train[terms].to_numpy(dtype=np.float64), np.ones((len(train), 1))])
        names = [*terms, "const"]
        origins = []
    model = sm.GLM(y, X, family=sm.families.Poisson())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(
            maxiter=300, tol=1e-10, wls_method="lstsq", cov_type="HC1" if robust else "nonrobust"
        )
    params = pd.Series(res.params, index=names)
    bse = pd.Series(res.bse, index=names) if robust else None
    effect = pd.Series(params[[f"o_{c}" for c in origins]].to_numpy(), index=origins, dtype=float)
    return PPMLFit(kind, terms, params, bse, effect, res, len(y))


def shares_at(fit: PPMLFit, frame: pd.DataFrame) -> pd.Series:
    """Predicted origin shares at one destination (frame: that destination's rows)."""
    w = fit.weights(frame)
    return pd.Series(w / w.sum(), index=frame["origin"].to_numpy())


def composition_metrics(predicted: pd.Series, observed: pd.Series) -> dict[str, float]:
    """Dissimilarity ``D = 0.5 sum |p - q|`` and the share of the observed top 10 found in the
    predicted top 10."""
    q = observed / observed.sum()
    p = predicted.reindex(q.index).fillna(0.0)
    p = p / p.sum()
    top_obs = set(q.sort_values(ascending=False, kind="stable").index[:TOP])
    top_pred = set(p.sort_values(ascending=False, kind="stable").index[:TOP])
    return {
        "dissimilarity": 0.5 * float(np.abs(p - q).sum()),
        "top10": len(top_obs & top_pred) / TOP,
    }


@dataclass
class GravityResult:
    """Everything the initial-stock builder and the documentation need from the fit."""

    spec: str
    fit: PPMLFit
    level_spec: str
    level_params: pd.Series
    oof_attraction: pd.Series
    spec_table: pd.DataFrame
    lodo_table: pd.DataFrame
    coefficients: pd.DataFrame
    level_table: pd.DataFrame
    frame: pd.DataFrame


def fit_gravity(
    frame: pd.DataFrame, listing: pd.DataFrame, totals: pd.Series, countries: pd.DataFrame
) -> GravityResult:
    """Fit every candidate, score them by LODO, choose the composition and level models."""
    train_dest = training_destinations(listing, totals)
    train = frame[frame["destination"].isin(train_dest)].copy()
    train["doctors"] = train["doctors"].fillna(0.0)
    log.info("gravity: %d training destinations (%s)", len(train_dest), " ".join(train_dest))

    lodo_rows, spec_rows, coef_rows = [], [], []
    folds: dict[str, dict[str, PPMLFit]] = {}
    for name, (kind, terms) in COMPOSITION_SPECS.items():
        folds[name] = {}
        for d in train_dest:
            fit = fit_ppml(train[train["destination"] != d], kind, terms)
            folds[name][d] = fit
            held = train[train["destination"] == d]
            observed = pd.Series(held["doctors"].to_numpy(), index=held["origin"].to_numpy())
            metrics = composition_metrics(shares_at(fit, held), observed)
            predicted_total = float(fit.weights(held).sum()) if kind == "sizes" else np.nan
            lodo_rows.append(
                {
                    "spec": name,
                    "destination": d,
                    "observed_total": float(observed.sum()),
                    "predicted_total": predicted_total,
                    **metrics,
                }
            )
        full = fit_ppml(train, kind, terms, robust=True)
        fitted = np.asarray(full.result.fittedvalues)
        y = np.asarray(full.result.model.endog)
        lodo = pd.DataFrame([r for r in lodo_rows if r["spec"] == name])
        spec_rows.append(
            {
                "spec": name,
                "kind": kind,
                "terms": " + ".join(terms),
                "n_obs": full.n_obs,
                "n_destinations": len(train_dest),
                "pseudo_r2_corr": float(np.corrcoef(fitted, y)[0, 1] ** 2),
                "pseudo_r2_deviance": float(1 - full.result.deviance / full.result.null_deviance),
                "lodo_mean_dissimilarity": float(lodo["dissimilarity"].mean()),
                "lodo_median_dissimilarity": float(lodo["dissimilarity"].median()),
                "lodo_mean_top10": float(lodo["top10"].mean()),
                "lodo_median_abs_log_total": float(
                    np.median(np.abs(np.log(lodo["predicted_total"] / lodo["observed_total"])))
                )
                if kind == "sizes"
                else np.nan,
            }
        )
        for term in [*terms, *(["const"] if kind == "sizes" else [])]:
            coef_rows.append(
                {
                    "spec": name,
                    "term": term,
                    "coef": float(full.params[term]),
                    "se_hc1": float(full.bse[term]),
                }
            )
        folds[name]["__full__"] = full
    specs = pd.DataFrame(spec_rows)
    eligible = specs[specs["kind"] == "fe"]
    best = eligible.sort_values(["lodo_mean_dissimilarity", "spec"]).iloc[0]["spec"]
    specs["selected"] = (specs["spec"] == best).astype(int)
    log.info("gravity: composition spec %s selected by LODO dissimilarity", best)
    chosen = folds[best]["__full__"]

    # levels: attraction per doctor, out of fold for training destinations
    level_dest = sorted(set(totals.index) & set(frame["destination"]))
    attraction = {}
    for d in sorted(frame["destination"].unique()):
        fit = folds[best].get(d, chosen)
        attraction[d] = float(fit.weights(frame[frame["destination"] == d]).sum())
    oof = pd.Series(attraction)
    features = level_features(oof, countries, frame, cadre="doctors")
    share = totals.reindex(level_dest) / countries.set_index("iso3")["doctors"].reindex(level_dest)
    level_rows, level_coef = [], []
    for name, terms in LEVEL_SPECS.items():
        for d in level_dest:
            rest = [x for x in level_dest if x != d]
            params = fit_fractional_logit(share[rest], features.loc[rest, terms])
            pred = predict_level(params, features.loc[[d], terms]).iloc[0]
            level_rows.append(
                {
                    "spec": name,
                    "destination": d,
                    "observed_share": share[d],
                    "predicted_share": pred,
                }
            )
        params, bse = fit_fractional_logit(share, features.loc[level_dest, terms], with_se=True)
        for term in params.index:
            level_coef.append(
                {"spec": name, "term": term, "coef": params[term], "se_hc1": bse[term]}
            )
    level_table = pd.DataFrame(level_rows)
    level_table["abs_log_ratio"] = np.abs(
        np.log(level_table["predicted_share"] / level_table["observed_share"])
    )
    scores = level_table.groupby("spec")["abs_log_ratio"].agg(["mean", "median"])
    level_best = scores.sort_values(["mean"]).index[0]
    log.info(
        "gravity: level spec %s selected (LODO mean |log ratio| %.3f)",
        level_best,
        scores.loc[level_best, "mean"],
    )
    level_params = fit_fractional_logit(share, features.loc[level_dest, LEVEL_SPECS[level_best]])
    for name in LEVEL_SPECS:
        specs = pd.concat(
            [
                specs,
                pd.DataFrame(
                    [
                        {
                            "spec": name,
                            "kind": "level",
                            "terms": " + ".join(LEVEL_SPECS[name]),
                            "n_obs": len(level_dest),
                            "n_destinations": len(level_dest),
                            "lodo_mean_abs_log_share": scores.loc[name, "mean"],
                            "lodo_median_abs_log_share": scores.loc[name, "median"],
                            "selected": int(name == level_best),
                        }
                    ]
                ),
            ],
            ignore_index=True,
        )
    coefficients = pd.concat([pd.DataFrame(coef_rows), pd.DataFrame(level_coef)], ignore_index=True)
    return GravityResult(
        spec=best,
        fit=chosen,
        level_spec=level_best,
        level_params=level_params,
        oof_attraction=oof,
        spec_table=specs,
        lodo_table=pd.concat([pd.DataFrame(lodo_rows), level_table], ignore_index=True),
        coefficients=coefficients,
        level_table=level_table,
        frame=frame,
    )


# --------------------------------------------------------------------------------------------
# levels: fractional logit
# --------------------------------------------------------------------------------------------


def level_features(
    attraction: pd.Series, countries: pd.DataFrame, frame: pd.DataFrame, cadre: str
) -> pd.DataFrame:
    """Destination features of the level model for every destination with an attraction."""
    cty = countries.set_index("iso3").reindex(attraction.index)
    immigrants = frame.groupby("destination")["migrants"].sum().reindex(attraction.index)
    return pd.DataFrame(
        {
            "ln_attraction": np.log(attraction / cty[cadre]),
            "ln_gdp_pc": np.log(cty["gdp_pc_ppp"]),
            "ln_population": np.log(cty["population"]),
            "ln_immigrant_share": np.log(np.maximum(immigrants, 1.0) / cty["population"]),
        },
        index=attraction.index,
    )


def fit_fractional_logit(
    share: pd.Series, features: pd.DataFrame, with_se: bool = False
) -> pd.Series | tuple[pd.Series, pd.Series]:
    """Quasi-likelihood fractional logit (Binomial GLM on shares) with a constant."""
    import statsmodels.api as sm

    X = features.copy()
    X["const"] = 1.0
    model = sm.GLM(
        share.to_numpy(dtype=np.float64),
        X.to_numpy(dtype=np.float64),
        family=sm.families.Binomial(),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(tol=1e-12, cov_type="HC1" if with_se else "nonrobust")
    params = pd.Series(res.params, index=X.columns)
    if with_se:
        return params, pd.Series(res.bse, index=X.columns)
    return params


def predict_level(params: pd.Series, features: pd.DataFrame) -> pd.Series:
    """Predicted shares ``expit(a + c . z)``."""
    eta = (
        features[[t for t in params.index if t != "const"]].to_numpy()
        @ params.drop("const").to_numpy()
    )
    return pd.Series(expit(eta + params["const"]), index=features.index)


def solve_intercept(
    target: float, weights: np.ndarray, eta: np.ndarray, fixed: float = 0.0
) -> float:
    """The constant ``a`` with ``fixed + sum(weights * expit(a + eta)) = target`` (bisection)."""
    lo, hi = -30.0, 30.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if fixed + float((weights * expit(mid + eta)).sum()) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def tables(result: GravityResult) -> dict[str, pd.DataFrame]:
    """The diagnostics written to ``sim/data`` (rounded)."""
    specs = result.spec_table.copy()
    for col in specs.columns:
        if specs[col].dtype.kind == "f":
            specs[col] = sig(specs[col].to_numpy(), 5)
    coefs = result.coefficients.copy()
    coefs["z"] = coefs["coef"] / coefs["se_hc1"]
    for col in ("coef", "se_hc1", "z"):
        coefs[col] = sig(coefs[col].to_numpy(), 5)
    lodo = result.lodo_table.copy()
    for col in lodo.columns:
        if lodo[col].dtype.kind == "f":
            lodo[col] = sig(lodo[col].to_numpy(), 5)
    return {"gravity_specs.csv": specs, "gravity_coefficients.csv": coefs, "gravity_lodo.csv": lodo}


__all__ = [
    "COMPOSITION_SPECS",
    "LEVEL_SPECS",
    "GravityResult",
    "dyad_frame",
    "fit_gravity",
    "logit",
    "oecd_totals",
    "read_ftd_listing",
]
