"""Demand: population, funded posts, vacancies, international posts and graduate numbers.

Phase 1 (docs/ODD.md §7.2) turns the population projection, income growth (fiscal space) and the
adjustments into funded posts and vacancies, and opens international posts in the destinations
within their recruitment intensity and ceilings; phase 4 draws on the agreements' quotas, the
deployment allowances of capped origins and the vacant posts at home (§7.5), and phase 5 decides
how many graduates enter (§7.6). The rounding helpers of §7.10 (carry rounding, largest
remainder, round half up) live here too. Counts are in agents (workers / ω) unless said otherwise;
shapes use C countries, K cadres, G agreements.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.declarations import CADRES
from sim.model.policies import Agreements, PolicyYear

if TYPE_CHECKING:
    from sim.model.setup import Setup

HIRING_MEMORY_YEARS = 1.0
"""τ: the memory of the smoothed chance of a post (`Demand.record_hiring`), years."""
HIRING_CHANCE_FLOOR = 0.01
"""The smallest chance of a post an applicant reckons with (keeps its logarithm finite)."""


def own_posts_path(setup: Setup, elasticity: np.ndarray, a: float, b: float) -> np.ndarray:
    """G(b)/G(a) (C, K): the growth of funded posts from year a to year b along the model's own
    path, before adjustments and documented expansions (ODD §7.2):
    G(y) = pop(y)·exp(ε_k·g_y·(y − start))·T(start, y), T the posts' momentum
    (`Setup.posts_trend`).

    Args:
        setup: the run's `Setup`; elasticity: (K,) ε_k, the income elasticity of posts.
        a, b: calendar years, fractional.
    """
    pop = setup.population.at(b) / setup.population.at(a)
    income = np.exp(np.asarray(elasticity)[None, :] * setup.gdp_growth[:, None] * (b - a))
    return pop[:, None] * income * np.exp(setup.posts_trend.log_factor(a, b))


def post_expansion_factor(setup: Setup, elasticity: np.ndarray, year: float) -> np.ndarray:
    """M^S (C, K): a documented expansion of staffed posts at `year` (ODD §7.2).

    Inside the expansion's window [a, b] (`Setup.post_expansion_window`, calendar years) posts
    grow by the factor 1 + s a year (s = `Setup.post_expansion`, the annualised growth of the
    documented counts) instead of following the model's own path G (`own_posts_path`); after it
    they keep the level reached and follow G again: M^S = (1 + s)^θ·G(a)/G(a + θ),
    θ = clip(t − a, 0, b − a). 1 where there is no expansion (an empty window).

    Args:
        setup: the run's `Setup`; elasticity: (K,) ε_k, the income elasticity of posts.
        year: the calendar year, fractional (start year + step·Δt).
    """
    factor = np.ones((setup.n_countries, setup.n_cadres))
    window = setup.post_expansion_window
    paths = {}  # G(a + θ)/G(a) (C, K) by (a, θ): cells with the same window share one
    for c, k in zip(*np.nonzero(window[1] > window[0]), strict=True):  # a freeze (s = 0) counts
        a, b = window[:, c, k]
        theta = min(max(year - a, 0.0), b - a)
        if (a, theta) not in paths:
            paths[a, theta] = own_posts_path(setup, elasticity, a, a + theta)
        own = paths[a, theta][c, k]
        factor[c, k] = math.exp(math.log1p(setup.post_expansion[c, k]) * theta) / own
    return factor


def round_half_up(x: np.ndarray) -> np.ndarray:
    """Deterministic rounding to integers (halves up): floor(x + 0.5), as int64."""
    return np.floor(np.asarray(x) + 0.5).astype(np.int64)


def largest_remainder(totals: np.ndarray | int, weights: np.ndarray) -> np.ndarray:
    """Split integer totals over cells in proportion to weights (largest-remainder method), row
    by row: totals (R...,) over the last axis of weights (R..., N); a scalar total and 1-D
    weights are one row (ODD §5.4).

    Floors first; the remaining units go to the cells with the largest fractional parts, ties by
    cell order. Returns int64 counts of the shape of `weights`, each row summing to its total
    (zeros where the total or the row's weight is not positive)."""
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    totals = np.asarray(totals, dtype=np.int64)
    s = weights.sum(axis=-1, keepdims=True)
    valid = (totals[..., None] > 0) & (s > 0)
    exact = np.where(valid, weights / np.where(s > 0, s, 1.0) * totals[..., None], 0.0)
    base = np.floor(exact).astype(np.int64)
    left = np.where(valid[..., 0], totals - base.sum(axis=-1), 0)
    order = np.argsort(-(exact - base), axis=-1, kind="stable")  # ties by cell order
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(order.shape[-1]), axis=-1)
    return base + (rank < left[..., None])


