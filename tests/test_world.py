"""The world: bundled data against the raw files, archetypes, world files, subsets, rebuild."""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import HrhsimError, WorldError
from sim.inputs.world import ARCHETYPES_FILE, CADRES, DATA_DIR, World, load_world

REPO = Path(__file__).resolve().parents[1]
RAW = DATA_DIR / "raw"
DERIVED = (
    "countries.csv",
    "population_projection.csv",
    "ftd_doctors_2018.csv",
    "ftd_destinations.csv",
    "migrant_stock_2020.csv",
    "affinity.csv",
    "safeguards_check.csv",
    "gravity_specs.csv",
    "gravity_coefficients.csv",
    "gravity_lodo.csv",
    "initial_foreign_trained.csv",
    "foreign_trained_totals.csv",
    "initial_stock_checks.csv",
    "nurse_model.csv",
    "stock_growth.csv",
    "age_profile.csv",
    "supply_by_group.csv",
    "gdp_growth.csv",
    "demand_elasticity.csv",
    "recruitment_channels.csv",
    "training_capacity.csv",
    "post_expansions.csv",
)


# ----------------------------------------------------------------------------------------------
# independent readings of the raw files (csv module only)


def raw_rows(path: Path, skip: int = 0) -> list[dict]:
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()[skip:]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


@pytest.fixture(scope="module")
def world() -> World:
    return load_world("global")


@pytest.fixture(scope="module")
def members() -> list[str]:
    rows = raw_rows(RAW / "who_gho" / "who_member_states.tsv")
    text = (RAW / "who_gho" / "who_member_states.tsv").read_text()
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    return sorted(r["iso_3166"].strip() for r in rows if r["who_member_state"].strip() == "TRUE")


@pytest.fixture(scope="module")
def who_latest() -> dict[str, dict[str, tuple[float, int]]]:
    """Latest WHO GHO density per indicator and country, straight from the raw CSVs."""
    out: dict[str, dict[str, tuple[float, int]]] = {"HWF_0001": {}, "HWF_0006": {}}
    for name in ("medical_doctors_per10000.csv", "nursing_midwives_per10000.csv"):
        for r in raw_rows(RAW / "who_gho" / name):
            if r["IndicatorCode"] in out and r["IsLatestYear"].upper() == "TRUE":
                out[r["IndicatorCode"]][r["SpatialDimValueCode"]] = (
                    float(r["FactValueNumeric"]),
                    int(r["Period"]),
                )
    return out


@pytest.fixture(scope="module")
def population_2020() -> dict[str, float]:
    rows = raw_rows(RAW / "owid" / "owid_population-with-un-projections.csv")
    return {r["Code"]: float(r["Population, total"]) for r in rows if r["Year"] == "2020"}


# ----------------------------------------------------------------------------------------------
# global world


def test_global_world_is_the_194_member_states(world: World, members: list[str]) -> None:
    assert world.kind == "global"
    assert world.base_year == 2020
    assert world.n_countries == 194
    assert list(world.iso3) == members
    assert set(world.who_region) == {"AFR", "AMR", "SEAR", "EUR", "EMR", "WPR"}
    assert set(world.income_group) == {"L", "LM", "UM", "H"}
    assert all(str(n).strip() for n in world.name)


def test_safeguards_list_has_55_countries(world: World) -> None:
    published = {r["iso3"] for r in raw_rows(RAW / "ssl_2023_countries.csv")}
    on_list = {str(c) for c, s in zip(world.iso3, world.safeguards, strict=True) if s}
    assert len(on_list) == 55
    assert on_list == published


@pytest.mark.parametrize(
    ("iso3", "doctors", "nurses"),
    [("GBR", (30.04, 2020), (88.53, 2020)), ("NGA", (3.81, 2018), (15.01, 2019)),
     ("PHL", (7.73, 2020), (54.44, 2019)), ("IND", (7.35, 2020), (17.48, 2020))],
)  # fmt: skip
def test_densities_are_the_latest_who_values(
    world: World, who_latest: dict, population_2020: dict, iso3: str, doctors: tuple, nurses: tuple
) -> None:
    i = world.index(iso3)
    assert who_latest["HWF_0001"][iso3] == doctors
    assert who_latest["HWF_0006"][iso3] == nurses
    assert (world.doctors_density[i], world.doctors_year[i]) == doctors
    assert (world.nurses_density[i], world.nurses_year[i]) == nurses
    assert world.doctors_source[i] == world.nurses_source[i] == "who_gho"
    assert world.population[i] == population_2020[iso3]
    assert world.doctors[i] == pytest.approx(doctors[0] * population_2020[iso3] / 1e4, abs=0.01)
    assert world.nurses[i] == pytest.approx(nurses[0] * population_2020[iso3] / 1e4, abs=0.01)


