"""Batched, differentiable Lomb-Scargle periodogram and Lomb-Scargle Fourier transform.

Two evaluation paths:

- ``"direct"``: the O(N M) sums, evaluated exactly as astropy's ``method="slow"`` (the time
  shift tau is computed first, then the tau-shifted sums), chunked over frequencies with
  ``lax.map`` so memory stays bounded. Works for any frequency array, also a traced one.
- ``"nufft"``: the trigonometric sums from type-1 non-uniform FFTs (jax-finufft) on a uniform
  frequency grid, combined with the double-angle identities; O(N + M log M).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from .._config import precision

if TYPE_CHECKING:  # jaxtyping is needed by the type checker only (no runtime import)
    from jax.typing import DTypeLike
    from jaxtyping import ArrayLike, Bool, Complex, Float

    from .._typing import ArrayOut, InexactOut, RealArrayLike

__all__ = ["lomb_scargle", "lsft"]

_NORMALIZATIONS = ("standard", "model", "log", "psd")


def _chunk_size(n_t, n_f, budget=2**21):
    return int(max(1, min(n_f, budget // max(n_t, 1))))


def _map_freq_chunks(fn, freq, n_t):
    """Apply ``fn(freq_chunk) -> pytree of (chunk,) arrays`` over all frequencies."""
    n_f = freq.shape[0]
    chunk = _chunk_size(n_t, n_f)
    n_chunks = -(-n_f // chunk)
    pad = n_chunks * chunk - n_f
    fpad = jnp.concatenate([freq, jnp.full((pad,), freq[-1], freq.dtype)]) if pad else freq
    out = jax.lax.map(fn, fpad.reshape(n_chunks, chunk))
    return jax.tree_util.tree_map(lambda a: a.reshape(-1)[:n_f], out)


# ------------------------------------------------------------------------------------------------
# Direct path (astropy's slow recipe)
# ------------------------------------------------------------------------------------------------


def _ls_direct_chunk(t, y, w, freq, fit_mean):
    omega_t = 2 * jnp.pi * freq[None, :] * t[:, None]
    sin_ot, cos_ot = jnp.sin(omega_t), jnp.cos(omega_t)
    S2 = 2 * (w @ (sin_ot * cos_ot))
    C2 = 2 * (w @ (0.5 - sin_ot**2))
    if fit_mean:
        S = w @ sin_ot
        C = w @ cos_ot
        S2 = S2 - 2 * S * C
        C2 = C2 - (C * C - S * S)
    ott = omega_t - 0.5 * jnp.arctan2(S2, C2)[None, :]
    sin_t, cos_t = jnp.sin(ott), jnp.cos(ott)
    wy = w * y
    YC = wy @ cos_t
    YS = wy @ sin_t
    CC = w @ (cos_t * cos_t)
    SS = w @ (sin_t * sin_t)
    if fit_mean:
        Y = jnp.dot(w, y)
        Ct = w @ cos_t
        St = w @ sin_t
        YC = YC - Y * Ct
        YS = YS - Y * St
        CC = CC - Ct * Ct
        SS = SS - St * St
    return YC * YC / CC + YS * YS / SS


# ------------------------------------------------------------------------------------------------
# NUFFT path
# ------------------------------------------------------------------------------------------------


def _nufft_sums(t, sources, prefactor_freqs, df, n_modes, eps):
    """sum_j s_j exp(2 pi i (q f0 + k df) t_j) for k = 0..n_modes-1.

    ``t`` has shape (B, N) and ``sources`` (B, S, N); ``prefactor_freqs`` (S,) gives ``q f0``
    for each source row. jax-finufft's batching rule is not usable with this JAX version, so the
    batch is passed explicitly (one point set per series, S transforms sharing it).
    """
    from jax_finufft import nufft1

    u = df * t
    x = 2 * jnp.pi * (u - jnp.round(u))
    shift = jnp.exp(1j * (n_modes // 2) * x)
    phase = jnp.exp(2j * jnp.pi * prefactor_freqs[None, :, None] * t[:, None, :])
    src = sources.astype(phase.dtype) * phase * shift[:, None, :]
    return nufft1(n_modes, src, x, eps=eps, iflag=1)


def _half_angle(s2, c2):
    """``cos, sin`` of ``tau`` and ``2 tau`` for ``2 tau = arctan2(s2, c2)``, without trigonometry.

    ``cos 2tau = c2 / r`` and ``sin 2tau = s2 / r`` (``r = hypot(s2, c2)``); the half angle
    ``tau`` in ``(-pi/2, pi/2]`` comes from whichever of ``cos tau = sqrt((1 + cos 2tau) / 2)``
    and ``|sin tau| = sqrt((1 - cos 2tau) / 2)`` is free of cancellation, the other from
    ``sin 2tau = 2 sin tau cos tau``: a few ulp, and three times faster than ``arctan2`` plus
    four sines and cosines on 10^5 frequencies. Safe (finite) gradients everywhere.
    """
    r = jnp.hypot(s2, c2)
    zero = r == 0  # arctan2(0, 0) = 0
    r_safe = jnp.where(zero, 1.0, r)
    c2t = jnp.where(zero, 1.0, c2 / r_safe)
    s2t = jnp.where(zero, 0.0, s2 / r_safe)
    right = c2t >= 0  # |2 tau| <= pi / 2: cos tau >= 1/sqrt(2)
    ct_r = jnp.sqrt(jnp.where(right, 0.5 * (1.0 + c2t), 1.0))
    st_l = jnp.where(s2t >= 0, 1.0, -1.0) * jnp.sqrt(jnp.where(right, 1.0, 0.5 * (1.0 - c2t)))
    ct = jnp.where(right, ct_r, 0.5 * s2t / st_l)
    st = jnp.where(right, 0.5 * s2t / ct_r, st_l)
    return ct, st, c2t, s2t


def _ls_nufft_batch(t, y, w, f0, df, n_freq, fit_mean, eps):
    """Unnormalised LS power for a batch (B, N) on the grid f0 + k df, k < n_freq."""
    t = t - t[:, :1]
    pre = jnp.asarray([f0, f0], dtype=t.dtype)
    out = _nufft_sums(t, jnp.stack([w * y, w], axis=1), pre, df, n_freq, eps)
    wy_e = out[:, 0]  # sum w y e^{i w t}
    w_e = out[:, 1]  # sum w e^{i w t}
    # sum w e^{2 i w t}: the same frequency grid at doubled times (n_freq modes, rather than
    # every other mode of a transform twice as long)
    w_e2 = _nufft_sums(2 * t, w[:, None, :], pre[:1], df, n_freq, eps)[:, 0]
    YC0, YS0 = jnp.real(wy_e), jnp.imag(wy_e)
    C, S = jnp.real(w_e), jnp.imag(w_e)
    C2w, S2w = jnp.real(w_e2), jnp.imag(w_e2)
    S2, C2 = S2w, C2w
    if fit_mean:
        S2 = S2 - 2 * S * C
        C2 = C2 - (C * C - S * S)
    ct, st, c2t, s2t = _half_angle(S2, C2)
    YC = YC0 * ct + YS0 * st
    YS = YS0 * ct - YC0 * st
    wsum = jnp.sum(w, axis=-1, keepdims=True)
    CC = 0.5 * (wsum + C2w * c2t + S2w * s2t)
    SS = 0.5 * (wsum - C2w * c2t - S2w * s2t)
    if fit_mean:
        Y = jnp.sum(w * y, axis=-1, keepdims=True)
        Ct = C * ct + S * st
        St = S * ct - C * st
        YC = YC - Y * Ct
        YS = YS - Y * St
        CC = CC - Ct * Ct
        SS = SS - St * St
    return YC * YC / CC + YS * YS / SS


# ------------------------------------------------------------------------------------------------
# Public function
# ------------------------------------------------------------------------------------------------


def _prepare_weights(y, dy, mask):
    dtype = y.dtype
    w = jnp.ones_like(y) if dy is None else jnp.asarray(dy, dtype) ** -2.0
    w = jnp.broadcast_to(w, y.shape)
    if mask is not None:
        w = jnp.where(mask, w, 0.0)
    return w


def _prep_one(t, y, w_raw, fit_mean, center_data):
    y = jnp.where(w_raw > 0, y, 0.0)
    w = w_raw / jnp.sum(w_raw)
    if fit_mean or center_data:
        y = y - jnp.dot(w, y)
    return jnp.where(w_raw > 0, y, 0.0), w


def _normalise(p, y, w, w_raw, normalization):
    YY = jnp.sum(w * y * y, axis=-1, keepdims=True)
    if normalization == "standard":
        return p / YY
    if normalization == "model":
        return p / (YY - p)
    if normalization == "log":
        return -jnp.log(1 - p / YY)
    return p * 0.5 * jnp.sum(w_raw, axis=-1, keepdims=True)


@functools.partial(
    jax.jit,
    static_argnames=("grid", "fit_mean", "center_data", "normalization", "method", "eps"),
)
def _ls_batch(t, y, dy, mask, freq, grid, fit_mean, center_data, normalization, method, eps):
    """The batch periodogram and whether every unmasked point is finite (one compiled call)."""
    w_raw = _prepare_weights(y, dy, mask)
    finite = jnp.all(jnp.where(w_raw > 0, jnp.isfinite(y) & jnp.isfinite(t), True))
    if dy is not None:  # dy = 0 gives an infinite weight, a negative dy a meaningless one
        used = jnp.ones(y.shape, bool) if mask is None else mask
        good_dy = jnp.where(used, (dy > 0) & jnp.isfinite(dy), True)
        finite = jnp.stack([finite, jnp.all(good_dy)])
    else:
        finite = jnp.stack([finite, jnp.asarray(True)])
    y, w = jax.vmap(lambda tt, yy, ww: _prep_one(tt, yy, ww, fit_mean, center_data))(t, y, w_raw)
    # Masked points (zero weight) sit on the first unmasked time, so that whatever they hold
    # (NaN padding included) stays out of the sums.
    first = jnp.take_along_axis(t, jnp.argmax(w_raw > 0, axis=-1)[:, None], axis=-1)
    t = jnp.where(w_raw > 0, t, first)
    if method == "nufft":
        f0, df, n_freq = grid
        p = _ls_nufft_batch(t, y, w, f0, df, n_freq, fit_mean, eps)
    else:

        def one(tt, yy, ww):
            return _map_freq_chunks(
                lambda fc: _ls_direct_chunk(tt, yy, ww, fc, fit_mean), freq, tt.shape[0]
            )

        p = jax.vmap(one)(t, y, w)
    return _normalise(p, y, w, w_raw, normalization), finite


def _uniform_grid(freq):
    """(f0, df, n) if ``freq`` is a concrete uniform grid with n >= 2, else None."""
    if isinstance(freq, jax.core.Tracer):
        return None
    f = np.asarray(freq, dtype=float)
    if f.ndim != 1 or f.size < 2:
        return None
    df = (f[-1] - f[0]) / (f.size - 1)
    if not df > 0:
        return None
    # every frequency on the grid f0 + k df (one pass; implies uniform spacing)
    dev = np.max(np.abs(f - (f[0] + df * np.arange(f.size))))
    if not dev <= 1e-12 * max(abs(f[0]), abs(f[-1])):
        return None
    return float(f[0]), float(df), int(f.size)


def _nufft_available():
    try:
        import jax_finufft  # noqa: F401
    except ImportError:
        return False
    return jax.default_backend() == "cpu"


def lomb_scargle(
    t: Float[RealArrayLike, "*batch n"],
    y: Float[RealArrayLike, "*batch n"],
    freq: Float[RealArrayLike, " m"],
    dy: Float[RealArrayLike, "*#batch #n"] | None = None,
    fit_mean: bool = False,
    center_data: bool = True,
    normalization: str = "standard",
    mask: Bool[ArrayLike, "*batch n"] | None = None,
    method: str = "auto",
    eps: float | None = None,
    dtype: DTypeLike | None = None,
) -> Float[ArrayOut, "*batch m"]:
    """Generalised Lomb-Scargle periodogram, batched and differentiable.

    Computes what astropy's ``LombScargle(t, y, dy, fit_mean=..., center_data=...)
    .power(freq, normalization=..., method="slow")`` computes, for one series or a batch of
    series with different sampling times (leading batch axes of ``t``/``y``; padding removed
    with ``mask``), in one jitted call. Differentiable with respect to ``y`` (and ``t``, ``dy``)
    on both paths.

    Parameters
    ----------
    t : array, shape (..., N)
        Observation times. NumPy times are shifted to their first (unmasked) value in float64
        before they enter JAX (the periodogram does not depend on the time origin), so absolute
        mission times keep their precision also in float32; subtract a reference epoch
        yourself before passing JAX arrays.
    y : array, shape (..., N)
        Observations.
    freq : array, shape (M,)
        Frequencies (cycles per unit of ``t``), shared by the whole batch.
    dy : array or float, optional
        Uncertainties (weights ``dy**-2``), broadcastable to ``y``.
    fit_mean : bool, default False
        Fit a floating mean at each frequency (the "generalised" periodogram).
    center_data : bool, default True
        Subtract the weighted mean of ``y`` first.
    normalization : str, default "standard"
        ``"standard"``, ``"model"``, ``"log"`` or ``"psd"`` (astropy's conventions).
    mask : bool array, shape (..., N), optional
        ``True`` for the points to use; masked points have zero weight.
    method : {"auto", "direct", "nufft"}, default "auto"
        ``"direct"`` evaluates the O(N M) sums exactly as astropy's slow method (any ``freq``,
        also traced). ``"nufft"`` uses jax-finufft type-1 transforms (``freq`` must be a
        concrete uniform grid); error relative to the sums' scale is about ``eps``.
        ``"auto"`` picks ``"nufft"`` on CPU when ``freq`` is a concrete uniform grid and
        ``N M > 10**6``, else ``"direct"``.
    eps : float, optional
        NUFFT tolerance; default ``1e-12`` in float64, ``1e-6`` in float32.
    dtype : {None, "float32", "float64"}, optional
        Working precision. By default NumPy input is computed in float64 (whatever JAX's
        global ``jax_enable_x64`` flag) and returned as a NumPy array; JAX arrays keep their
        dtype.

    Returns
    -------
    power : array, shape (..., M)

    Raises
    ------
    ValueError
        For fewer than two points or no frequency, mismatched shapes, an unknown
        ``normalization`` or ``method``, ``"nufft"`` on a non-uniform grid, non-finite unmasked
        data, or an unmasked ``dy`` that is not positive and finite.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> t = np.sort(rng.uniform(0, 10, 200))
    >>> y = np.sin(2 * np.pi * 1.5 * t) + 0.1 * rng.normal(size=200)
    >>> freq = np.linspace(0.1, 5, 491)
    >>> p = lomb_scargle(t, y, freq)
    >>> float(freq[int(np.argmax(p))])
    1.5
    """
    if normalization not in _NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {_NORMALIZATIONS}, got {normalization!r}")
    if method not in ("auto", "direct", "nufft"):
        raise ValueError(f"method must be 'auto', 'direct' or 'nufft', got {method!r}")
    with precision(t, y, freq, dy, dtype=dtype) as prec:
        if not isinstance(t, jax.Array):
            t = _shift_epoch(t, y, mask)
        power = _lomb_scargle(
            prec, t, y, freq, dy, fit_mean, center_data, normalization, mask, method, eps
        )
        return prec.output(power)


def _shift_epoch(t, y, mask):
    """NumPy times minus their first unmasked value per series, in float64 (shift-invariance)."""
    t = np.asarray(t, dtype=np.float64)
    if t.ndim == 0 or t.shape[-1] == 0:
        return t
    if mask is None or isinstance(mask, jax.Array):
        first = t[..., :1]
    else:
        m = np.broadcast_to(np.asarray(mask, bool), np.broadcast_shapes(t.shape, np.shape(y)))
        idx = np.argmax(m, axis=-1)[..., None]
        first = np.take_along_axis(np.broadcast_to(t, m.shape), idx, axis=-1)
    first = np.where(np.isfinite(first), first, 0.0)
    return t - first


def _lomb_scargle(prec, t, y, freq, dy, fit_mean, center_data, normalization, mask, method, eps):
    t = prec.asarray(t)
    y = prec.asarray(y)
    dtype = jnp.result_type(t, y, float)
    t, y = jnp.broadcast_arrays(t.astype(dtype), y.astype(dtype))
    if t.ndim == 0:
        raise ValueError("t and y must have at least one dimension")
    if t.shape[-1] < 2:
        raise ValueError(f"the Lomb-Scargle periodogram needs at least 2 points, got {t.shape[-1]}")
    grid = _uniform_grid(freq)  # from the caller's array (NumPy: no device round trip)
    freq = jnp.asarray(freq, dtype)
    if freq.ndim != 1:
        raise ValueError(f"freq must be one-dimensional, got shape {freq.shape}")
    if freq.shape[0] == 0:
        raise ValueError("freq is empty: give at least one frequency")
    if mask is not None:
        mask = jnp.broadcast_to(jnp.asarray(mask, bool), y.shape)
    if dy is not None:
        dy = jnp.broadcast_to(jnp.asarray(dy, dtype), y.shape)
    if method == "auto":
        big = t.shape[-1] * freq.shape[0] > 10**6
        method = "nufft" if (grid is not None and big and _nufft_available()) else "direct"
    if method == "nufft" and grid is None:
        raise ValueError("method='nufft' needs a concrete, uniformly spaced freq with >= 2 values")
    if eps is None:
        eps = 1e-12 if dtype == jnp.float64 else 1e-6
    batch_shape = y.shape[:-1]
    n = y.shape[-1]
    out, finite = _ls_batch(
        t.reshape(-1, n),
        y.reshape(-1, n),
        None if dy is None else dy.reshape(-1, n),
        None if mask is None else mask.reshape(-1, n),
        freq,
        grid if method == "nufft" else None,
        bool(fit_mean),
        bool(center_data),
        normalization,
        method,
        float(eps),
    )
    if not isinstance(finite, jax.core.Tracer):
        if not bool(finite[0]):
            raise ValueError("t or y contain NaN or infinite values in unmasked points")
        if not bool(finite[1]):
            raise ValueError("dy must be positive and finite in every unmasked point")
    return out.reshape(*batch_shape, freq.shape[0])


# ------------------------------------------------------------------------------------------------
# Lomb-Scargle Fourier transform (Scargle 1989), as stingray.fourier.lsft_slow
# ------------------------------------------------------------------------------------------------


def _lsft_chunk(t, y_c, freq, sign, const1):
    w = 2 * jnp.pi * freq
    wt = w[None, :] * t[:, None]
    csum = jnp.sum(jnp.cos(2.0 * wt), axis=0)
    ssum = jnp.sum(jnp.sin(2.0 * wt), axis=0)
    wtau = 0.5 * jnp.arctan2(ssum, csum)
    arg = wt - wtau[None, :]
    c, s = jnp.cos(arg), jnp.sin(arg)
    sumr = y_c @ c
    sumi = y_c @ s
    scos2 = jnp.sum(c * c, axis=0)
    ssin2 = jnp.sum(s * s, axis=0)
    zero = w == 0
    ft_real = jnp.where(zero, jnp.sum(y_c) / jnp.sqrt(t.shape[0]), const1 * sumr / jnp.sqrt(scos2))
    ft_imag = jnp.where(zero, 0.0, const1 * jnp.sign(sign) * sumi / jnp.sqrt(ssin2))
    phase = jnp.where(zero, 0.0, wtau - w * t[0])
    res = (ft_real + 1j * ft_imag) * jnp.exp(-1j * phase)
    return jnp.real(res), jnp.imag(res)


@functools.partial(jax.jit, static_argnames=("sign",))
def _lsft_jit(y, t, freq, sign=1):
    y_c = y - jnp.mean(y)
    const1 = jnp.sqrt(0.5 * y.shape[0])
    re, im = _map_freq_chunks(lambda fc: _lsft_chunk(t, y_c, fc, sign, const1), freq, t.shape[0])
    return re + 1j * im


@functools.partial(jax.jit, static_argnames=("grid", "sign", "eps"))
def _lsft_nufft_jit(y, t, grid, sign=1, eps=1e-12):
    f0, df, n_freq = grid
    n = y.shape[0]
    y_c = y - jnp.mean(y)
    srcs = jnp.stack([y_c, jnp.ones_like(y_c)])[None]
    pre = jnp.asarray([f0, 2 * f0], dtype=t.dtype)
    out = _nufft_sums(t[None], srcs, pre, df, 2 * n_freq, eps)[0]
    a = out[0, :n_freq]  # sum y_c e^{i w t}
    b = out[1, ::2][:n_freq]  # sum e^{2 i w t}
    C2, S2 = jnp.real(b), jnp.imag(b)
    wtau = 0.5 * jnp.arctan2(S2, C2)
    ct, st = jnp.cos(wtau), jnp.sin(wtau)
    sumr = jnp.real(a) * ct + jnp.imag(a) * st
    sumi = jnp.imag(a) * ct - jnp.real(a) * st
    c2t, s2t = jnp.cos(2 * wtau), jnp.sin(2 * wtau)
    scos2 = 0.5 * (n + C2 * c2t + S2 * s2t)
    ssin2 = 0.5 * (n - C2 * c2t - S2 * s2t)
    const1 = jnp.sqrt(0.5 * n)
    w = 2 * jnp.pi * (f0 + df * jnp.arange(n_freq, dtype=t.dtype))
    zero = w == 0
    ft_real = jnp.where(zero, jnp.sum(y_c) / jnp.sqrt(n), const1 * sumr / jnp.sqrt(scos2))
    # Where every sine vanishes (the Nyquist frequency of even sampling) ssin2 is rounding noise
    # (possibly negative): the sine term is 0/0 there, and zero in the limit.
    no_sin = ssin2 <= 10 * eps * n
    ssin2 = jnp.where(no_sin, 1.0, ssin2)
    ft_imag = jnp.where(zero | no_sin, 0.0, const1 * sign * sumi / jnp.sqrt(ssin2))
    phase = jnp.where(zero, 0.0, wtau - w * t[0])
    return (ft_real + 1j * ft_imag) * jnp.exp(-1j * phase)


def lsft(
    y: Float[RealArrayLike, " n"],
    t: Float[RealArrayLike, " n"],
    freqs: Float[RealArrayLike, " m"],
    sign: int = 1,
    method: str = "direct",
    eps: float | None = None,
    dtype: DTypeLike | None = None,
) -> Complex[InexactOut, " m_positive"]:
    """Lomb-Scargle Fourier transform (Scargle 1989), as ``stingray.fourier.lsft_slow``.

    Only the non-negative frequencies are transformed (negative ones are dropped, as in
    Stingray). jit-compiled and differentiable in ``y``. ``method="direct"`` evaluates the
    O(N M) sums chunked over frequencies; ``method="nufft"`` (uniform ``freqs`` only) gets the
    same sums from type-1 non-uniform FFTs (jax-finufft), to a relative accuracy of about
    ``eps`` of the sums' scale.

    Parameters
    ----------
    y : array, shape (N,)
        Observations.
    t : array, shape (N,)
        Observation times.
    freqs : array
        Frequencies.
    sign : int, default 1
        Sign of the transform.
    method : {"direct", "nufft"}, default "direct"
    eps : float, optional
        NUFFT tolerance (default ``1e-12`` in float64, ``1e-6`` in float32).
    dtype : {None, "float32", "float64"}, optional
        Working precision: NumPy input is computed in float64 by default (whatever JAX's global
        flag) and returned as a NumPy array; JAX arrays keep their dtype.

    Returns
    -------
    ft : complex array
        The transform at ``freqs[freqs >= 0]``.

    Examples
    --------
    >>> import numpy as np
    >>> from stingray.fourier import lsft_slow
    >>> rng = np.random.default_rng(0)
    >>> t = np.sort(rng.uniform(0, 50, 100))
    >>> y = 3 + np.cos(2 * np.pi * 0.2 * t)
    >>> freqs = np.linspace(0.05, 0.5, 10)
    >>> bool(np.allclose(lsft(y, t, freqs), lsft_slow(y, t, freqs), rtol=1e-4))
    True
    """
    freqs = np.asarray(freqs)
    freqs = freqs[freqs >= 0]
    if method not in ("direct", "nufft"):
        raise ValueError(f"method must be 'direct' or 'nufft', got {method!r}")
    with precision(y, t, dtype=dtype) as prec:
        y = prec.asarray(y)
        if not jnp.issubdtype(y.dtype, jnp.inexact):
            y = y.astype(jnp.result_type(float))
        t = jnp.asarray(t, y.dtype)
        if y.ndim != 1 or t.shape != y.shape:
            raise ValueError(f"y and t must be 1-D of equal length, got {y.shape} and {t.shape}")
        if y.shape[0] < 2:
            raise ValueError(f"the Lomb-Scargle transform needs at least 2 points, got {y.size}")
        sign = int(np.sign(sign))
        if method == "nufft":
            grid = _uniform_grid(freqs)
            if grid is None:
                raise ValueError("method='nufft' needs uniformly spaced frequencies")
            if eps is None:
                eps = 1e-12 if y.dtype == jnp.float64 else 1e-6
            return prec.output(_lsft_nufft_jit(y, t, grid, sign=sign, eps=float(eps)))
        return prec.output(_lsft_jit(y, t, jnp.asarray(freqs, y.dtype), sign=sign))
