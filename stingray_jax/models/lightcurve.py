r"""Light-curve (flare) shapes: JAX twins of Stingray's ``gpmodeling`` mean functions.

The functions use exactly the parameterisation of Stingray's ``stingray.modeling.gpmodeling``
mean functions (``_gaussian``, ``_exponential``, ``_constant``, ``_skew_gaussian``,
``_skew_exponential``, ``_fred``), with the parameters passed positionally (``t`` first, then
the parameters in the order of Stingray's ``get_gp_params``) instead of in a dictionary. As in
Stingray, every parameter except ``constant``'s may be an array of components: the shapes are
evaluated for each component and summed. `get_mean` mirrors Stingray's ``get_mean``.

The functions work in the dtype of the JAX arrays they are given (NumPy input: float64, whatever
JAX's global flag, returned as NumPy arrays), are ``jit``/``vmap``/``grad``-able and, unlike
Stingray's, importing them does not switch on ``jax_enable_x64``. Branches use the "double
``where``" pattern, so the gradients of the skewed shapes stay finite where Stingray's would
overflow to NaN in the branch not taken.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import jax.numpy as jnp

from .._config import numpy_float64

if TYPE_CHECKING:  # jaxtyping is needed by the type checker only (no runtime import)
    from jaxtyping import Float

    from .._typing import ArrayOut, RealArrayLike

__all__ = [
    "MEAN_PARAMETERS",
    "constant",
    "exponential",
    "fred",
    "gaussian",
    "get_mean",
    "skew_exponential",
    "skew_gaussian",
]

#: Parameter names (Stingray's, without the ``log_`` prefixes) of each mean type.
MEAN_PARAMETERS = {
    "gaussian": ("A", "t0", "sig"),
    "exponential": ("A", "t0", "sig"),
    "constant": ("A",),
    "skew_gaussian": ("A", "t0", "sig1", "sig2"),
    "skew_exponential": ("A", "t0", "sig1", "sig2"),
    "fred": ("A", "t0", "delta", "phi"),
}


def _components(*params):
    """Each parameter as a column (n_components, 1), as Stingray's atleast_1d()[:, None]."""
    return [jnp.atleast_1d(p)[:, jnp.newaxis] for p in params]


@numpy_float64
def gaussian(
    t: Float[RealArrayLike, " *shape"], A: RealArrayLike, t0: RealArrayLike, sig: RealArrayLike
) -> Float[ArrayOut, " *shape"]:
    r"""Gaussian flare(s), Stingray's ``gpmodeling`` ``gaussian`` mean.

    .. math::

        \mu(t) = \sum_i A_i \exp\left(-\frac{(t - t_{0,i})^2}{2\sigma_i^2}\right)

    Parameters
    ----------
    t : array_like, shape (n,)
        Times.
    A, t0, sig : float or array_like, shape (n_components,)
        Amplitudes, peak times and widths of the components.

    Returns
    -------
    mean : jax.Array, shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from stingray_jax.models.lightcurve import gaussian
    >>> print(gaussian(np.array([0.0, 1.0]), np.array([1.0, 2.0]), np.array([0.0, 1.0]), 0.5))
    ... # doctest: +FLOAT_CMP
    [1.27067057 2.13533528]
    """
    A, t0, sig = _components(A, t0, sig)
    return jnp.sum(A * jnp.exp(-((t - t0) ** 2) / (2 * (sig**2))), axis=0)


@numpy_float64
def exponential(
    t: Float[RealArrayLike, " *shape"], A: RealArrayLike, t0: RealArrayLike, sig: RealArrayLike
) -> Float[ArrayOut, " *shape"]:
    r"""Symmetric exponential flare(s), Stingray's ``gpmodeling`` ``exponential`` mean.

    .. math::

        \mu(t) = \sum_i A_i \exp\left(-\frac{|t - t_{0,i}|}{2\sigma_i^2}\right)

    (Stingray's parameterisation: the e-folding time is :math:`2\sigma^2`.)

    Parameters
    ----------
    t : array_like, shape (n,)
        Times.
    A, t0, sig : float or array_like, shape (n_components,)
        Amplitudes, peak times and width parameters.

    Returns
    -------
    mean : jax.Array, shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from stingray_jax.models.lightcurve import exponential
    >>> print(exponential(np.array([0.0, 0.5]), 2.0, 0.0, 0.5))  # doctest: +FLOAT_CMP
    [2.         0.73575888]
    """
    A, t0, sig = _components(A, t0, sig)
    return jnp.sum(A * jnp.exp(-jnp.abs(t - t0) / (2 * (sig**2))), axis=0)


