"""A pure, vmappable minimiser front-end with bounds and exact-Hessian covariances.

`minimize` minimises ``fun(x, *args)`` over a 1-D parameter vector ``x``. It is a pure function
of arrays: call it inside ``jax.jit`` and ``jax.vmap`` (over starting values and/or the data in
``args``) to fit many problems in one compiled call. It returns a `MinimizeResult` pytree.

Bounds
    ``bounds`` is a sequence of ``(low, high)`` pairs, one per parameter, with ``None`` or
    ``+-inf`` for an open side. They are honoured *exactly* by optimising an unconstrained
    variable ``u`` through a smooth transform (MINUIT's): ``x = low + s (sqrt(u^2 + 1) - 1)``
    (lower bound only), ``x = high - s (sqrt(u^2 + 1) - 1)`` (upper bound only), with the scale
    ``s`` the starting distance from the bound, and ``x = low + (high - low) sin^2(u)`` (both).
    A bound is reached at a *finite* ``u`` where ``dx/du = 0``, so an optimum on a bound is an
    ordinary stationary point in ``u``: Newton iterations converge to it quadratically (with the
    ``exp``/``sigmoid`` bijections of `transform_bounds`, which the samplers use, ``u`` would
    drift towards infinity by about one unit per iteration). Starting values must lie strictly
    inside the bounds: outside values raise ``ValueError`` (or, when ``x0`` is traced, give
    ``converged=False`` and NaN results).

Solvers
    ``"newton"`` (default)
        A trust-region Newton method with the *exact* Hessian (computed by forward-over-reverse
        differentiation): the step solves ``(|H_s| + lambda) d = -g`` in the eigenbasis of
        ``H_s``, the Hessian scaled to a unit diagonal (Marquardt's scaling, so that the damping
        does not depend on the units of the parameters and does not freeze directions of small
        curvature); negative curvature is flipped, so saddles are escaped, and ``lambda`` is
        adapted from the ratio of actual to predicted decrease. It stops when the Newton decrement
        ``g^T H^{-1} g / 2`` (the predicted distance to the minimum in units of ``fun``) falls
        below ``atol + rtol * |fun|`` with no direction of significant negative curvature
        (directions of zero curvature and zero gradient, such as the position of a line whose
        amplitude sits on its bound of 0, do not prevent convergence). For the small problems
        of spectral fitting (a handful to ~20 parameters, thousands of frequencies) it converges
        in 5-20 iterations and needs no line search. Where ``fun`` is ``+inf`` (outside a flat
        prior's support) a step is cut back to the edge by bisection, and parameters held on
        an edge or a kink (found by small downhill probes) leave the stopping test (KKT: the
        projected decrement is tested), so such optima converge too.
    ``"scoring"``
        The same trust-region iterations, but the first ones use the approximate Hessian ``B``
        returned by the ``curvature`` argument (for a negative log-likelihood: the Fisher
        information, hence Fisher scoring), which needs only the model's Jacobian (forward
        mode) rather than a second-order derivative and is about three times cheaper. Once the
        Newton decrement is below 1e-2, or after four iterations, the iterations switch to the
        exact Hessian (Fisher scoring alone converges only linearly, slowly where the
        expected curvature is a poor model of the observed one), and convergence is declared
        on the exact Hessian only. The likelihood fits of `stingray_jax.modeling` and
        `stingray_jax.batch` use it by default.
    ``"bfgs"``, ``"lbfgs"``
        ``optimistix.BFGS`` / ``optimistix.LBFGS`` (Cauchy termination on ``rtol``/``atol``).
    ``"optax_lbfgs"``
        ``optax.lbfgs`` with its zoom line search; stops when the gradient max-norm (in the
        unconstrained variables) is below ``atol + rtol * |fun|``.
    ``"jaxopt_lbfgs"``, ``"jaxopt_bfgs"``
        jaxopt's solvers, when the optional ``jaxopt`` package is installed.
    an ``optimistix.AbstractMinimiser`` instance
        Used as given.

Whatever the solver, the covariance is the inverse of the exact Hessian of ``fun`` with respect
to ``x`` (the original parameters, not the transformed ones) at the optimum, and ``converged``
says whether the solver's stopping criterion was met with a finite function value: a failed fit
is never reported as a success.
"""

import functools
import math
from typing import Any, NamedTuple

import numpy as np

from ._config import numpy_float64 as _numpy_float64
from ._solvers import _jaxopt, _newton, _optax_lbfgs, _optimistix, _value_grad_hess

