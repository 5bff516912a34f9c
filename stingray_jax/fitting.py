"""The pure fitting core: likelihood specifications, log-densities, fits and simulate-and-fit.

Everything here is a function of arrays and pytrees (a `stingray_jax.models.JaxModel` ``jm``,
a ``data`` dict of arrays with at least ``"x"``), plus two *static* (hashable) descriptions
that select the compiled code:

- ``spec``, a `LikelihoodSpec`: which likelihood of `stingray_jax.likelihoods.LIKELIHOODS`;
- ``prior``: ``None`` (maximum likelihood) or a hashable object whose ``prior.jax(params)``
  returns the log-prior density of the free parameters as a JAX scalar (``-inf`` outside the
  support). `stingray_jax.modeling.set_logprior` builds such objects from Stingray-style priors.

The functions are ``jit``-, ``vmap``- and ``grad``-able; they compute in the dtype they are
given (the Stingray-compatible classes in `stingray_jax.modeling` call them in float64), and do
no input validation (the adapters check their input, see ``stingray_jax._validate``). This
module imports nothing from `stingray_jax.modeling`, the spectra classes, `stingray_jax.batch`
or the command line (a test checks it).

Examples
--------
>>> import numpy as np
>>> from astropy.modeling.models import Const1D, PowerLaw1D
>>> from stingray_jax.fitting import LikelihoodSpec, fit_pure
>>> from stingray_jax.models import from_astropy
>>> model = PowerLaw1D(1.0, 1.0, 1.5) + Const1D(2.0)
>>> model.x_0_0.fixed = True
>>> jm = from_astropy(model)
>>> freq = np.linspace(0.01, 1.0, 200)
>>> power = model(freq) * np.random.default_rng(1).exponential(size=freq.size)
>>> res = fit_pure(jm.p0, jm, {"x": freq, "y": power}, LikelihoodSpec("whittle"))
>>> bool(res.converged), res.x.shape
(True, (3,))
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, SupportsFloat

import numpy as np

from .likelihoods import LIKELIHOODS

if TYPE_CHECKING:  # jaxtyping is needed by the type checker only (no runtime import)
    from jaxtyping import Array, Bool, Float, PRNGKeyArray

    from ._typing import ArrayOut, RealArrayLike
    from .models.bridge import JaxModel
    from .optimize import MinimizeResult

    #: the data dict: ``"x"`` plus the arrays the likelihood reads (``"y"``, ``"m"``, ...)
    Data = Mapping[str, RealArrayLike]
    #: a static prior (``prior.jax(params)`` is the log-prior), or ``None``
    Prior = Any
    #: one fitted model of `simulate_and_fit`: ``(jm, t0, spec, prior, solver)``
    FitSpec = tuple[JaxModel, Float[RealArrayLike, " k"], "LikelihoodSpec", Prior, str]

__all__ = [
    "LikelihoodSpec",
    "compiled",
    "fit_pure",
    "fit_summary",
    "information_criteria",
    "logdensity_pure",
    "neg_logdensity_curvature",
    "psd_spec",
    "sampler_logdensity",
    "simulate_and_fit",
    "simulate_spectra",
]


# --------------------------------------------------------------------------------------------
# Likelihood specifications
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LikelihoodSpec:
    """Static description of a likelihood: a key of `stingray_jax.likelihoods.LIKELIHOODS`.

    Hashable (part of the jit cache keys). ``loglike`` and ``fisher`` evaluate the registered
    functions on the model values and the ``data`` dict (keys ``"y"`` and, per likelihood,
    ``"m"`` or ``"yerr"``).

    Parameters
    ----------
    kind : str
        ``"whittle"``, ``"gamma"``, ``"stingray_gamma"``, ``"gaussian"``, ``"poisson"`` or
        ``"laplace"`` (or any name added to the table).
    masked : bool, optional
        The data dict also holds ``"mask"`` (one boolean per point): only the points where it
        is true enter the likelihood, so that data of different lengths can be padded to one
        shape and fitted in one ``vmap``. Neither the value nor the gradient depends on what
        the padded points hold, provided the model is finite at their ``x`` (pad ``x`` with a
        repeat of a real point; a NaN model value would turn the gradient into NaN).
    """

    kind: str
    masked: bool = False

    def __post_init__(self):
        if self.kind not in LIKELIHOODS:
            raise ValueError(
                f"unknown likelihood {self.kind!r}; choose one of {sorted(LIKELIHOODS)}"
            )

    @property
    def data_names(self) -> tuple[str, ...]:
        """The keys of the data dict that the likelihood reads (besides ``"x"``)."""
        return (*LIKELIHOODS[self.kind].data, *(("mask",) if self.masked else ()))

    def _masked_args(self, model, data):
        """Model and data with the padded points replaced by harmless values (1.0)."""
        import jax.numpy as jnp

        mask = jnp.asarray(data["mask"], dtype=bool)
        args = [
            jnp.broadcast_to(jnp.asarray(data[k], dtype=model.dtype), model.shape)
            for k in LIKELIHOODS[self.kind].data
        ]
        one = jnp.ones((), model.dtype)
        return mask, jnp.where(mask, model, one), [jnp.where(mask, a, one) for a in args]

    def loglike(self, model: Float[RealArrayLike, " n"], data: Data) -> Float[Array, ""]:
        """The summed log-likelihood of the model values ``model``."""
        entry = LIKELIHOODS[self.kind]
        if not self.masked:
            return entry.loglike(model, *(data[k] for k in entry.data))
        import jax
        import jax.numpy as jnp

        mask, model, args = self._masked_args(jnp.asarray(model), data)
        # the registered functions return sums: evaluate them point by point, then mask
        terms = jax.vmap(lambda s, *a: entry.loglike(s[None], *(v[None] for v in a)))(model, *args)
        return jnp.sum(jnp.where(mask, terms, jnp.zeros((), terms.dtype)))

    def fisher(self, model: Float[RealArrayLike, " n"], data: Data) -> Float[Array, " n"]:
        """The Fisher information ``E[-d2 log L_i / dS_i^2]`` of each model value."""
        entry = LIKELIHOODS[self.kind]
        if not self.masked:
            return entry.fisher(model, *(data[k] for k in entry.data))
        import jax.numpy as jnp

        mask, values, args = self._masked_args(jnp.asarray(model), data)
        return jnp.where(mask, entry.fisher(values, *args), jnp.zeros((), values.dtype))


def psd_spec(whittle: bool, stingray_compat: bool = False) -> LikelihoodSpec:
    """The `LikelihoodSpec` of a power spectrum: Whittle for a single periodogram (``m`` the
    scalar 1), the Gamma likelihood of averaged spectra otherwise, or Stingray's doubled one."""
    if whittle:
        return LikelihoodSpec("whittle")
    return LikelihoodSpec("stingray_gamma" if stingray_compat else "gamma")


