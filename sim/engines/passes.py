"""The arrays engine's per-row kernels (`sim.engines.arrays`), each built serial and parallel.

Every kernel runs over fixed chunks of `CHUNK` rows. A pass lists the rows it marks chunk by chunk:
chunk `ch`'s entries are `lo + 0 .. lo + count - 1` of a list as long as the columns (`lo = ch *
CHUNK`), so the lists are written only at the start of each chunk and, on lazily allocated pages
(`storage.lazy_zeros`), take memory in proportion to the rows listed. Beside each marked row's
offset in its chunk (`marked`) the pass lists its event or decision code (`codes`) and the slot of
its destination (`slots`); beside each of phase 3's candidates (`cands`) the hazard pass, or the
pre-check, packs the fields the decide pass reads into a record of 3 words (`pack_record`), which
that pass then reads in order instead of re-reading 9 columns at scattered rows. `_gather_py`
joins the lists of a pass in row order, so the result never depends on the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.engines import effects
from sim.jitcache import serial_and_parallel
from sim.model import rules
from sim.model.ledger import T_EMIGRATE, T_RETURN
from sim.model.matching import NOT_TAKEN
from sim.model.population import AGE_YEARS, APPLY_EMIGRATE

CHUNK = 1 << 15
"""Rows per chunk of the parallel kernels (fixed, so results never depend on threads)."""
ROW_IN_CHUNK = np.uint16
"""A pass lists rows as their offset in their chunk (CHUNK ≤ 2**16): 2 bytes a row, not 4."""
DRAWS = 1024
"""Rows whose draws the hazard pass makes together, in a loop the compiler vectorises."""
if np.iinfo(ROW_IN_CHUNK).max < CHUNK - 1:  # the largest offset must fit
    raise ImportError("arrays.CHUNK must not exceed 2**16 rows: row lists hold 16-bit offsets")

CODE, SLOT = np.int8, np.int16
"""Types of the lists of each marked row's event or decision code, and of its slot."""
RECORD_WORDS = 3
"""int64 words of a candidate's record (`pack_record`): 24 bytes a candidate."""

_ENDS = 8  # flag added to a decision code when a fixed-term contract ends without return
_LOW = 0xFFFF  # 16 bits


@njit(cache=True, inline="always")
def _left(end, clock):
    """Steps left of a bond or contract that runs out at `end`: the countdown the agents engine
    keeps. A countdown set to v >= 0 at clock c and run down by one (not below 0) in each of the
    next t phase-2 steps is max(v - t, 0) = max((c + v) - (c + t), 0)."""
    return max(np.int64(end) - clock, 0)


@njit(cache=True, inline="always")
def _halves(a, b, c, d):
    """Four 16-bit integers (each any value of an 8- or 16-bit column, signed or not) in one
    int64 word: `a` in bits 0-15, `b` 16-31, `c` 32-47, `d` 48-63 (two's complement)."""
    return (
        (np.int64(a) & _LOW)
        | ((np.int64(b) & _LOW) << 16)
        | ((np.int64(c) & _LOW) << 32)
        | ((np.int64(d) & _LOW) << 48)
    )


@njit(cache=True, inline="always")
def _half(word, shift):
    """The signed 16-bit integer in bits `shift` to `shift + 15` of `word`, as int64."""
    v = (word >> shift) & _LOW
    return v - ((v & 0x8000) << 1)


@njit(cache=True, inline="always")
def pack_record(recs, j, key, origin, country, area, cadre, birth, bond, contract, agreement):
    """Write the fields phase 3 reads of one worker into record `j` of `recs` (rows, 3) int64:
    the key, then origin, country, area and cadre, then birth, bond, contract and agreement, 16
    bits each (country indices fit: at most 2**15 countries, `arrays.field_types`)."""
    recs[j, 0] = key
    recs[j, 1] = _halves(origin, country, area, cadre)
    recs[j, 2] = _halves(birth, bond, contract, agreement)


@njit(cache=True, inline="always")
def unpack_record(recs, j):
    """The fields of record `j` of `recs` as int64: (key, origin, country, area, cadre, birth,
    bond, contract, agreement), the values `pack_record` was given."""
    w1, w2 = recs[j, 1], recs[j, 2]
    return (
        recs[j, 0], _half(w1, 0), _half(w1, 16), _half(w1, 32), _half(w1, 48),
        _half(w2, 0), _half(w2, 16), _half(w2, 32), _half(w2, 48),
    )  # fmt: skip


