"""stingray_jax.fourier against stingray.fourier: same tables, same numbers (float64)."""

import os
import warnings

import jax
import numpy as np
import pytest

from stingray_jax import fourier as jf
from stingray_jax._config import preserve_global_state

with preserve_global_state():
    from stingray import fourier as sf
    from stingray.events import EventList
    from stingray.sampledata import sample_data

DATA = os.path.join(os.path.dirname(sf.__file__), "tests", "data")
NORMS = ["frac", "abs", "leahy", "none"]
RTOL = 1e-10


def assert_close(actual, desired, rtol=RTOL):
    actual = np.asarray(actual)
    desired = np.asarray(desired)
    assert actual.shape == desired.shape
    np.testing.assert_allclose(actual, desired, rtol=rtol, atol=0)


def assert_same_table(ours, theirs, rtol=RTOL):
    assert ours is not None
    assert theirs is not None
    assert ours.colnames == theirs.colnames
    for col in theirs.colnames:
        assert_close(ours[col], theirs[col], rtol)
    assert set(ours.meta) == set(theirs.meta)
    for key, val in theirs.meta.items():
        if key in ("subcs", "unnorm_subcs"):
            assert_close(np.array(ours.meta[key]), np.array(val), rtol)
        elif key == "gti":
            np.testing.assert_array_equal(ours.meta[key], val)
        elif val is None or isinstance(val, str | bool):
            assert ours.meta[key] == val, key
        else:
            np.testing.assert_allclose(ours.meta[key], val, rtol=1e-12, err_msg=key)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def chandra():
    ev = _quiet(EventList.read, os.path.join(DATA, "chandra_test.fits"), fmt="ogip")
    g0, g1 = ev.gti[0]
    # Add gaps: three GTIs, so segments restart at each GTI start.
    gti = np.array([[g0, g0 + 300], [g0 + 330, g0 + 700], [g0 + 720, g1]], dtype=ev.gti.dtype)
    return ev.time, gti


@pytest.fixture(scope="module")
def xmm():
    """A 60 s slice of the (large) XMM test file: ~100k events, longdouble times."""
    ev = _quiet(EventList.read, os.path.join(DATA, "xmm_test.fits"), fmt="ogip")
    t0 = ev.gti[0, 0]
    times = ev.time[(ev.time >= t0) & (ev.time < t0 + 60)]
    gti = np.array([[t0, t0 + 25], [t0 + 27, t0 + 60]], dtype=ev.gti.dtype)
    return times, gti


@pytest.fixture(scope="module")
def rxte():
    lc = _quiet(sample_data)
    t0 = lc.gti[0, 0]
    gti = np.array([[t0, t0 + 900], [t0 + 1000, t0 + 2000], [t0 + 2050, lc.gti[-1, 1]]])
    err = np.sqrt(lc.counts)
    return lc.time, lc.counts, err, lc.dt, gti


@pytest.fixture(scope="module")
def simulated_events():
    rng = np.random.default_rng(5)
    times = np.sort(rng.uniform(0, 400, 60000)) + 5e8  # absolute mission-like times
    gti = np.array([[5e8, 5e8 + 130], [5e8 + 140, 5e8 + 400]])
    keep = (times < 5e8 + 130) | (times >= 5e8 + 140)
    return times[keep], gti


# ---------------------------------------------------------------------------------------------
# Small functions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 10, 11, 1024, 1025])
@pytest.mark.parametrize("include_zero", [False, True])
def test_positive_fft_bins(n, include_zero):
    assert jf.positive_fft_bins(n, include_zero) == sf.positive_fft_bins(n, include_zero)


@pytest.mark.parametrize("norm", NORMS)
def test_poisson_level(norm):
    kw = {"meanrate": 12.5, "n_ph": 1000, "backrate": 2.5}
    assert np.isclose(jf.poisson_level(norm, **kw), sf.poisson_level(norm, **kw), rtol=1e-15)


def test_poisson_level_bad_input():
    with pytest.raises(ValueError, match="Bad input"):
        jf.poisson_level("frac")
    with pytest.raises(ValueError, match="Unknown"):
        jf.poisson_level("nope", meanrate=1.0)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("power_type", ["all", "real", "abs"])
@pytest.mark.parametrize("variance", [None, 3.3])
def test_normalize_periodograms(x64, rng, norm, power_type, variance):
    power = rng.normal(size=50) + 1j * rng.normal(size=50)
    kw = {"mean_flux": 4.2, "n_ph": 420.0, "variance": variance, "norm": norm}
    ours = jf.normalize_periodograms(power, 0.1, 100, power_type=power_type, **kw)
    theirs = sf.normalize_periodograms(power, 0.1, 100, power_type=power_type, **kw)
    assert_close(ours, theirs, 1e-14)
    # Jit-able with the string arguments static.
    jitted = jax.jit(lambda p: jf.normalize_periodograms(p, 0.1, 100, power_type=power_type, **kw))
    assert_close(jitted(power), theirs, 1e-14)


