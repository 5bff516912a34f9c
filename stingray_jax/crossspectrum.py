"""Stingray's ``stingray.crossspectrum``, with the cross spectra computed by the JAX core.

`Crossspectrum`, `AveragedCrossspectrum` and `DynamicalCrossspectrum` subclass their Stingray
namesakes and keep their constructors, ``from_*`` methods, attributes and every other method
(``rebin``, ``rebin_log``, ``to_norm``, ``coherence``, ``phase_lag``, ``time_lag``,
``classical_significances``, ``compute_rms``, ...); only the computation differs: the segments
of both series are Fourier transformed, normalised and averaged in one jitted float64 JAX call
(:mod:`stingray_jax.fourier`), whatever JAX's global precision flag. The module-level
``crossspectrum_from_*`` functions are ours too; any other name of ``stingray.crossspectrum``
(``coherence``, ``time_lag``, ``cospectra_pvalue``, ``normalize_crossspectrum``, ...) is
Stingray's own, reached through this module.

Deliberate differences from Stingray 2.3.2 (see the "Differences" page): with
``use_common_mean=False`` the auxiliary ``pds1``/``pds2`` hold the *mean* of the normalised
segment spectra (Stingray stores their sum); bad inputs (empty event lists, no usable segment,
non-positive ``dt``, NaN fluxes, light curves with different ``dt``) raise a ``ValueError`` naming
the problem.
"""

import numpy as np

from ._config import preserve_global_state
from ._mirror import stingray_fallback
from ._spectra_common import (
    EventList,
    KeepsPrintOptions,
    Lightcurve,
    check_dt,
    check_events,
    check_lc,
    check_same_dt,
    cross_two_gtis,
    iterate_lc_counts,
    no_result,
)
from .fourier import avg_cs_from_iterables, avg_cs_from_timeseries

with preserve_global_state():
    from stingray import crossspectrum as _sr_cs
    from stingray.gti import time_intervals_from_gtis

__all__ = [
    "AveragedCrossspectrum",
    "Crossspectrum",
    "DynamicalCrossspectrum",
    "crossspectrum_from_events",
    "crossspectrum_from_lc_iterable",
    "crossspectrum_from_lightcurve",
    "crossspectrum_from_time_array",
    "crossspectrum_from_timeseries",
]


def _create_crossspectrum_from_result_table(table, force_averaged=False, channels_overlap=False):
    table = no_result(table, "cross spectrum")
    if table.meta["m"] > 1 or force_averaged:
        cs, pds1, pds2 = AveragedCrossspectrum(), AveragedCrossspectrum(), AveragedCrossspectrum()
    else:
        cs, pds1, pds2 = Crossspectrum(), Crossspectrum(), Crossspectrum()
    cs.pds1, cs.pds2 = pds1, pds2
    cs.freq = pds1.freq = pds2.freq = np.array(table["freq"])
    cs.norm = pds1.norm = pds2.norm = table.meta["norm"]
    cs.power = np.array(table["power"])
    pds1.power = np.array(table["pds1"])
    pds2.power = np.array(table["pds2"])
    cs.unnorm_power = np.array(table["unnorm_power"])
    pds1.unnorm_power = np.array(table["unnorm_pds1"])
    pds2.unnorm_power = np.array(table["unnorm_pds2"])
    pds1.type = pds2.type = "powerspectrum"
    if "subcs" in table.meta:
        cs.cs_all = np.array(table.meta["subcs"])
        cs.unnorm_cs_all = np.array(table.meta["unnorm_subcs"])
    for attr, val in table.meta.items():
        if not attr.endswith("subcs"):
            for obj in (cs, pds1, pds2):
                setattr(obj, attr, val)
    cs.err_dist = "poisson"
    if cs.variance is not None:
        cs.err_dist = pds1.err_dist = pds2.err_dist = "gauss"
    for attr, val in table.meta.items():
        if attr.endswith("1"):
            setattr(pds1, attr[:-1], val)
        if attr.endswith("2"):
            setattr(pds2, attr[:-1], val)
    cs.mean = table.meta["mean"]
    cs.channels_overlap = channels_overlap
    cs.nph = table.meta["nphots"]
    # Error bars on averaged cross spectra: Stingray's formulas (NumPy) on our averages.
    _calculate_errors(cs)
    return cs


