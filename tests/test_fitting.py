"""The pure fitting core (`stingray_jax.fitting`): likelihood table, Fisher information, fits,
information criteria, and the adapters' use of it."""

import io

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from astropy.modeling.models import Const1D, Lorentz1D, PowerLaw1D
from scipy import stats

from stingray_jax import fitting, likelihoods
from stingray_jax._config import x64_scope
from stingray_jax.fitting import LikelihoodSpec, information_criteria, psd_spec
from stingray_jax.models import from_astropy

N = 6


def _data(kind, rng):
    """Model values, the data dict at the data's expectation, and a scipy reference log-pdf."""
    s = rng.uniform(0.5, 3.0, N)
    m = rng.integers(2, 6, N).astype(float)
    sigma = rng.uniform(0.2, 1.0, N)
    y = rng.uniform(0.5, 3.0, N)
    refs = {
        "whittle": ({"y": y}, {"y": s}, lambda: stats.expon.logpdf(y, scale=s).sum()),
        "gamma": (
            {"y": y, "m": m},
            {"y": s, "m": m},
            lambda: stats.gamma.logpdf(y, a=m, scale=s / m).sum(),
        ),
        "stingray_gamma": ({"y": y, "m": m}, {"y": s, "m": m}, None),
        "gaussian": (
            {"y": y, "yerr": sigma},
            {"y": s, "yerr": sigma},
            lambda: stats.norm.logpdf(y, s, sigma).sum(),
        ),
        "poisson": (
            {"y": np.round(y)},
            {"y": s},
            lambda: stats.poisson.logpmf(np.round(y), s).sum(),
        ),
        "laplace": (
            {"y": y, "yerr": sigma},
            None,
            lambda: stats.laplace.logpdf(y, s, sigma).sum(),
        ),
    }
    return s, refs[kind]


@pytest.mark.parametrize("kind", sorted(likelihoods.LIKELIHOODS))
def test_every_registered_likelihood_matches_scipy_and_its_fisher_information(kind, rng):
    s, (data, expected_data, ref) = _data(kind, rng)
    spec = LikelihoodSpec(kind)
    assert spec.data_names == likelihoods.LIKELIHOODS[kind].data
    with x64_scope():
        value = float(spec.loglike(jnp.asarray(s), data))
        if ref is not None:
            np.testing.assert_allclose(value, ref(), rtol=1e-12)
        fisher = np.asarray(spec.fisher(jnp.asarray(s), data))
        assert fisher.shape == (N,)
        if expected_data is None:
            # Laplace: the log-density is not twice differentiable in the location; its Fisher
            # information is the variance of the score sign(y - S) / b, i.e. 1 / b^2.
            np.testing.assert_allclose(fisher, 1.0 / data["yerr"] ** 2, rtol=1e-12)
            return
        # These log-likelihoods are linear in the data, so E[-hessian] is the -hessian at E[y].
        hess = jax.hessian(lambda v: spec.loglike(v, expected_data))(jnp.asarray(s))
        np.testing.assert_allclose(np.diag(-np.asarray(hess)), fisher, rtol=1e-10)
        off = np.asarray(hess) - np.diag(np.diag(np.asarray(hess)))
        assert np.all(off == 0)


def test_gradient_of_each_likelihood_is_exact(rng):
    from jax.test_util import check_grads

    for kind in likelihoods.LIKELIHOODS:
        s, (data, _, _) = _data(kind, rng)
        spec = LikelihoodSpec(kind)
        with x64_scope():
            check_grads(
                lambda v, spec=spec, data=data: spec.loglike(v, data),
                (jnp.asarray(s),),
                order=2,
                modes="rev",
            )


@pytest.mark.parametrize("kind", sorted(likelihoods.LIKELIHOODS))
def test_masked_likelihood_is_the_one_of_the_unmasked_points(kind, rng):
    """Padding + mask: value, gradient, Hessian and Fisher information are those of the real
    points only, whatever the padded points hold (NaN data included)."""
    from jax.test_util import check_grads

    s, (data, _, _) = _data(kind, rng)
    keep = np.array([True, False, True, True, False, True])
    sub = {k: np.asarray(v)[keep] for k, v in data.items()}
    padded = {k: np.where(keep, np.asarray(v), np.nan) for k, v in data.items()}
    padded["mask"] = keep
    s_pad = np.where(keep, s, -5.0)  # the model may be anything finite at the padded points
    spec = LikelihoodSpec(kind, masked=True)
    assert spec.data_names == (*likelihoods.LIKELIHOODS[kind].data, "mask")
    plain = LikelihoodSpec(kind)
    with x64_scope():
        value = float(spec.loglike(jnp.asarray(s_pad), padded))
        np.testing.assert_allclose(value, float(plain.loglike(jnp.asarray(s[keep]), sub)))
        grad = np.asarray(jax.grad(lambda v: spec.loglike(v, padded))(jnp.asarray(s_pad)))
        ref = np.asarray(jax.grad(lambda v: plain.loglike(v, sub))(jnp.asarray(s[keep])))
        np.testing.assert_allclose(grad[keep], ref, rtol=1e-12)
        assert np.all(grad[~keep] == 0)
        fisher = np.asarray(spec.fisher(jnp.asarray(s_pad), padded))
        np.testing.assert_allclose(fisher[keep], plain.fisher(jnp.asarray(s[keep]), sub))
        assert np.all(fisher[~keep] == 0)
        if kind != "laplace":  # |y - S| has no second derivative at the data
            check_grads(
                lambda v: spec.loglike(v, padded), (jnp.asarray(s_pad),), order=2, modes="rev"
            )