def test_normalize_periodograms_errors():
    with pytest.raises(ValueError, match="variance"):
        jf.normalize_periodograms(np.ones(3), 1.0, 3, variance=0.0, norm="leahy")
    with pytest.raises(ValueError, match="norm"):
        jf.normalize_periodograms(np.ones(3), 1.0, 3, mean_flux=1.0, norm="bad")
    with pytest.raises(ValueError, match="power type"):
        jf.normalize_periodograms(np.ones(3), 1.0, 3, mean_flux=1.0, power_type="bad")


# ---------------------------------------------------------------------------------------------
# Averaged power spectra: every norm x use_common_mean x events / light curve, with gaps
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("use_common_mean", [True, False])
@pytest.mark.parametrize("dataset", ["chandra", "xmm", "simulated_events"])
def test_avg_pds_events(request, norm, use_common_mean, dataset):
    times, gti = request.getfixturevalue(dataset)
    seg, dt = {"chandra": (100, 0.5), "xmm": (4, 1 / 512), "simulated_events": (16, 1 / 64)}[
        dataset
    ]
    kw = {"norm": norm, "use_common_mean": use_common_mean}
    ours = jf.avg_pds_from_timeseries(times, gti, seg, dt, **kw)
    theirs = sf.avg_pds_from_timeseries(times, gti, seg, dt, silent=True, **kw)
    assert ours.meta["m"] > 2
    assert_same_table(ours, theirs)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("use_common_mean", [True, False])
@pytest.mark.parametrize("with_errors", [False, True])
def test_avg_pds_lightcurve(rxte, norm, use_common_mean, with_errors):
    time, counts, err, dt, gti = rxte
    kw = {"norm": norm, "use_common_mean": use_common_mean, "fluxes": counts}
    kw["errors"] = err if with_errors else None
    ours = jf.avg_pds_from_timeseries(time, gti, 64, dt, return_subcs=True, **kw)
    theirs = sf.avg_pds_from_timeseries(time, gti, 64, dt, silent=True, return_subcs=True, **kw)
    assert ours.meta["m"] > 20
    assert_same_table(ours, theirs)


@pytest.mark.parametrize("norm", NORMS)
def test_avg_pds_single_segment(chandra, rxte, norm):
    """segment_size=None: one periodogram of the whole observation (events and binned)."""
    times, gti = chandra
    gti1 = gti[:1]
    sel = times[(times >= gti1[0, 0]) & (times < gti1[0, 1])]
    assert_same_table(
        jf.avg_pds_from_timeseries(sel, gti1, None, 0.25, norm=norm),
        sf.avg_pds_from_timeseries(sel, gti1, None, 0.25, norm=norm, silent=True),
    )
    time, counts, _, dt, gti = rxte
    assert_same_table(
        jf.avg_pds_from_timeseries(time, gti[:1], None, dt, norm=norm, fluxes=counts),
        sf.avg_pds_from_timeseries(time, gti[:1], None, dt, norm=norm, fluxes=counts, silent=True),
    )


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("use_common_mean", [True, False])
def test_avg_pds_from_iterable(rng, norm, use_common_mean):
    lcs = [rng.poisson(30, 128).astype(float) for _ in range(6)] + [np.zeros(128), None]
    kw = {"norm": norm, "use_common_mean": use_common_mean}
    assert_same_table(
        jf.avg_pds_from_iterable(lcs, 0.1, **kw),
        sf.avg_pds_from_iterable(lcs, 0.1, silent=True, **kw),
    )


# ---------------------------------------------------------------------------------------------
# Averaged cross spectra
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("use_common_mean", [True, False])
@pytest.mark.parametrize("power_type", ["all", "real", "absolute"])
def test_avg_cs_events(chandra, norm, use_common_mean, power_type):
    times, gti = chandra
    t1, t2 = times[::2], times[1::2]
    kw = {
        "norm": norm,
        "use_common_mean": use_common_mean,
        "power_type": power_type,
        "return_auxil": True,
    }
    ours = jf.avg_cs_from_timeseries(t1, t2, gti, 100, 0.5, **kw)
    theirs = sf.avg_cs_from_timeseries(t1, t2, gti, 100, 0.5, silent=True, **kw)
    if not use_common_mean:
        # Stingray 2.3.2 stores the *sum* of the normalised auxiliary spectra (documented).
        for col in ("pds1", "pds2"):
            theirs[col] = theirs[col] / theirs.meta["m"]
    assert_same_table(ours, theirs)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("use_common_mean", [True, False])
@pytest.mark.parametrize("fullspec", [False, True])
def test_avg_cs_lightcurve(rxte, rng, norm, use_common_mean, fullspec):
    time, counts, err, dt, gti = rxte
    counts2 = rng.poisson(counts).astype(float)
    kw = {
        "norm": norm,
        "use_common_mean": use_common_mean,
        "fullspec": fullspec,
        "fluxes1": counts,
        "fluxes2": counts2,
        "errors1": err,
        "errors2": np.sqrt(counts2),
        "return_subcs": True,
    }
    ours = jf.avg_cs_from_timeseries(time, time, gti, 64, dt, **kw)
    theirs = sf.avg_cs_from_timeseries(time, time, gti, 64, dt, silent=True, **kw)
    assert_same_table(ours, theirs)


