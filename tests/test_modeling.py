"""stingray_jax.modeling against stingray.modeling on identical problems."""

import io
import warnings

import jax
import numpy as np
import pytest
import scipy.stats
from astropy.modeling.models import Const1D, Lorentz1D, PowerLaw1D

from stingray_jax import modeling as sjm
from stingray_jax._config import preserve_global_state

with preserve_global_state():
    from stingray import modeling as srm


def _plc():
    model = PowerLaw1D(amplitude=2.0, x_0=1.0, alpha=1.5) + Const1D(amplitude=1.5)
    model.x_0_0.fixed = True
    return model


def _spectrum(rng, m=1, n=400):
    freq = np.linspace(0.02, 5.0, n)
    true = _plc()
    power = true(freq) * rng.gamma(m, 1.0 / m, size=n)
    return freq, power


def _stingray_fit(parest, lpost, t0):
    # Stingray perturbs t0 with the global RNG: seed it for reproducibility, then restore it
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(5)  # noqa: NPY002
        with preserve_global_state():
            return parest.fit(lpost, t0)
    finally:
        np.random.set_state(state)  # noqa: NPY002


T0 = [1.5, 1.2, 1.0]


@pytest.mark.parametrize(("m", "compat"), [(1, False), (8, True)])
def test_fit_matches_stingray(rng, m, compat):
    freq, power = _spectrum(rng, m=m)
    ours = sjm.PSDParEst(None, max_post=False).fit(
        sjm.PSDLogLikelihood(freq, power, _plc(), m=m, stingray_compat=compat), T0
    )
    theirs = _stingray_fit(
        srm.PSDParEst(None, fitmethod="BFGS", max_post=False),
        srm.PSDLogLikelihood(freq, power, _plc(), m=m),
        T0,
    )
    np.testing.assert_allclose(ours.p_opt, theirs.p_opt, rtol=1e-4)
    np.testing.assert_allclose(ours.result, theirs.result, rtol=1e-8)
    np.testing.assert_allclose(ours.deviance, theirs.deviance, rtol=1e-8)
    np.testing.assert_allclose(ours.aic, theirs.aic, rtol=1e-8)
    np.testing.assert_allclose(ours.bic, theirs.bic, rtol=1e-8)
    for attr in ("merit", "sobs", "mfit"):
        np.testing.assert_allclose(getattr(ours, attr), getattr(theirs, attr), rtol=1e-3)
    for attr in ("dof", "sexp", "ssd"):
        assert getattr(ours, attr) == getattr(theirs, attr)
    np.testing.assert_allclose(ours.maxpow, theirs.maxpow, rtol=1e-3)
    assert ours.maxind == theirs.maxind


@pytest.mark.parametrize("m", [1, 3, "array"])
def test_psd_likelihood_values(rng, m):
    freq, power = _spectrum(rng, m=3)
    if m == "array":
        m = rng.integers(1, 10, freq.size)
    pars = [1.7, 1.3, 1.4]
    theirs = srm.PSDLogLikelihood(freq, power, _plc(), m=m)
    compat = sjm.PSDLogLikelihood(freq, power, _plc(), m=m, stingray_compat=True)
    np.testing.assert_allclose(compat(pars), theirs(pars), rtol=1e-12)
    np.testing.assert_allclose(compat(pars, neg=True), theirs(pars, neg=True), rtol=1e-12)
    ours = sjm.PSDLogLikelihood(freq, power, _plc(), m=m)
    mm = np.broadcast_to(np.asarray(m, float), freq.shape)
    ref_model = _plc()
    ref_model.parameters = [1.7, 1.0, 1.3, 1.4]
    S = ref_model(freq)
    np.testing.assert_allclose(
        ours(pars), scipy.stats.gamma.logpdf(power, a=mm, scale=S / mm).sum(), rtol=1e-12
    )


