"""Tests of the MAP deconvolution example."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from stingray_jax.examples import deconvolution as dc


def _rms(a):
    return float(np.sqrt(np.mean(np.square(a))))


def _direct_circular_convolution(x, kernel):
    """sum_k x[i - k] kernel[c + k] with a Python loop over lags (1-D)."""
    n, c = x.size, x.size // 2
    return np.array([sum(x[(i - k) % n] * kernel[(c + k) % n] for k in range(n)) for i in range(n)])


def test_fft_convolve_matches_direct_sum(x64, rng):
    x = rng.normal(size=17)
    kernel = rng.normal(size=17)
    np.testing.assert_allclose(
        dc.fft_convolve(x, kernel), _direct_circular_convolution(x, kernel), rtol=1e-12, atol=1e-12
    )


def test_fft_convolve_matches_shifted_sum_in_2d(x64, rng):
    image = rng.uniform(size=(12, 9))
    psf = dc.gaussian_psf((12, 9), 1.5)
    c0, c1 = 6, 4
    # sum over lags (a, b) of kernel[c + (a, b)] * image shifted by (a, b), indices modulo n.
    expected = sum(
        psf[(c0 + a) % 12, (c1 + b) % 9] * np.roll(image, (a, b), axis=(0, 1))
        for a in range(12)
        for b in range(9)
    )
    np.testing.assert_allclose(dc.fft_convolve(image, psf), expected, rtol=1e-12, atol=1e-14)


def test_blur_conserves_flux(x64):
    truth = dc.star_field((32, 32), 5)
    blurred = dc.fft_convolve(truth, dc.gaussian_psf((32, 32), 2.0))
    np.testing.assert_allclose(float(blurred.sum()), truth.sum(), rtol=1e-12)
    response = dc.exponential_response(100, 3.0)
    pulse = np.zeros(100)
    pulse[30] = 1.0
    smeared = np.asarray(dc.fft_convolve(pulse, response))
    np.testing.assert_allclose(smeared.sum(), 1.0, rtol=1e-12)
    # Causal: nothing before the pulse, a decaying tail after it.
    np.testing.assert_allclose(smeared[:30], 0.0, atol=1e-14)
    assert smeared[30] > smeared[31] > smeared[40] > 0


@pytest.mark.parametrize("prior", dc.PRIORS)
def test_log_posterior_check_grads(x64, rng, prior):
    """Gradients through the FFT convolution and each prior, against finite differences."""
    data = rng.normal(size=(12, 10)) + 1
    psf = jnp.asarray(dc.gaussian_psf((12, 10), 1.2))
    x = jnp.asarray(rng.uniform(0.5, 1.5, size=(12, 10)))

    def f(x):
        return dc.log_posterior(x, data, psf, 1.0, prior, 0.7, delta=0.3)

    check_grads(jax.jit(f), (x,), order=1, modes=["fwd", "rev"])
    check_grads(jax.jit(dc.fft_convolve), (x, psf), order=1, modes=["rev"])


def test_map_tikhonov_equals_closed_form(x64, rng):
    # The shape and settings of the map_deconvolve doctest, so the compilation is shared.
    psf = dc.gaussian_psf((64,), 2.0)
    truth = np.zeros(64)
    truth[[10, 20, 41]] = [1.0, 2.0, 0.5]
    sigma = 0.05
    data = np.asarray(dc.fft_convolve(truth, psf)) + sigma * rng.normal(size=64)
    x = dc.map_deconvolve(data, psf, sigma, prior="tikhonov", weight=1.0)
    exact = dc.tikhonov_solution(data, psf, sigma, 1.0)
    np.testing.assert_allclose(x, exact, rtol=0, atol=1e-6 * float(jnp.abs(exact).max()))


@pytest.fixture(scope="module")
def image_problem():
    truth = dc.star_field((64, 64), 12, seed=0)
    psf = dc.gaussian_psf((64, 64), 2.0)
    sigma = 0.02
    with jax.enable_x64(True):
        blurred = np.asarray(dc.fft_convolve(truth, psf))
    data = blurred + sigma * np.random.default_rng(1).normal(size=truth.shape)
    return truth, psf, sigma, data


def test_image_deconvolution_beats_data_and_tikhonov(x64, image_problem):
    truth, psf, sigma, data = image_problem
    data_error = _rms(data - truth)
    tikhonov = np.asarray(dc.tikhonov_solution(data, psf, sigma, 1.0))
    smooth = np.asarray(
        dc.map_deconvolve(data, psf, sigma, prior="positive_smooth", weight=0.03, n_iter=500)
    )
    ratio_tikhonov = _rms(tikhonov - truth) / data_error
    ratio_smooth = _rms(smooth - truth) / data_error
    # Measured: 0.95 (Tikhonov) and 0.33 (positivity + smoothed total variation).
    assert ratio_smooth < 0.45
    assert ratio_smooth < 0.5 * ratio_tikhonov
    assert smooth.min() >= 0
    np.testing.assert_allclose(smooth.sum(), truth.sum(), rtol=0.01)
    np.testing.assert_allclose(tikhonov.sum(), truth.sum(), rtol=0.01)


def _burst_problem(seed):
    dt, n = 0.05, 512
    t = np.arange(n) * dt
    truth = (
        dc.fred_profile(t, 100.0, 3.0, 0.3, 1.5) + dc.fred_profile(t, 60.0, 9.0, 0.1, 0.8) + 10.0
    )
    response = dc.exponential_response(n, tau=1.0, dt=dt)
    sigma = 2.0
    with jax.enable_x64(True):
        smeared = np.asarray(dc.fft_convolve(truth, response))
    data = smeared + sigma * np.random.default_rng(seed).normal(size=n)
    return truth, response, sigma, data


def test_light_curve_deconvolution(x64):
    truth, response, sigma, data = _burst_problem(2)
    x = np.asarray(
        dc.map_deconvolve(data, response, sigma, prior="positive_smooth", weight=1.0, n_iter=500)
    )
    ratio = _rms(x - truth) / _rms(data - truth)
    # Measured: 0.19. The smeared data are late and low at the peaks; the MAP estimate is not.
    assert ratio < 0.3
    np.testing.assert_allclose(x.sum(), truth.sum(), rtol=0.01)
    # The smeared peak is late by ~ tau; the reconstructed one is much closer.
    delay_data = abs(np.argmax(data) - np.argmax(truth))
    delay_map = abs(np.argmax(x) - np.argmax(truth))
    assert delay_map < delay_data / 2, (delay_map, delay_data)

    # A new noise realisation and prior weight reuse the compiled solver.
    before = dc.map_deconvolve._cache_size()
    _, _, _, data2 = _burst_problem(3)
    x2 = dc.map_deconvolve(data2, response, sigma, prior="positive_smooth", weight=2.0, n_iter=500)
    assert dc.map_deconvolve._cache_size() == before
    assert _rms(np.asarray(x2) - truth) / _rms(data2 - truth) < 0.3


def test_float32_in_float32_out():
    x = jnp.ones(16, jnp.float32)
    assert dc.fft_convolve(x, dc.exponential_response(16, 2.0)).dtype == jnp.float32


def test_bad_input_raises():
    with pytest.raises(ValueError, match="prior must be one of"):
        dc.log_posterior(np.ones(4), np.ones(4), np.ones(4), 1.0, prior="maxent")
    with pytest.raises(ValueError, match="same shape"):
        dc.fft_convolve(np.ones(4), np.ones(5))
    with pytest.raises(ValueError, match="prior must be one of"):
        dc.map_deconvolve(np.ones(4), np.ones(4), 1.0, prior="l2")