__all__ = ["SOLVERS", "MinimizeResult", "map_fits", "minimize", "transform_bounds"]

SOLVERS = ("newton", "scoring", "bfgs", "lbfgs", "optax_lbfgs", "jaxopt_lbfgs", "jaxopt_bfgs")

_DEFAULT_MAX_STEPS = {"newton": 200, "scoring": 200}


class MinimizeResult(NamedTuple):
    """Result of `minimize` (a pytree: it batches under ``vmap``).

    Attributes
    ----------
    x : array
        The minimiser, in the original (bounded) parameter space.
    fun : array
        ``fun(x, *args)``.
    grad_norm : array
        Max-norm of the gradient of ``fun`` with respect to ``x`` at ``x`` (not zero when the
        optimum lies on a bound).
    n_steps : array
        Number of solver iterations.
    converged : array
        ``True`` when the solver's stopping criterion was met with a finite ``fun``.
    hess : array
        The exact Hessian of ``fun`` with respect to ``x`` at ``x``.
    cov : array
        ``inv(hess)``: the covariance of the parameters when ``fun`` is a negative
        log-likelihood (or log-posterior).
    value_converged : array
        ``True`` when ``fun`` is a (local) minimum *value* to the tolerance, even where ``x``
        is not determined: ``converged``, or (``"newton"``/``"scoring"``) the iterations
        stopped because no step could lower ``fun`` any more, or because
        ``_FLAT_STEPS`` successive steps lowered it by less than
        ``_FLAT_STEPS * sqrt(atol + rtol |fun|)`` in all
        (``x`` then runs along a direction in which ``fun`` approaches its infimum, such as a
        line whose amplitude grows while its width shrinks). Likelihood ratios only need this
        value; the calibrations count such fits. Equal to ``converged`` for other solvers.
    """

    x: Any
    fun: Any
    grad_norm: Any
    n_steps: Any
    converged: Any
    hess: Any
    cov: Any
    value_converged: Any = None


# --------------------------------------------------------------------------------------------
# Bound transforms
# --------------------------------------------------------------------------------------------


def _parse_bounds(bounds, n):
    """Return (kinds, low, high) as Python tuples; kinds: 0 free, 1 low, 2 high, 3 both."""
    if bounds is None:
        return (0,) * n, (-math.inf,) * n, (math.inf,) * n
    bounds = list(bounds)
    if len(bounds) != n:
        raise ValueError(f"bounds has {len(bounds)} entries but there are {n} parameters")
    kinds, lows, highs = [], [], []
    for i, b in enumerate(bounds):
        if b is None:
            b = (None, None)
        try:
            lo, hi = b
        except (TypeError, ValueError):
            raise ValueError(f"bounds[{i}] must be a (low, high) pair, got {b!r}") from None
        lo = -math.inf if lo is None else float(lo)
        hi = math.inf if hi is None else float(hi)
        if math.isnan(lo) or math.isnan(hi):
            raise ValueError(f"bounds[{i}] contains NaN")
        if not lo < hi:
            raise ValueError(f"bounds[{i}] = ({lo}, {hi}): low must be smaller than high")
        kinds.append(int(math.isfinite(lo)) + 2 * int(math.isfinite(hi)))
        lows.append(lo)
        highs.append(hi)
    return tuple(kinds), tuple(lows), tuple(highs)


def transform_bounds(bounds: Any, n: int) -> tuple[Any, Any]:
    """Return ``(to_x, to_u)``: the smooth bijections between free ``u`` and bounded ``x``.

    ``x = low + exp(u)``, ``x = high - exp(u)`` or ``x = low + (high - low) sigmoid(u)``: the
    transforms of the samplers (`stingray_jax.sampling`), where a bijection with a simple
    Jacobian is needed. `minimize` uses MINUIT's transforms instead (see the module
    documentation), which reach a bound at a finite ``u``.

    Parameters
    ----------
    bounds : sequence of (low, high) or None
        One pair per parameter; ``None`` or infinite for an open side.
    n : int
        Number of parameters.

    Returns
    -------
    to_x, to_u : callable
        ``x = to_x(u)`` maps the real line into the bounds; ``to_u`` is its inverse (NaN
        outside the bounds).

    Examples
    --------
    >>> import numpy as np
    >>> from stingray_jax.optimize import transform_bounds
    >>> to_x, to_u = transform_bounds([(0, None), (-1, 1), None], 3)
    >>> x = np.array([2.0, 0.5, -7.0])
    >>> print(np.asarray(to_x(to_u(x))).round(4))
    [ 2.   0.5 -7. ]
    """
    kinds, lows, highs = _parse_bounds(bounds, n)
    return _make_transforms(kinds, lows, highs)