def test_other_likelihood_values(rng):
    x = np.linspace(0, 10, 50)
    model = Lorentz1D(5.0, 4.0, 2.0) + Const1D(3.0)
    y = model(x) + rng.normal(size=x.size)
    yerr = rng.uniform(0.5, 1.5, x.size)
    counts = rng.poisson(model(x)).astype(float)
    pars = [4.5, 4.2, 1.8, 2.9]
    pairs = [
        (
            sjm.GaussianLogLikelihood(x, y, yerr, model),
            srm.GaussianLogLikelihood(x, y, yerr, model),
        ),
        (sjm.LaplaceLogLikelihood(x, y, yerr, model), srm.LaplaceLogLikelihood(x, y, yerr, model)),
        (sjm.PoissonLogLikelihood(x, counts, model), srm.PoissonLogLikelihood(x, counts, model)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours(pars), theirs(pars), rtol=1e-12)
        np.testing.assert_allclose(ours(pars, neg=True), theirs(pars, neg=True), rtol=1e-12)


def test_posterior_with_priors_matches_stingray(rng):
    freq, power = _spectrum(rng)
    priors = {
        "amplitude_0": scipy.stats.uniform(0.0, 10.0).pdf,
        "alpha_0": lambda a: (a >= -1.0) & (a <= 5.0),
        "amplitude_1": lambda c: (np.log(c) >= -10) & (np.log(c) <= 10.0),
    }
    ours = sjm.PSDPosterior(freq, power, _plc(), priors=priors, m=1)
    theirs = srm.PSDPosterior(freq, power, _plc(), priors=priors, m=1)
    for pars in ([1.7, 1.3, 1.4], [2.5, 0.5, 0.3]):
        np.testing.assert_allclose(ours(pars), theirs(pars), rtol=1e-12)
        np.testing.assert_allclose(ours(pars, neg=True), theirs(pars, neg=True), rtol=1e-12)
    # outside the prior support: Stingray's -1e16 convention for the call ...
    assert ours([1.7, 7.0, 1.4]) == theirs([1.7, 7.0, 1.4]) == -1e16
    # ... while the pure log-density is -inf
    with jax.enable_x64(True):
        assert np.isneginf(float(ours.logdensity(np.array([1.7, 7.0, 1.4]))))


@pytest.mark.parametrize(
    "dist",
    [
        scipy.stats.uniform(-1.0, 3.0),
        scipy.stats.norm(1.0, 2.0),
        scipy.stats.lognorm(0.7, scale=2.0),
        scipy.stats.lognorm(0.5, loc=-1.0, scale=1.5),
        scipy.stats.loguniform(0.01, 100.0),
        scipy.stats.halfnorm(scale=2.0),
        scipy.stats.expon(scale=3.0),
        scipy.stats.truncnorm(-1.0, 2.0, loc=1.0, scale=0.5),
        scipy.stats.gamma(2.0, scale=1.5),
        scipy.stats.halfcauchy(scale=1.0),
        scipy.stats.invgamma(3.0, scale=2.0),
    ],
    ids=lambda d: d.dist.name,
)
def test_scipy_priors_translate(x64, dist):
    from stingray_jax.modeling._priors import logprior_function

    fn = jax.jit(jax.vmap(logprior_function(dist, "p")))
    x = np.array([-2.0, -0.5, 1e-3, 0.3, 1.0, 1.7, 2.5, 20.0, 150.0])
    ref = dist.logpdf(x)
    got = np.asarray(fn(x))
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(ref))
    np.testing.assert_allclose(got[np.isfinite(ref)], ref[np.isfinite(ref)], rtol=1e-10)


