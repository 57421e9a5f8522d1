"""Engine `arrays`: the worker population as a struct of arrays, stepped by numba kernels.

Workers are rows of compact arrays (27 bytes each, plus 3 bytes of per-step scratch). Kernels
run in parallel over fixed chunks of rows and call the same rules as the agents engine
(`sim.model.rules`); each phase first marks events per worker, then gathers the marked rows chunk by
chunk in row order, so the result never depends on the number of threads, and applies to them the
same effects as the agents engine (`sim.engines.effects`). What happened is returned as
`Transitions` for the shared accounting, exactly as the agents engine does.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.engines import effects
from sim.errors import HrhsimError
from sim.model import rules
from sim.model.ledger import T_EMIGRATE, T_RETURN, Transitions
from sim.model.matching import NOT_TAKEN
from sim.model.population import AGE_YEARS, APPLY_EMIGRATE, Applicants, NewWorkers
from sim.model.rules import DecisionContext, HazardContext

CHUNK = 1 << 15
"""Rows per chunk of the parallel kernels (fixed, so results never depend on threads)."""

PARALLEL_MIN_ROWS = 8 * CHUNK
"""Below this many rows the serial build of each kernel runs: thread start-up would dominate."""

FIELDS = {
    "key": np.int64,  # the worker's part of every counter-based draw (sim.model.rng.worker_key)
    "worker_id": np.int32,
    "origin": np.int16,
    "country": np.int16,
    "area": np.int8,
    "cadre": np.int8,
    "status": np.int8,
    "age": np.int16,
    "bond": np.int16,
    "contract": np.int16,
    "agreement": np.int16,
}
SCRATCH = {"event": np.int8, "slot": np.int16}
BYTES_PER_WORKER = sum(np.dtype(t).itemsize for t in (*FIELDS.values(), *SCRATCH.values()))

_ENDS = 8  # flag added to a decision code when a fixed-term contract ends without return


def _hazard_pass_py(
    n, key, cadre, status, age, bond, contract, event, step, p_retire, p_death, p_exit, max_age,
    counts,
):  # fmt: skip
    """Phase 2 marks: every active worker ages one step and draws its hazard (`effects`)."""
    for ch in prange(counts.shape[0]):
        lo = ch * CHUNK
        hi = min(n, lo + CHUNK)
        cnt = 0
        for i in range(lo, hi):
            if status[i] != rules.ACTIVE:
                event[i] = 0
                continue
            k = cadre[i]
            a = effects.hazard_index(np.int64(age[i]), max_age)
            age[i], bond[i], contract[i], e = effects.age_and_hazards(
                key[i], step, np.int64(age[i]), np.int64(bond[i]), np.int64(contract[i]),
                max_age, p_retire[k, a], p_death[k, a], p_exit[k, a],
            )  # fmt: skip
            event[i] = e
            if e != 0:
                cnt += 1
        counts[ch] = cnt


def _decide_pass_py(
    n, key, origin, country, area, cadre, status, age, bond, contract, agreement, event, slot,
    step, ctx, counts,
):  # fmt: skip
    """Phase 3 marks: each active worker's choice (plus a flag when a contract ends).

    `ctx` is the step's `DecisionContext`; the same cheap pre-check as the agents engine
    (`rules.may_decide`) spares most workers the utilities.
    """
    for ch in prange(counts.shape[0]):
        lo = ch * CHUNK
        hi = min(n, lo + CHUNK)
        cnt = 0
        for i in range(lo, hi):
            if status[i] != rules.ACTIVE or not rules.may_decide(
                key[i], step, agreement[i], contract[i], ctx.p_reconsider
            ):
                event[i] = 0
                continue
            choice, s, ends = rules.decide_worker(
                key[i], step, np.int64(origin[i]), np.int64(country[i]), np.int64(area[i]),
                np.int64(cadre[i]), np.int64(age[i]), np.int64(bond[i]),
                np.int64(agreement[i]), np.int64(contract[i]), ctx,
            )  # fmt: skip
            code = choice + (_ENDS if ends else 0)
            event[i] = code
            slot[i] = s
            if code != 0:
                cnt += 1
        counts[ch] = cnt


def _gather_py(n, event, counts):
    """Row indices of marked workers, in row order (chunk offsets from a prefix sum)."""
    nch = counts.shape[0]
    offsets = np.zeros(nch + 1, dtype=np.int64)
    for ch in range(nch):
        offsets[ch + 1] = offsets[ch] + counts[ch]
    idx = np.empty(offsets[nch], dtype=np.int64)
    for ch in prange(nch):
        j = offsets[ch]
        lo = ch * CHUNK
        hi = min(n, lo + CHUNK)
        for i in range(lo, hi):
            if event[i] != 0:
                idx[j] = i
                j += 1
    return idx


@njit(cache=True)
def _record(cols, m, i, origin, cadre, country, area, age, country_to, area_to, kind, bonded):
    """Write transition `m` of row `i` (its state before the event) into `cols` (9, n)."""
    cols[0, m] = origin[i]
    cols[1, m] = cadre[i]
    cols[2, m] = country[i]
    cols[3, m] = area[i]
    cols[4, m] = country_to
    cols[5, m] = area_to
    cols[6, m] = kind
    cols[7, m] = bonded
    cols[8, m] = age[i]


@njit(cache=True)
def _apply_departures(idx, event, origin, cadre, country, area, age, status):
    """Phase 2 outcome for the marked rows (`effects.departure`): transitions (9, n)."""
    cols = np.empty((9, idx.shape[0]), dtype=np.int64)
    for j in range(idx.shape[0]):
        i = idx[j]
        st, kind, to_c, to_a, bonded = effects.departure(event[i])
        _record(cols, j, i, origin, cadre, country, area, age, to_c, to_a, kind, bonded)
        status[i] = st
    return cols


@njit(cache=True)
def _apply_choices(
    idx, event, origin, cadre, country, area, age, status, bond, agreement, contract
):
    """Phase 3 outcome for the marked rows (`effects.after_choice`).

    Returns the transitions (9, m), the rows of the applicants and their kinds
    (`effects.application_kind`), all in row order.
    """
    n = idx.shape[0]
    cols = np.empty((9, n), dtype=np.int64)
    applicants = np.empty(n, dtype=np.int64)
    kinds = np.empty(n, dtype=np.int64)
    m = 0
    na = 0
    for j in range(n):
        i = idx[j]
        ends = event[i] >= _ENDS
        choice = event[i] - _ENDS if ends else event[i]
        c2, a2, st, g2, k2, kind, to_c, to_a, bonded = effects.after_choice(
            choice, ends, np.int64(origin[i]), np.int64(country[i]), np.int64(area[i]),
            np.int64(bond[i]), np.int64(agreement[i]), np.int64(contract[i]),
        )  # fmt: skip
        if kind != effects.NO_TRANSITION:
            _record(cols, m, i, origin, cadre, country, area, age, to_c, to_a, kind, bonded)
            m += 1
        applies = effects.application_kind(choice)
        if applies >= 0:
            applicants[na] = i
            kinds[na] = applies
            na += 1
        country[i], area[i], status[i], agreement[i], contract[i] = c2, a2, st, g2, k2
    return cols[:, :m], applicants[:na], kinds[:na]


@njit(cache=True)
def _apply_admissions(
    rows, kinds, destination, new_area, channel, contract_steps,
    origin, cadre, country, area, age, bond, agreement, contract,
):  # fmt: skip
    """Phase 4 outcome for the applicants taken (`effects.admission` abroad,
    `effects.homecoming` home): transitions (9, taken)."""
    cols = np.empty((9, rows.shape[0]), dtype=np.int64)
    m = 0
    for j in range(rows.shape[0]):
        if channel[j] == NOT_TAKEN:
            continue
        i = rows[j]
        if kinds[j] == APPLY_EMIGRATE:
            c2, a2, b2, g2, k2, bonded = effects.admission(
                destination[j], new_area[j], channel[j], contract_steps,
                np.int64(bond[i]), np.int64(agreement[i]), np.int64(contract[i]),
            )  # fmt: skip
            _record(cols, m, i, origin, cadre, country, area, age, destination[j], new_area[j],
                    T_EMIGRATE, bonded)  # fmt: skip
            bond[i] = b2
        else:
            c2, a2, g2, k2 = effects.homecoming(np.int64(origin[i]), new_area[j])
            _record(cols, m, i, origin, cadre, country, area, age, c2, a2, T_RETURN, 0)
        m += 1
        country[i], area[i], agreement[i], contract[i] = c2, a2, g2, k2
    return cols[:, :m]


def _age_counts_py(n, country, cadre, status, age, steps_per_year, n_countries, n_cadres):
    """Active workers by (country, cadre, whole years of age), histograms over 8 fixed blocks.

    The per-block histograms are zeroed and summed by explicit loops: in the parallel build an
    array expression (`np.zeros`, `.sum(axis=0)`) would each be a parallel region of its own.
    """
    blocks = 8
    size = (n + blocks - 1) // blocks
    partial = np.empty((blocks, n_countries, n_cadres, AGE_YEARS), dtype=np.int64)
    for ch in prange(blocks):
        part = partial[ch]
        for c in range(n_countries):
            for k in range(n_cadres):
                for y in range(AGE_YEARS):
                    part[c, k, y] = 0
        lo = ch * size
        hi = min(n, lo + size)
        for i in range(lo, hi):
            if status[i] == rules.ACTIVE:
                years = min(age[i] // steps_per_year, AGE_YEARS - 1)
                part[country[i], cadre[i], years] += 1
    return _sum_blocks(partial)


@njit(cache=True)
def _sum_blocks(partial):
    """Sum of the per-block histograms over the first axis (any shape after it)."""
    flat = partial.reshape(partial.shape[0], -1)
    out = flat[0].copy()
    for ch in range(1, flat.shape[0]):
        for j in range(flat.shape[1]):
            out[j] += flat[ch, j]
    return out.reshape(partial.shape[1:])


def _builds(func):
    """A kernel compiled twice: serial (small populations) and parallel (large ones).

    Both builds run the same chunks in the same order of rows, so they give identical results.
    """
    return {False: njit(cache=True)(func), True: njit(parallel=True, cache=True)(func)}


_HAZARD = _builds(_hazard_pass_py)
_DECIDE = _builds(_decide_pass_py)
_GATHER = _builds(_gather_py)


@njit(cache=True)
def _compact_all(
    n, key, worker_id, origin, country, area, cadre, status, age, bond, contract, agreement
):
    """Compaction of every field (numba needs homogeneous tuples, so fields are listed)."""
    j = 0
    for i in range(n):
        if status[i] == rules.ACTIVE:
            if i != j:
                key[j] = key[i]
                worker_id[j] = worker_id[i]
                origin[j] = origin[i]
                country[j] = country[i]
                area[j] = area[i]
                cadre[j] = cadre[i]
                status[j] = status[i]
                age[j] = age[i]
                bond[j] = bond[i]
                contract[j] = contract[i]
                agreement[j] = agreement[i]
            j += 1
    return j


def _count_py(n, origin, country, area, cadre, status, n_countries, n_cadres):
    """Recount the stock tensor [origin, country, area, cadre] (histograms over 8 fixed blocks)."""
    blocks = 8
    size = (n + blocks - 1) // blocks
    partial = np.empty((blocks, n_countries, n_countries, 2, n_cadres), dtype=np.int64)
    for ch in prange(blocks):
        part = partial[ch].reshape(-1)
        for j in range(part.shape[0]):
            part[j] = 0
        lo = ch * size
        hi = min(n, lo + size)
        for i in range(lo, hi):
            if status[i] == rules.ACTIVE:
                partial[ch, origin[i], country[i], area[i], cadre[i]] += 1
    return _sum_blocks(partial)


_AGE_COUNTS = _builds(_age_counts_py)
_COUNT = _builds(_count_py)


class ArrayPopulation:
    """The worker population as a struct of arrays with spare capacity for graduates."""

    def __init__(self, model, capacity: int = 1024):
        self.model = model
        self.n = 0
        self.capacity = 0
        self.a: dict[str, np.ndarray] = {}
        self._reserve(capacity)
        self._app_idx = np.zeros(0, dtype=np.int64)
        self._app_kind = np.zeros(0, dtype=np.int64)
        self._app_dest = np.zeros(0, dtype=np.int64)

    # ------------------------------------------------------------- storage
    def _reserve(self, needed: int) -> None:
        if needed <= self.capacity:
            return
        new_cap = max(needed, int(self.capacity * 1.25) + 1024)
        for name, dtype in {**FIELDS, **SCRATCH}.items():
            arr = np.zeros(new_cap, dtype=dtype)
            if name in self.a:
                arr[: self.n] = self.a[name][: self.n]
            self.a[name] = arr
        self.capacity = new_cap

    def reserve(self, capacity: int) -> None:
        """Make room for `capacity` workers without reallocating."""
        self._reserve(capacity)

    def add(self, new: NewWorkers) -> None:
        """Append workers (initial workers block by block, then each step's graduates)."""
        m = new.worker_id.shape[0]
        if m and int(new.worker_id[-1]) > np.iinfo(np.int32).max:
            raise HrhsimError(
                "the arrays engine numbers workers with 32-bit ids and this run creates more "
                "than 2,147,483,647 workers",
                expected="a larger scale.workers_per_agent or fewer years",
            )
        self._reserve(self.n + m)
        lo, hi = self.n, self.n + m
        a = self.a
        a["key"][lo:hi] = new.key
        a["worker_id"][lo:hi] = new.worker_id
        a["origin"][lo:hi] = new.origin
        a["country"][lo:hi] = new.country
        a["area"][lo:hi] = new.area
        a["cadre"][lo:hi] = new.cadre
        a["status"][lo:hi] = rules.ACTIVE
        a["age"][lo:hi] = new.age_steps
        a["bond"][lo:hi] = new.bond_steps
        a["contract"][lo:hi] = 0
        a["agreement"][lo:hi] = effects.NO_AGREEMENT
        self.n = hi

    def _counts(self) -> np.ndarray:
        return np.zeros((self.n + CHUNK - 1) // CHUNK, dtype=np.int64)

    def _columns(self, *names: str) -> tuple[np.ndarray, ...]:
        return tuple(self.a[name] for name in names)

    # ------------------------------------------------------------- phases
    def age_and_hazards(self, step: int, hazards: HazardContext) -> Transitions:
        """Phase 2 for every worker; departed workers are marked and compacted yearly."""
        a, n = self.a, self.n
        counts = self._counts()
        par = n >= PARALLEL_MIN_ROWS
        _HAZARD[par](
            n, *self._columns("key", "cadre", "status", "age", "bond", "contract", "event"),
            step, hazards.p_retire, hazards.p_death, hazards.p_exit, hazards.max_age_steps,
            counts,
        )  # fmt: skip
        idx = _GATHER[par](n, a["event"], counts)
        cols = _apply_departures(
            idx, a["event"], *self._columns("origin", "cadre", "country", "area", "age", "status")
        )
        return Transitions.from_columns(*cols)

    def decide(self, step: int, ctx: DecisionContext) -> tuple[Transitions, Applicants]:
        """Phase 3 for every worker: moves and leaving now; applicants abroad and home."""
        a, n = self.a, self.n
        counts = self._counts()
        par = n >= PARALLEL_MIN_ROWS
        _DECIDE[par](
            n,
            *self._columns(
                "key", "origin", "country", "area", "cadre", "status", "age", "bond", "contract",
                "agreement", "event", "slot",
            ),
            step, ctx, counts,
        )  # fmt: skip
        idx = _GATHER[par](n, a["event"], counts)
        cols, rows, kinds = _apply_choices(
            idx,
            a["event"],
            *self._columns(
                "origin", "cadre", "country", "area", "age", "status", "bond", "agreement",
                "contract",
            ),
        )  # fmt: skip
        origin = a["origin"][rows].astype(np.int64)
        emigrate = kinds == APPLY_EMIGRATE
        self._app_idx = rows
        self._app_kind = kinds
        self._app_dest = origin.copy()
        self._app_dest[emigrate] = ctx.destination_of_slot[a["slot"][rows[emigrate]]]
        applicants = Applicants(
            a["worker_id"][rows].astype(np.int64),
            a["key"][rows].copy(),
            origin,
            a["cadre"][rows].astype(np.int64),
            self._app_dest.copy(),
            a["country"][rows].astype(np.int64),
            kinds.copy(),
        )
        return Transitions.from_columns(*cols), applicants

    def admit(
        self, channel: np.ndarray, area: np.ndarray, contract_steps: np.ndarray
    ) -> Transitions:
        """Phase 4 outcome: applicants taken move abroad or go home."""
        cols = _apply_admissions(
            self._app_idx,
            self._app_kind,
            self._app_dest,
            area.astype(np.int64),
            channel.astype(np.int64),
            np.asarray(contract_steps, dtype=np.int64),
            *self._columns(
                "origin", "cadre", "country", "area", "age", "bond", "agreement", "contract"
            ),
        )
        return Transitions.from_columns(*cols)

    def end_year(self) -> None:
        """Drop departed workers, keeping row order (worker_id order is preserved)."""
        a = self.a
        self.n = int(
            _compact_all(
                self.n,
                a["key"],
                a["worker_id"],
                a["origin"],
                a["country"],
                a["area"],
                a["cadre"],
                a["status"],
                a["age"],
                a["bond"],
                a["contract"],
                a["agreement"],
            )
        )

    def age_counts(self, n_countries: int, n_cadres: int, steps_per_year: int) -> np.ndarray:
        """Active workers by (country, cadre, whole years of age) (C, K, AGE_YEARS)."""
        a = self.a
        return _AGE_COUNTS[self.n >= PARALLEL_MIN_ROWS](
            self.n, a["country"], a["cadre"], a["status"], a["age"], steps_per_year,
            n_countries, n_cadres,
        )  # fmt: skip

    def count(self, n_countries: int, n_cadres: int) -> np.ndarray:
        """Recount the stock tensor [origin, country, area, cadre] from the arrays."""
        a = self.a
        return _COUNT[self.n >= PARALLEL_MIN_ROWS](
            self.n,
            a["origin"],
            a["country"],
            a["area"],
            a["cadre"],
            a["status"],
            n_countries,
            n_cadres,
        )

    def __len__(self) -> int:
        return int(np.count_nonzero(self.a["status"][: self.n] == rules.ACTIVE))
