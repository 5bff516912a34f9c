"""Batched GP fits of many light curves: padding + mask, vmapped MAP, NUTS, QPO detection.

Light curves of different lengths and sampling are padded to a common length with a mask
(`pad_lightcurves`); the masked points are dropped exactly by the solver, so a batched fit
equals fitting each light curve alone (tested). Everything is one ``vmap``-ed, compiled call.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ..optimize import minimize
from .models import gp_log_likelihood

__all__ = ["fit_map_batch", "make_objective", "pad_lightcurves"]


def pad_lightcurves(times, counts, errors=None, dtype="float64"):
    """Stack light curves of different lengths into padded arrays with a mask.

    Each light curve's times are made relative to its first time (in NumPy, float64) before
    any cast; padding repeats the last time (a zero step) with ``counts = 0`` and
    ``mask = False``.

    Parameters
    ----------
    times, counts : sequence of 1-D arrays
    errors : sequence of 1-D arrays, optional
        Per-point standard deviations (become the diagonal, ``errors**2``); padded with 1.
    dtype : {"float64", "float32"}

    Returns
    -------
    t, y, diag, mask : numpy.ndarray, shape (n_lightcurves, n_max)
        ``diag`` is ``errors**2`` (zeros if ``errors`` is None). ``t0`` (the subtracted
        epochs) is returned as a fifth element.
    """
    if len(times) != len(counts):
        raise ValueError(f"{len(times)} time arrays but {len(counts)} count arrays")
    n = [len(np.asarray(x)) for x in times]
    if min(n) < 2:
        raise ValueError("every light curve needs at least two points")
    m = max(n)
    B = len(n)
    t = np.zeros((B, m))
    y = np.zeros((B, m))
    diag = np.zeros((B, m))
    mask = np.zeros((B, m), bool)
    t0 = np.zeros(B)
    for i, (ti, yi) in enumerate(zip(times, counts)):
        ti = np.asarray(ti, np.float64)
        yi = np.asarray(yi, np.float64)
        if ti.shape != yi.shape:
            raise ValueError(f"light curve {i}: times {ti.shape} and counts {yi.shape} differ")
        if np.any(np.diff(ti) < 0):
            raise ValueError(f"light curve {i}: times must be sorted")
        t0[i] = ti[0]
        k = len(ti)
        t[i, :k] = ti - ti[0]
        t[i, k:] = t[i, k - 1]
        y[i, :k] = yi
        mask[i, :k] = True
        if errors is not None:
            ei = np.asarray(errors[i], np.float64)
            diag[i, :k] = ei**2
            diag[i, k:] = 1.0
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return t.astype(dtype), y.astype(dtype), diag.astype(dtype), mask, t0


@functools.lru_cache(maxsize=64)
def make_objective(params_list, kernel_type, mean_type, logprior=None):
    """Negative log posterior ``f(x, t, y, diag, mask)`` of one light curve (pure, cached).

    ``logprior(x)`` (hashable, pure JAX) is added when given; without it this is the negative
    log-likelihood (a maximum-likelihood fit).
    """
    params_list = tuple(params_list)

    def objective(x, t, y, diag, mask):
        values = [x[i] for i in range(len(params_list))]
        ll = gp_log_likelihood(values, params_list, kernel_type, mean_type, t, y, diag, mask)
        if logprior is not None:
            ll = ll + logprior(x)
        return -ll

    return objective


def fit_map_batch(
    params_list,
    kernel_type,
    mean_type,
    x0,
    t,
    y,
    diag,
    mask,
    *,
    bounds=None,
    logprior=None,
    solver="bfgs",
    max_steps=None,
):
    """MAP (or maximum-likelihood) fits of many light curves in one vmapped, compiled call.

    Parameters
    ----------
    params_list : sequence of str
        Stingray's parameter names (`stingray_jax.modeling.gpmodeling.get_gp_params`).
    kernel_type, mean_type : str
    x0 : array_like, shape (n_params,) or (n_lightcurves, n_params)
        Starting values (in the sampled space: log for ``log_`` names).
    t, y, diag, mask : array_like, shape (n_lightcurves, n)
        From `pad_lightcurves` (``diag`` the white-noise variance, > 0 somewhere sensible).
    bounds : sequence of (low, high), optional
        Static bounds per parameter (see `stingray_jax.optimize.minimize`).
    logprior : callable, optional
        ``logprior(x)`` added to the log-likelihood (hashable).
    solver : str
        Any of `stingray_jax.optimize.SOLVERS` (default ``"bfgs"``).
    max_steps : int, optional

    Returns
    -------
    result : stingray_jax.optimize.MinimizeResult
        Batched: ``result.x`` has shape ``(n_lightcurves, n_params)``; ``result.converged``
        flags each fit.
    """
    objective = make_objective(tuple(params_list), kernel_type, mean_type, logprior)
    t, y, diag = (jnp.asarray(a) for a in (t, y, diag))
    mask = jnp.asarray(mask, bool)
    x0 = jnp.asarray(x0, t.dtype)
    if x0.ndim == 1:
        x0 = jnp.broadcast_to(x0, (t.shape[0], x0.shape[0]))
    bounds = None if bounds is None else tuple(tuple(b) for b in bounds)
    return _batched(objective, bounds, solver, max_steps)(x0, t, y, diag, mask)


@functools.lru_cache(maxsize=64)
def _batched(objective, bounds, solver, max_steps):
    def one(x0, t, y, diag, mask):
        return minimize(
            objective,
            x0,
            args=(t, y, diag, mask),
            bounds=bounds,
            solver=solver,
            max_steps=max_steps,
        )

    return jax.jit(jax.vmap(one))
