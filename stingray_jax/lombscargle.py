"""Stingray's ``stingray.lombscargle``, with the Lomb-Scargle transforms computed by JAX.

`LombScargleCrossspectrum` and `LombScarglePowerspectrum` subclass their Stingray namesakes (same
constructors, attributes and methods); the Lomb-Scargle Fourier transforms of both series come
from :func:`stingray_jax.fourier.lsft`: ``method="slow"`` is the exact direct transform,
``method="fast"`` the same transform through a non-uniform FFT (jax-finufft) instead of
Stingray's Press & Rybicki extirpolation (whose Stingray scaling differs, see the "Differences"
page). Other names of ``stingray.lombscargle`` are Stingray's own, reached through this module.
"""

from ._config import preserve_global_state, x64_scope
from ._mirror import stingray_fallback
from ._spectra_common import KeepsPrintOptions

with preserve_global_state():
    from stingray import lombscargle as _sr_ls

__all__ = ["LombScargleCrossspectrum", "LombScarglePowerspectrum"]


class _LombScargleFromJax(KeepsPrintOptions):
    def _initialize_from_any_input(self, *args, **kwargs):
        from .fourier._lombscargle import _stingray_ls_cross

        with preserve_global_state(), x64_scope():
            return _stingray_ls_cross(self, _sr_ls, *args, **kwargs)


class LombScargleCrossspectrum(_LombScargleFromJax, _sr_ls.LombScargleCrossspectrum):
    """Stingray's `~stingray.lombscargle.LombScargleCrossspectrum`, computed with JAX.

    Same constructor (``LombScargleCrossspectrum(data1=None, data2=None, norm="none",
    power_type="all", dt=None, fullspec=False, skip_checks=False, min_freq=None, max_freq=None,
    df=None, method="fast", oversampling=5)``) and attributes.

    Examples
    --------
    >>> import numpy as np
    >>> from stingray import Lightcurve
    >>> rng = np.random.default_rng(0)
    >>> t = np.sort(rng.uniform(0, 100, 300))
    >>> signal = np.sin(2 * np.pi * 0.2 * t)
    >>> kw = {"skip_checks": True, "err_dist": "gauss", "dt": 0.01}
    >>> lc1 = Lightcurve(t, 10 + signal + rng.normal(0, 0.1, 300), **kw)
    >>> lc2 = Lightcurve(t, 10 + signal + rng.normal(0, 0.1, 300), **kw)
    >>> ls = LombScargleCrossspectrum(lc1, lc2, method="slow", max_freq=1)
    >>> round(float(ls.freq[np.argmax(ls.power.real)]), 1)
    0.2
    """


class LombScarglePowerspectrum(_LombScargleFromJax, _sr_ls.LombScarglePowerspectrum):
    """Stingray's `~stingray.lombscargle.LombScarglePowerspectrum`, computed with JAX.

    Same constructor (``LombScarglePowerspectrum(data=None, norm="frac", power_type="all",
    fullspec=False, min_freq=0, max_freq=None, df=None, method="fast", oversampling=5)``);
    ``method="slow"`` uses the exact direct Lomb-Scargle Fourier transform, ``method="fast"``
    a non-uniform FFT (jax-finufft) instead of Stingray's Press & Rybicki extirpolation.

    Examples
    --------
    >>> import numpy as np
    >>> from stingray import Lightcurve
    >>> rng = np.random.default_rng(0)
    >>> t = np.sort(rng.uniform(0, 100, 300))
    >>> lc = Lightcurve(
    ...     t,
    ...     10 + np.sin(2 * np.pi * 0.2 * t) + rng.normal(0, 0.1, 300),
    ...     skip_checks=True,
    ...     err_dist="gauss",
    ...     dt=0.01,
    ... )
    >>> ls = LombScarglePowerspectrum(lc, method="slow", max_freq=1, norm="none")
    >>> round(float(ls.freq[np.argmax(ls.power.real)]), 1)
    0.2
    """


__getattr__, __dir__ = stingray_fallback(__name__, globals())
