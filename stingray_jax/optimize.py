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
import warnings
from typing import Any, NamedTuple

import numpy as np

from ._config import numpy_float64 as _numpy_float64

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
# Solvers (all work on the unconstrained objective f(u))
# --------------------------------------------------------------------------------------------


def _value_grad_hess(f):
    import jax

    def g_aux(u):
        val, grad = jax.value_and_grad(f)(u)
        return grad, (val, grad)

    def vgh(u):
        hess, (val, grad) = jax.jacfwd(g_aux, has_aux=True)(u)
        return val, grad, 0.5 * (hess + hess.T)

    return vgh


def _newton(vgh, to_x, u0, rtol, atol, max_steps, vgb=None, fx=None):
    """Trust-region Newton iterations in the unconstrained variables ``u``.

    ``vgh(x) -> (f, g, H)`` gives the objective, its gradient and its exact Hessian with
    respect to the original parameters ``x = to_x(u)``; they are carried to ``u`` by the chain
    rule (``to_x`` acts elementwise). With ``vgb`` (same signature, an approximate Hessian
    ``B`` such as the Fisher information), the iterations use ``vgb`` until they are close to
    the optimum (Newton decrement below `_SCORING_SWITCH_DECREMENT`) or have taken
    `_SCORING_SWITCH_STEPS` steps, then ``vgh`` (``lax.cond``: one of them is evaluated per
    iteration, except under ``vmap``). Convergence is only declared on an exact Hessian, so the
    loop's last evaluation gives the result's Hessian: the program holds a single copy of the
    second-order derivative code, which keeps compilation small.

    Edges of the domain where the objective is finite (a flat prior's support: ``fun`` is
    ``+inf`` outside, and the optimum may sit on the edge with a non-zero gradient): ``fx(x)``
    (the objective alone) locates them. A step that leaves the domain is cut back, by bisection
    on ``fx``, to the last finite point along it (the next candidate); once a step has left
    the domain, each iteration probes every parameter with a step of ``sqrt(eps) max(|u|, 1)``
    downhill, and the parameters whose probe leaves the domain are *active*: held fixed by the
    step, and left out of the stopping test (KKT conditions: the projected Newton decrement is
    small and the gradient of each active parameter points out of the domain).

    The iterations also stop when ``_FLAT_STEPS`` successive accepted steps lower the
    objective by less than ``_FLAT_STEPS * sqrt(atol + rtol |f|)`` in all (an asymptotic
    valley: the objective has settled, the parameters have not), with ``converged`` False.

    Returns ``(u, n_steps, converged, value_converged, (f, g_x, H_x))`` with the exact
    derivatives at ``u`` (`MinimizeResult.value_converged`).
    """
    import jax
    import jax.numpy as jnp
    from jax import lax

    dtype = u0.dtype
    eps = jnp.finfo(dtype).eps
    tiny = jnp.finfo(dtype).tiny
    n = u0.shape[0]

    def evaluate(u, exact):
        ones = jnp.ones_like(u)

        def first_derivative(uu):
            return jax.jvp(to_x, (uu,), (ones,))

        (x, d1), (_, d2) = jax.jvp(first_derivative, (u,), (ones,))
        if vgb is None:
            fx, gx, hx = vgh(x)
        else:
            fx, gx, hx = lax.cond(exact, vgh, vgb, x)
        # chain rule: g_u = x' g_x, H_u = diag(x') H_x diag(x') + diag(x'' g_x)
        hu = d1[:, None] * hx * d1[None, :] + jnp.diag(d2 * gx)
        return fx, d1 * gx, 0.5 * (hu + hu.T), gx, 0.5 * (hx + hx.T)

    def value(uu):
        return fx(to_x(uu))

    def feasible(uu):
        return jnp.isfinite(value(uu))

    def edge_cut(u, d):
        # Largest t in [0, 1] (to 2^-_EDGE_BISECTIONS) with u + t d inside the domain.
        def halve(_, lohi):
            lo, hi = lohi
            mid = 0.5 * (lo + hi)
            ok = feasible(u + mid * d)
            return jnp.where(ok, mid, lo), jnp.where(ok, hi, mid)

        lo, _ = lax.fori_loop(
            0, _EDGE_BISECTIONS, halve, (jnp.zeros((), dtype), jnp.ones((), dtype))
        )
        return lo

    def active_set(u, fv, g, h, d_prev):
        # (lax.map, not vmap: a host-evaluated prior runs one point per call.)
        # Active (held) parameters: those whose small downhill probe increases the objective
        # by more than the stopping tolerance: it leaves the domain (an edge) or crosses a kink
        # (the slope changes sign within the probe, as at a sharp break on a frequency bin);
        # and those that the last step tried to move out of the domain while their gradient
        # is negligible or points outwards (an edge that the coupling to other parameters
        # pushes against). The probe is _PROBE_SIGMA of the parameter's scale 1 / sqrt(H_ii)
        # (a standard deviation for a -log likelihood), at least sqrt(eps) relative.
        size = jnp.maximum(jnp.abs(u), 1.0)
        sigma = 1.0 / jnp.sqrt(jnp.maximum(jnp.abs(jnp.diagonal(h)), tiny))
        probe = jnp.clip(_PROBE_SIGMA * sigma, jnp.sqrt(eps) * size, 1e-3 * size)
        tol = atol + rtol * jnp.abs(fv)
        downhill = probe * jnp.where(g > 0, -1.0, 1.0)
        f_down = lax.map(value, u[None, :] + jnp.diag(downhill))
        f_push = lax.map(value, u[None, :] + jnp.diag(probe * jnp.sign(d_prev)))
        blocked = ~(f_down <= fv + tol) & (g != 0)
        pushed = ~jnp.isfinite(f_push) & (d_prev != 0) & ~(f_down < fv - tol)
        return blocked | pushed

    def body(state):
        (u, fv, g, h, gx, hx, h_exact, cand, pred, lam, it, _, _, exact, force, edged, d_prev) = (
            state[:17]
        )
        flat, f_window = state[17], state[18]
        f_new, g_new, h_new, gx_new, hx_new = evaluate(cand, exact)
        finite = jnp.isfinite(f_new) & jnp.all(jnp.isfinite(g_new)) & jnp.all(jnp.isfinite(h_new))
        actual = fv - f_new
        first = it == 0
        rho = actual / jnp.where(pred > 0, pred, jnp.inf)
        keep_lam = first | force
        accept = finite & (keep_lam | ((actual > 0) & (rho > 1e-4)))
        # Windows of _FLAT_STEPS accepted steps: when one lowers the objective by less than
        # _FLAT_STEPS * sqrt(tolerance) (the scale of the kink test below), the value has
        # settled to the resolution that a likelihood ratio needs, though the decrement test
        # may never pass (a valley that flattens towards infinity keeps a finite decrement).
        counted = accept & ~keep_lam
        flat = jnp.where(counted, flat + 1, flat)
        f_acc = jnp.where(accept, f_new, fv)
        f_window = jnp.where(keep_lam & accept, f_new, f_window)
        window_done = flat >= _FLAT_STEPS
        settled = window_done & (
            f_window - f_acc < _FLAT_STEPS * jnp.sqrt(atol + rtol * jnp.abs(f_acc))
        )
        f_window = jnp.where(window_done, f_acc, f_window)
        flat = jnp.where(window_done, 0, flat)
        grow = jnp.maximum(lam * 4.0, 1e-3)
        lam_acc = jnp.where(rho > 0.75, lam * 0.1, jnp.where(rho < 0.25, grow, lam))
        lam = jnp.where(keep_lam, lam, jnp.where(accept, lam_acc, jnp.maximum(lam * 10.0, 1e-3)))
        lam = jnp.where(lam < 1e-10, 0.0, lam)
        u = jnp.where(accept, cand, u)
        fv = jnp.where(accept, f_new, fv)
        g = jnp.where(accept, g_new, g)
        h = jnp.where(accept, h_new, h)
        gx = jnp.where(accept, gx_new, gx)
        hx = jnp.where(accept, hx_new, hx)
        h_exact = jnp.where(accept, exact, h_exact)
        # A step left the domain (not the start): from now on, look for active edges.
        left = ~first & ~jnp.isfinite(f_new) & ~force & (fx is not None)
        edged = edged | left | (lam > _KINK_DAMPING)
        g_acc, h_acc = g, h
        if fx is not None:
            active = lax.cond(
                edged, active_set, lambda *_: jnp.zeros((n,), bool), u, fv, g, h, d_prev
            )
            # Active parameters are held: out of the stopping test and of the step (their
            # gradient is zeroed and their curvature decoupled, so the step gives them d = 0).
            g = jnp.where(active, 0.0, g)
            decoupled = jnp.where(jnp.eye(n, dtype=bool), jnp.abs(jnp.diagonal(h)) + 1.0, 0.0)
            h = jnp.where(active[:, None] | active[None, :], decoupled, h)
        # Two eigendecompositions of the (n x n) Hessian, negligible next to evaluating it:
        # the stopping test uses the Hessian as it is, the step the Hessian scaled to a unit
        # diagonal (Marquardt's scaling), so that the damping lam acts relative to each
        # parameter's own curvature and does not freeze directions of small curvature (long
        # valleys of nearly degenerate parameters) the way lam * max|eigenvalue| did. Testing
        # convergence on the scaled matrix instead (one decomposition) left 2-4 of 1000
        # calibration fits unconverged: its relative negative-curvature threshold is stricter.
        w, v = jnp.linalg.eigh(h)
        gv = v.T @ g
        wmax = jnp.max(jnp.abs(w))
        wabs = jnp.maximum(jnp.abs(w), eps * wmax + tiny)
        # Converged: small Newton decrement and no direction of significant negative curvature.
        # Directions of (numerically) zero curvature count only through their gradient, so
        # that parameters left undetermined by the data (a line's centroid when its amplitude
        # sits on a bound of 0) do not prevent convergence.
        curved = jnp.all(w > -jnp.sqrt(eps) * wmax)
        dec = 0.5 * jnp.sum(gv * gv / wabs)
        small = curved & (dec <= atol + rtol * jnp.abs(fv)) & jnp.isfinite(fv)
        conv = small & h_exact
        # Converged on an approximate Hessian: evaluate the exact one at the same point.
        force = small & ~h_exact
        hdiag = jnp.abs(jnp.diagonal(h))
        scale = jnp.sqrt(jnp.maximum(hdiag, eps * jnp.max(hdiag) + tiny))
        ws, vs = jnp.linalg.eigh(h / (scale[:, None] * scale[None, :]))
        gs = vs.T @ (g / scale)
        wsabs = jnp.abs(ws)
        wsmax = jnp.max(wsabs)
        wsabs = jnp.maximum(wsabs, eps * wsmax + tiny)
        step = gs / (wsabs + lam * wsmax)
        # Directions of significant negative curvature: also move along them even where the
        # gradient vanishes (a stationary point that is a maximum along some direction, such
        # as a parameter sitting on its bound, u = 0, while the gradient points inwards), by
        # up to one unit of the scaled parameters, shortened as the damping grows.
        grad_sign = jnp.where(gs < 0, -1.0, 1.0)
        step = step + jnp.where(ws < -jnp.sqrt(eps) * wsmax, grad_sign / (1.0 + 1e3 * lam), 0.0)
        d = -(vs @ step) / scale
        if fx is not None:
            # The rejected step left the domain: retry it, cut back to the domain's edge.
            d_out = cand - u
            t_cut = lax.cond(left, edge_cut, lambda uu, dd: jnp.zeros((), dtype), u, d_out)
            d = jnp.where(left & (t_cut > 0), t_cut * d_out, d)
        pred = jnp.where(force, 0.0, -(g_acc @ d + 0.5 * d @ (h_acc @ d)))
        # Not finite at the start, or damping so large that steps are negligible: give up;
        # except at a kink or an edge (see active_set), where a trust region that collapsed
        # with no descent left, a finite value and a projected Newton decrement below
        # sqrt(tol) is a local minimum to the resolution of the probes.
        collapsed = lam > 1e12
        conv = conv | (
            collapsed
            & edged
            & h_exact
            & curved
            & jnp.isfinite(fv)
            & (dec <= jnp.sqrt(atol + rtol * jnp.abs(fv)))
        )
        stalled = (first & ~finite) | collapsed | settled
        exact = exact | force | (dec < _SCORING_SWITCH_DECREMENT) | (it >= _SCORING_SWITCH_STEPS)
        cand = jnp.where(force, u, u + d)
        carried = (u, fv, g_acc, h_acc, gx, hx, h_exact, cand, pred, lam, it + 1, conv, stalled)
        return (*carried, exact, force, edged, jnp.where(force, d_prev, d), flat, f_window)

    def cond(state):
        it, conv, stalled = state[10], state[11], state[12]
        return (~conv) & (~stalled) & (it < max_steps + 1)

    z = jnp.zeros((), dtype)
    false = jnp.zeros((), bool)
    state0 = (
        u0,
        jnp.asarray(jnp.inf, dtype),
        jnp.zeros((n,), dtype),
        jnp.zeros((n, n), dtype),
        jnp.zeros((n,), dtype),
        jnp.zeros((n, n), dtype),
        false,
        u0,
        z,
        z,
        jnp.zeros((), jnp.int32),
        false,
        false,
        jnp.asarray(vgb is None),
        false,
        false,
        jnp.zeros((n,), dtype),
        jnp.zeros((), jnp.int32),
        jnp.asarray(jnp.inf, dtype),
    )
    state = lax.while_loop(cond, body, state0)
    u, fv, gx, hx, it, conv = state[0], state[1], state[4], state[5], state[10], state[11]
    # Stopped by itself (not by max_steps) at a finite value: the value has settled.
    settled = conv | (state[12] & jnp.isfinite(fv))
    return u, jnp.maximum(it - 1, 0), conv, settled, (fv, gx, hx)