def _make_transforms(kinds, lows, highs):
    import jax
    import jax.numpy as jnp

    kinds_np = np.asarray(kinds)
    if np.all(kinds_np == 0):
        return (lambda u: u), (lambda x: x)
    lo_np = np.where(np.isfinite(lows), lows, 0.0)
    hi_np = np.where(np.isfinite(highs), highs, 0.0)
    m_low, m_high, m_both = kinds_np == 1, kinds_np == 2, kinds_np == 3

    def to_x(u):
        u = jnp.asarray(u)
        lo = jnp.asarray(lo_np, u.dtype)
        hi = jnp.asarray(hi_np, u.dtype)
        # Each branch is evaluated on a "safe" input so that no inf/nan leaks into gradients.
        e = jnp.exp(jnp.where(m_low | m_high, u, 0.0))
        s = jax.nn.sigmoid(jnp.where(m_both, u, 0.0))
        x = jnp.where(m_low, lo + e, u)
        x = jnp.where(m_high, hi - e, x)
        return jnp.where(m_both, lo + (hi - lo) * s, x)

    def to_u(x):
        x = jnp.asarray(x)
        lo = jnp.asarray(lo_np, x.dtype)
        hi = jnp.asarray(hi_np, x.dtype)
        ok = jnp.where(m_low, x > lo, True) & jnp.where(m_high, x < hi, True)
        ok = ok & jnp.where(m_both, (x > lo) & (x < hi), True)
        xs = jnp.where(ok, x, jnp.where(m_both, 0.5 * (lo + hi), jnp.where(m_high, hi - 1, lo + 1)))
        u = jnp.where(m_low, jnp.log(jnp.where(m_low, xs - lo, 1.0)), xs)
        u = jnp.where(m_high, jnp.log(jnp.where(m_high, hi - xs, 1.0)), u)
        t = jnp.where(m_both, (xs - lo) / (hi - lo), 0.5)
        u = jnp.where(m_both, jnp.log(t) - jnp.log1p(-t), u)
        return jnp.where(ok, u, jnp.nan)

    return to_x, to_u


def _make_opt_transforms(kinds, lows, highs, x0):
    """MINUIT's bound transforms, used while minimising (see the module documentation).

    Returns ``(to_x, u0)``: ``to_x`` maps ``u`` elementwise into the bounds, and ``u0`` is the
    point mapped to ``x0`` (NaN where ``x0`` is not strictly inside its bounds). One-sided
    bounds use the starting distance from the bound as their scale, so ``u0 = sqrt(3)`` there.
    """
    import jax.numpy as jnp

    kinds_np = np.asarray(kinds)
    if np.all(kinds_np == 0):
        return (lambda u: u), x0
    lo_np = np.where(np.isfinite(lows), lows, 0.0)
    hi_np = np.where(np.isfinite(highs), highs, 0.0)
    m_low, m_high, m_both = kinds_np == 1, kinds_np == 2, kinds_np == 3
    m_one = m_low | m_high
    lo = jnp.asarray(lo_np, x0.dtype)
    hi = jnp.asarray(hi_np, x0.dtype)
    width = jnp.where(m_both, hi - lo, 1.0)
    ok = jnp.where(m_low | m_both, x0 > lo, True) & jnp.where(m_high | m_both, x0 < hi, True)
    # starting distance from the one-sided bound: the transform's scale
    scale = jnp.where(m_low, x0 - lo, jnp.where(m_high, hi - x0, 1.0))
    scale = jnp.where(ok & m_one, scale, 1.0)
    sign = jnp.where(m_high, -1.0, 1.0).astype(x0.dtype)
    base = jnp.where(m_high, hi, lo)

    def to_x(u):
        # sqrt(u^2 + 1) - 1 written without cancellation, so that x - low > 0 for u != 0
        su = jnp.where(m_one, u, 0.0)
        one_sided = base + sign * scale * (su * su / (jnp.sqrt(su * su + 1.0) + 1.0))
        both = lo + width * jnp.sin(jnp.where(m_both, u, 0.0)) ** 2
        return jnp.where(m_one, one_sided, jnp.where(m_both, both, u))

    t = jnp.where(m_both & ok, (x0 - lo) / width, 0.25)
    u0 = jnp.where(m_one, math.sqrt(3.0), jnp.where(m_both, jnp.arcsin(jnp.sqrt(t)), x0))
    return to_x, jnp.where(ok, u0, jnp.nan)


