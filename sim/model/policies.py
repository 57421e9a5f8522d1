"""Policies of a scenario turned into numeric arrays for one calendar year (pure functions).

Each lever's selectors (declared in `sim.declarations`, resolved by `sim.inputs.selectors`) become
boolean country masks once per run; `PolicyYear` holds every lever's effect for one year, so both
engines read the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from sim.declarations import ADJUSTMENTS, CADRES, LEVERS
from sim.inputs.schema import first_simulated_year
from sim.inputs.selectors import country_mask
from sim.inputs.world import World


def steps_of(years: float | np.ndarray, steps_per_year: int) -> np.ndarray:
    """A duration in whole steps: rounded, but at least one step for any positive duration."""
    years = np.asarray(years, dtype=np.float64)
    steps = np.rint(years * steps_per_year).astype(np.int64)
    return np.where(years > 0, np.maximum(steps, 1), 0)


CADRE_INDEX = {name: i for i, name in enumerate(CADRES)}


def cadre_mask(choice: str) -> np.ndarray:
    """Boolean mask over cadres for `all` or one cadre name."""
    if choice == "all":
        return np.ones(len(CADRES), dtype=bool)
    mask = np.zeros(len(CADRES), dtype=bool)
    mask[CADRE_INDEX[choice]] = True
    return mask


def in_force(policy: dict, year: int) -> bool:
    """Whether a dated policy (with `enabled`, `from`, `until`) applies in `year`."""
    if not policy.get("enabled", True):
        return False
    start, end = policy.get("from"), policy.get("until")
    return (start is None or year >= start) and (end is None or year <= end)


@dataclass(frozen=True)
class Agreements:
    """Bilateral agreements as parallel arrays (one entry per agreement, in file order)."""

    source: np.ndarray
    destination: np.ndarray
    cadre: np.ndarray  # -1 for all cadres
    quota: np.ndarray  # workers per year
    fee_free: np.ndarray
    training_places: np.ndarray
    contract_years: np.ndarray
    return_probability: np.ndarray
    specs: tuple

    @classmethod
    def from_specs(cls, specs: list, world: World) -> Agreements:
        """Build the arrays from the scenario's `policies.agreements` list."""
        return cls(
            source=np.array([world.index(s["source"]) for s in specs], dtype=np.int64),
            destination=np.array([world.index(s["destination"]) for s in specs], dtype=np.int64),
            cadre=np.array(
                [-1 if s["cadre"] == "all" else CADRE_INDEX[s["cadre"]] for s in specs],
                dtype=np.int64,
            ),
            quota=np.array([s["quota"] for s in specs], dtype=np.float64),
            fee_free=np.array([s["fee_free"] for s in specs], dtype=bool),
            training_places=np.array([s["training_places"] for s in specs], dtype=np.float64),
            contract_years=np.array([s["contract_years"] for s in specs], dtype=np.float64),
            return_probability=np.array([s["return_probability"] for s in specs], dtype=np.float64),
            specs=tuple(specs),
        )

    def active(self, year: int) -> np.ndarray:
        """Mask of agreements in force in `year`."""
        return np.array([in_force(s, year) for s in self.specs], dtype=bool)


