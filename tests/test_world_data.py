"""The world's derived data beyond the country table: gravity fit, initial foreign-trained stock,
supply, demand and channel tables (built by scripts/build_world.py; rebuild tested in
test_world.py). Builder functions are tested on synthetic data; tables against raw files and
published figures read independently (csv module)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sim.errors import WorldError
from sim.inputs.world import AGE_BANDS, CADRES, DATA_DIR, World, load_world

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from worldbuild import common, demand, gravity, initial_stock, literature, supply  # noqa: E402

RAW = DATA_DIR / "raw"
GCC = ("ARE", "BHR", "KWT", "OMN", "QAT", "SAU")


def rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


@pytest.fixture(scope="module")
def world() -> World:
    return load_world("global")


@pytest.fixture(scope="module")
def cells() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "initial_foreign_trained.csv")


# ----------------------------------------------------------------------------------------------
# builder functions on synthetic data


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 10_000),
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=40),
)
def test_largest_remainder_is_exact_and_proportional(total: int, weights: list[float]) -> None:
    w = np.array(weights)
    assume(w.sum() > 0 or total == 0)
    out = common.largest_remainder(total, w)
    assert out.sum() == total and (out >= 0).all()
    if w.sum() > 0:
        exact = w / w.sum() * total
        assert (np.abs(out - exact) < 1.0 + 1e-9).all()
        assert (out[w == 0] == 0).all()


def test_largest_remainder_rejects_impossible_requests() -> None:
    with pytest.raises(ValueError):
        common.largest_remainder(5, np.zeros(3))
    with pytest.raises(ValueError):
        common.largest_remainder(5, np.array([1.0, -1.0]))


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_empirical_bayes_shrinks_toward_the_group_median(data: st.DataObject) -> None:
    n = data.draw(st.integers(3, 30))
    est = np.array(data.draw(st.lists(st.floats(-0.1, 0.2), min_size=n, max_size=n)))
    se = np.array(data.draw(st.lists(st.floats(1e-4, 0.2), min_size=n, max_size=n)))
    missing = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    missing[0] = False
    e = pd.Series(np.where(missing, np.nan, est))
    out = common.empirical_bayes(e, pd.Series(se), pd.Series(["g"] * n), min_tau=0.005)
    med = float(np.median(est[~missing]))
    assert np.allclose(out["median"], med)
    assert ((out["weight"] >= 0) & (out["weight"] <= 1)).all()
    lo, hi = np.minimum(e, med), np.maximum(e, med)
    obs = ~missing
    assert ((out["shrunk"][obs] >= lo[obs] - 1e-12) & (out["shrunk"][obs] <= hi[obs] + 1e-12)).all()
    assert np.allclose(out["shrunk"][missing], med)
    # a noisier estimate is pulled further toward the median
    noisy = pd.Series(se).copy()
    noisy[0] = se[0] * 10
    again = common.empirical_bayes(e, noisy, pd.Series(["g"] * n), min_tau=0.005)
    assert abs(again["shrunk"][0] - med) <= abs(out["shrunk"][0] - med) + 1e-12


def synthetic_gravity(seed: int = 7) -> tuple[pd.DataFrame, dict[str, float]]:
    """A 12 x 30 destination-origin panel drawn from a known structural gravity model."""
    rng = np.random.default_rng(seed)
    beta = {"ln_distance": -0.8, "common_language": 1.2, "ln_migrants": 0.6}
    origins = [f"O{i:02d}" for i in range(30)]
    dests = [f"D{j:02d}" for j in range(12)]
    mu = dict(zip(origins, rng.normal(2.0, 1.0, len(origins)), strict=True))
    lam = dict(zip(dests, rng.normal(1.0, 0.5, len(dests)), strict=True))
    recs = []
    for d in dests:
        for o in origins:
            x = {
                "ln_distance": rng.uniform(5, 9),
                "common_language": float(rng.random() < 0.3),
                "ln_migrants": rng.uniform(0, 12),
            }
            eta = sum(beta[k] * v for k, v in x.items()) + mu[o] + lam[d]
            recs.append({"origin": o, "destination": d, **x, "doctors": rng.poisson(np.exp(eta))})
    return pd.DataFrame(recs), beta


def test_ppml_recovers_the_coefficients_of_a_known_gravity_model() -> None:
    df, beta = synthetic_gravity()
    fit = gravity.fit_ppml(df, "fe", list(beta), robust=True)
    for term, value in beta.items():
        assert fit.params[term] == pytest.approx(value, abs=0.05), term
        assert 0 < fit.bse[term] < 0.1
    # shares at a destination left out of the fit are predicted from the origin effects
    held = df[df["destination"] == "D00"]
    fit2 = gravity.fit_ppml(df[df["destination"] != "D00"], "fe", list(beta))
    observed = pd.Series(held["doctors"].to_numpy(), index=held["origin"].to_numpy())
    metrics = gravity.composition_metrics(gravity.shares_at(fit2, held), observed)
    assert metrics["dissimilarity"] < 0.1 and metrics["top10"] >= 0.8


def test_composition_metrics_bounds() -> None:
    a = pd.Series([1.0, 2.0, 0.0], index=["A", "B", "C"])
    assert gravity.composition_metrics(a, a)["dissimilarity"] == pytest.approx(0.0)
    b = pd.Series([0.0, 0.0, 5.0], index=["A", "B", "C"])
    assert gravity.composition_metrics(b, a)["dissimilarity"] == pytest.approx(1.0)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(1e-3, 1e3), min_size=4, max_size=20),
    st.floats(0.01, 0.6),
    st.floats(0.01, 0.3),
)
def test_nurse_intensity_shift_reproduces_the_anchor_shares(
    weights: list[float], s1: float, s2: float
) -> None:
    w = pd.Series(weights, index=[f"X{i}" for i in range(len(weights))])
    shift = initial_stock.nurse_intensity_shift(w, {"X0": s1, "X1": s2})
    shifted = w * np.exp(pd.Series(shift).reindex(w.index).fillna(0.0))
    share = shifted / shifted.sum()
    assert share["X0"] == pytest.approx(s1, rel=1e-9)
    assert share["X1"] == pytest.approx(s2, rel=1e-9)
    rest = w.drop(["X0", "X1"])
    assert np.allclose(share[rest.index] / share[rest.index].sum(), rest / rest.sum())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(1e-3, 1e3), min_size=4, max_size=20),
    st.integers(0, 5_000),
    st.integers(0, 50_000),
)
def test_register_cells_set_the_group_and_keep_the_other_gravity_cells(
    weights: list[float], counted: int, extra: int
) -> None:
    w = pd.Series(weights, index=[f"X{i}" for i in range(len(weights))])
    group = ("X0", "X1")
    target = counted + extra
    # the other member's gravity-built cell: the rest scaled to the non-group origins' total
    scale = extra / w.drop(list(group)).sum()
    assume(int(np.floor(w["X1"] * scale + 0.5)) <= counted)
    cells = initial_stock.register_cells(w, target, group, "X0", counted).set_index("origin")
    assert cells["workers"].sum() == target  # the destination's total, exact
    assert cells.loc[list(group), "workers"].sum() == counted  # the register's count
    assert cells.at["X1", "workers"] == int(np.floor(w["X1"] * scale + 0.5))  # gravity-built
    assert cells.at["X0", "method"] == "register"
    rest = cells.drop(list(group))["workers"]
    assert (rest >= 0).all() and (np.abs(rest - w.drop(list(group)) * scale) < 1).all()


def test_register_cells_refuse_a_count_below_the_other_members() -> None:
    w = pd.Series([1.0, 10.0, 1.0], index=["A", "B", "C"])
    with pytest.raises(ValueError, match="below the gravity cells"):
        initial_stock.register_cells(w, 1_000, ("A", "B"), "A", 100)  # B's cell alone is ~9,000
    with pytest.raises(ValueError, match="above the destination's total 50"):
        initial_stock.register_cells(w, 50, ("A", "B"), "A", 100)
    with pytest.raises(ValueError, match=r"register_counts\.csv.*no other origin"):
        initial_stock.register_cells(w, 1_000, ("A", "B", "C"), "A", 100)


REGISTER_HEADER = "destination,cadre,origins,set_by,date,workers,target,confidence,source\n"


def _register(tmp_path: Path, body: str) -> pd.DataFrame:
    path = tmp_path / "register_counts.csv"
    path.write_text(REGISTER_HEADER + body, encoding="utf-8")
    targets = pd.DataFrame({"id": ["C35", "C36"]})
    return literature.read_register_counts(
        path, ["GBR", "PHL", "IND"], targets, dt.date(2020, 1, 1)
    )


def test_register_counts_are_interpolated_to_the_initial_state(tmp_path: Path) -> None:
    out = _register(
        tmp_path,
        "GBR,nurses,PHL IND,PHL,2019-01-01,1000,C36,primary,s\n"
        "GBR,nurses,PHL IND,PHL,2021-01-01,2096,C36,primary,s\n",
    )
    row = out.iloc[0]
    assert row["origins"] == ("PHL", "IND") and row["set_by"] == "PHL"
    # the group may be written in any order
    again = _register(
        tmp_path,
        "GBR,nurses,PHL IND,PHL,2019-01-01,1000,C36,primary,s\n"
        "GBR,nurses,IND PHL,PHL,2021-01-01,2096,C36,primary,s\n",
    )
    assert again.iloc[0]["workers"] == row["workers"]
    assert row["workers"] == 1000 + round(1096 * 365 / 731)  # linear in days


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("GBR,nurses,PHL IND,NGA,2019-06-01,1,C36,primary,s\n", "set_by must be one of"),
        ("GBR,nurses,GBR IND,IND,2019-06-01,1,C36,primary,s\n", "its own origins"),
        ("GBR,nurses,PHL IND,PHL,2018-06-01,1,C36,primary,s\n", "within a year"),
        ("GBR,nurses,PHL IND,PHL,2020-06-01,1,C36,primary,s\n"
         "GBR,nurses,PHL IND,PHL,2021-06-01,2,C36,primary,s\n", "bracket"),
        ("GBR,nurses,PHL IND,PHL,2019-06-01,0,C36,primary,s\n", "positive"),
        ("GBR,nurses,PHL IND,PHL,2019-06-01,5,C99,primary,s\n", "unknown calibration target"),
        ("GBR,nurses,PHL XXX,PHL,2019-06-01,5,C36,primary,s\n", "unknown country codes"),
        ("GBR,nurses,PHL IND,PHL,2019-06-01,5,C36,primary,s\n"
         "GBR,nurses,PHL,PHL,2020-06-01,6,C36,primary,s\n", "one group of origins"),
        ("GBR,nurses,PHL IND,PHL,2019-06-01,5,C36,primary,s\n"
         "GBR,nurses,PHL IND,PHL,2020-06-01,6,C35,primary,s\n", "one target"),
        ("GBR,nurses,PHL IND,PHL,2019-06-01,5,C36,primary,s\n"
         "GBR,nurses,PHL IND,PHL,2019-06-01,6,C36,primary,s\n", "two counts on one date"),
    ],
)  # fmt: skip
def test_register_counts_reject_bad_rows(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _register(tmp_path, body)


def test_the_register_count_is_in_the_initial_state(world: World) -> None:
    counts = rows(RAW / "literature" / "register_counts.csv")
    assert {(r["destination"], r["cadre"], r["origins"]) for r in counts} == {
        ("GBR", "nurses", "PHL IND")
    }
    # C36: 48,359 at 31 March 2019 and 57,303 at 31 March 2020, interpolated to 1 January 2020
    expected = 48_359 + (57_303 - 48_359) * 276 / 366
    uk = world.initial_foreign_trained[:, world.index("GBR"), CADRES.index("nurses")]
    both = uk[world.index("PHL")] + uk[world.index("IND")]
    assert both == pytest.approx(expected, abs=1)
    # the Philippines took the difference: now the UK's largest nurse corridor
    assert top_sources(world, "GBR", "nurses", 2) == ["PHL", "IND"]


@settings(max_examples=60, deadline=None)
@given(st.floats(-2.0, 2.0), st.lists(st.floats(0.001, 0.5), min_size=3, max_size=10))
def test_solve_intercept(eta0: float, weights: list[float]) -> None:
    w = np.array(weights)
    eta = eta0 + np.linspace(-1, 1, len(w))
    target = 0.3 * w.sum()
    a = gravity.solve_intercept(target, w, eta, fixed=0.0)
    assert (w * common.expit(a + eta)).sum() == pytest.approx(target, rel=1e-6)


def test_stable_profile_ages_with_slower_cohort_growth() -> None:
    h = np.full(supply.MAX_AGE + 1, 0.02)
    flat = supply.stable_profile(h, 25, 0.0)
    assert flat.sum() == pytest.approx(1.0) and flat[:25].sum() == 0
    # constant hazard and no growth: geometric decline with age
    assert flat[31] / flat[30] == pytest.approx(np.exp(-0.02))
    old = [supply.stable_profile(h, 25, g)[55:].sum() for g in (-0.05, 0.0, 0.05)]
    assert old[0] > old[1] > old[2]
    assert supply.solve_growth(old[1], lambda g: supply.stable_profile(h, 25, g)[55:].sum()) == (
        pytest.approx(0.0, abs=1e-6)
    )


def test_robust_trend_recovers_growth_and_ignores_one_break() -> None:
    years = np.arange(2008, 2021)
    counts = 1000 * np.exp(0.04 * (years - 2008))
    slope, se = supply.robust_trend(years, counts)
    assert slope == pytest.approx(0.04, abs=1e-9) and se > 0
    broken = counts.copy()
    broken[5] *= 3  # a one-year definition change
    assert supply.robust_trend(years, broken)[0] == pytest.approx(0.04, abs=0.005)


def test_gcc_practice_language_rule() -> None:
    frame = pd.DataFrame(
        {
            "origin": ["IND", "EGY", "PHL", "EGY", "IND"],
            "destination": ["GBR", "SAU", "SAU", "GBR", "SAU"],
            "common_language": [1.0, 1.0, 0.0, 0.0, 0.0],
        }
    )
    extra = pd.DataFrame({"origin": ["PHL"], "destination": ["GBR"], "common_language": [1.0]})
    frame = pd.concat([frame, extra], ignore_index=True)
    doctors = initial_stock.practice_language(frame, "doctors")
    nurses = initial_stock.practice_language(frame, "nurses")
    at = {
        (o, d): i
        for i, (o, d) in enumerate(zip(frame["origin"], frame["destination"], strict=True))
    }
    # doctors: Arabic (official) or English; nurses: English only; elsewhere unchanged
    assert doctors.loc[at[("EGY", "SAU")], "common_language"] == 1.0
    assert doctors.loc[at[("PHL", "SAU")], "common_language"] == 1.0
    assert nurses.loc[at[("EGY", "SAU")], "common_language"] == 0.0
    assert nurses.loc[at[("PHL", "SAU")], "common_language"] == 1.0
    assert (nurses.loc[frame["destination"] == "GBR", "common_language"] ==
            frame.loc[frame["destination"] == "GBR", "common_language"]).all()  # fmt: skip


def test_the_build_writes_each_cadres_language_of_practice() -> None:
    """affinity.csv's practice_language_<cadre> is the rule of that cadre (doctors: Arabic or
    English at the Gulf's destinations; nurses: English), the rule of the initial stock; the
    fast companion of test_world.py's rebuild."""
    import build_world

    frame = pd.DataFrame(
        {
            "origin": ["IND", "EGY", "PHL", "EGY", "PHL", "FRA"],
            "destination": ["GBR", "SAU", "SAU", "GBR", "GBR", "SAU"],
            "common_language": [1, 1, 0, 0, 1, 0],
        }
    )
    out = build_world.with_practice_language(frame)
    at = dict(zip(zip(out["origin"], out["destination"], strict=True), out.index, strict=True))
    doctors, nurses = out["practice_language_doctors"], out["practice_language_nurses"]
    assert (doctors[at["EGY", "SAU"]], nurses[at["EGY", "SAU"]]) == (1, 0)  # Arabic: doctors only
    assert (doctors[at["PHL", "SAU"]], nurses[at["PHL", "SAU"]]) == (1, 1)  # English: both
    assert (doctors[at["FRA", "SAU"]], nurses[at["FRA", "SAU"]]) == (0, 0)
    outside = out["destination"] != "SAU"
    for k in CADRES:
        assert out[f"practice_language_{k}"].dtype == np.int64
        column = out.loc[outside, f"practice_language_{k}"]
        assert (column == frame.loc[outside, "common_language"]).all()
    assert out["common_language"].equals(frame["common_language"])  # CEPII's column kept


