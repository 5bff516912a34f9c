"""Sampling and vmapped significance calibration: the methods of the estimators, as functions.

``ParameterEstimation`` binds `sample` and `calibrate_lrt`, and ``PSDParEst`` also
`simulate_lrts`, `calibrate_highest_outlier` and `simulate_highest_outlier`, under Stingray's
method names (each function takes the estimator as ``self``). They keep Stingray's signatures and
semantics, but

- ``sample`` runs NumPyro's NUTS (or HMC) on the pure JAX log-posterior instead of emcee;
- the simulations behind the calibrations are generated *and fitted* in one jitted, vmapped call
  per chunk of spectra (`stingray_jax.fitting.simulate_and_fit`; simulated spectra are
  ``model * chi2(2m) / (2m)`` as in Stingray), with a progress bar across chunks, instead of a
  serial Python loop of scipy fits.
"""

import math
import warnings

import numpy as np

from .. import _validate
from .._config import x64_scope
from ..fitting import compiled, sampler_logdensity
from .posterior import LogLikelihood, Posterior, objective_parts

__all__ = [
    "calibrate_highest_outlier",
    "calibrate_lrt",
    "sample",
    "simulate_highest_outlier",
    "simulate_lrts",
]

#: Spectra simulated and fitted per compiled call in the calibrations.
DEFAULT_CHUNK_SIZE = 256


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def _support_of(prior):
    """(low, high) support of a prior object when it can be known, else (-inf, inf)."""
    from ._priors import _is_scipy_frozen

    owner = getattr(prior, "__self__", None)
    if owner is not None and _is_scipy_frozen(owner):
        prior = owner
    if _is_scipy_frozen(prior):
        lo, hi = prior.support()
        return float(lo), float(hi)
    support = getattr(prior, "support", None)
    if support is not None and not callable(support):  # a numpyro distribution
        lo = getattr(support, "lower_bound", -np.inf)
        hi = getattr(support, "upper_bound", np.inf)
        try:
            return float(lo), float(hi)
        except (TypeError, ValueError):
            return -np.inf, np.inf
    return -np.inf, np.inf


def _sampling_bounds(jm_bounds, prior):
    """Model bounds intersected with the support of the priors (where it is known)."""
    priors = getattr(prior, "_priors", None)
    out = []
    for k, (lo, hi) in enumerate(jm_bounds):
        lo = -np.inf if lo is None else float(lo)
        hi = np.inf if hi is None else float(hi)
        if priors is not None:
            plo, phi = _support_of(priors[k])
            lo, hi = max(lo, plo), min(hi, phi)
        out.append((lo, hi))
    return out


def _check_t0(lpost, t0):
    return _validate.start(t0, lpost.free_param_names)


def _draw_parameters(rng, mean, cov, nsim):
    """nsim draws of N(mean, cov) (Stingray's way of propagating fit uncertainty)."""
    mean = np.atleast_1d(np.asarray(mean, dtype=float))
    cov = np.atleast_2d(np.asarray(cov, dtype=float))
    if not np.all(np.isfinite(cov)):
        raise ValueError("the fit covariance is not finite: cannot draw parameter sets from it")
    return rng.multivariate_normal(mean, cov, size=nsim, method="eigh")


def _pick_samples(rng, samples, nsim):
    samples = np.asarray(samples, dtype=float)
    if samples.ndim != 2:
        raise ValueError(f"sample must be a 2-D array (n_samples, npar), got {samples.shape}")
    if samples.shape[0] < nsim:
        raise ValueError(
            f"cannot pick nsim={nsim} parameter sets without replacement from "
            f"{samples.shape[0]} samples"
        )
    return samples[rng.choice(samples.shape[0], nsim, replace=False)]


def _progress(iterable, total, desc):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        return iterable
    return tqdm(iterable, total=total, desc=desc, disable=total <= 1, leave=False)


