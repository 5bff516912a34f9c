"""The registry: decorator checks, lazy entry-point plugins, broken plugins."""

import importlib.metadata
import types

import jax.numpy as jnp
import numpy as np
import pytest
from astropy.modeling import Fittable1DModel, Parameter
from astropy.modeling import models as am

from stingray_jax.models import ModelPluginWarning, from_astropy, register, registry


class Decay1D(Fittable1DModel):
    amplitude = Parameter(default=1.0)
    tau = Parameter(default=1.0)

    @staticmethod
    def evaluate(x, amplitude, tau):
        return amplitude * np.exp(-x / tau)


@pytest.fixture
def clean_registry(monkeypatch):
    """Restore the registry (and the plugins-loaded flag) after the test."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_PLUGINS_LOADED", False)


class FakeEntryPoint:
    def __init__(self, name, value, target, dist_name):
        self.name = name
        self.value = value
        self._target = target
        self.dist = types.SimpleNamespace(name=dist_name)

    def load(self):
        if isinstance(self._target, Exception):
            raise self._target
        return self._target


def _patch_entry_points(monkeypatch, eps, calls):
    def entry_points(**kwargs):
        calls.append(kwargs)
        assert kwargs == {"group": "stingray_jax.models"}
        return eps

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def test_register_custom_model(clean_registry):
    @register(Decay1D)
    def decay(x, amplitude, tau):
        return amplitude * jnp.exp(-x / tau)

    model = Decay1D(2.0, 0.5) + am.Const1D(1.0)
    jm = from_astropy(model)
    x = np.linspace(0, 3, 7)
    np.testing.assert_allclose(jm(jm.p0, x), model(x), rtol=1e-6)
    assert registry.registered_models()[Decay1D] is decay


def test_register_checks_its_arguments(clean_registry):
    with pytest.raises(TypeError, match="astropy model class"):
        register(int)
    with pytest.raises(TypeError, match="must take x and then the 2 parameters"):

        @register(Decay1D)
        def wrong(x, amplitude):
            return amplitude

    with pytest.raises(TypeError, match="decorates a function"):
        register(Decay1D)(3)


def test_replacing_a_twin_warns(clean_registry):
    @register(Decay1D)
    def first(x, amplitude, tau):
        return amplitude * jnp.exp(-x / tau)

    with pytest.warns(UserWarning, match="replacing the JAX twin"):

        @register(Decay1D)
        def second(x, amplitude, tau):
            return amplitude * jnp.exp(-x / tau)

    assert registry.get_twin(Decay1D).function is second


def test_entry_point_plugins_load_lazily_and_broken_ones_warn(clean_registry, monkeypatch):
    def plugin_hook():
        @register(Decay1D)
        def decay(x, amplitude, tau):
            return amplitude * jnp.exp(-x / tau)

    module = types.ModuleType("good_plugin_module")  # a module entry point: nothing to call
    good = FakeEntryPoint("decay", "goodpkg.twins:install", plugin_hook, "goodpkg")
    as_module = FakeEntryPoint("mod", "modpkg.twins", module, "modpkg")
    broken = FakeEntryPoint(
        "broken", "brokenpkg.twins", ImportError("No module named 'brokenpkg'"), "brokenpkg"
    )
    calls = []
    _patch_entry_points(monkeypatch, [broken, as_module, good], calls)

    # nothing is loaded until the first lookup
    assert calls == []
    with pytest.warns(ModelPluginWarning, match="brokenpkg") as record:
        jm = from_astropy(Decay1D(3.0, 2.0))
    assert len(record) == 1
    assert "ImportError" in str(record[0].message)
    assert len(calls) == 1
    np.testing.assert_allclose(jm(jm.p0, 1.0), 3.0 * np.exp(-0.5), rtol=1e-6)
    # ... and only once
    from_astropy(am.Const1D(1.0))
    assert len(calls) == 1


def test_plugin_failing_inside_its_hook_warns_and_others_still_work(clean_registry, monkeypatch):
    def bad_hook():
        raise RuntimeError("boom")

    bad = FakeEntryPoint("bad", "badpkg:install", bad_hook, "badpkg")
    _patch_entry_points(monkeypatch, [bad], [])
    with pytest.warns(ModelPluginWarning, match="badpkg.*RuntimeError: boom"):
        jm = from_astropy(am.Lorentz1D(1.0, 0.0, 1.0))
    np.testing.assert_allclose(jm(jm.p0, 0.0), 1.0)
    with pytest.raises(TypeError, match="Decay1D"):
        from_astropy(Decay1D())
