"""Test configuration shared by the whole suite.

- Four host (CPU) devices are requested before JAX initialises, so that sharding and
  multi-device code paths run on a CPU-only machine.
- The suite runs with JAX's global 64-bit flag off (JAX's default), so that a silent float32
  path in a public function fails its test. Tests that need float64 inside JAX ask for the
  ``x64`` fixture, which enables it in a scope (the global flag is untouched); every test checks
  that the global flag is the same after it as before. ``JAX_ENABLE_X64=1`` in the environment
  (tox's ``-x64`` factor) runs the whole suite in float64 instead.
- The command line keeps compiled programs in a persistent cache; the suite points it at a
  temporary directory (``STINGRAY_JAX_CACHE_DIR``), never at the user's ``~/.cache``, and checks
  that no test leaves JAX's cache setting changed.
- Compiled programs are released after each test module (``jax.clear_caches()``). Every XLA CPU
  executable holds about three memory mappings until it is freed, and the whole suite compiles
  enough programs to pass Linux's default limit of 65530 mappings per process
  (``vm.max_map_count``): XLA then crashed with a segmentation fault while compiling, in
  tests/test_simulate_emmanoulopoulos.py under ``pytest --cov`` (CI, 2026-12-02).
"""

import gc
import os
import tempfile

_DEVICE_FLAG = "--xla_force_host_platform_device_count"
if _DEVICE_FLAG not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_DEVICE_FLAG}=4".strip()

_CACHE_TMP = tempfile.TemporaryDirectory(prefix="stingray_jax_test_cache_")
os.environ["STINGRAY_JAX_CACHE_DIR"] = _CACHE_TMP.name

import jax  # noqa: E402  (must come after XLA_FLAGS is set)
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():
    """Free the compiled programs of a test module when it ends (see the module docstring)."""
    yield
    jax.clear_caches()
    gc.collect()


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


@pytest.fixture(autouse=True)
def _compilation_cache_unchanged():
    """No test may leave JAX's persistent compilation cache turned on (or moved)."""
    before = jax.config.jax_compilation_cache_dir
    yield
    after = jax.config.jax_compilation_cache_dir
    if after != before:
        from stingray_jax import disable_compilation_cache

        disable_compilation_cache()
        jax.config.update("jax_compilation_cache_dir", before)
        pytest.fail(f"jax_compilation_cache_dir changed from {before!r} to {after!r}")


@pytest.fixture
def rng():
    """A seeded NumPy generator (the global NumPy RNG is never used in tests)."""
    return np.random.default_rng(20261123)


def pytest_report_header(config):
    return (
        f"jax {jax.__version__}, devices: {len(jax.devices())} x {jax.default_backend()}, "
        f"jax_enable_x64={jax.config.jax_enable_x64}"
    )
