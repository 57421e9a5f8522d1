"""The calibration's numerical methods on problems with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.calibrate import methods
from sim.calibrate.spec import Prior


def _comp(z, obs=0.01, bound=None):
    z = np.asarray(z, dtype=float)
    return methods.Comparison(
        ids=tuple(f"t{i}" for i in range(len(z))),
        z=z,
        obs_var=np.full(len(z), obs),
        md_var=np.zeros(len(z)),
        bound=np.zeros(len(z)) if bound is None else np.asarray(bound, dtype=float),
    )


def test_implausibility_counts_bounds_only_on_their_wrong_side():
    comp = _comp([1.0, 1.0, 1.0], obs=1.0, bound=[0, 1, -1])  # value, lower bound, upper bound
    mean = np.array([[3.0, 3.0, 3.0], [-1.0, -1.0, -1.0]])
    imp = methods.implausibility(mean, np.zeros_like(mean), np.zeros(3), comp)
    assert imp[0].tolist() == pytest.approx([2.0, 0.0, 2.0])  # above: only the upper bound fails
    assert imp[1].tolist() == pytest.approx([2.0, 2.0, 0.0])  # below: only the lower bound fails


def test_implausibility_includes_every_variance():
    comp = _comp([0.0], obs=1.0)
    comp = methods.Comparison(comp.ids, comp.z, comp.obs_var, np.array([1.0]), comp.bound)
    imp = methods.implausibility(np.array([[4.0]]), np.array([[1.0]]), np.array([1.0]), comp)
    assert imp[0, 0] == pytest.approx(2.0)  # 4 / sqrt(1 + 1 + 1 + 1)


def test_the_rank_th_largest_implausibility():
    imp = np.array([[1.0, 5.0, 3.0], [0.0, 0.0, 0.0]])
    assert methods.combine_implausibility(imp, 1).tolist() == [5.0, 0.0]
    assert methods.combine_implausibility(imp, 2).tolist() == [3.0, 0.0]
    assert methods.combine_implausibility(imp, 9).tolist() == [1.0, 0.0]


def test_likelihood_of_a_bound_is_the_probability_beyond_it():
    comp = _comp([1.0], obs=1.0, bound=[1])
    far_above = methods.log_likelihood(np.array([[10.0]]), np.zeros((1, 1)), np.zeros(1), comp)
    at = methods.log_likelihood(np.array([[1.0]]), np.zeros((1, 1)), np.zeros(1), comp)
    assert far_above[0] == pytest.approx(0.0, abs=1e-9)
    assert at[0] == pytest.approx(np.log(0.5))


def test_reachability_names_the_targets_no_run_meets_and_the_best_compromise():
    # targets at 0, 10 and 100 (sd 1); runs span 0-20 on the first two, 0-5 on the third
    comp = _comp([0.0, 10.0, 100.0], obs=1.0)
    y = np.array([[0.0, 20.0, 5.0], [2.0, 12.0, 0.0], [20.0, 10.0, 1.0], [np.nan, 9.0, 4.0]])
    reach = methods.reachability(y, comp, cutoff=3.0)
    assert reach.min_implausibility.tolist() == pytest.approx([0.0, 0.0, 95.0])
    # the third target is out of reach; of the others, run 1 (2, 2) beats run 0 (0, 10)
    # and run 2 (20, 0); run 3 lacks the first target (NaN counts as the worst)
    assert reach.best_point == 1
    assert reach.best_implausibility.tolist() == pytest.approx([2.0, 2.0, 100.0])


def test_reachability_counts_a_bound_met_and_a_target_never_simulated():
    comp = _comp([10.0, 0.0], obs=1.0, bound=[1, 0])  # a lower bound ">10", and a value
    y = np.array([[50.0, np.nan], [11.0, np.nan]])
    reach = methods.reachability(y, comp, cutoff=3.0)
    assert reach.min_implausibility[0] == 0.0 and np.isnan(reach.min_implausibility[1])
    empty = methods.reachability(np.zeros((0, 2)), comp, cutoff=3.0)
    assert empty.best_point == -1 and np.isnan(empty.min_implausibility).all()


def test_the_emulator_learns_a_smooth_function_and_its_noise():
    rng = np.random.default_rng(1)
    x = rng.random((80, 2))
    f = np.column_stack([np.sin(3 * x[:, 0]) + x[:, 1], 2 * x[:, 1]])
    y = f + rng.normal(0, 0.05, f.shape)
    em = methods.Emulator(("a", "b"), seed=0).fit(x, y)
    test = rng.random((200, 2))
    mean, var = em.predict(test)
    truth = np.column_stack([np.sin(3 * test[:, 0]) + test[:, 1], 2 * test[:, 1]])
    assert np.sqrt(np.mean((mean - truth) ** 2)) < 0.05
    assert em.noise == pytest.approx([0.05**2, 0.05**2], rel=0.6)
    assert all(d.r2 > 0.95 and d.within_3sd >= 0.9 for d in em.diagnostics)
    assert (var >= 0).all()


def test_a_constant_output_needs_no_gp():
    x = np.random.default_rng(0).random((30, 2))
    em = methods.Emulator(("c",)).fit(x, np.full((30, 1), 2.5))
    mean, var = em.predict(x[:3])
    assert mean.ravel().tolist() == [2.5, 2.5, 2.5] and var.ravel().tolist() == [0, 0, 0]
    assert (em.diagnostics[0].r2, em.diagnostics[0].within_3sd) == (1.0, 1.0)


def test_without_validation_no_output_reports_a_validation_score():
    """validate=0 leaves r2 and coverage uncomputed for every output, a constant one included
    (it had read 1.0, as if validated, beside the others' None)."""
    rng = np.random.default_rng(1)
    x = rng.random((30, 2))
    y = np.column_stack([np.full(30, 2.5), x[:, 0] + rng.normal(0, 0.05, 30)])
    em = methods.Emulator(("c", "v")).fit(x, y, validate=0.0)
    assert [(d.r2, d.within_3sd) for d in em.diagnostics] == [(None, None), (None, None)]


def test_sampling_a_known_region_estimates_its_share():
    rng = np.random.default_rng(2)
    inside, share, empty = methods.sample_nroy(lambda u: u[:, 0] < 0.3, 3, 100, rng, pool=20000)
    assert share == pytest.approx(0.3, abs=0.02)
    assert not empty and (inside[:, 0] < 0.3).all() and len(inside) >= 100


def test_an_empty_region_falls_back_to_the_least_implausible_points():
    rng = np.random.default_rng(3)
    points, share, empty = methods.sample_nroy(
        lambda u: np.zeros(len(u), bool), 2, 10, rng, pool=2000, fallback=lambda u: u[:, 0]
    )
    assert empty and share == 0.0
    assert points[:, 0].max() < 0.1  # the lowest scores


def test_maximin_subsets_spread_out():
    rng = np.random.default_rng(4)
    pts = rng.random((2000, 2))
    chosen = methods.maximin_subset(pts, 20, rng)
    random = pts[:20]

    def closest(p):
        d = np.sqrt(((p[:, None, :] - p[None, :, :]) ** 2).sum(-1)) + np.eye(len(p)) * 9
        return d.min()

    assert closest(chosen) > 2 * closest(random)


def test_importance_posterior_recovers_a_gaussian_posterior():
    """Uniform prior on the cube x Gaussian likelihood (mean 0.3, 0.6; sd 0.05): analytic answer."""
    rng = np.random.default_rng(5)
    mu, sd = np.array([0.3, 0.6]), 0.05

    def loglik(u):
        return -0.5 * np.sum(((u - mu) / sd) ** 2, axis=1)

    region = rng.random((4000, 2))
    region = region[np.all(np.abs(region - mu) < 3 * sd, axis=1)]
    post = methods.importance_posterior(region, loglik, None, rng, proposals=8000, draws=2000)
    assert post.draws.mean(axis=0) == pytest.approx(mu, abs=0.01)
    assert post.draws.std(axis=0) == pytest.approx([sd, sd], rel=0.15)
    assert post.ess > 500
    assert np.all(np.abs(post.best - mu) < 2 * sd)


def test_morris_screening_finds_the_active_parameters():
    unit = methods.morris_design(4, 10, 4, seed=1)
    y = np.column_stack([3 * unit[:, 0] + unit[:, 2] ** 2, np.zeros(len(unit))])
    mu = methods.morris_mu_star(unit, y, 4)
    assert mu[0, 0] == pytest.approx(3.0)
    assert mu[1, 0] == 0 and mu[3, 0] == 0 and mu[2, 0] > 0.5
    floor = methods.morris_noise_floor(np.array([0.1, 0.0]), 4, 10)
    assert floor[0] > 0.1 and floor[1] == 0


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=3, max_size=3),
)
def test_prior_unit_values_round_trip_including_integers(u):
    prior = Prior(
        names=("a", "b", "c"),
        low=(-2.0, 60.0, 0.0),
        high=(1.0, 67.0, 0.5),
        default=(0.0, 63.0, 0.1),
        integer=(False, True, False),
    )
    values = prior.values(np.array([u]))[0]
    assert -2.0 <= values[0] <= 1.0 and 0.0 <= values[2] <= 0.5
    assert values[1] == int(values[1]) and 60 <= values[1] <= 67
    back = prior.values(prior.unit(values[None, :]))[0]
    assert back == pytest.approx(values)
    params = prior.as_params(values)
    assert isinstance(params["b"], int) and isinstance(params["a"], float)
