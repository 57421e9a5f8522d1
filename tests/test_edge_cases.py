"""Edge cases found in review: worlds without destinations, city states, lags, stale files."""

from __future__ import annotations

import numpy as np
import pytest

from sim.cli import main
from sim.errors import ScenarioError
from sim.outputs.reading import read_results
from tests.model_helpers import SCENARIOS, archetypes, make_model, run_all, total

SMALL = ["--replicates", "1", "--no-progress", "--set", "time.years=2"]


@pytest.mark.parametrize("engine", ["agents", "arrays"])
@pytest.mark.parametrize(
    "overrides",
    [
        {"workforce.destinations": "none"},
        {"world.countries": ["XSR"]},
        {"world.countries": ["XSR", "XEX"]},
    ],
)
def test_worlds_without_an_open_destination_run_without_migration(overrides, engine):
    ind, flows = run_all(archetypes({"time.years": 2, **overrides}), replicates=1, engine=engine)
    assert total(ind, "immigrants", set(ind.country)) == 0
    # The only international moves are migrants of the initial state going home.
    assert flows.workers.sum() == total(ind, "returns", set(ind.country))


def test_city_state_has_no_rural_density_and_nobody_moves_to_its_empty_rural_area():
    scenario = archetypes(name="baseline.yaml").with_overrides(
        {
            "world.countries": ["KWT", "SGP", "GBR", "PHL"],
            "time.years": 3,
            "scale.workers_per_agent": 500.0,
            "behaviour.reconsider_rate": 3.0,
        }
    )
    ind, _ = run_all(scenario, replicates=1)
    kwt = ind[(ind.country == "KWT") & (ind.cadre == "all")]
    rural = kwt[(kwt.indicator == "stock") & (kwt.area == "rural")]
    assert (rural.value == 0).all()
    density = kwt[(kwt.indicator == "density") & (kwt.area == "rural")]
    assert density.value.isna().all()
    assert kwt[kwt.indicator == "rural_urban_ratio"].value.isna().all()
    assert np.isfinite(kwt[(kwt.indicator == "density") & (kwt.area == "all")].value).all()


def test_summary_density_uses_the_population_at_the_horizon(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(SCENARIOS / "archetypes_baseline.yaml"), "-o", str(out), *SMALL]) == 0
    text = capsys.readouterr().out
    _, ind, _ = read_results(out)
    xsr = (
        ind[
            (ind.country == "XSR") & (ind.year == 2024) & (ind.area == "all") & (ind.cadre == "all")
        ]
        .set_index("indicator")
        .value
    )
    expected = xsr["stock"] / xsr["population"] * 1e4
    assert xsr["density"] == pytest.approx(expected)
    label = "Density, safeguards-list countries"
    line = next(ln for ln in text.splitlines() if ln.startswith(label))
    assert float(line[len(label) :].split()[0]) == round(expected)


def test_a_policy_without_from_still_waits_for_the_training_lag():
    base, _ = run_all(archetypes({"time.years": 5}), replicates=1)
    opt, _ = run_all(
        archetypes({"time.years": 5, "policies.domestic_training.enabled": True}), replicates=1
    )
    dest = ["XDA", "XDB"]
    # Nurses' lag is 3 years: no extra graduates in 2023-2025, extra ones from 2026.
    early, late = range(2023, 2026), [2026, 2027]
    assert total(opt, "graduates", dest, early, cadre="nurses") == total(
        base, "graduates", dest, early, cadre="nurses"
    )
    assert total(opt, "graduates", dest, late, cadre="nurses") > total(
        base, "graduates", dest, late, cadre="nurses"
    )


def test_zero_training_cost_is_rejected():
    with pytest.raises(ScenarioError, match="training_cost"):
        archetypes({"workforce.training_cost.nurses": 0.0})


def test_a_new_run_removes_tables_it_does_not_write(tmp_path):
    out = tmp_path / "run"
    scenario = str(SCENARIOS / "archetypes_baseline.yaml")
    assert main(["run", scenario, "-o", str(out), "--csv", *SMALL]) == 0
    assert (out / "flows.parquet").exists() and (out / "flows.csv").exists()
    assert main(["run", scenario, "-o", str(out), "--set", "outputs.flows=false", *SMALL]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "agreements.parquet",
        "indicators.parquet",
        "manifest.json",
        "stocks.parquet",
    ]


def test_international_posts_never_exceed_vacancies():
    model = make_model(
        archetypes(
            {"time.steps_per_year": 1, "time.years": 8, "workforce.recruitment_intensity": 12.0}
        ),
        engine="arrays",
    )
    while model.steps < model.n_steps:
        model.step()
        whole = np.floor(model.vacancies.sum(axis=1) + 1e-9)
        assert (model.international_posts <= whole).all()


def test_unfilled_international_posts_stay_open_until_the_years_end():
    # ODD §7.2: I = L + O, L = min(posts left unfilled by the previous step of the same year,
    # whole vacancies), 0 in a year's first step
    model = make_model(archetypes({"time.steps_per_year": 4, "time.years": 3}), engine="arrays")
    left = np.zeros_like(model.demand.carried_posts)
    carried_total = 0
    while model.steps < model.n_steps:
        t = model.steps  # the step about to run (0-based)
        model.step()
        d = model.demand
        whole = np.floor(d.vacancies.sum(axis=1) + 1e-9).astype(np.int64)
        carried = np.zeros_like(left) if t % 4 == 0 else np.minimum(left, whole)
        np.testing.assert_array_equal(d.international_posts, carried + d.opened_posts)
        assert (d.international_posts <= whole).all()
        carried_total += int(carried.sum())
        left = d.carried_posts.copy()
    assert carried_total > 0  # some posts did stay open: the rule was exercised


def test_posts_carried_within_a_year_are_capped_at_the_vacancies():
    # ODD §7.2: L = min(posts left unfilled, whole vacancies): when vacancies fall during a year
    # (filled by graduates or returns), the posts carried over cannot exceed them
    model = make_model(archetypes({"time.steps_per_year": 4, "time.years": 1}), engine="arrays")
    model.step()  # the year's first step
    d = model.demand
    d.carried_posts[:] = 10**6  # far more unfilled posts than any vacancy
    pol = model.policies.year(model.start_year)
    d.update(1, pol, model.ledger.present())
    whole = np.floor(d.vacancies.sum(axis=1) + 1e-9).astype(np.int64)
    assert (whole > 0).any()
    np.testing.assert_array_equal(d.international_posts, whole)  # carried = whole
    np.testing.assert_array_equal(d.opened_posts, 0)  # and no post opened, none negative


def test_short_contracts_and_bonds_last_at_least_one_step():
    from sim.model.policies import steps_of

    np.testing.assert_array_equal(steps_of([0.0, 0.25, 0.5, 3.0], 1), [0, 1, 1, 3])
    np.testing.assert_array_equal(steps_of([0.25], 4), [1])


def test_a_policy_naming_a_country_outside_the_simulated_subset_is_a_clear_error():
    with pytest.raises(ScenarioError) as err:
        archetypes(
            {"world.countries": ["XSR", "XEX"], "policies.retention.countries": ["XSR", "XDA"]}
        )
    text = str(err.value)
    assert "policies.retention.countries.1" in text and "'XDA' is not simulated" in text
