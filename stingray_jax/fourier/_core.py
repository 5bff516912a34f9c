"""JAX kernels for (cross) periodograms: normalisations, per-segment FFTs and averaging.

Everything here is a pure function of arrays. The segment extraction from event lists and GTIs
(NumPy, float64 offsets from a reference epoch) lives in ``_timeseries.py``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from .._config import precision
from ._host_fft import choose_fft, host_segment_fft

if TYPE_CHECKING:  # jaxtyping is needed by the type checker only (no runtime import)
    from jax import Array
    from jax.typing import DTypeLike
    from jaxtyping import ArrayLike, Bool, Float, Inexact

    from .._config import Precision
    from .._typing import ArrayOut, InexactOut, RealArrayLike

__all__ = [
    "avg_cs_batch",
    "avg_pds_batch",
    "normalize_periodograms",
    "poisson_level",
    "positive_fft_bins",
]

_NORMS = ("frac", "abs", "leahy", "none")
_POWER_TYPES = ("all", "real", "abs", "absolute")


def positive_fft_bins(n_bin: int, include_zero: bool = False) -> slice:
    """Give the range of positive frequencies of a complex FFT.

    Same as ``stingray.fourier.positive_fft_bins``: the slice of the bins of a NumPy-ordered
    complex FFT of ``n_bin`` points that hold the positive frequencies (the Nyquist bin of an
    even-length transform is excluded, as in Stingray). The same slice applies to the output of
    ``jnp.fft.rfft``, whose first ``n_bin // 2 + 1`` bins coincide with the complex FFT's.

    Parameters
    ----------
    n_bin : int
        The number of bins in the FFT, including all frequencies.
    include_zero : bool, default False
        Include the zero frequency in the output slice.

    Returns
    -------
    positive_bins : slice
        Slice object selecting the positive frequency bins.

    Examples
    --------
    >>> positive_fft_bins(10)
    slice(1, 5, None)
    >>> positive_fft_bins(11, include_zero=True)
    slice(0, 6, None)
    """
    n_bin = int(n_bin)
    minbin = 0 if include_zero else 1
    if n_bin % 2 == 0:
        return slice(minbin, n_bin // 2)
    return slice(minbin, (n_bin + 1) // 2)


def poisson_level(
    norm: str = "frac",
    meanrate: RealArrayLike | None = None,
    n_ph: RealArrayLike | None = None,
    backrate: RealArrayLike = 0,
) -> RealArrayLike:
    """Poisson (white) noise level of a periodogram of pure counting noise.

    Same signature and values as ``stingray.fourier.poisson_level``: Leahy 2, fractional rms
    ``2 meanrate / (meanrate - backrate)**2``, absolute rms ``2 meanrate``, unnormalised
    ``n_ph``. Works on Python numbers and on (traced) JAX arrays alike.

    Parameters
    ----------
    norm : str, default "frac"
        One of ``"abs"``, ``"frac"``, ``"leahy"``, ``"none"``.
    meanrate : float or array, optional
        Mean count rate in counts/s (needed for ``"abs"`` and ``"frac"``).
    n_ph : float or array, optional
        Total number of counts (needed for ``"none"``).
    backrate : float or array, default 0
        Background count rate (``"frac"`` only).

    Returns
    -------
    power_noise : float or array
        The Poisson noise level in the requested normalisation.

    Raises
    ------
    ValueError
        For an unknown ``norm`` or when the quantity it needs is missing.

    Examples
    --------
    >>> poisson_level(norm="leahy")
    2.0
    >>> poisson_level(norm="frac", meanrate=10.0)
    0.2
    >>> poisson_level(norm="abs", meanrate=10.0)
    20.0
    """
    if not isinstance(norm, str):
        raise TypeError(f"norm must be a string, got {norm!r}")
    if (norm.lower() in ("abs", "frac") and meanrate is None) or (
        norm.lower() == "none" and n_ph is None
    ):
        raise ValueError(f"Bad input parameters for norm {norm}: n_ph={n_ph}, meanrate={meanrate}")
    if norm == "abs":
        return 2.0 * meanrate  # type: ignore[operator]  # given for this norm
    if norm == "frac":
        return 2.0 / (meanrate - backrate) ** 2 * meanrate  # type: ignore[operator]  # given for this norm
    if norm == "leahy":
        return 2.0
    if norm == "none":
        return n_ph * 1.0  # type: ignore[operator]  # given for this norm
    raise ValueError(f"Unknown value for norm: {norm}")


def _is_concrete(x):
    return not isinstance(x, jax.core.Tracer)


def normalize_periodograms(
    unnorm_power: Inexact[ArrayLike, " *shape"],
    dt: float,
    n_bin: int,
    mean_flux: RealArrayLike | None = None,
    n_ph: RealArrayLike | None = None,
    variance: RealArrayLike | None = None,
    background_flux: RealArrayLike = 0.0,
    norm: str = "frac",
    power_type: str = "all",
) -> Inexact[InexactOut, " *shape"]:
    """Normalise an unnormalised (cross) periodogram.

    Same signature and formulas as ``stingray.fourier.normalize_periodograms``: Leahy
    ``2 / n_ph`` (or ``2 / (variance n_bin)`` when a measurement variance is given), fractional
    rms ``2 dt / ((mean_flux - background_flux)**2 n_bin)``, absolute rms ``2 / (n_bin dt)``,
    ``"none"`` leaves the powers alone. Works in JAX (jit-, vmap- and grad-able); the string
    arguments are static.

    Parameters
    ----------
    unnorm_power : array
        Unnormalised (cross) powers, real or complex.
    dt : float
        Sampling time.
    n_bin : int
        Number of bins of the light curve (segment).
    mean_flux : float, optional
        Mean counts per bin (geometric mean of both channels for cross spectra); ``"frac"``.
    n_ph : float, optional
        Number of counts in the segment; ``"leahy"`` without ``variance``.
    variance : float, optional
        Mean variance of the flux measurements (square of the mean error bar); ``"leahy"``.
    background_flux : float, default 0
        Background flux in the units of ``mean_flux``; ``"frac"``.
    norm : str, default "frac"
        ``"leahy"``, ``"frac"``, ``"abs"`` or ``"none"``.
    power_type : str, default "all"
        ``"all"`` (complex), ``"real"``, or ``"abs"``/``"absolute"``.

    Returns
    -------
    power : array
        The normalised powers.

    Examples
    --------
    >>> import numpy as np
    >>> p = normalize_periodograms(np.array([4.0, 8.0]), 0.5, 8, mean_flux=2.0, norm="frac")
    >>> np.asarray(p)
    array([0.125, 0.25 ])
    """
    if norm == "leahy" and variance is not None:
        if _is_concrete(variance) and np.any(np.asarray(variance) == 0.0):
            raise ValueError("The variance used to normalize the periodogram is 0.")
        pds = unnorm_power * 2.0 / (variance * n_bin)
    elif norm == "leahy":
        pds = unnorm_power * 2.0 / n_ph  # type: ignore[operator]  # given for this norm
    elif norm == "frac":
        if _is_concrete(background_flux) and np.all(np.asarray(background_flux) == 0):
            pds = unnorm_power * 2.0 * dt / (mean_flux**2 * n_bin)  # type: ignore[operator]  # given for this norm
        else:
            pds = unnorm_power * 2.0 * dt / ((mean_flux - background_flux) ** 2 * n_bin)  # type: ignore[operator]  # given for this norm
    elif norm == "abs":
        pds = unnorm_power * 2.0 / n_bin / dt
    elif norm == "none":
        pds = unnorm_power
    else:
        raise ValueError("Unknown value for the norm")

    if power_type == "all":
        return pds
    if power_type == "real":
        return jnp.real(pds)
    if power_type in ("abs", "absolute"):
        return jnp.abs(pds)
    raise ValueError("Unrecognized power type")


def _check_norm(norm):
    if not isinstance(norm, str):
        raise TypeError(f"norm must be a string, got {norm!r}")
    if norm.lower() not in _NORMS:
        raise ValueError(f"norm must be one of {_NORMS}, got {norm!r}")
    return norm.lower()


# ------------------------------------------------------------------------------------------------
# Per-segment kernels. ``fluxes`` has shape (n_seg, n_bin); ``weights`` (n_seg,) is 1 for a
# segment that enters the average and 0 for padding or an invalid segment.
# ------------------------------------------------------------------------------------------------


def _segment_ft(fluxes, fullspec=False, ft=None):
    """Positive-frequency FFT of each segment; ``ft``: the unsliced transform computed already
    (the host FFT of ``_host_fft``, ``rfft`` or ``fft`` of ``fluxes``; not with ``fullspec``)."""
    n_bin = fluxes.shape[-1]
    if ft is not None:
        return ft[..., positive_fft_bins(n_bin)]
    if fullspec:
        return jnp.fft.fft(fluxes, axis=-1)
    if jnp.iscomplexobj(fluxes):
        return jnp.fft.fft(fluxes, axis=-1)[..., positive_fft_bins(n_bin)]
    return jnp.fft.rfft(fluxes, axis=-1)[..., positive_fft_bins(n_bin)]


def _weighted_mean(weights, values, n_ave):
    w = weights.reshape(weights.shape + (1,) * (values.ndim - 1)).astype(values.dtype)
    return jnp.sum(w * values, axis=0) / n_ave


@functools.partial(jax.jit, static_argnames=("norm", "use_common_mean"))
def _avg_pds_kernel(fluxes, weights, variances, dt, norm, use_common_mean, ft=None):
    """Average periodogram of the weighted segments of ``fluxes`` (Stingray's recipe)."""
    n_bin = fluxes.shape[-1]
    ft = _segment_ft(fluxes, ft=ft)
    unnorm = jnp.real(ft) ** 2 + jnp.imag(ft) ** 2
    n_ph_seg = jnp.sum(fluxes, axis=-1)
    n_ave = jnp.sum(weights)
    unnorm_avg = _weighted_mean(weights, unnorm, n_ave)
    n_ph = jnp.sum(weights * n_ph_seg) / n_ave
    common_mean = n_ph / n_bin
    common_variance = None if variances is None else jnp.sum(weights * variances) / n_ave
    if use_common_mean:
        factor = normalize_periodograms(
            1.0, dt, n_bin, common_mean, n_ph=n_ph, norm=norm, variance=common_variance
        )
        power = unnorm_avg * factor
        seg_power = unnorm * factor
    else:
        var_seg = None if variances is None else variances[:, None]
        # Padded (zero-weight) segments may hold zeros: keep their normalisation finite.
        safe_n_ph = jnp.where(weights > 0, n_ph_seg, 1.0)
        if var_seg is not None:
            var_seg = jnp.where(weights[:, None] > 0, var_seg, 1.0)
        seg_power = normalize_periodograms(
            unnorm,
            dt,
            n_bin,
            (safe_n_ph / n_bin)[:, None],
            n_ph=safe_n_ph[:, None],
            norm=norm,
            variance=var_seg,
        )
        power = _weighted_mean(weights, seg_power, n_ave)
    return {
        "power": power,
        "unnorm_power": unnorm_avg,
        "n_ave": n_ave,
        "nphots": n_ph,
        "mean": common_mean,
        "variance": common_variance,
        "seg_power": seg_power,
        "seg_unnorm_power": unnorm,
    }


@functools.partial(
    jax.jit, static_argnames=("norm", "use_common_mean", "power_type", "fullspec", "return_auxil")
)
def _avg_cs_kernel(
    fluxes1,
    fluxes2,
    weights,
    variances1,
    variances2,
    dt,
    norm,
    use_common_mean,
    power_type="all",
    fullspec=False,
    return_auxil=True,
    ft1=None,
    ft2=None,
):
    """Average cross spectrum (and auxiliary power spectra) of the weighted segments."""
    n_bin = fluxes1.shape[-1]
    ft1 = _segment_ft(fluxes1, fullspec, ft1)
    ft2 = _segment_ft(fluxes2, fullspec, ft2)
    unnorm = jnp.conj(ft1) * ft2
    n_ph1_seg = jnp.sum(fluxes1, axis=-1)
    n_ph2_seg = jnp.sum(fluxes2, axis=-1)
    n_ave = jnp.sum(weights)
    has_var = variances1 is not None and variances2 is not None
    out = {"n_ave": n_ave}

    n_ph1 = jnp.sum(weights * n_ph1_seg) / n_ave
    n_ph2 = jnp.sum(weights * n_ph2_seg) / n_ave
    n_ph = jnp.sqrt(n_ph1 * n_ph2)
    mean1, mean2, mean = n_ph1 / n_bin, n_ph2 / n_bin, n_ph / n_bin
    var1 = var2 = var = None
    if has_var:
        var1 = jnp.sum(weights * variances1) / n_ave
        var2 = jnp.sum(weights * variances2) / n_ave
        var = jnp.sqrt(var1 * var2)
    unnorm_avg = _weighted_mean(weights, unnorm, n_ave)
    if return_auxil:
        unnorm_p1 = jnp.real(ft1 * jnp.conj(ft1))
        unnorm_p2 = jnp.real(ft2 * jnp.conj(ft2))
        out["unnorm_pds1"] = _weighted_mean(weights, unnorm_p1, n_ave)
        out["unnorm_pds2"] = _weighted_mean(weights, unnorm_p2, n_ave)

    def norm_seg(power, n_ph_seg, var_seg):
        safe = jnp.where(weights > 0, n_ph_seg, 1.0)[:, None]
        if var_seg is not None:
            var_seg = jnp.where(weights > 0, var_seg, 1.0)[:, None]
        return normalize_periodograms(
            power,
            dt,
            n_bin,
            safe / n_bin,
            n_ph=safe,
            norm=norm,
            variance=var_seg,
            power_type=power_type,
        )

    if use_common_mean:
        kw = {"norm": norm, "power_type": power_type}
        out["power"] = normalize_periodograms(
            unnorm_avg, dt, n_bin, mean, n_ph=n_ph, variance=var, **kw
        )
        out["seg_power"] = normalize_periodograms(
            unnorm, dt, n_bin, mean, n_ph=n_ph, variance=var, **kw
        )
        if return_auxil:
            out["pds1"] = normalize_periodograms(
                out["unnorm_pds1"], dt, n_bin, mean1, n_ph=n_ph1, variance=var1, **kw
            )
            out["pds2"] = normalize_periodograms(
                out["unnorm_pds2"], dt, n_bin, mean2, n_ph=n_ph2, variance=var2, **kw
            )
    else:
        seg_var = None if not has_var else jnp.sqrt(variances1 * variances2)
        seg_power = norm_seg(unnorm, jnp.sqrt(n_ph1_seg * n_ph2_seg), seg_var)
        out["seg_power"] = seg_power
        out["power"] = _weighted_mean(weights, seg_power, n_ave)
        if return_auxil:
            p1 = norm_seg(unnorm_p1, n_ph1_seg, variances1 if has_var else None)
            p2 = norm_seg(unnorm_p2, n_ph2_seg, variances2 if has_var else None)
            out["pds1"] = _weighted_mean(weights, p1, n_ave)
            out["pds2"] = _weighted_mean(weights, p2, n_ave)
    out.update(
        unnorm_power=unnorm_avg,
        seg_unnorm_power=unnorm,
        nphots=n_ph,
        nphots1=n_ph1,
        nphots2=n_ph2,
        mean=mean,
        mean1=mean1,
        mean2=mean2,
        variance=var,
        variance1=var1,
        variance2=var2,
    )
    return out


# ------------------------------------------------------------------------------------------------
# Normalisation-agnostic kernels for the Stingray-compatible functions. Normalising a segment
# multiplies its unnormalised spectrum by a scalar, so any normalisation (common mean or per
# segment) is a weighted sum over segments: the kernels take the per-segment weights and are
# compiled once per array shape, whatever ``norm``, ``use_common_mean`` or ``power_type``.
# ------------------------------------------------------------------------------------------------


@functools.partial(jax.jit, static_argnames=("return_segments",))
def _pds_segment_sums(fluxes, weights, norm_weights=None, return_segments=False):
    """Weighted mean of the segment periodograms (and with ``norm_weights``, if given)."""
    if jnp.issubdtype(fluxes.dtype, jnp.integer):
        fluxes = fluxes.astype(weights.dtype)
    ft = _segment_ft(fluxes)
    unnorm = jnp.real(ft) ** 2 + jnp.imag(ft) ** 2
    n_ave = jnp.sum(weights)
    out = {"unnorm": jnp.dot(weights.astype(unnorm.dtype), unnorm) / n_ave}
    if norm_weights is not None:
        out["norm"] = jnp.dot(norm_weights.astype(unnorm.dtype), unnorm) / n_ave
    if return_segments:
        out["segments"] = unnorm
    return out


@functools.partial(jax.jit, static_argnames=("fullspec", "return_auxil", "return_segments"))
def _cs_segment_sums(
    fluxes1,
    fluxes2,
    weights,
    nw,
    nw_abs,
    nw1,
    nw2,
    fullspec=False,
    return_auxil=True,
    return_segments=False,
):
    if jnp.issubdtype(fluxes1.dtype, jnp.integer):
        fluxes1 = fluxes1.astype(weights.dtype)
    if jnp.issubdtype(fluxes2.dtype, jnp.integer):
        fluxes2 = fluxes2.astype(weights.dtype)
    ft1 = _segment_ft(fluxes1, fullspec)
    ft2 = _segment_ft(fluxes2, fullspec)
    unnorm = jnp.conj(ft1) * ft2
    n_ave = jnp.sum(weights)
    rdt = jnp.real(unnorm).dtype

    def wsum(w, x):
        return jnp.einsum("s,sf->f", w.astype(rdt).astype(x.dtype), x) / n_ave

    out = {
        "unnorm": wsum(weights, unnorm),
        "norm": wsum(nw, unnorm),
        "norm_abs": wsum(nw_abs, jnp.abs(unnorm)),
    }
    if return_auxil:
        p1 = jnp.real(ft1 * jnp.conj(ft1))
        p2 = jnp.real(ft2 * jnp.conj(ft2))
        out.update(
            unnorm_pds1=wsum(weights, p1),
            unnorm_pds2=wsum(weights, p2),
            pds1=wsum(nw1, p1),
            pds2=wsum(nw2, p2),
        )
    if return_segments:
        out["segments"] = unnorm
    return out


# ------------------------------------------------------------------------------------------------
# Batched entry points: many light curves on a common time grid.
# ------------------------------------------------------------------------------------------------


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