def test_totals_match_an_independent_computation(
    world: World, who_latest: dict, population_2020: dict
) -> None:
    for field, code in (("doctors", "HWF_0001"), ("nurses", "HWF_0006")):
        expected = sum(
            who_latest[code][c][0] * population_2020[c] / 1e4 for c in map(str, world.iso3)
        )
        assert getattr(world, field).sum() == pytest.approx(expected, rel=1e-9)
    assert world.doctors.sum() == pytest.approx(12.68e6, rel=0.01)  # Boniol et al. 2022: 12.7M
    assert world.nurses.sum() == pytest.approx(30.77e6, rel=0.01)  # 29.1M nurses + 2.2M midwives


def test_every_field_is_finite_and_in_range(world: World) -> None:
    for field in ("population", "urban_share", "doctors", "nurses", "doctors_density",
                  "nurses_density", "uhc_index", "gdp_pc_ppp", "pop_projection", "ftd_doctors",
                  "migrant_stock", "distance_km"):  # fmt: skip
        values = getattr(world, field)
        assert np.isfinite(values).all(), field
        assert (values >= 0).all(), field
    assert (world.population > 0).all() and (world.pop_projection > 0).all()
    assert ((world.urban_share >= 0) & (world.urban_share <= 1)).all()
    assert ((world.uhc_index > 0) & (world.uhc_index <= 100)).all()
    assert (world.distance_km > 0).all()
    assert np.allclose(world.distance_km, world.distance_km.T, rtol=1e-3)
    assert (world.common_language == world.common_language.T).all()
    assert ((world.doctors_year >= 2000) & (world.doctors_year <= 2020)).all()
    assert list(world.proj_years) == list(range(2000, 2101))
    i = int(np.flatnonzero(world.proj_years == 2020)[0])
    assert np.array_equal(world.pop_projection[:, i], world.population)
    assert not np.diag(world.ftd_doctors).any() and not np.diag(world.migrant_stock).any()


def test_imputation_flags_where_raw_values_are_missing(world: World) -> None:
    def wdi_has_value(name: str) -> set[str]:
        rows = raw_rows(RAW / name, skip=4)
        years = [k for k in rows[0] if k and k.isdigit()]
        return {r["Country Code"] for r in rows if any(r[y] for y in years)}

    import openpyxl

    book = openpyxl.load_workbook(RAW / "worldbank" / "CLASS_2023-01.xlsx", read_only=True)
    sheet = book["List of economies"].iter_rows(values_only=True)
    header = next(sheet)
    code_col, group_col = header.index("Code"), header.index("Income group")
    classified = {row[code_col] for row in sheet if row[group_col]}
    observed = {
        "income_group": classified,
        "urban_share": wdi_has_value("wdi_2022/API_SP.URB.TOTL.IN.ZS_DS2_en_csv_v2_4151278.csv"),
        "gdp_pc_ppp": wdi_has_value("wdi_2025/API_NY.GDP.PCAP.PP.CD_DS2_en_csv_v2_216039.csv"),
    }
    for code, flags in zip(map(str, world.iso3), world.imputed, strict=True):
        fields = set(str(flags).split(";")) - {""}
        for field, have in observed.items():
            assert (field in fields) == (code not in have), (code, field)
        assert fields <= set(observed), (code, fields)
    summary = world.summary()
    assert summary["imputations"] == {"gdp_pc_ppp": 5, "income_group": 3, "urban_share": 2}
    i = world.index("VEN")
    assert world.income_group[i] == "UM" and world.imputed[i] == "income_group"


