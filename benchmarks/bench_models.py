"""Model evaluation: stingray_jax.models.from_astropy vs astropy's CompoundModel.

A three-component power-spectrum model (PowerLaw1D + Lorentz1D + Const1D, 7 free parameters) on
8192 frequencies:

1. the model values;
2. the model values and their Jacobian with respect to the free parameters (astropy: the
   forward finite differences its fitters use when a model has no ``fit_deriv``, i.e. n + 1
   evaluations; stingray_jax: ``jax.jacfwd``);
3. the Whittle log-likelihood and its gradient (what an optimiser of a periodogram fit calls;
   astropy + NumPy: the likelihood plus a finite-difference gradient).

Both sides run in float64 in this process. Usage::

    python benchmarks/bench_models.py                   # JAX defaults
    python benchmarks/bench_models.py --sync-dispatch   # jax_cpu_enable_async_dispatch=False

Synchronous CPU dispatch runs small computations on the calling thread, which removes JAX's
thread hand-off from every call (it helps when calls are short and interleaved with Python).
"""

import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

import jax
import jax.numpy as jnp
import numpy as np
from _timing import block, cold_and_warm, report
from astropy.modeling import models
from astropy.modeling.fitting import fitter_to_model_params

from stingray_jax.models import from_astropy

N_FREQ = 8192
REPEAT = 200


def compare(name, ours, theirs, ours_args, theirs_args):
    """Print back-to-back (the project's convention) and interleaved warm comparisons.

    Back-to-back: ``REPEAT`` calls of one side, then of the other (``_timing.cold_and_warm``).
    Interleaved: one call of each in turn, as in an optimiser loop where JAX calls alternate
    with Python work; JAX's thread pool is then colder and its per-call time higher.
    Returns the back-to-back and interleaved warm speed-ups.
    """
    cold, warm = cold_and_warm(ours, *ours_args, repeat=REPEAT)
    _, theirs_warm = cold_and_warm(theirs, *theirs_args, repeat=REPEAT)
    ratio = report(f"{name} (back-to-back)", cold, warm, theirs_warm, "astropy")
    t_ours, t_theirs = [], []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        block(ours(*ours_args))
        t_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        theirs(*theirs_args)
        t_theirs.append(time.perf_counter() - t0)
    ratio_i = report(
        f"{name} (interleaved)",
        cold,
        statistics.median(t_ours),
        statistics.median(t_theirs),
        "astropy",
    )
    return ratio, ratio_i


