"""Sampling and LRT calibration: stingray_jax (NUTS, vmapped fits) against Stingray (emcee, loop).

Run with ``python benchmarks/bench_sampling.py [--quick]``. Prints

1. effective samples per second (minimum over the 6 parameters) of ``PSDParEst.sample`` on the
   same 6-parameter power-spectrum posterior (power law + Lorentzian + constant, 4096
   frequencies): Stingray's emcee against our NUTS, with our compile time included (cold) and
   excluded (warm);
2. the time of ``calibrate_lrt`` with nsim = 1000 (ours), against Stingray's serial loop timed
   on ``--stingray-nsim`` simulations and scaled linearly to 1000, on two cases: power law +
   constant against power law + Lorentzian + constant (6 free parameters), and a constant
   against Lorentzian + constant (3 + 1 free parameters);
3. ``--loop N``: ``sample`` on N simulated observations in a row (3 free parameters, 1024
   frequencies, a new spectrum, model and prior lambdas each time, default NUTS settings: 4
   chains x 1000 draws after 500 warm-up), the total time and the per-posterior times (the
   first includes compilation, the others must not), against Stingray's emcee sample on the
   first ``--stingray-loop`` of them (default 3; 100 walkers x 100 steps after 100 burn-in),
   scaled to N.
"""

import argparse
import os
import time
import warnings

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # see docs/benchmarks.rst: BLAS threads

import numpy as np
from astropy.modeling import models
from scipy import stats

from stingray_jax._config import preserve_global_state
from stingray_jax.sampling import effective_sample_size

with preserve_global_state(), warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import stingray.modeling as sm
    from stingray import Powerspectrum

import stingray_jax.modeling as sjm


def problem(n_freq=4096, seed=0):
    rng = np.random.default_rng(seed)
    freq = np.linspace(0.01, 20.0, n_freq)
    model = (
        models.PowerLaw1D(amplitude=3.0, x_0=1.0, alpha=1.8)
        + models.Lorentz1D(amplitude=4.0, x_0=5.0, fwhm=0.5)
        + models.Const1D(amplitude=2.0)
    )
    model.x_0_0.fixed = True
    power = model(freq) * rng.exponential(size=n_freq)
    ps = Powerspectrum()
    ps.freq, ps.power, ps.m, ps.df, ps.norm = freq, power, 1, freq[1] - freq[0], "leahy"
    t0 = np.array([3.0, 1.8, 4.0, 5.0, 0.5, 2.0])
    ranges = {
        "amplitude_0": (0.1, 30.0),
        "alpha_0": (0.5, 4.0),
        "amplitude_1": (0.1, 50.0),
        "x_0_1": (3.0, 7.0),
        "fwhm_1": (0.05, 3.0),
        "amplitude_2": (0.1, 10.0),
    }
    priors = {k: stats.uniform(lo, hi - lo) for k, (lo, hi) in ranges.items()}
    return freq, power, ps, model, t0, priors