# --------------------------------------------------------------------------------------------
# Log-densities
# --------------------------------------------------------------------------------------------


def logdensity_pure(
    params: Float[RealArrayLike, " k"],
    jm: JaxModel,
    data: Data,
    spec: LikelihoodSpec,
    prior: Prior | None = None,
) -> Float[Array, ""]:
    """Log-likelihood (``prior is None``) or log-posterior of the free parameters ``params``.

    ``jm`` is a `JaxModel` pytree, ``data`` a dict of arrays, ``spec`` a `LikelihoodSpec` and
    ``prior`` ``None`` or a static prior object (see the module docstring).
    """
    ll = spec.loglike(jm(params, data["x"]), data)
    if prior is None:
        return ll
    return ll + prior.jax(params)


def _neg_logdensity(params, jm, data, spec, prior):
    return -logdensity_pure(params, jm, data, spec, prior)


def neg_logdensity_curvature(
    params: Float[Array, " k"],
    jm: JaxModel,
    data: Data,
    spec: LikelihoodSpec,
    prior: Prior | None = None,
) -> tuple[Float[Array, ""], Float[Array, " k"], Float[Array, "k k"]]:
    """``-log density``, its gradient and its Fisher-scoring curvature.

    ``B = J^T diag(I) J - hess(log prior)``, with ``J`` the Jacobian of the model values
    (forward mode, one tangent per parameter) and ``I`` the per-bin Fisher information of the
    likelihood (`LikelihoodSpec.fisher`). The gradient is exact. This is the ``curvature`` of
    the ``"scoring"`` solver of `stingray_jax.optimize.minimize`.
    """
    import jax
    import jax.numpy as jnp

    def column(tangent):  # one forward-mode pass per parameter, rows of J^T
        return jax.jvp(lambda p: jm(p, data["x"]), (params,), (tangent,))

    values, jac_t = jax.vmap(column)(jnp.eye(params.shape[0], dtype=params.dtype))
    values = values[0]
    value, dvalues = jax.value_and_grad(lambda s: -spec.loglike(s, data))(values)
    w = spec.fisher(values, data)
    grad = jac_t @ dvalues
    curv = (jac_t * w) @ jac_t.T
    if prior is not None:

        def neg_prior(p):
            return -prior.jax(p)

        value = value + neg_prior(params)
        grad = grad + jax.grad(neg_prior)(params)
        curv = curv + jax.hessian(neg_prior)(params)
    return value, grad, curv


