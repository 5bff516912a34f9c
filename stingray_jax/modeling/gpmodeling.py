"""Drop-in for ``stingray.modeling.gpmodeling`` (Stingray 2.3.2 names and signatures).

Gaussian-process modelling of light curves after Hübner et al. (2022): red-noise ("RN"), QPO
("QPO") and "QPO_plus_RN" kernels with six flare-shaped mean functions, a nested sampler for the
evidence, and plots. Differences from Stingray's module:

- importing it changes no global state (Stingray's turns on ``jax_enable_x64`` globally): the
  functions compute in float64 inside a scoped ``jax.enable_x64``;
- the likelihood is our O(N) celerite solve (`stingray_jax.gp`), equal to celerite2 and tinygp
  to rounding; `get_kernel` returns a `stingray_jax.gp.CeleriteKernel` (callable like a tinygp
  kernel, with a ``psd``), not a tinygp object;
- `get_prior` accepts NumPyro distributions (no extra dependency), TensorFlow-Probability
  distributions when tfp is installed, and jaxns ``Prior`` objects wrapping a tfp distribution;
  it returns a `GPPrior` instead of a jaxns generator;
- `GPResult.sample` runs blackjax's nested slice sampler (``stingray_jax[gp]``; Stingray's jaxns
  call no longer exists in jaxns), or NUTS with ``method="nuts"``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._config import x64_scope
from ..gp import models as _models

__all__ = [
    "GPPrior",
    "GPResult",
    "detect_qpo",
    "get_gp_params",
    "get_kernel",
    "get_log_likelihood",
    "get_mean",
    "get_prior",
]


def get_kernel(kernel_type, kernel_params):
    """The kernel of ``kernel_type`` ("RN", "QPO", "QPO_plus_RN") for ``kernel_params``.

    Returns a `stingray_jax.gp.CeleriteKernel`: ``kernel(X1, X2)`` gives the covariance matrix
    (as a tinygp kernel), ``kernel.psd(f)`` its one-sided power spectrum.
    """
    if kernel_type not in _models.KERNEL_PARAMETERS:
        raise ValueError("Kernel type not implemented")
    return _models.build_kernel(kernel_type, kernel_params)


def get_mean(mean_type, mean_params):
    """The mean function ``mean(t)`` of ``mean_type`` (Stingray's six shapes)."""
    if mean_type not in _models.MEAN_PARAMETERS:
        raise ValueError("Mean type not implemented")
    return _models.build_mean(mean_type, mean_params)


def get_gp_params(kernel_type, mean_type):
    """Parameter names of the model, in the order used by `get_prior` and `get_log_likelihood`.

    Examples
    --------
    >>> from stingray_jax.modeling.gpmodeling import get_gp_params
    >>> get_gp_params("QPO_plus_RN", "gaussian")
    ['log_arn', 'log_crn', 'log_aqpo', 'log_cqpo', 'log_freq', 'log_A', 't0', 'log_sig']
    """
    try:
        kernel = _models.kernel_param_names(kernel_type)
    except ValueError:
        raise ValueError("Kernel type not implemented") from None
    try:
        mean = _models.mean_param_names(mean_type)
    except ValueError:
        raise ValueError("Mean type not implemented") from None
    return kernel + mean


# --------------------------------------------------------------------------------------------
# Priors
# --------------------------------------------------------------------------------------------


def _unwrap(dist, name):
    """A NumPyro or tfp distribution from what Stingray users pass (jaxns Prior wraps one)."""
    for attr in ("dist", "_dist", "base_dist", "_base_dist"):
        inner = getattr(dist, attr, None)
        is_dist = inner is not None and hasattr(inner, "log_prob") and hasattr(inner, "sample")
        if is_dist and type(dist).__module__.startswith("jaxns"):
            return inner
    if hasattr(dist, "log_prob") and hasattr(dist, "sample"):
        return dist
    raise ValueError(
        f"Prior for {name!r} should be a numpyro or tensorflow_probability distribution "
        f"(or a jaxns Prior wrapping one), got {type(dist).__name__}"
    )


def _is_tfp(dist):
    return type(dist).__module__.startswith(("tensorflow_probability", "tfp"))


@dataclasses.dataclass(frozen=True)
class GPPrior:
    """Independent priors on the parameters of ``params_list`` (what `get_prior` returns).

    ``log_prob(x)`` is the joint log density of the 1-D vector ``x`` (pure JAX);
    ``sample(key, n)`` draws ``(n, ndim)`` prior samples.
    """

    params_list: tuple
    distributions: tuple

    def log_prob(self, x):
        import jax.numpy as jnp

        total = 0.0
        for i, d in enumerate(self.distributions):
            total = total + jnp.sum(d.log_prob(x[i]))
        return total

    def sample(self, key, n):
        import jax
        import jax.numpy as jnp

        keys = jax.random.split(key, len(self.distributions))
        cols = []
        for k, d in zip(keys, self.distributions):
            s = d.sample(seed=k, sample_shape=(n,)) if _is_tfp(d) else d.sample(k, (n,))
            cols.append(jnp.reshape(s, (n,)))
        return jnp.stack(cols, axis=1)

    def __iter__(self):  # Stingray's prior generator yields the parameters in order
        return iter(self.params_list)


def get_prior(params_list, prior_dict):
    """Priors for the parameters of ``params_list`` (Stingray's `get_prior`).

    Parameters
    ----------
    params_list : list of str
        Parameter names, e.g. from `get_gp_params` (``log_`` ones are sampled in log space).
    prior_dict : dict
        ``{name: distribution}``: NumPyro distributions, tfp distributions
        (``tensorflow_probability.substrates.jax.distributions``) or jaxns ``Prior`` objects
        wrapping one. Each must be scalar.

    Returns
    -------
    prior : GPPrior
    """
    missing = [p for p in params_list if p not in prior_dict]
    if missing:
        raise ValueError(f"no prior given for {missing}")
    dists = tuple(_unwrap(prior_dict[p], p) for p in params_list)
    return GPPrior(tuple(params_list), dists)


# --------------------------------------------------------------------------------------------
# Likelihood
# --------------------------------------------------------------------------------------------


def _prepare_data(times, counts):
    times = np.asarray(times, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.float64)
    if times.ndim != 1 or times.shape != counts.shape:
        raise ValueError(
            f"times and counts must be 1-D arrays of the same length, got {times.shape} and "
            f"{counts.shape}"
        )
    if not (np.all(np.isfinite(times)) and np.all(np.isfinite(counts))):
        raise ValueError("times and counts must be finite")
    if np.any(np.diff(times) < 0):
        raise ValueError("times must be sorted")
    return times, counts


class _LogLikelihood:
    """The function `get_log_likelihood` returns: ``f(*params)`` in ``params_list`` order."""

    def __init__(self, params_list, kernel_type, mean_type, times, counts, diag=None):
        get_gp_params(kernel_type, mean_type)  # validates the types
        import jax

        self.params_list = tuple(params_list)
        self.kernel_type, self.mean_type = kernel_type, mean_type
        self.times, self.counts = _prepare_data(times, counts)
        # Stingray (tinygp) adds sqrt(eps) of float64 to the diagonal.
        self.diag = float(np.sqrt(np.finfo(np.float64).eps)) if diag is None else diag
        names, kt, mt = self.params_list, kernel_type, mean_type

        def loglike(values, t, y, diag):
            return _models.gp_log_likelihood(values, names, kt, mt, t, y, diag)

        self._jitted = jax.jit(loglike)
        self.vector = self._vector  # f(x) of a 1-D array (for samplers)

    def _data(self):
        import jax.numpy as jnp

        return jnp.asarray(self.times), jnp.asarray(self.counts), jnp.asarray(self.diag)

    def _vector(self, x):
        import jax.numpy as jnp

        with x64_scope():
            t, y, d = self._data()
            values = [x[i] for i in range(len(self.params_list))]
            ll = self._jitted(values, t, y, d)
            return jnp.where(jnp.isnan(ll), -jnp.inf, ll)

    def __call__(self, *args):
        if len(args) != len(self.params_list):
            raise ValueError(f"expected {len(self.params_list)} parameters, got {len(args)}")
        with x64_scope():
            import jax.numpy as jnp

            t, y, d = self._data()
            values = [jnp.asarray(a) for a in args]
            return self._jitted(values, t, y, d)


def get_log_likelihood(params_list, kernel_type, mean_type, times, counts, **kwargs):
    """The GP log-likelihood of the light curve as a function of the parameters.

    As Stingray's: the returned ``likelihood_model(*args)`` takes the parameters in
    ``params_list`` order (``log_`` ones in log space) and returns
    ``log N(counts | mean(times), K)`` with ``K`` the kernel matrix plus ``sqrt(eps)`` on the
    diagonal (tinygp's default, which Stingray uses). It computes in float64 whatever the global
    JAX flag, in O(N).

    Parameters
    ----------
    params_list : list of str
    kernel_type : {"RN", "QPO", "QPO_plus_RN"}
    mean_type : {"gaussian", "exponential", "constant", "skew_gaussian", "skew_exponential", "fred"}
    times, counts : array_like
        The light curve (times sorted; relative times are used as given).
    diag : float or array_like, optional (keyword)
        White-noise variance on the diagonal (e.g. ``counts_err**2``) instead of ``sqrt(eps)``.

    Returns
    -------
    likelihood_model : callable
        Also has ``.vector(x)``, the same function of a 1-D parameter array.
    """
    unknown = set(kwargs) - {"diag"}
    if unknown:
        raise TypeError(f"unexpected keyword arguments {sorted(unknown)}")
    return _LogLikelihood(params_list, kernel_type, mean_type, times, counts, kwargs.get("diag"))


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
            q = _weighted_quantiles(x, w, [0.05, 0.5, 0.95])
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


def _weighted_quantiles(x, w, q):
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


def _default_priors(t, y, dt, diag):
    import numpyro.distributions as dist

    T = float(t[-1] - t[0])
    fnyq = 0.5 / dt
    var = float(np.var(y))
    mean = float(np.mean(y))
    if not (var > 0 and mean > 0):
        raise ValueError("default priors need a light curve with positive mean and variance")
    return {
        "log_arn": dist.Uniform(np.log(0.01 * var), np.log(10 * var)),
        "log_crn": dist.Uniform(np.log(1 / T), np.log(fnyq)),
        "log_aqpo": dist.Uniform(np.log(0.01 * var), np.log(10 * var)),
        "log_cqpo": dist.Uniform(np.log(1 / T), np.log(fnyq)),
        "log_freq": dist.Uniform(np.log(2 / T), np.log(fnyq)),
        "log_A": dist.Uniform(np.log(0.5 * mean), np.log(2 * mean)),
    }


def detect_qpo(lc, prior_dict=None, diag=None, num_live_points=200, max_samples=2e4, seed=0):
    """Fit "RN" and "QPO_plus_RN" (constant mean) to a light curve and compare their evidences.

    Parameters
    ----------
    lc : stingray.Lightcurve
        Evenly or unevenly sampled (gaps are fine: only the points present enter).
    prior_dict : dict, optional
        Priors of ``get_gp_params("QPO_plus_RN", "constant")`` (the RN model uses its subset).
        The default is uniform in the log parameters over ranges set by the data: amplitudes
        1e-2..10 times the variance, damping rates 1/T..Nyquist, QPO frequency 2/T..Nyquist,
        mean within a factor 2.
    diag : float or array_like, optional
        White-noise variance per point; default ``lc.counts_err**2`` (Poisson for counts).
    num_live_points, max_samples, seed :
        Nested-sampling options.

    Returns
    -------
    result : dict
        ``ln_bayes_factor`` (QPO_plus_RN over RN) and its error, ``log_Z_rn``, ``log_Z_qpo``,
        ``freq`` and ``Q`` (posterior medians) with 90% credible intervals ``freq_ci`` and
        ``Q_ci`` (``Q = pi freq / cqpo``), and the two `GPResult` objects.
    """
    t = np.asarray(lc.time, np.float64)
    t = t - t[0]
    y = np.asarray(lc.counts, np.float64)
    dt = float(np.median(np.diff(t)))
    if diag is None:
        err = np.asarray(getattr(lc, "counts_err", None), np.float64)
        diag = err**2 if err.shape == y.shape and np.all(err > 0) else None
    priors = _default_priors(t, y, dt, diag) if prior_dict is None else dict(prior_dict)
    out = {}
    for kernel in ("RN", "QPO_plus_RN"):
        names = get_gp_params(kernel, "constant")
        prior = get_prior(names, priors)
        like = get_log_likelihood(names, kernel, "constant", t, y, diag=diag)
        res = GPResult(lc)
        res.sample(prior, like, max_samples=max_samples, num_live_points=num_live_points, seed=seed)
        out[kernel] = res
    rn, qpo = out["RN"].results, out["QPO_plus_RN"].results
    w = np.exp(np.asarray(qpo.log_dp_mean))
    freq = np.exp(np.asarray(qpo.samples["log_freq"]))
    q = np.pi * freq / np.exp(np.asarray(qpo.samples["log_cqpo"]))
    fq = _weighted_quantiles(freq, w, [0.05, 0.5, 0.95])
    qq = _weighted_quantiles(q, w, [0.05, 0.5, 0.95])
    return {
        "ln_bayes_factor": qpo.log_Z_mean - rn.log_Z_mean,
        "ln_bayes_factor_err": float(np.hypot(qpo.log_Z_uncert, rn.log_Z_uncert)),
        "log_Z_rn": rn.log_Z_mean,
        "log_Z_qpo": qpo.log_Z_mean,
        "freq": fq[1],
        "freq_ci": (fq[0], fq[2]),
        "Q": qq[1],
        "Q_ci": (qq[0], qq[2]),
        "rn_result": out["RN"],
        "qpo_result": out["QPO_plus_RN"],
    }
