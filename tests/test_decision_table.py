"""The per-worker decision rule, case by case (ODD §4.2.1, §4.2.2 "the worker's utilities", §7.4).

Each row of `CASES` is one worker in one situation, with the utilities of the options set so that
the outcome is forced: the option under test has a utility far above the others (`HIGH`), and a
fallback option (`FALLBACK`) is taken instead if the rule closes the option under test. Closed
options have utility `NEG_INF`. The personal propensity is switched off (σ = 0).

Each case is checked three times: in the rule (`rules.may_decide`, `rules.decide_worker`), and in
both engines (a population of one worker stepped through phase 3 and, for applicants abroad or
home, phase 4), against the outcomes of ODD §7.4-7.5 written out in `odd_outcome` below.

The world has three countries: HOME (where the worker trained), ABROAD and THIRD, the two
destination slots. Natives draw ABROAD; a migrant (working in ABROAD) draws ABROAD — where they
already work, which means no application (ODD §4.2.2, issue 11 O2) — or, in the onward cases,
THIRD. The emigration option carries the age term ln m(age) of the worker's age in steps (the
last entry beyond the table) and, for migrants, the onward constant γ_on.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np
import pytest

from sim.engines.agents import AgentPopulation
from sim.engines.arrays import ArrayPopulation
from sim.model import rules
from sim.model.ledger import T_EMIGRATE, T_LEAVE, T_MOVE, T_RETURN
from sim.model.matching import NOT_TAKEN, OPEN
from sim.model.population import (
    APPLY_CONTRACT_RETURN,
    APPLY_EMIGRATE,
    APPLY_RETURN,
    NewWorkers,
)
from sim.model.rng import worker_key
from sim.model.rules import (
    ACTIVE,
    CHOICE_CONTRACT_RETURN,
    CHOICE_EMIGRATE,
    CHOICE_LEAVE,
    CHOICE_MOVE,
    CHOICE_RETURN,
    CHOICE_STAY,
    EXITED,
    NEG_INF,
    RURAL,
    URBAN,
    DecisionContext,
    hazard_context,
)

HOME, ABROAD, THIRD = 0, 1, 2  # three countries; ABROAD and THIRD are the destination slots
SLOTS = np.array([ABROAD, THIRD], dtype=np.int64)
DOCTORS, NURSES = 0, 1
HIGH, FALLBACK, LOW = 50.0, 25.0, 0.0
SEED, STEP, WORKER = 2024, 9, 77
AGE = 40 * 4  # the worker's age in steps
AGES = 200  # length of the age-term table (steps)
MAX_AGE = 400  # steps: nobody in these tests reaches it
_NONE = np.zeros((2, MAX_AGE + 1))
NO_HAZARD = hazard_context(_NONE, _NONE, np.zeros((2, *_NONE.shape)), MAX_AGE)


@dataclass(frozen=True)
class Worker:
    origin: int = HOME
    country: int = HOME
    area: int = URBAN
    cadre: int = NURSES
    bond: int = 0
    agreement: int = -1
    contract: int = 0
    age: int = AGE


MIGRANT = {"origin": HOME, "country": ABROAD}
TO_THIRD = (0.0, 1.0)  # destination weights of the slots: every draw goes to THIRD


@dataclass(frozen=True)
class Situation:
    """Utilities of the five options (every cell), and the other parts of the context."""

    stay: float = LOW
    move: float = LOW
    emigrate: float = LOW
    ret: float = LOW
    leave: float = LOW
    migrant_leave_shift: float = 0.0  # γ_lm, on a migrant's leaving in place
    leave_abroad: float | None = None  # V_leave in ABROAD, when it differs from `leave`
    bond_penalty: float = 0.0
    rural_service: tuple = ()  # cadres whose bonded workers serve in rural areas (both countries)
    p_reconsider: float = 1.0
    p_return: float = 0.0  # of agreement 0 at the end of a contract
    weights: tuple = (1.0, 0.0)  # logit weights of the destination slots (ABROAD, THIRD)
    onward: float = 0.0  # γ_on, on a migrant's emigration option
    age_terms: tuple = ()  # (age in steps, ln m) entries of the age-term table (else 0)

    def _leave(self, c: int, k: int) -> np.ndarray:
        native = np.full((c, k), self.leave)
        if self.leave_abroad is not None:
            native[ABROAD] = self.leave_abroad
        return np.stack([native, native + self.migrant_leave_shift], axis=-1)

    def context(self) -> DecisionContext:
        c, k = 3, 2
        service = np.zeros((c, k), dtype=bool)
        service[:, list(self.rural_service)] = True
        age_term = np.zeros(AGES)
        for age, value in self.age_terms:
            age_term[age] = value
        return DecisionContext(
            p_reconsider=self.p_reconsider,
            propensity_sd=0.0,
            v_stay=np.full((c, 2, k, 2), self.stay),
            v_move=np.full((c, 2, k, 2), self.move),
            v_emigrate=np.full((c, k), self.emigrate),
            cum_emigrate=np.broadcast_to(np.cumsum(self.weights), (c, k, 2)).copy(),
            destination_of_slot=SLOTS,
            v_return=np.full((c, k), self.ret),
            v_leave=self._leave(c, k),
            bond_penalty=np.full((c, k), self.bond_penalty),
            rural_service=service,
            agreement_return_probability=np.array([self.p_return]),
            age_term=age_term,
            onward_constant=self.onward,
        )


@dataclass(frozen=True)
class Case:
    name: str
    worker: Worker
    situation: Situation
    choice: int
    ends: bool = False  # the worker's fixed-term contract ended this step
    destination: int = -1  # country of the emigration application (ABROAD or THIRD)


W = Worker
S = Situation
CASES = [
    # --- who may emigrate: natives, and migrants onward to a third country (issue 11 O2)
    Case("native may emigrate", W(), S(emigrate=HIGH), CHOICE_EMIGRATE, destination=ABROAD),
    Case(
        "migrant may move on to a third country",
        W(**MIGRANT),
        S(emigrate=HIGH, weights=TO_THIRD),
        CHOICE_EMIGRATE,
        destination=THIRD,
    ),
    Case(
        "migrant drawing the country they are in does not apply (no second draw)",
        W(**MIGRANT),
        S(emigrate=HIGH, move=FALLBACK),
        CHOICE_STAY,
    ),
    Case(
        "onward constant weighs on a migrant's emigration option",
        W(**MIGRANT),
        S(emigrate=FALLBACK + 10, stay=FALLBACK, onward=-20.0, weights=TO_THIRD),
        CHOICE_STAY,
    ),
    Case(
        "onward constant can raise it",
        W(**MIGRANT),
        S(emigrate=FALLBACK - 10, stay=FALLBACK, onward=20.0, weights=TO_THIRD),
        CHOICE_EMIGRATE,
        destination=THIRD,
    ),
    Case(
        "no onward constant on a native",
        W(),
        S(emigrate=FALLBACK + 10, stay=FALLBACK, onward=-20.0),
        CHOICE_EMIGRATE,
        destination=ABROAD,
    ),
    Case("no open destination", W(), S(emigrate=NEG_INF, leave=FALLBACK), CHOICE_LEAVE),
    Case(
        "no open destination, whatever the onward constant",
        W(**MIGRANT),
        S(emigrate=NEG_INF, leave=FALLBACK, onward=1e6, weights=TO_THIRD),
        CHOICE_LEAVE,
    ),
    # --- the age term ln m(age): at the worker's age in steps, on every emigration option
    Case(
        "age term weighs on emigrating",
        W(),
        S(emigrate=FALLBACK + 10, stay=FALLBACK, age_terms=((AGE, -20.0),)),
        CHOICE_STAY,
    ),
    Case(
        "age term of other ages does not",
        W(),
        S(emigrate=FALLBACK + 10, stay=FALLBACK, age_terms=((AGE - 1, -20.0), (AGE + 1, -20.0))),
        CHOICE_EMIGRATE,
        destination=ABROAD,
    ),
    Case(
        "age term can raise emigrating",
        W(),
        S(emigrate=FALLBACK - 10, stay=FALLBACK, age_terms=((AGE, 20.0),)),
        CHOICE_EMIGRATE,
        destination=ABROAD,
    ),
    Case(
        "beyond the table the last age's term applies",
        W(age=AGES + 50),
        S(emigrate=FALLBACK + 10, stay=FALLBACK, age_terms=((AGES - 1, -20.0),)),
        CHOICE_STAY,
    ),
    Case(
        "age term on onward moves too",
        W(**MIGRANT),
        S(emigrate=FALLBACK + 10, stay=FALLBACK, weights=TO_THIRD, age_terms=((AGE, -20.0),)),
        CHOICE_STAY,
    ),
    Case(
        "age term not on returning",
        W(**MIGRANT),
        S(ret=FALLBACK + 10, stay=FALLBACK, age_terms=((AGE, -20.0),)),
        CHOICE_RETURN,
    ),
    # --- who may apply to return: migrants only (matching decides, ODD §7.5)
    Case(
        "rural migrant may apply to return",
        W(**MIGRANT, area=RURAL),
        S(ret=HIGH),
        CHOICE_RETURN,
    ),
    Case("native may not return", W(), S(ret=HIGH, move=FALLBACK), CHOICE_MOVE),
    Case(
        "migrant under contract may apply to return early",
        W(**MIGRANT, agreement=0, contract=5),
        S(ret=HIGH),
        CHOICE_RETURN,
    ),
    # --- who may move area
    Case("urban worker may move", W(), S(move=HIGH), CHOICE_MOVE),
    Case("rural migrant may move", W(**MIGRANT, area=RURAL), S(move=HIGH), CHOICE_MOVE),
    Case("move closed (no posts)", W(), S(move=NEG_INF, stay=FALLBACK), CHOICE_STAY),
    Case(
        "bonded rural service may not move",
        W(area=RURAL, bond=3),
        S(move=HIGH, stay=FALLBACK, rural_service=(NURSES,)),
        CHOICE_STAY,
    ),
    Case(
        "bond in its last step still binds",
        W(area=RURAL, bond=1),
        S(move=HIGH, stay=FALLBACK, rural_service=(NURSES,)),
        CHOICE_STAY,
    ),
    Case(
        "bond without rural service lets the worker move",
        W(area=RURAL, bond=3),
        S(move=HIGH, stay=FALLBACK),
        CHOICE_MOVE,
    ),
    Case(
        "rural service of the other cadre does not bind",
        W(area=RURAL, cadre=DOCTORS, bond=3),
        S(move=HIGH, stay=FALLBACK, rural_service=(NURSES,)),
        CHOICE_MOVE,
    ),
    Case(
        "unbonded worker where rural service applies may move",
        W(area=RURAL),
        S(move=HIGH, stay=FALLBACK, rural_service=(NURSES,)),
        CHOICE_MOVE,
    ),
    # --- leaving; the bond's buy-out price weighs on leaving and emigrating while bonded
    Case("anyone may leave", W(**MIGRANT), S(leave=HIGH), CHOICE_LEAVE),
    Case("bonded worker may leave (and pays)", W(bond=3), S(leave=HIGH), CHOICE_LEAVE),
    Case(
        "work-permit tie deters a migrant's leaving",
        W(**MIGRANT),
        S(leave=FALLBACK + 10, stay=FALLBACK, migrant_leave_shift=-20.0),
        CHOICE_STAY,
    ),
    Case(
        "a migrant weighs leaving where they work, not at home",
        W(**MIGRANT),
        S(leave=FALLBACK + 10, leave_abroad=FALLBACK - 10, stay=FALLBACK),
        CHOICE_STAY,
    ),
    Case(
        "no work-permit tie at home",
        W(),
        S(leave=FALLBACK + 10, stay=FALLBACK, migrant_leave_shift=-20.0),
        CHOICE_LEAVE,
    ),
    Case(
        "buy-out price deters leaving",
        W(bond=3),
        S(leave=FALLBACK + 10, stay=FALLBACK, bond_penalty=20.0),
        CHOICE_STAY,
    ),
    Case(
        "no buy-out price without a bond",
        W(),
        S(leave=FALLBACK + 10, stay=FALLBACK, bond_penalty=20.0),
        CHOICE_LEAVE,
    ),
    Case(
        "buy-out price deters emigrating",
        W(bond=3),
        S(emigrate=FALLBACK + 10, stay=FALLBACK, bond_penalty=20.0),
        CHOICE_STAY,
    ),
    Case(
        "buy-out price not on staying or moving",
        W(bond=3),
        S(move=FALLBACK + 10, stay=FALLBACK, bond_penalty=20.0),
        CHOICE_MOVE,
    ),
    Case(
        "bonded worker may emigrate (and pays when taken)",
        W(bond=3),
        S(emigrate=HIGH, bond_penalty=1.0),
        CHOICE_EMIGRATE,
        destination=ABROAD,
    ),
    Case(
        "buy-out price deters a bonded migrant's onward move",
        W(**MIGRANT, bond=3),
        S(emigrate=FALLBACK + 10, stay=FALLBACK, bond_penalty=20.0, weights=TO_THIRD),
        CHOICE_STAY,
    ),
    # --- reconsidering
    Case("no reconsideration: stays", W(), S(leave=HIGH, p_reconsider=0.0), CHOICE_STAY),
    # --- the end of a fixed-term contract comes first
    Case(
        "contract ends: applies to go home (always taken)",
        W(**MIGRANT, area=RURAL, agreement=0, contract=0),
        S(p_return=1.0, p_reconsider=0.0, stay=HIGH),
        CHOICE_CONTRACT_RETURN,
        ends=True,
    ),
    Case(
        "contract ends: stays without a contract",
        W(**MIGRANT, agreement=0, contract=0),
        S(p_return=0.0, p_reconsider=0.0, ret=HIGH),
        CHOICE_STAY,
        ends=True,
    ),
    Case(
        "contract ends: stays, then reconsiders",
        W(**MIGRANT, agreement=0, contract=0),
        S(p_return=0.0, p_reconsider=1.0, move=HIGH),
        CHOICE_MOVE,
        ends=True,
    ),
    Case(
        "contract with a step left does not end",
        W(**MIGRANT, agreement=0, contract=1),
        S(p_return=1.0, p_reconsider=0.0),
        CHOICE_STAY,
    ),
    Case(
        "no contract, nothing ends",
        W(**MIGRANT, agreement=-1, contract=0),
        S(p_return=1.0, p_reconsider=0.0),
        CHOICE_STAY,
    ),
]


def odd_outcome(case: Case) -> tuple[dict, tuple | None, tuple | None]:
    """ODD §7.4, outcomes: the worker's state after phase 3, the transition recorded, and the
    application made.

    Returns ({country, area, status, agreement, contract}, (kind, country_to, area_to, bonded) or
    None, (APPLY_* kind, country of the post) or None). Emigrants and returners record nothing
    in phase 3: they apply, and matching decides (§7.5); a contract that ran out lapses.
    """
    w, choice = case.worker, case.choice
    state = {
        "country": w.country,
        "area": w.area,
        "status": ACTIVE,
        "agreement": -1 if case.ends else w.agreement,
        "contract": w.contract,
    }
    if choice == CHOICE_MOVE:
        state["area"] = 1 - w.area
        return state, (T_MOVE, w.country, 1 - w.area, 0), None
    if choice == CHOICE_LEAVE:
        state["status"] = EXITED
        return state, (T_LEAVE, -1, 0, int(w.bond > 0)), None
    if choice == CHOICE_EMIGRATE:
        return state, None, (APPLY_EMIGRATE, case.destination)
    if choice == CHOICE_RETURN:
        return state, None, (APPLY_RETURN, w.origin)
    if choice == CHOICE_CONTRACT_RETURN:
        return state, None, (APPLY_CONTRACT_RETURN, w.origin)
    return state, None, None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_rule(case):
    w, ctx = case.worker, case.situation.context()
    key = worker_key(SEED, WORKER)
    decides = rules.may_decide(key, STEP, w.agreement, w.contract, ctx.p_reconsider)
    choice, slot, ends = rules.decide_worker(
        key, STEP, w.origin, w.country, w.area, w.cadre, w.age, w.bond, w.agreement, w.contract,
        ctx,
    )  # fmt: skip
    assert (choice, ends) == (case.choice, case.ends)
    if choice == CHOICE_EMIGRATE:
        assert SLOTS[slot] == case.destination != w.country
    else:
        assert slot == -1
    # The pre-check changes speed only: whoever it stops would have stayed with nothing ending.
    assert decides or (choice, ends) == (CHOICE_STAY, False)


@pytest.mark.parametrize(
    ("agreement", "contract", "p_reconsider", "expected"),
    [
        (-1, 0, 0.0, False),  # no contract, never reconsiders
        (-1, 0, 1.0, True),  # reconsiders
        (0, 0, 0.0, True),  # contract ran out
        (0, -1, 0.0, True),  # (below zero counts as ended)
        (0, 1, 0.0, False),  # one step left
        (2, 0, 0.0, True),  # any agreement index
    ],
)
def test_may_decide(agreement, contract, p_reconsider, expected):
    key = worker_key(SEED, WORKER)
    assert rules.may_decide(key, STEP, agreement, contract, p_reconsider) is expected


# ---------------------------------------------------------------------------- the engines
class _Host(mesa.Model):
    """The smallest Mesa model an agents-engine population can live in."""

    visit_order = "fixed"


class OneWorker:
    """A population of one worker in either engine, with its state readable the same way."""

    def __init__(self, engine: str, w: Worker):
        new = NewWorkers(
            *(
                np.array([v], dtype=np.int64)
                for v in (WORKER, worker_key(SEED, WORKER), w.origin, w.country, w.area,
                          w.cadre, w.age, w.bond)
            )
        )  # fmt: skip
        self.engine = engine
        if engine == "agents":
            self.pop = AgentPopulation(_Host(seed=1))
            self.pop.add(new)
            (self.agent,) = list(self.pop.workers)
            self.agent.agreement, self.agent.contract_steps = w.agreement, w.contract
        else:
            self.pop = ArrayPopulation(None)
            self.pop.add(new)
            self.pop.a["agreement"][0] = w.agreement
            self.pop.a["contract"][0] = self.pop.clock + w.contract  # the clock it runs out at

    def state(self) -> dict:
        if self.engine == "agents":
            a = self.agent
            values = (a.country, a.area, a.status, a.agreement, a.contract_steps, a.bond_steps)
        else:
            w = self.pop.worker(0)
            values = tuple(
                w[f]
                for f in ("country", "area", "status", "agreement", "contract_steps", "bond_steps")
            )
        return dict(
            zip(("country", "area", "status", "agreement", "contract", "bond"), values, strict=True)
        )


def _rows(transitions) -> list[tuple]:
    return [
        (int(k), int(c), int(a), int(b))
        for k, c, a, b in zip(
            transitions.kind,
            transitions.country_to,
            transitions.area_to,
            transitions.bonded,
            strict=True,
        )
    ]


@pytest.mark.parametrize("engine", ["agents", "arrays"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_engines(case, engine):
    one = OneWorker(engine, case.worker)
    moves, applicants = one.pop.decide(STEP, case.situation.context())
    state, transition, application = odd_outcome(case)
    assert _rows(moves) == ([transition] if transition else [])
    got = one.state()
    assert {k: got[k] for k in state} == state
    assert got["bond"] == case.worker.bond  # phase 3 never changes a bond
    if application:
        w = case.worker
        assert applicants.tie_order.tolist() == [WORKER if engine == "agents" else 0]
        assert (applicants.kind.tolist(), applicants.destination.tolist()) == (
            [application[0]],
            [application[1]],
        )
        assert applicants.origin.tolist() == [w.origin]
        assert applicants.country.tolist() == [w.country]
        assert applicants.cadre.tolist() == [w.cadre]
    else:
        assert len(applicants.tie_order) == 0
    if engine == "agents" and state["status"] != ACTIVE:
        assert len(one.pop) == 0  # a worker who left the profession left the model


RETURNERS = [c for c in CASES if c.choice in (CHOICE_RETURN, CHOICE_CONTRACT_RETURN)]


@pytest.mark.parametrize("engine", ["agents", "arrays"])
@pytest.mark.parametrize("area", [URBAN, RURAL])
@pytest.mark.parametrize("taken", [True, False])
@pytest.mark.parametrize("case", RETURNERS, ids=[c.name for c in RETURNERS])
def test_a_returner_goes_home_only_when_matched(case, taken, area, engine):
    """Phase 4 (ODD §7.5, returns): a returner taken goes home, to the area matching gave them,
    and any contract ends; one not taken stays where they are, as phase 3 left them."""
    w = case.worker
    one = OneWorker(engine, w)
    one.pop.decide(STEP, case.situation.context())
    before = one.state()
    channel = np.array([OPEN if taken else NOT_TAKEN])
    moved = one.pop.admit(channel, np.array([area]), np.array([0, 8], dtype=np.int64))
    got = one.state()
    if taken:
        assert _rows(moved) == [(T_RETURN, w.origin, area, 0)]
        assert moved.country_from.tolist() == [w.country] and moved.age.tolist() == [w.age]
        assert (got["country"], got["area"]) == (w.origin, area)
        assert (got["agreement"], got["contract"]) == (-1, 0)
        assert got["bond"] == before["bond"]
    else:
        assert len(moved) == 0
        assert got == before


@pytest.mark.parametrize("engine", ["agents", "arrays"])
@pytest.mark.parametrize(
    ("bond", "channel", "expected"),
    [
        # (bond before, channel) -> (bonded flag, bond after, agreement, contract)
        (3, -1, (1, 0, -1, 0)),  # open recruitment of a bonded worker: buy-out, bond cleared
        (1, -1, (1, 0, -1, 0)),  # the last step of a bond still costs the buy-out
        (0, -1, (0, 0, -1, 0)),  # unbonded: nothing to pay
        (0, 0, (0, 0, -1, 0)),  # permanent agreement: no contract
        (2, 1, (1, 0, 1, 8)),  # fixed-term agreement: a contract of its length
    ],
)
def test_admission_breaks_bonds_and_starts_contracts(engine, bond, channel, expected):
    one = OneWorker(engine, Worker(bond=bond, area=RURAL))
    one.pop.decide(STEP, Situation(emigrate=HIGH).context())
    contract_steps = np.array([0, 8], dtype=np.int64)
    taken = one.pop.admit(np.array([channel]), np.array([URBAN]), contract_steps)
    flag, bond_after, agreement, contract = expected
    assert _rows(taken) == [(T_EMIGRATE, ABROAD, URBAN, flag)]
    got = one.state()
    assert (got["country"], got["area"], got["bond"]) == (ABROAD, URBAN, bond_after)
    assert (got["agreement"], got["contract"]) == (agreement, contract)


@pytest.mark.parametrize("engine", ["agents", "arrays"])
def test_a_contract_of_n_steps_ends_after_exactly_n_steps_of_ageing(engine):
    """Phase 2 runs the contract down one step per step; phase 3 sees it end at zero (§7.3-7.4)."""
    n = 8
    one = OneWorker(engine, Worker(**MIGRANT, agreement=0, contract=n))
    go_home = Situation(p_return=1.0, p_reconsider=0.0).context()
    for step in range(1, n + 1):
        assert len(one.pop.age_and_hazards(step, NO_HAZARD)) == 0
        moves, applicants = one.pop.decide(step, go_home)
        assert len(moves) == 0
        if step < n:
            assert len(applicants.tie_order) == 0 and one.state()["contract"] == n - step, step
    assert applicants.kind.tolist() == [APPLY_CONTRACT_RETURN]
    assert one.state()["agreement"] == -1  # the contract lapsed
    home = one.pop.admit(np.array([OPEN]), np.array([URBAN]), np.array([0], dtype=np.int64))
    assert _rows(home) == [(T_RETURN, HOME, URBAN, 0)]
    assert one.state()["country"] == HOME
