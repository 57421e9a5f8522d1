"""Recruitment intensity by revealed reliance (ODD §7.2): a destination opens international posts
at the common intensity times (its foreign-trained share / the UK's)^η.

Checked by definition (the UK is the reference, η = 0 is a common intensity, the multiplier
orders destinations as their shares do, world files have none) and by direction: with η > 0, a
destination that has recruited little (Poland) takes fewer foreign-trained workers and one that
has recruited much (Saudi Arabia) more, in two runs with the same seeds.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.declarations import CADRES, RECRUITMENT_REFERENCE
from sim.errors import WorldError
from sim.inputs.scenario import load_scenario
from sim.inputs.world import DATA_DIR, load_world
from sim.model.setup import reliance_multiplier, setup
from sim.runner import world_for
from tests.model_helpers import SCENARIOS, archetypes, run_all

COUNTRIES = ["IND", "PHL", "NGA", "GBR", "POL", "SAU", "DEU"]


def _scenario(eta: float | None = None):
    over = {"world.countries": COUNTRIES, "scale.workers_per_agent": 200.0, "replicates": 1}
    over.update({"time.years": 3, "time.spin_up_from": None})  # from the data: the first years
    if eta is not None:
        over["workforce.recruitment_reliance_elasticity"] = eta
    return load_scenario(SCENARIOS / "baseline.yaml").with_overrides(over)


@functools.cache
def _world():
    return world_for(_scenario().data)


@functools.cache
def _full_world():
    return world_for(load_scenario(SCENARIOS / "baseline.yaml").data)


def test_the_relative_shares_are_the_published_and_modelled_totals_over_the_uk():
    totals = pd.read_csv(DATA_DIR / "foreign_trained_totals.csv")
    share = totals.pivot(index="destination", columns="cadre", values="share")[list(CADRES)]
    world = _full_world()
    rel = np.asarray(world.foreign_trained_relative)
    for iso, row in share.iterrows():
        expected = row.to_numpy() / share.loc[RECRUITMENT_REFERENCE].to_numpy()
        np.testing.assert_allclose(rel[world.index(iso)], expected, rtol=1e-3)


def test_the_relative_shares_do_not_depend_on_the_countries_simulated():
    full, subset = _full_world(), _world()
    rows = [full.index(c) for c in subset.iso3]
    np.testing.assert_array_equal(
        np.asarray(subset.foreign_trained_relative), np.asarray(full.foreign_trained_relative)[rows]
    )
    without_uk = full.subset(["IND", "POL", "SAU"])
    np.testing.assert_array_equal(
        np.asarray(without_uk.foreign_trained_relative),
        np.asarray(full.foreign_trained_relative)[[full.index(c) for c in ("IND", "POL", "SAU")]],
    )


def test_a_reference_without_foreign_trained_workers_is_a_clear_error(tmp_path):
    for table in DATA_DIR.glob("*.csv"):
        (tmp_path / table.name).write_bytes(table.read_bytes())
    path = tmp_path / "initial_foreign_trained.csv"
    foreign = pd.read_csv(path, dtype=str, keep_default_na=False)
    foreign[foreign.destination != RECRUITMENT_REFERENCE].to_csv(path, index=False)
    with pytest.raises(WorldError, match="reference destination GBR"):
        load_world("global", data_dir=tmp_path)


@settings(max_examples=30, deadline=None)
@given(eta=st.floats(0.0, 2.0))
def test_the_multiplier_is_the_relative_share_to_the_power_eta(eta):
    world = _full_world()
    m = reliance_multiplier({"recruitment_reliance_elasticity": eta}, world)
    np.testing.assert_allclose(m[world.index(RECRUITMENT_REFERENCE)], 1.0)
    rel = np.asarray(world.foreign_trained_relative)
    np.testing.assert_allclose(m, rel**eta, rtol=1e-12)
    assert np.isfinite(m).all()
    for k in range(m.shape[1]):  # destinations keep the order of their shares
        order = np.argsort(rel[:, k], kind="stable")
        assert np.all(np.diff(m[order, k]) >= 0)


def test_eta_zero_is_a_common_intensity_and_world_files_have_none():
    np.testing.assert_array_equal(
        reliance_multiplier({"recruitment_reliance_elasticity": 0.0}, _full_world()), 1.0
    )
    arche = archetypes().data
    world = world_for(arche)
    assert world.foreign_trained_relative is None
    np.testing.assert_array_equal(reliance_multiplier(arche["workforce"], world), 1.0)


def test_setup_scales_the_intensity_of_each_destination_and_no_other_country():
    data = _scenario().data
    world = world_for(data)
    s = setup(data, world)
    rho = float(data["workforce"]["recruitment_intensity"])
    m = reliance_multiplier(data["workforce"], world)
    for iso in ("GBR", "POL", "SAU", "DEU"):
        c = world.index(iso)
        np.testing.assert_allclose(s.recruitment_intensity[c], rho * m[c])
    common = setup(_scenario(0.0).data, world)  # a multiplier of one everywhere
    for iso in ("IND", "PHL", "NGA"):  # not destinations: no international posts
        np.testing.assert_array_equal(s.recruitment_intensity[world.index(iso)], 0.0)
        np.testing.assert_array_equal(common.recruitment_intensity[world.index(iso)], 0.0)
    assert s.recruitment_intensity[world.index("POL"), 1] < 0.1 * rho
    assert s.recruitment_intensity[world.index("SAU"), 1] > 2 * rho


def _totals(eta: float) -> dict[str, dict[str, float]]:
    """International posts and hires over the run, by country (two replicates, same seeds)."""
    ind, _ = run_all(_scenario(eta), replicates=2, seed=7)
    ind = ind[(ind.cadre == "all") & (ind.area == "all")]
    return {
        name: ind[ind.indicator == name].groupby("country").value.sum().to_dict()
        for name in ("international_posts", "international_hires")
    }


@pytest.fixture(scope="module")
def runs():
    return {eta: _totals(eta) for eta in (0.0, 1.0)}


def test_reliance_moves_recruitment_from_poland_to_saudi_arabia(runs):
    common, revealed = runs[0.0], runs[1.0]
    # Poland's intensity is 6-7% of the UK's: its posts follow, its hires fall
    assert revealed["international_posts"]["POL"] < 0.1 * common["international_posts"]["POL"]
    assert revealed["international_hires"]["POL"] < common["international_hires"]["POL"]
    assert revealed["international_hires"]["SAU"] > common["international_hires"]["SAU"]
    # the UK is the reference: its intensity does not change
    uk = [r["international_posts"]["GBR"] for r in (common, revealed)]
    assert uk[1] == pytest.approx(uk[0], rel=0.05)
