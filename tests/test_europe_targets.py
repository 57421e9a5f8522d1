"""scripts/europe_targets.py: the European composition targets are derived from the OECD's counts
in the repository, and the shipped file is what the script writes."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from tests.model_helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import europe_targets


def test_area_shares_count_members_trained_elsewhere_in_the_area():
    stocks = pd.DataFrame(
        [("FRA", "DEU", 30), ("IND", "DEU", 70), ("DEU", "DEU", 999), ("GBR", "IRL", 50),
         ("ESP", "IRL", 10), ("PHL", "USA", 500)],
        columns=["origin", "destination", "doctors"],
    )  # fmt: skip
    table = europe_targets.area_shares(stocks, {"DEU", "FRA", "ESP", "IRL"})
    assert list(table.index) == ["DEU", "IRL"]  # largest first; the USA is not a member
    assert table.loc["DEU"].tolist() == [100, 30, 0.3]  # the own-trained row left out
    assert np.isclose(table.loc["IRL", "share"], 10 / 60)  # the UK is not a member


def test_the_rows_are_the_total_then_the_large_destinations():
    table = pd.DataFrame({"foreign": [6_000, 4_000], "member": [3_000, 1_000]},
                         index=["DEU", "AUT"]).assign(share=[0.5, 0.25])  # fmt: skip
    rows = europe_targets.target_rows(table)
    assert [r["id"] for r in rows] == ["E01", "E02"]
    assert rows[0]["value"] == "~40.0" and "(4,000 of 10,000)" in rows[0]["quantity"]
    assert rows[1]["geography"] == "DEU" and rows[1]["value"] == "~50.0"


def test_the_shipped_targets_are_what_the_script_writes():
    assert europe_targets.main(["--check"]) == 0
