"""The model's per-worker rules, written once as numba functions that both engines call.

Every function is pure: its result depends only on its arguments and on the counter-based generator
(`sim.model.rng.uniform`). The agents engine calls them one worker at a time from Python; the arrays
engine calls them inside its parallel kernels. Identical inputs give identical outputs, so the two
engines agree to the last bit (DESIGN §5). The utilities the rules read are computed once per step
by `sim.model.utilities` and passed as a `DecisionContext`; docs/ODD.md §4.2 and §7.3-7.6 give the
equations.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from sim.jitcache import serial_and_parallel
from sim.model.rng import (
    STREAM_AGE,
    STREAM_CHOICE,
    STREAM_DESTINATION,
    STREAM_HAZARD,
    STREAM_PLACEMENT,
    STREAM_PROPENSITY,
    STREAM_RECONSIDER,
    STREAM_RETURN,
    uniform_keyed,
    worker_key,
)

# Worker status.
ACTIVE = 0
RETIRED = 1
DEAD = 2
EXITED = 3

# Hazard events (phase 2).
EVENT_NONE = 0
EVENT_RETIRE = 1
EVENT_DEATH = 2
EVENT_EXIT = 3

# Choices (phase 3). EMIGRATE makes the worker an applicant for the matching phase.
CHOICE_STAY = 0
CHOICE_MOVE = 1
CHOICE_EMIGRATE = 2
CHOICE_RETURN = 3
CHOICE_LEAVE = 4
CHOICE_CONTRACT_RETURN = 5  # end of a fixed-term (circular) contract

URBAN = 0
RURAL = 1

NEG_INF = -1e300
"""Utility of a closed option (finite, so that numba never sees -inf - -inf)."""


class HazardContext(NamedTuple):
    """Hazards of phase 2 by cadre and age (ODD §7.3): per-step probabilities, ages in steps."""

    p_retire: np.ndarray
    """(K, A) float64: probability of retiring this step at each age in steps."""
    p_death: np.ndarray
    """(K, A) float64: probability of dying this step."""
    p_exit: np.ndarray
    """(2, K, A) float64: probability of leaving the profession this step (attrition less
    death), by migrant status (0 native, 1 outside the country of training), cadre and age."""
    max_age_steps: int
    """Age in steps at which every worker retires (A − 1)."""
    p_any: np.ndarray
    """(2, K, A) float64: (p_retire + p_death) + p_exit, the threshold of `hazard_event`'s last
    test, read by the engines' pre-check `hazard_possible` (`hazard_context` computes it)."""


def hazard_context(
    p_retire: np.ndarray, p_death: np.ndarray, p_exit: np.ndarray, max_age_steps: int
) -> HazardContext:
    """The hazards of phase 2 (per step, ages in steps: `p_retire` and `p_death` (K, A), `p_exit`
    (2, K, A) by migrant status) with their sum `p_any` (2, K, A), added in `hazard_event`'s
    order so that it is the same float as its last threshold.

    Raises ValueError unless every probability is finite and non-negative (`hazard_possible`
    is `hazard_event`'s exact pre-check only then) and `p_exit` has the shape (2, K, A).
    """
    if p_exit.shape != (2, *np.shape(p_retire)) or np.shape(p_death) != np.shape(p_retire):
        raise ValueError("p_exit must be (2, K, A) and p_retire and p_death (K, A)")
    for table in (p_retire, p_death, p_exit):
        if not (np.isfinite(table).all() and (table >= 0).all()):
            raise ValueError("hazard probabilities must be finite and non-negative")
    return HazardContext(p_retire, p_death, p_exit, max_age_steps, (p_retire + p_death) + p_exit)


