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

__all__ = [
    "fit_laplace_batch",
    "fit_map_batch",
    "laplace_log_evidence",
    "make_logposterior",
    "make_objective",
    "normal_logprior",
    "nuts_batch",
    "pad_lightcurves",
]


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


# --------------------------------------------------------------------------------------------
# Posteriors with per-light-curve priors: Laplace evidence, batched NUTS
# --------------------------------------------------------------------------------------------

_LOG_2PI = 1.8378770664093453


def normal_logprior(x, loc, scale):
    """Independent normal priors, ``sum_i log N(x_i | loc_i, scale_i)`` (normalised).

    A prior for `fit_laplace_batch` and `nuts_batch` whose ``loc`` and ``scale`` may differ
    between light curves. Smooth and with full support, so a posterior mode is interior and the
    Laplace approximation applies.

    Parameters
    ----------
    x, loc, scale : jax.Array, shape (n_params,)
        Parameters (log space for ``log_`` names), prior means and standard deviations.

    Returns
    -------
    logprior : jax.Array
        Scalar.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from stingray_jax.gp.inference import normal_logprior
    >>> float(normal_logprior(jnp.zeros(2), jnp.zeros(2), jnp.ones(2)))  # doctest: +FLOAT_CMP
    -1.8378770664093453
    """
    z = (x - loc) / scale
    return -0.5 * jnp.sum(z * z + _LOG_2PI + 2.0 * jnp.log(scale))


@functools.lru_cache(maxsize=64)
def make_logposterior(params_list, kernel_type, mean_type, logprior):
    """Log posterior ``f(x, t, y, diag, mask, prior_args)`` of one light curve (pure, cached).

    Parameters
    ----------
    params_list : tuple of str
        Stingray's parameter names (`stingray_jax.modeling.gpmodeling.get_gp_params`).
    kernel_type, mean_type : str
    logprior : callable
        ``logprior(x, *prior_args)``, a hashable pure-JAX function (e.g. `normal_logprior`)
        whose arguments ``prior_args`` (a tuple of arrays) may differ between light curves.

    Returns
    -------
    logposterior : callable
        ``f(x, t, y, diag, mask, prior_args)``: GP log-likelihood of ``y(t)`` (white-noise
        variance ``diag``, ``mask`` as in `stingray_jax.gp.log_likelihood`) plus
        ``logprior(x, *prior_args)``; jit-, vmap- and grad-able.
    """
    params_list = tuple(params_list)

    def logposterior(x, t, y, diag, mask, prior_args):
        values = [x[i] for i in range(len(params_list))]
        ll = gp_log_likelihood(values, params_list, kernel_type, mean_type, t, y, diag, mask)
        return ll + logprior(x, *prior_args)

    return logposterior


