"""Engine `arrays`: the worker population as a struct of arrays, stepped by numba kernels.

Workers are rows of compact arrays (27 bytes each, plus 3 bytes of per-step scratch). Kernels
run in parallel over fixed chunks of rows and call the same rules as the agents engine
(`sim.model.rules`); each phase first marks events per worker, then gathers the marked rows chunk by
chunk in row order, so the result never depends on the number of threads. What happened is
returned as `Transitions` for the shared accounting, exactly as the agents engine does.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.errors import HrhsimError
from sim.model import rules
from sim.model.ledger import (
    T_DEATH,
    T_EMIGRATE,
    T_EXIT,
    T_LEAVE,
    T_MOVE,
    T_RETIRE,
    T_RETURN,
    Transitions,
)

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
    n,
    key,
    cadre,
    status,
    age,
    bond,
    contract,
    event,
    step,
    retire_from,
    max_age,
    p_retire,
    p_death,
    p_exit,
    counts,
):
    """Phase 2 marks: age every active worker one step, then draw retirement, death, exit."""
    for ch in prange(counts.shape[0]):
        lo = ch * CHUNK
        hi = min(n, lo + CHUNK)
        cnt = 0
        for i in range(lo, hi):
            if status[i] != rules.ACTIVE:
                event[i] = 0
                continue
            age[i] += 1
            if bond[i] > 0:
                bond[i] -= 1
            if contract[i] > 0:
                contract[i] -= 1
            e = rules.hazard_event(
                key[i],
                step,
                np.int64(age[i]),
                retire_from[cadre[i]],
                max_age,
                p_retire,
                p_death,
                p_exit,
            )
            event[i] = e
            if e != 0:
                cnt += 1
        counts[ch] = cnt


def _decide_pass_py(
    n,
    key,
    origin,
    country,
    area,
    cadre,
    status,
    bond,
    contract,
    agreement,
    event,
    slot,
    step,
    p_reconsider,
    context,
    counts,
):
    """Phase 3 marks: each active worker's choice (plus a flag when a contract ends).

    `context` is `DecisionContext.rule_arrays()`, passed through to `rules.decide_worker`.
    """
    for ch in prange(counts.shape[0]):
        lo = ch * CHUNK
        hi = min(n, lo + CHUNK)
        cnt = 0
        for i in range(lo, hi):
            if status[i] != rules.ACTIVE:
                event[i] = 0
                continue
            # The same cheap pre-check as the agents engine: most workers neither reach the end
            # of a contract nor reconsider this step, and need no utilities.
            if not (
                (agreement[i] >= 0 and contract[i] <= 0)
                or rules.reconsiders(key[i], step, p_reconsider)
            ):
                event[i] = 0
                continue
            choice, s, ends = rules.decide_worker(
                key[i],
                step,
                np.int64(origin[i]),
                np.int64(country[i]),
                np.int64(area[i]),
                np.int64(cadre[i]),
                np.int64(bond[i]),
                np.int64(agreement[i]),
                np.int64(contract[i]),
                context,
            )
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


@njit(parallel=True, cache=True)
def _count(n, origin, country, area, cadre, status, n_countries, n_cadres):
    """Recount the stock tensor [origin, country, area, cadre] (histograms over 8 fixed blocks)."""
    blocks = 8
    size = (n + blocks - 1) // blocks
    partial = np.zeros((blocks, n_countries, n_countries, 2, n_cadres), dtype=np.int64)
    for ch in prange(blocks):
        lo = ch * size
        hi = min(n, lo + size)
        for i in range(lo, hi):
            if status[i] == rules.ACTIVE:
                partial[ch, origin[i], country[i], area[i], cadre[i]] += 1
    return partial.sum(axis=0)


class ArrayPopulation:
    """The worker population as a struct of arrays with spare capacity for graduates."""

    def __init__(self, model, capacity: int = 1024):
        self.model = model
        self.n = 0
        self.capacity = 0
        self.a: dict[str, np.ndarray] = {}
        self._reserve(capacity)
        self._app_idx = np.zeros(0, dtype=np.int64)
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

    def _append(self, wid, key, origin, country, area, cadre, age, bond) -> None:
        m = wid.shape[0]
        if m and int(wid[-1]) > np.iinfo(np.int32).max:
            raise HrhsimError(
                "the arrays engine numbers workers with 32-bit ids and this run creates more "
                "than 2,147,483,647 workers",
                expected="a larger scale.workers_per_agent or fewer years",
            )
        self._reserve(self.n + m)
        lo, hi = self.n, self.n + m
        a = self.a
        a["key"][lo:hi] = key
        a["worker_id"][lo:hi] = wid
        a["origin"][lo:hi] = origin
        a["country"][lo:hi] = country
        a["area"][lo:hi] = area
        a["cadre"][lo:hi] = cadre
        a["status"][lo:hi] = rules.ACTIVE
        a["age"][lo:hi] = age
        a["bond"][lo:hi] = bond
        a["contract"][lo:hi] = 0
        a["agreement"][lo:hi] = -1
        self.n = hi

    def reserve(self, capacity: int) -> None:
        """Make room for `capacity` workers without reallocating."""
        self._reserve(capacity)

    def add_initial(self, wid, key, origin, country, area, cadre, age) -> None:
        """Create initial workers (called block by block)."""
        self._append(wid, key, origin, country, area, cadre, age, np.zeros_like(wid))

    def add_graduates(self, wid, key, country, cadre, area, age, bond) -> None:
        """Create this step's graduates in their training country."""
        self._append(wid, key, country, country, area, cadre, age, bond)

    def _counts(self) -> np.ndarray:
        return np.zeros((self.n + CHUNK - 1) // CHUNK, dtype=np.int64)

    # ------------------------------------------------------------- phases
    def hazards(self, step: int, hz) -> Transitions:
        """Phase 2 for every worker; departed workers are marked and compacted yearly."""
        a, n = self.a, self.n
        counts = self._counts()
        par = n >= PARALLEL_MIN_ROWS
        _HAZARD[par](
            n,
            a["key"],
            a["cadre"],
            a["status"],
            a["age"],
            a["bond"],
            a["contract"],
            a["event"],
            step,
            hz.retire_from_steps,
            hz.max_age_steps,
            hz.p_retire,
            hz.p_death,
            hz.p_exit,
            counts,
        )
        idx = _GATHER[par](n, a["event"], counts)
        ev = a["event"][idx]
        kind = np.select(
            [ev == rules.EVENT_RETIRE, ev == rules.EVENT_DEATH], [T_RETIRE, T_DEATH], T_EXIT
        ).astype(np.int64)
        status = np.select(
            [ev == rules.EVENT_RETIRE, ev == rules.EVENT_DEATH],
            [rules.RETIRED, rules.DEAD],
            rules.EXITED,
        )
        tr = Transitions.from_columns(
            a["origin"][idx],
            a["cadre"][idx],
            a["country"][idx],
            a["area"][idx],
            np.full(idx.size, -1),
            np.zeros(idx.size),
            kind,
            np.zeros(idx.size),
        )
        a["status"][idx] = status
        return tr

    def decide(self, step: int, ctx) -> tuple[Transitions, tuple]:
        """Phase 3 for every worker: moves, returns and leaving now; applicants for phase 4."""
        a, n = self.a, self.n
        counts = self._counts()
        par = n >= PARALLEL_MIN_ROWS
        _DECIDE[par](
            n,
            a["key"],
            a["origin"],
            a["country"],
            a["area"],
            a["cadre"],
            a["status"],
            a["bond"],
            a["contract"],
            a["agreement"],
            a["event"],
            a["slot"],
            step,
            ctx.p_reconsider,
            ctx.rule_arrays(),
            counts,
        )
        idx = _GATHER[par](n, a["event"], counts)
        ev = a["event"][idx].astype(np.int64)
        a["agreement"][idx[ev >= _ENDS]] = -1
        choice = ev % _ENDS
        origin = a["origin"][idx].astype(np.int64)
        cadre = a["cadre"][idx].astype(np.int64)
        country = a["country"][idx].astype(np.int64)
        area = a["area"][idx].astype(np.int64)
        bonded = (a["bond"][idx] > 0).astype(np.int64)

        move = choice == rules.CHOICE_MOVE
        leave = choice == rules.CHOICE_LEAVE
        back = (choice == rules.CHOICE_RETURN) | (choice == rules.CHOICE_CONTRACT_RETURN)
        emig = choice == rules.CHOICE_EMIGRATE
        acted = move | leave | back
        to_country = np.where(move, country, np.where(back, origin, -1))
        to_area = np.where(move, 1 - area, 0)
        kind = np.where(move, T_MOVE, np.where(back, T_RETURN, T_LEAVE))
        tr = Transitions.from_columns(
            origin[acted],
            cadre[acted],
            country[acted],
            area[acted],
            to_country[acted],
            to_area[acted],
            kind[acted],
            np.where(leave, bonded, 0)[acted],
        )
        a["area"][idx[move]] = 1 - a["area"][idx[move]]
        a["status"][idx[leave]] = rules.EXITED
        ib = idx[back]
        a["country"][ib] = a["origin"][ib]
        a["area"][ib] = rules.URBAN
        a["agreement"][ib] = -1
        a["contract"][ib] = 0

        self._app_idx = idx[emig]
        self._app_dest = ctx.destination_of_slot[a["slot"][self._app_idx].astype(np.int64)]
        ia = self._app_idx
        applicants = (
            a["worker_id"][ia].astype(np.int64),
            a["key"][ia].copy(),
            a["origin"][ia].astype(np.int64),
            a["cadre"][ia].astype(np.int64),
            self._app_dest.copy(),
            a["area"][ia].astype(np.int64),
        )
        return tr, applicants

    def admit(
        self, channel: np.ndarray, area: np.ndarray, contract_steps: np.ndarray
    ) -> Transitions:
        """Phase 4 outcome: applicants given a post move to their destination."""
        a = self.a
        taken = channel != -2
        idx = self._app_idx[taken]
        dest = self._app_dest[taken]
        new_area = area[taken]
        ch = channel[taken]
        tr = Transitions.from_columns(
            a["origin"][idx],
            a["cadre"][idx],
            a["country"][idx],
            a["area"][idx],
            dest,
            new_area,
            np.full(idx.size, T_EMIGRATE),
            (a["bond"][idx] > 0),
        )
        a["country"][idx] = dest
        a["area"][idx] = new_area
        a["bond"][idx] = 0
        if contract_steps.size:
            steps = np.where(ch >= 0, contract_steps[np.maximum(ch, 0)], 0)
        else:
            steps = np.zeros(idx.size, dtype=np.int64)
        fixed = steps > 0
        a["agreement"][idx[fixed]] = ch[fixed]
        a["contract"][idx[fixed]] = steps[fixed]
        self._app_idx = np.zeros(0, dtype=np.int64)
        return tr

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

    def count(self, n_countries: int, n_cadres: int) -> np.ndarray:
        """Recount the stock tensor [origin, country, area, cadre] from the arrays."""
        a = self.a
        return _count(
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
