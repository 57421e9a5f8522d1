"""Phase 3 of the arrays engine reads packed records, not the columns (sim/engines/passes.py).

The hazard pass (or, when its list cannot be reused, the pre-check) packs the fields the decide
pass reads of each candidate into 3 int64 words (`passes.pack_record`). The records must give
back every field exactly, at every value its column can hold (negative clocks, two-byte country
indices), and must still equal the columns when phase 3 reads them: a run that reuses the hazard
pass's records steps exactly as one that redoes the pre-check every step.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numba import njit

from sim.engines import arrays, passes
from tests.model_helpers import archetypes, make_model
from tests.test_engines import CASES

NAMES = ("key", "origin", "country", "area", "cadre", "birth", "bond", "contract", "agreement")


@njit  # not cached: pytest and scripts import this module under different names
def _unpack(records, lo, cc):
    """Records lo .. lo + cc - 1 unpacked: (cc, 9) int64."""
    out = np.empty((cc, 9), dtype=np.int64)
    for t in range(cc):
        k, o, c, a, d, b, bd, ct, g = passes.unpack_record(records, lo + t)
        out[t, 0], out[t, 1], out[t, 2], out[t, 3], out[t, 4] = k, o, c, a, d
        out[t, 5], out[t, 6], out[t, 7], out[t, 8] = b, bd, ct, g
    return out


@njit  # not cached: pytest and scripts import this module under different names
def _round_trip(key, origin, country, area, cadre, birth, bond, contract, agreement):
    """Pack row j of the columns into record j, then unpack every record: (n, 9) int64."""
    n = key.shape[0]
    recs = np.zeros((n, passes.RECORD_WORDS), dtype=np.int64)
    for j in range(n):
        passes.pack_record(
            recs, j, key[j], origin[j], country[j], area[j], cadre[j], birth[j], bond[j],
            contract[j], agreement[j],
        )  # fmt: skip
    return _unpack(recs, 0, n)


def _ints(dtype):
    info = np.iinfo(dtype)
    return st.integers(int(info.min), int(info.max))


def _rows(country_type):
    return st.lists(
        st.tuples(
            *(_ints(t) for t in (np.int64, country_type, country_type, np.int8, np.int8)),
            *(_ints(np.int16) for _ in range(4)),
        ),
        min_size=1,
        max_size=40,
    )


def _check_round_trip(rows, country_type, agreement_type=np.int16):
    """Round trip of `rows` through the records; the agreement column two bytes wide unless
    `agreement_type` says (one byte up to 127 agreements, `arrays.agreement_type`)."""
    types = {
        **arrays.FIELDS,
        "origin": country_type,
        "country": country_type,
        "agreement": agreement_type,
    }
    columns = [np.array([r[f] for r in rows], dtype=types[n]) for f, n in enumerate(NAMES)]
    out = _round_trip(*columns)
    for f, name in enumerate(NAMES):
        np.testing.assert_array_equal(out[:, f], columns[f].astype(np.int64), err_msg=name)


_LOWEST = (-(2**63), 0, 0, -128, -128, -(2**15), -(2**15), -(2**15), -(2**15))


@settings(max_examples=60, deadline=None)
@given(rows=_rows(np.uint8))
@example(rows=[_LOWEST, (2**63 - 1, 255, 255, 127, 127, 2**15 - 1, 2**15 - 1, 2**15 - 1, -1)])
def test_a_record_gives_back_every_field_with_one_byte_country_indices(rows):
    _check_round_trip(rows, np.uint8)


@settings(max_examples=60, deadline=None)
@given(rows=_rows(np.int16).map(lambda rows: [(r[0], abs(r[1]) % 2**15, *r[2:]) for r in rows]))
@example(rows=[_LOWEST, (-1, 2**15 - 1, 2**15 - 1, -1, 0, -1, 0, -1, 0)])
def test_a_record_gives_back_every_field_with_two_byte_country_indices(rows):
    """Worlds of more than 256 countries (`arrays.field_types`): int16 country indices (a
    negative one, which no world holds, also comes back: only the origin is kept non-negative)."""
    _check_round_trip(rows, np.int16)


@settings(max_examples=60, deadline=None)
@given(
    rows=_rows(np.uint8).map(lambda rows: [(*r[:8], r[8] // 2**8) for r in rows]),
)
@example(rows=[(*_LOWEST[:8], -128), (2**63 - 1, 255, 255, 127, 127, -1, 0, -1, 127)])
def test_a_record_gives_back_every_field_with_a_one_byte_agreement_column(rows):
    """Scenarios of at most 127 agreements (`arrays.agreement_type`): an int8 agreement column."""
    _check_round_trip(rows, np.uint8, np.int8)


def _check_records_match_columns(pop) -> int:
    """Every record the hazard pass left for phase 3 holds its row's fields now; returns how many
    records were checked."""
    if pop._cands is None:
        return 0
    _, _, _, cands, records, ccounts = pop._cands
    checked = 0
    for ch, cc in enumerate(ccounts):
        lo = ch * arrays.CHUNK
        rows = lo + cands[lo : lo + cc].astype(np.int64)
        fields = _unpack(records, lo, int(cc))
        for f, name in enumerate(NAMES):
            np.testing.assert_array_equal(fields[:, f], pop.a[name][rows], err_msg=name)
        checked += int(cc)
    return checked


def _run(scenario, seed: int, reuse: bool, monkeypatch):
    """Step a model of the arrays engine to the end, with (`reuse`) or without the hazard pass's
    records for phase 3; returns the ledger's flows and stock after every step, the pre-check's
    runs and the records checked against the columns at phase 3."""
    model = make_model(scenario, seed=seed, engine="arrays")
    pop = model.population
    seen = {"prechecks": 0, "checked": 0, "chunks": 0}
    hazards, decide = pop.age_and_hazards, pop.decide

    def age_and_hazards(*args):
        out = hazards(*args)
        if not reuse:
            pop._cands = None  # phase 3 redoes the pre-check and packs its own records
        return out

    def deciding(*args):
        seen["checked"] += _check_records_match_columns(pop)
        seen["chunks"] = max(seen["chunks"], -(-pop.n // arrays.CHUNK))
        return decide(*args)

    pop.age_and_hazards, pop.decide = age_and_hazards, deciding
    builds = passes.PRECHECK  # the builds themselves (not a spy of an earlier run)

    def counted(flag):
        def run(*args):
            seen["prechecks"] += 1
            return builds[flag](*args)

        return run

    monkeypatch.setattr(arrays, "_PRECHECK", {False: counted(False), True: counted(True)})
    history = []
    while model.steps < model.n_steps:
        model.step()
        history.append((model.ledger.step_flows.copy(), model.ledger.stock.copy()))
    return history, seen, model.steps


@pytest.mark.parametrize(
    ("wide", "workers_per_agent"),
    [(False, 100.0), (True, 100.0), (False, 8.0)],
    ids=["one-byte", "two-byte", "parallel-chunks"],
)
def test_decide_from_the_hazard_pass_records_equals_decide_after_its_own_precheck(
    monkeypatch, wide, workers_per_agent
):
    """On the archetype world with every lever; in worlds of more than 256 countries (two-byte
    country columns); and with more than one chunk of rows in the kernels' parallel builds."""
    if wide:
        types = arrays.field_types(1000)
        monkeypatch.setattr(arrays, "field_types", lambda n_countries: types)
    if workers_per_agent < 100.0:
        monkeypatch.setattr(arrays, "PARALLEL_MIN_ROWS", 1)
    scenario = archetypes(
        {
            **CASES["every_lever"],
            "hazards.migrant_attrition_ratio": 0.4,
            "scale.workers_per_agent": workers_per_agent,
        }
    )
    reused, seen, steps = _run(scenario, 6, True, monkeypatch)
    redone, seen_redone, _ = _run(scenario, 6, False, monkeypatch)
    assert seen["prechecks"] == 1  # the records of the hazard pass were used after step 1 ...
    assert seen["checked"] > 1000  # ... and equal the columns when phase 3 read them
    assert seen_redone["prechecks"] == steps and seen_redone["checked"] == 0
    assert len(reused) == len(redone) == steps
    assert (seen["chunks"] > 1) == (workers_per_agent < 100.0)
    for (flows, stock), (flows2, stock2) in zip(reused, redone, strict=True):
        np.testing.assert_array_equal(flows, flows2)
        np.testing.assert_array_equal(stock, stock2)
