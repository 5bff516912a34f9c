"""The solvers behind `stingray_jax.optimize.minimize`, on the unconstrained objective ``f(u)``.

- `_newton`: trust-region Newton (exact Hessian) and Fisher scoring (an approximate Hessian
  for the first steps), with the domain-edge bisection, the KKT active set at edges and kinks,
  and the settled-value stop; the documentation of the ``"newton"`` and ``"scoring"`` solvers
  is in `stingray_jax.optimize`.
- `_optimistix`, `_optax_lbfgs`, `_jaxopt`: the quasi-Newton solvers of those libraries.

Private: `stingray_jax.optimize` is the interface (bounds, defaults, results).
"""

import warnings


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