class DecisionContext(NamedTuple):
    """The utility of every option at the start of phase 3 (ODD §4.2.2), read by both engines.

    Built once per step by `sim.model.utilities.decision_context`; shapes use C countries, K
    cadres, D destination slots, G agreements; `migrant` is 1 for workers outside their training
    country. Passed whole into the numba rules, which read it by field name.
    """

    p_reconsider: float
    """Per-step probability that a worker reconsiders their job."""
    propensity_sd: float
    """Standard deviation of the personal migration propensity (utility)."""
    v_stay: np.ndarray
    """(C, area, K, migrant) float64: utility of staying."""
    v_move: np.ndarray
    """(C, area, K, migrant) float64: utility of moving to the other area (NEG_INF: closed)."""
    v_emigrate: np.ndarray
    """(C origin, K) float64: inclusive value of emigrating over the open destinations."""
    cum_emigrate: np.ndarray
    """(C origin, K, D) float64: cumulative logit weights of the destination slots."""
    destination_of_slot: np.ndarray
    """(D,) int64: country index of each destination slot."""
    v_return: np.ndarray
    """(C origin, K) float64: utility of a migrant returning home."""
    v_leave: np.ndarray
    """(C, K, migrant) float64: utility of leaving the profession."""
    bond_penalty: np.ndarray
    """(C, K) float64: disutility of breaking a bond (emigrating or leaving while bonded)."""
    rural_service: np.ndarray
    """(C, K) bool: bonded workers serve in rural areas (may not move area)."""
    agreement_return_probability: np.ndarray
    """(G,) float64: probability of going home at the end of a fixed-term contract."""
    age_term: np.ndarray
    """(A,) float64: ln m(age) added to the emigration utility, by age in steps."""
    onward_constant: float
    """Utility constant of a migrant moving on to a third country (ODD §4.2.2)."""


@njit(cache=True)
def per_step_probability(rate: float, dt: float) -> float:
    """Turn an annual rate (1/year) into a per-step probability: p = 1 - exp(-rate * dt).

    `dt` is the step length in years (ODD §2.3).
    """
    return 1.0 - math.exp(-rate * dt)


@njit(cache=True)
def hazard_event(
    key: int,
    step: int,
    age_steps: int,
    max_age_steps: int,
    p_retire: float,
    p_death: float,
    p_exit: float,
) -> int:
    """Retirement, death or exit this step, from one uniform draw partitioned by the hazards.

    ODD §7.3: the unit interval is split into [0, p_retire) retire, then death, then exit, with
    the worker's probabilities at their age; from `max_age_steps` every worker retires. Ages are
    in steps, probabilities per step. Returns an `EVENT_*` code.
    """
    if age_steps >= max_age_steps:
        return EVENT_RETIRE
    u = uniform_keyed(key, step, STREAM_HAZARD)
    if u < p_retire:
        return EVENT_RETIRE
    if u < p_retire + p_death:
        return EVENT_DEATH
    if u < p_retire + p_death + p_exit:
        return EVENT_EXIT
    return EVENT_NONE


@njit(cache=True)
def hazard_possible(key: int, step: int, age_steps: int, max_age_steps: int, p_any: float) -> bool:
    """The exact pre-check of `hazard_event` (same arguments, `p_any` = (p_retire + p_death) +
    p_exit at the worker's age): False only where `hazard_event` returns EVENT_NONE.

    Its thresholds are non-decreasing sums of non-negative probabilities, the last of them
    `p_any` itself, so a draw at or above `p_any` is no event. The arrays engine's hazard pass
    reads one table instead of three for the workers (nearly all) to whom nothing happens.
    """
    return age_steps >= max_age_steps or hazard_draw(key, step) < p_any


@njit(cache=True)
def hazard_bounds(p_any: np.ndarray) -> tuple[int, float, float]:
    """Bounds of the pre-check's thresholds `p_any` (2, K, A): (young, p_young, p_max).

    p_max is the largest entry and p_young the largest at the ages (last axis) before `young`,
    the first age at which an entry exceeds p_max / 8 (any split is a bound). Below the maximum
    age, a draw (`hazard_draw`) at or above the bound at a worker's age makes `hazard_possible`
    false: the arrays engine's hazard pass looks at every worker's draw against it first.
    """
    n_ages = p_any.shape[2]
    by_age = np.zeros(n_ages)
    for m in range(p_any.shape[0]):
        for k in range(p_any.shape[1]):
            for a in range(n_ages):
                by_age[a] = max(by_age[a], p_any[m, k, a])
    p_max = 0.0
    for a in range(n_ages):
        p_max = max(p_max, by_age[a])
    young = 0
    p_young = 0.0
    while young < n_ages and by_age[young] <= p_max / 8.0:
        p_young = max(p_young, by_age[young])
        young += 1
    return young, p_young, p_max


