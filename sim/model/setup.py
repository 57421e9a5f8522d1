"""Everything fixed for a run: time, scale and per-country, per-cadre parameters (ODD §2, §5).

`setup(data, world)` derives them once from the resolved scenario and the world: wages and
training costs from GDP per capita, hazards by age as per-step probabilities with ages in steps,
the initial age structure and stocks (`sim.model.supply`), the initial rural shares, demand
parameters by income group, recruitment channels, base training output, the time-invariant
utility of each destination, and the population projection. Shapes use C countries, K cadres,
D destination slots, A ages in steps, B age bands.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.declarations import CADRES, FULLY_EMPLOYED_INCOME_GROUPS, INCOME_GROUPS
from sim.inputs.schema import first_simulated_year
from sim.inputs.selectors import destinations_mask
from sim.inputs.world import World, relative_income
from sim.model import supply
from sim.model.rules import HazardContext, hazard_context
from sim.model.trends import PostsTrend, Trend
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
    """First simulated calendar year (`time.spin_up_from` where set, else `time.start_year`)."""
    report_year: int
    """First calendar year of the results (`time.start_year`); before it, the spin-up."""
    steps_per_year: int
    n_steps: int
    """Simulated steps, the spin-up's included."""
    dt: float
    """Step length in years."""
    workers_per_agent: float
    """ω: real workers one agent stands for."""
    n_countries: int
    n_cadres: int
    behaviour: Mapping
    """The scenario's `behaviour` section."""
    hazard_section: Mapping
    """The scenario's `hazards` section."""
    workforce: Mapping
    """The scenario's `workforce` section."""
    destinations: np.ndarray
    """(C,) bool: countries that recruit internationally."""
    destination_of_slot: np.ndarray
    """(D,) int64: country index of each destination slot."""
    training_lag: np.ndarray
    """(K,) int64 years."""
    hazards: HazardContext
    entry_steps: np.ndarray
    """(K,) int64: youngest age of graduates in steps."""
    late_entry_cumulative: np.ndarray
    """(K, D) float64: cumulative shares of graduates entering d whole years above it
    (`supply.late_entry_weights`)."""
    age_edges_steps: np.ndarray
    """(K, Y + 1) int64 edges of the whole years of age, in steps (`supply.year_edges_steps`)."""
    age_term: np.ndarray
    """(A,) ln m(age) of the emigration utility by age in steps (ODD §4.2.2)."""
    base_wage: np.ndarray
    """(C, K) w̄ = GDP per capita PPP x wage multiple, int$ PPP per year."""
    training_cost: np.ndarray
    """(C, K) int$ PPP per graduate."""
    world_stock: np.ndarray
    """(C, K) workers in the world's data (each country's data year)."""
    initial_workers: np.ndarray
    """(C, K) workers on 1 January of the start year: the data projected along the trend (§5.1)."""
    initial_rural_share: np.ndarray
    """(C, K) s_R, the rural share of the initial stock (ODD §5.3)."""
    initial_vacancy: np.ndarray
    """(C,) v_g: funded posts relative to the initial stock, minus one."""
    gdp_growth: np.ndarray
    """(C,) real GDP per capita growth, 1/year (0 for world files without it)."""
    income_relative: np.ndarray
    """(C,) ln(GDP per capita PPP / the world's median): `World.income_relative`, or for world
    files the median of their countries (the income gradient of leaving, ODD §4.2.2)."""
    recruitment_intensity: np.ndarray
    """(C, K) annual share of vacancies opened to international recruitment (0: not a
    destination; scaled down where entry is only by a national-language licensing exam)."""
    recruitment_ceiling: np.ndarray
    """(C, K) annual ceiling of international recruitment, workers (+inf: none) (ODD §7.2)."""
    free_movement: np.ndarray
    """(C,) bool members of the area of free movement (`World.free_movement`)."""
    preferring: np.ndarray
    """(C, K) bool members whose international posts of the cadre apply the Community preference
    (ODD §7.5): not where the labour market test is waived (`World.preference_waived`)."""
    foreign_default: np.ndarray
    """(K,) default foreign-trained share of destinations without bilateral data (world files)."""
    trend: Trend
    """The growth path of training output and stocks (`sim.model.trends.Trend`)."""
    age_shares: np.ndarray
    """(C, K, B) shares of the initial workforce by age band."""
    age_profile: np.ndarray
    """(C, K, Y) shares of the initial workforce by whole year of age: the band shares spread as
    the stable population is (`supply.age_distribution`, ODD §5.4)."""
    affinity: np.ndarray
    """(C origin, D, K) time-invariant utility of each destination (ODD §4.2.2)."""
    partner_from: np.ndarray
    """(C origin, D, K) the calendar year from which destination slot d recruits the cadre in the
    origin through a government-to-government channel (+inf: none; world files have none)."""
    recognition_from: np.ndarray
    """(C origin, D, K) the calendar year from which destination slot d registers the cadre
    trained in the origin without its own examinations (+inf: none; world files have none)."""
    population: PopulationProjection
    post_expansion: np.ndarray
    """(C, K) s: annual growth of staffed posts during a documented expansion, 1/year (0: none)."""
    post_expansion_window: np.ndarray
    """(2, C, K) the calendar years [a, b] in which posts grow at `post_expansion`: the
    expansion's measured years cut to the run (a = max(from, start year), b = max(until, a))."""
    posts_trend: PostsTrend
    """The momentum of fully employed workforces' observed growth in their posts (ODD §7.2)."""


