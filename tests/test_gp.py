"""GP core (stingray_jax.gp) and gpmodeling drop-in: references, gradients, batches, evidence.

The test process runs with JAX's x64 flag off: the public entry points must compute in float64
by themselves; core functions get the ``x64`` fixture.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
from jax.test_util import check_grads

from stingray_jax import gp
from stingray_jax.gp.inference import fit_map_batch, pad_lightcurves
from stingray_jax.modeling import gpmodeling

celerite2 = pytest.importorskip("celerite2")

MEAN_PARAMS = {
    "gaussian": {"A": 3.0, "t0": 4.0, "sig": 1.5},
    "exponential": {"A": 3.0, "t0": 4.0, "sig": 1.5},
    "constant": {"A": 2.5},
    "skew_gaussian": {"A": 3.0, "t0": 4.0, "sig1": 1.0, "sig2": 2.0},
    "skew_exponential": {"A": 3.0, "t0": 4.0, "sig1": 1.0, "sig2": 2.0},
    "fred": {"A": 3.0, "t0": 4.0, "delta": 0.5, "phi": 1.2},
}
KERNEL_PARAMS = {"arn": 1.3, "crn": 0.5, "aqpo": 0.7, "cqpo": 0.3, "freq": 0.9}


def _celerite2_kernel(kernel_type, p):
    from celerite2 import terms

    rn = terms.RealTerm(a=p["arn"], c=p["crn"])
    qpo = terms.ComplexTerm(a=p["aqpo"], b=0.0, c=p["cqpo"], d=2 * np.pi * p["freq"])
    return {"RN": rn, "QPO": qpo, "QPO_plus_RN": rn + qpo}[kernel_type]


def _values(names, p):
    return [np.log(p[n[4:]]) if n.startswith("log_") else p[n] for n in names]


@pytest.mark.parametrize("kernel_type", ["RN", "QPO", "QPO_plus_RN"])
@pytest.mark.parametrize("mean_type", sorted(MEAN_PARAMS))
def test_log_likelihood_equals_celerite2(kernel_type, mean_type, rng):
    """The public entry point, x64 off, equals celerite2 to 1e-10 relative (N = 1000)."""
    assert not jax.config.jax_enable_x64
    t = np.sort(rng.uniform(0, 100, 1000))
    p = {**KERNEL_PARAMS, **MEAN_PARAMS[mean_type]}
    mean = _np_mean(mean_type, t)
    y = mean + rng.normal(size=t.size)
    names = gpmodeling.get_gp_params(kernel_type, mean_type)
    ll = gpmodeling.get_log_likelihood(names, kernel_type, mean_type, t, y, diag=0.1)
    ours = ll(*_values(names, p))
    assert ours.dtype == jnp.float64
    ref = celerite2.GaussianProcess(_celerite2_kernel(kernel_type, p), t=t, diag=0.1)
    expected = ref.log_likelihood(y - mean)
    np.testing.assert_allclose(float(ours), expected, rtol=1e-10)


def _np_mean(mean_type, t):
    with jax.enable_x64(True):
        return np.asarray(gpmodeling.get_mean(mean_type, MEAN_PARAMS[mean_type])(t))


def test_default_diag_is_stingrays(rng):
    """Without diag, sqrt(eps) on the diagonal as tinygp (Stingray) does; equal to tinygp."""
    tinygp = pytest.importorskip("tinygp")
    t = np.sort(rng.uniform(0, 10, 200))
    y = rng.normal(size=200)
    names = gpmodeling.get_gp_params("QPO_plus_RN", "constant")
    p = {**KERNEL_PARAMS, "A": 0.2}
    ours = gpmodeling.get_log_likelihood(names, "QPO_plus_RN", "constant", t, y)(*_values(names, p))
    with jax.enable_x64(True):
        kernel = gpmodeling.get_kernel("QPO_plus_RN", p).to_tinygp()
        ref = tinygp.GaussianProcess(kernel, t, mean_value=0.2 * np.ones_like(t)).log_probability(y)
    np.testing.assert_allclose(float(ours), float(ref), rtol=1e-9)


def test_gradients(x64, rng):
    t = jnp.asarray(np.sort(rng.uniform(0, 20, 25)))
    y = jnp.asarray(rng.normal(size=25))

    def f(theta):
        k = gp.rn_kernel(jnp.exp(theta[0]), jnp.exp(theta[1])) + gp.qpo_kernel(
            jnp.exp(theta[2]), jnp.exp(theta[3]), jnp.exp(theta[4])
        )
        return gp.log_likelihood(k, t, y - theta[5], 0.05)

    check_grads(f, (jnp.array([0.1, -0.5, -0.3, -1.0, -0.2, 0.3]),), order=1, modes=["rev", "fwd"])


def test_mask_drops_points_exactly(x64, rng):
    t = np.sort(rng.uniform(0, 20, 80))
    y = rng.normal(size=80)
    keep = rng.uniform(size=80) > 0.3
    k = gp.rn_kernel(1.0, 0.4) + gp.qpo_kernel(0.5, 0.2, 0.7)
    full = gp.log_likelihood(k, jnp.asarray(t[keep]), jnp.asarray(y[keep]), 0.1)
    masked = gp.log_likelihood(k, jnp.asarray(t), jnp.asarray(y), 0.1, mask=jnp.asarray(keep))
    np.testing.assert_allclose(float(masked), float(full), rtol=1e-12)


def _dense_loglike(kernel, t, r, diag):
    K = np.asarray(kernel(t, t)) + diag * np.eye(len(t))
    c = scipy.linalg.cho_factor(K, lower=True)
    alpha = scipy.linalg.cho_solve(c, r)
    return -0.5 * (r @ alpha + 2 * np.sum(np.log(np.diag(c[0]))) + len(t) * np.log(2 * np.pi))


def test_carma_dense_and_psd(x64, rng):
    """CARMA(3, 1): O(N) likelihood equals the dense O(N^3) one (N = 1000); the kernel is the
    Fourier transform of the analytic PSD."""
    roots = jnp.array([-0.3 + 2j, -0.3 - 2j, -1.5 + 0j])
    beta = jnp.array([1.0, 0.4])
    k = gp.carma_kernel(1.2, roots, beta)
    t = np.sort(rng.uniform(0, 200, 1000))
    r = rng.normal(size=1000)
    ours = gp.log_likelihood(k, jnp.asarray(t), jnp.asarray(r), 0.01)
    np.testing.assert_allclose(float(ours), _dense_loglike(k, t, r, 0.01), rtol=1e-10)
    f = np.logspace(-3, 1, 40)
    np.testing.assert_allclose(k.psd(f), gp.carma_psd(f, 1.2, roots, beta), rtol=1e-10)
    for tau in (0.0, 0.7, 2.0):
        ft = scipy.integrate.quad(
            lambda ff, tau=tau: (
                float(gp.carma_psd(ff, 1.2, roots, beta)) * np.cos(2 * np.pi * ff * tau)
            ),
            0,
            200,
            limit=2000,
        )[0]
        np.testing.assert_allclose(float(k.evaluate(tau)), ft, rtol=1e-6, atol=1e-8)
    # from coefficients: alpha(z) = prod (z - r)
    coefs = np.real(np.poly(np.asarray(roots)))[::-1]
    np.testing.assert_allclose(
        np.sort_complex(np.asarray(gp.carma_roots_from_coefs(coefs))),
        np.sort_complex(np.asarray(roots)),
        atol=1e-10,
    )


@pytest.mark.parametrize(
    ("alpha", "n_terms", "tol"), [(0.5, 24, 2e-3), (1.0, 24, 2e-3), (1.5, 40, 2e-3)]
)
def test_bending_powerlaw_psd_accuracy(x64, alpha, n_terms, tol):
    k = gp.bending_powerlaw_kernel(3.0, 0.1, alpha, 1e-3, 1e3, n_terms=n_terms)
    f = np.logspace(np.log10(3e-3), np.log10(3e2), 200)
    rel = np.abs(np.asarray(k.psd(f)) / np.asarray(gp.bending_powerlaw_psd(f, 3.0, 0.1, alpha)) - 1)
    assert rel.max() < tol
    # positive definite by construction: the O(N) likelihood equals the dense one
    t = np.sort(np.random.default_rng(1).uniform(0, 500, 300))
    r = np.random.default_rng(2).normal(size=300)
    np.testing.assert_allclose(
        float(gp.log_likelihood(k, jnp.asarray(t), jnp.asarray(r), 0.1)),
        _dense_loglike(k, t, r, 0.1),
        rtol=1e-9,
    )


def test_kernel_psd_integrates_to_variance(x64):
    k = gp.rn_kernel(1.3, 0.5) + gp.qpo_kernel(0.7, 0.3, 0.9)
    total = scipy.integrate.quad(lambda f: float(k.psd(f)), 0, np.inf, limit=500)[0]
    np.testing.assert_allclose(total, float(k.variance()), rtol=1e-6)


def test_means_equal_stingray_bitwise():
    """Our mean functions are Stingray's, bit for bit (importing Stingray's gpmodeling flips x64:
    restored here)."""
    prev = jax.config.jax_enable_x64
    try:
        from stingray.modeling import gpmodeling as sgp
    finally:
        jax.config.update("jax_enable_x64", prev)
    t = np.linspace(0, 5, 50)
    params = {
        "A": np.array([3.0, 4.0]),
        "t0": np.array([0.2, 0.7]),
        "sig": np.array([0.2, 0.1]),
        "sig1": np.array([0.2, 0.1]),
        "sig2": np.array([0.3, 0.4]),
        "phi": np.array([4.0, 5.0]),
        "delta": np.array([0.3, 0.4]),
    }
    with jax.enable_x64(True):
        for mean_type in MEAN_PARAMS:
            p = {"A": 3.0} if mean_type == "constant" else params
            ours = np.asarray(gpmodeling.get_mean(mean_type, p)(t))
            theirs = np.asarray(sgp.get_mean(mean_type, p)(t))
            np.testing.assert_array_equal(ours, theirs)


def test_bad_input():
    names = gpmodeling.get_gp_params("RN", "constant")
    with pytest.raises(ValueError, match="sorted"):
        gpmodeling.get_log_likelihood(names, "RN", "constant", [1.0, 0.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        gpmodeling.get_log_likelihood(names, "RN", "constant", [0.0, 1.0], [1.0, np.nan])
    with pytest.raises(ValueError, match="Kernel type not implemented"):
        gpmodeling.get_kernel("periodic", {})
    with pytest.raises(ValueError, match="no prior"):
        gpmodeling.get_prior(names, {})


@pytest.mark.slow
def test_batched_map_equals_loop(rng):
    """Padded light curves of different lengths and sampling: the vmapped likelihood equals each
    unpadded one, and the one-call batched MAP fit finds each light curve's own optimum
    (checked with celerite2 + scipy started there)."""
    import scipy.optimize

    names = ("log_arn", "log_crn", "log_A")
    lcs = []
    for n, dt in [(120, 1.0), (90, 0.7), (60, 1.3)]:
        t = np.arange(n) * dt + rng.uniform(0, 1e4)
        K = 2.0 * np.exp(-0.1 * np.abs(t[:, None] - t[None, :])) + 0.3 * np.eye(n)
        lcs.append((t, 5 + np.linalg.cholesky(K) @ rng.normal(size=n), np.full(n, 0.3**0.5)))
    T, Y, D, M, _ = pad_lightcurves(*zip(*lcs))
    x0 = np.log([1.0, 0.3, 4.0])
    with jax.enable_x64(True):
        from stingray_jax.gp.inference import make_objective

        obj = make_objective(names, "RN", "constant")
        vals = jax.vmap(obj, in_axes=(None, 0, 0, 0, 0))(jnp.asarray(x0), T, Y, D, M)
        for i, (t, y, e) in enumerate(lcs):
            one = obj(jnp.asarray(x0), jnp.asarray(t - t[0]), jnp.asarray(y), e**2, None)
            np.testing.assert_allclose(float(vals[i]), float(one), rtol=1e-12)
        batch = fit_map_batch(names, "RN", "constant", x0, T, Y, D, M)
    assert bool(jnp.all(batch.converged))
    for i, (t, y, e) in enumerate(lcs):

        def nll(x, t=t, y=y, e=e):
            k = celerite2.terms.RealTerm(a=np.exp(x[0]), c=np.exp(x[1]))
            g = celerite2.GaussianProcess(k, t=t - t[0], diag=e**2, mean=np.exp(x[2]))
            return -g.log_likelihood(y)

        start = np.asarray(batch.x[i])
        ref = scipy.optimize.minimize(nll, start, method="Nelder-Mead", options={"xatol": 1e-8})
        np.testing.assert_allclose(start, ref.x, atol=1e-4)
        assert nll(start) <= ref.fun + 1e-6


@pytest.mark.slow
def test_evidence_against_quadrature(rng):
    """Nested-sampling log evidence of an RN model (2 parameters) agrees with a brute-force
    quadrature of likelihood x prior on a fine grid, within 3 of its stated errors."""
    pytest.importorskip("blackjax")
    import numpyro.distributions as dist
    from stingray import Lightcurve

    t = np.arange(64) * 0.25
    K = 2.0 * np.exp(-0.8 * np.abs(t[:, None] - t[None, :])) + 0.2 * np.eye(64)
    y = np.linalg.cholesky(K) @ rng.normal(size=64)
    names = ["log_arn", "log_crn", "A"]
    prior = gpmodeling.get_prior(
        names,
        {
            "log_arn": dist.Uniform(np.log(0.1), np.log(20.0)),
            "log_crn": dist.Uniform(np.log(0.05), np.log(10.0)),
            "A": dist.Uniform(-0.5, 0.5),
        },
    )
    # a constant mean named "A" without the log: build the likelihood by hand (core function)
    with jax.enable_x64(True):

        def loglike(x):
            k = gp.rn_kernel(jnp.exp(x[0]), jnp.exp(x[1]))
            return gp.log_likelihood(k, jnp.asarray(t), jnp.asarray(y) - x[2], 0.2)

        loglike.vector = loglike

        res = gpmodeling.GPResult(Lightcurve(t, y, dt=0.25, skip_checks=True))
        res.sample(prior, loglike, max_samples=2e4, num_live_points=200, seed=3)
        g0 = np.linspace(np.log(0.1), np.log(20.0), 121)
        g1 = np.linspace(np.log(0.05), np.log(10.0), 121)
        g2 = np.linspace(-0.5, 0.5, 61)
        X = jnp.asarray(np.stack(np.meshgrid(g0, g1, g2, indexing="ij"), -1).reshape(-1, 3))
        L = np.asarray(jax.lax.map(jax.vmap(loglike), X.reshape(-1, 61 * 11, 3))).reshape(
            121, 121, 61
        )
    m = L.max()
    Z = scipy.integrate.simpson(
        scipy.integrate.simpson(scipy.integrate.simpson(np.exp(L - m), x=g2), x=g1), x=g0
    )
    vol = (g0[-1] - g0[0]) * (g1[-1] - g1[0]) * (g2[-1] - g2[0])
    logz_quad = np.log(Z / vol) + m
    err = res.results.log_Z_uncert
    assert abs(res.get_evidence() - logz_quad) < 3 * err + 0.05, (
        res.get_evidence(),
        logz_quad,
        err,
    )


@pytest.mark.slow
def test_nuts_and_tfp_priors(rng):
    import numpyro.distributions as dist
    from stingray import Lightcurve

    t = np.arange(50) * 0.5
    y = 3 + rng.normal(size=50)
    names = gpmodeling.get_gp_params("RN", "constant")
    priors = {
        "log_arn": dist.Uniform(-3.0, 3.0),
        "log_crn": dist.Uniform(-3.0, 2.0),
        "log_A": dist.Uniform(0.0, 2.0),
    }
    ll = gpmodeling.get_log_likelihood(names, "RN", "constant", t, y, diag=1.0)
    res = gpmodeling.GPResult(Lightcurve(t, y, dt=0.5, skip_checks=True))
    out = res.sample(
        gpmodeling.get_prior(names, priors), ll, method="nuts", num_warmup=200, num_samples=200
    )
    assert out.total_num_samples == 400
    a = out.samples["log_A"]
    assert abs(np.mean(np.exp(a)) - np.mean(y)) < 4 * np.std(y) / np.sqrt(50) + 0.3
    with pytest.raises(ValueError, match="nested"):
        res.get_evidence()
    tfp = pytest.importorskip("tensorflow_probability.substrates.jax")
    tprior = gpmodeling.get_prior(
        names, {n: tfp.distributions.Uniform(d.low, d.high) for n, d in priors.items()}
    )
    x = jnp.array([0.1, 0.2, 1.0])
    np.testing.assert_allclose(
        float(tprior.log_prob(x)), float(gpmodeling.get_prior(names, priors).log_prob(x)), rtol=1e-6
    )
    assert tprior.sample(jax.random.PRNGKey(0), 5).shape == (5, 3)


@pytest.mark.slow
def test_detect_qpo_end_to_end(rng):
    """A light curve with a strong QPO (Q ~ 15 at 0.5 Hz): decisive Bayes factor, and the
    frequency's 90% interval contains the truth."""
    pytest.importorskip("blackjax")
    from stingray import Lightcurve

    t = np.arange(300) * 0.1
    with jax.enable_x64(True):
        k = gp.rn_kernel(0.5, 0.3) + gp.qpo_kernel(4.0, 0.1, 0.5)
        K = np.asarray(k(t, t)) + 0.2 * np.eye(300)
    y = 20.0 + np.linalg.cholesky(K) @ rng.normal(size=300)
    lc = Lightcurve(t, y, err=np.full(300, 0.2**0.5), dt=0.1, skip_checks=True)
    out = gpmodeling.detect_qpo(lc, num_live_points=100, seed=1)
    assert out["ln_bayes_factor"] > 5
    assert out["freq_ci"][0] < 0.5 < out["freq_ci"][1]
    assert out["Q_ci"][0] < np.pi * 0.5 / 0.1 < out["Q_ci"][1]
