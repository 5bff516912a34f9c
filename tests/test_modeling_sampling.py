"""PSDParEst.sample and the vmapped calibrations, against analytic results and Stingray."""

import warnings

import jax
import numpy as np
import pytest
from astropy.modeling import models
from scipy import stats

from stingray_jax._config import preserve_global_state
from stingray_jax.fitting import simulate_spectra
from stingray_jax.modeling import (
    ParameterEstimation,
    PriorUndefinedError,
    PSDLogLikelihood,
    PSDParEst,
    PSDPosterior,
    SamplingResults,
    set_logprior,
)

with preserve_global_state():
    from stingray import Powerspectrum


def _powerspectrum(freq, power, m=1):
    ps = Powerspectrum()
    ps.freq = np.asarray(freq)
    ps.power = np.asarray(power)
    ps.m = m
    ps.df = freq[1] - freq[0]
    ps.norm = "leahy"
    return ps


@pytest.fixture(scope="module")
def constant_spectrum():
    rng = np.random.default_rng(42)
    freq = np.linspace(0.1, 20, 300)
    power = 2.0 * rng.exponential(size=freq.size)
    return freq, power


def test_sample_conjugate_constant_level(constant_spectrum):
    """Const1D level S, Whittle likelihood, inverse-gamma prior.

    The posterior is InvGamma(a + n, b + sum P), known exactly.
    """
    freq, power = constant_spectrum
    a, b = 3.0, 2.0
    lpost = PSDPosterior(
        freq, power, models.Const1D(amplitude=1.5), priors={"amplitude": stats.invgamma(a, scale=b)}
    )
    res = PSDParEst(_powerspectrum(freq, power)).sample(lpost, [1.5], print_results=False)
    assert isinstance(res, SamplingResults)
    post = stats.invgamma(a + freq.size, scale=b + power.sum())
    assert abs(res.mean[0] - post.mean()) < 0.1 * post.std()
    assert abs(res.std[0] - post.std()) < 0.1 * post.std()
    assert np.all(res.rhat < 1.01)
    # Stingray's attributes, with the chain/draw counts the right way round.
    assert res.nwalkers == 4
    assert res.niter == 1000
    assert res.samples.shape == (4000, 1)
    assert res.ndim == 1
    assert res.ci.shape == (2, 1)
    np.testing.assert_allclose(res.ci[:, 0], post.ppf([0.05, 0.95]), rtol=0.02)
    np.testing.assert_allclose(res.L, res.acceptance * 4000)
    np.testing.assert_allclose(res.acor, 4000 / res.ess)
    assert res.num_divergences == 0


@pytest.mark.slow
def test_sample_powerlaw_matches_laplace_and_reports():
    rng = np.random.default_rng(3)
    freq = np.linspace(0.01, 10, 3000)
    truth = models.PowerLaw1D(amplitude=2.0, x_0=1.0, alpha=1.5) + models.Const1D(amplitude=1.0)
    truth.x_0_0.fixed = True
    power = truth(freq) * rng.exponential(size=freq.size)
    priors = {
        "amplitude_0": stats.uniform(0.01, 20),
        "alpha_0": stats.uniform(0.5, 3),
        "amplitude_1": stats.uniform(0.01, 10),
    }
    lpost = PSDPosterior(freq, power, truth.copy(), priors=priors)
    parest = PSDParEst(_powerspectrum(freq, power))
    fit = parest.fit(lpost, [2.0, 1.5, 1.0])
    res = parest.sample(lpost, [2.0, 1.5, 1.0], print_results=False, seed=1)
    assert np.all(np.abs(res.mean - fit.p_opt) < 0.15 * fit.err)
    assert np.all(np.abs(res.std / fit.err - 1) < 0.1)
    import logging

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    res.log.addHandler(handler)
    try:
        assert res.print_results() is None  # like Stingray: nothing for Jupyter to echo
    finally:
        res.log.removeHandler(handler)
    text = "\n".join(r.getMessage() for r in records)
    assert "amplitude_0" in text
    assert "r_hat" in text
    fig = res.plot_results()
    assert len(fig.axes) >= 3
    arviz = pytest.importorskip("arviz")
    idata = res.to_arviz()
    assert set(idata.posterior.data_vars) == {"amplitude_0", "alpha_0", "amplitude_1"}
    np.testing.assert_allclose(np.asarray(arviz.rhat(idata)["alpha_0"]), res.rhat[1], rtol=0.02)


