"""Stingray-compatible power and cross spectra computed with the JAX core.

Each class subclasses its Stingray namesake and keeps its constructor, its ``from_*`` static
methods and every attribute Stingray sets, so that ``rebin``, ``rebin_log``,
``classical_significances``, ``coherence``, ``time_lag``, plotting and the modelling code work
unchanged. Only the computation differs: the segments of all light curves are Fourier
transformed, normalised and averaged in one jitted float64 JAX call
(:mod:`stingray_jax.fourier`), whatever JAX's global precision flag.

Two deliberate differences from Stingray 2.3.2 (see the "Differences" page):

- with ``use_common_mean=False``, the auxiliary ``pds1``/``pds2`` of a cross spectrum hold the
  *mean* of the normalised segment spectra (Stingray stores their sum);
- bad inputs (empty event lists, no usable segment, non-positive ``dt``, NaN fluxes) raise a
  ``ValueError`` naming the problem instead of failing later with an unrelated error.
"""

import warnings
from collections.abc import Iterable

import numpy as np

from ._config import preserve_global_state, x64_scope
from .fourier import avg_cs_from_iterables, avg_cs_from_timeseries, avg_pds_from_iterable
from .fourier import avg_pds_from_timeseries as _avg_pds_from_timeseries

with preserve_global_state():
    from stingray import crossspectrum as _sr_cs
    from stingray import lombscargle as _sr_ls
    from stingray import powerspectrum as _sr_ps
    from stingray.events import EventList
    from stingray.fourier import get_flux_iterable_from_segments
    from stingray.gti import cross_two_gtis, time_intervals_from_gtis
    from stingray.lightcurve import Lightcurve

__all__ = [
    "AveragedCrossspectrum",
    "AveragedPowerspectrum",
    "Crossspectrum",
    "DynamicalPowerspectrum",
    "LombScarglePowerspectrum",
    "Powerspectrum",
]


def _no_result(results, what):
    if results is None:
        raise ValueError(
            f"no usable segment for the {what}: every segment is empty, has fewer than two "
            "events or bins, or is identically zero (check the GTIs, segment_size and dt)"
        )
    return results


def _check_events(events):
    if events.time is None or np.size(events.time) == 0:
        raise ValueError("the event list is empty")


def _check_lc(lc):
    if not np.all(np.isfinite(lc.counts)):
        raise ValueError("the light curve contains NaN or infinite counts")


# ------------------------------------------------------------------------------------------------
# Power spectra
# ------------------------------------------------------------------------------------------------


def _create_powerspectrum_from_result_table(table, force_averaged=False):
    table = _no_result(table, "power spectrum")
    cs = AveragedPowerspectrum() if (table.meta["m"] > 1 or force_averaged) else Powerspectrum()
    cs.freq = np.array(table["freq"])
    cs.power = np.array(table["power"])
    cs.unnorm_power = np.array(table["unnorm_power"])
    for attr, val in table.meta.items():
        setattr(cs, attr, val)
    if "subcs" in table.meta:
        cs.cs_all = np.array(table.meta["subcs"])
        cs.unnorm_cs_all = np.array(table.meta["unnorm_subcs"])
    cs.err_dist = "poisson"
    if getattr(cs, "variance", None) is not None:
        cs.err_dist = "gauss"
    cs.power_err = cs.power / np.sqrt(cs.m)
    cs.unnorm_power_err = cs.unnorm_power / np.sqrt(cs.m)
    cs.nphots1 = cs.nphots
    return cs


def powerspectrum_from_time_array(
    times,
    dt,
    segment_size=None,
    gti=None,
    norm="frac",
    silent=False,
    use_common_mean=True,
    save_all=False,
):
    """Power spectrum of an array of event times (``stingray.powerspectrum`` namesake)."""
    table = _avg_pds_from_timeseries(
        times,
        gti,
        segment_size,
        dt,
        norm=norm,
        use_common_mean=use_common_mean,
        silent=True,
        return_subcs=save_all,
    )
    return _create_powerspectrum_from_result_table(table, force_averaged=segment_size is not None)