def _make_log_jacobian(kinds, lows, highs):
    """``log|det dx/du|`` of the ``to_x`` of `_make_transforms` (for samplers).

    One-sided bounds (``x = l + e^u`` or ``x = h - e^u``) contribute ``u``; two-sided ones
    (``x = l + (h - l) sigmoid(u)``) contribute ``log(h - l) + log sigmoid(u) + log sigmoid(-u)``.
    Only the branches some parameter needs are traced (the masks are static).
    """
    import jax
    import jax.numpy as jnp

    kinds_np = np.asarray(kinds)
    m_one = (kinds_np == 1) | (kinds_np == 2)
    m_both = kinds_np == 3
    log_width = np.log(np.where(m_both, np.asarray(highs) - np.asarray(lows), 1.0))

    def log_jacobian(u):
        terms = jnp.zeros_like(u)
        if m_one.any():
            terms = jnp.where(m_one, u, terms)
        if m_both.any():
            us = jnp.where(m_both, u, 0.0)
            both = log_width + jax.nn.log_sigmoid(us) + jax.nn.log_sigmoid(-us)
            terms = jnp.where(m_both, both, terms)
        return jnp.sum(terms)

    return log_jacobian


def _check_inside(x0, kinds, lows, highs):
    """Raise ValueError for a concrete x0 outside (or on) the bounds."""
    import jax

    if isinstance(x0, jax.core.Tracer):
        return
    x = np.asarray(x0, dtype=float)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"starting values must be finite, got {x}")
    lo, hi = np.asarray(lows), np.asarray(highs)
    bad = ~((x > lo) & (x < hi))
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"starting value x0[{i}] = {x[i]} is not strictly inside its bounds "
            f"({lows[i]}, {highs[i]})"
        )


# --------------------------------------------------------------------------------------------
# Front-end
# --------------------------------------------------------------------------------------------


