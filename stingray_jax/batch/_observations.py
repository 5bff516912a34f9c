"""From many observations (files, event lists, light curves) to a table of fits, in chunks.

`fit_observations` reads the items a chunk at a time, builds each averaged power spectrum (or
each segment's periodogram, or with ``spectrum="cross"`` each pair's averaged cross spectrum,
see `._cross`) with Stingray's recipe, fits the model to all spectra of the chunk
in one `fit_batch` call (sharded over the local devices), and appends the chunk's rows to the
output file before reading the next chunk. `fit_chunk` is that unit of work on its own (a
picklable function of picklable arguments), so that other engines can map it over files.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._chunks import as_jax_model, common_settings, resolve_share, run_chunks
from ._cross import check_pairs, cross_spectra, pair_label, rebinned_cross
from ._items import item_label, item_segments, load_observation, spectra_from_segments
from ._spectra import batch_prior, fit_batch

if TYPE_CHECKING:
    from astropy.modeling import Model
    from astropy.table import Table

    from ..models import JaxModel

__all__ = ["fit_chunk", "fit_observations"]


def _rebinned(freq, powers, m, rebin_log, df):
    """Stingray's ``rebin_log(f)`` of every row: frequencies, powers and m per bin."""
    if rebin_log is None:
        return freq, powers, np.broadcast_to(m[:, None], powers.shape)
    from stingray.utils import rebin_data_log

    rows, counts = [], None
    for row in powers:
        new_freq, binned, _, counts = rebin_data_log(freq, row, rebin_log, dx=df)
        rows.append(binned)
    return np.asarray(new_freq), np.asarray(rows), m[:, None] * np.asarray(counts)[None, :]


def _starting_values(p0, jm, freq, powers):
    """(n_rows, n_free) starting values and a problem string per row ('' where fine)."""
    n = powers.shape[0]
    problems = np.full(n, "", dtype=object)
    if p0 is None or not callable(p0):
        values = np.asarray(jm.p0 if p0 is None else p0, dtype=float)
        if values.shape != (jm.n_free,):
            raise ValueError(f"p0 must have {jm.n_free} values (the free parameters)")
        return np.broadcast_to(values, (n, jm.n_free)).copy(), problems
    out = np.tile(np.asarray(jm.p0, dtype=float), (n, 1))
    for i in range(n):
        try:
            guess = np.asarray(p0(freq, powers[i]), dtype=float)
            if guess.shape != (jm.n_free,) or not np.all(np.isfinite(guess)):
                raise ValueError(f"it returned {guess!r}, not {jm.n_free} finite values")
            out[i] = guess
        except Exception as exc:
            problems[i] = f"starting values: {exc}"
    return out, problems


def _empty_fit_columns(jm, n, map_fit=False, significance=None):
    nan = np.full(n, np.nan)
    cols = {}
    for name in jm.free_param_names:
        cols[name] = nan
        cols[f"{name}_err"] = nan
    cols["neg_log_likelihood"] = nan
    if map_fit:
        cols["neg_log_posterior"] = nan
    if significance == "lrt":
        cols["null_neg_log_likelihood"] = nan
    if significance is not None:
        cols[f"{significance}_stat"] = nan
        cols[f"{significance}_pvalue"] = nan
    cols["converged"] = np.zeros(n, bool)
    cols["n_steps"] = np.zeros(n, np.int64)
    cols["cov"] = np.full((n, jm.n_free, jm.n_free), np.nan)
    return cols


