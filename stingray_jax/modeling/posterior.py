"""Drop-ins for ``stingray.modeling.posterior``: likelihoods, posteriors and ``set_logprior``.

The classes keep Stingray's names, constructor signatures and call convention
(``lpost(pars, neg=False)`` returns a Python float, with ``-1e16`` for impossible values, like
Stingray). The numerics are the pure functions of `stingray_jax.likelihoods` applied to the
`stingray_jax.models.JaxModel` of the astropy model, compiled once per model structure and data
shape (a new instance with the same model structure and data shape reuses the compiled code), and
evaluated in float64 whatever the global JAX setting.

Each object also exposes its pure JAX log-density of the free parameters:

- ``lpost.logdensity(params)``: the log-posterior (or log-likelihood), a JAX scalar; jit-, grad-
  and vmap-able; ``-inf`` outside the prior support (no ``-1e16`` substitution).
- ``lpost.as_pure()``: ``(fn, args)`` with ``fn(params, *args)`` that same log-density as a
  module-level function of arrays (``args`` hold the model pytree and the data), for
  samplers and batched code that want to pass the data explicitly.
"""

import abc
import dataclasses
import functools
import numbers
import threading

import numpy as np

from .._config import x64_scope
from ._priors import logprior_function

__all__ = [
    "GaussianLogLikelihood",
    "GaussianPosterior",
    "IncorrectParameterError",
    "LaplaceLogLikelihood",
    "LaplacePosterior",
    "LikelihoodUndefinedError",
    "LogLikelihood",
    "PSDLogLikelihood",
    "PSDPosterior",
    "PoissonLogLikelihood",
    "PoissonPosterior",
    "Posterior",
    "PriorUndefinedError",
    "set_logprior",
]

logmin = -10000000000000000.0


class PriorUndefinedError(Exception):
    """A posterior was evaluated without a prior (as in Stingray)."""


class LikelihoodUndefinedError(Exception):
    """A posterior was evaluated without a likelihood (as in Stingray)."""


class IncorrectParameterError(ValueError):
    """The parameter vector does not have one value per free parameter."""


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def free_parameter_names(model):
    """Names of the free parameters of an astropy model: not fixed and not tied.

    This is the order of the parameter vectors everywhere in `stingray_jax.modeling` (Stingray
    uses it for ``PSDLogLikelihood`` but counts tied parameters as free elsewhere).
    """
    return tuple(n for n in model.param_names if not model.fixed[n] and not model.tied[n])


_JM_CACHE = {}
_JM_CACHE_SIZE = 64
_JM_LOCK = threading.Lock()


def _model_key(model):
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


def _safe_key(model):
    try:
        key = _model_key(model)
        hash(key)
    except (TypeError, ValueError):
        return None
    return key


def _jax_model(model):
    """`from_astropy`, memoised on the model's structure, values, flags and bounds.

    Building a JaxModel copies the astropy model (milliseconds); fitting many spectra with
    equal models (a common loop) reuses the first one. The key covers everything
    `from_astropy` reads, so a changed model is never served a stale JaxModel.
    """
    from astropy.modeling import Model

    from ..models import from_astropy

    if not isinstance(model, Model):
        raise TypeError(f"model must be an astropy model instance, got {type(model).__name__}")
    try:
        key = _model_key(model)
        hash(key)
    except (TypeError, ValueError):  # unusual models (arrays, unhashable ties): no caching
        return from_astropy(model)
    with _JM_LOCK:  # likelihoods are built from several threads
        jm = _JM_CACHE.get(key)
    if jm is None:
        jm = from_astropy(model)
        with _JM_LOCK:
            while len(_JM_CACHE) >= _JM_CACHE_SIZE:
                _JM_CACHE.pop(next(iter(_JM_CACHE)))
            jm = _JM_CACHE.setdefault(key, jm)
    return jm


