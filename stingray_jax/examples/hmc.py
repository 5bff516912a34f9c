"""Hamiltonian Monte Carlo written from scratch on ``jax.grad``.

The sampler is deliberately small, so that every part of it can be read:

- `leapfrog`: the volume-preserving, time-reversible integrator of Hamilton's equations;
- `hmc_step`: momentum resampling, a leapfrog trajectory and the Metropolis correction;
- `sample`: warm-up with step-size tuning by dual averaging (Hoffman & Gelman 2014) and a
  diagonal mass matrix estimated from the warm-up draws, then the chain itself, each a
  ``jax.lax.scan`` under ``jax.jit``;
- `sample_chains`: several independent chains with ``jax.vmap``.

The gradient of the log density comes from ``jax.grad`` by default; `finite_difference_grad`
builds the central-difference alternative used on the documentation page to show what automatic
differentiation buys.

The target of the example is the posterior of a power-law-plus-constant model of a power
spectrum (`psd_log_posterior`). It is written with plain ``jax.numpy`` and kept in one function
on purpose, so that it can be swapped for ``stingray_jax.likelihoods`` without touching the
sampler. Every function works in the dtype it is given.
"""

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._config import precision

__all__ = [
    "PSD_PRIOR",
    "HMCResult",
    "finite_difference_grad",
    "hmc_step",
    "leapfrog",
    "powerlaw_plus_constant",
    "psd_log_posterior",
    "sample",
    "sample_chains",
    "sample_data_powerspectrum",
]


class HMCResult(NamedTuple):
    """The output of `sample` (with a leading chain axis when returned by `sample_chains`).

    Attributes
    ----------
    samples : array of shape (n_samples, n_dim)
        The draws after warm-up.
    logdensity : array of shape (n_samples,)
        The log density at each draw.
    accept_prob : array of shape (n_samples,)
        The Metropolis acceptance probability of each transition.
    step_size : scalar array
        The step size tuned during warm-up (used for every draw, with a +-10 % jitter).
    inv_mass : array of shape (n_dim,)
        The diagonal inverse mass matrix estimated during warm-up.
    """

    samples: jax.Array
    logdensity: jax.Array
    accept_prob: jax.Array
    step_size: jax.Array
    inv_mass: jax.Array


def leapfrog(grad_fn, position, momentum, step_size, n_steps, inv_mass, grad=None):
    """Integrate Hamilton's equations for ``H(q, p) = -log pi(q) + p^T M^{-1} p / 2``.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(q)`` returns the gradient of the log density ``log pi`` at ``q``.
    position, momentum : arrays of shape (n_dim,)
        The starting point in phase space.
    step_size : float
        The leapfrog step ``eps``.
    n_steps : int
        The number of steps (a Python int).
    inv_mass : array of shape (n_dim,)
        Diagonal of the inverse mass matrix ``M^{-1}``.
    grad : array of shape (n_dim,), optional
        ``grad_fn(position)``, if already known (saves one gradient evaluation).

    Returns
    -------
    position, momentum, grad : arrays of shape (n_dim,)
        The end point of the trajectory and the gradient there.

    Examples
    --------
    The map is reversible: flipping the momentum and integrating again returns to the start.

    >>> import jax.numpy as jnp
    >>> from stingray_jax.examples import hmc
    >>> grad_fn = lambda q: -q  # standard normal target
    >>> q0, p0, inv_mass = jnp.array([1.0, -0.5]), jnp.array([0.3, 0.8]), jnp.ones(2)
    >>> q1, p1, _ = hmc.leapfrog(grad_fn, q0, p0, 0.1, 20, inv_mass)
    >>> q2, p2, _ = hmc.leapfrog(grad_fn, q1, -p1, 0.1, 20, inv_mass)
    >>> bool(jnp.allclose(q2, q0, atol=1e-5)), bool(jnp.allclose(-p2, p0, atol=1e-5))
    (True, True)
    """
    if grad is None:
        grad = grad_fn(position)

    def step(carry, _):
        q, p, g = carry
        p = p + 0.5 * step_size * g
        q = q + step_size * inv_mass * p
        g = grad_fn(q)
        p = p + 0.5 * step_size * g
        return (q, p, g), None

    (q, p, g), _ = jax.lax.scan(step, (position, momentum, grad), None, length=n_steps)
    return q, p, g


