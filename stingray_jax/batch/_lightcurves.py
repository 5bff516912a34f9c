"""Time-domain fits of many light curves: one flare/burst model, Poisson or Gaussian counts.

`fit_lightcurves` bins each item (event list, light curve, file or array of counts) to a light
curve, pads the light curves of a chunk to one length with a mask (a
`stingray_jax.fitting.LikelihoodSpec` with ``masked=True``: the padded bins and the bins
outside the GTIs do not enter the likelihood), and fits the model to all of them in one
compiled call, spread over the local devices like `fit_batch`. Each row is the fit that the
light curve alone would give.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._config import preserve_global_state, x64_scope
from ._chunks import as_jax_model, common_settings, resolve_share, run_chunks
from ._items import item_label, load_observation
from ._spectra import batch_prior, log_prior_values

if TYPE_CHECKING:
    from astropy.modeling import Model
    from astropy.table import Table

    from ..models import JaxModel

__all__ = ["fit_lightcurve_chunk", "fit_lightcurves"]

_LIKELIHOODS = ("poisson", "gaussian")


def binned_light_curve(item: Any, dt: float | None, likelihood: str):
    """``(time, counts, errors, good)`` of one item: bin centres, counts per bin, their
    standard deviations (Gaussian likelihood only, else None) and the bins inside the GTIs."""
    with preserve_global_state():
        from stingray.gti import create_gti_mask

    obs = load_observation(item, dt)
    gti = np.asarray(obs.gti, dtype=float)
    if obs.fluxes is None:  # events: bin them from the start of the first GTI
        n = math.floor((gti[-1, 1] - gti[0, 0]) / obs.dt + 1e-9)
        if n < 1:
            raise ValueError(f"the GTIs are shorter than one bin of {obs.dt:g} s")
        edges = gti[0, 0] + obs.dt * np.arange(n + 1)
        counts = np.histogram(obs.times, bins=edges)[0].astype(float)
        time = edges[:-1] + 0.5 * obs.dt
        errors = None
    else:
        time = np.asarray(obs.times, dtype=float)
        counts = np.asarray(obs.fluxes, dtype=float)
        errors = None if obs.errors is None else np.asarray(obs.errors, dtype=float)
    with preserve_global_state():
        good = np.asarray(create_gti_mask(time, gti, dt=obs.dt), dtype=bool)
    if not np.any(good):
        raise ValueError("no bin of the light curve is inside its GTIs")
    y = counts[good]
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{int(np.sum(~np.isfinite(y)))} bin(s) with non-finite counts")
    if likelihood == "poisson":
        if np.any(y < 0):
            raise ValueError(f"{int(np.sum(y < 0))} bin(s) with negative counts (Poisson)")
        return time, counts, None, good
    if errors is None:
        errors = np.sqrt(np.maximum(counts, 0.0))  # Stingray's Poisson counts_err
    bad = ~(np.isfinite(errors[good]) & (errors[good] > 0))
    if np.any(bad):
        raise ValueError(
            f"{int(bad.sum())} bin(s) with zero or non-finite errors (Gaussian likelihood): "
            f"use likelihood='poisson' for counts"
        )
    return time, counts, errors, good


def _start_values(p0, jm, time, counts, good):
    if p0 is None:
        values = np.asarray(jm.p0, dtype=float)
    elif callable(p0):
        try:
            values = np.asarray(p0(time[good], counts[good]), dtype=float)
        except Exception as exc:  # the user's function: any failure is this item's problem
            raise ValueError(f"starting values: the p0 function failed ({exc!r})") from exc
    else:
        values = np.asarray(p0, dtype=float)
    if values.shape != (jm.n_free,) or not np.all(np.isfinite(values)):
        raise ValueError(f"starting values {values!r} are not {jm.n_free} finite numbers")
    for name, v, (lo, hi) in zip(jm.free_param_names, values, jm.bounds):
        if (lo is not None and not v > lo) or (hi is not None and not v < hi):
            raise ValueError(f"starting value {name} = {v:g} is not inside its bounds {lo, hi}")
    return values


def _run_fits(p0s, jm, data, spec, prior, solver, max_steps):
    from ..fitting import fit_pure
    from ..optimize import map_fits

    def one(p0, d):
        return fit_pure(p0, jm, d, spec, prior, solver, max_steps)

    return map_fits(one, p0s, data)


@functools.cache
def _compiled(devices):
    """The batched fits, jitted; ``shard_map``-ped over ``devices`` when there are several."""
    from .._execution import sharded
    from ..optimize import compact_jit

    statics = ("spec", "prior", "solver", "max_steps")
    if len(devices) < 2:
        return compact_jit(_run_fits, static_argnames=statics)

    def run(p0s, jm, data, spec, prior, solver, max_steps):
        def body(p, j, d):
            return _run_fits(p, j, d, spec, prior, solver, max_steps)

        return sharded(body, devices, (True, False, True))(p0s, jm, data)

    return compact_jit(run, static_argnames=statics)


def _fit_padded(jm, p0s, curves, o, prior):
    """Fit the light curves ``curves`` [(time, counts, errors, good)] padded to one length."""
    import jax

    from .._execution import resolve_devices, run_rows
    from ..fitting import LikelihoodSpec

    n_max = max(c[0].size for c in curves)
    length = 1 << (n_max - 1).bit_length()  # lengths in powers of 2: few compiled programs
    n = len(curves)
    x = np.empty((n, length))
    y = np.ones((n, length))
    mask = np.zeros((n, length), dtype=bool)
    yerr = np.ones((n, length)) if o["likelihood"] == "gaussian" else None
    for i, (time, counts, errors, good) in enumerate(curves):
        k = time.size
        x[i, :k] = time - o["zeros"][i]
        x[i, k:] = x[i, k - 1]  # a repeat of a real point: the model is finite there
        y[i, :k] = counts
        mask[i, :k] = good
        if yerr is not None:
            yerr[i, :k] = errors
    spec = LikelihoodSpec(o["likelihood"], masked=True)
    dtype = np.dtype(o["dtype"])
    with x64_scope(o["dtype"] == "float64"):
        devs = tuple(resolve_devices(o["devices"]))
        jm_d = jax.tree_util.tree_map(lambda a: np.asarray(a, dtype), jm)
        data = {"x": x.astype(dtype), "y": y.astype(dtype), "mask": mask}
        if yerr is not None:
            data["yerr"] = yerr.astype(dtype)
        p0_d = p0s.astype(dtype)

        def compute(idx, n_real, on_mesh):
            fn = _compiled(devs if on_mesh else devs[:1])
            rows = {k: v[idx] for k, v in data.items()}
            res = fn(
                p0_d[idx],
                jm_d,
                rows,
                spec=spec,
                prior=prior,
                solver=o["solver"],
                max_steps=o["max_steps"],
            )
            return jax.tree_util.tree_map(lambda a: np.asarray(a)[:n_real], res)

        return run_rows(compute, n, devs, o["n_workers"])


def fit_lightcurve_chunk(
    indexed_items: Sequence[tuple[int, Any]], model: Any, options: dict[str, Any]
) -> Table:
    """Fit the items of one chunk, ``[(index, item), ...]``, to their rows of the table of
    `fit_lightcurves` (``options``: its keyword arguments). Picklable, for other engines."""
    from astropy.table import Table

    jm = as_jax_model(model)
    o = dict(options)
    rows, curves, p0s, zeros, fitted = [], [], [], [], []
    for index, item in indexed_items:
        label = item_label(item, index)
        row = {"item": index, "obs_id": label, "tstart": np.nan, "tstop": np.nan, "n_bins": 0}
        row["time_zero"] = np.nan
        row["problem"] = ""
        try:
            curve = binned_light_curve(item, o["dt"], o["likelihood"])
            time, _, _, good = curve
            half = 0.5 * (time[1] - time[0]) if time.size > 1 else 0.5 * (o["dt"] or 0.0)
            zero = {None: 0.0, "start": float(time[good][0])}.get(o["time_zero"], o["time_zero"])
            row.update(
                tstart=float(time[good][0] - half),
                tstop=float(time[good][-1] + half),
                n_bins=int(good.sum()),
                time_zero=float(zero),
            )
            if o["dtype"] == "float32" and np.max(np.abs(time - zero)) > 1e5:
                raise ValueError(
                    "times of over 1e5 s lose their precision in float32: pass "
                    "time_zero='start' (or a reference time) to fit in float32"
                )
            values = _start_values(o["p0"], jm, time - zero, curve[1], good)
        except (OSError, ValueError, TypeError) as exc:
            row["problem"] = str(exc).replace("\n", " ")
            rows.append(row)
            continue
        rows.append(row)
        curves.append(curve)
        p0s.append(values)
        zeros.append(zero)
        fitted.append(len(rows) - 1)

    k = jm.n_free
    n_rows = len(rows)
    x = np.full((n_rows, k), np.nan)
    cov = np.full((n_rows, k, k), np.nan)
    fun = np.full(n_rows, np.nan)
    converged = np.zeros(n_rows, bool)
    n_steps = np.zeros(n_rows, np.int64)
    prior = batch_prior(jm, o["priors"])
    if curves:
        o["zeros"] = zeros
        res = _fit_padded(jm, np.asarray(p0s), curves, o, prior)
        at = np.asarray(fitted)
        x[at], cov[at], fun[at] = res.x, res.cov, res.fun
        converged[at], n_steps[at] = res.converged, res.n_steps
        for i, ok in zip(fitted, np.asarray(res.converged)):
            if not ok:
                rows[i]["problem"] = "the fit did not converge"
    if not rows:
        raise ValueError("fit_lightcurve_chunk needs at least one item")
    table = Table()
    for name in ("item", "obs_id", "tstart", "tstop", "n_bins", "time_zero"):
        table[name] = [r[name] for r in rows]
    with np.errstate(invalid="ignore"):
        errs = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
        n_bins = np.maximum(np.asarray(table["n_bins"], dtype=float), 1.0)
        aic, bic = fun + 2.0 * k, fun + k * np.log(n_bins)  # fun: -log L, or -log posterior
    for j, name in enumerate(jm.free_param_names):
        table[name] = x[:, j]
        table[f"{name}_err"] = errs[:, j]
    if prior is None:
        table["neg_log_likelihood"] = fun
    else:
        table["neg_log_likelihood"] = fun + log_prior_values(prior, x)
        table["neg_log_posterior"] = fun
    table["aic"], table["bic"] = aic, bic
    table["converged"], table["n_steps"], table["cov"] = converged, n_steps, cov
    table["problem"] = np.array([r["problem"] for r in rows], dtype=str)
    table = table[np.argsort(np.asarray(table["item"]), kind="stable")]
    table.meta["free_param_names"] = list(jm.free_param_names)
    return table


def fit_lightcurves(
    items: Iterable[Any],
    model: Model | JaxModel,
    dt: float | None = None,
    *,
    likelihood: str = "poisson",
    p0: Sequence[float] | Callable[[np.ndarray, np.ndarray], Any] | None = None,
    time_zero: str | float | None = None,
    solver: str = "scoring",
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
) -> Table:
    """Fit one light-curve model (counts per bin against time) to every item of a batch.

    Each item becomes a light curve: events are binned at ``dt`` from the start of their
    first GTI, light curves are used as they are (rebinned to ``dt`` if given), arrays are
    counts per bin of ``dt`` from time 0; only the bins inside the GTIs enter the fit. The
    model (for instance ``FRED1D(...) + Const1D(...)``, see `stingray_jax.models.flares`)
    gives the expected counts per bin at the bin centres. The maximum-likelihood fit uses the
    Poisson likelihood (Stingray's ``PoissonLogLikelihood``) or the Gaussian one with the
    light curve's errors (``GaussianLogLikelihood``; ``sqrt(counts)`` for Poisson light
    curves). The light curves of a chunk, whatever their lengths, are padded to one length
    and fitted in one compiled call; each row is what a fit of that light curve alone gives.

    Parameters
    ----------
    items : iterable
        Event-file or light-curve-file paths, ``stingray.EventList``, ``stingray.Lightcurve``
        or 1-D arrays of counts (any mixture). Never modified.
    model : astropy.modeling.Model or stingray_jax.models.JaxModel
        The model of the counts per bin (fixed and tied parameters and bounds honoured).
    dt : float, optional
        Bin width (s): required for event lists and arrays.
    likelihood : {"poisson", "gaussian"}, optional
        Default ``"poisson"``.
    p0 : array_like or callable, optional
        Starting values of the free parameters (default: the model's), or a function
        ``p0(time, counts) -> values`` of each light curve's good bins (times measured from
        ``time_zero``).
    time_zero : None, "start" or float, optional
        The origin of the model's time axis: ``None`` (default) the light curves' own times
        (as a Stingray fit of ``lc.time``), ``"start"`` each light curve's first good bin
        (then ``t0``-like parameters are relative to it; the ``time_zero`` column gives the
        origin), or a number. Float32 fits need times under 1e5 s.
    solver, max_steps, dtype, devices, n_workers, priors
        As in `fit_batch` (with ``priors``, maximum a posteriori fits and a
        ``neg_log_posterior`` column).
    chunk_size, out, resume, overwrite, progress, client, share
        As in `fit_observations`.

    Returns
    -------
    table : astropy.table.Table
        One row per item, sorted by ``item``: ``obs_id``, ``tstart``/``tstop`` (the good
        bins), ``n_bins`` (bins fitted), ``time_zero``, a column per free parameter and
        ``<name>_err`` (from the inverse exact Hessian), ``neg_log_likelihood``, ``aic`` and
        ``bic`` (Stingray's definitions), ``converged``, ``n_steps``, ``cov`` and ``problem``
        (why an item could not be fitted or did not converge, ``""`` otherwise; one warning
        for the batch).

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.modeling.models import Const1D, Gaussian1D
    >>> from stingray_jax.batch import fit_lightcurves
    >>> rng = np.random.default_rng(3)
    >>> model = Gaussian1D(50.0, 20.0, 4.0) + Const1D(5.0)
    >>> curves = [rng.poisson(model(np.arange(n) + 0.5)) for n in (40, 60, 90)]
    >>> table = fit_lightcurves(curves, model, dt=1.0)
    >>> table["n_bins"].tolist(), bool(table["converged"].all())
    ([40, 60, 90], True)
    >>> bool(np.all(np.abs(table["mean_0"] - 20) < 3 * table["mean_0_err"]))
    True
    """
    jm = as_jax_model(model)
    if jm.n_free == 0:
        raise ValueError("all parameters of the model are fixed or tied: nothing to fit")
    items = list(items)
    if not items:
        raise ValueError("no items to fit")
    if likelihood not in _LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {_LIKELIHOODS}, got {likelihood!r}")
    if dt is not None and (not np.isfinite(dt) or dt <= 0):
        raise ValueError(f"dt must be a positive number of seconds, got {dt}")
    numeric = isinstance(time_zero, (int, float, np.number)) and not isinstance(time_zero, bool)
    if not (time_zero is None or time_zero == "start" or (numeric and np.isfinite(time_zero))):
        raise ValueError(f"time_zero must be None, 'start' or a number, got {time_zero!r}")
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    chunk_size = int(chunk_size)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    from .._execution import resolve_devices

    resolve_devices(devices)
    batch_prior(jm, priors)  # a bad prior is an error now, not a flagged row per item
    options = dict(
        dt=None if dt is None else float(dt),
        likelihood=likelihood,
        p0=p0,
        time_zero=time_zero if time_zero in (None, "start") else float(time_zero),
        solver=solver,
        max_steps=max_steps,
        dtype=dtype,
        devices=devices,
        n_workers=n_workers,
        priors=priors,
    )
    share = resolve_share(share)
    labels = [item_label(item, i) for i, item in enumerate(items)]
    settings = _settings(jm, labels, options, share)
    result = run_chunks(
        fit_lightcurve_chunk,
        items,
        jm,
        options,
        settings,
        sort_keys=("item",),
        chunk_size=chunk_size,
        out=out,
        resume=resume,
        overwrite=overwrite,
        progress=progress,
        client=client,
        share=share,
        what="light curves",
    )
    return result


def _settings(jm, labels, options, share):
    keys = ("dt", "likelihood", "time_zero", "solver", "max_steps", "dtype")
    settings = {"kind": "lightcurves", **{k: options[k] for k in keys}}
    settings.update(common_settings(jm, labels, options["p0"], options["priors"]))
    settings["share"] = None if share is None else list(share)
    return settings