def _as_1d(name, value, n=None, finite=True):
    """Check a data array. With ``finite=False`` NaN/inf pass (Stingray evaluates such data to
    ``logmin``; fits then refuse the non-finite objective at ``t0``)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} elements but x has {n}: lengths must match")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite values (NaN or inf)")
    return arr


def _positive(name, arr, strict=True):
    bad = arr <= 0 if strict else arr < 0  # NaN passes (see _as_1d)
    if np.any(bad):
        what = "positive" if strict else "non-negative"
        raise ValueError(
            f"{name} must be {what} for this likelihood; {int(np.sum(bad))} value(s) are not "
            f"(first: {arr[np.flatnonzero(bad)[0]]})"
        )
    return arr


def _check_pars(pars, npar):
    arr = np.atleast_1d(np.asarray(pars, dtype=np.float64))
    if arr.ndim != 1 or arr.size != npar:
        raise IncorrectParameterError(
            f"Input parameters must match model parameters: expected {npar} free parameter "
            f"values, got {arr.size}"
        )
    return arr


def _finite_or_logmin(value):
    """``numpy.float64`` like Stingray's ``np.sum`` (``logmin``, a float, when not finite)."""
    value = np.float64(value)
    return value if np.isfinite(value) else logmin


# --------------------------------------------------------------------------------------------
# Pure core: log-likelihood and log-prior of the free parameters
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _LikeSpec:
    """Static description of a likelihood (hashable: part of the jit cache key)."""

    kind: str  # "psd", "gaussian", "poisson", "laplace"
    whittle: bool = False  # psd with scalar m == 1
    stingray_compat: bool = False


def _loglike_pure(params, jm, data, spec):
    return _loglike_of_model(jm(params, data["x"]), data, spec)


def _loglike_of_model(model, data, spec):
    """The log-likelihood as a function of the model values (a sum over bins)."""
    from .. import likelihoods as L

    if spec.kind == "psd":
        if spec.whittle:
            return L.whittle(model, data["y"])
        if spec.stingray_compat:
            return L.stingray_gamma(model, data["y"], data["m"])
        return L.gamma(model, data["y"], data["m"])
    if spec.kind == "gaussian":
        return L.gaussian(model, data["y"], data["yerr"])
    if spec.kind == "poisson":
        return L.poisson(model, data["y"])
    if spec.kind == "laplace":
        return L.laplace(model, data["y"], data["yerr"])
    raise ValueError(f"unknown likelihood kind {spec.kind!r}")  # pragma: no cover


def _fisher_weights(model, data, spec):
    """Fisher information of each model value: ``E[-d2 log L_i / dS_i^2]`` per bin.

    Gamma (averaged periodogram, mean ``S``, shape ``m``): ``m / S^2`` (``1 / S^2`` for
    Whittle; twice that for Stingray's doubled m > 1 likelihood); Gaussian: ``1 / sigma^2``
    (exact); Poisson: ``1 / S``; Laplace with scale ``b``: ``1 / b^2``.
    """
    import jax.numpy as jnp

    if spec.kind == "psd":
        if spec.whittle:
            return 1.0 / model**2
        m = data["m"] * (2.0 if spec.stingray_compat else 1.0)
        return m / model**2
    if spec.kind == "poisson":
        return 1.0 / model
    # gaussian, laplace
    return jnp.broadcast_to(1.0 / data["yerr"] ** 2, model.shape)


def neg_logdensity_curvature(params, jm, data, spec, prior):
    """``-log density``, its gradient and its Fisher-scoring curvature (pure).

    ``B = J^T diag(I) J - hess(log prior)``, with ``J`` the Jacobian of the model values
    (forward mode, one pass with one tangent per parameter) and ``I`` the per-bin Fisher
    information (`_fisher_weights`). The gradient is exact. This is the ``curvature`` of the
    ``"scoring"`` solver of `stingray_jax.optimize.minimize`.
    """
    import jax
    import jax.numpy as jnp

    def column(tangent):  # one forward-mode pass per parameter, rows of J^T
        return jax.jvp(lambda p: jm(p, data["x"]), (params,), (tangent,))

    values, jac_t = jax.vmap(column)(jnp.eye(params.shape[0], dtype=params.dtype))
    values = values[0]
    value, dvalues = jax.value_and_grad(lambda s: -_loglike_of_model(s, data, spec))(values)
    w = _fisher_weights(values, data, spec)
    grad = jac_t @ dvalues
    curv = (jac_t * w) @ jac_t.T
    if prior is not None:

        def neg_prior(p):
            return -prior.jax(p)

        value = value + neg_prior(params)
        grad = grad + jax.grad(neg_prior)(params)
        curv = curv + jax.hessian(neg_prior)(params)
    return value, grad, curv


