"""The initial state of a run, from the scenario and the world (docs/ODD.md §5).

`initial_cells` places the world's workers in (origin, country, area, cadre) cells,
`create_population` turns the cells into numbered workers, and `initial_posts` and `rural_amenity`
derive funded posts and the rural amenity from the initial stock. Shapes use C countries, K cadres,
D destination slots; counts are agents (workers / ω) unless said otherwise.
"""

from __future__ import annotations

import numpy as np

from sim.inputs.world import World
from sim.model import rules, supply
from sim.model.demand import largest_remainder, round_half_up
from sim.model.population import NewWorkers, Population
from sim.model.setup import Setup

_BLOCK = 2_000_000
"""Initial workers are created in blocks of about this many (bounds temporary memory)."""


def foreign_workers(s: Setup, world: World) -> np.ndarray:
    """Foreign-trained workers by [origin, destination, cadre] at the start (ODD §5.2), workers.

    The global world: `World.initial_foreign_trained` (OECD doctor cells and the gravity model,
    docs/data.md §1) scaled with each destination's stock from its data year to the start,
    F[o,d,k] · N_start[d,k] / N_data[d,k]. World files without it: OECD-style doctor counts where
    reported, else in destinations the default foreign share spread by migrant stock. At most
    95% of a stock is foreign-trained.
    """
    c_n, k_n = s.n_countries, s.n_cadres
    if world.initial_foreign_trained is not None:
        foreign = np.asarray(world.initial_foreign_trained, dtype=np.float64).copy()
        ratio = np.divide(
            s.initial_workers,
            s.world_stock,
            out=np.zeros_like(s.initial_workers),
            where=s.world_stock > 0,
        )
        foreign *= ratio[None, :, :]
        for k in range(k_n):
            np.fill_diagonal(foreign[:, :, k], 0.0)
    else:
        foreign = np.zeros((c_n, c_n, k_n))
        ftd = np.asarray(world.ftd_doctors, dtype=np.float64).copy()
        np.fill_diagonal(ftd, 0.0)
        mig = np.asarray(world.migrant_stock, dtype=np.float64).copy()
        np.fill_diagonal(mig, 0.0)
        reported = np.asarray(world.ftd_reported, dtype=bool)
        for k in range(k_n):
            for d in range(c_n):
                if k == 0 and reported[d]:
                    foreign[:, d, k] = ftd[:, d]
                elif s.destinations[d] and mig[:, d].sum() > 0:
                    share = s.foreign_default[k] * s.initial_workers[d, k]
                    foreign[:, d, k] = mig[:, d] / mig[:, d].sum() * share
    total = foreign.sum(axis=0)  # (destination, K)
    limit = 0.95 * s.initial_workers
    scale = np.divide(limit, total, out=np.ones_like(total), where=total > limit)
    return foreign * scale[None, :, :]


def initial_cells(s: Setup, foreign: np.ndarray) -> np.ndarray:
    """Initial agents by (origin, country, area, cadre), totals preserved per country (§5.4).

    In each country and cadre, round_half_up(stock / ω) agents are split over (origin, area)
    cells by the largest-remainder method; `foreign` (C, C, K) are the foreign-trained workers
    (`foreign_workers`). Returns a (C, C, 2, K) int64 array.
    """
    n, n_k = s.n_countries, s.n_cadres
    total_agents = round_half_up(s.initial_workers / s.workers_per_agent)  # (C, K)
    by_origin = np.ascontiguousarray(foreign.transpose(1, 2, 0))  # (country, K, origin)
    own = s.initial_workers - by_origin.sum(axis=-1)
    by_origin[np.arange(n), :, np.arange(n)] = own
    rs = s.initial_rural_share[:, :, None]
    weights = np.stack([by_origin * (1 - rs), by_origin * rs], axis=-1).reshape(n, n_k, 2 * n)
    split = largest_remainder(total_agents, weights).reshape(n, n_k, n, 2)
    return np.ascontiguousarray(split.transpose(2, 0, 3, 1))  # (origin, country, area, K)


def _cumulative(shares: np.ndarray) -> np.ndarray:
    """Cumulative shares along the last axis, the last set to exactly 1 (what the draw reads)."""
    cumulative = np.cumsum(shares, axis=-1)
    cumulative[..., -1] = 1.0
    return cumulative


def migrant_age_cumulative(s: Setup, foreign: np.ndarray) -> np.ndarray:
    """Cumulative shares by whole year of age of the initial foreign-trained workers (C, K, Y)
    (§5.2)."""
    return _cumulative(
        supply.migrant_age_shares(
            s.hazard_section, s.behaviour, s.age_profile, foreign,
            float(s.workforce["migrant_stock_growth"]),
        )
    )  # fmt: skip


