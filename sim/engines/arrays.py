"""Engine `arrays`: the worker population as a struct of arrays, stepped by numba kernels.

Workers are rows of compact arrays (20 bytes each). Kernels (`sim.engines.passes`) run in parallel
over fixed chunks of rows and call the same rules as the agents engine (`sim.model.rules`); each
phase first marks events per worker, listing the marked rows of each chunk in row order with
their event codes, then joins the lists chunk by chunk, so the result never depends on the number
of threads, applies the agents engine's effects (`sim.engines.effects`) and returns `Transitions`.
The lists are as long as the columns but on lazily allocated pages (`storage.lazy_zeros`),
written only at the start of each chunk: they take memory in proportion to the rows listed.

Time-dependent state is kept as clocks, so that ageing writes nothing: the population counts its
phase-2 steps (`ArrayPopulation.clock`); a row holds the clock at which the worker was 0 steps old
(`birth`, age = clock − birth) and the clocks at which the bond and the fixed-term contract run
out (`bond`, `contract`; steps left = max(end − clock, 0), the countdowns the agents engine keeps,
`passes._left`), which is what the rules and effects see. The hazard pass writes only marks; it
also runs phase 3's pre-check (`rules.may_decide`) with the previous step's probability of
reconsidering (run again in phase 3 if it changed) and packs the fields phase 3 reads of each
worker passing into a record (`passes.pack_record`), so the decide pass reads only those records.
"""

from __future__ import annotations

import numpy as np

from sim.engines import effects, passes, storage
from sim.engines.passes import CHUNK, CODE, RECORD_WORDS, ROW_IN_CHUNK, SLOT
from sim.model import rules
from sim.model.ledger import T_LEAVE, Transitions
from sim.model.population import APPLY_EMIGRATE, Applicants, NewWorkers
from sim.model.rules import DecisionContext, HazardContext

PARALLEL_MIN_ROWS = CHUNK
"""From one chunk of rows the parallel builds run: as fast or faster at every size measured."""

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
    "agreement": np.int8,  # -1 or an agreement's index: np.int16 beyond 127 (`agreement_type`)
}
BYTES_PER_WORKER = sum(np.dtype(t).itemsize for t in FIELDS.values())
"""In a world of at most 256 countries (the 194 WHO Member States) and 127 agreements; 2 more
beyond 256 countries, 1 more beyond 127 agreements. The passes' lists (`LISTS`) and phase 3's
records take memory only for the rows they list."""
LISTS = {"marked": ROW_IN_CHUNK, "codes": CODE, "slots": SLOT, "cands": ROW_IN_CHUNK}
"""The passes' lists, chunk by chunk (`sim.engines.passes`): marked rows' offsets in their chunk,
their event or decision codes and slots, and phase 3's candidates' offsets."""


def field_types(n_countries: int) -> dict:
    """The columns' types for a world of `n_countries`: country indices in one byte where they
    fit (`FIELDS`), else in two (at most 2**15 countries: `passes.pack_record`)."""
    if n_countries <= np.iinfo(np.uint8).max + 1:
        return dict(FIELDS)
    return {**FIELDS, "origin": np.int16, "country": np.int16}


def agreement_type(n_agreements: int) -> type:
    """The `agreement` column's type for `n_agreements`: it holds -1 (`effects.NO_AGREEMENT`) or
    an agreement's index, in one byte up to 127 agreements, else in two (`passes.pack_record`
    packs 16 bits)."""
    return np.int8 if n_agreements <= np.iinfo(np.int8).max else np.int16


