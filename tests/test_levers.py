"""Every Code lever moves outcomes in the direction the evidence says, against a same-seed baseline.

Each test runs the archetype world (three replicates, the same seeds for baseline and option)
and compares totals over the years the lever is in force. The model is deterministic for a seed,
so these tests are exact comparisons of two runs, not statistical ones.
"""

from __future__ import annotations

import functools

import pytest

from tests.model_helpers import archetypes, codes, run_all, total

YEARS = range(2025, 2033)  # the library's levers start in 2025; runs end in 2032


@functools.cache
def results(name: str, extra: tuple = ()):
    """Indicators and flows of a library scenario (cached across tests)."""
    scenario = archetypes(dict(extra), name=name)
    return run_all(scenario, replicates=3, seed=11)


BASE = "archetypes_baseline.yaml"


def ssl(name=BASE):
    return codes(archetypes(name=name), "safeguards")


def destinations(name=BASE):
    return codes(archetypes(name=name), "high_income")


def test_ethical_recruitment_lowers_emigration_from_safeguards_list_countries():
    base, _ = results(BASE)
    opt, _ = results("archetypes_ethical_recruitment.yaml")
    assert total(opt, "emigrants", ssl(), YEARS) < 0.6 * total(base, "emigrants", ssl(), YEARS)


def test_ethical_recruitment_with_passive_rate_one_changes_nothing():
    base, _ = results(BASE)
    opt, _ = results(
        "archetypes_ethical_recruitment.yaml", (("policies.ethical_recruitment.passive_rate", 1.0),)
    )
    assert total(opt, "emigrants", ssl(), YEARS) == total(base, "emigrants", ssl(), YEARS)


def test_rural_allowance_raises_the_rural_share():
    base, _ = results(BASE)
    opt, _ = results("archetypes_rural_allowance.yaml")
    end = [2032]
    share = {
        label: total(df, "stock", ssl(), end, area="rural") / total(df, "stock", ssl(), end)
        for label, df in (("base", base), ("opt", opt))
    }
    assert share["opt"] > share["base"] + 0.02
    assert total(opt, "incentive_spending", ssl(), YEARS) > 0
    assert total(base, "incentive_spending", ssl(), YEARS) == 0


def test_compensation_for_training_raises_source_graduates_after_the_lag():
    base, _ = results(BASE)
    opt, _ = results("archetypes_compensation.yaml")
    # Nurses' training lag is 3 years: money received in 2025 trains graduates arriving in 2029.
    before = range(2025, 2029)
    after = range(2029, 2033)
    assert total(opt, "graduates", ssl(), before) == total(base, "graduates", ssl(), before)
    assert total(opt, "graduates", ssl(), after) > total(base, "graduates", ssl(), after)
    paid = total(opt, "compensation_paid", destinations(), YEARS)
    received = total(opt, "compensation_received", ssl(), YEARS)
    assert paid > 0
    assert paid == pytest.approx(received)


def test_compensation_for_retention_lowers_emigration_from_sources():
    base, _ = results(BASE)
    opt, _ = results("archetypes_compensation.yaml", (("policies.compensation.use", "retention"),))
    assert total(opt, "emigrants", ssl(), YEARS) <= total(base, "emigrants", ssl(), YEARS)
    assert total(opt, "exits_voluntary", ssl(), YEARS) <= total(
        base, "exits_voluntary", ssl(), YEARS
    )


def test_agreement_quota_raises_the_flow_on_its_corridor():
    _, base_flows = results(BASE)
    _, opt_flows = results("archetypes_bilateral_agreements.yaml")

    def corridor(flows):
        rows = flows[
            (flows.origin == "XEX")
            & (flows.destination == "XDA")
            & (flows.cadre == "nurses")
            & flows.year.isin(list(YEARS))
        ]
        return rows.workers.sum()

    assert corridor(opt_flows) > corridor(base_flows)


def test_circular_agreement_brings_workers_home():
    _, base_flows = results(BASE)
    _, opt_flows = results("archetypes_bilateral_agreements.yaml")

    def returns(flows):
        rows = flows[
            (flows.origin == "XDB")
            & (flows.destination == "XEX")
            & flows.year.isin([2029, 2030, 2031, 2032])
        ]
        return rows.workers.sum()

    assert returns(opt_flows) > returns(base_flows)


def test_agreement_training_places_raise_source_graduates_after_the_lag():
    base, _ = results(BASE)
    opt, _ = results("archetypes_bilateral_agreements.yaml")
    assert total(opt, "graduates", ["XEX"], range(2028, 2033), cadre="nurses") > total(
        base, "graduates", ["XEX"], range(2028, 2033), cadre="nurses"
    )
    assert total(opt, "training_investment", ["XDA"], YEARS) > 0


def test_retention_pay_lowers_voluntary_exits_and_emigration():
    # A 10% pay rise cuts the odds of leaving by about 11%: at 100 workers per agent that is
    # a handful of agents, within the noise of diverging paths, so both runs use 25.
    fine = (("scale.workers_per_agent", 25.0),)
    base, _ = results(BASE, fine)
    opt, _ = results("archetypes_retention.yaml", fine)
    assert total(opt, "exits_voluntary", ssl(), YEARS) < total(
        base, "exits_voluntary", ssl(), YEARS
    )
    assert total(opt, "emigrants", ssl(), YEARS) < total(base, "emigrants", ssl(), YEARS)
    assert total(opt, "incentive_spending", ssl(), YEARS) > 0


def test_bonding_raises_the_rural_share_and_collects_buyouts():
    base, _ = results(BASE)
    opt, _ = results("archetypes_bonding.yaml")
    end = [2032]
    assert total(opt, "stock", ssl(), end, area="rural") > total(
        base, "stock", ssl(), end, area="rural"
    )
    assert total(opt, "bond_buyouts", ssl(), YEARS) > 0


def test_domestic_training_lowers_destination_vacancies():
    base, _ = results(BASE)
    opt, _ = results("archetypes_domestic_training.yaml")
    end = [2032]
    assert total(opt, "vacancies", destinations(), end) < total(
        base, "vacancies", destinations(), end
    )
    assert total(opt, "training_investment", destinations(), YEARS) > 0


def test_fee_free_recruitment_removes_fees_and_raises_emigration():
    base, _ = results(BASE)
    opt, _ = results("archetypes_fee_free_recruitment.yaml")
    everyone = ["XSR", "XEX", "XMI", "XDA", "XDB"]
    assert total(opt, "recruitment_fees", everyone, YEARS) == 0
    assert total(base, "recruitment_fees", everyone, YEARS) > 0
    assert total(opt, "emigrants", everyone, YEARS) > total(base, "emigrants", everyone, YEARS)


def test_equal_treatment_raises_immigration_to_destinations():
    base, _ = results(BASE)
    opt, _ = results("archetypes_equal_treatment.yaml")
    assert total(opt, "immigrants", destinations(), YEARS) > total(
        base, "immigrants", destinations(), YEARS
    )


def test_closing_a_visa_route_stops_immigration():
    closed = {"adjustments": [{"countries": ["XDA"], "recruitment_multiplier": 0.0, "from": 2025}]}
    opt, _ = run_all(archetypes(closed), replicates=3, seed=11)
    assert total(opt, "immigrants", ["XDA"], YEARS) == 0


def test_policies_start_in_their_from_year():
    base, _ = results(BASE)
    opt, _ = results("archetypes_ethical_recruitment.yaml")
    assert total(opt, "emigrants", ssl(), [2023, 2024]) == total(
        base, "emigrants", ssl(), [2023, 2024]
    )
