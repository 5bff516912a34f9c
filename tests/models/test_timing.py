"""Timing models: astropy classes == JAX twins, analytic properties, gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from astropy.modeling import fitting
from astropy.modeling import models as am
from scipy import integrate

from stingray_jax import models as sjm
from stingray_jax.models.registry import get_twin

from ._cases import assert_close
from .test_psd import check_grads_scalar

QPO3 = sjm.qpo_harmonics_model(2)

CASES = {
    "ZeroCenteredLorentz1D": (
        sjm.ZeroCenteredLorentz1D,
        lambda r: (r.uniform(0.01, 0.5), np.exp(r.uniform(-3, 3))),
    ),
    "QPOLorentz1D": (
        sjm.QPOLorentz1D,
        lambda r: (r.uniform(0.01, 0.5), np.exp(r.uniform(-2, 3)), np.exp(r.uniform(-1, 3))),
    ),
    "BendingPowerLaw1D": (
        sjm.BendingPowerLaw1D,
        lambda r: (
            np.exp(r.uniform(-2, 2)),
            np.exp(r.uniform(-3, 2)),
            r.uniform(-1, 2),
            r.uniform(1, 4),
        ),
    ),
    "QPOHarmonics1D": (
        sjm.QPOHarmonics1D,
        lambda r: (
            r.uniform(0.01, 0.5),
            np.exp(r.uniform(-2, 3)),
            np.exp(r.uniform(0, 3)),
            r.uniform(0.01, 0.3),
        ),
    ),
    "QPOHarmonics2_1D": (
        QPO3,
        lambda r: (
            r.uniform(0.01, 0.5),
            np.exp(r.uniform(-2, 3)),
            np.exp(r.uniform(0, 3)),
            r.uniform(0.01, 0.3),
            r.uniform(0.01, 0.3),
        ),
    ),
}


def _freq(rng, n=300):
    return np.sort(np.exp(rng.uniform(np.log(1e-4), np.log(1e3), n)))


@pytest.mark.parametrize("name", sorted(CASES))
def test_twin_equals_astropy_class(name, x64, rng):
    cls, draw = CASES[name]
    twin = jax.jit(get_twin(cls).function)
    for _ in range(20):
        params = draw(rng)
        x = _freq(rng)
        got = twin(jnp.asarray(x), *params)
        assert_close(got, cls(*params)(x), 1e-12)
        jm = sjm.from_astropy(cls(*params))
        assert_close(jm(jm.p0, x), cls(*params)(x), 1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32(name, rng):
    cls, draw = CASES[name]
    twin = get_twin(cls).function
    with jax.enable_x64(False):
        params = draw(rng)
        x = _freq(rng)
        got = twin(jnp.asarray(x, jnp.float32), *(jnp.float32(p) for p in params))
        assert got.dtype == jnp.float32
        expected = cls(*params)(x)
        ok = (expected > 1e-30) & (expected < 1e30)
        assert_close(np.asarray(got)[ok], expected[ok], 2e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_grads_order_2(name, x64, rng):
    cls, draw = CASES[name]
    check_grads_scalar(get_twin(cls).function, draw(rng), (0.4,))


@pytest.mark.parametrize("name", sorted(CASES))
def test_vmap_equals_loop(name, x64, rng):
    cls, draw = CASES[name]
    twin = get_twin(cls).function
    batch = jnp.asarray([draw(rng) for _ in range(5)])
    x = jnp.asarray(_freq(rng, 20))
    np.testing.assert_allclose(
        jax.vmap(lambda p: twin(x, *p))(batch), jnp.stack([twin(x, *p) for p in batch])
    )


def test_qpo_lorentzian_conventions(x64):
    """Belloni+2002: integral over all frequencies = rms^2; FWHM = nu0 / Q; peak at nu0."""
    rms, nu0, q = 0.13, 3.0, 4.0
    f = lambda v: float(sjm.qpo_lorentz(v, rms, nu0, q))  # noqa: E731
    total, _ = integrate.quad(f, -np.inf, np.inf, points=None)
    np.testing.assert_allclose(total, rms**2, rtol=1e-8)
    positive, _ = integrate.quad(f, 0, np.inf)
    np.testing.assert_allclose(positive, rms**2 * (0.5 + np.arctan(2 * q) / np.pi), rtol=1e-8)
    half = nu0 / (2 * q)
    np.testing.assert_allclose(f(nu0 + half), f(nu0) / 2, rtol=1e-13)
    np.testing.assert_allclose(f(nu0 - half), f(nu0) / 2, rtol=1e-13)
    # the QPO is astropy's Lorentz1D with amplitude rms^2 / (pi Delta), fwhm = nu0 / Q
    x = np.linspace(0, 10, 101)
    ref = am.Lorentz1D(rms**2 / (np.pi * half), nu0, 2 * half)(x)
    np.testing.assert_allclose(sjm.qpo_lorentz(x, rms, nu0, q), ref, rtol=1e-13)


def test_zero_centered_lorentzian_conventions(x64):
    rms, delta = 0.2, 0.7
    f = lambda v: float(sjm.zero_centered_lorentz(v, rms, delta))  # noqa: E731
    positive, _ = integrate.quad(f, 0, np.inf)
    np.testing.assert_allclose(positive, rms**2 / 2, rtol=1e-8)
    np.testing.assert_allclose(f(delta), f(0.0) / 2, rtol=1e-14)
    # nu * P(nu) peaks at nu_max = delta
    nu = np.linspace(0.01, 5, 100001)
    assert abs(nu[np.argmax(nu * sjm.zero_centered_lorentz(nu, rms, delta))] - delta) < 1e-4


def test_bending_power_law_equals_mchardy_form_and_never_overflows(x64):
    a_prime, nu_b, a_low, a_high = 1e-3, 2e-3, 1.0, 2.0
    nu = np.logspace(-5, 0, 51)
    mchardy = a_prime * nu**-a_low / (1 + (nu / nu_b) ** (a_high - a_low))
    amplitude = a_prime * nu_b**-a_low
    np.testing.assert_allclose(
        sjm.bending_power_law(nu, amplitude, nu_b, a_low, a_high), mchardy, rtol=1e-13
    )
    extreme = jnp.asarray([1e-300, 1e300])
    values = sjm.bending_power_law(extreme, 1.0, 1.0, 1.0, 3.0)
    np.testing.assert_allclose(values, [1e300, 0.0], rtol=1e-12)
    grads = jax.jacfwd(lambda p: sjm.bending_power_law(jnp.asarray([1e-50, 1e50]), *p))(
        jnp.asarray([1.0, 1.0, 1.0, 3.0])
    )
    assert np.all(np.isfinite(grads))


def test_qpo_harmonics_is_a_sum_of_qpos(x64, rng):
    x = _freq(rng)
    model = QPO3(0.1, 2.0, 8.0, 0.05, 0.02)
    ref = (
        sjm.QPOLorentz1D(0.1, 2.0, 8.0)
        + sjm.QPOLorentz1D(0.05, 4.0, 8.0)
        + sjm.QPOLorentz1D(0.02, 6.0, 8.0)
    )
    assert_close(model(x), ref(x), 1e-13)
    assert QPO3.param_names == ("rms", "nu0", "q", "rms_2", "rms_3")
    assert sjm.qpo_harmonics_model(2) is QPO3
    assert sjm.QPOHarmonics1D.param_names == ("rms", "nu0", "q", "rms_2")


def test_qpo_harmonics_model_bad_input():
    with pytest.raises(ValueError, match="at least 1"):
        sjm.qpo_harmonics_model(0)
    with pytest.raises(TypeError, match="integer"):
        sjm.qpo_harmonics_model(1.5)


def test_astropy_classes_fit_in_astropy(x64):
    """The new classes are ordinary Fittable1DModels: astropy's fitters recover parameters."""
    x = np.linspace(0.1, 10, 200)
    truth = sjm.QPOLorentz1D(0.1, 3.0, 6.0) + sjm.BendingPowerLaw1D(0.02, 1.0, 0.5, 2.0)
    y = truth(x)
    start = sjm.QPOLorentz1D(0.12, 2.9, 5.0) + sjm.BendingPowerLaw1D(0.025, 1.2, 0.6, 2.2)
    fit = fitting.TRFLSQFitter()(start, x, y, maxiter=2000)
    np.testing.assert_allclose(fit.parameters, truth.parameters, rtol=1e-5)
    jm = sjm.from_astropy(start)
    assert_close(jm(fit.parameters, x), y, 1e-7)
