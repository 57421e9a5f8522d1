"""Supply over time: ages, hazards by age, training output's trend, initial stocks (ODD §5, §7).

Pure functions (numpy, and numba for the loops over cohorts and the age grid) of the scenario's
`hazards` and `workforce` sections and of the world:

- hazards by age (`hazard_tables`): per-step probabilities of retiring, dying and leaving the
  profession for every age in steps, from the documented age profiles (`sim.declarations`
  `ATTRITION_PROFILE`, `RETIREMENT_PROFILE`) scaled by the registry's levels;
- the initial age structure (`age_band_edges`, `initial_age_shares`, `age_distribution`): the
  world's shares by age band (`World.age_shares`), or for world files without them the
  stable-population profile that the same hazards imply, spread over whole years of age within
  each band as the stable population is (`age_distribution`);
- the initial foreign-trained workers' own, younger profile (`migrant_age_shares`): the steady
  state of a growing migrant stock entered at the ages at which workers emigrate;
- base graduate output (`graduate_path`): the graduates that keep the own-trained stock on its
  trend (`sim.model.trends.Trend`).

Shapes use C countries, K cadres, A ages in steps (0 .. max age), B = 5 age bands, Y whole
years of age (0 .. ceil(max age)).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from sim.declarations import (
    ATTRITION_PROFILE,
    CADRES,
    HAZARD_AGE_EDGES,
    LATE_ENTRY_MAX_YEARS,
    MIGRATION_AGE_EDGES,
    MIGRATION_AGE_LABELS,
    RETIREMENT_PROFILE,
)

if TYPE_CHECKING:
    from sim.inputs.world import World
    from sim.model.rules import DecisionContext
    from sim.model.trends import Trend

AGE_SHARE_EDGES = (35, 45, 55, 65)
"""Inner edges (years) of the bands of `World.age_shares` (<35, 35-44, 45-54, 55-64, 65+)."""


def _band_values(ages: np.ndarray, edges: tuple, values: tuple) -> np.ndarray:
    """The value of the band (lower `edges`) that each age (years) falls in."""
    return np.asarray(values, dtype=np.float64)[np.searchsorted(edges, ages, side="right") - 1]


def annual_hazards(hazards: Mapping, ages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Annual attrition (death included) and retirement rates (K, len(ages)) at ages in years.

    attrition_k(a) = attrition_rate_k · ATTRITION_PROFILE_k(band(a)), the band under 35 at
    `early_attrition_ratio_k` instead of the profile's;
    retirement_k(a) = retirement_scale_k · RETIREMENT_PROFILE_k(band(a)).
    """
    ages = np.asarray(ages, dtype=np.float64)
    attrition = np.stack(
        [
            hazards["attrition_rate"][k]
            * _band_values(
                ages,
                HAZARD_AGE_EDGES,
                (hazards["early_attrition_ratio"][k], *ATTRITION_PROFILE[k][1:]),
            )
            for k in CADRES
        ]
    )
    retirement = np.stack(
        [
            hazards["retirement_scale"][k]
            * _band_values(ages, HAZARD_AGE_EDGES, RETIREMENT_PROFILE[k])
            for k in CADRES
        ]
    )
    return attrition, retirement


def _exit_rate(hazards: Mapping, attrition: np.ndarray) -> np.ndarray:
    """The exit from the profession in a native's attrition (any shape, 1/year): what is beyond
    the flat `death_rate` (at least 0)."""
    return np.maximum(attrition - float(hazards["death_rate"]), 0.0)


def migrant_attrition(hazards: Mapping, attrition: np.ndarray) -> np.ndarray:
    """A migrant's annual attrition from a native's (any shape, 1/year): deaths as a native's
    (`death_rate`), the exit beyond them times `migrant_attrition_ratio` (ODD §7.3)."""
    ratio = float(hazards["migrant_attrition_ratio"])
    return attrition - (1.0 - ratio) * _exit_rate(hazards, attrition)