def test_bilateral_tables(world: World) -> None:
    i = world.index
    assert world.ftd_doctors[i("IND"), i("GBR")] > 10_000
    assert world.ftd_doctors[:, i("USA")].sum() == 0  # the US does not report to the OECD
    assert world.ftd_reported.sum() == 20 and not world.ftd_reported[i("USA")]
    assert world.ftd_reported[i("GBR")] and not world.ftd_reported[i("GRC")]
    # the Mali rows mislabelled MLT in the UN DESA file
    assert world.migrant_stock[i("CIV"), i("MLI")] == 195_271
    assert world.migrant_stock[i("CIV"), i("MLT")] == 0
    assert world.migrant_stock[i("MLT"), i("AUS")] > 0
    assert world.migrant_stock[:, i("TZA")].sum() > 0
    # CEPII fixes and proxies
    assert world.distance_km[i("ZAF"), i("KAZ")] == world.distance_km[i("KAZ"), i("ZAF")]
    assert world.colony[i("COD"), i("BEL")] and world.common_language[i("TLS"), i("PRT")]
    assert world.colony[i("SSD"), i("GBR")] and world.common_language[i("SSD"), i("GBR")]
    assert world.common_language[i("MCO"), i("FRA")] and not world.colony[i("MCO"), i("DZA")]


def test_language_of_practice(world: World) -> None:
    """The common official language, except at the Gulf's destinations (docs/data.md §1.5):
    doctors share it in Arabic or English, nurses in English; the initial stock's rule."""
    i, doctors, nurses = world.index, CADRES.index("doctors"), CADRES.index("nurses")
    practice = world.practice_language
    gcc = [i(c) for c in ("ARE", "BHR", "KWT", "OMN", "QAT", "SAU")]
    outside = np.ones(world.n_countries, dtype=bool)
    outside[gcc] = False
    for k in (doctors, nurses):
        assert np.array_equal(practice[:, outside, k], world.common_language[:, outside])
    english = world.common_language[:, i("GBR")].copy()
    english[i("GBR")] = True
    for d in gcc:
        assert np.array_equal(practice[:, d, nurses], english)
        assert np.array_equal(practice[:, d, doctors], english | world.common_language[:, d])
    assert practice[i("PHL"), i("SAU"), nurses] and not world.common_language[i("PHL"), i("SAU")]
    assert practice[i("EGY"), i("SAU"), doctors] and not practice[i("EGY"), i("SAU"), nurses]


