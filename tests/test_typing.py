"""The type annotations of the public API are for type checkers only (issue 16).

jaxtyping and ``stingray_jax._typing`` are imported under ``typing.TYPE_CHECKING`` only, so the
annotated modules import neither at run time, their signatures stay introspectable (the
annotations are strings, ``from __future__ import annotations``), and the package ships the
PEP 561 marker. The type check itself is ``mypy`` in ``tox -e codestyle``.
"""

import inspect
import json
import pathlib
import subprocess
import sys

import stingray_jax

ANNOTATED = [
    "stingray_jax.likelihoods",
    "stingray_jax.fitting",
    "stingray_jax.models",
    "stingray_jax.batch",
    "stingray_jax.sampling",
    "stingray_jax.optimize",
    "stingray_jax.fourier",
    "stingray_jax.pulse.search",
    "stingray_jax.modeling",
]


def test_py_typed_marker_is_shipped():
    assert (pathlib.Path(stingray_jax.__file__).parent / "py.typed").is_file()


def test_annotations_import_nothing_at_run_time():
    code = (
        "import json, sys\n"
        f"for name in {ANNOTATED!r}:\n"
        "    __import__(name)\n"
        "print(json.dumps([m for m in ('jaxtyping', 'stingray_jax._typing') if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_signatures_stay_introspectable():
    from stingray_jax.fitting import fit_pure
    from stingray_jax.likelihoods import psd
    from stingray_jax.models import JaxModel, lorentz

    sig = inspect.signature(fit_pure)
    assert list(sig.parameters)[:4] == ["p0", "jm", "data", "spec"]
    assert sig.parameters["solver"].default == "scoring"
    assert isinstance(sig.parameters["p0"].annotation, str)  # not evaluated at run time
    assert list(inspect.signature(psd).parameters) == ["model", "power", "m", "stingray_compat"]
    # the registry's signature check of a twin (x, then one argument per parameter) still works
    assert list(inspect.signature(lorentz).parameters) == ["x", "amplitude", "x_0", "fwhm"]
    assert "params" in inspect.signature(JaxModel.__call__).parameters