def _pvalue(obs, sims):
    """Fraction of finite simulated statistics strictly above the observed one (Stingray's)."""
    sims = np.asarray(sims, dtype=float)
    good = np.isfinite(sims)
    if not np.any(good):
        raise RuntimeError("every simulated fit failed: no p-value can be computed")
    return float(np.sum(sims[good] > obs)) / float(np.sum(good))


# --------------------------------------------------------------------------------------------
# The methods (bound by ParameterEstimation and PSDParEst under Stingray's names)
# --------------------------------------------------------------------------------------------


def sample(
    self,
    lpost,
    t0,
    cov=None,
    nwalkers=500,
    niter=100,
    burnin=100,
    threads=1,
    print_results=True,
    plot=False,
    namestr="test",
    pool=False,
    *,
    sampler="nuts",
    num_chains=4,
    num_samples=None,
    num_warmup=None,
    target_accept_prob=0.8,
    dense_mass=None,
    chain_method="auto",
    seed=None,
):
    """Sample the posterior ``lpost`` with NUTS (default) or HMC.

    Stingray's arguments are accepted and mapped as follows (ensemble walkers have no NUTS
    analogue, and NUTS draws are far less autocorrelated than ensemble steps):

    ============  ==============================================================
    Stingray      stingray_jax
    ============  ==============================================================
    ``nwalkers``  not used: the number of chains is ``num_chains`` (default 4)
    ``niter``     draws per chain ``num_samples = 10 * niter`` unless given
    ``burnin``    warm-up per chain ``num_warmup = max(burnin, 500)`` unless
                  given (step size and mass matrix are adapted, then discarded)
    ``cov``       starting points drawn from ``N(t0, cov)``, as Stingray starts
                  its walkers; ``None`` runs a MAP fit first and uses its
                  exact-Hessian covariance around the optimum
    ``threads``,  not used (chains run in one compiled function, on several
    ``pool``      devices when there are enough)
    ============  ==============================================================

    Parameters
    ----------
    lpost : Posterior
        A posterior with priors (a likelihood alone has no normalisable posterior).
    t0 : array-like
        Starting values of the free parameters.
    sampler : {"nuts", "hmc"}
        NumPyro kernel.
    num_chains, num_samples, num_warmup : int, optional
        See the table above.
    target_accept_prob : float
        Target acceptance probability of the step-size adaptation.
    dense_mass : bool, optional
        Adapt a dense mass matrix. The default (``None``) does so for up to 20 free
        parameters: power-spectrum parameters are strongly correlated (amplitude and index
        of a power law, say), and a dense mass matrix halves the number of leapfrog steps
        per draw and doubles the effective sample size on such posteriors.
    chain_method : {"auto", "sequential", "parallel", "vectorized"}
        See `stingray_jax.sampling.run_mcmc`.
    seed : int, optional
        Seed of the run; defaults to the estimator's ``seed``. The global NumPy RNG is
        never used.

    Returns
    -------
    res : SamplingResults
    """
    from ..sampling import run_mcmc
    from .sampling_results import SamplingResults

    if threads != 1:
        raise ValueError("threads is not used by stingray_jax (Stingray deprecated it too)")
    if not isinstance(lpost, Posterior):
        raise TypeError(
            "sample() needs a Posterior with priors (e.g. PSDPosterior(freq, power, model, "
            "priors={...})): a LogLikelihood alone does not define a distribution to sample."
        )
    prior = lpost._prior_or_raise()
    ll = lpost.loglikelihood
    ll._refresh_model()
    t0 = _check_t0(lpost, t0)
    if not np.isfinite(float(ll._value(t0, prior))):
        raise ValueError(
            f"the log-posterior is not finite at t0 = {t0}: start inside the support of the "
            f"priors and where the model is positive"
        )
    center = t0
    if cov is None:
        center, cov = _map_start(self, lpost, t0)
    seed = self.seed if seed is None else seed
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**31))
    num_samples = 10 * int(niter) if num_samples is None else int(num_samples)
    num_warmup = max(int(burnin), 500) if num_warmup is None else int(num_warmup)
    bounds = _sampling_bounds(ll._jm.bounds, prior)
    if dense_mass is None:
        dense_mass = lpost.npar <= 20
    with x64_scope():
        mcmc = run_mcmc(
            sampler_logdensity(ll._spec, prior),
            center,
            (ll._jm, ll._data),
            bounds=bounds,
            sampler=sampler,
            num_warmup=num_warmup,
            num_samples=num_samples,
            num_chains=int(num_chains),
            seed=int(seed),
            init_cov=cov,
            target_accept_prob=target_accept_prob,
            dense_mass=dense_mass,
            chain_method=chain_method,
        )
    results = SamplingResults(mcmc, names=ll.free_param_names)
    if results.num_divergences:
        warnings.warn(
            f"{results.num_divergences} divergent transitions after warm-up: the samples "
            f"may be biased; try target_accept_prob=0.95 or dense_mass=True",
            RuntimeWarning,
            stacklevel=2,
        )
    if print_results:
        results.print_results()
    if plot:
        results.plot_results(save_plot=True, filename=namestr + "_corner.pdf")
    return results


