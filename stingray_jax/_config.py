"""Precision configuration and guards for global state.

stingray_jax never flips JAX or NumPy settings behind the user's back. The helpers here are the
only places where such state is touched, and each does so explicitly (``enable_x64``) or restores
it on exit (the context managers).
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import numpy as np

if TYPE_CHECKING:
    import jax

_P = ParamSpec("_P")
_R = TypeVar("_R")

__all__ = [
    "Precision",
    "enable_x64",
    "numpy_float64",
    "precision",
    "preserve_global_state",
    "x64_scope",
]


def enable_x64(enable: bool | np.bool_ = True) -> bool:
    """Switch JAX's 64-bit mode on (or off) for the whole program.

    This is the documented opt-in for users who want every JAX computation in their program to
    run in double precision. It is equivalent to ``jax.config.update("jax_enable_x64", enable)``.
    Importing stingray_jax never does this by itself: the Stingray-compatible classes compute in
    float64 inside a scoped context whatever this flag says.

    Parameters
    ----------
    enable : bool, optional
        ``True`` (default) enables float64 everywhere, ``False`` restores JAX's float32 default.

    Returns
    -------
    previous : bool
        The value of the flag before the call, so it can be restored.

    Examples
    --------
    >>> import stingray_jax
    >>> previous = stingray_jax.enable_x64()
    >>> import jax.numpy as jnp
    >>> jnp.ones(2).dtype
    dtype('float64')
    >>> _ = stingray_jax.enable_x64(previous)
    """
    import jax

    if not isinstance(enable, bool | np.bool_):
        raise TypeError(f"enable_x64 expects True or False, got {enable!r}")
    previous = bool(jax.config.jax_enable_x64)  # type: ignore[attr-defined]
    jax.config.update("jax_enable_x64", bool(enable))
    return previous


def x64_scope(enable=True):
    """Context manager running JAX code in 64-bit mode without changing the global flag.

    A thin wrapper around :func:`jax.enable_x64` (public in JAX >= 0.10, the jit cache respects
    it) used by the Stingray-compatible adapters so that their results are float64-accurate
    whatever the user's global setting.
    """
    import jax

    return jax.enable_x64(bool(enable))


@contextlib.contextmanager
def preserve_global_state():
    """Restore ``numpy.geterr()`` and the warning filters on exit.

    Some third-party imports change process-wide state (``stingray.modeling`` calls
    ``np.seterr("warn")``; ``stingray`` adds warning filters). Importing them inside this context
    keeps stingray_jax's promise not to mutate the user's settings.

    The filters are restored only when the block changed them: ``warnings.catch_warnings()``
    would invalidate every "show once per place" registry on each call, and a warning would then
    show on every call instead of once, as Python and Stingray show it.
    """
    err = np.geterr()
    filters = list(warnings.filters)
    try:
        try:
            yield
        finally:
            if warnings.filters != filters:
                warnings.filters[:] = filters
                with warnings.catch_warnings():  # bump the filters' version: caches see them
                    pass
    finally:
        np.seterr(**err)


_FLOATS = {"float32": np.dtype(np.float32), "float64": np.dtype(np.float64)}
_COMPLEX: dict[np.dtype, np.dtype] = {
    np.dtype(np.float32): np.dtype(np.complex64),
    np.dtype(np.float64): np.dtype(np.complex128),
}


# NumPy arrays from this size on reach JAX through a 64-byte-aligned private copy, which JAX's
# CPU client uses in place: ``jnp.asarray`` of a NumPy array whose data is not 64-byte aligned
# (NumPy's large allocations are 16-byte aligned) copies it element by element, 8-10x slower
# than NumPy's copy (121-145 ms against 13.5 ms for 256 x 2**16 float64 on the 2-core machine).
_ALIGNED_MIN_BYTES = 2**20
_ALIGN = 64


def _cpu_array(x: np.ndarray, dtype: np.dtype) -> jax.Array:
    """``x`` (converted to ``dtype``) as a JAX array, through an aligned copy on the CPU backend.

    The copy is private (the caller's array is never aliased: changing it later does not change
    the JAX array), and JAX keeps it alive as long as the array lives.
    """
    import jax
    import jax.numpy as jnp

    if (
        x.ndim == 0
        or jax.default_backend() != "cpu"
        or jax.dtypes.canonicalize_dtype(dtype) != dtype  # float64 with x64 off: JAX's rules
    ):
        return jnp.asarray(x, dtype)
    aligned = aligned_empty(x.shape, dtype)
    np.copyto(aligned, x, casting="same_kind")
    return jax.device_put(aligned)


def aligned_empty(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """An uninitialised NumPy array whose data JAX's CPU client can use in place (no copy)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    buffer = np.empty(nbytes + _ALIGN, dtype=np.uint8)
    start = (-buffer.ctypes.data) % _ALIGN
    return buffer[start : start + nbytes].view(dtype).reshape(shape)


def _is_jax_array(x):
    import jax

    return isinstance(x, jax.Array)


