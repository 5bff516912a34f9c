"""Batched periodograms of many light curves on a common time grid, in one jitted call.

``avg_pds_batch`` and ``avg_cs_batch``: input checks, segmenting on a fixed grid with a mask,
and the choice of FFT (XLA or the host, ``_host_fft.py``); the normalisation and averaging are
the per-segment kernels of ``_core.py``, shared with the Stingray-shaped functions.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from .._config import precision
from ._core import (
    _POWER_TYPES,
    _avg_cs_kernel,
    _avg_pds_kernel,
    _check_norm,
    _is_concrete,
    positive_fft_bins,
)
from ._host_fft import choose_fft, host_segment_fft

if TYPE_CHECKING:  # jaxtyping is needed by the type checker only (no runtime import)
    from jax import Array
    from jax.typing import DTypeLike
    from jaxtyping import ArrayLike, Bool, Float, Inexact

    from .._config import Precision
    from .._typing import ArrayOut, InexactOut, RealArrayLike

__all__ = ["avg_cs_batch", "avg_pds_batch"]


def _segment_n_bin(n_bins, dt, segment_size):
    if n_bins < 2:
        raise ValueError(f"the light curves must have at least 2 bins, got {n_bins}")
    if segment_size is None:
        return n_bins
    if isinstance(segment_size, jax.core.Tracer):
        raise TypeError("segment_size must be a concrete number (it sets array shapes)")
    segment_size_np = np.asarray(segment_size, dtype=float)
    if segment_size_np.ndim != 0 or not np.isfinite(segment_size_np) or segment_size_np <= 0:
        raise ValueError(f"segment_size must be a positive finite number, got {segment_size!r}")
    ratio = float(segment_size) / float(dt)
    n_seg_bin = int(np.floor(ratio))
    if np.ceil(ratio) - ratio < 1e-5:  # Stingray's fix_segment_size_to_integer_samples
        n_seg_bin = int(np.ceil(ratio))
    if n_seg_bin < 2:
        raise ValueError(f"segment_size={segment_size} holds fewer than 2 bins of dt={dt}")
    if n_seg_bin > n_bins:
        raise ValueError(
            f"segment_size={segment_size} ({n_seg_bin} bins) is longer than the light curves "
            f"({n_bins} bins)"
        )
    return n_seg_bin


def _check_dt(dt):
    if not isinstance(dt, jax.core.Tracer):
        dt_np = np.asarray(dt)
        if dt_np.ndim != 0 or not np.isfinite(dt_np) or dt_np <= 0:
            raise ValueError(f"dt must be a positive finite number, got {dt!r}")


def _split_segments(fluxes, mask, n_seg_bin):
    """(n_lc, n_bins) -> (n_lc, n_seg, n_seg_bin) plus per-segment validity."""
    n_lc, n_bins = fluxes.shape
    n_seg = n_bins // n_seg_bin
    used = n_seg * n_seg_bin
    segs = fluxes[:, :used].reshape(n_lc, n_seg, n_seg_bin)
    nonzero = jnp.any(segs != 0, axis=-1)
    if mask is None:
        valid = nonzero
    else:
        m = mask[:, :used].reshape(n_lc, n_seg, n_seg_bin)
        valid = jnp.all(m, axis=-1) & nonzero
        segs = jnp.where(m, segs, 0)
    return segs, valid


@functools.partial(jax.jit, static_argnames=("n_seg_bin", "norm", "use_common_mean"))
def _avg_pds_batch_jit(fluxes, mask, dt, n_seg_bin, norm, use_common_mean, ft=None):
    segs, valid = _split_segments(fluxes, mask, n_seg_bin)

    def one(seg, w, f):
        return _avg_pds_kernel(seg, w.astype(seg.dtype), None, dt, norm, use_common_mean, f)

    out = jax.vmap(one)(segs, valid, ft)
    freq = jnp.fft.rfftfreq(n_seg_bin, dt)[positive_fft_bins(n_seg_bin)]
    return freq, out["power"]


@functools.partial(jax.jit, static_argnames=("n_seg_bin", "norm", "use_common_mean", "power_type"))
def _avg_cs_batch_jit(
    fluxes1, fluxes2, mask, dt, n_seg_bin, norm, use_common_mean, power_type, ft1=None, ft2=None
):
    segs1, valid1 = _split_segments(fluxes1, mask, n_seg_bin)
    segs2, valid2 = _split_segments(fluxes2, mask, n_seg_bin)
    valid = valid1 & valid2

    def one(s1, s2, w, f1, f2):
        return _avg_cs_kernel(
            s1,
            s2,
            w.astype(s1.dtype),
            None,
            None,
            dt,
            norm,
            use_common_mean,
            power_type=power_type,
            fullspec=False,
            return_auxil=False,
            ft1=f1,
            ft2=f2,
        )

    out = jax.vmap(one)(segs1, segs2, valid, ft1, ft2)
    freq = jnp.fft.rfftfreq(n_seg_bin, dt)[positive_fft_bins(n_seg_bin)]
    return freq, out["power"]


def _prepare_batch(
    fluxes: ArrayLike,
    mask: ArrayLike | None,
    dt: float,
    segment_size: float | None,
    prec: Precision,
) -> tuple[Array, Array | None, int]:
    fluxes = prec.asarray(fluxes)
    if fluxes.ndim != 2:
        raise ValueError(f"fluxes must have shape (n_lightcurves, n_bins), got {fluxes.shape}")
    if fluxes.shape[0] == 0:
        raise ValueError("fluxes holds no light curve (shape (0, n_bins))")
    if not jnp.issubdtype(fluxes.dtype, jnp.inexact):
        fluxes = fluxes.astype(jnp.result_type(float))
    _check_dt(dt)
    if mask is not None:
        mask = jnp.asarray(mask, dtype=bool)
        if mask.shape != fluxes.shape:
            raise ValueError(f"mask shape {mask.shape} differs from fluxes shape {fluxes.shape}")
    if _is_concrete(fluxes):
        finite = jnp.isfinite(fluxes) if mask is None else (jnp.isfinite(fluxes) | ~mask)
        all_finite = jnp.all(finite)  # a tracer inside a jit that closes over ``fluxes``
        if _is_concrete(all_finite) and not bool(all_finite):
            raise ValueError("fluxes contain NaN or infinite values in good bins: mask them")
    n_seg_bin = _segment_n_bin(fluxes.shape[1], dt, segment_size)
    return fluxes, mask, n_seg_bin


def avg_pds_batch(
    fluxes: Float[RealArrayLike, "n_lightcurves n_bins"],
    dt: float,
    segment_size: float | None = None,
    norm: str = "frac",
    use_common_mean: bool = True,
    mask: Bool[ArrayLike, "n_lightcurves n_bins"] | None = None,
    dtype: DTypeLike | None = None,
    fft: str = "auto",
) -> tuple[Float[ArrayOut, " n_freq"], Float[ArrayOut, "n_lightcurves n_freq"]]:
    """Averaged power spectra of many light curves on a common time grid, in one call.

    Each row of ``fluxes`` is cut into consecutive segments of ``segment_size`` (the trailing
    remainder is dropped); a segment enters the average only if every bin of it is unmasked and
    it is not identically zero (Stingray skips all-zero segments too). Per segment, the recipe
    of ``stingray.fourier.avg_pds_from_iterable`` is applied (FFT, positive frequencies,
    normalisation with the common mean or per segment). Everything runs in one jitted, vmapped
    call (the FFT too, unless ``fft`` picks the host FFT): no Python loop over light curves,
    and no recompilation for a new batch of the same shape.

    Parameters
    ----------
    fluxes : array, shape (n_lightcurves, n_bins)
        Counts (or fluxes) per bin, sampled every ``dt``.
    dt : float
        Sampling time.
    segment_size : float, optional
        Segment length in the units of ``dt``. ``None`` (default) uses each whole row as a
        single segment.
    norm : str, default "frac"
        ``"frac"``, ``"abs"``, ``"leahy"`` (Poisson: ``2 / n_ph``) or ``"none"``.
    use_common_mean : bool, default True
        Normalise the average with the mean over all good segments of that light curve
        (Stingray's default) rather than each segment with its own mean.
    mask : bool array, shape (n_lightcurves, n_bins), optional
        ``True`` where a bin is good. Use it for light curves of different lengths (pad with
        anything and mask the padding) or with gaps.
    dtype : {None, "float32", "float64"}, optional
        Working precision. By default NumPy input is computed in float64 (whatever JAX's
        global ``jax_enable_x64`` flag) and returned as NumPy arrays, and JAX arrays keep
        their dtype.
    fft : {"auto", "xla", "host"}, default "auto"
        Where the per-segment FFTs run. ``"xla"``: inside the compiled JAX call (any backend,
        traceable). ``"host"``: ``scipy.fft`` with one thread per available CPU on a NumPy
        copy of the segments, the complex transform then goes through the same JAX
        normalisation and averaging; concrete input only (it raises ``ValueError`` under
        ``jit``, ``vmap`` or ``grad``). ``"auto"``: XLA (the host FFT did not pay on the
        2-core development machine, see ``stingray_jax.fourier._host_fft.HOST_FFT_MIN_SIZE``);
        a gradient through this function always takes the XLA path. Both give the same powers
        to rounding (1e-12 relative in float64, 1e-5 in float32).

    Returns
    -------
    freq : array, shape (n_freq,)
        Positive Fourier frequencies (the Nyquist bin excluded for even segment lengths).
    power : array, shape (n_lightcurves, n_freq)
        The averaged, normalised powers. A light curve with no good segment gives NaN.

    Raises
    ------
    ValueError
        For non-positive ``dt``, non-finite fluxes, fewer than two bins, a bad ``norm``, or a
        ``segment_size`` that is not a positive finite number, holds fewer than two bins or is
        longer than the light curves; for an unknown ``fft``, or ``fft="host"`` with a traced
        argument.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> counts = rng.poisson(100.0, size=(3, 1024)).astype(np.float32)
    >>> freq, power = avg_pds_batch(counts, 0.01, segment_size=1.28, norm="leahy")
    >>> freq.shape, power.shape
    ((63,), (3, 63))
    >>> bool(abs(float(power.mean()) - 2.0) < 0.2)
    True
    """
    norm = _check_norm(norm)
    with precision(fluxes, mask, dt, dtype=dtype) as prec:
        fluxes, mask, n_seg_bin = _prepare_batch(fluxes, mask, dt, segment_size, prec)
        ft: Array | None = None
        if choose_fft(fft, fluxes, mask, dt) == "host":
            ft = host_segment_fft(fluxes, mask, n_seg_bin)
        out = _avg_pds_batch_jit(fluxes, mask, dt, n_seg_bin, norm, bool(use_common_mean), ft)
        return prec.output(out)


def avg_cs_batch(
    fluxes1: Float[RealArrayLike, "n_lightcurves n_bins"],
    fluxes2: Float[RealArrayLike, "n_lightcurves n_bins"],
    dt: float,
    segment_size: float | None = None,
    norm: str = "frac",
    use_common_mean: bool = True,
    mask: Bool[ArrayLike, "n_lightcurves n_bins"] | None = None,
    power_type: str = "all",
    dtype: DTypeLike | None = None,
    fft: str = "auto",
) -> tuple[Float[ArrayOut, " n_freq"], Inexact[InexactOut, "n_lightcurves n_freq"]]:
    """Averaged cross spectra of many pairs of light curves on a common time grid.

    The cross-spectrum analogue of `avg_pds_batch`: ``conj(FFT(fluxes1)) * FFT(fluxes2)`` per
    segment, normalised with the geometric means of the two channels as in
    ``stingray.fourier.avg_cs_from_iterables``. A segment counts only if it is fully unmasked
    and neither channel is identically zero in it.

    Parameters
    ----------
    fluxes1, fluxes2 : array, shape (n_lightcurves, n_bins)
        Subject and reference band light curves.
    dt : float
        Sampling time.
    segment_size : float, optional
        Segment length; ``None`` uses each whole row as one segment.
    norm : str, default "frac"
        ``"frac"``, ``"abs"``, ``"leahy"`` or ``"none"``.
    use_common_mean : bool, default True
        Normalise with the common mean (Stingray's default) or per segment.
    mask : bool array, shape (n_lightcurves, n_bins), optional
        ``True`` where both channels are good.
    power_type : str, default "all"
        ``"all"`` (complex), ``"real"`` or ``"abs"``.
    dtype : {None, "float32", "float64"}, optional
        Working precision, as in `avg_pds_batch` (NumPy input: float64 by default).
    fft : {"auto", "xla", "host"}, default "auto"
        Where the FFTs run, as in `avg_pds_batch` (``"auto"``: XLA; ``"host"``: ``scipy.fft``
        on concrete input).

    Returns
    -------
    freq : array, shape (n_freq,)
    power : array, shape (n_lightcurves, n_freq)
        Complex for ``power_type="all"``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> a = rng.poisson(50.0, size=(2, 512)).astype(np.float32)
    >>> b = rng.poisson(50.0, size=(2, 512)).astype(np.float32)
    >>> freq, cs = avg_cs_batch(a, b, 0.1, segment_size=12.8, norm="leahy")
    >>> cs.shape
    (2, 63)
    """
    norm = _check_norm(norm)
    if power_type not in _POWER_TYPES:
        raise ValueError(f"power_type must be one of {_POWER_TYPES}, got {power_type!r}")
    with precision(fluxes1, fluxes2, mask, dt, dtype=dtype) as prec:
        fluxes1, mask, n_seg_bin = _prepare_batch(fluxes1, mask, dt, segment_size, prec)
        fluxes2, _, _ = _prepare_batch(fluxes2, mask, dt, segment_size, prec)
        if fluxes1.shape != fluxes2.shape:
            raise ValueError(f"fluxes1 {fluxes1.shape} and fluxes2 {fluxes2.shape} differ in shape")
        fts: tuple[Array | None, ...] = (None, None)
        if choose_fft(fft, fluxes1, fluxes2, mask, dt) == "host":
            fts = tuple(host_segment_fft(f, mask, n_seg_bin) for f in (fluxes1, fluxes2))
        out = _avg_cs_batch_jit(
            fluxes1, fluxes2, mask, dt, n_seg_bin, norm, bool(use_common_mean), power_type, *fts
        )
        return prec.output(out)
