"""Stingray's namespace inside stingray_jax: "ours where we have it, Stingray's otherwise".

Two mechanisms, both lazy (nothing here imports Stingray until a Stingray name is asked for):

- **Modules.** :class:`StingrayMirrorFinder` (one instance, on ``sys.meta_path``) answers only
  for ``stingray_jax.<path>`` modules that have no file in this package: it returns Stingray's
  module ``stingray.<path>`` itself (``stingray_jax.events is stingray.events``), so every
  ``from stingray.<path> import ...`` line of a Stingray script has a ``stingray_jax`` twin.
  A module this package provides (``stingray_jax.powerspectrum``, ``stingray_jax.pulse`` once it
  exists, ...) is always found first. It never answers for a name outside ``stingray_jax.``.
- **Names inside our modules.** :func:`stingray_fallback` builds a module ``__getattr__`` /
  ``__dir__`` pair that resolves a name the module does not define from its Stingray namesake
  (``stingray_jax.powerspectrum.GtiCorrPowerspectrum`` is Stingray's class). A mirror module of
  ours ends with::

      from ._mirror import stingray_fallback

      __getattr__, __dir__ = stingray_fallback(__name__, globals())

Stingray is imported under :func:`~stingray_jax._config.preserve_global_state`, so its import
leaves numpy's error state and the warning filters as they were.
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types

__all__ = ["StingrayMirrorFinder", "install_finder", "stingray_fallback", "stingray_name"]

_OURS = "stingray_jax"
_THEIRS = "stingray"


def _import_theirs(name: str) -> types.ModuleType:
    from ._config import preserve_global_state

    with preserve_global_state():
        return importlib.import_module(name)


def stingray_counterpart(module_name: str) -> str:
    """``"stingray_jax.a.b"`` -> ``"stingray.a.b"``."""
    if module_name == _OURS:
        return _THEIRS
    return _THEIRS + module_name[len(_OURS) :]


class _AliasLoader(importlib.abc.Loader):
    """Loads ``stingray_jax.<path>`` as Stingray's module object itself."""

    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        return None  # a placeholder module; exec_module replaces it in sys.modules

    def exec_module(self, module):
        # importlib returns whatever sys.modules holds under the name after exec_module, so the
        # alias *is* Stingray's module (its __spec__ and __name__ untouched).
        sys.modules[module.__name__] = _import_theirs(self.target)


class StingrayMirrorFinder(importlib.abc.MetaPathFinder):
    """``stingray_jax.<path>`` modules without a file here are Stingray's ``stingray.<path>``."""

    _stingray_jax_mirror = True

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(_OURS + "."):
            return None
        parent_name, _, child = fullname.rpartition(".")
        parent = sys.modules.get(parent_name)
        if parent is None:
            return None
        parent_real = getattr(parent, "__name__", "")
        if parent_real.startswith(_THEIRS + ".") or parent_real == _THEIRS:
            # the parent is itself an alias of a Stingray package: alias its submodules too,
            # never load a second copy of Stingray's file under our name
            their_name = f"{parent_real}.{child}"
        else:
            search = getattr(parent, "__path__", None)
            if search is not None and importlib.machinery.PathFinder.find_spec(fullname, search):
                return None  # a module of ours: the normal machinery loads it
            their_name = stingray_counterpart(fullname)
        from ._config import preserve_global_state

        try:
            with preserve_global_state():  # find_spec imports the parent (stingray) package
                their_spec = importlib.util.find_spec(their_name)
        except (ImportError, ValueError):
            return None
        if their_spec is None:
            return None
        return importlib.util.spec_from_loader(
            fullname,
            _AliasLoader(their_name),
            is_package=their_spec.submodule_search_locations is not None,
        )


def install_finder() -> None:
    """Put one :class:`StingrayMirrorFinder` first on ``sys.meta_path`` (idempotent)."""
    if not any(getattr(f, "_stingray_jax_mirror", False) for f in sys.meta_path):
        sys.meta_path.insert(0, StingrayMirrorFinder())


def stingray_name(module_name: str, name: str):
    """The object ``name`` of Stingray's namesake of ``module_name``, mapped into our namespace.

    A Stingray submodule comes back as our twin (``stingray_jax.<path>``: ours if we have it, the
    alias of Stingray's otherwise); any other object is Stingray's own. Raises AttributeError
    when Stingray has no such name.
    """
    if name.startswith("__"):
        raise AttributeError(name)
    their_module = stingray_counterpart(module_name)
    try:
        theirs = _import_theirs(their_module)
    except ImportError:
        raise AttributeError(name) from None
    try:
        value = getattr(theirs, name)
    except AttributeError:
        # a submodule not imported by the package yet (stingray.pulse, stingray.simulator...)
        from ._config import preserve_global_state

        try:
            with preserve_global_state():
                spec = importlib.util.find_spec(f"{their_module}.{name}")
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            raise AttributeError(
                f"module {module_name!r} has no attribute {name!r} (nor has {their_module!r})"
            ) from None
        value = _import_theirs(f"{their_module}.{name}")
    if isinstance(value, types.ModuleType) and value.__name__ == f"{their_module}.{name}":
        return importlib.import_module(f"{module_name}.{name}")
    return value


def stingray_fallback(module_name: str, namespace: dict):
    """Module ``__getattr__`` and ``__dir__`` falling back to Stingray's namesake module.

    Parameters
    ----------
    module_name : str
        ``__name__`` of the calling module (``"stingray_jax.<path>"``).
    namespace : dict
        Its ``globals()``; a resolved name is cached there.

    Returns
    -------
    __getattr__, __dir__ : callables
    """

    def __getattr__(name):
        value = stingray_name(module_name, name)
        namespace[name] = value
        return value

    def __dir__():
        theirs = _import_theirs(stingray_counterpart(module_name))
        public = {n for n in dir(theirs) if not n.startswith("_")}
        return sorted(set(namespace) | public)

    return __getattr__, __dir__
