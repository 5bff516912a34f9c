"""Stingray-compatible pulsar searches: ``z_n_search`` and ``epoch_folding_search``.

Same names, signatures and return values as ``stingray.pulse.search`` (Stingray 2.3.2); the
statistics are computed by the pure JAX core in :mod:`stingray_jax.pulse._statistics`, over the
whole frequency x fdot grid, in blocks of trials of fixed shape (one compilation per data
size), in float64 whatever JAX's global flag.

The bookkeeping follows Stingray exactly: times are referred to the first event (in the input
dtype, e.g. ``np.longdouble``, then cast to float64), the search runs on segments of
``segment_size`` starting at the first event (a segment spanning less than 20% of
``segment_size`` is skipped; the last event is outside the single segment of
``segment_size=np.inf``, as in Stingray), and the statistics are averaged over segments.
Stingray's fast path (no ``weights`` array, no ``expocorr``) bins with ``floor(phase * nbin)``,
its slow path with ``numpy.histogram``; both rules are reproduced.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from .._config import x64_scope

if TYPE_CHECKING:  # jaxtyping is needed by the type checker only (no runtime import)
    from jaxtyping import Float

    from .._typing import RealArrayLike

    #: ``(fgrid, stats)``, or ``(fgrid, fdgrid, stats)`` for several fdots (as Stingray)
    SearchResult = tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, np.ndarray]
from ._statistics import (
    folded_search,
    z_n_events_nufft,
    z_n_events_search,
    z_n_events_uniform_grid,
)

__all__ = ["epoch_folding_search", "z_n_search"]

_TRIAL_BLOCK = 4096
_GPU_EVENT_CHUNK = 1 << 18


def _round_up(n, m):
    return -(-n // m) * m


def _event_size(n, event_chunk):
    """Padded number of events: a multiple of ``event_chunk``, else a coarse bucket."""
    if event_chunk is not None:
        return _round_up(max(n, 1), event_chunk)
    step = max(256, 1 << max(0, int(np.ceil(np.log2(max(n, 1)))) - 4))
    return _round_up(max(n, 1), step)


def _default_trial_batch():
    import jax

    return 1 if jax.default_backend() == "cpu" else 256


def _grid(frequencies, fdots):
    freqs = np.asanyarray(frequencies)
    fds = np.asanyarray(fdots)
    for name, arr in (("frequencies", freqs), ("fdots", fds)):
        if arr.size == 0:
            raise ValueError(f"{name} is empty")
        if not np.all(np.isfinite(arr.astype(np.float64))):
            raise ValueError(f"{name} contains non-finite values")
    return np.meshgrid(freqs.astype(np.float64), fds.astype(np.float64))


def _check_times(times):
    times = np.asanyarray(times)
    if times.ndim != 1 or times.size < 2:
        raise ValueError(
            f"times must be a one-dimensional array of at least 2 events, got {times.shape}"
        )
    if not np.all(np.isfinite(times)):
        raise ValueError("times contains non-finite values")
    return times


def _segments(t, segment_size):
    """Stingray's ``_folding_search`` segments: boolean masks of the kept ones."""
    length = t[-1]
    if not length > 0:
        raise ValueError("the events span no time (times[-1] <= times[0])")
    if length < segment_size:
        segment_size = length
    masks = []
    for s in np.arange(t[0], t[-1], segment_size):
        good = (t >= s) & (t < s + segment_size)
        ts = t[good]
        if len(ts) < 1 or ts[-1] - ts[0] < 0.2 * segment_size:
            continue
        masks.append(good)
    return masks


