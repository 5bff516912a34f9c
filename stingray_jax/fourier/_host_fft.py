"""Host (NumPy/SciPy) FFT of the segments of a batch of light curves, for the CPU backend.

XLA's CPU FFT is slower than SciPy's pocketfft on large batches. When the input is concrete
(not traced under ``jit``/``vmap``/``grad``), `avg_pds_batch` and `avg_cs_batch` may compute the
per-segment FFT here and hand the complex transform to the same JAX kernel, which does the
masking bookkeeping, the normalisation and the averaging: there is one recipe, only the FFT
changes. The choice is made by `choose_fft`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import jax
import numpy as np

if TYPE_CHECKING:
    from jax import Array

__all__ = ["FFT_CHOICES", "HOST_FFT_MIN_SIZE", "choose_fft", "host_segment_fft", "host_workers"]

FFT_CHOICES = ("auto", "xla", "host")

# fft="auto" uses the host FFT from this many input values (n_lightcurves * n_bins, per
# channel) on. Measured with benchmarks/bench_fourier.py's helper on the 2-core development
# machine (docs/benchmarks.rst): the host path breaks even with XLA at about 2**18 values and is
# faster above (x1.3-x1.7 at 2**24, 256 light curves of 2**16 bins); below, the extra dispatch
# and the copy into a JAX buffer cost more than the FFT saves.
HOST_FFT_MIN_SIZE = 2**20

# JAX's CPU client aliases a NumPy buffer (no copy) when its data is aligned to this many bytes.
_ALIGN = 64


def host_workers() -> int:
    """Threads given to ``scipy.fft``: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _is_traced(x):
    return isinstance(x, jax.core.Tracer)


def _on_one_cpu_device(x):
    if not isinstance(x, jax.Array):
        return True
    devices = x.devices()
    return len(devices) == 1 and next(iter(devices)).platform == "cpu"


def choose_fft(fft: str, fluxes: Array, *others: object) -> str:
    """The FFT that a batched periodogram call uses: ``"xla"`` or ``"host"``.

    ``fft="auto"`` picks ``"host"`` when no argument is traced, JAX's default backend is the
    CPU, ``fluxes`` lives on one CPU device and holds at least `HOST_FFT_MIN_SIZE` values;
    ``"xla"`` otherwise. ``"host"`` and ``"xla"`` are honoured as asked, but ``"host"`` with a
    traced argument raises ``ValueError`` (a host FFT cannot run on a tracer).

    Parameters
    ----------
    fft : {"auto", "xla", "host"}
        The caller's ``fft`` argument.
    fluxes : jax.Array
        The (first channel's) light curves, shape ``(n_lightcurves, n_bins)``.
    *others : array, float or None
        The other arguments that enter the computation (second channel, mask, dt).

    Returns
    -------
    fft : {"xla", "host"}
    """
    if not isinstance(fft, str) or fft not in FFT_CHOICES:
        raise ValueError(f"fft must be one of {FFT_CHOICES}, got {fft!r}")
    traced = any(_is_traced(x) for x in (fluxes, *others))
    if fft == "host" and traced:
        raise ValueError(
            "fft='host' needs concrete input, but an argument is traced (inside jax.jit, vmap "
            "or grad); use fft='auto' (falls back to XLA when traced) or fft='xla'"
        )
    if fft != "auto":
        return fft
    if traced or jax.default_backend() != "cpu" or not _on_one_cpu_device(fluxes):
        return "xla"
    return "host" if fluxes.size >= HOST_FFT_MIN_SIZE else "xla"


def _to_jax(x: np.ndarray) -> Array:
    """``x`` as a JAX array on the default device, without a copy where JAX allows it."""
    if x.ctypes.data % _ALIGN:
        # scipy's output is 16-byte aligned; JAX copies such a buffer in a slow path: one fast
        # NumPy copy into an aligned buffer lets it alias the data instead.
        buf = np.empty(x.nbytes + _ALIGN, dtype=np.uint8)
        offset = -buf.ctypes.data % _ALIGN
        aligned = buf[offset : offset + x.nbytes].view(x.dtype).reshape(x.shape)
        np.copyto(aligned, x)
        x = aligned
    return jax.device_put(x)


def host_segment_fft(fluxes: Array, mask: Array | None, n_seg_bin: int) -> Array:
    """Unsliced FFTs of the segments of ``fluxes``, computed by ``scipy.fft`` on the host.

    Cuts each row into consecutive segments of ``n_seg_bin`` bins (the remainder dropped),
    zeroes the masked bins, and transforms each segment along its last axis: ``rfft`` for real
    input (``n_seg_bin // 2 + 1`` bins), ``fft`` for complex input (``n_seg_bin`` bins). The
    dtype is kept (float32 gives complex64). ``fluxes`` and ``mask`` must be concrete.

    Returns
    -------
    ft : jax.Array, shape (n_lightcurves, n_seg, n_freq)
    """
    import scipy.fft

    x = np.asarray(fluxes)  # a view of the CPU buffer
    n_lc, n_bins = x.shape
    n_seg = n_bins // n_seg_bin
    used = n_seg * n_seg_bin
    segs = x[:, :used].reshape(n_lc, n_seg, n_seg_bin)
    if mask is not None:
        m = np.asarray(mask)[:, :used].reshape(n_lc, n_seg, n_seg_bin)
        segs = np.where(m, segs, segs.dtype.type(0))
    transform = scipy.fft.fft if np.iscomplexobj(segs) else scipy.fft.rfft
    return _to_jax(transform(segs, axis=-1, workers=host_workers()))
