"""The Stingray-compatible spectra classes: every attribute equal to Stingray's (float64)."""

import os
import warnings

import numpy as np
import pytest

import stingray_jax
from stingray_jax import spectra as S
from stingray_jax._config import preserve_global_state

with preserve_global_state():
    import stingray
    from stingray import EventList, Lightcurve
    from stingray.sampledata import sample_data

DATA = os.path.join(os.path.dirname(stingray.__file__), "tests", "data")
NORMS = ["frac", "abs", "leahy", "none"]
RTOL = 1e-10


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def assert_same_spectrum(ours, theirs, rtol=RTOL, pds_sum_bug=False):
    """Every attribute Stingray sets is present on ours and equal."""
    assert isinstance(ours, type(theirs))
    missing = set(theirs.__dict__) - set(ours.__dict__)
    assert not missing, missing
    for key, val in theirs.__dict__.items():
        mine = ours.__dict__[key]
        if isinstance(val, stingray.Crossspectrum):
            if pds_sum_bug and key in ("pds1", "pds2"):
                # Stingray 2.3.2 stores the sum, not the mean, of the normalised segment
                # spectra for use_common_mean=False (documented difference).
                np.testing.assert_allclose(mine.power * val.m, val.power, rtol=rtol)
                continue
            assert_same_spectrum(mine, val, rtol)
        elif isinstance(val, Lightcurve | EventList):
            continue
        elif isinstance(val, np.ndarray | list) and np.asarray(val).dtype.kind in "fc":
            np.testing.assert_allclose(np.asarray(mine), np.asarray(val), rtol=rtol, err_msg=key)
        elif isinstance(val, float | np.floating) and not isinstance(val, bool):
            np.testing.assert_allclose(mine, val, rtol=1e-12, err_msg=key)
        elif isinstance(val, np.ndarray):
            np.testing.assert_array_equal(mine, val, err_msg=key)
        else:
            assert mine == val, key


@pytest.fixture(scope="module")
def events():
    ev = _quiet(EventList.read, os.path.join(DATA, "chandra_test.fits"), fmt="ogip")
    g0, g1 = ev.gti[0]
    ev.gti = np.array([[g0, g0 + 300], [g0 + 330, g0 + 700], [g0 + 720, g1]], dtype=ev.gti.dtype)
    ev1 = EventList(ev.time[::2], gti=ev.gti, mjdref=ev.mjdref)
    ev2 = EventList(ev.time[1::2], gti=ev.gti, mjdref=ev.mjdref)
    return ev, ev1, ev2


@pytest.fixture(scope="module")
def lcs():
    lc = _quiet(sample_data)
    t0 = lc.gti[0, 0]
    lc.gti = np.array([[t0, t0 + 900], [t0 + 1000, t0 + 2000], [t0 + 2050, lc.gti[-1, 1]]])
    rng = np.random.default_rng(3)
    lc2 = Lightcurve(lc.time, rng.poisson(lc.counts), gti=lc.gti, dt=lc.dt, skip_checks=True)
    lcg = Lightcurve(
        lc.time, lc.counts, err=np.sqrt(lc.counts) * 1.1, gti=lc.gti, dt=lc.dt,
        err_dist="gauss", skip_checks=True,
    )  # fmt: skip
    return lc, lc2, lcg


# ---------------------------------------------------------------------------------------------
# Power spectra
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("use_common_mean", [True, False])
def test_averaged_powerspectrum_events(events, norm, use_common_mean):
    ev = events[0]
    kw = {"dt": 0.5, "segment_size": 100, "norm": norm, "use_common_mean": use_common_mean}
    ours = S.AveragedPowerspectrum.from_events(ev, save_all=True, **kw)
    theirs = _quiet(stingray.AveragedPowerspectrum.from_events, ev, save_all=True, **kw)
    assert type(ours) is S.AveragedPowerspectrum
    assert ours.m == theirs.m > 5
    assert_same_spectrum(ours, theirs)
    # The constructor takes the same path.
    ours2 = S.AveragedPowerspectrum(ev, **kw)
    theirs2 = _quiet(stingray.AveragedPowerspectrum, ev, silent=True, **kw)
    assert_same_spectrum(ours2, theirs2)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("use_common_mean", [True, False])
@pytest.mark.parametrize("which", [0, 2])
def test_averaged_powerspectrum_lightcurve(lcs, norm, use_common_mean, which):
    lc = lcs[which]  # poisson and gauss error distributions
    kw = {"segment_size": 64, "norm": norm, "use_common_mean": use_common_mean}
    ours = S.AveragedPowerspectrum(lc, **kw)
    theirs = _quiet(stingray.AveragedPowerspectrum, lc, silent=True, **kw)
    assert_same_spectrum(ours, theirs)


