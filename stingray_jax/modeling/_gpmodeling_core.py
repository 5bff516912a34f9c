"""Stingray's ``gpmodeling`` functions: kernels, means, parameter names, priors, likelihood.

Private: the public names are re-exported by `stingray_jax.modeling.gpmodeling` (the facade);
`GPResult` lives in ``_gpmodeling_result`` and QPO detection in ``_gpmodeling_qpo``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._config import x64_scope
from ..gp import models as _models

__all__ = [
    "GPPrior",
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
