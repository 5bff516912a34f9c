r"""Flare and burst profiles as astropy models, for fitting light curves.

Astropy classes for the light-curve shapes of `stingray_jax.models.lightcurve` (Stingray's
``gpmodeling`` mean functions, with the same parameter names and meaning) that astropy lacks,
each registered with its JAX twin, so that they combine with astropy's own models
(``FRED1D(...) + Const1D(...)``), fit with astropy or Stingray, and translate with
`stingray_jax.models.from_astropy` for `stingray_jax.batch.fit_lightcurves`. The Gaussian
flare is astropy's ``Gaussian1D`` (amplitude, mean, stddev).
"""

from __future__ import annotations

import numpy as np

from .._config import preserve_global_state
from . import lightcurve
from .registry import register

with preserve_global_state():  # importing astropy.modeling adds warning filters
    from astropy.modeling import Fittable1DModel, Parameter

__all__ = ["FRED1D", "SkewExponential1D", "SkewGaussian1D"]


class FRED1D(Fittable1DModel):
    r"""Fast-rise exponential-decay flare (Stingray's ``fred`` mean).

    .. math::

        f(t) = A \exp\left[-\phi\left(\frac{t + \delta}{t_0} + \frac{t_0}{t + \delta}\right)
               + 2\phi\right]

    The peak, of height :math:`A`, is at :math:`t = t_0 - \delta`; defined for
    :math:`t + \delta > 0`.

    Examples
    --------
    >>> from stingray_jax.models.flares import FRED1D
    >>> print(FRED1D(A=3.0, t0=2.0, delta=1.0, phi=0.5)(1.0))  # doctest: +FLOAT_CMP
    3.0
    """

    A = Parameter(default=1.0, description="Peak amplitude")
    t0 = Parameter(default=1.0, description="Peak position parameter")
    delta = Parameter(default=0.0, description="Time offset")
    phi = Parameter(default=1.0, description="Symmetry parameter")

    @staticmethod
    def evaluate(x, A, t0, delta, phi):
        """Evaluate the FRED profile."""
        return np.asarray(lightcurve.fred(np.asarray(x, float), A, t0, delta, phi))


class SkewGaussian1D(Fittable1DModel):
    r"""Gaussian flare with different rise and decay widths (Stingray's ``skew_gaussian``).

    :math:`A \exp(-(t - t_0)^2 / 2\sigma_1^2)` before :math:`t_0`, with :math:`\sigma_2`
    after.

    Examples
    --------
    >>> from stingray_jax.models.flares import SkewGaussian1D
    >>> print(SkewGaussian1D(A=2.0, t0=0.0, sig1=1.0, sig2=3.0)(0.0))  # doctest: +FLOAT_CMP
    2.0
    """

    A = Parameter(default=1.0, description="Peak amplitude")
    t0 = Parameter(default=0.0, description="Peak time")
    sig1 = Parameter(default=1.0, description="Rise width")
    sig2 = Parameter(default=1.0, description="Decay width")

    @staticmethod
    def evaluate(x, A, t0, sig1, sig2):
        """Evaluate the skewed Gaussian profile."""
        return np.asarray(lightcurve.skew_gaussian(np.asarray(x, float), A, t0, sig1, sig2))


class SkewExponential1D(Fittable1DModel):
    r"""Exponential flare with different rise and decay times (Stingray's
    ``skew_exponential``).

    :math:`A \exp((t - t_0) / 2\sigma_1^2)` before :math:`t_0` and
    :math:`A \exp(-(t - t_0) / 2\sigma_2^2)` after (Stingray's parameterisation).

    Examples
    --------
    >>> from stingray_jax.models.flares import SkewExponential1D
    >>> print(SkewExponential1D(A=2.0, t0=0.0, sig1=1.0, sig2=3.0)(0.0))  # doctest: +FLOAT_CMP
    2.0
    """

    A = Parameter(default=1.0, description="Peak amplitude")
    t0 = Parameter(default=0.0, description="Peak time")
    sig1 = Parameter(default=1.0, description="Rise parameter")
    sig2 = Parameter(default=1.0, description="Decay parameter")

    @staticmethod
    def evaluate(x, A, t0, sig1, sig2):
        """Evaluate the skewed exponential profile."""
        return np.asarray(lightcurve.skew_exponential(np.asarray(x, float), A, t0, sig1, sig2))


register(FRED1D)(lightcurve.fred)
register(SkewGaussian1D)(lightcurve.skew_gaussian)
register(SkewExponential1D)(lightcurve.skew_exponential)
