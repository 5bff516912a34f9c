"""The registry that maps astropy model classes to their JAX twins.

A *twin* is a pure ``jax.numpy`` function with the signature of the astropy class's ``evaluate``:
``x`` first, then the parameters in the class's order. The built-in twins register themselves
with :func:`register`; third-party packages ship theirs through the entry-point group
``stingray_jax.models``, which is loaded lazily, on the first lookup.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import inspect
import types
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

__all__ = [
    "ENTRY_POINT_GROUP",
    "ModelPluginWarning",
    "get_twin",
    "register",
    "registered_models",
]

#: Name of the entry-point group through which other packages register JAX twins.
ENTRY_POINT_GROUP = "stingray_jax.models"


class ModelPluginWarning(UserWarning):
    """A package's ``stingray_jax.models`` entry point could not be loaded."""


@dataclasses.dataclass(frozen=True)
class Twin:
    """A registered JAX twin.

    Attributes
    ----------
    function : callable
        ``function(x, *params, **static_kwargs)``.
    static : callable or None
        ``static(model) -> dict`` of hashable keyword arguments that depend on the astropy
        instance but are not parameters (``Polynomial1D``'s ``domain`` and ``window``).
    """

    function: Callable[..., Any]
    static: Callable[[Any], dict] | None = None


_REGISTRY: dict[type, Twin] = {}
_PLUGINS_LOADED = False


def _check_astropy_class(astropy_cls):
    from astropy.modeling import Model

    if not (isinstance(astropy_cls, type) and issubclass(astropy_cls, Model)):
        raise TypeError(
            f"register() expects an astropy model class (a subclass of "
            f"astropy.modeling.Model), got {astropy_cls!r}"
        )


def _check_signature(astropy_cls, function):
    """Check that ``function`` takes x plus one argument per parameter of the class."""
    try:
        sig = inspect.signature(function)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return
    params = list(sig.parameters.values())
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    expected = 1 + len(astropy_cls.param_names)
    if len(positional) != expected:
        raise TypeError(
            f"the JAX twin {getattr(function, '__name__', function)!r} of "
            f"{astropy_cls.__name__} must take x and then the {len(astropy_cls.param_names)} "
            f"parameters {astropy_cls.param_names} (the signature of "
            f"{astropy_cls.__name__}.evaluate); it takes {len(positional)} positional arguments"
        )


def register(
    astropy_cls: type, *, static: Callable[[Any], dict] | None = None
) -> Callable[[_F], _F]:
    """Register a JAX twin for an astropy model class (use as a decorator).

    Parameters
    ----------
    astropy_cls : type
        A subclass of ``astropy.modeling.Model`` with one input and one output (usually a
        ``Fittable1DModel``).
    static : callable, optional
        ``static(model) -> dict``: extra keyword arguments for the twin that depend on the
        model instance but are not fittable parameters. They must be hashable.

    Returns
    -------
    decorator : callable
        Takes the twin ``function(x, *params)`` (same argument order as
        ``astropy_cls.evaluate``), registers it and returns it unchanged.

    Notes
    -----
    Registering a second twin for the same class replaces the first one, with a warning.
    Subclasses that do not override ``evaluate`` use their parent's twin.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from astropy.modeling import Fittable1DModel, Parameter
    >>> from stingray_jax.models import from_astropy, register
    >>> class Exponential1D(Fittable1DModel):
    ...     amplitude = Parameter(default=1.0)
    ...     tau = Parameter(default=1.0)
    ...
    ...     @staticmethod
    ...     def evaluate(x, amplitude, tau):
    ...         import numpy as np
    ...
    ...         return amplitude * np.exp(-x / tau)
    >>> @register(Exponential1D)
    ... def exponential_1d(x, amplitude, tau):
    ...     return amplitude * jnp.exp(-x / tau)
    >>> jm = from_astropy(Exponential1D(amplitude=2.0, tau=1.0))
    >>> print(jm.free_param_names)
    ('amplitude', 'tau')
    """
    _check_astropy_class(astropy_cls)
    if static is not None and not callable(static):
        raise TypeError(f"static must be a callable model -> dict, got {static!r}")

    def decorator(function):
        if not callable(function):
            raise TypeError(
                f"register({astropy_cls.__name__}) decorates a function, got {function!r}"
            )
        _check_signature(astropy_cls, function)
        old = _REGISTRY.get(astropy_cls)
        if old is not None and old.function is not function:
            warnings.warn(
                f"replacing the JAX twin of {astropy_cls.__module__}.{astropy_cls.__qualname__} "
                f"({getattr(old.function, '__qualname__', old.function)!r}) with "
                f"{getattr(function, '__qualname__', function)!r}",
                UserWarning,
                stacklevel=2,
            )
        _REGISTRY[astropy_cls] = Twin(function=function, static=static)
        return function

    return decorator


