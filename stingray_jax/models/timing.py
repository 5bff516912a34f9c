r"""X-ray timing models that astropy lacks, as astropy classes and as JAX twins.

Each model is available twice: as an astropy ``Fittable1DModel`` subclass (so it works in plain
Stingray and astropy fitting) and as a pure ``jax.numpy`` function registered as its twin (so
`from_astropy` can use it). The two are written from the same formula and agree to rounding.

Lorentzian conventions
----------------------
The Lorentzians follow Belloni, Psaltis & van der Klis (2002, ApJ 572, 392), eq. (1):

.. math::

    P(\nu) = \frac{r^2 \Delta}{\pi} \frac{1}{\Delta^2 + (\nu - \nu_0)^2},
    \qquad \Delta = \frac{\nu_0}{2Q},

where :math:`r` is the fractional rms integrated over :math:`-\infty < \nu < \infty`,
:math:`\nu_0` the centroid frequency, :math:`\Delta` the half width at half maximum and
:math:`Q = \nu_0 / (2\Delta)` the quality factor. The characteristic (peak of
:math:`\nu P_\nu`) frequency is :math:`\nu_{\max} = \sqrt{\nu_0^2 + \Delta^2}`. The integral
over positive frequencies only, which is what a one-sided (Stingray) power spectrum in
fractional-rms normalisation measures, is
:math:`r^2 \left[\tfrac12 + \arctan(\nu_0/\Delta)/\pi\right]`: :math:`r^2/2` for a
zero-centred Lorentzian and close to :math:`r^2` for a narrow QPO. This is also the convention
of van Straaten et al. (2002, ApJ 568, 912) and Pottschmidt et al. (2003, A&A 407, 1039).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import jax.numpy as jnp
import numpy as np

from .._config import numpy_float64, preserve_global_state
from .registry import get_registered, register

if TYPE_CHECKING:  # jaxtyping is needed by the type checker only (no runtime import)
    from jaxtyping import Float

    from .._typing import ArrayOut, RealArrayLike

with preserve_global_state():
    from astropy.modeling import Fittable1DModel, Parameter

__all__ = [
    "BendingPowerLaw1D",
    "QPOHarmonics1D",
    "QPOLorentz1D",
    "ZeroCenteredLorentz1D",
    "bending_power_law",
    "qpo_harmonics",
    "qpo_harmonics_model",
    "qpo_lorentz",
    "zero_centered_lorentz",
]


# --------------------------------------------------------------------------------------------
# Zero-centred Lorentzian
# --------------------------------------------------------------------------------------------
def _zero_centered(xp, x, rms, delta):
    return rms**2 * delta / xp.pi / (delta**2 + x**2)


class ZeroCenteredLorentz1D(Fittable1DModel):
    r"""Zero-centred Lorentzian in the (rms, half width) parameterisation.

    .. math::

        P(\nu) = \frac{r^2 \Delta}{\pi} \frac{1}{\Delta^2 + \nu^2}

    The Lorentzian of Belloni, Psaltis & van der Klis (2002, ApJ 572, 392) with
    :math:`\nu_0 = 0`: :math:`r` is the fractional rms integrated over all (positive and
    negative) frequencies, so a one-sided power spectrum contains :math:`r^2/2`.
    :math:`\Delta` is the half width at half maximum and equals the characteristic frequency
    :math:`\nu_{\max}`.

    Parameters
    ----------
    rms : float
        Integrated fractional rms :math:`r`.
    delta : float
        Half width at half maximum :math:`\Delta` (Hz).

    Examples
    --------
    >>> from stingray_jax.models import ZeroCenteredLorentz1D
    >>> model = ZeroCenteredLorentz1D(rms=0.2, delta=1.0)
    >>> print(model(1.0))  # doctest: +FLOAT_CMP
    0.006366197723675814
    """

    rms = Parameter(default=0.1, description="Fractional rms over all frequencies")
    delta = Parameter(default=1.0, description="Half width at half maximum (= nu_max)")

    @staticmethod
    def evaluate(x, rms, delta):
        """Evaluate the zero-centred Lorentzian."""
        return _zero_centered(np, x, rms, delta)


@register(ZeroCenteredLorentz1D)
@numpy_float64
def zero_centered_lorentz(
    x: Float[RealArrayLike, " *shape"], rms: RealArrayLike, delta: RealArrayLike
) -> Float[ArrayOut, " *shape"]:
    r"""JAX twin of `ZeroCenteredLorentz1D`.

    .. math::

        P(\nu) = \frac{r^2 \Delta}{\pi} \frac{1}{\Delta^2 + \nu^2}

    Parameters
    ----------
    x : array_like
        Frequencies.
    rms : float
        Integrated fractional rms :math:`r` (over all frequencies).
    delta : float
        Half width at half maximum :math:`\Delta`.

    Returns
    -------
    y : jax.Array

    Examples
    --------
    >>> from stingray_jax.models import zero_centered_lorentz
    >>> print(zero_centered_lorentz(1.0, 0.2, 1.0))  # doctest: +FLOAT_CMP
    0.006366197723675814
    """
    return _zero_centered(jnp, x, rms, delta)


# --------------------------------------------------------------------------------------------
# QPO Lorentzian
# --------------------------------------------------------------------------------------------
def _qpo(xp, x, rms, nu0, q):
    delta = nu0 / (2.0 * q)
    return rms**2 * delta / xp.pi / (delta**2 + (x - nu0) ** 2)


class QPOLorentz1D(Fittable1DModel):
    r"""Lorentzian QPO in the (rms, centroid frequency, quality factor) parameterisation.

    .. math::

        P(\nu) = \frac{r^2 \Delta}{\pi} \frac{1}{\Delta^2 + (\nu - \nu_0)^2},
        \qquad \Delta = \frac{\nu_0}{2Q}

    Belloni, Psaltis & van der Klis (2002, ApJ 572, 392), eq. (1): :math:`r` is the fractional
    rms integrated over all frequencies (a one-sided spectrum contains
    :math:`r^2[1/2 + \arctan(2Q)/\pi]`), :math:`\nu_0` the centroid frequency and :math:`Q`
    the quality factor (centroid over full width at half maximum).

    Parameters
    ----------
    rms : float
        Integrated fractional rms :math:`r`.
    nu0 : float
        Centroid frequency :math:`\nu_0` (Hz).
    q : float
        Quality factor :math:`Q = \nu_0 / \mathrm{FWHM}`.

    Examples
    --------
    >>> from stingray_jax.models import QPOLorentz1D
    >>> model = QPOLorentz1D(rms=0.1, nu0=2.0, q=10.0)
    >>> print(model(2.0))  # peak value r^2 / (pi Delta)  # doctest: +FLOAT_CMP
    0.03183098861837907
    """

    rms = Parameter(default=0.1, description="Fractional rms over all frequencies")
    nu0 = Parameter(default=1.0, description="Centroid frequency")
    q = Parameter(default=10.0, description="Quality factor nu0 / FWHM")

    @staticmethod
    def evaluate(x, rms, nu0, q):
        """Evaluate the QPO Lorentzian."""
        return _qpo(np, x, rms, nu0, q)


@register(QPOLorentz1D)
@numpy_float64
def qpo_lorentz(
    x: Float[RealArrayLike, " *shape"], rms: RealArrayLike, nu0: RealArrayLike, q: RealArrayLike
) -> Float[ArrayOut, " *shape"]:
    r"""JAX twin of `QPOLorentz1D`.

    .. math::

        P(\nu) = \frac{r^2 \Delta}{\pi} \frac{1}{\Delta^2 + (\nu - \nu_0)^2},
        \qquad \Delta = \frac{\nu_0}{2Q}

    Parameters
    ----------
    x : array_like
        Frequencies.
    rms : float
        Integrated fractional rms :math:`r`.
    nu0 : float
        Centroid frequency.
    q : float
        Quality factor.

    Returns
    -------
    y : jax.Array

    Examples
    --------
    >>> from stingray_jax.models import qpo_lorentz
    >>> print(qpo_lorentz(2.0, 0.1, 2.0, 10.0))  # doctest: +FLOAT_CMP
    0.03183098861837907
    """
    return _qpo(jnp, x, rms, nu0, q)


# --------------------------------------------------------------------------------------------
# Bending power law
# --------------------------------------------------------------------------------------------
def _bending(xp, x, amplitude, x_break, alpha_1, alpha_2):
    # A u^-a1 / (1 + u^(a2 - a1)) written in logs, so that neither power overflows.
    log_u = xp.log(x / x_break)
    return amplitude * xp.exp(-alpha_1 * log_u - xp.logaddexp(0.0, (alpha_2 - alpha_1) * log_u))


class BendingPowerLaw1D(Fittable1DModel):
    r"""Bending power law (McHardy et al. 2004).

    .. math::

        P(\nu) = A \frac{(\nu/\nu_b)^{-\alpha_1}}{1 + (\nu/\nu_b)^{\alpha_2 - \alpha_1}}

    The power law of index :math:`\alpha_1` below the bend frequency :math:`\nu_b` bends
    smoothly to index :math:`\alpha_2` above it; :math:`P(\nu_b) = A/2`. This is the form of
    McHardy, Papadakis, Uttley, Page & Mason (2004, MNRAS 348, 783), eq. (2),
    :math:`P(\nu) = A' \nu^{-\alpha_L} / [1 + (\nu/\nu_b)^{\alpha_H - \alpha_L}]`, with the
    normalisation taken at the bend, :math:`A = A' \nu_b^{-\alpha_1}`. It is evaluated in
    logarithms, so that it neither overflows nor underflows for extreme :math:`\nu/\nu_b`.
    Defined for :math:`\nu/\nu_b > 0`.

    Parameters
    ----------
    amplitude : float
        Twice the value at the bend, :math:`A`.
    x_break : float
        Bend frequency :math:`\nu_b`.
    alpha_1 : float
        Index below the bend (1 in McHardy et al. 2004).
    alpha_2 : float
        Index above the bend (2 in McHardy et al. 2004).

    Examples
    --------
    >>> from stingray_jax.models import BendingPowerLaw1D
    >>> print(BendingPowerLaw1D(amplitude=2.0, x_break=1e-3, alpha_1=1.0, alpha_2=2.0)(1e-3))
    1.0
    """

    amplitude = Parameter(default=1.0, description="Twice the value at the bend")
    x_break = Parameter(default=1.0, description="Bend frequency")
    alpha_1 = Parameter(default=1.0, description="Power-law index below the bend")
    alpha_2 = Parameter(default=2.0, description="Power-law index above the bend")

    @staticmethod
    def evaluate(x, amplitude, x_break, alpha_1, alpha_2):
        """Evaluate the bending power law."""
        return _bending(np, x, amplitude, x_break, alpha_1, alpha_2)


@register(BendingPowerLaw1D)
@numpy_float64
def bending_power_law(
    x: Float[RealArrayLike, " *shape"],
    amplitude: RealArrayLike,
    x_break: RealArrayLike,
    alpha_1: RealArrayLike,
    alpha_2: RealArrayLike,
) -> Float[ArrayOut, " *shape"]:
    r"""JAX twin of `BendingPowerLaw1D`.

    .. math::

        P(\nu) = A \frac{(\nu/\nu_b)^{-\alpha_1}}{1 + (\nu/\nu_b)^{\alpha_2 - \alpha_1}}

    Parameters
    ----------
    x : array_like
        Frequencies (:math:`x / x_b > 0`).
    amplitude : float
        Twice the value at the bend.
    x_break : float
        Bend frequency.
    alpha_1, alpha_2 : float
        Indices below and above the bend.

    Returns
    -------
    y : jax.Array

    Examples
    --------
    >>> from stingray_jax.models import bending_power_law
    >>> print(bending_power_law(1e-3, 2.0, 1e-3, 1.0, 2.0))
    1.0
    """
    return _bending(jnp, x, amplitude, x_break, alpha_1, alpha_2)


# --------------------------------------------------------------------------------------------
# Lorentzian plus harmonics
# --------------------------------------------------------------------------------------------
def _harmonics(xp, x, rms, nu0, q, *harmonic_rms):
    total = _qpo(xp, x, rms, nu0, q)
    for k, rms_k in enumerate(harmonic_rms, start=2):
        total = total + _qpo(xp, x, rms_k, k * nu0, q)
    return total


def qpo_harmonics_model(n_harmonics: int) -> type[Fittable1DModel]:
    r"""Return the astropy class of a QPO Lorentzian plus ``n_harmonics`` harmonics.

    The class has the parameters ``rms, nu0, q`` of the fundamental and ``rms_2, ...,
    rms_{n+1}`` of the harmonics, and is registered with its JAX twin `qpo_harmonics`:

    .. math::

        P(\nu) = \sum_{k=1}^{n+1} \frac{r_k^2 \Delta_k}{\pi}
                 \frac{1}{\Delta_k^2 + (\nu - k\nu_0)^2},
        \qquad \Delta_k = \frac{k \nu_0}{2Q}

    The :math:`k`-th harmonic is centred on :math:`k\nu_0` and shares the fundamental's
    quality factor (so its width scales with :math:`k`), the usual assumption for type-C QPOs
    (e.g. Ingram & Motta 2019, New Astron. Rev. 85, 101524). Lorentzians as in `QPOLorentz1D`.

    Parameters
    ----------
    n_harmonics : int
        Number of harmonics above the fundamental (at least 1).

    Returns
    -------
    cls : type
        A ``Fittable1DModel`` subclass (the same class for the same ``n_harmonics``).

    Examples
    --------
    >>> from stingray_jax.models import qpo_harmonics_model
    >>> QPO3 = qpo_harmonics_model(2)
    >>> QPO3.param_names
    ('rms', 'nu0', 'q', 'rms_2', 'rms_3')
    """
    if isinstance(n_harmonics, bool) or not isinstance(n_harmonics, int | np.integer):
        raise TypeError(f"n_harmonics must be an integer, got {n_harmonics!r}")
    n_harmonics = int(n_harmonics)
    if n_harmonics < 1:
        raise ValueError(f"n_harmonics must be at least 1, got {n_harmonics}")
    cls = _harmonics_class(n_harmonics)
    if get_registered(cls) is None:  # (re-)register, e.g. after a registry reset
        register(cls)(qpo_harmonics)
    return cls


@functools.cache
def _harmonics_class(n_harmonics):
    """The (cached) astropy class of a QPO plus ``n_harmonics`` harmonics."""

    def evaluate(x, rms, nu0, q, *harmonic_rms):
        return _harmonics(np, x, rms, nu0, q, *harmonic_rms)

    namespace = {
        "__doc__": (
            f"QPO Lorentzian plus {n_harmonics} harmonic(s) at k nu0 (k = 2..{n_harmonics + 1}) "
            "sharing the quality factor q. See ``qpo_harmonics_model``."
        ),
        "__module__": __name__,
        "n_harmonics": n_harmonics,
        "rms": Parameter(default=0.1, description="Fractional rms of the fundamental"),
        "nu0": Parameter(default=1.0, description="Centroid frequency of the fundamental"),
        "q": Parameter(default=10.0, description="Quality factor shared by all harmonics"),
        "evaluate": staticmethod(evaluate),
    }
    for k in range(2, n_harmonics + 2):
        namespace[f"rms_{k}"] = Parameter(
            default=0.05, description=f"Fractional rms of harmonic {k}"
        )
    name = "QPOHarmonics1D" if n_harmonics == 1 else f"QPOHarmonics{n_harmonics}_1D"
    cls = type(name, (Fittable1DModel,), namespace)
    cls.__qualname__ = name
    return cls


@numpy_float64
def qpo_harmonics(
    x: Float[RealArrayLike, " *shape"],
    rms: RealArrayLike,
    nu0: RealArrayLike,
    q: RealArrayLike,
    *harmonic_rms: RealArrayLike,
) -> Float[ArrayOut, " *shape"]:
    r"""JAX twin of the `qpo_harmonics_model` classes: a QPO plus harmonics sharing :math:`Q`.

    .. math::

        P(\nu) = \sum_{k=1}^{n+1} \frac{r_k^2 \Delta_k}{\pi}
                 \frac{1}{\Delta_k^2 + (\nu - k\nu_0)^2},
        \qquad \Delta_k = \frac{k \nu_0}{2Q}

    Parameters
    ----------
    x : array_like
        Frequencies.
    rms, nu0, q : float
        Fractional rms, centroid frequency and quality factor of the fundamental.
    *harmonic_rms : float
        Fractional rms of the harmonics at :math:`2\nu_0, 3\nu_0, \dots`.

    Returns
    -------
    y : jax.Array

    Examples
    --------
    >>> from stingray_jax.models import qpo_harmonics, qpo_lorentz
    >>> both = qpo_harmonics(4.0, 0.1, 2.0, 10.0, 0.05)
    >>> print(both > qpo_lorentz(4.0, 0.05, 4.0, 10.0))
    True
    """
    return _harmonics(jnp, x, rms, nu0, q, *harmonic_rms)


#: QPO Lorentzian plus its first harmonic (parameters ``rms, nu0, q, rms_2``).
QPOHarmonics1D = qpo_harmonics_model(1)