def expected_international_posts(s: Setup, pol: PolicyYear, vacancies: np.ndarray) -> np.ndarray:
    """International posts expected this step (C, K), agents, before rounding (ODD §7.2):
    min(V · (1 − exp(−ρ · M^R · Δt)), ceiling · M^C · Δt / ω), with V (C, K) the vacancies of
    both areas. A destination is open to applicants where this is positive (ODD §4.2.2)."""
    open_rate = s.recruitment_intensity * pol.recruitment_multiplier[:, None]
    share = -np.expm1(-open_rate * s.dt)  # 1 - exp(-rate dt): never above the vacancies
    ceiling = s.recruitment_ceiling * pol.capacity_multiplier[:, None]
    return np.minimum(vacancies * share, ceiling * s.dt / s.workers_per_agent)


class CarryRounder:
    """Turns a stream of fractional expected counts into integers without drift or randomness.

    ODD §7.10: the integer issued at step t is max(floor(Σ_{s≤t} x_s + 1e−9) − issued so far, 0).
    """

    def __init__(self, shape: tuple[int, ...]):
        self.cumulative = np.zeros(shape)
        self.issued = np.zeros(shape, dtype=np.int64)

    def take(self, expected: np.ndarray, cap: np.ndarray | None = None) -> np.ndarray:
        """Integers whose running total tracks the running total of `expected` (floor).

        With `cap`, no more than `cap` are issued, and what the cap withholds is dropped rather
        than carried (the carried remainder never exceeds one).
        """
        self.cumulative += expected
        target = np.floor(self.cumulative + 1e-9).astype(np.int64)
        out = np.maximum(target - self.issued, 0)
        if cap is not None:
            out = np.minimum(out, cap)
        self.issued += out
        if cap is not None:
            self.cumulative = np.minimum(self.cumulative, self.issued + 1.0)
        return out


