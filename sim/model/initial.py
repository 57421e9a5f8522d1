"""The initial state of a run, from the scenario and the world (docs/ODD.md §5).

`Setup` holds everything fixed for a run (time, scale, wages, training costs, hazards in steps,
capacities); `initial_cells` places the world's workers in (origin, country, area, cadre) cells,
`create_population` turns the cells into numbered workers, and `initial_posts` and `rural_amenity`
derive funded posts and the rural amenity from the initial stock. Shapes use C countries, K cadres,
D destination slots; counts are agents (workers / ω) unless said otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.declarations import CADRES, INCOME_GROUPS
from sim.inputs.selectors import destinations_mask
from sim.model import rules
from sim.model.demand import PopulationProjection, largest_remainder, round_half_up
from sim.model.population import NewWorkers, Population
from sim.model.rules import HazardContext
from sim.model.utilities import affinity

_BLOCK = 2_000_000
"""Initial workers are created in blocks of about this many (bounds temporary memory)."""


@dataclass(frozen=True)
class Setup:
    """Everything fixed for a run (ODD §2, §5): time, scale, and per-country/per-cadre arrays."""

    start_year: int
    steps_per_year: int
    n_steps: int
    dt: float
    """Step length in years."""
    workers_per_agent: float
    """ω: real workers one agent stands for."""
    n_countries: int
    n_cadres: int
    behaviour: Mapping
    """The scenario's `behaviour` section."""
    destinations: np.ndarray
    """(C,) bool: countries that recruit internationally."""
    destination_of_slot: np.ndarray
    """(D,) int64: country index of each destination slot."""
    training_lag: np.ndarray
    """(K,) int64 years."""
    hazards: HazardContext
    entry_steps: np.ndarray
    """(K,) int64: age of graduates in steps."""
    span_steps: np.ndarray
    """(K,) int64: spread of initial ages in steps (entry age to retirement age + 2 years)."""
    base_wage: np.ndarray
    """(C, K) w̄ = GDP per capita PPP x wage multiple, int$ PPP per year."""
    training_cost: np.ndarray
    """(C, K) int$ PPP per graduate."""
    initial_workers: np.ndarray
    """(C, K) workers in the world's base year."""
    initial_rural_share: np.ndarray
    """(C, K) s_R, the rural share of the initial stock (ODD §5.3)."""
    initial_vacancy: np.ndarray
    """(C,) v_g: funded posts relative to the initial stock, minus one."""
    demand_growth: np.ndarray
    """(C,) g_c per year."""
    recruitment_intensity: float
    foreign_default: np.ndarray
    """(K,) default foreign-trained share of destinations without bilateral data."""
    graduate_capacity: np.ndarray
    """(C, K) agents graduating per year without policies."""
    affinity: np.ndarray
    """(C origin, D) time-invariant utility of each destination (ODD §4.2.2)."""
    population: PopulationProjection


def setup(data: Mapping, world) -> Setup:
    """The fixed parameters of a run of the resolved scenario `data` on `world`."""
    beh, hz, wf = data["behaviour"], data["hazards"], data["workforce"]
    spy = int(data["time"]["steps_per_year"])
    dt = 1.0 / spy
    wpa = float(data["scale"]["workers_per_agent"])
    income_index = np.array([INCOME_GROUPS.index(g) for g in np.asarray(world.income_group)])
    destinations = destinations_mask(data, world)
    slots = np.flatnonzero(destinations).astype(np.int64)
    gdp = np.asarray(world.gdp_pc_ppp, dtype=np.float64)
    entry_steps = np.array([round(hz["entry_age"][k] * spy) for k in CADRES], dtype=np.int64)
    retire = np.array([hz["retirement_age"][k] for k in CADRES])
    stock = np.stack([np.asarray(world.doctors, float), np.asarray(world.nurses, float)], axis=1)
    rural_pop = 1.0 - np.asarray(world.urban_share, dtype=np.float64)
    ratio = np.array([wf["rural_density_ratio"][k] for k in CADRES])
    rural = ratio[None, :] * rural_pop[:, None]
    graduate_rate = np.array([wf["graduate_rate"][k] for k in CADRES])
    return Setup(
        start_year=int(data["time"]["start_year"]),
        steps_per_year=spy,
        n_steps=int(data["time"]["years"]) * spy,
        dt=dt,
        workers_per_agent=wpa,
        n_countries=len(world.iso3),
        n_cadres=len(CADRES),
        behaviour=beh,
        destinations=destinations,
        destination_of_slot=slots,
        training_lag=np.array([wf["training_lag"][k] for k in CADRES], dtype=np.int64),
        hazards=HazardContext(
            retire_from_steps=np.array(
                [math.ceil(hz["retirement_age"][k] * spy) for k in CADRES], dtype=np.int64
            ),
            max_age_steps=math.ceil(hz["max_age"] * spy),
            p_retire=float(rules.per_step_probability(hz["retirement_rate"], dt)),
            p_death=float(rules.per_step_probability(hz["death_rate"], dt)),
            p_exit=float(rules.per_step_probability(hz["exit_rate"], dt)),
        ),
        entry_steps=entry_steps,
        span_steps=np.maximum(np.round((retire + 2.0) * spy).astype(np.int64) - entry_steps, 1),
        base_wage=gdp[:, None] * np.array([wf["wage_multiple"][k] for k in CADRES])[None, :],
        training_cost=gdp[:, None] * np.array([wf["training_cost"][k] for k in CADRES]),
        initial_workers=stock,
        initial_rural_share=rural / (rural + (1.0 - rural_pop)[:, None]),
        initial_vacancy=np.array([wf["initial_vacancy_rate"][g] for g in INCOME_GROUPS])[
            income_index
        ],
        demand_growth=np.array([wf["demand_growth"][g] for g in INCOME_GROUPS])[income_index],
        recruitment_intensity=float(wf["recruitment_intensity"]),
        foreign_default=np.array([wf["foreign_share_default"][k] for k in CADRES]),
        graduate_capacity=stock * graduate_rate[None, :] / wpa,
        affinity=affinity(beh, world, slots),
        population=PopulationProjection(world.proj_years, world.pop_projection),
    )