@pytest.mark.parametrize("norm", NORMS)
def test_powerspectrum_single(events, lcs, norm):
    lc = lcs[0]
    one = lc.truncate(start=0, stop=4000)
    assert_same_spectrum(S.Powerspectrum(one, norm=norm), stingray.Powerspectrum(one, norm=norm))
    ev = events[0]
    ev1 = EventList(ev.time, gti=ev.gti[:1])
    ours = S.Powerspectrum(ev1, dt=0.5, norm=norm)
    theirs = _quiet(stingray.Powerspectrum, ev1, dt=0.5, norm=norm)
    assert type(ours) is S.Powerspectrum
    assert_same_spectrum(ours, theirs)


def test_powerspectrum_other_constructors(events, lcs):
    ev = events[0]
    lc = lcs[0]
    pairs = [
        (
            S.AveragedPowerspectrum.from_time_array(ev.time, 0.5, 100, gti=ev.gti, norm="leahy"),
            stingray.AveragedPowerspectrum.from_time_array(
                ev.time, 0.5, 100, gti=ev.gti, norm="leahy", silent=True
            ),
        ),
        (
            S.AveragedPowerspectrum.from_lightcurve(lc, 64, norm="abs"),
            stingray.AveragedPowerspectrum.from_lightcurve(lc, 64, norm="abs", silent=True),
        ),
        (
            S.AveragedPowerspectrum.from_stingray_timeseries(lc, "counts", segment_size=64),
            stingray.AveragedPowerspectrum.from_stingray_timeseries(
                lc, "counts", segment_size=64, silent=True
            ),
        ),
        (
            S.AveragedPowerspectrum.from_lc_iterable([lc, lcs[1]], lc.dt, 64, norm="frac"),
            stingray.AveragedPowerspectrum.from_lc_iterable(
                [lc, lcs[1]], lc.dt, 64, norm="frac", silent=True
            ),
        ),
        (
            S.AveragedPowerspectrum([lc, lcs[1]], segment_size=64),
            _quiet(stingray.AveragedPowerspectrum, [lc, lcs[1]], segment_size=64, silent=True),
        ),
    ]
    for ours, theirs in pairs:
        assert isinstance(ours, S.AveragedPowerspectrum)
        assert isinstance(ours, stingray.AveragedPowerspectrum)
        assert isinstance(ours, S.Powerspectrum)
        assert_same_spectrum(ours, theirs)


def test_methods_work_on_our_objects(lcs):
    """rebin, rebin_log, classical_significances, compute_rms give Stingray's answers."""
    lc = lcs[0]
    ours = S.AveragedPowerspectrum(lc, segment_size=64, norm="leahy")
    theirs = _quiet(stingray.AveragedPowerspectrum, lc, segment_size=64, norm="leahy", silent=True)
    r1, r2 = ours.rebin(df=0.1), theirs.rebin(df=0.1)
    assert type(r1) is S.AveragedPowerspectrum
    assert_same_spectrum(r1, r2)
    l1, l2 = ours.rebin_log(0.05), theirs.rebin_log(0.05)
    assert_same_spectrum(l1, l2)
    s1 = ours.classical_significances(threshold=0.5, trial_correction=True)
    s2 = theirs.classical_significances(threshold=0.5, trial_correction=True)
    np.testing.assert_allclose(s1, s2, rtol=1e-8)
    fr = ours.compute_rms(0.1, 1.0, poisson_noise_level=2)
    np.testing.assert_allclose(fr, theirs.compute_rms(0.1, 1.0, poisson_noise_level=2), 1e-10)
    ours_frac = ours.to_norm("frac")
    np.testing.assert_allclose(ours_frac.power, theirs.to_norm("frac").power, rtol=1e-10)


def test_lazy_top_level_names():
    assert stingray_jax.AveragedPowerspectrum is S.AveragedPowerspectrum
    assert stingray_jax.LombScarglePowerspectrum is S.LombScarglePowerspectrum
    assert "Crossspectrum" in dir(stingray_jax)


