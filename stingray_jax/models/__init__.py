"""Differentiable JAX models for power spectra and light curves, and the astropy bridge.

- Twins of astropy's one-dimensional models (`lorentz`, `power_law`, ...), pure ``jax.numpy``
  functions with the signature of the astropy class's ``evaluate``.
- `from_astropy` turns an astropy model (compound operators ``+ - * / **`` and ``|``, fixed and
  tied parameters, bounds) into a `JaxModel`, a pure function ``jm(params, x)`` of its free
  parameters.
- `register` adds a JAX twin for another astropy class; packages can also ship twins through the
  entry-point group ``stingray_jax.models``.
"""

from .bridge import JaxModel, from_astropy
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

__all__ = [
    "JaxModel",
    "ModelPluginWarning",
    "broken_power_law",
    "constant",
    "exponential_cutoff_power_law",
    "from_astropy",
    "gaussian",
    "linear",
    "log_parabola",
    "lorentz",
    "polynomial",
    "power_law",
    "register",
    "registered_models",
    "smoothly_broken_power_law",
]
