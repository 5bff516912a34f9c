"""Batched GP posteriors (stingray_jax.gp.inference): masked log posterior, Laplace evidence,
batched NUTS against NUTS of each light curve alone, batched QPO detection against a loop.

The test process runs with JAX's x64 flag off; core functions get the ``x64`` fixture.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from stingray_jax.gp.inference import (
    fit_laplace_batch,
    laplace_log_evidence,
    make_logposterior,
    normal_logprior,
    nuts_batch,
    pad_lightcurves,
)
from stingray_jax.modeling import gpmodeling

NAMES = ("log_arn", "log_crn", "log_A")


def _lightcurves(rng):
    """Three RN light curves of different lengths and sampling (absolute start times)."""
    lcs = []
    for n, dt in [(80, 1.0), (60, 0.7), (40, 1.3)]:
        t = np.arange(n) * dt + rng.uniform(0, 1e4)
        K = 2.0 * np.exp(-0.2 * np.abs(t[:, None] - t[None, :])) + 0.3 * np.eye(n)
        lcs.append((t, 5 + np.linalg.cholesky(K) @ rng.normal(size=n), np.full(n, 0.3**0.5)))
    return lcs


def _priors():
    """Different normal priors for the three light curves."""
    loc = np.log([[2.0, 0.2, 5.0], [1.5, 0.3, 5.0], [2.5, 0.15, 5.0]])
    scale = np.array([[1.0, 1.0, 0.2], [0.8, 1.2, 0.3], [1.0, 0.9, 0.25]])
    return loc, scale


def test_masked_logposterior_equals_unpadded(x64, rng):
    """The log posterior of a padded row equals that of the unpadded light curve bit for bit:
    masked steps carry the state unchanged (a zero time step) and add an exact zero to the
    in-order sum. Bitwise equality needs the same compiled program: the unpadded light curve
    gets an all-True mask (with ``mask=None`` XLA folds the constant mask and contracts the
    arithmetic differently, an ulp apart), and inside the vmapped batch XLA's fusion differs
    again (checked to an ulp or two)."""
    lcs = _lightcurves(rng)
    T, Y, D, M, _ = pad_lightcurves(*zip(*lcs))
    loc, scale = _priors()
    lp = make_logposterior(NAMES, "RN", "constant", normal_logprior)
    single = jax.jit(lp)
    batched = jax.jit(jax.vmap(lp, in_axes=(None, 0, 0, 0, 0, 0)))
    for x in ([0.3, -1.2, 1.6], [1.1, -2.0, 1.4], [-0.5, 0.4, 1.7]):
        x = jnp.asarray(x)
        vals = batched(x, T, Y, D, M, (jnp.asarray(loc), jnp.asarray(scale)))
        for i, (t, y, e) in enumerate(lcs):
            ones = np.ones(t.size, bool)
            alone = single(x, t - t[0], y, e**2, ones, (loc[i], scale[i]))
            padded = single(x, T[i], Y[i], D[i], M[i], (loc[i], scale[i]))
            np.testing.assert_array_equal(np.asarray(padded), np.asarray(alone))
            np.testing.assert_allclose(np.asarray(vals[i]), np.asarray(alone), rtol=1e-15)
            no_mask = single(x, t - t[0], y, e**2, None, (loc[i], scale[i]))
            np.testing.assert_allclose(np.asarray(no_mask), np.asarray(alone), rtol=1e-15)


def test_laplace_log_evidence_is_exact_for_gaussians(x64):
    """For a Gaussian posterior, exp(-fun) with fun quadratic, the Laplace evidence is exact."""
    A = jnp.array([[2.0, 0.3], [0.3, 0.5]])
    c = 1.7  # fun = c + x^T A x / 2: Z = exp(-c) (2 pi)^(d/2) det(A)^(-1/2)
    expected = -c + np.log(2 * np.pi) - 0.5 * np.log(np.linalg.det(np.asarray(A)))
    np.testing.assert_allclose(float(laplace_log_evidence(jnp.asarray(c), A)), expected)
    batch = laplace_log_evidence(jnp.array([c, c]), jnp.stack([A, -A]))
    assert np.isfinite(batch[0])
    assert np.isnan(batch[1])


def test_fit_laplace_batch_equals_loop(x64, rng):
    """One vmapped call of padded light curves gives each light curve's own fit and evidence."""
    lcs = _lightcurves(rng)
    T, Y, D, M, _ = pad_lightcurves(*zip(*lcs))
    loc, scale = _priors()
    res, logz = fit_laplace_batch(NAMES, "RN", "constant", loc, T, Y, D, M, loc, scale)
    assert bool(jnp.all(res.converged))
    assert bool(jnp.all(jnp.isfinite(logz)))
    for i, (t, y, e) in enumerate(lcs):
        r1, z1 = fit_laplace_batch(
            NAMES, "RN", "constant", loc[i : i + 1], (t - t[0])[None], y[None], (e**2)[None],
            np.ones((1, t.size), bool), loc[i : i + 1], scale[i : i + 1],
        )  # fmt: skip
        np.testing.assert_allclose(np.asarray(res.x[i]), np.asarray(r1.x[0]), atol=1e-6)
        np.testing.assert_allclose(float(logz[i]), float(z1[0]), rtol=1e-9)


