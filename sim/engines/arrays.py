"""Engine `arrays`: the worker population as a struct of arrays, stepped by numba kernels.

Workers are rows of compact arrays (21 bytes each, plus 3 of scratch and 4 of row lists). Kernels
run in parallel over fixed chunks of rows and call the same rules as the agents engine
(`sim.model.rules`); each phase first marks events per worker, listing the marked rows of each
chunk in row order, then joins the lists chunk by chunk, so the result never depends on the number
of threads, applies the agents engine's effects (`sim.engines.effects`) and returns `Transitions`.

Time-dependent state is kept as clocks, so that ageing writes nothing: the population counts its
phase-2 steps (`ArrayPopulation.clock`); a row holds the clock at which the worker was 0 steps old
(`birth`, age = clock − birth) and the clocks at which the bond and the fixed-term contract run
out (`bond`, `contract`; steps left = max(end − clock, 0), the countdowns the agents engine keeps,
`_left`), which is what the rules and effects see. The hazard pass writes only marks; it also
runs phase 3's pre-check (`rules.may_decide`) with the previous step's probability of
reconsidering (run again in phase 3 if it changed), so the decide pass visits only those passing.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.engines import effects, storage
from sim.jitcache import serial_and_parallel
from sim.model import rules
from sim.model.ledger import T_EMIGRATE, T_LEAVE, T_RETURN, Transitions
from sim.model.matching import NOT_TAKEN
from sim.model.population import AGE_YEARS, APPLY_EMIGRATE, Applicants, NewWorkers
from sim.model.rules import DecisionContext, HazardContext

CHUNK = 1 << 15
"""Rows per chunk of the parallel kernels (fixed, so results never depend on threads)."""

PARALLEL_MIN_ROWS = CHUNK
"""From one chunk of rows the parallel builds run: as fast or faster at every size measured."""
ROW_IN_CHUNK = np.uint16
"""A pass lists rows as their offset in their chunk (CHUNK ≤ 2**16): 2 bytes a row, not 4."""
DRAWS = 1024
"""Rows whose draws the hazard pass makes together, in a loop the compiler vectorises."""
if np.iinfo(ROW_IN_CHUNK).max < CHUNK - 1:  # the largest offset must fit
    raise ImportError("arrays.CHUNK must not exceed 2**16 rows: row lists hold 16-bit offsets")

FIELDS = {
    "key": np.int64,  # the worker's part of every counter-based draw (sim.model.rng.worker_key)
    "origin": np.uint8,  # country indices: np.int16 in worlds of more than 256 (`field_types`)
    "country": np.uint8,
    "area": np.int8,
    "cadre": np.int8,
    "status": np.int8,
    "birth": np.int16,  # the clock at age 0 steps: age = clock - birth (may be negative)
    "bond": np.int16,  # the clock at which the bond runs out: steps left = max(bond - clock, 0)
    "contract": np.int16,  # the clock at which the fixed-term contract runs out (likewise)
    "agreement": np.int16,
}
SCRATCH = {"event": np.int8, "slot": np.int16}
BYTES_PER_WORKER = sum(np.dtype(t).itemsize for t in (*FIELDS.values(), *SCRATCH.values()))
"""In a world of at most 256 countries (the 194 WHO Member States); 2 more beyond."""


def field_types(n_countries: int) -> dict:
    """The columns' types for a world of `n_countries`: country indices in one byte where they
    fit (`FIELDS`), else in two."""
    if n_countries <= np.iinfo(np.uint8).max + 1:
        return {**FIELDS, **SCRATCH}
    return {**FIELDS, **SCRATCH, "origin": np.int16, "country": np.int16}


_ENDS = 8  # flag added to a decision code when a fixed-term contract ends without return


@njit(cache=True, inline="always")
def _left(end, clock):
    """Steps left of a bond or contract that runs out at `end`: the countdown the agents engine
    keeps. A countdown set to v >= 0 at clock c and run down by one (not below 0) in each of the
    next t phase-2 steps is max(v - t, 0) = max((c + v) - (c + t), 0)."""
    return max(np.int64(end) - clock, 0)


_decide_worker = njit(inline="always")(rules.decide_worker.py_func)  # inlined: a call costs 4x


def _hazard_pass_py(
    n, key, cadre, origin, country, status, birth, agreement, contract, event, marked, cands,
    step, clock, p_retire, p_death, p_exit, p_any, max_age, p_reconsider, counts, ccounts,
):  # fmt: skip
    """Phase 2 marks: every active worker ages one step and draws its hazard (`effects`).

    `clock` is the population's clock after this step's ageing. Ageing writes nothing: the age
    is clock - birth, and bonds and contracts run out at fixed clocks (`_left`), so the
    countdowns `effects.age_and_hazards` returns are not needed (its event does not depend on
    them; they are passed as 0); it is called only where `rules.hazard_possible`, its exact
    pre-check, holds. Marked rows are listed chunk by chunk in `marked` (`_gather_py`).

    Each block of `DRAWS` rows is first looked at in a loop the compiler vectorises: the rules'
    own draws (`rules.hazard_draw`, `rules.reconsider_draw`) against bounds of the thresholds
    (`rules.hazard_bounds`) leave out the rows for which neither rule can hold; the rules then run
    unchanged on the rows left, about one in ten.

    With `p_reconsider` >= 0 the pass also lists, in `cands` and `ccounts`, the workers who stay
    and pass phase 3's pre-check (`_precheck_py`) with that probability at this step and clock.
    """
    decides = p_reconsider >= 0.0
    young, p_young, p_max = rules.hazard_bounds(p_any)
    for ch in prange(counts.shape[0]):
        lo = ch * CHUNK
        hi = min(n, lo + CHUNK)
        cnt = 0
        cc = 0
        maybe = np.empty(DRAWS, dtype=np.bool_)
        rows = np.empty(DRAWS, dtype=np.int64)
        for b in range(lo, hi, DRAWS):
            end = min(hi, b + DRAWS)
            # Vectorised: which rows of the block might have an event or decide. Below the
            # maximum age, a draw at or above every entry of p_any at the worker's age (p_young
            # at the ages before `young`, else p_max) is no hazard; a worker without an agreement
            # whose draw is at or above p_reconsider does not decide.
            for i in range(b, end):
                aged = clock - np.int64(birth[i])
                bound = p_young if (aged >= 0) & (aged < young) else p_max
                hazard = (aged >= max_age) | (rules.hazard_draw(key[i], step) < bound)
                decide = decides & (
                    (agreement[i] >= 0) | (rules.reconsider_draw(key[i], step) < p_reconsider)
                )
                maybe[i - b] = (status[i] == rules.ACTIVE) & (hazard | decide)
            listed = 0
            for i in range(b, end):  # without branches: the rows that might, listed
                rows[listed] = i
                listed += maybe[i - b]
            for r in range(listed):
                i = rows[r]
                k = cadre[i]
                m = 1 if origin[i] != country[i] else 0  # migrant status
                age = clock - 1 - np.int64(birth[i])  # before this step's ageing
                a = effects.hazard_index(age, max_age)
                e = 0
                if rules.hazard_possible(key[i], step, age + 1, max_age, p_any[m, k, a]):
                    e = effects.age_and_hazards(
                        key[i], step, age, 0, 0, max_age,
                        p_retire[k, a], p_death[k, a], p_exit[m, k, a],
                    )[3]  # fmt: skip
                if e != 0:
                    event[i] = e
                    marked[lo + cnt] = i - lo
                    cnt += 1
                elif decides and rules.may_decide(
                    key[i], step, agreement[i], _left(contract[i], clock), p_reconsider
                ):
                    cands[lo + cc] = i - lo
                    cc += 1
        counts[ch] = cnt
        ccounts[ch] = cc


def _precheck_py(n, key, status, agreement, contract, cands, step, clock, p_reconsider, ccounts):
    """Phase 3's cheap pre-check of the agents engine (`rules.may_decide`: a contract ends or the
    worker reconsiders) for every active worker: those who pass are listed chunk by chunk in
    `cands` (`ccounts` per chunk); the others stay without any utility being read."""
    for ch in prange(ccounts.shape[0]):
        lo = ch * CHUNK
        hi = min(n, lo + CHUNK)
        cc = 0
        for i in range(lo, hi):
            if status[i] == rules.ACTIVE and rules.may_decide(
                key[i], step, agreement[i], _left(contract[i], clock), p_reconsider
            ):
                cands[lo + cc] = i - lo
                cc += 1
        ccounts[ch] = cc


def _decide_pass_py(
    key, origin, country, area, cadre, birth, bond, contract, agreement, event, slot, cands,
    ccounts, marked, step, clock, ctx, counts,
):  # fmt: skip
    """Phase 3 marks: the choice of each worker who passed the pre-check (`cands`, `ccounts`, as
    listed by `_precheck_py` or the hazard pass), plus a flag when a contract ends.

    `ctx` is the step's `DecisionContext`. The rules see the age and the steps left of bond and
    contract at `clock` (`_left`).
    """
    for ch in prange(counts.shape[0]):
        lo = ch * CHUNK
        cnt = 0
        for t in range(ccounts[ch]):
            i = lo + np.int64(cands[lo + t])
            choice, s, ends = _decide_worker(
                key[i], step, np.int64(origin[i]), np.int64(country[i]), np.int64(area[i]),
                np.int64(cadre[i]), clock - np.int64(birth[i]), _left(bond[i], clock),
                np.int64(agreement[i]), _left(contract[i], clock), ctx,
            )  # fmt: skip
            code = choice + (_ENDS if ends else 0)
            if code != 0:
                event[i] = code
                slot[i] = s
                marked[lo + cnt] = i - lo
                cnt += 1
        counts[ch] = cnt


def _gather_py(marked, counts):
    """Row indices of marked workers, in row order: the `counts[ch]` rows a pass listed from
    `marked[ch * CHUNK]` for each chunk, joined (chunk offsets from a prefix sum)."""
    nch = counts.shape[0]
    offsets = np.zeros(nch + 1, dtype=np.int64)
    for ch in range(nch):
        offsets[ch + 1] = offsets[ch] + counts[ch]
    idx = np.empty(offsets[nch], dtype=np.int64)
    for ch in prange(nch):
        j = offsets[ch]
        lo = ch * CHUNK
        for t in range(counts[ch]):
            idx[j + t] = lo + np.int64(marked[lo + t])
    return idx


@njit(cache=True)
def _record(
    cols, m, i, origin, cadre, country, area, birth, clock, country_to, area_to, kind, bonded
):
    """Write transition `m` of row `i` (its state before the event, its age at `clock`) into
    `cols` (9, n)."""
    cols[0, m], cols[1, m], cols[2, m], cols[3, m] = origin[i], cadre[i], country[i], area[i]
    cols[4, m], cols[5, m], cols[6, m], cols[7, m] = country_to, area_to, kind, bonded
    cols[8, m] = clock - np.int64(birth[i])


def _apply_departures_py(idx, event, origin, cadre, country, area, birth, clock, status):
    """Phase 2 outcome for the marked rows (`effects.departure`): transitions (9, n), row j's in
    column j (each row on its own: the parallel build shares the rows between threads)."""
    cols = np.empty((9, idx.shape[0]), dtype=np.int64)
    for j in prange(idx.shape[0]):
        i = idx[j]
        st, kind, to_c, to_a, bonded = effects.departure(event[i])
        _record(cols, j, i, origin, cadre, country, area, birth, clock, to_c, to_a, kind, bonded)
        status[i] = st
    return cols


def _apply_choices_py(
    idx, event, origin, cadre, country, area, birth, status, bond, agreement, contract, clock
):
    """Phase 3 outcome for the marked rows (`effects.after_choice`), each row on its own (as
    `_apply_departures_py`); `decide` keeps the transitions made and the applicants, in row order.

    Returns the transitions (9, n) with `moved` (n,), whether row j made one (its column j),
    and the kind of application of each row (`effects.application_kind`; < 0: none).
    """
    n = idx.shape[0]
    cols = np.empty((9, n), dtype=np.int64)
    moved = np.empty(n, dtype=np.bool_)
    applies = np.empty(n, dtype=np.int64)
    for j in prange(n):
        i = idx[j]
        ends = event[i] >= _ENDS
        choice = event[i] - _ENDS if ends else event[i]
        k1 = _left(contract[i], clock)
        c2, a2, st, g2, k2, kind, to_c, to_a, bonded = effects.after_choice(
            choice, ends, np.int64(origin[i]), np.int64(country[i]), np.int64(area[i]),
            _left(bond[i], clock), np.int64(agreement[i]), k1,
        )  # fmt: skip
        moved[j] = kind != effects.NO_TRANSITION
        if moved[j]:
            _record(cols, j, i, origin, cadre, country, area, birth, clock, to_c, to_a, kind,
                    bonded)  # fmt: skip
        applies[j] = effects.application_kind(choice)
        country[i], area[i], status[i], agreement[i] = c2, a2, st, g2
        if k2 != k1:
            contract[i] = clock + k2
    return cols, moved, applies


@njit(cache=True)
def _apply_admissions(
    rows, kinds, destination, new_area, channel, contract_steps,
    origin, cadre, country, area, birth, bond, agreement, contract, clock,
):  # fmt: skip
    """Phase 4 outcome for the applicants taken (`effects.admission` abroad,
    `effects.homecoming` home): transitions (9, taken). Bonds and contracts are stored as the
    clock at which they run out (`_left`)."""
    cols = np.empty((9, rows.shape[0]), dtype=np.int64)
    m = 0
    for j in range(rows.shape[0]):
        if channel[j] == NOT_TAKEN:
            continue
        i = rows[j]
        k1 = _left(contract[i], clock)
        if kinds[j] == APPLY_EMIGRATE:
            b1 = _left(bond[i], clock)
            c2, a2, b2, g2, k2, bonded = effects.admission(
                destination[j], new_area[j], channel[j], contract_steps,
                b1, np.int64(agreement[i]), k1,
            )  # fmt: skip
            _record(cols, m, i, origin, cadre, country, area, birth, clock, destination[j],
                    new_area[j], T_EMIGRATE, bonded)  # fmt: skip
            if b2 != b1:
                bond[i] = clock + b2
        else:
            c2, a2, g2, k2 = effects.homecoming(np.int64(origin[i]), new_area[j])
            _record(cols, m, i, origin, cadre, country, area, birth, clock, c2, a2, T_RETURN, 0)
        m += 1
        country[i], area[i], agreement[i] = c2, a2, g2
        if k2 != k1:
            contract[i] = clock + k2
    return cols[:, :m]


def _age_counts_py(n, country, cadre, status, birth, clock, steps_per_year, n_countries, n_cadres):
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
                years = min((clock - np.int64(birth[i])) // steps_per_year, AGE_YEARS - 1)
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


_builds = serial_and_parallel  # serial and parallel builds, cached apart

_HAZARD = _builds(_hazard_pass_py)
_DECIDE = _builds(_decide_pass_py)
_PRECHECK = _builds(_precheck_py)
_GATHER = _builds(_gather_py)
_DEPART = _builds(_apply_departures_py)
_CHOICES = _builds(_apply_choices_py)


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

    def __init__(self, model, capacity: int = 0):
        self.model = model
        self.n = 0
        self.active = 0
        """Active rows: kept as they join and leave, so `len` reads no column."""
        self.clock = 0
        """Phase-2 steps run so far: ages, bonds and contracts are kept as clocks (`FIELDS`)."""
        self.capacity = 0
        self.a: dict[str, np.ndarray] = {}
        # A model-less population (the decision-table harness) holds one-byte country indices.
        self._types = field_types(model.setup.n_countries if model is not None else 0)
        self._reserve(max(capacity, 1), grow=False)
        self._app_idx = np.zeros(0, dtype=np.int64)
        self._app_kind = np.zeros(0, dtype=np.int64)
        self._app_dest = np.zeros(0, dtype=np.int64)
        self._p_reconsider = -1.0  # phase 3's last p_reconsider (-1: none yet)
        self._cands: tuple | None = None  # the hazard pass's pre-check, while it holds

    # ------------------------------------------------------------- storage
    def _reserve(self, needed: int, grow: bool = True) -> None:
        """Room for `needed` rows; in growing, for `storage.GROWTH` times as many: rows never
        written cost address space only (`storage.lazy_zeros`), a reallocation copies them all."""
        if needed <= self.capacity:
            return
        new_cap = storage.GROWTH * needed + storage.SPARE_ROWS if grow else needed
        for name, dtype in self._types.items():
            arr = storage.lazy_zeros(new_cap, dtype)
            if name in self.a:
                arr[: self.n] = self.a[name][: self.n]
            self.a[name] = arr
        self._lists = {n: storage.lazy_zeros(new_cap, ROW_IN_CHUNK) for n in ("marked", "cands")}
        self.capacity = new_cap

    def reserve(self, capacity: int) -> None:
        """Room for `capacity` workers, exactly (growing reallocations copy only rows in use:
        the full world's peak memory is 36 MB lower than with room to grow, benchmarks/README)."""
        self._reserve(capacity, grow=False)

    def add(self, new: NewWorkers) -> None:
        """Append workers (initial workers block by block, then each step's graduates)."""
        m = new.worker_id.shape[0]
        birth = self.clock - new.age_steps
        bond = self.clock + new.bond_steps
        if m:
            storage.check_clock(max(-int(birth.min()), int(bond.max())))
        self._cands = None
        self._reserve(self.n + m)
        lo, hi = self.n, self.n + m
        a = self.a
        a["key"][lo:hi] = new.key
        a["origin"][lo:hi] = new.origin
        a["country"][lo:hi] = new.country
        a["area"][lo:hi] = new.area
        a["cadre"][lo:hi] = new.cadre
        a["status"][lo:hi] = rules.ACTIVE
        a["birth"][lo:hi] = birth
        a["bond"][lo:hi] = bond
        a["contract"][lo:hi] = self.clock
        a["agreement"][lo:hi] = effects.NO_AGREEMENT
        self.n = hi
        self.active += m

    def _counts(self) -> np.ndarray:
        return np.zeros((self.n + CHUNK - 1) // CHUNK, dtype=np.int64)

    def _list(self, name: str) -> np.ndarray:
        """A pass's list of rows, chunk by chunk: `marked` or `cands` (kept across steps)."""
        return self._lists[name][: max(self.n, 1)]

    def _columns(self, *names: str) -> tuple[np.ndarray, ...]:
        return tuple(self.a[name] for name in names)

    # ------------------------------------------------------------- phases
    def age_and_hazards(self, step: int, hazards: HazardContext) -> Transitions:
        """Phase 2 for every worker; departed workers are marked and compacted yearly."""
        a, n = self.a, self.n
        storage.check_clock(self.clock + 1)
        self.clock += 1
        counts, marked = self._counts(), self._list("marked")
        ccounts, cands = self._counts(), self._list("cands")
        par = n >= PARALLEL_MIN_ROWS
        p = self._p_reconsider
        _HAZARD[par](
            n, *self._columns("key", "cadre", "origin", "country", "status", "birth"),
            *self._columns("agreement", "contract", "event"),
            marked, cands, step, self.clock, hazards.p_retire, hazards.p_death, hazards.p_exit,
            hazards.p_any, hazards.max_age_steps, p, counts, ccounts,
        )  # fmt: skip
        # Phase 3's pre-check done with last step's probability, valid for this step and clock
        # until the rows change (`add`, `admit`, `end_year`) and if phase 3's probability is
        # the same (`decide`).
        self._cands = (step, self.clock, p, cands, ccounts) if p >= 0.0 else None
        idx = _GATHER[par](marked, counts)
        cols = _DEPART[par](
            idx,
            a["event"],
            *self._columns("origin", "cadre", "country", "area", "birth"),
            self.clock,
            a["status"],
        )
        self.active -= idx.shape[0]  # every marked row departs
        return Transitions.from_columns(*cols)

    def decide(self, step: int, ctx: DecisionContext) -> tuple[Transitions, Applicants]:
        """Phase 3 for every worker: moves and leaving now; applicants abroad and home."""
        a, n = self.a, self.n
        par = n >= PARALLEL_MIN_ROWS
        pre, self._cands = self._cands, None
        if pre is not None and pre[:3] == (step, self.clock, ctx.p_reconsider):
            cands, ccounts = pre[3], pre[4]
        else:
            ccounts, cands = self._counts(), self._list("cands")
            _PRECHECK[par](
                n, *self._columns("key", "status", "agreement", "contract"), cands, step,
                self.clock, ctx.p_reconsider, ccounts,
            )  # fmt: skip
        self._p_reconsider = float(ctx.p_reconsider)
        counts, marked = self._counts(), self._list("marked")
        _DECIDE[par](
            *self._columns(
                "key", "origin", "country", "area", "cadre", "birth", "bond", "contract",
                "agreement", "event", "slot",
            ),
            cands, ccounts, marked, step, self.clock, ctx, counts,
        )  # fmt: skip
        idx = _GATHER[par](marked, counts)
        cols, moved, applies = _CHOICES[par](
            idx,
            a["event"],
            *self._columns(
                "origin", "cadre", "country", "area", "birth", "status", "bond", "agreement",
                "contract",
            ),
            self.clock,
        )  # fmt: skip
        cols = cols[:, : storage.keep_columns(cols, moved)]  # in place: no copy
        rows, kinds = idx[applies >= 0], applies[applies >= 0]
        self.active -= int(np.count_nonzero(cols[6] == T_LEAVE))  # the only choice that departs
        origin = a["origin"][rows].astype(np.int64)
        emigrate = kinds == APPLY_EMIGRATE
        self._app_idx = rows
        self._app_kind = kinds
        self._app_dest = origin.copy()
        self._app_dest[emigrate] = ctx.destination_of_slot[a["slot"][rows[emigrate]]]
        applicants = Applicants(
            rows.astype(np.int64),  # tie order: the rows are in worker-id order
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
        self._cands = None
        contract_steps = np.asarray(contract_steps, dtype=np.int64)
        if contract_steps.size:
            storage.check_clock(self.clock + int(contract_steps.max()))
        cols = _apply_admissions(
            self._app_idx,
            self._app_kind,
            self._app_dest,
            area.astype(np.int64),
            channel.astype(np.int64),
            contract_steps,
            *self._columns(
                "origin", "cadre", "country", "area", "birth", "bond", "agreement", "contract"
            ),
            self.clock,
        )
        return Transitions.from_columns(*cols)

    def end_year(self) -> None:
        """Drop departed workers, keeping row order (worker_id order is preserved)."""
        self._cands = None
        self.n = self.active = int(storage.compact_all(self.n, *self._columns(*FIELDS)))

    def age_counts(self, n_countries: int, n_cadres: int, steps_per_year: int) -> np.ndarray:
        """Active workers by (country, cadre, whole years of age) (C, K, AGE_YEARS)."""
        a = self.a
        return _AGE_COUNTS[self.n >= PARALLEL_MIN_ROWS](
            self.n, a["country"], a["cadre"], a["status"], a["birth"], self.clock,
            steps_per_year, n_countries, n_cadres,
        )  # fmt: skip

    def count(self, n_countries: int, n_cadres: int) -> np.ndarray:
        """Recount the stock tensor [origin, country, area, cadre] from the arrays."""
        return _COUNT[self.n >= PARALLEL_MIN_ROWS](
            self.n, *self._columns("origin", "country", "area", "cadre", "status"), n_countries,
            n_cadres,
        )  # fmt: skip

    def ages(self) -> np.ndarray:
        """Age in steps of every row (n,) int64 (departed rows too, until compaction)."""
        return self.clock - self.a["birth"][: self.n].astype(np.int64)

    def worker(self, row: int) -> dict[str, int]:
        """The state of the worker in `row` as the agents engine keeps it (`HealthWorker`): ages
        and the steps left of bond and contract counted from the clock."""
        state = {name: int(self.a[name][row]) for name in FIELDS}
        born, bond, contract = state.pop("birth"), state.pop("bond"), state.pop("contract")
        state.update(
            age_steps=self.clock - born,
            bond_steps=max(bond - self.clock, 0),
            contract_steps=max(contract - self.clock, 0),
        )
        return state

    def __len__(self) -> int:
        return self.active