def _calculate_errors(cs):
    """Stingray's error bars, where a sub-band power that is exactly zero has no coherence.

    An exactly zero power (small integer counts can cancel exactly at frequencies such as
    n/4, where the FFT twiddles are exactly 1 and i) makes Stingray's coherence 0/0 with Python
    scalars, a ZeroDivisionError. It is NaN there instead, so Stingray's own fallback for invalid
    error bars (``sqrt(2 / M)`` in Leahy units, with its warning) applies to those bins.
    """
    pds = (cs.pds1, cs.pds2)
    saved = [p.unnorm_power for p in pds]
    zero = [p.unnorm_power == 0 for p in pds]
    for p, z in zip(pds, zero):
        if np.any(z):
            p.unnorm_power = np.where(z, np.nan, p.unnorm_power)
    try:
        with preserve_global_state():
            cs._calculate_errors()
    finally:
        for p, z, s in zip(pds, zero, saved):
            if np.any(z):
                p.unnorm_power = s
                p.unnorm_power_err = s / np.sqrt(p.m)


def crossspectrum_from_time_array(
    times1,
    times2,
    dt,
    segment_size=None,
    gti=None,
    norm="none",
    power_type="all",
    silent=False,
    fullspec=False,
    use_common_mean=True,
    save_all=False,
    channels_overlap=False,
):
    """Cross spectrum of two arrays of event times (``stingray.crossspectrum`` namesake)."""
    results = avg_cs_from_timeseries(
        times1,
        times2,
        gti,
        segment_size,
        dt,
        norm=norm,
        use_common_mean=use_common_mean,
        fullspec=fullspec,
        silent=silent or segment_size is None,
        power_type=power_type,
        return_auxil=True,
        return_subcs=save_all,
    )
    return _create_crossspectrum_from_result_table(
        results, force_averaged=segment_size is not None, channels_overlap=channels_overlap
    )


def crossspectrum_from_events(
    events1,
    events2,
    dt,
    segment_size=None,
    norm="none",
    power_type="all",
    silent=False,
    fullspec=False,
    use_common_mean=True,
    gti=None,
    save_all=False,
    channels_overlap=False,
):
    """Cross spectrum of two event lists (``stingray.crossspectrum`` namesake)."""
    check_events(events1)
    check_events(events2)
    if gti is None:
        gti = cross_two_gtis(events1.gti, events2.gti)
    check_dt(dt)
    dt = events1.suggest_compatible_dt(dt)
    return crossspectrum_from_time_array(
        events1.time,
        events2.time,
        dt,
        segment_size,
        gti,
        norm=norm,
        power_type=power_type,
        silent=silent,
        fullspec=fullspec,
        use_common_mean=use_common_mean,
        save_all=save_all,
        channels_overlap=channels_overlap,
    )


def _common_span_gti(gti, ts1, ts2):
    """``gti`` restricted to the span both binned series cover (segments paired one to one).

    Stingray pairs the segments of the two series in order; a GTI running past the end (or
    start) of one of them would drop that series' last segments only, and the pairs would no
    longer match in time.
    """
    gti = np.asarray(gti, dtype=float)
    half = 0.5 * ts1.dt
    start = max(ts1.time[0], ts2.time[0]) - half
    stop = min(ts1.time[-1], ts2.time[-1]) + half
    if gti.size == 0 or (gti[0, 0] >= start and gti[-1, 1] <= stop):
        return gti
    common = cross_two_gtis(gti, np.array([[start, stop]]))
    if np.size(common) == 0:
        raise ValueError("the GTIs do not overlap the time span shared by the two light curves")
    return common


def crossspectrum_from_timeseries(
    ts1,
    ts2,
    flux_attr,
    error_flux_attr=None,
    segment_size=None,
    norm="none",
    power_type="all",
    silent=False,
    fullspec=False,
    use_common_mean=True,
    gti=None,
    save_all=False,
    channels_overlap=False,
):
    """Cross spectrum of two Stingray time series (``stingray.crossspectrum`` namesake)."""
    check_same_dt(ts1.dt, ts2.dt)
    if gti is None:
        gti = cross_two_gtis(ts1.gti, ts2.gti)
    if segment_size is not None:
        gti = _common_span_gti(gti, ts1, ts2)
    err1 = err2 = None
    if error_flux_attr is not None:
        err1 = getattr(ts1, error_flux_attr)
        err2 = getattr(ts2, error_flux_attr)
    results = avg_cs_from_timeseries(
        ts1.time,
        ts2.time,
        gti,
        segment_size,
        ts1.dt,
        norm=norm,
        use_common_mean=use_common_mean,
        fullspec=fullspec,
        silent=silent or segment_size is None,
        power_type=power_type,
        fluxes1=getattr(ts1, flux_attr),
        fluxes2=getattr(ts2, flux_attr),
        errors1=err1,
        errors2=err2,
        return_auxil=True,
        return_subcs=save_all,
    )
    return _create_crossspectrum_from_result_table(
        results, force_averaged=segment_size is not None, channels_overlap=channels_overlap
    )


