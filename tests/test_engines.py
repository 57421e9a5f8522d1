"""The two engines give identical results: every count and flow, every step, every lever."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim.inputs.scenario import load_scenario
from sim.model import rules
from sim.runner import replicate_seeds, run_replicate
from tests.model_helpers import ROOT, SCENARIOS, archetypes, make_model, run_all
from tests.test_model_properties import AGREEMENTS, POLICY_TOGGLES

EVERY_LEVER = {
    k: v
    for toggle in POLICY_TOGGLES.values()
    for k, v in toggle.items()
    if k != "policies.compensation.use"
}


def assert_rows_in_worker_id_order(agents, arrays) -> None:
    """The arrays engine's active rows, in row order, are the agents engine's workers in
    worker-id order (the arrays engine stores no ids: its row order stands for them, ODD §2.1)."""
    workers = sorted(agents.population.workers, key=lambda w: w.worker_id)
    a, n = arrays.population.a, arrays.population.n
    active = a["status"][:n] == rules.ACTIVE
    np.testing.assert_array_equal(a["key"][:n][active], [w.key for w in workers])


def assert_same_every_step(scenario, seed: int) -> None:
    """Step both engines side by side; stock tensors and flows must match at every step."""
    agents = make_model(scenario, seed=seed, engine="agents")
    arrays = make_model(scenario, seed=seed, engine="arrays")
    np.testing.assert_array_equal(agents.ledger.stock, arrays.ledger.stock)
    while agents.steps < agents.n_steps:
        agents.step()
        arrays.step()
        assert_rows_in_worker_id_order(agents, arrays)
        np.testing.assert_array_equal(agents.ledger.stock, arrays.ledger.stock)
        np.testing.assert_array_equal(agents.ledger.step_flows, arrays.ledger.step_flows)
        np.testing.assert_array_equal(
            agents.ledger.step_international, arrays.ledger.step_international
        )
        np.testing.assert_allclose(
            agents.ledger.step_money, arrays.ledger.step_money, rtol=1e-9, atol=0
        )
    pd.testing.assert_frame_equal(
        agents.recorder.indicators(), arrays.recorder.indicators(), check_exact=False, rtol=1e-9
    )
    pd.testing.assert_frame_equal(agents.recorder.flows(), arrays.recorder.flows())


CASES = {
    "baseline": {},
    "every_lever": {**EVERY_LEVER, "policies.agreements": AGREEMENTS},
    "retention_compensation": {
        **POLICY_TOGGLES["compensation_retention"],
        "policies.agreements": AGREEMENTS,
    },
    "monthly_busy": {
        "time.steps_per_year": 12,
        "hazards.migrant_attrition_ratio": 2.5,  # migrants' hazards above the natives' pre-check
        "behaviour.reconsider_rate": 2.0,
        "behaviour.emigrate_constant": -3.0,
        "behaviour.hiring_chance_weight": 1.0,
        **POLICY_TOGGLES["bonding"],
        **POLICY_TOGGLES["ethical"],
    },
    # Onward migration, returns to home posts, deployment caps, responses to vacancies, the
    # migrants' own attrition.
    "returns_onward_caps": {
        "behaviour.reconsider_rate": 1.0,
        "behaviour.emigrate_constant": -3.0,
        "behaviour.return_constant": 2.0,
        "behaviour.onward_constant": 2.0,
        "behaviour.hiring_chance_weight": 0.7,
        "hazards.migrant_attrition_ratio": 0.4,
        "workforce.wage_vacancy_response": 1.0,
        "workforce.training_vacancy_response": 3.0,
        **POLICY_TOGGLES["deployment_cap"],
        "policies.agreements": AGREEMENTS,
    },
    # Dated exogenous adjustments, overlapping, on sources and destinations.
    "dated_adjustments": {
        "behaviour.reconsider_rate": 1.0,
        **POLICY_TOGGLES["retention"],
        "adjustments": [
            {"countries": ["XDA"], "demand_multiplier": 1.3, "from": 2024, "until": 2025},
            {"countries": ["XDB"], "recruitment_multiplier": 0.0, "from": 2025, "until": 2025},
            {"countries": ["XSR", "XEX"], "wage_multiplier": 1.4, "from": 2025},
            {"countries": "destinations", "recruitment_multiplier": 2.0, "until": 2024},
        ],
    },
    # A subset of the world, every lever on.
    "world_subset": {
        "world.countries": ["XSR", "XEX", "XDA"],
        "behaviour.reconsider_rate": 1.0,
        **EVERY_LEVER,
        "policies.agreements": AGREEMENTS[:1],
    },
    # Destinations other than the high-income countries (a middle-income one recruits too).
    "other_destinations": {
        "workforce.destinations": ["XMI", "XDB"],
        "behaviour.reconsider_rate": 1.0,
        "behaviour.emigrate_constant": -4.0,
        **POLICY_TOGGLES["ethical"],
        **POLICY_TOGGLES["compensation"],
        **POLICY_TOGGLES["fees"],
    },
    # Every lever switched on and off by dated windows within the run (2023-2026).
    "dated_policies": {
        "behaviour.reconsider_rate": 1.0,
        "behaviour.emigrate_constant": -4.0,
        **EVERY_LEVER,
        **{
            f"policies.{name}.{end}": year
            for name, window in {
                "ethical_recruitment": (2024, 2025),
                "fee_free_recruitment": (2025, 2026),
                "equal_treatment": (2023, 2024),
                "compensation": (2024, 2024),
                "retention": (2025, 2025),
                "rural_allowance": (2024, 2026),
                "bonding": (2023, 2023),
                "domestic_training": (2024, 2025),
            }.items()
            for end, year in zip(("from", "until"), window, strict=True)
        },
        "policies.agreements": [
            {**AGREEMENTS[0], "from": 2024, "until": 2025},
            {**AGREEMENTS[1], "from": 2025},
        ],
    },
}


@pytest.mark.parametrize("seed", [1, 2024])
@pytest.mark.parametrize("case", sorted(CASES))
def test_engines_identical_on_the_archetype_world(case, seed):
    assert_same_every_step(archetypes({"time.years": 4, **CASES[case]}), seed)


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("baseline.yaml", {}),
        ("code_of_practice_package.yaml", {}),
        ("bilateral_agreements.yaml", {}),
        (
            "baseline.yaml",
            {
                "behaviour.recruitment_channel_effect": 1.0,
                "behaviour.channel_preference": 0.7,
                "behaviour.recognition_pathway_effect": 3.0,
            },
        ),
    ],
)
def test_engines_identical_on_the_global_world(name, overrides):
    scenario = load_scenario(SCENARIOS / name).with_overrides(
        {"scale.workers_per_agent": 20000.0, "time.years": 3, **overrides}
    )
    assert_same_every_step(scenario, seed=77)


def test_full_result_tables_identical():
    scenario = archetypes({"time.years": 5, **EVERY_LEVER, "policies.agreements": AGREEMENTS})
    a = run_all(scenario, replicates=2, seed=3, engine="agents")
    b = run_all(scenario, replicates=2, seed=3, engine="arrays")
    pd.testing.assert_frame_equal(a[0], b[0], check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(a[1], b[1])


def test_replicate_tables_the_same_when_the_workers_are_freed_before_them():
    """`run_replicate` frees the worker population before it builds the tables (unless the
    model is kept): the tables come from the recorder alone."""
    scenario = archetypes({"time.years": 2, **EVERY_LEVER, "policies.agreements": AGREEMENTS})
    seed_seq = replicate_seeds(3, 1)[0]
    freed = run_replicate(scenario, 0, seed_seq, engine="arrays")
    kept = run_replicate(scenario, 0, seed_seq, engine="arrays", keep_model=True)
    assert freed.model is None and kept.model.population is not None
    for name in ("indicators", "flows", "stocks", "arrivals", "agreements"):
        pd.testing.assert_frame_equal(getattr(freed, name), getattr(kept, name), check_exact=True)


def test_the_workers_are_gone_when_the_tables_are_built(monkeypatch):
    """The full world's peak: the population (1.8 GiB there) must not be held while the tables
    are built, only when the model is kept."""
    import sim.runner

    scenario = archetypes({"time.years": 1})
    seen: list[bool] = []
    build = sim.runner.build_model

    def watched(*args, **kwargs):
        model = build(*args, **kwargs)
        indicators = model.recorder.indicators

        def tables():
            seen.append(model.population is None)
            return indicators()

        model.recorder.indicators = tables
        return model

    monkeypatch.setattr(sim.runner, "build_model", watched)
    seed_seq = replicate_seeds(3, 1)[0]
    run_replicate(scenario, 0, seed_seq, engine="arrays")
    run_replicate(scenario, 0, seed_seq, engine="arrays", keep_model=True)
    assert seen == [True, False]


_THREADS_SCRIPT = """
import json, sys
from sim.inputs.scenario import load_scenario
from sim.model import rules
from sim.runner import replicate_seeds, run_replicate
sc = load_scenario(sys.argv[1]).with_overrides({"scale.workers_per_agent": 2.0,
                                                "time.years": 3})
