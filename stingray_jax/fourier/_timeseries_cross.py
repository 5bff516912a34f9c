"""Stingray-compatible averaged cross spectra of two event lists or light curves.

The twin of ``_timeseries.py`` (power spectra) for two series on the same segments: the segment
bookkeeping, binning and checks are that module's; the cross products, normalisation and
averaging run in one jitted JAX call over all segments, in float64.
"""

import numpy as np

from ._core import _check_norm, _cs_segment_sums, positive_fft_bins
from ._timeseries import (
    _binned_segments,
    _bucket,
    _check_dt_value,
    _check_finite,
    _check_gti,
    _check_segment_size,
    _check_times,
    _event_segments,
    _factor,
    _fix_segment,
    _pad,
    _run,
)

__all__ = ["avg_cs_from_iterables", "avg_cs_from_timeseries"]


def _power_type(x, power_type):
    if power_type == "real":
        return np.real(x)
    if power_type in ("abs", "absolute"):
        return np.abs(x)
    return x


def _cs_from_segments(
    segs1,
    segs2,
    var1,
    var2,
    dt,
    norm,
    use_common_mean,
    fullspec,
    power_type,
    return_auxil,
    return_subcs,
    quick=False,
):
    from astropy.table import Table

    n_good, n_bin = segs1.shape
    if n_good == 0:
        return None
    if var1 is None or var2 is None:
        var1 = var2 = None
    n1_seg = segs1.sum(axis=1, dtype=segs1.dtype if segs1.dtype.kind in "fc" else float)
    n2_seg = segs2.sum(axis=1, dtype=segs2.dtype if segs2.dtype.kind in "fc" else float)
    n_seg = np.sqrt(n1_seg * n2_seg)
    n_ph1, n_ph2 = np.sum(n1_seg) / n_good, np.sum(n2_seg) / n_good
    n_ph = np.sqrt(n_ph1 * n_ph2)
    mean1, mean2, mean = n_ph1 / n_bin, n_ph2 / n_bin, n_ph / n_bin
    cvar1 = cvar2 = cvar = None
    if var1 is not None:
        cvar1, cvar2 = np.sum(var1) / n_good, np.sum(var2) / n_good
        cvar = np.sqrt(cvar1 * cvar2)
    if use_common_mean:
        f = _factor(dt, n_bin, mean, n_ph, cvar, norm)
        f1 = _factor(dt, n_bin, mean1, n_ph1, cvar1, norm)
        f2 = _factor(dt, n_bin, mean2, n_ph2, cvar2, norm)
        f_seg, f1_seg, f2_seg = (np.full(n_good, x, dtype=float) for x in (f, f1, f2))
    else:
        seg_var = None if var1 is None else np.sqrt(var1 * var2)
        f_seg = np.asarray(_factor(dt, n_bin, n_seg / n_bin, n_seg, seg_var, norm), float)
        f1_seg = np.asarray(_factor(dt, n_bin, n1_seg / n_bin, n1_seg, var1, norm), float)
        f2_seg = np.asarray(_factor(dt, n_bin, n2_seg / n_bin, n2_seg, var2, norm), float)
        f_seg, f1_seg, f2_seg = (np.broadcast_to(x, (n_good,)) for x in (f_seg, f1_seg, f2_seg))
    absolute = power_type in ("abs", "absolute")
    n_pad = _bucket(n_good) - n_good
    out = _run(
        _cs_segment_sums,
        _pad(segs1, n_pad),
        _pad(segs2, n_pad),
        _pad(np.ones(n_good), n_pad),
        _pad(np.asarray(f_seg, float), n_pad),
        _pad(np.abs(f_seg), n_pad),
        _pad(np.abs(f1_seg) if absolute else np.asarray(f1_seg, float), n_pad),
        _pad(np.abs(f2_seg) if absolute else np.asarray(f2_seg, float), n_pad),
        fullspec=bool(fullspec),
        return_auxil=bool(return_auxil),
        return_segments=bool(return_subcs),
    )
    if use_common_mean:
        power = _power_type(out["unnorm"] * f, power_type)
    elif absolute:
        power = out["norm_abs"]
    else:
        power = _power_type(out["norm"], power_type)
    freq = np.fft.fftfreq(n_bin, dt)
    if not fullspec:
        freq = freq[positive_fft_bins(n_bin)]

    results = Table()
    results["freq"] = freq
    results["power"] = power
    results["unnorm_power"] = out["unnorm"]
    meta = {
        "n": n_bin,
        "m": n_good,
        "dt": dt,
        "norm": norm,
        "df": 1 / (dt * n_bin),
        "segment_size": dt * n_bin,
        "nphots": n_ph,
        "nphots1": n_ph1,
        "nphots2": n_ph2,
    }
    if quick:
        meta.update(
            {
                "variance": None,
                "mean": mean,
                "mean1": mean1,
                "mean2": mean2,
                "power_type": "all",
                "fullspec": False,
            }
        )
    else:
        meta.update(
            {
                "countrate1": mean1 / dt,
                "countrate2": mean2 / dt,
                "mean": mean,
                "mean1": mean1,
                "mean2": mean2,
                "power_type": power_type,
                "fullspec": fullspec,
                "variance": cvar,
                "variance1": cvar1,
                "variance2": cvar2,
            }
        )
    results.meta.update(meta)
    if return_auxil:
        if use_common_mean:
            results["pds1"] = _power_type(out["unnorm_pds1"] * f1, power_type)
            results["pds2"] = _power_type(out["unnorm_pds2"] * f2, power_type)
        else:
            results["pds1"] = out["pds1"]
            results["pds2"] = out["pds2"]
        results["unnorm_pds1"] = out["unnorm_pds1"]
        results["unnorm_pds2"] = out["unnorm_pds2"]
    if return_subcs:
        segments = out["segments"][:n_good]
        results.meta["subcs"] = _power_type(segments * np.asarray(f_seg)[:, None], power_type)
        results.meta["unnorm_subcs"] = segments
    return results