def hazard_tables(hazards: Mapping, steps_per_year: int) -> tuple[np.ndarray, ...]:
    """Per-step probabilities by age in steps (ODD §7.3): retire (K, A), death (K, A) and exit
    (2, K, A), the exit's first axis the worker's migrant status (0 native, 1 migrant).

    Attrition includes death: the exit hazard is attrition less the flat death rate (at least 0);
    a migrant's is that times `migrant_attrition_ratio`. A = ceil(max_age · S) + 1 ages; rates
    become probabilities 1 − exp(−rate · dt).
    """
    dt = 1.0 / steps_per_year
    n_ages = math.ceil(hazards["max_age"] * steps_per_year) + 1
    attrition, retirement = annual_hazards(hazards, np.arange(n_ages) / steps_per_year)
    death = np.full_like(attrition, float(hazards["death_rate"]))
    exit_rate = _exit_rate(hazards, attrition)
    exit_rate = np.stack([exit_rate, exit_rate * float(hazards["migrant_attrition_ratio"])])
    return tuple(-np.expm1(-rate * dt) for rate in (retirement, death, exit_rate))


def age_term_table(behaviour: Mapping, n_ages: int, steps_per_year: int) -> np.ndarray:
    """ln m(age) of the emigration utility for every age in steps (A,) (ODD §4.2.2).

    m = 1 under 35 and `behaviour.emigration_age_factor` above (35-44, 45-54, 55+), floored at
    1e-9 so that a factor of 0 closes emigration without an infinite utility.
    """
    factors = (1.0, *(behaviour["emigration_age_factor"][label] for label in MIGRATION_AGE_LABELS))
    ages = np.arange(n_ages) / steps_per_year
    m = _band_values(ages, (0.0, *MIGRATION_AGE_EDGES), factors)
    return np.log(np.maximum(m, 1e-9))


def age_band_edges(hazards: Mapping) -> np.ndarray:
    """Edges (years) of the initial age bands for each cadre (K, 6): entry age, 35, 45, 55, 65,
    max age (kept non-decreasing, so an entry age above an edge empties the band below it)."""
    out = []
    for k in CADRES:
        entry = float(hazards["entry_age"][k])
        top = max(float(hazards["max_age"]), entry)
        inner = [min(max(e, entry), top) for e in AGE_SHARE_EDGES]
        out.append([entry, *inner, top])
    return np.array(out)


def initial_age_shares(hazards: Mapping, world: World, growth: np.ndarray) -> np.ndarray:
    """Shares of the initial workforce by age band (C, K, B): `World.age_shares`, or for world
    files the stable-population profile with cohort growth `growth` (C, K) (ODD §5.4)."""
    if world.age_shares is not None:
        shares = np.asarray(world.age_shares, dtype=np.float64)
        return shares / shares.sum(axis=-1, keepdims=True)
    return stable_age_shares(hazards, growth)


def migrant_age_shares(
    hazards: Mapping,
    behaviour: Mapping,
    profile: np.ndarray,
    foreign: np.ndarray,
    growth: float,
) -> np.ndarray:
    """Shares by whole year of age of the initial foreign-trained workers by country of work
    (C, K, Y) (§5.2).

    The steady state of a migrant stock growing at `growth` (1/year) that emigrants enter at the
    ages of their origin's workforce weighted by the emigration age factor m (ODD §4.2.2), and
    that ages and leaves with the hazards by age (a migrant's attrition, `migrant_attrition`,
    and retirement):

        e_o(y)  ∝ n_o(y) · m(y)                                  ages at emigration, origin o
        f_d(y)  = Σ_o F[o,d] · e_o(y) / Σ_o F[o,d]                entrants into country d
        N_d(a)  ∝ Σ_{y ≤ a} f_d(y) · exp(−g·(a − y)) · S(a)/S(y)  S: survival of the hazards

    by whole years of age, the year of the maximum age counted for the part of it below that
    age. `profile` (C, K, Y) are the countries' workforce profiles by whole year of age
    (`age_distribution`), `foreign` (C origin, C country, K) the initial foreign-trained workers.
    Countries without foreign-trained workers keep their own profile.
    """
    n_years = profile.shape[-1]
    m = np.exp(age_term_table(behaviour, n_years, 1))  # (Y,) at whole years of age
    entrants = profile * m[None, None, :]
    entrants /= np.maximum(entrants.sum(axis=-1, keepdims=True), 1e-300)
    weight = foreign.sum(axis=0)  # (C country, K)
    mixed = np.einsum("odk,oky->dky", foreign, entrants)
    mixed /= np.maximum(weight, 1e-300)[:, :, None]
    attrition, retirement = annual_hazards(hazards, np.arange(n_years) + 0.5)
    rate = migrant_attrition(hazards, attrition) + retirement  # (K, Y)
    log_survival = -(np.cumsum(rate, axis=1) - rate / 2)  # at mid-year
    years = np.arange(n_years, dtype=np.float64)
    gap = years[:, None] - years[None, :]  # a − y
    kernel = np.where(
        gap[None] >= 0,
        np.exp(-growth * gap[None] + log_survival[:, :, None] - log_survival[:, None, :]),
        0.0,
    )  # (K, a, y)
    stock = np.einsum("dky,kay->dka", mixed, kernel)
    edges = age_band_edges(hazards)
    for k in range(len(CADRES)):  # the part of each year between the entry and maximum ages
        lo, hi = edges[k, 0], edges[k, -1]
        stock[:, k, :] *= np.clip(np.minimum(years + 1, hi) - np.maximum(years, lo), 0.0, 1.0)
    total = stock.sum(axis=-1, keepdims=True)
    own = np.asarray(profile, dtype=np.float64)
    own = own / np.maximum(own.sum(axis=-1, keepdims=True), 1e-300)
    return np.where((weight[:, :, None] > 0) & (total > 0), stock / np.maximum(total, 1e-300), own)