@njit(cache=True, inline="always")
def hazard_draw(key: int, step: int) -> float:
    """The worker's uniform of the hazard stream at `step` (`hazard_event`'s draw); the arrays
    engine's hazard pass makes it for a block of rows in a loop the compiler vectorises."""
    return uniform_keyed(key, step, STREAM_HAZARD)


@njit(cache=True)
def reconsiders(key: int, step: int, p_reconsider: float) -> bool:
    """Whether the worker reconsiders their job this step (probability per step)."""
    return reconsider_draw(key, step) < p_reconsider


@njit(cache=True, inline="always")
def reconsider_draw(key: int, step: int) -> float:
    """The worker's uniform of the reconsideration stream at `step` (`reconsiders`' draw)."""
    return uniform_keyed(key, step, STREAM_RECONSIDER)


@njit(cache=True)
def contract_ended(agreement: int, contract_steps: int) -> bool:
    """Whether the worker holds a fixed-term contract that has run out (ODD §7.4, step 1)."""
    return agreement >= 0 and contract_steps <= 0


@njit(cache=True)
def may_decide(
    key: int, step: int, agreement: int, contract_steps: int, p_reconsider: float
) -> bool:
    """The cheap pre-check of phase 3: a contract ends or the worker reconsiders.

    A worker for whom it is false stays without any utility being read; both engines call it
    before `decide_worker` (which repeats the same two checks to tell them apart).
    """
    return contract_ended(agreement, contract_steps) or reconsiders(key, step, p_reconsider)


@njit(cache=True)
def logit_choice(
    u: float, v_stay: float, v_move: float, v_emigrate: float, v_return: float, v_leave: float
) -> int:
    """Multinomial logit over the five options; a closed option has utility NEG_INF.

    ODD §4.2.3: probabilities are exp(v_i - max) / sum; the option (a `CHOICE_*` code) is the
    first whose cumulative weight exceeds u times the total, u uniform in [0, 1).
    """
    m = max(v_stay, v_move, v_emigrate, v_return, v_leave)
    w0 = math.exp(v_stay - m) if v_stay > NEG_INF else 0.0
    w1 = math.exp(v_move - m) if v_move > NEG_INF else 0.0
    w2 = math.exp(v_emigrate - m) if v_emigrate > NEG_INF else 0.0
    w3 = math.exp(v_return - m) if v_return > NEG_INF else 0.0
    w4 = math.exp(v_leave - m) if v_leave > NEG_INF else 0.0
    x = u * (w0 + w1 + w2 + w3 + w4)
    c = w0
    if x < c:
        return CHOICE_STAY
    c += w1
    if x < c:
        return CHOICE_MOVE
    c += w2
    if x < c:
        return CHOICE_EMIGRATE
    c += w3
    if x < c:
        return CHOICE_RETURN
    if w4 > 0.0:
        return CHOICE_LEAVE
    return CHOICE_STAY


@njit(cache=True)
def choose_option(
    key: int,
    step: int,
    v_stay: float,
    v_move: float,
    v_emigrate: float,
    v_return: float,
    v_leave: float,
    propensity: float,
    bond_penalty: float,
) -> int:
    """The option chosen by a reconsidering worker.

    The personal propensity shifts every emigration option; a bond's buy-out price weighs on
    emigrating and leaving while the bond runs.
    """
    u = uniform_keyed(key, step, STREAM_CHOICE)
    ve = v_emigrate + propensity - bond_penalty if v_emigrate > NEG_INF else NEG_INF
    return logit_choice(u, v_stay, v_move, ve, v_return, v_leave - bond_penalty)


@njit(cache=True)
def first_exceeding(x: float, cumulative: np.ndarray) -> int:
    """Index of the first entry of a non-decreasing vector (D,) above x, or D − 1 if none of
    the others is (a binary search: the index a scan from the start would stop at; cumulative
    shares of non-negative shares, as `World` checks them, are non-decreasing)."""
    lo = 0
    hi = cumulative.shape[0] - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cumulative[mid] > x:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True)