# ---------------------------------------------------------------------------------------------
# Cross spectra
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("use_common_mean", [True, False])
def test_averaged_crossspectrum_events(events, norm, use_common_mean):
    _, ev1, ev2 = events
    kw = {"dt": 0.5, "segment_size": 100, "norm": norm, "use_common_mean": use_common_mean}
    ours = S.AveragedCrossspectrum.from_events(ev1, ev2, **kw)
    theirs = _quiet(stingray.AveragedCrossspectrum.from_events, ev1, ev2, **kw)
    assert type(ours) is S.AveragedCrossspectrum
    assert_same_spectrum(ours, theirs, pds_sum_bug=not use_common_mean)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("use_common_mean", [True, False])
def test_averaged_crossspectrum_lightcurve(lcs, norm, use_common_mean):
    lc, lc2, _ = lcs
    kw = {"segment_size": 64, "norm": norm, "use_common_mean": use_common_mean}
    ours = S.AveragedCrossspectrum(lc, lc2, **kw)
    theirs = _quiet(stingray.AveragedCrossspectrum, lc, lc2, silent=True, **kw)
    assert_same_spectrum(ours, theirs, pds_sum_bug=not use_common_mean)
    np.testing.assert_allclose(ours.time_lag()[0], theirs.time_lag()[0], rtol=1e-8)
    np.testing.assert_allclose(ours.coherence()[0], theirs.coherence()[0], rtol=1e-8)


def test_crossspectrum_single_and_iterable(events, lcs):
    _, ev1, ev2 = events
    e1 = EventList(ev1.time, gti=ev1.gti[:1])
    e2 = EventList(ev2.time, gti=ev2.gti[:1])
    ours = S.Crossspectrum(e1, e2, dt=0.5, norm="leahy")
    theirs = _quiet(stingray.Crossspectrum, e1, e2, dt=0.5, norm="leahy")
    assert type(ours) is S.Crossspectrum
    assert_same_spectrum(ours, theirs)
    lc, lc2, _ = lcs
    ours = S.AveragedCrossspectrum.from_lc_iterable([lc], [lc2], lc.dt, 64, norm="abs")
    theirs = stingray.AveragedCrossspectrum.from_lc_iterable(
        [lc], [lc2], lc.dt, 64, norm="abs", silent=True
    )
    assert_same_spectrum(ours, theirs)
    ours = S.AveragedCrossspectrum.from_time_array(
        ev1.time, ev2.time, 0.5, 100, gti=ev1.gti, power_type="real", fullspec=True
    )
    theirs = stingray.AveragedCrossspectrum.from_time_array(
        ev1.time, ev2.time, 0.5, 100, gti=ev1.gti, power_type="real", fullspec=True, silent=True
    )
    assert_same_spectrum(ours, theirs)


# ---------------------------------------------------------------------------------------------
# Dynamical and Lomb-Scargle
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("norm", ["leahy", "frac"])
def test_dynamical_powerspectrum(lcs, norm):
    lc = lcs[0]
    ours = S.DynamicalPowerspectrum(lc, segment_size=64, norm=norm)
    theirs = _quiet(stingray.DynamicalPowerspectrum, lc, segment_size=64, norm=norm)
    assert_same_spectrum(ours, theirs)
    r1, r2 = ours.rebin_time(128), theirs.rebin_time(128)
    np.testing.assert_allclose(r1.dyn_ps, r2.dyn_ps, rtol=1e-10)
    np.testing.assert_allclose(r1.time, r2.time, rtol=1e-14)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("method", ["slow", "fast"])
def test_lombscargle_powerspectrum(norm, method):
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 200, 400))
    counts = rng.poisson(100 + 20 * np.sin(2 * np.pi * 0.1 * t)).astype(float)
    lc = Lightcurve(t, counts, dt=0.1, skip_checks=True)
    ours = S.LombScarglePowerspectrum(lc, method=method, norm=norm)
    # Stingray's own "fast" path has a different scaling (documented): compare to "slow".
    theirs = stingray.LombScarglePowerspectrum(lc, method="slow", norm=norm)
    ours.method = theirs.method
    tol = 1e-10 if method == "slow" else 1e-9
    assert_same_spectrum(ours, theirs, rtol=tol)
    assert ours.freq[np.argmax(ours.power.real)] == pytest.approx(0.1, abs=0.01)


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------


