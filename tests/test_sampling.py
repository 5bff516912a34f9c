"""Tests of the pure sampling core (stingray_jax.sampling) against analytic posteriors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import optimize, stats

from stingray_jax import sampling
from stingray_jax.sampling import (
    MCMCResult,
    effective_sample_size,
    run_mcmc,
    run_mcmc_batch,
    split_rhat,
    to_constrained,
    to_unconstrained,
)

from ._utils import assert_allclose

MU = np.array([1.0, -2.0])
COV = np.array([[1.0, 0.6], [0.6, 2.0]])
PREC = np.linalg.inv(COV)


def gaussian_logdensity(x, data):
    d = x - data
    return -0.5 * d @ jnp.asarray(PREC) @ d


def _within_mc_error(samples, ess, expected, nsigma=4.0):
    sd = samples.std(axis=0)
    return np.abs(samples.mean(axis=0) - expected) < nsigma * sd / np.sqrt(ess)


@pytest.mark.usefixtures("x64")
class TestGaussianTarget:
    def test_mean_and_covariance(self):
        res = run_mcmc(gaussian_logdensity, [0.0, 0.0], jnp.asarray(MU), num_samples=1000)
        assert isinstance(res, MCMCResult)
        assert res.chains.shape == (4, 1000, 2)
        assert np.all(_within_mc_error(res.samples, res.ess, MU))
        # Sample covariance: relative error of a variance is about sqrt(2 / ess).
        cov = np.cov(res.samples.T)
        tol = 4 * np.sqrt(2 / res.ess.min())
        np.testing.assert_allclose(np.diag(cov), np.diag(COV), rtol=tol)
        corr = cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])
        assert abs(corr - 0.6 / np.sqrt(2.0)) < 0.05
        assert np.all(res.rhat < 1.01)
        assert res.num_divergences == 0
        assert 0.6 < res.acceptance < 0.99

    @pytest.mark.slow
    def test_dense_mass_and_hmc(self):
        for kwargs in ({"dense_mass": True}, {"sampler": "hmc", "num_steps": 10}):
            res = run_mcmc(
                gaussian_logdensity, [0.0, 0.0], jnp.asarray(MU), num_samples=1500, **kwargs
            )
            assert np.all(_within_mc_error(res.samples, res.ess, MU)), kwargs
            assert res.sampler == kwargs.get("sampler", "nuts")

    def test_seeded_and_reproducible(self):
        a = run_mcmc(gaussian_logdensity, [0.0, 0.0], jnp.asarray(MU), num_samples=1000, seed=5)
        b = run_mcmc(gaussian_logdensity, [0.0, 0.0], jnp.asarray(MU), num_samples=1000, seed=5)
        c = run_mcmc(gaussian_logdensity, [0.0, 0.0], jnp.asarray(MU), num_samples=1000, seed=6)
        np.testing.assert_array_equal(a.chains, b.chains)
        assert not np.array_equal(a.chains, c.chains)

    def test_global_numpy_rng_untouched(self):
        state = np.random.get_state()[1].copy()  # noqa: NPY002 (the global RNG is the subject)
        run_mcmc(gaussian_logdensity, [0.0, 0.0], jnp.asarray(MU), init_cov=COV, num_samples=1000)
        np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002

    def test_chain_methods_agree_without_adaptation(self):
        # Same keys and starting points, no warm-up: the same Markov chains up to rounding.
        kw = dict(num_samples=200, num_warmup=0, seed=2, num_chains=2)
        seq = run_mcmc(gaussian_logdensity, [0.0, 0.0], jnp.asarray(MU), **kw)
        vec = run_mcmc(
            gaussian_logdensity, [0.0, 0.0], jnp.asarray(MU), chain_method="vectorized", **kw
        )
        assert_allclose(seq.chains, vec.chains, rtol=1e-12, atol=1e-12)

    @pytest.mark.slow
    def test_chain_methods_agree_statistically(self):
        # With adaptation, rounding differences between the vectorised and the sequential
        # program are amplified (the trajectories separate): compare the distributions.
        kw = dict(num_samples=1000, num_warmup=300, num_chains=4)
        seq = run_mcmc(gaussian_logdensity, [0.0, 0.0], jnp.asarray(MU), seed=2, **kw)
        vec = run_mcmc(
            gaussian_logdensity, [0.0, 0.0], jnp.asarray(MU), chain_method="vectorized", seed=3,
            **kw,
        )  # fmt: skip
        se = np.sqrt(np.diag(COV) / seq.ess + np.diag(COV) / vec.ess)
        diff = np.abs(seq.samples.mean(axis=0) - vec.samples.mean(axis=0))
        np.testing.assert_array_less(diff, 4 * se)
        ratio = seq.samples.var(axis=0) / vec.samples.var(axis=0)
        np.testing.assert_array_less(np.abs(ratio - 1), 4 * np.sqrt(2 / seq.ess + 2 / vec.ess))

    def test_no_recompilation_for_new_data_or_start(self):
        kernels = sampling._compiled_sampler.cache_info()
        run_mcmc(gaussian_logdensity, [0.0, 0.0], jnp.asarray(MU), num_samples=1000)
        fn = sampling._prepare(
            gaussian_logdensity, [0.0, 0.0], None, "nuts", 500, 1000, 4, 0.8, 10, None, None, False
        )[3]["sequential"]
        size = fn._cache_size()
        run_mcmc(gaussian_logdensity, [0.3, 0.1], jnp.asarray(MU + 1.0), num_samples=1000, seed=9)
        assert fn._cache_size() == size
        assert sampling._compiled_sampler.cache_info().hits > kernels.hits


@pytest.mark.usefixtures("x64")
def test_conjugate_psd_posterior_matches_analytic():
    """Constant PSD level S, periodogram P_i ~ S chi2(2m)/(2m), inverse-gamma prior on S.

    The posterior of S is InvGamma(alpha + n m, beta + m sum(P)), known exactly.
    """
    rng = np.random.default_rng(1)
    n, m, level = 400, 3, 2.5
    power = level * rng.chisquare(2 * m, size=n) / (2 * m)
    alpha, beta = 2.0, 1.0

    def logdensity(x, data):
        s = x[0]
        loglike = jnp.sum(-m * jnp.log(s) - m * data / s)  # Gamma(m, s/m), up to constants
        logprior = -(alpha + 1) * jnp.log(s) - beta / s
        return loglike + logprior

    res = run_mcmc(
        logdensity, [1.0], jnp.asarray(power), bounds=[(0, None)], num_samples=2000, seed=3
    )
    post = stats.invgamma(alpha + n * m, scale=beta + m * power.sum())
    mean, std = res.samples[:, 0].mean(), res.samples[:, 0].std()
    assert abs(mean - post.mean()) < 0.1 * post.std()
    assert abs(std - post.std()) < 0.1 * post.std()
    assert np.all(res.rhat < 1.01)


def _powerlaw_psd(params, freq):
    log_amp, index, log_white = params[0], params[1], params[2]
    return jnp.exp(log_amp) * freq ** (-index) + jnp.exp(log_white)


@pytest.mark.slow
@pytest.mark.usefixtures("x64")
def test_psd_posterior_matches_laplace_approximation():
    """Many-bin Whittle posterior: the Laplace approximation (MAP, inverse Hessian) holds."""
    rng = np.random.default_rng(7)
    freq = np.linspace(0.01, 10, 4000)
    truth = np.array([np.log(3.0), 1.6, np.log(2.0)])
    power = np.asarray(_powerlaw_psd(truth, freq)) * rng.exponential(size=freq.size)
    data = (jnp.asarray(freq), jnp.asarray(power))

    def logdensity(x, data):
        f, p = data
        s = _powerlaw_psd(x, f)
        return -jnp.sum(jnp.log(s) + p / s)

    neg = jax.jit(lambda x: -logdensity(x, data))
    fit = optimize.minimize(
        neg, truth, jac=jax.jit(jax.grad(neg)), method="BFGS", options={"gtol": 1e-10}
    )
    cov = np.linalg.inv(np.asarray(jax.hessian(neg)(fit.x)))
    sd = np.sqrt(np.diag(cov))

    res = run_mcmc(logdensity, fit.x, data, num_samples=1500, init_cov=cov, seed=11)
    assert np.all(np.abs(res.samples.mean(axis=0) - fit.x) < 0.1 * sd)
    assert np.all(np.abs(res.samples.std(axis=0) - sd) < 0.1 * sd)
    assert np.all(res.rhat < 1.01)


class TestBounds:
    def test_transform_round_trip_and_jacobian(self, x64):
        low = np.array([-np.inf, 0.0, -np.inf, 1.0])
        high = np.array([np.inf, np.inf, 2.0, 3.0])
        x = np.array([0.7, 0.3, -5.0, 2.9])
        u = to_unconstrained(x, low, high)
        back, logj = to_constrained(jnp.asarray(u), low, high)
        np.testing.assert_allclose(back, x, rtol=1e-12)
        jac = jax.jacfwd(lambda uu: to_constrained(uu, low, high)[0])(jnp.asarray(u))
        np.testing.assert_allclose(logj, np.log(np.abs(np.linalg.det(jac))), rtol=1e-10)

    def test_start_outside_bounds_raises(self):
        with pytest.raises(ValueError, match="not strictly inside its bounds"):
            run_mcmc(gaussian_logdensity, [-1.0, 0.0], MU, bounds=[(0, 1), None])

    @pytest.mark.parametrize(
        ("bounds", "match"),
        [([(1, 0), None], "low must be smaller than high"), ([(0, 1)], "2 parameters")],
    )
    def test_bad_bounds(self, bounds, match):
        with pytest.raises(ValueError, match=match):
            run_mcmc(gaussian_logdensity, [0.5, 0.0], MU, bounds=bounds)

    def test_half_normal(self, x64):
        def logdensity(x, data):
            return -0.5 * jnp.sum(x**2)

        res = run_mcmc(logdensity, [0.5], None, bounds=[(0, None)], num_samples=2000)
        assert res.samples.min() > 0
        expected = np.sqrt(2 / np.pi)
        assert abs(res.samples.mean() - expected) < 4 * res.samples.std() / np.sqrt(res.ess[0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sampler": "emcee"}, "sampler must be one of"),
        ({"num_samples": 0}, "num_samples must be"),
        ({"num_chains": 1.5}, "num_chains must be"),
        ({"target_accept_prob": 1.2}, "target_accept_prob"),
        ({"chain_method": "threads"}, "chain_method must be"),
    ],
)
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        run_mcmc(gaussian_logdensity, [0.0, 0.0], MU, **kwargs)


def test_bad_logdensity_and_init():
    with pytest.raises(TypeError, match="logdensity must be a callable"):
        run_mcmc("not callable", [0.0], None)
    with pytest.raises(ValueError, match="must be finite"):
        run_mcmc(gaussian_logdensity, [np.nan, 0.0], MU)


def test_diagnostics_against_reference():
    rng = np.random.default_rng(0)
    good = rng.standard_normal((4, 1000, 2))
    assert np.all(np.abs(split_rhat(good) - 1) < 0.01)
    # Chains stuck at different places: R-hat far above 1.
    bad = good + np.arange(4)[:, None, None]
    assert np.all(split_rhat(bad) > 1.5)
    # White noise: ESS close to the number of draws; AR(1) with phi: ESS ~ N (1-phi)/(1+phi).
    assert np.all(np.abs(effective_sample_size(good) / 4000 - 1) < 0.3)
    phi = 0.9
    ar = np.zeros((4, 5000))
    for t in range(1, 5000):
        ar[:, t] = phi * ar[:, t - 1] + rng.standard_normal(4)
    ess = effective_sample_size(ar)
    assert abs(ess / (20000 * (1 - phi) / (1 + phi)) - 1) < 0.3


@pytest.mark.usefixtures("x64")
def test_batch_equals_loop():
    data = jnp.asarray([[1.0, 2.0], [3.0, -4.0], [0.5, 0.5]])
    keys = jax.random.split(jax.random.key(0), 6).reshape(3, 2)
    u0 = jnp.zeros((3, 2, 2)) + 0.1
    # Without warm-up (no adaptation to amplify rounding): the batch equals the loop.
    kernels = sampling._prepare(
        gaussian_logdensity, [0.0, 0.0], None, "nuts", 0, 100, 2, 0.8, 10, None, None, False
    )[3]
    batched = kernels["batch"](keys, u0, data)[0]
    for i in range(3):
        for c in range(2):
            single = kernels["sequential"](keys[i, c], u0[i, c], data[i])[0]
            assert_allclose(batched[i, c], single, rtol=1e-12, atol=1e-12)
    # With adaptation the chains separate by amplified rounding: every item of the batch
    # samples its own posterior N(data_i, COV), within Monte Carlo errors.
    chains, div = run_mcmc_batch(
        gaussian_logdensity, [0.0, 0.0], data, num_warmup=100, num_samples=250, num_chains=2
    )
    assert chains.shape == (3, 2, 250, 2)
    assert div.shape == (3, 2, 250)
    for i in range(3):
        ess = effective_sample_size(chains[i])
        se = np.sqrt(np.diag(COV) / ess)
        err = np.abs(chains[i].mean(axis=(0, 1)) - np.asarray(data[i]))
        np.testing.assert_array_less(err, 4 * se)


@pytest.mark.slow
@pytest.mark.usefixtures("x64")
def test_simulation_based_calibration_coverage():
    """Parameters drawn from the prior; 68% and 95% intervals cover the truth as advertised."""
    n_sims, n_freq = 500, 48
    rng = np.random.default_rng(2026)
    freq = np.linspace(0.05, 5.0, n_freq)
    log_amp = rng.uniform(-1.0, 2.0, n_sims)
    index = rng.uniform(0.5, 2.5, n_sims)
    truth = np.stack([log_amp, index], axis=1)
    model = np.exp(log_amp)[:, None] * freq[None, :] ** (-index[:, None])
    power = model * rng.exponential(size=model.shape)

    def logdensity(x, p):
        s = jnp.exp(x[0]) * jnp.asarray(freq) ** (-x[1])
        return -jnp.sum(jnp.log(s) + p / s)

    chains, _ = run_mcmc_batch(
        logdensity,
        np.column_stack([np.full(n_sims, 0.5), np.full(n_sims, 1.5)]),
        jnp.asarray(power),
        bounds=[(-1.0, 2.0), (0.5, 2.5)],
        num_warmup=150,
        num_samples=200,
        num_chains=1,
        seed=4,
    )
    draws = chains.reshape(n_sims, -1, 2)
    for level, tol in ((0.68, 0.05), (0.95, 0.03)):
        lo = np.quantile(draws, (1 - level) / 2, axis=1)
        hi = np.quantile(draws, (1 + level) / 2, axis=1)
        coverage = np.mean((truth >= lo) & (truth <= hi), axis=0)
        assert np.all(np.abs(coverage - level) < tol), (level, coverage)
