"""The economics of the model: every utility term, one function each (docs/ODD.md §4.2.2).

Utilities are computed once per step, at the start of phase 3, for every (country, area, cadre,
migrant) cell; `decision_context` assembles them into the `DecisionContext` that the per-worker
rules (`sim.model.rules.decide_worker`) read. Each function cites the ODD equation it implements;
the symbols are those of ODD §4.2.2 (β_w `wage_weight`, β_a `area_wage_weight`, ...). Shapes use
C countries, K cadres, D destination slots; money is in international dollars PPP per year.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from sim.declarations import CADRES
from sim.model import rules
from sim.model.policies import PolicyYear
from sim.model.rules import NEG_INF, DecisionContext

if TYPE_CHECKING:
    from sim.inputs.world import World


AFRICAN_REGION = "AFR"
"""WHO region of the origins that carry `behaviour.africa_origin_effect`."""


def shared_language(world: World, slots: np.ndarray) -> np.ndarray:
    """1 where the origin shares the destination's language of practice of the cadre. (C, D, K).

    `World.practice_language` (docs/data.md §1.5), else (world files) the common official language.
    """
    practice = world.practice_language
    if practice is None:
        common = np.asarray(world.common_language, dtype=np.float64)[:, slots]
        return np.repeat(common[:, :, None], len(CADRES), axis=2)
    return np.asarray(practice, dtype=np.float64)[:, slots, :]


def affinity(behaviour: Mapping, world: World, slots: np.ndarray) -> np.ndarray:
    """Time-invariant utility of each destination: distance, language of practice, colony, the
    African origin effect and free movement. (C origin, D, K).

    ODD §4.2.2, emigrate: −β_dist·ln(max(dist_km, 1)) + β_lang·language[o,d,k] + β_col·colony
    + γ_AFR·[o in the WHO African Region] + μ_F·[o and d in the area of free movement, o ≠ d].
    """
    dist = np.maximum(np.asarray(world.distance_km, dtype=np.float64)[:, slots], 1.0)
    african = np.asarray(world.who_region).astype(str) == AFRICAN_REGION
    free = np.asarray(world.free_movement, dtype=bool)
    within = free[:, None] & free[slots][None, :]
    within &= np.arange(free.shape[0])[:, None] != np.asarray(slots)[None, :]
    same_for_every_cadre = (
        -behaviour["distance_weight"] * np.log(dist)
        + behaviour["colony_weight"] * np.asarray(world.colony)[:, slots]
        + behaviour["africa_origin_effect"] * african[:, None]
        + behaviour["free_movement_effect"] * within
    )
    language = behaviour["language_weight"] * shared_language(world, slots)
    return same_for_every_cadre[:, :, None] + language


def dated_affinity(behaviour: Mapping, setup, year: int) -> np.ndarray:
    """The destination utility fixed within a year (C origin, D, K), ODD §4.2.2: affinity[o,d,k]
    + μ_G·[d's government-to-government channel with o for k in force] + μ_R·[d's expedited
    recognition of k trained in o in force].

    Args:
        behaviour: the scenario's `behaviour` (`recruitment_channel_effect` μ_G and
            `recognition_pathway_effect` μ_R, utility).
        setup: the run's `Setup`: `affinity`, and `partner_from` and `recognition_from`, the
            calendar year from which each channel or pathway runs (+inf: none); (C, D, K) each.
        year: the calendar year.
    """
    channel = float(behaviour["recruitment_channel_effect"]) * (setup.partner_from <= year)
    pathway = float(behaviour["recognition_pathway_effect"]) * (setup.recognition_from <= year)
    return np.ascontiguousarray(setup.affinity + channel + pathway)


def base_wages(base_wage: np.ndarray, pol: PolicyYear) -> np.ndarray:
    """w̄[c,k]·M^w[c]: the base wage with the adjustments' wage multiplier. (C, K) int$/year."""
    return base_wage * pol.wage_multiplier[:, None]


