"""scripts/merge_posterior.py: a block calibration's posterior put into the shipped sample.

The shipped sample (`calibration/posterior.csv`) must carry, for every parameter a block
calibration refitted, values from that block's posterior: otherwise `uncertainty: {kind:
parameters}` would run the block's new mechanisms with the global calibration's old constants.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from merge_posterior import merge  # noqa: E402


@settings(max_examples=30, deadline=None)
@given(n_base=st.integers(1, 60), n_block=st.integers(1, 25), seed=st.integers(0, 100))
def test_every_row_takes_the_block_columns_from_one_block_row(n_base, n_block, seed):
    base = pd.DataFrame(
        {"draw": np.arange(n_base), "a": np.arange(n_base) * 1.0, "b": -np.arange(n_base) * 1.0}
    )
    block = pd.DataFrame(
        {
            "draw": np.arange(n_block),
            "b": 100.0 + np.arange(n_block),
            "c": 200.0 + np.arange(n_block),
        }
    )
    out = merge(base, block, seed)
    assert list(out.columns) == ["draw", "a", "b", "c"]
    pd.testing.assert_series_equal(out["draw"], base["draw"])
    pd.testing.assert_series_equal(out["a"], base["a"])  # columns the block did not fit are kept
    rows = (out["b"] - 100.0).astype(int)
    assert (out["c"] - 200.0).astype(int).equals(rows)  # one block row per base row
    # the block's rows are used evenly: each at most ceil(n_base / n_block) times
    assert rows.value_counts().max() <= -(-n_base // n_block)
    pd.testing.assert_frame_equal(out, merge(base, block, seed))  # seeded


def test_the_shipped_sample_is_the_global_one_merged_with_every_adopted_block():
    calibration = REPO / "calibration"
    shipped = pd.read_csv(calibration / "posterior.csv")
    rebuilt = merge(
        merge(
            merge(
                pd.read_csv(calibration / "posterior_global.csv"),
                pd.read_csv(calibration / "trend" / "posterior.csv"),
                1,
            ),
            pd.read_csv(calibration / "origins" / "posterior.csv"),
            1,
            {"behaviour.leave_constant": -2.57419},  # what calibration/origins.yaml held
        ),
        pd.read_csv(calibration / "rural" / "posterior.csv"),
        1,
    )
    rebuilt = merge(rebuilt, pd.read_csv(calibration / "gradient" / "posterior.csv"), 1)
    rebuilt = merge(rebuilt, pd.read_csv(calibration / "hazards" / "posterior.csv"), 1)
    rebuilt = merge(rebuilt, pd.read_csv(calibration / "europe" / "posterior.csv"), 1)
    rebuilt = merge(rebuilt, pd.read_csv(calibration / "composition" / "posterior.csv"), 1)
    rebuilt = merge(rebuilt, pd.read_csv(calibration / "partners" / "posterior.csv"), 1)
    pd.testing.assert_frame_equal(shipped, rebuilt, check_exact=False, rtol=1e-12)
    held = yaml.safe_load((calibration / "origins.yaml").read_text(encoding="utf-8"))["set"]
    assert held["behaviour.leave_constant"] == -2.57419


def test_a_held_parameter_is_set_and_cannot_also_be_fitted():
    base = pd.DataFrame({"draw": [0, 1], "a": [1.0, 2.0], "h": [5.0, 6.0]})
    block = pd.DataFrame({"draw": [0], "a": [9.0]})
    assert merge(base, block, 0, {"h": 3.0})["h"].tolist() == [3.0, 3.0]
    with pytest.raises(ValueError, match="cannot also be held"):
        merge(base, block, 0, {"a": 3.0})


def test_a_sample_without_draws_is_a_clear_error(tmp_path):
    pd.DataFrame({"a": [1.0]}).to_csv(tmp_path / "base.csv", index=False)
    pd.DataFrame({"draw": [0], "a": [2.0]}).to_csv(tmp_path / "block.csv", index=False)
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "merge_posterior.py"), "base.csv", "block.csv"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "'draw' column" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unwritable_output_is_a_clear_error(tmp_path):
    pd.DataFrame({"draw": [0], "a": [1.0]}).to_csv(tmp_path / "base.csv", index=False)
    pd.DataFrame({"draw": [0], "a": [2.0]}).to_csv(tmp_path / "block.csv", index=False)
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "merge_posterior.py"), "base.csv", "block.csv",
         "-o", str(tmp_path / "missing" / "out.csv")],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("merge_posterior:") and "Traceback" not in done.stderr