# ----------------------------------------------------------------------------------------------
# the gravity fit


def test_specifications_are_chosen_by_leave_one_destination_out_accuracy() -> None:
    specs = pd.read_csv(DATA_DIR / "gravity_specs.csv")
    fe = specs[specs["kind"] == "fe"]
    chosen = fe[fe["selected"] == 1]
    assert len(chosen) == 1
    assert chosen["lodo_mean_dissimilarity"].iloc[0] == fe["lodo_mean_dissimilarity"].min()
    level = specs[specs["kind"] == "level"]
    assert level.loc[level["selected"] == 1, "lodo_mean_abs_log_share"].iloc[0] == (
        level["lodo_mean_abs_log_share"].min()
    )
    # the benchmark without fixed effects is never selected and predicts compositions worse
    sizes = specs[specs["kind"] == "sizes"].iloc[0]
    assert sizes["selected"] == 0
    assert sizes["lodo_mean_dissimilarity"] > chosen["lodo_mean_dissimilarity"].iloc[0]
    coef = pd.read_csv(DATA_DIR / "gravity_coefficients.csv")
    c = coef[coef["spec"] == chosen["spec"].iloc[0]].set_index("term")
    assert c.loc["ln_migrants", "coef"] > 0 and c.loc["common_language", "coef"] > 0
    assert (c["se_hc1"] > 0).all()
    lodo = pd.read_csv(DATA_DIR / "gravity_lodo.csv")
    folds = lodo[lodo["spec"] == chosen["spec"].iloc[0]]
    assert len(folds) == chosen["n_destinations"].iloc[0] == 19


