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
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.inputs.scenario import load_scenario
from sim.model.setup import RELIANCE_REFERENCE, reliance_multiplier, setup
from sim.runner import world_for
from tests.model_helpers import SCENARIOS, archetypes, run_all

COUNTRIES = ["IND", "PHL", "NGA", "GBR", "POL", "SAU", "DEU"]


def _scenario(eta: float | None = None):
    over = {"world.countries": COUNTRIES, "scale.workers_per_agent": 200.0, "replicates": 1}
    over.update({"time.years": 3})
    if eta is not None:
        over["workforce.recruitment_reliance_elasticity"] = eta
    return load_scenario(SCENARIOS / "baseline.yaml").with_overrides(over)


@functools.cache
def _world():
    return world_for(_scenario().data)


def _shares(world) -> np.ndarray:
    stock = np.stack([np.asarray(world.doctors, float), np.asarray(world.nurses, float)], axis=1)
    return np.asarray(world.initial_foreign_trained).sum(axis=0) / stock


@settings(max_examples=30, deadline=None)
@given(eta=st.floats(0.0, 2.0))
def test_the_multiplier_is_the_relative_share_to_the_power_eta(eta):
    world = _world()
    wf = {"recruitment_reliance_elasticity": eta}
    m = reliance_multiplier(wf, world)
    uk = world.index(RELIANCE_REFERENCE)
    np.testing.assert_allclose(m[uk], 1.0)
    share = _shares(world)
    np.testing.assert_allclose(m, (share / share[uk]) ** eta, rtol=1e-12)
    for k in range(m.shape[1]):  # destinations keep the order of their shares
        order = np.argsort(share[:, k], kind="stable")
        assert np.all(np.diff(m[order, k]) >= 0)


def test_eta_zero_is_a_common_intensity_and_world_files_have_none():
    world = _world()
    np.testing.assert_array_equal(
        reliance_multiplier({"recruitment_reliance_elasticity": 0.0}, world), 1.0
    )
    arche = archetypes().data
    m = reliance_multiplier(arche["workforce"], world_for(arche))
    np.testing.assert_array_equal(m, 1.0)


def test_setup_scales_the_intensity_of_each_destination():
    data = _scenario().data
    world = world_for(data)
    s = setup(data, world)
    rho = float(data["workforce"]["recruitment_intensity"])
    m = reliance_multiplier(data["workforce"], world)
    for iso in ("GBR", "POL", "SAU", "DEU"):
        c = world.index(iso)
        np.testing.assert_allclose(s.recruitment_intensity[c], rho * m[c])
    assert s.recruitment_intensity[world.index("POL"), 1] < 0.1 * rho
    assert s.recruitment_intensity[world.index("SAU"), 1] > 2 * rho


def _immigrants(eta: float) -> dict[str, float]:
    ind, _ = run_all(_scenario(eta), replicates=2, seed=7)
    rows = ind[(ind.indicator == "immigrants") & (ind.cadre == "all") & (ind.area == "all")]
    return rows.groupby("country").value.sum().to_dict()


@pytest.fixture(scope="module")
def inflows():
    return {eta: _immigrants(eta) for eta in (0.0, 1.0)}


def test_reliance_moves_recruitment_from_poland_to_saudi_arabia(inflows):
    common, revealed = inflows[0.0], inflows[1.0]
    assert revealed["POL"] < 0.5 * common["POL"]
    assert revealed["SAU"] > common["SAU"]