def bench_sample(n_freq, emcee_walkers, emcee_steps, emcee_burn):
    freq, power, ps, model, t0, priors = problem(n_freq)

    lpost = sjm.PSDPosterior(freq, power, model.copy(), priors=priors)
    parest = sjm.PSDParEst(ps)
    fit = parest.fit(lpost, t0)
    t = time.perf_counter()
    res = parest.sample(lpost, fit.p_opt, cov=fit.cov, print_results=False, seed=1)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    res2 = parest.sample(lpost, fit.p_opt, cov=fit.cov, print_results=False, seed=2)
    warm = time.perf_counter() - t
    ours_cold = res.ess.min() / cold
    ours_warm = res2.ess.min() / warm
    print(
        f"NUTS: {res.nwalkers} chains x {res.niter} draws, min ESS {res.ess.min():.0f}, "
        f"R-hat max {res.rhat.max():.4f}, divergences {res.num_divergences}; "
        f"cold {cold:.2f} s -> {ours_cold:.0f} ESS/s, warm {warm:.2f} s -> {ours_warm:.0f} ESS/s"
    )

    with preserve_global_state(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s_lpost = sm.PSDPosterior(freq, power, model.copy(), m=1)
        s_lpost.logprior = sm.set_logprior(s_lpost, {k: p.pdf for k, p in priors.items()})
        s_parest = sm.PSDParEst(ps)
        # Stingray draws its walkers' starting points from the global RNG.
        np.random.seed(3)  # noqa: NPY002
        t = time.perf_counter()
        s_res = s_parest.sample(
            s_lpost,
            fit.p_opt,
            cov=fit.cov,
            nwalkers=emcee_walkers,
            niter=emcee_steps,
            burnin=emcee_burn,
            print_results=False,
        )
        theirs_time = time.perf_counter() - t
    # emcee's flat chain is step-major: (niter, nwalkers, ndim) -> chains (nwalkers, niter).
    chains = s_res.samples.reshape(emcee_steps, emcee_walkers, -1).transpose(1, 0, 2)
    theirs_ess = effective_sample_size(chains).min()
    theirs = theirs_ess / theirs_time
    print(
        f"emcee: {emcee_walkers} walkers x {emcee_steps} steps (+{emcee_burn} burn-in), "
        f"min ESS {theirs_ess:.0f} in {theirs_time:.1f} s -> {theirs:.1f} ESS/s"
    )
    print(
        f"sample(): ESS/s speed-up (ours/Stingray) cold x{ours_cold / theirs:.0f}, "
        f"warm x{ours_warm / theirs:.0f}"
    )
    return ours_cold / theirs


def _calibration_problem(case):
    """``(freq, power, ps, null, t1, alternative, t2)`` of a calibrate_lrt case.

    ``"6 params"``: power law + constant against power law + Lorentzian + constant (6 free
    parameters); ``"lorentzian"``: a constant against Lorentzian + constant (3 + 1 free
    parameters: the QPO test of a flat, white-noise dominated spectrum). 1024 frequencies.
    """
    if case == "6 params":
        freq, power, ps, model, t2, _ = problem(1024)
        null = models.PowerLaw1D(amplitude=3.0, x_0=1.0, alpha=1.8) + models.Const1D(2.0)
        null.x_0_0.fixed = True
        t1 = np.array([3.0, 1.8, 2.0])
        # Bounds keep the alternative model physical (a non-negative, resolved Lorentzian).
        model = model.copy()
        model.amplitude_1.bounds = (0, None)
        model.x_0_1.bounds = (3.0, 7.0)
        model.fwhm_1.bounds = (0.01, 5.0)
        return freq, power, ps, null, t1, model, t2
    rng = np.random.default_rng(1)
    freq = np.linspace(0.02, 20.0, 1024)
    model = models.Lorentz1D(amplitude=1.0, x_0=5.0, fwhm=0.5) + models.Const1D(amplitude=2.0)
    power = model(freq) * rng.exponential(size=freq.size)
    ps = Powerspectrum()
    ps.freq, ps.power, ps.m, ps.df, ps.norm = freq, power, 1, freq[1] - freq[0], "leahy"
    model.amplitude_0.bounds = (0, None)
    model.x_0_0.bounds = (3.0, 7.0)
    model.fwhm_0.bounds = (0.05, 5.0)
    null = models.Const1D(amplitude=2.0)
    return freq, power, ps, null, np.array([2.0]), model, np.array([1.0, 5.0, 0.5, 2.0])


def bench_calibrate(stingray_nsim, nsim=1000, case="6 params"):
    freq, power, ps, null, t1, model, t2 = _calibration_problem(case)
    ll1 = sjm.PSDLogLikelihood(freq, power, null.copy())
    ll2 = sjm.PSDLogLikelihood(freq, power, model.copy())
    parest = sjm.PSDParEst(ps)
    t = time.perf_counter()
    pval = parest.calibrate_lrt(ll1, t1, ll2, t2, nsim=nsim, seed=0)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    parest.calibrate_lrt(ll1, t1, ll2, t2, nsim=nsim, seed=1)
    warm = time.perf_counter() - t
    print(
        f"calibrate_lrt ({case}) nsim={nsim}: p = {pval:.3f}, failures "
        f"{parest.calibration_failures}; cold {cold:.2f} s, warm {warm:.2f} s"
    )
    with preserve_global_state(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s1 = sm.PSDLogLikelihood(freq, power, null.copy())
        s2 = sm.PSDLogLikelihood(freq, power, model.copy())
        s_parest = sm.PSDParEst(ps, max_post=False)
        t = time.perf_counter()
        s_parest.calibrate_lrt(s1, t1, s2, t2, nsim=stingray_nsim, seed=0)
        theirs = (time.perf_counter() - t) * nsim / stingray_nsim
    print(
        f"Stingray calibrate_lrt ({case}): {stingray_nsim} simulations timed, scaled to "
        f"nsim={nsim}: {theirs:.0f} s -> speed-up cold x{theirs / cold:.0f}, "
        f"warm x{theirs / warm:.0f}"
    )


def _loop_posterior(k, module):
    rng = np.random.default_rng(100 + k)
    freq = np.linspace(0.01, 10.0, 1024)
    model = models.PowerLaw1D(amplitude=2.0, x_0=1.0, alpha=1.5) + models.Const1D(amplitude=1.0)
    model.x_0_0.fixed = True
    power = model(freq) * rng.exponential(size=freq.size)
    priors = {  # new lambdas for every observation, as a user's loop builds them
        "amplitude_0": lambda a: ((a > 0.01) & (a < 20.0)) / 20.0,
        "alpha_0": lambda a: ((a > 0.0) & (a < 4.0)) / 4.0,
        "amplitude_1": lambda c: ((c > 0.01) & (c < 10.0)) / 10.0,
    }
    lpost = module.PSDPosterior(freq, power, model, m=1)
    lpost.logprior = module.set_logprior(lpost, priors)
    return lpost


def bench_loop(n_posteriors, stingray_loop):
    t0 = np.array([2.0, 1.5, 1.0])
    times, failures = [], 0
    start = time.perf_counter()
    for k in range(n_posteriors):
        lpost = _loop_posterior(k, sjm)
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # divergence notes
            res = sjm.PSDParEst(None).sample(lpost, t0, print_results=False, seed=k)
        times.append(time.perf_counter() - t)
        failures += not np.all(np.isfinite(res.samples))
    total = time.perf_counter() - start
    warm = np.array(times[1:]) if len(times) > 1 else np.array(times)
    print(
        f"sample() on {n_posteriors} posteriors in a row: {total:.1f} s in all, first "
        f"{times[0]:.2f} s (compiles), then median {np.median(warm):.3f} s "
        f"(min {warm.min():.3f}, max {warm.max():.3f}); failures {failures}"
    )
    with preserve_global_state(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.random.seed(5)  # noqa: NPY002  (Stingray's walkers start from the global RNG)
        s_times = []
        for k in range(stingray_loop):
            s_lpost = _loop_posterior(k, sm)
            s_fit = sm.PSDParEst(None).fit(s_lpost, t0)
            t = time.perf_counter()
            sm.PSDParEst(None).sample(
                s_lpost,
                s_fit.p_opt,
                cov=s_fit.cov,
                nwalkers=100,
                niter=100,
                burnin=100,
                print_results=False,
            )
            s_times.append(time.perf_counter() - t)
    theirs = float(np.median(s_times)) * n_posteriors
    print(
        f"Stingray emcee sample(): median {np.median(s_times):.2f} s per posterior over "
        f"{stingray_loop}, scaled to {n_posteriors}: {theirs:.0f} s -> ratio x{theirs / total:.1f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller Stingray runs")
    parser.add_argument("--stingray-nsim", type=int, default=None)
    parser.add_argument("--calibrate-only", action="store_true", help="skip the sampling part")
    parser.add_argument("--loop", type=int, default=0, help="only the N-posterior loop")
    parser.add_argument("--stingray-loop", type=int, default=3)
    args = parser.parse_args()
    quick = args.quick
    if args.loop:
        bench_loop(args.loop, args.stingray_loop)
        return
    if not args.calibrate_only:
        bench_sample(4096, 32, 300 if quick else 1000, 100 if quick else 300)
    for case in ("6 params", "lorentzian"):
        bench_calibrate(args.stingray_nsim or (10 if quick else 40), case=case)


if __name__ == "__main__":
    main()
