"""Pure log-likelihoods against scipy.stats log-pdf sums, with gradient checks."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy import stats

from stingray_jax import likelihoods as L


@pytest.fixture
def spectrum(rng):
    model = rng.uniform(0.5, 3.0, 16)
    return model, model * rng.gamma(4.0, 0.25, 16)


def test_whittle_is_exponential(x64, spectrum):
    S, P = spectrum
    ref = stats.expon.logpdf(P, scale=S).sum()
    np.testing.assert_allclose(L.whittle(S, P), ref, rtol=1e-12)
    np.testing.assert_allclose(L.gamma(S, P, 1.0), ref, rtol=1e-12)
    np.testing.assert_allclose(L.psd(S, P, 1), ref, rtol=1e-12)


@pytest.mark.parametrize("m", [1.0, 4.0, 37.0])
def test_gamma_scalar_m(x64, spectrum, m):
    S, P = spectrum
    ref = stats.gamma.logpdf(P, a=m, scale=S / m).sum()
    np.testing.assert_allclose(L.gamma(S, P, m), ref, rtol=1e-12)
    np.testing.assert_allclose(L.psd(S, P, m), ref, rtol=1e-12)


def test_gamma_array_m(x64, spectrum, rng):
    S, P = spectrum
    m = rng.integers(1, 30, S.size).astype(float)
    ref = stats.gamma.logpdf(P, a=m, scale=S / m).sum()
    np.testing.assert_allclose(L.gamma(S, P, m), ref, rtol=1e-12)
    np.testing.assert_allclose(L.psd(S, P, m), ref, rtol=1e-12)


@pytest.mark.parametrize("m", [3, np.array([2.0, 5.0, 7.0, 1.0])])
def test_stingray_gamma_is_stingrays_formula(x64, m):
    S = np.array([1.0, 2.0, 0.7, 3.0])
    P = np.array([0.5, 3.0, 1.1, 2.2])
    dof = 2.0 * np.asarray(m, float)
    ref = -(
        np.sum(dof * np.log(S)) + np.sum(dof * P / S) + np.sum(dof * (2.0 / dof - 1.0) * np.log(P))
    )
    np.testing.assert_allclose(L.stingray_gamma(S, P, m), ref, rtol=1e-13)
    np.testing.assert_allclose(L.psd(S, P, m, stingray_compat=True), ref, rtol=1e-13)
    # ... and it is twice the Gamma log-likelihood up to a data-only constant: the model-
    # dependent part scales by exactly 2.
    S2 = S * 1.3
    d_ours = L.gamma(S2, P, m) - L.gamma(S, P, m)
    d_sr = L.stingray_gamma(S2, P, m) - L.stingray_gamma(S, P, m)
    np.testing.assert_allclose(d_sr, 2 * d_ours, rtol=1e-12)


def test_stingray_compat_keeps_whittle_for_m_equal_1(x64, spectrum):
    S, P = spectrum
    np.testing.assert_allclose(L.psd(S, P, 1, stingray_compat=True), L.whittle(S, P), rtol=1e-14)


def test_gaussian(x64, rng):
    mu, sig = rng.normal(size=50), rng.uniform(0.1, 2, 50)
    y = mu + sig * rng.normal(size=50)
    ref = stats.norm.logpdf(y, loc=mu, scale=sig).sum()
    np.testing.assert_allclose(L.gaussian(mu, y, sig), ref, rtol=1e-12)
    ref1 = stats.norm.logpdf(y, loc=mu, scale=0.3).sum()
    np.testing.assert_allclose(L.gaussian(mu, y, 0.3), ref1, rtol=1e-12)


def test_poisson(x64, rng):
    mu = rng.uniform(0.1, 20, 80)
    y = rng.poisson(mu).astype(float)
    y[:5] = 0.0
    ref = stats.poisson.logpmf(y, mu).sum()
    np.testing.assert_allclose(L.poisson(mu, y), ref, rtol=1e-12)


def test_laplace(x64, rng):
    mu, b = rng.normal(size=40), rng.uniform(0.2, 2.0, 40)
    y = mu + rng.laplace(size=40) * b
    ref = stats.laplace.logpdf(y, loc=mu, scale=b).sum()
    np.testing.assert_allclose(L.laplace(mu, y, b), ref, rtol=1e-12)


def test_float32_input_stays_float32(spectrum):
    S, P = spectrum
    with jax.enable_x64(False):
        out = L.gamma(jnp.asarray(S, jnp.float32), jnp.asarray(P, jnp.float32), 4.0)
        assert out.dtype == jnp.float32
        np.testing.assert_allclose(out, stats.gamma.logpdf(P, a=4, scale=S / 4).sum(), rtol=1e-5)


GRAD_CASES = {
    "whittle": lambda s, d, m: L.whittle(s, d),
    "gamma": lambda s, d, m: L.gamma(s, d, m),
    "stingray_gamma": lambda s, d, m: L.stingray_gamma(s, d, m),
    "gaussian": lambda s, d, m: L.gaussian(s, d, m),
    "poisson": lambda s, d, m: L.poisson(s, jnp.round(d)),
    "laplace": lambda s, d, m: L.laplace(s, d, m),
}


@pytest.mark.parametrize("name", list(GRAD_CASES))
def test_check_grads(x64, spectrum, name):
    S, P = spectrum
    f = GRAD_CASES[name]
    m = jnp.linspace(1.5, 3.0, S.size)  # per-bin m / sigma, differentiated too
    if name == "poisson":
        check_grads(lambda s: f(s, P * 5, m), (jnp.asarray(S),), order=2, modes=["fwd", "rev"])
    else:
        check_grads(f, (jnp.asarray(S), jnp.asarray(P), m), order=2, modes=["fwd", "rev"])


def test_vmap_equals_loop(x64, rng):
    S = rng.uniform(0.5, 3.0, (5, 32))
    P = S * rng.gamma(3.0, 1 / 3.0, (5, 32))
    batched = jax.vmap(L.gamma, in_axes=(0, 0, None))(S, P, 3.0)
    looped = [L.gamma(s, p, 3.0) for s, p in zip(S, P)]
    np.testing.assert_allclose(batched, looped, rtol=1e-13)