def pick_index(u: float, cumulative: np.ndarray) -> int:
    """Index of the first entry of a cumulative weight vector (D,) exceeding u times its total."""
    return first_exceeding(u * cumulative[cumulative.shape[0] - 1], cumulative)


@njit(cache=True)
def choose_destination(key: int, step: int, cumulative: np.ndarray) -> int:
    """Destination slot of an emigrating worker, drawn from the logit shares of the destinations."""
    return pick_index(uniform_keyed(key, step, STREAM_DESTINATION), cumulative)


@njit(cache=True)
def contract_return(key: int, step: int, return_probability: float) -> bool:
    """Whether a worker at the end of a fixed-term contract goes home."""
    return uniform_keyed(key, step, STREAM_RETURN) < return_probability


@njit(cache=True)
def propensity(key: int, sd: float) -> float:
    """Personal migration propensity η (utility), logistic with standard deviation `sd`.

    ODD §4.2.2: drawn from the worker's key and step 0, so it is the same all their life.
    """
    u = uniform_keyed(key, 0, STREAM_PROPENSITY)
    u = min(max(u, 1e-12), 1.0 - 1e-12)
    return sd * (math.sqrt(3.0) / math.pi) * math.log(u / (1.0 - u))


@njit(cache=True)
def initial_age_steps(key: int, cumulative: np.ndarray, edges: np.ndarray) -> int:
    """Age (in steps) of a worker of the initial population, drawn from an age profile.

    ODD §5.4: one uniform u picks the interval b (a whole year of age of the initial profile)
    whose cumulative share F_b first exceeds it and the position within it,
    age = lo_b + (u − F_{b−1}) / s_b · (hi_b − lo_b), floored. `cumulative` (B,) ends at 1;
    `edges` (B + 1,) are the intervals' edges in steps.
    """
    u = uniform_keyed(key, 0, STREAM_AGE)
    b = first_exceeding(u, cumulative)
    below = cumulative[b - 1] if b > 0 else 0.0
    share = cumulative[b] - below
    lo = edges[b]
    width = edges[b + 1] - lo
    if share <= 0.0 or width <= 0:
        return lo
    return lo + min(int((u - below) / share * width), width - 1)


@njit(cache=True)
def placed_rural(key: int, step: int, p_rural: float) -> bool:
    """Whether a new graduate takes a rural post."""
    return uniform_keyed(key, step, STREAM_PLACEMENT) < p_rural


@njit(cache=True)
def rural_uptake(base_share: float, area_wage_weight: float, allowance: float) -> float:
    """Share of graduates taking rural posts: the base share shifted on the logit scale.

    ODD §7.6: a rural allowance `a` (share of the wage) adds area_wage_weight * log(1 + a) to
    the logit of the base share (Blaauw et al. 2010 discrete choice experiments).
    """
    s = min(max(base_share, 1e-6), 1.0 - 1e-6)
    z = math.log(s / (1.0 - s)) + area_wage_weight * math.log(1.0 + allowance)
    return 1.0 / (1.0 + math.exp(-z))