def hmc_step(key, state, logdensity_fn, grad_fn, step_size, n_leapfrog, inv_mass):
    """One HMC transition: fresh momentum, a leapfrog trajectory, Metropolis accept/reject.

    Parameters
    ----------
    key : jax.random key
    state : tuple ``(position, logdensity, grad)``
        The current point, its log density and the gradient there.
    logdensity_fn, grad_fn : callables
        The log density and its gradient.
    step_size : float
    n_leapfrog : int
        Leapfrog steps per trajectory (a Python int).
    inv_mass : array of shape (n_dim,)

    Returns
    -------
    state : tuple ``(position, logdensity, grad)``
        The next point of the chain.
    accept_prob : scalar array
        ``min(1, exp(-Delta H))`` (0 when the trajectory diverged to a non-finite energy).
    """
    position = state[0]
    key_momentum, key_accept = jax.random.split(key)
    noise = jax.random.normal(key_momentum, position.shape, position.dtype)
    uniform = jax.random.uniform(key_accept, dtype=position.dtype)
    return _transition(
        noise, uniform, state, logdensity_fn, grad_fn, step_size, n_leapfrog, inv_mass
    )


def _transition(noise, uniform, state, logdensity_fn, grad_fn, step_size, n_leapfrog, inv_mass):
    """`hmc_step` given its standard-normal momentum draw and its uniform acceptance draw."""
    position, logdensity, grad = state
    momentum = noise / jnp.sqrt(inv_mass)
    q, p, g = leapfrog(grad_fn, position, momentum, step_size, n_leapfrog, inv_mass, grad)
    new_logdensity = logdensity_fn(q)
    kinetic = lambda mom: 0.5 * jnp.sum(inv_mass * mom**2)  # noqa: E731
    delta_h = (-new_logdensity + kinetic(p)) - (-logdensity + kinetic(momentum))
    delta_h = jnp.where(jnp.isfinite(delta_h), delta_h, jnp.inf)
    accept_prob = jnp.minimum(1.0, jnp.exp(-delta_h))
    accept = uniform < accept_prob
    new_state = jax.tree.map(
        lambda new, old: jnp.where(accept, new, old), (q, new_logdensity, g), state
    )
    return new_state, accept_prob


class _DualAveraging(NamedTuple):
    log_step: jax.Array
    log_step_avg: jax.Array
    h_avg: jax.Array
    mu: jax.Array
    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as intended


def _da_init(step_size):
    log_step = jnp.log(step_size)
    zero = jnp.zeros_like(log_step)
    return _DualAveraging(log_step, log_step, zero, jnp.log(10.0) + log_step, zero)


def _da_update(da, accept_prob, target, gamma=0.05, t0=10.0, kappa=0.75):
    """Nesterov dual averaging of the log step size towards a target acceptance rate."""
    count = da.count + 1
    eta = 1.0 / (count + t0)
    h_avg = (1 - eta) * da.h_avg + eta * (target - accept_prob)
    log_step = da.mu - jnp.sqrt(count) / gamma * h_avg
    weight = count**-kappa
    log_step_avg = weight * log_step + (1 - weight) * da.log_step_avg
    return _DualAveraging(log_step, log_step_avg, h_avg, da.mu, count)


