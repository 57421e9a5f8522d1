"""Phase 4 matching (docs/ODD.md §7.5): applicants to international posts, then returning
migrants to posts at home. Written once as numba functions that both engines' results go through.

Applicants are ranked by (random priority, worker id), a total order independent of the order in
which an engine lists them; every draw is counter-based (`sim.model.rng`), so matching gives the
same result whatever the engine or thread count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from sim.model.ledger import Ledger, Transitions
from sim.model.policies import Agreements, PolicyYear
from sim.model.population import APPLY_CONTRACT_RETURN, APPLY_EMIGRATE, Applicants, Population
from sim.model.rng import (
    STREAM_AREA,
    STREAM_MATCH_KEY,
    STREAM_PASSIVE,
    STREAM_PREFERENCE,
    uniform_keyed,
)
from sim.model.rules import RURAL

if TYPE_CHECKING:
    from sim.model.demand import Demand, DeploymentAllowance

NOT_TAKEN = -2
"""Channel of an applicant who is not taken this step."""
OPEN = -1
"""Channel of an applicant taken by open recruitment (or a returner taken home)."""


@njit(cache=True)
def matching_key(key: int, step: int) -> float:
    """Random priority of an applicant when applicants exceed posts."""
    return uniform_keyed(key, step, STREAM_MATCH_KEY)


@njit(cache=True)
def _rank(step: int, tie_order: np.ndarray, worker_keys: np.ndarray) -> np.ndarray:
    """Applicants in order of (random priority, worker id); `tie_order` (n,) is in worker-id
    order (`Applicants.tie_order`)."""
    n = tie_order.shape[0]
    keys = np.empty(n)
    for i in range(n):
        keys[i] = matching_key(worker_keys[i], step)
    by_id = np.argsort(tie_order, kind="mergesort")
    return by_id[np.argsort(keys[by_id], kind="mergesort")]


@njit(cache=True)
def _draw_area(key: int, step: int, rural_share: float) -> int:
    return RURAL if uniform_keyed(key, step, STREAM_AREA) < rural_share else 0


@njit(cache=True)
def match_applicants(
    step: int,
    tie_order: np.ndarray,
    worker_keys: np.ndarray,
    origin: np.ndarray,
    country: np.ndarray,
    cadre: np.ndarray,
    destination: np.ndarray,
    posts: np.ndarray,
    agreement_source: np.ndarray,
    agreement_destination: np.ndarray,
    agreement_cadre: np.ndarray,
    agreement_slots: np.ndarray,
    passive: np.ndarray,
    allowance: np.ndarray,
    capped: np.ndarray,
    exempt_agreements: np.ndarray,
    rural_share: np.ndarray,
    first_scan: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Demand-constrained matching of emigration applicants to international posts (ODD §7.5).

    Agreement quotas are served first, in agreement order, to applicants in their training country
    (the agreement's source), within each destination's international posts; open recruitment
    fills what is left, first from the applicants whose draw falls below their `first_scan`
    probability (the Community preference, the destination's recruitment channels:
    `first_scan_probability`), then from every applicant left, in rank order. Where
    a destination applies ethical recruitment (the lever's or its own code's), applicants recruited
    from a protected country (the country they are in) are taken only as passive applicants (with
    probability `passive[country, destination, cadre]`).
    Where the training country caps deployments (`capped`), an applicant leaving it needs a unit
    of its `allowance` (agreement hires too unless the origin's `exempt_agreements`); migrants
    moving on from abroad do not.

    Args:
        step: the step; tie_order (`Applicants.tie_order`), worker_keys, origin, country (where
            the applicant is now), cadre, destination: (n,) int64, one entry per applicant.
        posts: (C, K) int64 international posts, consumed in place.
        agreement_source, agreement_destination, agreement_cadre (-1 all): (G,) int64;
            agreement_slots: (G,) int64 slots this step, consumed in place.
        passive: (C, C, K) float probability that an applicant in a country (first index) is taken
            by a destination (second) with open posts of the cadre: below 1 where ethical
            recruitment applies (`PolicyYear.passive`), else 1.
        allowance: (C,) int64 deployments each origin may still make, consumed in place.
        capped: (C, K) bool origins and cadres under a deployment cap.
        exempt_agreements: (C, K) bool origins and cadres whose agreement hires do not use the
            allowance.
        rural_share: (C, K) share of each destination's vacancies that are rural.
        first_scan: (C origin, C destination, K) probability that an applicant trained in the
            origin is considered for the destination's posts of the cadre before the others
            (`first_scan_probability`; 0 everywhere: rank order alone).

    Returns:
        Per applicant in the given order: the agreement index used (`OPEN` open recruitment,
        `NOT_TAKEN`) and the area at destination (0 urban, 1 rural), both (n,) int64.
    """
    n = tie_order.shape[0]
    order = _rank(step, tie_order, worker_keys)
    channel = np.full(n, NOT_TAKEN, dtype=np.int64)
    for g in range(agreement_source.shape[0]):
        for j in range(n):
            i = order[j]
            if agreement_slots[g] <= 0:
                break
            if channel[i] != NOT_TAKEN:
                continue
            o = origin[i]
            if o != agreement_source[g] or country[i] != o:
                continue
            if destination[i] != agreement_destination[g]:
                continue
            if agreement_cadre[g] >= 0 and cadre[i] != agreement_cadre[g]:
                continue
            d = destination[i]
            if posts[d, cadre[i]] <= 0:
                continue
            counted = capped[o, cadre[i]] and not exempt_agreements[o, cadre[i]]
            if counted and allowance[o] <= 0:
                continue
            if counted:
                allowance[o] -= 1
            posts[d, cadre[i]] -= 1
            agreement_slots[g] -= 1
            channel[i] = g
    for preferred_round in (True, False):
        for j in range(n):
            i = order[j]
            if channel[i] != NOT_TAKEN:
                continue
            d, o = destination[i], origin[i]
            if preferred_round:
                p_first = first_scan[o, d, cadre[i]]
                if p_first <= 0.0:
                    continue
                if uniform_keyed(worker_keys[i], step, STREAM_PREFERENCE) >= p_first:
                    continue
            if posts[d, cadre[i]] <= 0:
                continue
            rate = passive[country[i], d, cadre[i]]
            if rate < 1.0 and uniform_keyed(worker_keys[i], step, STREAM_PASSIVE) >= rate:
                continue
            counted = country[i] == o and capped[o, cadre[i]]
            if counted and allowance[o] <= 0:
                continue
            if counted:
                allowance[o] -= 1
            posts[d, cadre[i]] -= 1
            channel[i] = OPEN
    area = np.zeros(n, dtype=np.int64)
    for i in range(n):
        if channel[i] != NOT_TAKEN:
            area[i] = _draw_area(worker_keys[i], step, rural_share[destination[i], cadre[i]])
    return channel, area