def test_numpyro_prior_and_unsupported_priors(rng):
    import numpyro.distributions as dist

    freq, power = _spectrum(rng)
    priors = {
        "amplitude_0": dist.LogNormal(0.0, 1.0),
        "alpha_0": dist.Uniform(0.0, 4.0),
        "amplitude_1": scipy.stats.halfnorm(scale=5.0),
    }
    lpost = sjm.PSDPosterior(freq, power, _plc(), priors=priors)
    pars = np.array([1.7, 1.3, 1.4])
    expected = (
        sjm.PSDLogLikelihood(freq, power, _plc())(pars)
        + scipy.stats.lognorm(1.0).logpdf(1.7)
        + np.log(0.25)
        + scipy.stats.halfnorm(scale=5.0).logpdf(1.4)
    )
    np.testing.assert_allclose(lpost(pars), expected, rtol=1e-12)

    import math

    from stingray_jax.modeling._priors import HostPriorWarning

    # math.* and untranslated scipy distributions run on the host (with a warning), correctly
    host = dict(priors, alpha_0=lambda a: math.exp(-a), amplitude_1=scipy.stats.rayleigh())
    with pytest.warns(HostPriorWarning, match="alpha_0"):
        lpost_host = sjm.PSDPosterior(freq, power, _plc(), priors=host)
    expected_host = (
        sjm.PSDLogLikelihood(freq, power, _plc())(pars)
        + scipy.stats.lognorm(1.0).logpdf(1.7)
        - 1.3
        + scipy.stats.rayleigh().logpdf(1.4)
    )
    np.testing.assert_allclose(lpost_host(pars), expected_host, rtol=1e-12)
    # like Stingray, an incomplete priors dict fails when the posterior is evaluated (with a
    # warning at construction)
    with pytest.warns(UserWarning, match="no entry for the free parameter"):
        incomplete = sjm.PSDPosterior(freq, power, _plc(), priors={"alpha_0": priors["alpha_0"]})
    with pytest.raises(ValueError, match="no entry for the free parameter"):
        incomplete(pars)
    with pytest.raises(ValueError, match="no entry for the free parameter"):
        sjm.set_logprior(incomplete, {"alpha_0": priors["alpha_0"]})


def test_errors_are_inverse_exact_hessian(rng):
    freq, power = _spectrum(rng, m=4)
    lpost = sjm.PSDLogLikelihood(freq, power, _plc(), m=4)
    res = sjm.PSDParEst(None, max_post=False).fit(lpost, T0)
    with jax.enable_x64(True):
        hess = jax.jit(jax.hessian(lambda p: -lpost.logdensity(p)))(res.p_opt)
    np.testing.assert_allclose(res.cov, np.linalg.inv(np.asarray(hess)), rtol=1e-8)
    np.testing.assert_allclose(res.err, np.sqrt(np.diag(np.linalg.inv(hess))), rtol=1e-8)
    # Stingray's compatibility mode curves twice as much: errors smaller by sqrt(2)
    compat = sjm.PSDLogLikelihood(freq, power, _plc(), m=4, stingray_compat=True)
    res_c = sjm.PSDParEst(None, max_post=False).fit(compat, T0)
    np.testing.assert_allclose(res_c.p_opt, res.p_opt, rtol=1e-6)
    np.testing.assert_allclose(res_c.err * np.sqrt(2), res.err, rtol=1e-6)


def test_bounds_hold_and_model_is_not_mutated(rng):
    freq, power = _spectrum(rng)
    model = _plc()
    model.alpha_0.bounds = (0.0, 1.0)  # the data want ~1.5
    model.amplitude_1.bounds = (0.0, None)
    before = (model.parameters.copy(), dict(model.bounds), dict(model.fixed))
    lpost = sjm.PSDPosterior(
        freq,
        power,
        model,
        priors={
            "amplitude_0": scipy.stats.loguniform(1e-3, 1e3),
            "alpha_0": scipy.stats.uniform(0, 1),
            "amplitude_1": scipy.stats.loguniform(1e-3, 1e3),
        },
    )
    res = sjm.PSDParEst(None, max_post=True).fit(lpost, [1.5, 0.8, 1.0])
    assert 0.0 <= res.p_opt[1] <= 1.0
    assert res.p_opt[1] > 0.99  # pressed against the bound
    np.testing.assert_array_equal(model.parameters, before[0])
    assert dict(model.bounds) == before[1]
    assert dict(model.fixed) == before[2]
    # the result model is a new model at the best fit
    assert res.model is not model
    np.testing.assert_allclose(res.model.alpha_0.value, res.p_opt[1])


def test_tied_parameters_in_map_fit(rng):
    freq = np.linspace(0.1, 10, 600)
    model = Lorentz1D(10.0, 2.0, 0.4) + Lorentz1D(5.0, 4.0, 0.4) + Const1D(2.0)
    model.x_0_1.tied = lambda m: 2.0 * m.x_0_0
    power = model(freq) * rng.exponential(size=freq.size)
    priors = {n: scipy.stats.loguniform(1e-3, 1e3) for n in model.param_names}
    lpost = sjm.PSDPosterior(freq, power, model, priors=priors)
    assert lpost.npar == lpost.loglikelihood.npar == 6
    res = sjm.PSDParEst(None, max_post=True).fit(lpost, [9.0, 2.05, 0.5, 4.0, 0.5, 1.8])
    assert res.converged
    np.testing.assert_allclose(res.model.x_0_1.value, 2 * res.model.x_0_0.value, rtol=1e-12)
    assert abs(res.p_opt[1] - 2.0) < 5 * res.err[1]


