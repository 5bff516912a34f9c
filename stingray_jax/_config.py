"""Precision configuration and guards for global state.

stingray_jax never flips JAX or NumPy settings behind the user's back. The helpers here are the
only places where such state is touched, and each does so explicitly (``enable_x64``) or restores
it on exit (the context managers).
"""

import contextlib
import warnings

import numpy as np

__all__ = ["enable_x64", "preserve_global_state", "x64_scope"]


def enable_x64(enable=True):
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
    previous = bool(jax.config.jax_enable_x64)
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
