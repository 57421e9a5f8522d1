"""The numerical methods of the calibration, free of the model: they take arrays, return arrays.

- **Screening** (Morris 1991, with SALib): elementary effects of each parameter on each fitted
  target, scaled by the target's total error; parameters that move no target by at least
  `threshold` of its error across their range are inert and stay at their default.
- **Emulation** (scikit-learn Gaussian processes): one GP per fitted target on the active
  parameters in prior units (the unit cube), Matern 5/2 kernel with one length scale per input and a
  white-noise term for the model's stochasticity.
- **History matching** (Vernon, Goldstein & Bower 2010; Andrianakis et al. 2015): the
  implausibility of a parameter point for target j is
  `I_j = |z_j - E[f_j]| / sqrt(V_obs + V_md + V_em + V_noise)`; a point is ruled out when the
  `rank`-th largest I_j exceeds `cutoff` (3, Pukelsheim's three-sigma rule). Bounds (">X") only
  count on their wrong side.
- **Posterior** on the last non-implausible region: importance sampling of the emulator's
  Gaussian likelihood (same variances) under the uniform prior, with a defensive Gaussian-mixture
  proposal fitted to the non-implausible points; the effective sample size is reported.

Targets are compared on their comparison scale (log for counts, shares and rates; linear for policy
responses), so errors are relative where they should be.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

__all__ = [
    "Comparison",
    "Emulator",
    "Reach",
    "combine_implausibility",
    "implausibility",
    "importance_posterior",
    "log_likelihood",
    "maximin_subset",
    "morris_design",
    "morris_mu_star",
    "morris_noise_floor",
    "reachability",
    "sample_nroy",
]

log = logging.getLogger(__name__)


class NoSupportError(ValueError):
    """Importance sampling found no proposal with a positive posterior weight."""


@dataclass(frozen=True)
class Comparison:
    """The fitted targets on their comparison scale: observed z, variances, bounds."""

    ids: tuple[str, ...]
    z: np.ndarray
    """(m,) observed values (transformed)."""
    obs_var: np.ndarray
    md_var: np.ndarray
    bound: np.ndarray
    """(m,) 0 for a value, +1 for a lower bound (">X"), -1 for an upper bound ("<X")."""

    @property
    def scale(self) -> np.ndarray:
        """(m,) sd of observation plus discrepancy (the size of an error that matters)."""
        return np.sqrt(self.obs_var + self.md_var)


# --------------------------------------------------------------------------------------------------
# screening


def morris_design(d: int, trajectories: int, levels: int, seed: int) -> np.ndarray:
    """(trajectories * (d + 1), d) Morris points in the unit cube (SALib)."""
    from SALib.sample import morris

    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0, 1]] * d}
    return np.asarray(morris.sample(problem, trajectories, num_levels=levels, seed=seed))


def morris_mu_star(unit: np.ndarray, y: np.ndarray, levels: int, seed: int = 0) -> np.ndarray:
    """(d, m) Morris mu* of each parameter on each output (SALib), in output units per range.

    NaN outputs (undefined in a run) are replaced by the column median.
    """
    from SALib.analyze import morris

    d = unit.shape[1]
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0, 1]] * d}
    out = np.zeros((d, y.shape[1]))
    for j in range(y.shape[1]):
        col = y[:, j].astype(float)
        bad = ~np.isfinite(col)
        if bad.all():
            continue
        col[bad] = np.median(col[~bad])
        res = morris.analyze(
            problem, unit, col, num_levels=levels, print_to_console=False, seed=seed
        )
        out[:, j] = np.asarray(res["mu_star"], dtype=float)
    return out


def morris_noise_floor(noise_sd: np.ndarray, levels: int, trajectories: int) -> np.ndarray:
    """(m,) the mu* that run-to-run noise alone reaches (mean plus two standard errors).

    An elementary effect of pure noise is a difference of two runs over the step
    Delta = levels / (2 (levels - 1)): normal with sd sqrt(2) sigma / Delta, so |EE| has mean
    sd sqrt(2/pi) and sd sd sqrt(1 - 2/pi); mu* averages `trajectories` of them. Common random
    numbers within a trajectory make real noise smaller: the floor errs towards keeping noise out.
    """
    delta = levels / (2.0 * (levels - 1))
    sd = math.sqrt(2.0) * np.asarray(noise_sd, dtype=float) / delta
    return sd * (math.sqrt(2 / math.pi) + 2 * math.sqrt(1 - 2 / math.pi) / math.sqrt(trajectories))


# --------------------------------------------------------------------------------------------------
# emulation


@dataclass
class EmulatorDiagnostics:
    """Validation of one output's GP on points left out of its fit."""

    target: str
    n_train: int
    r2: float | None
    """Share of the left-out variance the emulator's mean explains (Q2); None when not computed
    (fewer than `MIN_VALIDATION_RUNS` runs with a finite value)."""
    within_3sd: float | None
    """Share of left-out points within 3 predictive sd (including noise): ~1 when honest; None
    when not computed, as `r2`."""
    noise_sd: float
    signal_sd: float


