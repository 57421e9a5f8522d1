"""Everything fixed for a run: time, scale and per-country, per-cadre parameters (ODD §2, §5).

`setup(data, world)` derives them once from the resolved scenario and the world: wages and
training costs from GDP per capita, hazards as per-step probabilities with ages in steps, the
initial rural shares, demand parameters by income group, training capacity, the time-invariant
utility of each destination, and the population projection. Shapes use C countries, K cadres,
D destination slots.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.declarations import CADRES, INCOME_GROUPS
from sim.inputs.selectors import destinations_mask
from sim.inputs.world import World
from sim.model import rules
from sim.model.rules import HazardContext
from sim.model.utilities import affinity


class PopulationProjection:
    """Population of every country by calendar year, linearly interpolated (ODD §6.1, §7.2)."""

    def __init__(self, years: np.ndarray, table: np.ndarray):
        self.years = np.asarray(years)
        self.table = np.asarray(table, dtype=np.float64)  # (C, Y)

    def at(self, year: float) -> np.ndarray:
        """Population (C,) at a fractional calendar year; constant outside the projection."""
        years = self.years
        y = min(max(float(year), float(years[0])), float(years[-1]))
        i = min(int(np.searchsorted(years, y, side="right")) - 1, len(years) - 2)
        if len(years) == 1:
            return self.table[:, 0].copy()
        w = (y - years[i]) / (years[i + 1] - years[i])
        return self.table[:, i] * (1.0 - w) + self.table[:, i + 1] * w


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


def setup(data: Mapping, world: World) -> Setup:
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
