"""Correlated light-curve pairs (coherence, lags) and differentiable Timmer & Koenig."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from stingray_jax.fourier import simulate_correlated_lightcurves, simulate_lightcurve

N, DT = 256, 0.5


def coherence(f):
    return 0.3 + 0.6 * np.exp(-f / 0.3)


def lag(f):
    return 0.8 / (1 + f / 0.2)


@pytest.fixture(scope="module")
def pairs():
    keys = jax.random.split(jax.random.key(2), 2000)
    with jax.enable_x64(True):
        a, b = simulate_correlated_lightcurves(
            keys,
            lambda f: f**-1.0,
            lambda f: 2.0 * f**-1.5,
            lambda f: 0.3 + 0.6 * jnp.exp(-f / 0.3),
            lambda f: 0.8 / (1 + f / 0.2),
            N,
            DT,
            mean=(100.0, 50.0),
            dtype=jnp.float64,
        )
    return np.asarray(a), np.asarray(b)


def test_coherence_and_lags(pairs):
    a, b = pairs
    f = np.fft.rfftfreq(N, DT)[1:-1]
    fa = np.fft.rfft(a, axis=1)[:, 1:-1]
    fb = np.fft.rfft(b, axis=1)[:, 1:-1]
    cross = np.mean(np.conj(fa) * fb, axis=0)
    pa, pb = np.mean(np.abs(fa) ** 2, 0), np.mean(np.abs(fb) ** 2, 0)
    np.testing.assert_allclose(pa / f**-1.0, 1.0, atol=0.15)
    np.testing.assert_allclose(pb / (2 * f**-1.5), 1.0, atol=0.15)
    g2 = np.abs(cross) ** 2 / (pa * pb)
    # 2000 pairs: the coherence estimate has a bias ~1/2000 and scatter of a few percent
    np.testing.assert_allclose(g2, coherence(f), atol=0.06)
    # phase lags: scatter ~ sqrt((1 - g2) / (2 n g2)) < 0.025 rad here
    np.testing.assert_allclose(np.angle(cross), 2 * np.pi * f * lag(f), atol=0.1)


def test_lag_sign_is_stingrays():
    """Stingray's AveragedCrossspectrum(lc1, lc2).time_lag() measures the requested lag."""
    from stingray import AveragedCrossspectrum, Lightcurve

    n = 2**14
    with jax.enable_x64(True):
        a, b = simulate_correlated_lightcurves(
            jax.random.key(0),
            lambda f: 1e4 * f**-1.0,
            lambda f: 1e4 * f**-1.0,
            1.0,
            2.0,
            n,
            1.0,
            mean=(100.0, 100.0),
            dtype=jnp.float64,
        )
    t = np.arange(n) + 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lc1 = Lightcurve(t, np.asarray(a), dt=1.0, skip_checks=True)
        lc2 = Lightcurve(t, np.asarray(b), dt=1.0, skip_checks=True)
        cs = AveragedCrossspectrum(lc1, lc2, segment_size=256, norm="none", silent=True)
        tl, _ = cs.time_lag()
    low = cs.freq < 0.1
    np.testing.assert_allclose(np.median(tl[low]), 2.0, rtol=0.05)


def test_batched_equals_looped():
    keys = jax.random.split(jax.random.key(9), 3)
    args = (lambda f: f**-1.0, lambda f: f**-1.0, 0.5, 1.0, 64, 1.0)
    a, b = simulate_correlated_lightcurves(keys, *args)
    for i, k in enumerate(keys):
        ai, bi = simulate_correlated_lightcurves(k, *args)
        np.testing.assert_allclose(a[i], ai, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b[i], bi, rtol=1e-5, atol=1e-6)


def test_differentiable_in_psd_parameters(x64):
    """Timmer & Koenig (both simulators) are differentiable w.r.t. the PSD parameters."""
    key = jax.random.key(4)

    def pair_loss(alpha, g):
        a, b = simulate_correlated_lightcurves(
            key, lambda f: f**-alpha, lambda f: 2 * f**-alpha, g, 0.3, 64, 1.0
        )
        return jnp.sum(a * b)

    def tk_loss(alpha):
        lc = simulate_lightcurve(key, lambda f: f**-alpha, 64, 1.0, mean=10.0, rms=0.3)
        return jnp.sum(lc[:32] ** 2)

    check_grads(pair_loss, (1.5, 0.7), order=1, modes=("rev",))
    check_grads(tk_loss, (1.5,), order=1, modes=("rev",))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"coherence": 1.5}, "coherence"),
        ({"psd1": -1.0}, "non-negative"),
        ({"time_lag": np.nan}, "time_lag"),
        ({"n_bins": 2}, "n_bins"),
        ({"dt": -1.0}, "dt"),
    ],
)
def test_bad_input(kwargs, match):
    args = {
        "key": jax.random.key(0),
        "psd1": 1.0,
        "psd2": 1.0,
        "coherence": 0.5,
        "time_lag": 0.0,
        "n_bins": 64,
        "dt": 1.0,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        simulate_correlated_lightcurves(**args)
