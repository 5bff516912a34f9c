"""The pure minimiser: solvers agree with scipy, bounds hold, covariances are exact."""

import subprocess
import sys
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize

from stingray_jax.optimize import SOLVERS, minimize, transform_bounds


def _model(p, f):
    return p[0] * f ** (-p[1]) + p[2]


def _nll(p, f, power):
    s = _model(p, f)
    return jnp.sum(jnp.log(s) + power / s)


def _nll_fisher(p, f, power):
    """Value, gradient and Fisher information (J^T diag(1/S^2) J) of `_nll`."""
    s = _model(p, f)
    jac = jax.jacfwd(_model)(p, f)
    value, ds = jax.value_and_grad(lambda m: jnp.sum(jnp.log(m) + power / m))(s)
    return value, jac.T @ ds, (jac / s[:, None] ** 2).T @ jac


@pytest.fixture
def problem(rng):
    f = np.linspace(0.05, 5.0, 512)
    true = np.array([2.0, 1.3, 1.5])
    power = _model(true, f) * rng.exponential(size=f.size)
    return f, power


def _scipy_fit(f, power, p0):
    fun = jax.jit(lambda p: _nll(p, f, power))
    grad = jax.jit(jax.grad(lambda p: _nll(p, f, power)))
    res = scipy.optimize.minimize(
        lambda p: float(fun(p)), p0, jac=lambda p: np.asarray(grad(p)), method="BFGS", tol=1e-12
    )
    return res.x, res.fun


def _have_jaxopt():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import jaxopt  # noqa: F401
        except ImportError:
            return False
    return True


@pytest.mark.parametrize("solver", [s for s in SOLVERS if s != "jaxopt_bfgs"])
def test_solvers_match_scipy(x64, problem, solver):
    if solver.startswith("jaxopt") and not _have_jaxopt():
        pytest.skip("jaxopt not installed")
    f, power = problem
    p0 = np.array([1.0, 1.0, 1.0])
    ref_x, ref_fun = _scipy_fit(f, power, p0)
    curvature = _nll_fisher if solver == "scoring" else None
    res = minimize(_nll, p0, args=(f, power), solver=solver, curvature=curvature)
    assert bool(res.converged)
    np.testing.assert_allclose(res.x, ref_x, rtol=2e-5)
    np.testing.assert_allclose(res.fun, ref_fun, rtol=1e-10)
    assert res.x.dtype == jnp.float64


def test_newton_converges_tightly_and_cov_is_inverse_exact_hessian(x64, problem):
    f, power = problem
    p0 = np.array([1.0, 1.0, 1.0])
    res = minimize(_nll, p0, args=(f, power), bounds=[(0, None), (-5, 5), (0, None)])
    assert bool(res.converged)
    assert float(res.grad_norm) < 1e-4  # decrement < 1e-11: |dx| ~ 1e-6 sigma
    hess = jax.jit(jax.hessian(_nll))(res.x, f, power)  # exact Hessian, original space
    np.testing.assert_allclose(res.hess, hess, rtol=1e-8)
    np.testing.assert_allclose(res.cov, np.linalg.inv(hess), rtol=1e-7)
    np.testing.assert_allclose(res.fun, _nll(res.x, f, power), rtol=1e-14)


def test_bounds_hold(x64, problem):
    f, power = problem
    # The unconstrained optimum has index ~1.3: force it below 1.0, and amplitude above 2.5.
    bounds = [(2.5, 10.0), (0.0, 1.0), (0, None)]
    res = minimize(_nll, np.array([3.0, 0.5, 1.0]), args=(f, power), bounds=bounds)
    assert np.all(np.asarray(res.x) >= [2.5, 0.0, 0.0])
    assert np.all(np.asarray(res.x) <= [10.0, 1.0, np.inf])
    # Compare with scipy's bounded L-BFGS-B
    ref = scipy.optimize.minimize(
        lambda p: float(_nll(p, f, power)),
        np.array([3.0, 0.5, 1.0]),
        jac=lambda p: np.asarray(jax.grad(_nll)(p, f, power)),
        method="L-BFGS-B",
        bounds=bounds,
        tol=1e-14,
    )
    assert float(res.fun) <= ref.fun + 1e-6
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize(
    ("x0", "bounds"),
    [
        ([0.5], [(1.0, 2.0)]),
        ([1.0], [(1.0, None)]),  # on the bound is not strictly inside
        ([3.0], [(None, 2.0)]),
    ],
)
def test_start_outside_bounds_raises(x0, bounds):
    with pytest.raises(ValueError, match="not strictly inside"):
        minimize(lambda x: jnp.sum(x**2), np.array(x0), bounds=bounds)