MIN_VALIDATION_RUNS = 20
"""Runs (with a finite value) an emulator needs before it is validated on a left-out share of
them; with fewer, its `r2` and `within_3sd` are not computed (None, `null` in calibration.json)."""


class Emulator:
    """One Gaussian process per output, on inputs in the unit cube.

    `predict` returns the latent mean and variance (the emulator's uncertainty about the expected
    model output) and `noise` the stochastic variance of one run (the white-noise term).
    """

    def __init__(
        self, ids: tuple[str, ...], seed: int = 0, restarts: int = 0, optimise_on: int = 300
    ) -> None:
        self.ids = ids
        self.seed = seed
        self.restarts = restarts
        self.optimise_on = optimise_on
        """Hyperparameters are optimised on at most this many runs (a random subset), then the GP
        is conditioned on all of them: the gradient of an ARD kernel costs n^2 x d per step."""
        self.gps: list = []
        self.noise = np.zeros(len(ids))
        self.constant = np.full(len(ids), np.nan)
        self.diagnostics: list[EmulatorDiagnostics] = []

    def _kernel(self, d: int):
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        return ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
            length_scale=np.full(d, 0.5), length_scale_bounds=(1e-2, 1e2), nu=2.5
        ) + WhiteKernel(0.1, (1e-6, 1e1))

    def fit(self, x: np.ndarray, y: np.ndarray, *, validate: float = 0.2, jobs: int = 1):
        """Fit on (n, d) inputs and (n, m) outputs; validate on a left-out share first."""
        from joblib import Parallel, delayed

        fits = Parallel(n_jobs=jobs)(
            delayed(_fit_one)(
                x, y[:, j], self._kernel(x.shape[1]), self.seed, self.restarts, validate
            )
            for j in range(y.shape[1])
        )
        self.gps, self.diagnostics = [], []
        for j, (gp, noise, const, diag) in enumerate(fits):
            self.gps.append(gp)
            self.noise[j] = noise
            self.constant[j] = const
            self.diagnostics.append(EmulatorDiagnostics(self.ids[j], *diag))
        return self

    def predict(self, x: np.ndarray, batch: int = 4096) -> tuple[np.ndarray, np.ndarray]:
        """(N, m) latent means and variances at (N, d) inputs."""
        n, m = x.shape[0], len(self.gps)
        mean, var = np.empty((n, m)), np.empty((n, m))
        for j, gp in enumerate(self.gps):
            if gp is None:
                mean[:, j], var[:, j] = self.constant[j], 0.0
                continue
            for s in range(0, n, batch):
                mu, sd = gp.predict(x[s : s + batch], return_std=True)
                mean[s : s + batch, j] = mu
                # sklearn's predictive sd includes the white noise: keep the latent part
                var[s : s + batch, j] = np.maximum(sd**2 - self.noise[j], 0.0)
        return mean, var


