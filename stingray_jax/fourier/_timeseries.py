"""Stingray-compatible averaged periodograms from event lists and light curves.

The segment bookkeeping (GTIs, segment starts, event binning) is done in NumPy, with the same
rules as Stingray (its own GTI helpers define the segments, searched in float64 when that is
exact; events are binned into exactly the bins of ``numpy.histogram``, which is what Stingray
uses without numba, with one ``bincount`` and a check of each bin edge, using that the times
are sorted). Times are made relative to each segment start in NumPy (``np.longdouble``
arithmetic as in Stingray) before anything reaches JAX. The FFTs, normalisation and averaging
run in one jitted JAX call over all segments, in float64. `avg_pds_segment_arrays` returns the
arrays of the result table without building the astropy ``Table`` (for the batch of
observations: building it took about 0.4 ms per item).
The cross spectra of two series (same segments, same helpers) are in ``_timeseries_cross.py``.
"""

import numpy as np

from .._config import preserve_global_state, x64_scope
from ._core import (
    _check_norm,
    _pds_segment_sums,
    normalize_periodograms,
    positive_fft_bins,
)

__all__ = ["avg_pds_from_iterable", "avg_pds_from_timeseries"]


def _stingray_gti():
    with preserve_global_state():
        from stingray import gti, utils
    return gti, utils


def _check_dt_value(dt):
    if dt is None:
        raise ValueError("dt must be given")
    dt_arr = np.asarray(dt, dtype=float)
    if dt_arr.ndim != 0 or not np.isfinite(dt_arr) or dt_arr <= 0:
        raise ValueError(f"dt must be a positive finite number, got {dt!r}")


def _check_gti(gti):
    gti = np.asanyarray(gti)
    if gti.ndim != 2 or gti.shape[1] != 2 or gti.shape[0] == 0:
        raise ValueError(f"gti must have shape (n, 2) with n >= 1, got {gti.shape}")
    if np.any(gti[:, 1] <= gti[:, 0]):
        raise ValueError("every GTI must have stop > start")
    return gti


def _sorted_histogram(x, edges):
    """``np.histogram(x, bins=edges.size - 1, range=[0, edges[-1]])[0]`` of sorted ``x``.

    ``edges = np.linspace(0, hi, n_bin + 1)`` are NumPy's edges: it puts a value in the bin
    ``[edges[i], edges[i + 1])`` (the last bin closed), correcting its arithmetic index against
    them. Here the arithmetic index (one ``bincount``) gives the first position of every bin in
    the sorted values; each position is checked against its edge (``n_bin`` comparisons) and
    the few that rounding put on the wrong side of an edge are found by binary search, so the
    counts are NumPy's exactly, in about a fifth of its time.
    """
    n_bin, n_x = edges.size - 1, x.size
    if n_x == 0 or x[0] < 0 or x[-1] > edges[-1]:  # values outside: binary search only
        pos = np.searchsorted(x, edges, side="left")
        pos[-1] = np.searchsorted(x, edges[-1], side="right")
        return np.diff(pos)
    idx = (x * (n_bin / edges[-1])).astype(np.intp)
    np.minimum(idx, n_bin - 1, out=idx)
    counts = np.bincount(idx, minlength=n_bin)
    pos = np.concatenate([[0], np.cumsum(counts)])  # pos[k]: first value of bin k
    p, e = pos[1:-1], edges[1:-1]
    right = (p == n_x) | (x[np.minimum(p, n_x - 1)] >= e)
    left = (p == 0) | (x[np.maximum(p - 1, 0)] < e)
    wrong = np.flatnonzero(~(right & left))
    if wrong.size == 0:
        return counts
    pos[1 + wrong] = np.searchsorted(x, e[wrong], side="left")
    return np.diff(pos)


def _fix_segment(segment_size, dt):
    _, utils = _stingray_gti()
    return utils.fix_segment_size_to_integer_samples(segment_size, dt)