@functools.partial(
    jax.jit,
    static_argnames=(
        "logdensity_fn",
        "grad_fn",
        "n_samples",
        "n_warmup",
        "n_leapfrog",
        "adapt_mass",
    ),
)
def _sample_jit(
    logdensity_fn,
    key,
    init_position,
    n_samples=1000,
    n_warmup=500,
    n_leapfrog=16,
    step_size=0.1,
    target_accept=0.8,
    grad_fn=None,
    adapt_mass=True,
):
    """The compiled body of `sample` (NumPy input is converted by `sample`)."""
    position = jnp.asarray(init_position)
    if position.ndim != 1:
        raise ValueError(f"init_position must be 1-D (n_dim,), got shape {position.shape}")
    if not jnp.issubdtype(position.dtype, jnp.floating):
        position = position.astype(jnp.result_type(float))
    if n_samples < 1 or n_warmup < 0 or n_leapfrog < 1:
        raise ValueError("n_samples and n_leapfrog must be >= 1 and n_warmup >= 0")
    dtype = position.dtype
    if grad_fn is None:
        grad_fn = jax.grad(logdensity_fn)
    target = jnp.asarray(target_accept, dtype)

    # Warm-up stage boundaries (Stan's defaults: 15 % / 60 % / 25 %).
    n1 = int(0.15 * n_warmup) if adapt_mass else n_warmup
    n2 = int(0.60 * n_warmup) if adapt_mass else 0
    n_total = n_warmup + n_samples
    # All random numbers are drawn up front: random generation inside the scan body would be
    # compiled into the loop and slows compilation down several times.
    # One call to the generator (each call compiles its own copy of threefry); the two uniform
    # columns are standard normals mapped through the normal CDF.
    draws = jax.random.normal(key, (n_total, position.size + 2), dtype)
    noise = draws[:, :-2]
    uniform = jax.scipy.special.ndtr(draws[:, -2])
    jitter = 0.9 + 0.2 * jax.scipy.special.ndtr(draws[:, -1])
    jitter = jnp.where(jnp.arange(n_total) < n_warmup, 1.0, jitter)

    # One scan over warm-up and sampling, so the transition is compiled once; what each
    # iteration adapts is selected with jnp.where on its index.
    def body(carry, inputs):
        state, da, inv_mass, welford = carry
        i, z, u, jit = inputs
        warming = i < n_warmup
        step = jnp.where(warming, jnp.exp(da.log_step), jnp.exp(da.log_step_avg)) * jit
        state, accept_prob = _transition(
            z, u, state, logdensity_fn, grad_fn, step, n_leapfrog, inv_mass
        )
        da = jax.tree.map(
            lambda new, old: jnp.where(warming, new, old), _da_update(da, accept_prob, target), da
        )
        # Welford's running variance over the middle warm-up window.
        count, mean, m2 = welford
        collect = (i >= n1) & (i < n1 + n2)
        delta = state[0] - mean
        new_count = count + 1
        new_mean = mean + delta / new_count
        new_m2 = m2 + delta * (state[0] - new_mean)
        welford = jax.tree.map(
            lambda new, old: jnp.where(collect, new, old),
            (new_count, new_mean, new_m2),
            welford,
        )
        # At the end of the window: Stan's regularised variance, and restart the step tuning.
        window_end = (n2 > 0) & (i == n1 + n2 - 1)
        var = welford[2] / jnp.maximum(welford[0], 1)
        regularised = (n2 / (n2 + 5.0)) * var + 1e-3 * (5.0 / (n2 + 5.0))
        inv_mass = jnp.where(window_end, regularised, inv_mass)
        da = jax.tree.map(
            lambda new, old: jnp.where(window_end, new, old), _da_init(jnp.exp(da.log_step)), da
        )
        return (state, da, inv_mass, welford), (state[0], state[1], accept_prob)

    state = (position, logdensity_fn(position), grad_fn(position))
    zero = jnp.zeros_like(position)
    init = (
        state,
        _da_init(jnp.asarray(step_size, dtype)),
        jnp.ones_like(position),
        (jnp.zeros((), dtype), zero, zero),
    )
    inputs = (jnp.arange(n_total), noise, uniform, jitter)
    (_, da, inv_mass, _), (positions, logdensity, accept_prob) = jax.lax.scan(body, init, inputs)
    if n_warmup > 0:
        tuned_step = jnp.exp(da.log_step_avg)
    else:
        tuned_step = jnp.asarray(step_size, dtype)
    samples = positions[n_warmup:]
    logdensity, accept_prob = logdensity[n_warmup:], accept_prob[n_warmup:]
    return HMCResult(samples, logdensity, accept_prob, tuned_step, inv_mass)


