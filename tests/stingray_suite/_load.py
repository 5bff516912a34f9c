"""Load one of Stingray's installed test modules with its import lines pointed at stingray_jax.

Only lines that import from ``stingray`` are rewritten (``from stingray... import`` and
``import stingray...``); every other line is Stingray's, unchanged, and the line numbers stay the
same, so a traceback points at the right line of the installed file. The module runs with
``__file__`` set to the installed path, so its data files (``stingray/tests/data``) are found.
"""

import ast
import os
import re

_IMPORT = re.compile(r"^(\s*)(from|import)\s+stingray(?=[\s.])")
_BARE = re.compile(r"^(\s*)import\s+stingray\s*$")


def rewrite_imports(source: str) -> str:
    """Point each ``stingray`` import line of ``source`` at ``stingray_jax`` (same line count).

    ``import stingray`` becomes ``import stingray_jax as stingray``; ``from stingray.x import y``
    becomes ``from stingray_jax.x import y``.
    """

    def one(line):
        if _BARE.match(line):
            return _BARE.sub(r"\1import stingray_jax as stingray", line)
        return _IMPORT.sub(r"\1\2 stingray_jax", line)

    return "\n".join(one(line) for line in source.split("\n"))


def load_stingray_tests(filename: str, namespace: dict, config=None) -> str:
    """Execute Stingray's ``stingray/tests/<filename>`` (imports rewritten) into ``namespace``."""
    from stingray_jax._config import preserve_global_state

    with preserve_global_state():
        import stingray

    path = os.path.join(os.path.dirname(stingray.__file__), "tests", filename)
    with open(path) as fh:
        source = rewrite_imports(fh.read())
    tree = ast.parse(source, filename=path)
    try:  # pytest's assertion rewriting, for readable failures (private API; optional)
        from _pytest.assertion.rewrite import rewrite_asserts

        rewrite_asserts(tree, source.encode(), config=config)
    except Exception:  # pragma: no cover - older/newer pytest
        tree = ast.parse(source, filename=path)
    code = compile(tree, path, "exec")
    own_file = namespace.get("__file__")
    namespace["__file__"] = path
    try:
        exec(code, namespace)
    finally:
        namespace["__file__"] = own_file
    return path