def logdensity_pure(params, jm, data, spec, prior):
    """Log-likelihood (``prior is None``) or log-posterior of the free parameters.

    A module-level pure function: ``jm`` is a `JaxModel` pytree, ``data`` a dict of arrays,
    ``spec`` and ``prior`` are hashable static descriptions.
    """
    ll = _loglike_pure(params, jm, data, spec)
    if prior is None:
        return ll
    return ll + prior.jax(params)


_JITTED = {}


def _jitted(name):
    """Module-level jitted functions, created on first use (importing creates no JAX state)."""
    fn = _JITTED.get(name)
    if fn is None:
        import jax

        if name == "value":
            fn = jax.jit(logdensity_pure, static_argnames=("spec", "prior"))
        elif name == "model":
            fn = jax.jit(lambda params, jm, x: jm(params, x))
        else:  # pragma: no cover
            raise KeyError(name)
        _JITTED[name] = fn
    return fn


# --------------------------------------------------------------------------------------------
# Priors
# --------------------------------------------------------------------------------------------


def _prior_key(prior):
    """Hashable identity of one prior specification (value-based for scipy distributions)."""
    from ._priors import _is_scipy_frozen

    owner = getattr(prior, "__self__", None)
    if _is_scipy_frozen(prior):
        return ("scipy", prior.dist.name, tuple(prior.args), tuple(sorted(prior.kwds.items())))
    if owner is not None and _is_scipy_frozen(owner):
        return ("scipy", owner.dist.name, tuple(owner.args), tuple(sorted(owner.kwds.items())))
    # the object itself (compared by identity), not id(prior): the key lives in jit caches,
    # and an id can be reused by a new callable once the old one is garbage-collected
    return ("object", _ByIdentity(prior))


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
            value = _finite_or_logmin(_jitted_prior(self)(pars))
        return -value if neg else value


class _CustomLogPrior:
    """A user-assigned ``logprior(t0, neg=False)`` function: traced with JAX when it can be,
    else evaluated on the host (see `stingray_jax.modeling._priors.host_logdensity`)."""

    def __init__(self, fn):
        self.fn = fn
        self._host = {}
        self._traced = set()

    def __eq__(self, other):
        return isinstance(other, _CustomLogPrior) and self.fn is other.fn

    def __hash__(self):
        return hash(id(self.fn))

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


# --------------------------------------------------------------------------------------------
# Likelihoods
# --------------------------------------------------------------------------------------------


class LogLikelihood(metaclass=abc.ABCMeta):
    """Abstract base class of the log-likelihoods (Stingray's ``LogLikelihood``).

    Parameters
    ----------
    x, y : iterable
        Independent and dependent variable.
    model : astropy.modeling.Model
        The model (never modified).
    """

    _spec = None

    def __init__(self, x, y, model, **kwargs):
        self.x = x
        self.y = y
        self.model = model

    @abc.abstractmethod
    def evaluate(self, parameters, neg=False):
        """Return the log-likelihood (or its negative) at ``parameters``."""

    def __call__(self, parameters, neg=False):
        return self.evaluate(parameters, neg)

    # shared machinery of the concrete classes ---------------------------------------------
    def _setup(self, data, spec):
        self._jm = _jax_model(self.model)
        self._jm_key = _safe_key(self.model)
        self._data = data
        self._spec = spec
        self.npar = self._jm.n_free

    def _refresh_model(self):
        """Rebuild the JAX model if the astropy model changed since construction (bounds,
        fixed or tied flags set afterwards): fits use the model's state at fit time."""
        key = _safe_key(self.model)
        if key is None or key != self._jm_key:
            jm = _jax_model(self.model)
            if jm.n_free != self._jm.n_free:
                raise ValueError(
                    f"the model's free parameters changed after the likelihood was built "
                    f"({list(self._jm.free_param_names)} -> {list(jm.free_param_names)}): "
                    f"build a new likelihood"
                )
            self._jm, self._jm_key = jm, key
        return self._jm

    @property
    def free_param_names(self):
        """Names of the free parameters, in the order of the parameter vectors."""
        return self._jm.free_param_names

    def _value(self, pars, prior=None):
        pars = _check_pars(pars, self.npar)
        with x64_scope():
            return _jitted("value")(pars, self._jm, self._data, self._spec, prior)

    def evaluate_model(self, pars):
        """The model at ``self.x`` for the free parameters ``pars`` (a NumPy array)."""
        pars = _check_pars(pars, self.npar)
        with x64_scope():
            return np.asarray(_jitted("model")(pars, self._jm, self._data["x"]))

    def _evaluate(self, pars, neg):
        value = _finite_or_logmin(self._value(pars))
        return -value if neg else value

    def as_pure(self):
        """``(fn, args)``: the log-likelihood as ``fn(params, *args)``, a pure JAX function."""
        return (
            functools.partial(logdensity_pure, spec=self._spec, prior=None),
            (self._jm, self._data),
        )

    def logdensity(self, params):
        """The log-likelihood of the free ``params`` as a pure JAX scalar (differentiable)."""
        return logdensity_pure(params, self._jm, self._data, self._spec, None)