def _fit_one(x, y, kernel, seed, restarts, validate, optimise_on=300):
    """Fit one output's GP: (gp or None, noise variance, constant, diagnostics tuple)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor

    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(y) < 5 or np.ptp(y) == 0:
        const = float(np.mean(y)) if len(y) else float("nan")
        # a constant output is predicted exactly, but validated only as the others are: never
        # when validation is off, and not under MIN_VALIDATION_RUNS runs
        exact = 1.0 if validate and len(y) >= MIN_VALIDATION_RUNS else None
        return None, float(np.var(y)) if len(y) else 0.0, const, (len(y), exact, exact, 0.0, 0.0)
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sub = np.arange(len(y))
        if len(y) > optimise_on:
            sub = np.sort(rng.choice(len(y), optimise_on, replace=False))
        gp = GaussianProcessRegressor(
            kernel, normalize_y=True, n_restarts_optimizer=restarts, random_state=seed
        ).fit(x[sub], y[sub])
        if len(sub) < len(y):  # condition on every run with the optimised kernel
            gp = GaussianProcessRegressor(gp.kernel_, normalize_y=True, optimizer=None).fit(x, y)
        r2, within = _validation(gp, x, y, rng, validate)
    noise = _white_noise(gp)
    signal = float(np.sqrt(max(np.var(y) - noise, 0.0)))
    return gp, noise, float(np.mean(y)), (len(y), r2, within, math.sqrt(noise), signal)


def _validation(gp, x, y, rng, validate: float) -> tuple[float | None, float | None]:
    """Q2 and 3-sd coverage of `gp`'s kernel refitted without a random share of the runs.

    Args:
        gp: the fitted GP (its optimised kernel is kept).
        x, y: its inputs and finite outputs.
        rng: draws which runs are left out (each with probability `validate`).
        validate: the share left out (0: no validation).

    Returns:
        (r2, within_3sd); (None, None), not computed, under `MIN_VALIDATION_RUNS` runs or when the
        draw leaves out fewer than 2 of them (no variance to explain).
    """
    from sklearn.gaussian_process import GaussianProcessRegressor

    if not validate or len(y) < MIN_VALIDATION_RUNS:
        return None, None
    test = rng.random(len(y)) < validate
    if test.sum() < 2:
        return None, None
    held = GaussianProcessRegressor(gp.kernel_, normalize_y=True, optimizer=None)
    held.fit(x[~test], y[~test])
    mu, sd = held.predict(x[test], return_std=True)
    resid = y[test] - mu
    r2 = 1.0 - float(np.sum(resid**2) / max(np.sum((y[test] - y[test].mean()) ** 2), 1e-300))
    return r2, float(np.mean(np.abs(resid) <= 3 * np.maximum(sd, 1e-300)))


def _white_noise(gp) -> float:
    """The fitted white-noise variance of a GP, in the units of y (undoing normalize_y)."""
    from sklearn.gaussian_process.kernels import WhiteKernel

    level = 0.0
    for k in _leaves(gp.kernel_):
        if isinstance(k, WhiteKernel):
            level += float(k.noise_level)
    return level * float(np.asarray(gp._y_train_std).ravel()[0]) ** 2


def _leaves(kernel):
    for name in ("k1", "k2"):
        sub = getattr(kernel, name, None)
        if sub is not None:
            yield from _leaves(sub)
    if not hasattr(kernel, "k1"):
        yield kernel


# --------------------------------------------------------------------------------------------------
# implausibility and likelihood


def implausibility(
    mean: np.ndarray, var: np.ndarray, noise: np.ndarray, comp: Comparison
) -> np.ndarray:
    """(N, m) implausibility of N points for m targets (bounds: only their wrong side)."""
    total = np.sqrt(var + noise[None, :] + comp.obs_var[None, :] + comp.md_var[None, :])
    diff = comp.z[None, :] - mean
    diff = np.where(comp.bound[None, :] > 0, np.maximum(diff, 0.0), diff)
    diff = np.where(comp.bound[None, :] < 0, np.minimum(diff, 0.0), diff)
    return np.abs(diff) / total


def combine_implausibility(imp: np.ndarray, rank: int) -> np.ndarray:
    """(N,) the `rank`-th largest implausibility of each point (1: the maximum)."""
    if imp.shape[1] == 0:
        return np.zeros(imp.shape[0])
    r = min(rank, imp.shape[1])
    return -np.partition(-imp, r - 1, axis=1)[:, r - 1]


@dataclass(frozen=True)
class Reach:
    """How near the simulated points came to each target (`reachability`)."""

    min_implausibility: np.ndarray
    """(m,) the smallest implausibility of each target over the points (NaN: no finite value)."""
    best_point: int
    """Index of the point whose largest implausibility over the reachable targets is smallest
    (-1 without points)."""
    best_implausibility: np.ndarray
    """(m,) every target's implausibility at that point."""