@dataclass(frozen=True)
class PolicyYear:
    """Every lever's effect in one calendar year, as arrays over countries (C) and cadres (K)."""

    ethical: np.ndarray  # (C,) destination applies ethical recruitment
    protected: np.ndarray  # (C,) source protected from active recruitment
    passive_rate: float
    code_passive: np.ndarray  # (C origin, C destination, K) passive rate of the codes in the data
    channel_partner: np.ndarray  # (C origin, C destination, K) bool: a government-to-government
    # recruitment channel of the world data in force (`World.recruitment_partner_from`)
    fee: np.ndarray  # (C origin, C destination, K) recruitment fee in annual source wages
    wage_discount: np.ndarray  # (C,) migrant pay gap in each destination
    pay_rise: np.ndarray  # (C, K)
    conditions: np.ndarray  # (C, K)
    allowance: np.ndarray  # (C, K) rural allowance
    bond_steps: np.ndarray  # (C, K) bond length for new graduates, in steps (0: none)
    rural_service: np.ndarray  # (C, K)
    buyout: np.ndarray  # (C, K) buy-out price, annual wages
    expansion: np.ndarray  # (C, K) training expansion in force (share of base output)
    compensation_payer: np.ndarray  # (C,)
    compensation_recipient: np.ndarray  # (C,)
    compensation_rate: float
    compensation_use: str
    agreement_active: np.ndarray  # (G,)
    deployment_cap: np.ndarray  # (C,) deployments a year allowed (inf: no cap), workers
    deployment_capped: np.ndarray  # (C, K) cadres counted against the country's cap
    deployment_exempt_agreements: np.ndarray  # (C, K) bool: agreement hires of the origin and
    # cadre are not counted against its cap (the world data's caps: always; the lever's, for the
    # origins and cadres it caps: `exempt_agreements`)
    demand_multiplier: np.ndarray  # (C,)
    recruitment_multiplier: np.ndarray  # (C,)
    capacity_multiplier: np.ndarray  # (C,) multiplier of recruitment ceilings
    wage_multiplier: np.ndarray  # (C,)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def cached(self, key, compute):
        """The year's value of `compute()` under `key`, computed once and returned read only
        (arrays, or tuples of arrays), so no caller can change what the others read; `replace`
        starts a new cache."""
        if key not in self._cache:
            value = compute()
            for array in value if isinstance(value, tuple) else (value,):
                array.flags.writeable = False
            self._cache[key] = value
        return self._cache[key]

    def log1p_fee(self, slots: np.ndarray) -> np.ndarray:
        """ln(1 + fee) at the destination slots `slots` (D,): (C origin, D, K), computed once a
        year (the fee is fixed within it)."""
        return self.cached(
            ("log1p_fee", slots.tobytes()),
            lambda: np.ascontiguousarray(np.log1p(self.fee[:, slots, :])),
        )

    def passive(self) -> np.ndarray:
        """(C country, C destination, K) probability that an applicant of the cadre applying from
        the country is taken where posts are open: the lever's passive rate where the destination
        recruits ethically and the country is protected, the rate of the destination's own code in
        the world data where that applies (`code_passive`), the lower where both do, else 1
        (computed once a year). Matching reads it by the country the applicant works in (for a
        first move, the country of training; ODD §7.5); the network term's expected split by the
        country of training (`utilities.expected_split_correction`, an approximation for onward
        movers, ODD §4.2.2)."""

        def compute() -> np.ndarray:
            ethical = self.ethical[None, :] & self.protected[:, None]
            lever = np.where(ethical, self.passive_rate, 1.0)
            return np.ascontiguousarray(np.minimum(lever[:, :, None], self.code_passive))

        return self.cached("passive", compute)