_HAZARD, _DECIDE, _PRECHECK = passes.HAZARD, passes.DECIDE, passes.PRECHECK
_GATHER, _DEPART, _CHOICES = passes.GATHER, passes.DEPART, passes.CHOICES
_AGE_COUNTS, _COUNT = passes.AGE_COUNTS, passes.COUNT
"""The kernels' serial and parallel builds (`sim.engines.passes`), picked by size."""


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
        n_agreements = len(model.agreements.source) if model is not None else 0
        self._types["agreement"] = agreement_type(n_agreements)
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
        self._lists = {name: storage.lazy_zeros(new_cap, t) for name, t in LISTS.items()}
        self._lists["records"] = storage.lazy_zeros(RECORD_WORDS * new_cap, np.int64).reshape(
            new_cap, RECORD_WORDS
        )
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

    def _list(self, *names: str) -> tuple[np.ndarray, ...]:
        """Passes' lists, chunk by chunk: `LISTS` or `records` (rows, `RECORD_WORDS`) (kept
        across steps)."""
        return tuple(self._lists[name][: max(self.n, 1)] for name in names)

    def _columns(self, *names: str) -> tuple[np.ndarray, ...]:
        return tuple(self.a[name] for name in names)

    # ------------------------------------------------------------- phases
    def age_and_hazards(self, step: int, hazards: HazardContext) -> Transitions:
        """Phase 2 for every worker; departed workers are marked and compacted yearly."""
        a, n = self.a, self.n
        storage.check_clock(self.clock + 1)
        self.clock += 1
        counts, ccounts = self._counts(), self._counts()
        marked, codes, slots = self._list("marked", "codes", "slots")
        cands, records = self._list("cands", "records")
        par = n >= PARALLEL_MIN_ROWS
        p = self._p_reconsider
        _HAZARD[par](
            n, *self._columns("key", "cadre", "origin", "country", "area", "status", "birth"),
            *self._columns("bond", "agreement", "contract"),
            marked, codes, cands, records, step, self.clock, hazards.p_retire, hazards.p_death,
            hazards.p_exit, hazards.p_any, hazards.max_age_steps, p, counts, ccounts,
        )  # fmt: skip
        # Phase 3's pre-check done with last step's probability, valid for this step and clock
        # until the rows change (`add`, `admit`, `end_year`) and if phase 3's probability is
        # the same (`decide`); so are the records (phase 2 writes only marked rows' status).
        self._cands = (step, self.clock, p, cands, records, ccounts) if p >= 0.0 else None
        idx, code, _ = _GATHER[par](marked, codes, slots, counts)
        cols = _DEPART[par](
            idx,
            code,
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
            cands, records, ccounts = pre[3:]
        else:
            ccounts = self._counts()
            cands, records = self._list("cands", "records")
            _PRECHECK[par](
                n, *self._columns("key", "origin", "country", "area", "cadre", "status", "birth"),
                *self._columns("bond", "contract", "agreement"), cands, records, step,
                self.clock, ctx.p_reconsider, ccounts,
            )  # fmt: skip
        self._p_reconsider = float(ctx.p_reconsider)
        counts = self._counts()
        marked, codes, slots = self._list("marked", "codes", "slots")
        _DECIDE[par](records, cands, ccounts, marked, codes, slots, step, self.clock, ctx, counts)
        idx, code, slot = _GATHER[par](marked, codes, slots, counts)
        cols, moved, applies = _CHOICES[par](
            idx,
            code,
            *self._columns(
                "origin", "cadre", "country", "area", "birth", "status", "bond", "agreement",
                "contract",
            ),
            self.clock,
        )  # fmt: skip
        cols = cols[:, : storage.keep_columns(cols, moved)]  # in place: no copy
        take = applies >= 0
        rows, kinds, slot = idx[take], applies[take], slot[take]
        self.active -= int(np.count_nonzero(cols[6] == T_LEAVE))  # the only choice that departs
        origin = a["origin"][rows].astype(np.int64)
        emigrate = kinds == APPLY_EMIGRATE
        self._app_idx = rows
        self._app_kind = kinds
        self._app_dest = origin.copy()
        self._app_dest[emigrate] = ctx.destination_of_slot[slot[emigrate]]
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
        cols = passes.apply_admissions(
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
        a, parallel = self.a, self.n >= PARALLEL_MIN_ROWS
        return _AGE_COUNTS[parallel](
            self.n, a["country"], a["cadre"], a["status"], a["birth"], self.clock,
            steps_per_year, n_countries, n_cadres, passes.AGE_COUNT_BLOCKS if parallel else 1,
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