def reachability(y: np.ndarray, comp: Comparison, cutoff: float) -> Reach:
    """Which targets any of N simulated points (N, m) meets, and the best compromise point.

    A target is reachable when some point's implausibility for it, with only the observation
    and discrepancy variances (the runs themselves, no emulator), is at most `cutoff`; a target
    that no point reaches is outside what the model produces over the explored parameters, which
    no fit can mend. The best point minimises the largest implausibility over the reachable
    targets; the targets above `cutoff` there are the ones that pull against each other.
    """
    if not len(y):
        return Reach(np.full(y.shape[1], np.nan), -1, np.full(y.shape[1], np.nan))
    imp = implausibility(y, np.zeros_like(y), np.zeros(y.shape[1]), comp)
    finite = np.isfinite(imp)
    least = np.where(finite.any(axis=0), np.where(finite, imp, np.inf).min(axis=0), np.nan)
    reachable = least <= cutoff
    worst = np.where(finite, imp, np.inf)[:, reachable].max(axis=1, initial=0.0)
    best = int(np.argmin(worst))
    return Reach(least, best, imp[best])


def log_likelihood(
    mean: np.ndarray, var: np.ndarray, noise: np.ndarray, comp: Comparison
) -> np.ndarray:
    """(N,) Gaussian log-likelihood of the observations; a bound contributes log P(beyond it)."""
    total = var + noise[None, :] + comp.obs_var[None, :] + comp.md_var[None, :]
    sd = np.sqrt(total)
    diff = comp.z[None, :] - mean
    point = -0.5 * diff**2 / total - np.log(sd) - 0.5 * math.log(2 * math.pi)
    lower = norm.logcdf(-diff / sd)  # P(model >= observed bound)
    upper = norm.logcdf(diff / sd)
    b = comp.bound[None, :]
    return np.where(b > 0, lower, np.where(b < 0, upper, point)).sum(axis=1)


# --------------------------------------------------------------------------------------------------
# sampling the non-implausible region