def avg_cs_from_timeseries(
    times1,
    times2,
    gti,
    segment_size,
    dt,
    norm="frac",
    use_common_mean=True,
    fullspec=False,
    silent=False,
    power_type="all",
    fluxes1=None,
    fluxes2=None,
    errors1=None,
    errors2=None,
    return_auxil=False,
    return_subcs=False,
):
    """Average cross spectrum from two event lists or light curves (Stingray's recipe, in JAX).

    Same signature and output table as ``stingray.fourier.avg_cs_from_timeseries`` (columns
    ``freq``, ``power``, ``unnorm_power`` and, with ``return_auxil``, ``pds1``, ``pds2``,
    ``unnorm_pds1``, ``unnorm_pds2``; the meta keys of Stingray's quick or full path).

    Notes
    -----
    With ``use_common_mean=False`` and ``return_auxil=True``, Stingray 2.3.2 returns the *sum*
    over segments of the normalised auxiliary power spectra ``pds1``/``pds2`` instead of their
    mean; here they are averaged (``m`` times smaller), consistent with ``power``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> t1 = np.sort(rng.uniform(0, 100, 5000))
    >>> t2 = np.sort(rng.uniform(0, 100, 5000))
    >>> res = avg_cs_from_timeseries(t1, t2, [[0, 100]], 10, 0.05, norm="leahy")
    >>> res.meta["m"], len(res["freq"])
    (10, 99)
    """
    norm = _check_norm(norm)
    _check_dt_value(dt)
    gti = _check_gti(gti)
    binned = fluxes1 is not None and fluxes2 is not None
    times1 = np.asanyarray(times1)
    times2 = np.asanyarray(times2)
    _check_times("times", times1)
    _check_times("times", times2)
    if not binned and (times1.size == 0 or times2.size == 0):
        raise ValueError("the event list is empty")
    if binned:
        for name, arr in (
            ("fluxes1", fluxes1),
            ("fluxes2", fluxes2),
            ("errors1", errors1),
            ("errors2", errors2),
        ):
            _check_finite(name, arr)
    _check_segment_size(segment_size)
    if segment_size is not None:
        segment_size, n_bin = _fix_segment(segment_size, dt)
        n_bin = int(n_bin)
    elif binned:
        n_bin = int(np.size(fluxes1))
    else:
        n_bin = int(_fix_segment(gti.max() - gti.min(), dt)[1])
    if n_bin < 2:
        raise ValueError(f"segment_size holds fewer than 2 bins of dt={dt}")

    if binned:
        segs1, var1, valid1, _ = _binned_segments(
            times1, gti, segment_size, dt, fluxes1, errors1, n_bin
        )
        segs2, var2, valid2, _ = _binned_segments(
            times2, gti, segment_size, dt, fluxes2, errors2, n_bin
        )
    else:
        segs1, valid1, _ = _event_segments(times1, gti, segment_size, n_bin)
        segs2, valid2, _ = _event_segments(times2, gti, segment_size, n_bin)
        var1 = var2 = None
    valid = valid1 & valid2
    if var1 is None:
        valid &= np.any(segs1 != 0, axis=-1)
    if var2 is None:
        valid &= np.any(segs2 != 0, axis=-1)
    is_events = all(v is None for v in (fluxes1, fluxes2, errors1, errors2))
    quick = (
        is_events
        and silent
        and use_common_mean
        and power_type == "all"
        and not fullspec
        and not return_auxil
        and not return_subcs
    )
    results = _cs_from_segments(
        segs1[valid],
        segs2[valid],
        None if var1 is None else var1[valid],
        None if var2 is None else var2[valid],
        dt,
        norm,
        use_common_mean,
        fullspec,
        power_type,
        return_auxil,
        return_subcs,
        quick=quick,
    )
    if results is not None:
        results.meta["gti"] = gti
    return results


