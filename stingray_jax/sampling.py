"""NUTS and HMC sampling over a pure log-density, batched over chains and data sets.

This is the pure core behind :meth:`stingray_jax.modeling.ParameterEstimation.sample` and the
vmapped significance calibrations. It uses NumPyro's functional NUTS/HMC kernels
(``numpyro.infer.hmc.hmc``) and drives them with :func:`jax.lax.scan`, so that one compiled
function runs warm-up (step-size and mass-matrix adaptation) and sampling for every chain at once
(``vmap`` over chains), and, through :func:`run_mcmc_batch`, for many data sets at once with no
recompilation.

Parameters with bounds are sampled in an unconstrained space through smooth bijections (scaled
logistic for two-sided bounds, exponential for one-sided ones) and the log-Jacobian of the
transformation is added to the log-density, so the target distribution is exactly the
log-density restricted to the bounds.

Diagnostics are computed with NumPyro's reference implementations: the split Gelman-Rubin
:math:`\\hat R` (Gelman et al. 2013, BDA3 section 11.4) and the effective sample size of Geyer's
initial monotone sequence estimator.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # jaxtyping is needed by the type checker only (no runtime import)
    from jaxtyping import Array, Bool, Float, PyTree

    from ._typing import RealArrayLike

    #: ``logdensity(params, data) -> scalar``
    LogDensity = Callable[[Float[Array, " ndim"], Any], Float[Array, ""]]
    #: per-parameter ``(low, high)``, ``None`` or infinite where open
    Bounds = Sequence[tuple[float | None, float | None]] | None

__all__ = [
    "MCMCResult",
    "effective_sample_size",
    "run_mcmc",
    "run_mcmc_batch",
    "split_rhat",
    "to_constrained",
    "to_unconstrained",
]


def _import_numpyro():
    """Import numpyro without keeping the warning filter its ``__init__`` installs.

    (No global state may change behind the user's back: ``sample()`` used to leave
    ``warnings.filters`` longer than it found it.)
    """
    import sys

    if "numpyro" not in sys.modules:
        import warnings

        with warnings.catch_warnings():
            import numpyro  # noqa: F401


_SAMPLERS = ("nuts", "hmc")


# --------------------------------------------------------------------------------------------
# Bound transforms
# --------------------------------------------------------------------------------------------
def _bound_arrays(bounds, ndim):
    """Return (low, high) float arrays of length ``ndim`` with -inf/+inf where a bound is open."""
    from .optimize import _parse_bounds

    _, lows, highs = _parse_bounds(bounds, ndim)
    return np.asarray(lows, dtype=float), np.asarray(highs, dtype=float)


def _kinds(low, high):
    low = np.asarray(low, dtype=float)
    high = np.asarray(high, dtype=float)
    kinds = tuple(int(a) + 2 * int(b) for a, b in zip(np.isfinite(low), np.isfinite(high)))
    return kinds, tuple(low.tolist()), tuple(high.tolist())


def to_constrained(
    u: Float[RealArrayLike, " ndim"],
    low: Float[RealArrayLike, " ndim"],
    high: Float[RealArrayLike, " ndim"],
) -> tuple[Float[Array, " ndim"], Float[Array, ""]]:
    """Map unconstrained ``u`` into the box ``(low, high)``; return ``(x, log|dx/du|)``.

    The bijections are those of `stingray_jax.optimize.transform_bounds` (the optimiser uses
    MINUIT's non-bijective transforms instead, see `stingray_jax.optimize`):
    :math:`x = l + (h - l)\\,\\sigma(u)` for two-sided bounds, :math:`x = l + e^u` or
    :math:`x = h - e^u` for one-sided ones, identity for open parameters. ``low`` and ``high``
    are static (NumPy), ``u`` may be traced.
    """
    from .optimize import _make_log_jacobian, _make_transforms

    kinds, lows, highs = _kinds(low, high)
    to_x, _ = _make_transforms(kinds, lows, highs)
    return to_x(u), _make_log_jacobian(kinds, lows, highs)(u)


def to_unconstrained(
    x: Float[RealArrayLike, " ndim"],
    low: Float[RealArrayLike, " ndim"],
    high: Float[RealArrayLike, " ndim"],
) -> Float[np.ndarray, " ndim"]:
    """Inverse of :func:`to_constrained` (for starting points). Raises if out of bounds."""
    import jax.numpy as jnp

    from .optimize import _check_inside, _make_transforms

    kinds, lows, highs = _kinds(low, high)
    _check_inside(x, kinds, lows, highs)
    _, to_u = _make_transforms(kinds, lows, highs)
    return np.asarray(to_u(jnp.asarray(x)), dtype=float)


# --------------------------------------------------------------------------------------------
# Diagnostics
# --------------------------------------------------------------------------------------------
def split_rhat(chains: Float[RealArrayLike, "chains draws *rest"]) -> Float[np.ndarray, " *rest"]:
    """Split Gelman-Rubin :math:`\\hat R` of ``chains`` with shape ``(n_chains, n_draws, ...)``.

    Each chain is split in half, so that the statistic also detects non-stationarity within a
    single chain. Values close to 1 (< 1.01) indicate convergence.
    """
    _import_numpyro()
    from numpyro.diagnostics import split_gelman_rubin

    chains = np.asarray(chains, dtype=float)
    if chains.ndim < 2 or chains.shape[1] < 4:
        raise ValueError("split_rhat needs an array (n_chains, n_draws >= 4, ...)")
    return np.asarray(split_gelman_rubin(chains))


def effective_sample_size(
    chains: Float[RealArrayLike, "chains draws *rest"],
) -> Float[np.ndarray, " *rest"]:
    """Effective sample size of ``chains`` with shape ``(n_chains, n_draws, ...)``.

    Uses the multi-chain autocorrelation estimate with Geyer's initial monotone sequence (as in
    Stan and NumPyro); the result is the number of independent draws with the same Monte Carlo
    error of the mean.
    """
    _import_numpyro()
    from numpyro.diagnostics import effective_sample_size as _ess

    chains = np.asarray(chains, dtype=float)
    if chains.ndim < 2 or chains.shape[1] < 4:
        raise ValueError("effective_sample_size needs an array (n_chains, n_draws >= 4, ...)")
    return np.asarray(_ess(chains))


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class MCMCResult:
    """Draws and diagnostics of one MCMC run (all NumPy arrays).

    Attributes
    ----------
    chains : ndarray, shape (n_chains, n_draws, ndim)
        The post-warm-up draws, in the constrained (user) parameter space.
    log_density : ndarray, shape (n_chains, n_draws)
        The target log-density at each draw (without the Jacobian of the bound transforms).
    accept_prob : ndarray, shape (n_chains, n_draws)
        Metropolis acceptance probability of each transition.
    diverging : ndarray of bool, shape (n_chains, n_draws)
        Divergent transitions.
    num_steps : ndarray, shape (n_chains, n_draws)
        Leapfrog steps of each transition.
    step_size : ndarray, shape (n_chains,)
        The adapted step sizes.
    sampler : str
        ``"nuts"`` or ``"hmc"``.
    num_warmup : int
        Number of warm-up (adaptation) iterations per chain, discarded.
    seed : int
        The seed of the run.
    wall_time : float
        Seconds spent in the run, compilation included.
    """

    chains: np.ndarray
    log_density: np.ndarray
    accept_prob: np.ndarray
    diverging: np.ndarray
    num_steps: np.ndarray
    step_size: np.ndarray
    sampler: str
    num_warmup: int
    seed: int
    wall_time: float

    @property
    def samples(self) -> Float[np.ndarray, "samples ndim"]:
        """All draws of all chains, flattened to shape ``(n_chains * n_draws, ndim)``."""
        return self.chains.reshape(-1, self.chains.shape[-1])

    @property
    def num_chains(self) -> int:
        return self.chains.shape[0]

    @property
    def num_draws(self) -> int:
        return self.chains.shape[1]

    @property
    def ndim(self) -> int:
        return self.chains.shape[2]

    @property
    def num_divergences(self) -> int:
        """Total number of divergent transitions after warm-up."""
        return int(np.sum(self.diverging))

    @property
    def acceptance(self) -> float:
        """Mean acceptance probability over all chains and draws."""
        return float(np.mean(self.accept_prob))

    @functools.cached_property
    def rhat(self) -> Float[np.ndarray, " ndim"]:
        """Split :math:`\\hat R` per parameter (needs at least 4 draws)."""
        return split_rhat(self.chains)

    @functools.cached_property
    def ess(self) -> Float[np.ndarray, " ndim"]:
        """Effective sample size per parameter."""
        return effective_sample_size(self.chains)

    @property
    def ess_per_second(self) -> float:
        """Minimum effective sample size over parameters divided by the wall time."""
        return float(np.min(self.ess) / self.wall_time)


# --------------------------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------------------------
def _check_options(sampler, num_warmup, num_samples, num_chains):
    if sampler not in _SAMPLERS:
        raise ValueError(f"sampler must be one of {_SAMPLERS}, got {sampler!r}")
    for name, value, minimum in (
        ("num_warmup", num_warmup, 0),
        ("num_samples", num_samples, 1),
        ("num_chains", num_chains, 1),
    ):
        if not isinstance(value, int | np.integer) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


@functools.lru_cache(maxsize=64)
def _compiled_sampler(
    logdensity,
    low,
    high,
    sampler,
    num_warmup,
    num_samples,
    target_accept_prob,
    max_tree_depth,
    num_steps,
    trajectory_length,
    dense_mass,
):
    """Build (and cache) the jitted function ``(keys, u0, data) -> draws`` for one set of options.

    ``keys`` and ``u0`` have a leading chain axis; ``data`` is shared by the chains. The cache key
    is the log-density function itself and the static options, so calling again with new data or
    new starting points of the same shapes reuses the compiled code.
    """
    import jax

    _import_numpyro()
    from numpyro.infer.hmc import hmc

    low = np.asarray(low)
    high = np.asarray(high)

    def potential_fn_gen(data):
        def potential(u):
            x, logj = to_constrained(u, low, high)
            return -(logdensity(x, data) + logj)

        return potential

    init_kernel, sample_kernel = hmc(
        potential_fn_gen=potential_fn_gen, algo="NUTS" if sampler == "nuts" else "HMC"
    )

    def one_chain(key, u0, data):
        options = dict(
            step_size=1.0,
            adapt_step_size=True,
            adapt_mass_matrix=True,
            dense_mass=dense_mass,
            target_accept_prob=target_accept_prob,
            max_tree_depth=max_tree_depth,
            model_args=(data,),
            rng_key=key,
        )
        if sampler == "hmc":
            options["num_steps"] = num_steps
            options["trajectory_length"] = trajectory_length
        state = init_kernel(u0, num_warmup, **options)

        def step(state, _):
            state = sample_kernel(state, model_args=(data,))
            return state, (
                state.z,
                state.potential_energy,
                state.accept_prob,
                state.diverging,
                state.num_steps,
            )

        # One scan over warm-up and sampling (the kernel adapts while state.i < num_warmup):
        # the NUTS kernel is compiled once, not twice; the warm-up part of the trace is dropped.
        state, trace = jax.lax.scan(step, state, None, length=num_warmup + num_samples)
        z, _, accept_prob, diverging, n_steps = (a[num_warmup:] for a in trace)
        x = jax.vmap(lambda u: to_constrained(u, low, high)[0])(z)
        logd = jax.vmap(lambda xx: logdensity(xx, data))(x)
        return x, logd, accept_prob, diverging, n_steps, state.adapt_state.step_size

    # Each is compiled on first use. vmap over chains makes NUTS's nested while loops run in
    # lockstep and costs about 3x the compile time of one chain, so on a single device the
    # default runs chains one after the other through the same compiled function.
    return {
        "sequential": jax.jit(one_chain),
        "vectorized": jax.jit(jax.vmap(one_chain, in_axes=(0, 0, None))),
        "parallel": jax.pmap(one_chain, in_axes=(0, 0, None)),
        "batch": jax.jit(jax.vmap(jax.vmap(one_chain, in_axes=(0, 0, None)), in_axes=(0, 0, 0))),
    }


def _initial_points(init_params, low, high, num_chains, rng, init_cov, init_jitter):
    """Starting points (constrained) for each chain, strictly inside the bounds."""
    init_params = np.asarray(init_params, dtype=float)
    ndim = init_params.size
    if init_cov is not None:
        init_cov = np.asarray(init_cov, dtype=float)
        if init_cov.shape != (ndim, ndim):
            raise ValueError(f"cov must have shape ({ndim}, {ndim}), got {init_cov.shape}")
        # Stingray draws walker positions from N(t0, cov); draws outside the bounds are redrawn.
        points = np.empty((num_chains, ndim))
        for c in range(num_chains):
            for _ in range(100):
                p = rng.multivariate_normal(init_params, init_cov, method="eigh")
                if np.all(p > low) and np.all(p < high):
                    break
            else:
                p = init_params
            points[c] = p
        return points
    u0 = to_unconstrained(init_params, low, high)
    jitter = init_jitter * rng.standard_normal((num_chains, ndim))
    return np.stack([np.asarray(to_constrained(u0 + j, low, high)[0]) for j in jitter])


def _prepare(
    logdensity,
    init_params,
    bounds,
    sampler,
    num_warmup,
    num_samples,
    num_chains,
    target_accept_prob,
    max_tree_depth,
    num_steps,
    trajectory_length,
    dense_mass,
):
    _check_options(sampler, num_warmup, num_samples, num_chains)
    if not callable(logdensity):
        raise TypeError("logdensity must be a callable logdensity(params, data) -> scalar")
    if not 0.0 < target_accept_prob < 1.0:
        raise ValueError(f"target_accept_prob must be in (0, 1), got {target_accept_prob}")
    init_params = np.atleast_1d(np.asarray(init_params, dtype=float))
    if init_params.ndim != 1 or init_params.size == 0:
        raise ValueError("init_params must be a non-empty 1-D array of parameter values")
    if not np.all(np.isfinite(init_params)):
        raise ValueError(f"init_params must be finite, got {init_params}")
    ndim = init_params.size
    low, high = _bound_arrays(bounds, ndim)
    if sampler == "hmc" and num_steps is None and trajectory_length is None:
        trajectory_length = 2 * np.pi
    kernels = _compiled_sampler(
        logdensity,
        tuple(low),
        tuple(high),
        sampler,
        int(num_warmup),
        int(num_samples),
        float(target_accept_prob),
        int(max_tree_depth),
        None if num_steps is None else int(num_steps),
        None if trajectory_length is None else float(trajectory_length),
        bool(dense_mass),
    )
    return init_params, low, high, kernels


def run_mcmc(
    logdensity: LogDensity,
    init_params: Float[RealArrayLike, " ndim"],
    data: PyTree = None,
    *,
    bounds: Bounds = None,
    sampler: str = "nuts",
    num_warmup: int = 500,
    num_samples: int = 1000,
    num_chains: int = 4,
    seed: int = 0,
    init_cov: Float[RealArrayLike, "ndim ndim"] | None = None,
    init_jitter: float = 1e-2,
    target_accept_prob: float = 0.8,
    max_tree_depth: int = 10,
    num_steps: int | None = None,
    trajectory_length: float | None = None,
    dense_mass: bool = False,
    chain_method: str = "auto",
) -> MCMCResult:
    """Sample ``exp(logdensity(params, data))`` with NUTS (default) or HMC.

    Parameters
    ----------
    logdensity : callable
        ``logdensity(params, data) -> scalar``, a pure JAX function of the 1-D parameter array
        and an arbitrary pytree of data (``None`` if unused). Pass the *same* function object
        again to reuse the compiled sampler (new data or starting points of the same shapes do
        not recompile).
    init_params : array-like, shape (ndim,)
        Starting values (strictly inside ``bounds``).
    data : pytree, optional
        Passed to ``logdensity`` unchanged.
    bounds : sequence of (low, high) or None, optional
        Per-parameter bounds, ``None`` or infinite where open.
    sampler : {"nuts", "hmc"}
        The NumPyro kernel.
    num_warmup, num_samples, num_chains : int
        Warm-up (adaptation, discarded) and kept iterations per chain, and number of chains.
        Chains run vectorised in one compiled function.
    seed : int
        Seed of the JAX PRNG and of the starting-point jitter (NumPy ``default_rng(seed)``; the
        global NumPy RNG is never used).
    init_cov : array-like, shape (ndim, ndim), optional
        If given, each chain starts from a draw of ``N(init_params, init_cov)`` inside the
        bounds (as Stingray starts its walkers); otherwise chains start at ``init_params``
        jittered by ``init_jitter`` in the unconstrained space.
    target_accept_prob, max_tree_depth : float, int
        NUTS options (step size adaptation target and maximum tree depth).
    num_steps, trajectory_length : int, float, optional
        HMC options (fixed number of leapfrog steps, or trajectory length; default ``2 pi``).
    dense_mass : bool
        Adapt a dense mass matrix instead of a diagonal one.
    chain_method : {"auto", "sequential", "parallel", "vectorized"}
        How chains run: one after the other through one compiled function, one per device
        (``pmap``), or vectorised (``vmap``, NUTS trees in lockstep; slower to compile).
        ``"auto"`` is ``"parallel"`` when there are at least ``num_chains`` JAX devices and
        ``"sequential"`` otherwise.

    Returns
    -------
    result : MCMCResult

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from stingray_jax.sampling import run_mcmc
    >>> def logdensity(x, data):
    ...     return -0.5 * jnp.sum((x - data) ** 2)
    >>> res = run_mcmc(logdensity, [0.0, 0.0], jnp.array([1.0, -1.0]), num_samples=500)
    >>> res.chains.shape
    (4, 500, 2)
    >>> bool(abs(res.samples.mean(axis=0)[0] - 1.0) < 0.2)
    True
    """
    import jax

    init_params, low, high, kernels = _prepare(
        logdensity,
        init_params,
        bounds,
        sampler,
        num_warmup,
        num_samples,
        num_chains,
        target_accept_prob,
        max_tree_depth,
        num_steps,
        trajectory_length,
        dense_mass,
    )
    methods = ("auto", "sequential", "parallel", "vectorized")
    if chain_method not in methods:
        raise ValueError(f"chain_method must be one of {methods}, got {chain_method!r}")
    if chain_method == "auto":
        enough = jax.local_device_count() >= num_chains > 1
        chain_method = "parallel" if enough else "sequential"
    if chain_method == "parallel" and jax.local_device_count() < num_chains:
        raise ValueError(
            f"chain_method='parallel' needs {num_chains} devices, found {jax.local_device_count()}"
        )
    rng = np.random.default_rng(seed)
    x0 = _initial_points(init_params, low, high, num_chains, rng, init_cov, init_jitter)
    dtype = jax.numpy.asarray(0.0).dtype
    u0 = np.stack([to_unconstrained(p, low, high) for p in x0]).astype(dtype)
    keys = jax.random.split(jax.random.key(seed), num_chains)
    t0 = time.perf_counter()
    if chain_method == "sequential":
        per_chain = [kernels["sequential"](keys[c], u0[c], data) for c in range(num_chains)]
        out = [np.stack([np.asarray(o[i]) for o in per_chain]) for i in range(6)]
    else:
        out = jax.block_until_ready(kernels[chain_method](keys, u0, data))
    wall = time.perf_counter() - t0
    x, logd, acc, div, nsteps, step = (np.asarray(a) for a in out)
    if not np.all(np.isfinite(x)):
        raise FloatingPointError(
            "the sampler produced non-finite parameter values: the log-density is probably "
            "not finite everywhere inside the bounds"
        )
    return MCMCResult(
        chains=x,
        log_density=logd,
        accept_prob=acc,
        diverging=div.astype(bool),
        num_steps=nsteps,
        step_size=step,
        sampler=sampler,
        num_warmup=int(num_warmup),
        seed=int(seed),
        wall_time=wall,
    )


def run_mcmc_batch(
    logdensity: LogDensity,
    init_params: Float[RealArrayLike, "*#n_sets ndim"],
    data: PyTree,
    *,
    bounds: Bounds = None,
    sampler: str = "nuts",
    num_warmup: int = 500,
    num_samples: int = 1000,
    num_chains: int = 2,
    seed: int = 0,
    init_jitter: float = 1e-2,
    target_accept_prob: float = 0.8,
    max_tree_depth: int = 10,
    num_steps: int | None = None,
    trajectory_length: float | None = None,
    dense_mass: bool = False,
) -> tuple[Float[np.ndarray, "n_sets chains draws ndim"], Bool[np.ndarray, "n_sets chains draws"]]:
    """Run :func:`run_mcmc` on many data sets at once, in one compiled, vmapped call.

    Parameters
    ----------
    logdensity : callable
        ``logdensity(params, data_i) -> scalar`` for *one* data set.
    init_params : array-like, shape (n_sets, ndim) or (ndim,)
        Starting values per data set (or shared).
    data : pytree
        Data sets stacked along a leading axis of length ``n_sets``.
    **options
        As for :func:`run_mcmc`.

    Returns
    -------
    chains : ndarray, shape (n_sets, n_chains, n_draws, ndim)
    diverging : ndarray of bool, shape (n_sets, n_chains, n_draws)
    """
    import jax

    leaves = jax.tree_util.tree_leaves(data)
    if not leaves:
        raise ValueError("run_mcmc_batch needs data stacked along a leading axis")
    n_sets = np.shape(leaves[0])[0]
    init = np.asarray(init_params, dtype=float)
    if init.ndim == 1:
        init = np.broadcast_to(init, (n_sets, init.size))
    if init.shape[0] != n_sets:
        raise ValueError(f"init_params has {init.shape[0]} rows but data has {n_sets} sets")
    _, low, high, kernels = _prepare(
        logdensity,
        init[0],
        bounds,
        sampler,
        num_warmup,
        num_samples,
        num_chains,
        target_accept_prob,
        max_tree_depth,
        num_steps,
        trajectory_length,
        dense_mass,
    )
    rng = np.random.default_rng(seed)
    u0 = np.stack(
        [
            np.stack([to_unconstrained(p, low, high)] * num_chains)
            + init_jitter * rng.standard_normal((num_chains, init.shape[1]))
            for p in init
        ]
    )
    keys = jax.random.split(jax.random.key(seed), n_sets * num_chains).reshape(n_sets, num_chains)
    dtype = jax.numpy.asarray(0.0).dtype
    x, _, _, div, _, _ = jax.block_until_ready(kernels["batch"](keys, u0.astype(dtype), data))
    return np.asarray(x), np.asarray(div).astype(bool)