def test_nan_data_evaluate_to_logmin_like_stingray():
    # Stingray maps NaN data to logmin (its own tests check it); fits then refuse to start
    ll = sjm.PSDLogLikelihood(np.linspace(0.1, 1, 10), np.r_[np.nan, np.ones(9)], _plc())
    assert ll([2.0, 1.5, 1.5]) == sjm.posterior.logmin


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"power": -np.ones(10)}, "non-negative"),
        ({"power": np.r_[0.0, np.ones(9)], "m": 4}, "positive"),
        ({"power": np.ones(9)}, "lengths must match"),
        ({"m": 0}, "m must be positive"),
        ({"m": np.ones(3)}, "one value per frequency"),
    ],
)
def test_bad_data_raise(kwargs, match):
    args = {"freq": np.linspace(0.1, 1, 10), "power": np.ones(10), "m": 1} | kwargs
    with pytest.raises(ValueError, match=match):
        sjm.PSDLogLikelihood(args["freq"], args["power"], _plc(), m=args["m"])


def test_bad_fit_input_raises(rng):
    freq, power = _spectrum(rng)
    lpost = sjm.PSDLogLikelihood(freq, power, _plc())
    parest = sjm.PSDParEst(None, max_post=False)
    with pytest.raises(ValueError, match="right length"):
        parest.fit(lpost, [1.0, 1.0])
    with pytest.raises(sjm.IncorrectParameterError):
        lpost([1.0, 1.0])
    bounded = _plc()
    bounded.alpha_0.bounds = (0, 1)
    with pytest.raises(ValueError, match="not strictly inside its bounds"):
        parest.fit(sjm.PSDLogLikelihood(freq, power, bounded), [1.0, 1.5, 1.0])
    fixed = PowerLaw1D()
    for name in fixed.param_names:
        getattr(fixed, name).fixed = True
    with pytest.raises(ValueError, match="all parameters"):
        parest.fit(sjm.PSDLogLikelihood(freq, power, fixed), [])
    with pytest.raises(TypeError, match="lpost must be"):
        parest.fit(srm.PSDLogLikelihood(freq, power, _plc()), T0)
    with pytest.warns(RuntimeWarning, match="not finite at t0"):
        bad = parest.fit(lpost, [-5.0, 1.0, -3.0])
    assert not bad.converged
    np.testing.assert_array_equal(bad.p_opt, [-5.0, 1.0, -3.0])
    with pytest.raises(TypeError, match="astropy model"):
        sjm.PSDLogLikelihood(freq, power, lambda f: f)
    with pytest.raises(sjm.PriorUndefinedError):
        sjm.PSDPosterior(freq, power, _plc())(T0)


def test_failed_fit_warns_and_restarts_are_seeded(rng):
    freq, power = _spectrum(rng)
    lpost = sjm.PSDLogLikelihood(freq, power, _plc())
    state = np.random.get_state()  # noqa: NPY002
    with pytest.warns(RuntimeWarning, match="did not converge"):
        res = sjm.PSDParEst(None, max_post=False, n_restarts=2).fit(
            lpost, T0, scipy_optimize_options={"maxiter": 1}
        )
    assert not res.converged
    # the global NumPy RNG was not touched
    np.testing.assert_array_equal(np.random.get_state()[1], state[1])  # noqa: NPY002


def test_n_restarts_must_be_a_non_negative_integer():
    # used to raise UnboundLocalError at fit time
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="n_restarts"):
            sjm.PSDParEst(None, n_restarts=bad)


