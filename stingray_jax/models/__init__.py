"""Differentiable JAX models for power spectra and light curves, and the astropy bridge.

- Twins of astropy's one-dimensional models (`lorentz`, `power_law`, ...), pure ``jax.numpy``
  functions with the signature of the astropy class's ``evaluate``.
- `from_astropy` turns an astropy model (compound operators ``+ - * / **`` and ``|``, fixed and
  tied parameters, bounds) into a `JaxModel`, a pure function ``jm(params, x)`` of its free
  parameters.
- X-ray timing models astropy lacks, as astropy classes and JAX twins: `ZeroCenteredLorentz1D`,
  `QPOLorentz1D` (rms, centroid, Q), `BendingPowerLaw1D`, `QPOHarmonics1D`.
- Light-curve (flare) shapes with the parameterisation of Stingray's ``gpmodeling`` means, in
  `stingray_jax.models.lightcurve` (exported here with a ``_mean`` suffix: `gaussian_mean`, ...).
- Flare profiles as astropy classes with JAX twins (`FRED1D`, `SkewGaussian1D`,
  `SkewExponential1D`), for light-curve fits.
- `register` adds a JAX twin for another astropy class; packages can also ship twins through the
  entry-point group ``stingray_jax.models``.
"""

from .bridge import JaxModel, from_astropy
from .flares import FRED1D, SkewExponential1D, SkewGaussian1D
from .lightcurve import constant as constant_mean
from .lightcurve import exponential as exponential_mean
from .lightcurve import fred as fred_mean
from .lightcurve import gaussian as gaussian_mean
from .lightcurve import get_mean
from .lightcurve import skew_exponential as skew_exponential_mean
from .lightcurve import skew_gaussian as skew_gaussian_mean
from .psd import (
    broken_power_law,
    constant,
    exponential_cutoff_power_law,
    gaussian,
    linear,
    log_parabola,
    lorentz,
    polynomial,
    power_law,
    smoothly_broken_power_law,
)
from .registry import ModelPluginWarning, register, registered_models
from .timing import (
    BendingPowerLaw1D,
    QPOHarmonics1D,
    QPOLorentz1D,
    ZeroCenteredLorentz1D,
    bending_power_law,
    qpo_harmonics,
    qpo_harmonics_model,
    qpo_lorentz,
    zero_centered_lorentz,
)

__all__ = [
    "FRED1D",
    "BendingPowerLaw1D",
    "JaxModel",
    "ModelPluginWarning",
    "QPOHarmonics1D",
    "QPOLorentz1D",
    "SkewExponential1D",
    "SkewGaussian1D",
    "ZeroCenteredLorentz1D",
    "bending_power_law",
    "broken_power_law",
    "constant",
    "constant_mean",
    "exponential_cutoff_power_law",
    "exponential_mean",
    "fred_mean",
    "from_astropy",
    "gaussian",
    "gaussian_mean",
    "get_mean",
    "linear",
    "log_parabola",
    "lorentz",
    "polynomial",
    "power_law",
    "qpo_harmonics",
    "qpo_harmonics_model",
    "qpo_lorentz",
    "register",
    "registered_models",
    "skew_exponential_mean",
    "skew_gaussian_mean",
    "smoothly_broken_power_law",
    "zero_centered_lorentz",
]
