"""stingray_jax: JAX-accelerated, differentiable drop-ins for Stingray.

Importing this package changes no global state: it leaves ``jax_enable_x64``, ``numpy.geterr()``
and the warning filters alone, and it creates no JAX array (so no JAX backend is initialised at
import). Heavier submodules, and the Stingray-compatible classes re-exported here, are imported
lazily on first attribute access.
"""

import importlib

from ._config import enable_x64

try:
    from ._version import version as __version__
except ImportError:  # pragma: no cover - only without setuptools_scm's generated file
    from importlib.metadata import PackageNotFoundError, version

    try:
        __version__ = version("stingray_jax")
    except PackageNotFoundError:
        __version__ = "0.0.0"

__all__ = ["__version__", "enable_x64"]

# Public names provided lazily: {attribute: module that defines it}. Later capabilities add
# their Stingray-compatible classes here (e.g. ``"Powerspectrum": "stingray_jax.spectra"``).
_LAZY_ATTRIBUTES: dict[str, str] = {
    "Powerspectrum": "stingray_jax.spectra",
    "AveragedPowerspectrum": "stingray_jax.spectra",
    "Crossspectrum": "stingray_jax.spectra",
    "AveragedCrossspectrum": "stingray_jax.spectra",
    "DynamicalPowerspectrum": "stingray_jax.spectra",
    "LombScarglePowerspectrum": "stingray_jax.spectra",
}

# Submodules that ``stingray_jax.<name>`` resolves without an explicit import.
_LAZY_SUBMODULES = frozenset(
    {
        "batch",
        "cli",
        "examples",
        "fourier",
        "likelihoods",
        "modeling",
        "models",
        "optimize",
        "sampling",
        "spectra",
    }
)


def __getattr__(name):
    if name in _LAZY_ATTRIBUTES:
        module = importlib.import_module(_LAZY_ATTRIBUTES[name])
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_ATTRIBUTES) | set(__all__))