@njit(cache=True)
def match_returns(
    step: int,
    tie_order: np.ndarray,
    worker_keys: np.ndarray,
    origin: np.ndarray,
    cadre: np.ndarray,
    forced: np.ndarray,
    home_posts: np.ndarray,
    rural_share: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Returning migrants matched to vacant posts in their training country (ODD §7.5).

    Workers at the end of a fixed-term contract (`forced`) go home in any case: to a vacant post
    if one is left (rural with the home country's rural share of vacancies), else to an urban
    area. Voluntary returners, in rank order, go home only to a vacant post; the others stay
    abroad this step.

    Args:
        step, tie_order, worker_keys, origin, cadre: as `match_applicants`; forced: (n,) bool.
        home_posts: (C, K) int64 vacant posts at home, consumed in place.
        rural_share: (C, K) rural share of each country's vacancies.

    Returns:
        Per returner in the given order: `OPEN` (goes home) or `NOT_TAKEN`, and the area.
    """
    n = tie_order.shape[0]
    order = _rank(step, tie_order, worker_keys)
    channel = np.full(n, NOT_TAKEN, dtype=np.int64)
    area = np.zeros(n, dtype=np.int64)
    for rounds in range(2):
        for j in range(n):
            i = order[j]
            if forced[i] != (rounds == 0):
                continue
            o, k = origin[i], cadre[i]
            if home_posts[o, k] > 0:
                home_posts[o, k] -= 1
                channel[i] = OPEN
                area[i] = _draw_area(worker_keys[i], step, rural_share[o, k])
            elif forced[i]:
                channel[i] = OPEN
    return channel, area


def first_scan_probability(setup, pol: PolicyYear) -> np.ndarray:
    """(C origin, C destination, K) probability that an open applicant trained in the origin is
    considered for the destination's posts of the cadre before the others (ODD §7.5), the larger
    of two preferences, each 0 where it does not apply:

    - the Community preference π_C (`behaviour.community_preference`): trained in a member of
      the area of free movement, to another member whose posts of the cadre apply it
      (`Setup.free_movement`, `Setup.preferring`);
    - the channel preference π_G (`behaviour.channel_preference`): trained in an origin with
      which the destination runs a government-to-government recruitment channel of the cadre in
      force this year (`PolicyYear.channel_partner`).

    Computed once a year (cached on `pol`, keyed by the setup and the two probabilities), with
    its classes (`first_scan_classes`).
    """
    return _first_scan(setup, pol)[0]


def first_scan_classes(setup, pol: PolicyYear) -> np.ndarray:
    """(C origin, C destination, K) bool: `first_scan_probability` > 0, the applicants who form
    a class of their own at a destination (`OpenRecruitment.preferred`); cached with it."""
    return _first_scan(setup, pol)[1]


def _first_scan(setup, pol: PolicyYear) -> tuple[np.ndarray, np.ndarray]:
    """The year's first-scan table and its classes, computed once (`PolicyYear.cached`)."""
    community = float(setup.behaviour["community_preference"])
    channel = float(setup.behaviour["channel_preference"])

    def compute() -> tuple[np.ndarray, np.ndarray]:
        member = np.asarray(setup.free_movement, dtype=bool)
        n = member.shape[0]
        other = ~np.eye(n, dtype=bool)[:, :, None]
        in_area = member[:, None, None] & setup.preferring[None, :, :] & other
        table = np.where(in_area, community, 0.0)
        table = np.ascontiguousarray(
            np.maximum(table, np.where(pol.channel_partner & other, channel, 0.0))
        )
        return table, table > 0.0

    return pol.cached(("first_scan", id(setup), community, channel), compute)


class OpenRecruitment(NamedTuple):
    """What open recruitment did in a step's matching (agreement hires and their applicants
    left out), for the network term's expected split (`utilities.expected_split_correction`)."""

    hires: np.ndarray
    """(C origin, C destination, K) int64 applicants hired by open recruitment, agents."""
    destination_hires: np.ndarray
    """(C destination, K) int64 the same hires summed over the origins (the chance of a post,
    `Demand.record_hiring`), counted as they are made rather than summed from `hires`."""
    applicants: np.ndarray
    """(C destination, K) int64 applicants not taken under an agreement, agents."""
    posts: np.ndarray
    """(C destination, K) int64 international posts open at the start of matching."""
    preferred: np.ndarray
    """(C origin, C destination, K) bool where applicants trained in the origin were considered
    first with a positive probability (`first_scan_probability`: the Community preference, the
    destination's recruitment channels): at a destination they form a class of their own, with
    its own fill rate."""
    preferred_applicants: np.ndarray
    """(C destination, K) int64 open applicants of that class, agents."""


def match_step(
    step: int,
    pol: PolicyYear,
    apps: Applicants,
    demand: Demand,
    allowance: DeploymentAllowance,
    agreements: Agreements,
    contract_steps: np.ndarray,
    population: Population,
    ledger: Ledger,
) -> tuple[Transitions, np.ndarray, OpenRecruitment]:
    """Phase 4 of a step (ODD §7.5): international matching, the emigrants' moves, then returns.

    Applicants abroad are matched to this step's international posts (`match_applicants`) and
    move; the vacant posts at home are then counted and returning migrants matched to them
    (`match_returns`). Applies both sets of transitions to the ledger. Returns the emigrants'
    transitions, the hires under each agreement (G,) int64, in agents, and what open
    recruitment did (`OpenRecruitment`).
    """
    s = demand.setup
    slots = demand.agreement_slots(pol, agreements)
    allowed = allowance.available(pol, s.workers_per_agent, s.dt)
    hires = np.zeros(len(agreements.source), dtype=np.int64)
    n_countries, n_cadres = demand.international_posts.shape
    first_scan = first_scan_probability(s, pol)
    opened = OpenRecruitment(
        np.zeros((n_countries, n_countries, n_cadres), dtype=np.int64),
        np.zeros((n_countries, n_cadres), dtype=np.int64),
        np.zeros((n_countries, n_cadres), dtype=np.int64),
        demand.international_posts,  # not changed in place: matching consumes `posts`
        first_scan_classes(s, pol),  # read only (cached for the year)
        np.zeros((n_countries, n_cadres), dtype=np.int64),
    )
    n = len(apps.tie_order)
    posts = demand.international_posts.copy()  # consumed by matching
    if n == 0:
        demand.posts_left(posts)
        return Transitions.empty(), hires, opened
    abroad = apps.kind == APPLY_EMIGRATE
    channel, area = np.full(n, NOT_TAKEN), np.zeros(n, dtype=np.int64)
    if abroad.any():
        before = allowed.copy()
        channel[abroad], area[abroad] = match_applicants(
            step, apps.tie_order[abroad], apps.key[abroad], apps.origin[abroad],
            apps.country[abroad], apps.cadre[abroad], apps.destination[abroad],
            posts, agreements.source, agreements.destination,
            agreements.cadre, slots, pol.passive(), allowed,
            pol.deployment_capped, pol.deployment_exempt_agreements, demand.immigrant_rural_share,
            first_scan,
        )  # fmt: skip
        allowance.consume(before, allowed)
        hires = np.bincount(channel[channel >= 0], minlength=len(agreements.source))
        ch, cad = channel[abroad], apps.cadre[abroad]
        dest, org = apps.destination[abroad], apps.origin[abroad]
        free = ch < 0  # not taken under an agreement
        np.add.at(opened.applicants, (dest[free], cad[free]), 1)
        if opened.preferred.any():  # the class counted only where a preference is in force
            pref = free & opened.preferred[org, dest, cad]
            np.add.at(opened.preferred_applicants, (dest[pref], cad[pref]), 1)
        taken = ch == OPEN
        np.add.at(opened.hires, (org[taken], dest[taken], cad[taken]), 1)
        np.add.at(opened.destination_hires, (dest[taken], cad[taken]), 1)
    demand.posts_left(posts)
    emigrated = population.admit(channel, area, contract_steps)
    ledger.apply(emigrated)
    if not abroad.all():
        home, rural = demand.home_posts(ledger.present())
        back = ~abroad
        channel, area = np.full(n, NOT_TAKEN), np.zeros(n, dtype=np.int64)
        channel[back], area[back] = match_returns(
            step, apps.tie_order[back], apps.key[back], apps.origin[back], apps.cadre[back],
            apps.kind[back] == APPLY_CONTRACT_RETURN, home, rural,
        )  # fmt: skip
        ledger.apply(population.admit(channel, area, contract_steps))
    return emigrated, hires.astype(np.int64), opened
