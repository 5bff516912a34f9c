"""Stingray's ``stingray.lombscargle``, with the Lomb-Scargle transforms computed by JAX.

`LombScargleCrossspectrum` and `LombScarglePowerspectrum` subclass their Stingray namesakes (same
constructors, attributes and methods); the Lomb-Scargle Fourier transforms of both series come
from :func:`stingray_jax.fourier.lsft`: ``method="slow"`` is the exact direct transform,
``method="fast"`` the same transform through a non-uniform FFT (jax-finufft) instead of
Stingray's Press & Rybicki extirpolation (whose Stingray scaling differs, see the "Differences"
page). Other names of ``stingray.lombscargle`` are Stingray's own, reached through this module.
"""

import numpy as np

from ._config import preserve_global_state, x64_scope
from ._mirror import stingray_fallback
from ._spectra_common import KeepsPrintOptions

with preserve_global_state():
    from stingray import lombscargle as _sr_ls

__all__ = ["LombScargleCrossspectrum", "LombScarglePowerspectrum"]


class _LombScargleFromJax(KeepsPrintOptions):
    def _initialize_from_any_input(self, *args, **kwargs):
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


def _stingray_ls_cross(
    self,
    sr_ls,
    data1,
    data2,
    dt,
    norm,
    power_type,
    fullspec,
    min_freq,
    max_freq,
    df,
    method,
    oversampling,
):
    """Stingray's LombScargleCrossspectrum initialisation with the JAX LSFT."""
    from stingray.events import EventList

    from .fourier._lombscargle import _nufft_available, _uniform_grid, lsft

    # Stingray builds an empty LombScargleCrossspectrum first and copies its attributes.
    sr_ls.LombScargleCrossspectrum._initialize_empty(self)
    if isinstance(data1, EventList):
        data1 = data1.to_lc(dt)
    if isinstance(data2, EventList):
        data2 = data2.to_lc(dt)
    lc1 = data1.apply_gtis(inplace=False)
    lc2 = data2.apply_gtis(inplace=False)
    for lc in (lc1, lc2):
        if lc.n < 2:
            raise ValueError("the light curve has fewer than two points inside its GTIs")
        if not np.all(np.isfinite(lc.counts)):
            raise ValueError("the light curve contains NaN or infinite counts")
    self.lc1, self.lc2 = lc1, lc2
    length = max(lc1.time[-1], lc2.time[-1]) - min(lc1.time[0], lc2.time[0])
    freq = sr_ls._autofrequency(
        min_freq=min_freq,
        max_freq=max_freq,
        df=df,
        dt=np.min([lc1.dt, lc2.dt]),
        length=length,
        nyquist_factor=1,
    )
    # Epoch subtraction in NumPy. |LSFT| is invariant under a time shift (its phase is not, in
    # Stingray's convention, but a power spectrum only uses |LSFT|**2); with absolute mission
    # times Stingray loses ~1e-5 relative precision that the offsets keep.
    t_ref = lc1.time[0]
    tt1 = np.asarray(lc1.time - t_ref, dtype=float)
    tt2 = np.asarray(lc2.time - t_ref, dtype=float)
    # "fast": the same exact transform through a NUFFT on Stingray's uniform frequency grid
    # (instead of Press & Rybicki extirpolation, whose Stingray scaling differs, see docs).
    fpos = freq[freq >= 0]
    use_nufft = method == "fast" and _uniform_grid(fpos) is not None and _nufft_available()
    kind = "nufft" if use_nufft else "direct"
    ft1 = np.asarray(lsft(np.asarray(lc1.counts, float), tt1, freq, method=kind))
    ft2 = np.asarray(lsft(np.asarray(lc2.counts, float), tt2, freq, method=kind))
    if fullspec:
        ft1 = np.concatenate([np.conjugate(np.flip(ft1)), [0.0], ft1])
        ft2 = np.concatenate([np.conjugate(np.flip(ft2)), [0.0], ft2])
        fpos = np.concatenate([np.flip(-fpos), [0.0], fpos])
    cross = ft1 * np.conjugate(ft2)
    self.unnorm_power = cross
    self.freq = fpos
    self.norm = norm
    self.power_type = power_type
    self.fullspec = fullspec
    self.min_freq = min_freq
    self.max_freq = max_freq
    self.oversampling = oversampling
    self.nphots1 = lc1.counts.sum()
    self.nphots2 = lc2.counts.sum()
    self.dt = lc1.dt
    self.n = lc1.n
    self.method = method
    self.err_dist = "poisson"
    if lc1.err_dist == "poisson":
        self.variance1 = lc1.meancounts
    else:
        self.variance1 = np.mean(lc1.counts_err) ** 2
        self.err_dist = "gauss"
    if lc2.err_dist == "poisson":
        self.variance2 = lc2.meancounts
    else:
        self.variance2 = np.mean(lc2.counts_err) ** 2
        self.err_dist = "gauss"
    self.power = self._normalize_crossspectrum(self.unnorm_power)
    if power_type == "real":
        self.power = np.real(self.power)
        self.unnorm_power = np.real(self.power)
    elif power_type == "absolute":
        self.power = np.abs(self.power)
        self.unnorm_power = np.abs(self.power)
