"""Tests of the HMC-from-scratch example."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from numpyro.diagnostics import effective_sample_size

from stingray_jax.examples import hmc

from .._utils import assert_allclose

MEAN = np.array([1.0, -2.0, 0.5])
COV = np.array([[1.0, 0.6, 0.0], [0.6, 2.0, -0.3], [0.0, -0.3, 0.25]])
PREC = np.linalg.inv(COV)


def gaussian_logdensity(q):
    d = q - MEAN
    return -0.5 * d @ PREC @ d


@pytest.fixture(scope="module")
def spectrum():
    return hmc.sample_data_powerspectrum(32.0)


@pytest.fixture(scope="module")
def _psd_logpost(spectrum):
    # One function object for the whole module, so that its compilations are reused.
    freq, power, m = spectrum
    with jax.enable_x64(True):
        f, p = jnp.asarray(freq), jnp.asarray(power)
    return lambda q: hmc.psd_log_posterior(q, f, p, m)


@pytest.fixture
def psd_logpost(_psd_logpost, x64):
    return _psd_logpost


PSD_START = np.array([3.6, 2.0, 2.2])


def test_sample_data_powerspectrum(spectrum):
    freq, power, m = spectrum
    assert freq.shape == power.shape == (127,)
    assert m == 86
    np.testing.assert_allclose(np.diff(freq), 1 / 32.0)
    # Red noise at low frequency, well above the Leahy white level of 2.
    assert power[0] > 100 * power[-1] > 100 * 2


def test_psd_log_posterior_matches_scipy(spectrum, x64):
    """Differences of the log posterior equal those of scipy's Gamma and normal log pdfs."""
    stats = pytest.importorskip("scipy.stats")
    freq, power, m = spectrum

    def reference(q):
        model = np.exp(q[0]) * freq ** -q[1] + np.exp(q[2])
        like = stats.gamma.logpdf(power, a=m, scale=model / m).sum()
        prior = sum(stats.norm.logpdf(q[i], *hmc.PSD_PRIOR[i]) for i in range(3))
        return like + prior

    q1, q2 = np.array([3.6, 2.0, 2.2]), np.array([3.7, 1.9, 2.1])
    ours = hmc.psd_log_posterior(jnp.asarray(q1), freq, power, m) - hmc.psd_log_posterior(
        jnp.asarray(q2), freq, power, m
    )
    np.testing.assert_allclose(float(ours), reference(q1) - reference(q2), rtol=1e-10)


def test_psd_log_posterior_check_grads(psd_logpost):
    check_grads(jax.jit(psd_logpost), (jnp.asarray(PSD_START),), order=2, modes=["rev", "fwd"])


def test_finite_difference_grad_close_to_autodiff(psd_logpost):
    q = jnp.asarray(PSD_START)
    exact = jax.jit(jax.grad(psd_logpost))(q)
    approx = jax.jit(hmc.finite_difference_grad(psd_logpost, step=1e-5))(q)
    np.testing.assert_allclose(approx, exact, rtol=1e-6, atol=1e-6 * float(jnp.abs(exact).max()))


def test_leapfrog_is_reversible(psd_logpost):
    grad_fn = jax.grad(psd_logpost)
    q0 = jnp.asarray(PSD_START)
    p0 = jnp.array([0.3, -1.2, 0.7])
    inv_mass = jnp.array([6e-4, 4e-4, 1e-3])
    q1, p1, _ = hmc.leapfrog(grad_fn, q0, p0, 0.5, 25, inv_mass)
    assert float(jnp.max(jnp.abs(q1 - q0))) > 1e-2  # it moved
    q2, p2, _ = hmc.leapfrog(grad_fn, q1, -p1, 0.5, 25, inv_mass)
    np.testing.assert_allclose(q2, q0, rtol=0, atol=1e-10)
    np.testing.assert_allclose(-p2, p0, rtol=0, atol=1e-10)


@pytest.fixture(scope="module")
def gaussian_run():
    with jax.enable_x64(True):
        inits = jnp.asarray(np.random.default_rng(1).normal(size=(4, 3)) * 3)
        res = hmc.sample_chains(
            gaussian_logdensity, jax.random.key(42), inits, n_samples=2000, n_warmup=500
        )
        return jax.tree.map(np.asarray, res), inits