def test_bad_arguments_raise():
    fun = lambda x: jnp.sum(x**2)  # noqa: E731
    with pytest.raises(ValueError, match="unknown solver"):
        minimize(fun, np.ones(2), solver="nelder-mead")
    with pytest.raises(ValueError, match="bounds has 1 entries"):
        minimize(fun, np.ones(2), bounds=[(0, 1)])
    with pytest.raises(ValueError, match="low must be smaller"):
        minimize(fun, np.ones(1), bounds=[(2, 1)])
    with pytest.raises(ValueError, match="no free parameters"):
        minimize(fun, np.ones(0))
    with pytest.raises(ValueError, match="finite"):
        minimize(fun, np.array([np.nan]))


def test_traced_start_outside_bounds_is_flagged(x64):
    fun = lambda x: jnp.sum((x - 1.5) ** 2)  # noqa: E731
    run = jax.jit(lambda x0: minimize(fun, x0, bounds=[(1.0, 2.0)]))
    bad = run(jnp.array([5.0]))
    good = run(jnp.array([1.2]))
    assert not bool(bad.converged)
    assert bool(good.converged)
    np.testing.assert_allclose(good.x, [1.5], rtol=1e-6)


def test_failure_is_flagged_not_silent(x64):
    # Unbounded below: no minimum exists.
    res = minimize(lambda x: -jnp.sum(x**2) + x[0], np.array([0.3]), max_steps=20)
    assert not bool(res.converged)
    res = minimize(lambda x: jnp.sum(jnp.log(x)), np.array([-1.0]))  # NaN from the start
    assert not bool(res.converged)


def test_vmap_equals_loop_and_one_failure_does_not_spoil(x64, rng):
    f = np.linspace(0.05, 5.0, 256)
    true = np.array([2.0, 1.3, 1.5])
    powers = _model(true, f) * rng.exponential(size=(4, f.size))
    p0 = np.tile([1.0, 1.0, 1.0], (4, 1))
    p0[2] = [-1.0, 1.0, -5.0]  # log of a negative model: this one fails
    bounds = [(None, None), (-5, 5), (None, None)]
    run = jax.jit(jax.vmap(lambda x0, pw: minimize(_nll, x0, (f, pw), bounds=bounds)))
    batch = run(p0, powers)
    assert list(np.asarray(batch.converged)) == [True, True, False, True]
    for i in (0, 1, 3):
        single = minimize(_nll, p0[i], (f, powers[i]), bounds=bounds)
        np.testing.assert_allclose(batch.x[i], single.x, rtol=1e-9)
        np.testing.assert_allclose(batch.cov[i], single.cov, rtol=1e-7)


def test_no_recompilation_for_new_data_and_start(x64, problem):
    f, power = problem
    traces = []

    def fun(p, f, power):
        traces.append(1)
        return _nll(p, f, power)

    run = jax.jit(lambda x0, pw: minimize(fun, x0, (f, pw), bounds=[(0, None), None, (0, None)]))
    run(np.array([1.0, 1.0, 1.0]), power)
    n = len(traces)
    run(np.array([1.5, 0.8, 2.0]), power * 1.1)
    run(np.array([1.1, 1.2, 1.0]), power[::-1].copy())
    assert len(traces) == n


def test_float32_runs_in_float32(problem):
    f, power = problem
    with jax.enable_x64(False):
        res = minimize(
            _nll, jnp.array([1.0, 1.0, 1.0], jnp.float32), (f.astype("f4"), power.astype("f4"))
        )
        assert res.x.dtype == jnp.float32
        assert bool(res.converged)
    with jax.enable_x64(True):
        ref = minimize(_nll, np.array([1.0, 1.0, 1.0]), (f, power))
    # float32 resolves the optimum to a small fraction of the statistical error
    sigma = np.sqrt(np.diag(ref.cov))
    assert np.all(np.abs(np.asarray(res.x) - np.asarray(ref.x)) < 0.02 * sigma)


