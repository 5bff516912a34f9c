"""The cross spectra of a batch: a pair of items per observation, Stingray's recipe and errors.

With ``fit_observations(..., spectrum="cross")`` every item is a pair ``(item1, item2)`` (each
half anything a power-spectrum batch accepts). `cross_spectra` builds the pair's averaged cross
spectrum as Stingray's ``AveragedCrossspectrum.from_events`` / ``from_lightcurve`` does (the two
halves on the intersection of their GTIs, segments of ``segment_size``, ``norm``), with the JAX
twin `stingray_jax.fourier.avg_cs_from_timeseries`, and its error bars with Stingray's own
formulas (``Crossspectrum._calculate_errors``, through `stingray_jax.crossspectrum`). The fit
is then Stingray's ``fit_crossspectrum``: a Gaussian likelihood on ``|cross power|`` with the
error bars. `rebinned_cross` is Stingray's ``rebin_log`` of such a spectrum.

Stingray's ``power_err`` is complex (the error of the real part plus ``1j`` times that of the
imaginary part). Stingray's ``fit_crossspectrum`` hands it to ``GaussianLogLikelihood`` as it
is, so that its objective is complex and SciPy minimises its real part, which is no
likelihood (the weight of a bin is ``Re(1 / power_err**2)``, negative where the imaginary
part's error is the larger). Here, as in our drop-in ``stingray_jax.modeling.fit_crossspectrum``
(which reads ``yerr`` as real numbers), the errors are ``power_err.real``: the error on the real
part of the cross power, that of ``|cross power|`` where the real part dominates.
"""

from __future__ import annotations

import math
import os
import types
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._config import preserve_global_state
from ._items import Spectra, check_segment_size, item_label, load_observation

__all__ = ["check_pairs", "cross_spectra", "pair_label", "rebinned_cross"]


def _is_pair(item: Any) -> bool:
    return isinstance(item, (tuple, list)) and len(item) == 2


def check_pairs(items: Sequence[Any]) -> None:
    """A ValueError naming the first item of ``items`` that is not a pair ``(item1, item2)``."""
    for i, item in enumerate(items):
        if not _is_pair(item):
            what = (
                f"a {type(item).__name__} of {len(item)}"
                if isinstance(item, (tuple, list))
                else f"a {type(item).__name__}"
            )
            raise ValueError(
                f"spectrum='cross' needs a pair (item1, item2) per observation (a tuple or list "
                f"of two event files, EventLists, Lightcurves or arrays); item {i} is {what}"
            )


def pair_label(item: Any, index: int) -> str:
    """The ``obs_id`` of a pair: the labels of its halves joined by ``" x "``."""
    if isinstance(item, (str, os.PathLike)) or not _is_pair(item):
        return item_label(item, index)
    return f"{item_label(item[0], index)} x {item_label(item[1], index)}"


def _load(half: Any, which: str, dt: float | None) -> Any:
    try:
        return load_observation(half, dt)
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(f"{which} half: {exc}") from exc


def cross_spectra(pair: Any, dt: float | None, segment_size: float, norm: str) -> Spectra:
    """The averaged cross spectrum of ``pair`` (Stingray's ``AveragedCrossspectrum``), as one row.

    ``powers`` holds the complex cross powers, ``errors`` the real part of Stingray's
    ``power_err``. Both halves must be event data (event lists or files) or both binned (light
    curves or arrays of counts) of the same bin; anything else, an unreadable half, GTIs that do
    not overlap or no complete segment is a ValueError that names the problem.
    """
    from .._spectra_common import cross_two_gtis
    from ..crossspectrum import _common_span_gti, _create_crossspectrum_from_result_table
    from ..fourier import avg_cs_from_timeseries

    obs1 = _load(pair[0], "first", dt)
    obs2 = _load(pair[1], "second", dt)
    binned = obs1.fluxes is not None
    if binned != (obs2.fluxes is not None):
        raise ValueError(
            "one half is event data and the other binned: give two event lists (files) or two "
            "light curves (arrays)"
        )
    if binned and not math.isclose(obs1.dt, obs2.dt, rel_tol=1e-9):
        raise ValueError(f"the halves have different bins ({obs1.dt:g} s and {obs2.dt:g} s)")
    gti = np.asarray(cross_two_gtis(np.asarray(obs1.gti), np.asarray(obs2.gti)), dtype=float)
    if gti.size == 0:
        raise ValueError("the GTIs of the two halves do not overlap")
    errors1 = errors2 = None
    if binned:
        gti = _common_span_gti(
            gti,
            types.SimpleNamespace(time=np.asarray(obs1.times), dt=obs1.dt),
            types.SimpleNamespace(time=np.asarray(obs2.times), dt=obs2.dt),
        )
        if obs1.errors is not None:  # Stingray's choice: the first light curve's err_dist
            errors1 = obs1.errors
            errors2 = obs2.errors if obs2.errors is not None else np.sqrt(obs2.fluxes)
    check_segment_size(segment_size, gti, obs1.dt, what="common good time interval")
    with preserve_global_state(), warnings.catch_warnings(), np.errstate(all="ignore"):
        # Stingray warns, for every spectrum, that its error formulas need many averaged
        # segments (m >= 30): the documentation says it once. Its warning that some error bars
        # are invalid (NaN, replaced by its default sqrt(2 / m) in Leahy units) goes through.
        warnings.filterwarnings("ignore", "n_ave is below 30", UserWarning)
        table = avg_cs_from_timeseries(
            obs1.times,
            obs2.times,
            gti,
            segment_size,
            obs1.dt,
            norm=norm,
            use_common_mean=True,
            fullspec=False,
            silent=True,
            power_type="all",
            fluxes1=obs1.fluxes,
            fluxes2=obs2.fluxes,
            errors1=errors1,
            errors2=errors2,
            return_auxil=True,
        )
        if table is None or len(table) == 0:
            raise ValueError(f"no segment of {segment_size:g} s holds data in both halves")
        cs = _create_crossspectrum_from_result_table(table, force_averaged=True)
    return Spectra(
        np.asarray(cs.freq, dtype=float),
        np.asarray(cs.power, dtype=complex)[None, :],
        np.array([float(cs.m)]),
        np.array([float(gti[0, 0])]),
        np.array([float(gti[-1, 1])]),
        np.real(np.asarray(cs.power_err))[None, :].astype(float),
    )


def rebinned_cross(
    freq: np.ndarray,
    powers: np.ndarray,
    errors: np.ndarray,
    m: np.ndarray,
    rebin_log: float | None,
    df: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(freq, |cross power|, errors, m)`` of every row, after Stingray's ``rebin_log(f)``.

    Stingray's ``AveragedCrossspectrum.rebin_log`` averages the complex powers of a bin and
    combines the errors as ``sqrt(sum err**2) / n`` (real and imaginary parts apart); the
    modulus is taken after the averaging, as ``fit_crossspectrum`` does.
    """
    if rebin_log is None:
        return freq, np.abs(powers), errors, np.broadcast_to(m[:, None], powers.shape)
    from stingray.utils import rebin_data_log

    rows, errs, counts = [], [], None
    for power, err in zip(powers, errors):
        new_freq, binned, binned_err, counts = rebin_data_log(
            freq, power, rebin_log, y_err=err, dx=df
        )
        rows.append(binned)
        errs.append(np.real(binned_err))
    return (
        np.asarray(new_freq),
        np.abs(np.asarray(rows)),
        np.asarray(errs, dtype=float),
        m[:, None] * np.asarray(counts)[None, :],
    )