class GaussianLogLikelihood(LogLikelihood):
    """Gaussian log-likelihood (Stingray's ``GaussianLogLikelihood``).

    Parameters
    ----------
    x, y : iterable
        Data.
    yerr : iterable
        Standard deviations of ``y`` (positive).
    model : astropy.modeling.Model
        The model.

    Attributes
    ----------
    npar : int
        Number of free parameters (not fixed and not tied).
    """

    def __init__(self, x, y, yerr, model):
        self.x, self.y, self.yerr, self.model = x, y, yerr, model
        xa = _as_1d("x", x)
        ya = _as_1d("y", y, xa.size, finite=False)
        # zero errors are allowed, as in Stingray (the likelihood is then -1e16)
        ea = _positive(
            "yerr", _as_1d("yerr", np.broadcast_to(yerr, xa.shape), xa.size, False), False
        )
        self._setup({"x": xa, "y": ya, "yerr": ea}, _LikeSpec("gaussian"))

    def evaluate(self, pars, neg=False):
        """Gaussian log-likelihood at ``pars`` (``-`` of it if ``neg``)."""
        return self._evaluate(pars, neg)


class PoissonLogLikelihood(LogLikelihood):
    """Poisson log-likelihood for counts (Stingray's ``PoissonLogLikelihood``).

    Parameters
    ----------
    x, y : iterable
        Data; ``y`` are non-negative counts.
    model : astropy.modeling.Model
        The model of the expected counts.
    """

    def __init__(self, x, y, model):
        self.x, self.y, self.model = x, y, model
        xa = _as_1d("x", x)
        ya = _positive("y (counts)", _as_1d("y", y, xa.size, finite=False), strict=False)
        self._setup({"x": xa, "y": ya}, _LikeSpec("poisson"))

    def evaluate(self, pars, neg=False):
        """Poisson log-likelihood at ``pars`` (``-`` of it if ``neg``)."""
        return self._evaluate(pars, neg)


class LaplaceLogLikelihood(LogLikelihood):
    """Laplace log-likelihood, for cospectra (Stingray's ``LaplaceLogLikelihood``).

    Parameters
    ----------
    x, y : iterable
        Data.
    yerr : iterable
        Laplace scale of each point (positive).
    model : astropy.modeling.Model
        The model.
    """

    def __init__(self, x, y, yerr, model):
        self.x, self.y, self.yerr, self.model = x, y, yerr, model
        xa = _as_1d("x", x)
        ya = _as_1d("y", y, xa.size, finite=False)
        ea = _positive(
            "yerr", _as_1d("yerr", np.broadcast_to(yerr, xa.shape), xa.size, False), False
        )
        self._setup({"x": xa, "y": ya, "yerr": ea}, _LikeSpec("laplace"))

    def evaluate(self, pars, neg=False):
        """Laplace log-likelihood at ``pars`` (``-`` of it if ``neg``)."""
        return self._evaluate(pars, neg)