# Fisher scoring hands over to exact Newton steps when the Newton decrement (in units of the
# objective, a log-likelihood) is below this, or after this many iterations (scoring converges
# only linearly, slowly where the Fisher information is a poor model of the curvature).
_SCORING_SWITCH_DECREMENT = 1e-2
_SCORING_SWITCH_STEPS = 4
# Bisections that cut a step back to the edge of the objective's domain (2^-40 ~ 1e-12 of it).
_EDGE_BISECTIONS = 40
# Damping beyond which the quadratic model is taken to fail at short range (a kink of the
# objective, such as a sharp break frequency crossing a bin): the active-set probes start.
_KINK_DAMPING = 1e3
# Size of the active-set probes in units of each parameter's scale 1 / sqrt(H_ii).
_PROBE_SIGMA = 1e-6
# Successive accepted steps lowering the objective by less than this many sqrt(tolerance), after
# which the Newton iterations stop (value settled; parameters along an asymptotic valley).
_FLAT_STEPS = 20


def _optimistix(f, u0, solver, max_steps):
    import jax.numpy as jnp
    import optimistix as optx

    sol = optx.minimise(lambda u, _: f(u), solver, u0, max_steps=max_steps, throw=False)
    conv = sol.result == optx.RESULTS.successful
    return sol.value, jnp.asarray(sol.stats["num_steps"], jnp.int32), conv