def reliance_multiplier(wf: Mapping, world: World) -> np.ndarray:
    """A destination's recruitment intensity relative to the reference's (ODD §7.2).

    Args:
        wf: the scenario's `workforce` section (`recruitment_reliance_elasticity`, η ≥ 0).
        world: the simulated world; `World.foreign_trained_relative` is r[c,k], each country's
            foreign-trained share relative to the UK's over the whole world (None in world
            files).

    Returns:
        (C, K) float64, dimensionless: r^η (1 for the UK; ones where the world has no
        bilateral stocks, i.e. a common intensity).
    """
    if world.foreign_trained_relative is None:
        return np.ones((len(world.iso3), len(CADRES)))
    return world.foreign_trained_relative ** float(wf["recruitment_reliance_elasticity"])


def _channels(wf: Mapping, world: World, destinations: np.ndarray) -> tuple[np.ndarray, ...]:
    """Recruitment intensity and ceilings (C, K) of every country (ODD §7.2)."""
    shape = (len(world.iso3), len(CADRES))
    rate = float(wf["recruitment_intensity"]) * reliance_multiplier(wf, world)
    intensity = np.where(destinations[:, None], rate, 0.0)
    ceiling = np.full(shape, np.inf)
    if world.recruitment_ceiling is not None:
        shared = np.asarray(world.recruitment_ceiling_shared, dtype=bool)
        ceiling = np.asarray(world.recruitment_ceiling, dtype=np.float64).copy()
        ceiling[shared] *= float(wf["shared_ceiling_share"])
        exam = np.asarray(world.licensing_exam, dtype=bool)
        intensity[exam] *= float(wf["licensing_exam_intensity"])
    return intensity, ceiling