def test_no_recompilation_for_new_data_and_t0(rng):
    from stingray_jax.fitting import compiled

    fit = compiled("fit_summary")
    freq, power = _spectrum(rng)
    sjm.PSDParEst(None, max_post=False).fit(sjm.PSDLogLikelihood(freq, power, _plc()), T0)
    n = fit._cache_size()
    for k in range(2):
        _, power2 = _spectrum(rng)
        lpost = sjm.PSDLogLikelihood(freq * (1 + k), power2, _plc())  # new instance, new model
        sjm.PSDParEst(None, max_post=False).fit(lpost, [1.0 + k, 1.0, 2.0])
    assert fit._cache_size() == n


def test_float64_without_global_x64(rng):
    freq, power = _spectrum(rng)
    with jax.enable_x64(False):
        res32 = sjm.PSDParEst(None, max_post=False).fit(
            sjm.PSDLogLikelihood(freq, power, _plc()), T0
        )
    with jax.enable_x64(True):
        res64 = sjm.PSDParEst(None, max_post=False).fit(
            sjm.PSDLogLikelihood(freq, power, _plc()), T0
        )
    np.testing.assert_allclose(res32.p_opt, res64.p_opt, rtol=1e-12)
    assert res32.cov.dtype == np.float64
    assert not jax.config.jax_enable_x64


