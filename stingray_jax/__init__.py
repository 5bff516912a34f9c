"""stingray_jax: JAX-accelerated, differentiable drop-ins for Stingray.

``import stingray_jax as stingray`` gives Stingray's namespace, "ours where we have it, Stingray's
otherwise": every public top-level name of ``stingray`` resolves (lazily) to this package's class
where it has one (the spectra classes) and to Stingray's object otherwise (``Lightcurve``,
``EventList``, ...), and every ``stingray.<module>`` has a ``stingray_jax.<module>`` twin: ours
(``powerspectrum``, ``crossspectrum``, ``lombscargle``, ``fourier``, ``modeling``) or Stingray's
module itself (``events``, ``gti``, ``utils``, ...). See the getting-started page.

Importing this package changes no global state: it leaves ``jax_enable_x64``, ``numpy.geterr()``
and the warning filters alone, it creates no JAX array (so no JAX backend is initialised at
import), and it imports neither Stingray nor JAX; the only thing it installs is the finder that
resolves ``stingray_jax.<module>`` names without a file here (see ``stingray_jax._mirror``).
"""

import importlib

from . import _mirror
from ._config import enable_x64

try:
    from ._version import version as __version__
except ImportError:  # pragma: no cover - only without setuptools_scm's generated file
    from importlib.metadata import PackageNotFoundError, version

    try:
        __version__ = version("stingray_jax")
    except PackageNotFoundError:
        __version__ = "0.0.0"

_mirror.install_finder()

# Top-level names that are ours: {attribute: module that defines it}. Every other public name of
# ``stingray`` resolves to Stingray's object (see __getattr__).
_LAZY_ATTRIBUTES: dict[str, str] = {
    "Powerspectrum": "stingray_jax.powerspectrum",
    "AveragedPowerspectrum": "stingray_jax.powerspectrum",
    "DynamicalPowerspectrum": "stingray_jax.powerspectrum",
    "Crossspectrum": "stingray_jax.crossspectrum",
    "AveragedCrossspectrum": "stingray_jax.crossspectrum",
    "DynamicalCrossspectrum": "stingray_jax.crossspectrum",
    "LombScarglePowerspectrum": "stingray_jax.lombscargle",
    "LombScargleCrossspectrum": "stingray_jax.lombscargle",
    # JAX's persistent compilation cache, opt-in (the command line turns it on).
    "enable_compilation_cache": "stingray_jax._compilation_cache",
    "disable_compilation_cache": "stingray_jax._compilation_cache",
}

# Submodules of this package that ``stingray_jax.<name>`` resolves without an explicit import.
# A name that is also a Stingray module (fourier, modeling, powerspectrum, ...) mirrors it; when a
# module of ours is absent (``pulse``, ``simulator`` today), the same import gives Stingray's.
_LAZY_SUBMODULES = frozenset(
    {
        "batch",
        "cli",
        "crossspectrum",
        "examples",
        "fourier",
        "likelihoods",
        "lombscargle",
        "modeling",
        "models",
        "optimize",
        "powerspectrum",
        "pulse",
        "sampling",
        "simulator",
        "spectra",
    }
)

# ``from stingray_jax import *`` exports our names; Stingray's are reached by attribute access.
__all__ = ["__version__", "enable_x64", *_LAZY_ATTRIBUTES]


def __getattr__(name):
    if name in _LAZY_ATTRIBUTES:
        value = getattr(importlib.import_module(_LAZY_ATTRIBUTES[name]), name)
    elif name in _LAZY_SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    elif name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    else:
        value = _mirror.stingray_name(__name__, name)  # Stingray's, or AttributeError
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY_ATTRIBUTES) | _LAZY_SUBMODULES)