def test_fit_laplace_batch_compiles_once(x64, rng):
    """New data of the same shapes reuse the compiled batched fit (no recompilation)."""
    from stingray_jax.gp.inference import _laplace_batched

    lcs = _lightcurves(rng)
    T, Y, D, M, _ = pad_lightcurves(*zip(*lcs))
    loc, scale = _priors()
    fit_laplace_batch(NAMES, "RN", "constant", loc, T, Y, D, M, loc, scale)
    compiled = _laplace_batched(
        make_logposterior(NAMES, "RN", "constant", normal_logprior), "bfgs", None
    )
    n = compiled._cache_size()
    fit_laplace_batch(NAMES, "RN", "constant", loc, T, Y + 0.1, D, M, loc + 0.1, scale)
    assert compiled._cache_size() == n


def _ess(chains):
    """Effective sample size of ``chains`` (n_chains, n_draws), NumPyro's estimator."""
    from numpyro.diagnostics import effective_sample_size

    return float(effective_sample_size(np.asarray(chains)[..., None])[0])


@pytest.mark.slow
def test_nuts_batch_matches_each_alone(rng):
    """Batched NUTS (one vmapped blackjax call, padded light curves of lengths 80, 60 and 40
    with different sampling and different priors) against NumPyro's NUTS of each light curve
    alone (`GPResult.sample(method="nuts")`, 2 chains, unpadded). Chains are not compared
    bitwise (adapted MCMC is chaotic): posterior means agree within 4.5 combined Monte-Carlo
    standard errors (``sd / sqrt(ESS)`` of each side) and standard deviations within 25%
    (ESS 300-1000 per side: the ratio of the standard deviations has a relative error of
    ~4-5%, so the bounds are ~5 of its standard errors). On two other seeds the nine mean
    differences were all within 1.5 standard errors and the ratios within 0.9-1.12."""
    import numpyro.distributions as dist
    from stingray import Lightcurve

    lcs = _lightcurves(rng)
    T, Y, D, M, _ = pad_lightcurves(*zip(*lcs))
    loc, scale = _priors()
    with jax.enable_x64(True):
        samples, info = nuts_batch(
            NAMES, "RN", "constant", loc, T, Y, D, M, normal_logprior, (loc, scale),
            seed=1, num_warmup=500, num_samples=1500,
        )  # fmt: skip
    samples = np.asarray(samples)
    assert samples.shape == (3, 1500, 3)
    assert samples.dtype == np.float64
    assert float(jnp.mean(info["divergent"])) < 0.01
    for i, (t, y, e) in enumerate(lcs):
        priors = {n: dist.Normal(loc[i, j], scale[i, j]) for j, n in enumerate(NAMES)}
        like = gpmodeling.get_log_likelihood(list(NAMES), "RN", "constant", t - t[0], y, diag=e**2)
        res = gpmodeling.GPResult(Lightcurve(t - t[0], y, dt=t[1] - t[0], skip_checks=True))
        res.sample(
            gpmodeling.get_prior(list(NAMES), priors), like, method="nuts", seed=2 + i,
            num_warmup=500, num_samples=1000, num_chains=2,
        )  # fmt: skip
        ref = res.results.raw.get_samples(group_by_chain=True)
        for j, name in enumerate(NAMES):
            a, b = samples[i, :, j], np.asarray(ref[name])
            se = np.hypot(np.std(a) / np.sqrt(_ess(a[None])), np.std(b) / np.sqrt(_ess(b)))
            assert abs(np.mean(a) - np.mean(b)) < 4.5 * se, (i, name, np.mean(a), np.mean(b), se)
            assert 0.8 < np.std(a) / np.std(b) < 1.25, (i, name, np.std(a), np.std(b))


@pytest.mark.slow
def test_detect_qpo_batch_equals_loop(rng):
    """detect_qpo_batch on light curves of different lengths equals it on each alone."""
    from stingray import Lightcurve

    lcs = []
    for n, dt in [(120, 0.1), (90, 0.13)]:
        t = np.arange(n) * dt + 100.0
        K = np.exp(-0.5 * np.abs(t[:, None] - t[None, :])) + 0.5 * np.eye(n)
        y = 10 + np.linalg.cholesky(K) @ rng.normal(size=n)
        lcs.append(Lightcurve(t, y, err=np.full(n, 0.5**0.5), dt=dt, skip_checks=True))
    tab = gpmodeling.detect_qpo_batch(lcs, n_starts=3)
    assert len(tab) == 2
    assert all(tab["converged"])
    for i, lc in enumerate(lcs):
        one = gpmodeling.detect_qpo_batch([lc], n_starts=3)
        for col in ("ln_bayes_factor", "log_Z_rn", "log_Z_qpo", "freq", "Q"):
            np.testing.assert_allclose(tab[col][i], one[col][0], rtol=1e-6, atol=1e-6)