def test_gaussian_target_mean_and_covariance(gaussian_run):
    res, _ = gaussian_run
    samples = res.samples
    assert samples.dtype == np.float64
    ess = effective_sample_size(samples)
    assert ess.min() > 2000  # enough for the checks below to be meaningful
    flat = samples.reshape(-1, 3)
    se_mean = np.sqrt(np.diag(COV) / ess)
    np.testing.assert_array_less(np.abs(flat.mean(axis=0) - MEAN), 4 * se_mean)
    # Standard error of a sample covariance element of a Gaussian.
    cov = np.cov(flat, rowvar=False)
    var = np.diag(COV)
    se_cov = np.sqrt((np.outer(var, var) + COV**2) / ess.min())
    np.testing.assert_array_less(np.abs(cov - COV), 4 * se_cov)


def test_acceptance_rate_and_tuning_are_sane(gaussian_run):
    res, _ = gaussian_run
    acceptance = res.accept_prob.mean(axis=1)
    assert np.all((acceptance > 0.6) & (acceptance < 0.98))
    assert np.all(np.isfinite(res.step_size))
    assert np.all(res.step_size > 0)
    # The diagonal mass adaptation estimates the marginal variances to warm-up accuracy: each
    # chain's estimate comes from a few hundred autocorrelated warm-up draws (relative error
    # ~0.15, so one of the 12 estimates may be 2-3 of those off), the mean of 4 chains to ~8%.
    target = np.diag(COV)
    np.testing.assert_allclose(res.inv_mass.mean(axis=0), target, rtol=0.25)
    np.testing.assert_allclose(res.inv_mass, np.broadcast_to(target, (4, 3)), rtol=0.6)


def test_batched_chains_equal_loop_without_adaptation():
    """Without warm-up (no adaptation to amplify rounding) vmap and a loop agree to rounding."""
    with jax.enable_x64(True):
        inits = jnp.asarray(np.random.default_rng(1).normal(size=(3, 3)))
        kw = {"n_samples": 300, "n_warmup": 0, "step_size": 0.4}
        res = hmc.sample_chains(gaussian_logdensity, jax.random.key(42), inits, **kw)
        keys = jax.random.split(jax.random.key(42), 3)
        for i in (0, 2):
            one = hmc.sample(gaussian_logdensity, keys[i], inits[i], **kw)
            assert_allclose(one.samples, res.samples[i], rtol=1e-12, atol=1e-12)
            assert_allclose(one.accept_prob, res.accept_prob[i], rtol=1e-12, atol=1e-12)


def test_batched_chains_agree_with_loop_statistically(gaussian_run):
    """After adaptation, a looped chain and the batched ones sample the same distribution.

    Rounding differences between the vmapped and the looped program are amplified by the
    step-size and mass adaptation (the trajectories separate), so the comparison is statistical:
    the looped chain's mean and variances agree with the batched chains' within Monte Carlo
    errors, and its tuned step size with theirs within their spread.
    """
    res, inits = gaussian_run
    keys = jax.random.split(jax.random.key(42), 4)
    with jax.enable_x64(True):
        one = hmc.sample(gaussian_logdensity, keys[3], inits[3], n_samples=2000, n_warmup=500)
    loop = np.asarray(one.samples)
    others = res.samples[:3].reshape(-1, 3)
    ess_loop = effective_sample_size(loop[None])
    ess_batch = effective_sample_size(res.samples[:3])
    se = np.sqrt(np.diag(COV) / ess_loop + np.diag(COV) / ess_batch)
    np.testing.assert_array_less(np.abs(loop.mean(axis=0) - others.mean(axis=0)), 4 * se)
    # Relative standard error of a variance: sqrt(2 / ess), with the effective sample size of
    # the squared deviations (HMC's ESS of the mean can be far above that of the variance).
    sq_loop = (loop - loop.mean(axis=0)) ** 2
    sq_batch = (res.samples[:3] - res.samples[:3].mean(axis=(0, 1))) ** 2
    ess_var_loop = effective_sample_size(np.asarray(sq_loop)[None])
    ess_var_batch = effective_sample_size(np.asarray(sq_batch))
    rel = 4 * np.sqrt(2 / ess_var_loop + 2 / ess_var_batch)
    np.testing.assert_array_less(np.abs(loop.var(axis=0) / others.var(axis=0) - 1), rel)
    steps = res.step_size[:3]
    assert abs(float(one.step_size) - steps.mean()) < 0.25 * steps.mean()