def powerspectrum_from_events(
    events,
    dt,
    segment_size=None,
    gti=None,
    norm="frac",
    silent=False,
    use_common_mean=True,
    save_all=False,
):
    """Power spectrum of an `~stingray.events.EventList` (``stingray.powerspectrum`` namesake)."""
    _check_events(events)
    if gti is None:
        gti = events.gti
    if dt is None or dt <= 0:
        raise ValueError(f"dt must be a positive number, got {dt!r}")
    dt = events.suggest_compatible_dt(dt)
    return powerspectrum_from_time_array(
        events.time,
        dt,
        segment_size,
        gti,
        norm=norm,
        silent=silent,
        use_common_mean=use_common_mean,
        save_all=save_all,
    )


def powerspectrum_from_lightcurve(
    lc, segment_size=None, gti=None, norm="frac", silent=False, use_common_mean=True, save_all=False
):
    """Power spectrum of a `~stingray.Lightcurve` (``stingray.powerspectrum`` namesake)."""
    _check_lc(lc)
    err = lc.counts_err if lc.err_dist == "gauss" else None
    if gti is None:
        gti = lc.gti
    table = _avg_pds_from_timeseries(
        lc.time,
        gti,
        segment_size,
        lc.dt,
        norm=norm,
        use_common_mean=use_common_mean,
        silent=True,
        fluxes=lc.counts,
        errors=err,
        return_subcs=save_all,
    )
    return _create_powerspectrum_from_result_table(table, force_averaged=segment_size is not None)


def powerspectrum_from_timeseries(
    ts,
    flux_attr,
    error_flux_attr=None,
    segment_size=None,
    norm="none",
    silent=False,
    use_common_mean=True,
    gti=None,
    save_all=False,
):
    """Power spectrum of any Stingray time series attribute (``stingray`` namesake)."""
    if gti is None:
        gti = ts.gti
    err = None if error_flux_attr is None else getattr(ts, error_flux_attr)
    table = _avg_pds_from_timeseries(
        ts.time,
        gti,
        segment_size,
        ts.dt,
        norm=norm,
        use_common_mean=use_common_mean,
        silent=True,
        fluxes=getattr(ts, flux_attr),
        errors=err,
        return_subcs=save_all,
    )
    return _create_powerspectrum_from_result_table(table, force_averaged=segment_size is not None)


def _iterate_lc_counts(iter_lc, segment_size, common_gti, what):
    for lc in iter_lc:
        if hasattr(lc, "counts"):
            n_bin = np.rint(segment_size / lc.dt).astype(int)
            gti = lc.gti if common_gti is None else cross_two_gtis(common_gti, lc.gti)
            err = lc.counts_err if lc.err_dist == "gauss" else None
            yield from get_flux_iterable_from_segments(
                lc.time, gti, segment_size, n_bin, fluxes=lc.counts, errors=err
            )
        elif isinstance(lc, Iterable):
            yield lc
        else:
            raise TypeError(f"The inputs to `{what}` must be Lightcurve objects or arrays")


def powerspectrum_from_lc_iterable(
    iter_lc,
    dt,
    segment_size=None,
    gti=None,
    norm="frac",
    silent=False,
    use_common_mean=True,
    save_all=False,
):
    """Averaged power spectrum of an iterable of light curves or arrays (``stingray`` namesake)."""
    if dt is None or dt <= 0:
        raise ValueError(f"dt must be a positive number, got {dt!r}")
    with preserve_global_state():
        table = avg_pds_from_iterable(
            _iterate_lc_counts(iter_lc, segment_size, gti, "powerspectrum_from_lc_iterable"),
            dt,
            norm=norm,
            use_common_mean=use_common_mean,
            silent=True,
            return_subcs=save_all,
        )
    return _create_powerspectrum_from_result_table(table, force_averaged=segment_size is not None)


