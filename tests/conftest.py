"""Test configuration shared by the whole suite.

- Four host (CPU) devices are requested before JAX initialises, so that sharding and
  multi-device code paths run on a CPU-only machine.
- Tests that need float64 ask for the ``x64`` fixture, which enables it in a scope (the global
  flag is untouched). ``JAX_ENABLE_X64=1`` in the environment (tox's ``-x64`` factor) runs the
  whole suite in float64 instead.
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


@pytest.fixture
def rng():
    """A seeded NumPy generator (the global NumPy RNG is never used in tests)."""
    return np.random.default_rng(20261123)


def pytest_report_header(config):
    return (
        f"jax {jax.__version__}, devices: {len(jax.devices())} x {jax.default_backend()}, "
        f"jax_enable_x64={jax.config.jax_enable_x64}"
    )
