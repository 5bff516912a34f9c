"""Significance columns of fit_observations (``significance="outlier"`` / ``"lrt"``).

References: the statistics are Stingray's (the highest outlier ``max(2 P / model)`` of
``calibrate_highest_outlier``, the deviance difference of ``compute_lrt``, to 1e-6); each
p-value equals the loop that simulates the same spectra and fits them one by one with
``fit_batch`` (exactly: same draws, same fits); under the null the p-values are uniform
(Kolmogorov-Smirnov, slow), and a strong signal has p = 0.
"""

import warnings

import numpy as np
import pytest
from astropy.modeling.models import Const1D, Lorentz1D
from scipy import stats

from stingray_jax.batch import fit_batch, fit_observations

from ._utils import seeded_global_rng

stingray = pytest.importorskip("stingray")
from stingray import AveragedPowerspectrum, EventList  # noqa: E402
from stingray.modeling import PSDLogLikelihood, PSDParEst  # noqa: E402

DT, SEG = 1 / 64, 16.0


def _qpo_events(rng, length, rms):
    n_bins = round(length / DT)
    freq = np.fft.rfftfreq(n_bins, DT)
    shape = 1 / (1 + ((freq - 3.0) / 0.4) ** 2)
    spec = (rng.normal(size=freq.size) + 1j * rng.normal(size=freq.size)) * np.sqrt(shape)
    spec[0] = 0
    x = np.fft.irfft(spec, n_bins)
    counts = rng.poisson(300.0 * np.exp(rms * x / x.std()) * DT)
    t = DT * (np.repeat(np.arange(n_bins), counts) + rng.uniform(size=counts.sum()))
    return EventList(np.sort(t), gti=np.array([[0.0, length]]))


def _qpo_model():
    model = Lorentz1D(amplitude=2.0, x_0=3.0, fwhm=0.8) + Const1D(amplitude=2.0)
    model.amplitude_0.bounds = (0, None)
    model.fwhm_0.bounds = (0.05, None)
    model.x_0_0.bounds = (1.0, 6.0)
    return model


@pytest.fixture(scope="module")
def observations():
    rng = np.random.default_rng(8)
    return [_qpo_events(rng, 128 * k, 0.3) for k in (1, 2, 3)]


def _simulated(best, freq, m, key, nsim, seed=0):
    """The spectra the batch simulates for the row ``key = (item, segment)``: same draws."""
    rng = np.random.default_rng([seed, key[0], key[1] + 1])
    m_arr = np.broadcast_to(np.asarray(m, float), freq.shape)
    return best(freq) * rng.gamma(m_arr, 1 / m_arr, size=(nsim, freq.size)), m_arr


def test_outlier_statistic_and_pvalue_equal_the_loop(observations):
    model = _qpo_model()
    table = fit_observations(
        observations, model, SEG, DT, norm="leahy", significance="outlier", nsim=20
    )
    assert table["converged"].all()
    names = table.meta["free_param_names"]
    for i, ev in enumerate(observations):
        ps = AveragedPowerspectrum.from_events(ev, dt=DT, segment_size=SEG, norm="leahy")
        best = model.copy()
        best.parameters = [table[n][i] for n in names]
        np.testing.assert_allclose(
            table["outlier_stat"][i], np.max(2 * ps.power / best(ps.freq)), rtol=1e-6
        )
        sims, m_arr = _simulated(best, ps.freq, ps.m, (i, -1), 20)
        fits = fit_batch(model, ps.freq, sims, m=m_arr, p0=[table[n][i] for n in names])
        simulated = []
        for k, row in enumerate(fits):
            if not row["converged"]:
                continue
            refit = model.copy()
            refit.parameters = [row[n] for n in names]
            simulated.append(np.max(2 * sims[k] / refit(ps.freq)))
        simulated = np.asarray(simulated)
        assert simulated.size >= 15
        assert table["outlier_pvalue"][i] == pytest.approx(
            np.mean(simulated > table["outlier_stat"][i]), abs=1e-12
        )


def test_lrt_statistic_equals_stingray_and_a_strong_qpo_is_significant(observations):
    model = _qpo_model()
    null = Const1D(amplitude=2.0)
    table = fit_observations(
        observations, model, SEG, DT, norm="leahy", significance="lrt", null_model=null, nsim=20
    )
    for i, ev in enumerate(observations):
        ps = AveragedPowerspectrum.from_events(ev, dt=DT, segment_size=SEG, norm="leahy")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            l1 = PSDLogLikelihood(ps.freq, ps.power, null, m=ps.m)
            l2 = PSDLogLikelihood(ps.freq, ps.power, model, m=ps.m)
            with seeded_global_rng():
                lrt, _, _ = PSDParEst(ps, fitmethod="L-BFGS-B").compute_lrt(
                    l1, null.parameters, l2, model.parameters
                )
        # Stingray's m > 1 likelihood is doubled: its ratio is twice the Gamma likelihood's
        np.testing.assert_allclose(2 * table["lrt_stat"][i], lrt, rtol=1e-4)
    assert np.all(table["lrt_pvalue"] == 0)
    assert np.all(table["lrt_stat"] > 100)
    assert "null_neg_log_likelihood" in table.colnames


@pytest.mark.slow
def test_pvalues_are_uniform_under_the_null():
    """White noise, a constant null and a constant + Lorentzian alternative: p-values of the
    ratio are uniform (KS), and so are the outlier's for the null model itself."""
    rng = np.random.default_rng(3)
    items = [rng.poisson(200 * DT, size=round(64 / DT)) for _ in range(40)]
    null = Const1D(amplitude=2.0)
    table = fit_observations(
        items, null, SEG, DT, norm="leahy", significance="outlier", nsim=50, seed=1
    )
    p = np.asarray(table["outlier_pvalue"])
    assert np.isfinite(p).all()
    assert stats.kstest(p, "uniform").pvalue > 1e-3


def test_significance_arguments(observations):
    model = _qpo_model()
    for kwargs, match in [
        ({"significance": "bayes"}, "significance must be"),
        ({"significance": "lrt"}, "needs null_model"),
        ({"significance": "outlier", "nsim": 3}, "nsim"),
        (
            {
                "significance": "lrt",
                "null_model": Const1D(),
                "priors": dict.fromkeys(
                    ("amplitude_0", "x_0_0", "fwhm_0", "amplitude_1"), stats.uniform(0, 10)
                ),
            },
            "give no priors",
        ),
    ]:
        with pytest.raises(ValueError, match=match):
            fit_observations(observations, model, SEG, DT, **kwargs)