def test_the_recognition_test_finds_no_corridor_effect() -> None:
    """docs/data.md §1.2: a pair of two EU/EEA/Swiss members holds no more doctors than the
    other terms predict (G6 beside the migrant stock, G7 without it), so the destination choice
    has no recognition term; the area is 30 Member States, the United Kingdom out since 2021."""
    iso3 = set(pd.read_csv(DATA_DIR / "countries.csv")["iso3"])
    assert len(common.RECOGNITION_AREA) == len(set(common.RECOGNITION_AREA)) == 30
    assert set(common.RECOGNITION_AREA) <= iso3 and "GBR" not in common.RECOGNITION_AREA
    assert set(common.RECOGNITION_LEFT) == {"GBR"}
    coef = pd.read_csv(DATA_DIR / "gravity_coefficients.csv").set_index(["spec", "term"])
    specs = pd.read_csv(DATA_DIR / "gravity_specs.csv").set_index("spec")
    for spec in ("G6", "G7"):
        row = coef.loc[(spec, "mutual_recognition_2018")]
        assert abs(row["coef"] / row["se_hc1"]) < 2
        assert specs.loc[spec, "selected"] == 0


# ----------------------------------------------------------------------------------------------
# the initial foreign-trained stock


def test_initial_stock_array_is_consistent(world: World, cells: pd.DataFrame) -> None:
    f = world.initial_foreign_trained
    assert f.shape == (world.n_countries, world.n_countries, len(CADRES))
    assert (f >= 0).all() and np.array_equal(f, np.round(f))
    assert not np.einsum("iik->ik", f).any()
    # only high- and upper-middle-income destinations, never above 95% of the workforce
    dest_total = f.sum(axis=0)  # (C, K)
    has = dest_total.sum(axis=1) > 0
    assert set(world.income_group[has]) <= {"H", "UM"}
    stock = np.stack([world.doctors, world.nurses], axis=1)
    assert (dest_total <= 0.95 * stock + 1).all()
    totals = pd.read_csv(DATA_DIR / "foreign_trained_totals.csv")
    for r in totals.itertuples():
        k = CADRES.index(r.cadre)
        assert dest_total[world.index(r.destination), k] == r.foreign_trained
    assert int(cells["workers"].sum()) == int(f.sum())
    assert set(cells["method"]) == {"oecd", "gravity", "register"}