def sample_nroy(
    plausible: Callable[[np.ndarray], np.ndarray],
    d: int,
    n: int,
    rng: np.random.Generator,
    *,
    pool: int = 20000,
    rounds: int = 12,
    fallback: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, float, bool]:
    """At least `n` points of the non-implausible region (unit cube), its volume share, emptiness.

    Uniform candidates estimate the share of the prior volume that is not ruled out; when too
    few pass, accepted points are perturbed (Gaussian steps of half the accepted spread) and
    filtered again. When none passes at all, the `fallback` scores (lower is better) pick the
    least implausible candidates, and the region is reported empty.
    """
    cand = rng.random((pool, d))
    ok = plausible(cand)
    share = float(ok.mean())
    accepted = cand[ok]
    tries = 0
    while len(accepted) == 0 and tries < 3:
        more = rng.random((pool, d))
        okm = plausible(more)
        accepted = more[okm]
        share = float((ok.sum() + okm.sum()) / (pool * (tries + 2)))
        tries += 1
    if len(accepted) == 0:
        if fallback is None:
            return cand[:0], 0.0, True
        score = fallback(cand)
        best = cand[np.argsort(score)[: max(n, 50)]]
        return best, 0.0, True
    r = 0
    while len(accepted) < 4 * n and r < rounds:
        spread = np.std(accepted, axis=0) if len(accepted) > 1 else np.full(d, 0.05)
        spread = np.maximum(spread, 0.01)
        base = accepted[rng.integers(len(accepted), size=pool // 2)]
        moved = np.clip(base + rng.normal(0.0, 0.5, base.shape) * spread, 0.0, 1.0)
        accepted = np.vstack([accepted, moved[plausible(moved)]])
        r += 1
    return accepted, share, False


def maximin_subset(points: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` of `points` spread out by the greedy maximin rule (all of them if there are fewer)."""
    if len(points) <= n:
        return points.copy()
    chosen = [int(rng.integers(len(points)))]
    dist = np.sum((points - points[chosen[0]]) ** 2, axis=1)
    for _ in range(n - 1):
        i = int(np.argmax(dist))
        chosen.append(i)
        dist = np.minimum(dist, np.sum((points - points[i]) ** 2, axis=1))
    return points[np.asarray(chosen)]


@dataclass
class PosteriorSample:
    """Importance-sampling posterior: weighted proposals, resampled draws and diagnostics."""

    draws: np.ndarray
    """(n_draws, d) resampled points (unit cube)."""
    best: np.ndarray
    """(d,) a central, coherent point: the draw nearest the componentwise posterior median,
    distances in posterior standard deviations (the most likely proposal of a noisy emulator sits
    on an edge of any weakly identified direction)."""
    ess: float
    proposals: int
    in_support: int


def _mixture(points: np.ndarray, components: int, inflate: float, seed: int):
    """(weights, means, covariances) of a Gaussian mixture fitted to `points`, inflated."""
    from sklearn.mixture import GaussianMixture

    d = points.shape[1]
    k = max(1, min(components, len(np.unique(points, axis=0)) // (5 * (d + 1))))
    gmm = GaussianMixture(k, covariance_type="full", reg_covar=1e-5, random_state=seed)
    gmm.fit(points)
    return gmm.weights_, gmm.means_, gmm.covariances_ * inflate**2


def _propose(rng, n: int, d: int, mixture, defensive: float) -> tuple[np.ndarray, np.ndarray]:
    """`n` proposals from `defensive` x uniform(cube) + (1 - defensive) x mixture, and q(x)."""
    from scipy.stats import multivariate_normal

    weights, means, covs = mixture
    n_uniform = rng.binomial(n, defensive)
    comp = rng.choice(len(weights), size=n - n_uniform, p=weights)
    parts = [rng.random((n_uniform, d))]
    for c in range(len(weights)):
        cnt = int(np.sum(comp == c))
        if cnt:
            parts.append(rng.multivariate_normal(means[c], covs[c], size=cnt))
    x = np.vstack(parts)
    q = defensive * np.all((x >= 0) & (x <= 1), axis=1).astype(float)
    for c in range(len(weights)):
        dist = multivariate_normal(means[c], covs[c], allow_singular=True)
        q += (1 - defensive) * weights[c] * dist.pdf(x)
    return x, q


def importance_posterior(
    region: np.ndarray,
    loglik: Callable[[np.ndarray], np.ndarray],
    plausible: Callable[[np.ndarray], np.ndarray] | None,
    rng: np.random.Generator,
    *,
    proposals: int = 20000,
    draws: int = 1000,
    defensive: float = 0.1,
    inflate: float = 1.5,
    components: int = 8,
    rounds: int = 4,
    seed: int = 0,
) -> PosteriorSample:
    """Posterior under a uniform prior on the unit cube by adaptive importance sampling.

    Population Monte Carlo (Cappé et al. 2004): the first proposal is a Gaussian mixture fitted to
    the non-implausible points `region`, each later one a mixture fitted to the previous round's
    resampled draws (covariances inflated by `inflate` squared), always mixed with a `defensive`
    share of the uniform prior so that the weights stay bounded. Points outside the cube (prior 0)
    or ruled out by earlier waves (`plausible`) weigh 0; the others w = likelihood / proposal
    density. Each round spends `proposals / rounds` evaluations; the last round's weights are the
    estimate, and its effective sample size is reported.
    """
    d = region.shape[1]
    mixture = _mixture(region, components, inflate, seed)
    per_round = max(proposals // max(rounds, 1), 100)
    for r in range(max(rounds, 1)):
        x, q = _propose(rng, per_round, d, mixture, defensive)
        inside = np.all((x >= 0) & (x <= 1), axis=1)
        if plausible is not None and inside.any():
            inside[inside] = plausible(x[inside])
        ll = np.full(len(x), -np.inf)
        logw = np.full(len(x), -np.inf)
        if inside.any():
            ll[inside] = loglik(x[inside])
            logw[inside] = ll[inside] - np.log(np.maximum(q[inside], 1e-300))
        if not np.isfinite(logw).any():
            raise NoSupportError("no proposal has positive posterior weight")
        w = np.exp(logw - np.max(logw))
        w /= w.sum()
        positions = (rng.random() + np.arange(draws)) / draws
        idx = np.minimum(np.searchsorted(np.cumsum(w), positions), len(x) - 1)
        sample = x[idx]
        if r < rounds - 1:
            mixture = _mixture(sample, components, inflate, seed + r + 1)
    ess = float(1.0 / np.sum(w**2))
    sd = np.maximum(sample.std(axis=0), 1e-9)
    centre = np.median(sample, axis=0)
    best = sample[int(np.argmin(np.sum(((sample - centre) / sd) ** 2, axis=1)))]
    return PosteriorSample(
        draws=sample,
        best=best,
        ess=ess,
        proposals=len(x) * max(rounds, 1),
        in_support=int(inside.sum()),
    )
