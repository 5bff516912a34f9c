"""Likelihoods and minimize compute in float64 for NumPy input with JAX's x64 flag off."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from stingray_jax import likelihoods
from stingray_jax.optimize import minimize

from ._utils import assert_allclose, assert_dtype


@pytest.fixture(autouse=True)
def _x64_off():
    assert not jax.config.jax_enable_x64


def test_likelihoods_float64_for_numpy_input(rng):
    model = rng.uniform(1.0, 3.0, 200)
    power = model * rng.exponential(size=200)
    out = likelihoods.gamma(model, power, 3)
    assert_dtype(out, np.float64)
    ref = stats.gamma.logpdf(power, a=3, scale=model / 3).sum()
    assert_allclose(out, ref, rtol=1e-12)
    assert_dtype(likelihoods.psd(model, power, 1), np.float64)
    assert_dtype(likelihoods.gaussian(model, power, 0.5), np.float64)
    # JAX arrays keep their dtype.
    assert likelihoods.whittle(jnp.asarray(model), jnp.asarray(power)).dtype == jnp.float32


def test_minimize_float64_for_numpy_input():
    target = np.array([1.234567891234, -0.987654321987])

    def fun(x):
        return jnp.sum((x - target) ** 2 * jnp.array([1.0, 3.0]))

    res = minimize(fun, np.array([0.0, 0.0]))
    assert_dtype(res.x, np.float64)
    assert_allclose(res.x, target, rtol=1e-10)
    # A traced argument inside args (a vmapped fit with a NumPy start) is not converted.
    batch = jax.vmap(lambda t: minimize(lambda x, a: jnp.sum((x - a) ** 2), np.zeros(2), (t,)).x)
    out = batch(jnp.ones((3, 2)))
    assert out.shape == (3, 2)


def test_large_numpy_input_reaches_jax_through_a_private_aligned_copy(rng):
    from stingray_jax import _config

    x = rng.normal(size=(64, 4096))  # 2 MiB: above _ALIGNED_MIN_BYTES
    assert x.nbytes >= _config._ALIGNED_MIN_BYTES
    with _config.precision(x) as prec:
        y = prec.asarray(x)
        assert y.dtype == jnp.float64
        assert y.unsafe_buffer_pointer() % 64 == 0
        assert y.unsafe_buffer_pointer() != x.ctypes.data
        np.testing.assert_array_equal(np.asarray(y), x)
        x[0, 0] = 1e30  # the caller's array is not aliased
        assert float(y[0, 0]) != 1e30
        ints = prec.asarray(np.arange(2**18))  # integers are converted to the working dtype
        assert ints.dtype == jnp.float64
        assert float(ints[-1]) == 2**18 - 1
    with _config.precision(x, dtype="float32") as prec:
        z = prec.asarray(x)
        assert z.dtype == jnp.float32
        np.testing.assert_array_equal(np.asarray(z), x.astype(np.float32))
