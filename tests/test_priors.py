"""Stingray-style priors: traced when they can be, on the host otherwise, never misread."""

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
from astropy.modeling.models import Const1D, PowerLaw1D

from stingray_jax import modeling as sjm
from stingray_jax._config import preserve_global_state
from stingray_jax.modeling._priors import HostPriorWarning, host_logdensity, logprior_function

with preserve_global_state():
    from stingray import modeling as srm


def _plc():
    model = PowerLaw1D(amplitude=2.0, x_0=1.0, alpha=1.5) + Const1D(amplitude=1.5)
    model.x_0_0.fixed = True
    return model


@pytest.fixture
def spectrum():
    rng = np.random.default_rng(11)
    freq = np.linspace(0.02, 5.0, 300)
    return freq, _plc()(freq) * rng.exponential(size=freq.size)


# The idioms of Stingray's tests, tutorials and documentation.
IDIOMS = {
    "box_and": lambda a: ((0.1 <= a) & (a <= 10.0)) / 9.9,  # noqa: SIM300 (reflected)
    "np_log": lambda a: (np.log(a) >= -5) & (np.log(a) <= 5),
    "scipy_pdf_in_lambda": lambda a: scipy.stats.norm(loc=1.5, scale=2.0).pdf(a),
    "math_exp": lambda a: math.exp(-a / 10.0),
    "if_on_value": lambda a: 1.0 if 0.1 < a < 10 else 0.0,
    "python_and": lambda a: (a > 0.1) and (a < 10),
}
HOST = {"scipy_pdf_in_lambda", "math_exp", "if_on_value", "python_and"}


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HostPriorWarning)
        return fn(*args, **kwargs)


def test_truth_tests_are_never_silently_true(spectrum):
    """The proxy used to have no __bool__: every `if`/`and` was True and the support vanished."""
    freq, power = spectrum
    priors = {
        "amplitude_0": lambda a: 1.0 if a > 1.5 else 0.0,
        "alpha_0": lambda a: (a > 0) and (a < 10),
        "amplitude_1": lambda c: (c > 0) & (c < 10),
    }
    ours = _quiet(sjm.PSDPosterior, freq, power, _plc(), priors=priors)
    theirs = srm.PSDPosterior(freq, power, _plc(), priors=priors)
    for pars in ([2.0, 1.5, 1.0], [1.0, 1.5, 1.0], [2.0, -5.0, 1.0], [2.0, 11.0, 1.0]):
        assert ours.logprior(pars) == theirs.logprior(pars)
        np.testing.assert_allclose(ours(pars), theirs(pars), rtol=1e-12)
    assert ours.logprior([1.0, 1.5, 1.0]) == sjm.posterior.logmin
    assert ours.logprior([2.0, -5.0, 1.0]) == sjm.posterior.logmin
    # the proxy itself refuses a truth value
    from stingray_jax.modeling._priors import _NeedsValue, _Value

    with pytest.raises(_NeedsValue):
        bool(_Value(jnp.ones(())) > 0)


def test_map_fit_with_informative_host_prior(spectrum):
    """An informative prior written with `if` and math.*: the MAP fit follows it."""
    freq, power = spectrum
    ml = sjm.PSDParEst(None, max_post=False).fit(
        sjm.PSDLogLikelihood(freq, power, _plc()), [2, 1.5, 1.5]
    )
    target = ml.p_opt[1] + 0.3
    priors = {
        "amplitude_0": lambda a: 1.0 if a > 0 else 0.0,
        "alpha_0": lambda a: math.exp(-0.5 * ((a - target) / 0.01) ** 2) if a > 0 else 0.0,
        "amplitude_1": lambda c: 1.0 if c > 0 else 0.0,
    }
    lpost = _quiet(sjm.PSDPosterior, freq, power, _plc(), priors=priors)
    res = sjm.PSDParEst(None).fit(lpost, [2.0, target, 1.5])
    assert res.converged
    assert abs(res.p_opt[1] - target) < 0.03


