"""Importing stingray_jax must not change global state or initialise a JAX backend.

Each check runs in a fresh interpreter: this test process has already imported JAX and
initialised its backends.
"""

import functools
import json
import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent(
    """
    import json, sys, warnings
    import numpy as np
    import jax
    import jax._src.xla_bridge as xb

    before = {
        "x64": bool(jax.config.jax_enable_x64),
        "geterr": np.geterr(),
        "filters": [repr(f) for f in warnings.filters],
    }
    assert not xb._backends, "backend initialised before the import under test"

    import stingray_jax
    for name in sys.argv[1:]:
        __import__(name)

    after = {
        "x64": bool(jax.config.jax_enable_x64),
        "geterr": np.geterr(),
        "filters": [repr(f) for f in warnings.filters],
    }
    print(json.dumps({"before": before, "after": after, "backends": sorted(xb._backends)}))
    """
)

# Submodules that must be as clean as the package itself. Later capabilities append theirs.
CLEAN_MODULES = [
    "stingray_jax",
    "stingray_jax.cli",
    "stingray_jax.likelihoods",
    "stingray_jax.optimize",
    "stingray_jax.modeling",
    "stingray_jax.batch",
    "stingray_jax.models",
    "stingray_jax.models.psd",
    "stingray_jax.models.bridge",
    "stingray_jax.models.registry",
    "stingray_jax.models.timing",
    "stingray_jax.models.lightcurve",
    "stingray_jax.examples",
    "stingray_jax.examples.nbody",
    "stingray_jax.examples.hmc",
    "stingray_jax.examples.deconvolution",
    "stingray_jax.sampling",
    "stingray_jax.fourier",
    "stingray_jax.spectra",
    "stingray_jax.gp",
    "stingray_jax.gp.nested",
    "stingray_jax.gp.inference",
    "stingray_jax.modeling.gpmodeling",
    "stingray_jax.powerspectrum",
    "stingray_jax.crossspectrum",
    "stingray_jax.lombscargle",
    # a module mirrored from Stingray (its import restores the warning filters)
    "stingray_jax.events",
    "stingray_jax.pulse",
    "stingray_jax.pulse.search",
    "stingray_jax.pulse._statistics",
]


@functools.cache
def _probe(*modules):
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *modules],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", CLEAN_MODULES)
def test_import_does_not_change_x64(module):
    result = _probe(module)
    assert result["after"]["x64"] == result["before"]["x64"]


def test_probe_detects_an_x64_change():
    """The probe can fail: gpmodeling's import-time jax_enable_x64 flip would be caught."""
    code = PROBE.replace(
        "import stingray_jax\n",
        "import stingray_jax\njax.config.update('jax_enable_x64', not before['x64'])\n",
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["after"]["x64"] != result["before"]["x64"]


@pytest.mark.parametrize("module", CLEAN_MODULES)
def test_import_does_not_change_numpy_errstate(module):
    result = _probe(module)
    assert result["after"]["geterr"] == result["before"]["geterr"]


@pytest.mark.parametrize("module", CLEAN_MODULES)
def test_import_does_not_change_warning_filters(module):
    result = _probe(module)
    assert result["after"]["filters"] == result["before"]["filters"]


@pytest.mark.parametrize("module", CLEAN_MODULES)
def test_import_creates_no_jax_array(module):
    result = _probe(module)
    assert result["backends"] == []


def test_probe_detects_a_dirty_import():
    """The probe itself must be able to fail: stingray's own import adds warning filters."""
    result = _probe("stingray")
    assert result["after"]["filters"] != result["before"]["filters"]


def test_probe_detects_backend_initialisation():
    """...and creating a JAX array initialises a backend, which the probe sees."""
    code = PROBE.replace("import stingray_jax", "import stingray_jax; jax.numpy.zeros(1)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["backends"] != []