def late_entry_weights(hazards: Mapping) -> np.ndarray:
    """Shares of graduates entering d = 0, 1, ... whole years above `entry_age` (K, D) (ODD §7.6).

    p_k(d) ∝ (m/(1 + m))^d, the geometric distribution of mean m = `late_entry_years`_k, for
    d ≤ min(LATE_ENTRY_MAX_YEARS, floor(max age − entry age) − 1) (nobody enters at or above
    the maximum age), normalised to 1; m = 0 puts everyone at d = 0. D = LATE_ENTRY_MAX_YEARS + 1
    (zeros beyond a cadre's own limit).
    """
    out = np.zeros((len(CADRES), LATE_ENTRY_MAX_YEARS + 1))
    for k, cadre in enumerate(CADRES):
        mean = max(float(hazards["late_entry_years"][cadre]), 0.0)
        room = math.floor(float(hazards["max_age"]) - float(hazards["entry_age"][cadre])) - 1
        last = max(min(LATE_ENTRY_MAX_YEARS, room), 0)
        ratio = mean / (1.0 + mean)
        out[k, : last + 1] = ratio ** np.arange(last + 1)
        out[k] /= out[k].sum()
    return out


def _stable_density(hazards: Mapping, growth: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """The stable-population density of cadre k on a grid of 0.01 years from the entry age a0 to
    the maximum age (docs/data.md §2.2, ODD §5.4).

    n(a) ∝ Σ_d p(d) · exp(−g (a − a0 − d)) · S(a) / S(a0 + d) over a ≥ a0 + d: the cohorts that
    entered at a0 + d years (`late_entry_weights`), grown at the cohort growth g =
    `growth[:, k]` (1/year) and surviving the hazards by age (attrition and retirement; S is
    their survival from a0). Returns the grid's mid-points (G,) in years and the density (C, G),
    not normalised (about p(0) at the entry age).
    """
    entry = float(hazards["entry_age"][CADRES[k]])
    top = max(float(hazards["max_age"]), entry + 0.01)
    ages = np.arange(entry, top, 0.01) + 0.005
    attrition, retirement = annual_hazards(hazards, ages)
    survival = np.exp(-np.cumsum((attrition[k] + retirement[k]) * 0.01))
    # exp(−g (a − a0 − d)) / S(a0 + d) = exp(−g (a − a0)) · exp(g d) / S(a0 + d): the cohorts that
    # have entered by grid point i (d ≤ i // 100) sum as a running total over d, one exp pass.
    shares = late_entry_weights(hazards)[k]
    late = np.arange(shares.size)
    first = np.minimum(100 * late, ages.size)
    before = np.where(first > 0, survival[np.maximum(first - 1, 0)], 1.0)
    growth_k = np.ascontiguousarray(growth[:, k], dtype=np.float64)
    return ages, _density(survival, ages - entry, growth_k, shares / before)


@njit(cache=True)
def _density(survival, since_entry, growth, entering):
    """`_stable_density`'s density, compiled (C, G): survival (G,) S(a), since_entry (G,) a − a0
    in years, growth (C,) g, entering (D,) p(d) / S(a0 + d). Grid point i has seen the cohorts
    d ≤ i // 100 enter; exp(−g (a − a0)) · Σ_d p(d) e^(g d) / S(a0 + d) · S(a), the first factor
    as its value at the year's first point times exp(−g · 0.01 r) (equal to a few ulps: one `exp`
    per year of the grid instead of per point)."""
    n_grid, n_late = survival.shape[0], entering.shape[0]
    out = np.empty((growth.shape[0], n_grid))
    within = np.empty(100)  # exp(−g · 0.01 r): the growth factor within a year of the grid
    for c in range(growth.shape[0]):
        g = growth[c]
        for r in range(100):
            within[r] = math.exp(-g * 0.01 * r)
        entered, year_start = 0.0, 1.0
        for i in range(n_grid):
            d, r = i // 100, i % 100
            if r == 0:
                year_start = math.exp(-g * since_entry[i])
                if d < n_late:
                    entered += entering[d] * math.exp(g * d)
            out[c, i] = survival[i] * (year_start * within[r]) * entered
    return out


def stable_age_shares(hazards: Mapping, growth: np.ndarray) -> np.ndarray:
    """Stable-population shares by age band (C, K, B) for cohort growth `growth` (C, K).

    docs/data.md §2.2: the density of `_stable_density` (with everyone entering at the entry age
    a0, n(a) ∝ exp(−g (a − a0)) · exp(−∫_{a0}^{a} h(x) dx)), h = attrition + retirement,
    integrated on a grid of 0.01 years from a0 to the maximum age.
    """
    edges = age_band_edges(hazards)
    out = np.zeros((*growth.shape, len(AGE_SHARE_EDGES) + 1))
    for k in range(len(CADRES)):
        ages, weight = _stable_density(hazards, growth, k)
        band = np.clip(np.searchsorted(edges[k, 1:-1], ages, side="right"), 0, 4)
        for b in range(out.shape[-1]):
            out[:, k, b] = weight[:, band == b].sum(axis=1)
    return out / out.sum(axis=-1, keepdims=True)


def age_distribution(hazards: Mapping, shares: np.ndarray, growth: np.ndarray) -> np.ndarray:
    """The initial band shares spread over whole years of age (C, K, Y) (ODD §5.4).

    Within each band the share is spread in proportion to the stable-population density of the
    model's own hazards and the cohort growth `growth` (C, K, 1/year) (`_stable_density`): a band
    keeps its share of `shares` (C, K, B) exactly, and within it the density falls with age as
    the workers' survival does (steeply from 55 or 60, where retirement sets in), instead of
    being flat. Year y holds the ages [y, y + 1); Y = ceil(max age) + 1.
    """
    edges = age_band_edges(hazards)
    n_years = math.ceil(float(hazards["max_age"])) + 1
    out = np.zeros((*shares.shape[:2], n_years))
    for k in range(len(CADRES)):
        ages, density = _stable_density(hazards, growth, k)
        year = np.minimum(np.floor(ages).astype(np.int64), n_years - 1)
        band = np.clip(np.searchsorted(edges[k, 1:-1], ages, side="right"), 0, 4)
        by_year = _sum_by_band_and_year(density, band, year, edges.shape[1] - 1, n_years)
        total = by_year.sum(axis=2, keepdims=True)  # (C, B, 1)
        spread = shares[:, k, :, None] * by_year / np.maximum(total, 1e-300)
        out[:, k, :] = spread.sum(axis=1)
    return out


@njit(cache=True)
def _sum_by_band_and_year(density, band, year, n_bands, n_years):
    """The density (C, G) summed by age band and whole year of age of its grid points (C, B, Y)."""
    out = np.zeros((density.shape[0], n_bands, n_years))
    for c in range(density.shape[0]):
        start = 0
        for i in range(1, density.shape[1] + 1):  # runs of grid points in one band and year
            if i < density.shape[1] and band[i] == band[start] and year[i] == year[start]:
                continue
            total = 0.0
            for j in range(start, i):
                total += density[c, j]
            out[c, band[start], year[start]] += total
            start = i
    return out


def year_edges_steps(hazards: Mapping, n_years: int, steps_per_year: int) -> np.ndarray:
    """Edges in steps of the whole years of age of `age_distribution` for each cadre
    (K, Y + 1): year y spans [y·S, (y + 1)·S) clipped to [entry age, max age), so a draw never
    falls below the entry age or at the maximum age."""
    top = round(float(hazards["max_age"]) * steps_per_year)
    out = []
    for k in CADRES:
        entry = round(float(hazards["entry_age"][k]) * steps_per_year)
        years = np.arange(n_years + 1, dtype=np.int64) * steps_per_year
        out.append(np.clip(years, entry, max(top, entry)))
    return np.array(out, dtype=np.int64)


def graduate_path(
    hazards: Mapping,
    profile: np.ndarray,
    own_trained: np.ndarray,
    trend: Trend,
    start_year: int,
    years: int,
    outflow: np.ndarray | float,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Base graduate output by year of the run (C, K, years), workers a year (ODD §7.6).

    The graduates that keep the own-trained stock on its trend, N(t) = N_own · exp(∫ g_G), when
    the workforce ages and leaves with the hazards by age (attrition, death, retirement) and with
    the reference voluntary outflow: a cohort-component projection by whole years of age, each
    year's graduates entering at the entry age plus d whole years with the shares
    `late_entry_weights`. Graduates are never negative (a stock above its
    trend is left to shrink). The foreign-trained part of a destination's workforce is not
    replaced by its graduates: it grows or shrinks by recruitment.

    Args:
        profile: (C, K, Y) the initial workforce's shares by whole year of age
            (`age_distribution`).
        outflow: annual rates broadcastable to (C, K, Y, Q) by whole year of age Y and group Q of
            the personal propensity (`reference_outflow`), or to (C, K, Y) when `weights` is None.
        weights: (Q,) the groups' shares of every cohort (sum 1). Cohorts are projected group by
            group, so a cohort loses its most mobile members first, as the agents do (their
            propensity is fixed for life); initial workers and graduates enter with the shares.
    """
    n_years = math.ceil(float(hazards["max_age"])) + 1
    attrition, retirement = annual_hazards(hazards, np.arange(n_years) + 0.5)
    rate = np.maximum(attrition, float(hazards["death_rate"])) + retirement  # (K, Y)
    rates = np.asarray(outflow, dtype=np.float64)
    if weights is None:
        rates, weights = rates[..., None], np.ones(1)
    full = (*own_trained.shape, n_years, len(weights))
    entry = np.array([min(int(hazards["entry_age"][k]), n_years - 1) for k in CADRES])
    late = late_entry_weights(hazards)
    spans = np.array([min(late.shape[1], n_years - a) for a in entry], dtype=np.int64)
    entering = late[:, :, None] * np.asarray(weights, dtype=np.float64)  # (K, D, Q) shares
    targets = np.zeros((years, *own_trained.shape))  # (T, C, K) the own-trained stock's trend
    for t in range(years):
        targets[t] = own_trained * np.exp(trend.log_factor(float(start_year), start_year + t + 1.0))
    return _project_cohorts(
        np.ascontiguousarray(profile * own_trained[:, :, None]), np.asarray(weights, np.float64),
        np.exp(-rate), np.broadcast_to(rates, full), targets, entry, spans, entering,
    )  # fmt: skip


@njit(cache=True)
def _project_cohorts(start, weights, survive_hazards, outflow, targets, entry, spans, entering):
    """`graduate_path`'s projection, compiled: each (c, k) cell on its own, year by year.

    start (C, K, Y) the initial own-trained workers by year of age, weights (Q,) the groups'
    shares; survive_hazards (K, Y) e^(−hazards), outflow (C, K, Y, Q) the voluntary outflow
    (1/year); targets (T, C, K) the own-trained stock's trend; entry (K,) the entry age (whole
    years), spans (K,) the years of age graduates enter over, entering (K, D, Q) their shares.
    Returns graduates (C, K, T): each year the cohorts age one year (the last year of age
    empties), and graduates fill the gap to the target, never negative.
    """
    n_c, n_k, n_y = start.shape
    n_q, n_t = weights.shape[0], targets.shape[0]
    out = np.zeros((n_c, n_k, n_t))
    cur = np.empty((n_y, n_q))
    survive = np.empty((n_y, n_q))
    by_group = np.empty(n_q)  # running sums by group: independent lanes, so the loop vectorises
    for c in range(n_c):
        for k in range(n_k):
            for y in range(n_y):
                for q in range(n_q):
                    cur[y, q] = start[c, k, y] * weights[q]
                    survive[y, q] = survive_hazards[k, y] * math.exp(-max(outflow[c, k, y, q], 0.0))
            for t in range(n_t):
                by_group[:] = 0.0
                for y in range(n_y - 1, 0, -1):  # age one year, oldest first (in place)
                    for q in range(n_q):
                        v = cur[y - 1, q] * survive[y - 1, q]
                        cur[y, q] = v
                        by_group[q] += v
                cur[0, :] = 0.0
                grads = max(targets[t, c, k] - by_group.sum(), 0.0)
                a = entry[k]
                for d in range(spans[k]):
                    for q in range(n_q):
                        cur[a + d, q] += grads * entering[k, d, q]
                out[c, k, t] = grads
    return out


PROPENSITY_STEP = 2.0
"""The quadrature over the personal propensity η = σ·(√3/π)·z, z standard logistic
(`reference_outflow`), is the trapezoid rule on z ∈ [−24, 24] with step min(1, 2/σ): the
integrand is analytic in a strip of half-width min(π, π²/(σ√3)), so the relative error stays
below about 1e-6 for any σ (without the 2/σ, 3e-3 at σ = 5)."""

_NODES_PER_CHUNK = 64
"""Groups of the propensity computed at once (bounds the temporaries of a large σ)."""


def propensity_quadrature(sd: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes η (Q,) and weights (Q,) (summing to 1) of E_η[f(η)], η logistic with sd `sd`."""
    step = min(1.0, PROPENSITY_STEP / sd) if sd > 0 else 1.0
    half = math.floor(24.0 / step)
    z = np.arange(-half, half + 1) * step
    density = np.exp(-np.abs(z)) / (1.0 + np.exp(-np.abs(z))) ** 2
    return sd * (math.sqrt(3.0) / math.pi) * z, density / density.sum()


def reference_outflow(
    ctx: DecisionContext,
    own_present: np.ndarray,
    own_ages: np.ndarray,
    expected_posts: np.ndarray,
    caps: tuple[np.ndarray, np.ndarray],
    dt: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Expected voluntary outflow of own-trained workers at home (ODD §7.6, λ_vol), annual rates
    by whole year of age and group of the personal propensity: leaving the profession, or
    emigrating.

    For a worker at home in (c, a, k) aged y with personal propensity η, a step's probability is

        q = p_reconsider · (e^V_leave + A[c,k] · e^(V_emig + ln m(y) + η)) / (e^V_stay + e^V_move
            + e^V_leave + e^(V_emig + ln m(y) + η))

    where A[c,k] is the chance that an application is taken: the destination shares of the
    origin's logit table times each destination's expected fill rate, min(1, expected posts /
    expected applications from every origin's own-trained workers at home, over ages and η),
    times, where the origin caps deployments, min(1, allowance / expected deployments).
    The year's survival of group η is Σ_a w_a (1 − q)^S (S steps a year; w the areas' shares of
    `own_present`), and λ = −ln of it; η is fixed for life, so `graduate_path` projects each
    group's cohorts apart (the quadrature nodes and weights, `propensity_quadrature`).

    Args:
        ctx: a decision context (`sim.model.utilities.decision_context`) of the state from which
            training output is set: the start, with no lever in force.
        own_present: (C, 2, K) own-trained workers in their training country, agents.
        own_ages: (C, K, Y) their shares by whole year of age (`age_distribution`); age y is
            read at y + ½.
        expected_posts: (C, K) international posts expected in a step, agents.
        caps: deployments each origin may make in a step (C,), agents (+inf: no cap), and the
            cadres they count (C, K) bool (ODD §7.5).
        dt: the step, years (S = 1/dt steps a year).

    Returns:
        λ (C, K, Y, Q) float64 in 1/year, and the groups' weights (Q,).
    """
    steps = round(1.0 / dt)
    n_years = own_ages.shape[-1]
    n_ages = ctx.age_term.shape[0]
    mid_age = np.round((np.arange(n_years) + 0.5) * steps).astype(np.int64)
    # The age enters through the emigration age term only, which takes a few values (its age
    # bands): the probabilities are computed once per value and read back by age.
    age_term, by_age = np.unique(ctx.age_term[np.minimum(mid_age, n_ages - 1)], return_inverse=True)
    ages_by_term = np.zeros((*own_ages.shape[:2], len(age_term)))  # (C, K, T) shares by value
    for t in range(len(age_term)):
        ages_by_term[..., t] = own_ages[..., by_age == t].sum(axis=-1)
    eta, weights = propensity_quadrature(ctx.propensity_sd)  # (Q,)
    v_stay = ctx.v_stay[:, :, :, 0]  # (C, 2, K) own-trained: migrant = 0
    v_move = ctx.v_move[:, :, :, 0]
    v_leave = np.broadcast_to(ctx.v_leave[:, None, :, 0], v_stay.shape)
    v_emig = np.broadcast_to(ctx.v_emigrate[:, None, :], v_stay.shape)  # origin = country
    top = np.maximum.reduce([v_stay, v_move, v_leave])  # finite: staying is always open
    keep = (np.exp(v_stay - top) + np.exp(v_move - top))[..., None, None]  # (C, 2, K, 1, 1)
    leave = np.exp(v_leave - top)[..., None, None]
    emig_base = np.exp(v_emig - top)[..., None, None]

    def probabilities(part: slice) -> tuple[np.ndarray, np.ndarray]:
        """Per-step (leave, emigrate) probabilities (C, 2, K, T, nodes of `part`)."""
        emig = emig_base * np.exp(age_term[:, None] + eta[None, part])
        total = keep + leave + emig
        return ctx.p_reconsider * leave / total, ctx.p_reconsider * emig / total

    parts = [slice(i, i + _NODES_PER_CHUNK) for i in range(0, len(eta), _NODES_PER_CHUNK)]
    # Applications a step by origin, split over destinations by the logit table, against posts.
    applying = sum(
        np.einsum("cak,ckt,caktq,q->ck", own_present, ages_by_term, probabilities(p)[1], weights[p])
        for p in parts
    )
    cum = ctx.cum_emigrate  # (C origin, K, D)
    share = np.diff(cum, axis=-1, prepend=0.0) / np.maximum(cum[..., -1:], 1e-300)
    to_slot = np.einsum("ck,ckd->dk", applying, share)  # (D, K)
    posts = expected_posts[ctx.destination_of_slot]  # (D, K)
    fill = np.where(to_slot > posts, posts / np.maximum(to_slot, 1e-300), 1.0)
    taken = np.einsum("ckd,dk->ck", share, fill)  # (C, K)
    allowance, capped = caps
    deployed = (applying * taken * capped).sum(axis=1)  # (C,) counted against a cap
    room = np.where(deployed > allowance, allowance / np.maximum(deployed, 1e-300), 1.0)
    taken = np.where(capped, taken * room[:, None], taken)[:, None, :, None, None]
    area_total = own_present.sum(axis=1, keepdims=True)
    area_w = np.where(area_total > 0, own_present / np.maximum(area_total, 1e-300), 0.5)
    survive = []
    for p in parts:
        p_leave, p_emig = probabilities(p)
        by_area = np.exp(steps * np.log1p(-(p_leave + taken * p_emig)))  # (C, 2, K, T, n)
        survive.append((by_area * area_w[..., None, None]).sum(axis=1))  # (C, K, T, n)
    rate = -np.log(np.maximum(np.concatenate(survive, axis=-1), 1e-300))
    return rate[:, :, by_age, :], weights  # (C, K, Y, Q)