def test_oecd_cells_are_kept(world: World) -> None:
    oecd = rows(RAW / "oecd" / "oecd_health_wfmi_foreign_trained_doctors_stock_2018_by_origin.csv")
    members = set(map(str, world.iso3))
    f = world.initial_foreign_trained[:, :, 0]
    by_dest: dict[str, dict[str, int]] = {}
    for r in oecd:
        if r["CO2"] in members and r["COU"] in members and r["CO2"] != r["COU"]:
            by_dest.setdefault(r["COU"], {})[r["CO2"]] = int(float(r["Value"]))
    names = {r["Country"]: r["COU"] for r in oecd} | {
        r["Country of origin"]: r["CO2"] for r in oecd
    }
    total: dict[str, int] = {}
    for r in rows(RAW / "oecd" / "oecd_ftd_stock_2018_with_totals_afeb038.csv"):
        if r["Country of origin"] == "Total":  # two rows for some: the larger is the stock
            code = names[r["Country"]]
            total[code] = max(total.get(code, 0), int(r["Value"]))
    published = {
        r["destination"]: float(r["share"])
        for r in rows(RAW / "literature" / "foreign_trained_shares.csv")
        if r["cadre"] == "doctors" and r["destination"] in by_dest and r["destination"] != "AUS"
    }
    assert set(published) >= {"IRL"}
    checked = 0
    for d, listed in by_dest.items():
        if sum(listed.values()) == 0:
            continue
        j = world.index(d)
        got = {o: f[world.index(o), j] for o in listed}
        if d == "AUS":  # partial list: the listed cells exactly, the rest spread by gravity
            assert all(got[o] == v for o, v in listed.items())
            assert f[:, j].sum() == total["AUS"] > sum(listed.values())
        else:  # complete list: scaled pro rata to the OECD total (within rounding), or to a
            # published share of the WHO stock where one exists (IRL: a smaller total, §1.4)
            expected = total.get(d, sum(listed.values()))
            if d in published:
                expected = int(np.floor(published[d] * world.doctors[j] + 0.5))
                assert expected < total[d]  # the published share is the smaller: scaled down
            assert f[:, j].sum() == expected
            scale = f[:, j].sum() / sum(listed.values())
            for o, v in listed.items():
                assert abs(got[o] - v * scale) <= 1.0 + 1e-9, (d, o)
            unlisted = [world.index(o) for o in members - set(listed) - {d}]
            assert f[unlisted, j].sum() == 0
        checked += 1
    assert checked == 20


