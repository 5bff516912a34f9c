import jax
import jax.numpy as jnp
import numpy as np
import pytest

import stingray_jax
from stingray_jax._config import preserve_global_state, x64_scope


def test_version_is_a_string():
    assert isinstance(stingray_jax.__version__, str)
    assert stingray_jax.__version__[0].isdigit()


def test_enable_x64_round_trip():
    previous = stingray_jax.enable_x64(True)
    try:
        assert jax.config.jax_enable_x64 is True
        assert jnp.zeros(1).dtype == jnp.float64
        assert stingray_jax.enable_x64(False) is True
        assert jnp.zeros(1).dtype == jnp.float32
    finally:
        stingray_jax.enable_x64(previous)


def test_enable_x64_rejects_non_bool():
    with pytest.raises(TypeError, match="True or False"):
        stingray_jax.enable_x64("yes")


def test_x64_scope_is_local():
    before = jax.config.jax_enable_x64
    with x64_scope():
        assert jnp.ones(3).dtype == jnp.float64
    assert jax.config.jax_enable_x64 == before


def test_preserve_global_state_restores_errstate_and_filters():
    import warnings

    err = np.geterr()
    filters = list(warnings.filters)
    with preserve_global_state():
        np.seterr(all="ignore")
        warnings.simplefilter("ignore", UserWarning)
    assert np.geterr() == err
    assert warnings.filters == filters


def test_unknown_attribute_raises():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        stingray_jax.nope  # noqa: B018


def test_lazy_submodule_access():
    assert stingray_jax.cli.main is not None


@pytest.mark.slow
def test_slow_tests_run_by_default(request):
    """`slow` tests run unless deselected (pytest-astropy's skip-slow plugin is disabled)."""
    assert not request.config.pluginmanager.has_plugin("skip_slow")
