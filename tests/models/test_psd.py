"""The PSD twins equal astropy's models (values, derivatives) and transform under JAX."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from astropy.modeling import models as am
from jax.test_util import check_grads

from stingray_jax import models as sjm
from stingray_jax.models.registry import get_twin

from ._cases import PSD_CASES, SIGNED, assert_close, polynomial_case

PUBLIC_TWINS = {
    am.Lorentz1D: sjm.lorentz,
    am.PowerLaw1D: sjm.power_law,
    am.BrokenPowerLaw1D: sjm.broken_power_law,
    am.SmoothlyBrokenPowerLaw1D: sjm.smoothly_broken_power_law,
    am.Const1D: sjm.constant,
    am.Gaussian1D: sjm.gaussian,
    am.ExponentialCutoffPowerLaw1D: sjm.exponential_cutoff_power_law,
    am.LogParabola1D: sjm.log_parabola,
    am.Linear1D: sjm.linear,
    am.Polynomial1D: sjm.polynomial,
}


def test_every_public_twin_is_registered():
    for cls, fn in PUBLIC_TWINS.items():
        assert get_twin(cls).function is fn


@pytest.mark.parametrize("name", sorted(PSD_CASES))
def test_twin_equals_astropy_float64(name, x64, rng):
    cls, draw, xdraw = PSD_CASES[name]
    twin = get_twin(cls).function
    for _ in range(25):
        params = draw(rng)
        x = xdraw(rng)
        expected = cls(*params)(x)
        got = jax.jit(twin)(jnp.asarray(x), *map(jnp.asarray, params))
        assert got.dtype == jnp.float64
        assert_close(got, expected, 1e-12, signed=name in SIGNED)


def test_smoothly_broken_power_law_hits_all_branches(x64):
    """The threshold branches (|log t| > 30) and the NaN -> 0 rule match astropy."""
    params = (2.0, 1.0, -1.5, 2.5, 0.02)
    x = np.concatenate([-np.logspace(-2, 2, 5), np.logspace(-150, 150, 301)])
    logt = np.log(np.abs(x)) / params[-1]
    assert (logt > 30).any()
    assert (logt < -30).any()
    assert (np.abs(logt) <= 30).any()
    with np.errstate(invalid="ignore"):
        expected = am.SmoothlyBrokenPowerLaw1D(*params)(x)
    twin = jax.jit(sjm.smoothly_broken_power_law)
    got = twin(jnp.asarray(x), *params)
    # XLA on CPU flushes subnormal results (< 2.2e-308) to zero: hence the tiny atol.
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)
    assert np.all(np.asarray(got)[:5] == 0)
    for jac in (jax.jacfwd, jax.jacrev):
        grads = jac(lambda p: twin(jnp.asarray(x), *p))(jnp.asarray(params))
        assert np.all(np.isfinite(grads))


def test_polynomial_equals_astropy_float64(x64, rng):
    for _ in range(40):
        model = polynomial_case(rng)
        x = rng.uniform(-4, 4, 100)
        kwargs = {"domain": tuple(model.domain), "window": tuple(model.window)}
        got = sjm.polynomial(jnp.asarray(x), *model.parameters, **kwargs)
        assert_close(got, model(x), 1e-12, signed=True)


def test_polynomial_bad_input():
    with pytest.raises(ValueError, match="at least one coefficient"):
        sjm.polynomial(1.0)
    with pytest.raises(ValueError, match="tuple of size 2"):
        sjm.polynomial(1.0, 1.0, domain=(0, 1, 2), window=(0, 1))


@pytest.mark.parametrize("name", sorted(PSD_CASES))
def test_twin_float32_tolerance(name, rng):
    """In float32 the twins agree with astropy's float64 values to float32 precision."""
    cls, draw, xdraw = PSD_CASES[name]
    twin = get_twin(cls).function
    with jax.enable_x64(False):
        for _ in range(10):
            params = draw(rng)
            x = xdraw(rng)
            expected = cls(*params)(x)
            got = twin(jnp.asarray(x, jnp.float32), *(jnp.float32(p) for p in params))
            assert got.dtype == jnp.float32
            # Compare where float32 can represent the value (no under/overflow).
            ok = (np.abs(expected) < 1e30) & ((np.abs(expected) > 1e-30) | (name in SIGNED))
            assert ok.mean() > 0.5
            # power laws amplify rounding of log(x) by |alpha log x| <~ 30: 30 * 6e-8 ~ 2e-6
            assert_close(np.asarray(got)[ok], expected[ok], 2e-5, signed=name in SIGNED)


GRAD_X = np.array([0.31, 0.77, 1.93, 3.71, 6.13])


def check_grads_scalar(fn, params, xs, **kwargs):
    """check_grads (order 2, fwd and rev) at scalar points: eager scalar ops are compiled once
    and shared by every twin, which keeps this affordable on CPU."""
    for xv in xs:
        args = (*(jnp.float64(v) for v in params), jnp.float64(xv))
        check_grads(lambda *a: fn(a[-1], *a[:-1], **kwargs), args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", sorted(PSD_CASES))
def test_check_grads_order_2(name, x64, rng):
    cls, draw, _ = PSD_CASES[name]
    params = draw(rng)
    # keep finite differences away from BrokenPowerLaw1D's kink at x_break
    xs = [x for x in (0.77, 3.71) if len(params) < 2 or abs(x / params[1] - 1) > 0.05]
    check_grads_scalar(get_twin(cls).function, params, xs[:1])


def test_check_grads_order_2_polynomial(x64):
    kwargs = {"domain": (0.0, 8.0), "window": (-1.0, 1.0)}
    check_grads_scalar(sjm.polynomial, (0.5, -1.0, 0.3, 0.1), (3.71,), **kwargs)


@pytest.mark.parametrize("name", sorted(PSD_CASES))
def test_jacobian_equals_astropy_fit_deriv(name, x64, rng):
    cls, draw, xdraw = PSD_CASES[name]
    twin = get_twin(cls).function
    for _ in range(5):
        params = draw(rng)
        x = xdraw(rng)
        expected = np.array(cls.fit_deriv(x, *params), dtype=np.float64)
        expected = np.broadcast_to(expected, (len(params), x.size))
        jac = jax.jit(jax.jacfwd(lambda p, x: twin(x, *p)))(jnp.asarray(params), jnp.asarray(x))
        scale = np.max(np.abs(expected), axis=1, keepdims=True)
        err = np.abs(np.asarray(jac).T - expected)
        assert np.all(err <= 1e-9 * np.abs(expected) + 1e-12 * scale), (err / scale).max()


def test_polynomial_jacobian_equals_fit_deriv(x64, rng):
    model = am.Polynomial1D(3, c0=1.0, c1=-2.0, c2=0.5, c3=0.25)
    x = rng.uniform(-3, 3, 50)
    expected = model.fit_deriv(x, *model.parameters)
    jac = jax.jacfwd(lambda p: sjm.polynomial(jnp.asarray(x), *p))(jnp.asarray(model.parameters))
    np.testing.assert_allclose(np.asarray(jac), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(PSD_CASES))
def test_vmap_over_parameters_equals_loop(name, x64, rng):
    cls, draw, xdraw = PSD_CASES[name]
    twin = get_twin(cls).function
    batch = jnp.asarray(np.array([draw(rng) for _ in range(6)]))
    x = jnp.asarray(xdraw(rng)[:30])
    twin = jax.jit(twin)
    batched = jax.vmap(lambda p: twin(x, *p))(batch)
    looped = jnp.stack([twin(x, *p) for p in batch])
    np.testing.assert_allclose(batched, looped, rtol=1e-14, atol=0)
