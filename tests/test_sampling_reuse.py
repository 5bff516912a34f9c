"""`PSDParEst.sample` in a loop over observations: one compilation, and a start that always
samples (issue 11, point 3). Also the value keys that let fresh prior lambdas share compiled
code without ever conflating priors that differ."""

import numpy as np
import pytest
from astropy.modeling import models
from scipy import stats

from stingray_jax.fitting import compiled
from stingray_jax.modeling import PSDParEst, PSDPosterior
from stingray_jax.modeling._logprior import _prior_key
from stingray_jax.sampling import _compiled_sampler

FREQ = np.linspace(0.05, 10.0, 256)
SHORT = dict(num_warmup=150, num_samples=150, num_chains=2, print_results=False)


def _model():
    m = models.PowerLaw1D(amplitude=2.0, x_0=1.0, alpha=1.5) + models.Const1D(amplitude=1.0)
    m.x_0_0.fixed = True
    return m


def _priors(lo=0.01):
    # built anew for every observation, as a loop over observations does
    return {
        "amplitude_0": lambda a: ((lo < a) & (a < 20.0)) / 20.0,
        "alpha_0": lambda a: ((a > 0.0) & (a < 4.0)) / 4.0,
        "amplitude_1": stats.uniform(0.01, 10.0),
    }


def _posterior(seed, priors=None):
    rng = np.random.default_rng(seed)
    power = _model()(FREQ) * rng.exponential(size=FREQ.size)
    return PSDPosterior(FREQ, power, _model(), priors=_priors() if priors is None else priors)


def test_fresh_prior_lambdas_with_equal_values_have_equal_keys():
    a, b = _priors(), _priors()
    assert a["amplitude_0"] is not b["amplitude_0"]
    assert _prior_key(a["amplitude_0"]) == _prior_key(b["amplitude_0"])
    assert hash(_prior_key(a["amplitude_0"])) == hash(_prior_key(b["amplitude_0"]))
    # a different closure value, a different lambda, a different scipy parameter: not equal
    assert _prior_key(_priors(0.5)["amplitude_0"]) != _prior_key(a["amplitude_0"])
    assert _prior_key(a["alpha_0"]) != _prior_key(a["amplitude_0"])
    assert _prior_key(stats.uniform(0.0, 1.0)) != _prior_key(stats.uniform(0.0, 2.0))


LIMITS = np.array([0.0, 4.0])  # a mutable global: a prior that reads it is keyed by identity


def test_priors_reading_mutable_values_are_keyed_by_identity():
    def make():
        return lambda a: ((LIMITS[0] < a) & (a < LIMITS[1])) / 4.0

    p, q = make(), make()
    assert _prior_key(p) != _prior_key(q)
    assert _prior_key(p) == _prior_key(p)
    arr = np.array([1.0])
    assert _prior_key(lambda a: a * arr) != _prior_key(lambda a: a * arr)


def test_equal_looking_priors_with_different_values_give_different_posteriors():
    # the guard against silent wrong numbers: a cached compiled prior must not be reused for
    # a prior with other values
    lpost_a = _posterior(0, priors=_priors(0.01))
    lpost_b = _posterior(0, priors=_priors(1.5))
    t = [1.0, 1.5, 1.0]  # amplitude_0 = 1.0: inside the first prior, outside the second
    assert lpost_a(t) > -1e15
    assert lpost_b(t) == pytest.approx(-1e16)


def test_sampling_many_posteriors_compiles_once():
    parest = PSDParEst(None)
    parest.sample(_posterior(0), [2.0, 1.5, 1.0], seed=0, **SHORT)  # compiles
    sampler_entries = _compiled_sampler.cache_info().currsize
    fit = compiled("fit_summary")
    fit_entries = fit._cache_size()
    kernels = _compiled_sampler.cache_info()
    results = []
    for seed in range(1, 4):
        # a new spectrum, a new model instance and new prior lambdas each time
        results.append(parest.sample(_posterior(seed), [2.0, 1.5, 1.0], seed=seed, **SHORT))
    assert _compiled_sampler.cache_info().currsize == sampler_entries
    assert _compiled_sampler.cache_info().hits >= kernels.hits + 3
    assert fit._cache_size() == fit_entries
    for res in results:
        assert res.samples.shape == (300, 3)
        assert np.all(np.isfinite(res.samples))


class _FailingFit(PSDParEst):
    def fit(self, lpost, t0, neg=True, scipy_optimize_options=None):
        raise RuntimeError("Fitting unsuccessful! (a test double)")


def test_a_failed_map_fit_starts_the_chains_at_t0_with_a_warning():
    lpost = _posterior(7)
    with pytest.warns(RuntimeWarning, match="preliminary MAP fit of sample.. failed"):
        res = _FailingFit(None).sample(lpost, [2.0, 1.5, 1.0], seed=3, **SHORT)
    assert res.samples.shape == (300, 3)
    assert np.all(np.isfinite(res.samples))
    # the chains found the posterior: the mean is near the truth
    assert abs(res.mean[1] - 1.5) < 0.5


def test_a_start_outside_the_prior_support_is_refused():
    with pytest.raises(ValueError, match="log-posterior is not finite at t0"):
        PSDParEst(None).sample(_posterior(8), [25.0, 1.5, 1.0], seed=0, **SHORT)