class Demand:
    """Funded posts, vacancies and international posts (phase 1) and entry numbers (phases 4-5).

    State: `posts` and `vacancies` (C, 2, K), `international_posts` (C, K) int64 open this step
    (`opened_posts` opened this step, the rest unfilled earlier in the year), and the
    `expected_posts` they were rounded from, the `immigrant_rural_share` (C, K) of each
    destination, the year-end vacancy and unemployment rates (`vacancy_rates`,
    `unemployment_rates`), the smoothed hires and applicants of open recruitment (`hired`,
    `applied`, (C, K) agents: the chance of a post, `log_hiring_chance`) and the carry-rounding
    accumulators.
    """

    def __init__(self, setup: Setup, initial_posts: np.ndarray, n_agreements: int):
        self.setup = setup
        self.initial_posts = initial_posts  # P⁰ (C, 2, K)
        self.posts = initial_posts.copy()
        shape = (setup.n_countries, setup.n_cadres)
        self.vacancies = np.zeros_like(initial_posts)
        self.international_posts = np.zeros(shape, dtype=np.int64)
        self.opened_posts = np.zeros(shape, dtype=np.int64)
        self.carried_posts = np.zeros(shape, dtype=np.int64)
        self.expected_posts = np.zeros(shape)
        self.immigrant_rural_share = setup.initial_rural_share.copy()
        self.post_rounder = CarryRounder(shape)
        self.graduate_rounder = CarryRounder(shape)
        self.quota_rounder = CarryRounder((n_agreements,))
        elasticity = setup.workforce["demand_income_elasticity"]
        self.elasticity = np.array([elasticity[k] for k in CADRES])  # (K,)
        self.vacancy_rates: list[np.ndarray] = []
        self.unemployment_rates: list[np.ndarray] = []
        self.hired = np.zeros(shape)
        self.applied = np.zeros(shape)

    def update(self, step: int, pol: PolicyYear, present: np.ndarray) -> None:
        """Phase 1 (ODD §7.2): posts, vacancies, international posts, immigrants' rural share.

        P = P⁰ · G(year_t)/G(start) · M^D · M^S (G: `own_posts_path`); V = max(P − N, 0);
        O = min(CarryRound(min((V_U + V_R)·(1 − exp(−ρ·M^R·Δt)), ceiling·M^C·Δt/ω)),
        ⌊V_U + V_R⌋ − L) posts opened, I = L + O open, where L = min(posts left unfilled by the
        last step of the same year, ⌊V_U + V_R⌋) (0 in a year's first step: `posts_left`).
        `present` (C, 2, K) are the agents present at the start of the step.
        """
        s = self.setup
        year = s.start_year + step * s.dt
        path = own_posts_path(s, self.elasticity, float(s.start_year), year)  # (C, K)
        path = path * post_expansion_factor(s, self.elasticity, year)
        path = path * pol.demand_multiplier[:, None]
        self.posts = self.initial_posts * path[:, None, :]
        self.vacancies = np.maximum(self.posts - present, 0.0)
        vac_total = self.vacancies.sum(axis=1)
        expected = expected_international_posts(s, pol, vac_total)
        self.expected_posts = expected
        whole_vacancies = np.floor(vac_total + 1e-9).astype(np.int64)
        if step % s.steps_per_year == 0:  # the year's recruitment round: last year's posts lapse
            self.carried_posts[:] = 0
        carried = np.minimum(self.carried_posts, whole_vacancies)
        self.opened_posts = self.post_rounder.take(expected, cap=whole_vacancies - carried)
        self.international_posts = carried + self.opened_posts
        self.immigrant_rural_share = np.where(
            vac_total > 0,
            self.vacancies[:, 1, :] / np.maximum(vac_total, 1e-12),
            s.initial_rural_share,
        )

    def expect_at_start(self, pol: PolicyYear, present: np.ndarray) -> None:
        """Before the first step: `expected_posts` from the initial posts and the agents
        `present` (C, 2, K) under `pol` (the state from which base graduate output is set,
        ODD §7.6); the first step's phase 1 replaces them."""
        vacancies = np.maximum(self.posts - present, 0.0).sum(axis=1)
        self.expected_posts = expected_international_posts(self.setup, pol, vacancies)

    def posts_left(self, left: np.ndarray) -> None:
        """After matching: `left` (C, K) of this step's international posts are unfilled; they
        stay open in the year's later steps (ODD §7.2)."""
        self.carried_posts = left.astype(np.int64, copy=True)

    def record_hiring(self, hires: np.ndarray, applicants: np.ndarray) -> None:
        """After matching: this step's open-recruitment `hires` and `applicants` (C destination,
        K), agents (`matching.OpenRecruitment`), into the smoothed sums of the chance of a post
        (ODD §4.2.2): X̄ ← X̄ + a·(X − X̄) with a = Δt/(τ + Δt), τ = 1 year (the implicit Euler
        step of a relaxation with a year's memory: stable at any step length)."""
        a = self.setup.dt / (HIRING_MEMORY_YEARS + self.setup.dt)
        self.hired += a * (hires - self.hired)
        self.applied += a * (applicants - self.applied)

    def log_hiring_chance(self) -> np.ndarray:
        """ln q̄ (C destination, K): the smoothed chance that an applicant to a destination's
        open recruitment is hired, q̄ = hired / applied, floored at `HIRING_CHANCE_FLOOR`; 0 (a
        chance of 1) where nobody has applied yet (ODD §4.2.2)."""
        chance = np.divide(
            self.hired, self.applied, out=np.ones_like(self.hired), where=self.applied > 0
        )
        return np.log(np.clip(chance, HIRING_CHANCE_FLOOR, 1.0))

    def home_posts(self, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vacant posts at home for returning migrants, now (ODD §7.5): whole posts (C, K) int64
        and the rural share of the vacancies (C, K). `present` (C, 2, K) agents."""
        vacancies = np.maximum(self.posts - present, 0.0)
        total = vacancies.sum(axis=1)
        rural = np.where(total > 0, vacancies[:, 1, :] / np.maximum(total, 1e-12), 0.0)
        return np.floor(total + 1e-9).astype(np.int64), rural

    def record_year(self, present: np.ndarray) -> None:
        """At the end of a year (and for the initial state), keep its vacancy and unemployment
        rates (C, K) for the responses to them. `present` (C, 2, K) agents."""
        self.vacancy_rates.append(vacancy_rate(self.posts, present))
        self.unemployment_rates.append(unemployment_rate(self.posts, present))

    def pressure(self, years: int = 3) -> np.ndarray:
        """max(v̄ − v*, 0) (C, K): the mean vacancy rate of the last `years` year ends (the
        initial state counting as one) above the threshold `workforce.vacancy_threshold`."""
        return _sustained(self.vacancy_rates, years, self.setup.workforce["vacancy_threshold"])

    def slack(self, years: int = 3) -> np.ndarray:
        """max(ū − u*, 0) (C, K): the mean unemployment rate of the last `years` year ends (the
        initial state counting as one) above the threshold `workforce.unemployment_threshold`."""
        threshold = self.setup.workforce["unemployment_threshold"]
        return _sustained(self.unemployment_rates, years, threshold)

    def agreement_slots(self, pol: PolicyYear, agreements: Agreements) -> np.ndarray:
        """Phase 4 (ODD §7.5): slots[g] = CarryRound(quota_g · active_g / ω · Δt). (G,) int64."""
        s = self.setup
        quota = agreements.quota * pol.agreement_active / s.workers_per_agent * s.dt
        return self.quota_rounder.take(quota)

    def graduates(self, output: np.ndarray) -> np.ndarray:
        """Phase 5 (ODD §7.6): graduates (agents) entering this step by (country, cadre). (C, K).

        expected = output/ω · Δt, carry-rounded; `output` (C, K) is this year's graduate output a
        year (base output and extra graduates, `sim.model.training`), in workers.
        """
        s = self.setup
        return self.graduate_rounder.take(output / s.workers_per_agent * s.dt)


def _sustained(rates: list[np.ndarray], years: int, threshold: float) -> np.ndarray:
    """The mean of the last `years` year-end rates (C, K) above `threshold`, never negative."""
    return np.maximum(np.mean(rates[-years:], axis=0) - float(threshold), 0.0)


def _excess_rate(over: np.ndarray, under: np.ndarray) -> np.ndarray:
    """Σ_a (over − min(over, under)) / Σ_a over by (country, cadre) (C, K), from (C, 2, K): the
    areas summed as in the indicators, each area's excess counted alone (urban unemployment does
    not fill rural vacancies); 0 where `over` sums to 0."""
    over = np.asarray(over, dtype=np.float64)
    excess = (over - np.minimum(over, under)).sum(axis=1)
    total = over.sum(axis=1)
    return np.divide(excess, total, out=np.zeros_like(total), where=total > 0)


def vacancy_rate(posts: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Vacancies over posts by (country, cadre) (C, K)."""
    return _excess_rate(posts, present)


