"""JAX kernels for (cross) periodograms: normalisations, per-segment FFTs and averaging.

Everything here is a pure function of arrays. The segment extraction from event lists and GTIs
(NumPy, float64 offsets from a reference epoch) lives in ``_timeseries.py``; the batched
periodograms of many light curves on a common time grid (``avg_pds_batch``, ``avg_cs_batch``)
in ``_batched.py``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

if TYPE_CHECKING:  # jaxtyping is needed by the type checker only (no runtime import)
    from jaxtyping import ArrayLike, Inexact

    from .._typing import InexactOut, RealArrayLike

__all__ = [
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


@functools.partial(jax.jit, static_argnames=("return_segments", "n_rows"))
def _pds_segment_sums(
    fluxes, weights, norm_weights=None, rows=None, return_segments=False, n_rows=None
):
    """Weighted mean of the segment periodograms (and with ``norm_weights``, if given).

    With ``rows`` (one integer per segment, below the static ``n_rows``), one weighted mean
    per row: the segments of several observations in one call, each observation's segments
    averaged on their own (a row without weight, padding, gives zeros)."""
    if jnp.issubdtype(fluxes.dtype, jnp.integer):
        fluxes = fluxes.astype(weights.dtype)
    ft = _segment_ft(fluxes)
    unnorm = jnp.real(ft) ** 2 + jnp.imag(ft) ** 2
    if rows is None:
        n_ave = jnp.sum(weights)
        out = {"unnorm": jnp.dot(weights.astype(unnorm.dtype), unnorm) / n_ave}
        if norm_weights is not None:
            out["norm"] = jnp.dot(norm_weights.astype(unnorm.dtype), unnorm) / n_ave
    else:

        def row_sums(w):
            return jax.ops.segment_sum(
                w.astype(unnorm.dtype)[:, None] * unnorm, rows, num_segments=n_rows
            )

        n_ave = jax.ops.segment_sum(weights, rows, num_segments=n_rows)[:, None]
        n_ave = jnp.where(n_ave > 0, n_ave, jnp.ones((), n_ave.dtype))
        out = {"unnorm": row_sums(weights) / n_ave}
        if norm_weights is not None:
            out["norm"] = row_sums(norm_weights) / n_ave
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