@numpy_float64
def constant(t: Float[RealArrayLike, " *shape"], A: RealArrayLike) -> Float[ArrayOut, " *shape"]:
    r"""Constant mean, Stingray's ``gpmodeling`` ``constant`` mean.

    .. math::

        \mu(t) = A

    Parameters
    ----------
    t : array_like
        Times (only the shape matters).
    A : float
        The constant (not summed over components, as in Stingray).

    Returns
    -------
    mean : jax.Array

    Examples
    --------
    >>> import numpy as np
    >>> from stingray_jax.models.lightcurve import constant
    >>> print(constant(np.zeros(3), 2.5))
    [2.5 2.5 2.5]
    """
    return A * jnp.ones_like(t)


@numpy_float64
def skew_gaussian(
    t: Float[RealArrayLike, " *shape"],
    A: RealArrayLike,
    t0: RealArrayLike,
    sig1: RealArrayLike,
    sig2: RealArrayLike,
) -> Float[ArrayOut, " *shape"]:
    r"""Skewed Gaussian flare(s), Stingray's ``gpmodeling`` ``skew_gaussian`` mean.

    .. math::

        \mu(t) = \sum_i A_i \begin{cases}
            \exp\left(-\frac{(t - t_{0,i})^2}{2\sigma_{1,i}^2}\right) & t \le t_{0,i} \\
            \exp\left(-\frac{(t - t_{0,i})^2}{2\sigma_{2,i}^2}\right) & t > t_{0,i}
        \end{cases}

    Parameters
    ----------
    t : array_like, shape (n,)
        Times.
    A, t0 : float or array_like, shape (n_components,)
        Amplitudes and peak times.
    sig1, sig2 : float or array_like, shape (n_components,)
        Widths of the rise and of the decay.

    Returns
    -------
    mean : jax.Array, shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from stingray_jax.models.lightcurve import skew_gaussian
    >>> print(skew_gaussian(np.array([-1.0, 1.0]), 1.0, 0.0, 1.0, 2.0))  # doctest: +FLOAT_CMP
    [0.60653066 0.8824969 ]
    """
    A, t0, sig1, sig2 = _components(A, t0, sig1, sig2)
    dt = t - t0
    after = dt > 0
    return jnp.sum(
        A
        * jnp.where(
            after,
            jnp.exp(-(dt**2) / (2 * (sig2**2))),
            jnp.exp(-(dt**2) / (2 * (sig1**2))),
        ),
        axis=0,
    )


@numpy_float64
def skew_exponential(
    t: Float[RealArrayLike, " *shape"],
    A: RealArrayLike,
    t0: RealArrayLike,
    sig1: RealArrayLike,
    sig2: RealArrayLike,
) -> Float[ArrayOut, " *shape"]:
    r"""Skewed exponential flare(s), Stingray's ``gpmodeling`` ``skew_exponential`` mean.

    .. math::

        \mu(t) = \sum_i A_i \begin{cases}
            \exp\left(\frac{t - t_{0,i}}{2\sigma_{1,i}^2}\right) & t \le t_{0,i} \\
            \exp\left(-\frac{t - t_{0,i}}{2\sigma_{2,i}^2}\right) & t > t_{0,i}
        \end{cases}

    Parameters
    ----------
    t : array_like, shape (n,)
        Times.
    A, t0 : float or array_like, shape (n_components,)
        Amplitudes and peak times.
    sig1, sig2 : float or array_like, shape (n_components,)
        Width parameters of the rise and of the decay.

    Returns
    -------
    mean : jax.Array, shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from stingray_jax.models.lightcurve import skew_exponential
    >>> print(skew_exponential(np.array([-1.0, 1.0]), 1.0, 0.0, 1.0, 2.0))  # doctest: +FLOAT_CMP
    [0.60653066 0.8824969 ]
    """
    A, t0, sig1, sig2 = _components(A, t0, sig1, sig2)
    dt = t - t0
    after = dt > 0
    # Double where: each exponential only sees the arguments of its own side (no overflow,
    # hence no NaN gradient, from the branch that is not taken).
    rise = jnp.exp(jnp.where(after, 0.0, dt) / (2 * (sig1**2)))
    decay = jnp.exp(-jnp.where(after, dt, 0.0) / (2 * (sig2**2)))
    return jnp.sum(A * jnp.where(after, decay, rise), axis=0)