def unemployment_rate(posts: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Workers without a post over workers by (country, cadre) (C, K)."""
    return _excess_rate(present, posts)


class DeploymentAllowance:
    """Deployments each capped country may still make this year (ODD §7.5, deployment cap).

    The cap (workers a year, per country of training) accrues evenly over the year's steps, in
    agents; unused allowance carries to later steps of the same year, not to the next year
    (only the fraction of an agent does, so coarse scales are not biased).
    """

    UNCAPPED = 2**40
    """Allowance of a country without a cap."""

    def __init__(self, n_countries: int):
        self.accrued = np.zeros(n_countries)
        self.used = np.zeros(n_countries, dtype=np.int64)

    def available(self, pol: PolicyYear, workers_per_agent: float, dt: float) -> np.ndarray:
        """Accrue this step's allowance; deployments allowed now (C,) int64."""
        capped = np.isfinite(pol.deployment_cap)
        step = np.where(capped, pol.deployment_cap, 0.0) / workers_per_agent * dt
        self.accrued = np.where(capped, self.accrued + step, 0.0)
        self.used = np.where(capped, self.used, 0)
        left = np.floor(self.accrued + 1e-9).astype(np.int64) - self.used
        return np.where(capped, np.maximum(left, 0), self.UNCAPPED)

    def consume(self, before: np.ndarray, after: np.ndarray) -> None:
        """Record the deployments matching used (allowance before and after matching)."""
        self.used += np.where(before < self.UNCAPPED, before - after, 0)

    def end_year(self) -> None:
        """A new year: the unused whole allowance lapses, the fraction of an agent carries."""
        self.accrued -= np.floor(self.accrued + 1e-9)
        self.used[:] = 0