class _PowerFromJax:
    """Overrides that route Stingray's power-spectrum construction through the JAX core."""

    @staticmethod
    def from_time_array(
        times, dt, segment_size=None, gti=None, norm="frac", silent=False, use_common_mean=True
    ):
        return powerspectrum_from_time_array(
            times,
            dt,
            segment_size=segment_size,
            gti=gti,
            norm=norm,
            silent=silent,
            use_common_mean=use_common_mean,
        )

    @staticmethod
    def from_events(
        events,
        dt,
        segment_size=None,
        gti=None,
        norm="frac",
        silent=False,
        use_common_mean=True,
        save_all=False,
    ):
        return powerspectrum_from_events(
            events,
            dt,
            segment_size=segment_size,
            gti=gti,
            norm=norm,
            silent=silent,
            use_common_mean=use_common_mean,
            save_all=save_all,
        )

    @staticmethod
    def from_lightcurve(
        lc,
        segment_size=None,
        gti=None,
        norm="frac",
        silent=False,
        use_common_mean=True,
        save_all=False,
    ):
        return powerspectrum_from_lightcurve(
            lc,
            segment_size=segment_size,
            gti=gti,
            norm=norm,
            silent=silent,
            use_common_mean=use_common_mean,
            save_all=save_all,
        )

    @staticmethod
    def from_stingray_timeseries(
        ts,
        flux_attr,
        error_flux_attr=None,
        segment_size=None,
        norm="none",
        silent=False,
        use_common_mean=True,
        gti=None,
        save_all=False,
    ):
        return powerspectrum_from_timeseries(
            ts,
            flux_attr,
            error_flux_attr=error_flux_attr,
            segment_size=segment_size,
            norm=norm,
            silent=silent,
            use_common_mean=use_common_mean,
            gti=gti,
            save_all=save_all,
        )

    @staticmethod
    def from_lc_iterable(
        iter_lc,
        dt,
        segment_size=None,
        gti=None,
        norm="frac",
        silent=False,
        use_common_mean=True,
        save_all=False,
    ):
        return powerspectrum_from_lc_iterable(
            iter_lc,
            dt,
            segment_size=segment_size,
            gti=gti,
            norm=norm,
            silent=silent,
            use_common_mean=use_common_mean,
            save_all=save_all,
        )

    def _initialize_from_any_input(
        self,
        data,
        dt=None,
        segment_size=None,
        gti=None,
        norm="frac",
        silent=False,
        use_common_mean=True,
        save_all=False,
    ):
        kw = {
            "norm": norm.lower(),
            "silent": silent,
            "use_common_mean": use_common_mean,
            "gti": gti,
            "save_all": save_all,
        }
        if isinstance(data, EventList):
            spec = powerspectrum_from_events(data, dt, segment_size, **kw)
        elif isinstance(data, Lightcurve):
            spec = powerspectrum_from_lightcurve(data, segment_size, **kw)
            spec.lc1 = data
        elif isinstance(data, tuple | list):
            if not isinstance(data[0], Lightcurve):
                raise TypeError(f"Bad inputs to Powerspectrum: {type(data[0])}")
            spec = powerspectrum_from_lc_iterable(data, data[0].dt, segment_size, **kw)
        else:
            raise TypeError(f"Bad inputs to Powerspectrum: {type(data)}")
        for key, val in spec.__dict__.items():
            setattr(self, key, val)


class Powerspectrum(_PowerFromJax, _sr_ps.Powerspectrum):
    """Stingray's `~stingray.Powerspectrum`, computed with JAX.

    Same constructor (``Powerspectrum(data=None, norm="frac", gti=None, dt=None, lc=None,
    skip_checks=False)``), ``from_events``, ``from_lightcurve``, ``from_time_array``,
    ``from_stingray_timeseries`` and ``from_lc_iterable``, and the same attributes (``freq``,
    ``power``, ``power_err``, ``unnorm_power``, ``unnorm_power_err``, ``df``, ``dt``, ``m``,
    ``n``, ``nphots``, ``nphots1``, ``mean``, ``variance``, ``norm``, ``segment_size``, ``gti``,
    ``err_dist``, ``k``...).

    Examples
    --------
    >>> import numpy as np
    >>> from stingray import Lightcurve
    >>> rng = np.random.default_rng(0)
    >>> lc = Lightcurve(np.arange(1024) * 0.1, rng.poisson(100, 1024), dt=0.1, skip_checks=True)
    >>> ps = Powerspectrum(lc, norm="leahy")
    >>> ps.freq.size, ps.m
    (511, 1)
    >>> bool(abs(ps.power.mean() - 2.0) < 0.3)
    True
    """


