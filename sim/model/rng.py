"""Counter-based random numbers: every draw of the model is a pure hash of its inputs.

`uniform(seed, worker_id, step, stream)` gives the same number whatever the engine, thread count or
agent visiting order, which is what makes both engines produce identical results (DESIGN §5).
The hash chains SplitMix64 finalisers (Steele, Lea & Flood 2014) over the four counters.
"""

from __future__ import annotations

import numpy as np
from numba import int64, njit, uint64

# Streams: one per kind of draw, so that adding a draw never shifts another.
STREAM_HAZARD = 1
STREAM_RECONSIDER = 2
STREAM_CHOICE = 3
STREAM_DESTINATION = 4
STREAM_MATCH_KEY = 5
STREAM_PASSIVE = 6
STREAM_AREA = 7
STREAM_PLACEMENT = 8
STREAM_PROPENSITY = 9
STREAM_AGE = 10
STREAM_RETURN = 11
STREAM_PREFERENCE = 12

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_M1 = uint64(0xBF58476D1CE4E5B9)
_M2 = uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True, inline="always")
def _mix(z: int) -> int:
    """SplitMix64 finaliser: a bijective avalanche of 64 bits."""
    z = (z ^ (z >> uint64(30))) * _M1
    z = (z ^ (z >> uint64(27))) * _M2
    return z ^ (z >> uint64(31))


@njit(cache=True, inline="always")
def worker_key(seed: int, worker_id: int) -> int:
    """The part of the hash that depends only on (seed, worker): computed once per worker.

    Returned as a signed 64-bit integer with the same bits, so it travels through Python and
    numpy as an ordinary int64.
    """
    z = _mix(uint64(seed) + _GOLDEN)
    return int64(_mix(z ^ (uint64(worker_id) * _GOLDEN + uint64(0x632BE59BD9B4E019))))


@njit(cache=True, inline="always")
def uniform_keyed(key: int, step: int, stream: int) -> float:
    """A uniform number in [0, 1) from a worker's key, the step and the stream."""
    z = _mix(uint64(key) ^ (uint64(step) * _M1 + uint64(0x85EBCA77C2B2AE63)))
    z = _mix(z ^ (uint64(stream) * _M2 + _GOLDEN))
    return (z >> uint64(11)) * _TO_UNIT


@njit(cache=True)
def uniform(seed: int, worker_id: int, step: int, stream: int) -> float:
    """A uniform number in [0, 1) determined only by (seed, worker_id, step, stream).

    Equal to `uniform_keyed(worker_key(seed, worker_id), step, stream)`: engines keep each
    worker's key so that a draw costs two mixing rounds instead of four.
    """
    return uniform_keyed(worker_key(seed, worker_id), step, stream)


def seed_from_sequence(seed_seq: np.random.SeedSequence) -> int:
    """A non-negative 63-bit integer seed for the counter-based generator."""
    return int(seed_seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