def _segment_boundaries(times, gti, segment_size, binned, dt):
    """Segment starts and [idx0, idx1) index ranges, as Stingray's generators produce them."""
    gtimod, _ = _stingray_gti()
    if segment_size is None:
        return (
            np.asarray([gti[0, 0]]),
            np.asarray([0]),
            np.asarray([np.size(times)]),
            gti[-1, 1] - gti[0, 0],
        )
    try:
        if binned:
            bounds = list(
                gtimod.generate_indices_of_segment_boundaries_binned(
                    times, gti, segment_size, dt=dt
                )
            )
        else:
            return _unbinned_boundaries(gtimod, times, gti, segment_size)
    except AssertionError as exc:  # "No GTIs are equal to or longer than segment_size."
        raise ValueError(f"segment_size={segment_size} is longer than every GTI ({exc})") from None
    if len(bounds) == 0:
        raise ValueError(f"segment_size={segment_size} is longer than every GTI")
    starts = np.asarray([b[0] for b in bounds])
    idx0 = np.asarray([b[2] for b in bounds], dtype=np.intp)
    idx1 = np.asarray([b[3] for b in bounds], dtype=np.intp)
    return starts, idx0, idx1, segment_size


def _unbinned_boundaries(gtimod, times, gti, segment_size):
    """Stingray's ``generate_indices_of_segment_boundaries_unbinned``, as arrays.

    Its segment starts are ``np.longdouble``: searching them in float64 times converts the
    whole time array (the slowest step for large event lists). When every boundary is a
    float64 number, the float64 search gives the same indices.
    """
    start, stop = gtimod.time_intervals_from_gtis(gti, segment_size)
    keys = np.concatenate([start, stop])
    if times.dtype == np.float64 and np.all(keys.astype(np.float64) == keys):
        keys = keys.astype(np.float64)
    idx = times.searchsorted(keys)
    return start, idx[: start.size], idx[start.size :], segment_size


def _event_segments(times, gti, segment_size, n_bin):
    """Counts per bin of each segment, shape (n_seg, n_bin), the segment validity and starts."""
    times = np.asanyarray(times)
    starts, idx0, idx1, seg_len = _segment_boundaries(times, gti, segment_size, False, None)
    n_seg = starts.size
    valid = (idx1 - idx0) >= 2
    # Epoch subtraction in NumPy, as Stingray does it (in the precision of the inputs,
    # np.longdouble for FITS). When the segment starts are exact float64 numbers and the times
    # are float64, the float64 difference is exact too (Sterbenz) and much faster.
    starts_f = np.asarray(starts, dtype=float)
    exact64 = times.dtype == np.float64 and np.all(starts_f == starts)
    edges = np.linspace(0.0, float(seg_len), n_bin + 1)  # np.histogram's edges
    # Integer counts (exact), half the bytes of float64 to hand to JAX; cast in the kernel.
    counts = np.zeros((n_seg, n_bin), dtype=np.int32)
    for k in np.flatnonzero(valid):
        chunk = times[idx0[k] : idx1[k]]
        x = chunk - starts_f[k] if exact64 else (chunk - starts[k]).astype(float)
        counts[k] = _sorted_histogram(x, edges)  # the times are sorted (checked)
    return counts, valid, starts


def _binned_segments(times, gti, segment_size, dt, fluxes, errors, n_bin):
    times = np.asanyarray(times)
    fluxes = np.asanyarray(fluxes)
    if fluxes.shape != times.shape:
        raise ValueError(f"fluxes {fluxes.shape} and times {times.shape} differ in shape")
    starts, idx0, idx1, _ = _segment_boundaries(times, gti, segment_size, True, dt)
    valid = (idx1 - idx0) >= 2
    if np.any(valid & ((idx1 - idx0) != n_bin)):
        raise ValueError("the light curve is not uniformly sampled with dt inside the GTIs")
    cast = complex if np.iscomplexobj(fluxes) else float
    rows = idx0[:, None] + np.arange(n_bin)
    rows = np.where(valid[:, None], rows, 0)
    segs = fluxes[rows].astype(cast)
    variances = None
    if errors is not None:
        errors = np.asanyarray(errors)
        variances = np.mean(errors[rows], axis=-1).astype(cast) ** 2
    return segs, variances, valid, starts


def _check_finite(name, arr):
    if arr is not None and not np.all(np.isfinite(np.asarray(arr))):
        raise ValueError(f"{name} contain NaN or infinite values")