def _has_jax_array(tree):
    """Whether any leaf of ``tree`` is a JAX array (a tracer inside a tuple of ``args`` too)."""
    import jax

    return any(isinstance(leaf, jax.Array) for leaf in jax.tree.leaves(tree))


class Precision:
    """The working precision of one call of a public function (see `precision`).

    Attributes
    ----------
    dtype : numpy.dtype or None
        The floating dtype that inputs are converted to; ``None`` when JAX arrays were passed
        and no ``dtype`` was asked for (their dtypes are kept, JAX's rules apply).
    numpy_in : bool
        No JAX array among the inputs: results are handed back as NumPy arrays.
    """

    def __init__(self, dtype, numpy_in):
        self.dtype = dtype
        self.numpy_in = numpy_in

    def asarray(self, x: Any) -> jax.Array:
        """``x`` as a JAX array of the working dtype (complex input: the matching complex)."""
        import jax.numpy as jnp

        if self.dtype is None:
            return jnp.asarray(x)
        if _is_jax_array(x):
            return jnp.asarray(x, _COMPLEX[self.dtype] if x.dtype.kind == "c" else self.dtype)
        x = np.asarray(x)
        dtype = _COMPLEX[self.dtype] if x.dtype.kind == "c" else self.dtype
        if x.nbytes >= _ALIGNED_MIN_BYTES:
            return _cpu_array(x, dtype)
        return jnp.asarray(x, dtype)

    def output(self, tree):
        """Results as NumPy arrays for NumPy input, unchanged JAX arrays otherwise."""
        if not self.numpy_in:
            return tree
        import jax

        leaves = jax.tree_util.tree_leaves(tree)
        if any(isinstance(leaf, jax.core.Tracer) for leaf in leaves):
            # traced through a closure (a PSD function of a parameter being differentiated):
            # results stay JAX values
            return tree
        return jax.tree.map(np.asarray, tree)


def _working_dtype(arrays, dtype):
    numpy_in = not _has_jax_array(arrays)
    if dtype is not None:
        name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
        if name not in _FLOATS:
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        return _FLOATS[name], numpy_in
    return (np.dtype(np.float64) if numpy_in else None), numpy_in


@contextlib.contextmanager
def precision(*arrays: Any, dtype: Any = None) -> Iterator[Precision]:
    """Context of a public entry point: float64 for NumPy input whatever JAX's global flag.

    The precision policy of stingray_jax in one place. Called with the array arguments of a
    public function (NumPy arrays, lists, scalars or JAX arrays) and its ``dtype`` argument:

    - ``dtype`` given (``"float32"`` or ``"float64"``): the inputs are converted to it;
      ``"float64"`` runs inside a scoped 64-bit context.
    - otherwise, if any argument is a JAX array (including a tracer under ``jit``/``vmap``/
      ``grad``), nothing is converted: JAX arrays keep their dtype.
    - otherwise (NumPy input): float64 in a scoped 64-bit context, whatever
      ``jax_enable_x64`` says globally; the results are handed back as NumPy arrays.

    The global flag is never changed. Yields a `Precision`.

    Examples
    --------
    >>> import numpy as np
    >>> import jax.numpy as jnp
    >>> with precision(np.ones(3)) as p:
    ...     x = p.asarray(np.ones(3))
    ...     out = p.output(jnp.sum(x * x))
    >>> out.dtype, type(out).__name__
    (dtype('float64'), 'ndarray')
    """
    work, numpy_in = _working_dtype(arrays, dtype)
    scope = x64_scope(True) if work == np.float64 else contextlib.nullcontext()
    with scope:
        yield Precision(work, numpy_in)


def numpy_float64(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Decorator: apply the precision policy to a pure ``jax.numpy`` function of arrays.

    Called with JAX arrays (or under ``jit``/``vmap``/``grad``) the function runs unchanged.
    Called with NumPy arrays, lists or numbers only, its positional NumPy arrays, lists and
    floats are converted to float64 inside a scoped 64-bit context (Python ints, which may be
    static arguments, stay as they are) and the result is handed back as NumPy arrays.
    Keyword arguments (static options) are passed through untouched.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if _has_jax_array((args, kwargs)):
            return function(*args, **kwargs)
        numeric = [_is_float_input(a) for a in args]
        with precision(*(a for a, n in zip(args, numeric) if n)) as prec:
            args = [prec.asarray(a) if n else a for a, n in zip(args, numeric)]
            return prec.output(function(*args, **kwargs))

    if hasattr(function, "_cache_size"):  # a jitted function: keep its cache introspection
        wrapper._cache_size = function._cache_size  # type: ignore[attr-defined]
    return wrapper


def _is_float_input(a):
    """NumPy arrays, lists and floats are converted; Python ints (often static), None,
    strings, tuples (shapes) and callables are passed through."""
    if isinstance(a, bool | np.bool_):
        return False
    return isinstance(a, np.ndarray | list | float | np.number)
