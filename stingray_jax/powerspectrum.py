"""Stingray's ``stingray.powerspectrum``, with the power spectra computed by the JAX core.

`Powerspectrum`, `AveragedPowerspectrum` and `DynamicalPowerspectrum` subclass their Stingray
namesakes and keep their constructors, ``from_*`` methods, attributes and every other method
(``rebin``, ``rebin_log``, ``to_norm``, ``classical_significances``, ``compute_rms``,
``modulation_upper_limit``, ``shift_and_add``, ...); only the computation differs: all segments
are Fourier transformed, normalised and averaged in one jitted float64 JAX call
(:mod:`stingray_jax.fourier`), whatever JAX's global precision flag. The module-level
``powerspectrum_from_*`` functions are ours too; any other name of ``stingray.powerspectrum``
(``powerspectrum``'s helpers) is Stingray's own, reached through this module.

Bad inputs (empty event lists, no usable segment, non-positive ``dt``, NaN fluxes) raise a
``ValueError`` naming the problem instead of failing later with an unrelated error.
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
    iterate_lc_counts,
    no_result,
)
from .fourier import avg_pds_from_iterable
from .fourier import avg_pds_from_timeseries as _avg_pds_from_timeseries

with preserve_global_state():
    from stingray import crossspectrum as _sr_cs
    from stingray import powerspectrum as _sr_ps
    from stingray.gti import time_intervals_from_gtis

__all__ = [
    "AveragedPowerspectrum",
    "DynamicalPowerspectrum",
    "GtiCorrPowerspectrum",
    "Powerspectrum",
    "powerspectrum_from_events",
    "powerspectrum_from_lc_iterable",
    "powerspectrum_from_lightcurve",
    "powerspectrum_from_time_array",
    "powerspectrum_from_timeseries",
]


def _create_powerspectrum_from_result_table(table, force_averaged=False):
    table = no_result(table, "power spectrum")
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
    check_events(events)
    if gti is None:
        gti = events.gti
    check_dt(dt)
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
    check_lc(lc)
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
    check_dt(dt)
    with preserve_global_state():
        table = avg_pds_from_iterable(
            iterate_lc_counts(iter_lc, segment_size, gti, "powerspectrum_from_lc_iterable", dt),
            dt,
            norm=norm,
            use_common_mean=use_common_mean,
            silent=True,
            return_subcs=save_all,
        )
    return _create_powerspectrum_from_result_table(table, force_averaged=segment_size is not None)


class _PowerFromJax(KeepsPrintOptions):
    """Overrides that route Stingray's power-spectrum construction through the JAX core."""

    from_time_array = staticmethod(powerspectrum_from_time_array)
    from_events = staticmethod(powerspectrum_from_events)
    from_lightcurve = staticmethod(powerspectrum_from_lightcurve)
    from_stingray_timeseries = staticmethod(powerspectrum_from_timeseries)
    from_lc_iterable = staticmethod(powerspectrum_from_lc_iterable)

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


class GtiCorrPowerspectrum(Powerspectrum, _sr_ps.GtiCorrPowerspectrum):
    """Stingray's `~stingray.powerspectrum.GtiCorrPowerspectrum`, computed with JAX.

    The power spectrum of a gappy light curve with the gaps filled with the mean rate and the
    frequencies most affected by the observing window cleaned (El Byad et al. 2025). Same
    constructor (``GtiCorrPowerspectrum(*args, fill_lc=True, sigma_threshold=3, **kwargs)``,
    ``args``/``kwargs`` as `Powerspectrum`), attributes and methods (``clean_gti_features``,
    ``rebin_log``...); the periodograms come from the JAX core.

    Examples
    --------
    >>> import numpy as np
    >>> from stingray import Lightcurve
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(2048) * 0.1
    >>> lc = Lightcurve(t, rng.poisson(100, 2048), dt=0.1, gti=[[0, 90], [110, 204.8]])
    >>> gcps = GtiCorrPowerspectrum(lc, norm="leahy")
    >>> gcps.freq.size
    1023
    """


class DynamicalPowerspectrum(KeepsPrintOptions, _sr_ps.DynamicalPowerspectrum):
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
        """Stingray's shift-and-add, returning our `AveragedPowerspectrum`."""
        return _sr_cs.DynamicalCrossspectrum.shift_and_add(
            self, f0_list, nbins=nbins, output_obj_type=AveragedPowerspectrum, rebin=rebin
        )


__getattr__, __dir__ = stingray_fallback(__name__, globals())
