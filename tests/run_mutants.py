"""Run the mutants of tests/MUTANTS.md: break one rule at a time and check that the tests fail.

Each mutant replaces one exact piece of code (it must occur exactly once, so a mutant that no
longer applies after a code change is reported, not skipped) in a fresh copy of the repository,
then runs its tests there on a cold numba cache (numba's disk cache does not notice edits in other
modules, so a warm cache could hide a mutant from the arrays engine). A mutant is killed when a
test fails. Nothing is changed in the working tree.

    .venv/bin/python tests/run_mutants.py                 # every mutant (about 40 minutes)
    .venv/bin/python tests/run_mutants.py --list
    .venv/bin/python tests/run_mutants.py compensation_doubled until_exclusive
    .venv/bin/python tests/run_mutants.py --markdown results/mutants.md
    .venv/bin/python tests/run_mutants.py until_exclusive --tests tests/test_levers.py
    .venv/bin/python tests/run_mutants.py --tests-from 7b2668c --tests tests/test_rules.py ...

The copy holds `sim/`, `tests/`, `scenarios/`, `calibration/` (the fitted parameters the
scenarios extend), `scripts/` and `benchmarks/` (which some tests run) and `pyproject.toml`; the
tests run with this interpreter. Before the mutants, the unmutated copy must pass the union of
their tests.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("sim", "tests", "scenarios", "calibration", "scripts", "benchmarks", "pyproject.toml")

MONEY = "tests/test_money_exact.py"
WINDOWS = "tests/test_policy_windows.py"
TABLE = "tests/test_decision_table.py"
MATCHING = "tests/test_matching_rules.py"
CODES = "tests/test_national_codes.py"
DISPATCH = "tests/test_parallel_dispatch.py"
JIT = "tests/test_jit_builds.py"
EFFECTS = "tests/test_effects.py"
GOLDEN = "tests/test_golden.py"
RECORDS = "tests/test_decide_records.py"
GROWING = "tests/test_engines.py::test_arrays_engine_identical_when_its_columns_grow_during_the_run"
STORAGE = "tests/test_storage.py"
RULES = "tests/test_rules.py"
ENGINE_TYPES = (
    "tests/test_engines.py::"
    "test_arrays_engine_country_columns_one_byte_up_to_256_countries_else_two"
)
REALISM = "tests/test_realism.py::test_training_responds_to_sustained_unemployment"
REALISM_CAP = "tests/test_realism.py::test_the_unemployment_cut_takes_at_most_the_whole_base_intake"
POSTS_TREND = "tests/test_posts_trend.py"
EXPANSION = "tests/test_post_expansion.py"
BUILD = "tests/test_world.py::test_build_reproduces_the_committed_tables"


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    what: str


MUTANTS = (
    # ---- money (ODD §7.7-7.8)
    Mutant("compensation_doubled", "sim/model/money.py",
           "comp = comp * pol.compensation_rate\n", "comp = comp * pol.compensation_rate * 2\n",
           (MONEY,), "compensation paid and received at twice the rate"),
    Mutant("compensation_recipient_ignored", "sim/model/money.py",
           "comp = workers * first * (pol.compensation_recipient[o] & pol.compensation_payer[d])",
           "comp = workers * first * pol.compensation_payer[d]",
           (MONEY,), "payers pay for recruits from every origin, recipient or not"),
    Mutant("compensation_on_onward_moves", "sim/model/money.py",
           "comp = workers * first * (pol.compensation_recipient[o] & pol.compensation_payer[d])",
           "comp = workers * (pol.compensation_recipient[o] & pol.compensation_payer[d])",
           (MONEY,), "compensation also paid for migrants moving on from abroad"),
    Mutant("training_cost_on_onward_moves", "sim/model/money.py",
           "embodied = workers * first * s.training_cost[o, k]",
           "embodied = workers * s.training_cost[o, k]",
           (MONEY,), "training cost embodied counted again for every onward move"),
    Mutant("retention_pay_not_in_incentives", "sim/model/money.py",
           "(pol.pay_rise * wage * present.sum(axis=1)).sum(axis=1)",
           "0.0 * (pol.pay_rise * wage * present.sum(axis=1)).sum(axis=1)",
           (MONEY,), "retention pay rise not counted in incentive spending"),
    Mutant("allowance_on_unraised_wage", "sim/model/money.py",
           "(pol.allowance * wage * (1.0 + pol.pay_rise) * present[:, 1, :])",
           "(pol.allowance * wage * present[:, 1, :])",
           (MONEY,), "rural allowance on the wage without the retention pay rise"),
    Mutant("buyout_on_wage_without_adjustment", "sim/model/money.py",
           "price = pol.buyout * base_wages(s.base_wage, pol) * s.workers_per_agent",
           "price = pol.buyout * s.base_wage * s.workers_per_agent",
           (MONEY,), "bond buy-out priced on the base wage without the wage multiplier"),
    Mutant("agreement_training_at_destination_cost", "sim/model/training.py",
           "money = places * cost[src]", "money = places * cost[dest]",
           (MONEY, WINDOWS), "agreement training places paid at the destination's training cost"),
    Mutant("compensation_not_credited_to_the_fund", "sim/model/money.py",
           "to_training = received\n", "to_training = 0.0 * received\n",
           (MONEY,), "compensation received for training never reaches the training fund"),
    # ---- training fund and capacity (ODD §7.6)
    Mutant("capacity_ignored", "sim/model/training.py",
           "funded = np.minimum(self.fund / cost, room)", "funded = self.fund / cost",
           (MONEY,), "the fund buys intake beyond the capacity room"),
    Mutant("capacity_does_not_build_up", "sim/model/training.py",
           "room = np.maximum(self.last_intake + self.expansion_rate * base, 0.0)",
           "room = np.maximum(self.expansion_rate * base, 0.0)",
           (MONEY,), "the room ignores last year's intake (X(Y−1))"),
    Mutant("money_beyond_capacity_lost", "sim/model/training.py",
           "self.fund = np.maximum(self.fund - funded * cost, 0.0)",
           "self.fund = np.zeros_like(self.fund)",
           (MONEY,), "money the capacity cannot use is dropped instead of kept in the fund"),
    Mutant("vacancy_response_ignores_room", "sim/model/training.py",
           "responded = np.minimum(self.response * pressure * base, room - funded)",
           "responded = self.response * pressure * base",
           (MONEY,), "the response to vacancies buys intake beyond the room money left"),
    Mutant("vacancy_response_unpaid", "sim/model/training.py",
           "paid = paid + (responded * cost).sum(axis=1)", "paid = paid + 0.0",
           (MONEY,), "the vacancy-response intake is not paid for"),
    Mutant("training_lag_one_year_early", "sim/model/training.py",
           "entry = started.get(year - int(s.training_lag[k]))",
           "entry = started.get(year - int(s.training_lag[k]) + 1)",
           (MONEY, WINDOWS), "extra intake and the unemployment cut graduate a year early"),
    Mutant("unemployment_cut_not_lagged", "sim/model/training.py",
           "kept = 1.0 - self._started(self.cut, year)",
           "kept = 1.0 - self.cut.get(year, 0.0)",
           (MONEY, REALISM), "the cut of the base intake for unemployment takes effect at once"),
    Mutant("unemployment_cut_uncapped", "sim/model/training.py",
           "self.cut[year] = np.minimum(self.unemployment_response * slack, 1.0)",
           "self.cut[year] = self.unemployment_response * slack",
           (REALISM_CAP,), "the cut for unemployment may exceed the whole base intake"),
    Mutant("excess_offset_across_areas", "sim/model/demand.py",
           "excess = (over - np.minimum(over, under)).sum(axis=1)",
           "excess = np.maximum((over - under).sum(axis=1), 0.0)",
           (MONEY,), "vacancy and unemployment rates offset one area's excess by the other's"),
    Mutant("posts_momentum_in_unemployed_groups", "sim/model/setup.py",
           "employed=np.isin(np.asarray(world.income_group), FULLY_EMPLOYED_INCOME_GROUPS),",
           "employed=np.ones(len(world.iso3), dtype=bool),",
           (POSTS_TREND,), "the posts' momentum also acts where the workforce starts unemployed"),
    Mutant("posts_momentum_follows_the_vacancy_sign", "sim/model/setup.py",
           "employed=np.isin(np.asarray(world.income_group), FULLY_EMPLOYED_INCOME_GROUPS),",
           "employed=initial_vacancy >= 0.0,",
           (POSTS_TREND,), "a calibrated initial vacancy rate crossing zero switches the momentum"),
    Mutant("posts_momentum_without_observed_growth", "sim/model/trends.py",
           "keep = np.asarray(employed, dtype=bool)[:, None] & trend.observed",
           "keep = np.asarray(employed, dtype=bool)[:, None]",
           (POSTS_TREND,), "a world without observed growth gives posts a momentum"),
    Mutant("posts_momentum_not_floored", "sim/model/trends.py",
           "excess = np.maximum(trend.growth - fiscal, 0.0) * float(weight)",
           "excess = (trend.growth - fiscal) * float(weight)",
           (POSTS_TREND,), "a stock that grew more slowly than fiscal space slows its posts"),
    Mutant("posts_momentum_never_fades", "sim/model/trends.py",
           "        return before + after\n",
           "        return b - a\n",
           (POSTS_TREND,), "the posts keep the observed growth's excess for ever"),
    Mutant("posts_momentum_none_before_the_reference_year", "sim/model/trends.py",
           "before = max(min(b, self.y_ref) - a, 0.0)",
           "before = 0.0",
           (POSTS_TREND,), "posts take no momentum in the years before the world's base year"),
    Mutant("posts_momentum_left_out_of_the_own_path", "sim/model/demand.py",
           "return pop[:, None] * income * np.exp(setup.posts_trend.log_factor(a, b))",
           "return pop[:, None] * income",
           (POSTS_TREND, EXPANSION), "posts and the expansion's own path lack the momentum"),
    Mutant("posts_momentum_from_the_reference_year", "sim/model/demand.py",
           "path = own_posts_path(s, self.elasticity, float(s.start_year), year)",
           "path = own_posts_path(s, self.elasticity, s.posts_trend.y_ref, year)",
           (POSTS_TREND,), "posts start from the reference year's path, not the initial posts"),
    Mutant("unemployment_slack_four_years", "sim/model/demand.py",
           "return _sustained(self.unemployment_rates, years, threshold)",
           "return _sustained(self.unemployment_rates, years + 1, threshold)",
           (REALISM,), "the unemployment slack averages four year ends instead of three"),
    Mutant("country_columns_two_bytes", "sim/engines/arrays.py",
           "if n_countries <= np.iinfo(np.uint8).max + 1:", "if False:",
           (ENGINE_TYPES,), "country indices in two bytes in every world"),
    Mutant("all_cadre_places_not_split", "sim/model/training.py",
           "places += agreements.training_places[g] / n_cadres",
           "places += agreements.training_places[g]",
           (MONEY, WINDOWS), "an all-cadre agreement's places counted in full for each cadre"),
    Mutant("retention_settlement_without_next_wage", "sim/model/money.py",
           "wage = s.base_wage * next_wage_multiplier[:, None]", "wage = s.base_wage",
           (MONEY,), "compensation pay rise against the base wage, not next year's wage bill"),
    # ---- policy windows (ODD §7.1)
    Mutant("until_exclusive", "sim/model/policies.py",
           "(end is None or year <= end)", "(end is None or year < end)",
           (WINDOWS,), "`until` made exclusive"),
    Mutant("from_exclusive", "sim/model/policies.py",
           "(start is None or year >= start)", "(start is None or year > start)",
           (WINDOWS,), "`from` made exclusive"),
    Mutant("deployment_cap_ignores_dates", "sim/model/policies.py",
           'cap_on = in_force(cap_spec, year)', 'cap_on = bool(cap_spec["enabled"])',
           (WINDOWS,), "a deployment cap in force in every year"),
    Mutant("adjustments_ignore_dates", "sim/model/policies.py",
           "        for spec, mask in self._adjustments:\n            if in_force(spec, year):",
           "        for spec, mask in self._adjustments:\n            if True:",
           (WINDOWS,), "adjustments in force in every year"),
    Mutant("rural_service_only_in_window", "sim/model/policies.py",
           'if bond["rural_service"]:', 'if bond["rural_service"] and in_force(bond, year):',
           (WINDOWS,), "rural service stops binding bonded workers after the policy's `until`"),
    Mutant("levers_switch_a_step_early", "sim/model/model.py",
           "year = s.start_year + t // s.steps_per_year",
           "year = s.start_year + (t + 1) // s.steps_per_year",
           (WINDOWS,), "each year's levers start one step before 1 January"),
    Mutant("fee_not_zeroed_under_fee_free", "sim/model/policies.py",
           'fee[:, self._masks["fee_free_recruitment"]["destinations"], :] = 0.0',
           'fee[:, self._masks["fee_free_recruitment"]["destinations"], :] *= 1.0',
           (WINDOWS,), "fee-free destinations still charge the fee"),
    Mutant("fee_free_agreements_inverted", "sim/model/policies.py",
           "for g in np.flatnonzero(active & self.agreements.fee_free):",
           "for g in np.flatnonzero(active & ~self.agreements.fee_free):",
           (MONEY,), "the corridors of agreements without `fee_free` are the ones made free"),
    # ---- decisions (ODD §4.2.1-4.2.2, §7.4) and their effects
    Mutant("rural_service_not_binding", "sim/model/rules.py",
           "if (bonded and ctx.rural_service[country, cadre])",
           "if (bonded and False and ctx.rural_service[country, cadre])",
           (TABLE,), "bonded rural-service workers may move to urban posts"),
    Mutant("rural_service_never_set", "sim/model/policies.py",
           'if bond["rural_service"]:', "if False:",
           (MONEY, WINDOWS), "the bonding lever's rural service flag is ignored"),
    Mutant("graduates_placed_ignoring_bonding", "sim/model/rules.py",
           "serves_rural = bond_steps[c, k] > 0 and rural_service[c, k]", "serves_rural = False",
           (MONEY,), "bonded graduates placed by the uptake draw, not rural"),
    Mutant("onward_constant_ignored", "sim/model/rules.py",
           "ve += ctx.onward_constant", "ve += 0.0",
           (TABLE,), "a migrant's onward move without the onward constant"),
    Mutant("onward_constant_on_natives", "sim/model/rules.py",
           "        if migrant:\n            ve += ctx.onward_constant",
           "        if True:\n            ve += ctx.onward_constant",
           (TABLE,), "the onward constant on first emigration too"),
    Mutant("migrant_applies_where_they_are", "sim/model/rules.py",
           "if ctx.destination_of_slot[slot] == country:", "if False:",
           (TABLE,), "a migrant drawing the country they work in applies to it"),
    Mutant("age_term_ignored", "sim/model/rules.py",
           "ve += ctx.age_term[min(age_steps, ctx.age_term.shape[0] - 1)]", "ve += 0.0",
           (TABLE,), "emigration utility without the age term"),
    Mutant("age_term_one_step_off", "sim/model/rules.py",
           "ve += ctx.age_term[min(age_steps, ctx.age_term.shape[0] - 1)]",
           "ve += ctx.age_term[min(age_steps + 1, ctx.age_term.shape[0] - 1)]",
           (TABLE,), "the age term read at the next step's age"),
    Mutant("natives_may_return", "sim/model/rules.py",
           "vr = ctx.v_return[origin, cadre] if migrant else NEG_INF",
           "vr = ctx.v_return[origin, cadre]",
           (TABLE,), "workers in their training country may 'return'"),
    Mutant("no_buyout_price_on_leaving", "sim/model/rules.py",
           "v_leave - bond_penalty)", "v_leave)",
           (TABLE,), "the buy-out price does not weigh on leaving while bonded"),
    Mutant("contract_countdown_off_by_one", "sim/model/rules.py",
           "return agreement >= 0 and contract_steps <= 0",
           "return agreement >= 0 and contract_steps < 0",
           (TABLE, MATCHING), "a fixed-term contract ends one step late"),
    Mutant("contract_starts_one_step_long", "sim/engines/effects.py",
           "contract = contract_steps[channel]\n", "contract = contract_steps[channel] + 1\n",
           (TABLE, MATCHING), "admission sets a contract one step longer than agreed"),
    Mutant("leaving_while_bonded_pays_nothing", "sim/engines/effects.py",
           "bonded = 1 if bond > 0 else 0\n        return country, area, EXITED",
           "bonded = 0\n        return country, area, EXITED",
           (TABLE, MONEY), "no buy-out when a bonded worker leaves the profession"),
    Mutant("returners_always_urban", "sim/engines/effects.py",
           "return origin, area, NO_AGREEMENT, 0", "return origin, 0, NO_AGREEMENT, 0",
           (TABLE,), "returning migrants go to urban posts whatever matching gave them"),
    Mutant("returners_keep_their_contract", "sim/engines/effects.py",
           "return origin, area, NO_AGREEMENT, 0", "return origin, area, NO_AGREEMENT, 3",
           (TABLE,), "going home does not end the contract"),
    # ---- matching (ODD §7.5)
    Mutant("quota_not_consumed", "sim/model/matching.py",
           "agreement_slots[g] -= 1", "agreement_slots[g] -= 0",
           (MATCHING,), "agreement slots never used up"),
    Mutant("agreement_ignores_destination", "sim/model/matching.py",
           "if destination[i] != agreement_destination[g]:", "if False:",
           (MATCHING,), "agreements take their source's applicants to any destination"),
    Mutant("agreement_recruits_abroad", "sim/model/matching.py",
           "if o != agreement_source[g] or country[i] != o:", "if o != agreement_source[g]:",
           (MATCHING,), "agreements recruit workers of their source who work in a third country"),
    Mutant("ethical_ignores_protected", "sim/model/policies.py",
           "ethical = self.ethical[None, :] & self.protected[:, None]",
           "ethical = self.ethical[None, :] & np.ones_like(self.protected)[:, None]",
           (CODES, "tests/test_levers.py"),
           "ethical recruitment turns down applicants from every origin"),
    Mutant("ethical_by_origin", "sim/model/matching.py",
           "rate = passive[country[i], d, cadre[i]]", "rate = passive[origin[i], d, cadre[i]]",
           (MATCHING,), "ethical recruitment by the training country, not the one recruited from"),
    Mutant("passive_rate_inverted", "sim/model/matching.py",
           ">= rate:", "< rate:",
           (MATCHING,), "protected applicants taken when the passive draw is above the rate"),
    Mutant("passive_table_one_cadre", "sim/model/matching.py",
           "rate = passive[country[i], d, cadre[i]]", "rate = passive[country[i], d, 0]",
           (MATCHING,), "matching reads the first cadre's passive rate for every cadre"),
    Mutant("national_code_a_year_late", "sim/model/policies.py",
           "coded = np.asarray(w.ethical_code_from)[None, :, :] <= year",
           "coded = np.asarray(w.ethical_code_from)[None, :, :] < year",
           (CODES,), "a code of practice applies from the year after its first"),
    Mutant("national_code_stripped_in_spin_up", "sim/model/policies.py",
           "deployment_exempt_agreements=np.ones((n, k), dtype=bool),",
           "deployment_exempt_agreements=np.ones((n, k), dtype=bool), "
           "code_passive=np.ones_like(pol.code_passive),",
           (CODES,), "a spin-up's years and the state without levers drop the world's codes"),
    Mutant("national_code_last_row_wins", "sim/inputs/dated_facts.py",
           "code_from[c, k] = min(code_from[c, k], first)", "code_from[c, k] = first",
           (CODES,), "of two code rows for one destination and cadre, the last one's year holds"),
    Mutant("national_code_ignored", "sim/model/matching.py",
           "if rate < 1.0 and uniform_keyed", "if rate < -1.0 and uniform_keyed",
           (CODES,), "the passive table ignored in matching (no rule turns anyone down)"),
    Mutant("national_code_ignores_channels", "sim/model/policies.py",
           "applies &= ~(np.asarray(w.recruitment_partner_from) <= year)", "pass",
           (CODES,), "a code of practice also turns down the origins of the destination's "
           "government-to-government channels"),
    Mutant("national_code_higher_rate_holds", "sim/model/policies.py",
           "np.minimum(lever[:, :, None], self.code_passive)",
           "np.maximum(lever[:, :, None], self.code_passive)",
           (CODES,), "where the lever and a code both apply, the higher passive rate holds"),
    Mutant("national_code_before_the_list", "sim/inputs/dated_facts.py",
           "first = max(_first_year(row, file), SAFEGUARDS_LIST_YEAR)",
           "first = _first_year(row, file)",
           (CODES,), "a code applies from its own year, before the list in the data"),
    Mutant("matching_by_worker_id", "sim/model/matching.py",
           'return by_id[np.argsort(keys[by_id], kind="mergesort")]', "return by_id",
           (MATCHING,), "applicants ranked by worker id only, not by random priority"),
    Mutant("immigrants_all_urban", "sim/model/matching.py",
           "area[i] = _draw_area(worker_keys[i], step, rural_share[destination[i], cadre[i]])",
           "area[i] = 0",
           (MATCHING,), "taken applicants placed ignoring the destination's rural share"),
    Mutant("deployment_cap_ignored", "sim/model/matching.py",
           "counted = country[i] == o and capped[o, cadre[i]]", "counted = False",
           (MATCHING, WINDOWS), "open recruitment ignores deployment caps"),
    Mutant("deployment_cap_counts_onward_moves", "sim/model/matching.py",
           "counted = country[i] == o and capped[o, cadre[i]]", "counted = capped[o, cadre[i]]",
           (MATCHING,), "migrants moving on from abroad use their origin's allowance"),
    Mutant("agreement_hires_always_exempt", "sim/model/matching.py",
           "counted = capped[o, cadre[i]] and not exempt_agreements[o, cadre[i]]",
           "counted = False",
           (MATCHING,), "agreement hires never use the allowance"),
    Mutant("lever_exemption_for_every_origin", "sim/model/policies.py",
           'np.where(deployment_capped, bool(cap_spec["exempt_agreements"]), True)',
           'np.where(deployment_capped | True, bool(cap_spec["exempt_agreements"]), True)',
           ("tests/test_realism.py::"
            "test_a_lever_cap_without_exemption_leaves_the_world_data_cap_exempt",),
           "the lever's exempt_agreements applies to the world data's caps too"),
    Mutant("exemption_read_from_the_first_origin", "sim/model/matching.py",
           "counted = capped[o, cadre[i]] and not exempt_agreements[o, cadre[i]]",
           "counted = capped[o, cadre[i]] and not exempt_agreements[0, cadre[i]]",
           (MATCHING,), "every origin takes the first origin's exemption"),
    Mutant("exemption_read_from_the_first_cadre", "sim/model/matching.py",
           "counted = capped[o, cadre[i]] and not exempt_agreements[o, cadre[i]]",
           "counted = capped[o, cadre[i]] and not exempt_agreements[o, 0]",
           (MATCHING,), "every cadre takes the first cadre's exemption"),
    Mutant("allowance_carries_across_years", "sim/model/demand.py",
           "self.accrued -= np.floor(self.accrued + 1e-9)", "self.accrued -= 0.0",
           (MATCHING,), "unused whole deployment allowance carries into the next year"),
    Mutant("allowance_fraction_lost", "sim/model/demand.py",
           "self.accrued -= np.floor(self.accrued + 1e-9)", "self.accrued[:] = 0.0",
           (MATCHING,), "the fraction of an agent of allowance is dropped at the year end"),
    Mutant("allowance_never_used_up", "sim/model/demand.py",
           "self.used += np.where(before < self.UNCAPPED, before - after, 0)", "self.used += 0",
           (MATCHING,), "deployments made do not reduce the allowance of later steps"),
    Mutant("voluntary_returners_always_go_home", "sim/model/matching.py",
           "elif forced[i]:", "else:",
           (MATCHING,), "voluntary returners go home without a vacant post"),
    Mutant("contract_end_returners_stay_without_a_post", "sim/model/matching.py",
           "elif forced[i]:", "elif False:",
           (MATCHING,), "contract-end returners stay abroad when no home post is left"),
    Mutant("voluntary_returners_first", "sim/model/matching.py",
           "if forced[i] != (rounds == 0):", "if forced[i] != (rounds == 1):",
           (MATCHING,), "voluntary returners take the home posts before contract-end returners"),
    # ---- the arrays engine's kernels
    Mutant("parallel_build_removed", "sim/jitcache.py",
           "True: njit(parallel=True, cache=True)(twin)", "True: njit(cache=True)(twin)",
           (DISPATCH,), "the 'parallel' builds compiled serially"),
    Mutant("serial_build_for_every_size", "sim/engines/arrays.py",
           "PARALLEL_MIN_ROWS = CHUNK", "PARALLEL_MIN_ROWS = 1 << 62",
           (DISPATCH,), "the serial build used for every population size"),
    Mutant("parallel_build_shares_serial_cache", "sim/jitcache.py",
           "cache=True)(twin)}", "cache=True)(func)}",
           (JIT,), "the parallel builds cached under the serial builds' names"),
    Mutant("row_offset_dropped", "sim/engines/passes.py",
           "idx[j + t] = lo + np.int64(marked[lo + t])", "idx[j + t] = np.int64(marked[lo + t])",
           (GOLDEN,), "the marked rows of every chunk read as rows of the first"),
    Mutant("hazard_precheck_retirement_only", "sim/engines/passes.py",
           "max_age, p_any[m, k, a]):", "max_age, p_retire[k, a]):",
           (GOLDEN,), "the hazard pass's pre-check lets through the retirements only"),
    Mutant("migrant_attrition_ignored_by_arrays", "sim/engines/passes.py",
           "m = 1 if origin[i] != country[i] else 0", "m = 0",
           ("tests/test_engines.py::test_engines_identical_on_the_archetype_world",),
           "the arrays engine gives migrants the natives' exit hazard"),
    Mutant("migrant_attrition_for_everyone_in_arrays", "sim/engines/passes.py",
           "m = 1 if origin[i] != country[i] else 0", "m = 1",
           ("tests/test_hazard_pass.py",),
           "the arrays engine gives natives the migrants' exit hazard"),
    Mutant("hazard_bound_below_the_thresholds", "sim/model/rules.py",
           "return young, p_young, p_max\n", "return young, p_young, p_max / 2\n",
           ("tests/test_hazard_pass.py",
            "tests/test_engines.py::test_engines_identical_on_the_archetype_world"),
           "the hazard pass's first look drops rows that the thresholds give an event"),
    Mutant("graduates_cells_in_cadre_order", "sim/model/rules.py",
           "ends = np.cumsum(np.asarray(counts, dtype=np.int64).reshape(-1))",
           "ends = np.cumsum(np.asarray(counts, dtype=np.int64).T.reshape(-1))",
           ("tests/test_new_workers.py",),
           "the graduates' cells read in (cadre, country) order: rows in the wrong cells"),
    Mutant("initial_workers_cell_boundary_late", "sim/model/rules.py",
           "            cell[i] = j\n",
           "            cell[i] = j if ends[j] > i + 1 or j + 1 >= ends.shape[0] else j + 1\n",
           ("tests/test_new_workers.py",),
           "the last row of each cell of new workers put in the next cell"),
    Mutant("record_field_high_bit_dropped", "sim/engines/passes.py",
           "(np.int64(a) & _LOW)", "(np.int64(a) & 0x7FFF)",
           (RECORDS,), "phase 3's records drop the high bit of origin and birth"),
    Mutant("record_birth_a_step_late", "sim/engines/passes.py",
           "area[i], k, birth[i],", "area[i], k, birth[i] + 1,",
           (RECORDS,), "the hazard pass's records make each candidate a step younger"),
    Mutant("gathered_slot_of_the_chunk_start", "sim/engines/passes.py",
           "slot[j + t] = slots[lo + t]", "slot[j + t] = slots[lo]",
           (GOLDEN,), "every applicant of a chunk gets the destination of the chunk's first"),
    Mutant("output_folder_not_held", "sim/outputs/folders.py",
           "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)", "pass",
           ("tests/test_nothing_lost.py",),
           "compare, sweep and calibrate write to a folder another one is writing to"),
    Mutant("held_folder_left_behind", "sim/outputs/folders.py",
           "                folder.rmdir()", "                pass",
           ("tests/test_nothing_lost.py",),
           "a failed compare leaves the empty folders it created"),
    Mutant("held_folder_without_its_subfolder", "sim/outputs/folders.py",
           "(out / inner).mkdir(parents=True, exist_ok=True)",
           "out.mkdir(parents=True, exist_ok=True)",
           ("tests/test_nothing_lost.py",),
           "a held compare folder stays empty, so a run may swap it away"),
    Mutant("active_count_misses_leavers", "sim/engines/arrays.py",
           "self.active -= int(np.count_nonzero(cols[6] == T_LEAVE))", "self.active -= 0",
           ("tests/test_hazard_pass.py",),
           "the arrays engine's count of active rows misses those leaving the profession"),
    Mutant("hazard_precheck_natives_for_migrants", "sim/engines/passes.py",
           "max_age, p_any[m, k, a]):", "max_age, p_any[0, k, a]):",
           ("tests/test_engines.py::test_engines_identical_on_the_archetype_world",),
           "the hazard pass's pre-check reads the natives' threshold for migrants"),
    Mutant("migrant_attrition_ratio_dropped", "sim/model/supply.py",
           'exit_rate * float(hazards["migrant_attrition_ratio"])', "exit_rate",
           ("tests/test_realism.py", "tests/test_work_permit_tie.py"),
           "migrants' attrition no longer scaled"),
    Mutant("origin_size_sign_flipped", "sim/model/utilities.py",
           "+ size_weight * size[o, k]", "- size_weight * size[o, k]",
           ("tests/test_realism.py", "tests/test_utility_kernels.py"),
           "the origin size term lifts large origins where it should lower them"),
    Mutant("origin_size_median_over_empty_origins", "sim/model/initial.py",
           "np.median(trained[has, k])", "np.median(trained[:, k])",
           ("tests/test_realism.py",),
           "the median origin counts origins without workers"),
    Mutant("free_movement_within_one_country", "sim/model/utilities.py",
           "    within &= np.arange(free.shape[0])[:, None] != np.asarray(slots)[None, :]\n", "",
           ("tests/test_free_movement.py",),
           "the free movement effect also applies to a member's own slot"),
    Mutant("free_movement_to_every_destination", "sim/model/utilities.py",
           "within = free[:, None] & free[slots][None, :]",
           "within = free[:, None] & np.ones(len(slots), dtype=bool)[None, :]",
           ("tests/test_free_movement.py",),
           "the free movement effect applies to every destination of a member's workers"),
    Mutant("community_preference_within_one_country", "sim/model/matching.py",
           "in_area = member[:, None, None] & setup.preferring[None, :, :] & other",
           "in_area = member[:, None, None] & setup.preferring[None, :, :]",
           ("tests/test_matching_rules.py",),
           "the Community preference also serves a worker going home to a member from abroad"),
    Mutant("community_preference_at_every_destination", "sim/model/matching.py",
           "in_area = member[:, None, None] & setup.preferring[None, :, :] & other",
           "in_area = member[:, None, None] & other",
           ("tests/test_matching_rules.py",),
           "the Community preference applies at destinations outside the area"),
    Mutant("channel_preference_ignored", "sim/model/matching.py",
           "np.maximum(table, np.where(pol.channel_partner & other, channel, 0.0))",
           "table",
           ("tests/test_matching_rules.py", "tests/test_recruitment_channels.py"),
           "open recruitment never considers a channel's partner applicants first"),
    Mutant("channel_preference_every_origin", "sim/model/matching.py",
           "np.maximum(table, np.where(pol.channel_partner & other, channel, 0.0))",
           "np.maximum(table, np.where(pol.channel_partner.any(axis=0)[None] & other, "
           "channel, 0.0))",
           ("tests/test_matching_rules.py",),
           "a destination with a channel considers every origin's applicants first"),
    Mutant("channel_partner_undated", "sim/model/policies.py",
           "        return np.asarray(w.recruitment_partner_from) <= year",
           "        return np.isfinite(np.asarray(w.recruitment_partner_from))",
           ("tests/test_recruitment_channels.py",),
           "the channel preference applies before the channel's first year"),
    Mutant("community_preference_ignores_waivers", "sim/model/setup.py",
           "    return member & ~np.asarray(waived, dtype=bool)",
           "    return np.repeat(member, len(CADRES), axis=1)",
           ("tests/test_free_movement.py",),
           "the Community preference also applies where the labour market test is waived"),
    Mutant("community_preference_never_first", "sim/model/matching.py",
           "            if preferred_round:", "            if False:",
           ("tests/test_free_movement.py", "tests/test_matching_rules.py"),
           "open recruitment never considers the area's applicants first"),
    Mutant("validation_reads_flows", "scripts/validation.py",
           "        return register_joiners(r.arrivals, o, d, cadre, first, r.replicates)",
           "        return register_joiners(r.flows.rename(columns={'destination': 'country'}), "
           "o, d, cadre, first, r.replicates)",
           ("tests/test_validation_script.py",),
           "the validation's register joiners read the flows (by the country left)"),
    Mutant("split_correction_one_class", "sim/model/utilities.py",
           "                cls = 1 if preferred[o, d, k] else 0",
           "                cls = 0",
           ("tests/test_free_movement.py",),
           "the network correction ignores the Community preference's classes"),
    Mutant("split_correction_skips_hiring_origins", "sim/model/utilities.py",
           "if origin_hires[o, k] == 0.0:", "if origin_hires[o, k] > 0.0:",
           ("tests/test_network_split.py", "tests/test_free_movement.py"),
           "the network correction skips the origins that hired, not those that did not"),
    Mutant("split_correction_first_destination_only", "sim/model/utilities.py",
           "                    at_dest[j, k] += float(hired)\n",
           "                    at_dest[j, k] += float(hired) if j == 0 else 0.0\n",
           ("tests/test_network_split.py", "tests/test_free_movement.py"),
           "destinations' fill rates computed from the first destination's hires only"),
    Mutant("destination_hires_first_origin_only", "sim/model/matching.py",
           "np.add.at(opened.destination_hires, (dest[taken], cad[taken]), 1)",
           "np.add.at(opened.destination_hires, (dest[taken & (org == org.min())], "
           "cad[taken & (org == org.min())]), 1)",
           ("tests/test_hiring_chance.py",),
           "a destination's open hires counted for one origin only"),
    Mutant("hiring_chance_sign", "sim/model/utilities.py",
           "np.log(dest_wage) + chance_term + pol.conditions[slots]",
           "np.log(dest_wage) - chance_term + pol.conditions[slots]",
           ("tests/test_hiring_chance.py",),
           "a small chance of a post raises the destination's utility"),
    Mutant("hiring_chance_explicit_smoothing", "sim/model/demand.py",
           "a = self.setup.dt / (HIRING_MEMORY_YEARS + self.setup.dt)",
           "a = self.setup.dt / HIRING_MEMORY_YEARS",
           ("tests/test_hiring_chance.py",),
           "the chance of a post smoothed by an explicit step (unstable with yearly steps)"),
    Mutant("hiring_chance_not_recorded", "sim/model/model.py",
           "        self.demand.record_hiring(opened.destination_hires, opened.applicants)\n", "",
           ("tests/test_hiring_chance.py",),
           "matching's hires and applicants never reach the chance of a post"),
    Mutant("channel_effect_sign", "sim/model/utilities.py",
           "setup.affinity + effect * in_force",
           "setup.affinity - effect * in_force",
           ("tests/test_recruitment_channels.py",),
           "a government-to-government channel makes its destination less attractive"),
    Mutant("channel_not_dated", "sim/model/utilities.py",
           "in_force = setup.partner_from <= year",
           "in_force = np.isfinite(setup.partner_from)",
           ("tests/test_recruitment_channels.py",),
           "a channel in force before its first year"),
    Mutant("channel_pair_swapped", "sim/inputs/dated_facts.py",
           "partner_from[o, c, k] = min(partner_from[o, c, k], first)",
           "partner_from[c, o, k] = min(partner_from[c, o, k], first)",
           ("tests/test_recruitment_channels.py",),
           "the channel's partner taken as its destination"),
    Mutant("channel_not_at_build", "sim/model/model.py",
           "self.affinity = utilities.dated_affinity(s.behaviour, s, s.start_year)",
           "self.affinity = s.affinity",
           ("tests/test_recruitment_channels.py",),
           "the model built (its reference outflow computed) without the channels in force"),
    Mutant("channel_not_yearly", "sim/model/model.py",
           "        self.affinity = utilities.dated_affinity(self.setup.behaviour, self.setup, "
           "year)\n",
           "",
           ("tests/test_recruitment_channels.py",),
           "the channels of the run's first year kept for the whole run"),
    # ---- the language of practice (ODD §4.2.2, docs/data.md §1.5)
    Mutant("practice_language_ignored", "sim/model/utilities.py",
           "    practice = world.practice_language\n", "    practice = None\n",
           ("tests/test_practice_language.py",),
           "the destination choice reads the common official language, not the language of "
           "practice"),
    Mutant("practice_language_cadres_swapped", "scripts/build_world.py",
           "read = initial_stock.practice_language(dyads, cadre)",
           "read = initial_stock.practice_language(dyads, "
           "{'doctors': 'nurses', 'nurses': 'doctors'}[cadre])",
           ("tests/test_world_data.py::test_the_build_writes_each_cadres_language_of_practice",
            "tests/test_world.py::test_language_of_practice", BUILD),
           "the world build writes each cadre's language of practice with the other cadre's rule"),
    Mutant("practice_language_one_cadre", "sim/model/utilities.py",
           "    return np.asarray(practice, dtype=np.float64)[:, slots, :]\n",
           "    return np.repeat(np.asarray(practice, dtype=np.float64)[:, slots, "
           "CADRES.index('nurses'), None], len(CADRES), axis=2)\n",
           ("tests/test_practice_language.py",),
           "the destination choice reads the nurses' language of practice for both cadres"),
    Mutant("deployment_cap_first_entry_only", "sim/model/policies.py",
           "return np.where(on, w.deployment_cap, np.inf).min(axis=1)",
           "return np.where(on, w.deployment_cap, np.inf)[:, 0]",
           ("tests/test_deployment_cap_schedule.py",),
           "an origin's cap read from its first entry only (the Philippines' raises lost)"),
    Mutant("deployment_cap_largest_entry", "sim/model/policies.py",
           "return np.where(on, w.deployment_cap, np.inf).min(axis=1)",
           "return np.where(on, w.deployment_cap, -np.inf).max(axis=1)",
           ("tests/test_deployment_cap_schedule.py",),
           "overlapping entries of a cap: the largest holds, not the smallest"),
    Mutant("deployment_cap_last_row_wins", "sim/inputs/dated_facts.py",
           "cap_entries.setdefault(c, []).append(_cap_entry(row, file))",
           "cap_entries[c] = [_cap_entry(row, file)]",
           ("tests/test_deployment_cap_schedule.py",),
           "a second origin_cap row of an origin replaces the first (one cap for every year)"),
    Mutant("age_counts_last_year_early", "sim/engines/passes.py",
           "steps_per_year, AGE_YEARS - 1)", "steps_per_year, AGE_YEARS - 2)",
           ("tests/test_parallel_dispatch.py",),
           "the arrays engine's age counts put the oldest year in the one before"),
    Mutant("hazard_precheck_sum_reassociated", "sim/model/rules.py",
           "(p_retire + p_death) + p_exit)", "p_retire + (p_death + p_exit))",
           (RULES,), "the pre-check's threshold summed in another order than hazard_event's"),
    Mutant("growth_copy_dropped", "sim/engines/arrays.py",
           "arr[: self.n] = self.a[name][: self.n]", "pass",
           (GROWING,), "columns reallocated during a run without their rows"),
    Mutant("shared_columns", "sim/engines/storage.py",
           "mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)", "mmap.mmap(-1, size)",
           (STORAGE,), "the columns on a shared mapping, written through by a forked child"),
    Mutant("arrivals_by_country_left", "sim/model/ledger.py",
           "arrivals[o, c_to[i], k] += 1", "arrivals[c_from[i], c_to[i], k] += 1",
           ("tests/test_model_properties.py",),
           "arrivals counted by the country left, as flows are, not by country of training"),
    Mutant("arrivals_include_returns", "sim/model/ledger.py",
           "if arrive == F_IMMIGRANTS:", "if True:",
           ("tests/test_model_properties.py",), "a return home counted as an arrival"),
    Mutant("onward_counts_every_arrival", "sim/model/ledger.py",
           "if c_from[i] != o:", "if True:",
           ("tests/test_realism.py",), "every arrival counted as an onward move"),
    Mutant("hazard_exit_pays_buyout", "sim/engines/effects.py",
           "return EXITED, T_EXIT, -1, 0, 0", "return EXITED, T_EXIT, -1, 0, 1",
           (EFFECTS,), "a hazard exit pays the bond buy-out"),
)  # fmt: skip


def _copy(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", ".pytest_cache")
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        else:
            shutil.copy2(src, dest / name)


def _apply(dest: Path, mutant: Mutant) -> None:
    path = dest / mutant.path
    text = path.read_text(encoding="utf-8")
    count = text.count(mutant.old)
    if count != 1:
        raise SystemExit(f"mutant {mutant.name}: {mutant.path} holds its code {count} times")
    path.write_text(text.replace(mutant.old, mutant.new), encoding="utf-8")


def _run(dest: Path, tests: tuple[str, ...], timeout: int) -> tuple[int, list[str], float]:
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": str(dest / ".numba-cache"),
        "PYTHONPATH": str(dest),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    check = subprocess.run(
        [sys.executable, "-c", "import sim; print(sim.__file__)"],
        capture_output=True, text=True, cwd=dest, env=env, check=True,
    )  # fmt: skip
    assert check.stdout.strip().startswith(str(dest)), check.stdout
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", *tests],
        capture_output=True, text=True, cwd=dest, env=env, timeout=timeout,
    )  # fmt: skip
    failed = re.findall(r"^FAILED (.+?)(?: - .*)?$", proc.stdout, flags=re.MULTILINE)
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
    return proc.returncode, failed, time.monotonic() - started


def _tests_at(dest: Path, rev: str) -> None:
    """Replace the copy's tests/ by the one of git revision `rev`."""
    shutil.rmtree(dest / "tests")
    archive = subprocess.run(
        ["git", "archive", rev, "tests"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


def run(
    mutant: Mutant | None, tests: tuple[str, ...], timeout: int, tests_from: str | None = None
) -> tuple[int, list, float]:
    """Run `tests` in a fresh copy of the repository, with `mutant` applied if given."""
    with tempfile.TemporaryDirectory(prefix="hrhsim-mutant-") as tmp:
        dest = Path(tmp)
        _copy(dest)
        if tests_from:
            _tests_at(dest, tests_from)
        if mutant is not None:
            _apply(dest, mutant)
        return _run(dest, tests, timeout)


def _tests_of(failed: list[str]) -> str:
    """The failing test functions, parameters merged: `module::test (n cases)`."""
    counts: dict[str, int] = {}
    for node in failed:
        name = node.split("/")[-1].split("[")[0]
        counts[name] = counts.get(name, 0) + 1
    return "<br>".join(f"`{n}`" + (f" ({c} cases)" if c > 1 else "") for n, c in counts.items())


def _change(m: Mutant) -> str:
    """The mutant's code change as `file`: `old` → `new` (first line of each, for a table)."""
    old, new = (" ".join(x.split()).replace("|", "\\|") for x in (m.old, m.new))
    return f"{m.path}: `{old}` → `{new}`"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument(
        "--check", action="store_true", help="check that every mutant still applies, and exit"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    parser.add_argument(
        "--tests",
        nargs="+",
        help="run these tests for every mutant instead of each mutant's own (e.g. another suite)",
    )
    parser.add_argument(
        "--tests-from",
        metavar="REV",
        help="take tests/ from this git revision (e.g. the suite before these tests were added)",
    )
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per run")
    parser.add_argument("--markdown", type=Path, help="also write the result table here")
    args = parser.parse_args(argv)
    known = {m.name: m for m in MUTANTS}
    if args.list:
        for m in MUTANTS:
            print(f"{m.name:42s} {m.path:26s} {m.what}")
        return 0
    if args.check:
        stale = [m.name for m in MUTANTS if (ROOT / m.path).read_text("utf-8").count(m.old) != 1]
        print(f"mutants that no longer apply: {', '.join(stale)}" if stale else "all apply")
        return 1 if stale else 0
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown mutants: {', '.join(unknown)}")
    chosen = [known[n] for n in args.names] if args.names else list(MUTANTS)
    if not args.no_baseline:
        tests = tuple(args.tests or dict.fromkeys(t for m in chosen for t in m.tests))
        code, failed, seconds = run(None, tests, args.timeout, args.tests_from)
        print(f"baseline (no mutant): exit {code} in {seconds:.0f} s", flush=True)
        if code != 0:
            print("the unmutated tests fail:", *failed, sep="\n  ")
            return 2
    rows = [
        "| mutant | change | result | killed by (failing tests, parameters merged) |",
        "|---|---|---|---|",
    ]
    survivors = []
    for m in chosen:
        code, failed, seconds = run(m, tuple(args.tests or m.tests), args.timeout, args.tests_from)
        result = {0: "SURVIVED", 1: "killed"}.get(code, f"error (exit {code})")
        if code != 1:
            survivors.append(m.name)
        killers = _tests_of(failed)
        rows.append(f"| `{m.name}`: {m.what} | {_change(m)} | {result} | {killers} |")
        print(f"{m.name}: {result} in {seconds:.0f} s; {killers}", flush=True)
    table = "\n".join(rows)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n", encoding="utf-8")
    if survivors:
        print("not killed:", ", ".join(survivors))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
