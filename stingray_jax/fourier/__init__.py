"""Periodograms, cross spectra, Lomb-Scargle and light-curve simulation in JAX.

The functions with ``stingray.fourier`` names (`avg_pds_from_timeseries`,
`avg_cs_from_timeseries`, `avg_pds_from_iterable`, `avg_cs_from_iterables`,
`normalize_periodograms`, `poisson_level`, `positive_fft_bins`) take and return what Stingray's
do and compute in float64 whatever JAX's global flag. The batched entry points
(`avg_pds_batch`, `avg_cs_batch`, `lomb_scargle`, `simulate_lightcurve`) are pure JAX: they work
in the dtype they are given and are jit-, vmap- and grad-able.

Importing this module imports neither Stingray nor astropy and creates no JAX array.
"""

from ._batched import avg_cs_batch, avg_pds_batch
from ._core import (
    normalize_periodograms,
    poisson_level,
    positive_fft_bins,
)
from ._emmanoulopoulos import (
    empirical_distribution,
    gamma_distribution,
    lognormal_distribution,
    simulate_emmanoulopoulos,
)
from ._lombscargle import lomb_scargle, lsft
from ._simulate import simulate_lightcurve
from ._simulate_pairs import simulate_correlated_lightcurves
from ._timeseries import avg_pds_from_iterable, avg_pds_from_timeseries
from ._timeseries_cross import avg_cs_from_iterables, avg_cs_from_timeseries

__all__ = [
    "avg_cs_batch",
    "avg_cs_from_iterables",
    "avg_cs_from_timeseries",
    "avg_pds_batch",
    "avg_pds_from_iterable",
    "avg_pds_from_timeseries",
    "empirical_distribution",
    "gamma_distribution",
    "lognormal_distribution",
    "lomb_scargle",
    "lsft",
    "normalize_periodograms",
    "poisson_level",
    "positive_fft_bins",
    "simulate_correlated_lightcurves",
    "simulate_emmanoulopoulos",
    "simulate_lightcurve",
]

# Names of ``stingray.fourier`` that this package does not provide resolve to Stingray's own
# (``from stingray_jax.fourier import lsft_slow``), imported lazily on first access.
from .._mirror import stingray_fallback

__getattr__, __dir__ = stingray_fallback(__name__, globals())
