"""Shared pieces of the Stingray-compatible spectra adapters (private).

Input checks with clear messages, the light-curve segment iterator, and Stingray's objects the
adapters build on (imported here once, under ``preserve_global_state``).
"""

from collections.abc import Iterable

import numpy as np

from ._config import preserve_global_state

with preserve_global_state():
    from stingray.events import EventList
    from stingray.fourier import get_flux_iterable_from_segments
    from stingray.gti import cross_two_gtis
    from stingray.lightcurve import Lightcurve

__all__ = [
    "EventList",
    "KeepsPrintOptions",
    "Lightcurve",
    "check_dt",
    "check_events",
    "check_lc",
    "check_same_dt",
    "cross_two_gtis",
    "iterate_lc_counts",
    "no_result",
]


class KeepsPrintOptions:
    """Mixin: ``pretty_print`` (and so ``str()``) leaves NumPy's print options as they were.

    Stingray's ``StingrayObject.pretty_print`` calls ``np.set_printoptions(threshold=3,
    edgeitems=1)`` and never restores them, so printing a spectrum abbreviates every array the
    user prints afterwards. The text is Stingray's; the options are restored on return.
    """

    def pretty_print(self, *args, **kwargs):
        with np.printoptions(**np.get_printoptions()):
            return super().pretty_print(*args, **kwargs)


def no_result(results, what):
    """``results``, or a ValueError saying that no segment could be used."""
    if results is None:
        raise ValueError(
            f"no usable segment for the {what}: every segment is empty, has fewer than two "
            "events or bins, or is identically zero (check the GTIs, segment_size and dt)"
        )
    return results


def check_dt(dt):
    if dt is None or not np.isfinite(dt) or dt <= 0:
        raise ValueError(f"dt must be a positive number, got {dt!r}")


def check_events(events):
    if events.time is None or np.size(events.time) == 0:
        raise ValueError("the event list is empty")


def check_lc(lc):
    if not np.all(np.isfinite(lc.counts)):
        raise ValueError("the light curve contains NaN or infinite counts")


def check_same_dt(dt1, dt2):
    """Two binned series must share their bin width to be cross-correlated."""
    if not np.isclose(dt1, dt2, rtol=1e-10, atol=0):
        raise ValueError(
            f"the two light curves have different time resolutions (dt = {dt1!r} and {dt2!r}): "
            "rebin one of them (Lightcurve.rebin) to the other's dt first"
        )


def iterate_lc_counts(iter_lc, segment_size, common_gti, what, dt=None):
    """Segments of counts (and errors) of an iterable of light curves or plain arrays."""
    for lc in iter_lc:
        if hasattr(lc, "counts"):
            if dt is not None:
                check_same_dt(lc.dt, dt)
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
