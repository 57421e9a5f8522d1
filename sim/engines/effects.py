"""What each event and choice does to a worker: one definition, used by both engines.

The agents engine calls these numba functions for one `HealthWorker` at a time; the arrays engine
calls them inside its kernels for one row at a time. Each takes the worker's state as plain
integers and returns the new state and the transition to record (docs/ODD.md §7.3-7.5), so the two
engines cannot drift apart. A transition is (kind, country_to, area_to, bonded) with the kinds of
`sim.model.ledger` (`NO_TRANSITION` when nothing is recorded); `bonded` is 1 where the worker
breaks a bond and pays the buy-out.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.model import rules
from sim.model.ledger import T_DEATH, T_EXIT, T_LEAVE, T_MOVE, T_RETIRE
from sim.model.population import APPLY_CONTRACT_RETURN, APPLY_EMIGRATE, APPLY_RETURN
from sim.model.rules import (
    ACTIVE,
    CHOICE_CONTRACT_RETURN,
    CHOICE_EMIGRATE,
    CHOICE_LEAVE,
    CHOICE_MOVE,
    CHOICE_RETURN,
    DEAD,
    EVENT_DEATH,
    EVENT_RETIRE,
    EXITED,
    RETIRED,
)

NO_TRANSITION = -1
"""Transition kind of a choice that records nothing now (staying, applying to emigrate)."""
NO_AGREEMENT = -1
"""`agreement` of a worker without a fixed-term contract."""

__all__ = [
    "NO_AGREEMENT",
    "NO_TRANSITION",
    "admission",
    "after_choice",
    "age_and_hazards",
    "application_kind",
    "departure",
    "hazard_index",
    "homecoming",
]


@njit(cache=True)
def age_and_hazards(
    key: int,
    step: int,
    age: int,
    bond: int,
    contract: int,
    max_age: int,
    p_retire: float,
    p_death: float,
    p_exit: float,
) -> tuple[int, int, int, int]:
    """Phase 2 for one worker (ODD §7.3): one step older, obligations run down, hazard drawn.

    `p_retire`, `p_death`, `p_exit` are the per-step probabilities at the worker's age after
    ageing (`hazard_index(age)` of the hazard tables). Returns (age, bond, contract, event): the
    new age, bond and contract countdowns (steps) and the hazard event of
    `sim.model.rules.hazard_event` (EVENT_NONE: nothing happens).
    """
    age += 1
    if bond > 0:
        bond -= 1
    if contract > 0:
        contract -= 1
    event = rules.hazard_event(key, step, age, max_age, p_retire, p_death, p_exit)
    return age, bond, contract, event


@njit(cache=True)
def hazard_index(age: int, max_age: int) -> int:
    """Column of the hazard tables (`HazardContext`) for a worker now `age` steps old: their
    age after this step's ageing, at most the maximum age."""
    return min(age + 1, max_age)


@njit(cache=True)
def departure(event: int) -> tuple[int, int, int, int, int]:
    """A worker leaving by a hazard event: (status, kind, country_to, area_to, bonded).

    Hazard exits never pay a bond buy-out (ODD §7.3).
    """
    if event == EVENT_RETIRE:
        return RETIRED, T_RETIRE, -1, 0, 0
    if event == EVENT_DEATH:
        return DEAD, T_DEATH, -1, 0, 0
    return EXITED, T_EXIT, -1, 0, 0


@njit(cache=True)
def after_choice(
    choice: int,
    ends: bool,
    origin: int,
    country: int,
    area: int,
    bond: int,
    agreement: int,
    contract: int,
) -> tuple:
    """What a phase-3 choice does to a worker now (ODD §7.4, outcomes).

    Args:
        choice: a `CHOICE_*` of `sim.model.rules`; `ends`: the worker's fixed-term contract ran
            out (the contract lapses).
        origin, country, area, bond, agreement, contract: the worker's state.

    Returns:
        (country, area, status, agreement, contract, kind, country_to, area_to, bonded): the new
        state, then the transition (`NO_TRANSITION` for staying and for the applications to
        emigrate or to return home, which are decided in matching, `application_kind`).
    """
    if ends:
        agreement = NO_AGREEMENT
    if choice == CHOICE_MOVE:
        return country, 1 - area, ACTIVE, agreement, contract, T_MOVE, country, 1 - area, 0
    if choice == CHOICE_LEAVE:
        bonded = 1 if bond > 0 else 0
        return country, area, EXITED, agreement, contract, T_LEAVE, -1, 0, bonded
    return country, area, ACTIVE, agreement, contract, NO_TRANSITION, -1, 0, 0


@njit(cache=True)
def application_kind(choice: int) -> int:
    """The application a choice makes (`APPLY_*`), or -1 if it makes none."""
    if choice == CHOICE_EMIGRATE:
        return APPLY_EMIGRATE
    if choice == CHOICE_RETURN:
        return APPLY_RETURN
    if choice == CHOICE_CONTRACT_RETURN:
        return APPLY_CONTRACT_RETURN
    return -1


@njit(cache=True)
def admission(
    destination: int,
    area: int,
    channel: int,
    contract_steps: np.ndarray,
    bond: int,
    agreement: int,
    contract: int,
) -> tuple:
    """An applicant taken in matching (ODD §7.5, placement).

    Args:
        destination, area: the post taken; channel: the agreement used (-1 open recruitment).
        contract_steps: (G,) contract length in steps of each agreement (0: permanent).
        bond, agreement, contract: the worker's state.

    Returns:
        (country, area, bond, agreement, contract, bonded): the worker moves, a bond is broken
        (bonded = 1: the buy-out is paid), and a fixed-term agreement starts a contract.
    """
    bonded = 1 if bond > 0 else 0
    if channel >= 0 and contract_steps[channel] > 0:
        agreement = channel
        contract = contract_steps[channel]
    return destination, area, 0, agreement, contract, bonded


@njit(cache=True)
def homecoming(origin: int, area: int) -> tuple[int, int, int, int]:
    """A returning migrant matched to home (ODD §7.5, returns): (country, area, agreement,
    contract); any fixed-term contract ends."""
    return origin, area, NO_AGREEMENT, 0
