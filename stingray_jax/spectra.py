"""Backwards-compatible re-export of the spectra classes (kept for older code and docs).

The classes now live in modules that mirror Stingray's layout: :mod:`stingray_jax.powerspectrum`,
:mod:`stingray_jax.crossspectrum` and :mod:`stingray_jax.lombscargle`; import them from there (or
from the package, ``stingray_jax.Powerspectrum``).
"""

from .crossspectrum import (
    AveragedCrossspectrum,
    Crossspectrum,
    DynamicalCrossspectrum,
    crossspectrum_from_events,
    crossspectrum_from_lc_iterable,
    crossspectrum_from_lightcurve,
    crossspectrum_from_time_array,
    crossspectrum_from_timeseries,
)
from .lombscargle import LombScargleCrossspectrum, LombScarglePowerspectrum
from .powerspectrum import (
    AveragedPowerspectrum,
    DynamicalPowerspectrum,
    Powerspectrum,
    powerspectrum_from_events,
    powerspectrum_from_lc_iterable,
    powerspectrum_from_lightcurve,
    powerspectrum_from_time_array,
    powerspectrum_from_timeseries,
)

__all__ = [
    "AveragedCrossspectrum",
    "AveragedPowerspectrum",
    "Crossspectrum",
    "DynamicalCrossspectrum",
    "DynamicalPowerspectrum",
    "LombScargleCrossspectrum",
    "LombScarglePowerspectrum",
    "Powerspectrum",
    "crossspectrum_from_events",
    "crossspectrum_from_lc_iterable",
    "crossspectrum_from_lightcurve",
    "crossspectrum_from_time_array",
    "crossspectrum_from_timeseries",
    "powerspectrum_from_events",
    "powerspectrum_from_lc_iterable",
    "powerspectrum_from_lightcurve",
    "powerspectrum_from_time_array",
    "powerspectrum_from_timeseries",
]