def native_wages(
    base_wage: np.ndarray,
    pol: PolicyYear,
    compensation_pay_rise: np.ndarray,
    vacancy_premium: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Native wages W[c,a,k] with retention pay, compensation pay and rural allowance. (C, 2, K).

    ODD §4.2.2, wages: W[c,k] = w̄·M^w·(1 + ρ_w·max(v̄ − v*, 0))·(1 + π + π^comp);
    W[c,U,k] = W[c,k]; W[c,R,k] = W[c,k]·(1 + α). `vacancy_premium` (C, K) is
    ρ_w·max(v̄ − v*, 0), the response of wages to sustained vacancies.
    """
    national = (
        base_wages(base_wage, pol)
        * (1.0 + vacancy_premium)
        * (1.0 + pol.pay_rise + compensation_pay_rise)
    )
    wage = np.repeat(national[:, None, :], 2, axis=1)
    wage[:, 1, :] *= 1.0 + pol.allowance
    return wage


def unemployment_rate(present: np.ndarray, posts: np.ndarray) -> np.ndarray:
    """u[c,a,k] = max(N − P, 0) / max(N, 1) where N > 0, else 0. (C, 2, K). ODD §4.2.2."""
    return np.where(present > 0, np.maximum(present - posts, 0.0) / np.maximum(present, 1.0), 0.0)


def log_expected_wages(wage: np.ndarray, unemployment: np.ndarray) -> np.ndarray:
    """ln E[c,a,k], E = W·max(1 − u, 0.05): the expected wage, floored at 5%. (C, 2, K)."""
    return np.log(wage * np.maximum(1.0 - unemployment, 0.05))


def stay_utility(
    wage_weight: float, log_e: np.ndarray, pol: PolicyYear, amenity: np.ndarray
) -> np.ndarray:
    """V_stay(c,a,k,m) = β_w·(ln E + κ) + A + m·β_w·ln(1 − δ). (C, 2, K, migrant). ODD §4.2.2."""
    native = wage_weight * (log_e + pol.conditions[:, None, :]) + amenity
    discount = np.log(1.0 - pol.wage_discount)[:, None, None]
    return np.stack([native, native + wage_weight * discount], axis=-1)


def move_utility(
    v_stay: np.ndarray,
    area_wage_weight: float,
    log_e: np.ndarray,
    amenity: np.ndarray,
    move_constant: float,
    posts: np.ndarray,
) -> np.ndarray:
    """V_move = V_stay + β_a·(ln E[ā] − ln E[a]) + A[ā] − A[a] + γ_move. (C, 2, K, migrant).

    ODD §4.2.2, move: closed (NEG_INF) into an area without funded posts (a city state's empty
    rural area). The migrant discount and working conditions are the same in both areas.
    """
    gain = (
        area_wage_weight * (log_e[:, ::-1, :] - log_e)
        + amenity[:, ::-1, :]
        - amenity
        + move_constant
    )
    gain = np.where(posts[:, ::-1, :] > 0, gain, -np.inf)
    v_move = v_stay + gain[..., None]
    return np.where(np.isfinite(v_move), v_move, NEG_INF)


def diaspora(
    stock: np.ndarray,
    slots: np.ndarray,
    workers_per_agent: float,
    offset: np.ndarray | float = 0.0,
) -> np.ndarray:
    """D[o,d,k] = max(D⁰[o,d,k] + ω·(N[o,d,k] − N⁰[o,d,k]), 0): same-origin, same-cadre workers
    in each destination, in workers (ODD §4.2.2, network; scale-invariant).

    (C origin, D, K) from the stock tensor N[origin, country, area, cadre] (agents); `offset`
    (C, D, K) is D⁰ − ω·N⁰, the initial diaspora from the data (unrounded) less the agents that
    represent it, so that small diasporas are not rounded away at coarse scales.
    """
    shape = (stock.shape[0], slots.shape[0], stock.shape[3])
    offset = np.broadcast_to(np.asarray(offset, dtype=np.float64), shape)
    return _diaspora(stock, slots, float(workers_per_agent), offset)


def expected_split_correction(
    open_hires: np.ndarray,
    open_applicants: np.ndarray,
    posts: np.ndarray,
    cum_emigrate: np.ndarray,
    slots: np.ndarray,
    passive: np.ndarray,
    preferred: np.ndarray | None = None,
    preferred_applicants: np.ndarray | None = None,
) -> np.ndarray:
    """E[H] − H (C origin, D, K) in agents: this step's open-recruitment hires of each origin,
    split over destinations as expected, less their realised split (ODD §4.2.2, network).

    Given the hires H_o = Σ_d H[o,d,k] an origin made this step, its applicants chose destination
    slot j with the logit share s[o,k,j] and were hired there with the destination's fill rate
    f[d,k] (open hires over open applicants; 1 where posts were open but nobody applied, 0 where
    none were), times the passive rate where ethical recruitment turns the origin's applicants
    down (`passive[o, d, k]`). So E[H[o,d,k] | H_o] = H_o · π[o,d,k] with π ∝ s·f·passive, and the
    difference sums to zero over the destinations of each origin: the origin's diaspora abroad is
    unchanged, only its split is taken at its expectation. Added to the network term's offset,
    it removes the bias a coarse scale gives a concave network term: at ω workers per agent a
    small corridor gains workers rarely and ω at a time (docs/ODD.md §7.10).

    Args:
        open_hires: (C origin, C destination, K) hires by open recruitment this step, agents.
        open_applicants: (C destination, K) applicants to open recruitment this step, agents.
        posts: (C destination, K) international posts open at the start of matching.
        cum_emigrate: (C origin, K, D) cumulative logit weights of the destination slots.
        slots: (D,) country index of each destination slot.
        passive: (C origin, C destination, K) probability that an applicant of the cadre from the
            origin is taken where posts are open (the passive rate under ethical recruitment,
            else 1: `PolicyYear.passive`).
        preferred: (C origin, C destination, K) bool where applicants trained in the origin were
            considered first with a positive probability (the Community preference, the
            destination's recruitment channels: `matching.first_scan_probability`);
            preferred_applicants: (C destination, K) open applicants of that class there. At a
            destination with such applicants they and the others are two classes, each with its
            own fill rate (open hires of the class over its applicants), and an origin's
            applicants are hired at its class's (ODD §7.5). None: no preference anywhere.
            *Approximation:* one class holds both preferences' applicants where a destination
            applies both, with their probabilities differing.
    """
    n, k = np.shape(open_applicants)
    if preferred is None:
        preferred = np.zeros((n, n, k), dtype=bool)
        preferred_applicants = np.zeros((n, k), dtype=np.int64)
    return _expected_split_correction(
        np.ascontiguousarray(open_hires), np.ascontiguousarray(open_applicants),
        np.ascontiguousarray(posts), np.ascontiguousarray(cum_emigrate, dtype=np.float64),
        np.ascontiguousarray(slots), np.ascontiguousarray(passive, dtype=np.float64),
        np.ascontiguousarray(preferred, dtype=np.bool_),
        np.ascontiguousarray(preferred_applicants),
    )  # fmt: skip


def open_split_correction(opened, context, setup, pol) -> np.ndarray:
    """`expected_split_correction` of a step's matching (`matching.OpenRecruitment`), with the
    passive rates of ethical recruitment and the classes of the first scan. (C, D, K)."""
    return expected_split_correction(
        opened.hires, opened.applicants, opened.posts, context.cum_emigrate,
        setup.destination_of_slot, pol.passive(), opened.preferred, opened.preferred_applicants,
    )  # fmt: skip


@njit(cache=True)
def _fill_rate(hired: float, applied: float, open_posts: bool) -> float:
    """Open hires over open applicants; 1 where posts were open but nobody applied, else 0."""
    if applied > 0:
        return hired / max(applied, 1.0)
    return 1.0 if open_posts else 0.0


@njit(cache=True)
def _expected_split_correction(
    open_hires, open_applicants, posts, cum_emigrate, slots, passive, preferred,
    preferred_applicants,
):  # fmt: skip
    """`expected_split_correction` compiled, origin by origin and cadre by cadre. (C, D, K).

    `fill[j, k, 0]` is the fill rate of the applicants outside the preferred class, `fill[j, k,
    1]` of those in it (equal to the first where the preference was not in force)."""
    n_origins, n_cadres, n_dest = cum_emigrate.shape[0], cum_emigrate.shape[1], slots.shape[0]
    # Hires by destination slot (all origins, and the preferred class's) and by origin (H_o over
    # the slots in order), the (C, C, K) hires read once, row by row (most are 0 and add nothing).
    at_dest, in_class = np.zeros((n_dest, n_cadres)), np.zeros((n_dest, n_cadres))
    origin_hires = np.zeros((n_origins, n_cadres))
    for o in range(n_origins):
        for j in range(n_dest):
            d = slots[j]
            for k in range(n_cadres):
                hired = open_hires[o, d, k]
                if hired != 0:
                    at_dest[j, k] += float(hired)
                    origin_hires[o, k] += float(hired)
                    if preferred[o, d, k]:
                        in_class[j, k] += float(hired)
    fill = np.empty((n_dest, n_cadres, 2))
    for j in range(n_dest):
        d = slots[j]
        for k in range(n_cadres):
            applied, pref = float(open_applicants[d, k]), float(preferred_applicants[d, k])
            if pref > 0:
                rest = at_dest[j, k] - in_class[j, k]
                fill[j, k, 0] = _fill_rate(rest, applied - pref, posts[d, k] > 0)
                fill[j, k, 1] = _fill_rate(in_class[j, k], pref, posts[d, k] > 0)
            else:
                fill[j, k, 0] = _fill_rate(at_dest[j, k], applied, posts[d, k] > 0)
                fill[j, k, 1] = fill[j, k, 0]
    out = np.zeros((n_origins, n_dest, n_cadres))
    weight = np.empty(n_dest)
    for o in range(n_origins):
        for k in range(n_cadres):
            if origin_hires[o, k] == 0.0:  # E[H] − H = 0 · π − 0: nothing to split
                continue
            total = cum_emigrate[o, k, n_dest - 1] if n_dest > 0 else 0.0
            scale = total if total > 0 else 1.0
            norm, before = 0.0, 0.0
            for j in range(n_dest):
                share = (cum_emigrate[o, k, j] - before) / scale
                before = cum_emigrate[o, k, j]
                d = slots[j]
                cls = 1 if preferred[o, d, k] else 0
                weight[j] = share * fill[j, k, cls] * passive[o, d, k]
                norm += weight[j]
            if norm > 0:  # E[H] − H; nothing to correct where no destination could have hired
                for j in range(n_dest):
                    hired = float(open_hires[o, slots[j], k])
                    out[o, j, k] = origin_hires[o, k] * weight[j] / norm - hired
    return out


@njit(cache=True)
def _diaspora(stock, slots, workers_per_agent, offset):
    """`diaspora` compiled: (N[o,d,U,k] + N[o,d,R,k])·ω + offset, floored at 0. (C, D, K)."""
    n_origins, n_cadres = stock.shape[0], stock.shape[3]
    out = np.empty((n_origins, slots.shape[0], n_cadres))
    for o in range(n_origins):
        for j in range(slots.shape[0]):
            d = slots[j]
            for k in range(n_cadres):
                x = (stock[o, d, 0, k] + stock[o, d, 1, k]) * workers_per_agent + offset[o, j, k]
                out[o, j, k] = max(x, 0.0) if x == x else x
    return out


def destination_utility(
    behaviour: Mapping,
    wage: np.ndarray,
    pol: PolicyYear,
    slots: np.ndarray,
    network: np.ndarray,
    affinity_od: np.ndarray,
    log_hiring_chance: np.ndarray,
    origin_term: np.ndarray | float = 0.0,
    origin_size: np.ndarray | float = 0.0,
    log1p=np.log1p,
) -> np.ndarray:
    """V_dest(o,d,k) of emigrating to each destination slot. (C origin, D, K). ODD §4.2.2.

    β_w·(ln(W[d,U,k]·(1 − δ[d])) + λ_h·ln q̄[d,k] + κ[d,k] − ln(1 + f[o,d,k]))
    + β_n·ln(1 + D[o,d,k]) + affinity[o,d,k] + β_o·ln(R[o,k]/R̄[k]) + β_s·ln(T[o,k]/T̃[k])
    + γ_emig; `origin_term` (C, K) is ln(R/R̄) (`sim.model.initial.origin_propensity`),
    `origin_size` (C, K) ln(T/T̃) (`sim.model.initial.origin_size`), `log_hiring_chance`
    (C, K) ln q̄ (`sim.model.demand.Demand.log_hiring_chance`), λ_h `hiring_chance_weight`;
    `log1p` is numpy's, or a `sim.model.memo.Elementwise` of it (the same values).
    """
    dest_wage = wage[slots, 0, :] * (1.0 - pol.wage_discount[slots])[:, None]  # (D, K)
    log_chance = np.asarray(log_hiring_chance, dtype=np.float64)  # (C, K)
    chance_term = float(behaviour["hiring_chance_weight"]) * log_chance[slots]  # (D, K)
    n_origins = network.shape[0]
    affinity_odk = np.asarray(affinity_od, dtype=np.float64)  # (C, D, K)
    origin = np.broadcast_to(np.asarray(origin_term, dtype=np.float64), (n_origins, wage.shape[2]))
    size = np.broadcast_to(np.asarray(origin_size, dtype=np.float64), (n_origins, wage.shape[2]))
    # exp/log are numpy's (the compiled ones may differ in the last bit); the sum is compiled.
    return _destination_sum(
        float(behaviour["wage_weight"]),
        np.log(dest_wage) + chance_term + pol.conditions[slots],
        pol.log1p_fee(slots),
        float(behaviour["network_weight"]),
        log1p(network),
        affinity_odk,
        float(behaviour["origin_weight"]),
        origin,
        float(behaviour["origin_size_weight"]),
        size,
        float(behaviour["emigrate_constant"]),
    )


@njit(cache=True)
def _destination_sum(
    wage_weight, dest_term, log_fee, network_weight, log_network, affinity_od, origin_weight,
    origin, size_weight, size, constant,
):  # fmt: skip
    """`destination_utility` compiled, term by term in the order of its formula. (C, D, K).

    dest_term (D, K): ln(W·(1 − δ)) + κ at the destination; log_fee (C, D, K): ln(1 + f);
    log_network (C, D, K): ln(1 + D); affinity_od (C, D, K); origin (C, K): ln(R/R̄); size (C, K):
    ln(T/T̃).
    """
    n_origins, n_dest, n_cadres = log_fee.shape
    out = np.empty((n_origins, n_dest, n_cadres))
    for o in range(n_origins):
        for d in range(n_dest):
            for k in range(n_cadres):
                out[o, d, k] = (
                    wage_weight * (dest_term[d, k] - log_fee[o, d, k])
                    + network_weight * log_network[o, d, k]
                    + affinity_od[o, d, k]
                    + origin_weight * origin[o, k]
                    + size_weight * size[o, k]
                    + constant
                )
    return out


def open_destinations(expected_posts: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """Whether each destination is open to each origin and cadre: d ≠ o and it recruits
    internationally this step (expected international posts > 0, before rounding to agents).

    (C origin, D, K) bool. ODD §4.2.2 (closed destinations have utility −∞).
    """
    return _open_destinations(np.asarray(expected_posts, dtype=np.float64), slots)


@njit(cache=True)
def _open_destinations(expected_posts, slots):
    """`open_destinations` compiled. (C origin, D, K) bool."""
    n_countries, n_cadres = expected_posts.shape
    out = np.empty((n_countries, slots.shape[0], n_cadres), dtype=np.bool_)
    for o in range(n_countries):
        for j in range(slots.shape[0]):
            d = slots[j]
            for k in range(n_cadres):
                out[o, j, k] = d != o and expected_posts[d, k] > 0
    return out


def inclusive_value(v_dest: np.ndarray, is_open: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """V_emig(o,k) = ln Σ_{d open} exp V_dest, and the cumulative destination weights.

    ODD §4.2.2-4.2.3: computed stably as top + ln Σ exp(V_dest − top). Returns V_emig (C, K),
    NEG_INF where no destination is open, and the cumulative weights (C, K, D) from which a
    destination slot is drawn (a (C, K, 1) array of ones when there is no destination slot).
    The maximum, shift and running sums are compiled (`_shift_by_top`, `_cumulate`); `exp` and
    `log` stay numpy's, so the table is the same to the last bit as numpy's broadcast form.
    """
    n_countries, n_dest, n_cadres = v_dest.shape
    if n_dest == 0:
        return np.full((n_countries, n_cadres), NEG_INF), np.ones((n_countries, n_cadres, 1))
    shifted, top = _shift_by_top(v_dest, is_open)
    cum = np.exp(shifted, out=shifted)  # (C, K, D) weights exp(V_dest − top), 0 where closed
    total = _cumulate(cum)
    finite = np.isfinite(top)
    v_emig = np.where(finite, top + np.log(np.maximum(total, 1e-300)), NEG_INF)
    return v_emig, cum


@njit(cache=True)
def _shift_by_top(v_dest, is_open):
    """V_dest − top over the open destinations, −∞ where closed, as (C, K, D); and top (C, K).

    top is the largest open V_dest (−∞ where none is open, and the shift is then 0).
    """
    n_countries, n_dest, n_cadres = v_dest.shape
    shifted = np.empty((n_countries, n_cadres, n_dest))
    top = np.empty((n_countries, n_cadres))
    for o in range(n_countries):
        for k in range(n_cadres):
            best = -np.inf
            for d in range(n_dest):
                if is_open[o, d, k]:
                    v = v_dest[o, d, k]
                    if v > best or v != v:  # a NaN propagates, as in numpy's max
                        best = v
            top[o, k] = best
            shift = best if np.isfinite(best) else 0.0
            for d in range(n_dest):
                shifted[o, k, d] = v_dest[o, d, k] - shift if is_open[o, d, k] else -np.inf
    return shifted, top


@njit(cache=True)
def _cumulate(weights):
    """Running sums over the last axis of (C, K, D) weights, in place; returns the totals (C, K)."""
    n_countries, n_cadres, n_dest = weights.shape
    total = np.empty((n_countries, n_cadres))
    for o in range(n_countries):
        for k in range(n_cadres):
            acc = 0.0
            for d in range(n_dest):
                acc += weights[o, k, d]
                weights[o, k, d] = acc
            total[o, k] = acc
    return total


def return_utility(
    behaviour: Mapping, log_e: np.ndarray, pol: PolicyYear, amenity: np.ndarray
) -> np.ndarray:
    """V_ret(o,k) = β_w·(ln E[o,U,k] + κ[o,k]) + A[o,U,k] + γ_ret. (C origin, K). ODD §4.2.2."""
    return (
        behaviour["wage_weight"] * (log_e[:, 0, :] + pol.conditions)
        + amenity[:, 0, :]
        + behaviour["return_constant"]
    )


def leave_utility(
    behaviour: Mapping, base_wage: np.ndarray, pol: PolicyYear, income_relative: np.ndarray
) -> np.ndarray:
    """V_leave(c,k,m) = β_w·ln(r_out·w̄[c,k]·M^w[c]) + γ_leave − g·ι[c] + γ_lm·m. (C, K, 2).

    ODD §4.2.2. ι = `income_relative` (C,), ln(GDP per capita / the world's median), and g the
    income gradient of leaving (`leave_income_gradient`): leaving the profession is rarer where
    incomes are higher. The last axis is m: 0 for workers in their training country, 1 for
    migrants, whose leaving in place carries the work-permit tie γ_lm (`migrant_leave_shift`).
    """
    outside = base_wages(base_wage, pol) * behaviour["outside_wage_ratio"]
    native = (
        behaviour["wage_weight"] * np.log(outside)
        + behaviour["leave_constant"]
        - behaviour["leave_income_gradient"] * income_relative[:, None]
    )
    return np.stack([native, native + behaviour["migrant_leave_shift"]], axis=-1)


def bond_penalty(wage_weight: float, pol: PolicyYear) -> np.ndarray:
    """B[c,k] = β_w·ln(1 + b[c,k]): weighs on emigrating and leaving while bonded. (C, K)."""
    return wage_weight * np.log1p(pol.buyout)


class RuralUptake:
    """Graduates' probability of a rural post, p_R[c,k], cached by allowance (ODD §7.6).

    p_R = logistic(logit(s_R) + β_a·ln(1 + α)) with s_R the initial rural share
    (`sim.model.rules.rural_uptake`).
    """

    def __init__(self, initial_rural_share: np.ndarray, area_wage_weight: float):
        self.initial_rural_share = initial_rural_share
        self.area_wage_weight = area_wage_weight
        self._cache: dict[bytes, np.ndarray] = {}

    def __call__(self, allowance: np.ndarray) -> np.ndarray:
        """(C, K) probabilities under this year's rural allowance α (C, K)."""
        key = allowance.tobytes()
        if key not in self._cache:
            uptake = np.vectorize(rules.rural_uptake)
            self._cache[key] = uptake(self.initial_rural_share, self.area_wage_weight, allowance)
        return self._cache[key]


def decision_context(
    behaviour: Mapping,
    dt: float,
    pol: PolicyYear,
    *,
    present: np.ndarray,
    posts: np.ndarray,
    stock: np.ndarray,
    expected_posts: np.ndarray,
    log_hiring_chance: np.ndarray,
    base_wage: np.ndarray,
    compensation_pay_rise: np.ndarray,
    vacancy_premium: np.ndarray,
    amenity: np.ndarray,
    affinity_od: np.ndarray,
    slots: np.ndarray,
    workers_per_agent: float,
    diaspora_offset: np.ndarray,
    origin_term: np.ndarray,
    origin_size: np.ndarray,
    agreement_return_probability: np.ndarray,
    age_term: np.ndarray,
    income_relative: np.ndarray,
    network_log1p=np.log1p,
) -> DecisionContext:
    """The utilities of every option from the state at the start of phase 3 (ODD §4.2.2).

    Args:
        behaviour: the scenario's `behaviour` section.
        dt: step length in years.
        pol: the levers in force this year.
        present: (C, 2, K) agents present; posts: (C, 2, K) funded posts (agents).
        stock: (C, C, 2, K) the stock tensor N[origin, country, area, cadre] (agents).
        expected_posts: (C, K) international posts expected this step (destinations open).
        log_hiring_chance: (C, K) ln q̄, the smoothed chance of a post at each destination
            (`sim.model.demand.Demand.log_hiring_chance`).
        base_wage: (C, K) w̄; compensation_pay_rise: (C, K) π^comp; vacancy_premium: (C, K)
            ρ_w·max(v̄ − v*, 0); amenity: (C, 2, K) A.
        affinity_od: (C, D, K) destination utility fixed within the year (`dated_affinity`);
            slots: (D,) destination countries.
        workers_per_agent: ω; diaspora_offset: (C, D, K) D⁰ − ω·N⁰ (`diaspora`);
            origin_term: (C, K) ln(R/R̄), the origins' revealed propensity to emigrate;
            origin_size: (C, K) ln(T/T̃), the size of the origins' trained workforce.
        agreement_return_probability: (G,); age_term: (A,) ln m(age) by age in steps.
        income_relative: (C,) ln(GDP per capita / the world's median) (`leave_utility`).
        network_log1p: ln(1 + x) of the network term (`destination_utility`).
    """
    bw = behaviour["wage_weight"]
    wage = native_wages(base_wage, pol, compensation_pay_rise, vacancy_premium)
    log_e = log_expected_wages(wage, unemployment_rate(present.astype(np.float64), posts))
    v_stay = stay_utility(bw, log_e, pol, amenity)
    v_move = move_utility(
        v_stay, behaviour["area_wage_weight"], log_e, amenity, behaviour["move_constant"], posts
    )
    network = diaspora(stock, slots, workers_per_agent, diaspora_offset)
    v_dest = destination_utility(
        behaviour, wage, pol, slots, network, affinity_od, log_hiring_chance, origin_term,
        origin_size, network_log1p,
    )  # fmt: skip
    v_emig, cum = inclusive_value(v_dest, open_destinations(expected_posts, slots))
    return DecisionContext(
        p_reconsider=float(rules.per_step_probability(behaviour["reconsider_rate"], dt)),
        propensity_sd=float(behaviour["propensity_sd"]),
        v_stay=np.ascontiguousarray(v_stay),
        v_move=np.ascontiguousarray(v_move),
        v_emigrate=v_emig,
        cum_emigrate=cum,
        destination_of_slot=slots,
        v_return=return_utility(behaviour, log_e, pol, amenity),
        v_leave=leave_utility(behaviour, base_wage, pol, income_relative),
        bond_penalty=bond_penalty(bw, pol),
        rural_service=pol.rural_service,
        agreement_return_probability=agreement_return_probability,
        age_term=age_term,
        onward_constant=float(behaviour["onward_constant"]),
    )
