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

from .._config import aligned_empty

if TYPE_CHECKING:
    from jax import Array

__all__ = ["FFT_CHOICES", "HOST_FFT_MIN_SIZE", "choose_fft", "host_segment_fft", "host_workers"]

FFT_CHOICES = ("auto", "xla", "host")

# fft="auto" would use the host FFT from this many input values (n_lightcurves * n_bins, per
# channel) on; None: never (XLA always). Measured with ``benchmarks/bench_fourier.py fft_sizes``
# on the shared 2-core development machine (docs/benchmarks.rst): the warm XLA / host time
# ratio was 0.6-0.8 (host slower) up to 2**20 values, about 1 at 2**22-2**23 and 0.9-1.27 at
# 2**24 (256 light curves of 2**16 bins) in the median, with the host path's first call slower:
# no size where the host FFT reliably pays, so "auto" is XLA and "host" an explicit choice.
HOST_FFT_MIN_SIZE: int | None = None

# Output bytes transformed per scipy.fft call (see host_segment_fft).
_CHUNK_BYTES = 4 * 2**20


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
    CPU, ``fluxes`` lives on one CPU device and holds at least `HOST_FFT_MIN_SIZE` values
    (``None``, today: never, see its comment); ``"xla"`` otherwise. ``"host"`` and ``"xla"``
    are honoured as asked, but ``"host"`` with a traced argument raises ``ValueError`` (a host
    FFT cannot run on a tracer).

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
    if HOST_FFT_MIN_SIZE is None:
        return "xla"
    return "host" if fluxes.size >= HOST_FFT_MIN_SIZE else "xla"


def host_segment_fft(fluxes: Array, mask: Array | None, n_seg_bin: int) -> Array:
    """Unsliced FFTs of the segments of ``fluxes``, computed by ``scipy.fft`` on the host.

    Cuts each row into consecutive segments of ``n_seg_bin`` bins (the remainder dropped),
    zeroes the masked bins, and transforms each segment along its last axis: ``rfft`` for real
    input (``n_seg_bin // 2 + 1`` bins), ``fft`` for complex input (``n_seg_bin`` bins). The
    dtype is kept (float32 gives complex64). ``fluxes`` and ``mask`` must be concrete.

    The light curves are transformed a few at a time (chunks of about `_CHUNK_BYTES` of
    output, which stay in the cache and in the allocator's reused memory) into one buffer that
    JAX then uses without copying it: on the development machine this saved ~15% of the host
    path over one ``rfft`` of the whole batch plus a copy.

    Returns
    -------
    ft : jax.Array, shape (n_lightcurves, n_seg, n_freq)
    """
    import scipy.fft

    x = np.asarray(fluxes)  # a view of the CPU buffer
    m = None if mask is None else np.asarray(mask)
    n_lc, n_bins = x.shape
    n_seg = n_bins // n_seg_bin
    used = n_seg * n_seg_bin
    complex_in = np.iscomplexobj(x)
    transform = scipy.fft.fft if complex_in else scipy.fft.rfft
    n_freq = n_seg_bin if complex_in else n_seg_bin // 2 + 1
    out_dtype = np.result_type(x.dtype, np.complex64)
    out = aligned_empty((n_lc, n_seg, n_freq), out_dtype)
    rows = max(1, _CHUNK_BYTES // (n_seg * n_freq * out_dtype.itemsize))
    workers = host_workers()
    for start in range(0, n_lc, rows):
        sl = slice(start, start + rows)
        segs = x[sl, :used].reshape(-1, n_seg, n_seg_bin)
        if m is not None:
            segs = np.where(m[sl, :used].reshape(segs.shape), segs, segs.dtype.type(0))
        out[sl] = transform(segs, axis=-1, workers=workers)
    return jax.device_put(out)
