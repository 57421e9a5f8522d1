"""The per-worker decision rule, case by case (ODD §4.2.1, §4.2.2 "the worker's utilities", §7.4).

Each row of `CASES` is one worker in one situation, with the utilities of the options set so that
the outcome is forced: the option under test has a utility far above the others (`HIGH`), and a
fallback option (`FALLBACK`) is taken instead if the rule closes the option under test. Closed
options have utility `NEG_INF`. The personal propensity is switched off (σ = 0).

Each case is checked three times: in the rule (`rules.may_decide`, `rules.decide_worker`), and in
both engines (a population of one worker stepped through phase 3 and, for emigrants, phase 4),
against the outcomes of ODD §7.4 written out in `odd_outcome` below.
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
from sim.model.population import NewWorkers
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
    HazardContext,
)

HOME, ABROAD = 0, 1  # two countries; ABROAD is the only destination slot
DOCTORS, NURSES = 0, 1
HIGH, FALLBACK, LOW = 50.0, 25.0, 0.0
SEED, STEP, WORKER = 2024, 9, 77
NO_HAZARD = HazardContext(np.array([10**4, 10**4]), 10**4, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Worker:
    origin: int = HOME
    country: int = HOME
    area: int = URBAN
    cadre: int = NURSES
    bond: int = 0
    agreement: int = -1
    contract: int = 0


MIGRANT = {"origin": HOME, "country": ABROAD}


@dataclass(frozen=True)
class Situation:
    """Utilities of the five options (every cell), and the other parts of the context."""

    stay: float = LOW
    move: float = LOW
    emigrate: float = LOW
    ret: float = LOW
    leave: float = LOW
    bond_penalty: float = 0.0
    rural_service: tuple = ()  # cadres whose bonded workers serve in rural areas (both countries)
    p_reconsider: float = 1.0
    p_return: float = 0.0  # of agreement 0 at the end of a contract

    def context(self) -> DecisionContext:
        c, k = 2, 2
        service = np.zeros((c, k), dtype=bool)
        service[:, list(self.rural_service)] = True
        return DecisionContext(
            p_reconsider=self.p_reconsider,
            propensity_sd=0.0,
            v_stay=np.full((c, 2, k, 2), self.stay),
            v_move=np.full((c, 2, k, 2), self.move),
            v_emigrate=np.full((c, k), self.emigrate),
            cum_emigrate=np.ones((c, k, 1)),
            destination_of_slot=np.array([ABROAD], dtype=np.int64),
            v_return=np.full((c, k), self.ret),
            v_leave=np.full((c, k), self.leave),
            bond_penalty=np.full((c, k), self.bond_penalty),
            rural_service=service,
            agreement_return_probability=np.array([self.p_return]),
        )


@dataclass(frozen=True)
class Case:
    name: str
    worker: Worker
    situation: Situation
    choice: int
    ends: bool = False  # the worker's fixed-term contract ended this step


W = Worker
S = Situation
CASES = [
    # --- who may emigrate: workers in their training country only (no onward migration)
    Case("native may emigrate", W(), S(emigrate=HIGH), CHOICE_EMIGRATE),
    Case("migrant may not emigrate", W(**MIGRANT), S(emigrate=HIGH, move=FALLBACK), CHOICE_MOVE),
    Case("no open destination", W(), S(emigrate=NEG_INF, leave=FALLBACK), CHOICE_LEAVE),
    # --- who may return: migrants only
    Case(
        "rural migrant may return (to an urban post)",
        W(**MIGRANT, area=RURAL),
        S(ret=HIGH),
        CHOICE_RETURN,
    ),
    Case("native may not return", W(), S(ret=HIGH, move=FALLBACK), CHOICE_MOVE),
    Case(
        "migrant under contract may return early",
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
    ),
    # --- reconsidering
    Case("no reconsideration: stays", W(), S(leave=HIGH, p_reconsider=0.0), CHOICE_STAY),
    # --- the end of a fixed-term contract comes first
    Case(
        "contract ends: goes home (to an urban post)",
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


def odd_outcome(choice: int, ends: bool, w: Worker) -> tuple[dict, tuple | None]:
    """ODD §7.4, outcomes: the worker's state after the choice and the transition recorded.

    Returns ({country, area, status, agreement, contract}, (kind, country_to, area_to, bonded) or
    None). An emigrant records nothing in phase 3 (they apply; matching decides).
    """
    state = {
        "country": w.country,
        "area": w.area,
        "status": ACTIVE,
        "agreement": -1 if ends else w.agreement,
        "contract": w.contract,
    }
    if choice == CHOICE_MOVE:
        state["area"] = 1 - w.area
        return state, (T_MOVE, w.country, 1 - w.area, 0)
    if choice == CHOICE_LEAVE:
        state["status"] = EXITED
        return state, (T_LEAVE, -1, 0, int(w.bond > 0))
    if choice in (CHOICE_RETURN, CHOICE_CONTRACT_RETURN):
        state.update(country=w.origin, area=URBAN, agreement=-1, contract=0)
        return state, (T_RETURN, w.origin, URBAN, 0)
    return state, None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_rule(case):
    w, ctx = case.worker, case.situation.context()
    key = worker_key(SEED, WORKER)
    decides = rules.may_decide(key, STEP, w.agreement, w.contract, ctx.p_reconsider)
    choice, slot, ends = rules.decide_worker(
        key, STEP, w.origin, w.country, w.area, w.cadre, w.bond, w.agreement, w.contract, ctx
    )
    assert (choice, ends) == (case.choice, case.ends)
    assert slot == (0 if choice == CHOICE_EMIGRATE else -1)
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
                          w.cadre, 40 * 4, w.bond)
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
            self.pop.a["agreement"][0], self.pop.a["contract"][0] = w.agreement, w.contract

    def state(self) -> dict:
        if self.engine == "agents":
            a = self.agent
            values = (a.country, a.area, a.status, a.agreement, a.contract_steps, a.bond_steps)
        else:
            values = tuple(
                int(self.pop.a[f][0])
                for f in ("country", "area", "status", "agreement", "contract", "bond")
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
    state, transition = odd_outcome(case.choice, case.ends, case.worker)
    assert _rows(moves) == ([transition] if transition else [])
    got = one.state()
    assert {k: got[k] for k in state} == state
    assert got["bond"] == case.worker.bond  # phase 3 never changes a bond
    if case.choice == CHOICE_EMIGRATE:
        assert applicants.destination.tolist() == [ABROAD]
        assert applicants.worker_id.tolist() == [WORKER]
    else:
        assert len(applicants.worker_id) == 0
    if engine == "agents" and state["status"] != ACTIVE:
        assert len(one.pop) == 0  # a worker who left the profession left the model


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
        moves, _ = one.pop.decide(step, go_home)
        if step < n:
            assert len(moves) == 0 and one.state()["contract"] == n - step, step
    assert _rows(moves) == [(T_RETURN, HOME, URBAN, 0)]
    assert one.state()["country"] == HOME