def sample(
    logdensity_fn,
    key,
    init_position,
    n_samples=1000,
    n_warmup=500,
    n_leapfrog=16,
    step_size=0.1,
    target_accept=0.8,
    grad_fn=None,
    adapt_mass=True,
):
    """Run one HMC chain: warm-up (step size and diagonal mass tuning), then ``n_samples`` draws.

    Warm-up follows Stan's layout in three stages: the first 15 % adapts the step size only, the
    next 60 % also records the draws whose variances become the inverse mass matrix, and the
    last 25 % re-tunes the step size for that mass matrix. The step size is tuned by dual
    averaging towards ``target_accept``; during sampling it is jittered by up to 10 % per
    transition to avoid periodic trajectories.

    Parameters
    ----------
    logdensity_fn : callable
        ``logdensity_fn(q) -> scalar``, the log of the (unnormalised) target density of a 1-D
        position ``q``. It is a static argument of the compiled function: pass the same Python
        object to reuse the compilation (a new closure recompiles).
    key : jax.random key
    init_position : array of shape (n_dim,)
        Starting point. A JAX array's dtype sets the dtype of the whole chain; NumPy input
        runs in float64 (whatever JAX's global flag) and gives NumPy results.
    n_samples, n_warmup : int, optional
        Number of draws kept and of warm-up transitions (``n_warmup`` may be 0: no tuning).
    n_leapfrog : int, optional
        Leapfrog steps per trajectory.
    step_size : float, optional
        Initial step size.
    target_accept : float, optional
        Target mean acceptance probability of the step-size tuning.
    grad_fn : callable, optional
        Gradient of ``logdensity_fn``; default ``jax.grad(logdensity_fn)``. Pass
        ``finite_difference_grad(logdensity_fn)`` to compare with numerical gradients.
    adapt_mass : bool, optional
        Estimate a diagonal mass matrix during warm-up (default); otherwise use the identity.

    Returns
    -------
    HMCResult

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from stingray_jax.examples import hmc
    >>> logdensity = lambda q: -0.5 * jnp.sum((q - 3.0) ** 2 / jnp.array([1.0, 4.0]))
    >>> res = hmc.sample(logdensity, jax.random.key(0), jnp.zeros(2), n_samples=2000)
    >>> res.samples.shape
    (2000, 2)
    >>> bool(jnp.allclose(res.samples.mean(axis=0), 3.0, atol=0.2))
    True
    >>> bool(jnp.allclose(res.samples.std(axis=0), jnp.array([1.0, 2.0]), rtol=0.1))
    True
    >>> 0.6 < float(res.accept_prob.mean()) < 0.95
    True
    """
    with precision(init_position) as prec:
        position = init_position if prec.dtype is None else prec.asarray(init_position)
        res = _sample_jit(
            logdensity_fn,
            key,
            position,
            n_samples=n_samples,
            n_warmup=n_warmup,
            n_leapfrog=n_leapfrog,
            step_size=step_size,
            target_accept=target_accept,
            grad_fn=grad_fn,
            adapt_mass=adapt_mass,
        )
        return prec.output(res)


sample._cache_size = _sample_jit._cache_size  # type: ignore[attr-defined]


def sample_chains(logdensity_fn, key, init_positions, **kwargs):
    """Run independent chains of `sample` in parallel with ``jax.vmap``.

    Parameters
    ----------
    logdensity_fn : callable
        See `sample`.
    key : jax.random key
        Split into one key per chain.
    init_positions : array of shape (n_chains, n_dim)
        One starting point per chain.
    **kwargs
        Passed to `sample`.

    Returns
    -------
    HMCResult
        Every field has a leading ``n_chains`` axis.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> from stingray_jax.examples import hmc
    >>> logdensity = lambda q: -0.5 * jnp.sum(q**2)
    >>> res = hmc.sample_chains(logdensity, jax.random.key(1), jnp.zeros((4, 3)), n_samples=500)
    >>> res.samples.shape, res.step_size.shape
    ((4, 500, 3), (4,))
    """
    with precision(init_positions) as prec:
        init_positions = prec.asarray(init_positions)
        if init_positions.ndim != 2:
            raise ValueError(
                f"init_positions must have shape (n_chains, n_dim), got {init_positions.shape}"
            )
        keys = jax.random.split(key, init_positions.shape[0])
        run = functools.partial(sample, logdensity_fn, **kwargs)
        return prec.output(jax.vmap(run)(keys, init_positions))


def finite_difference_grad(logdensity_fn, step=1e-5):
    """The gradient of ``logdensity_fn`` by central finite differences (``2 n_dim`` calls).

    Parameters
    ----------
    logdensity_fn : callable
        ``logdensity_fn(q) -> scalar`` for a 1-D ``q``.
    step : float, optional
        The displacement ``h`` along each axis; the truncation error is ``O(h^2)`` and the
        round-off error ``O(eps / h)``.

    Returns
    -------
    grad_fn : callable
        ``grad_fn(q)`` approximating ``jax.grad(logdensity_fn)(q)``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from stingray_jax.examples import hmc
    >>> grad_fn = hmc.finite_difference_grad(lambda q: jnp.sum(jnp.sin(q)), step=1e-3)
    >>> bool(
    ...     jnp.allclose(grad_fn(jnp.array([0.0, 1.0])), jnp.cos(jnp.array([0.0, 1.0])), atol=1e-3)
    ... )
    True
    """

    def grad_fn(q):
        basis = jnp.eye(q.size, dtype=q.dtype) * step

        def partial(e):
            return (logdensity_fn(q + e) - logdensity_fn(q - e)) / (2 * step)

        return jax.vmap(partial)(basis)

    return grad_fn


