"""The model functions and JaxModel compute in float64 for NumPy input, with x64 off."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from astropy.modeling import models as am

from stingray_jax import models
from stingray_jax.models import from_astropy, lightcurve

from .._utils import assert_allclose, assert_dtype

X = np.linspace(0.1, 3.0, 7)


@pytest.fixture(autouse=True)
def _x64_off():
    assert not jax.config.jax_enable_x64


@pytest.mark.parametrize(
    ("function", "astropy_model"),
    [
        (models.power_law, am.PowerLaw1D(2.0, 1.0, 1.7)),
        (models.lorentz, am.Lorentz1D(2.0, 1.0, 0.3)),
        (models.smoothly_broken_power_law, am.SmoothlyBrokenPowerLaw1D(2.0, 1.0, 1.2, 2.5, 0.3)),
        (models.log_parabola, am.LogParabola1D(2.0, 1.0, 1.5, 0.2)),
        (models.gaussian, am.Gaussian1D(2.0, 1.0, 0.5)),
    ],
)
def test_twins_float64_for_numpy_input(function, astropy_model):
    params = [float(getattr(astropy_model, n).value) for n in astropy_model.param_names]
    out = function(X, *params)
    assert isinstance(out, np.ndarray)
    assert_dtype(out, np.float64)
    assert_allclose(out, astropy_model(X), rtol=1e-13)
    # JAX arrays keep their dtype (float32 with the flag off).
    assert function(jnp.asarray(X), *params).dtype == jnp.float32


def test_jax_model_float64_for_numpy_input():
    model = am.PowerLaw1D(2.0, 1.0, 1.7) + am.Const1D(0.5)
    jm = from_astropy(model)
    params = np.array([getattr(model, n).value for n in jm.free_param_names])
    out = jm(params, X)
    assert_dtype(out, np.float64)
    assert_allclose(out, model(X), rtol=1e-13)
    assert jm(jnp.asarray(params), jnp.asarray(X)).dtype == jnp.float32
    # Under jit nothing is converted: the traced call follows JAX's rules.
    assert jax.jit(jm)(params, X).dtype == jnp.float32
    grad = jax.grad(lambda p: jnp.sum(jm(p, jnp.asarray(X))))(jnp.asarray(params))
    assert grad.dtype == jnp.float32


def test_lightcurve_means_float64():
    t = np.linspace(0, 10, 50)
    out = lightcurve.gaussian(t, 3.0, 5.0, 1.0)
    assert_dtype(out, np.float64)
    assert_allclose(out, 3.0 * np.exp(-((t - 5.0) ** 2) / 2.0), rtol=1e-13)
    mean = lightcurve.get_mean("gaussian", {"A": 3.0, "t0": 5.0, "sig": 1.0})
    assert_dtype(mean(t), np.float64)