def _check_m(m, n):
    """Validate ``m``; return (is scalar 1, m as float64 array broadcast to n)."""
    if isinstance(m, numbers.Number) or np.ndim(m) == 0:
        mv = float(np.asarray(m))
        if not np.isfinite(mv) or mv <= 0:
            raise ValueError(f"m must be positive and finite, got {m!r}")
        return mv == 1.0 and not isinstance(m, np.ndarray), np.full(n, mv)
    arr = np.asarray(m, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(
            f"m must be a scalar or have one value per frequency ({n}), got {arr.shape}"
        )
    if not np.all(np.isfinite(arr) & (arr > 0)):
        raise ValueError("m must be positive and finite in every bin")
    return False, arr


class PSDLogLikelihood(LogLikelihood):
    """Log-likelihood of a (possibly averaged) power spectrum (Stingray's ``PSDLogLikelihood``).

    For ``m == 1`` (a scalar) this is the Whittle likelihood, identical to Stingray's. For
    averaged spectra (``m > 1``, or an array of ``m`` per bin as ``rebin_log`` produces) it is
    the correct Gamma likelihood, ``P ~ Gamma(m, S / m)`` (see `stingray_jax.likelihoods.gamma`).
    Stingray 2.3 returns twice that (plus constants), which halves its error bars' variances
    and doubles deviances; ``stingray_compat=True`` reproduces Stingray's value exactly.

    Parameters
    ----------
    freq : iterable
        Frequencies.
    power : iterable
        Powers (positive; zero is allowed for ``m == 1``).
    model : astropy.modeling.Model
        The power-spectrum model.
    m : int, float or iterable, optional
        Number of averaged periodograms (or bins) per frequency. Default 1.
    stingray_compat : bool, optional
        Reproduce Stingray's doubled likelihood for ``m > 1``. Default ``False``.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.modeling.models import PowerLaw1D
    >>> from stingray_jax.modeling import PSDLogLikelihood
    >>> freq = np.array([0.5, 1.0, 2.0])
    >>> pl = PowerLaw1D(amplitude=2.0, x_0=1.0, alpha=1.0)
    >>> pl.x_0.fixed = True
    >>> loglike = PSDLogLikelihood(freq, np.array([3.0, 2.5, 0.8]), pl, m=1)
    >>> print(loglike([2.0, 1.0]))  # doctest: +FLOAT_CMP
    -4.879441541679836
    """

    def __init__(self, freq, power, model, m=1, stingray_compat=False):
        LogLikelihood.__init__(self, freq, power, model)
        self.m = m
        self.stingray_compat = bool(stingray_compat)
        xa = _as_1d("freq", freq)
        ya = _as_1d("power", power, xa.size, finite=False)
        whittle, marr = _check_m(m, xa.size)
        _positive("power", ya, strict=not whittle)
        data = {"x": xa, "y": ya}
        if not whittle:
            data["m"] = marr
        self._setup(data, _LikeSpec("psd", whittle=whittle, stingray_compat=self.stingray_compat))

    def evaluate(self, pars, neg=False):
        """Log-likelihood of the spectrum at ``pars`` (``-`` of it if ``neg``)."""
        return self._evaluate(pars, neg)


# --------------------------------------------------------------------------------------------
# Posteriors
# --------------------------------------------------------------------------------------------


class Posterior:
    """Base class of the posteriors (Stingray's ``Posterior``).

    Subclasses set ``self.loglikelihood``; a ``logprior`` is set with `set_logprior` (or by the
    ``priors`` argument of the subclasses). ``lpost(t0, neg=False)`` returns the log-posterior.

    Parameters
    ----------
    x, y : iterable
        Data.
    model : astropy.modeling.Model
        The model (never modified).
    """

    def __init__(self, x, y, model, **kwargs):
        self.x = x
        self.y = y
        self.model = model
        self.npar = len(free_parameter_names(model))

    # logprior is a property so that any assigned function is translated to JAX.
    @property
    def logprior(self):
        try:
            return self.__dict__["_logprior"]
        except KeyError:
            raise AttributeError("logprior") from None

    @logprior.setter
    def logprior(self, value):
        if value is not None and not isinstance(value, _LogPrior | _CustomLogPrior):
            if not callable(value):
                raise TypeError(f"logprior must be callable, got {value!r}")
            value = _CustomLogPrior(value)
        self.__dict__["_logprior"] = value

    def _prior_or_raise(self):
        if not hasattr(self, "loglikelihood"):
            raise LikelihoodUndefinedError(
                "There is no likelihood implemented. Cannot calculate posterior!"
            )
        prior = self.__dict__.get("_logprior")
        if prior is None:
            raise PriorUndefinedError(
                "There is no prior implemented. Cannot calculate posterior! Pass priors= to "
                "the constructor or use set_logprior."
            )
        return prior

    @property
    def free_param_names(self):
        """Names of the free parameters, in the order of the parameter vectors."""
        return self.loglikelihood.free_param_names

    def logposterior(self, t0, neg=False):
        """Log-posterior at ``t0`` (``-`` of it if ``neg``); ``-1e16`` where impossible."""
        if not isinstance(self.__dict__.get("loglikelihood"), LogLikelihood):
            return self._generic_logposterior(t0, neg)
        prior = self._prior_or_raise()
        value = _finite_or_logmin(self.loglikelihood._value(t0, prior))
        return -value if neg else value

    def _generic_logposterior(self, t0, neg):
        """Stingray's formula for a subclass with its own Python ``loglikelihood``/``logprior``
        methods (nothing to trace: evaluated as written)."""
        if not hasattr(self, "logprior"):
            raise PriorUndefinedError("There is no prior implemented. Cannot calculate posterior!")
        if not hasattr(self, "loglikelihood"):
            raise LikelihoodUndefinedError(
                "There is no likelihood implemented. Cannot calculate posterior!"
            )
        logpr = self.logprior(t0)
        loglike = self.loglikelihood(t0)
        lpost = logmin if np.isclose(logpr, logmin) else logpr + loglike
        return -lpost if neg else lpost

    def __call__(self, t0, neg=False):
        return self.logposterior(t0, neg=neg)

    def as_pure(self):
        """``(fn, args)``: the log-posterior as ``fn(params, *args)``, a pure JAX function."""
        prior = self._prior_or_raise()
        ll = self.loglikelihood
        return (
            functools.partial(logdensity_pure, spec=ll._spec, prior=prior),
            (ll._jm, ll._data),
        )

    def logdensity(self, params):
        """The log-posterior of the free ``params`` as a pure JAX scalar (differentiable)."""
        fn, args = self.as_pure()
        return fn(params, *args)


class PSDPosterior(Posterior):
    """Posterior of a power-spectrum model (Stingray's ``PSDPosterior``).

    Parameters
    ----------
    freq, power : iterable
        The spectrum.
    model : astropy.modeling.Model
        The power-spectrum model.
    priors : dict, optional
        ``{name: prior}`` for every free parameter (see `set_logprior`).
    m : int, float or iterable, optional
        Number of averaged periodograms per frequency (default 1).
    stingray_compat : bool, optional
        Use Stingray's doubled likelihood for ``m > 1`` (see `PSDLogLikelihood`).
    """

    def __init__(self, freq, power, model, priors=None, m=1, stingray_compat=False):
        self.loglikelihood = PSDLogLikelihood(
            freq, power, model, m=m, stingray_compat=stingray_compat
        )
        self.m = m
        Posterior.__init__(self, freq, power, model)
        if priors is not None:
            self.logprior = _constructor_prior(self, priors)


class PoissonPosterior(Posterior):
    """Posterior for Poisson-distributed counts (Stingray's ``PoissonPosterior``)."""

    def __init__(self, x, y, model, priors=None):
        self.loglikelihood = PoissonLogLikelihood(x, y, model)
        Posterior.__init__(self, x, y, model)
        if priors is not None:
            self.logprior = _constructor_prior(self, priors)


class GaussianPosterior(Posterior):
    """Posterior for data with Gaussian errors (Stingray's ``GaussianPosterior``)."""

    def __init__(self, x, y, yerr, model, priors=None):
        self.loglikelihood = GaussianLogLikelihood(x, y, yerr, model)
        Posterior.__init__(self, x, y, model)
        self.yerr = yerr
        if priors is not None:
            self.logprior = _constructor_prior(self, priors)


class LaplacePosterior(Posterior):
    """Posterior with a Laplace likelihood (Stingray's ``LaplacePosterior``)."""

    def __init__(self, x, y, yerr, model, priors=None):
        self.loglikelihood = LaplaceLogLikelihood(x, y, yerr, model)
        Posterior.__init__(self, x, y, model)
        self.yerr = yerr
        if priors is not None:
            self.logprior = _constructor_prior(self, priors)


def __getattr__(name):
    # Stingray's tests import astropy's fitter_to_model_params from stingray.modeling.posterior
    if name == "fitter_to_model_params":
        try:
            from astropy.modeling.fitting import fitter_to_model_params
        except ImportError:  # pragma: no cover (astropy < 5.1)
            from astropy.modeling.fitting import _fitter_to_model_params as fitter_to_model_params
        return fitter_to_model_params
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