def test_avg_cs_quick_path_meta(simulated_events):
    """Stingray's quick path (events, silent, common mean) has its own meta keys."""
    times, gti = simulated_events
    t1, t2 = times[::2], times[1::2]
    ours = jf.avg_cs_from_timeseries(t1, t2, gti, 16, 1 / 64, silent=True)
    theirs = sf.avg_cs_from_timeseries(t1, t2, gti, 16, 1 / 64, silent=True)
    assert_same_table(ours, theirs)


def test_avg_cs_from_iterables(rng):
    a = [rng.poisson(30, 64).astype(float) for _ in range(5)]
    b = [rng.poisson(30, 64).astype(float) for _ in range(5)]
    assert_same_table(
        jf.avg_cs_from_iterables(a, b, 0.1, norm="leahy", return_auxil=True),
        sf.avg_cs_from_iterables(a, b, 0.1, norm="leahy", return_auxil=True, silent=True),
    )


def test_results_float64_whatever_the_flag(chandra):
    """The Stingray-named functions compute in float64 even with x64 off globally."""
    assert not jax.config.jax_enable_x64
    times, gti = chandra
    ours = jf.avg_pds_from_timeseries(times, gti, 100, 0.5)
    theirs = sf.avg_pds_from_timeseries(times, gti, 100, 0.5, silent=True)
    assert ours["power"].dtype == np.float64
    assert_same_table(ours, theirs)
    assert not jax.config.jax_enable_x64


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------


def test_bad_inputs(chandra, rxte):
    times, gti = chandra
    with pytest.raises(ValueError, match="empty"):
        jf.avg_pds_from_timeseries(np.array([]), gti, 100, 0.5)
    with pytest.raises(ValueError, match="longer than every GTI"):
        jf.avg_pds_from_timeseries(times, gti, 5000, 0.5)
    for dt in (0, -1.0, np.nan):
        with pytest.raises(ValueError, match="dt"):
            jf.avg_pds_from_timeseries(times, gti, 100, dt)
    with pytest.raises(ValueError, match="norm"):
        jf.avg_pds_from_timeseries(times, gti, 100, 0.5, norm="bad")
    with pytest.raises(ValueError, match="GTI"):
        jf.avg_pds_from_timeseries(times, [[1.0, 0.0]], 100, 0.5)
    time, counts, _, dt, lgti = rxte
    bad = counts.astype(float).copy()
    bad[10] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        jf.avg_pds_from_timeseries(time, lgti, 64, dt, fluxes=bad)
    # Events all outside the GTIs: no usable segment, None as in Stingray.
    outside = np.linspace(gti[-1, 1] + 10, gti[-1, 1] + 100, 500)
    assert jf.avg_pds_from_timeseries(outside, gti, 100, 0.5) is None
    assert sf.avg_pds_from_timeseries(outside, gti, 100, 0.5, silent=True) is None


def test_no_recompilation_across_norms(chandra):
    """One compiled kernel per array shape, whatever norm / use_common_mean / data values."""
    from stingray_jax.fourier import _core

    times, gti = chandra
    jf.avg_pds_from_timeseries(times, gti, 100, 0.5)
    before = _core._pds_segment_sums._cache_size()
    for norm in NORMS:
        for ucm in (True, False):
            jf.avg_pds_from_timeseries(times[1:], gti, 100, 0.5, norm=norm, use_common_mean=ucm)
    assert _core._pds_segment_sums._cache_size() <= before + 1  # + the per-segment-norm variant


def test_sorted_histogram_is_numpys_exactly():
    """The fast event binning of the batch path gives np.histogram's counts, including values
    on, and one ulp either side of, every edge, at the ends and outside the range."""
    from stingray_jax.fourier._timeseries import _sorted_histogram

    rng = np.random.default_rng(0)
    for trial in range(200):
        n_bin = int(rng.integers(1, 3000))
        hi = float(rng.uniform(0.5, 5000.0))
        edges = np.linspace(0, hi, n_bin + 1)
        x = rng.uniform(0, hi, int(rng.integers(0, 5000)))
        picks = edges[rng.integers(0, n_bin + 1, 50)]
        x = np.concatenate([x, picks, np.nextafter(picks, -np.inf), np.nextafter(picks, np.inf)])
        if trial % 10 == 0:  # values outside the range are left out, as numpy does
            x = np.concatenate([x, [-1.0, hi * 1.5]])
        x = np.sort(x)
        want = np.histogram(x, bins=n_bin, range=[0, hi])[0]
        np.testing.assert_array_equal(_sorted_histogram(x, edges), want)