def test_published_shares_are_reproduced(world: World) -> None:
    published = rows(RAW / "literature" / "foreign_trained_shares.csv")
    assert {(r["destination"], r["cadre"]) for r in published} >= {
        ("SAU", "doctors"), ("SAU", "nurses"), ("AUS", "nurses"), ("NZL", "nurses"),
        ("USA", "doctors"), ("USA", "nurses"), ("IRL", "doctors"),
    }  # fmt: skip
    for r in published:
        j, k = world.index(r["destination"]), CADRES.index(r["cadre"])
        stock = (world.doctors, world.nurses)[k][j]
        share = world.initial_foreign_trained[:, j, k].sum() / stock
        assert share == pytest.approx(float(r["share"]), abs=1e-4), (r["destination"], r["cadre"])
    # C29 (Saudi nationals 29.5% of physicians, 36.7% of nurses)
    j = world.index("SAU")
    assert world.initial_foreign_trained[:, j, 0].sum() / world.doctors[j] == pytest.approx(
        0.705, abs=1e-3
    )
    assert world.initial_foreign_trained[:, j, 1].sum() / world.nurses[j] == pytest.approx(
        0.633, abs=1e-3
    )


def test_the_nurse_link_reads_the_migrants_part_of_the_doctor_share() -> None:
    """docs/data.md §1.4, rule 4: logit s_N = logit(s_D (1 - n_D)) + Delta, n_D the published
    share of the destination's foreign-trained doctors who are its natives trained abroad (0
    where none is published): Israel's and Norway's halves are left out of the link."""
    totals = pd.read_csv(DATA_DIR / "foreign_trained_totals.csv")
    share = totals.set_index(["destination", "cadre"])["share"]
    model = pd.read_csv(DATA_DIR / "nurse_model.csv").set_index("parameter")["value"]
    delta = float(model["nurse_share_link_Delta"])
    natives = {r["destination"]: float(r["share"])
               for r in rows(RAW / "literature" / "natives_trained_abroad.csv")
               if r["cadre"] == "doctors"}  # fmt: skip
    assert natives == {"ISR": 0.5, "NOR": 0.5}
    linked = totals[(totals.cadre == "nurses") & (totals.total_method == "doctor_share_link")]
    assert {"ISR", "NOR", "DEU", "CHE"} <= set(linked.destination)
    for d, stock in zip(linked.destination, linked.stock, strict=True):
        migrants = share[d, "doctors"] * (1.0 - natives.get(d, 0.0))
        expected = 1.0 / (1.0 + np.exp(-(np.log(migrants / (1.0 - migrants)) + delta)))
        # the cells are whole workers: a small island's share moves by their rounding
        assert share[d, "nurses"] == pytest.approx(expected, abs=max(2e-3, 50 / stock)), d
    # without the natives' halves, Israel's nurses would be linked to 54% of its doctors
    assert share["ISR", "nurses"] < 0.2 < share["ISR", "doctors"] / 2