def crossspectrum_from_lightcurve(
    lc1,
    lc2,
    segment_size=None,
    norm="none",
    power_type="all",
    silent=False,
    fullspec=False,
    use_common_mean=True,
    gti=None,
    save_all=False,
    channels_overlap=False,
):
    """Cross spectrum of two light curves (``stingray.crossspectrum`` namesake)."""
    check_lc(lc1)
    check_lc(lc2)
    return crossspectrum_from_timeseries(
        lc1,
        lc2,
        "_counts",
        error_flux_attr="_counts_err" if lc1.err_dist == "gauss" else None,
        segment_size=segment_size,
        norm=norm,
        power_type=power_type,
        silent=silent,
        fullspec=fullspec,
        use_common_mean=use_common_mean,
        gti=gti,
        save_all=save_all,
        channels_overlap=channels_overlap,
    )


def crossspectrum_from_lc_iterable(
    iter_lc1,
    iter_lc2,
    dt,
    segment_size,
    norm="none",
    power_type="all",
    silent=False,
    fullspec=False,
    use_common_mean=True,
    gti=None,
    save_all=False,
    channels_overlap=False,
):
    """Averaged cross spectrum of two iterables of light curves (``stingray`` namesake)."""
    check_dt(dt)
    what = "crossspectrum_from_lc_iterable"
    with preserve_global_state():
        results = avg_cs_from_iterables(
            iterate_lc_counts(iter_lc1, segment_size, gti, what, dt),
            iterate_lc_counts(iter_lc2, segment_size, gti, what, dt),
            dt,
            norm=norm,
            use_common_mean=use_common_mean,
            silent=True,
            fullspec=fullspec,
            power_type=power_type,
            return_auxil=True,
            return_subcs=save_all,
        )
    return _create_crossspectrum_from_result_table(
        results, force_averaged=segment_size is not None, channels_overlap=channels_overlap
    )


class _CrossFromJax(KeepsPrintOptions):
    """Overrides that route Stingray's cross-spectrum construction through the JAX core."""

    from_time_array = staticmethod(crossspectrum_from_time_array)
    from_events = staticmethod(crossspectrum_from_events)
    from_lightcurve = staticmethod(crossspectrum_from_lightcurve)
    from_stingray_timeseries = staticmethod(crossspectrum_from_timeseries)
    from_lc_iterable = staticmethod(crossspectrum_from_lc_iterable)

    def _initialize_from_any_input(
        self,
        data1,
        data2,
        dt=None,
        segment_size=None,
        norm="frac",
        power_type="all",
        silent=False,
        fullspec=False,
        gti=None,
        use_common_mean=True,
        save_all=False,
    ):
        if isinstance(data1, Lightcurve) and isinstance(data2, Lightcurve):
            check_same_dt(data1.dt, data2.dt)
        if segment_size is None and isinstance(data1, _sr_cs.StingrayObject):
            # As Stingray: a single spectrum uses the common GTIs of the two inputs, applied to
            # copies (the user's objects keep their data; Stingray sets their ``gti``).
            common_gti = cross_two_gtis(data1.gti, data2.gti)
            data1.gti = common_gti
            data2.gti = common_gti
            data1 = data1.apply_gtis(inplace=False)
            data2 = data2.apply_gtis(inplace=False)
            binned1 = "counts" in data1.array_attrs() or "_counts" in data1.internal_array_attrs()
            binned2 = "counts" in data2.array_attrs() or "_counts" in data2.internal_array_attrs()
            if binned1 and binned2:
                if data2.time.size != data1.time.size or not np.allclose(
                    data2.time - data1.time, 0
                ):
                    raise ValueError("Time arrays are not the same")
            elif binned1 or binned2:
                raise ValueError("Please use input data of the same kind")
        kw = {
            "norm": norm,
            "power_type": power_type,
            "silent": silent,
            "fullspec": fullspec,
            "use_common_mean": use_common_mean,
            "gti": gti,
            "save_all": save_all,
            "channels_overlap": self.channels_overlap,
        }
        if isinstance(data1, EventList):
            spec = crossspectrum_from_events(data1, data2, dt, segment_size, **kw)
        elif isinstance(data1, Lightcurve):
            spec = crossspectrum_from_lightcurve(data1, data2, segment_size, **kw)
            spec.lc1 = data1
            spec.lc2 = data2
        elif isinstance(data1, tuple | list):
            spec = crossspectrum_from_lc_iterable(data1, data2, data1[0].dt, segment_size, **kw)
        else:
            raise TypeError(f"Bad inputs to Crossspectrum: {type(data1)}")
        for key, val in spec.__dict__.items():
            setattr(self, key, val)


