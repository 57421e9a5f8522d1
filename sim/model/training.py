"""Training: base graduate output, capacity, the training fund and extra intake (docs/ODD.md §7.6).

Graduate output without policies (`base_output`) keeps the own-trained stock on its trend
(`sim.model.supply.graduate_path`). Extra training is bought with money, within capacity, and
arrives after the training lag:

- at the start of each year the money committed for it is credited to a **training fund** per
  (country of training, cadre): domestic training expansion (paid by the country) and training
  places of agreements in force (paid by the destination); compensation received for training
  is credited at the end of the year it is received (`deposit`);
- the fund buys **extra intake** at the cost per graduate, within **capacity**: extra intake may
  grow by at most `training_expansion_rate` × base output a year (docs/data.md §5);
- what capacity leaves is used by the country's **response to sustained vacancies**,
  `training_vacancy_response` × (3-year mean vacancy rate − threshold) × base output, paid by the
  country as it starts;
- money beyond capacity stays in the fund for later years (indicator `training_fund`); intake
  started in year Y graduates in Y + training lag;
- where trained workers are unemployed, the **response to sustained unemployment** cuts the
  base intake: `training_unemployment_response` × (3-year mean unemployment rate − threshold),
  at most all of it, so that base output in Y + training lag is that much smaller.

Amounts are workers (intake, graduates) and international dollars PPP (money); shapes (C, K).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.model import supply
from sim.model.policies import Agreements, PolicyYear

if TYPE_CHECKING:
    from sim.model.setup import Setup


class Training:
    """The training fund, extra intake by year, and the year's training payments.

    State: `fund` (C, K) int$, `intake` (year -> (C, K) workers started that year), `cut`
    (year -> (C, K) the share of that year's base intake not started), `payments` (C,) int$ a
    year paid by each country for training this year; `outflow`, `outflow_weights` and `path`
    (C, K, years) the base output, fixed at initialisation.

    Args:
        setup: the run's setup; own_trained: (C, K) own-trained workers at home at the start;
        years: years of the run; outflow: the reference voluntary outflow by whole year of age
            and group of the personal propensity, (C, K, Y, Q) in 1/year, and the groups'
            weights (Q,) (`sim.model.supply.reference_outflow`).
    """

    def __init__(
        self, setup: Setup, own_trained: np.ndarray, years: int, outflow: tuple[np.ndarray, ...]
    ):
        self.setup = setup
        self.outflow, self.outflow_weights = outflow
        self.path = supply.graduate_path(
            setup.hazard_section, setup.age_profile, own_trained, setup.trend, setup.start_year,
            years, self.outflow, self.outflow_weights,
        )  # fmt: skip
        shape = (setup.n_countries, setup.n_cadres)
        self.fund = np.zeros(shape)
        self.intake: dict[int, np.ndarray] = {}
        self.cut: dict[int, np.ndarray] = {}
        self.last_intake = np.zeros(shape)
        self.payments = np.zeros(setup.n_countries)
        wf = setup.workforce
        self.expansion_rate = float(wf["training_expansion_rate"])
        self.response = float(wf["training_vacancy_response"])
        self.unemployment_response = float(wf["training_unemployment_response"])

    def base_output(self, year: float) -> np.ndarray:
        """Graduates a year without policies at a (fractional) calendar year (C, K), workers."""
        t = min(max(math.floor(year) - self.setup.start_year, 0), self.path.shape[2] - 1)
        return self.path[:, :, t]

    def _commitments(self, pol: PolicyYear, agreements: Agreements, base: np.ndarray) -> tuple:
        """Money committed for this year's training: (into each fund (C, K), by payer (C,))."""
        cost = self.setup.training_cost
        into = pol.expansion * base * cost
        paid = into.sum(axis=1)
        n_cadres = self.setup.n_cadres
        for g in np.flatnonzero(pol.agreement_active):
            src, dest, cadre = agreements.source[g], agreements.destination[g], agreements.cadre[g]
            places = np.zeros(n_cadres)
            if cadre < 0:  # places of an all-cadre agreement are split evenly
                places += agreements.training_places[g] / n_cadres
            else:
                places[cadre] = agreements.training_places[g]
            money = places * cost[src]
            into[src] += money
            paid[dest] += money.sum()
        return into, paid

    def start_year(
        self,
        year: int,
        pol: PolicyYear,
        agreements: Agreements,
        pressure: np.ndarray,
        slack: np.ndarray,
    ) -> None:
        """Credit the year's commitments, then start this year's extra intake and cut its base
        intake (ODD §7.6).

        `pressure` (C, K) is the 3-year mean vacancy rate above the threshold (≥ 0), `slack`
        (C, K) the 3-year mean unemployment rate above its threshold (≥ 0).
        """
        s = self.setup
        base = self.base_output(year)
        into, paid = self._commitments(pol, agreements, base)
        self.fund += into
        room = np.maximum(self.last_intake + self.expansion_rate * base, 0.0)
        cost = s.training_cost
        funded = np.minimum(self.fund / cost, room)
        self.fund = np.maximum(self.fund - funded * cost, 0.0)
        responded = np.minimum(self.response * pressure * base, room - funded)
        responded = np.maximum(responded, 0.0)
        paid = paid + (responded * cost).sum(axis=1)
        self.last_intake = funded + responded
        self.intake[year] = self.last_intake
        self.cut[year] = np.minimum(self.unemployment_response * slack, 1.0)
        self.payments = paid

    def deposit(self, money: np.ndarray) -> None:
        """Compensation received for training (C, K) int$, credited to the fund at year end."""
        self.fund += money

    def _started(self, started: dict[int, np.ndarray], year: int) -> np.ndarray:
        """What `started` holds for the intake graduating in `year` (C, K): its entry for
        year − lag of each cadre, 0 where there is none (before the run)."""
        s = self.setup
        out = np.zeros((s.n_countries, s.n_cadres))
        for k in range(s.n_cadres):
            entry = started.get(year - int(s.training_lag[k]))
            if entry is not None:
                out[:, k] = entry[:, k]
        return out

    def extra_graduates(self, year: int) -> np.ndarray:
        """Extra graduates a year arriving in `year` (C, K) workers: intake of year − lag."""
        return self._started(self.intake, year)

    def output(self, year: int) -> np.ndarray:
        """Graduates a year arriving in `year` (C, K) workers (ODD §7.6): base output less the
        share cut by the response to unemployment in year − lag, plus the extra graduates."""
        kept = 1.0 - self._started(self.cut, year)
        return self.base_output(year) * kept + self.extra_graduates(year)
