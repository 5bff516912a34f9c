"""One item of a batch (a file, an ``EventList``, a ``Lightcurve`` or an array) to its spectra.

`read_observation` opens an event file or a light-curve file; `load_observation` turns any
accepted item into the arrays of Stingray's recipe; `item_segments` cuts it into Stingray's
segments and `spectra_from_segments` computes the averaged periodograms (or the periodogram of
every segment) of many items in one JAX call, with `stingray_jax.fourier`, the JAX twin of
``stingray.fourier.avg_pds_from_timeseries`` that Stingray's ``AveragedPowerspectrum`` calls
(`item_spectra` does both for one item).
Every failure is an exception whose message names the item and the problem; the batch turns
it into a flagged row.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from .._config import preserve_global_state

__all__ = [
    "Observation",
    "item_label",
    "item_segments",
    "item_spectra",
    "load_observation",
    "read_observation",
    "spectra_from_segments",
]


class Observation(NamedTuple):
    """The arrays of one observation: event or bin times (mission seconds, as read), GTIs, the
    bin width, and for binned data the counts per bin and their errors (``None`` for events or
    Poisson light curves)."""

    times: Any
    gti: Any
    dt: float
    fluxes: Any = None
    errors: Any = None


class Spectra(NamedTuple):
    """What `item_spectra` returns: the frequencies, one row of powers per spectrum, the number
    of averaged periodograms per row, and the start and stop time of each row; for cross
    spectra (`stingray_jax.batch._cross`), the complex cross powers are ``powers`` and their
    Gaussian errors (one row per spectrum) are ``errors`` (``None`` for power spectra)."""

    freq: np.ndarray
    powers: np.ndarray
    m: np.ndarray
    tstart: np.ndarray
    tstop: np.ndarray
    errors: np.ndarray | None = None


def item_label(item: Any, index: int) -> str:
    """A short name for an item: the file path, or the class name and position."""
    if isinstance(item, (str, os.PathLike)):
        return os.fspath(item)
    return f"{type(item).__name__}[{index}]"


def read_observation(path: str | os.PathLike) -> Any:
    """An ``EventList`` (OGIP event file, or a file of ``EventList.write``: HDF5, ECSV, ...)
    or else a ``Lightcurve`` read from ``path``.

    Raises
    ------
    OSError
        The file does not exist, or is neither an event file nor a light curve Stingray reads
        (with the first reader's message).
    """
    with preserve_global_state():
        from stingray import EventList, Lightcurve

    path = os.fspath(path)
    if not os.path.exists(path):
        raise OSError(f"no such file: {path!r}")
    errors = []
    with preserve_global_state():
        try:
            return EventList.read(path, fmt="ogip")
        except Exception as exc:  # not an event file: try a light curve
            errors.append(f"as events: {exc}")
        if not path.lower().endswith((".evt", ".fits", ".fit", ".gz", ".lc")):
            try:  # a file written by EventList.write (HDF5, ECSV, pickle...; by extension)
                return EventList.read(path)
            except Exception as exc:
                errors.append(f"as events ({os.path.splitext(path)[1]}): {exc}")
        for fmt in ("ogip", None):
            try:
                return Lightcurve.read(path, fmt=fmt) if fmt else Lightcurve.read(path)
            except Exception as exc:
                errors.append(f"as a light curve ({fmt or 'auto'}): {exc}")
    raise OSError(f"cannot read {path!r} as an event file or a light curve ({errors[0]})")


def load_observation(item: Any, dt: float | None) -> Observation:
    """The arrays of Stingray's spectrum recipe for one item.

    ``item`` is a path, a ``stingray.EventList``, a ``stingray.Lightcurve`` or a 1-D array of
    counts per bin of width ``dt`` starting at time 0. Events are binned at ``dt`` (required);
    a light curve is rebinned to ``dt`` when ``dt`` is a multiple of its bin, and used as it is
    when ``dt`` is None.
    """
    with preserve_global_state():
        from stingray import EventList, Lightcurve

    if isinstance(item, (str, os.PathLike)):
        item = read_observation(item)
    if isinstance(item, np.ndarray):
        if item.ndim != 1 or item.size < 2:
            raise ValueError(f"an array item must be 1-D counts per bin, got shape {item.shape}")
        if dt is None:
            raise ValueError("dt is needed to use arrays of counts as light curves")
        if not np.all(np.isfinite(item)):
            raise ValueError("the counts contain NaN or infinite values")
        times = dt * (np.arange(item.size) + 0.5)
        return Observation(times, np.array([[0.0, item.size * dt]]), float(dt), item)
    if isinstance(item, EventList):
        if dt is None:
            raise ValueError("dt (the bin width of the light curves) is needed for event lists")
        if item.time is None or np.size(item.time) == 0:
            raise ValueError("the event list contains no events")
        gti = item.gti
        if gti is None or len(gti) == 0:
            gti = np.array([[item.time[0], item.time[-1]]])
        return Observation(item.time, np.asarray(gti), float(dt))
    if isinstance(item, Lightcurve):
        lc = item
        if lc.time is None or np.size(lc.time) == 0:
            raise ValueError("the light curve contains no bins")
        if dt is not None and not math.isclose(dt, lc.dt):
            if dt < lc.dt:
                raise ValueError(f"dt = {dt} s is shorter than the light curve's bin ({lc.dt} s)")
            with preserve_global_state():
                lc = lc.rebin(dt)
        errors = None if lc.err_dist == "poisson" else lc.counts_err
        return Observation(lc.time, np.asarray(lc.gti), float(lc.dt), lc.counts, errors)
    raise TypeError(
        f"cannot use a {type(item).__name__} as a batch item: give a file path, an EventList, "
        f"a Lightcurve or a 1-D array of counts"
    )


def check_segment_size(
    segment_size: float, gti: np.ndarray, dt: float, what: str = "good time interval"
) -> None:
    """The reasons a row gives when ``segment_size`` does not fit the GTIs or the bins."""
    longest = float(np.max(gti[:, 1] - gti[:, 0])) if gti.size else 0.0
    if segment_size > longest:
        raise ValueError(
            f"the segment size ({segment_size:g} s) is longer than the longest {what} "
            f"({longest:.6g} s)"
        )
    if segment_size / dt < 2:
        raise ValueError(
            f"dt = {dt:g} s is too large for segments of {segment_size:g} s: a segment "
            f"must hold at least 2 bins"
        )


def item_segments(obs: Observation, segment_size: float) -> tuple:
    """The good segments of an observation (`stingray_jax.fourier._timeseries.good_segments`),
    after the checks that give a batch row its reason; `spectra_from_segments` turns those of
    many observations into their spectra in one JAX call."""
    from ..fourier._core import positive_fft_bins
    from ..fourier._timeseries import good_segments

    gti = np.asarray(obs.gti)
    check_segment_size(segment_size, gti, obs.dt)
    with preserve_global_state():
        good = good_segments(obs.times, gti, segment_size, obs.dt, obs.fluxes, obs.errors)
    n_freq = np.fft.fftfreq(good[0].shape[1])[positive_fft_bins(good[0].shape[1])].size
    if good[0].shape[0] == 0 or n_freq == 0:
        raise ValueError(f"no segment of {segment_size:g} s holds data inside the GTIs")
    return good


def spectra_from_segments(
    goods: Sequence[tuple],
    norm: str,
    per_segment: bool,
    use_common_mean: bool = True,
    dtype: str = "float64",
) -> list[Spectra]:
    """The `Spectra` of each observation's `item_segments`, computed in one JAX call.

    Each is the averaged periodogram of the observation (one row), or with ``per_segment`` one
    row per segment: the periodograms of Stingray's ``DynamicalPowerspectrum`` /
    ``AveragedPowerspectrum(save_all=True)`` (normalised with the mean of all segments when
    ``use_common_mean``). ``dtype="float32"`` computes the FFTs in float32.
    """
    from ..fourier._core import _check_norm
    from ..fourier._timeseries import avg_pds_from_good_segments

    with preserve_global_state():
        results = avg_pds_from_good_segments(
            goods, _check_norm(norm), use_common_mean, per_segment, dtype
        )
    out = []
    for arrays in results:
        freq = np.asarray(arrays["freq"], dtype=float)
        seg = float(arrays["meta"]["segment_size"])
        gti = arrays["meta"]["gti"]
        if per_segment:
            powers = np.asarray(arrays["subcs"], dtype=float)
            starts = np.asarray(arrays["segment_starts"], dtype=float)
            out.append(Spectra(freq, powers, np.ones(len(powers)), starts, starts + seg))
        else:
            out.append(
                Spectra(
                    freq,
                    np.asarray(arrays["power"], dtype=float)[None, :],
                    np.array([float(arrays["meta"]["m"])]),
                    np.array([float(gti[0, 0])]),
                    np.array([float(gti[-1, 1])]),
                )
            )
    return out


def item_spectra(
    obs: Observation,
    segment_size: float,
    norm: str,
    per_segment: bool,
    use_common_mean: bool = True,
    dtype: str = "float64",
) -> Spectra:
    """The `Spectra` of one observation: `item_segments` and `spectra_from_segments`."""
    good = item_segments(obs, segment_size)
    return spectra_from_segments([good], norm, per_segment, use_common_mean, dtype)[0]