def _foreign_workers(s: Setup, world) -> np.ndarray:
    """Foreign-trained workers by [origin, destination, cadre] (ODD §5.2), in workers."""
    c_n, k_n = s.n_countries, s.n_cadres
    foreign = np.zeros((c_n, c_n, k_n))
    ftd = np.asarray(world.ftd_doctors, dtype=np.float64).copy()
    np.fill_diagonal(ftd, 0.0)
    mig = np.asarray(world.migrant_stock, dtype=np.float64).copy()
    np.fill_diagonal(mig, 0.0)
    reported = np.asarray(world.ftd_reported, dtype=bool)
    for k in range(k_n):
        for d in range(c_n):
            total = s.initial_workers[d, k]
            if k == 0 and reported[d]:
                col = ftd[:, d]
            elif s.destinations[d] and mig[:, d].sum() > 0:
                col = mig[:, d] / mig[:, d].sum() * s.foreign_default[k] * total
            else:
                continue
            if col.sum() > 0.95 * total:
                col = col * (0.95 * total / col.sum())
            foreign[:, d, k] = col
    return foreign


def initial_cells(s: Setup, world) -> np.ndarray:
    """Initial agents by (origin, country, area, cadre), totals preserved per country (§5.4).

    In each country and cadre, round_half_up(stock / ω) agents are split over (origin, area)
    cells by the largest-remainder method. Returns a (C, C, 2, K) int64 array.
    """
    foreign = _foreign_workers(s, world)
    cells = np.zeros((s.n_countries, s.n_countries, 2, s.n_cadres), dtype=np.int64)
    for d in range(s.n_countries):
        for k in range(s.n_cadres):
            total_agents = int(round_half_up(s.initial_workers[d, k] / s.workers_per_agent))
            by_origin = foreign[:, d, k].copy()
            by_origin[d] = s.initial_workers[d, k] - by_origin.sum()
            rs = s.initial_rural_share[d, k]
            weights = np.stack([by_origin * (1 - rs), by_origin * rs], axis=1)
            cells[:, d, :, k] = largest_remainder(total_agents, weights)
    return cells


def create_population(s: Setup, cells: np.ndarray, seed: int, population: Population) -> int:
    """Add the initial workers of `cells` to `population`, numbered from 0 in cell order (§5.4).

    Workers are created in blocks of cells so that a full-scale world never holds all
    temporaries at once. Returns the number of workers created (the next worker id).
    """
    o, c, a, k = np.nonzero(cells)
    counts = cells[o, c, a, k]
    total = int(counts.sum())
    population.reserve(total + int(s.graduate_capacity.sum() * 2.0) + 1024)
    block_ends = np.searchsorted(
        np.cumsum(counts), np.arange(1, total // _BLOCK + 2) * _BLOCK, side="right"
    )
    next_id = 0
    start = 0
    for end in np.unique(np.append(block_ends, counts.size)):
        if end <= start:
            continue
        part = slice(start, end)
        wid, key, origin, country, area, cadre, age = rules.initial_workers(
            seed, next_id, o[part], c[part], a[part], k[part], counts[part],
            s.entry_steps, s.span_steps,
        )  # fmt: skip
        population.add(NewWorkers(wid, key, origin, country, area, cadre, age, np.zeros_like(wid)))
        next_id += int(counts[part].sum())
        start = end
    return next_id


def initial_posts(present: np.ndarray, initial_vacancy: np.ndarray) -> np.ndarray:
    """Funded posts P⁰ = N⁰·(1 + v_g) by (country, area, cadre) (ODD §5.5); negative v_g means
    more trained workers than posts (unemployment). `present` (C, 2, K) agents."""
    return present * (1.0 + initial_vacancy)[:, None, None]


def rural_amenity(present: np.ndarray) -> np.ndarray:
    """Rural amenity A (C, 2, K): A[c,R,k] = ½·ln(max(N⁰_R, 0.5) / max(N⁰_U, 0.5)), A_U = 0.

    ODD §4.2.2 and §5.5: makes the initial urban/rural split a steady state of internal moves.
    """
    nu = np.maximum(present[:, 0, :], 0.5)
    nr = np.maximum(present[:, 1, :], 0.5)
    amenity = np.zeros(present.shape)
    amenity[:, 1, :] = 0.5 * np.log(nr / nu)
    return amenity