def main():
    jax.config.update("jax_enable_x64", True)
    if "--sync-dispatch" in sys.argv[1:]:
        jax.config.update("jax_cpu_enable_async_dispatch", False)
        print("jax_cpu_enable_async_dispatch = False")
    rng = np.random.default_rng(0)
    freq = np.linspace(1e-3, 64.0, N_FREQ)
    model = (
        models.PowerLaw1D(amplitude=2.0, x_0=1.0, alpha=1.5)
        + models.Lorentz1D(amplitude=10.0, x_0=3.0, fwhm=0.5)
        + models.Const1D(amplitude=2.0)
    )
    power = model(freq) * rng.exponential(size=N_FREQ)
    jm = from_astropy(model)
    p0 = jm.p0.copy()
    n = jm.n_free
    print(f"{type(model).__name__} with {n} free parameters on {N_FREQ} frequencies, float64")

    # -- 1. values ---------------------------------------------------------------------------
    work = model.copy()

    def astropy_value(p):
        fitter_to_model_params(work, p)
        return work(freq)

    ours_value = jax.jit(jm.__call__)
    f_j = jnp.asarray(freq)
    p_j = jnp.asarray(p0)
    compare("model values", ours_value, astropy_value, (p_j, f_j), (p0,))
    np.testing.assert_allclose(np.asarray(ours_value(p_j, f_j)), astropy_value(p0), rtol=1e-12)

    # -- 2. values + Jacobian ------------------------------------------------------------------
    def astropy_value_and_jacobian(p):
        y = astropy_value(p)
        jac = np.empty((n, N_FREQ))
        for k in range(n):
            dp = p.copy()
            h = 1e-8 * max(abs(p[k]), 1.0)
            dp[k] += h
            jac[k] = (astropy_value(dp) - y) / h
        return y, jac

    @jax.jit
    def ours_value_and_jacobian(p, f):
        # forward mode, one tangent per free parameter, laid out (n_free, n_freq) like astropy
        def column(tangent):
            return jax.jvp(lambda q: jm(q, f), (p,), (tangent,))

        values, jac = jax.vmap(column)(jnp.eye(p.size, dtype=p.dtype))
        return values[0], jac

    ratios_jac = compare(
        "values + Jacobian (astropy: finite differences)",
        ours_value_and_jacobian,
        astropy_value_and_jacobian,
        (p_j, f_j),
        (p0,),
    )
    # The same with the frequencies fixed (closed over), as in every fit: XLA then computes
    # frequency-only terms such as log(f) of the power law once, at compile time.
    ours_jac_fixed = jax.jit(lambda p: ours_value_and_jacobian(p, f_j))
    ratios_jac_fixed = compare(
        "values + Jacobian, frequencies fixed",
        ours_jac_fixed,
        astropy_value_and_jacobian,
        (p_j,),
        (p0,),
    )
    np.testing.assert_allclose(
        np.asarray(ours_jac_fixed(p_j)[1]),
        np.asarray(ours_value_and_jacobian(p_j, f_j)[1]),
        rtol=1e-12,
    )
    _, jac_a = astropy_value_and_jacobian(p0)
    _, jac_o = ours_value_and_jacobian(p_j, f_j)
    np.testing.assert_allclose(np.asarray(jac_o), jac_a, rtol=1e-4, atol=1e-6 * np.abs(jac_a).max())

    # -- 3. Whittle log-likelihood + gradient ---------------------------------------------------
    def whittle_np(p):
        s = astropy_value(p)
        return -np.sum(np.log(s) + power / s)

    def astropy_loglike_and_grad(p):
        value = whittle_np(p)
        grad = np.empty(n)
        for k in range(n):
            dp = p.copy()
            h = 1e-8 * max(abs(p[k]), 1.0)
            dp[k] += h
            grad[k] = (whittle_np(dp) - value) / h
        return value, grad

    power_j = jnp.asarray(power)

    @jax.jit
    def ours_loglike_and_grad(p, f, y):
        def whittle(q):
            s = jm(q, f)
            return -jnp.sum(jnp.log(s) + y / s)

        return jax.value_and_grad(whittle)(p)

    ratios_lik = compare(
        "Whittle logL + gradient (astropy: finite differences)",
        ours_loglike_and_grad,
        astropy_loglike_and_grad,
        (p_j, f_j, power_j),
        (p0,),
    )
    ours_lik_fixed = jax.jit(lambda p: ours_loglike_and_grad(p, f_j, power_j))
    ratios_lik_fixed = compare(
        "Whittle logL + gradient, frequencies fixed",
        ours_lik_fixed,
        astropy_loglike_and_grad,
        (p_j,),
        (p0,),
    )
    v_o, g_o = ours_loglike_and_grad(p_j, f_j, power_j)
    v_a, g_a = astropy_loglike_and_grad(p0)
    np.testing.assert_allclose(float(v_o), v_a, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(g_o), g_a, rtol=1e-3, atol=1e-3 * np.abs(g_a).max())

    for label, (ratio, _) in (
        ("values + Jacobian", ratios_jac),
        ("values + Jacobian, frequencies fixed", ratios_jac_fixed),
        ("logL + grad", ratios_lik),
        ("logL + grad, frequencies fixed", ratios_lik_fixed),
    ):
        print(f"target >= 20x (back-to-back) on {label}: {'met' if ratio >= 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
