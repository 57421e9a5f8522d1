"""The initial age profile by whole year of age (ODD §5.4, `supply.age_distribution`).

The world gives shares by age band; within each band the years are filled as the stable
population of the model's own hazards is (falling steeply once retirement starts), not evenly.
Checked: the band shares are kept exactly, the ratio of neighbouring years is the survival and
cohort growth between them, and the initial population is drawn from that profile.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.declarations import LATE_ENTRY_MAX_YEARS
from sim.inputs.scenario import load_scenario
from sim.model import supply
from tests.model_helpers import SCENARIOS, archetypes, make_model

HAZARDS = archetypes().data["hazards"]


def _band_of_year(n_years: int) -> np.ndarray:
    edges = supply.age_band_edges(HAZARDS)[0, 1:-1]  # 35, 45, 55, 65 for both cadres
    return np.searchsorted(edges, np.arange(n_years) + 0.5, side="right")


@settings(max_examples=40, deadline=None)
@given(
    raw=st.lists(st.floats(0.0, 1.0), min_size=10, max_size=10).filter(lambda r: sum(r) > 0.1),
    growth=st.floats(-0.06, 0.08),
)
def test_band_shares_are_kept_exactly_and_no_year_is_negative(raw, growth):
    shares = np.array(raw).reshape(1, 2, 5)
    shares /= shares.sum(-1, keepdims=True).clip(1e-12)
    profile = supply.age_distribution(HAZARDS, shares, np.full((1, 2), growth))
    assert (profile >= 0).all()
    band = _band_of_year(profile.shape[-1])
    for b in range(5):
        np.testing.assert_allclose(profile[..., band == b].sum(-1), shares[..., b], atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(growth=st.floats(-0.06, 0.08), late=st.sampled_from([0.0, 3.0]))
def test_neighbouring_years_differ_by_survival_and_cohort_growth(growth, late):
    """Within a band and an age range of constant hazards, n(y + 1) / n(y) = exp(−(h + g)) at
    the ages every late-entering cohort has reached (all ages when everyone enters at once)."""
    hz = {**HAZARDS, "late_entry_years": {"doctors": late, "nurses": late}}
    shares = np.full((1, 2, 5), 0.2)
    profile = supply.age_distribution(hz, shares, np.full((1, 2), growth))[0]
    attrition, retirement = supply.annual_hazards(hz, np.arange(profile.shape[-1]) + 0.5)
    for k, cadre in enumerate(("doctors", "nurses")):
        entered = hz["entry_age"][cadre] + (LATE_ENTRY_MAX_YEARS if late else 0)
        for y in (40, 50, 56, 60, 61, 66):  # pairs inside one band and one hazard age range
            if y < entered:
                continue
            h = attrition[k, y] + retirement[k, y]
            assert profile[k, y + 1] / profile[k, y] == pytest.approx(
                math.exp(-(h + growth)), rel=1e-6
            )


def test_retirement_ages_thin_out_within_their_band():
    """Nurses of 60-64 (retiring at 20% a year and more) are far fewer than those of 55-59:
    the flat spreading of a band (the earlier rule) would make them equal."""
    shares = np.tile([0.3, 0.25, 0.25, 0.17, 0.03], (1, 2, 1))
    profile = supply.age_distribution(HAZARDS, shares, np.zeros((1, 2)))[0, 1]
    assert profile[60:65].sum() < 0.6 * profile[55:60].sum()


def test_initial_workers_are_drawn_from_the_yearly_profile():
    scenario = load_scenario(SCENARIOS / "baseline.yaml").with_overrides(
        {"scale.workers_per_agent": 20.0, "world.countries": ["USA", "NGA"]}
    )
    model = make_model(scenario, seed=5, engine="arrays")
    s = model.setup
    n = model.population.n
    pop = model.population.a
    usa = model.world.index("USA")
    own = (pop["country"][:n] == usa) & (pop["origin"][:n] == usa)
    spy = s.steps_per_year
    for k in range(s.n_cadres):
        age = model.population.ages()[own & (pop["cadre"][:n] == k)] // spy  # whole years
        counts = np.bincount(age, minlength=s.age_profile.shape[-1])
        assert counts.sum() > 20_000
        drawn = counts / counts.sum()
        # within the 55-64 band: the share aged 60-64, drawn and expected
        expected = s.age_profile[usa, k, 60:65].sum() / s.age_profile[usa, k, 55:65].sum()
        got = drawn[60:65].sum() / drawn[55:65].sum()
        assert abs(got - expected) < 0.03
        assert expected < 0.45  # not the flat band's one half
        np.testing.assert_allclose(drawn, s.age_profile[usa, k], atol=0.004)
