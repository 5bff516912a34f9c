"""JAX's persistent compilation cache, as an explicit opt-in.

Most of the first call of a fit, a calibration or a search is XLA compilation (1-3 s on a
laptop CPU). JAX can keep compiled programs on disk and load them in the next process; this
module turns that on for the user who asks, with a documented default location. Importing
``stingray_jax`` never turns it on (it is a process-wide JAX setting): the ``stingray-jax``
command line does, unless ``--no-cache`` is given.
"""

from __future__ import annotations

import os
import pathlib

__all__ = [
    "default_cache_dir",
    "disable_compilation_cache",
    "enable_compilation_cache",
    "enabled_cache_dir",
]

#: Environment variable that overrides the default cache location.
CACHE_DIR_ENV = "STINGRAY_JAX_CACHE_DIR"

# JAX's two settings as they were before the first enable_compilation_cache (restored by
# disable_compilation_cache).
_before: tuple[str | None, float] | None = None


def default_cache_dir() -> pathlib.Path:
    """The cache location used when no path is given.

    ``$STINGRAY_JAX_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/stingray_jax/jax`` (with
    ``XDG_CACHE_HOME`` defaulting to ``~/.cache``). JAX's cache keys contain the jax and jaxlib
    versions, the backend and the compile options, so several environments can share it.
    """
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return pathlib.Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "stingray_jax" / "jax"


def enable_compilation_cache(
    path: str | os.PathLike[str] | None = None, *, min_compile_time_secs: float = 0.0
) -> pathlib.Path:
    """Keep compiled programs on disk, so that a new process does not compile them again.

    This sets JAX's process-wide persistent compilation cache (``jax_compilation_cache_dir``
    and ``jax_persistent_cache_min_compile_time_secs``); it affects every jitted function of
    the process, not only stingray_jax's. Undo it with :func:`disable_compilation_cache`.

    Parameters
    ----------
    path : path-like, optional
        Cache directory (created if missing). Default: :func:`default_cache_dir`.
    min_compile_time_secs : float, default 0.0
        Programs that compile faster than this are not written (JAX's own default is 1 s,
        which would skip most of a fit's programs: they take 0.1-1 s each).

    Returns
    -------
    path : pathlib.Path
        The cache directory in use.

    Notes
    -----
    The cache is trusted code: do not point it at a directory others can write to. Programs
    containing host callbacks (priors evaluated on the host) are never cached by JAX.
    """
    import jax
    from jax.experimental.compilation_cache import compilation_cache as cc

    if not min_compile_time_secs >= 0:
        raise ValueError(
            f"min_compile_time_secs must be a non-negative number, got {min_compile_time_secs!r}"
        )
    target = default_cache_dir() if path is None else pathlib.Path(path).expanduser()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(f"cannot create the compilation cache directory {target}: {exc}") from exc
    if not os.access(target, os.W_OK):
        raise OSError(f"the compilation cache directory {target} is not writable")
    target = target.resolve()
    global _before
    if _before is None:
        _before = (
            jax.config.jax_compilation_cache_dir,  # type: ignore[attr-defined]
            jax.config.jax_persistent_cache_min_compile_time_secs,  # type: ignore[attr-defined]
        )
    if jax.config.jax_compilation_cache_dir != str(target):  # type: ignore[attr-defined]
        cc.reset_cache()  # a cache already opened elsewhere is closed (JAX opens one per process)
        jax.config.update("jax_compilation_cache_dir", str(target))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", float(min_compile_time_secs))
    return target


def disable_compilation_cache() -> None:
    """Undo :func:`enable_compilation_cache`: JAX's settings return to what they were before.

    Does nothing if :func:`enable_compilation_cache` was not called.
    """
    global _before
    if _before is None:
        return
    import jax
    from jax.experimental.compilation_cache import compilation_cache as cc

    directory, min_time = _before
    _before = None
    cc.reset_cache()
    jax.config.update("jax_compilation_cache_dir", directory)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", min_time)


def enabled_cache_dir() -> pathlib.Path | None:
    """The directory of the cache :func:`enable_compilation_cache` turned on, or None when it
    is off (never enabled, disabled, or JAX's setting changed since). The fit programs of
    ``stingray_jax._stored_programs`` are kept in it."""
    if _before is None:
        return None
    import jax

    current = jax.config.jax_compilation_cache_dir  # type: ignore[attr-defined]
    return pathlib.Path(current) if current else None