def powerlaw_plus_constant(params, freq, f_ref=1.0):
    """A red-noise power law plus white noise: ``exp(a) (f / f_ref)^(-index) + exp(c)``.

    Parameters
    ----------
    params : array of shape (3,)
        ``(log_amplitude, index, log_white)``: natural logarithms of the power-law amplitude at
        ``f_ref`` and of the white-noise level, and the power-law index.
    freq : array
        Frequencies (Hz).
    f_ref : float, optional
        The pivot frequency of the amplitude.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from stingray_jax.examples import hmc
    >>> params = jnp.array([jnp.log(4.0), 2.0, jnp.log(2.0)])
    >>> hmc.powerlaw_plus_constant(
    ...     params, jnp.array([0.5, 1.0, 2.0])
    ... ).tolist()  # doctest: +FLOAT_CMP
    [18.0, 6.0, 3.0]
    """
    log_amplitude, index, log_white = params[0], params[1], params[2]
    return jnp.exp(log_amplitude - index * jnp.log(freq / f_ref)) + jnp.exp(log_white)


#: Independent normal priors ``(mean, sigma)`` on ``(log_amplitude, index, log_white)``:
#: weakly informative, far wider than the posterior of any real spectrum.
PSD_PRIOR = ((0.0, 10.0), (1.0, 3.0), (0.0, 10.0))


def psd_log_posterior(params, freq, power, m=1, f_ref=1.0):
    """Log posterior of `powerlaw_plus_constant` given a (possibly averaged) power spectrum.

    The likelihood is Whittle's for ``m = 1`` and, for a spectrum averaged over ``m`` segments
    (or bins), the Gamma likelihood ``P ~ Gamma(m, S / m)``:
    ``log L = -m sum(log S + P / S)`` up to a constant. The priors are independent normals
    (`PSD_PRIOR`).

    This one function is the only place where the example touches power-spectrum modelling:
    it can be replaced by a log density built from ``stingray_jax.likelihoods`` and
    ``stingray_jax.models`` without changing the sampler.

    Parameters
    ----------
    params : array of shape (3,)
        ``(log_amplitude, index, log_white)``.
    freq, power : arrays
        The spectrum (any normalisation, the model absorbs it).
    m : int or float, optional
        Number of averaged periodograms.
    f_ref : float, optional
        Pivot frequency of the power-law amplitude.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from stingray_jax.examples import hmc
    >>> freq = jnp.array([0.5, 1.0, 2.0])
    >>> params = jnp.array([jnp.log(4.0), 2.0, jnp.log(2.0)])
    >>> power = hmc.powerlaw_plus_constant(params, freq)
    >>> float(hmc.psd_log_posterior(params, freq, power))  # doctest: +FLOAT_CMP
    -8.84831
    """
    model = powerlaw_plus_constant(params, freq, f_ref)
    log_like = -m * jnp.sum(jnp.log(model) + power / model)
    prior = np.asarray(PSD_PRIOR)
    log_prior = -0.5 * jnp.sum(((params - prior[:, 0]) / prior[:, 1]) ** 2)
    return log_like + log_prior


def sample_data_powerspectrum(segment_size=32.0, norm="leahy"):
    """The averaged power spectrum of Stingray's sample RXTE light curve, as NumPy arrays.

    Uses ``stingray.sampledata.sample_data()`` (22143 bins of 0.125 s) and Stingray's
    ``AveragedPowerspectrum``; Stingray is imported here, not at module import, and its changes
    to warning filters and NumPy error state are undone.

    Returns
    -------
    freq, power : numpy arrays
    m : int
        The number of averaged segments.

    Examples
    --------
    >>> from stingray_jax.examples import hmc
    >>> freq, power, m = hmc.sample_data_powerspectrum(32.0)
    >>> freq.size, m
    (127, 86)
    """
    from stingray_jax._config import preserve_global_state

    with preserve_global_state():
        import warnings

        warnings.simplefilter("ignore")
        from stingray import AveragedPowerspectrum
        from stingray.sampledata import sample_data

        lc = sample_data()
        ps = AveragedPowerspectrum.from_lightcurve(lc, segment_size, norm=norm, silent=True)
    return np.asarray(ps.freq, float), np.asarray(ps.power.real, float), int(ps.m)
