"""Pulsar searches in JAX, mirroring ``stingray.pulse``.

- :func:`z_n_search` and :func:`epoch_folding_search`: Stingray 2.3.2's signatures and return
  values, computed over the whole frequency x fdot grid by one compiled kernel.
- The significance helpers ``z2_n_probability``, ``z2_n_logprobability``,
  ``z2_n_detection_level``, ``fold_detection_level``, ``fold_profile_probability``,
  ``fold_profile_logprobability`` (from ``stingray.stats``) and ``search_best_peaks`` (from
  ``stingray.pulse.search``) are Stingray's own functions, re-exported lazily so that importing
  this module imports neither Stingray nor creates a JAX array.

The pure statistics (no Stingray bookkeeping) live in :mod:`stingray_jax.pulse._statistics`.
"""

import importlib

from .search import epoch_folding_search, z_n_search

_REEXPORTS = {
    "z2_n_probability": "stingray.stats",
    "z2_n_logprobability": "stingray.stats",
    "z2_n_detection_level": "stingray.stats",
    "fold_detection_level": "stingray.stats",
    "fold_profile_probability": "stingray.stats",
    "fold_profile_logprobability": "stingray.stats",
    "search_best_peaks": "stingray.pulse.search",
}

__all__ = ["epoch_folding_search", "z_n_search", *sorted(_REEXPORTS)]


def __getattr__(name):
    if name in _REEXPORTS:
        from .._config import preserve_global_state

        with preserve_global_state():
            module = importlib.import_module(_REEXPORTS[name])
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