_decide_worker = njit(inline="always")(rules.decide_worker.py_func)  # inlined: a call costs 4x


def _hazard_pass_py(
    n, key, cadre, origin, country, area, status, birth, bond, agreement, contract, marked, codes,
    cands, recs, step, clock, p_retire, p_death, p_exit, p_any, max_age, p_reconsider, counts,
    ccounts,
):  # fmt: skip
    """Phase 2 marks: every active worker ages one step and draws its hazard (`effects`).

    `clock` is the population's clock after this step's ageing. Ageing writes nothing: the age
    is clock - birth, and bonds and contracts run out at fixed clocks (`_left`), so the
    countdowns `effects.age_and_hazards` returns are not needed (its event does not depend on
    them; they are passed as 0); it is called only where `rules.hazard_possible`, its exact
    pre-check, holds. Marked rows are listed chunk by chunk in `marked`, their events in `codes`
    (`_gather_py`).

    Each block of `DRAWS` rows is first looked at in a loop the compiler vectorises: the rules'
    own draws (`rules.hazard_draw`, `rules.reconsider_draw`) against bounds of the thresholds
    (`rules.hazard_bounds`) leave out the rows for which neither rule can hold; the rules then run
    unchanged on the rows left, about one in ten.

    With `p_reconsider` >= 0 the pass also lists, in `cands` and `ccounts`, the workers who stay
    and pass phase 3's pre-check (`_precheck_py`) with that probability at this step and clock,
    with their records in `recs` (rows, 3) (`pack_record`): nothing changes those fields before
    phase 3 (the outcome of phase 2 writes only the status of marked rows).
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
                    codes[lo + cnt] = e
                    marked[lo + cnt] = i - lo
                    cnt += 1
                elif decides and rules.may_decide(
                    key[i], step, agreement[i], _left(contract[i], clock), p_reconsider
                ):
                    cands[lo + cc] = i - lo
                    pack_record(
                        recs, lo + cc, key[i], origin[i], country[i], area[i], k, birth[i],
                        bond[i], contract[i], agreement[i],
                    )  # fmt: skip
                    cc += 1
        counts[ch] = cnt
        ccounts[ch] = cc


def _precheck_py(
    n, key, origin, country, area, cadre, status, birth, bond, contract, agreement, cands, recs,
    step, clock, p_reconsider, ccounts,
):  # fmt: skip
    """Phase 3's cheap pre-check of the agents engine (`rules.may_decide`: a contract ends or the
    worker reconsiders) for every active worker: those who pass are listed chunk by chunk in
    `cands` (`ccounts` per chunk), with their records in `recs` (rows, 3) (`pack_record`); the
    others stay without any utility being read."""
    for ch in prange(ccounts.shape[0]):
        lo = ch * CHUNK
        hi = min(n, lo + CHUNK)
        cc = 0
        for i in range(lo, hi):
            if status[i] == rules.ACTIVE and rules.may_decide(
                key[i], step, agreement[i], _left(contract[i], clock), p_reconsider
            ):
                cands[lo + cc] = i - lo
                pack_record(
                    recs, lo + cc, key[i], origin[i], country[i], area[i], cadre[i], birth[i],
                    bond[i], contract[i], agreement[i],
                )  # fmt: skip
                cc += 1
        ccounts[ch] = cc


def _decide_pass_py(recs, cands, ccounts, marked, codes, slots, step, clock, ctx, counts):
    """Phase 3 marks: the choice of each worker who passed the pre-check (`cands`, `ccounts` and
    their records `recs` (rows, 3), as listed by `_precheck_py` or the hazard pass), plus a flag
    when a contract ends: the decision codes in `codes`, the slots in `slots`.

    `ctx` is the step's `DecisionContext`. The rules see the age and the steps left of bond and
    contract at `clock` (`_left`). The records are read in order, no column at all.
    """
    for ch in prange(counts.shape[0]):
        lo = ch * CHUNK
        cnt = 0
        for t in range(ccounts[ch]):
            key, origin, country, area, cadre, birth, bond, contract, agreement = unpack_record(
                recs, lo + t
            )
            choice, s, ends = _decide_worker(
                key, step, origin, country, area, cadre, clock - birth, _left(bond, clock),
                agreement, _left(contract, clock), ctx,
            )  # fmt: skip
            code = choice + (_ENDS if ends else 0)
            if code != 0:
                codes[lo + cnt] = code
                slots[lo + cnt] = s
                marked[lo + cnt] = cands[lo + t]
                cnt += 1
        counts[ch] = cnt


def _gather_py(marked, codes, slots, counts):
    """Row indices of marked workers, in row order: the `counts[ch]` rows a pass listed from
    `marked[ch * CHUNK]` for each chunk, joined (chunk offsets from a prefix sum); with their
    codes and slots, listed alike (a pass that lists no slots leaves them unused)."""
    nch = counts.shape[0]
    offsets = np.zeros(nch + 1, dtype=np.int64)
    for ch in range(nch):
        offsets[ch + 1] = offsets[ch] + counts[ch]
    idx = np.empty(offsets[nch], dtype=np.int64)
    code = np.empty(offsets[nch], dtype=CODE)
    slot = np.empty(offsets[nch], dtype=SLOT)
    for ch in prange(nch):
        j = offsets[ch]
        lo = ch * CHUNK
        for t in range(counts[ch]):
            idx[j + t] = lo + np.int64(marked[lo + t])
            code[j + t] = codes[lo + t]
            slot[j + t] = slots[lo + t]
    return idx, code, slot


@njit(cache=True)
def _record(
    cols, m, i, origin, cadre, country, area, birth, clock, country_to, area_to, kind, bonded
):
    """Write transition `m` of row `i` (its state before the event, its age at `clock`) into
    `cols` (9, n)."""
    cols[0, m], cols[1, m], cols[2, m], cols[3, m] = origin[i], cadre[i], country[i], area[i]
    cols[4, m], cols[5, m], cols[6, m], cols[7, m] = country_to, area_to, kind, bonded
    cols[8, m] = clock - np.int64(birth[i])


def _apply_departures_py(idx, code, origin, cadre, country, area, birth, clock, status):
    """Phase 2 outcome for the marked rows `idx` (m,) with their events `code` (m,)
    (`effects.departure`): transitions (9, m), row j's in column j (each row on its own: the
    parallel build shares the rows between threads)."""
    cols = np.empty((9, idx.shape[0]), dtype=np.int64)
    for j in prange(idx.shape[0]):
        i = idx[j]
        st, kind, to_c, to_a, bonded = effects.departure(code[j])
        _record(cols, j, i, origin, cadre, country, area, birth, clock, to_c, to_a, kind, bonded)
        status[i] = st
    return cols


def _apply_choices_py(
    idx, code, origin, cadre, country, area, birth, status, bond, agreement, contract, clock
):
    """Phase 3 outcome for the marked rows `idx` (m,) with their decision codes `code` (m,)
    (`effects.after_choice`), each row on its own (as `_apply_departures_py`); `decide` keeps
    the transitions made and the applicants, in row order.

    Returns the transitions (9, m) with `moved` (m,), whether row j made one (its column j),
    and the kind of application of each row (`effects.application_kind`; < 0: none).
    """
    n = idx.shape[0]
    cols = np.empty((9, n), dtype=np.int64)
    moved = np.empty(n, dtype=np.bool_)
    applies = np.empty(n, dtype=np.int64)
    for j in prange(n):
        i = idx[j]
        ends = code[j] >= _ENDS
        choice = code[j] - _ENDS if ends else code[j]
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
def apply_admissions(
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


def _age_counts_py(
    n, country, cadre, status, birth, clock, steps_per_year, n_countries, n_cadres, blocks
):  # fmt: skip
    """Active workers by (country, cadre, whole years of age), histograms over `blocks` blocks
    of rows (`AGE_COUNT_BLOCKS` for the parallel build, 1 for the serial one: integer counts, the
    same whatever the blocks).

    The per-block histograms are zeroed and summed by explicit loops: in the parallel build an
    array expression (`np.zeros`, `.sum(axis=0)`) would each be a parallel region of its own.
    """
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


_builds = serial_and_parallel  # serial and parallel builds, cached apart

HAZARD = _builds(_hazard_pass_py)
DECIDE = _builds(_decide_pass_py)
PRECHECK = _builds(_precheck_py)
GATHER = _builds(_gather_py)
DEPART = _builds(_apply_departures_py)
CHOICES = _builds(_apply_choices_py)
AGE_COUNTS = _builds(_age_counts_py)
AGE_COUNT_BLOCKS = 8
"""Blocks of rows of the parallel build of `_age_counts_py`, each with its own histogram (the
serial build uses one: zeroing and summing 8 histograms of C·K·100 counts cost more than the rows
of a small population)."""
COUNT = _builds(_count_py)
