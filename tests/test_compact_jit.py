"""compact_jit works with every XLA: options the installed version lacks are dropped."""

import jax
import numpy as np

from stingray_jax import optimize


def test_unknown_option_is_dropped(monkeypatch):
    monkeypatch.setattr(
        optimize,
        "_CPU_COMPILE_OPTIONS",
        {"xla_option_that_does_not_exist_anywhere": True, **optimize._CPU_COMPILE_OPTIONS},
    )
    optimize._supported_cpu_options.cache_clear()
    try:
        supported = optimize._supported_cpu_options()
        assert "xla_option_that_does_not_exist_anywhere" not in supported
        f = optimize.compact_jit(lambda x: 2 * x)
        assert float(f(np.float32(1.5))) == 3.0
    finally:
        optimize._supported_cpu_options.cache_clear()


def test_known_options_kept_when_supported():
    """Each kept option compiles a real program (so the probe is not trivially empty or wrong)."""
    for name, value in optimize._supported_cpu_options().items():
        f = jax.jit(lambda x: x * x, compiler_options={name: value})
        assert float(f(np.float32(3.0))) == 9.0
    g = optimize.compact_jit(lambda x, n: x**n, static_argnames="n")
    assert float(g(np.float32(2.0), n=3)) == 8.0
