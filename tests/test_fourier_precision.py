"""Precision policy and bad input of the pure fourier core, with JAX's x64 flag off."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from stingray_jax import fourier as jf
from stingray_jax._config import preserve_global_state

from ._utils import assert_allclose, assert_dtype

with preserve_global_state():
    from stingray import fourier as sf


@pytest.fixture(autouse=True)
def _x64_off():
    assert not jax.config.jax_enable_x64  # the point of these tests
    yield
    assert not jax.config.jax_enable_x64  # and it is never switched on behind our back


@pytest.fixture
def series(rng):
    t = np.sort(rng.uniform(0, 200, 300))
    y = 2 + np.sin(2 * np.pi * 0.25 * t) + rng.normal(0, 0.5, t.size)
    dy = rng.uniform(0.3, 0.8, t.size)
    return t, y, dy


def test_avg_pds_batch_float64_and_float32_on_request(rng):
    fluxes = rng.poisson(30.0, size=(3, 512)).astype(float)
    _, power = jf.avg_pds_batch(fluxes, 0.1, 6.4, norm="leahy")
    assert isinstance(power, np.ndarray)
    assert_dtype(power, np.float64)
    ref = sf.avg_pds_from_iterable(list(fluxes[0].reshape(8, 64)), 0.1, norm="leahy", silent=True)
    assert_allclose(power[0], ref["power"])  # float64 defaults: rtol 1e-10
    _, p32 = jf.avg_pds_batch(fluxes, 0.1, 6.4, norm="leahy", dtype="float32")
    assert_dtype(p32, np.float32)
    assert_allclose(p32, power)  # float32 defaults
    # JAX arrays keep their dtype (float32 with the flag off).
    _, pj = jf.avg_pds_batch(jnp.asarray(fluxes), 0.1, 6.4, norm="leahy")
    assert pj.dtype == jnp.float32
    with pytest.raises(ValueError, match="dtype must be"):
        jf.avg_pds_batch(fluxes, 0.1, dtype="int8")


def test_avg_cs_batch_float64(rng):
    a = rng.poisson(30.0, size=(2, 256)).astype(float)
    b = rng.poisson(20.0, size=(2, 256)).astype(float)
    _, cs = jf.avg_cs_batch(a, b, 0.1, 3.2, norm="leahy")
    assert_dtype(cs, np.complex128)
    ref = sf.avg_cs_from_iterables(
        list(a[1].reshape(8, 32)), list(b[1].reshape(8, 32)), 0.1, norm="leahy", silent=True
    )
    assert_allclose(cs[1], ref["power"])


def test_avg_pds_batch_bad_input(rng):
    fluxes = rng.poisson(30.0, size=(2, 100)).astype(float)
    with pytest.raises(ValueError, match="at least 2 bins"):
        jf.avg_pds_batch(np.zeros((3, 0)), 0.1)
    with pytest.raises(ValueError, match="no light curve"):
        jf.avg_pds_batch(np.zeros((0, 10)), 0.1)
    for bad in (np.nan, np.inf, -1.0, 0.0):
        with pytest.raises(ValueError, match="segment_size must be a positive finite"):
            jf.avg_pds_batch(fluxes, 0.1, segment_size=bad)
    with pytest.raises(ValueError, match="segment_size must be a positive finite"):
        jf.avg_cs_batch(fluxes, fluxes, 0.1, segment_size=np.nan)


def test_lomb_scargle_float64_equals_astropy(series):
    from astropy.timeseries import LombScargle

    t, y, dy = series
    freq = np.linspace(0.01, 1.0, 400)
    ref = LombScargle(t, y, dy, fit_mean=True).power(freq, method="slow")
    ours = jf.lomb_scargle(t, y, freq, dy=dy, fit_mean=True)
    assert isinstance(ours, np.ndarray)
    assert_dtype(ours, np.float64)
    assert_allclose(ours, ref, rtol=1e-8)
    ft = jf.lsft(y, t, freq)
    assert_dtype(ft, np.complex128)
    assert_allclose(ft, sf.lsft_slow(y, t, freq), rtol=1e-9, atol=1e-12)


def test_lomb_scargle_mission_times(series):
    """Times near 3e8 s: the epoch is taken off in float64, also for a float32 computation."""
    from astropy.timeseries import LombScargle

    t, y, _ = series
    freq = np.linspace(0.01, 1.0, 200)
    mission = t + 3.1e8
    # The float64 answer for these (rounded) times: astropy on exact float64 offsets.
    ref = LombScargle(mission - mission[0], y, fit_mean=False).power(freq, method="slow")
    assert_allclose(jf.lomb_scargle(mission, y, freq), ref, rtol=1e-8, atol=1e-12)
    p32 = jf.lomb_scargle(mission, y, freq, dtype="float32")
    assert_dtype(p32, np.float32)
    # float32 sums of 300 terms: a few 1e-5 of the peak; absolute mission times in float32
    # would be off by up to ~0.7 (the 32 s resolution of float32 at 3e8 s).
    np.testing.assert_allclose(p32, ref, atol=2e-4 * ref.max())
    # A batch of series with different epochs and a mask.
    tt = np.stack([mission, t + 5e8])
    mask = np.ones(tt.shape, bool)
    mask[1, :10] = False
    ref1 = LombScargle(tt[1, 10:] - tt[1, 10], y[10:], fit_mean=False).power(freq, method="slow")
    tt[1, :10] = np.nan  # masked points may hold anything
    batch = jf.lomb_scargle(tt, np.stack([y, y]), freq, mask=mask)
    assert_allclose(batch[0], ref, rtol=1e-8, atol=1e-12)
    assert_allclose(batch[1], ref1, rtol=1e-8, atol=1e-12)


def test_lomb_scargle_bad_input(series):
    t, y, dy = series
    freq = np.linspace(0.01, 1.0, 20)
    with pytest.raises(ValueError, match="at least 2 points"):
        jf.lomb_scargle(t[:1], y[:1], freq)
    with pytest.raises(ValueError, match="at least 2 points"):
        jf.lomb_scargle(np.array([]), np.array([]), freq)
    with pytest.raises(ValueError, match="freq is empty"):
        jf.lomb_scargle(t, y, np.array([]))
    bad = dy.copy()
    bad[5] = 0.0
    with pytest.raises(ValueError, match="dy must be positive"):
        jf.lomb_scargle(t, y, freq, dy=bad)
    bad[5] = -0.5
    with pytest.raises(ValueError, match="dy must be positive"):
        jf.lomb_scargle(t, y, freq, dy=bad)
    mask = np.ones(t.size, bool)
    mask[5] = False  # a masked point's dy does not matter
    bad[5] = 0.0
    assert np.all(np.isfinite(jf.lomb_scargle(t, y, freq, dy=bad, mask=mask)))
    with pytest.raises(ValueError, match="at least 2 points"):
        jf.lsft(y[:1], t[:1], freq)


@pytest.mark.parametrize("which", ["emmanoulopoulos", "pairs"])
def test_newer_simulators_float64_by_default(which):
    """NumPy/Python input simulates in float64 (x64 off in the tests); a JAX-array PSD keeps
    its dtype; dtype= overrides; the global flag is unchanged."""
    key = jax.random.key(1)

    def psd(f):
        return 1.0 / (1 + f**2)

    def run(p, **kw):
        if which == "emmanoulopoulos":
            dist = jf.lognormal_distribution(0.4)
            return (jf.simulate_emmanoulopoulos(key, p, 64, 1.0, dist, n_iter=20, **kw),)
        return jf.simulate_correlated_lightcurves(key, p, p, 0.8, 1.0, 64, 1.0, **kw)

    flag = jax.config.jax_enable_x64
    for out in run(psd):
        assert isinstance(out, np.ndarray)
        assert_dtype(out, np.float64)
    assert jax.config.jax_enable_x64 == flag
    for out in run(psd, dtype="float32"):
        assert_dtype(out, "f4")
    values = psd(np.fft.rfftfreq(64, 1.0)[1:])
    for out in run(jnp.asarray(values, jnp.float32)):
        assert out.dtype == jnp.float32
    for a, b in zip(run(values), run(psd)):
        assert_allclose(a, b)


def test_simulate_float64_and_bad_psd():
    key = jax.random.key(0)

    def psd(f):
        return 1.0 / (1 + f**2)

    lc = jf.simulate_lightcurve(key, psd, 128, 0.1, 100.0, 0.1)
    assert isinstance(lc, np.ndarray)
    assert_dtype(lc, np.float64)
    assert_allclose(lc.std(), 10.0)  # the rms rescaling, exact in float64
    assert_dtype(jf.simulate_lightcurve(key, psd, 128, 0.1, 100.0, 0.1, dtype="float32"), "f4")
    assert jf.simulate_lightcurve(key, jnp.ones(64), 128, 0.1, 100.0, 0.1).dtype == jnp.float32
    n_freq = 64
    good = np.ones(n_freq)
    for values, match in (
        (-good, "negative"),
        (np.where(np.arange(n_freq) == 3, np.nan, good), "NaN"),
        (np.zeros(n_freq), "zero at every"),
    ):
        with pytest.raises(ValueError, match=match):
            jf.simulate_lightcurve(key, values, 128, 0.1, 100.0, 0.1)
    with pytest.raises(ValueError, match="negative"):
        jf.simulate_lightcurve(key, lambda f: -psd(f), 128, 0.1, 100.0, 0.1)
    for rms in (-0.1, np.nan):
        with pytest.raises(ValueError, match="rms must be"):
            jf.simulate_lightcurve(key, psd, 128, 0.1, 100.0, rms)
    with pytest.raises(ValueError, match="mean must be"):
        jf.simulate_lightcurve(key, psd, 128, 0.1, np.inf, 0.1)


def test_simulate_traced_keeps_working():
    """Under vmap/jit the checks that need concrete values step aside."""

    @jax.jit
    def f(key, rms):
        return jf.simulate_lightcurve(key, lambda fr: 1.0 / (1 + fr**2), 64, 0.1, 10.0, rms)

    out = f(jax.random.key(1), 0.2)
    assert out.shape == (64,)
    assert bool(jnp.all(jnp.isfinite(out)))


def test_timeseries_unsorted_times_and_nan_segment(rng):
    times = np.sort(rng.uniform(0, 100, 5000))
    gti = [[0, 100]]
    shuffled = rng.permutation(times)
    with pytest.raises(ValueError, match="sorted"):
        jf.avg_pds_from_timeseries(shuffled, gti, 10, 0.1)
    with pytest.raises(ValueError, match="sorted"):
        jf.avg_cs_from_timeseries(shuffled, times, gti, 10, 0.1)
    for bad in (np.nan, -5.0, 0.0, np.inf):
        with pytest.raises(ValueError, match="segment_size must be a positive finite"):
            jf.avg_pds_from_timeseries(times, gti, bad, 0.1)
        with pytest.raises(ValueError, match="segment_size must be a positive finite"):
            jf.avg_cs_from_timeseries(times, times, gti, bad, 0.1)
