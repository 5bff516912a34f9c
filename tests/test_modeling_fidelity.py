"""Regression tests of defects found by stress-testing the modeling adapters (issue 11)."""

import concurrent.futures
import warnings

import numpy as np
import pytest
from astropy.modeling.models import Const1D, Polynomial1D, PowerLaw1D

from stingray_jax import modeling as sjm


def test_polynomial_domain_and_window_are_part_of_the_cache_key():
    x = np.linspace(0.5, 5.0, 50)
    y = np.full(x.size, 3.0)
    a = Polynomial1D(2, c0=1.0, c1=0.5, c2=0.1)
    b = Polynomial1D(2, c0=1.0, c1=0.5, c2=0.1, domain=(0.0, 10.0), window=(-1.0, 1.0))
    la = sjm.GaussianLogLikelihood(x, y, 1.0, a)
    lb = sjm.GaussianLogLikelihood(x, y, 1.0, b)
    np.testing.assert_allclose(la.evaluate_model(a.parameters), a(x), rtol=1e-12)
    np.testing.assert_allclose(lb.evaluate_model(b.parameters), b(x), rtol=1e-12)
    assert not np.allclose(a(x), b(x))


def test_bounds_set_after_the_likelihood_is_built_are_used():
    rng = np.random.default_rng(3)
    freq = np.linspace(0.02, 5.0, 300)
    model = PowerLaw1D(2.0, 1.0, 1.5) + Const1D(1.5)
    model.x_0_0.fixed = True
    power = model(freq) * rng.exponential(size=freq.size)
    lpost = sjm.PSDLogLikelihood(freq, power, model)
    free = sjm.PSDParEst(None, max_post=False).fit(lpost, [2.0, 1.5, 1.5])
    model.alpha_0.bounds = (0.0, free.p_opt[1] - 0.2)  # after the likelihood was built
    res = sjm.PSDParEst(None, max_post=False).fit(lpost, [2.0, free.p_opt[1] - 0.3, 1.5])
    assert res.p_opt[1] <= free.p_opt[1] - 0.2 + 1e-12


def test_building_likelihoods_from_threads():
    # 4 threads x 150 new likelihoods (600 builds, more than the 64-entry model cache holds,
    # so entries are evicted while other threads read): no error, and each likelihood has
    # the JAX model of its own astropy model
    freq = np.linspace(0.02, 5.0, 64)

    def build(k):
        out = []
        for j in range(150):
            model = PowerLaw1D(1.0 + k + j / 1000.0, 1.0, 1.5)
            ll = sjm.PSDLogLikelihood(freq, model(freq), model)
            out.append((ll.npar, float(ll._jm.p0[0]), 1.0 + k + j / 1000.0))
        return out

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(build, range(4)))
    assert sum(len(r) for r in results) == 600
    for r in results:
        for npar, got, want in r:
            assert npar == 3
            assert got == want


def test_fits_from_threads_equal_serial_fits_bitwise():
    rng = np.random.default_rng(11)
    freq = np.linspace(0.02, 5.0, 128)
    truth = PowerLaw1D(2.0, 1.0, 1.5) + Const1D(1.0)
    truth.x_0_0.fixed = True
    powers = truth(freq) * rng.exponential(size=(8, freq.size))

    def fit(k):
        model = PowerLaw1D(2.0, 1.0, 1.5) + Const1D(1.0)
        model.x_0_0.fixed = True
        lpost = sjm.PSDLogLikelihood(freq, powers[k], model)
        res = sjm.PSDParEst(None, max_post=False).fit(lpost, [2.0, 1.5, 1.0])
        return res.p_opt, res.cov, res.result

    serial = [fit(k) for k in range(8)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(fit, range(8)))
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        assert a[2] == b[2]


def test_sample_leaves_warning_filters_alone():
    rng = np.random.default_rng(5)
    freq = np.linspace(0.02, 5.0, 100)
    model = Const1D(2.0)
    power = model(freq) * rng.exponential(size=freq.size)
    lpost = sjm.PSDPosterior(
        freq, power, model, priors={"amplitude": lambda a: ((a > 0) & (a < 10)) / 10.0}
    )
    before = list(warnings.filters)
    sjm.PSDParEst(None).sample(
        lpost, [2.0], num_chains=1, num_warmup=20, num_samples=20, print_results=False
    )
    assert list(warnings.filters) == before


def test_likelihood_and_results_are_numpy_float64():
    freq = np.linspace(0.02, 5.0, 50)
    model = Const1D(2.0)
    ll = sjm.PSDLogLikelihood(freq, model(freq), model)
    assert type(ll([2.0])) is np.float64
    res = sjm.PSDParEst(None, max_post=False).fit(ll, [1.5])
    assert type(res.result) is np.float64


@pytest.mark.parametrize("bad", [-1, 2.5])
def test_n_restarts_checked(bad):
    with pytest.raises(ValueError, match="n_restarts"):
        sjm.ParameterEstimation(n_restarts=bad)


def test_fit_crossspectrum_uses_the_real_part_of_complex_errors():
    """An averaged cross spectrum's power_err is err_re + 1j err_im: the fit's errors are
    err_re (no ComplexWarning, a real objective), the same as real errors given directly."""
    import types
    import warnings

    from astropy.modeling.models import Const1D, Lorentz1D

    from stingray_jax.modeling import GaussianLogLikelihood, PSDParEst
    from stingray_jax.modeling.scripts import fit_crossspectrum

    rng = np.random.default_rng(3)
    freq = np.linspace(0.1, 10.0, 300)
    truth = Lorentz1D(5.0, 3.0, 0.8) + Const1D(1.0)
    err_re = 0.3 + 0.1 * rng.random(freq.size)
    err_im = 2.0 * err_re  # larger: Stingray's complex weights would be negative here
    power = (
        truth(freq) + err_re * rng.normal(size=freq.size) + 1j * err_im * rng.normal(size=freq.size)
    )
    cs = types.SimpleNamespace(freq=freq, power=power, power_err=err_re + 1j * err_im, m=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ComplexWarning would fail here
        _, res = fit_crossspectrum(cs, Lorentz1D(4.0, 3.1, 1.0) + Const1D(1.2))
    assert np.isrealobj(res.result)
    assert res.converged
    ll = GaussianLogLikelihood(freq, np.abs(power), err_re, Lorentz1D(4.0, 3.1, 1.0) + Const1D(1.2))
    ref = PSDParEst(None).fit(ll, [4.0, 3.1, 1.0, 1.2])
    np.testing.assert_allclose(res.p_opt, ref.p_opt, rtol=1e-10)
    np.testing.assert_allclose(res.result, ref.result, rtol=1e-12)
