"""scripts/composition_targets.py: a destination's established origins and their share are derived
from the OECD's counts in the repository, the mapping compares them with the model's arrivals, and
the shipped files are what the script writes."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.model_helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import composition_targets as ct


def _stocks(cells):
    return pd.DataFrame(cells, columns=["origin", "destination", "doctors"])


def test_established_origins_are_the_largest_that_hold_the_share():
    stocks = _stocks([("IND", "GBR", 50), ("PAK", "GBR", 25), ("NGA", "GBR", 15),
                      ("EGY", "GBR", 10), ("GBR", "GBR", 999), ("DEU", "AUS", 9)])  # fmt: skip
    table = ct.established_shares(stocks)
    # 50 + 25 < 80% of 100, NGA crosses the line and is included, EGY is not; the own-trained row
    # is left out; Australia's list is partial (PARTIAL_LISTS) and has no target
    assert list(table.index) == ["GBR"]
    assert table.loc["GBR", "established"] == ("IND", "NGA", "PAK")
    assert np.isclose(table.loc["GBR", "share"], 0.90)


@given(st.lists(st.integers(1, 1_000), min_size=1, max_size=30))
def test_the_established_origins_hold_the_share_and_no_fewer_would(counts):
    stocks = _stocks([(f"O{i:02d}", "DEU", n) for i, n in enumerate(counts)])
    row = ct.established_shares(stocks).loc["DEU"]
    total = sum(counts)
    held = [n for i, n in enumerate(counts) if f"O{i:02d}" in row.established]
    others = [n for i, n in enumerate(counts) if f"O{i:02d}" not in row.established]
    assert np.isclose(row.share, sum(held) / total)
    assert sum(held) >= ct.ESTABLISHED * total  # they hold the share...
    assert sum(held) - min(held) < ct.ESTABLISHED * total  # ...and without the smallest they don't
    assert min(held) >= max(others, default=0)  # the largest origins, not any that add up


def test_targets_hold_out_one_in_three_and_compare_arrivals():
    texts = ct.render()
    mapping = yaml.safe_load(texts["mapping.yaml"])
    rows = pd.read_csv(pd.io.common.StringIO(texts["targets.csv"]))
    assert list(rows.id) == [f"K{i:02d}" for i in range(1, len(rows) + 1)]
    roles = [mapping["targets"][i]["role"] for i in rows.id]
    assert roles == ["holdout" if n % 3 == 0 else "fit" for n in range(1, len(rows) + 1)]
    k01 = mapping["targets"]["K01"]
    assert k01["year"] == [2020, 2025] and k01["stat"] == "mean"
    # by country of training, as the 2018 stock counts them (a doctor coming home is no arrival)
    assert k01["output"]["ratio"]["denominator"]["arrival"] == {"origins": "foreign"}
    assert "arrival" in k01["output"]["ratio"]["numerator"]
    assert "AUS" not in set(rows.geography)  # a partial list
    joint = yaml.safe_load(texts["joint_mapping.yaml"])
    glob = yaml.safe_load((ROOT / "calibration" / "mapping.yaml").read_text(encoding="utf-8"))
    assert set(joint["targets"]) == set(glob["targets"]) | set(mapping["targets"])


def test_the_shipped_targets_are_what_the_script_writes():
    assert ct.main(["--check"]) == 0