def _significance(o, jm, freq, powers, ms, cols, keys):
    """The significance columns of the fitted rows (see `_significance.significance_columns`)."""
    from ._significance import significance_columns

    x_best = np.column_stack([np.asarray(cols[name], float) for name in jm.free_param_names])
    ok = np.asarray(cols["converged"], bool)
    extra = {}
    if o["significance"] == "lrt":
        null = as_jax_model(o["null_model"])
        x_null = np.full((powers.shape[0], null.n_free), np.nan)
        nll_null = np.full(powers.shape[0], np.nan)
        if np.any(ok):
            fits = fit_batch(
                null,
                freq,
                powers[ok],
                m=1 if np.all(ms == 1) else ms[ok],
                solver=o["solver"],
                stingray_compat=o["stingray_compat"],
                max_steps=o["max_steps"],
                devices=o["devices"],
                n_workers=o["n_workers"],
            )
            x_null[ok] = np.column_stack([np.asarray(fits[n]) for n in null.free_param_names])
            nll_null[ok] = np.where(fits["converged"], fits["neg_log_likelihood"], np.nan)
        extra["null_neg_log_likelihood"] = nll_null
        ok = ok & np.isfinite(nll_null)
        extra.update(
            significance_columns(
                "lrt",
                jm,
                freq,
                powers,
                ms,
                x_best,
                ok,
                keys,
                o,
                null=null,
                x_null=x_null,
                nll=np.asarray(cols["neg_log_likelihood"]),
                nll_null=nll_null,
            )
        )
        return extra
    return significance_columns("outlier", jm, freq, powers, ms, x_best, ok, keys, o)