def _distribution_name(entry_point):
    dist = getattr(entry_point, "dist", None)
    name = getattr(dist, "name", None) if dist is not None else None
    if name:
        return name
    return entry_point.value.split(":")[0].split(".")[0]


def load_plugins(force: bool = False) -> None:
    """Load every ``stingray_jax.models`` entry point (once, unless ``force``).

    An entry point names a module (importing it runs its ``@register`` decorators) or a
    callable taking no argument that performs the registrations. A plugin that fails to load
    gives a ``ModelPluginWarning`` naming its package; the others keep working.
    """
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED and not force:
        return
    _PLUGINS_LOADED = True
    try:
        entry_points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    except Exception as exc:  # pragma: no cover - broken metadata on the system
        warnings.warn(
            f"could not list the {ENTRY_POINT_GROUP!r} entry points: {exc!r}",
            ModelPluginWarning,
            stacklevel=3,
        )
        return
    for entry_point in entry_points:
        try:
            obj = entry_point.load()
            if callable(obj) and not isinstance(obj, types.ModuleType | type):
                obj()
        except Exception as exc:
            warnings.warn(
                f"stingray_jax could not load the model plugin {entry_point.name!r} "
                f"({entry_point.value}) of package {_distribution_name(entry_point)!r}: "
                f"{type(exc).__name__}: {exc}. Its models are unavailable; the others work.",
                ModelPluginWarning,
                stacklevel=3,
            )


def _unregistered_message(cls):
    pnames = tuple(getattr(cls, "param_names", ()))
    args = ", ".join(("x", *pnames))
    return (
        f"stingray_jax has no JAX twin for the astropy model class "
        f"{cls.__module__}.{cls.__qualname__}. Register one (same arguments as "
        f"{cls.__name__}.evaluate), for example:\n\n"
        f"    import jax.numpy as jnp\n"
        f"    from stingray_jax.models import register\n\n"
        f"    @register({cls.__name__})\n"
        f"    def my_twin({args}):\n"
        f"        return ...  # the same formula written with jax.numpy\n\n"
        f"or ship it from a package through the {ENTRY_POINT_GROUP!r} entry-point group."
    )


def get_twin(astropy_cls: type) -> Twin:
    """Return the `Twin` registered for ``astropy_cls``.

    Parent classes are searched while ``evaluate`` is inherited unchanged. Entry-point plugins
    are loaded on the first call.

    Raises
    ------
    TypeError
        If no twin is registered; the message shows how to register one.
    """
    load_plugins()
    for klass in astropy_cls.__mro__:
        twin = _REGISTRY.get(klass)
        if twin is not None:
            return twin
        # Only walk up while the subclass inherits its parent's evaluate unchanged.
        parents = [b for b in klass.__bases__ if hasattr(b, "evaluate")]
        if not parents or getattr(klass, "evaluate", None) is not getattr(
            parents[0], "evaluate", None
        ):
            break
    raise TypeError(_unregistered_message(astropy_cls))


def get_registered(astropy_cls: type) -> Twin | None:
    """The `Twin` registered for exactly ``astropy_cls``, or None (no plugin loading)."""
    return _REGISTRY.get(astropy_cls)


def registered_models() -> dict[type, Callable[..., Any]]:
    """Return a dict ``{astropy class: twin function}`` of every registered model.

    Examples
    --------
    >>> from astropy.modeling.models import Lorentz1D
    >>> from stingray_jax.models import lorentz
    >>> from stingray_jax.models.registry import registered_models
    >>> registered_models()[Lorentz1D] is lorentz
    True
    """
    load_plugins()
    return {cls: twin.function for cls, twin in _REGISTRY.items()}