def laplace_log_evidence(fun, hess):
    """Laplace approximation of the log evidence at a posterior mode (batches over leading axes).

    ``log Z = -fun + (d/2) log 2 pi - (1/2) log det(hess)``: exact for a Gaussian posterior.

    Parameters
    ----------
    fun : jax.Array, shape (...)
        The negative log posterior (with a normalised prior) at its minimum.
    hess : jax.Array, shape (..., d, d)
        Its Hessian there.

    Returns
    -------
    log_evidence : jax.Array, shape (...)
        NaN where ``hess`` is not positive definite (not a minimum).
    """
    d = hess.shape[-1]
    chol = jnp.linalg.cholesky(0.5 * (hess + jnp.swapaxes(hess, -1, -2)))  # NaN if not PD
    logdet = 2.0 * jnp.sum(jnp.log(jnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    return -fun + 0.5 * d * _LOG_2PI - 0.5 * logdet


def fit_laplace_batch(
    params_list,
    kernel_type,
    mean_type,
    x0,
    t,
    y,
    diag,
    mask,
    prior_loc,
    prior_scale,
    *,
    solver="bfgs",
    max_steps=None,
):
    """MAP fits with normal priors and their Laplace log evidences, many light curves at once.

    Parameters
    ----------
    params_list : sequence of str
        Stingray's parameter names (`stingray_jax.modeling.gpmodeling.get_gp_params`).
    kernel_type, mean_type : str
    x0 : array_like, shape (n_lightcurves, n_params)
        Starting values (log space for ``log_`` names). Several starts of one light curve are
        several rows (repeat its data rows).
    t, y, diag, mask : array_like, shape (n_lightcurves, n)
        From `pad_lightcurves`.
    prior_loc, prior_scale : array_like, shape (n_lightcurves, n_params)
        The independent normal priors (`normal_logprior`) of each light curve.
    solver : str
        Any of `stingray_jax.optimize.SOLVERS` (default ``"bfgs"``).
    max_steps : int, optional

    Returns
    -------
    result : stingray_jax.optimize.MinimizeResult
        Batched; ``result.fun`` is the negative log posterior at the mode.
    log_evidence : jax.Array, shape (n_lightcurves,)
        `laplace_log_evidence` of each fit (NaN where the fit did not converge to a minimum).
    """
    logpost = make_logposterior(tuple(params_list), kernel_type, mean_type, normal_logprior)
    t, y, diag = (jnp.asarray(a) for a in (t, y, diag))
    mask = jnp.asarray(mask, bool)
    x0, loc, scale = (jnp.asarray(a, t.dtype) for a in (x0, prior_loc, prior_scale))
    res = _laplace_batched(logpost, solver, max_steps)(x0, t, y, diag, mask, (loc, scale))
    logz = laplace_log_evidence(res.fun, res.hess)
    return res, jnp.where(res.converged & jnp.isfinite(res.fun), logz, jnp.nan)


def _negate(logpost):
    return lambda x, *args: -logpost(x, *args)


@functools.lru_cache(maxsize=64)
def _laplace_batched(logpost, solver, max_steps):
    objective = _negate(logpost)

    def one(x0, t, y, diag, mask, prior_args):
        return minimize(
            objective, x0, args=(t, y, diag, mask, prior_args), solver=solver, max_steps=max_steps
        )

    return jax.jit(jax.vmap(one))


def nuts_batch(
    params_list,
    kernel_type,
    mean_type,
    x0,
    t,
    y,
    diag,
    mask,
    logprior,
    prior_args=(),
    *,
    seed=0,
    num_warmup=500,
    num_samples=1000,
    target_acceptance_rate=0.8,
):
    """NUTS over a batch of light curves in one vmapped, compiled call (blackjax).

    Each light curve gets its own chain with its own window adaptation (step size and diagonal
    mass matrix), exactly as if it were sampled alone: the chains share nothing but the
    compiled program. Padded points (``mask = False``) are dropped exactly by the likelihood.

    Parameters
    ----------
    params_list : sequence of str
        Stingray's parameter names (`stingray_jax.modeling.gpmodeling.get_gp_params`).
    kernel_type, mean_type : str
    x0 : array_like, shape (n_params,) or (n_lightcurves, n_params)
        Starting points (log space for ``log_`` names), e.g. the `fit_map_batch` optima.
    t, y, diag, mask : array_like, shape (n_lightcurves, n)
        From `pad_lightcurves`.
    logprior : callable
        ``logprior(x, *prior_args)``, pure JAX and hashable (e.g. `normal_logprior`).
    prior_args : tuple of array_like
        Per-light-curve prior arguments, each with a leading ``n_lightcurves`` axis.
    seed : int
        Light curve ``i`` uses the ``i``-th of ``jax.random.split(PRNGKey(seed), n)``.
    num_warmup, num_samples : int
    target_acceptance_rate : float

    Returns
    -------
    samples : jax.Array, shape (n_lightcurves, num_samples, n_params)
    info : dict
        ``"divergent"`` (n_lightcurves, num_samples) booleans, ``"acceptance_rate"`` and
        ``"num_integration_steps"`` per draw, and the adapted ``"step_size"`` per light curve.

    Notes
    -----
    Needs blackjax (the ``gp`` extra, ``blackjax>=1.7,<1.8``).
    """
    logpost = make_logposterior(tuple(params_list), kernel_type, mean_type, logprior)
    t, y, diag = (jnp.asarray(a) for a in (t, y, diag))
    mask = jnp.asarray(mask, bool)
    x0 = jnp.asarray(x0, t.dtype)
    if x0.ndim == 1:
        x0 = jnp.broadcast_to(x0, (t.shape[0], x0.shape[0]))
    prior_args = tuple(jnp.asarray(a, t.dtype) for a in prior_args)
    keys = jax.random.split(jax.random.PRNGKey(seed), t.shape[0])
    run = _nuts_batched(logpost, int(num_warmup), int(num_samples), float(target_acceptance_rate))
    return run(keys, x0, t, y, diag, mask, prior_args)


@functools.lru_cache(maxsize=16)
def _nuts_batched(logpost, num_warmup, num_samples, target_acceptance_rate):
    try:
        import blackjax
        from blackjax.adaptation.base import get_filter_adapt_info_fn
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "nuts_batch needs blackjax>=1.7,<1.8: pip install 'stingray_jax[gp]'"
        ) from err

    def one(key, x0, t, y, diag, mask, prior_args):
        def logdensity(x):
            lp = logpost(x, t, y, diag, mask, prior_args)
            return jnp.where(jnp.isnan(lp), -jnp.inf, lp)

        warm_key, key = jax.random.split(key)
        warmup = blackjax.window_adaptation(
            blackjax.nuts,
            logdensity,
            target_acceptance_rate=target_acceptance_rate,
            adaptation_info_fn=get_filter_adapt_info_fn(),
        )
        (state, params), _ = warmup.run(warm_key, x0, num_steps=num_warmup)
        step = blackjax.nuts(logdensity, **params).step

        def body(st, k):
            st, inf = step(k, st)
            return st, (
                st.position,
                inf.is_divergent,
                inf.acceptance_rate,
                inf.num_integration_steps,
            )

        _, (pos, div, acc, nsteps) = jax.lax.scan(body, state, jax.random.split(key, num_samples))
        info = {
            "divergent": div,
            "acceptance_rate": acc,
            "num_integration_steps": nsteps,
            "step_size": params["step_size"],
        }
        return pos, info

    return jax.jit(jax.vmap(one))
