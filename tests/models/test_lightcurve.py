"""Light-curve shapes equal Stingray's gpmodeling mean functions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from stingray_jax._config import preserve_global_state
from stingray_jax.models import lightcurve as lc

from .test_psd import check_grads_scalar


@pytest.fixture(scope="module")
def gpmodeling():
    """Stingray's gpmodeling, imported without letting it flip jax_enable_x64 for good."""
    previous = bool(jax.config.jax_enable_x64)
    try:
        with preserve_global_state():
            from stingray.modeling import gpmodeling
    finally:
        jax.config.update("jax_enable_x64", previous)
    return gpmodeling


STINGRAY = {
    "gaussian": "_gaussian",
    "exponential": "_exponential",
    "constant": "_constant",
    "skew_gaussian": "_skew_gaussian",
    "skew_exponential": "_skew_exponential",
    "fred": "_fred",
}


def draw(name, rng, n_components):
    size = None if n_components is None else n_components
    values = {
        "A": rng.uniform(0.5, 5, size),
        "t0": rng.uniform(2, 8, size),
        "sig": rng.uniform(0.3, 2, size),
        "sig1": rng.uniform(0.3, 2, size),
        "sig2": rng.uniform(0.3, 2, size),
        "delta": rng.uniform(0.1, 1, size),
        "phi": rng.uniform(0.5, 3, size),
    }
    if name == "constant":
        return {"A": rng.uniform(0.5, 5)}
    return {k: values[k] for k in lc.MEAN_PARAMETERS[name]}


@pytest.mark.parametrize("name", sorted(STINGRAY))
@pytest.mark.parametrize("n_components", [None, 3])
def test_equals_stingray(name, n_components, gpmodeling, x64, rng):
    stingray_fn = getattr(gpmodeling, STINGRAY[name])
    fn = getattr(lc, name)
    t = jnp.linspace(0.0, 10.0, 257)
    for _ in range(3):
        params = draw(name, rng, n_components)
        expected = stingray_fn(t, {k: jnp.asarray(v) for k, v in params.items()})
        got = jax.jit(fn)(t, *(jnp.asarray(params[k]) for k in lc.MEAN_PARAMETERS[name]))
        assert got.dtype == jnp.float64
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)
        mean = lc.get_mean(name, params)
        np.testing.assert_allclose(mean(t), gpmodeling.get_mean(name, params)(t), rtol=1e-12)


_FLAG_AT_IMPORT = bool(jax.config.jax_enable_x64)


def test_importing_gpmodeling_in_fixture_restored_the_flag(gpmodeling):
    assert gpmodeling.jax_avail
    assert bool(jax.config.jax_enable_x64) is _FLAG_AT_IMPORT


@pytest.mark.parametrize("name", sorted(STINGRAY))
def test_check_grads_order_2(name, x64, rng):
    params = draw(name, rng, None)
    values = [params[k] for k in lc.MEAN_PARAMETERS[name]]
    check_grads_scalar(getattr(lc, name), values, (5.1,))


def test_skew_exponential_gradient_is_finite_far_from_the_peak(x64):
    t = jnp.asarray([-5000.0, 0.0, 5000.0])
    grads = jax.jacfwd(lambda p: lc.skew_exponential(t, *p))(jnp.asarray([1.0, 0.0, 1.0, 1.0]))
    assert np.all(np.isfinite(grads))


@pytest.mark.parametrize("name", sorted(STINGRAY))
def test_vmap_equals_loop(name, x64, rng):
    fn = getattr(lc, name)
    batch = [draw(name, rng, None) for _ in range(4)]
    stacked = [jnp.asarray([b[k] for b in batch]) for k in lc.MEAN_PARAMETERS[name]]
    t = jnp.linspace(0, 10, 50)
    batched = jax.vmap(lambda *a: fn(t, *a))(*stacked)
    looped = jnp.stack([fn(t, *(b[k] for k in lc.MEAN_PARAMETERS[name])) for b in batch])
    np.testing.assert_allclose(batched, looped, rtol=1e-14)


def test_float32(rng):
    with jax.enable_x64(False):
        t = jnp.linspace(0.0, 10.0, 64, dtype=jnp.float32)
        y = lc.fred(t, jnp.float32(2.0), jnp.float32(4.0), jnp.float32(0.5), jnp.float32(1.0))
        assert y.dtype == jnp.float32
    with jax.enable_x64(True):
        ref = lc.fred(jnp.linspace(0.0, 10.0, 64), 2.0, 4.0, 0.5, 1.0)
    np.testing.assert_allclose(y, ref, rtol=1e-5)


def test_get_mean_bad_input():
    with pytest.raises(ValueError, match="not implemented"):
        lc.get_mean("lorentzian", {})
    with pytest.raises(ValueError, match="takes the parameters"):
        lc.get_mean("gaussian", {"A": 1.0, "t0": 0.0})
