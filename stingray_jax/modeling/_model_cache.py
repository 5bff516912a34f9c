"""The astropy model -> `JaxModel` translation of the likelihood classes, memoised.

`jax_model(model)` is `stingray_jax.models.from_astropy`, cached on everything it reads from the
model (structure, registered twins and their static settings, values, fixed/tied flags, bounds,
units), so that a loop over many spectra with equal models builds one JaxModel, and a changed
model is never served a stale one. The cache is shared by threads (a lock guards it).
"""

import threading

import numpy as np

__all__ = []


def free_parameter_names(model):
    """Names of the free parameters of an astropy model: not fixed and not tied.

    This is the order of the parameter vectors everywhere in `stingray_jax.modeling` (Stingray
    uses it for ``PSDLogLikelihood`` but counts tied parameters as free elsewhere).
    """
    return tuple(n for n in model.param_names if not model.fixed[n] and not model.tied[n])


_JM_CACHE: dict = {}  # model_key(model) -> JaxModel
_JM_CACHE_SIZE = 64
_JM_LOCK = threading.Lock()


def model_key(model):
    """A key that changes whenever anything `from_astropy` reads from ``model`` changes."""
    from astropy.modeling import CompoundModel

    from ..models.registry import get_twin

    def structure(m):
        if isinstance(m, CompoundModel):
            return (m.op, structure(m.left), structure(m.right))
        # the registered twin (re-registering a fixed one must not serve the old function)
        # and its per-instance static settings (Polynomial1D's domain and window)
        try:
            twin = get_twin(type(m))
        except TypeError:
            twin = None
        static = None
        if twin is not None and twin.static is not None:
            static = tuple(sorted(twin.static(m).items()))
        return (type(m), m.name, None if twin is None else twin.function, static)

    names = model.param_names
    fixed, tied, bounds = model.fixed, model.tied, model.bounds
    return (
        structure(model),
        names,
        tuple(float(v) for v in np.ravel(model.parameters)),
        tuple(bool(fixed[n]) for n in names),
        tuple(tied[n] if tied[n] else None for n in names),
        tuple(tuple(bounds[n]) for n in names),
        tuple(getattr(model, n).unit for n in names),
        len(model),
    )


def safe_key(model):
    """`model_key`, or None for unusual models (arrays, unhashable ties: no caching)."""
    try:
        key = model_key(model)
        hash(key)
    except (TypeError, ValueError):
        return None
    return key


def jax_model_and_key(model):
    """``(jax_model(model), safe_key(model))``, reading the model's key once."""
    from astropy.modeling import Model

    from ..models import from_astropy

    if not isinstance(model, Model):
        raise TypeError(f"model must be an astropy model instance, got {type(model).__name__}")
    key = safe_key(model)
    if key is None:
        return from_astropy(model), None
    with _JM_LOCK:  # likelihoods are built from several threads
        jm = _JM_CACHE.get(key)
    if jm is None:
        jm = from_astropy(model)
        with _JM_LOCK:
            while len(_JM_CACHE) >= _JM_CACHE_SIZE:
                _JM_CACHE.pop(next(iter(_JM_CACHE)))
            jm = _JM_CACHE.setdefault(key, jm)
    return jm, key


def jax_model(model):
    """`from_astropy`, memoised on the model's structure, values, flags and bounds.

    Building a JaxModel copies the astropy model (milliseconds); fitting many spectra with
    equal models (a common loop) reuses the first one. The key covers everything
    `from_astropy` reads, so a changed model is never served a stale JaxModel.
    """
    return jax_model_and_key(model)[0]
