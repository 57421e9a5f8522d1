"""What each event and choice does to a worker (sim/engines/effects.py), case by case."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engines import effects
from sim.model import rules
from sim.model.ledger import T_DEATH, T_EXIT, T_LEAVE, T_MOVE, T_RETIRE
from sim.model.population import APPLY_CONTRACT_RETURN, APPLY_EMIGRATE, APPLY_RETURN

NONE = effects.NO_TRANSITION
# (choice, contract ends) -> expected (country, area, status, agreement, contract,
#                                     kind, country_to, area_to, bonded)
# for a migrant (origin 0) working in country 3, rural (1), bonded (5 steps), under agreement 2
# with 4 contract steps left.
AFTER_CHOICE = [
    ((rules.CHOICE_STAY, False), (3, 1, rules.ACTIVE, 2, 4, NONE, -1, 0, 0)),
    ((rules.CHOICE_STAY, True), (3, 1, rules.ACTIVE, -1, 4, NONE, -1, 0, 0)),
    ((rules.CHOICE_MOVE, False), (3, 0, rules.ACTIVE, 2, 4, T_MOVE, 3, 0, 0)),
    ((rules.CHOICE_MOVE, True), (3, 0, rules.ACTIVE, -1, 4, T_MOVE, 3, 0, 0)),
    ((rules.CHOICE_LEAVE, False), (3, 1, rules.EXITED, 2, 4, T_LEAVE, -1, 0, 1)),
    # Returning home is an application, decided in matching (ODD §7.5): nothing happens now,
    # except that a contract that ran out lapses.
    ((rules.CHOICE_RETURN, False), (3, 1, rules.ACTIVE, 2, 4, NONE, -1, 0, 0)),
    ((rules.CHOICE_CONTRACT_RETURN, True), (3, 1, rules.ACTIVE, -1, 4, NONE, -1, 0, 0)),
    ((rules.CHOICE_EMIGRATE, False), (3, 1, rules.ACTIVE, 2, 4, NONE, -1, 0, 0)),
]


@pytest.mark.parametrize(("case", "expected"), AFTER_CHOICE)
def test_after_choice(case, expected):
    choice, ends = case
    got = effects.after_choice(choice, ends, 0, 3, 1, 5, 2, 4)
    assert tuple(int(x) for x in got) == expected


def test_leaving_unbonded_pays_no_buyout():
    *_, kind, _, _, bonded = effects.after_choice(rules.CHOICE_LEAVE, False, 1, 1, 0, 0, -1, 0)
    assert (kind, bonded) == (T_LEAVE, 0)


def test_ageing_counts_down_bonds_and_contracts_but_not_below_zero():
    key = 123
    age, bond, contract, event = effects.age_and_hazards(key, 5, 100, 3, 0, 840, 0, 0, 0)
    assert (age, bond, contract, event) == (101, 2, 0, rules.EVENT_NONE)
    age, bond, contract, event = effects.age_and_hazards(key, 5, 839, 0, 7, 840, 0, 0, 0)
    assert (age, bond, contract, event) == (840, 0, 6, rules.EVENT_RETIRE)  # past the max age
    # certain retirement at the worker's new age
    assert effects.age_and_hazards(key, 5, 100, 0, 0, 840, 1.0, 0, 0)[3] == rules.EVENT_RETIRE


def test_hazards_are_read_at_the_age_after_ageing_capped_at_the_maximum():
    assert effects.hazard_index(100, 840) == 101
    assert effects.hazard_index(840, 840) == 840


@pytest.mark.parametrize(
    ("choice", "kind"),
    [
        (rules.CHOICE_EMIGRATE, APPLY_EMIGRATE),
        (rules.CHOICE_RETURN, APPLY_RETURN),
        (rules.CHOICE_CONTRACT_RETURN, APPLY_CONTRACT_RETURN),
        (rules.CHOICE_STAY, -1),
        (rules.CHOICE_MOVE, -1),
        (rules.CHOICE_LEAVE, -1),
    ],
)
def test_applications_are_emigration_and_returns(choice, kind):
    assert effects.application_kind(choice) == kind


def test_homecoming_ends_the_contract_in_the_area_given():
    assert effects.homecoming(7, rules.RURAL) == (7, rules.RURAL, effects.NO_AGREEMENT, 0)


@pytest.mark.parametrize(
    ("event", "status", "kind"),
    [
        (rules.EVENT_RETIRE, rules.RETIRED, T_RETIRE),
        (rules.EVENT_DEATH, rules.DEAD, T_DEATH),
        (rules.EVENT_EXIT, rules.EXITED, T_EXIT),
    ],
)
def test_departure(event, status, kind):
    assert tuple(effects.departure(event)) == (status, kind, -1, 0, 0)


def test_admission_breaks_the_bond_and_starts_only_fixed_term_contracts():
    contract_steps = np.array([0, 8], dtype=np.int64)  # agreement 0 permanent, 1 fixed-term
    # open recruitment: a bonded worker moves, pays the buy-out, keeps no bond
    assert effects.admission(4, 1, -1, contract_steps, 3, -1, 0) == (4, 1, 0, -1, 0, 1)
    # a permanent agreement starts no contract
    assert effects.admission(4, 0, 0, contract_steps, 0, -1, 0) == (4, 0, 0, -1, 0, 0)
    # a fixed-term agreement starts its contract
    assert effects.admission(4, 0, 1, contract_steps, 0, -1, 0) == (4, 0, 0, 1, 8, 0)