def setup(data: Mapping, world: World) -> Setup:
    """The fixed parameters of a run of the resolved scenario `data` on `world`."""
    beh, hz, wf = data["behaviour"], data["hazards"], data["workforce"]
    spy = int(data["time"]["steps_per_year"])
    report_year = int(data["time"]["start_year"])
    start_year = first_simulated_year(data["time"])
    dt = 1.0 / spy
    wpa = float(data["scale"]["workers_per_agent"])
    income_index = np.array([INCOME_GROUPS.index(g) for g in np.asarray(world.income_group)])
    destinations = destinations_mask(data, world)
    slots = np.flatnonzero(destinations).astype(np.int64)
    gdp = np.asarray(world.gdp_pc_ppp, dtype=np.float64)
    entry_steps = np.array([round(hz["entry_age"][k] * spy) for k in CADRES], dtype=np.int64)
    stock = np.stack([np.asarray(world.doctors, float), np.asarray(world.nurses, float)], axis=1)
    data_years = np.stack(
        [np.asarray(world.doctors_year, int), np.asarray(world.nurses_year, int)], axis=1
    )
    population = PopulationProjection(world.proj_years, world.pop_projection)
    trend = Trend(world, population, wf["training_trend_persistence"])
    initial_workers = trend.project(stock, data_years, start_year)
    rural_pop = 1.0 - np.asarray(world.urban_share, dtype=np.float64)
    ratio = np.array([wf["rural_density_ratio"][k] for k in CADRES])
    rural = ratio[None, :] * rural_pop[:, None]
    shares = supply.initial_age_shares(hz, world, trend.growth)
    profile = supply.age_distribution(hz, shares, trend.growth)
    p_retire, p_death, p_exit = supply.hazard_tables(hz, spy)
    edges = supply.year_edges_steps(hz, profile.shape[-1], spy)
    intensity, ceiling = _channels(wf, world, destinations)
    gdp_growth = world.gdp_pc_growth
    gdp_growth = np.zeros(len(gdp)) if gdp_growth is None else np.asarray(gdp_growth, float)
    initial_vacancy = np.array([wf["initial_vacancy_rate"][g] for g in INCOME_GROUPS])[income_index]
    posts_trend = PostsTrend.build(
        trend,
        gdp_growth,
        [wf["demand_income_elasticity"][k] for k in CADRES],
        employed=np.isin(np.asarray(world.income_group), FULLY_EMPLOYED_INCOME_GROUPS),
        weight=wf["posts_trend_weight"],
    )
    return Setup(
        start_year=start_year,
        report_year=report_year,
        steps_per_year=spy,
        n_steps=(report_year + int(data["time"]["years"]) - start_year) * spy,
        dt=dt,
        workers_per_agent=wpa,
        n_countries=len(world.iso3),
        n_cadres=len(CADRES),
        behaviour=beh,
        hazard_section=hz,
        workforce=wf,
        destinations=destinations,
        destination_of_slot=slots,
        training_lag=np.array([wf["training_lag"][k] for k in CADRES], dtype=np.int64),
        hazards=hazard_context(p_retire, p_death, p_exit, math.ceil(hz["max_age"] * spy)),
        entry_steps=entry_steps,
        late_entry_cumulative=np.cumsum(supply.late_entry_weights(hz), axis=1),
        age_edges_steps=edges,
        age_term=supply.age_term_table(beh, p_retire.shape[1], spy),
        base_wage=gdp[:, None] * np.array([wf["wage_multiple"][k] for k in CADRES])[None, :],
        training_cost=gdp[:, None] * np.array([wf["training_cost"][k] for k in CADRES]),
        world_stock=stock,
        initial_workers=initial_workers,
        initial_rural_share=rural / (rural + (1.0 - rural_pop)[:, None]),
        initial_vacancy=initial_vacancy,
        gdp_growth=gdp_growth,
        income_relative=(
            relative_income(gdp)
            if world.income_relative is None
            else np.asarray(world.income_relative, dtype=np.float64)
        ),
        recruitment_intensity=intensity,
        recruitment_ceiling=ceiling,
        free_movement=np.asarray(world.free_movement, dtype=bool),
        preferring=_preferring(world),
        foreign_default=np.array([wf["foreign_share_default"][k] for k in CADRES]),
        trend=trend,
        age_shares=shares,
        age_profile=profile,
        affinity=affinity(beh, world, slots),
        partner_from=_by_slot(world.recruitment_partner_from, len(world.iso3), slots),
        recognition_from=_by_slot(world.recognition_pathway_from, len(world.iso3), slots),
        population=population,
        **_post_expansion(world, start_year),
        posts_trend=posts_trend,
    )


def _by_slot(first_year: np.ndarray | None, n_countries: int, slots: np.ndarray) -> np.ndarray:
    """(C origin, D, K) a dated pair table of the world (`World.recruitment_partner_from`,
    `World.recognition_pathway_from`: the first year of each channel, (C, C, K)) by destination
    slot; +inf everywhere (none) where the world has no such table (world files)."""
    if first_year is None:
        return np.full((n_countries, len(slots), len(CADRES)), np.inf)
    return np.ascontiguousarray(np.asarray(first_year)[:, slots, :])


def _preferring(world: World) -> np.ndarray:
    """(C, K) bool: members of the area of free movement that do not waive the labour market
    test for the cadre (`World.preference_waived`; none waived in world files)."""
    member = np.asarray(world.free_movement, dtype=bool)[:, None]
    waived = world.preference_waived
    if waived is None:
        return np.repeat(member, len(CADRES), axis=1)
    return member & ~np.asarray(waived, dtype=bool)


def _post_expansion(world: World, start_year: int) -> dict[str, np.ndarray]:
    """The documented expansions of staffed posts (`World.post_expansion`) cut to the run: an
    expansion measured from `from` to `until` acts from max(from, start year) to the later of
    `until` and that, so not at all in a run that starts after it (ODD §7.2: the initial state is
    the data projected along the trend, posts and stock alike)."""
    shape = (len(world.iso3), len(CADRES))
    if world.post_expansion is None:
        return {"post_expansion": np.zeros(shape), "post_expansion_window": np.zeros((2, *shape))}
    start = np.maximum(np.asarray(world.post_expansion_from, float), float(start_year))
    end = np.maximum(np.asarray(world.post_expansion_until, float), start)
    return {
        "post_expansion": np.asarray(world.post_expansion, float).copy(),
        "post_expansion_window": np.stack([start, end]),
    }