@_numpy_float64  # issue 12: NumPy x0 computes in float64 whatever the x64 flag
def minimize(
    fun: Any,
    x0: Any,
    args: tuple = (),
    bounds: Any = None,
    solver: str = "newton",
    rtol: float | None = None,
    atol: float | None = None,
    max_steps: int | None = None,
    curvature: Any = None,
) -> MinimizeResult:
    """Minimise ``fun(x, *args)`` over the 1-D array ``x``: pure, jittable and vmappable.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> scalar``, written with ``jax.numpy`` (twice differentiable for the
        default solver and for the covariance).
    x0 : array_like
        Starting values, shape ``(n,)``; strictly inside ``bounds``.
    args : tuple, optional
        Extra arguments of ``fun`` (arrays: they may be traced/batched).
    bounds : sequence of (low, high), optional
        One pair per parameter, ``None`` or infinite for an open side. Static (Python numbers).
    solver : str or optimistix minimiser, optional
        One of `SOLVERS` (default ``"newton"``, see the module documentation), or an
        ``optimistix.AbstractMinimiser`` instance.
    rtol, atol : float, optional
        Tolerances of the stopping criterion (see the module documentation). The defaults
        depend on the dtype: ``rtol = 1e-13, atol = 1e-12`` in float64 and
        ``rtol = 1e-7, atol = 1e-5`` in float32 for ``"newton"`` and ``"scoring"`` (the
        predicted remaining decrease of ``fun``; 1e-13 relative is about ten times the rounding
        noise of a sum over ~10^3 bins, which a tighter value could not reach);
        ``rtol = atol = 1e-8`` (float64) or ``1e-5`` (float32) for the quasi-Newton solvers.
    max_steps : int, optional
        Iteration limit (default 200 for ``"newton"`` and ``"scoring"``, 1000 otherwise).
    curvature : callable, optional
        ``curvature(x, *args) -> (value, grad, B)``: ``fun``, its gradient and a symmetric
        approximation ``B`` of its Hessian with respect to ``x`` (for a negative
        log-likelihood, the Fisher information). Required by, and only used by, the
        ``"scoring"`` solver. Static (hashable), like ``fun``.

    Returns
    -------
    result : MinimizeResult

    Raises
    ------
    ValueError
        Unknown solver, bad bounds, or (concrete) starting values outside the bounds.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from stingray_jax.optimize import minimize
    >>> def fun(x, a):
    ...     return jnp.sum((x - a) ** 2) + jnp.exp(x[0])
    >>> with jax.enable_x64(True):
    ...     res = minimize(
    ...         fun,
    ...         jnp.array([0.5, 3.0]),
    ...         args=(jnp.array([1.0, 2.0]),),
    ...         bounds=[(0, None), (-5, 5)],
    ...     )
    >>> bool(res.converged), [round(float(v), 6) for v in res.x]
    (True, [0.31492, 2.0])
    """
    import jax.numpy as jnp

    x0 = jnp.asarray(x0)
    if not jnp.issubdtype(x0.dtype, jnp.floating):
        x0 = x0.astype(jnp.result_type(float))
    if x0.ndim != 1:
        raise ValueError(f"x0 must be 1-D (one value per parameter), got shape {x0.shape}")
    n = x0.shape[0]
    if n == 0:
        raise ValueError("there are no free parameters to fit")
    kinds, lows, highs = _parse_bounds(bounds, n)
    _check_inside(x0, kinds, lows, highs)
    f64 = x0.dtype == jnp.float64

    bounds = None if bounds is None else tuple(zip(lows, highs))
    name = solver if isinstance(solver, str) else None
    if name is not None and name not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose one of {SOLVERS}")
    if name == "scoring" and curvature is None:
        raise ValueError("the 'scoring' solver needs a curvature function (curvature=...)")
    if name in ("newton", "scoring"):
        rtol = (1e-13 if f64 else 1e-7) if rtol is None else rtol
        atol = (1e-12 if f64 else 1e-5) if atol is None else atol
    else:
        rtol = (1e-8 if f64 else 1e-5) if rtol is None else rtol
        atol = (1e-8 if f64 else 1e-5) if atol is None else atol
    if max_steps is None:
        max_steps = _DEFAULT_MAX_STEPS.get(name, 1000)

    if not _any_tracer(x0, args):
        # Called eagerly: run one compiled program (cached per function, bounds and options)
        # instead of dispatching every operation.
        try:
            hash((fun, bounds, solver, curvature))
        except TypeError:
            pass
        else:
            return _minimize_jit()(
                fun, x0, args, bounds, solver, rtol, atol, max_steps, kinds, lows, highs, curvature
            )
    return _minimize_impl(
        fun, x0, args, bounds, solver, rtol, atol, max_steps, kinds, lows, highs, curvature
    )


def _any_tracer(*trees):
    import jax

    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(trees))


# XLA CPU options that cut compile time of the Hessian-heavy fitting programs. XLA versions that
# do not know an option reject the whole compilation ("No such compile option"), so each option is
# probed once per process with a trivial program and dropped when it does not exist.
_CPU_COMPILE_OPTIONS = {"xla_cpu_use_fusion_emitters": False}


@functools.cache
def _supported_cpu_options():
    import jax

    supported = {}
    probe = jax.ShapeDtypeStruct((), np.float32)
    for name, value in _CPU_COMPILE_OPTIONS.items():
        try:
            jax.jit(lambda x: x + 1, compiler_options={name: value}).lower(probe).compile()
        except Exception:  # any rejection means: compile without the option
            continue
        supported[name] = value
    return supported


def compact_jit(fn: Any, **kwargs: Any) -> Any:
    """``jax.jit`` with per-function XLA options that cut compile time of fits on CPU.

    XLA's CPU fusion emitters make the Hessian-heavy fitting programs several times slower to
    compile (seconds) for no run-time gain; the option is passed to this function's compilation
    only (no global JAX or XLA setting is changed). Options that the installed XLA does not know
    (``xla_cpu_use_fusion_emitters`` is gone from jax 0.12) are left out, so the function is
    then an ordinary ``jax.jit``. Other backends use the defaults.
    """
    import jax

    options = None
    if jax.default_backend() == "cpu":
        options = _supported_cpu_options() or None
    return jax.jit(fn, compiler_options=options, **kwargs)