@pytest.mark.parametrize("idiom", sorted(IDIOMS))
def test_prior_idioms_match_stingray(spectrum, idiom):
    freq, power = spectrum
    # (one float-valued prior: with only boolean ones, Stingray's log-prior is float16, and
    # its np.isclose(logprior, -1e16) overflows to True, so every value becomes -1e16)
    priors = {
        "amplitude_0": IDIOMS[idiom],
        "alpha_0": IDIOMS[idiom],
        "amplitude_1": scipy.stats.uniform(0, 10).pdf,
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = sjm.PSDPosterior(freq, power, _plc(), priors=priors)
    host = [w for w in caught if issubclass(w.category, HostPriorWarning)]
    if idiom in HOST:
        # one warning per parameter, naming it and saying how to write it traceably
        assert len(host) == 2
        assert "'alpha_0'" in str(host[1].message)
        assert "jax.numpy" in str(host[0].message)
    else:
        assert not host
    theirs = srm.PSDPosterior(freq, power, _plc(), priors=priors)
    for pars in ([2.0, 1.5, 1.0], [0.5, 3.0, 2.0], [20.0, 1.5, 1.0], [2.0, -1.0, 1.0]):
        np.testing.assert_allclose(ours.logprior(pars), theirs.logprior(pars), rtol=1e-12)
        np.testing.assert_allclose(ours(pars), theirs(pars), rtol=1e-12)


def test_host_prior_under_jit_vmap_grad():
    """scipy inside a lambda: value, gradient and curvature against the analytic ones."""
    fn = _quiet(logprior_function, lambda a: scipy.stats.norm(loc=1.0, scale=0.5).pdf(a), "a")
    x = np.array([-0.3, 0.4, 1.0, 2.2])
    with jax.enable_x64(True):
        values = jax.jit(jax.vmap(fn))(x)
        grads = jax.jit(jax.vmap(jax.grad(fn)))(x)
        curv = jax.vmap(jax.hessian(fn))(x)
        assert values.dtype == jnp.float64
    np.testing.assert_allclose(values, scipy.stats.norm(1.0, 0.5).logpdf(x), rtol=1e-13)
    np.testing.assert_allclose(grads, -(x - 1.0) / 0.25, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(curv, -4.0, rtol=1e-5)
    # float32 when asked (x64 off): the result keeps the input's dtype
    assert jax.jit(fn)(jnp.float32(0.4)).dtype == jnp.float32


def test_host_prior_sees_float64_arguments_from_xla_threads():
    """XLA runs the callbacks of a large program (here a while loop over 10^5-element arrays,
    as in a vmapped calibration fit) on its own threads, where JAX's scoped x64 mode is off:
    JAX then converted the float64 argument to float32 before the host saw it, so a fit ending
    at 5.00000024 was judged inside a support that ends at 5 (and Stingray's
    test_calibrate_lrt_works_with_sampling failed every simulated fit). The host must see the
    float64 value."""
    from stingray_jax._config import x64_scope

    seen = []

    def uniform_0_5(a):
        if isinstance(a, float):  # the host calls (not the tracing probe)
            seen.append(a)
        return scipy.stats.uniform(0.0, 5.0).pdf(a)

    fn = _quiet(logprior_function, uniform_0_5, "alpha")
    x = 5.0 + 2.4e-7  # between 5 and the next float32 (5.00000048): rounds to 5.0 in float32
    big = np.linspace(0.0, 1.0, 100_000)

    def loop(v):
        def body(c):
            i, acc, arr = c
            arr = jnp.sin(arr) + 1e-3 * v
            return i + 1, acc + fn(v + 0.0 * arr[0]), arr

        return jax.lax.while_loop(lambda c: c[0] < 3, body, (0, 0.0, jnp.asarray(big)))[1]

    with x64_scope(True):
        values = np.asarray(jax.jit(jax.vmap(loop))(jnp.full(4, x)))
    assert np.all(values == -np.inf)
    assert set(seen) == {x}


def test_host_logdensity_vector_and_edges():
    """A non-separable host function: gradient and Hessian; zero derivative outside support."""

    def logf(p):
        if p[0] <= 0:
            return -np.inf
        return -(p[0] ** 2) * p[1] - math.log(p[0]) + 3 * p[1]

    f = host_logdensity(logf, 2)
    with jax.enable_x64(True):
        p = jnp.array([0.7, 1.3])
        np.testing.assert_allclose(
            jax.grad(f)(p), [-2 * 0.7 * 1.3 - 1 / 0.7, -(0.7**2) + 3], rtol=1e-7
        )
        np.testing.assert_allclose(
            jax.hessian(f)(p), [[-2 * 1.3 + 1 / 0.49, -1.4], [-1.4, 0.0]], rtol=1e-5, atol=1e-6
        )
        q = jnp.array([-1.0, 1.0])
        assert np.isneginf(float(f(q)))
        np.testing.assert_array_equal(jax.grad(f)(q), [0.0, 0.0])
        batch = jnp.stack([p, q, 2 * p])
        np.testing.assert_allclose(
            jax.vmap(jax.grad(f))(batch), np.stack([jax.grad(f)(b) for b in batch]), rtol=1e-12
        )


def test_traceable_priors_stay_compiled(spectrum):
    freq, power = spectrum
    priors = {n: IDIOMS["box_and"] for n in ("amplitude_0", "alpha_0", "amplitude_1")}
    lpost = sjm.PSDPosterior(freq, power, _plc(), priors=priors)
    with jax.enable_x64(True):
        jaxpr = str(jax.make_jaxpr(lpost.logdensity)(jnp.ones(3)))
    assert "callback" not in jaxpr


def test_custom_logprior_function_on_host(spectrum):
    """A user-assigned logprior(t0) with Python branching also works (host path)."""
    freq, power = spectrum

    def logprior(t0, neg=False):
        if t0[0] <= 0 or t0[2] <= 0:
            return -np.inf
        return -math.log(t0[0]) - math.log(t0[2])

    lpost = sjm.PSDPosterior(freq, power, _plc())
    lpost.logprior = logprior
    pars = np.array([2.0, 1.5, 1.0])
    ll = sjm.PSDLogLikelihood(freq, power, _plc())(pars)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.testing.assert_allclose(lpost(pars), ll - math.log(2.0), rtol=1e-12)
    assert any(issubclass(w.category, HostPriorWarning) for w in caught)
    res = _quiet(sjm.PSDParEst(None).fit, lpost, pars)
    assert res.converged


def test_host_priors_in_fit(spectrum):
    freq, power = spectrum
    box = IDIOMS["if_on_value"]
    priors = {"amplitude_0": IDIOMS["scipy_pdf_in_lambda"], "alpha_0": box, "amplitude_1": box}
    lpost = _quiet(sjm.PSDPosterior, freq, power, _plc(), priors=priors)
    traced = sjm.PSDPosterior(
        freq,
        power,
        _plc(),
        priors={
            "amplitude_0": scipy.stats.norm(1.5, 2.0),
            "alpha_0": IDIOMS["box_and"],
            "amplitude_1": IDIOMS["box_and"],
        },
    )
    res = sjm.PSDParEst(None).fit(lpost, [2.0, 1.5, 1.4])
    ref = sjm.PSDParEst(None).fit(traced, [2.0, 1.5, 1.4])
    np.testing.assert_allclose(res.p_opt, ref.p_opt, rtol=1e-6)
    np.testing.assert_allclose(res.err, ref.err, rtol=1e-4)


@pytest.mark.slow
def test_host_priors_in_sample_and_calibration(spectrum):
    freq, power = spectrum
    box = IDIOMS["if_on_value"]
    priors = {"amplitude_0": IDIOMS["scipy_pdf_in_lambda"], "alpha_0": box, "amplitude_1": box}
    lpost = _quiet(sjm.PSDPosterior, freq, power, _plc(), priors=priors)
    parest = sjm.PSDParEst(None)
    res = parest.fit(lpost, [2.0, 1.5, 1.4])
    samples = parest.sample(
        lpost,
        res.p_opt,
        cov=res.cov,
        num_chains=1,
        num_warmup=50,
        num_samples=50,
        print_results=False,
    )
    assert samples.samples.shape == (50, 3)
    assert np.all((samples.samples > 0.1) & (samples.samples < 10))
    # calibrate_lrt with MAP fits: the host priors run inside the mapped simulate-and-fit
    model2 = _plc() + Const1D(0.1)
    lpost2 = _quiet(sjm.PSDPosterior, freq, power, model2, priors=dict(priors, amplitude_2=box))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pval = parest.calibrate_lrt(
            lpost, res.p_opt, lpost2, [*res.p_opt, 0.2], nsim=3, max_post=True, sample=samples
        )
    assert 0.0 <= pval <= 1.0
    assert np.isfinite(parest.lrt_sim).sum() >= 1