def _map_start(self, lpost, t0):
    """``(center, cov)`` of the chains' starting points: the MAP fit and its covariance, or
    ``(t0, None)`` (small jitter around ``t0``) with a warning when that fit fails."""
    why = None
    try:
        res = self.fit(lpost, t0, neg=True)
    except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:
        why = f"it raised {type(exc).__name__}: {exc}"
    else:
        cov = np.asarray(res.cov, dtype=float)
        if not res.converged:
            why = "it did not converge"
        elif not np.all(np.isfinite(cov)) or np.any(np.linalg.eigvalsh(cov) <= 0):
            why = "its covariance is not positive definite"
        else:
            return res.p_opt, cov
    warnings.warn(
        f"the preliminary MAP fit of sample() failed ({why}); the chains start next to t0 "
        f"instead (the warm-up adapts from there). Pass cov= to skip the fit.",
        RuntimeWarning,
        stacklevel=3,
    )
    return t0, None


def _parameter_sets(self, lpost, res, sample, from_posterior, nsim, rng, seed, options):
    """``nsim`` parameter sets to simulate from: picked from ``sample`` when given, else
    drawn from ``N(p_opt, cov)`` of the fit ``res`` or, if ``from_posterior``, picked from
    a NUTS run started at the fit (Stingray's recipe)."""
    if sample is None and not from_posterior:
        return _draw_parameters(rng, res.p_opt, res.cov, nsim)
    if sample is None:
        sample = self.sample(
            lpost, res.p_opt, cov=res.cov, print_results=False, seed=seed, **options
        )
    return _pick_samples(rng, getattr(sample, "samples", sample), nsim)


