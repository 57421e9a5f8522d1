"""The momentum of 2008-2020: the paths of training output and funded posts (ODD §7.2, §7.6).

Both start from what the world's data observed up to its base year y_ref (the growth of each
country's stock, `World.stock_growth`) and fade toward their long-run drivers with one time
constant, `workforce.training_trend_persistence` τ:

- `Trend`: graduate output grows at the observed growth of the stock until y_ref, then converges
  to population growth (docs/data.md §2.5); the same path projects the initial stocks from their
  data years to the start year, so that any start year is consistent;
- `PostsTrend`: funded posts of fully employed workforces keep the part of that growth above
  their fiscal-space path, fading after y_ref (`workforce.posts_trend_weight`).

Shapes use C countries, K cadres; growth rates are 1/year, years calendar years.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.declarations import CADRES

if TYPE_CHECKING:
    from sim.inputs.world import World


def _fading(y_ref: float, tau: float, lo: float, b: float) -> float:
    """exp(−(lo − y_ref)/τ) − exp(−(b − y_ref)/τ): ∫_lo^b exp(−(s − y_ref)/τ) ds over τ, for
    y_ref ≤ lo < b (years), the part of both trends' momentum that fades after y_ref."""
    return math.exp(-(lo - y_ref) / tau) - math.exp(-(b - y_ref) / tau)


class Trend:
    """The growth path of training output and of the stocks it sustains (ODD §5.1, §7.6).

    Growth of graduate output at calendar year s, for country c and cadre k:

        g_G(s) = g[c,k]                                          s < y_ref
        g_G(s) = p[c](s) + (g[c,k] − p_ref[c]) · exp(−(s − y_ref) / τ)     s ≥ y_ref

    with g the observed growth of the stock (`World.stock_growth`; population growth for world
    files without it), p(s) the growth of the population projection, p_ref its mean growth over
    the five years from y_ref (the world's base year), τ the persistence. `log_factor(a, b)` is
    ∫_a^b g_G(s) ds in closed form.
    """

    def __init__(self, world: World, population, persistence: float):
        self.population = population  # sim.model.setup.PopulationProjection
        self.y_ref = float(world.base_year)
        self.tau = float(persistence)
        pop_ref = population.at(self.y_ref)
        self.p_ref = np.log(population.at(self.y_ref + 5.0) / pop_ref) / 5.0  # (C,)
        self.observed = world.stock_growth is not None
        """Whether g is observed (`World.stock_growth`), not population growth standing in."""
        if self.observed:
            self.growth = np.asarray(world.stock_growth, dtype=np.float64)
        else:
            self.growth = np.repeat(self.p_ref[:, None], len(CADRES), axis=1)

    def _forward(self, a: float, b: float) -> np.ndarray:
        """∫_a^b g_G for a ≤ b (C, K)."""
        out = self.growth * max(min(b, self.y_ref) - a, 0.0)
        lo = max(a, self.y_ref)
        if b > lo:
            pop = np.log(self.population.at(b) / self.population.at(lo))[:, None]
            decay = _fading(self.y_ref, self.tau, lo, b)
            out = out + pop + (self.growth - self.p_ref[:, None]) * self.tau * decay
        return out

    def log_factor(self, a: float, b: float) -> np.ndarray:
        """ln of the growth factor of graduate output from year a to year b (C, K)."""
        return self._forward(a, b) if b >= a else -self._forward(b, a)

    def rate(self, year: float) -> np.ndarray:
        """g_G at a calendar year (C, K): the growth of graduate output there."""
        return self.log_factor(year - 0.5, year + 0.5)

    def project(self, stock: np.ndarray, data_years: np.ndarray, year: float) -> np.ndarray:
        """Stocks (C, K) observed in `data_years` (C, K) projected along the trend to `year`."""
        out = np.empty_like(stock, dtype=np.float64)
        for y in np.unique(data_years):
            at = data_years == y
            out[at] = stock[at] * np.exp(self.log_factor(float(y), float(year)))[at]
        return out


@dataclass(frozen=True, eq=False)
class PostsTrend:
    """The momentum of a fully employed workforce's observed growth in its funded posts (ODD §7.2).

    Where every trained worker holds a post and vacancies did not fall, the stock grew no faster
    than funded posts, so its observed growth g[c,k] (`World.stock_growth`) is a lower bound of
    theirs. Posts grow along the fiscal-space path (population growth and ε_k · g_y) plus the part
    of g above that path at the reference year, fading with the persistence τ of the training
    trend:

        x[c,k]      = w · max(g[c,k] − p_ref[c] − ε_k · g_y[c], 0)    fully employed c, else 0
        ln T(a, b)  = x[c,k] · ∫_a^b D(s) ds,   D(s) = 1 (s < y_ref), exp(−(s − y_ref)/τ)

    with w = `workforce.posts_trend_weight`, p_ref the population growth of `Trend` over the five
    years from y_ref, g_y real GDP per capita growth and y_ref the world's base year.
    """

    excess: np.ndarray
    """(C, K) 1/year: x, the observed growth above the fiscal-space path at y_ref (0: none)."""
    y_ref: float
    """The world's base year (calendar year)."""
    tau: float
    """Persistence, years (> 0)."""

    @classmethod
    def build(
        cls,
        trend: Trend,
        gdp_growth: np.ndarray,
        elasticity: np.ndarray,
        employed: np.ndarray,
        weight: float,
    ) -> PostsTrend:
        """The posts' momentum of a run.

        Args:
            trend: the training `Trend` (its observed growth g (C, K), p_ref (C,), y_ref, τ); a
                trend without observed growth (world files: population growth stands in) gives
                no momentum.
            gdp_growth: (C,) real GDP per capita growth g_y, 1/year.
            elasticity: (K,) ε_k, the income elasticity of funded posts.
            employed: (C,) bool, the countries whose workforce starts fully employed.
            weight: w ≥ 0.

        Returns:
            The `PostsTrend` with x (C, K), y_ref and τ of `trend`.
        """
        fiscal = trend.p_ref[:, None] + np.asarray(elasticity)[None, :] * gdp_growth[:, None]
        excess = np.maximum(trend.growth - fiscal, 0.0) * float(weight)
        keep = np.asarray(employed, dtype=bool)[:, None] & trend.observed
        return cls(np.where(keep, excess, 0.0), trend.y_ref, trend.tau)

    def decay_integral(self, a: float, b: float) -> float:
        """∫_a^b D(s) ds in years (negative for b < a)."""
        if b < a:
            return -self.decay_integral(b, a)
        before = max(min(b, self.y_ref) - a, 0.0)
        lo = max(a, self.y_ref)
        after = self.tau * _fading(self.y_ref, self.tau, lo, b) if b > lo else 0.0
        return before + after

    def log_factor(self, a: float, b: float) -> np.ndarray:
        """ln T(a, b) (C, K): the momentum's share of ln P(b)/P(a)."""
        return self.excess * self.decay_integral(a, b)