r = run_replicate(sc, 0, replicate_seeds(8, 1)[0], engine="arrays")
print(json.dumps({"ind": r.indicators.value.tolist(), "flows": r.flows.workers.tolist()}))
"""


def test_arrays_engine_identical_when_its_columns_grow_during_the_run(monkeypatch):
    """Reallocation mid-run (copied columns, new row lists, the pre-check dropped): with no
    initial reservation and room for 16 more rows at each growth, the arrays engine still
    matches the agents engine at every step."""
    from sim.engines import arrays, storage

    grown = []
    reserve = arrays.ArrayPopulation._reserve

    def counting(self, needed, grow=True):
        if needed > self.capacity and self.n:
            grown.append(self.n)
        reserve(self, needed, grow)

    monkeypatch.setattr(storage, "GROWTH", 1)
    monkeypatch.setattr(storage, "SPARE_ROWS", 16)
    monkeypatch.setattr(arrays.ArrayPopulation, "reserve", lambda self, capacity: None)
    monkeypatch.setattr(arrays.ArrayPopulation, "_reserve", counting)
    assert_same_every_step(archetypes(CASES["every_lever"]), seed=4)
    assert len(grown) > 3


def test_arrays_engine_country_columns_one_byte_up_to_256_countries_else_two(monkeypatch):
    """Country indices take one byte in worlds of up to 256 countries, two beyond; the two-byte
    columns give the same results (forced here on the archetype world)."""
    from sim.engines import arrays

    assert arrays.field_types(256)["country"] == np.uint8
    assert arrays.field_types(257)["country"] == np.int16
    assert arrays.field_types(257)["origin"] == np.int16
    wide = arrays.field_types(1000)
    monkeypatch.setattr(arrays, "field_types", lambda n_countries: wide)
    model = make_model(archetypes(), seed=1, engine="arrays")
    assert model.population.a["origin"].dtype == np.int16
    # the migrants' own hazard (read through the two-byte origin and country columns)
    case = {**CASES["every_lever"], "hazards.migrant_attrition_ratio": 0.4}
    assert_same_every_step(archetypes(case), seed=5)


def test_arrays_engine_agreement_column_one_byte_up_to_127_agreements_else_two(monkeypatch):
    """The agreement column (-1 or an agreement's index) takes one byte in scenarios of up to
    127 agreements, two beyond; the two-byte column gives the same results (forced here)."""
    from sim.engines import arrays

    assert arrays.agreement_type(0) == np.int8
    assert arrays.agreement_type(127) == np.int8
    assert arrays.agreement_type(128) == np.int16
    assert arrays.ArrayPopulation(None).a["agreement"].dtype == np.int8
    scenario = archetypes(CASES["every_lever"])
    assert make_model(scenario, seed=1, engine="arrays").population.a["agreement"].dtype == (
        np.int8
    )
    monkeypatch.setattr(arrays, "agreement_type", lambda n_agreements: np.int16)
    assert make_model(scenario, seed=1, engine="arrays").population.a["agreement"].dtype == (
        np.int16
    )
    assert_same_every_step(scenario, seed=6)


def test_arrays_engine_identical_with_one_and_two_threads():
    outputs = []
    for threads in ("1", "2"):
        env = {**os.environ, "NUMBA_NUM_THREADS": threads}
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                _THREADS_SCRIPT,
                str(SCENARIOS / "archetypes_code_of_practice_package.yaml"),
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=600,
            check=True,
        )
        outputs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert outputs[0] == outputs[1]


def test_replicates_in_worker_processes_give_identical_tables(monkeypatch):
    # `hrhsim compare` runs large runs' replicates in a pool of processes with one numba thread
    # each; every table must be the one the serial run writes, in the same order
    import sim
    from sim import runner

    monkeypatch.setattr(runner, "PARALLEL_MIN_AGENT_STEPS", 0.0)  # the archetypes are small
    scenario = load_scenario(SCENARIOS / "archetypes_code_of_practice_package.yaml")
    scenario = scenario.with_overrides({"replicates": 3, "time.years": 3})
    serial = sim.run(scenario)
    with runner.ReplicatePool(2) as pool:
        assert pool.worthwhile(1.0, 3) and not pool.worthwhile(1.0, 1)
        pooled = sim.run(scenario, pool=pool)
        assert pool._executor is not None  # the replicates did run in the pool
    for name in ("indicators", "flows", "stocks", "arrivals", "agreements"):
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(pooled, name))
    assert pooled.manifest["replicates"] == 3


def test_replicates_queued_ahead_are_the_ones_a_run_takes(monkeypatch):
    # `hrhsim compare` queues every scenario's replicates before it waits for the first
    # (`ReplicatePool.prefetch`): a run takes exactly its own queued replicates, and its tables
    # are the serial run's; a replicate of another seed or scenario is never taken for it
    import sim
    from sim import runner

    monkeypatch.setattr(runner, "PARALLEL_MIN_AGENT_STEPS", 0.0)
    scenario = load_scenario(SCENARIOS / "archetypes_baseline.yaml")
    scenario = scenario.with_overrides({"replicates": 2, "time.years": 2})
    other = scenario.with_overrides({"behaviour.leave_constant": -1.0})
    serial = sim.run(scenario, seed=7)
    with runner.ReplicatePool(2) as pool:
        pool.prefetch(other, seed=7)
        pool.prefetch(scenario, seed=8)
        pool.prefetch(scenario, seed=7)
        pool.prefetch(scenario, seed=7)  # queued once
        assert len(pool._queued) == 6
        pooled = sim.run(scenario, seed=7, pool=pool)
        assert len(pool._queued) == 4  # its own two taken, the others left
        different = sim.run(other, seed=7, pool=pool)
        assert len(pool._queued) == 2
    for name in ("indicators", "flows", "stocks", "arrivals", "agreements"):
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(pooled, name))
    assert not serial.indicators.equals(different.indicators)
    assert not pool._queued  # closing drops what was never asked for
    monkeypatch.setattr(runner, "PARALLEL_MIN_AGENT_STEPS", 1e18)
    with runner.ReplicatePool(2) as pool:
        pool.prefetch(scenario)  # too small for the pool: nothing queued, no process started
        assert not pool._queued and pool._executor is None
