"""Pairs of light curves with given power spectra, coherence and time-lag spectrum.

Timmer & Koenig (1995) extended to two series: with independent standard complex Gaussians
``N1(f)``, ``N2(f)``,

    X1 = sqrt(P1) N1
    X2 = sqrt(P2) (sqrt(g2) exp(2 pi i f tau) N1 + sqrt(1 - g2) N2)

so that ``<|X1|^2> = P1``, ``<|X2|^2> = P2``, the cross spectrum ``<conj(X1) X2>`` has
coherence ``g2(f)`` and phase ``2 pi f tau(f)``: Stingray's ``time_lag`` of
``AveragedCrossspectrum(lc1, lc2)`` measures ``tau`` (positive: ``lc1`` lags behind ``lc2``).
Pure JAX: jit-, vmap- (over keys) and grad-able with respect to every spectrum.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from ._simulate import batch_of_keys, simulation_precision

if TYPE_CHECKING:  # jaxtyping is needed by the type checker only (no runtime import)
    from jax.typing import DTypeLike
    from jaxtyping import Float, PRNGKeyArray

    from .._typing import ArrayOut, RealArrayLike

    Spectrum = Callable[..., RealArrayLike] | Float[RealArrayLike, " n_freq"] | float

__all__ = ["simulate_correlated_lightcurves"]


def _values(spec, freq, name, dtype):
    v = spec(freq) if callable(spec) else spec
    v = jnp.broadcast_to(jnp.asarray(v, dtype), freq.shape)
    return v


def _pair(key, p1, p2, g2, tau, freq, n_bins, mean1, mean2):
    dtype = p1.dtype
    keys = jax.random.split(key, 4)
    n_freq = freq.shape[0]

    def cnormal(k_re, k_im):
        re = jax.random.normal(k_re, (n_freq,), dtype)
        im = jax.random.normal(k_im, (n_freq,), dtype)
        if n_bins % 2 == 0:
            im = im.at[-1].set(0.0)
        return jax.lax.complex(re, im) * jnp.sqrt(jnp.asarray(0.5, dtype))

    n1 = cnormal(keys[0], keys[1])
    n2 = cnormal(keys[2], keys[3])
    ang = 2 * jnp.pi * freq * tau
    rot = jax.lax.complex(jnp.cos(ang), jnp.sin(ang))
    x1 = jnp.sqrt(p1) * n1
    x2 = jnp.sqrt(p2) * (jnp.sqrt(g2) * rot * n1 + jnp.sqrt(1 - g2) * n2)
    zero = jnp.zeros(1, x1.dtype)
    lc1 = jnp.fft.irfft(jnp.concatenate([zero, x1]), n=n_bins) + mean1
    lc2 = jnp.fft.irfft(jnp.concatenate([zero, x2]), n=n_bins) + mean2
    return lc1, lc2


@functools.partial(jax.jit, static_argnames=("n_bins",))
def _batch(keys, p1, p2, g2, tau, freq, n_bins, mean1, mean2):
    return jax.vmap(lambda k: _pair(k, p1, p2, g2, tau, freq, n_bins, mean1, mean2))(keys)


def simulate_correlated_lightcurves(
    key: PRNGKeyArray,
    psd1: Spectrum,
    psd2: Spectrum,
    coherence: Spectrum,
    time_lag: Spectrum,
    n_bins: int,
    dt: float,
    mean: tuple[float, float] = (0.0, 0.0),
    dtype: DTypeLike | None = None,
) -> tuple[Float[ArrayOut, "*keys n_bins"], Float[ArrayOut, "*keys n_bins"]]:
    """Simulate pairs of light curves with given PSDs, coherence and time lags.

    Parameters
    ----------
    key : jax.random key
        One key (one pair) or a batch of keys (leading axis), one per pair.
    psd1, psd2 : callable or array
        The power spectra at ``numpy.fft.rfftfreq(n_bins, dt)[1:]`` (callables are evaluated
        there), in the units of ``|rfft(lc)|^2`` (as ``stingray_jax.fourier.simulate_lightcurve``
        with arrays).
    coherence : callable, float or array
        Intrinsic coherence ``g2(f)`` in [0, 1].
    time_lag : callable, float or array
        Time lag ``tau(f)`` in units of ``dt``'s time unit, with Stingray's sign: the
        ``time_lag`` of ``AveragedCrossspectrum(lc1, lc2)`` (positive: lc1 lags lc2).
    n_bins : int
        Number of bins of each light curve.
    dt : float
        Bin time.
    mean : (float, float)
        Means added to the two series.
    dtype : dtype, optional
        ``"float32"`` or ``"float64"``. By default float64 (whatever JAX's global
        ``jax_enable_x64`` flag; NumPy arrays are returned), unless ``psd1`` is a JAX array,
        whose dtype is kept, or the call is traced (JAX's default float).

    Returns
    -------
    lc1, lc2 : arrays, shape (n_bins,) or (n_keys, n_bins)

    Examples
    --------
    >>> import jax
    >>> keys = jax.random.split(jax.random.key(0), 8)
    >>> a, b = simulate_correlated_lightcurves(
    ...     keys, lambda f: f**-1.0, lambda f: f**-1.0, 0.9, 0.5, 512, 0.1, mean=(10.0, 5.0)
    ... )
    >>> a.shape, b.shape
    ((8, 512), (8, 512))
    """
    n_bins = int(n_bins)
    if n_bins < 4:
        raise ValueError(f"n_bins must be at least 4, got {n_bins}")
    if not np.isfinite(dt) or dt <= 0:
        raise ValueError(f"dt must be a positive finite number, got {dt!r}")
    scalars = (psd2, coherence, time_lag, *mean)
    with simulation_precision(key, psd1, scalars, dtype) as (prec, dtype):
        freq = jnp.asarray(np.fft.rfftfreq(n_bins, dt)[1:], dtype)
        p1 = _values(psd1, freq, "psd1", dtype)
        p2 = _values(psd2, freq, "psd2", dtype)
        g2 = _values(coherence, freq, "coherence", dtype)
        tau = _values(time_lag, freq, "time_lag", dtype)
        if not isinstance(p1, jax.core.Tracer):
            if bool(jnp.any(p1 < 0)) or bool(jnp.any(p2 < 0)):
                raise ValueError("the power spectra must be non-negative")
            if bool(jnp.any((g2 < 0) | (g2 > 1))):
                raise ValueError("the coherence must lie in [0, 1]")
            for name, v in (("psd1", p1), ("psd2", p2), ("coherence", g2), ("time_lag", tau)):
                if not bool(jnp.all(jnp.isfinite(v))):
                    raise ValueError(f"{name} has non-finite values")
        keys, single = batch_of_keys(key)
        m1, m2 = (jnp.asarray(m, dtype) for m in mean)
        lc1, lc2 = _batch(keys, p1, p2, g2, tau, freq, n_bins, m1, m2)
        return prec.output((lc1[0], lc2[0]) if single else (lc1, lc2))
