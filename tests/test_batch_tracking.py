"""Per-segment QPO tracking (issue 15): fits from data-driven starting values converge, and a fit
that does not converge is flagged, never reported as a success.

The light curve is that of ``benchmarks/bench_batch.py`` part 2 (a 3 Hz QPO on red noise,
Poisson counts), shortened to 64 segments of 8 s.
"""

import warnings

import numpy as np
import pytest
from astropy.modeling.models import Const1D, Lorentz1D, PowerLaw1D

from stingray_jax._config import preserve_global_state
from stingray_jax.batch import fit_batch, fit_observations
from stingray_jax.batch._items import item_spectra, load_observation

with preserve_global_state():
    from stingray import AveragedPowerspectrum, Lightcurve

DT = 1 / 256
SEGMENT = 8.0


def _light_curve(seed=8, length=512.0, mean=1000.0, f0=3.0, q=4.0, rms=0.3, red=0.05):
    rng = np.random.default_rng(seed)
    n_bins = int(length / DT)
    freq = np.fft.rfftfreq(n_bins, DT)
    shape = 1 / (1 + ((freq - f0) / (f0 / q / 2)) ** 2)
    shape[1:] += red * (freq[1:] / f0) ** -1.0
    spec = (rng.normal(size=freq.size) + 1j * rng.normal(size=freq.size)) * np.sqrt(shape)
    spec[0] = 0
    x = np.fft.irfft(spec, n_bins)
    rate = mean * np.exp(rms * x / x.std() - 0.5 * rms**2)
    counts = rng.poisson(rate * DT)
    return Lightcurve(
        DT * (np.arange(n_bins) + 0.5), counts, dt=DT, skip_checks=True, gti=[[0, length]]
    )


def _model():
    model = PowerLaw1D(1.0, 1.0, 1.0) + Lorentz1D(1.0, 3.0, 0.8) + Const1D(2.0)
    model.x_0_0.fixed = True
    for name in ("amplitude_0", "amplitude_1", "fwhm_1"):
        getattr(model, name).bounds = (0, None)
    return model


@pytest.fixture(scope="module")
def tracking():
    lc = _light_curve()
    model = _model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = AveragedPowerspectrum.from_lightcurve(lc, SEGMENT, norm="leahy", silent=True)
    # starting values of the averaged fit: read off the averaged periodogram
    high = float(np.mean(ps.power[ps.freq > 0.5 * ps.freq[-1]]))
    band = (ps.freq > 0.5) & (ps.freq < 20)
    peak = ps.freq[band][np.argmax(ps.power[band])]
    guess = [1.0, 1.0, float(np.max(ps.power[band])) - high, peak, peak / 4, high]
    avg = fit_batch(model, ps.freq, ps.power[None], m=ps.m, p0=guess)
    assert avg["converged"][0]
    p0 = [float(avg[name][0]) for name in avg.meta["free_param_names"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        table = fit_observations([lc], model, SEGMENT, norm="leahy", per_segment=True, p0=p0)
    return lc, model, p0, table


def test_segments_converge_from_the_averaged_fit(tracking):
    table = tracking[3]
    conv = np.asarray(table["converged"])
    assert len(table) == 64
    assert conv.sum() >= 58  # 61 of 64 when written; the others have no finite optimum
    steps = np.asarray(table["n_steps"])[conv]
    assert np.median(steps) <= 20
    for name in table.meta["free_param_names"]:
        assert np.all(np.isfinite(np.asarray(table[f"{name}_err"])[conv]))
    assert abs(np.median(np.asarray(table["x_0_1"])[conv]) - 3.0) < 0.1
    # the rows that did not converge say so
    assert np.all(np.asarray(table["problem"])[~conv] == "the fit did not converge")


def test_a_segment_alone_gives_its_row(tracking):
    """Each row is the fit of its segment alone (no effect of the batch, threads or devices)."""
    lc, model, p0, table = tracking
    names = table.meta["free_param_names"]
    sp = item_spectra(load_observation(lc, None), SEGMENT, "leahy", True)
    for k in np.flatnonzero(np.asarray(table["converged"]))[[0, -1]]:
        one = fit_batch(model, sp.freq, sp.powers[k : k + 1], p0=p0)
        assert one["converged"][0]
        got = np.array([one[n][0] for n in names])
        want = np.array([table[n][k] for n in names])
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_fits_stopped_by_max_steps_are_flagged(tracking):
    """Running out of iterations is never reported as convergence."""
    lc, model, p0, _ = tracking
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        short = fit_observations(
            [lc], model, SEGMENT, norm="leahy", per_segment=True, p0=p0, max_steps=2
        )
    conv = np.asarray(short["converged"])
    assert not conv.any()
    assert np.all(np.asarray(short["n_steps"]) <= 2)
    assert np.all(np.asarray(short["problem"]) == "the fit did not converge")
