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
    gdp=st.integers(1, 10**7),
    share=st.floats(0.05, 2.0),
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
        (ROW.format(year=2023, gdp=10, ni=5), r"no row for IRL in 2024, the year of its GDP"),
        (
            ROW.format(year=2024, gdp=10, ni=5)
            + ROW.replace("IRL", "FRA").format(year=2024, gdp=10, ni=5),
            r"lists \['FRA', 'IRL'\], expected the countries whose GDP is not national income",
        ),
        (ROW.format(year=2024, gdp=0, ni=5), r"gdp must be a positive number, not \['0'\]"),
        (
            ROW.format(year=2024, gdp=10, ni="x"),
            r"national_income must be a positive number, not \['x'\]",
        ),
        (ROW.format(year=2024.5, gdp=10, ni=5), r"year must be a whole year \(1990-2100\)"),
        (ROW.format(year=2024, gdp=10, ni=5) * 2, r"more than one row for \[\('IRL', 2024\)\]"),
        (ROW.replace("IRL", "XXX").format(year=2024, gdp=1, ni=1), r"unknown country codes"),
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


def test_bundled_file_gives_cso_shares() -> None:
    shares = literature.national_income_shares(INCOME_FILE, ["IRL"])
    # CSO, Annual National Accounts 2025, Table 2.1: GNI* 57.2% of GDP in 2024, 55.4% in 2025
    assert shares[("IRL", 2024)] == pytest.approx(0.572, abs=5e-4)
    assert shares[("IRL", 2025)] == pytest.approx(0.554, abs=5e-4)
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
    share = literature.national_income_shares(INCOME_FILE, ["IRL"])[("IRL", year)]
    assert countries.at["IRL", "gdp_pc_ppp"] == pytest.approx(ireland_gdp * share, abs=0.01)
    # Ireland's income level is now within the range of its peers' (it was 2.2 times the UK's)
    assert 1.0 < countries.at["IRL", "gdp_pc_ppp"] / countries.at["GBR", "gdp_pc_ppp"] < 1.5
    world = load_world()
    i = world.index("IRL")
    assert world.gdp_pc_ppp[i] == pytest.approx(countries.at["IRL", "gdp_pc_ppp"])
    assert np.isfinite(world.income_relative[i])