@pytest.mark.slow
def test_psd_posterior_agrees_with_numpyro_nuts(psd_logpost):
    numpyro_infer = pytest.importorskip("numpyro.infer")
    inits = jnp.asarray(PSD_START) + 0.01 * jnp.asarray(
        np.random.default_rng(2).normal(size=(4, 3))
    )
    ours = hmc.sample_chains(psd_logpost, jax.random.key(0), inits, n_samples=1500, n_leapfrog=8)
    ours = np.asarray(ours.samples)
    assert effective_sample_size(ours).min() > 1000

    nuts = numpyro_infer.MCMC(
        numpyro_infer.NUTS(potential_fn=lambda q: -psd_logpost(q)),
        num_warmup=500,
        num_samples=4000,
        num_chains=1,
        progress_bar=False,
    )
    nuts.run(jax.random.key(1), init_params=inits[0])
    ref = np.asarray(nuts.get_samples(group_by_chain=True))
    assert effective_sample_size(ref).min() > 1000

    ours, ref = ours.reshape(-1, 3), ref.reshape(-1, 3)
    sigma = ref.std(axis=0)
    np.testing.assert_array_less(np.abs(ours.mean(axis=0) - ref.mean(axis=0)), 0.1 * sigma)
    np.testing.assert_allclose(ours.std(axis=0), sigma, rtol=0.1)


@pytest.mark.slow
def test_finite_difference_hmc_samples_the_same_posterior(psd_logpost):
    grad_fd = hmc.finite_difference_grad(psd_logpost)
    start = jnp.asarray(PSD_START)
    fd = hmc.sample(psd_logpost, jax.random.key(3), start, n_samples=1000, grad_fn=grad_fd)
    auto = hmc.sample(psd_logpost, jax.random.key(4), start, n_samples=1000)
    fd, auto = np.asarray(fd.samples), np.asarray(auto.samples)
    # Two independent chains of the same posterior: means agree within their MC errors.
    se = np.hypot(
        fd.std(axis=0) / np.sqrt(effective_sample_size(fd[None])),
        auto.std(axis=0) / np.sqrt(effective_sample_size(auto[None])),
    )
    np.testing.assert_array_less(np.abs(fd.mean(axis=0) - auto.mean(axis=0)), 4 * se)
    np.testing.assert_allclose(fd.std(axis=0), auto.std(axis=0), rtol=0.2)


def test_no_recompilation_and_float32():
    """New data values reuse the compiled sampler; float32 in gives float32 out."""

    def logdensity(q):
        return -0.5 * jnp.sum(q**2)

    # jit keys its cache on which keyword arguments are passed: pass the same ones each time.
    kwargs = {"n_samples": 20, "n_warmup": 20}
    first = hmc.sample(
        logdensity, jax.random.key(0), jnp.zeros(2, jnp.float32), step_size=0.1, **kwargs
    )
    before = hmc.sample._cache_size()
    hmc.sample(logdensity, jax.random.key(1), jnp.ones(2, jnp.float32), step_size=0.3, **kwargs)
    assert hmc.sample._cache_size() == before
    assert first.samples.dtype == jnp.float32
    assert first.step_size.dtype == jnp.float32


def test_bad_input_raises():
    with pytest.raises(ValueError, match="init_position must be 1-D"):
        hmc.sample(lambda q: -jnp.sum(q**2), jax.random.key(0), jnp.zeros((2, 2)))
    with pytest.raises(ValueError, match="n_samples and n_leapfrog"):
        hmc.sample(lambda q: -jnp.sum(q**2), jax.random.key(0), jnp.zeros(2), n_samples=0)
    with pytest.raises(ValueError, match="init_positions must have shape"):
        hmc.sample_chains(lambda q: -jnp.sum(q**2), jax.random.key(0), jnp.zeros(2))


def test_numpy_input_runs_in_float64():
    """NumPy starting points: float64 chains and NumPy results with JAX's x64 flag off."""
    assert not jax.config.jax_enable_x64
    res = hmc.sample(gaussian_logdensity, jax.random.key(5), np.zeros(3), n_samples=50)
    assert isinstance(res.samples, np.ndarray)
    assert res.samples.dtype == np.float64
    chains = hmc.sample_chains(
        gaussian_logdensity, jax.random.key(5), np.zeros((2, 3)), n_samples=50
    )
    assert chains.samples.dtype == np.float64
    assert chains.samples.shape == (2, 50, 3)