def test_sample_needs_priors(constant_spectrum):
    freq, power = constant_spectrum
    parest = ParameterEstimation()
    ll = PSDLogLikelihood(freq, power, models.Const1D(amplitude=1.5))
    with pytest.raises(TypeError, match="needs a Posterior with priors"):
        parest.sample(ll, [1.5])
    lpost = PSDPosterior(freq, power, models.Const1D(amplitude=1.5))
    with pytest.raises(PriorUndefinedError):
        parest.sample(lpost, [1.5])


def test_sample_rejects_bad_t0(constant_spectrum):
    freq, power = constant_spectrum
    lpost = PSDPosterior(
        freq, power, models.Const1D(amplitude=1.5), priors={"amplitude": stats.uniform(0, 10)}
    )
    with pytest.raises(ValueError, match="one value per free parameter"):
        ParameterEstimation().sample(lpost, [1.0, 2.0])


# --------------------------------------------------------------------------------------------
# Calibration
# --------------------------------------------------------------------------------------------
def _nested_problem(seed=0, n=400):
    """Const1D (null) against Linear1D (alternative): the LRT is asymptotically chi2(1)."""
    rng = np.random.default_rng(seed)
    freq = np.linspace(1.0, 5.0, n)
    power = 3.0 * rng.exponential(size=n)
    null = models.Const1D(amplitude=3.0)
    alt = models.Linear1D(slope=0.0, intercept=3.0)
    return freq, power, null, alt


def test_simulate_lrts_equals_loop_of_fits():
    """The vmapped simulate-and-fit equals simulating the same spectra and fitting one by one."""
    freq, power, null, alt = _nested_problem()
    ps = _powerspectrum(freq, power)
    ll1 = PSDLogLikelihood(freq, power, null)
    ll2 = PSDLogLikelihood(freq, power, alt)
    parest = PSDParEst(ps)
    parest.chunk_size = 8
    s_all = np.array([[3.0], [2.8], [3.3], [3.1], [2.9]])
    lrt = parest.simulate_lrts(s_all, ll1, [3.0], ll2, [0.0, 3.0], seed=11)

    # Stingray's spectra for seed=11: chi2(2m) / (2m) noise drawn in order, frequency by
    # frequency, from numpy.random.RandomState(11) (chunks of 8 > 5: one chunk).
    noise = np.random.RandomState(11).chisquare(2.0, size=(5, freq.size)) / 2.0
    with jax.enable_x64(True):
        sims = np.asarray(simulate_spectra(None, s_all, ll1._jm, ll1._data["x"], 1.0, noise=noise))
    np.testing.assert_allclose(sims, null.evaluate(freq, s_all[:, :1]) * noise, rtol=1e-14)
    for i, y in enumerate(sims):
        r1 = PSDParEst(ps).fit(PSDLogLikelihood(freq, y, null), [3.0])
        r2 = PSDParEst(ps).fit(PSDLogLikelihood(freq, y, alt), [0.0, 3.0])
        np.testing.assert_allclose(lrt[i], r1.deviance - r2.deviance, rtol=1e-6, atol=1e-7)


def test_simulated_spectra_are_stingrays_for_the_same_seed():
    """simulate_highest_outlier draws Stingray's noise stream: with the same seed its spectra
    are those of Stingray's PSDParEst._generate_data (m = 1 and an m = 3 averaged spectrum,
    two chunks), so its outliers equal max(2 P / model) of Stingray's spectra at the fit."""
    with preserve_global_state():
        from stingray import modeling as srm

    freq, power, null, _ = _nested_problem(n=50)
    s_all = np.array([[3.0], [2.5], [3.5]])
    for m in (1, 3):
        ps = _powerspectrum(freq, power, m=m)
        theirs = srm.PSDParEst(ps)
        rng = np.random.RandomState(7)
        sr_lpost = srm.PSDLogLikelihood(freq, power, null.copy(), m=m)
        spectra = [theirs._generate_data(sr_lpost, s, rng).power for s in s_all]
        ours = PSDParEst(ps)
        ours.chunk_size = 2
        ll = PSDLogLikelihood(freq, power, null, m=m)
        out = ours.simulate_highest_outlier(s_all, ll, [3.0], max_post=False, seed=7)
        for y, got in zip(spectra, out):
            fit = PSDParEst(ps).fit(PSDLogLikelihood(freq, y, null, m=m), [3.0])
            np.testing.assert_allclose(got, np.max(2.0 * y / fit.mfit), rtol=1e-9)