@numpy_float64
def fred(
    t: Float[RealArrayLike, " *shape"],
    A: RealArrayLike,
    t0: RealArrayLike,
    delta: RealArrayLike,
    phi: RealArrayLike,
) -> Float[ArrayOut, " *shape"]:
    r"""Fast-rise exponential-decay flare(s), Stingray's ``gpmodeling`` ``fred`` mean.

    .. math::

        \mu(t) = \sum_i A_i \exp\left[-\phi_i\left(\frac{t + \delta_i}{t_{0,i}}
                 + \frac{t_{0,i}}{t + \delta_i}\right)\right] e^{2\phi_i}

    Parameters
    ----------
    t : array_like, shape (n,)
        Times (:math:`t + \delta > 0`).
    A : float or array_like, shape (n_components,)
        Amplitudes (the peak value, reached at :math:`t = t_0 - \delta`).
    t0 : float or array_like
        Peak position parameter.
    delta : float or array_like
        Time offset.
    phi : float or array_like
        Symmetry parameter.

    Returns
    -------
    mean : jax.Array, shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from stingray_jax.models.lightcurve import fred
    >>> print(fred(np.array([1.0]), 3.0, 2.0, 1.0, 0.5))  # doctest: +FLOAT_CMP
    [3.]
    """
    A, t0, delta, phi = _components(A, t0, delta, phi)
    return jnp.sum(
        A * jnp.exp(-phi * ((t + delta) / t0 + t0 / (t + delta))) * jnp.exp(2 * phi), axis=0
    )


_MEANS: dict[str, Callable[..., Any]] = {
    "gaussian": gaussian,
    "exponential": exponential,
    "constant": constant,
    "skew_gaussian": skew_gaussian,
    "skew_exponential": skew_exponential,
    "fred": fred,
}


def get_mean(
    mean_type: str, mean_params: Mapping[str, RealArrayLike]
) -> Callable[[Float[RealArrayLike, " *shape"]], Float[ArrayOut, " *shape"]]:
    """Return the mean function ``mean(t)``, as Stingray's ``gpmodeling.get_mean``.

    Parameters
    ----------
    mean_type : str
        One of ``"gaussian"``, ``"exponential"``, ``"constant"``, ``"skew_gaussian"``,
        ``"skew_exponential"``, ``"fred"``.
    mean_params : dict
        The parameters by Stingray's names (`MEAN_PARAMETERS`, e.g. ``{"A": ..., "t0": ...,
        "sig": ...}``).

    Returns
    -------
    mean : callable
        ``mean(t)``.

    Raises
    ------
    ValueError
        For an unknown ``mean_type`` or missing/unexpected parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from stingray_jax.models.lightcurve import get_mean
    >>> mean = get_mean("gaussian", {"A": 3.0, "t0": 0.2, "sig": 0.1})
    >>> print(mean(np.array([0.2])))
    [3.]
    """
    if mean_type not in _MEANS:
        raise ValueError(f"Mean type {mean_type!r} not implemented; choose one of {sorted(_MEANS)}")
    names = MEAN_PARAMETERS[mean_type]
    given = set(mean_params)
    if given != set(names):
        raise ValueError(
            f"the {mean_type!r} mean takes the parameters {names}; got {sorted(given)}"
        )
    return functools.partial(_MEANS[mean_type], **{n: mean_params[n] for n in names})
