"""Pure JAX log-likelihoods of (model values, data).

Every function here takes the model evaluated on the data grid (``model``) and the data, and
returns the scalar log-likelihood, summed over bins, with all normalising constants, so that it
equals the sum of the corresponding ``scipy.stats`` log-pdfs. The functions are pure: they can be
``jit``-ed, ``vmap``-ped over spectra and differentiated (to any order) in every argument. They
work in the dtype they are given (pass float64 arrays for float64 results) and do no input
validation; the Stingray-compatible classes in `stingray_jax.modeling` validate their data
before calling them.

=========================  ==========================================================
``whittle``                single periodogram, P ~ S * Exponential(1)  (m = 1)
``gamma``                  averaged periodogram, P ~ Gamma(shape=m, scale=S/m)
``stingray_gamma``         Stingray's (doubled) value for m > 1, for compatibility
``psd``                    ``whittle``/``gamma``/``stingray_gamma`` dispatch on ``m``
``gaussian``               y ~ Normal(model, sigma)
``poisson``                y ~ Poisson(model)
``laplace``                y ~ Laplace(model, sigma)
=========================  ==========================================================

Each likelihood is registered, beside its Fisher information per bin, in `LIKELIHOODS`
(name -> `Likelihood`): the table the fitting core (`stingray_jax.fitting.LikelihoodSpec`)
reads. Adding a likelihood is a change in this module only: write the function and its Fisher
information, and add one row to the table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ._config import numpy_float64  # issue 12: NumPy input computes in float64

if TYPE_CHECKING:  # jaxtyping is needed by the type checker only (no runtime import)
    from jaxtyping import Float

    from ._typing import ArrayOut, RealArrayLike

    # the summed log-likelihood: a JAX scalar (a NumPy one for NumPy input)
    Scalar = Float[ArrayOut, ""]

__all__ = [
    "LIKELIHOODS",
    "Likelihood",
    "gamma",
    "gaussian",
    "laplace",
    "poisson",
    "psd",
    "stingray_gamma",
    "whittle",
]

_LOG_2PI = float(np.log(2.0 * np.pi))


@numpy_float64
def whittle(model: Float[RealArrayLike, " n"], power: Float[RealArrayLike, " n"]) -> Scalar:
    """Whittle log-likelihood of a single (un-averaged) periodogram.

    Each power is exponentially distributed around the model spectrum ``S``:
    ``log L = -sum(log S + P / S)``. This is `gamma` with ``m = 1`` and equals
    ``scipy.stats.expon.logpdf(P, scale=S).sum()``.

    Parameters
    ----------
    model : array_like
        Model power spectrum ``S`` (positive) at each frequency.
    power : array_like
        Observed powers ``P``, same shape as ``model``.

    Returns
    -------
    loglike : scalar array
        The log-likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> from stingray_jax.likelihoods import whittle
    >>> float(whittle(np.array([1.0, 2.0]), np.array([0.5, 3.0])))  # doctest: +FLOAT_CMP
    -2.693147180559945
    """
    import jax.numpy as jnp

    model = jnp.asarray(model)
    return -jnp.sum(jnp.log(model) + power / model)


@numpy_float64
def gamma(
    model: Float[RealArrayLike, " n"],
    power: Float[RealArrayLike, " n"],
    m: Float[RealArrayLike, "#n"],
) -> Scalar:
    """Log-likelihood of an averaged periodogram (the correct Gamma likelihood).

    The average of ``m`` independent periodograms (or of ``m`` adjacent frequency bins) is
    Gamma-distributed with shape ``m`` and scale ``S / m`` (that is ``S * chi^2_{2m} / (2m)``):

    ``log L = sum(m log m - lgamma(m) + (m - 1) log P - m log S - m P / S)``

    which equals ``scipy.stats.gamma.logpdf(P, a=m, scale=S / m).sum()``. For ``m = 1`` it is
    the Whittle likelihood. Stingray's ``PSDLogLikelihood`` returns twice this value (up to
    constants) for ``m > 1``; `stingray_gamma` reproduces that.

    Parameters
    ----------
    model : array_like
        Model power spectrum ``S`` (positive).
    power : array_like
        Averaged powers ``P`` (positive), same shape as ``model``.
    m : float or array_like
        Number of averaged periodograms or bins: a scalar, or one value per bin (as
        ``rebin_log`` produces).

    Returns
    -------
    loglike : scalar array

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from stingray_jax.likelihoods import gamma
    >>> S, P = np.array([1.0, 2.0]), np.array([0.5, 3.0])
    >>> float(gamma(S, P, 4.0))  # doctest: +FLOAT_CMP
    -2.049357447412273
    >>> float(stats.gamma.logpdf(P, a=4.0, scale=S / 4.0).sum())  # doctest: +FLOAT_CMP
    -2.049357447412273
    """
    import jax.numpy as jnp
    from jax.scipy.special import gammaln

    model = jnp.asarray(model)
    power = jnp.asarray(power)
    m = jnp.asarray(m, dtype=jnp.result_type(model.dtype, float))
    m = jnp.broadcast_to(m, jnp.broadcast_shapes(m.shape, model.shape))
    log_s = jnp.log(model)
    return jnp.sum(
        m * jnp.log(m) - gammaln(m) + (m - 1.0) * jnp.log(power) - m * log_s - m * power / model
    )


@numpy_float64
def stingray_gamma(
    model: Float[RealArrayLike, " n"],
    power: Float[RealArrayLike, " n"],
    m: Float[RealArrayLike, "#n"],
) -> Scalar:
    """Stingray's log-likelihood of an averaged periodogram (m > 1), for compatibility.

    Stingray 2.3's ``PSDLogLikelihood`` evaluates, for any ``m`` other than the scalar 1,

    ``log L = -sum(2m log S + 2m P / S + 2m (2 / (2m) - 1) log P)``

    which is twice the `gamma` log-likelihood minus data-only constants. Its curvature, hence
    its error bars and likelihood-ratio statistics, are wrong by a factor of 2. Use it only to
    reproduce Stingray's numbers.

    Parameters
    ----------
    model, power : array_like
        Model and observed powers.
    m : float or array_like
        Number of averaged periodograms (scalar or per bin).

    Returns
    -------
    loglike : scalar array

    Examples
    --------
    >>> import numpy as np
    >>> from stingray_jax.likelihoods import gamma, stingray_gamma
    >>> S, P = np.array([1.0, 2.0]), np.array([0.5, 3.0])
    >>> float(stingray_gamma(S, P, 4.0))  # doctest: +FLOAT_CMP
    -19.112386795830577
    """
    import jax.numpy as jnp

    model = jnp.asarray(model)
    dof = 2.0 * jnp.asarray(m, dtype=jnp.result_type(model.dtype, float))
    dof = jnp.broadcast_to(dof, jnp.broadcast_shapes(dof.shape, model.shape))
    return -jnp.sum(
        dof * jnp.log(model) + dof * power / model + dof * (2.0 / dof - 1.0) * jnp.log(power)
    )


def psd(
    model: Float[RealArrayLike, " n"],
    power: Float[RealArrayLike, " n"],
    m: Float[RealArrayLike, "#n"] = 1,
    stingray_compat: bool = False,
) -> Scalar:
    """Log-likelihood of a (possibly averaged) periodogram.

    Dispatches to `whittle` when ``m`` is the Python/NumPy scalar 1, to `gamma` otherwise, or to
    `stingray_gamma` when ``stingray_compat`` is true and ``m`` is not the scalar 1 (mirroring
    the branch in Stingray's ``PSDLogLikelihood``). The choice is made in Python, so ``m`` may
    be traced only when it is not the scalar 1.

    Parameters
    ----------
    model, power : array_like
        Model and observed powers.
    m : float or array_like, optional
        Number of averaged periodograms (scalar or per bin). Default 1.
    stingray_compat : bool, optional
        Reproduce Stingray's doubled value for m > 1. Default ``False``.

    Returns
    -------
    loglike : scalar array

    Examples
    --------
    >>> import numpy as np
    >>> from stingray_jax.likelihoods import psd
    >>> S, P = np.array([1.0, 2.0]), np.array([0.5, 3.0])
    >>> float(psd(S, P, 1))  # doctest: +FLOAT_CMP
    -2.693147180559945
    """
    if _is_scalar_one(m):
        return whittle(model, power)
    if stingray_compat:
        return stingray_gamma(model, power, m)
    return gamma(model, power, m)


def _is_scalar_one(m):
    if isinstance(m, int | float | np.integer | np.floating):
        return float(m) == 1.0
    if isinstance(m, np.ndarray) and m.ndim == 0:
        return float(m) == 1.0
    return False


@numpy_float64
def gaussian(
    model: Float[RealArrayLike, " n"],
    y: Float[RealArrayLike, " n"],
    sigma: Float[RealArrayLike, "#n"],
) -> Scalar:
    """Gaussian log-likelihood, ``sum(log N(y | model, sigma))``.

    Equals ``scipy.stats.norm.logpdf(y, loc=model, scale=sigma).sum()``.

    Parameters
    ----------
    model : array_like
        Model values (the means).
    y : array_like
        Data.
    sigma : float or array_like
        Standard deviations (positive), scalar or one per point.

    Returns
    -------
    loglike : scalar array

    Examples
    --------
    >>> import numpy as np
    >>> from stingray_jax.likelihoods import gaussian
    >>> float(gaussian(np.zeros(2), np.array([1.0, -1.0]), 1.0))  # doctest: +FLOAT_CMP
    -2.8378770664093453
    """
    import jax.numpy as jnp

    model = jnp.asarray(model)
    sigma = jnp.broadcast_to(jnp.asarray(sigma, dtype=model.dtype), model.shape)
    r = (y - model) / sigma
    return jnp.sum(-0.5 * _LOG_2PI - jnp.log(sigma) - 0.5 * r * r)


@numpy_float64
def poisson(model: Float[RealArrayLike, " n"], y: Float[RealArrayLike, " n"]) -> Scalar:
    """Poisson log-likelihood of counts ``y`` with expectation ``model``.

    ``sum(y log(model) - model - lgamma(y + 1))``; equals
    ``scipy.stats.poisson.logpmf(y, model).sum()`` (``y = 0`` bins are handled exactly).

    Parameters
    ----------
    model : array_like
        Expected counts (positive).
    y : array_like
        Observed counts (non-negative).

    Returns
    -------
    loglike : scalar array

    Examples
    --------
    >>> import numpy as np
    >>> from stingray_jax.likelihoods import poisson
    >>> float(poisson(np.array([2.0, 3.0]), np.array([0.0, 4.0])))  # doctest: +FLOAT_CMP
    -3.7836046756755066
    """
    import jax.numpy as jnp
    from jax.scipy.special import gammaln, xlogy

    model = jnp.asarray(model)
    y = jnp.asarray(y, dtype=model.dtype)
    return jnp.sum(xlogy(y, model) - model - gammaln(y + 1.0))


@numpy_float64
def laplace(
    model: Float[RealArrayLike, " n"],
    y: Float[RealArrayLike, " n"],
    sigma: Float[RealArrayLike, "#n"],
) -> Scalar:
    """Laplace log-likelihood, ``sum(-log(2 sigma) - |y - model| / sigma)``.

    This is Stingray's ``LaplaceLogLikelihood`` (used for cospectra), with ``sigma`` the Laplace
    scale; it equals ``scipy.stats.laplace.logpdf(y, loc=model, scale=sigma).sum()``.

    Parameters
    ----------
    model : array_like
        Model values (the locations).
    y : array_like
        Data.
    sigma : float or array_like
        Laplace scale parameter(s) (positive).

    Returns
    -------
    loglike : scalar array

    Examples
    --------
    >>> import numpy as np
    >>> from stingray_jax.likelihoods import laplace
    >>> float(laplace(np.zeros(2), np.array([1.0, -2.0]), 1.0))  # doctest: +FLOAT_CMP
    -4.386294361119891
    """
    import jax.numpy as jnp

    model = jnp.asarray(model)
    sigma = jnp.broadcast_to(jnp.asarray(sigma, dtype=model.dtype), model.shape)
    return jnp.sum(-jnp.log(2.0 * sigma) - jnp.abs(y - model) / sigma)


# --------------------------------------------------------------------------------------------
# Fisher information of each model value, E[-d2 log L_i / dS_i^2] per bin (pure)
# --------------------------------------------------------------------------------------------


def _whittle_fisher(model, power):
    return 1.0 / model**2


def _gamma_fisher(model, power, m):
    return m / model**2


def _stingray_gamma_fisher(model, power, m):  # Stingray's doubled likelihood: twice gamma's
    return 2.0 * m / model**2


def _scale_fisher(model, y, sigma):  # Gaussian (exact) and Laplace with scale sigma
    import jax.numpy as jnp

    return jnp.broadcast_to(1.0 / jnp.asarray(sigma, dtype=model.dtype) ** 2, model.shape)


def _poisson_fisher(model, y):
    return 1.0 / model


class Likelihood(NamedTuple):
    """One registered likelihood: the function, its Fisher information, its data arguments.

    ``loglike(model, *data)`` is the summed log-likelihood and ``fisher(model, *data)`` the
    per-bin Fisher information ``E[-d2 log L_i / dS_i^2]`` of each model value ``S_i`` (used
    by Fisher scoring and for expected-information error bars), where ``data`` are the arrays
    named in ``data`` (keys of the fitting core's data dict, after ``"x"`` and the model).
    """

    loglike: Any
    fisher: Any
    data: tuple


#: Every likelihood of the fitting core by name (see `Likelihood`).
LIKELIHOODS = {
    "whittle": Likelihood(whittle, _whittle_fisher, ("y",)),
    "gamma": Likelihood(gamma, _gamma_fisher, ("y", "m")),
    "stingray_gamma": Likelihood(stingray_gamma, _stingray_gamma_fisher, ("y", "m")),
    "gaussian": Likelihood(gaussian, _scale_fisher, ("y", "yerr")),
    "poisson": Likelihood(poisson, _poisson_fisher, ("y",)),
    "laplace": Likelihood(laplace, _scale_fisher, ("y", "yerr")),
}