def _run_blocks(kernel, fgrid, fdgrid, n_pad, trial_block=_TRIAL_BLOCK):
    """Call ``kernel(freqs, fdots)`` on fixed-size blocks of the flattened trial grid."""
    import jax.numpy as jnp

    f = fgrid.ravel()
    fd = fdgrid.ravel()
    n = f.size
    block = min(trial_block, _round_up(n, 64))
    n_blocks = -(-n // block)
    out = np.empty(n)
    iterator = range(n_blocks)
    if n_blocks >= 8:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc="trials", unit="block", leave=False)
    for i in iterator:
        sl = slice(i * block, min((i + 1) * block, n))
        fb = np.full(block, f[sl][-1])
        fdb = np.full(block, fd[sl][-1])
        fb[: sl.stop - sl.start] = f[sl]
        fdb[: sl.stop - sl.start] = fd[sl]
        res = kernel(jnp.asarray(fb), jnp.asarray(fdb))
        out[sl] = np.asarray(res)[: sl.stop - sl.start]
    return out.reshape(fgrid.shape)


def _folding_search(
    statistic,
    times,
    frequencies,
    nharm,
    nbin,
    segment_size,
    expocorr,
    gti,
    weights,
    fdots,
    method="fold",
    event_chunk=None,
    trial_batch=None,
):
    import jax.numpy as jnp

    times = _check_times(times)
    nbin = int(nbin)
    nharm = int(nharm)
    if nbin < 2:
        raise ValueError(f"nbin must be at least 2, got {nbin}")
    if nharm < 1:
        raise ValueError(f"nharm must be a positive integer, got {nharm}")
    if expocorr and gti is None:
        raise ValueError("To calculate exposure correction, you need to specify the GTIs")
    weighted = isinstance(weights, Iterable)
    if weighted:
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != times.shape:
            raise ValueError(
                f"weights must have the shape of times {times.shape}, got {weights.shape}"
            )
        if not np.all(np.isfinite(weights)):
            raise ValueError("weights contains non-finite values")
    elif not np.isfinite(weights):
        raise ValueError(f"weights must be finite, got {weights!r}")
    slow = bool(expocorr) or weighted
    rule = "histogram" if slow else "floor"
    if trial_batch is None:
        trial_batch = _default_trial_batch()
    # vmapped trials: bound the (trial_batch, events) intermediates (~0.5 GB at 256 trials)
    if event_chunk is not None and int(event_chunk) < 1:
        raise ValueError(f"event_chunk must be a positive integer, got {event_chunk!r}")
    if int(trial_batch) < 1:
        raise ValueError(f"trial_batch must be a positive integer, got {trial_batch!r}")
    event_chunk = None if event_chunk is None else int(event_chunk)
    trial_batch = int(trial_batch)
    auto_chunk = event_chunk is None and trial_batch > 1

    fgrid, fdgrid = _grid(frequencies, fdots)
    # Reference-subtracted times: the subtraction happens in the input dtype (longdouble for
    # FITS times), only the offsets are cast to float64 (see the precision page).
    ref = times[0]
    t = (times - ref).astype(np.float64)
    gti_rel = None
    if expocorr:
        gti_rel = (np.asarray(gti) - ref).astype(np.float64).reshape(-1, 2)
    masks = _segments(t, segment_size)
    if not masks:
        raise ValueError("no segment of the events spans 20% of segment_size")

    stats = np.zeros(fgrid.shape)
    with x64_scope(True):
        for good in masks:
            ts = t[good]
            if weighted:
                w = weights[good]
            elif slow:
                w = np.full(ts.shape, float(weights))
            else:
                w = np.ones(ts.shape)
            chunk = _GPU_EVENT_CHUNK if auto_chunk and ts.size > _GPU_EVENT_CHUNK else event_chunk
            n_pad = _event_size(ts.size, chunk)
            tp = np.zeros(n_pad)
            wp = np.zeros(n_pad)
            tp[: ts.size] = ts
            wp[: ts.size] = w
            tj = jnp.asarray(tp)
            t2j = jnp.asarray(0.5 * tp**2)
            wj = jnp.asarray(wp)
            if method == "events":
                stats += _events_stats(tj, t2j, wj, fgrid, fdgrid, nharm, trial_batch, n_pad)
                continue
            expo_args = None
            if expocorr:
                dt = np.abs(ts[1] - ts[0]) if ts.size > 1 else 0.0
                expo_args = (jnp.asarray(ts[0]), jnp.asarray(ts[-1] + dt), jnp.asarray(gti_rel))

            def kernel(fb, fdb, tj=tj, t2j=t2j, wj=wj, expo_args=expo_args, chunk=chunk):
                return folded_search(
                    tj,
                    t2j,
                    wj,
                    fb,
                    fdb,
                    expo_args,
                    nbin=nbin,
                    nharm=nharm,
                    statistic=statistic,
                    rule=rule,
                    event_chunk=chunk,
                    trial_batch=trial_batch,
                    expo=bool(expocorr),
                )

            stats += _run_blocks(kernel, fgrid, fdgrid, n_pad)
    stats /= len(masks)
    if fgrid.shape[0] == 1:
        return fgrid.flatten(), stats.flatten()
    return fgrid, fdgrid, stats