def calibrate_lrt(
    self,
    lpost1,
    t1,
    lpost2,
    t2,
    sample=None,
    neg=True,
    max_post=False,
    nsim=1000,
    niter=200,
    nwalkers=500,
    burnin=200,
    namestr="test",
    seed=None,
    **sample_kwargs,
):
    """Calibrate a likelihood ratio test by simulating spectra from model 1.

    As Stingray's: the observed statistic is ``deviance1 - deviance2``; parameter sets are
    drawn from the multivariate normal of the model-1 fit (``max_post=False``) or from
    posterior samples (``max_post=True``, sampled with NUTS unless ``sample`` is given);
    each simulated spectrum is fitted with both models, and the p-value is the fraction of
    simulated statistics above the observed one. Simulated fits that fail are left out of
    the p-value and counted in ``self.calibration_failures`` (with a warning). The
    simulated statistics are kept in ``self.lrt_sim``.

    Returns
    -------
    pvalue : float
    """
    nsim = _validate.n_simulations(nsim)
    precompiling = None
    if lpost1.__class__ == lpost2.__class__ and isinstance(lpost1, LogLikelihood | Posterior):
        sim_post = isinstance(lpost1, Posterior)  # as simulate_lrts decides
        specs = [(lpost1, t1, sim_post), (lpost2, t2, sim_post)]
        precompiling = _precompile(self, lpost1, specs, nsim)
    lrt_obs, res1, _ = self.compute_lrt(lpost1, t1, lpost2, t2, neg=neg, max_post=max_post)
    seed = self.seed if seed is None else seed
    rng = np.random.default_rng(seed)
    options = dict(nwalkers=nwalkers, niter=niter, burnin=burnin, namestr=namestr)
    s_all = _parameter_sets(
        self, lpost1, res1, sample, max_post, nsim, rng, seed, {**options, **sample_kwargs}
    )
    self.lrt_obs = lrt_obs
    if precompiling is not None:
        precompiling.join()
    self.lrt_sim = self.simulate_lrts(s_all, lpost1, t1, lpost2, t2, seed=seed)
    return _pvalue(lrt_obs, self.lrt_sim)


def _simulation_program(self, lpost_sim, fit_specs):
    """``(ll_sim, calibrator, jms, t0s, m)``: the compiled simulate-and-fit program of the
    simulations from ``lpost_sim`` fitted with each ``(lpost, t0, max_post)``, and its inputs."""
    ll_sim, _ = objective_parts(lpost_sim, False)
    statics, jms, t0s = [], [], []
    for lpost, t0, max_post in fit_specs:
        ll, prior = objective_parts(lpost, max_post)
        if ll._data["y"].shape != ll_sim._data["y"].shape:
            raise ValueError("the posteriors must describe spectra of the same length")
        statics.append((ll._spec, prior, self.solver))
        jms.append(ll._jm)
        t0s.append(_check_t0(lpost, t0))
    m = np.asarray(ll_sim._data.get("m", 1.0), dtype=np.float64)
    calibrator = compiled("simulate_and_fit", tuple(statics))
    return ll_sim, calibrator, tuple(jms), tuple(t0s), m


def _precompile(self, lpost_sim, fit_specs, nsim):
    """Compile the simulate-and-fit program of ``nsim`` simulations in a background thread
    (ahead of time, with inputs of the right shapes), while the caller runs its initial fits:
    on a multi-core CPU the two compilations overlap. Returns the thread (join it before the
    simulations, so the program is not compiled twice). Any failure is left to the real call
    to report."""
    import threading

    def work():
        import jax

        try:
            with x64_scope():
                ll_sim, calibrator, jms, t0s, m = _simulation_program(self, lpost_sim, fit_specs)
                chunk = int(min(self.chunk_size, nsim))
                nfreq = ll_sim._data["y"].shape[0]
                batch = np.zeros((chunk, ll_sim.npar))
                noise = np.ones((chunk, nfreq))
                key = jax.random.key(0)
                calibrator.lower(key, batch, ll_sim._jm, ll_sim._data, m, jms, t0s, noise).compile()
        except Exception:  # pragma: no cover - reported by the simulations themselves
            pass

    thread = threading.Thread(target=work, name="stingray_jax-precompile", daemon=True)
    thread.start()
    return thread