class AveragedPowerspectrum(Powerspectrum, _sr_ps.AveragedPowerspectrum):
    """Stingray's `~stingray.AveragedPowerspectrum`, computed with JAX.

    Same constructor (``AveragedPowerspectrum(data=None, segment_size=None, norm="frac",
    gti=None, silent=False, dt=None, lc=None, large_data=False, save_all=False,
    skip_checks=False, use_common_mean=True)``) and ``from_*`` methods; all segments are
    transformed in one jitted call.

    Examples
    --------
    >>> import numpy as np
    >>> from stingray import EventList
    >>> rng = np.random.default_rng(1)
    >>> ev = EventList(np.sort(rng.uniform(0, 64, 50000)), gti=[[0, 64]])
    >>> aps = AveragedPowerspectrum.from_events(ev, dt=1 / 64, segment_size=8, norm="leahy")
    >>> aps.m, aps.n
    (8, 512)
    >>> bool(abs(aps.power.mean() - 2.0) < 0.05)
    True
    """


# ------------------------------------------------------------------------------------------------
# Cross spectra
# ------------------------------------------------------------------------------------------------


def _create_crossspectrum_from_result_table(table, force_averaged=False, channels_overlap=False):
    table = _no_result(table, "cross spectrum")
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
    with preserve_global_state():
        cs._calculate_errors()
    return cs


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
    _check_events(events1)
    _check_events(events2)
    if gti is None:
        gti = cross_two_gtis(events1.gti, events2.gti)
    if dt is None or dt <= 0:
        raise ValueError(f"dt must be a positive number, got {dt!r}")
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
    if gti is None:
        gti = cross_two_gtis(ts1.gti, ts2.gti)
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
    _check_lc(lc1)
    _check_lc(lc2)
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
    if dt is None or dt <= 0:
        raise ValueError(f"dt must be a positive number, got {dt!r}")
    what = "crossspectrum_from_lc_iterable"
    with preserve_global_state():
        results = avg_cs_from_iterables(
            _iterate_lc_counts(iter_lc1, segment_size, gti, what),
            _iterate_lc_counts(iter_lc2, segment_size, gti, what),
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


class _CrossFromJax:
    """Overrides that route Stingray's cross-spectrum construction through the JAX core."""

    @staticmethod
    def from_time_array(
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
        channels_overlap=False,
    ):
        return crossspectrum_from_time_array(
            times1,
            times2,
            dt,
            segment_size=segment_size,
            gti=gti,
            norm=norm,
            power_type=power_type,
            silent=silent,
            fullspec=fullspec,
            use_common_mean=use_common_mean,
            channels_overlap=channels_overlap,
        )

    @staticmethod
    def from_events(
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
        channels_overlap=False,
    ):
        return crossspectrum_from_events(
            events1,
            events2,
            dt,
            segment_size=segment_size,
            norm=norm,
            power_type=power_type,
            silent=silent,
            fullspec=fullspec,
            use_common_mean=use_common_mean,
            gti=gti,
            channels_overlap=channels_overlap,
        )

    @staticmethod
    def from_lightcurve(
        lc1,
        lc2,
        segment_size=None,
        norm="none",
        power_type="all",
        silent=False,
        fullspec=False,
        use_common_mean=True,
        gti=None,
        channels_overlap=False,
    ):
        return crossspectrum_from_lightcurve(
            lc1,
            lc2,
            segment_size=segment_size,
            norm=norm,
            power_type=power_type,
            silent=silent,
            fullspec=fullspec,
            use_common_mean=use_common_mean,
            gti=gti,
            channels_overlap=channels_overlap,
        )

    @staticmethod
    def from_stingray_timeseries(
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
        channels_overlap=False,
    ):
        return crossspectrum_from_timeseries(
            ts1,
            ts2,
            flux_attr,
            error_flux_attr=error_flux_attr,
            segment_size=segment_size,
            norm=norm,
            power_type=power_type,
            silent=silent,
            fullspec=fullspec,
            use_common_mean=use_common_mean,
            gti=gti,
            channels_overlap=channels_overlap,
        )

    @staticmethod
    def from_lc_iterable(
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
        channels_overlap=False,
    ):
        return crossspectrum_from_lc_iterable(
            iter_lc1,
            iter_lc2,
            dt,
            segment_size,
            norm=norm,
            power_type=power_type,
            silent=silent,
            fullspec=fullspec,
            use_common_mean=use_common_mean,
            gti=gti,
            channels_overlap=channels_overlap,
        )

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
    """


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
    """


# ------------------------------------------------------------------------------------------------
# Dynamical power spectrum
# ------------------------------------------------------------------------------------------------


class DynamicalPowerspectrum(_sr_ps.DynamicalPowerspectrum):
    """Stingray's `~stingray.DynamicalPowerspectrum`, with the segment spectra computed in JAX.

    Same constructor (``DynamicalPowerspectrum(lc=None, segment_size=None, norm="frac",
    gti=None, sample_time=None)``) and attributes (``dyn_ps``, ``freq``, ``time``, ``df``,
    ``dt``, ``m``, ``meanrate``, ``nphots``, ``unnorm_conversion``).

    Examples
    --------
    >>> import numpy as np
    >>> from stingray import Lightcurve
    >>> rng = np.random.default_rng(0)
    >>> lc = Lightcurve(np.arange(4096) * 0.01, rng.poisson(50, 4096), dt=0.01, skip_checks=True)
    >>> dps = DynamicalPowerspectrum(lc, segment_size=5.12, norm="leahy")
    >>> dps.dyn_ps.shape
    (255, 8)
    """

    def _make_matrix(self, lc):
        avg = AveragedPowerspectrum(
            lc,
            dt=self.sample_time,
            segment_size=self.segment_size,
            norm=self.norm,
            gti=self.gti,
            save_all=True,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            conv = avg.cs_all / avg.unnorm_cs_all
        self.unnorm_conversion = np.nanmean(conv)
        self.dyn_ps = np.array(avg.cs_all).T
        self.freq = avg.freq
        tstart, _ = time_intervals_from_gtis(avg.gti, self.segment_size)
        self.time = tstart + 0.5 * self.segment_size
        self.df = avg.df
        self.dt = self.segment_size
        self.meanrate = avg.nphots / avg.n / avg.dt
        self.nphots = avg.nphots
        self.m = 1

    def shift_and_add(self, f0_list, nbins=100, rebin=None):
        """Shift-and-add the dynamical spectrum (as Stingray's), returning our class."""
        return _sr_cs.DynamicalCrossspectrum.shift_and_add(
            self, f0_list, nbins=nbins, output_obj_type=AveragedPowerspectrum, rebin=rebin
        )


# ------------------------------------------------------------------------------------------------
# Lomb-Scargle
# ------------------------------------------------------------------------------------------------


class LombScarglePowerspectrum(_sr_ls.LombScarglePowerspectrum):
    """Stingray's `~stingray.lombscargle.LombScarglePowerspectrum`, computed with JAX.

    Same constructor (``LombScarglePowerspectrum(data=None, norm="frac", power_type="all",
    fullspec=False, min_freq=0, max_freq=None, df=None, method="fast", oversampling=5)``);
    ``method="slow"`` uses the exact direct Lomb-Scargle Fourier transform, ``method="fast"``
    a non-uniform FFT (jax-finufft) instead of Stingray's Press & Rybicki extirpolation.

    Examples
    --------
    >>> import numpy as np
    >>> from stingray import Lightcurve
    >>> rng = np.random.default_rng(0)
    >>> t = np.sort(rng.uniform(0, 100, 300))
    >>> lc = Lightcurve(
    ...     t,
    ...     10 + np.sin(2 * np.pi * 0.2 * t) + rng.normal(0, 0.1, 300),
    ...     skip_checks=True,
    ...     err_dist="gauss",
    ...     dt=0.01,
    ... )
    >>> ls = LombScarglePowerspectrum(lc, method="slow", max_freq=1, norm="none")
    >>> round(float(ls.freq[np.argmax(ls.power.real)]), 1)
    0.2
    """

    def _initialize_from_any_input(self, *args, **kwargs):
        from .fourier._lombscargle import _stingray_ls_cross

        with preserve_global_state(), warnings.catch_warnings(), x64_scope():
            return _stingray_ls_cross(self, _sr_ls, *args, **kwargs)
