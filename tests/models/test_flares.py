"""The flare profiles as astropy models (`stingray_jax.models.flares`): astropy evaluation,
the registered JAX twins and their gradients, against Stingray's ``gpmodeling`` parameterisation
(`stingray_jax.models.lightcurve`, itself tested against Stingray)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from astropy.modeling.models import Const1D

from stingray_jax._config import x64_scope
from stingray_jax.models import FRED1D, SkewExponential1D, SkewGaussian1D, from_astropy
from stingray_jax.models import lightcurve as lc

CASES = [
    (FRED1D, (30.0, 12.0, 3.0, 1.5), lc.fred),
    (SkewGaussian1D, (20.0, 40.0, 3.0, 9.0), lc.skew_gaussian),
    (SkewExponential1D, (20.0, 40.0, 2.0, 3.0), lc.skew_exponential),
]
T = np.linspace(0.5, 99.5, 100)


@pytest.mark.parametrize(("cls", "params", "function"), CASES)
def test_astropy_evaluation_is_stingrays_shape(cls, params, function):
    model = cls(*params)
    assert model.param_names == lc.MEAN_PARAMETERS[function.__name__]
    np.testing.assert_allclose(model(T), function(T, *params), rtol=1e-14)
    assert np.ndim(model(3.0)) == 0 or np.size(model(3.0)) == 1


@pytest.mark.parametrize(("cls", "params", "function"), CASES)
def test_twin_and_gradients(cls, params, function):
    model = cls(*params) + Const1D(2.0)
    jm = from_astropy(model)
    np.testing.assert_allclose(np.asarray(jm(jm.p0, T)), model(T), rtol=1e-12)
    from jax.test_util import check_grads

    with x64_scope():
        check_grads(lambda p: jm(p, jnp.asarray(T)), (jnp.asarray(jm.p0),), order=1)
        grad = jax.jacfwd(lambda p: jm(p, jnp.asarray(T)))(jnp.asarray(jm.p0))
    assert np.all(np.isfinite(np.asarray(grad)))