def create_population(
    s: Setup, cells: np.ndarray, seed: int, population: Population, foreign: np.ndarray
) -> int:
    """Add the initial workers of `cells` to `population`, numbered from 0 in cell order (§5.4).

    Own-trained workers draw their ages from their country's profile, foreign-trained ones from
    the migrants' profile that `foreign` (C, C, K) implies (`migrant_age_cumulative`). Workers
    are created in blocks of cells so that a full-scale world never holds all temporaries at
    once. Returns the number of workers created (the next worker id).
    """
    own_cumulative, migrant_cumulative = (
        _cumulative(s.age_profile),
        migrant_age_cumulative(s, foreign),
    )
    o, c, a, k = np.nonzero(cells)
    counts = cells[o, c, a, k]
    total = int(counts.sum())
    population.reserve(int(total * 1.1) + 1024)
    block_ends = np.searchsorted(
        np.cumsum(counts), np.arange(1, total // _BLOCK + 2) * _BLOCK, side="right"
    )
    next_id = 0
    start = 0
    for end in np.unique(np.append(block_ends, counts.size)):
        if end <= start:
            continue
        part = slice(start, end)
        wid, key, attrs = rules.initial_workers(
            seed, next_id, o[part], c[part], a[part], k[part], counts[part],
            own_cumulative, migrant_cumulative, s.age_edges_steps,
        )  # fmt: skip
        population.add(NewWorkers(wid, key, *attrs))
        next_id += int(counts[part].sum())
        start = end
    return next_id


def own_at_home(stock: np.ndarray) -> np.ndarray:
    """Own-trained workers in their training country (C, 2, K), from a stock tensor
    N[origin, country, area, cadre] (C, C, 2, K)."""
    n = stock.shape[0]
    return stock[np.arange(n), np.arange(n)]


def initial_posts(present: np.ndarray, initial_vacancy: np.ndarray) -> np.ndarray:
    """Funded posts P⁰ = N⁰·(1 + v_g) by (country, area, cadre) (ODD §5.5); negative v_g means
    more trained workers than posts (unemployment). `present` (C, 2, K) agents."""
    return present * (1.0 + initial_vacancy)[:, None, None]


def diaspora_offset(s: Setup, foreign: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """D⁰ − ω·N⁰ at the destination slots (C origin, D, K): the exact initial diaspora from the
    data less the workers its agents stand for (ODD §4.2.2, network; N1 of issue 11)."""
    agents = cells.sum(axis=2)  # (origin, country, K)
    offset = foreign - agents * s.workers_per_agent
    for k in range(s.n_cadres):
        np.fill_diagonal(offset[:, :, k], 0.0)
    return offset[:, s.destination_of_slot, :]


ABROAD_FLOOR = 1e-4
"""Smallest share of an origin's workers abroad counted by `origin_propensity` (0.01%)."""


def _abroad_and_home(foreign: np.ndarray, initial_workers: np.ndarray) -> tuple:
    """Each origin's trained workers abroad and at home at the start, (C, K) each: `foreign`
    (C, C, K) [origin, destination, cadre] summed over destinations, and the country's workers
    less the foreign-trained among them (floored at 0)."""
    return foreign.sum(axis=1), np.maximum(initial_workers - foreign.sum(axis=0), 0.0)


def origin_propensity(foreign: np.ndarray, initial_workers: np.ndarray) -> np.ndarray:
    """ln(R[o,k] / R̄[k]) (C, K): the share of each origin's workers abroad at the start, relative
    to the world's, R = abroad / (abroad + at home) floored at `ABROAD_FLOOR` (ODD §4.2.2, origin).

    `foreign` (C, C, K) foreign-trained workers [origin, destination, cadre]; `initial_workers`
    (C, K) the workers of each country.
    """
    abroad, home = _abroad_and_home(foreign, initial_workers)
    share = np.divide(abroad, abroad + home, out=np.zeros_like(abroad), where=abroad + home > 0)
    world = abroad.sum(axis=0) / np.maximum(initial_workers.sum(axis=0), 1e-12)
    return np.log(np.maximum(share, ABROAD_FLOOR) / np.maximum(world, ABROAD_FLOOR))


def origin_size(foreign: np.ndarray, initial_workers: np.ndarray) -> np.ndarray:
    """ln(T[o,k] / T̃[k]) (C, K): the size of each origin's trained workforce at the start,
    T = abroad + at home, relative to the median origin's (ODD §4.2.2, origin size).

    The network term counts workers, so a large origin's diasporas are large because the origin
    is: `origin_size_weight` weighs this term (−β_n makes an origin's emigration odds independent
    of its size at a given share abroad). Origins without workers get 0. `foreign` (C, C, K)
    foreign-trained workers [origin, destination, cadre]; `initial_workers` (C, K).
    """
    trained = sum(_abroad_and_home(foreign, initial_workers))
    out = np.zeros_like(trained, dtype=np.float64)
    for k in range(trained.shape[1]):
        has = trained[:, k] > 0
        if has.any():
            out[has, k] = np.log(trained[has, k] / np.median(trained[has, k]))
    return out


def rural_amenity(present: np.ndarray) -> np.ndarray:
    """Rural amenity A (C, 2, K): A[c,R,k] = ½·ln(max(N⁰_R, 0.5) / max(N⁰_U, 0.5)), A_U = 0.

    ODD §4.2.2 and §5.5: makes the initial urban/rural split a steady state of internal moves.
    """
    nu = np.maximum(present[:, 0, :], 0.5)
    nr = np.maximum(present[:, 1, :], 0.5)
    amenity = np.zeros(present.shape)
    amenity[:, 1, :] = 0.5 * np.log(nr / nu)
    return amenity
