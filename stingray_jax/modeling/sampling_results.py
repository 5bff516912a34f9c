"""Stingray-compatible container for MCMC results (:class:`SamplingResults`)."""

import logging

import numpy as np

__all__ = ["SamplingResults"]


class SamplingResults:
    """The results of :meth:`ParameterEstimation.sample`, with Stingray's attributes.

    Built from a :class:`stingray_jax.sampling.MCMCResult`. Attribute names follow
    ``stingray.modeling.SamplingResults``; the statistics are computed correctly (a split
    Gelman-Rubin :math:`\\hat R` per parameter, effective sample sizes from the multi-chain
    autocorrelation, and ``nwalkers``/``niter`` holding the number of chains and of draws per
    chain rather than Stingray's swapped values).

    Parameters
    ----------
    mcmc : stingray_jax.sampling.MCMCResult
        The draws and diagnostics of the run.
    ci_min, ci_max : float
        Percentiles of the credible interval stored in ``ci`` (Stingray's defaults: 5 and 95).
    names : sequence of str, optional
        Parameter names (the free parameters of the model), used in printouts, plots and the
        arviz export.
    log : logging.Logger, optional
        Where ``print_results`` writes; a logger named "MCMC summary" by default.

    Attributes
    ----------
    samples : ndarray, shape (nwalkers * niter, ndim)
        All post-warm-up draws of all chains, flattened.
    chains : ndarray, shape (nwalkers, niter, ndim)
        The draws per chain.
    nwalkers : int
        Number of chains.
    niter : int
        Number of draws per chain (after warm-up).
    ndim : int
        Number of free parameters.
    acceptance : float
        Mean acceptance probability of the NUTS/HMC transitions.
    L : float
        ``acceptance * len(samples)``, as in Stingray.
    acor : ndarray, shape (ndim,)
        Integrated autocorrelation time per parameter, ``len(samples) / ess``.
    ess : ndarray, shape (ndim,)
        Effective sample size per parameter.
    rhat : ndarray, shape (ndim,)
        Split Gelman-Rubin statistic per parameter (< 1.01 indicates convergence).
    num_divergences : int
        Divergent transitions after warm-up (should be 0).
    mean, std : ndarray, shape (ndim,)
        Posterior means and standard deviations.
    ci : ndarray, shape (2, ndim)
        Lower and upper percentiles ``ci_min`` and ``ci_max`` per parameter.
    """

    def __init__(self, mcmc, ci_min=5, ci_max=95, names=None, log=None):
        if not 0 <= ci_min < ci_max <= 100:
            raise ValueError(f"need 0 <= ci_min < ci_max <= 100, got {ci_min}, {ci_max}")
        if log is None:
            log = logging.getLogger("MCMC summary")
            log.setLevel(logging.DEBUG)
            if not log.handlers:
                handler = logging.StreamHandler()
                handler.setLevel(logging.DEBUG)
                log.addHandler(handler)
        self.log = log
        if hasattr(mcmc, "get_chain"):  # an emcee sampler, as Stingray's SamplingResults takes
            self._from_emcee(mcmc, names)
            self._check_convergence(mcmc)
            self._infer(ci_min, ci_max)
            return
        self.mcmc = mcmc
        self.chains = np.asarray(mcmc.chains)
        self.samples = self.chains.reshape(-1, self.chains.shape[-1])
        self.nwalkers, self.niter, self.ndim = self.chains.shape
        self.names = self._names(names)
        self.sampler = mcmc.sampler
        self.acceptance = mcmc.acceptance
        self.L = self.acceptance * self.samples.shape[0]
        self.num_divergences = mcmc.num_divergences
        self.wall_time = mcmc.wall_time
        self._check_convergence(mcmc)
        self._infer(ci_min, ci_max)

    def _names(self, names):
        names = (
            tuple(names) if names is not None else tuple(f"theta[{i}]" for i in range(self.ndim))
        )
        if len(names) != self.ndim:
            raise ValueError(f"{len(names)} names for {self.ndim} parameters")
        return names

    def _from_emcee(self, sampler, names):
        """Stingray's attributes of an emcee ``EnsembleSampler`` run (its definitions)."""
        self.mcmc = None
        self.samples = sampler.get_chain(flat=True)
        self.chains = np.swapaxes(sampler.get_chain(), 0, 1)  # (walkers, steps, ndim)
        dims = sampler.get_chain().shape
        # Stingray's (swapped) values: emcee's chain is (steps, walkers, ndim)
        self.nwalkers, self.niter, self.ndim = float(dims[0]), float(dims[1]), dims[2]
        self.names = self._names(names)
        self.sampler = "emcee"
        self.acceptance = np.nanmean(sampler.acceptance_fraction)
        self.L = self.acceptance * self.samples.shape[0]
        self.num_divergences = 0
        self.wall_time = float("nan")

    def _check_convergence(self, sampler):
        """Autocorrelation times, effective sample sizes and R-hat of the run.

        For an emcee sampler, Stingray's definitions (emcee's ``get_autocorr_time`` and
        Stingray's ``rhat``, which is not the Gelman-Rubin ratio); for our NUTS/HMC runs the
        split Gelman-Rubin statistic and the multi-chain effective sample size.
        """
        if hasattr(sampler, "get_chain"):
            try:
                self.acor = sampler.get_autocorr_time()
            except Exception:  # emcee.autocorr.AutocorrError: chains too short
                self.log.info("Chains too short to compute autocorrelation lengths.")
            self.rhat = self._compute_rhat(sampler)
            self.ess = self.samples.shape[0] / np.asarray(getattr(self, "acor", np.nan))
            return
        if self.niter >= 4:
            self.ess = np.asarray(sampler.ess)
            self.rhat = np.asarray(sampler.rhat)
            self.acor = self.samples.shape[0] / self.ess
        else:
            self.ess = self.rhat = self.acor = np.full(self.ndim, np.nan)

    def _compute_rhat(self, sampler):
        """Stingray's ``rhat`` of an emcee run (kept for compatibility; see the class doc)."""
        chain = sampler.get_chain()
        mean_iter = np.nanmean(chain, axis=1)
        mean_all = np.nanmean(chain, axis=(0, 1))
        bb = (self.niter / (self.nwalkers - 1)) * np.sum((mean_iter - mean_all) ** 2.0, axis=0)
        ww = np.nanmean(np.nanvar(chain, axis=1), axis=0)
        return ((self.niter - 1) / self.niter) * ww + (1 / self.niter) * bb

    def _infer(self, ci_min=5, ci_max=95):
        self.mean = np.mean(self.samples, axis=0)
        self.std = np.std(self.samples, axis=0)
        self.ci = np.percentile(self.samples, [ci_min, ci_max], axis=0)
        self.ci_min, self.ci_max = ci_min, ci_max

    def print_results(self):
        """Write a summary (acceptance, diagnostics, posterior table) to the log.

        As Stingray's, this returns nothing (Jupyter would print a returned text twice).
        """
        lines = [
            f"-- Sampler: {self.sampler.upper()}, {self.nwalkers} chains x {self.niter} draws",
            f"-- The acceptance fraction is: {self.acceptance:.5f}",
            f"-- Divergent transitions: {self.num_divergences}",
            f"-- R_hat for the parameters is: {self.rhat}",
            f"-- Effective sample sizes: {np.round(self.ess, 1)}",
            "-- Posterior Summary of Parameters:",
            f"{'parameter':>16} {'mean':>14} {'sd':>14} "
            f"{f'{self.ci_min:g}%':>14} {f'{self.ci_max:g}%':>14} {'ess':>9} {'r_hat':>7}",
        ]
        for i, name in enumerate(self.names):
            lines.append(
                f"{name:>16} {self.mean[i]:14.6g} {self.std[i]:14.6g} {self.ci[0, i]:14.6g} "
                f"{self.ci[1, i]:14.6g} {self.ess[i]:9.1f} {self.rhat[i]:7.4f}"
            )
        for line in lines:
            self.log.info(line)

    def plot_results(self, nsamples=1000, fig=None, save_plot=False, filename="test.pdf"):
        """Corner plot of the posterior (uses ``corner`` when installed).

        Parameters are as in Stingray: ``nsamples`` caps the number of draws shown by the
        fallback plot, ``fig`` is an optional figure to draw into, and ``save_plot`` writes the
        figure to ``filename``.
        """
        import matplotlib.pyplot as plt

        try:
            import corner
        except ImportError:
            corner = None
        if corner is not None:
            fig = corner.corner(
                self.samples,
                labels=list(self.names),
                fig=fig,
                bins=20,
                quantiles=[0.16, 0.5, 0.84],
                show_titles=True,
                title_kwargs={"fontsize": 10},
            )
        else:
            fig = fig if fig is not None else plt.figure(figsize=(2.5 * self.ndim,) * 2)
            rng = np.random.default_rng(0)
            take = rng.choice(len(self.samples), size=min(nsamples, len(self.samples)))
            samples = self.samples[take]
            n = self.ndim
            for i in range(n):
                for j in range(i + 1):
                    ax = fig.add_subplot(n, n, i * n + j + 1)
                    if i == j:
                        ax.hist(samples[:, i], 30, density=True, histtype="stepfilled")
                    else:
                        ax.scatter(samples[:, j], samples[:, i], s=2, alpha=0.5)
                    if i == n - 1:
                        ax.set_xlabel(self.names[j])
                    if j == 0 and i > 0:
                        ax.set_ylabel(self.names[i])
        if save_plot:
            fig.savefig(filename)
        return fig

    def to_arviz(self):
        """Return arviz's container of the draws and the sampler statistics.

        An ``arviz.InferenceData`` with arviz < 1, an ``xarray.DataTree`` with arviz >= 1 (its
        new container); both have the groups ``posterior`` (one variable per parameter, dims
        ``chain`` and ``draw``) and ``sample_stats`` (``diverging``, ``acceptance_rate``,
        ``lp``, ``n_steps``).
        """
        try:
            import arviz
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "to_arviz needs arviz: python -m pip install arviz (or stingray_jax[all])"
            ) from exc
        posterior = {name: self.chains[..., i] for i, name in enumerate(self.names)}
        stats = {
            "diverging": np.asarray(self.mcmc.diverging),
            "acceptance_rate": np.asarray(self.mcmc.accept_prob),
            "lp": np.asarray(self.mcmc.log_density),
            "n_steps": np.asarray(self.mcmc.num_steps),
        }
        if int(arviz.__version__.split(".")[0]) >= 1:  # one nested dict of groups
            return arviz.from_dict({"posterior": posterior, "sample_stats": stats})
        return arviz.from_dict(posterior=posterior, sample_stats=stats)
