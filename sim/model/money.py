"""Money: compensation, incentives, training investment, fees, buy-outs and settlement.

Phase 6 (docs/ODD.md §7.7) adds each step's money flows, by country, to the ledger's `step_money`
(international dollars PPP, indexed by `sim.model.ledger.MONEY_KINDS`); at the end of each year the
compensation received is settled (§7.8): it goes to the training fund (`sim.model.training`),
or pays a retention supplement the next year. Counts are converted from agents to workers with ω.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.ledger import MONEY_KINDS, Transitions
from sim.model.policies import PolicyYear
from sim.model.utilities import base_wages

if TYPE_CHECKING:
    from sim.model.setup import Setup

_KIND = {name: i for i, name in enumerate(MONEY_KINDS)}


class Money:
    """Compensation carried between steps and years, and the money of each step.

    State: `compensation_pay_rise` π^comp (C, K) and the compensation received this year (C, K).
    """

    def __init__(self, setup: Setup):
        self.setup = setup
        shape = (setup.n_countries, setup.n_cadres)
        self.compensation_pay_rise = np.zeros(shape)
        self.received_this_year = np.zeros(shape)

    def record_step(
        self,
        money: np.ndarray,
        pol: PolicyYear,
        present: np.ndarray,
        emigrated: Transitions,
        training_payments: np.ndarray,
    ) -> None:
        """Phase 6 (ODD §7.7): add this step's money to `money` (MONEY_KINDS, C) in place.

        Args:
            money: the ledger's per-step money, int$ PPP by kind and country.
            pol: the levers in force.
            present: (C, 2, K) agents present after phases 1-5.
            emigrated: this step's emigrants (phase 4).
            training_payments: (C,) int$ a year each country pays for training this year
                (`sim.model.training.Training.payments`).
        """
        s = self.setup
        wpa, dt = s.workers_per_agent, s.dt
        present = present.astype(np.float64) * wpa  # workers
        wage = base_wages(s.base_wage, pol)
        # Retention pay on every worker; the rural allowance on the (raised) rural wage.
        money[_KIND["incentive_spending"]] += (
            (pol.pay_rise * wage * present.sum(axis=1)).sum(axis=1)
            + (pol.allowance * wage * (1.0 + pol.pay_rise) * present[:, 1, :]).sum(axis=1)
        ) * dt
        money[_KIND["training_investment"]] += training_payments * dt
        if len(emigrated):
            self._record_emigrants(money, pol, wage, emigrated)

    def _record_emigrants(
        self, money: np.ndarray, pol: PolicyYear, wage: np.ndarray, emigrated: Transitions
    ) -> None:
        """Training cost embodied in emigrants, fees they pay, compensation for them (§7.7).

        Training cost and compensation count emigrants leaving their training country only (a
        migrant moving on was counted when first recruited); every move pays its fee.
        """
        s = self.setup
        # Distinct (origin, destination, cadre, from home) cells in sorted order with their
        # counts, so the money does not depend on the order in which an engine lists them.
        # One integer per cell, increasing in (origin, destination, cadre, from home) order: a
        # 1-D `np.unique` gives the same sorted cells as `np.unique(..., axis=1)`, faster.
        c, n_cadres = s.n_countries, s.n_cadres
        home = (emigrated.country_from == emigrated.origin).astype(np.int64)
        cell = ((emigrated.origin * c + emigrated.country_to) * n_cadres + emigrated.cadre) * 2
        codes, n = np.unique(cell + home, return_counts=True)
        first, codes = codes % 2, codes // 2
        k, codes = codes % n_cadres, codes // n_cadres
        o, d = codes // c, codes % c
        workers = n * s.workers_per_agent
        embodied = workers * first * s.training_cost[o, k]
        np.add.at(money[_KIND["training_cost_emigrants"]], o, embodied)
        np.add.at(money[_KIND["recruitment_fees"]], o, workers * pol.fee[o, d, k] * wage[o, k])
        comp = workers * first * (pol.compensation_recipient[o] & pol.compensation_payer[d])
        comp = comp * pol.compensation_rate
        np.add.at(money[_KIND["compensation_paid"]], d, comp)
        np.add.at(money[_KIND["compensation_received"]], o, comp)
        np.add.at(self.received_this_year, (o, k), comp)

    def record_buyouts(self, money: np.ndarray, pol: PolicyYear, tr: Transitions) -> None:
        """Bonded workers who leave or emigrate pay b[c,k]·w̄[c,k]·M^w[c] to their country."""
        broke = tr.bonded.astype(bool)
        if broke.any():
            s = self.setup
            count = np.zeros((s.n_countries, s.n_cadres), dtype=np.int64)
            np.add.at(count, (tr.country_from[broke], tr.cadre[broke]), 1)
            price = pol.buyout * base_wages(s.base_wage, pol) * s.workers_per_agent
            money[_KIND["bond_buyouts"]] += (count * price).sum(axis=1)

    def settle(self, use: str, next_wage_multiplier: np.ndarray, present: np.ndarray) -> np.ndarray:
        """At the end of a year, compensation received funds training or next year's pay (§7.8).

        Use `training`: returns the money (C, K) to credit to the training fund (it buys intake
        from the next year, `sim.model.training`). Use `retention`: sets a retention supplement
        for the next year against next year's wage bill (`next_wage_multiplier` (C,), `present`
        (C, 2, K) agents) and returns zeros.
        """
        s = self.setup
        received = self.received_this_year
        to_training = np.zeros_like(received)
        if use == "training":
            to_training = received
            self.compensation_pay_rise = np.zeros_like(self.compensation_pay_rise)
        else:
            wage = s.base_wage * next_wage_multiplier[:, None]
            bill = present.sum(axis=1) * s.workers_per_agent * wage
            self.compensation_pay_rise = np.minimum(received / np.maximum(bill, 1e-9), 1.0)
        self.received_this_year = np.zeros_like(received)
        return to_training