def test_bad_inputs(events, lcs):
    ev = events[0]
    empty = EventList(np.array([]), gti=ev.gti)
    with pytest.raises(ValueError, match="empty"):
        S.AveragedPowerspectrum.from_events(empty, dt=0.5, segment_size=100)
    outside = EventList(ev.gti[-1, 1] + np.arange(100.0), gti=ev.gti)
    with pytest.raises(ValueError, match="no usable segment"):
        S.AveragedPowerspectrum.from_events(outside, dt=0.5, segment_size=100)
    with pytest.raises(ValueError, match="longer than every GTI"):
        S.AveragedPowerspectrum.from_events(ev, dt=0.5, segment_size=5000)
    for dt in (0, -0.5):
        with pytest.raises(ValueError, match="dt"):
            S.AveragedPowerspectrum.from_events(ev, dt=dt, segment_size=100)
    lc = lcs[0]
    bad = Lightcurve(lc.time, lc.counts.astype(float), dt=lc.dt, gti=lc.gti, skip_checks=True)
    bad.counts[5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        S.AveragedPowerspectrum(bad, segment_size=64)
    with pytest.raises(ValueError, match="NaN"):
        S.AveragedCrossspectrum(bad, lc, segment_size=64)


def test_cross_spectra_of_different_dt_raise(lcs):
    lc = lcs[0]
    coarse = lc.rebin(2 * lc.dt)
    for make in (
        lambda: S.AveragedCrossspectrum.from_lightcurve(lc, coarse, 64),
        lambda: S.Crossspectrum.from_lightcurve(lc, coarse),
        lambda: S.AveragedCrossspectrum.from_lc_iterable([lc], [coarse], lc.dt, 64),
    ):
        with pytest.raises(ValueError, match="different time resolutions"):
            make()
    # the constructors refuse them as Stingray's do
    with pytest.raises(stingray.StingrayError, match="same time binning"):
        S.AveragedCrossspectrum(lc, coarse, segment_size=64)


def test_gti_running_past_one_light_curve():
    """Segments both light curves cover, as Stingray's result (it failed with a broadcast error)."""
    rng = np.random.default_rng(4)
    t = np.arange(0, 100, 0.1) + 0.05
    gti = np.array([[0, 100.0]])
    lc1 = Lightcurve(t, rng.poisson(100, t.size), dt=0.1, gti=gti, skip_checks=True)
    lc2 = Lightcurve(t[:800], rng.poisson(100, 800), dt=0.1, gti=gti, skip_checks=True)
    ours = S.AveragedCrossspectrum(lc1, lc2, segment_size=10)
    theirs = _quiet(stingray.AveragedCrossspectrum, lc1, lc2, segment_size=10, silent=True)
    assert ours.m == theirs.m == 8
    np.testing.assert_allclose(ours.power, theirs.power, rtol=1e-10)
    ours = S.AveragedCrossspectrum.from_lightcurve(lc1, lc2, 10, norm="leahy")
    theirs = stingray.AveragedCrossspectrum.from_lightcurve(lc1, lc2, 10, norm="leahy", silent=True)
    np.testing.assert_allclose(ours.power, theirs.power, rtol=1e-10)
    np.testing.assert_allclose(ours.power_err, theirs.power_err, rtol=1e-8)


def test_exactly_zero_subband_power_gets_stingrays_default_error():
    """Counts cancelling exactly at n/4: Stingray's coherence was 0/0 (ZeroDivisionError)."""
    n = 64
    counts1 = np.ones(n)
    counts1[::8] = 2  # equal sums in the four residue classes mod 4: zero power at k = n/4
    counts1[2::8] = 2
    counts1[1::8] = 2
    counts1[3::8] = 2
    t = np.arange(n) + 0.5
    lc1 = Lightcurve(t, counts1, dt=1, skip_checks=True)
    lc2 = Lightcurve(t, np.random.default_rng(1).poisson(5, n), dt=1, skip_checks=True)
    with pytest.warns(UserWarning, match="error bars"):
        cs = S.Crossspectrum(lc1, lc2)
    k = np.argmin(np.abs(cs.freq - 0.25))
    assert cs.pds1.unnorm_power[k] == pytest.approx(0, abs=1e-20)
    assert np.all(np.isfinite(cs.power_err))
    with pytest.raises(ZeroDivisionError):  # Stingray 2.3.2 on the same data
        _quiet(stingray.Crossspectrum, lc1, lc2)


def test_lombscargle_fast_is_finite_at_nyquist_of_even_sampling():
    rng = np.random.default_rng(2)
    t = np.arange(1000.0)
    lc = Lightcurve(t, rng.poisson(10, t.size), dt=1, skip_checks=True)
    fast = S.LombScarglePowerspectrum(lc, method="fast")
    slow = S.LombScarglePowerspectrum(lc, method="slow")
    assert np.all(np.isfinite(fast.power))
    # away from the ill-posed Nyquist bin the two agree
    np.testing.assert_allclose(fast.power[:-1], slow.power[:-1], rtol=1e-6, atol=1e-12)
