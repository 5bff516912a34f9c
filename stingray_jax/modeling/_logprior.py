"""The log-prior objects of the posteriors: `set_logprior` and what a ``logprior`` becomes.

`set_logprior` turns Stingray's ``{name: prior}`` dict into a `_LogPrior`; a user-assigned
``lpost.logprior = f`` becomes a `_CustomLogPrior`. Both are callables with Stingray's signature
(``logprior(t0, neg=False)``, a float, ``-1e16`` outside the support) and static prior objects
of the fitting core (hashable, ``prior.jax(params)`` the JAX log-prior): two equal priors share
compiled code. How each single prior is translated (traced, or on the host) is
`stingray_jax.modeling._priors`.
"""

import functools

import numpy as np

from .._config import x64_scope
from .._validate import parameters as _check_pars
from ._model_cache import free_parameter_names
from ._priors import logprior_function

__all__ = ["set_logprior"]

#: Stingray's value of an impossible log-density.
logmin = -10000000000000000.0


def finite_or_logmin(value):
    """``numpy.float64`` like Stingray's ``np.sum`` (``logmin``, a float, when not finite)."""
    value = np.float64(value)
    return value if np.isfinite(value) else logmin


def _prior_key(prior):
    """Hashable key of one prior specification, equal for priors that compute the same thing.

    Value-based for scipy distributions and for plain Python functions whose code, defaults,
    closure values and the globals they read are all immutable values (numbers, strings,
    tuples, modules, functions, classes, scipy distributions): the priors a loop over many
    observations builds anew for each posterior (``lambda a: (lo < a) & (a < hi)``) then share
    one compiled sampler and fit. Anything else is keyed by identity.
    """
    try:
        return _value_key(prior)
    except _Unkeyable:
        # the object itself (compared by identity), not id(prior): the key lives in jit
        # caches, and an id can be reused by a new callable once the old one is collected
        return ("object", _ByIdentity(prior))


class _Unkeyable(Exception):
    pass


_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), np.integer, np.floating)


def _value_key(obj, depth=0):
    import types

    from ._priors import _is_scipy_frozen

    if depth > 8:
        raise _Unkeyable
    if isinstance(obj, _IMMUTABLE):
        return (type(obj).__name__, obj)
    if isinstance(obj, tuple | frozenset):
        return (type(obj).__name__, tuple(_value_key(v, depth + 1) for v in obj))
    if isinstance(obj, types.ModuleType):
        return ("module", obj.__name__)
    if isinstance(obj, type | types.BuiltinFunctionType | np.ufunc):
        return ("object", _ByIdentity(obj))
    if _is_scipy_frozen(obj):
        return (
            "scipy",
            obj.dist.name,
            _value_key(tuple(obj.args), depth + 1),
            _value_key(tuple(sorted(obj.kwds.items())), depth + 1),
        )
    owner = getattr(obj, "__self__", None)
    if isinstance(obj, types.MethodType) and owner is not None and _is_scipy_frozen(owner):
        return ("method", obj.__name__, _value_key(owner, depth + 1))
    if isinstance(obj, types.FunctionType):
        code = obj.__code__
        names, stack = set(), [code]
        while stack:  # the global names read by the function and the functions inside it
            c = stack.pop()
            names.update(c.co_names)
            stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        globs = obj.__globals__
        try:
            cells = tuple(c.cell_contents for c in obj.__closure__ or ())
        except ValueError:  # an empty cell
            raise _Unkeyable from None
        return (
            "function",
            code,
            _value_key(obj.__defaults__ or (), depth + 1),
            _value_key(tuple(sorted((obj.__kwdefaults__ or {}).items())), depth + 1),
            _value_key(cells, depth + 1),
            tuple((n, _value_key(globs[n], depth + 1)) for n in sorted(names) if n in globs),
        )
    raise _Unkeyable


