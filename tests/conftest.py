"""Test configuration shared by the whole suite.

- Four host (CPU) devices are requested before JAX initialises, so that sharding and
  multi-device code paths run on a CPU-only machine.
- The suite runs with JAX's global 64-bit flag off (JAX's default), so that a silent float32
  path in a public function fails its test. Tests that need float64 inside JAX ask for the
  ``x64`` fixture, which enables it in a scope (the global flag is untouched); every test checks
  that the global flag is the same after it as before. ``JAX_ENABLE_X64=1`` in the environment
  (tox's ``-x64`` factor) runs the whole suite in float64 instead.
"""

import os

_DEVICE_FLAG = "--xla_force_host_platform_device_count"
if _DEVICE_FLAG not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_DEVICE_FLAG}=4".strip()

import jax  # noqa: E402  (must come after XLA_FLAGS is set)
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def x64():
    """Run the test with JAX in 64-bit mode, restoring the previous mode afterwards."""
    with jax.enable_x64(True):
        yield


@pytest.fixture(autouse=True)
def _global_x64_unchanged():
    """No test (and no code under test) may leave JAX's global 64-bit flag changed."""
    before = bool(jax.config.jax_enable_x64)
    yield
    after = bool(jax.config.jax_enable_x64)
    if after != before:
        jax.config.update("jax_enable_x64", before)  # do not poison the following tests
        pytest.fail(f"jax_enable_x64 changed from {before} to {after} during the test")


@pytest.fixture
def rng():
    """A seeded NumPy generator (the global NumPy RNG is never used in tests)."""
    return np.random.default_rng(20261123)


def pytest_report_header(config):
    return (
        f"jax {jax.__version__}, devices: {len(jax.devices())} x {jax.default_backend()}, "
        f"jax_enable_x64={jax.config.jax_enable_x64}"
    )
