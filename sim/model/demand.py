"""Demand: population, funded posts, vacancies, international posts and graduate numbers.

Phase 1 (docs/ODD.md §7.2) turns the population projection, demand growth and the adjustments into
funded posts and vacancies, and opens international posts in the destinations; phase 4 draws on the
agreements' quotas (§7.5) and phase 5 decides how many graduates enter (§7.6). The rounding helpers
of §7.10 (carry rounding, largest remainder, round half up) live here too. Counts are in agents
(workers / ω) unless said otherwise; shapes use C countries, K cadres, G agreements.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.policies import Agreements, PolicyYear

if TYPE_CHECKING:
    from sim.model.setup import Setup


def round_half_up(x: np.ndarray) -> np.ndarray:
    """Deterministic rounding to integers (halves up): floor(x + 0.5), as int64."""
    return np.floor(np.asarray(x) + 0.5).astype(np.int64)


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer total over cells in proportion to weights (largest-remainder method).

    Floors first; the remaining units go to the cells with the largest fractional parts, ties by
    cell order (ODD §5.4). Returns int64 counts of the shape of `weights`, summing to `total`.
    """
    weights = np.asarray(weights, dtype=np.float64)
    s = weights.sum()
    if total <= 0 or s <= 0:
        return np.zeros(weights.shape, dtype=np.int64)
    exact = weights / s * total
    base = np.floor(exact).astype(np.int64)
    left = int(total - base.sum())
    if left > 0:
        order = np.lexsort((np.arange(exact.size), -(exact - base).ravel()))
        base.ravel()[order[:left]] += 1
    return base


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

    State: `posts` and `vacancies` (C, 2, K), `international_posts` (C, K) int64, the
    `immigrant_rural_share` (C, K) of each destination, and the carry-rounding accumulators.
    """

    def __init__(self, setup: Setup, initial_posts: np.ndarray, n_agreements: int):
        self.setup = setup
        self.initial_posts = initial_posts  # P⁰ (C, 2, K)
        self.posts = initial_posts.copy()
        shape = (setup.n_countries, setup.n_cadres)
        self.vacancies = np.zeros_like(initial_posts)
        self.international_posts = np.zeros(shape, dtype=np.int64)
        self.immigrant_rural_share = setup.initial_rural_share.copy()
        self.post_rounder = CarryRounder(shape)
        self.graduate_rounder = CarryRounder(shape)
        self.quota_rounder = CarryRounder((n_agreements,))
        self._start_population = setup.population.at(setup.start_year)

    def update(self, step: int, pol: PolicyYear, present: np.ndarray) -> None:
        """Phase 1 (ODD §7.2): posts, vacancies, international posts, immigrants' rural share.

        P = P⁰ · pop(year_t)/pop(start) · (1 + g)^(t·Δt) · M^D; V = max(P − N, 0);
        I = min(CarryRound((V_U + V_R)·(1 − exp(−intensity·M^R·dest·Δt))), ⌊V_U + V_R⌋).
        `present` (C, 2, K) are the agents present at the start of the step.
        """
        s = self.setup
        pop = s.population.at(s.start_year + step * s.dt)
        growth = (pop / self._start_population)[:, None, None]
        trend = ((1.0 + s.demand_growth) ** (step * s.dt))[:, None, None]
        self.posts = self.initial_posts * growth * trend * pol.demand_multiplier[:, None, None]
        self.vacancies = np.maximum(self.posts - present, 0.0)
        open_rate = s.recruitment_intensity * pol.recruitment_multiplier * s.destinations
        share = -np.expm1(-open_rate * s.dt)  # 1 - exp(-rate dt): never above the vacancies
        expected = self.vacancies.sum(axis=1) * share[:, None]
        whole_vacancies = np.floor(self.vacancies.sum(axis=1) + 1e-9).astype(np.int64)
        self.international_posts = self.post_rounder.take(expected, cap=whole_vacancies)
        vac_total = self.vacancies.sum(axis=1)
        self.immigrant_rural_share = np.where(
            vac_total > 0,
            self.vacancies[:, 1, :] / np.maximum(vac_total, 1e-12),
            s.initial_rural_share,
        )

    def agreement_slots(self, pol: PolicyYear, agreements: Agreements) -> np.ndarray:
        """Phase 4 (ODD §7.5): slots[g] = CarryRound(quota_g · active_g / ω · Δt). (G,) int64."""
        s = self.setup
        quota = agreements.quota * pol.agreement_active / s.workers_per_agent * s.dt
        return self.quota_rounder.take(quota)

    def graduates(
        self, pol: PolicyYear, funded: np.ndarray | float, agreements: Agreements
    ) -> np.ndarray:
        """Phase 5 (ODD §7.6): graduates (agents) entering this step by (country, cadre). (C, K).

        expected = (capacity·(1 + expansion) + funded/ω + agreement places/ω)·Δt, carry-rounded;
        `funded` (C, K) are this year's graduates bought by compensation, in workers.
        """
        s = self.setup
        expansion = 1.0 + pol.expansion_output
        places = np.zeros((s.n_countries, s.n_cadres))
        for g in np.flatnonzero(pol.agreement_training_output):
            if agreements.cadre[g] < 0:  # places of an all-cadre agreement are split evenly
                places[agreements.source[g]] += agreements.training_places[g] / s.n_cadres
            else:
                places[agreements.source[g], agreements.cadre[g]] += agreements.training_places[g]
        expected = (
            s.graduate_capacity * expansion
            + funded / s.workers_per_agent
            + places / s.workers_per_agent
        ) * s.dt
        return self.graduate_rounder.take(expected)