def test_calibrate_lrt_agrees_with_chi2_limit_and_is_reproducible():
    freq, power, null, alt = _nested_problem(seed=5)
    ll1 = PSDLogLikelihood(freq, power, null)
    ll2 = PSDLogLikelihood(freq, power, alt)
    parest = PSDParEst(_powerspectrum(freq, power))
    pval = parest.calibrate_lrt(ll1, [3.0], ll2, [0.0, 3.0], nsim=1000, seed=3)
    sims = parest.lrt_sim
    assert sims.shape == (1000,)
    assert parest.calibration_failures == 0
    # The simulated LRTs follow chi2(1) (Wilks), and the p-value agrees with the asymptotic one.
    assert stats.kstest(sims, stats.chi2(1).cdf).pvalue > 0.01
    expected = stats.chi2(1).sf(parest.lrt_obs)
    assert abs(pval - expected) < 4 * np.sqrt(expected * (1 - expected) / 1000) + 0.01
    again = PSDParEst(_powerspectrum(freq, power))
    again.n_workers = 1  # chunks one after the other instead of in parallel threads
    assert again.calibrate_lrt(ll1, [3.0], ll2, [0.0, 3.0], nsim=1000, seed=3) == pval
    np.testing.assert_array_equal(again.lrt_sim, sims)