@njit(cache=True)
def decide_worker(
    key: int,
    step: int,
    origin: int,
    country: int,
    area: int,
    cadre: int,
    age_steps: int,
    bond_steps: int,
    agreement: int,
    contract_steps: int,
    ctx: DecisionContext,
) -> tuple[int, int, bool]:
    """Phase 3 for one worker: (choice, destination slot or -1, whether the contract ends).

    ODD §7.4: a worker whose fixed-term contract has run out first decides whether to go home;
    otherwise, if they reconsider this step, they choose by multinomial logit among the options
    open to them (§4.2.2-4.2.3): stay, move area, emigrate (workers in their training country) or
    move on to a third country (migrants, with the onward constant; a draw of the country they
    are in means no application), return home (migrants) or leave. The emigration options carry
    the worker's age term. Bonded rural-service workers may not move area. `ctx` is the step's
    `DecisionContext`. Emigrating and returning are applications, decided in matching.
    """
    ends = False
    if contract_ended(agreement, contract_steps):
        if contract_return(key, step, ctx.agreement_return_probability[agreement]):
            return CHOICE_CONTRACT_RETURN, -1, True
        ends = True
    if not reconsiders(key, step, ctx.p_reconsider):
        return CHOICE_STAY, -1, ends
    migrant = 1 if origin != country else 0
    bonded = bond_steps > 0
    vs = ctx.v_stay[country, area, cadre, migrant]
    vm = (
        NEG_INF
        if (bonded and ctx.rural_service[country, cadre])
        else ctx.v_move[country, area, cadre, migrant]
    )
    ve = ctx.v_emigrate[origin, cadre]
    if ve > NEG_INF:
        ve += ctx.age_term[min(age_steps, ctx.age_term.shape[0] - 1)]
        if migrant:
            ve += ctx.onward_constant
    vr = ctx.v_return[origin, cadre] if migrant else NEG_INF
    bp = ctx.bond_penalty[country, cadre] if bonded else 0.0
    prop = propensity(key, ctx.propensity_sd)
    choice = choose_option(
        key, step, vs, vm, ve, vr, ctx.v_leave[country, cadre, migrant], prop, bp
    )
    slot = -1
    if choice == CHOICE_EMIGRATE:
        slot = choose_destination(key, step, ctx.cum_emigrate[origin, cadre])
        if ctx.destination_of_slot[slot] == country:  # a migrant drawing where they are
            return CHOICE_STAY, -1, ends
    return choice, slot, ends


NEW_WORKERS_BLOCK = 1 << 14
"""Rows whose cells one thread finds at a time when `new_graduates` and `initial_workers` make
workers (a binary search at the block's first row, then a walk)."""
PARALLEL_MIN_WORKERS = 1 << 15
"""From this many new workers their parallel build runs (as the arrays engine's kernels)."""