def _optax_lbfgs(f, u0, rtol, atol, max_steps):
    import jax.numpy as jnp
    import optax
    from jax import lax

    opt = optax.lbfgs()
    vg = optax.value_and_grad_from_state(f)

    def done(u, fv, g):
        return jnp.max(jnp.abs(g)) <= atol + rtol * jnp.abs(fv)

    def cond(state):
        *_, n, conv = state
        return (~conv) & (n < max_steps)

    def body(state):
        u, st, n, _ = state
        fv, g = vg(u, state=st)
        upd, st = opt.update(g, st, u, value=fv, grad=g, value_fn=f)
        u = optax.apply_updates(u, upd)
        fv2 = optax.tree.get(st, "value")
        g2 = optax.tree.get(st, "grad")
        return u, st, n + 1, done(u, fv2, g2) & jnp.isfinite(fv2)

    st0 = opt.init(u0)
    f0 = f(u0)
    state = (u0, st0, jnp.asarray(0, jnp.int32), jnp.zeros((), bool) & jnp.isfinite(f0))
    u, _st, n, conv = lax.while_loop(cond, body, state)
    return u, n, conv


def _import_jaxopt():
    # jaxopt warns at import that it is unmaintained; keep that out of user code.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import jaxopt
        except ImportError as exc:
            raise ImportError(
                "the jaxopt solvers need the optional 'jaxopt' package: "
                "pip install 'stingray_jax[jaxopt]'"
            ) from exc
    return jaxopt


def _jaxopt(f, u0, name, rtol, atol, max_steps):
    import jax.numpy as jnp

    jaxopt = _import_jaxopt()
    cls = jaxopt.LBFGS if name == "jaxopt_lbfgs" else jaxopt.BFGS
    # jaxopt stops on the gradient norm: scale the objective by 1 / (1 + |f(u0)|) so that the
    # tolerance is relative to the objective's size, like the other solvers.
    scale = 1.0 / (1.0 + jnp.abs(f(u0)))
    solver = cls(
        fun=lambda u: f(u) * scale, maxiter=max_steps, tol=atol + rtol, implicit_diff=False
    )
    u, state = solver.run(u0)
    conv = (state.error <= atol + rtol) & jnp.isfinite(state.value)
    return u, jnp.asarray(state.iter_num, jnp.int32), conv


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
