"""Timmer & Koenig (1995) light-curve simulation, with Stingray's ``Simulator`` conventions."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from .._config import precision

if TYPE_CHECKING:  # jaxtyping is needed by the type checker only (no runtime import)
    from jax.typing import DTypeLike
    from jaxtyping import Float, PRNGKeyArray

    from .._typing import ArrayOut, RealArrayLike

__all__ = ["simulate_lightcurve"]


@contextlib.contextmanager
def simulation_precision(key, psd, scalars, dtype):
    """The precision policy of the simulators: yields ``(Precision, working dtype)``.

    The keys are JAX arrays by nature, so only the PSD (when it is an array) and the scalar
    arguments decide: NumPy or Python input (or a callable PSD) simulates in float64 and
    returns NumPy arrays, whatever ``jax_enable_x64``; a JAX-array PSD keeps its dtype; a
    traced call (under ``jit``/``vmap``/``grad``) uses JAX's default float; ``dtype`` overrides.
    """
    traced = any(isinstance(a, jax.core.Tracer) for a in (key, psd, *scalars))
    like = [a for a in (psd, *scalars) if not callable(a)] + ([key] if traced else [])
    with precision(*like, dtype=dtype) as prec:
        work = prec.dtype
        if work is None:
            work = psd.dtype if isinstance(psd, jax.Array) and not traced else float
        yield prec, jnp.dtype(jnp.result_type(work))


def batch_of_keys(key):
    """``(keys, single)``: a leading batch axis for one key (typed or raw uint32 pair)."""
    key = jnp.asarray(key)
    typed = jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key)
    single = key.ndim == (0 if typed else 1)
    return (key[None] if single else key), single


def _psd_shape(psd, n_long, dt, dtype):
    """PSD values at the positive frequencies of a series of ``n_long`` bins (Stingray's way)."""
    n_freq = n_long // 2
    if callable(psd):
        freq = jnp.fft.rfftfreq(n_long, d=dt)[1:].astype(dtype)
        shape = jnp.asarray(psd(freq), dtype)
        if shape.shape != (n_freq,):
            raise ValueError(f"the PSD callable returned shape {shape.shape}, expected ({n_freq},)")
        return shape
    s = jnp.asarray(psd, dtype)
    if s.ndim != 1 or s.size > n_freq:
        raise ValueError(
            f"a PSD array must be one-dimensional with at most {n_freq} values, got {s.shape}"
        )
    # As Stingray: the given values fill the lowest frequencies, zeros above.
    return jnp.zeros(n_freq, dtype).at[: s.size].set(s)


def _simulate_one(key, pds_shape, n_bins, red_noise, mean, rms, poisson):
    n_long = n_bins * red_noise
    k_re, k_im, k_cut, k_poi = jax.random.split(key, 4)
    dtype = pds_shape.dtype
    amp = jnp.sqrt(0.5 * pds_shape)
    real = jax.random.normal(k_re, pds_shape.shape, dtype) * amp
    imag = jax.random.normal(k_im, pds_shape.shape, dtype) * amp
    imag = imag.at[-1].set(0.0)
    dc = jnp.asarray(mean * n_long, dtype)
    spec = jnp.concatenate([dc[None], real]) + 1j * jnp.concatenate([jnp.zeros(1, dtype), imag])
    long_lc = jnp.fft.irfft(spec, n=n_long)
    std = jnp.std(long_lc)
    if red_noise == 1:
        lc = long_lc
    else:
        start = jax.random.randint(k_cut, (), n_bins - 1, red_noise * n_bins - n_bins + 1)
        lc = jax.lax.dynamic_slice(long_lc, (start,), (n_bins,))
    centred = (lc - jnp.mean(lc)) / std
    rescaled = jnp.where(mean == 0, centred * rms, centred * mean * rms + mean)
    if poisson:
        lam = jnp.clip(rescaled, 0.0, None)
        return jax.random.poisson(k_poi, lam).astype(dtype)
    return rescaled


@functools.partial(jax.jit, static_argnames=("n_bins", "red_noise", "poisson"))
def _simulate_batch(keys, pds_shape, n_bins, red_noise, mean, rms, poisson):
    return jax.vmap(lambda k: _simulate_one(k, pds_shape, n_bins, red_noise, mean, rms, poisson))(
        keys
    )


def simulate_lightcurve(
    key: PRNGKeyArray,
    psd: Callable[..., RealArrayLike] | Float[RealArrayLike, " n_freq"],
    n_bins: int,
    dt: float,
    mean: float,
    rms: float,
    red_noise: int = 1,
    poisson: bool = False,
    dtype: DTypeLike | None = None,
) -> Float[ArrayOut, "*keys n_bins"]:
    """Simulate light curves with the Timmer & Koenig (1995) method, vmapped over keys.

    Follows the conventions of ``stingray.simulator.Simulator(dt, N, mean, rms,
    red_noise=...).simulate(psd)``: the Fourier amplitudes at the positive frequencies
    ``rfftfreq(red_noise * n_bins, dt)[1:]`` are complex Gaussians with variance ``psd / 2``
    per component (imaginary part of the last bin set to 0), the zero frequency holds
    ``mean * red_noise * n_bins``; after the inverse FFT a window of ``n_bins`` is cut at a
    random start (when ``red_noise > 1``) and rescaled to
    ``(lc - mean(lc)) / std(long_lc) * mean * rms + mean`` (``rms`` is fractional; with
    ``mean == 0``, ``rms`` is absolute). With ``poisson=True`` negative rates are set to zero
    and counts are drawn from a Poisson distribution.

    Parameters
    ----------
    key : jax.random key
        One key for one light curve, or a batch of keys (leading axis) for many; a batch runs
        in one vmapped, jitted call.
    psd : callable or array
        ``psd(freq)`` evaluated at the simulation frequencies (any JAX-traceable function,
        e.g. a ``stingray_jax`` model bound to its parameters), or an array of PSD values for
        the lowest ``len(psd)`` positive frequencies (Stingray's convention for arrays).
    n_bins : int
        Number of bins of each light curve.
    dt : float
        Bin time.
    mean : float
        Mean of the light curves (counts per bin).
    rms : float
        Fractional rms (absolute if ``mean == 0``).
    red_noise : int, default 1
        Simulate a series ``red_noise`` times longer and cut a window out of it, to include
        power below the lowest frequency (red-noise leak).
    poisson : bool, default False
        Draw Poisson counts from the simulated rates.
    dtype : {None, "float32", "float64"}, optional
        Floating dtype of the result. By default float64 (whatever JAX's global
        ``jax_enable_x64`` flag), unless ``psd`` is a JAX array, whose dtype is kept, or the
        call is traced (under ``jit``/``vmap``: JAX's default float).

    Returns
    -------
    counts : array, shape (n_bins,) or (n_keys, n_bins)

    Raises
    ------
    ValueError
        For ``n_bins < 2``, a bad ``red_noise`` or ``dt``, a negative or non-finite ``rms`` or
        ``mean``, or concrete PSD values that are negative, non-finite or all zero.

    Examples
    --------
    >>> import jax
    >>> keys = jax.random.split(jax.random.key(0), 4)
    >>> lcs = simulate_lightcurve(keys, lambda f: f**-2.0, 256, 0.1, mean=100.0, rms=0.2)
    >>> lcs.shape
    (4, 256)
    >>> bool(abs(float(lcs.mean()) - 100.0) < 1e-3)
    True
    """
    n_bins = int(n_bins)
    red_noise = int(red_noise)
    if n_bins < 2:
        raise ValueError(f"n_bins must be at least 2, got {n_bins}")
    if red_noise < 1:
        raise ValueError(f"red_noise must be a positive integer, got {red_noise}")
    if not np.isfinite(dt) or dt <= 0:
        raise ValueError(f"dt must be a positive finite number, got {dt!r}")
    for name, value in (("rms", rms), ("mean", mean)):
        if not isinstance(value, jax.core.Tracer):
            v = np.asarray(value, dtype=float)
            if v.ndim != 0 or not np.isfinite(v) or (name == "rms" and v < 0):
                raise ValueError(f"{name} must be a finite, non-negative number, got {value!r}")
    with simulation_precision(key, psd, (mean, rms), dtype) as (prec, work):
        keys, single = batch_of_keys(key)
        pds_shape = _psd_shape(psd, n_bins * red_noise, dt, work)
        _check_psd_values(pds_shape)
        out = _simulate_batch(
            keys,
            pds_shape,
            n_bins,
            red_noise,
            jnp.asarray(mean, work),
            jnp.asarray(rms, work),
            bool(poisson),
        )
        out = out[0] if single else out
        return prec.output(out)


def _check_psd_values(pds_shape):
    if isinstance(pds_shape, jax.core.Tracer):
        return
    values = np.asarray(pds_shape)
    if not np.all(np.isfinite(values)):
        raise ValueError("the PSD has NaN or infinite values at the simulation frequencies")
    if np.any(values < 0):
        raise ValueError("the PSD has negative values at the simulation frequencies")
    if not np.any(values > 0):
        raise ValueError("the PSD is zero at every simulation frequency: nothing to simulate")