@functools.cache
def sampler_logdensity(
    spec: LikelihoodSpec, prior: Prior | None
) -> Callable[[Float[Array, " k"], tuple[JaxModel, Data]], Float[Array, ""]]:
    """``f(params, (jm, data))``: the log-density in the form `stingray_jax.sampling.run_mcmc`
    takes. Cached per (spec, prior), so that the same function object, hence the same compiled
    sampler, serves every posterior of the same structure."""

    def logdensity(params, payload):
        jm, data = payload
        return logdensity_pure(params, jm, data, spec, prior)

    return logdensity


# --------------------------------------------------------------------------------------------
# Fits
# --------------------------------------------------------------------------------------------


def fit_pure(
    p0: Float[RealArrayLike, " k"],
    jm: JaxModel,
    data: Data,
    spec: LikelihoodSpec,
    prior: Prior | None = None,
    solver: str = "scoring",
    max_steps: int | None = None,
) -> MinimizeResult:
    """Minimise the negative `logdensity_pure` from ``p0`` within the model's bounds.

    Pure (jit/vmap-able in ``p0``, ``jm`` leaves and ``data``); ``spec``, ``prior``, ``solver``
    and ``max_steps`` are static. Bounds are those of the model (``jm.bounds``). The default
    solver is Fisher scoring (``"scoring"``, with `neg_logdensity_curvature`).

    Returns
    -------
    res : stingray_jax.optimize.MinimizeResult
    """
    from .optimize import minimize

    fun = functools.partial(_neg_logdensity, spec=spec, prior=prior)
    curvature = None
    if solver == "scoring":
        curvature = functools.partial(neg_logdensity_curvature, spec=spec, prior=prior)
    return minimize(
        fun,
        p0,
        args=(jm, data),
        bounds=jm.bounds,
        solver=solver,
        max_steps=max_steps,
        curvature=curvature,
    )


def fit_summary(
    p0: Float[RealArrayLike, " k"],
    jm: JaxModel,
    data: Data,
    spec: LikelihoodSpec,
    prior: Prior | None = None,
    solver: str = "scoring",
    max_steps: int | None = None,
) -> tuple[MinimizeResult, Float[ArrayOut, " n"], Float[Array, ""]]:
    """`fit_pure` plus the best-fit model values and the log-likelihood at the optimum.

    Returns ``(res, mfit, loglike)``; with a prior, ``loglike`` excludes it.
    """
    res = fit_pure(p0, jm, data, spec, prior, solver, max_steps)
    mfit = jm(res.x, data["x"])
    loglike = -res.fun if prior is None else -res.fun - prior.jax(res.x)
    return res, mfit, loglike


def information_criteria(result: SupportsFloat, k: SupportsFloat, n: int) -> tuple[float, float]:
    """Stingray's Akaike and Bayesian information criteria of a fit: ``(aic, bic)``.

    ``aic = result + 2 k`` and ``bic = result + k ln n``, with ``result`` the minimum of the
    objective (``-log L``, or ``-log posterior`` for a MAP fit), ``k`` free parameters and
    ``n`` data points. These are Stingray's definitions (`OptimizationResults.aic`), used by
    every part of this package, the command line included. For a maximum-likelihood fit the
    textbook AIC, ``2 k - 2 log L``, is twice ``aic``; the textbook BIC is
    ``k ln n - 2 log L`` (not a multiple of ``bic``). Differences between models are what
    matter: compare values of one definition only.
    """
    k = float(k)
    return float(result) + 2.0 * k, float(result) + k * float(np.log(n))


# --------------------------------------------------------------------------------------------
# Simulate and fit (the calibrations)
# --------------------------------------------------------------------------------------------


