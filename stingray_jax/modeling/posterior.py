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

from __future__ import annotations

import abc
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .._config import x64_scope
from .._validate import IncorrectParameterError
from .._validate import as_1d as _as_1d
from .._validate import m_per_bin as _check_m
from .._validate import parameters as _check_pars
from .._validate import positive as _positive
from ..fitting import LikelihoodSpec, compiled, logdensity_pure, psd_spec
from ._logprior import (
    _constructor_prior,
    _CustomLogPrior,
    _LogPrior,
    finite_or_logmin,
    logmin,
    set_logprior,
)
from ._model_cache import free_parameter_names, jax_model_and_key, safe_key

if TYPE_CHECKING:
    from jax import Array

    from .._typing import RealArrayLike as ArrayLike

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


class PriorUndefinedError(Exception):
    """A posterior was evaluated without a prior (as in Stingray)."""


class LikelihoodUndefinedError(Exception):
    """A posterior was evaluated without a likelihood (as in Stingray)."""


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

    _spec: LikelihoodSpec = None  # type: ignore[assignment]  # set by _setup

    def __init__(self, x, y, model, **kwargs):
        self.x = x
        self.y = y
        self.model = model

    @abc.abstractmethod
    def evaluate(self, parameters: ArrayLike, neg: bool = False) -> float:
        """Return the log-likelihood (or its negative) at ``parameters``."""

    def __call__(self, parameters: ArrayLike, neg: bool = False) -> float:
        return self.evaluate(parameters, neg)

    # shared machinery of the concrete classes ---------------------------------------------
    def _setup(self, data, spec):
        self._jm, self._jm_key = jax_model_and_key(self.model)
        self._data = data
        self._spec = spec
        self.npar = self._jm.n_free

    def _refresh_model(self):
        """Rebuild the JAX model if the astropy model changed since construction (bounds,
        fixed or tied flags set afterwards): fits use the model's state at fit time."""
        key = safe_key(self.model)
        if key is None or key != self._jm_key:
            jm, key = jax_model_and_key(self.model)
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
            return compiled("logdensity")(pars, self._jm, self._data, self._spec, prior)

    def evaluate_model(self, pars: ArrayLike) -> np.ndarray:
        """The model at ``self.x`` for the free parameters ``pars`` (a NumPy array)."""
        pars = _check_pars(pars, self.npar)
        with x64_scope():
            return np.asarray(compiled("model")(pars, self._jm, self._data["x"]))

    def _evaluate(self, pars, neg):
        value = finite_or_logmin(self._value(pars))
        return -value if neg else value

    def as_pure(self) -> tuple[Callable[..., Array], tuple[Any, ...]]:
        """``(fn, args)``: the log-likelihood as ``fn(params, *args)``, a pure JAX function."""
        return (
            functools.partial(logdensity_pure, spec=self._spec, prior=None),
            (self._jm, self._data),
        )

    def logdensity(self, params: ArrayLike) -> Array:
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
        self._setup({"x": xa, "y": ya, "yerr": ea}, LikelihoodSpec("gaussian"))

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
        self._setup({"x": xa, "y": ya}, LikelihoodSpec("poisson"))

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
        self._setup({"x": xa, "y": ya, "yerr": ea}, LikelihoodSpec("laplace"))

    def evaluate(self, pars, neg=False):
        """Laplace log-likelihood at ``pars`` (``-`` of it if ``neg``)."""
        return self._evaluate(pars, neg)


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
        self._setup(data, psd_spec(whittle, self.stingray_compat))

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

    loglikelihood: Any  # set by the subclasses (a LogLikelihood, or a method of a user's)

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

    def logposterior(self, t0: ArrayLike, neg: bool = False) -> float:
        """Log-posterior at ``t0`` (``-`` of it if ``neg``); ``-1e16`` where impossible."""
        if not isinstance(self.__dict__.get("loglikelihood"), LogLikelihood):
            return self._generic_logposterior(t0, neg)
        prior = self._prior_or_raise()
        value = finite_or_logmin(self.loglikelihood._value(t0, prior))
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

    def __call__(self, t0: ArrayLike, neg: bool = False) -> float:
        return self.logposterior(t0, neg=neg)

    def as_pure(self) -> tuple[Callable[..., Array], tuple[Any, ...]]:
        """``(fn, args)``: the log-posterior as ``fn(params, *args)``, a pure JAX function."""
        prior = self._prior_or_raise()
        ll = self.loglikelihood
        return (
            functools.partial(logdensity_pure, spec=ll._spec, prior=prior),
            (ll._jm, ll._data),
        )

    def logdensity(self, params: ArrayLike) -> Array:
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


def objective_parts(lpost, max_post):
    """``(likelihood object, prior or None)`` of what a fit of ``lpost`` minimises.

    The likelihood's JAX model is refreshed first (bounds or flags set on the astropy model
    after the likelihood was built are honoured).
    """
    if isinstance(lpost, Posterior):
        ll = lpost.loglikelihood
        if hasattr(ll, "_jm_key"):
            ll._refresh_model()
        prior = lpost._prior_or_raise() if max_post else None
        return ll, prior
    if hasattr(lpost, "_jm_key"):
        lpost._refresh_model()
    return lpost, None


def __getattr__(name):
    # Stingray's tests import astropy's fitter_to_model_params from stingray.modeling.posterior
    if name == "fitter_to_model_params":
        try:
            from astropy.modeling.fitting import fitter_to_model_params
        except ImportError:  # pragma: no cover (astropy < 5.1)
            from astropy.modeling.fitting import _fitter_to_model_params as fitter_to_model_params
        return fitter_to_model_params
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