def test_lrt_summary_plotfits_and_scripts(rng, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    freq, power = _spectrum(rng)
    parest = sjm.PSDParEst(type("PS", (), {"freq": freq, "power": power, "norm": "leahy"})())
    simple = PowerLaw1D(2.0, 1.0, 1.5)
    simple.x_0.fixed = True
    lrt, r1, r2 = parest.compute_lrt(
        sjm.PSDLogLikelihood(freq, power, simple),
        [2.0, 1.5],
        sjm.PSDLogLikelihood(freq, power, _plc()),
        T0,
    )
    np.testing.assert_allclose(lrt, r1.deviance - r2.deviance)
    assert lrt > 0
    out = io.StringIO()
    r2.print_summary(sjm.PSDLogLikelihood(freq, power, _plc()), stream=out)
    text = out.getvalue()
    assert "alpha_0" in text
    assert "(Fixed)" in text
    assert "Akaike" in text
    fig = parest.plotfits(r1, r2, save_plot=True, namestr=str(tmp_path / "t"))
    assert (tmp_path / "t_ps_fit.png").exists()
    assert len(fig.axes) == 3

    class PS:
        pass

    ps = PS()
    ps.freq, ps.power, ps.m = freq, power, 1
    _, res = sjm.fit_powerspectrum(ps, _plc(), T0)
    np.testing.assert_allclose(res.p_opt, r2.p_opt, rtol=1e-8)
    lor = Lorentz1D(20.0, 1.0, 0.3) + Const1D(2.0)
    ps.power = lor(freq) * rng.exponential(size=freq.size)
    _, res = sjm.fit_lorentzians(ps, 1, [15.0, 1.05, 0.4, 1.5])
    assert res.converged
    assert abs(res.p_opt[1] - 1.0) < 5 * res.err[1]
    cs = PS()
    cs.freq, cs.power, cs.power_err = (
        freq,
        lor(freq) + rng.normal(size=freq.size),
        np.ones_like(freq),
    )
    _, res = sjm.fit_crossspectrum(cs, Lorentz1D(15.0, 1.05, 0.4) + Const1D(1.5))
    assert res.converged
    assert abs(res.p_opt[0] - 20.0) < 5 * res.err[0]


def test_model_changes_are_never_served_stale(rng):
    """The memoised astropy -> JAX conversion must see every change to the model."""
    freq, power = _spectrum(rng)
    model = _plc()
    first = sjm.PSDLogLikelihood(freq, power, model)
    model.x_0_0.value = 2.0  # a fixed parameter's value changes the likelihood
    second = sjm.PSDLogLikelihood(freq, power, model)
    assert first(T0) != second(T0)
    model.amplitude_1.fixed = True  # a flag changes npar
    assert sjm.PSDLogLikelihood(freq, power, model).npar == 2
    model.amplitude_1.fixed = False
    model.alpha_0.bounds = (0.0, 1.0)  # bounds change the fit
    res = sjm.PSDParEst(None, max_post=False).fit(
        sjm.PSDLogLikelihood(freq, power, model), [1.5, 0.5, 1.0]
    )
    assert res.p_opt[1] <= 1.0


def _scoring_cases():
    from astropy.modeling.models import SmoothlyBrokenPowerLaw1D

    from stingray_jax.models.timing import BendingPowerLaw1D, QPOLorentz1D, ZeroCenteredLorentz1D

    qpo = ZeroCenteredLorentz1D(rms=0.2, delta=0.5) + QPOLorentz1D(rms=0.1, nu0=4.0, q=8.0)
    qpo = qpo + Const1D(0.01)
    qpo.q_1.bounds = (2.0, 50.0)
    qpo.rms_1.bounds = (0.0, None)
    bend = BendingPowerLaw1D(amplitude=5.0, x_break=1.0, alpha_1=1.0, alpha_2=2.5) + Const1D(0.5)
    # With m = 1 these data do not bound alpha_2 (-log L keeps falling as alpha_2 -> infinity,
    # and no solver converges): a bound makes the fit well posed, with its optimum on the bound
    # at the end of a long curved valley of amplitude and x_break (~120-150 iterations).
    bend.alpha_2_0.bounds = (0.5, 6.0)
    sbpl = SmoothlyBrokenPowerLaw1D(3.0, 1.0, 1.0, 2.0, 0.5) + Const1D(0.3)
    sbpl.delta_0.fixed = True
    return {"qpo": qpo, "bending": bend, "smoothly_broken": sbpl}


@pytest.mark.parametrize("case", ["qpo", "bending", "smoothly_broken"])
@pytest.mark.parametrize("m", [1, 8])
def test_scoring_default_reaches_the_exact_newton_optimum(case, m):
    """The default Fisher-scoring solver converges to the optimum of the exact-Hessian solver."""
    model = _scoring_cases()[case]
    rng = np.random.default_rng(len(case) + m)
    freq = np.linspace(0.05, 20.0, 600)
    power = model(freq) * rng.gamma(m, 1.0 / m, size=freq.size)
    ll = sjm.PSDLogLikelihood(freq, power, model, m=m)
    names = ll.free_param_names
    t0 = np.array([getattr(model, n).value for n in names]) * 1.2
    for i, n in enumerate(names):  # keep the 20% offset inside the bounds
        hi = getattr(model, n).bounds[1]
        if hi is not None and t0[i] >= hi:
            t0[i] = 0.5 * (getattr(model, n).value + hi)
    scoring = sjm.PSDParEst(None, max_post=False).fit(ll, t0)
    newton = sjm.PSDParEst(None, max_post=False, solver="newton").fit(ll, t0)
    assert scoring.converged
    np.testing.assert_allclose(scoring.result, newton.result, rtol=1e-11)
    # (on a bound the Hessian need not be positive definite, so compare relative values)
    np.testing.assert_allclose(scoring.p_opt, newton.p_opt, rtol=2e-5)


def test_script_functions_pass_the_step_limit_through(rng):
    """fit_lorentzians / fit_powerspectrum / fit_crossspectrum hand scipy_optimize_options
    to PSDParEst.fit: a 1-step limit leaves the fit unconverged (with the warning that names
    the limit), the default converges from the same start."""

    class PS:
        pass

    freq = np.linspace(0.05, 10, 400)
    lor = Lorentz1D(20.0, 1.0, 0.3) + Const1D(2.0)
    ps = PS()
    ps.freq, ps.power, ps.m = freq, lor(freq) * rng.exponential(size=freq.size), 1
    cs = PS()
    cs.freq, cs.power = freq, lor(freq) + rng.normal(size=freq.size)
    cs.power_err = np.ones_like(freq)
    start = [10.0, 1.3, 0.6, 1.0]
    calls = {
        "fit_lorentzians": lambda **kw: sjm.fit_lorentzians(ps, 1, start, **kw),
        "fit_powerspectrum": lambda **kw: sjm.fit_powerspectrum(
            ps, Lorentz1D() + Const1D(), start, **kw
        ),
        "fit_crossspectrum": lambda **kw: sjm.fit_crossspectrum(
            cs, Lorentz1D() + Const1D(), start, **kw
        ),
    }
    for name, call in calls.items():
        _, res = call()
        assert res.converged, name
        with pytest.warns(RuntimeWarning, match="did not converge.*maxiter"):
            _, short = call(scipy_optimize_options={"maxiter": 1})
        assert not short.converged, name
        assert short.n_steps <= 1, name


def test_unconstrained_parameters_are_flagged_not_silent_nan(rng):
    # Two constants: only their sum is determined, so the Hessian is singular along their
    # difference; the fit converges, and the result says which parameters are unconstrained.
    freq, power = _spectrum(rng)
    model = Const1D(1.0) + Const1D(1.5)
    lpost = sjm.PSDLogLikelihood(freq, power, model)
    with pytest.warns(RuntimeWarning, match=r"do not constrain \['amplitude_0', 'amplitude_1'\]"):
        res = sjm.PSDParEst(None, max_post=False).fit(lpost, [1.0, 1.5])
    assert res.converged
    assert res.unconstrained == ("amplitude_0", "amplitude_1")
    out = io.StringIO()
    res.print_summary(lpost, stream=out)
    assert "(unconstrained)" in out.getvalue()
    # a well-determined fit has none, and no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        good = sjm.PSDParEst(None, max_post=False).fit(
            sjm.PSDLogLikelihood(freq, power, _plc()), T0
        )
    assert good.unconstrained == ()