def top_sources(world: World, dest: str, cadre: str, n: int = 3) -> list[str]:
    col = world.initial_foreign_trained[:, world.index(dest), CADRES.index(cadre)]
    return [str(world.iso3[i]) for i in np.argsort(-col, kind="stable")[:n]]


def test_the_audits_implausible_corridors_are_gone(world: World) -> None:
    f = world.initial_foreign_trained
    i = world.index
    # Mexico is not the largest source of the USA's foreign-trained doctors or nurses
    assert top_sources(world, "USA", "doctors", 1) == ["IND"]
    assert top_sources(world, "USA", "nurses", 2) == ["PHL", "IND"]
    # C32: 58% of US internationally educated nurses trained in the Philippines, 11% in India
    us = f[:, i("USA"), 1]
    assert us[i("PHL")] / us.sum() == pytest.approx(0.58, abs=1e-3)
    assert us[i("IND")] / us.sum() == pytest.approx(0.11, abs=1e-3)
    # Filipino nurses abroad: a substantial Gulf share; Philippines and India lead in the Gulf
    gcc = [i(c) for c in GCC]
    assert f[i("PHL"), gcc, 1].sum() / f[i("PHL"), :, 1].sum() > 0.15
    assert set(top_sources(world, "SAU", "nurses", 2)) == {"PHL", "IND"}
    # China is not a major source of the world's foreign-trained doctors (audit: 24%)
    assert f[i("CHN"), :, 0].sum() / f[:, :, 0].sum() < 0.02
    # Japan and Korea: small foreign-trained totals
    for d in ("JPN", "KOR"):
        assert f[:, i(d), 0].sum() / world.doctors[i(d)] < 0.05
        assert f[:, i(d), 1].sum() / world.nurses[i(d)] < 0.05