def test_transform_bounds_roundtrip(x64):
    to_x, to_u = transform_bounds([(0.0, None), (None, 3.0), (-1.0, 2.0), None], 4)
    x = jnp.array([1e-3, -40.0, 1.999, 12.0])
    np.testing.assert_allclose(to_x(to_u(x)), x, rtol=1e-9)
    u = jnp.array([-30.0, 30.0, 35.0, -1e3])
    xx = np.asarray(to_x(u))
    assert xx[0] >= 0.0
    assert xx[1] <= 3.0
    assert -1.0 <= xx[2] <= 2.0
    assert np.all(np.isnan(np.asarray(to_u(jnp.array([-1.0, 4.0, 3.0, 0.0])))[:3]))


def test_jaxopt_import_warning_does_not_leak():
    """Using the jaxopt backend must not emit jaxopt's DeprecationWarning to the user."""
    if not _have_jaxopt():
        pytest.skip("jaxopt not installed")
    code = (
        "import warnings; warnings.simplefilter('error')\n"
        "import numpy as np, jax.numpy as jnp\n"
        "from stingray_jax.optimize import minimize\n"
        "r = minimize(lambda x: jnp.sum((x - 2.0) ** 2), np.ones(2), solver='jaxopt_bfgs')\n"
        "assert bool(r.converged), r\n"
        "assert np.allclose(r.x, 2.0, rtol=1e-6), r\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize("bounds", [[(0.0, None)], [(0.0, 5.0)], [(None, 0.0)]])
def test_optimum_on_a_bound_converges_quadratically(x64, bounds):
    # The unconstrained minimum (x = -1 or +1) lies outside: the answer is the bound 0.
    target = 1.0 if bounds[0][0] is None else -1.0
    x0 = np.array([-2.0 if bounds[0][0] is None else 2.0])
    res = minimize(lambda x: jnp.sum((x - target) ** 2), x0, bounds=bounds)
    assert bool(res.converged)
    assert abs(float(res.x[0])) < 1e-7
    assert int(res.n_steps) <= 12  # the exp/sigmoid transforms needed ~30 steps here
    np.testing.assert_allclose(res.hess, [[2.0]], rtol=1e-12)  # exact Hessian on the bound


def test_undetermined_parameter_does_not_prevent_convergence(x64):
    # A "line" of amplitude a >= 0 (optimum on a = 0) whose position b then has no effect.
    def fun(p):
        a, b = p
        return (a + 1.0) ** 2 + a * (b - 3.0) ** 2

    res = minimize(fun, np.array([1.0, 0.5]), bounds=[(0.0, None), None])
    assert bool(res.converged)
    assert float(res.x[0]) < 1e-7


def test_scoring_equals_newton_and_needs_curvature(x64, problem):
    f, power = problem
    p0 = np.array([1.0, 1.0, 1.0])
    bounds = [(0, None), (-5, 5), (0, None)]
    newton = minimize(_nll, p0, args=(f, power), bounds=bounds)
    scoring = minimize(
        _nll, p0, args=(f, power), bounds=bounds, solver="scoring", curvature=_nll_fisher
    )
    assert bool(scoring.converged)
    # both stop at a Newton decrement < ~1e-11: |dx| < ~5e-6 sigma
    sigma = np.sqrt(np.diag(newton.cov))
    assert np.all(np.abs(np.asarray(scoring.x) - np.asarray(newton.x)) < 1e-5 * sigma)
    np.testing.assert_allclose(scoring.fun, newton.fun, rtol=1e-14)
    # the covariance is the exact one, not the Fisher approximation used in the iterations
    hess = jax.jit(jax.hessian(_nll))(scoring.x, f, power)
    np.testing.assert_allclose(scoring.hess, hess, rtol=1e-10)
    np.testing.assert_allclose(scoring.cov, newton.cov, rtol=1e-4)
    fisher = np.asarray(_nll_fisher(scoring.x, f, power)[2])
    assert not np.allclose(np.linalg.inv(fisher), scoring.cov, rtol=1e-3)
    with pytest.raises(ValueError, match="curvature"):
        minimize(_nll, p0, args=(f, power), solver="scoring")


def test_map_fits_and_parallel_map_keep_order_and_precision(x64):
    from stingray_jax.optimize import map_fits, parallel_map

    xs = jnp.arange(5.0)
    np.testing.assert_array_equal(map_fits(lambda x, y: x * y, xs, xs + 1), xs * (xs + 1))
    with jax.enable_x64(False):
        dtypes = list(parallel_map(lambda i: (i, jnp.ones(1).dtype), range(6), n_workers=3))
    assert dtypes == [(i, jnp.float32) for i in range(6)]
    with jax.enable_x64(True):  # the scoped setting reaches the worker threads
        dtypes = list(parallel_map(lambda i: jnp.ones(1).dtype, range(4), n_workers=2))
    assert dtypes == [jnp.float64] * 4


@pytest.mark.parametrize("solver", ["newton", "scoring"])
def test_map_fits_sequential_equals_vectorised_fits(x64, rng, solver):
    """The CPU path (lax.map) and the accelerator path (vmap) of batched fits agree."""
    from stingray_jax.optimize import map_fits

    curvature = _nll_fisher if solver == "scoring" else None

    f = np.linspace(0.05, 5.0, 256)
    powers = _model(np.array([2.0, 1.3, 1.5]), f) * rng.exponential(size=(4, f.size))
    bounds = [(0, None), (-5, 5), (0, None)]

    def fit(y):
        return minimize(
            _nll,
            jnp.array([1.0, 1.0, 1.0]),
            (f, y),
            bounds=bounds,
            solver=solver,
            curvature=curvature,
        )

    seq = jax.jit(lambda ys: map_fits(fit, ys, vectorize=False))(powers)
    vec = jax.jit(lambda ys: map_fits(fit, ys, vectorize=True))(powers)
    assert np.all(np.asarray(seq.converged))
    assert np.all(np.asarray(vec.converged))
    np.testing.assert_allclose(seq.x, vec.x, rtol=1e-9)
    np.testing.assert_allclose(seq.cov, vec.cov, rtol=1e-7)


def test_newton_steps_are_scale_invariant_in_curved_valleys(x64):
    """Marquardt-scaled damping: a badly scaled Rosenbrock valley is no harder than the plain
    one (with damping proportional to the largest eigenvalue it took > 500 iterations)."""

    def rosen(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

    scales = jnp.array([1.0, 1e-3, 1.0, 1e3])
    plain = minimize(rosen, np.array([-1.2, 1.0, -1.2, 1.0]))
    scaled = minimize(lambda x: rosen(x * scales), np.array([-1.2, 1e3, -1.2, 1e-3]))
    assert bool(plain.converged)
    assert bool(scaled.converged)
    assert int(scaled.n_steps) <= 60
    np.testing.assert_allclose(np.asarray(scaled.x) * np.asarray(scales), 1.0, rtol=1e-5)


def test_optimum_on_the_edge_of_the_domain_converges():
    """A flat prior's edge: ``fun`` is +inf outside, the optimum sits on the edge with a
    non-zero gradient (KKT): the step is cut back to the edge and the parameter held."""

    def fun(x):
        inside = (x[0] > 1.0) & (x[0] < 5.0)
        value = (x[0] - 0.0) ** 2 + (x[1] - 0.5 * x[0]) ** 2
        return jnp.where(inside, value, jnp.inf)

    with jax.enable_x64(True):
        res = minimize(fun, jnp.array([3.0, 0.0]))
    assert bool(res.converged)
    np.testing.assert_allclose(np.asarray(res.x), [1.0, 0.5], atol=1e-9)
    assert float(res.grad_norm) > 1.0  # the gradient does not vanish on the edge


def test_minimum_at_a_kink_converges():
    """A kink (the slope changes sign, as for a sharp break frequency on a bin): the trust
    region collapses there, which counts as converged when the rest is converged."""

    def fun(x):
        return jnp.abs(x[0] - 0.3) + 0.7 * (x[0] - 0.3) + (x[1] - x[0]) ** 2 + 0.1 * x[0] ** 2

    with jax.enable_x64(True):
        res = minimize(fun, jnp.array([1.0, 2.0]))
    assert bool(res.converged)
    np.testing.assert_allclose(np.asarray(res.x), [0.3, 0.3], atol=1e-5)
