"""Stingray's ``GPResult``: nested sampling or NUTS of a GP model of one light curve, and plots.

Private: re-exported by `stingray_jax.modeling.gpmodeling`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._config import x64_scope
from ._gpmodeling_core import GPPrior

__all__ = ["GPResult", "GPSamples", "weighted_quantiles"]

# --------------------------------------------------------------------------------------------
# GPResult
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class GPSamples:
    """Samples of a `GPResult` run (the fields Stingray reads from jaxns' results).

    ``samples`` maps each parameter name to its samples; ``log_dp_mean`` are the log posterior
    weights (uniform for NUTS); ``log_Z_mean`` and ``log_Z_uncert`` the log evidence and its
    error (nested sampling only, ``None`` for NUTS).
    """

    samples: dict
    log_L_samples: np.ndarray
    log_posterior_density: np.ndarray
    log_dp_mean: np.ndarray
    ESS: float
    total_num_samples: int
    log_Z_mean: float | None = None
    log_Z_uncert: float | None = None
    method: str = "nested"
    raw: object = None


def _as_vector_loglike(likelihood_model, n):
    vec = getattr(likelihood_model, "vector", None)
    if vec is not None:
        return vec

    def loglike(x):
        return likelihood_model(*[x[i] for i in range(n)])

    return loglike


class GPResult:
    """Bayesian inference of a GP model of a `stingray.Lightcurve` (Stingray's ``GPResult``).

    Parameters
    ----------
    lc : stingray.Lightcurve
    """

    def __init__(self, lc) -> None:
        self.lc = lc
        self.time = lc.time
        self.counts = lc.counts
        self.result = None
        self.results = None

    def sample(
        self,
        prior_model=None,
        likelihood_model=None,
        max_samples=1e4,
        num_live_points=500,
        *,
        method="nested",
        seed=42,
        num_warmup=500,
        num_samples=1000,
        num_chains=2,
    ):
        """Sample the posterior: nested sampling (evidence) or NUTS.

        Parameters
        ----------
        prior_model : GPPrior
            From `get_prior`.
        likelihood_model : callable
            From `get_log_likelihood` (or any ``f(*params)`` in the prior's order).
        max_samples : int
            Maximum number of dead points (nested sampling).
        num_live_points : int
            Live points (nested sampling).
        method : {"nested", "nuts"}
            ``"nested"`` (blackjax nested slice sampling; gives the evidence) or ``"nuts"``
            (NumPyro NUTS; priors must be NumPyro distributions).
        seed : int
        num_warmup, num_samples, num_chains : int
            NUTS options.
        """
        if not isinstance(prior_model, GPPrior):
            raise TypeError("prior_model must be the GPPrior returned by get_prior")
        if likelihood_model is None:
            raise TypeError("likelihood_model is required (see get_log_likelihood)")
        if method not in ("nested", "nuts"):
            raise ValueError(f"method must be 'nested' or 'nuts', got {method!r}")
        self.prior_model = prior_model
        self.log_likelihood_model = likelihood_model
        names = list(prior_model.params_list)
        loglike = _as_vector_loglike(likelihood_model, len(names))
        with x64_scope():
            import jax
            import jax.numpy as jnp

            if method == "nested":
                from ..gp.nested import nested_sampling

                key = jax.random.PRNGKey(seed)
                x0 = prior_model.sample(key, int(num_live_points)).astype(jnp.float64)
                res = nested_sampling(
                    loglike,
                    prior_model.log_prob,
                    x0,
                    seed=seed,
                    max_samples=int(max_samples),
                )
                samples = {n: res.samples[:, i] for i, n in enumerate(names)}
                self.results = GPSamples(
                    samples=samples,
                    log_L_samples=res.log_L_samples,
                    log_posterior_density=res.log_posterior_density,
                    log_dp_mean=res.log_dp_mean,
                    ESS=res.ESS,
                    total_num_samples=res.total_num_samples,
                    log_Z_mean=res.log_Z_mean,
                    log_Z_uncert=res.log_Z_uncert,
                    method="nested",
                    raw=res,
                )
            else:
                self.results = _run_nuts(
                    prior_model, loglike, names, seed, num_warmup, num_samples, num_chains
                )
        self.result = self.results
        return self.results

    def get_evidence(self):
        """The log evidence (nested sampling)."""
        self._check()
        if self.results.log_Z_mean is None:
            raise ValueError("the evidence needs nested sampling: sample(..., method='nested')")
        return self.results.log_Z_mean

    def _check(self):
        if self.results is None:
            raise ValueError("run sample() first")

    def _weighted(self, name, n=0):
        s = np.asarray(self.results.samples[name]).reshape((self.results.total_num_samples, -1))
        return s[:, n], np.exp(np.asarray(self.results.log_dp_mean))

    def print_summary(self):
        """Print the weighted mean, std and 5/50/95% quantiles of each parameter."""
        self._check()
        lines = [
            f"{'parameter':>12s} {'mean':>12s} {'std':>12s} {'5%':>12s} {'50%':>12s} {'95%':>12s}"
        ]
        for name in self.get_parameters_names():
            x, w = self._weighted(name)
            mean = np.average(x, weights=w)
            std = np.sqrt(np.average((x - mean) ** 2, weights=w))
            q = weighted_quantiles(x, w, [0.05, 0.5, 0.95])
            lines.append(
                f"{name:>12s} {mean:12.5g} {std:12.5g} {q[0]:12.5g} {q[1]:12.5g} {q[2]:12.5g}"
            )
        if self.results.log_Z_mean is not None:
            lines.append(
                f"log Z = {self.results.log_Z_mean:.4f} +- {self.results.log_Z_uncert:.4f}"
            )
        lines.append(f"ESS = {self.results.ESS:.0f}, {self.results.total_num_samples} samples")
        print("\n".join(lines))

    def plot_diagnostics(self):
        """Log-likelihood and posterior weight of the samples, in sampling order."""
        import matplotlib.pyplot as plt

        self._check()
        fig, axes = plt.subplots(2, 1, sharex=True)
        axes[0].plot(self.results.log_L_samples, ",")
        axes[0].set_ylabel("log L")
        axes[1].plot(np.exp(self.results.log_dp_mean))
        axes[1].set_ylabel("weight")
        axes[1].set_xlabel("sample")
        return fig

    def plot_cornerplot(self):
        """Corner plot of the (weighted) samples (uses ``corner`` when installed)."""
        import matplotlib.pyplot as plt

        self._check()
        names = self.get_parameters_names()
        data = np.stack([self._weighted(n)[0] for n in names], axis=1)
        w = np.exp(np.asarray(self.results.log_dp_mean))
        try:
            import corner
        except ImportError:
            k = len(names)
            fig, axes = plt.subplots(k, k, figsize=(2 * k, 2 * k), squeeze=False)
            for i in range(k):
                for j in range(k):
                    ax = axes[i, j]
                    if j > i:
                        ax.axis("off")
                    elif i == j:
                        ax.hist(data[:, i], bins=30, weights=w, histtype="step", color="k")
                    else:
                        ax.hist2d(data[:, j], data[:, i], bins=30, weights=w, cmap="Greys")
                    if i == k - 1:
                        ax.set_xlabel(names[j])
            return fig
        return corner.corner(data, weights=w, labels=names)

    def get_parameters_names(self):
        """Sorted parameter names."""
        self._check()
        return sorted(self.results.samples.keys())

    def get_max_posterior_parameters(self):
        """The sample of highest posterior density, ``{name: value}``."""
        self._check()
        i = int(np.argmax(self.results.log_posterior_density))
        return {k: v[i] for k, v in self.results.samples.items()}

    def get_max_likelihood_parameters(self):
        """The sample of highest likelihood, ``{name: value}``."""
        self._check()
        i = int(np.argmax(self.results.log_L_samples))
        return {k: v[i] for k, v in self.results.samples.items()}

    def _finish(self, plt, axis, save, filename, default):
        if axis is not None:
            plt.axis(axis)
        if save:
            plt.savefig(default if filename is None else filename)
        return plt

    def posterior_plot(self, name: str, n=0, axis=None, save=False, filename=None):
        """Histogram of the samples of ``name`` (unweighted, as Stingray's)."""
        import matplotlib.pyplot as plt

        self._check()
        x, _ = self._weighted(name, n)
        plt.hist(x, bins="auto", density=True, label=name, fc="None", edgecolor="black")
        mean, std = np.mean(x), np.std(x)
        plt.axvline(mean, color="red", linestyle="dashed", label="mean")
        plt.axvline(mean + std, color="green", linestyle="dotted")
        plt.axvline(mean - std, linestyle="dotted", color="green")
        plt.title("Posterior Histogram of " + str(name))
        plt.xlabel(name)
        plt.ylabel("Probability Density")
        plt.legend()
        return self._finish(plt, axis, save, filename, f"{name}_Posterior_plot.png")

    def _resample(self, columns, rkey):
        import jax

        w = np.exp(np.asarray(self.results.log_dp_mean))
        size = max(10, int(self.results.ESS))
        if rkey is None:
            rkey = jax.random.PRNGKey(1234)
        idx = np.asarray(jax.random.choice(rkey, len(w), (size,), p=jax.numpy.asarray(w / w.sum())))
        return [c[idx] for c in columns], size

    def weighted_posterior_plot(
        self, name: str, n=0, rkey=None, axis=None, save=False, filename=None
    ):
        """Histogram of posterior draws of ``name`` resampled by their weights."""
        import matplotlib.pyplot as plt

        self._check()
        x, w = self._weighted(name, n)
        (xs,), size = self._resample([x], rkey)
        nbins = max(10, int(np.sqrt(size)) + 1)
        plt.hist(xs, bins=2 * nbins, density=True, label=name, fc="None", edgecolor="black")
        mean = np.average(x, weights=w)
        std = np.sqrt(np.average((x - mean) ** 2, weights=w))
        plt.axvline(mean, color="red", linestyle="dashed", label="mean")
        plt.axvline(mean + std, color="green", linestyle="dotted")
        plt.axvline(mean - std, linestyle="dotted", color="green")
        plt.title("Weighted Posterior Histogram of " + str(name))
        plt.xlabel(name)
        plt.ylabel("Probability Density")
        plt.legend()
        return self._finish(plt, axis, save, filename, f"{name}_Weighted_Posterior_plot.png")

    def comparison_plot(
        self, param1: str, param2: str, n1=0, n2=0, rkey=None, axis=None, save=False, filename=None
    ):
        """2-D histogram of resampled posterior draws of two parameters."""
        import matplotlib.pyplot as plt

        self._check()
        x1, _ = self._weighted(param1, n1)
        x2, _ = self._weighted(param2, n2)
        (s1, s2), size = self._resample([x1, x2], rkey)
        nbins = max(10, int(np.sqrt(size)) + 1)
        plt.hist2d(s2, s1, bins=(nbins, nbins), density=True, cmap="GnBu")
        plt.title("Comparison Plot of " + str(param1) + " and " + str(param2))
        plt.xlabel(param2)
        plt.ylabel(param1)
        plt.colorbar()
        return self._finish(plt, axis, save, filename, f"{param1}_{param2}_Comparison_plot.png")


def weighted_quantiles(x, w, q):
    """Quantiles ``q`` of samples ``x`` with weights ``w`` (linear interpolation of the CDF)."""
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    cw = cw / cw[-1]
    return np.interp(q, cw, x[order])


def _run_nuts(prior_model, loglike, names, seed, num_warmup, num_samples, num_chains):
    import jax
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as npd
    from numpyro.infer import MCMC, NUTS

    for name, d in zip(names, prior_model.distributions):
        if not isinstance(d, npd.Distribution):
            raise TypeError(
                f"NUTS needs NumPyro distributions as priors; {name!r} is {type(d).__name__}"
            )

    def model():
        x = jnp.stack([numpyro.sample(n, d) for n, d in zip(names, prior_model.distributions)])
        numpyro.factor("loglike", loglike(x))

    mcmc = MCMC(
        NUTS(model),
        num_warmup=int(num_warmup),
        num_samples=int(num_samples),
        num_chains=int(num_chains),
        chain_method="vectorized",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(seed))
    samples = {k: np.asarray(v) for k, v in mcmc.get_samples().items()}
    x = jnp.stack([jnp.asarray(samples[n]) for n in names], axis=1)
    logl = np.asarray(jax.vmap(loglike)(x))
    logp = np.asarray(jax.vmap(prior_model.log_prob)(x))
    m = x.shape[0]
    return GPSamples(
        samples=samples,
        log_L_samples=logl,
        log_posterior_density=logl + logp,
        log_dp_mean=np.full(m, -np.log(m)),
        ESS=float(m),
        total_num_samples=int(m),
        method="nuts",
        raw=mcmc,
    )
