"""JAX twins of astropy's one-dimensional models used for power spectra.

Each function has exactly the signature and parameterisation of the ``evaluate`` method of the
astropy class it twins (``x`` first, then the parameters in the class's order), and reproduces
astropy 8's arithmetic, including its numerical tricks (for example the threshold branches of
``SmoothlyBrokenPowerLaw1D``), so that the two agree to rounding error in float64.

The functions are pure ``jax.numpy`` code: they work in the dtype they are given and are
``jit``-, ``vmap``- and ``grad``-able in every argument. Branches are written with the "double
``where``" pattern so that gradients stay finite wherever the value is finite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from .._config import numpy_float64, preserve_global_state
from .registry import register

if TYPE_CHECKING:  # jaxtyping is needed by the type checker only (no runtime import)
    from jaxtyping import Float

    from .._typing import ArrayOut, RealArrayLike

with preserve_global_state():  # astropy's import chain adds warning filters
    from astropy.modeling import models as _am

__all__ = [
    "broken_power_law",
    "constant",
    "exponential_cutoff_power_law",
    "gaussian",
    "linear",
    "log_parabola",
    "lorentz",
    "polynomial",
    "power_law",
    "smoothly_broken_power_law",
]


@jax.custom_jvp
def _pow(x, y):
    """``x ** y`` (the same operation as NumPy's, so values match astropy bit for bit) with a
    derivative rule that reuses the result: one ``log`` and one division instead of two more
    ``pow`` calls, which makes value-and-gradient of power-law models ~25% faster."""
    return x**y


@_pow.defjvp
def _pow_jvp(primals, tangents):
    x, y = primals
    dx, dy = tangents
    out = _pow(x, y)
    x_is_zero = x == 0
    safe_x = jnp.where(x_is_zero, 1.0, x)
    # d/dx x^y = y x^(y-1) = y out / x; at x == 0, 0^(y-1) is 0 (y > 1), 1 (y == 1), inf (y < 1)
    at_zero = jnp.where(y > 1, 0.0, jnp.where(y == 1, 1.0, jnp.inf))
    d_x = y * jnp.where(x_is_zero, at_zero, out / safe_x)
    # d/dy x^y = log(x) x^y, taken as 0 at x == 0 (as JAX's own rule for pow)
    d_y = jnp.log(safe_x) * out
    return out, d_x * dx + d_y * dy


@register(_am.Lorentz1D)
@numpy_float64
def lorentz(
    x: Float[RealArrayLike, " *shape"],
    amplitude: RealArrayLike,
    x_0: RealArrayLike,
    fwhm: RealArrayLike,
) -> Float[ArrayOut, " *shape"]:
    r"""Lorentzian, the twin of ``astropy.modeling.models.Lorentz1D``.

    .. math::

        f(x) = A \frac{(\mathrm{fwhm}/2)^2}{(x - x_0)^2 + (\mathrm{fwhm}/2)^2}

    Parameters
    ----------
    x : array_like
        Where to evaluate the model (frequencies).
    amplitude : float
        Peak value :math:`A`.
    x_0 : float
        Position of the peak.
    fwhm : float
        Full width at half maximum.

    Returns
    -------
    y : jax.Array
        The model, with the shape of ``x``.

    Examples
    --------
    >>> from stingray_jax.models import lorentz
    >>> print(lorentz(1.5, 2.0, 1.0, 1.0))
    1.0
    """
    return amplitude * ((fwhm / 2.0) ** 2) / ((x - x_0) ** 2 + (fwhm / 2.0) ** 2)


@register(_am.PowerLaw1D)
@numpy_float64
def power_law(
    x: Float[RealArrayLike, " *shape"],
    amplitude: RealArrayLike,
    x_0: RealArrayLike,
    alpha: RealArrayLike,
) -> Float[ArrayOut, " *shape"]:
    r"""Power law, the twin of ``astropy.modeling.models.PowerLaw1D``.

    .. math::

        f(x) = A (x / x_0)^{-\alpha}

    Parameters
    ----------
    x : array_like
        Where to evaluate the model.
    amplitude : float
        Value :math:`A` at the reference point.
    x_0 : float
        Reference point.
    alpha : float
        Power-law index.

    Returns
    -------
    y : jax.Array

    Examples
    --------
    >>> from stingray_jax.models import power_law
    >>> print(power_law(2.0, 3.0, 1.0, 2.0))
    0.75
    """
    # exp(-alpha (log x - log x_0)) rather than (x / x_0) ** -alpha: log(x) depends on the
    # frequencies only, so inside a fit (a loop over parameters at fixed x) XLA computes it once
    # instead of a float64 pow per bin and iteration (~2-3x faster); equal to astropy's value
    # to a few ulp (|alpha log(x / x_0)| eps relative).
    return amplitude * jnp.exp(-alpha * (jnp.log(x) - jnp.log(x_0)))


@register(_am.BrokenPowerLaw1D)
@numpy_float64
def broken_power_law(
    x: Float[RealArrayLike, " *shape"],
    amplitude: RealArrayLike,
    x_break: RealArrayLike,
    alpha_1: RealArrayLike,
    alpha_2: RealArrayLike,
) -> Float[ArrayOut, " *shape"]:
    r"""Sharply broken power law, the twin of ``astropy.modeling.models.BrokenPowerLaw1D``.

    .. math::

        f(x) = \begin{cases}
            A (x / x_b)^{-\alpha_1} & x < x_b \\
            A (x / x_b)^{-\alpha_2} & x \ge x_b
        \end{cases}

    Parameters
    ----------
    x : array_like
        Where to evaluate the model.
    amplitude : float
        Value :math:`A` at the break.
    x_break : float
        Break point :math:`x_b`.
    alpha_1, alpha_2 : float
        Power-law indices below and above the break.

    Returns
    -------
    y : jax.Array

    Examples
    --------
    >>> from stingray_jax.models import broken_power_law
    >>> print(broken_power_law(2.0, 1.0, 1.0, 1.0, 2.0))
    0.25
    """
    alpha = jnp.where(x < x_break, alpha_1, alpha_2)
    xx = x / x_break
    return amplitude * _pow(xx, -alpha)


_SBPL_THRESHOLD = 30.0  # astropy's threshold on log(t): exp(30) ~ 1e13


@register(_am.SmoothlyBrokenPowerLaw1D)
@numpy_float64
def smoothly_broken_power_law(
    x: Float[RealArrayLike, " *shape"],
    amplitude: RealArrayLike,
    x_break: RealArrayLike,
    alpha_1: RealArrayLike,
    alpha_2: RealArrayLike,
    delta: RealArrayLike,
) -> Float[ArrayOut, " *shape"]:
    r"""Smoothly broken power law, the twin of ``astropy.modeling.models.SmoothlyBrokenPowerLaw1D``.

    .. math::

        f(x) = A \left(\frac{x}{x_b}\right)^{-\alpha_1}
               \left\{\frac{1}{2}\left[1 + \left(\frac{x}{x_b}\right)^{1/\Delta}\right]
               \right\}^{(\alpha_1 - \alpha_2)\Delta}

    As in astropy, with :math:`\log t = \log(x/x_b)/\Delta`, the asymptotic power laws are used
    where :math:`|\log t| > 30`, and the result is 0 where :math:`\log t` is not a number
    (:math:`x/x_b \le 0`).

    Parameters
    ----------
    x : array_like
        Where to evaluate the model.
    amplitude : float
        Amplitude :math:`A` (astropy requires it to be positive).
    x_break : float
        Break point :math:`x_b`.
    alpha_1, alpha_2 : float
        Power-law indices for :math:`x \ll x_b` and :math:`x \gg x_b`.
    delta : float
        Smoothness :math:`\Delta` (astropy requires it to be at least 0.001).

    Returns
    -------
    y : jax.Array

    Examples
    --------
    >>> from stingray_jax.models import smoothly_broken_power_law
    >>> print(smoothly_broken_power_law(1.0, 2.0, 1.0, -2.0, 2.0, 1.0))
    2.0
    """
    xx = x / x_break
    # log t as astropy computes it (-inf at x = 0, NaN for x/x_b < 0), but with a finite
    # derivative everywhere, so that excluded points do not poison reverse-mode gradients.
    positive = xx > 0
    log_xx = jnp.log(jnp.where(positive, xx, 1.0))
    logt = jnp.where(positive, log_xx / delta, jnp.where(xx == 0, -jnp.inf, jnp.nan))
    high = logt > _SBPL_THRESHOLD
    low = logt < -_SBPL_THRESHOLD
    middle = jnp.abs(logt) <= _SBPL_THRESHOLD
    asymptotic_norm = 2.0 ** ((alpha_1 - alpha_2) * delta)
    # Double where: each branch only sees the x of its own region (elsewhere 1), so that no
    # branch that is not selected overflows or is NaN, and reverse-mode gradients stay finite.
    xx_high = jnp.where(high, xx, 1.0)
    xx_low = jnp.where(low, xx, 1.0)
    xx_middle = jnp.where(middle, xx, 1.0)
    f_high = amplitude * _pow(xx_high, -alpha_2) / asymptotic_norm
    f_low = amplitude * _pow(xx_low, -alpha_1) / asymptotic_norm
    t = jnp.exp(jnp.where(middle, logt, 0.0))
    r = (1.0 + t) / 2.0
    f_middle = amplitude * _pow(xx_middle, -alpha_1) * _pow(r, (alpha_1 - alpha_2) * delta)
    zero = jnp.zeros_like(f_middle)
    return jnp.where(high, f_high, jnp.where(low, f_low, jnp.where(middle, f_middle, zero)))


@register(_am.Const1D)
@numpy_float64
def constant(
    x: Float[RealArrayLike, " *shape"], amplitude: RealArrayLike
) -> Float[ArrayOut, " *shape"]:
    r"""Constant, the twin of ``astropy.modeling.models.Const1D``.

    .. math::

        f(x) = A

    Parameters
    ----------
    x : array_like
        Where to evaluate the model (only its shape and dtype matter).
    amplitude : float
        The constant value :math:`A`.

    Returns
    -------
    y : jax.Array
        ``amplitude`` broadcast to the shape of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from stingray_jax.models import constant
    >>> print(constant(np.arange(3.0), 2.0))
    [2. 2. 2.]
    """
    return amplitude * jnp.ones_like(x)


@register(_am.Gaussian1D)
@numpy_float64
def gaussian(
    x: Float[RealArrayLike, " *shape"],
    amplitude: RealArrayLike,
    mean: RealArrayLike,
    stddev: RealArrayLike,
) -> Float[ArrayOut, " *shape"]:
    r"""Gaussian, the twin of ``astropy.modeling.models.Gaussian1D``.

    .. math::

        f(x) = A \exp\left(-\frac{(x - \mu)^2}{2\sigma^2}\right)

    Parameters
    ----------
    x : array_like
        Where to evaluate the model.
    amplitude : float
        Peak value :math:`A`.
    mean : float
        Position of the peak :math:`\mu`.
    stddev : float
        Standard deviation :math:`\sigma`.

    Returns
    -------
    y : jax.Array

    Examples
    --------
    >>> from stingray_jax.models import gaussian
    >>> print(gaussian(0.0, 3.0, 0.0, 1.0))
    3.0
    """
    return amplitude * jnp.exp(-0.5 * (x - mean) ** 2 / stddev**2)


@register(_am.ExponentialCutoffPowerLaw1D)
@numpy_float64
def exponential_cutoff_power_law(
    x: Float[RealArrayLike, " *shape"],
    amplitude: RealArrayLike,
    x_0: RealArrayLike,
    alpha: RealArrayLike,
    x_cutoff: RealArrayLike,
) -> Float[ArrayOut, " *shape"]:
    r"""Power law with an exponential cutoff (``astropy...ExponentialCutoffPowerLaw1D``).

    .. math::

        f(x) = A (x / x_0)^{-\alpha} \exp(-x / x_{\rm cutoff})

    Parameters
    ----------
    x : array_like
        Where to evaluate the model.
    amplitude : float
        Amplitude :math:`A`.
    x_0 : float
        Reference point.
    alpha : float
        Power-law index.
    x_cutoff : float
        Cutoff scale.

    Returns
    -------
    y : jax.Array

    Examples
    --------
    >>> from stingray_jax.models import exponential_cutoff_power_law
    >>> print(exponential_cutoff_power_law(1.0, 2.0, 1.0, 1.0, 1.0))  # doctest: +FLOAT_CMP
    0.7357588823428847
    """
    xx = x / x_0
    return amplitude * _pow(xx, -alpha) * jnp.exp(-x / x_cutoff)


@register(_am.LogParabola1D)
@numpy_float64
def log_parabola(
    x: Float[RealArrayLike, " *shape"],
    amplitude: RealArrayLike,
    x_0: RealArrayLike,
    alpha: RealArrayLike,
    beta: RealArrayLike,
) -> Float[ArrayOut, " *shape"]:
    r"""Log-parabola (curved power law), the twin of ``astropy.modeling.models.LogParabola1D``.

    .. math::

        f(x) = A \left(\frac{x}{x_0}\right)^{-\alpha - \beta \ln(x / x_0)}

    Parameters
    ----------
    x : array_like
        Where to evaluate the model.
    amplitude : float
        Amplitude :math:`A`.
    x_0 : float
        Reference point.
    alpha : float
        Power-law index.
    beta : float
        Curvature.

    Returns
    -------
    y : jax.Array

    Examples
    --------
    >>> from stingray_jax.models import log_parabola
    >>> print(log_parabola(1.0, 2.0, 1.0, 1.0, 0.5))
    2.0
    """
    xx = x / x_0
    exponent = -alpha - beta * jnp.log(xx)
    return amplitude * _pow(xx, exponent)


@register(_am.Linear1D)
@numpy_float64
def linear(
    x: Float[RealArrayLike, " *shape"], slope: RealArrayLike, intercept: RealArrayLike
) -> Float[ArrayOut, " *shape"]:
    r"""Straight line, the twin of ``astropy.modeling.models.Linear1D``.

    .. math::

        f(x) = a x + b

    Parameters
    ----------
    x : array_like
        Where to evaluate the model.
    slope : float
        Slope :math:`a`.
    intercept : float
        Intercept :math:`b`.

    Returns
    -------
    y : jax.Array

    Examples
    --------
    >>> from stingray_jax.models import linear
    >>> print(linear(2.0, 3.0, 1.0))
    7.0
    """
    return slope * x + intercept


def _polynomial_static(model):
    """Per-instance settings of a ``Polynomial1D`` that its evaluate depends on."""
    domain = None if model.domain is None else tuple(float(v) for v in model.domain)
    window = None if model.window is None else tuple(float(v) for v in model.window)
    return {"domain": domain, "window": window}


@register(_am.Polynomial1D, static=_polynomial_static)
@numpy_float64
def polynomial(x, *coeffs, domain=(-1.0, 1.0), window=(-1.0, 1.0)):
    r"""Polynomial of any degree, the twin of ``astropy.modeling.models.Polynomial1D``.

    .. math::

        f(x) = \sum_{i=0}^{N} c_i \, u^i, \qquad u = o + s\,x

    where the shift :math:`o` and scale :math:`s` map ``domain`` onto ``window`` as astropy's
    ``poly_map_domain`` does (the defaults give :math:`u = x`). The sum is evaluated with
    Horner's scheme, as in astropy.

    Parameters
    ----------
    x : array_like
        Where to evaluate the model.
    *coeffs : float
        Coefficients ``c0, c1, ..., cN`` (at least one).
    domain, window : tuple of two floats or None, optional
        As the ``Polynomial1D`` attributes of the same names. ``domain=None`` skips the mapping.

    Returns
    -------
    y : jax.Array

    Examples
    --------
    >>> from stingray_jax.models import polynomial
    >>> print(polynomial(2.0, 1.0, 0.0, 3.0))  # 1 + 3 x**2
    13.0
    """
    if len(coeffs) == 0:
        raise ValueError("polynomial needs at least one coefficient (c0)")
    if domain is not None:
        if window is None:
            raise ValueError("polynomial: window must be given when domain is")
        dom = np.asarray(domain, dtype=np.float64)
        win = np.asarray(window, dtype=np.float64)
        if dom.shape != (2,) or win.shape != (2,):
            raise ValueError('Expected "domain" and "window" to be a tuple of size 2.')
        scl = float((win[1] - win[0]) / (dom[1] - dom[0]))
        off = float((win[0] * dom[1] - win[1] * dom[0]) / (dom[1] - dom[0]))
        x = off + scl * x
    if len(coeffs) == 1:
        return coeffs[-1] * jnp.ones_like(x)
    c0 = coeffs[-1]
    for i in range(2, len(coeffs) + 1):
        c0 = coeffs[-i] + c0 * x
    return c0
