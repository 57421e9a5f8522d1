"""Worker accounting: the stock tensor and the flows of every step, shared by both engines.

Both engines report what happened to their workers as `Transitions` (parallel arrays); `Ledger`
applies them to the stock tensor `N[origin, country, area, cadre]` (agents) and to the flow
counters. Because the counts are updated by one function from the same transitions, the accounting
identity holds by construction and is checked by the tests against a recount of the population.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

# Flow kinds, indexing the first axis of `Ledger.step_flows`.
FLOW_KINDS = (
    "graduates",
    "immigrants",
    "returns",
    "emigrants",
    "retirements",
    "deaths",
    "exits",
    "moves_in",
    "moves_out",
)
F_GRADUATES, F_IMMIGRANTS, F_RETURNS, F_EMIGRANTS = 0, 1, 2, 3
F_RETIREMENTS, F_DEATHS, F_EXITS, F_MOVES_IN, F_MOVES_OUT = 4, 5, 6, 7, 8

# Transition kinds.
T_RETIRE, T_DEATH, T_EXIT, T_LEAVE, T_MOVE, T_RETURN, T_EMIGRATE, T_GRADUATE = range(8)

# Counters by age and training (first axis of `Ledger.step_by_age`).
BY_AGE_YOUNG_LEAVERS, BY_AGE_FOREIGN_LEAVERS, BY_AGE_EMIGRANTS = 0, 1, 2
BY_AGE_INTERNATIONAL_LEAVERS = 3

MONEY_KINDS = (
    "compensation_paid",
    "compensation_received",
    "incentive_spending",
    "training_investment",
    "training_cost_emigrants",
    "bond_buyouts",
    "recruitment_fees",
)


@dataclass
class Transitions:
    """What happened to a set of workers in one phase: one entry per worker.

    `country_to` is -1 for workers leaving the workforce (retirement, death, exit).
    """

    origin: np.ndarray
    cadre: np.ndarray
    country_from: np.ndarray
    area_from: np.ndarray
    country_to: np.ndarray
    area_to: np.ndarray
    kind: np.ndarray
    bonded: np.ndarray  # 1 where the worker breaks a bond (pays the buy-out)
    age: np.ndarray  # the worker's age in steps

    @classmethod
    def empty(cls) -> Transitions:
        """No transitions."""
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, z, z, z, z, z, z)

    @classmethod
    def from_columns(cls, *columns) -> Transitions:
        """Build from nine sequences (lists or arrays) in field order."""
        return cls(*(np.asarray(c, dtype=np.int64) for c in columns))

    @classmethod
    def from_rows(cls, rows: list) -> Transitions:
        """Build from a list of 9-tuples in field order (one per worker)."""
        table = np.array(rows, dtype=np.int64).reshape(-1, 9)
        return cls(*table.T.copy())

    @classmethod
    def graduates(cls, country, cadre, area, age) -> Transitions:
        """New graduates entering the workforce of their training country."""
        z = np.zeros_like(country)
        kind = np.full_like(country, T_GRADUATE)
        return cls(country, cadre, z - 1, z, country, area, kind, z, age)

    def concat(self, other: Transitions) -> Transitions:
        """Both sets of transitions, this one first."""
        return Transitions(
            *(np.concatenate([a, b]) for a, b in zip(self.columns(), other.columns(), strict=True))
        )

    def columns(self) -> tuple:
        """The nine arrays in field order."""
        return (
            self.origin,
            self.cadre,
            self.country_from,
            self.area_from,
            self.country_to,
            self.area_to,
            self.kind,
            self.bonded,
            self.age,
        )

    def __len__(self) -> int:
        return int(self.kind.shape[0])


@njit(cache=True)
def _apply(stock, present, flows, international, arrivals, onward, by_age, international_pair,
           origin, cadre, c_from, a_from, c_to, a_to, kind, age, young_steps,
           age_edges):  # fmt: skip
    """Apply transitions to the stock tensor, its per-country totals and the flow counters.

    `international` (C, C, K) counts moves abroad by country left and country entered; `arrivals`
    (C, C, K) counts the immigrants among them by country of training and country entered (first
    and onward moves; a return home is not an arrival); `onward` (C, K) counts the onward moves
    among the arrivals by country entered (a migrant coming from a third country).

    `by_age` (4, C, K, 4): departures of workers under `young_steps` (by country left), departures
    of foreign-trained workers (by country left), first emigrations from the training country by
    age band (`age_edges`, steps) in its last axis, and departures of international workers
    (`international_pair[origin, country]`, `international_pairs`; by country left). All but the
    emigrations use band 0 only.
    """
    for i in range(kind.shape[0]):
        o, k, t = origin[i], cadre[i], kind[i]
        if t == T_GRADUATE:
            stock[o, c_to[i], a_to[i], k] += 1
            present[c_to[i], a_to[i], k] += 1
            flows[F_GRADUATES, c_to[i], a_to[i], k] += 1
            continue
        stock[o, c_from[i], a_from[i], k] -= 1
        present[c_from[i], a_from[i], k] -= 1
        if t != T_MOVE:  # a departure from country c_from
            if age[i] < young_steps:
                by_age[BY_AGE_YOUNG_LEAVERS, c_from[i], k, 0] += 1
            if o != c_from[i]:
                by_age[BY_AGE_FOREIGN_LEAVERS, c_from[i], k, 0] += 1
                if international_pair[o, c_from[i]]:
                    by_age[BY_AGE_INTERNATIONAL_LEAVERS, c_from[i], k, 0] += 1
        if t == T_RETIRE:
            flows[F_RETIREMENTS, c_from[i], a_from[i], k] += 1
        elif t == T_DEATH:
            flows[F_DEATHS, c_from[i], a_from[i], k] += 1
        elif t in (T_EXIT, T_LEAVE):
            flows[F_EXITS, c_from[i], a_from[i], k] += 1
        else:
            stock[o, c_to[i], a_to[i], k] += 1
            present[c_to[i], a_to[i], k] += 1
            if t == T_MOVE:
                flows[F_MOVES_OUT, c_from[i], a_from[i], k] += 1
                flows[F_MOVES_IN, c_to[i], a_to[i], k] += 1
            else:
                flows[F_EMIGRANTS, c_from[i], a_from[i], k] += 1
                arrive = F_RETURNS if c_to[i] == o else F_IMMIGRANTS
                flows[arrive, c_to[i], a_to[i], k] += 1
                if arrive == F_IMMIGRANTS:
                    arrivals[o, c_to[i], k] += 1
                    if c_from[i] != o:
                        onward[c_to[i], k] += 1
                international[c_from[i], c_to[i], k] += 1
                if t == T_EMIGRATE and c_from[i] == o:
                    band = 0
                    while band < age_edges.shape[0] and age[i] >= age_edges[band]:
                        band += 1
                    by_age[BY_AGE_EMIGRANTS, o, k, band] += 1


def international_pairs(recognition: np.ndarray) -> np.ndarray:
    """(origin, country) bool, C x C: whether a worker trained in `origin` is an international
    worker in `country`: trained elsewhere, and not both countries in the recognition area
    (`recognition` (C,) bool, `World.recognition_area`; `international_workers`)."""
    member = np.asarray(recognition, dtype=np.bool_)
    pair = ~(member[:, None] & member[None, :])
    np.fill_diagonal(pair, False)
    return pair


class Ledger:
    """Stock tensor and per-step flows, in agents (multiply by workers per agent for workers).

    Args:
        n_countries, n_cadres: C and K.
        young_steps: age in steps under which departures count as `attrition_under_40`.
        age_edges: (3,) int64 edges in steps of the age bands of first emigrations.
        recognition: (C,) bool, the countries of the mutual recognition area
            (`World.recognition_area`; none if None): whose leavers are `international_leavers`.
    """

    def __init__(
        self,
        n_countries: int,
        n_cadres: int,
        young_steps: int = 0,
        age_edges: np.ndarray | None = None,
        recognition: np.ndarray | None = None,
    ):
        self.stock = np.zeros((n_countries, n_countries, 2, n_cadres), dtype=np.int64)
        self._present = np.zeros((n_countries, 2, n_cadres), dtype=np.int64)
        self.step_flows = np.zeros((len(FLOW_KINDS), n_countries, 2, n_cadres), dtype=np.int64)
        self.step_international = np.zeros((n_countries, n_countries, n_cadres), dtype=np.int64)
        self.step_arrivals = np.zeros((n_countries, n_countries, n_cadres), dtype=np.int64)
        self.step_onward = np.zeros((n_countries, n_cadres), dtype=np.int64)
        self.step_money = np.zeros((len(MONEY_KINDS), n_countries))
        self.voluntary_exits = np.zeros((n_countries, n_cadres), dtype=np.int64)
        self.step_by_age = np.zeros((4, n_countries, n_cadres, 4), dtype=np.int64)
        self.international_pair = international_pairs(
            np.zeros(n_countries, dtype=np.bool_) if recognition is None else recognition
        )
        self.young_steps = int(young_steps)
        self.age_edges = (
            np.zeros(3, dtype=np.int64) if age_edges is None else np.asarray(age_edges, np.int64)
        )

    def start_step(self) -> None:
        """Reset the per-step flow counters."""
        self.step_flows[:] = 0
        self.step_international[:] = 0
        self.step_arrivals[:] = 0
        self.step_onward[:] = 0
        self.step_money[:] = 0.0
        self.voluntary_exits[:] = 0
        self.step_by_age[:] = 0

    def apply(self, tr: Transitions) -> None:
        """Apply one phase's transitions."""
        if len(tr):
            _apply(
                self.stock,
                self._present,
                self.step_flows,
                self.step_international,
                self.step_arrivals,
                self.step_onward,
                self.step_by_age,
                self.international_pair,
                tr.origin,
                tr.cadre,
                tr.country_from,
                tr.area_from,
                tr.country_to,
                tr.area_to,
                tr.kind,
                tr.age,
                self.young_steps,
                self.age_edges,
            )
            leave = tr.kind == T_LEAVE
            if leave.any():
                np.add.at(self.voluntary_exits, (tr.country_from[leave], tr.cadre[leave]), 1)

    def set_stock(self, stock: np.ndarray) -> None:
        """Set the initial stock tensor."""
        self.stock[:] = stock
        self._present = self.stock.sum(axis=0)

    def present(self) -> np.ndarray:
        """Active workers present by (country, area, cadre) (kept up to date by `apply`)."""
        return self._present