def test_unknown_likelihood_is_named():
    with pytest.raises(ValueError, match="unknown likelihood 'cauchy'"):
        LikelihoodSpec("cauchy")


def test_psd_spec_chooses_like_stingray():
    assert psd_spec(True) == LikelihoodSpec("whittle")
    assert psd_spec(True, stingray_compat=True) == LikelihoodSpec("whittle")
    assert psd_spec(False) == LikelihoodSpec("gamma")
    assert psd_spec(False, stingray_compat=True) == LikelihoodSpec("stingray_gamma")
    assert hash(psd_spec(False)) == hash(LikelihoodSpec("gamma"))  # a jit cache key


def _fixture(rng, n=256):
    model = Lorentz1D(3.0, 1.0, 0.3) + Const1D(1.0)
    freq = np.linspace(0.05, 4.0, n)
    power = model(freq) * rng.exponential(size=n)
    return model, freq, power


def test_fit_pure_equals_the_stingray_compatible_fit(rng):
    from stingray_jax.modeling import PSDLogLikelihood, PSDParEst

    model, freq, power = _fixture(rng)
    jm = from_astropy(model)
    with x64_scope():
        res, mfit, loglike = fitting.compiled("fit_summary")(
            jm.p0,
            jm,
            {"x": freq, "y": power},
            spec=LikelihoodSpec("whittle"),
            prior=None,
            solver="scoring",
            max_steps=None,
        )
    ours = PSDParEst(None, max_post=False).fit(PSDLogLikelihood(freq, power, model), jm.p0)
    np.testing.assert_allclose(np.asarray(res.x), ours.p_opt, rtol=1e-12)
    np.testing.assert_allclose(float(res.fun), ours.result, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(mfit), ours.mfit, rtol=1e-12)
    np.testing.assert_allclose(float(loglike), -ours.result, rtol=1e-12)
    # The scipy reference: the Whittle log-likelihood at the optimum.
    ref = stats.expon.logpdf(power, scale=ours.mfit).sum()
    np.testing.assert_allclose(-ours.result, ref, rtol=1e-10)


def test_information_criteria_is_the_one_definition(rng):
    from stingray_jax.modeling import PSDLogLikelihood, PSDParEst

    aic, bic = information_criteria(10.0, 3, 100)
    assert aic == pytest.approx(16.0)
    assert bic == pytest.approx(10.0 + 3 * np.log(100))
    model, freq, power = _fixture(rng)
    res = PSDParEst(None, max_post=False).fit(PSDLogLikelihood(freq, power, model), [3, 1, 0.3, 1])
    assert (res.aic, res.bic) == information_criteria(res.result, 4, freq.size)


def test_the_command_line_prints_the_result_objects_criteria():
    from stingray_jax import cli
    from stingray_jax._cli_fit import run_fit

    args = cli.build_parser().parse_args(["fit", "--plot", ""])
    stream = io.StringIO()
    _, res = run_fit(args, stream=stream)
    text = stream.getvalue()
    assert f"AIC         {res.aic:.4f}" in text
    assert f"BIC         {res.bic:.4f}" in text


def test_more_free_parameters_than_data_points_is_an_error():
    from stingray_jax.modeling import PSDLogLikelihood, PSDParEst

    model = PowerLaw1D(1.0, 1.0, 1.0) + Const1D(1.0)  # 4 free parameters
    freq = np.array([0.5, 1.0, 2.0])
    lpost = PSDLogLikelihood(freq, np.array([2.0, 1.5, 1.2]), model)
    with pytest.raises(ValueError, match="4 free parameters but there are only 3 data points"):
        PSDParEst(None, max_post=False).fit(lpost, [1.0, 1.0, 1.0, 1.0])


def test_fisher_scoring_curvature_is_the_expected_hessian(rng):
    # B = J^T diag(I) J: equal to the exact Hessian of -log L when the data are at the model
    model, freq, _ = _fixture(rng, n=64)
    jm = from_astropy(model)
    spec = LikelihoodSpec("gamma")
    with x64_scope():
        p = jnp.asarray(jm.p0)
        data = {"x": freq, "y": np.asarray(jm(p, freq)), "m": np.full(freq.size, 4.0)}
        value, grad, curv = fitting.neg_logdensity_curvature(p, jm, data, spec)
        exact = jax.hessian(lambda q: -fitting.logdensity_pure(q, jm, data, spec))(p)
        np.testing.assert_allclose(np.asarray(curv), np.asarray(exact), rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(
            np.asarray(grad),
            np.asarray(jax.grad(lambda q: -fitting.logdensity_pure(q, jm, data, spec))(p)),
            rtol=1e-10,
            atol=1e-12,
        )
        assert float(value) == pytest.approx(-float(fitting.logdensity_pure(p, jm, data, spec)))