def _run_simulations(self, s_all, lpost_sim, fit_specs, seed, desc):
    """Simulate ``len(s_all)`` spectra from ``lpost_sim``'s model and fit each spec.

    ``fit_specs`` is a list of ``(lpost, t0, max_post)``. Returns, per fit, the arrays
    ``(x, fun, converged, max_outlier)`` over the simulations.
    """
    import jax

    from ..optimize import default_workers, parallel_map

    ll_sim, calibrator, jms, t0s, m = _simulation_program(self, lpost_sim, fit_specs)
    s_all = np.atleast_2d(np.asarray(s_all, dtype=np.float64))
    if s_all.shape[1] != ll_sim.npar:
        raise ValueError(
            f"s_all must have shape (nsim, {ll_sim.npar}) for the free parameters "
            f"{list(ll_sim.free_param_names)}, got {s_all.shape}"
        )
    if not np.all(np.isfinite(s_all)):
        raise ValueError("s_all contains non-finite parameter values")

    nsim, nfreq = s_all.shape[0], ll_sim._data["y"].shape[0]
    chunk = int(min(self.chunk_size, nsim))
    n_chunks = math.ceil(nsim / chunk)
    seed = self.seed if seed is None else seed
    # Stingray's noise: chi2(2m) / (2m) per frequency, drawn in order from one
    # numpy.random.RandomState(seed) (or the Generator given), so that a seed simulates
    # Stingray's spectra exactly. Drawn on the host chunk by chunk, in order (a window of
    # n_workers chunks at a time): memory stays at n_workers * chunk * nfreq values.
    rng = seed if isinstance(seed, np.random.Generator) else np.random.RandomState(seed)
    two_m = 2.0 * np.broadcast_to(m, (nfreq,))
    key = jax.random.key(0)  # unused: the noise is given

    def draw(c):
        n_real = min(chunk, nsim - c * chunk)
        noise = rng.chisquare(two_m, size=(n_real, nfreq)) / two_m
        batch = s_all[c * chunk : c * chunk + n_real]
        if n_real < chunk:  # pad the last chunk: same shapes, no recompilation
            batch = np.concatenate([batch, np.repeat(batch[-1:], chunk - n_real, 0)])
            noise = np.concatenate([noise, np.ones((chunk - n_real, nfreq))])
        return batch, noise, n_real

    def run_chunk(item):
        batch, noise, n_real = item
        fits = calibrator(key, batch, ll_sim._jm, ll_sim._data, m, jms, t0s, noise)
        return [[np.asarray(value)[:n_real] for value in fit] for fit in fits]

    results = [([], [], [], []) for _ in fit_specs]
    window = default_workers() if self.n_workers is None else max(1, int(self.n_workers))
    with x64_scope():
        done = 0
        progress = _progress(range(n_chunks), n_chunks, desc)
        while done < n_chunks:
            items = [draw(c) for c in range(done, min(done + window, n_chunks))]
            # chunks run in parallel threads on the CPU cores (see optimize.parallel_map)
            for fits in parallel_map(run_chunk, items, self.n_workers):
                for k, fit in enumerate(fits):
                    for store, value in zip(results[k], fit):
                        store.append(value)
            done += len(items)
            if hasattr(progress, "update"):
                progress.update(len(items))
        if hasattr(progress, "close"):
            progress.close()
    return [tuple(np.concatenate(a) for a in r) for r in results]


def _report_failures(self, ok, what):
    n_fail = int(np.sum(~ok))
    self.calibration_failures = n_fail
    if n_fail:
        warnings.warn(
            f"{n_fail} of {ok.size} simulated fits did not converge; they are left out "
            f"of {what} (as NaN): a p-value from it rests on {ok.size - n_fail} valid "
            f"simulations of the {ok.size} requested",
            RuntimeWarning,
            stacklevel=3,
        )