def test_the_command_line_reports_unconstrained_parameters():
    from stingray_jax import cli
    from stingray_jax._cli_fit import run_fit

    args = cli.build_parser().parse_args(
        ["fit", "--model", "Const1D(amplitude=1) + Const1D(amplitude=1)", "--plot", ""]
    )
    stream = io.StringIO()
    with pytest.warns(RuntimeWarning, match="do not constrain"):
        _, res = run_fit(args, stream=stream)
    text = stream.getvalue()
    assert res.unconstrained == ("amplitude_0", "amplitude_1")
    assert text.count("(unconstrained)") == 2
    assert "WARNING     the data do not constrain amplitude_0, amplitude_1" in text


@pytest.mark.slow
def test_fit_lorentzians_1e5_bins_converges_no_worse_than_stingray():
    """Issue 11 point 5: 3 Lorentzians + constant on 10^5 bins (benchmarks/bench_fit.py)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    from bench_fit import make_lorentzian_case

    with preserve_global_state():
        from stingray.modeling import fit_lorentzians as stingray_fit_lorentzians

    ps, start = make_lorentzian_case()
    _, res = sjm.fit_lorentzians(ps, 3, start)
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(1)  # noqa: NPY002
    try:
        with preserve_global_state(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, theirs = stingray_fit_lorentzians(ps, 3, start)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    assert res.converged
    assert res.result <= theirs.result + 1e-6 * abs(theirs.result)


def test_a_fit_along_a_valley_to_infinity_settles_its_value():
    """A power law + constant on flat data (Stingray's test_simulate_lrts_works, third
    simulation): -log L decreases towards its infimum as amplitude -> inf, alpha -> 0,
    constant -> -inf. The fit stops once the value has settled (before max_steps), says
    converged=False, value_converged=True, and its -log L is within 1e-3 of the value that
    1200 steps without the settled-value stop reach."""
    from stingray_jax import _solvers
    from stingray_jax.fitting import fit_pure

    freq = np.linspace(1, 10, 100)
    rng = np.random.RandomState(100)
    power = [2.0 * rng.chisquare(2, size=freq.size) / 2.0 for _ in range(3)][2]
    model = PowerLaw1D() + Const1D()
    model.x_0_0.fixed = True
    ll = sjm.PSDLogLikelihood(freq, power, model, 1)
    t0 = [2.0, 1.0, 2.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = sjm.ParameterEstimation(max_post=False, n_restarts=0).fit(ll, t0)
    assert not res.converged
    assert res.value_converged
    assert res.n_steps < 200
    saved = _solvers._FLAT_STEPS
    _solvers._FLAT_STEPS = 10**9  # read when the solver is traced (max_steps=1200: a new trace)
    try:
        with jax.enable_x64(True):
            longer = fit_pure(np.asarray(t0), ll._jm, ll._data, ll._spec, max_steps=1200)
    finally:
        _solvers._FLAT_STEPS = saved
    assert not bool(longer.value_converged)  # ran to its step limit
    assert res.result - float(longer.fun) < 1e-3
