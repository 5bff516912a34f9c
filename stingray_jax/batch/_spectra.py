"""Fit one model to many power spectra in a single compiled, vectorised call.

`fit_batch` vmaps the maximum-likelihood fit of `stingray_jax.modeling` (the same pure function,
`stingray_jax.fitting.fit_pure`) over a batch of spectra, so the result for each spectrum is
the one a separate fit gives, and a spectrum whose fit fails is flagged (``converged = False``)
without affecting the others.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._config import x64_scope

if TYPE_CHECKING:  # jaxtyping is needed by the type checker only (no runtime import)
    from astropy.modeling import Model
    from astropy.table import Table
    from jaxtyping import Float

    from .._typing import RealArrayLike
    from ..models import JaxModel

__all__ = ["batch_prior", "fit_batch", "log_prior_values"]


def _row_problems(powers, ms, whittle, gaussian=False):
    """Why each spectrum cannot be fitted (``""`` where it can); vectorised over rows.

    With ``gaussian``, ``ms`` holds the errors (positive and finite) and any finite value
    can be fitted."""
    nonfinite = np.sum(~np.isfinite(powers), axis=1)
    with np.errstate(invalid="ignore"):
        if gaussian:
            low = np.zeros(powers.shape[0], dtype=int)
        else:
            low = np.sum(powers < 0 if whittle else powers <= 0, axis=1)
        bad_m = None if ms is None else ~np.all(np.isfinite(ms) & (ms > 0), axis=1)
    what = "negative" if whittle else "non-positive"
    bad_what = "error(s) not positive and finite" if gaussian else "m not positive and finite"
    problems = np.full(powers.shape[0], "", dtype=object)
    for i in np.flatnonzero(nonfinite | low | (False if bad_m is None else bad_m)):
        if nonfinite[i]:
            problems[i] = f"{int(nonfinite[i])} non-finite power(s)"
        elif low[i]:
            problems[i] = f"{int(low[i])} {what} power(s)"
        else:
            problems[i] = bad_what
    return problems.astype(str)


def _run_fits(p0s, jm, x, ys, ms, spec, prior, solver, max_steps):
    from ..fitting import fit_pure
    from ..optimize import map_fits

    # the per-row second array: the errors of a Gaussian likelihood, else m
    key = "yerr" if spec.kind == "gaussian" else "m"

    def one(p0, y, m=None):
        data = {"x": x, "y": y} if m is None else {"x": x, "y": y, key: m}
        return fit_pure(p0, jm, data, spec, prior, solver, max_steps)

    if ms is None:
        return map_fits(one, p0s, ys)
    return map_fits(one, p0s, ys, ms)


@functools.cache
def _batch_jit():
    from ..optimize import compact_jit

    return compact_jit(_run_fits, static_argnames=("spec", "prior", "solver", "max_steps"))


@functools.cache
def _batch_sharded_jit(devices):
    """The fits of `_batch_jit` split over ``devices`` with ``shard_map`` (rows per device)."""
    from .._execution import sharded
    from ..optimize import compact_jit

    def run(p0s, jm, x, ys, ms, spec, prior, solver, max_steps):
        def body(p, j, xx, y, *m):
            return _run_fits(p, j, xx, y, m[0] if m else None, spec, prior, solver, max_steps)

        batched = (True, False, False, True) + (() if ms is None else (True,))
        args = (p0s, jm, x, ys) + (() if ms is None else (ms,))
        return sharded(body, devices, batched)(*args)

    return compact_jit(run, static_argnames=("spec", "prior", "solver", "max_steps"))


def batch_prior(jm: Any, priors: Any) -> Any:
    """The static log-prior of the free parameters of ``jm`` from ``priors`` (a dict
    ``{name: prior}`` as Stingray's ``set_logprior`` takes: scipy distributions, density
    functions, NumPyro distributions), or None for maximum likelihood."""
    if priors is None:
        return None
    if not isinstance(priors, dict):
        raise TypeError(f"priors must be a dict {{name: prior}}, got {type(priors).__name__}")
    from ..modeling._logprior import _LogPrior

    extra = sorted(set(priors) - set(jm.free_param_names))
    if extra:
        raise ValueError(
            f"priors names {extra}, which are not free parameters of the model "
            f"({list(jm.free_param_names)})"
        )
    return _LogPrior(jm.free_param_names, priors)


def log_prior_values(prior: Any, x: np.ndarray) -> np.ndarray:
    """``log prior(x)`` of each row of ``x`` (NaN rows give NaN), in float64."""
    import jax

    with x64_scope(True):
        values = np.asarray(jax.jit(jax.vmap(prior.jax))(np.nan_to_num(np.asarray(x, float))))
    return np.where(np.all(np.isfinite(x), axis=1), values, np.nan)


def fit_batch(
    model: Model | JaxModel,
    freq: Float[RealArrayLike, " n_freq"],
    powers: Float[RealArrayLike, "n_spectra n_freq"],
    m: Float[RealArrayLike, "*#n_spectra #n_freq"] = 1,
    p0: Float[RealArrayLike, "*#n_spectra n_free"] | None = None,
    solver: str = "scoring",
    stingray_compat: bool = False,
    max_steps: int | None = None,
    dtype: str = "float64",
    n_workers: int | None = None,
    devices: int | Sequence[Any] | None = None,
    priors: dict[str, Any] | None = None,
    yerr: Float[RealArrayLike, "*#n_spectra #n_freq"] | None = None,
) -> Table:
    """Maximum-likelihood (or, with ``priors``, maximum a posteriori) fits of one
    power-spectrum model to a batch of spectra.

    Parameters
    ----------
    model : astropy.modeling.Model or stingray_jax.models.JaxModel
        The model (fixed and tied parameters, and bounds, are honoured). Never modified.
    freq : array_like, shape (n_freq,)
        Frequencies, shared by all spectra.
    powers : array_like, shape (n_spectra, n_freq)
        The spectra (positive; zeros are allowed for ``m == 1``).
    m : float or array_like, optional
        Number of averaged periodograms: a scalar, one value per frequency ``(n_freq,)``, or
        one per bin and spectrum ``(n_spectra, n_freq)``. Default 1 (Whittle likelihood);
        otherwise the Gamma likelihood (see `stingray_jax.likelihoods.gamma`).
    p0 : array_like, optional
        Starting values of the free parameters, ``(n_free,)`` for all spectra or
        ``(n_spectra, n_free)``; default: the model's current values.
    solver : str, optional
        A `stingray_jax.optimize` solver (default ``"scoring"``: trust-region Fisher scoring,
        with the exact Hessian at the optimum for the errors).
    stingray_compat : bool, optional
        Use Stingray's doubled likelihood for ``m > 1``.
    max_steps : int, optional
        Solver iteration limit.
    dtype : {"float64", "float32"}, optional
        Precision of the computation (float32 is faster on GPUs; its stopping tolerances are
        looser). Default float64, whatever the global JAX setting.
    n_workers : int, optional
        Number of threads: the batch is split into this many equal parts fitted in parallel
        (default: one per CPU core on the CPU backend, 1 on GPUs, where one vectorised call
        is faster). The results do not depend on it. Used when the fits run on one device.
    devices : int or sequence of jax.Device, optional
        The local JAX devices to spread the spectra over (default: all of them; a number
        means the first ``n``). With more than one device the batch is split in equal blocks
        of rows, one per device, by ``jax.shard_map`` (several GPUs, or CPU devices requested
        with ``XLA_FLAGS=--xla_force_host_platform_device_count=N``); the results are those of
        one device.
    priors : dict, optional
        ``{free parameter name: prior}``, as Stingray's ``set_logprior`` takes (frozen
        ``scipy.stats`` distributions, density functions such as ``lambda a: (0 < a) & (a <
        5)``, NumPyro distributions): the fits then maximise the posterior (Stingray's
        ``max_post=True``), the errors are those of the posterior's curvature, and the table
        also has ``neg_log_posterior`` (``neg_log_likelihood`` stays the likelihood's).
    yerr : array_like, optional
        Standard deviations of the data, a scalar, ``(n_freq,)`` or ``(n_spectra, n_freq)``:
        a Gaussian likelihood (`stingray_jax.likelihoods.gaussian`) instead of the
        periodogram likelihoods, as Stingray's ``fit_crossspectrum`` uses for ``|cross
        power|`` with ``cs.power_err``; ``powers`` may then hold any finite values, ``m``
        must be 1 and ``stingray_compat`` does not apply. A row with an error that is not
        positive and finite is a flagged row.

    Returns
    -------
    table : astropy.table.Table
        One row per spectrum: a column per free parameter, ``<name>_err`` (square root of the
        diagonal of the inverse exact Hessian), ``neg_log_likelihood``, ``converged`` and
        ``n_steps``. ``table.meta`` holds ``free_param_names`` and the covariances are in
        ``table["cov"]`` (shape ``(n_free, n_free)`` per row). A spectrum that cannot be fitted
        (non-finite powers, negative powers, zero powers with ``m > 1``, or a bad row of a 2-D
        ``m``) does not stop the batch: its row holds NaN with ``converged=False`` and the
        reason in the ``problem`` column (``""`` for the others), with one warning for the
        batch; the other rows are what they would be without it.

    Raises
    ------
    ValueError
        Shape mismatches, non-finite frequencies, no spectrum that can be fitted, starting
        values outside bounds.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.modeling.models import Const1D, PowerLaw1D
    >>> from stingray_jax.batch import fit_batch
    >>> rng = np.random.default_rng(0)
    >>> freq = np.linspace(0.01, 1.0, 256)
    >>> model = PowerLaw1D(1.0, 1.0, 1.5) + Const1D(2.0)
    >>> model.x_0_0.fixed = True
    >>> powers = model(freq) * rng.exponential(size=(8, freq.size))
    >>> table = fit_batch(model, freq, powers)
    >>> len(table), bool(table["converged"].all())
    (8, True)
    >>> table.colnames[:4]
    ['amplitude_0', 'amplitude_0_err', 'alpha_0', 'alpha_0_err']
    """
    from astropy.modeling import Model
    from astropy.table import Table

    from ..fitting import LikelihoodSpec, psd_spec
    from ..models import JaxModel, from_astropy

    if isinstance(model, Model):
        jm = from_astropy(model)
    elif isinstance(model, JaxModel):
        jm = model
    else:
        raise TypeError(f"model must be an astropy model or a JaxModel, got {type(model).__name__}")
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    np_dtype = np.dtype(dtype)
    freq = np.asarray(freq, dtype=np.float64)
    powers = np.asarray(powers, dtype=np.float64)
    if freq.ndim != 1:
        raise ValueError(f"freq must be one-dimensional, got shape {freq.shape}")
    if powers.ndim != 2 or powers.shape[1] != freq.size:
        raise ValueError(
            f"powers must have shape (n_spectra, n_freq={freq.size}), got {powers.shape}"
        )
    if not np.all(np.isfinite(freq)):
        raise ValueError("freq must be finite (no NaN or inf)")
    n_spec = powers.shape[0]
    whittle = np.ndim(m) == 0 and float(m) == 1.0
    gaussian = yerr is not None
    if gaussian:
        if not whittle:
            raise ValueError("yerr (a Gaussian likelihood) and m > 1 exclude each other")
        earr = np.asarray(yerr)
        if np.iscomplexobj(earr):
            raise TypeError("yerr must be real, got complex values")
        earr = earr.astype(np.float64)
        if earr.ndim not in (0, 1, 2) or (earr.ndim > 0 and earr.shape[-1] != freq.size):
            raise ValueError(
                f"yerr must be a scalar, (n_freq,) or (n_spectra, n_freq), got shape {earr.shape}"
            )
        if earr.ndim == 2 and earr.shape[0] != n_spec:
            raise ValueError(f"yerr has {earr.shape[0]} rows for {n_spec} spectra")
        ms = np.broadcast_to(earr, powers.shape).astype(np.float64)
        whittle = False
    elif whittle:
        ms = None
    else:
        marr = np.asarray(m, dtype=np.float64)
        if marr.ndim not in (0, 1, 2) or (marr.ndim > 0 and marr.shape[-1] != freq.size):
            raise ValueError(
                f"m must be a scalar, (n_freq,) or (n_spectra, n_freq), got shape {marr.shape}"
            )
        if marr.ndim < 2 and not np.all(np.isfinite(marr) & (marr > 0)):
            raise ValueError("m must be positive and finite")
        ms = np.broadcast_to(marr, powers.shape).astype(np.float64)
    # A bad spectrum becomes a flagged row; the others are fitted as if it were not there.
    problem = _row_problems(powers, ms, whittle, gaussian)
    unfit = problem != ""
    if np.all(unfit):
        need = (
            "finite, errors positive and finite"
            if gaussian
            else f"finite and {'non-negative' if whittle else 'positive'}, m positive and finite"
        )
        raise ValueError(f"no spectrum can be fitted: {problem[0]} (powers must be {need})")
    if np.any(unfit):
        warnings.warn(
            f"{int(unfit.sum())} of {n_spec} spectra cannot be fitted (first: row "
            f"{int(np.flatnonzero(unfit)[0])}, {problem[unfit][0]}): their rows are NaN with "
            f"converged=False and the reason in the 'problem' column",
            RuntimeWarning,
            stacklevel=2,
        )
        good_row = int(np.flatnonzero(~unfit)[0])
        powers = powers.copy()
        powers[unfit] = powers[good_row]  # same shapes, no recompilation; results discarded
        if ms is not None:
            ms = ms.copy()
            ms[unfit] = ms[good_row]
    if ms is not None:
        ms = ms.astype(np_dtype)
    n_free = jm.n_free
    if n_free == 0:
        raise ValueError("all parameters of the model are fixed or tied: nothing to fit")
    p0 = np.asarray(jm.p0 if p0 is None else p0, dtype=np.float64)
    if p0.shape == (n_free,):
        p0 = np.broadcast_to(p0, (n_spec, n_free))
    if p0.shape != (n_spec, n_free):
        raise ValueError(f"p0 must have shape ({n_free},) or ({n_spec}, {n_free}), got {p0.shape}")
    for k, (lo, hi) in enumerate(jm.bounds):
        col = p0[:, k]
        bad = ~np.isfinite(col)
        if lo is not None:
            bad |= ~(col > lo)
        if hi is not None:
            bad |= ~(col < hi)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"p0[{i}] {jm.free_param_names[k]} = {col[i]} is not strictly inside its "
                f"bounds ({lo}, {hi})"
            )
    spec = LikelihoodSpec("gaussian") if gaussian else psd_spec(whittle, bool(stingray_compat))
    prior = batch_prior(jm, priors)
    with x64_scope(dtype == "float64"):
        import jax

        from .._execution import resolve_devices, run_rows

        jm_d = jax.tree_util.tree_map(lambda a: np.asarray(a, np_dtype), jm)
        freq_d = freq.astype(np_dtype)
        p0_d = p0.astype(np_dtype)
        powers_d = powers.astype(np_dtype)
        devs = tuple(resolve_devices(devices))

        def fit_rows(idx, n_real, on_mesh):
            """Fit the spectra ``idx`` (padded by repeats) and keep the first ``n_real``."""
            compiled = _batch_sharded_jit(devs) if on_mesh else _batch_jit()
            res = compiled(
                p0_d[idx],
                jm_d,
                freq_d,
                powers_d[idx],
                None if ms is None else ms[idx],
                spec=spec,
                prior=prior,
                solver=solver,
                max_steps=max_steps,
            )
            return jax.tree_util.tree_map(lambda a: np.asarray(a)[:n_real], res)

        # Several devices: one block of rows per device (shard_map). One device: equal parts
        # fitted in parallel threads. Batches are padded to bucketed sizes (see run_rows).
        out = run_rows(fit_rows, n_spec, devs, n_workers)

    if np.any(unfit):
        out = out._replace(
            x=np.where(unfit[:, None], np.nan, out.x),
            fun=np.where(unfit, np.nan, out.fun),
            cov=np.where(unfit[:, None, None], np.nan, out.cov),
            converged=np.where(unfit, False, out.converged),
            n_steps=np.where(unfit, 0, out.n_steps),
        )
    table = Table()
    with np.errstate(invalid="ignore"):
        errs = np.sqrt(np.diagonal(out.cov, axis1=1, axis2=2))
    for k, name in enumerate(jm.free_param_names):
        table[name] = out.x[:, k]
        table[f"{name}_err"] = errs[:, k]
    if prior is None:
        table["neg_log_likelihood"] = out.fun
    else:
        table["neg_log_likelihood"] = out.fun + log_prior_values(prior, out.x)
        table["neg_log_posterior"] = out.fun
    table["converged"] = out.converged.astype(bool)
    table["n_steps"] = out.n_steps
    table["cov"] = out.cov
    table["problem"] = problem
    table.meta["free_param_names"] = list(jm.free_param_names)
    table.meta["likelihood"] = spec.kind
    return table