def _cell_of_rows_py(ends):
    """The cell of each row (n,) int64 from the cells' cumulative counts `ends` (m,), each
    block of `NEW_WORKERS_BLOCK` rows on its own (empty cells are passed over)."""
    n = ends[ends.shape[0] - 1] if ends.shape[0] else 0
    cell = np.empty(n, dtype=np.int64)
    for b in prange((n + NEW_WORKERS_BLOCK - 1) // NEW_WORKERS_BLOCK):
        lo = b * NEW_WORKERS_BLOCK
        j = np.searchsorted(ends, lo, side="right")  # the cell of row lo
        for i in range(lo, min(n, lo + NEW_WORKERS_BLOCK)):
            while ends[j] <= i:
                j += 1
            cell[i] = j
    return cell


def _new_graduates_py(
    seed, step, first_id, cell, p_rural, bond_steps, rural_service, entry_steps,
    late_cumulative, steps_per_year,
):  # fmt: skip
    """`new_graduates` for rows in cells `cell` (n,) (country · K + cadre): each row on its own
    (its attributes depend only on its cell and its key)."""
    n_cadres = p_rural.shape[1]
    keys = np.empty(cell.shape[0], dtype=np.int64)
    attrs = np.empty((6, cell.shape[0]), dtype=np.int64)
    for i in prange(cell.shape[0]):
        c, k = cell[i] // n_cadres, cell[i] % n_cadres
        key = worker_key(seed, first_id + i)
        keys[i] = key
        serves_rural = bond_steps[c, k] > 0 and rural_service[c, k]
        rural = serves_rural or placed_rural(key, step, p_rural[c, k])
        attrs[0, i] = c
        attrs[1, i] = c
        attrs[2, i] = RURAL if rural else URBAN
        attrs[3, i] = k
        late = pick_index(uniform_keyed(key, step, STREAM_AGE), late_cumulative[k])
        attrs[4, i] = entry_steps[k] + late * steps_per_year
        attrs[5, i] = bond_steps[c, k]
    return keys, attrs


def _initial_workers_py(
    seed, first_id, origin, country, area, cadre, cell, cumulative, migrant_cumulative, edges
):  # fmt: skip
    """`initial_workers` for rows in cells `cell` (n,), each row on its own."""
    keys = np.empty(cell.shape[0], dtype=np.int64)
    attrs = np.empty((6, cell.shape[0]), dtype=np.int64)
    for i in prange(cell.shape[0]):
        j = cell[i]
        k = cadre[j]
        c = country[j]
        key = worker_key(seed, first_id + i)
        keys[i] = key
        attrs[0, i] = origin[j]
        attrs[1, i] = c
        attrs[2, i] = area[j]
        attrs[3, i] = k
        profile = cumulative[c, k] if origin[j] == c else migrant_cumulative[c, k]
        attrs[4, i] = initial_age_steps(key, profile, edges[k])
        attrs[5, i] = 0
    return keys, attrs


_CELL_OF_ROWS = serial_and_parallel(_cell_of_rows_py)
_NEW_GRADUATES = serial_and_parallel(_new_graduates_py)
_INITIAL_WORKERS = serial_and_parallel(_initial_workers_py)


def new_graduates(
    seed: int,
    step: int,
    first_id: int,
    counts: np.ndarray,
    p_rural: np.ndarray,
    bond_steps: np.ndarray,
    rural_service: np.ndarray,
    entry_steps: np.ndarray,
    late_cumulative: np.ndarray,
    steps_per_year: int,
) -> tuple:
    """This step's graduates, numbered in (country, cadre) order from `first_id` (ODD §7.6).

    `counts`, `p_rural`, `bond_steps` (steps), `rural_service` are (C, K); `entry_steps` (K,);
    `late_cumulative` (K, D) the cumulative shares of entering d whole years later
    (`supply.late_entry_weights`). Returns (worker_id (n,), key (n,), attributes (6, n)), int64:
    origin = country = the training country, area (rural if bonded to rural service or placed
    rural), cadre, age at entry (entry_steps + d · steps_per_year, d drawn with the worker's
    uniform of the age stream at this step), bond. From `PARALLEL_MIN_WORKERS` graduates the
    parallel build makes them (the same workers).
    """
    ends = np.cumsum(np.asarray(counts, dtype=np.int64).reshape(-1))
    n = int(ends[-1]) if ends.size else 0
    parallel = n >= PARALLEL_MIN_WORKERS
    keys, attrs = _NEW_GRADUATES[parallel](
        seed, step, first_id, _CELL_OF_ROWS[parallel](ends), p_rural, bond_steps,
        rural_service, entry_steps, late_cumulative, steps_per_year,
    )  # fmt: skip
    return np.arange(first_id, first_id + n, dtype=np.int64), keys, attrs


def initial_workers(
    seed: int,
    first_id: int,
    origin: np.ndarray,
    country: np.ndarray,
    area: np.ndarray,
    cadre: np.ndarray,
    count: np.ndarray,
    cumulative: np.ndarray,
    migrant_cumulative: np.ndarray,
    edges: np.ndarray,
) -> tuple:
    """The initial workers of cells, numbered in the given cell order from `first_id` (§5.4).

    Cells are (origin, country, area, cadre, count), int64 arrays (m,); `cumulative` (C, K, Y)
    the cumulative shares by whole year of age of the country of work, `migrant_cumulative`
    (C, K, Y) those of its foreign-trained workers (§5.2), and `edges` (K, Y + 1) the years'
    edges in steps (`supply.year_edges_steps`). Returns
    (worker_id (n,), key (n,), attributes (6, n)), int64: origin, country, area, cadre, an age
    drawn from the profile (`initial_age_steps`), no bond. From `PARALLEL_MIN_WORKERS` workers
    the parallel build makes them (the same workers).
    """
    ends = np.cumsum(np.asarray(count, dtype=np.int64))
    n = int(ends[-1]) if ends.size else 0
    parallel = n >= PARALLEL_MIN_WORKERS
    keys, attrs = _INITIAL_WORKERS[parallel](
        seed, first_id, origin, country, area, cadre, _CELL_OF_ROWS[parallel](ends),
        cumulative, migrant_cumulative, edges,
    )  # fmt: skip
    return np.arange(first_id, first_id + n, dtype=np.int64), keys, attrs
