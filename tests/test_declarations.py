"""The registry (the package sim/declarations/): the one source of parameters, levers, outcomes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim import declarations as decl
from sim.inputs.schema import SCHEMA, Field, ListOf
from sim.inputs.selectors import country_groups, simulated_world
from sim.outputs.indicators import INDICATOR_NAMES
from sim.outputs.outcomes import outcome_values
from tests.model_helpers import archetypes, run_all


def _schema_field(name: str):
    node = SCHEMA
    for part in name.replace("[]", "").split("."):
        node = node.item if isinstance(node, ListOf) else node
        node = node[part]
    return node


@pytest.mark.parametrize("p", decl.UNCERTAINTIES, ids=lambda p: p.name)
def test_every_uncertainty_has_a_plausible_range_inside_its_bounds(p):
    if isinstance(p, decl.SelectorParameter):
        return
    assert p.unit and p.source and p.doc
    assert p.low < p.high
    assert p.low <= p.default <= p.high, "the default lies in the plausible range"
    assert p.min is not None and p.max is not None
    assert p.min <= p.low and p.high <= p.max, "the plausible range is valid input"


def test_schema_sections_are_generated_from_the_registry():
    for p in decl.UNCERTAINTIES:
        f = _schema_field(p.name)
        assert isinstance(f, Field) and f.default == p.default and f.doc == p.doc
        assert (f.min, f.max) == (getattr(p, "min", None), getattr(p, "max", None))
    for lever in (*decl.LEVERS, decl.ADJUSTMENTS):
        for p in lever.parameters:
            assert _schema_field(p.name).doc == p.doc
    assert set(SCHEMA["policies"]) == {lever.name for lever in decl.LEVERS}
    for name in decl.UNCERTAINTY_SECTIONS:
        leaves = []

        def walk(node, prefix, leaves=leaves):
            for key, value in node.items():
                if isinstance(value, dict):
                    walk(value, f"{prefix}{key}.")
                else:
                    leaves.append(f"{prefix}{key}")

        walk(SCHEMA[name], f"{name}.")
        assert leaves == [p.name for p in decl.UNCERTAINTIES if p.name.startswith(name + ".")]


def test_policy_schedule_resolves_each_levers_declared_selectors():
    model_masks = run_model_masks()
    for lever in decl.LEVERS:
        if not lever.many:
            assert set(model_masks[lever.name]) == set(lever.selectors)


def run_model_masks():
    from sim.model.policies import PolicySchedule

    scenario = archetypes()
    world = simulated_world(scenario.data)
    dest = np.asarray(world.income_group) == "H"
    return PolicySchedule(scenario.data, world, dest)._masks


def test_outcomes_are_declared_over_existing_indicators():
    names = [o.name for o in decl.OUTCOMES]
    assert len(names) == len(set(names))
    for o in decl.OUTCOMES:
        assert o.indicator in INDICATOR_NAMES
        assert o.per in (None, *INDICATOR_NAMES)
        assert o.weight in (None, *INDICATOR_NAMES)
        assert o.countries in ("world", "all", "safeguards", "destinations")
        assert o.kind in (decl.MAXIMIZE, decl.MINIMIZE, decl.INFO)
        assert o.unit and o.definition and o.label and o.short


@pytest.fixture(scope="module")
def small_run():
    scenario = archetypes({"time.years": 3, "policies.compensation.enabled": True})
    ind, _ = run_all(scenario, replicates=2, seed=5)
    groups = country_groups(scenario.data, simulated_world(scenario.data))
    return scenario, ind, groups


def test_each_outcome_equals_a_direct_computation(small_run):
    _, ind, groups = small_run
    values = outcome_values(ind, groups).set_index(["replicate", "year", "outcome"])["value"]
    top = ind[(ind.area == "all") & (ind.cadre == "all")]
    sg, dest = list(groups.safeguards), list(groups.destinations)
    for (r, y), g in top.groupby(["replicate", "year"]):

        def total(indicator, countries, g=g):
            rows = g[(g.indicator == indicator) & g.country.isin(countries)]
            return rows.value.sum(min_count=1)  # NaN where the year has no such rows

        everyone = sorted(set(g.country) - {"WLD"})
        share = g[(g.indicator == "foreign_trained_share") & g.country.isin(dest)]
        stock = g[(g.indicator == "stock") & g.country.isin(dest)].set_index("country").value
        direct = {
            "world_stock": total("stock", ["WLD"]),
            "safeguards_density": total("stock", sg) * 1e4 / total("population", sg),
            "safeguards_emigration": total("emigrants", sg),
            "destination_immigration": total("immigrants", dest),
            "destination_vacancy_rate": total("vacancies", dest) / total("posts", dest),
            "destination_foreign_share": (share.set_index("country").value * stock).sum()
            / stock.sum(),
            "population_below_44_5": total("population_below_44_5", ["WLD"]),
            "compensation_received": total("compensation_received", everyone),
            "training_cost_emigrants_safeguards": total("training_cost_emigrants", sg),
        }
        for name, expected in direct.items():
            got = values[(r, y, name)]
            if np.isnan(expected):  # flows and money of the initial state: undefined
                assert np.isnan(got), (name, r, y)
            else:
                assert math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-9), (name, r, y)


def test_density_in_safeguards_countries_is_computed_one_way(small_run):
    """The run summary, the briefing and a sweep report the same number."""
    from sim.cli.run import summary_table
    from sim.compare import tables
    from sim.compare.runs import Run
    from sim.sweep.outcomes import OutcomeSpec, compute_outcomes, scenario_countries

    scenario, ind, groups = small_run
    final = int(ind.year.max())
    summary = summary_table(ind, scenario.data).set_index("indicator")
    label = decl.outcome("safeguards_density").short
    run = Run(None, {"scenario": scenario.data}, ind, pd.DataFrame())
    briefing = tables.metric_values(run, groups)
    briefing = briefing[(briefing.metric == "safeguards_density") & (briefing.year == final)]
    sweep = [
        compute_outcomes(
            ind[ind.replicate == r],
            [OutcomeSpec(name="d", outcome="safeguards_density")],
            scenario_countries(scenario),
        )["d"]
        for r in sorted(ind.replicate.unique())
    ]
    assert briefing.value.tolist() == sweep
    assert summary.loc[label, "median"] == np.median(sweep)


def test_ratio_outcomes_use_only_countries_where_both_parts_are_known():
    """A country with an unknown population does not count in the density (nor its stock)."""
    from sim.inputs.selectors import CountryGroups

    rows = []
    for code, stock, pop in (("AAA", 100.0, 1000.0), ("BBB", 30.0, np.nan), ("CCC", 60.0, 2000.0)):
        rows += [(0, 2030, code, "all", "all", "stock", stock)]
        rows += [(0, 2030, code, "all", "all", "population", pop)]
    ind = pd.DataFrame(
        rows, columns=["replicate", "year", "country", "area", "cadre", "indicator", "value"]
    )
    groups = CountryGroups(safeguards=("AAA", "BBB", "CCC"), destinations=())
    value = outcome_values(ind, groups, ["safeguards_density"]).value.item()
    assert math.isclose(value, (100 + 60) / 3000 * 1e4)