def avg_cs_from_iterables(
    flux_iterable1,
    flux_iterable2,
    dt,
    norm="frac",
    use_common_mean=True,
    silent=False,
    fullspec=False,
    power_type="all",
    return_auxil=False,
    return_subcs=False,
):
    """Average cross spectrum of two iterables of equal-length light curves.

    Same signature and output table as ``stingray.fourier.avg_cs_from_iterables``; all
    segments are transformed in one jitted call.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = [rng.poisson(10.0, 128).astype(float) for _ in range(3)]
    >>> b = [rng.poisson(10.0, 128).astype(float) for _ in range(3)]
    >>> avg_cs_from_iterables(a, b, 0.1, norm="none").meta["m"]
    3
    """
    norm = _check_norm(norm)
    _check_dt_value(dt)
    s1, s2, e1, e2 = [], [], [], []
    for flux1, flux2 in zip(flux_iterable1, flux_iterable2):
        if flux1 is None or flux2 is None:
            continue
        err1 = err2 = None
        if isinstance(flux1, tuple):
            flux1, err1 = flux1
        elif np.all(np.asarray(flux1) == 0):
            continue
        if isinstance(flux2, tuple):
            flux2, err2 = flux2
        elif np.all(np.asarray(flux2) == 0):
            continue
        s1.append(np.asarray(flux1))
        s2.append(np.asarray(flux2))
        e1.append(err1)
        e2.append(err2)
    if not s1:
        return None
    if len({s.size for s in s1 + s2}) != 1:
        raise ValueError("all light curves in the iterables must have the same length")
    var1 = var2 = None
    if all(e is not None for e in e1 + e2):
        var1 = np.asarray([np.mean(e) ** 2 for e in e1])
        var2 = np.asarray([np.mean(e) ** 2 for e in e2])
    a1, a2 = np.stack(s1), np.stack(s2)
    _check_finite("fluxes", a1)
    _check_finite("fluxes", a2)
    kind = complex if (np.iscomplexobj(a1) or np.iscomplexobj(a2)) else float
    return _cs_from_segments(
        a1.astype(kind),
        a2.astype(kind),
        var1,
        var2,
        dt,
        norm,
        use_common_mean,
        fullspec,
        power_type,
        return_auxil,
        return_subcs,
    )