class _ByIdentity:
    """Hashable by identity, holding a reference (so the id cannot be reused meanwhile)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return isinstance(other, _ByIdentity) and other.obj is self.obj

    def __hash__(self):
        return id(self.obj)


class _LogPrior:
    """The log-prior built by `set_logprior`: Stingray's callable plus a pure JAX version.

    Calling it as ``logprior(t0, neg=False)`` returns a Python float like Stingray's (``-1e16``
    outside the support). ``logprior.jax(params)`` is the JAX log-density. Two log-priors over
    the same parameter names with the same prior objects compare equal (so compiled code is
    reused across posterior instances).
    """

    def __init__(self, names, priors):
        self.names = tuple(names)
        missing = [n for n in self.names if n not in priors]
        if missing:
            raise ValueError(
                f"priors has no entry for the free parameter(s) {missing}; give one prior per "
                f"free parameter (free = not fixed and not tied): {list(self.names)}"
            )
        self._priors = tuple(priors[n] for n in self.names)
        self._fns = tuple(logprior_function(p, n) for p, n in zip(self._priors, self.names))
        self._key = (self.names, tuple(_prior_key(p) for p in self._priors))
        self._host = None

    def __eq__(self, other):
        return isinstance(other, _LogPrior) and self._key == other._key

    def __hash__(self):
        return hash(self._key)

    def jax(self, params):
        import jax.numpy as jnp

        from ._priors import _HostPrior, host_logdensity

        total = jnp.zeros((), dtype=params.dtype)
        host = [k for k, fn in enumerate(self._fns) if isinstance(fn, _HostPrior)]
        for k, fn in enumerate(self._fns):
            if k not in host:
                total = total + jnp.asarray(fn(params[k]), dtype=params.dtype)
        if host:
            # all host-side priors in one host call per evaluation
            if self._host is None:
                logpdfs = tuple(self._fns[k].logpdf for k in host)
                self._host = host_logdensity(logpdfs, len(host), separable=True)
            total = total + self._host(params[jnp.asarray(host)])
        return total

    def __call__(self, t0, neg=False):
        pars = _check_pars(t0, len(self.names))
        with x64_scope():
            value = finite_or_logmin(_jitted_prior(self)(pars))
        return -value if neg else value


class _CustomLogPrior:
    """A user-assigned ``logprior(t0, neg=False)`` function: traced with JAX when it can be,
    else evaluated on the host (see `stingray_jax.modeling._priors.host_logdensity`)."""

    def __init__(self, fn):
        self.fn = fn
        self._host = {}
        self._traced = set()

    @functools.cached_property
    def _key(self):
        return _prior_key(self.fn)

    def __eq__(self, other):
        return isinstance(other, _CustomLogPrior) and self._key == other._key

    def __hash__(self):
        return hash(self._key)

    def jax(self, params):
        import jax.numpy as jnp

        from ._priors import _unwrap, _Value, _warn_host, host_logdensity, traces

        n = int(params.shape[0])
        host = self._host.get(n)
        if host is None and n not in self._traced:
            if traces(self.fn, (n,)):
                self._traced.add(n)
            else:
                _warn_host("logprior", self.fn, "a user-assigned logprior function")
                host = self._host[n] = host_logdensity(
                    lambda p: float(np.asarray(self.fn(p)).reshape(())), n
                )
        if host is not None:
            return host(params)
        out = _unwrap(self.fn(_Value(params)))
        return jnp.asarray(out, dtype=params.dtype).reshape(())

    def __call__(self, t0, neg=False):
        value = float(self.fn(t0))
        return -value if neg else value


@functools.cache
def _prior_jit_cache():
    return {}


def _jitted_prior(prior):
    import jax

    cache = _prior_jit_cache()
    fn = cache.get(prior)
    if fn is None:
        fn = jax.jit(prior.jax)
        cache[prior] = fn
    return fn


def set_logprior(lpost, priors):
    """Build the ``logprior`` of a posterior from a dict of per-parameter priors.

    Same call as Stingray's ``set_logprior``. Each value of ``priors`` is one of

    - a callable returning the prior *density* of the parameter (Stingray's convention), e.g.
      ``lambda alpha: (-1 <= alpha) & (alpha <= 5)``; it is traced with JAX (NumPy ufuncs such
      as ``np.log`` are redirected to ``jax.numpy``);
    - a frozen ``scipy.stats`` distribution (``uniform``, ``norm``, ``lognorm``, ``loguniform``,
      ``halfnorm``, ``expon``, ``truncnorm``, ``gamma``, ``beta``, ``cauchy``, ``halfcauchy``,
      ``invgamma``, ``laplace``, ``t``, ...), or its ``.pdf`` method;
    - a NumPyro distribution.

    Parameters
    ----------
    lpost : Posterior
        The posterior whose model defines the free parameters (not fixed and not tied).
    priors : dict
        ``{parameter name: prior}`` with one entry per free parameter.

    Returns
    -------
    logprior : callable
        ``logprior(t0, neg=False)`` (Stingray's signature, returns a float, ``-1e16`` outside
        the support); ``logprior.jax(params)`` is the pure JAX log-prior.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.stats
    >>> from astropy.modeling.models import PowerLaw1D
    >>> from stingray_jax.modeling import PSDPosterior, set_logprior
    >>> pl = PowerLaw1D()
    >>> pl.x_0.fixed = True
    >>> freq = np.linspace(0.1, 1, 10)
    >>> lpost = PSDPosterior(freq, np.ones(10), pl, m=1)
    >>> priors = {
    ...     "amplitude": scipy.stats.loguniform(1e-3, 1e3),
    ...     "alpha": lambda a: (-1 <= a) & (a <= 5),
    ... }
    >>> lpost.logprior = set_logprior(lpost, priors)
    >>> print(lpost.logprior([1.0, 2.0]))  # doctest: +FLOAT_CMP
    -2.625791914476011
    """
    if not isinstance(priors, dict):
        raise TypeError(f"priors must be a dict {{name: prior}}, got {type(priors).__name__}")
    return _LogPrior(free_parameter_names(lpost.model), priors)


class _InvalidLogPrior(_CustomLogPrior):
    """Invalid ``priors=`` given to a constructor: like Stingray, fail only when used."""

    def __init__(self, error):
        def fail(t0, neg=False):
            raise type(error)(str(error))

        super().__init__(fail)

    def jax(self, params):
        return self.fn(params)


def _constructor_prior(lpost, priors):
    # Stingray's constructors accept any ``priors`` and fail only when the prior is evaluated
    # (its own tests pass ``m`` positionally into ``priors``, or numbers as priors, and then
    # fit the likelihood or set a logprior): warn now, raise at the first evaluation.
    import warnings

    try:
        if not isinstance(priors, dict):
            raise TypeError(f"priors must be a dict {{name: prior}}, got {type(priors).__name__}")
        return set_logprior(lpost, priors)
    except (TypeError, ValueError) as exc:
        warnings.warn(
            f"invalid priors ({exc}); the posterior cannot be evaluated until a valid logprior "
            f"is set (set_logprior)",
            UserWarning,
            stacklevel=3,
        )
        return _InvalidLogPrior(exc)