def fit_chunk(
    indexed_items: Sequence[tuple[int, Any]], model: Any, options: dict[str, Any]
) -> Table:
    """Fit the items of one chunk: ``[(index, item), ...]`` to their rows of the batch table.

    ``options`` are the keyword arguments of `fit_observations` that shape the spectra and
    the fits. An item that cannot be read or has no usable segment gives one row with the
    reason in ``problem``; a spectrum whose fit fails is a row with ``converged=False``.
    """
    from astropy.table import Table

    jm = as_jax_model(model)
    o = options
    cross = o.get("spectrum", "power") == "cross"
    heads, spectra, bad = [], [], []
    read = []  # (index, label, Spectra) for cross spectra, (index, label, segments) otherwise
    for index, item in indexed_items:
        label = pair_label(item, index) if cross else item_label(item, index)
        got: Any
        try:
            if cross:
                got = cross_spectra(item, o["dt"], o["segment_size"], o["norm"])
            else:
                got = item_segments(load_observation(item, o["dt"]), o["segment_size"])
        except (OSError, ValueError, TypeError) as exc:
            bad.append((index, label, str(exc).replace("\n", " ")))
            continue
        read.append((index, label, got))
    if read and not cross:  # the spectra of all items of the chunk in one JAX call
        computed = spectra_from_segments(
            [got for _, _, got in read], o["norm"], o["per_segment"], dtype=o["dtype"]
        )
        read = [(index, label, sp) for (index, label, _), sp in zip(read, computed)]
    freq = None
    for index, label, sp in read:
        if freq is not None and (
            sp.freq.shape != freq.shape or not np.allclose(sp.freq, freq, rtol=1e-10)
        ):
            bad.append(
                (
                    index,
                    label,
                    f"its frequency grid ({sp.freq.size} bins of {sp.freq[0]:g} Hz) differs "
                    f"from the batch's ({freq.size} of {freq[0]:g} Hz): give dt",
                )
            )
            continue
        freq = sp.freq if freq is None else freq
        n = sp.powers.shape[0]
        seg = np.arange(n) if o["per_segment"] else np.full(n, -1)
        heads.append((index, label, seg, sp))
        spectra.append(sp)

    rows = []
    if heads and freq is not None:
        df = float(freq[1] - freq[0]) if freq.size > 1 else float(freq[0])
        powers = np.concatenate([sp.powers for sp in spectra])
        m = np.concatenate([sp.m for sp in spectra])
        fit_errors = None
        if cross:  # |cross power| and its errors: Stingray's fit_crossspectrum (Gaussian)
            errors = np.concatenate([sp.errors for sp in spectra])
            fit_freq, fit_powers, fit_errors, fit_m = rebinned_cross(
                freq, powers, errors, m, o["rebin_log"], df
            )
        else:
            fit_freq, fit_powers, fit_m = _rebinned(freq, powers, m, o["rebin_log"], df)
        p0s, p0_problems = _starting_values(o["p0"], jm, fit_freq, fit_powers)
        n_rows = fit_powers.shape[0]
        m_arg: Any = 1 if cross or np.all(fit_m == 1) else fit_m
        cols = _empty_fit_columns(jm, n_rows, o["priors"] is not None, o["significance"])
        problem = p0_problems.copy()
        ok = p0_problems == ""
        if np.any(ok):
            with warnings.catch_warnings():  # the flagged rows are reported by the caller
                warnings.simplefilter("ignore", RuntimeWarning)
                try:
                    fits = fit_batch(
                        jm,
                        fit_freq,
                        fit_powers[ok],
                        m=m_arg if np.ndim(m_arg) == 0 else m_arg[ok],
                        p0=p0s[ok],
                        solver=o["solver"],
                        stingray_compat=o["stingray_compat"],
                        max_steps=o["max_steps"],
                        dtype=o["dtype"],
                        n_workers=o["n_workers"],
                        devices=o["devices"],
                        priors=o["priors"],
                        yerr=None if fit_errors is None else fit_errors[ok],
                    )
                except ValueError as exc:
                    if "no spectrum can be fitted" not in str(exc):
                        raise
                    fits = None  # every spectrum of the chunk is bad: each row says why
                    problem[ok] = str(exc)
            if fits is not None:
                for name in (c for c in cols if c in fits.colnames):
                    col = np.array(cols[name])
                    col[ok] = np.asarray(fits[name])
                    cols[name] = col
                problem[ok] = np.asarray(fits["problem"], dtype=object)
                stuck = (problem == "") & ~cols["converged"]
                problem[stuck] = "the fit did not converge"
                if o["significance"] is not None:
                    keys = [(i, int(g)) for i, _, seg, _ in heads for g in seg]
                    cols.update(_significance(o, jm, fit_freq, fit_powers, fit_m, cols, keys))
        k = jm.n_free
        with np.errstate(invalid="ignore"):
            objective = cols.get("neg_log_posterior", cols["neg_log_likelihood"])
            aic = objective + 2.0 * k
            bic = objective + k * np.log(fit_freq.size)
        start = 0
        for index, label, seg, sp in heads:
            n = sp.powers.shape[0]
            sl = slice(start, start + n)
            start += n
            rows.append(
                {
                    "item": np.full(n, index),
                    "obs_id": np.full(n, label, dtype=object),
                    "segment": seg,
                    "time": 0.5 * (sp.tstart + sp.tstop),
                    "tstart": sp.tstart,
                    "tstop": sp.tstop,
                    "m": sp.m.astype(np.int64),
                    **{name: np.asarray(col)[sl] for name, col in cols.items()},
                    "aic": aic[sl],
                    "bic": bic[sl],
                    "problem": problem[sl],
                }
            )
    for index, label, reason in bad:
        nan = np.array([np.nan])
        rows.append(
            {
                "item": np.array([index]),
                "obs_id": np.array([label], dtype=object),
                "segment": np.array([-1]),
                "time": nan,
                "tstart": nan,
                "tstop": nan,
                "m": np.array([0]),
                **{
                    name: np.asarray(col)
                    for name, col in _empty_fit_columns(
                        jm, 1, o["priors"] is not None, o["significance"]
                    ).items()
                },
                "aic": nan,
                "bic": nan,
                "problem": np.array([reason], dtype=object),
            }
        )
    if not rows:
        raise ValueError("fit_chunk needs at least one item")
    columns = {name: np.concatenate([r[name] for r in rows]) for name in rows[0]}
    table = Table()
    for name, values in columns.items():
        table[name] = values.astype(str) if values.dtype == object else values
    order = np.lexsort((table["segment"], table["item"]))
    table = table[order]
    table.meta["free_param_names"] = list(jm.free_param_names)
    return table


def _settings(jm, labels, options):
    """What determines the rows (for the resume check): JSON-friendly values only."""
    keys = ("segment_size", "dt", "norm", "per_segment", "rebin_log", "solver")
    settings = {k: options[k] for k in keys}
    settings.update(
        stingray_compat=bool(options["stingray_compat"]),
        max_steps=options["max_steps"],
        dtype=options["dtype"],
        **common_settings(jm, labels, options["p0"], options["priors"]),
    )
    if options["spectrum"] != "power":  # absent for power spectra: older files resume
        settings["spectrum"] = options["spectrum"]
    if options["significance"] is not None:
        null = options["null_model"]
        settings.update(
            significance=options["significance"],
            null_model=None if null is None else list(null.free_param_names),
            null_p0=None if null is None else [float(v) for v in null.p0],
            nsim=options["nsim"],
            seed=options["seed"],
        )
    return settings


