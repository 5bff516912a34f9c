"""Fit programs kept on disk beside the compilation cache, so a new process skips tracing them.

JAX's persistent compilation cache (`stingray_jax.enable_compilation_cache`) keeps the compiled
XLA programs, but every new process still traces and lowers the fit before it can look them up:
about 0.5 s of the first fit on a laptop CPU. With the cache enabled through stingray_jax, the
fit program of `stingray_jax.fitting.fit_summary` is also exported (`jax.export`) and written,
serialised, to ``<cache dir>/stingray_jax_programs``; a later process that fits the same model
structure to data of the same shapes loads it and calls it (the compiled program then comes from
JAX's cache): the first fit drops from ~0.65 s to ~0.2 s. The results are bitwise those of the
traced program.

A program is stored only when its key describes everything that shapes it: the package's own
source code (a hash of every module), the JAX and jaxlib versions and backend, the likelihood,
solver and step limit, the shapes and dtypes of the parameters and data, and the model's
structure by the *names* of its functions. That last part is safe only for stingray_jax's own
model functions (a user's function could compute something else under the same name), so models
with another function, a tied parameter or a prior are never stored: they take the ordinary
path. Serialising needs the ``flatbuffers`` package; without it nothing is stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pathlib
import tempfile
import threading
from typing import Any

import numpy as np

__all__ = ["stored_fit_program"]

_SUBDIR = "stingray_jax_programs"
_FORMAT = 1  # bump when the layout of the stored program's inputs or outputs changes
_MEMO: dict[str, Any] = {}
_LOCK = threading.Lock()
_SOURCE_HASH: list[str] = []


class _NotStorable(Exception):
    pass


def _source_hash() -> str:
    """sha256 of every module of the package (a changed line means another program)."""
    if not _SOURCE_HASH:
        root = pathlib.Path(__file__).parent
        digest = hashlib.sha256()
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
        _SOURCE_HASH.append(digest.hexdigest())
    return _SOURCE_HASH[0]


_SIMPLE = (bool, int, float, str, type(None))


def _function_name(function: Any) -> str:
    """``module.qualname`` of one of stingray_jax's own functions, with what its closure holds
    (decorators such as ``numpy_float64`` wrap the function in a closure)."""
    module = getattr(function, "__module__", None) or ""
    qualname = getattr(function, "__qualname__", None)
    own = module == "stingray_jax" or module.startswith("stingray_jax.")
    if not own or qualname is None or "<lambda>" in qualname:
        raise _NotStorable(f"{function!r} is not one of stingray_jax's own model functions")
    cells = []
    for cell in getattr(function, "__closure__", None) or ():
        value = cell.cell_contents
        if callable(value):
            cells.append(_function_name(value))
        elif isinstance(value, _SIMPLE):
            cells.append(repr(value))
        else:
            raise _NotStorable(f"{function!r} closes over {type(value).__name__}")
    return f"{module}.{qualname}{cells if cells else ''}"


def _describe_node(node: tuple) -> tuple:
    if node[0] == "leaf":
        _, function, index, static_kwargs = node
        return ("leaf", _function_name(function), index, repr(static_kwargs))
    _, op, left, right = node
    return ("op", op, _describe_node(left), _describe_node(right))


def _model_description(jm: Any) -> str:
    static = jm._static
    if static.ties:
        raise _NotStorable("tied parameters are user functions")
    return repr(
        (
            _describe_node(static.spec),
            static.param_names,
            static.free_index,
            static.const_index,
            static.bounds,
            static.clip_to_bounds,
            static.proxy_names,
            static.proxy_leaves,
        )
    )


def _programs_dir() -> pathlib.Path | None:
    from . import _compilation_cache

    directory = _compilation_cache.enabled_cache_dir()
    return None if directory is None else directory / _SUBDIR


def _key(jm: Any, data: dict, spec: Any, solver: str, max_steps: Any, p0: np.ndarray) -> str:
    import jax
    import jaxlib

    from .optimize import _supported_cpu_options

    shapes = [(np.shape(leaf), np.asarray(leaf).dtype.str) for leaf in jax.tree.leaves(jm)]
    data_shapes = [(k, np.shape(v), np.asarray(v).dtype.str) for k, v in sorted(data.items())]
    text = repr(
        (
            _FORMAT,
            _source_hash(),
            jax.__version__,
            jaxlib.__version__,
            jax.default_backend(),
            sorted(_supported_cpu_options().items()),
            _model_description(jm),
            shapes,
            data_shapes,
            (p0.shape, p0.dtype.str),
            repr(spec),
            solver,
            max_steps,
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _export(jm: Any, data_keys: tuple, spec: Any, solver: str, max_steps: Any, args: tuple):
    import jax

    from .fitting import fit_summary
    from .optimize import compact_jit

    treedef = jax.tree.structure(jm)

    def program(p0, leaves, *values):
        res, mfit, loglike = fit_summary(
            p0,
            treedef.unflatten(leaves),
            dict(zip(data_keys, values)),
            spec,
            None,
            solver,
            max_steps,
        )
        return (*res, mfit, loglike)

    return jax.export.export(compact_jit(program))(*args)


def _write(path: pathlib.Path, blob: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)  # atomic: a reader never sees half a program
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def stored_fit_program(
    jm: Any, data: dict, spec: Any, prior: Any, solver: str, max_steps: Any, p0: Any
) -> Any:
    """``fit(p0, jm, data) -> (MinimizeResult, mfit, loglike)`` from the program store, or
    None when the store is off (no compilation cache enabled through stingray_jax, no
    ``flatbuffers``) or this fit cannot be stored (a prior, tied parameters, a model function
    that is not stingray_jax's). Call it, and the returned function, inside an x64 scope for
    float64 fits. A stored program that cannot be read is replaced."""
    directory = _programs_dir()
    if directory is None or prior is not None:
        return None
    try:
        key = _key(jm, data, spec, solver, max_steps, np.asarray(p0))
    except _NotStorable:
        return None
    with _LOCK:
        call = _MEMO.get(key)
    if call is not None:
        return call
    import jax

    from .optimize import MinimizeResult, compact_jit

    try:
        from jax._src.export import serialization  # noqa: F401 (needs flatbuffers)
    except ImportError:
        return None
    data_keys = tuple(sorted(data))
    path = directory / f"{key}.jaxexport"
    exported = None
    if path.exists():
        try:
            exported = jax.export.deserialize(bytearray(path.read_bytes()))
        except Exception:  # truncated or foreign file: export again and replace it
            exported = None
    if exported is None:
        leaves = tuple(np.asarray(leaf) for leaf in jax.tree.leaves(jm))
        args = (np.asarray(p0), leaves, *(np.asarray(data[k]) for k in data_keys))
        exported = _export(jm, data_keys, spec, solver, max_steps, args)
        with contextlib.suppress(OSError):  # a read-only cache: still used in this process
            _write(path, bytes(exported.serialize()))
    compiled_call = compact_jit(exported.call)  # the XLA options of the traced path
    n_fields = len(MinimizeResult._fields)

    def fit(p0, jm, data):
        out = compiled_call(p0, tuple(jax.tree.leaves(jm)), *(data[k] for k in data_keys))
        return MinimizeResult(*out[:n_fields]), out[n_fields], out[n_fields + 1]

    with _LOCK:
        call = _MEMO.setdefault(key, fit)
    return call