def simulate_lrts(self, s_all, lpost1, t1, lpost2, t2, seed=None):
    """Likelihood ratios of spectra simulated from model 1 with the parameter sets ``s_all``.

    Each simulated spectrum (``model1(s) * chi2(2m) / (2m)``) is fitted with both models
    from ``t1`` and ``t2`` (maximum posterior when the inputs are posteriors, maximum
    likelihood otherwise, as in Stingray), in jitted, vmapped chunks.

    Returns
    -------
    lrt_sim : ndarray, shape (nsim,)
        ``deviance1 - deviance2`` per simulation; NaN where a fit failed.
    """
    if lpost1.__class__ != lpost2.__class__:
        raise _validate.InputAssertionError(
            "Both LogLikelihood or Posterior objects must be of the same class!"
        )
    if not isinstance(lpost1, LogLikelihood | Posterior):
        raise TypeError("lpost1 and lpost2 must be stingray_jax likelihoods or posteriors")
    max_post = isinstance(lpost1, Posterior)
    (x1, f1, ok1, _), (x2, f2, ok2, _) = _run_simulations(
        self,
        s_all,
        lpost1,
        [(lpost1, t1, max_post), (lpost2, t2, max_post)],
        seed,
        "simulate_lrts",
    )
    dev1 = _deviances(lpost1, x1, f1, max_post)
    dev2 = _deviances(lpost2, x2, f2, max_post)
    ok = ok1 & ok2 & np.isfinite(dev1) & np.isfinite(dev2)
    _report_failures(self, ok, "the LRT distribution")
    return np.where(ok, dev1 - dev2, np.nan)


def _deviances(lpost, x, fun, max_post):
    """Stingray's deviance of each fit: -2 log L(p_opt) (posteriors) or 2 * min(-log L)."""
    if not max_post:
        return 2.0 * fun
    # The likelihood part of the MAP objective: -log posterior minus -log prior.
    import jax

    prior = lpost._prior_or_raise()
    with x64_scope():
        logprior = np.asarray(jax.vmap(prior.jax)(jax.numpy.asarray(x)))
    return -2.0 * (-fun - logprior)


def simulate_highest_outlier(self, s_all, lpost, t0, max_post=True, seed=None):
    """Highest data/model outlier ``max(2 P / model)`` of spectra simulated with ``s_all``.

    Each simulated spectrum is fitted from ``t0`` (MAP if ``max_post``, else ML) in jitted,
    vmapped chunks, and the maximum of ``2 * power / best-fit model`` is recorded.

    Returns
    -------
    max_y_all : ndarray, shape (nsim,)
        NaN where a fit failed.
    """
    ((_, _, ok, max_y),) = _run_simulations(
        self, s_all, lpost, [(lpost, t0, max_post)], seed, "simulate_highest_outlier"
    )
    ok = ok & np.isfinite(max_y)
    _report_failures(self, ok, "the outlier distribution")
    return np.where(ok, max_y, np.nan)


def calibrate_highest_outlier(
    self,
    lpost,
    t0,
    sample=None,
    max_post=False,
    nsim=1000,
    niter=200,
    nwalkers=500,
    burnin=200,
    namestr="test",
    seed=None,
    **sample_kwargs,
):
    """p-value of the highest data/model outlier, calibrated with simulated spectra.

    As Stingray's (Vaughan 2010; Huppenkothen et al. 2013): fit, find the highest outlier
    ``max(2 P / model)``, simulate ``nsim`` spectra from parameter sets drawn from the fit
    (``max_post=False``) or the posterior (``max_post=True``), refit each and compare.
    The simulated statistics are kept in ``self.outlier_sim``.

    Returns
    -------
    pval : float
    """
    nsim = _validate.n_simulations(nsim)
    self.max_post = max_post
    res = self.fit(lpost, t0, neg=True)
    out_high, _, _ = self._compute_highest_outlier(lpost, res)
    seed = self.seed if seed is None else seed
    rng = np.random.default_rng(seed)
    options = dict(nwalkers=nwalkers, niter=niter, burnin=burnin, namestr=namestr)
    # As in Stingray, a given sample is only used for a MAP (posterior) calibration.
    s_all = _parameter_sets(
        self,
        lpost,
        res,
        sample if max_post else None,
        max_post,
        nsim,
        rng,
        seed,
        {**options, **sample_kwargs},
    )
    self.outlier_obs = float(np.max(out_high))
    self.outlier_sim = self.simulate_highest_outlier(s_all, lpost, t0, max_post=max_post, seed=seed)
    return _pvalue(self.outlier_obs, self.outlier_sim)