def fit_observations(
    items: Iterable[Any],
    model: Model | JaxModel,
    segment_size: float,
    dt: float | None = None,
    *,
    spectrum: str = "power",
    norm: str = "frac",
    per_segment: bool = False,
    rebin_log: float | None = None,
    p0: Sequence[float] | Callable[[np.ndarray, np.ndarray], Any] | None = None,
    solver: str = "scoring",
    stingray_compat: bool = False,
    max_steps: int | None = None,
    dtype: str = "float64",
    chunk_size: int = 64,
    out: str | os.PathLike | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = False,
    devices: int | Sequence[Any] | None = None,
    n_workers: int | None = None,
    client: Any = None,
    share: str | tuple[int, int] | None = None,
    priors: dict[str, Any] | None = None,
    significance: str | None = None,
    null_model: Model | JaxModel | None = None,
    nsim: int = 100,
    seed: int = 0,
) -> Table:
    """Fit one model to the power (or cross) spectrum of every observation (or segment).

    For each item: its averaged power spectrum, with the recipe of Stingray's
    ``AveragedPowerspectrum.from_events`` / ``from_lightcurve`` (segments of
    ``segment_size`` inside the GTIs, ``norm``, the mean of all segments), optionally
    log-rebinned like ``rebin_log``; or, with ``per_segment=True``, the periodogram of each
    segment (Stingray's ``DynamicalPowerspectrum``), for tracking a QPO. Then a
    maximum-likelihood fit of ``model`` to each spectrum (Whittle for single periodograms,
    the Gamma likelihood of ``m`` averaged ones, see `fit_batch`).

    With ``spectrum="cross"``, each item is a pair of observations and its row is the fit of
    Stingray's ``fit_crossspectrum`` to their averaged cross spectrum (the recipe of
    ``AveragedCrossspectrum.from_events`` / ``from_lightcurve``, both halves on the
    intersection of their GTIs): a Gaussian likelihood on ``|cross power|`` with the real
    part of Stingray's ``power_err`` as the errors (see ``docs/modeling.rst``).

    Items are processed ``chunk_size`` at a time: a chunk's items are read one after the
    other and reduced to spectra (peak memory: one item's events or light curve, plus the
    chunk's spectra), then fitted in one call of `fit_batch` spread over ``devices``, and
    the chunk's rows are appended to ``out`` before the next chunk is read.

    Parameters
    ----------
    items : iterable
        Event-file or light-curve-file paths, ``stingray.EventList``, ``stingray.Lightcurve``
        objects, or 1-D arrays of counts per bin of ``dt`` (any mixture; lengths and GTIs may
        differ). Never modified. With ``spectrum="cross"``: pairs ``(item1, item2)`` of these
        (both halves event data, or both binned with the same bin).
    model : astropy.modeling.Model or stingray_jax.models.JaxModel
        The model (fixed and tied parameters and bounds are honoured).
    segment_size : float
        Length of the segments (s).
    dt : float, optional
        Bin width of the light curves (s); required for event lists and arrays; light curves
        are rebinned to it (default: their own bin).
    spectrum : {"power", "cross"}, optional
        Fit power spectra (default) or the cross spectra of pairs of items. Cross spectra are
        computed in float64 whatever ``dtype``; ``per_segment`` and ``significance`` (whose
        simulations are of power spectra) are for power spectra only.
    norm : str, optional
        ``"frac"`` (default, as Stingray), ``"abs"``, ``"leahy"`` or ``"none"``.
    per_segment : bool, optional
        One row per segment instead of one per item.
    rebin_log : float, optional
        Logarithmic rebinning factor ``f`` (Stingray's ``rebin_log(f)``; the number of
        averaged powers per bin enters the likelihood).
    p0 : array_like or callable, optional
        Starting values of the free parameters (default: the model's values), or a function
        ``p0(freq, power) -> values`` evaluated for each spectrum.
    solver, stingray_compat, max_steps, dtype, priors
        As in `fit_batch`. ``dtype="float32"`` also computes the spectra's FFTs in float32.
        With ``priors``, maximum a posteriori fits (Stingray's ``max_post=True``) and a
        ``neg_log_posterior`` column, from which ``aic`` and ``bic`` are computed as Stingray
        does.
    chunk_size : int, optional
        Items per chunk (default 64).
    out : str or path, optional
        An ECSV (``.ecsv``) or FITS (``.fits`` or ``.fit``, not compressed) file the rows are
        appended to as chunks finish; a FITS file (rows in its ``BATCH`` extension, settings as
        JSON in the ``BATCHMET`` keyword) is rewritten atomically for each chunk, so an
        interruption never leaves a torn file. With ``resume=True``, an existing file written
        by an interrupted run with the same settings is continued: the items it holds are
        skipped, and the final table is the one an uninterrupted run writes (the same for
        either format). An existing file is otherwise an error unless ``overwrite=True``.
    progress : bool, optional
        Show a tqdm progress bar (items).
    significance : {"outlier", "lrt"}, optional
        Add a calibrated significance to every fitted row: ``"outlier"``, the highest
        outlier ``max(2 P / model)`` (Stingray's ``calibrate_highest_outlier`` statistic);
        ``"lrt"``, the likelihood ratio ``2 (-log L_null + log L)`` of ``null_model`` against
        ``model`` (Stingray's ``compute_lrt``), the null fitted to every spectrum too. Columns
        ``<kind>_stat`` and ``<kind>_pvalue`` (and ``null_neg_log_likelihood``): the fraction
        of ``nsim`` spectra simulated from the row's best fit (the null's, for the ratio) and
        refitted, whose statistic exceeds the observed one. The simulations of a row are
        seeded by ``(seed, item, segment)``: the p-values do not depend on chunks or devices.
    null_model : astropy.modeling.Model or JaxModel, optional
        The null hypothesis of ``significance="lrt"`` (usually ``model`` without a component).
    nsim, seed : int, optional
        Simulations per row (default 100; the smallest p-value is then 1/100) and the seed.
    devices, n_workers
        As in `fit_batch` (the results do not depend on them, nor on ``chunk_size``).
    client : dask.distributed.Client, optional
        Fit the chunks on the workers of this Dask cluster (one task per chunk, the rows
        appended to ``out`` as chunks complete) instead of in this process. The items (file
        paths are best: each worker reads its own files), the model and the settings are sent
        to the workers; the table is the one a local run gives.
    share : "jax" or (index, count), optional
        Fit only this process's share of the items, every ``count``-th from ``index``
        (``"jax"``: ``jax.process_index()`` of ``jax.process_count()``, for one process per
        host after ``jax.distributed.initialize()``); give each process its own ``out`` and
        join the files with `read_results`. The ``item`` column keeps the positions in the
        full list.

    Returns
    -------
    table : astropy.table.Table
        One row per item (or segment), sorted by item then segment: ``item`` (position in
        ``items``), ``obs_id`` (file name, or type and position; for a pair, the halves'
        joined by ``" x "``), ``segment`` (-1 for whole observations), ``time``, ``tstart``,
        ``tstop`` (mission seconds), ``m`` (averaged periodograms), a column per free
        parameter and ``<name>_err``,
        ``neg_log_likelihood``, ``aic``, ``bic`` (Stingray's definitions, see
        `stingray_jax.fitting.information_criteria`), ``converged``, ``n_steps``, ``cov``
        and ``problem`` (why an item or spectrum could not be fitted, ``""`` otherwise).
        An unreadable file, an item without a complete segment or a failed fit is a flagged
        row (NaN, ``converged=False``); it never stops the batch. One warning summarises
        the flagged rows.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.modeling.models import Const1D, Lorentz1D
    >>> from stingray import EventList
    >>> from stingray_jax.batch import fit_observations
    >>> rng = np.random.default_rng(1)
    >>> obs = [
    ...     EventList(np.sort(rng.uniform(0, 64 * k, 3000 * k)), gti=[[0, 64 * k]])
    ...     for k in (2, 3, 4)
    ... ]
    >>> model = Lorentz1D(1.0, 1.0, 0.5) + Const1D(2.0)
    >>> table = fit_observations(obs, model, segment_size=16, dt=1 / 64, norm="leahy")
    >>> table["m"].tolist(), bool(table["converged"].all())
    ([8, 12, 16], True)
    >>> bool(np.all(np.abs(table["amplitude_1"] - 2) < 0.1))  # Poisson noise level of Leahy
    True

    Cross spectra of pairs (here two independent bands: only the modulus of the noise, of
    order ``sqrt(P1 P2 / m)`` in Leahy units, is left):

    >>> pairs = [(obs[0], obs[1]), (obs[1], obs[2])]
    >>> cross = fit_observations(
    ...     pairs, Const1D(0.3), segment_size=16, dt=1 / 64, norm="leahy", spectrum="cross"
    ... )
    >>> cross["obs_id"].tolist(), cross["m"].tolist()
    (['EventList[0] x EventList[0]', 'EventList[1] x EventList[1]'], [8, 12])
    """

    jm = as_jax_model(model)
    if jm.n_free == 0:
        raise ValueError("all parameters of the model are fixed or tied: nothing to fit")
    items = list(items)
    if not items:
        raise ValueError("no items to fit")
    if spectrum not in ("power", "cross"):
        raise ValueError(f"spectrum must be 'power' or 'cross', got {spectrum!r}")
    if spectrum == "cross":
        check_pairs(items)
        if per_segment:
            raise ValueError(
                "per_segment=True is for power spectra: the error bars of a cross spectrum "
                "(Stingray's) need many averaged segments"
            )
        if significance is not None:
            raise ValueError(
                "significance is for power spectra (it simulates periodograms): give "
                "spectrum='power'"
            )
    segment_size = float(segment_size)
    if not np.isfinite(segment_size) or segment_size <= 0:
        raise ValueError(f"segment_size must be a positive number of seconds, got {segment_size}")
    if dt is not None and (not np.isfinite(dt) or dt <= 0):
        raise ValueError(f"dt must be a positive number of seconds, got {dt}")
    if rebin_log is not None and not (0 < float(rebin_log) < 10):
        raise ValueError(f"rebin_log must be a small positive factor (e.g. 0.02), got {rebin_log}")
    chunk_size = int(chunk_size)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    from .._execution import resolve_devices

    resolve_devices(devices)  # a bad value is an error now, not a flagged row per item
    batch_prior(jm, priors)
    if significance not in (None, "outlier", "lrt"):
        raise ValueError(f"significance must be None, 'outlier' or 'lrt', got {significance!r}")
    if significance == "lrt":
        if null_model is None:
            raise ValueError("significance='lrt' needs null_model (the null hypothesis)")
        if priors is not None:
            raise ValueError("significance='lrt' is a likelihood ratio: give no priors")
    null_jm = as_jax_model(null_model) if significance == "lrt" else None
    if significance is not None and (int(nsim) != nsim or nsim < 10):
        raise ValueError(f"nsim must be an integer of at least 10, got {nsim}")
    options = dict(
        spectrum=spectrum,
        segment_size=segment_size,
        dt=None if dt is None else float(dt),
        norm=norm,
        per_segment=bool(per_segment),
        rebin_log=None if rebin_log is None else float(rebin_log),
        p0=p0,
        solver=solver,
        stingray_compat=bool(stingray_compat),
        max_steps=max_steps,
        dtype=dtype,
        devices=devices,
        n_workers=n_workers,
        priors=priors,
        significance=significance,
        null_model=null_jm,
        nsim=int(nsim),
        seed=int(seed),
    )
    label = pair_label if spectrum == "cross" else item_label
    labels = [label(item, i) for i, item in enumerate(items)]
    share = resolve_share(share)
    settings = _settings(jm, labels, options)
    settings["share"] = None if share is None else list(share)
    result = run_chunks(
        fit_chunk,
        items,
        jm,
        options,
        settings,
        sort_keys=("item", "segment"),
        chunk_size=chunk_size,
        out=out,
        resume=resume,
        overwrite=overwrite,
        progress=progress,
        client=client,
        share=share,
        what="rows",
    )
    return result