def map_fits(fn: Any, *xs: Any, vectorize: bool | None = None) -> Any:
    """``fn`` over the leading axis of ``xs``: one independent fit (or any loop) per element.

    On CPU the elements are processed one after the other inside the compiled program
    (``lax.map``): each fit then stops after its own number of iterations and works on data
    that stay in cache, which is 2-5 times faster than ``vmap``, whose vectorised while-loop
    runs every fit for as many iterations as the slowest one needs and streams
    ``(batch, n_param, n_freq)`` temporaries through memory. On GPUs and TPUs the fits are
    vectorised with ``vmap``. The results are the same either way; ``vectorize`` (default:
    ``True`` except on the CPU backend) forces the choice.
    """
    import jax

    if vectorize is None:
        vectorize = jax.default_backend() != "cpu"
    if vectorize:
        return jax.vmap(fn)(*xs)
    return jax.lax.map(lambda args: fn(*args), xs)


def default_workers() -> int:
    """Number of threads that batched fits use: the usable CPU cores on the CPU backend, else 1.

    A compiled JAX computation runs on one core of the CPU backend (for the small arrays of
    spectral fits), so `parallel_map` spreads independent batches over threads, one per core.
    """
    import os

    import jax

    if jax.default_backend() != "cpu":
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover (not Linux)
        return max(1, os.cpu_count() or 1)


def parallel_map(fn, items, n_workers=None):
    """Yield ``fn(item)`` for each item, in order, computed by up to ``n_workers`` threads.

    ``fn`` calls compiled JAX functions (which release the GIL), so the threads run on separate
    cores. JAX's scoped 64-bit mode is thread-local: the caller's setting is re-entered in each
    worker. ``n_workers`` defaults to `default_workers`.
    """
    import concurrent.futures

    import jax

    from ._config import x64_scope

    items = list(items)
    n_workers = default_workers() if n_workers is None else int(n_workers)
    x64 = bool(jax.config.jax_enable_x64)

    def call(item):
        with x64_scope(x64):
            return fn(item)

    if n_workers <= 1 or len(items) <= 1:
        for item in items:
            yield call(item)
        return
    with concurrent.futures.ThreadPoolExecutor(min(n_workers, len(items))) as pool:
        yield from pool.map(call, items)


@functools.cache
def _minimize_jit():
    return compact_jit(_minimize_impl, static_argnums=(0, 3, 4, 5, 6, 7, 8, 9, 10, 11))


def _minimize_impl(
    fun, x0, args, bounds, solver, rtol, atol, max_steps, kinds, lows, highs, curvature=None
):
    import jax.numpy as jnp

    name = solver if isinstance(solver, str) else None
    to_x, u0 = _make_opt_transforms(kinds, lows, highs, x0)

    def f(u):
        return fun(to_x(u), *args)

    def fun_x(x):
        return fun(x, *args)

    def curvature_x(x):
        return curvature(x, *args)

    fgh = None
    settled = None
    if name == "newton":
        u, n_steps, conv, settled, fgh = _newton(
            _value_grad_hess(fun_x), to_x, u0, rtol, atol, max_steps, fx=fun_x
        )
    elif name == "scoring":
        u, n_steps, conv, settled, fgh = _newton(
            _value_grad_hess(fun_x), to_x, u0, rtol, atol, max_steps, vgb=curvature_x, fx=fun_x
        )
    elif name in ("bfgs", "lbfgs"):
        import optimistix as optx

        cls = optx.BFGS if name == "bfgs" else optx.LBFGS
        u, n_steps, conv = _optimistix(f, u0, cls(rtol=rtol, atol=atol), max_steps)
    elif name == "optax_lbfgs":
        u, n_steps, conv = _optax_lbfgs(f, u0, rtol, atol, max_steps)
    elif name in ("jaxopt_lbfgs", "jaxopt_bfgs"):
        u, n_steps, conv = _jaxopt(f, u0, name, rtol, atol, max_steps)
    else:
        u, n_steps, conv = _optimistix(f, u0, solver, max_steps)

    # The exact Hessian in the original parameters at the optimum (also on a bound, where
    # dx/du = 0): from the Newton loop, or computed here for the other solvers.
    x = to_x(u)
    if fgh is None:
        fgh = _value_grad_hess(fun_x)(x)
    fx, gx, hx = fgh
    cov = jnp.linalg.inv(hx)
    conv = conv & jnp.isfinite(fx) & jnp.all(jnp.isfinite(x))
    settled = conv if settled is None else (settled | conv) & jnp.isfinite(fx)
    return MinimizeResult(
        x=x,
        fun=fx,
        grad_norm=jnp.max(jnp.abs(gx)),
        n_steps=n_steps,
        converged=conv,
        hess=hx,
        cov=cov,
        value_converged=settled,
    )
