"""The hazard pass worker by worker under the migrants' attrition ratio (ODD §7.3).

`hazards.migrant_attrition_ratio` scales a migrant's exit hazard and nothing else, so on the same
seed a native's fate in the pass is the same at any ratio, on both engines (the hazard tables'
property is in tests/test_realism.py; this one is the pass that reads them, per worker).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import ledger
from tests.model_helpers import archetypes, make_model


def _pass(engine: str, ratio: float, seed: int):
    scenario = archetypes({"hazards.migrant_attrition_ratio": ratio, "scale.workers_per_agent": 5})
    model = make_model(scenario, seed=seed, engine=engine)
    tr = model.population.age_and_hazards(0, model.setup.hazards)
    columns = ("origin", "cadre", "country_from", "area_from", "kind", "age")
    natives = tr.origin == tr.country_from
    native = {c: np.asarray(getattr(tr, c))[natives] for c in columns}
    migrant_exits = int(((~natives) & (tr.kind == ledger.T_EXIT)).sum())
    return native, migrant_exits, int((~natives).sum())


@pytest.mark.parametrize("engine", ["arrays", "agents"])
@settings(max_examples=6, deadline=None)
@given(ratio=st.sampled_from([0.0, 0.4, 2.5]), seed=st.integers(0, 2**31 - 1))
def test_natives_fates_do_not_depend_on_the_migrants_attrition(engine, ratio, seed):
    base_native, base_exits, _ = _pass(engine, 1.0, seed)
    native, exits, _ = _pass(engine, ratio, seed)
    for column, values in base_native.items():
        np.testing.assert_array_equal(native[column], values, err_msg=column)
    assert base_exits > 0  # migrants do exit at the registry's ratio
    if ratio == 0.0:
        assert exits == 0
    elif ratio < 1.0:
        assert exits <= base_exits
    else:
        assert exits >= base_exits


@settings(max_examples=30, deadline=None)
@given(
    table=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=40).map(
        lambda v: np.array(v[: len(v) // 4 * 4]).reshape(2, 2, -1)
    )
)
def test_the_hazard_pass_bounds_every_threshold_at_its_age(table):
    """`rules.hazard_bounds`, the arrays engine's first look at each worker's draw: no entry of
    the pre-check's table exceeds the bound at its age, so the look drops no event."""
    from sim.model import rules

    young, p_young, p_max = rules.hazard_bounds(table)
    ages = np.arange(table.shape[2])
    bound = np.where(ages < young, p_young, p_max)
    assert (table <= bound).all()
    assert p_max == table.max()


def test_the_arrays_engine_counts_its_active_rows_as_they_join_and_leave():
    """`len` of the arrays engine is kept, not recounted: it equals the active rows and the
    ledger's workers present after every step (graduates, hazards, leavers, compaction)."""
    from sim.model import rules

    model = make_model(archetypes({"scale.workers_per_agent": 5}), seed=3, engine="arrays")
    pop = model.population
    while model.steps < model.n_steps:
        model.step()
        active = int(np.count_nonzero(pop.a["status"][: pop.n] == rules.ACTIVE))
        assert len(pop) == active == int(model.ledger.present().sum())