def _uniform_step(freqs):
    """The step of a uniform grid (within rounding), else None."""
    if freqs.size < 4:
        return None
    df = (freqs[-1] - freqs[0]) / (freqs.size - 1)
    if df <= 0:
        return None
    ideal = freqs[0] + df * np.arange(freqs.size)
    if np.max(np.abs(ideal - freqs)) > 1e-9 * df:
        return None
    return df


def _nufft_available():
    try:
        import jax_finufft  # noqa: F401
    except ImportError:
        return False
    return True


def _events_stats(tj, t2j, wj, fgrid, fdgrid, nharm, trial_batch, n_pad):
    """Unbinned Z^2_n of every trial: the matrix-product kernel on uniform grids."""
    import jax.numpy as jnp

    freqs = fgrid[0]
    df = _uniform_step(freqs)
    if df is None:

        def kernel(fb, fdb):
            return z_n_events_search(tj, t2j, wj, fb, fdb, nharm=nharm, trial_batch=trial_batch)

        return _run_blocks(kernel, fgrid, fdgrid, n_pad)
    n = freqs.size
    if _nufft_available():
        out = np.empty(fgrid.shape)
        for i, fd in enumerate(fdgrid[:, 0]):
            res = z_n_events_nufft(
                tj,
                t2j,
                wj,
                jnp.asarray(freqs[0]),
                jnp.asarray(df),
                jnp.asarray(fd),
                nharm=nharm,
                n_modes=n,
            )
            out[i] = np.asarray(res)
        return out
    n_inner = int(np.ceil(np.sqrt(n)))
    n_outer = -(-n // n_inner)
    chunk = 1
    while chunk < 4096 and n_pad % (2 * chunk) == 0:
        chunk *= 2
    out = np.empty(fgrid.shape)
    for i, fd in enumerate(fdgrid[:, 0]):
        res = z_n_events_uniform_grid(
            tj,
            t2j,
            wj,
            jnp.asarray(freqs[0]),
            jnp.asarray(df),
            jnp.asarray(fd),
            nharm=nharm,
            n_outer=n_outer,
            n_inner=n_inner,
            event_chunk=chunk,
        )
        out[i] = np.asarray(res)[:n]
    return out


def z_n_search(
    times: Float[RealArrayLike, " n_events"],
    frequencies: Float[RealArrayLike, " n_freq"],
    nharm: int = 4,
    nbin: int = 128,
    segment_size: float = np.inf,
    expocorr: bool = False,
    weights: Float[RealArrayLike, "#n_events"] = 1,
    gti: Float[RealArrayLike, "n_gti 2"] | None = None,
    fdots: Float[RealArrayLike, "#n_fdot"] = 0,
    *,
    method: str = "fold",
    event_chunk: int | None = None,
    trial_batch: int | None = None,
) -> SearchResult:
    """Z^2_n statistics at trial frequencies (and frequency derivatives) in photon data.

    Drop-in for ``stingray.pulse.search.z_n_search``: the events are folded into ``nbin``
    bins at each trial and the binned Z^2_n (Bachetti et al. 2021) of the profile is returned,
    equal to Stingray's to rounding. The trials of the ``frequencies x fdots`` grid are
    evaluated in one compiled JAX kernel (blocks of 4096 trials), in float64.

    Parameters
    ----------
    times : array-like
        Event arrival times (or light-curve bin times with ``weights``). Any float dtype;
        the first time is subtracted in that dtype before the cast to float64.
    frequencies : array-like
        Trial frequencies.
    nharm : int
        Number of harmonics, including the fundamental.
    nbin : int
        Number of bins of the folded profiles.
    segment_size : float
        Length of the segments whose statistics are averaged.
    expocorr : bool
        Correct each profile for the exposure of its phase bins (needs ``gti``).
    weights : float or array-like
        Weight of each time, e.g. the counts of a light curve's bins.
    gti : [[start0, stop0], ...], optional
        Good time intervals (same time system as ``times``).
    fdots : float or array-like
        Trial frequency derivatives.
    method : {"fold", "events"}, keyword only
        ``"fold"`` (default): Stingray's binned statistic. ``"events"``: the unbinned Z^2_n of
        Buccheri et al. (1983), ``2/N sum_k |sum_i w_i exp(2 pi i k phi_i)|^2``, with no
        profile binning (``nbin``, ``expocorr`` unused); on a uniform frequency grid it is
        computed with matrix products, orders of magnitude faster than folding.
    event_chunk : int, optional, keyword only
        Fold the events in chunks of this size (bounds the memory of batched trials).
    trial_batch : int, optional, keyword only
        Trials evaluated together (default 1 on CPU, 256 on accelerators).

    Returns
    -------
    (fgrid, stats) or (fgrid, fdgrid, stats)
        As Stingray: ``fgrid`` and ``fdgrid`` come from ``np.meshgrid(frequencies, fdots)``;
        with a single fdot, the flattened frequency grid and statistics are returned.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> t = np.sort(rng.uniform(0, 100, 3000))
    >>> t = t[rng.uniform(size=t.size) < 0.5 * (1 + np.sin(2 * np.pi * 1.234 * t))]
    >>> freq, stat = z_n_search(t, np.linspace(1.2, 1.27, 71), nharm=2)
    >>> round(float(freq[np.argmax(stat)]), 3)
    1.234
    """
    if method not in ("fold", "events"):
        raise ValueError(f"method must be 'fold' or 'events', got {method!r}")
    return _folding_search(
        "z2",
        times,
        frequencies,
        nharm,
        nbin,
        segment_size,
        expocorr,
        gti,
        weights,
        fdots,
        method=method,
        event_chunk=event_chunk,
        trial_batch=trial_batch,
    )


def epoch_folding_search(
    times: Float[RealArrayLike, " n_events"],
    frequencies: Float[RealArrayLike, " n_freq"],
    nbin: int = 128,
    segment_size: float = np.inf,
    expocorr: bool = False,
    gti: Float[RealArrayLike, "n_gti 2"] | None = None,
    weights: Float[RealArrayLike, "#n_events"] = 1,
    fdots: Float[RealArrayLike, "#n_fdot"] = 0,
    *,
    event_chunk: int | None = None,
    trial_batch: int | None = None,
) -> SearchResult:
    """Epoch-folding statistic (Leahy et al. 1983) at trial frequencies in photon data.

    Drop-in for ``stingray.pulse.search.epoch_folding_search`` (same arguments and return
    values, equal to rounding); see :func:`z_n_search` for the parameters.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> t = np.sort(rng.uniform(0, 100, 3000))
    >>> t = t[rng.uniform(size=t.size) < 0.5 * (1 + np.sin(2 * np.pi * 1.234 * t))]
    >>> freq, stat = epoch_folding_search(t, np.linspace(1.2, 1.27, 71), nbin=16)
    >>> round(float(freq[np.argmax(stat)]), 3)
    1.234
    """
    return _folding_search(
        "ef",
        times,
        frequencies,
        1,
        nbin,
        segment_size,
        expocorr,
        gti,
        weights,
        fdots,
        event_chunk=event_chunk,
        trial_batch=trial_batch,
    )
