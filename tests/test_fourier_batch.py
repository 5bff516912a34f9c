"""Batched periodograms, Lomb-Scargle and Timmer & Koenig simulation."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy import stats

from stingray_jax import fourier as jf
from stingray_jax._config import preserve_global_state

with preserve_global_state():
    from stingray import fourier as sf
    from stingray.simulator import Simulator


def _segments_of(row, mask_row, n_seg):
    out = []
    for k in range(row.size // n_seg):
        sl = slice(k * n_seg, (k + 1) * n_seg)
        if mask_row[sl].all() and np.any(row[sl] != 0):
            out.append(row[sl])
    return out


@pytest.fixture
def batch(rng):
    n_lc, n_bins = 5, 1000
    fluxes = rng.poisson(40.0, size=(n_lc, n_bins)).astype(float)
    mask = np.ones((n_lc, n_bins), bool)
    mask[1, 700:] = False  # shorter light curve
    mask[2, 230:260] = False  # a gap
    mask[3, :] = True
    fluxes[4, 100:200] = 0.0  # an all-zero segment is skipped, as in Stingray
    fluxes[~mask] = 1e9  # padding values must not matter
    return fluxes, mask


@pytest.mark.parametrize("norm", ["frac", "abs", "leahy", "none"])
@pytest.mark.parametrize("use_common_mean", [True, False])
def test_avg_pds_batch_equals_stingray_and_loop(batch, norm, use_common_mean):
    fluxes, mask = batch
    dt, seg = 0.01, 1.0
    freq, power = jf.avg_pds_batch(
        fluxes, dt, segment_size=seg, norm=norm, use_common_mean=use_common_mean, mask=mask
    )
    assert power.shape == (5, freq.size)
    assert power.dtype == freq.dtype == np.float64  # NumPy in, x64 off: float64 out
    for i in range(fluxes.shape[0]):
        segs = _segments_of(fluxes[i], mask[i], 100)
        ref = sf.avg_pds_from_iterable(
            segs, dt, norm=norm, use_common_mean=use_common_mean, silent=True
        )
        np.testing.assert_allclose(power[i], ref["power"], rtol=1e-10)
        np.testing.assert_allclose(freq, ref["freq"], rtol=1e-14)
        # Batched == looped one light curve at a time.
        _, one = jf.avg_pds_batch(
            fluxes[i : i + 1], dt, seg, norm=norm, use_common_mean=use_common_mean,
            mask=mask[i : i + 1],
        )  # fmt: skip
        np.testing.assert_allclose(one[0], power[i], rtol=1e-12)


@pytest.mark.parametrize("power_type", ["all", "real", "abs"])
@pytest.mark.parametrize("use_common_mean", [True, False])
def test_avg_cs_batch_equals_stingray(batch, rng, power_type, use_common_mean):
    fluxes, mask = batch
    fluxes2 = np.where(mask, rng.poisson(30.0, size=fluxes.shape), 0.0)
    _, cs = jf.avg_cs_batch(
        fluxes, fluxes2, 0.01, 1.0, norm="leahy", use_common_mean=use_common_mean, mask=mask,
        power_type=power_type,
    )  # fmt: skip
    for i in range(fluxes.shape[0]):
        s1 = _segments_of(fluxes[i], mask[i], 100)
        s2 = _segments_of(np.where(mask[i], fluxes2[i], 0), mask[i], 100)
        if len(s1) != len(s2):
            continue  # the all-zero segment of row 4 is only zero in channel 1
        ref = sf.avg_cs_from_iterables(
            s1, s2, 0.01, norm="leahy", use_common_mean=use_common_mean, silent=True,
            power_type="absolute" if power_type == "abs" else power_type,
        )  # fmt: skip
        np.testing.assert_allclose(cs[i], ref["power"], rtol=1e-10)


def test_avg_pds_batch_whole_series_and_no_recompile(rng):
    fluxes = rng.poisson(10.0, size=(8, 256)).astype(float)
    _, power = jf.avg_pds_batch(fluxes, 0.5, norm="leahy")
    ref = sf.avg_pds_from_iterable(list(fluxes[:1]), 0.5, norm="leahy", silent=True)
    np.testing.assert_allclose(power[0], ref["power"], rtol=1e-10)
    before = jf._batched._avg_pds_batch_jit._cache_size()
    for _ in range(3):
        jf.avg_pds_batch(rng.poisson(10.0, size=(8, 256)).astype(float), 0.5, norm="leahy")
    assert jf._batched._avg_pds_batch_jit._cache_size() == before


def test_batch_no_good_segment_gives_nan_and_bad_input(rng):
    fluxes = rng.poisson(10.0, size=(2, 200)).astype(float)
    mask = np.ones_like(fluxes, bool)
    mask[1, ::7] = False  # every segment has a masked bin
    _, power = jf.avg_pds_batch(fluxes, 0.1, 5.0, mask=mask)
    assert np.all(np.isfinite(power[0]))
    assert np.all(np.isnan(power[1]))
    with pytest.raises(ValueError, match="dt"):
        jf.avg_pds_batch(fluxes, 0.0)
    with pytest.raises(ValueError, match="dt"):
        jf.avg_pds_batch(fluxes, -1.0)
    bad = fluxes.copy()
    bad[0, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        jf.avg_pds_batch(bad, 0.1, 5.0)
    masked_nan = np.where(mask, fluxes, np.nan)
    jf.avg_pds_batch(masked_nan, 0.1, 5.0, mask=mask)  # NaN only where masked: fine
    with pytest.raises(ValueError, match="longer"):
        jf.avg_pds_batch(fluxes, 0.1, 100.0)
    with pytest.raises(ValueError, match="shape"):
        jf.avg_pds_batch(fluxes[0], 0.1)
    with pytest.raises(ValueError, match="norm"):
        jf.avg_pds_batch(fluxes, 0.1, norm="rms")


def test_avg_pds_batch_gradient(x64, rng):
    """The batched periodogram is differentiable with respect to the fluxes."""
    fluxes = rng.poisson(20.0, size=(2, 64)).astype(float)

    def f(x):
        return jnp.sum(jf.avg_pds_batch(x, 0.1, 1.6, norm="frac")[1] ** 0.5)

    check_grads(f, (jnp.asarray(fluxes),), order=1, modes=("rev",), rtol=1e-5)


# ---------------------------------------------------------------------------------------------
# Lomb-Scargle
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def uneven(rng):
    t = np.sort(rng.uniform(0, 100, 250))
    y = 3 + np.sin(2 * np.pi * 0.3 * t) + rng.normal(0, 0.5, t.size)
    dy = rng.uniform(0.3, 0.8, t.size)
    return t, y, dy


@pytest.mark.parametrize("fit_mean", [False, True])
@pytest.mark.parametrize("normalization", ["standard", "model", "log", "psd"])
@pytest.mark.parametrize("method", ["direct", "nufft"])
@pytest.mark.parametrize("use_dy", [False, True])
def test_lomb_scargle_equals_astropy_slow(uneven, fit_mean, normalization, method, use_dy):
    from astropy.timeseries import LombScargle

    if method == "nufft":
        pytest.importorskip("jax_finufft")
    t, y, dy = uneven
    dy = dy if use_dy else None
    freq = np.linspace(0.005, 2.0, 1200)
    ref = LombScargle(t, y, dy, fit_mean=fit_mean, center_data=True, normalization=normalization)
    ref = ref.power(freq, method="slow")
    ours = jf.lomb_scargle(
        t, y, freq, dy=dy, fit_mean=fit_mean, normalization=normalization, method=method
    )
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours, ref, rtol=1e-8)


def test_lomb_scargle_batch_with_masks_equals_loop(rng):
    pytest.importorskip("jax_finufft")
    n_series, n_max = 4, 100
    lengths = rng.integers(40, n_max + 1, n_series)
    t = np.sort(rng.uniform(0, 50, (n_series, n_max)), axis=1)
    y = rng.normal(size=(n_series, n_max))
    mask = np.arange(n_max)[None, :] < lengths[:, None]
    t = np.where(mask, t, 1e6)  # padding values must not matter
    freq = np.linspace(0.02, 3, 300)
    for method in ("direct", "nufft"):
        batch = jf.lomb_scargle(t, y, freq, fit_mean=True, mask=mask, method=method)
        for i in range(n_series):
            n = lengths[i]
            one = jf.lomb_scargle(t[i, :n], y[i, :n], freq, fit_mean=True, method="direct")
            np.testing.assert_allclose(batch[i], one, rtol=1e-8)


def test_lomb_scargle_gradients_and_no_recompile(x64, uneven):
    pytest.importorskip("jax_finufft")
    t, y, dy = uneven
    freq = np.linspace(0.01, 1, 50)

    for method in ("direct", "nufft"):

        def f(yy, method=method):
            return jnp.sum(jf.lomb_scargle(t, yy, freq, dy=dy, fit_mean=True, method=method))

        check_grads(f, (jnp.asarray(y),), order=1, modes=("rev",), rtol=1e-5)
    before = jf._lombscargle._ls_batch._cache_size()
    jf.lomb_scargle(t, y + 1.0, freq, method="direct")
    jf.lomb_scargle(t + 3.0, y * 2.0, freq, method="direct")
    assert jf._lombscargle._ls_batch._cache_size() <= before + 1


def test_lomb_scargle_bad_input(uneven):
    t, y, _ = uneven
    with pytest.raises(ValueError, match="normalization"):
        jf.lomb_scargle(t, y, [0.1, 0.2], normalization="bad")
    with pytest.raises(ValueError, match="uniformly"):
        jf.lomb_scargle(t, y, [0.1, 0.2, 0.5], method="nufft")
    bad = y.copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        jf.lomb_scargle(t, bad, [0.1, 0.2])


def test_lsft_equals_stingray(uneven):
    pytest.importorskip("jax_finufft")
    t, y, _ = uneven
    freq = np.arange(0.0, 1.0, 0.01)
    ref = sf.lsft_slow(y, t, freq)
    np.testing.assert_allclose(jf.lsft(y, t, freq), ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(jf.lsft(y, t, freq, method="nufft"), ref, rtol=1e-8, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# Timmer & Koenig simulation
# ---------------------------------------------------------------------------------------------


def _psd(f):
    return 1e-2 / (1 + (f / 0.5) ** 2)


def _stingray_sims(n_sim, n_bins, dt, mean, rms, red_noise, seed):
    # Stingray's Simulator draws from the global NumPy RNG: seed it, then restore its state.
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(seed)  # noqa: NPY002
    from astropy.modeling.models import Lorentz1D

    model = Lorentz1D(amplitude=1e-2, x_0=0.0, fwhm=1.0)  # the same PSD as _psd
    out = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i in range(n_sim):
                sim = Simulator(dt, n_bins, mean, rms, red_noise=red_noise, random_state=seed + i)
                out.append(sim.simulate(model).counts)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    return np.array(out)


def test_simulate_mean_and_rms_exact():
    keys = jax.random.split(jax.random.key(1), 50)
    lcs = jf.simulate_lightcurve(keys, _psd, 512, 0.1, mean=200.0, rms=0.15)
    np.testing.assert_allclose(lcs.mean(axis=1), 200.0, rtol=1e-10)
    np.testing.assert_allclose(lcs.std(axis=1), 0.15 * 200.0, rtol=1e-12)
    ref = _stingray_sims(5, 512, 0.1, 200.0, 0.15, 1, 0)
    np.testing.assert_allclose(ref.std(axis=1), 30.0, rtol=1e-12)
    # One key -> one light curve, the same as that key in a batch.
    one = jf.simulate_lightcurve(keys[3], _psd, 512, 0.1, mean=200.0, rms=0.15)
    np.testing.assert_allclose(one, lcs[3], rtol=1e-12)


@pytest.mark.slow
def test_simulate_statistically_equal_to_stingray():
    n_sim, n_bins, dt = 300, 256, 0.1
    keys = jax.random.split(jax.random.key(7), n_sim)
    ours = np.asarray(jf.simulate_lightcurve(keys, _psd, n_bins, dt, 100.0, 0.2, red_noise=4))
    theirs = _stingray_sims(n_sim, n_bins, dt, 100.0, 0.2, 4, 11)
    # Means and variances of the cut-out light curves (red-noise leak: not exact) agree.
    assert stats.ks_2samp(ours.mean(axis=1), theirs.mean(axis=1)).pvalue > 1e-3
    assert stats.ks_2samp(ours.var(axis=1), theirs.var(axis=1)).pvalue > 1e-3

    # Periodograms: P_k / S(f_k), normalised by their common mean, ~ chi2(2)/2 for both.
    def norm_pgram(x):
        ft = np.fft.rfft(x - x.mean(axis=1, keepdims=True), axis=1)[:, 1:-1]
        freq = np.fft.rfftfreq(n_bins, dt)[1:-1]
        ratio = np.abs(ft) ** 2 / _psd(freq)
        return ratio / ratio.mean()

    po, pt = norm_pgram(ours).ravel(), norm_pgram(theirs).ravel()
    assert stats.ks_2samp(po, pt).pvalue > 1e-3
    assert stats.kstest(po[::7], "expon").pvalue > 1e-3


def test_simulate_poisson_and_array_psd():
    key = jax.random.key(3)
    n_bins = 256
    arr = _psd(np.fft.rfftfreq(n_bins, 0.1)[1:])
    a = jf.simulate_lightcurve(key, arr, n_bins, 0.1, 50.0, 0.1)
    b = jf.simulate_lightcurve(key, _psd, n_bins, 0.1, 50.0, 0.1)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    counts = jf.simulate_lightcurve(key, _psd, n_bins, 0.1, 50.0, 0.1, poisson=True)
    assert np.all(np.asarray(counts) == np.round(np.asarray(counts)))
    assert abs(float(counts.mean()) - 50.0) < 3
    with pytest.raises(ValueError, match="dt"):
        jf.simulate_lightcurve(key, _psd, n_bins, 0.0, 50.0, 0.1)
    with pytest.raises(ValueError, match="PSD"):
        jf.simulate_lightcurve(key, np.ones(500), n_bins, 0.1, 50.0, 0.1)