def test_initial_stock_checks_table() -> None:
    checks = pd.read_csv(DATA_DIR / "initial_stock_checks.csv")
    inputs = checks[checks["role"] == "input"]
    assert np.allclose(inputs["model"], inputs["published"], rtol=2e-3)
    held = checks[checks["role"] == "held-out"].set_index("quantity")
    # held-out: the OECD mean doctor share is within 25% of C14
    c14 = held.loc["OECD mean share of foreign-trained doctors"]
    assert abs(c14["model"] / c14["published"] - 1) < 0.25
    # held-out: India's gravity-built nurses in OECD countries stay below the census count of
    # India-born nurses there (an upper bound: it also counts those trained abroad)
    india = held.loc["India-trained nurses in OECD countries"]
    assert 0 < india["model"] <= india["published"]
    # check: the UK's total with the register's count of the Philippines and India (C36) is
    # within 10% of the register's internationally educated share, derived for March 2020
    uk = (
        checks[checks["role"] == "check"]
        .set_index("quantity")
        .loc["GBR share of foreign-trained nurses"]
    )
    assert abs(uk["model"] / uk["published"] - 1) < 0.10


# ----------------------------------------------------------------------------------------------
# supply and demand


def test_stock_growth_table(world: World) -> None:
    g = pd.read_csv(DATA_DIR / "stock_growth.csv")
    assert len(g) == 2 * world.n_countries
    assert g["growth"].between(*supply.GROWTH_BOUNDS).all()
    assert g["weight"].between(0, 1).all()
    few = g["n_obs"] < supply.MIN_POINTS
    assert (g.loc[few, "method"] == "group_median").all()
    assert np.allclose(g.loc[few, "growth"], g.loc[few, "group_median"])
    for r in g.itertuples():
        assert world.stock_growth[world.index(r.iso3), CADRES.index(r.cadre)] == r.growth


def test_stock_growth_against_the_raw_counts() -> None:
    """Germany's doctors from the raw WHO file: the trend of the log counts (no shrinkage
    visible for a 13-point series)."""
    pts = [
        (int(r["Period"]), float(r["FactValueNumeric"]))
        for r in rows(RAW / "who_gho" / "medical_doctors_per10000.csv")
        if r["IndicatorCode"] == "HWF_0002" and r["SpatialDimValueCode"] == "DEU"
        and 2008 <= int(r["Period"]) <= 2020
    ]  # fmt: skip
    years, counts = map(np.array, zip(*sorted(pts), strict=True))
    ols = np.polyfit(years, np.log(counts), 1)[0]
    w = load_world("global")
    assert w.stock_growth[w.index("DEU"), 0] == pytest.approx(ols, abs=0.003)


def test_age_profiles(world: World) -> None:
    assert np.allclose(world.age_shares.sum(axis=2), 1.0, atol=1e-8)
    assert world.age_shares.shape[2] == len(AGE_BANDS)
    by_group = pd.read_csv(DATA_DIR / "supply_by_group.csv").set_index(["income_group", "cadre"])
    # the anchors: OECD doctors 34% aged 55+ (high income); SOWN 2020 nurses 17% aged 55+
    assert by_group.loc[("H", "doctors"), "share_55plus"] == pytest.approx(0.34, abs=1e-4)
    n = by_group.xs("nurses", level="cadre")
    assert (n["share_55plus"] * n["stock"]).sum() / n["stock"].sum() == pytest.approx(
        0.17, abs=1e-3
    )
    # held out: SOWN 2020, 38% of nurses under 35 (within 5 points)
    assert abs((n["share_under35"] * n["stock"]).sum() / n["stock"].sum() - 0.38) < 0.05
    # graduate rate = crude exit + growth
    assert np.allclose(
        by_group["graduate_rate"], by_group["crude_exit"] + by_group["growth"], atol=1e-5
    )
    i = world.index("GBR")
    assert world.age_shares[i, 0, 3] + world.age_shares[i, 0, 4] == pytest.approx(0.34, abs=1e-4)


def test_gdp_growth(world: World) -> None:
    g = pd.read_csv(DATA_DIR / "gdp_growth.csv").set_index("iso3")
    assert g["growth_real"].between(-0.02, 0.06).all()
    assert np.array_equal(world.gdp_pc_growth, g.loc[list(map(str, world.iso3)), "growth_real"])
    # relative growth from the raw WDI file: China converged on the world, Venezuela has no data
    assert g.loc["CHN", "growth_rel_observed"] > 0.02
    assert g.loc["VEN", "method"] == "group_median"
    # Ireland's GDP does not measure its national income: its high-income group's median
    assert g.loc["IRL", "method"] == "gdp_not_national_income"
    assert np.isnan(g.loc["IRL", "growth_rel_observed"])
    assert g.loc["IRL", "growth_real"] == g.loc["MCO", "growth_real"]  # Monaco: no data, H
    e = pd.read_csv(DATA_DIR / "demand_elasticity.csv").set_index(["cadre", "estimate"])
    for k in CADRES:
        cross = e.loc[(k, "cross_section_levels"), "elasticity"]
        within = e.loc[(k, "within_growth"), "elasticity"]
        assert 0.5 < cross < 1.5 and within < cross
    # Ireland left out of the within-country regressions (118 and 135 countries with it)
    assert e.loc[("doctors", "within_growth"), "n"] == 117
    assert e.loc[("nurses", "within_growth"), "n"] == 134


