"""Layers: the pure core never imports an adapter or an application; no two modules import each
other.

Two checks of the same rule: a static one (every ``import`` statement of each core module,
including the ones inside functions, which run later) and a dynamic one (importing a core module
and calling into it in a fresh interpreter loads no adapter module).
"""

import ast
import json
import pathlib
import subprocess
import sys
import textwrap

import pytest

import stingray_jax

PACKAGE = pathlib.Path(stingray_jax.__file__).parent

# The pure core (DESIGN.md, "Three layers"): functions of arrays and pytrees.
CORE = [
    "stingray_jax._config",
    "stingray_jax._execution",
    "stingray_jax._validate",
    "stingray_jax.fitting",
    "stingray_jax.likelihoods",
    "stingray_jax.optimize",
    "stingray_jax._solvers",
    "stingray_jax.sampling",
    "stingray_jax.models",
    "stingray_jax.fourier",
    "stingray_jax.gp",
]

# Adapters (Stingray-shaped classes) and applications: the core must not import them.
# (``_mirror``, the lazy "Stingray's name otherwise" fallback of ``stingray_jax.fourier``, is
# namespace machinery that imports no module of ours, so the core may use it.)
FORBIDDEN = (
    "stingray_jax.modeling",
    "stingray_jax.spectra",
    "stingray_jax.powerspectrum",
    "stingray_jax.crossspectrum",
    "stingray_jax.lombscargle",
    "stingray_jax._spectra_common",
    "stingray_jax.pulse",
    "stingray_jax.batch",
    "stingray_jax.cli",
    "stingray_jax._cli_fit",
    "stingray_jax._cli_zsearch",
    "stingray_jax._cli_batch",
    "stingray_jax.examples",
)


def _module_name(path):
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules():
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name, path):
    """Every package module that ``name`` imports, anywhere in its source."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("stingray_jax"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("stingray_jax"):
                continue
            found.add(target)
            for alias in node.names:  # "from . import x" imports the module x
                found.add(f"{target}.{alias.name}")
    modules = _modules()
    return {m for m in found if m in modules and m != name}


def _in(name, prefixes):
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_core_imports_no_adapter_or_application():
    offences = []
    for name, path in _modules().items():
        if not _in(name, CORE):
            continue
        bad = sorted(m for m in _imports(name, path) if _in(m, FORBIDDEN))
        if bad:
            offences.append(f"{name} imports {bad}")
    assert not offences, "core modules import adapters/applications:\n" + "\n".join(offences)


def test_the_static_check_sees_function_level_imports(tmp_path):
    # the check must catch the pattern it exists for: an adapter imported inside a function
    src = tmp_path / "probe.py"
    src.write_text("def f():\n    from .modeling.posterior import Posterior\n    import numpy\n")
    found = _imports("stingray_jax.fitting", src)
    assert found == {"stingray_jax.modeling.posterior"}


def test_no_two_modules_import_each_other():
    modules = _modules()
    graph = {name: _imports(name, path) for name, path in modules.items()}
    pairs = set()
    for a, targets in graph.items():
        for b in targets:
            # a package importing its own submodules (re-exports) is not a cycle
            if a in graph.get(b, ()) and not (b.startswith(a + ".") or a.startswith(b + ".")):
                pairs.add(tuple(sorted((a, b))))
    assert not pairs, f"modules that import each other: {sorted(pairs)}"


PROBE = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import stingray_jax.fitting as F
    from stingray_jax._config import x64_scope
    from stingray_jax.models import JaxModel, from_astropy
    from astropy.modeling.models import Const1D, Lorentz1D

    model = Lorentz1D(2.0, 1.0, 0.5) + Const1D(1.0)
    jm = from_astropy(model)
    freq = np.linspace(0.1, 3.0, 64)
    power = model(freq) * np.random.default_rng(0).exponential(size=freq.size)
    with x64_scope():
        res = F.compiled("fit_summary")(
            jm.p0, jm, {"x": freq, "y": power}, spec=F.LikelihoodSpec("whittle"),
            prior=None, solver="scoring", max_steps=None,
        )
    loaded = sorted(m for m in sys.modules if m.startswith("stingray_jax"))
    print(json.dumps({"loaded": loaded, "converged": bool(res[0].converged)}))
    """
)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_fitting_with_the_core_loads_no_adapter_module():
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=300
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["converged"]
    assert "stingray_jax.fitting" in report["loaded"]
    bad = [m for m in report["loaded"] if _in(m, FORBIDDEN)]
    assert not bad, f"fitting with the core loaded {bad}"
