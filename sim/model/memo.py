"""Elementwise functions of arrays that change little from one step to the next."""

from __future__ import annotations

import numpy as np


class Elementwise:
    """A numpy ufunc of one float64 array, recomputed only at the cells whose input changed.

    The network term ln(1 + D) of the destination utility (`sim.model.utilities`) changes in
    about 1% of its (origin, destination, cadre) cells a step; the others keep last step's value.
    A cell is recomputed when its input differs from last call's bit for bit (a NaN equal to
    itself, −0 apart from +0), so the result is the ufunc's own, to the last bit, in every cell.
    """

    def __init__(self, ufunc: np.ufunc):
        self.ufunc = ufunc
        self._x: np.ndarray | None = None  # last call's input, a copy
        self._y: np.ndarray | None = None  # ufunc(_x)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """ufunc(x), a new array (the cells whose input did not change taken from last call)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        if self._x is None or self._x.shape != x.shape:
            self._x = x.copy()
            self._y = self.ufunc(self._x)
            return self._y.copy()
        flat_x, last_x, last_y = x.reshape(-1), self._x.reshape(-1), self._y.reshape(-1)
        changed = np.flatnonzero(flat_x.view(np.int64) != last_x.view(np.int64))
        if changed.size:
            new = flat_x[changed]
            last_x[changed] = new
            last_y[changed] = self.ufunc(new)
        return self._y.copy()