@pytest.mark.parametrize("cadre", ["doctors", "nurses"])
def test_an_affinity_table_without_the_language_of_practice_is_a_world_error(
    tmp_path: Path, cadre: str
) -> None:
    """A bundled affinity.csv built before the language of practice (2026-12-05) names the
    missing column and the build script, rather than failing with a traceback."""
    for path in DATA_DIR.iterdir():
        if path.is_file():
            (tmp_path / path.name).write_bytes(path.read_bytes())
    table = tmp_path / "affinity.csv"
    with table.open(encoding="utf-8", newline="") as f:
        old = [{k: v for k, v in r.items() if k != f"practice_language_{cadre}"}
               for r in csv.DictReader(f)]  # fmt: skip
    with table.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(old[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(old)
    with pytest.raises(WorldError, match=f"practice_language_{cadre}.*build_world") as err:
        load_world("global", data_dir=tmp_path)
    assert err.value.file == str(table)


def test_a_language_of_practice_other_than_0_or_1_is_a_world_error(world: World) -> None:
    bad = np.array(world.practice_language)
    bad[0, 1, 0] = 0.5
    with pytest.raises(WorldError, match=r"practice_language.*0 or 1"):
        dataclasses.replace(world, practice_language=bad)


def test_safeguards_check_follows_the_published_criteria(world: World) -> None:
    rows = raw_rows(DATA_DIR / "safeguards_check.csv")
    status = {r["iso3"]: r["status"] for r in rows}
    for code in map(str, world.iso3):
        k = world.index(code)
        total = world.doctors_density[k] + world.nurses_density[k]
        recomputed = total < 49 and world.uhc_index[k] < 55
        published = bool(world.safeguards[k])
        if recomputed or published:
            expected = (
                "both"
                if recomputed == published
                else "recomputed_not_published"
                if recomputed
                else "published_not_recomputed"
            )
            assert status.pop(code) == expected
    assert not status


# ----------------------------------------------------------------------------------------------
# lookup, subsets, summary


def test_index_and_did_you_mean(world: World) -> None:
    assert world.index("GBR") == world.index("gbr ") == list(world.iso3).index("GBR")
    with pytest.raises(WorldError, match=r"unknown country code 'NGR'.*did you mean NGA"):
        world.index("NGR")
    with pytest.raises(WorldError, match=r"did you mean GBR"):
        world.index("UK")


def test_subset_keeps_world_order_and_matrices(world: World) -> None:
    sub = world.subset(["PHL", "GBR", "NGA", "IND", "GBR"])
    assert list(sub.iso3) == ["GBR", "IND", "NGA", "PHL"]
    for o in sub.iso3:
        assert sub.population[sub.index(o)] == world.population[world.index(o)]
        for d in sub.iso3:
            for field in ("ftd_doctors", "migrant_stock", "distance_km", "colony"):
                a = getattr(sub, field)[sub.index(o), sub.index(d)]
                assert a == getattr(world, field)[world.index(o), world.index(d)]
    assert sub.pop_projection.shape == (4, len(world.proj_years))
    assert sub.summary()["n_countries"] == 4
    assert sub.summary()["safeguards"] == ["NGA"]
    with pytest.raises(WorldError, match="did you mean"):
        world.subset(["GBR", "NGR"])
    with pytest.raises(WorldError, match="empty"):
        world.subset([])


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_subset_property(world: World, data: st.DataObject) -> None:
    codes = data.draw(st.lists(st.sampled_from(list(map(str, world.iso3))), min_size=1))
    sub = world.subset(codes)
    idx = np.array(sorted({world.index(c) for c in codes}))
    assert list(sub.iso3) == list(world.iso3[idx])
    for field in ("ftd_doctors", "migrant_stock", "distance_km", "common_language", "colony"):
        assert np.array_equal(getattr(sub, field), getattr(world, field)[np.ix_(idx, idx)])
    for field in ("practice_language", "initial_foreign_trained", "recruitment_partner_from"):
        assert np.array_equal(getattr(sub, field), getattr(world, field)[np.ix_(idx, idx)])
    assert np.array_equal(sub.pop_projection, world.pop_projection[idx])
    assert sub.summary()["doctors"] == pytest.approx(world.doctors[idx].sum())


def test_load_world_countries_argument() -> None:
    sub = load_world("global", countries=["KEN", "GHA", "GBR"])
    assert list(sub.iso3) == ["GBR", "GHA", "KEN"]
    with pytest.raises(WorldError) as err:
        load_world("global", countries=["GBR", "XYZ"])
    assert err.value.key_path == "world.countries"
    assert load_world("archetypes", countries="all").n_countries == 5


def test_world_is_immutable(world: World) -> None:
    with pytest.raises(ValueError, match="read-only"):
        world.population[0] = 1.0
    with pytest.raises(AttributeError):
        world.kind = "other"  # type: ignore[misc]


@pytest.mark.parametrize("change", ["negative", "empty"])
def test_age_shares_must_be_non_negative_with_workers_in_some_band(world: World, change) -> None:
    """The initial ages are drawn by a binary search over cumulative shares
    (`rules.first_exceeding`), exact only where they never decrease."""
    shares = np.array(world.age_shares)
    if change == "negative":
        shares[3, 1, 2] = -0.1
    else:
        shares[3, 1, :] = 0.0
    with pytest.raises(WorldError, match="age_shares"):
        dataclasses.replace(world, age_shares=shares)


def test_summary(world: World) -> None:
    s = world.summary()
    assert s["n_countries"] == 194 and s["base_year"] == 2020 and s["n_safeguards"] == 55
    assert len(s["safeguards"]) == 55 and "NGA" in s["safeguards"]
    assert s["doctors"] == pytest.approx(world.doctors.sum())
    import json

    json.dumps(s)


# ----------------------------------------------------------------------------------------------
# archetypes and world files


def test_archetypes_world() -> None:
    w = load_world("archetypes")
    assert w.kind == "archetypes"
    assert list(w.iso3) == ["XSR", "XEX", "XMI", "XDA", "XDB"]
    assert list(w.income_group) == ["L", "LM", "UM", "H", "H"]
    assert list(w.safeguards) == [True, False, False, False, False]
    assert np.array_equal(w.distance_km, w.distance_km.T) and (w.distance_km > 0).all()
    assert np.allclose(w.doctors, w.doctors_density * w.population / 1e4)
    i = int(np.flatnonzero(w.proj_years == w.base_year)[0])
    assert np.allclose(w.pop_projection[:, i], w.population)
    assert w.ftd_doctors[w.index("XSR"), w.index("XDA")] > 0
    assert list(w.ftd_reported) == [False, False, False, True, True]
    assert w.summary()["imputations"] == {}
    # the same file read as a user's world file gives the same world
    f = load_world("file", ARCHETYPES_FILE)
    assert f.kind == "file" and np.array_equal(f.migrant_stock, w.migrant_stock)


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    """The archetypes file with its first ``old`` after the documentation header replaced."""
    text = ARCHETYPES_FILE.read_text(encoding="utf-8")
    cut = text.index("\nname: archetypes")
    head, body = text[:cut], text[cut:]
    assert old in body
    path = tmp_path / "my_world.yaml"
    path.write_text(head + body.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "key_path", "message", "expected"),
    [
        ("    population: 8000000\n", "", "countries.0", "missing key 'population'", "a number"),
        ("population: 8000000", "population: -5", "countries.0.population", "out of range",
         "1..3e+09"),
        ("population: 8000000", "population: many", "countries.0.population",
         "expected a number", "a number"),
        ("safeguards: true", "safeguards: 1", "countries.0.safeguards", "true or false",
         "true or false"),
        ("urban_share: 0.35", "urban_shar: 0.35", "countries.0.urban_shar",
         "did you mean 'urban_share'", "one of"),
        ("who_region: AFR", "who_region: AFRO", "countries.0.who_region", "did you mean 'AFR'",
         "AFR, AMR"),
        ("{origin: XSR, destination: XDA,", "{origin: XSX, destination: XDA,",
         "corridors.0.origin", "did you mean 'XSR'", "XSR, XEX"),
        ("  - {between: [XSR, XEX], distance_km: 11000}\n", "", "pairs", "XSR-XEX",
         "per pair"),
        ("iso3: XEX", "iso3: XSR", "countries.1.iso3", "defined twice", "used once"),
    ],
)  # fmt: skip
def test_bad_world_files(
    tmp_path: Path, old: str, new: str, key_path: str, message: str, expected: str
) -> None:
    path = _variant(tmp_path, old, new)
    with pytest.raises(WorldError) as err:
        load_world("file", path)
    e = err.value
    assert isinstance(e, HrhsimError)
    assert e.file == str(path) and e.key_path == key_path and isinstance(e.line, int)
    assert message in str(e) and expected in (e.expected or "")
    assert str(e).startswith(f"{path}:{e.line}: {key_path}: ")


def test_malformed_yaml_and_missing_file(tmp_path: Path) -> None:
    path = _variant(
        tmp_path, "{between: [XSR, XEX], distance_km", "{between: [XSR, XEX distance_km"
    )
    with pytest.raises(WorldError, match=r"my_world\.yaml:\d+: malformed YAML"):
        load_world("file", path)
    with pytest.raises(WorldError, match="world file not found"):
        load_world("file", tmp_path / "nope.yaml")
    with pytest.raises(WorldError, match="did you mean 'global'"):
        load_world("globl")
    with pytest.raises(WorldError, match=r"world\.file"):
        load_world("file")


def test_error_message_format() -> None:
    full = WorldError("bad", file="w.yaml", line=3, key_path="a.b", expected="x")
    assert str(full) == "w.yaml:3: a.b: bad (expected x)"
    assert str(WorldError("bad")) == "bad"
    assert str(WorldError("bad", key_path="a")) == "a: bad"


# ----------------------------------------------------------------------------------------------
# the build script


def test_build_reproduces_the_committed_tables(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_world.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    assert "imputed" in result.stderr  # the log reports imputations per field
    for name in DERIVED:
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), name
    rebuilt = load_world("global", data_dir=tmp_path)
    assert rebuilt.n_countries == 194
    assert math.isclose(rebuilt.doctors.sum(), load_world().doctors.sum())
    assert np.array_equal(rebuilt.initial_foreign_trained, load_world().initial_foreign_trained)


def test_safeguards_list_recomputation_reports_the_differences():
    from sim.inputs.world import load_world

    check = load_world("global").recompute_safeguards()
    assert check["n_recomputed"] == 55
    # Every difference sits at the UHC threshold (see sim/data/safeguards_check.csv).
    assert sorted(check["recomputed_only"]) == ["IDN", "KEN", "MMR"]
    assert sorted(check["published_only"]) == ["WSM", "ZMB", "ZWE"]


def test_a_world_file_that_is_not_yaml_is_not_echoed_whole(tmp_path):
    """A 3 MB line of text (or /etc/passwd) was printed in full in the error."""
    from sim.errors import WorldError
    from sim.inputs.worldfile import read_world_file

    path = tmp_path / "big.txt"
    path.write_text("x" * 3_000_000 + "\n")
    with pytest.raises(WorldError) as err:
        read_world_file(path)
    assert "expected a mapping" in str(err.value) and len(str(err.value)) < 400