def _check_times(name, times):
    """Finite and sorted (Stingray's segment boundaries are found by binary search)."""
    times = np.asarray(times)
    # Sorted, with finite ends: then all finite (a NaN fails a comparison); one pass.
    sorted_finite = (
        times.ndim == 1
        and times.size > 1
        and np.all(times[1:] >= times[:-1])
        and np.isfinite(times[[0, -1]]).all()
    )
    if sorted_finite:
        return
    _check_finite(name, times)
    if np.size(times) > 1 and not np.all(np.diff(times) >= 0):
        raise ValueError(f"{name} must be sorted in increasing order (sort them with their fluxes)")


def _bucket(n):
    """Pad the number of segments so that similar inputs share a compiled kernel."""
    if n <= 8:
        return 1 << max(0, (n - 1).bit_length())
    return -(-n // 8) * 8


def _pad(arr, n_pad):
    if arr is None or n_pad == 0:
        return arr
    return np.concatenate([arr, np.zeros((n_pad, *arr.shape[1:]), dtype=arr.dtype)])


def _factor(dt, n_bin, mean, n_ph, variance, norm):
    """Normalisation factor(s) of Stingray's ``normalize_periodograms`` (NumPy arithmetic)."""
    return normalize_periodograms(
        np.float64(1.0), dt, n_bin, mean, n_ph=n_ph, variance=variance, norm=norm
    )


def _run(kernel, *arrays, dtype="float64", rows=None, **static):
    """The kernel on the arrays in ``dtype`` (float64 whatever JAX's global flag, or float32);
    ``rows``, if given, is passed on as integers (`_pds_segment_sums`)."""
    arrays = tuple(None if a is None else np.asarray(a, dtype=dtype) for a in arrays)
    if rows is not None:
        static["rows"] = np.asarray(rows, dtype=np.int32)
    with x64_scope(dtype == "float64"):
        out = kernel(*arrays, **static)
        return {k: np.asarray(v) for k, v in out.items()}


def _normalisation(segs, variances, dt, norm, use_common_mean):
    """Stingray's normalisation of an average of the segments ``segs`` (NumPy, float64):
    ``(meta, factor, seg_factor)`` with ``factor`` the common one (None without
    ``use_common_mean``) and ``seg_factor`` one per segment."""
    n_good, n_bin = segs.shape
    n_ph_seg = segs.sum(axis=1, dtype=segs.dtype if segs.dtype.kind in "fc" else float)
    n_ph = np.sum(n_ph_seg) / n_good
    common_mean = n_ph / n_bin
    common_variance = None if variances is None else np.sum(variances) / n_good
    factor = None
    if use_common_mean:
        factor = _factor(dt, n_bin, common_mean, n_ph, common_variance, norm)
        seg_factor = np.full(n_good, factor)
    else:
        seg_factor = _factor(dt, n_bin, n_ph_seg / n_bin, n_ph_seg, variances, norm)
        seg_factor = np.broadcast_to(np.asarray(seg_factor, dtype=float), (n_good,))
    meta = {
        "n": n_bin,
        "m": n_good,
        "dt": dt,
        "norm": norm,
        "df": 1 / (dt * n_bin),
        "nphots": n_ph,
        "mean": common_mean,
        "variance": common_variance,
        "segment_size": dt * n_bin,
    }
    return meta, factor, seg_factor


#: On the CPU, the segments of one call of the periodogram kernel hold at most this many
#: values (4 MiB of float64): larger batches leave the caches and the FFT gets 3-4x slower per
#: segment (measured: 0.04 ms per 8192-bin segment in batches of 64, 0.17 ms in batches of
#: 512). On a GPU all the segments of a batch go in one call.
_CPU_CALL_VALUES = 1 << 19


def _calls(members, counts, n_bin):
    """Split the items ``members`` (with ``counts`` segments each) into the groups of one call."""
    import jax

    if jax.default_backend() != "cpu":
        return [members]
    limit = max(1, _CPU_CALL_VALUES // n_bin)
    calls, current, held = [], [], 0
    for i, c in zip(members, counts):
        if current and held + c > limit:
            calls.append(current)
            current, held = [], 0
        current.append(i)
        held += c
    return [*calls, current]


def _pds_arrays_many(items, norm, use_common_mean, return_subcs, dtype="float64"):
    """`_pds_arrays` of several ``(segs, variances, dt)`` in few JAX calls: the segments of
    items with the same number of bins go through one call (``rows`` tells the kernel which
    item each segment belongs to), so a batch of observations does not make a host-device
    round trip per observation (on the CPU, one per `_CPU_CALL_VALUES` values). Returns the
    list of `_pds_arrays` dicts (None for an item without good segments). The numbers of
    segments and of items of a call are padded to buckets, so that calls share a few compiled
    kernels."""
    results = [None] * len(items)
    groups: dict = {}
    for i, (segs, _, _) in enumerate(items):
        if segs.shape[0]:
            groups.setdefault(segs.shape[1], []).append(i)
    calls = [
        (n_bin, call)
        for n_bin, members in groups.items()
        for call in _calls(members, [items[i][0].shape[0] for i in members], n_bin)
    ]
    for n_bin, members in calls:
        norms = [_normalisation(*items[i], norm, use_common_mean) for i in members]
        counts = [items[i][0].shape[0] for i in members]
        total = sum(counts)
        # one item: multiples of 8 segments (as the single-series functions always had);
        # several: powers of two, so that the calls of a batch share a few kernels
        n_cols = _bucket(total) if len(members) == 1 else 1 << (total - 1).bit_length()
        bounds = np.concatenate([[0], np.cumsum(counts)])
        rows = np.repeat(np.arange(len(members)), counts)
        norm_weights = None
        if not use_common_mean:
            norm_weights = _pad(np.concatenate([n[2] for n in norms]), n_cols - total)
        out = _run(
            _pds_segment_sums,
            _pad(np.concatenate([items[i][0] for i in members]), n_cols - total),
            _pad(np.ones(total), n_cols - total),
            norm_weights,
            return_segments=bool(return_subcs),
            dtype=dtype,
            rows=_pad(rows, n_cols - total),
            n_rows=1 << (len(members) - 1).bit_length(),
        )
        for row, i in enumerate(members):
            meta, factor, seg_factor = norms[row]
            unnorm = out["unnorm"][row]
            result = {
                "freq": np.fft.fftfreq(n_bin, meta["dt"])[positive_fft_bins(n_bin)],
                "power": unnorm * factor if use_common_mean else out["norm"][row],
                "unnorm_power": unnorm,
                "meta": meta,
            }
            if return_subcs:
                segments = out["segments"][bounds[row] : bounds[row + 1]]
                result["subcs"] = segments * np.asarray(seg_factor)[:, None]
                result["unnorm_subcs"] = segments
            results[i] = result
    return results


def _pds_arrays(segs, variances, dt, norm, use_common_mean, return_subcs, dtype="float64"):
    """Run the JAX kernel on the good segments: the arrays of Stingray's result table (a dict
    of the columns ``freq``, ``power``, ``unnorm_power``, the meta, and with ``return_subcs``
    the normalised and unnormalised segment periodograms as 2-D arrays), or None. The FFTs
    and sums are computed in ``dtype`` (the normalisation factors in float64)."""
    return _pds_arrays_many([(segs, variances, dt)], norm, use_common_mean, return_subcs, dtype)[0]


def _as_table(arrays):
    """Stingray's result table from the arrays of `_pds_arrays`."""
    from astropy.table import Table

    if arrays is None:
        return None
    results = Table()
    for name in ("freq", "power", "unnorm_power"):
        results[name] = arrays[name]
    results.meta.update(arrays["meta"])
    if "subcs" in arrays:
        results.meta["subcs"] = list(arrays["subcs"])
        results.meta["unnorm_subcs"] = list(arrays["unnorm_subcs"])
    return results


def _pds_from_segments(segs, variances, dt, norm, use_common_mean, return_subcs):
    """Run the JAX kernel on the good segments and build Stingray's result table."""
    return _as_table(_pds_arrays(segs, variances, dt, norm, use_common_mean, return_subcs))


def avg_pds_from_timeseries(
    times,
    gti,
    segment_size,
    dt,
    norm="frac",
    use_common_mean=True,
    silent=False,
    fluxes=None,
    errors=None,
    return_subcs=False,
):
    """Average periodogram from event times or a light curve (Stingray's recipe, in JAX).

    Same signature and output as ``stingray.fourier.avg_pds_from_timeseries``: an astropy
    ``Table`` with columns ``freq``, ``power``, ``unnorm_power`` and meta ``n``, ``m``, ``dt``,
    ``norm``, ``df``, ``nphots``, ``mean``, ``variance``, ``segment_size``, ``gti`` (plus
    ``subcs``/``unnorm_subcs`` when ``return_subcs``). Segments start at each GTI start and step
    by ``segment_size``; only whole segments with at least two events (or bins) are kept, and
    all-zero segments are skipped. The FFTs of all segments run in one jitted float64 call.

    Parameters
    ----------
    times : array
        Event arrival times, or the bin times of a light curve (with ``fluxes``).
    gti : array, shape (n, 2)
        Good time intervals.
    segment_size : float or None
        Segment length; ``None`` uses the whole observation as one segment.
    dt : float
        Sampling time of the (intermediate) light curves.
    norm : str, default "frac"
        ``"frac"``, ``"abs"``, ``"leahy"`` or ``"none"``.
    use_common_mean : bool, default True
        Normalise with the mean of all segments (True) or per segment (False).
    silent : bool, default False
        Accepted for compatibility (there is no progress bar: one vectorised call).
    fluxes, errors : array, optional
        Counts (or fluxes) per bin and their uncertainties, for light-curve input.
    return_subcs : bool, default False
        Also return the periodogram of every segment in the meta.

    Returns
    -------
    results : astropy.table.Table or None
        ``None`` when no segment is usable, as in Stingray.

    Raises
    ------
    ValueError
        For non-positive ``dt``, a malformed GTI, NaN times/fluxes, an empty event list,
        or a ``segment_size`` longer than every GTI.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> times = np.sort(rng.uniform(0, 100, 20000))
    >>> res = avg_pds_from_timeseries(times, [[0, 100]], 10, 0.01, norm="leahy")
    >>> res.meta["m"], res.meta["n"]
    (10, 1000)
    >>> bool(abs(res["power"].mean() - 2) < 0.05)
    True
    """
    results = avg_pds_with_segment_starts(
        times, gti, segment_size, dt, norm, use_common_mean, fluxes, errors, return_subcs
    )
    if results is not None:
        results.meta.pop("segment_starts", None)  # Stingray's meta keys, no more
    return results


def avg_pds_with_segment_starts(
    times, gti, segment_size, dt, norm, use_common_mean, fluxes, errors, return_subcs
):
    """`avg_pds_from_timeseries`, with ``meta["segment_starts"]`` (the start time of each
    periodogram of ``subcs``) when ``return_subcs`` (for the batch of observations)."""
    arrays = avg_pds_segment_arrays(
        times, gti, segment_size, dt, norm, use_common_mean, fluxes, errors, return_subcs
    )
    results = _as_table(arrays)
    if results is not None and return_subcs:  # the start time of each periodogram in "subcs"
        results.meta["segment_starts"] = arrays["segment_starts"]
    return results


def avg_pds_segment_arrays(
    times,
    gti,
    segment_size,
    dt,
    norm,
    use_common_mean,
    fluxes,
    errors,
    return_subcs,
    dtype="float64",
):
    """`avg_pds_with_segment_starts` as the dict of arrays of `_pds_arrays` (no astropy
    ``Table``; ``subcs`` 2-D), with ``"segment_starts"`` (the start of each good segment)
    and ``meta["gti"]``; None when no segment is usable. ``dtype="float32"`` computes the
    FFTs in float32 (the binning and the segment times stay float64)."""
    norm = _check_norm(norm)
    good = good_segments(times, gti, segment_size, dt, fluxes, errors)
    return avg_pds_from_good_segments([good], norm, use_common_mean, return_subcs, dtype)[0]


def good_segments(times, gti, segment_size, dt, fluxes=None, errors=None):
    """The host half of `avg_pds_segment_arrays`: input checks and Stingray's segments.

    Returns ``(segs, variances, dt, gti, starts)``: the binned good segments (one row each;
    Stingray's all-zero segments dropped where there are no error bars), their variances
    (None for events), and the start time of each. `avg_pds_from_good_segments` turns a
    list of these into spectra in one JAX call.
    """
    _check_dt_value(dt)
    gti = _check_gti(gti)
    times = np.asanyarray(times)
    _check_times("times", times)
    binned = fluxes is not None
    if not binned and times.size == 0:
        raise ValueError("the event list is empty")
    if binned:
        _check_finite("fluxes", fluxes)
        _check_finite("errors", errors)
    n_bin = _n_bin(segment_size, dt, gti, fluxes)
    if segment_size is not None:
        segment_size, _ = _fix_segment(segment_size, dt)

    if binned:
        segs, variances, valid, starts = _binned_segments(
            times, gti, segment_size, dt, fluxes, errors, n_bin
        )
    else:
        segs, valid, starts = _event_segments(times, gti, segment_size, n_bin)
        variances = None
    if variances is None:
        # Stingray skips all-zero segments (only when no error bars are attached).
        valid &= np.any(segs != 0, axis=-1)
    variances = None if variances is None else variances[valid]
    return segs[valid], variances, dt, gti, np.asarray(starts)[valid]


def avg_pds_from_good_segments(goods, norm, use_common_mean, return_subcs, dtype="float64"):
    """`avg_pds_segment_arrays` of each of several `good_segments` results, with one JAX
    call for all (per number of bins). ``norm`` must be checked already."""
    results = _pds_arrays_many(
        [(segs, variances, dt) for segs, variances, dt, _, _ in goods],
        norm,
        use_common_mean,
        return_subcs,
        dtype,
    )
    for result, (_, _, _, gti, starts) in zip(results, goods):
        if result is not None:
            result["meta"]["gti"] = gti
            result["segment_starts"] = starts
    return results


def _check_segment_size(segment_size):
    if segment_size is not None:
        size = np.asarray(segment_size, dtype=float)
        if size.ndim != 0 or not np.isfinite(size) or size <= 0:
            raise ValueError(
                f"segment_size must be a positive finite number or None, got {segment_size!r}"
            )


def _n_bin(segment_size, dt, gti, fluxes):
    _check_segment_size(segment_size)
    if segment_size is not None:
        _, n_bin = _fix_segment(segment_size, dt)
    elif fluxes is not None:
        n_bin = np.size(fluxes)
    else:
        _, n_bin = _fix_segment(gti.max() - gti.min(), dt)
    n_bin = int(n_bin)
    if n_bin < 2:
        raise ValueError(f"segment_size={segment_size} holds fewer than 2 bins of dt={dt}")
    return n_bin


def avg_pds_from_iterable(
    flux_iterable, dt, norm="frac", use_common_mean=True, silent=False, return_subcs=False
):
    """Average periodogram of an iterable of equal-length light curves (or (flux, err) tuples).

    Same signature and output table as ``stingray.fourier.avg_pds_from_iterable``. The
    iterable is consumed into one array and all FFTs run in a single jitted call.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> lcs = [rng.poisson(10.0, 256).astype(float) for _ in range(4)]
    >>> res = avg_pds_from_iterable(lcs, 0.1, norm="leahy")
    >>> res.meta["m"]
    4
    """
    norm = _check_norm(norm)
    _check_dt_value(dt)
    segs, errs = [], []
    for flux in flux_iterable:
        if flux is None:
            continue
        err = None
        if isinstance(flux, tuple):
            flux, err = flux
        elif np.all(np.asarray(flux) == 0):
            continue
        segs.append(np.asarray(flux))
        errs.append(err)
    if not segs:
        return None
    if len({s.size for s in segs}) != 1:
        raise ValueError("all light curves in the iterable must have the same length")
    has_err = [e is not None for e in errs]
    variances = None
    if all(has_err):
        variances = np.asarray([np.mean(e) ** 2 for e in errs])
    elif any(has_err):
        raise ValueError("either all or none of the light curves must carry errors")
    arr = np.stack(segs)
    _check_finite("fluxes", arr)
    return _pds_from_segments(
        arr.astype(complex if np.iscomplexobj(arr) else float),
        variances,
        dt,
        norm,
        use_common_mean,
        return_subcs,
    )


# ------------------------------------------------------------------------------------------------
# Cross spectra
# ------------------------------------------------------------------------------------------------