class PolicySchedule:
    """Resolves a scenario's policies against a world once, then answers year by year."""

    def __init__(self, data: dict, world: World, destinations: np.ndarray):
        self.data = data
        self.world = world
        self.destinations = destinations
        pol = data["policies"]
        self.agreements = Agreements.from_specs(pol["agreements"], world)
        # Country masks of every lever's selectors (declared in sim.declarations), once per run.
        self._masks = {
            lever.name: {
                key: country_mask(pol[lever.name][key], world, destinations)
                for key in lever.selectors
            }
            for lever in LEVERS
            if not lever.many
        }
        (selector,) = ADJUSTMENTS.selectors
        self._adjustments = [
            (spec, country_mask(spec[selector], world, destinations))
            for spec in data["adjustments"]
        ]
        self._cache: dict[int, PolicyYear] = {}
        time = data["time"]
        # After a spin-up (`time.spin_up_from`) no lever or adjustment of the scenario is in
        # force before the first year of the results (`time.start_year`).
        self.first_policy_year = None if time["spin_up_from"] is None else int(time["start_year"])
        self.start_year = first_simulated_year(time)

    def _country_cadre(self, name: str, year: int, value: float) -> np.ndarray:
        """(C, K) array holding `value` where the lever `name` applies in `year`, else 0."""
        spec = self.data["policies"][name]
        out = np.zeros((len(self.world.iso3), len(CADRES)))
        if in_force(spec, year):
            out[np.ix_(self._masks[name]["countries"], cadre_mask(spec["cadres"]))] = value
        return out

    def _world_cap(self, year: int) -> np.ndarray:
        """Caps on deployments in the world data in force in `year` (C,), +inf where none: the
        smallest of each origin's entries (C, E) in force in the year."""
        w = self.world
        if w.deployment_cap is None:
            return np.full(len(w.iso3), np.inf)
        start = np.where(np.isfinite(w.deployment_cap_from), w.deployment_cap_from, -np.inf)
        on = (start <= year) & (year <= w.deployment_cap_until)
        return np.where(on, w.deployment_cap, np.inf).min(axis=1)

    def _code_passive(self, year: int) -> np.ndarray:
        """(C origin, C destination, K) the passive rate under the destinations' own codes of
        practice in the world data in force in `year` (`World.ethical_code_from`), else 1.

        ODD §7.5: an applicant of cadre k from a safeguards-list origin o is taken at d with
        probability r_code (`behaviour.national_code_passive_rate`) where d's code is in force
        for k, unless d recruits k in o through a government-to-government channel in force
        (`World.recruitment_partner_from`), which such codes allow."""
        w = self.world
        n, k = len(w.iso3), len(CADRES)
        if w.ethical_code_from is None:
            return np.ones((n, n, k))
        coded = np.asarray(w.ethical_code_from)[None, :, :] <= year  # (1, C, K)
        protected = np.asarray(w.safeguards, dtype=bool)[:, None, None]  # (C, 1, 1)
        applies = coded & protected
        if w.recruitment_partner_from is not None:
            applies &= ~(np.asarray(w.recruitment_partner_from) <= year)
        rate = float(self.data["behaviour"]["national_code_passive_rate"])
        return np.where(applies, rate, 1.0)

    def _channel_partner(self, year: int) -> np.ndarray:
        """(C origin, C destination, K) bool: the destination recruits the cadre in the origin
        through a government-to-government channel of the world data in force in `year`
        (`World.recruitment_partner_from`; none in world files). Data, not a lever: kept in a
        spin-up's years."""
        w = self.world
        n, k = len(w.iso3), len(CADRES)
        if w.recruitment_partner_from is None:
            return np.zeros((n, n, k), dtype=bool)
        return np.asarray(w.recruitment_partner_from) <= year

    def without_levers(self) -> PolicyYear:
        """The first year with no lever and no adjustment in force: the world as the data left it
        (the behaviour's recruitment fee and migrant pay gap everywhere, no pay rise, allowance,
        bond, policy cap or multiplier; the deployment caps and codes of practice of the world
        data in force in the start year kept, as data). The state from which base graduate output
        is set (ODD §7.6), the same for every scenario on one world."""
        return self._stripped(self.year(self.start_year), self.start_year)

    def _stripped(self, pol: PolicyYear, year: int) -> PolicyYear:
        """`pol` with no lever or adjustment in force: the world data's caps and codes of practice
        of `year` only."""
        n, k = len(self.world.iso3), len(CADRES)
        beh = self.data["behaviour"]
        world_cap = self._world_cap(year)
        return replace(
            pol,
            ethical=np.zeros(n, dtype=bool),
            protected=np.zeros(n, dtype=bool),
            fee=np.full((n, n, k), float(beh["recruitment_fee"])),
            wage_discount=np.full(n, float(beh["migrant_wage_discount"])),
            pay_rise=np.zeros((n, k)),
            conditions=np.zeros((n, k)),
            allowance=np.zeros((n, k)),
            bond_steps=np.zeros((n, k), dtype=np.int64),
            rural_service=np.zeros((n, k), dtype=bool),
            buyout=np.zeros((n, k)),
            expansion=np.zeros((n, k)),
            compensation_payer=np.zeros(n, dtype=bool),
            compensation_recipient=np.zeros(n, dtype=bool),
            agreement_active=np.zeros_like(pol.agreement_active),
            deployment_cap=world_cap,
            deployment_capped=np.repeat(np.isfinite(world_cap)[:, None], k, axis=1),
            deployment_exempt_agreements=np.ones((n, k), dtype=bool),
            demand_multiplier=np.ones(n),
            recruitment_multiplier=np.ones(n),
            capacity_multiplier=np.ones(n),
            wage_multiplier=np.ones(n),
        )

    def year(self, year: int) -> PolicyYear:
        """The levers in force in `year` (cached); none in a spin-up's years."""
        if year not in self._cache:
            pol = self._build(year)
            spin_up = self.first_policy_year is not None and year < self.first_policy_year
            self._cache[year] = self._stripped(pol, year) if spin_up else pol
        return self._cache[year]

    def _build(self, year: int) -> PolicyYear:
        pol = self.data["policies"]
        beh = self.data["behaviour"]
        n, k = len(self.world.iso3), len(CADRES)
        steps_per_year = self.data["time"]["steps_per_year"]

        eth = pol["ethical_recruitment"]
        eth_on = in_force(eth, year)
        ethical = self._masks["ethical_recruitment"]["destinations"] & eth_on
        protected = self._masks["ethical_recruitment"]["protected"] & eth_on

        fee = np.full((n, n, k), float(beh["recruitment_fee"]))
        if in_force(pol["fee_free_recruitment"], year):
            fee[:, self._masks["fee_free_recruitment"]["destinations"], :] = 0.0
        active = self.agreements.active(year)
        for g in np.flatnonzero(active & self.agreements.fee_free):
            cad = self.agreements.cadre[g]
            cadres = slice(None) if cad < 0 else slice(cad, cad + 1)
            fee[self.agreements.source[g], self.agreements.destination[g], cadres] = 0.0

        discount = np.full(n, float(beh["migrant_wage_discount"]))
        if in_force(pol["equal_treatment"], year):
            discount[self._masks["equal_treatment"]["destinations"]] = 0.0

        ret = pol["retention"]
        bond = pol["bonding"]
        bond_steps = steps_of(self._country_cadre("bonding", year, bond["years"]), steps_per_year)
        # Rural service binds bonded workers for the whole bond, even after the policy ends.
        rural_service = np.zeros((n, k), dtype=bool)
        if bond["rural_service"]:
            rural_service[
                np.ix_(self._masks["bonding"]["countries"], cadre_mask(bond["cadres"]))
            ] = True
        buyout = np.zeros((n, k))
        buyout[np.ix_(self._masks["bonding"]["countries"], cadre_mask(bond["cadres"]))] = bond[
            "buyout"
        ]

        comp = pol["compensation"]
        comp_on = in_force(comp, year)

        cap_spec = pol["deployment_cap"]
        cap_on = in_force(cap_spec, year)
        cap_countries = self._masks["deployment_cap"]["countries"] & cap_on
        deployment_cap = np.where(cap_countries, float(cap_spec["cap"]), np.inf)
        deployment_capped = np.zeros((n, k), dtype=bool)
        deployment_capped[np.ix_(cap_countries, cadre_mask(cap_spec["cadres"]))] = True
        # the lever's choice for the origins and cadres it caps; the world data's caps (the
        # Philippines') exempt government-to-government hires
        exempt = np.where(deployment_capped, bool(cap_spec["exempt_agreements"]), True)
        world_cap = self._world_cap(year)  # dated caps in the world data, all cadres
        deployment_cap = np.minimum(deployment_cap, world_cap)
        deployment_capped |= np.isfinite(world_cap)[:, None]

        demand = np.ones(n)
        recruit = np.ones(n)
        capacity = np.ones(n)
        wage = np.ones(n)
        for spec, mask in self._adjustments:
            if in_force(spec, year):
                demand[mask] *= spec["demand_multiplier"]
                recruit[mask] *= spec["recruitment_multiplier"]
                capacity[mask] *= spec["capacity_multiplier"]
                wage[mask] *= spec["wage_multiplier"]

        return PolicyYear(
            ethical=ethical,
            protected=protected,
            passive_rate=float(eth["passive_rate"]),
            code_passive=self._code_passive(year),
            channel_partner=self._channel_partner(year),
            fee=fee,
            wage_discount=discount,
            pay_rise=self._country_cadre("retention", year, ret["pay_rise"]),
            conditions=self._country_cadre("retention", year, ret["conditions"]),
            allowance=self._country_cadre(
                "rural_allowance", year, pol["rural_allowance"]["allowance"]
            ),
            bond_steps=bond_steps,
            rural_service=rural_service,
            buyout=buyout,
            expansion=self._country_cadre(
                "domestic_training", year, pol["domestic_training"]["expansion"]
            ),
            compensation_payer=self._masks["compensation"]["payers"] & comp_on,
            compensation_recipient=self._masks["compensation"]["recipients"] & comp_on,
            compensation_rate=float(comp["rate"]),
            compensation_use=comp["use"],
            agreement_active=active,
            deployment_cap=deployment_cap,
            deployment_capped=deployment_capped,
            deployment_exempt_agreements=exempt,
            demand_multiplier=demand,
            recruitment_multiplier=recruit,
            capacity_multiplier=capacity,
            wage_multiplier=wage,
        )