@pytest.mark.slow
def test_calibrate_lrt_agrees_with_stingray():
    """Same problem through Stingray's serial loop (few simulations) and ours (many)."""
    with preserve_global_state(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import stingray.modeling as sm

    freq, power, null, alt = _nested_problem(seed=9, n=200)
    ps = _powerspectrum(freq, power)
    s_all = np.full((60, 1), 3.0) + 0.05 * np.random.default_rng(1).standard_normal((60, 1))
    with preserve_global_state(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Stingray's default BFGS (its L-BFGS-B fits stop early here and give negative LRTs).
        theirs = sm.PSDParEst(ps, fitmethod="BFGS").simulate_lrts(
            s_all,
            sm.PSDLogLikelihood(freq, power, null.copy()),
            [3.0],
            sm.PSDLogLikelihood(freq, power, alt.copy()),
            [0.0, 3.0],
            seed=2,
        )
    ours = PSDParEst(ps).simulate_lrts(
        np.repeat(s_all, 10, 0),
        PSDLogLikelihood(freq, power, null),
        [3.0],
        PSDLogLikelihood(freq, power, alt),
        [0.0, 3.0],
        seed=2,
    )
    assert stats.ks_2samp(theirs, ours).pvalue > 0.01
    assert abs(np.mean(theirs) - np.mean(ours)) < 4 * np.std(ours) / np.sqrt(60)


def test_failed_simulated_fits_are_reported_not_zeroed():
    freq, power, _, _ = _nested_problem()
    ll1 = PSDLogLikelihood(freq, power, models.Const1D(amplitude=3.0))
    # A Lorentzian without bounds can wander to negative powers: some fits fail.
    lor = models.Const1D(amplitude=3.0) + models.Lorentz1D(amplitude=1.0, x_0=3.0, fwhm=0.05)
    ll2 = PSDLogLikelihood(freq, power, lor)
    parest = PSDParEst(_powerspectrum(freq, power))
    s_all = np.full((16, 1), 3.0)
    with pytest.warns(RuntimeWarning, match="did not converge") as record:
        lrt = parest.simulate_lrts(s_all, ll1, [3.0], ll2, [3.0, 1.0, 3.0, 0.05], seed=0)
    assert np.isnan(lrt).sum() == parest.calibration_failures > 0
    n_valid = int(np.sum(~np.isnan(lrt)))
    messages = [str(w.message) for w in record if "did not converge" in str(w.message)]
    assert f"rests on {n_valid} valid simulations of the 16 requested" in messages[0]
    assert np.all(np.isfinite(lrt[~np.isnan(lrt)]))


def test_simulate_lrts_input_checks():
    freq, power, null, alt = _nested_problem()
    parest = PSDParEst(_powerspectrum(freq, power))
    ll1 = PSDLogLikelihood(freq, power, null)
    ll2 = PSDLogLikelihood(freq, power, alt)
    with pytest.raises(ValueError, match="s_all must have shape"):
        parest.simulate_lrts(np.ones((4, 2)), ll1, [3.0], ll2, [0.0, 3.0])
    with pytest.raises(ValueError, match="non-finite"):
        parest.simulate_lrts(np.array([[np.nan]]), ll1, [3.0], ll2, [0.0, 3.0])
    lpost = PSDPosterior(
        freq, power, alt, priors={"slope": stats.norm(0, 1), "intercept": stats.uniform(0, 10)}
    )
    with pytest.raises(TypeError, match="same class"):
        parest.simulate_lrts(np.ones((4, 1)), ll1, [3.0], lpost, [0.0, 3.0])


def test_highest_outlier_calibration():
    """A strong narrow feature is significant; white noise alone is not."""
    rng = np.random.default_rng(8)
    freq = np.linspace(0.1, 10, 500)
    power = 2.0 * rng.exponential(size=freq.size)
    ll = PSDLogLikelihood(freq, power, models.Const1D(amplitude=2.0))
    parest = PSDParEst(_powerspectrum(freq, power))
    p_noise = parest.calibrate_highest_outlier(ll, [2.0], nsim=500, seed=1)
    assert p_noise > 0.05
    sims = parest.outlier_sim
    # The highest of n exponentials (times 2): its distribution is known exactly,
    # P(max 2P/S < t) = (1 - exp(-t/2))^n (up to the fitted level).
    exact = stats.kstest(sims, lambda t: (1 - np.exp(-t / 2)) ** freq.size).pvalue
    assert exact > 0.001
    power_sig = power.copy()
    power_sig[250] = 80.0
    ll_sig = PSDLogLikelihood(freq, power_sig, models.Const1D(amplitude=2.0))
    assert parest.calibrate_highest_outlier(ll_sig, [2.0], nsim=500, seed=1) < 0.01


def test_calibrate_lrt_flat_priors_broken_power_law_fits_converge():
    """Issue 11 point 5: MAP fits of a sharp broken power law with flat priors converge at
    kinks (the break on a frequency bin) and prior edges (91 of 100 failed before)."""
    rng = np.random.default_rng(5)
    freq = np.linspace(0.01, 10.0, 1024)
    null = models.PowerLaw1D(amplitude=2.0, x_0=1.0, alpha=1.5) + models.Const1D(amplitude=1.0)
    null.x_0_0.fixed = True
    power = null(freq) * rng.exponential(size=freq.size)
    alt = models.BrokenPowerLaw1D(2.0, 1.0, 1.5, 1.5) + models.Const1D(1.0)

    def box(lo, hi):
        return lambda a: ((a > lo) & (a < hi)) / (hi - lo)

    lp1 = PSDPosterior(freq, power, null, m=1)
    lp1.logprior = set_logprior(
        lp1, {"amplitude_0": box(0.01, 20), "alpha_0": box(0, 4), "amplitude_1": box(0.01, 10)}
    )
    lp2 = PSDPosterior(freq, power, alt, m=1)
    lp2.logprior = set_logprior(
        lp2,
        {
            "amplitude_0": box(0.01, 20),
            "x_break_0": box(0.05, 8),
            "alpha_1_0": box(0, 4),
            "alpha_2_0": box(0, 4),
            "amplitude_1": box(0.01, 10),
        },
    )
    parest = PSDParEst(_powerspectrum(freq, power), max_post=True)
    assert parest.fit(lp2, [2.0, 1.0, 1.5, 1.5, 1.0]).converged
    s_all = np.tile([2.0, 1.5, 1.0], (100, 1)) * (1 + 0.05 * rng.standard_normal((100, 3)))
    lrt = parest.simulate_lrts(s_all, lp1, [2.0, 1.5, 1.0], lp2, [2.0, 1.0, 1.5, 1.5, 1.0], seed=0)
    assert np.sum(np.isfinite(lrt)) >= 99