def test_recruitment_channels(world: World) -> None:
    ch = pd.read_csv(DATA_DIR / "recruitment_channels.csv", keep_default_na=False)
    assert set(ch["country"]) <= set(map(str, world.iso3))
    eb3 = ch[
        (ch["country"] == "USA") & (ch["channel"] == "capped_visa") & (ch["cadre"] == "nurses")
    ]
    assert eb3["annual_ceiling"].astype(int).tolist() == [40040]
    caps = ch[(ch["country"] == "PHL") & (ch["channel"] == "origin_cap")]
    assert (caps["side"] == "origin").all()
    schedule = [
        (int(r.year_from), int(r.year_to), int(r.annual_ceiling)) for r in caps.itertuples()
    ]
    assert schedule == [(2020, 2020, 5000), (2021, 2021, 7000), (2022, 2022, 7500)]
    assert (
        ch["confidence"].isin(["primary", "secondary", "approximate recollection", "assumption"])
    ).all()
    free = set(ch.loc[ch["channel"] == "free_movement", "country"])
    assert {"DEU", "FRA", "NOR", "CHE"} <= free and "GBR" not in free


# ----------------------------------------------------------------------------------------------
# the loader


def test_subsets_keep_the_new_arrays(world: World) -> None:
    codes = ["USA", "PHL", "IND", "SAU", "GBR"]
    sub = world.subset(codes)
    idx = np.array(sorted(world.index(c) for c in codes))
    assert np.array_equal(
        sub.initial_foreign_trained, world.initial_foreign_trained[np.ix_(idx, idx)]
    )
    assert np.array_equal(sub.stock_growth, world.stock_growth[idx])
    assert np.array_equal(sub.age_shares, world.age_shares[idx])
    assert np.array_equal(sub.gdp_pc_growth, world.gdp_pc_growth[idx])
    with pytest.raises(ValueError, match="read-only"):
        sub.initial_foreign_trained[0, 0, 0] = 1.0
    a = load_world("archetypes")
    assert a.initial_foreign_trained is None and a.stock_growth is None and a.age_shares is None


def test_loader_errors_name_the_table(tmp_path: Path) -> None:
    import shutil

    for p in DATA_DIR.glob("*.csv"):
        shutil.copy(p, tmp_path / p.name)
    text = (tmp_path / "initial_foreign_trained.csv").read_text()
    (tmp_path / "initial_foreign_trained.csv").write_text(text.replace(",nurses,", ",midwives,", 1))
    with pytest.raises(WorldError, match="unknown cadre") as err:
        load_world("global", data_dir=tmp_path)
    assert err.value.file.endswith("initial_foreign_trained.csv")
    (tmp_path / "initial_foreign_trained.csv").write_text(text)
    (tmp_path / "stock_growth.csv").unlink()
    with pytest.raises(WorldError, match=r"run `python scripts/build_world\.py`"):
        load_world("global", data_dir=tmp_path)
    with pytest.raises(WorldError, match="shape"):
        World(**{**{f: getattr(load_world("archetypes"), f) for f in ("kind", "base_year")},
                 **_archetype_fields(), "stock_growth": np.zeros((3, 2))})  # fmt: skip


def _archetype_fields() -> dict:
    import dataclasses

    a = load_world("archetypes")
    return {
        f.name: getattr(a, f.name)
        for f in dataclasses.fields(a)
        if f.name not in ("kind", "base_year")
    }


def test_gdp_that_is_not_national_income_is_not_read() -> None:
    years = list(range(2010, 2025))
    t = np.arange(len(years))
    wdi = pd.DataFrame(
        [np.exp(0.03 * t), np.exp(0.03 * t), np.exp(0.13 * t), np.exp(0.02 * t)],
        index=["WLD", "FRA", "IRL", "DEU"],
        columns=years,
    )
    countries = pd.DataFrame({"iso3": ["FRA", "IRL", "DEU"], "income_group": ["H"] * 3})
    g = demand.gdp_growth(wdi, countries, 0.02).set_index("iso3")
    assert g.loc["IRL", "method"] == "gdp_not_national_income"
    assert np.isnan(g.loc["IRL", "growth_rel_observed"])
    assert g.loc["IRL", "growth_real"] == pytest.approx(0.02 + g.loc["IRL", "group_median"])
    assert g.loc["FRA", "growth_rel_observed"] == pytest.approx(0.0, abs=1e-9)
    assert g.loc["DEU", "growth_rel_observed"] == pytest.approx(-0.01, abs=1e-6)
    assert set(g["group_median"].round(9)) == {round(float(np.median([0.0, -0.01])), 9)}
