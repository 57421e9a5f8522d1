"""Ireland's GDP is not its national income: the world build reads its GDP per capita level times
GNI*/GDP of the same year (``raw/literature/national_income.csv``, CSO), the build's data rule
(``scripts/worldbuild/demand.py``: ``GDP_NOT_NATIONAL_INCOME``, ``national_income_level``)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.inputs.world import DATA_DIR, load_world

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from worldbuild import demand, literature  # noqa: E402

RAW = DATA_DIR / "raw"
INCOME_FILE = RAW / "literature" / "national_income.csv"
HEADER = "country,year,gdp,national_income,measure,unit,confidence,source\n"


def _countries(gdp_year: int = 2024) -> pd.DataFrame:
    return pd.DataFrame(
        {"gdp_pc_ppp": [100_000.0, 50_000.0], "gdp_year": [gdp_year, 2024]},
        index=pd.Index(["IRL", "FRA"], name="iso3"),
    )


def _file(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "national_income.csv"
    path.write_text(HEADER + rows)
    return path


ROW = 'IRL,{year},{gdp},{ni},GNI*,"EUR million",primary,CSO\n'


@settings(max_examples=30, deadline=None)
@given(
    gdp=st.integers(1_000, 10**7),
    share=st.floats(0.31, 1.49),
    year=st.integers(2000, 2030),
)
def test_level_is_gdp_times_national_income_share_of_its_year(
    tmp_path_factory, gdp: int, share: float, year: int
) -> None:
    national = max(1, round(gdp * share))
    rows = ROW.format(year=year, gdp=gdp, ni=national)
    rows += ROW.format(year=year + 1, gdp=1, ni=1)  # another year is not read
    path = _file(tmp_path_factory.mktemp("ni"), rows)
    df = _countries(gdp_year=year)
    demand.national_income_level(df, path)
    assert df.at["IRL", "gdp_pc_ppp"] == pytest.approx(100_000.0 * national / gdp, rel=1e-12)
    assert df.at["FRA", "gdp_pc_ppp"] == 50_000.0  # GDP elsewhere, untouched
    assert df["gdp_basis"].tolist() == ["GNI*", "gdp"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            ROW.format(year=2023, gdp=10, ni=5),
            r"no row for IRL in 2024, the year of its GDP .*expected a row \(IRL, 2024\)",
        ),
        (
            ROW.format(year=2024, gdp=10, ni=5)
            + ROW.replace("IRL", "FRA").format(year=2024, gdp=10, ni=5),
            r"lists \['FRA', 'IRL'\], expected the countries whose GDP is not national income",
        ),
        ("", r"lists \[\], expected .*\['IRL'\]"),  # Ireland not left at its GDP
        (
            ROW.format(year=2024, gdp=0, ni=5),
            r"row 2 \(IRL, 2024\): gdp must be a positive number \(current prices\), not '0'",
        ),
        (
            ROW.format(year=2024, gdp=10, ni=0),
            r"row 2 \(IRL, 2024\): national_income must be a positive number",
        ),
        (
            ROW.format(year=2024, gdp=10, ni="x"),
            r"national_income must be a positive number \(current prices\), not 'x'",
        ),
        (ROW.format(year=2024.5, gdp=10, ni=5), r"year must be a whole year in 1990-2100"),
        (ROW.format(year=2101, gdp=10, ni=5), r"row 2 \(IRL, 2101\): year must be a whole year"),
        (
            ROW.format(year=2024, gdp=5, ni=10),
            r"national_income / gdp is 2, expected 0.3-1.5 \(a typing error, or the two columns",
        ),
        (ROW.format(year=2024, gdp=100, ni=1), r"national_income / gdp is 0.01, expected 0.3-1.5"),
        (
            ROW.format(year=2024, gdp=10, ni=5) * 2,
            r"more than one row for \[\('IRL', 2024\)\], expected one row per country and year",
        ),
        (
            ROW.replace("IRL", "XXX").format(year=2024, gdp=1, ni=1),
            r"unknown country codes in country: \['XXX'\]; expected the ISO3 codes",
        ),
        (
            ROW.replace("primary", "hearsay").format(year=2024, gdp=1, ni=1),
            r"confidence must be one of",
        ),
    ],
)
def test_bad_rows_are_refused_naming_the_file(tmp_path: Path, rows: str, message: str) -> None:
    path = _file(tmp_path, rows)
    with pytest.raises(ValueError, match=message) as caught:
        demand.national_income_level(_countries(), path)
    assert str(path) in str(caught.value)


def test_a_country_without_gdp_is_refused(tmp_path: Path) -> None:
    path = _file(tmp_path, ROW.format(year=2024, gdp=10, ni=5))
    df = _countries()
    df["gdp_year"] = df["gdp_year"].astype("Int64")
    df.at["IRL", "gdp_year"] = pd.NA
    with pytest.raises(ValueError, match=r"IRL has no GDP per capita in WDI \(no gdp_year\)"):
        demand.national_income_level(df, path)


def test_the_measure_is_that_of_the_year_read(tmp_path: Path) -> None:
    rows = ROW.format(year=2023, gdp=10, ni=5).replace("GNI*", "GNI")
    rows += ROW.format(year=2024, gdp=10, ni=6)
    rows += ROW.format(year=2025, gdp=10, ni=7).replace("GNI*", "GNP")
    df = _countries()
    demand.national_income_level(df, _file(tmp_path, rows))
    assert df.at["IRL", "gdp_basis"] == "GNI*"
    assert df.at["IRL", "gdp_pc_ppp"] == pytest.approx(60_000.0)


def test_bundled_file_gives_cso_shares() -> None:
    shares = literature.national_income_shares(INCOME_FILE, ["IRL"])
    # CSO, Annual National Accounts 2025, Table 2.1: GNI* 57.2% of GDP in 2024, 55.4% in 2025
    assert shares.at[("IRL", 2024), "share"] == pytest.approx(0.572, abs=5e-4)
    assert shares.at[("IRL", 2025), "share"] == pytest.approx(0.554, abs=5e-4)
    assert set(shares["measure"]) == {"GNI*"}
    assert set(shares.index.get_level_values("iso3")) == set(demand.GDP_NOT_NATIONAL_INCOME)


def test_bundled_world_reads_irelands_national_income() -> None:
    countries = pd.read_csv(DATA_DIR / "countries.csv").set_index("iso3")
    assert (countries["gdp_basis"] == "gdp").sum() == len(countries) - 1
    assert countries.at["IRL", "gdp_basis"] == "GNI*"
    wdi = pd.read_csv(
        RAW / "wdi_2025" / "API_NY.GDP.PCAP.PP.CD_DS2_en_csv_v2_216039.csv", skiprows=4
    )
    year = int(countries.at["IRL", "gdp_year"])
    ireland_gdp = float(wdi.set_index("Country Code").at["IRL", str(year)])
    share = literature.national_income_shares(INCOME_FILE, ["IRL"]).at[("IRL", year), "share"]
    assert countries.at["IRL", "gdp_pc_ppp"] == pytest.approx(ireland_gdp * share, abs=0.01)
    # Ireland's income level is now within the range of its peers' (it was 2.2 times the UK's)
    assert 1.0 < countries.at["IRL", "gdp_pc_ppp"] / countries.at["GBR", "gdp_pc_ppp"] < 1.5
    world = load_world()
    i = world.index("IRL")
    assert world.gdp_pc_ppp[i] == pytest.approx(countries.at["IRL", "gdp_pc_ppp"])
    assert np.isfinite(world.income_relative[i])