class Crossspectrum(_CrossFromJax, _sr_cs.Crossspectrum):
    """Stingray's `~stingray.Crossspectrum`, computed with JAX.

    Same constructor (``Crossspectrum(data1=None, data2=None, norm="frac", gti=None, lc1=None,
    lc2=None, power_type="all", dt=None, fullspec=False, skip_checks=False, save_all=False,
    channels_overlap=False)``), ``from_*`` methods and attributes (including ``pds1``,
    ``pds2``, ``power_err``, ``lag_err``, ``nphots1``, ``nphots2``, ``countrate1``...).

    Examples
    --------
    >>> import numpy as np
    >>> from stingray import Lightcurve
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(512) * 0.1
    >>> lc1 = Lightcurve(t, rng.poisson(100, 512), dt=0.1, skip_checks=True)
    >>> lc2 = Lightcurve(t, rng.poisson(100, 512), dt=0.1, skip_checks=True)
    >>> cs = Crossspectrum(lc1, lc2, norm="leahy")
    >>> cs.power.dtype.kind, cs.freq.size
    ('c', 255)
    >>> cs.time_lag().shape
    (255,)
    """

    def time_lag(self):
        """Fourier time lag ``phase_lag / (2 pi freq)`` (Stingray's, on our subclass).

        Stingray 2.3.2 computes it only when ``self.__class__`` is exactly its own
        ``Crossspectrum`` or ``AveragedCrossspectrum`` (a subclass gets an AttributeError).
        """
        return self.phase_lag() / (2 * np.pi * self.freq)


class AveragedCrossspectrum(Crossspectrum, _sr_cs.AveragedCrossspectrum):
    """Stingray's `~stingray.AveragedCrossspectrum`, computed with JAX.

    Examples
    --------
    >>> import numpy as np
    >>> from stingray import EventList
    >>> rng = np.random.default_rng(2)
    >>> ev1 = EventList(np.sort(rng.uniform(0, 32, 20000)), gti=[[0, 32]])
    >>> ev2 = EventList(np.sort(rng.uniform(0, 32, 20000)), gti=[[0, 32]])
    >>> acs = AveragedCrossspectrum.from_events(ev1, ev2, dt=1 / 32, segment_size=4)
    >>> acs.m, acs.freq.size
    (8, 63)
    >>> lag, lag_err = acs.time_lag()
    """

    # Crossspectrum.time_lag above would shadow Stingray's averaged one (lag and error).
    time_lag = _sr_cs.AveragedCrossspectrum.time_lag


class DynamicalCrossspectrum(KeepsPrintOptions, _sr_cs.DynamicalCrossspectrum):
    """Stingray's `~stingray.DynamicalCrossspectrum`, with the segment spectra computed in JAX.

    Same constructor (``DynamicalCrossspectrum(data1=None, data2=None, segment_size=None,
    norm="frac", gti=None, sample_time=None)``), attributes (``dyn_ps``, ``freq``, ``time``,
    ``df``, ``dt``, ``m``, ``nphots1``, ``nphots2``, ``unnorm_conversion``) and methods
    (``rebin_frequency``, ``rebin_time``, ``rebin_by_n_intervals``, ``trace_maximum``,
    ``shift_and_add``, ``power_colors``, ``compute_rms``).

    Examples
    --------
    >>> import numpy as np
    >>> from stingray import Lightcurve
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(4096) * 0.01
    >>> lc1 = Lightcurve(t, rng.poisson(50, 4096), dt=0.01, skip_checks=True)
    >>> lc2 = Lightcurve(t, rng.poisson(50, 4096), dt=0.01, skip_checks=True)
    >>> dcs = DynamicalCrossspectrum(lc1, lc2, segment_size=5.12, norm="leahy")
    >>> dcs.dyn_ps.shape
    (255, 8)
    """

    def _make_matrix(self, data1, data2):
        avg = AveragedCrossspectrum(
            data1,
            data2,
            dt=self.sample_time,
            segment_size=self.segment_size,
            norm=self.norm,
            gti=self.gti,
            save_all=True,
        )
        self.dyn_ps = np.array(avg.cs_all).T
        with np.errstate(divide="ignore", invalid="ignore"):
            conv = avg.cs_all / avg.unnorm_cs_all
        self.unnorm_conversion = np.nanmean(conv)
        self.freq = avg.freq
        self.nphots1 = avg.nphots1
        self.nphots2 = avg.nphots2
        tstart, _ = time_intervals_from_gtis(avg.gti, self.segment_size)
        self.time = tstart + 0.5 * self.segment_size
        self.df = avg.df
        self.dt = self.segment_size
        self.m = 1

    def shift_and_add(self, f0_list, nbins=100, output_obj_type=None, rebin=None):
        """Stingray's shift-and-add; returns our `AveragedCrossspectrum` by default."""
        if output_obj_type is None:
            output_obj_type = AveragedCrossspectrum
        return super().shift_and_add(
            f0_list, nbins=nbins, output_obj_type=output_obj_type, rebin=rebin
        )


__getattr__, __dir__ = stingray_fallback(__name__, globals())