def simulate_spectra(
    key: PRNGKeyArray,
    s_batch: Float[Array, "batch k"],
    jm: JaxModel,
    x: Float[RealArrayLike, " n"],
    m: Float[RealArrayLike, "#n"],
    noise: Float[RealArrayLike, "batch n"] | None = None,
) -> Float[Array, "batch n"]:
    """Spectra ``model(s) * chi2(2m) / (2m)`` for each parameter set in ``s_batch``.

    ``chi2(2m) / (2m)`` is drawn from ``key`` as ``Gamma(shape=m, scale=1/m)``; ``m`` is a
    scalar or one value per frequency (as ``rebin_log`` produces). Alternatively ``noise``
    (shape ``(len(s_batch), len(x))``) gives those factors, drawn elsewhere (``key`` is then
    unused): the Stingray adapters draw them on the host from ``numpy.random.RandomState(seed)``
    as Stingray does, so that a seed simulates Stingray's spectra exactly.
    """
    import jax
    import jax.numpy as jnp

    models = jax.vmap(lambda p: jm(p, x))(s_batch)
    if noise is None:
        noise = jax.random.gamma(key, jnp.broadcast_to(m, models.shape), dtype=models.dtype) / m
    return models * jnp.asarray(noise, dtype=models.dtype)


def simulate_and_fit(
    key: PRNGKeyArray,
    s_batch: Float[Array, "batch k"],
    jm_sim: JaxModel,
    data: Data,
    m: Float[RealArrayLike, "#n"],
    fits: tuple[FitSpec, ...],
    noise: Float[RealArrayLike, "batch n"] | None = None,
) -> tuple[
    tuple[
        Float[Array, "batch k"],
        Float[Array, " batch"],
        Bool[Array, " batch"],
        Float[Array, " batch"],
    ],
    ...,
]:
    """Simulate one spectrum per parameter set and fit every model in ``fits`` to each.

    ``fits`` is a tuple of ``(jm, t0, spec, prior, solver)`` (``spec``, ``prior`` and
    ``solver`` static); ``key`` and ``noise`` as in `simulate_spectra`. Returns, per fit,
    ``(x, fun, settled, max_outlier)`` with a leading simulation axis, where ``settled`` is
    `~stingray_jax.optimize.MinimizeResult.value_converged` (the minimum *value* is found,
    which is all a likelihood ratio needs, even where a degenerate model leaves ``x``
    undetermined) and ``max_outlier`` is the highest ``2 P / best-fit model``.
    """
    import jax.numpy as jnp

    from .optimize import map_fits

    x = data["x"]
    sims = simulate_spectra(key, s_batch, jm_sim, x, m, noise)

    out = []
    for fjm, t0, spec, prior, solver in fits:

        def fit_one(y, fjm=fjm, t0=t0, spec=spec, prior=prior, solver=solver):
            res = fit_pure(t0, fjm, dict(data, y=y), spec, prior, solver=solver)
            max_outlier = jnp.max(2.0 * y / fjm(res.x, x))
            return res.x, res.fun, res.value_converged, max_outlier

        out.append(map_fits(fit_one, sims))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Compiled versions (one cache for the whole package: every estimator instance shares them)
# --------------------------------------------------------------------------------------------


@functools.cache
def compiled(name: str, statics: tuple | None = None) -> Callable[..., Any]:
    """The jitted version of one core function, created on first use and then shared.

    ``name`` is ``"logdensity"`` (`logdensity_pure`, static ``spec`` and ``prior``),
    ``"model"`` (``jm(params, x)``), ``"fit_summary"`` (`fit_summary`, static ``spec``,
    ``prior``, ``solver``, ``max_steps``), ``"neg_hessian"`` (the exact Hessian of the negative
    log-density, static ``spec`` and ``prior``) or ``"simulate_and_fit"`` (`simulate_and_fit`
    for the tuple ``statics`` of ``(spec, prior, solver)`` per fitted model, called as
    ``fn(key, s_batch, jm_sim, data, m, jms, t0s, noise=None)``). Importing this module
    creates no JAX state; the first call of each name does.
    """
    import jax

    from .optimize import compact_jit

    if name == "logdensity":
        return jax.jit(logdensity_pure, static_argnames=("spec", "prior"))
    if name == "model":
        return jax.jit(lambda params, jm, x: jm(params, x))
    if name == "fit_summary":
        return compact_jit(fit_summary, static_argnames=("spec", "prior", "solver", "max_steps"))
    if name == "neg_hessian":
        return compact_jit(jax.hessian(_neg_logdensity), static_argnames=("spec", "prior"))
    if name == "simulate_and_fit":

        def run(key, s_batch, jm_sim, data, m, jms, t0s, noise=None):
            fits = tuple(
                (jm, t0, spec, prior, solver)
                for jm, t0, (spec, prior, solver) in zip(jms, t0s, statics)
            )
            return simulate_and_fit(key, s_batch, jm_sim, data, m, fits, noise)

        return compact_jit(run)
    raise ValueError(f"unknown compiled function {name!r}")
