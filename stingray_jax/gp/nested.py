"""Nested sampling for evidences and Bayes factors (blackjax's nested slice sampler).

Why blackjax's ``nss`` (pinned ``blackjax>=1.7,<1.8``, an optional dependency, extra ``gp``):

- it is pure JAX (jax, optax, scipy): no TensorFlow-Probability nightly, which jaxns 3 requires;
- NumPyro's nested-sampling wrapper supports only an old jaxns API; Stingray's sampler is broken
  precisely because it was written against a jaxns API that later disappeared (Stingray #812);
- it runs batched deletions (``num_delete``) with vectorised slice moves, so the likelihood is
  evaluated in ``vmap``-ed batches (fast on CPU and GPU), and its results expose the dead
  points, so the evidence and its error come from the usual prior-volume simulation.

The blackjax 1.7 API used here (``blackjax.nss``, ``blackjax.ns.utils.finalise``,
``log_weights``, ``blackjax.ns.integrator``) is exercised by the test suite, so an API change
fails CI instead of silently disabling sampling.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["NestedResult", "nested_sampling"]


def _import_blackjax():
    try:
        import blackjax
        from blackjax.ns import integrator, utils
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "nested sampling needs blackjax>=1.7,<1.8: pip install 'stingray_jax[gp]'"
        ) from err
    return blackjax, integrator, utils


@dataclasses.dataclass
class NestedResult:
    """Result of `nested_sampling`.

    Attributes
    ----------
    log_Z_mean, log_Z_uncert : float
        The log evidence and its standard error (prior-volume simulation).
    samples : numpy.ndarray, shape (n_dead, ndim)
        All dead points and the final live points (weighted by ``log_dp_mean``).
    log_L_samples, log_prior_samples, log_dp_mean : numpy.ndarray, shape (n_dead,)
        Log-likelihood, log-prior and log posterior weight of each point (weights normalised to
        sum to one).
    log_posterior_density : numpy.ndarray
        ``log_L + log_prior`` per point.
    ESS : float
        Kish effective sample size of the weights.
    total_num_samples, num_likelihood_evaluations : int
    """

    log_Z_mean: float
    log_Z_uncert: float
    samples: np.ndarray
    log_L_samples: np.ndarray
    log_prior_samples: np.ndarray
    log_dp_mean: np.ndarray
    ESS: float
    total_num_samples: int
    num_likelihood_evaluations: int

    @property
    def log_posterior_density(self):
        return self.log_L_samples + self.log_prior_samples

    def resample(self, key, n):
        """``n`` equally weighted posterior draws (with replacement)."""
        idx = jax.random.choice(
            key, self.total_num_samples, (int(n),), p=jnp.asarray(np.exp(self.log_dp_mean))
        )
        return self.samples[np.asarray(idx)]


def _count_evaluations(info):
    """Likelihood evaluations of the slice moves (expansions + shrinkage steps + 1 per move)."""
    if hasattr(info, "_fields"):
        if "num_expansions" in info._fields and "num_shrink" in info._fields:
            return (
                jnp.sum(info.num_expansions) + jnp.sum(info.num_shrink) + jnp.size(info.num_shrink)
            ).astype(jnp.int32)
        return sum((_count_evaluations(getattr(info, f)) for f in info._fields), jnp.int32(0))
    return jnp.int32(0)


def _make_run(loglikelihood, logprior, num_inner_steps, num_delete, max_iter, dlogz):
    """The whole run as a pure function ``run(key, x0, data)``."""
    blackjax, integ, _ = _import_blackjax()

    def run(key, x0, data):
        algo = blackjax.nss(
            logprior_fn=lambda x: logprior(x, data),
            loglikelihood_fn=lambda x: loglikelihood(x, data),
            num_inner_steps=num_inner_steps,
            num_delete=num_delete,
        )
        key, sub = jax.random.split(key)
        state = algo.init(x0, sub)
        ig = integ.init_integrator(state.particles)
        buf = jax.tree.map(
            lambda x: jnp.zeros((max_iter, num_delete, *x.shape[1:]), x.dtype), state.particles
        )

        def cond(carry):
            _, st, ig_, i, _, _ = carry
            live_frac = jnp.logaddexp(ig_.logZ, ig_.logZ_live) - ig_.logZ
            return (
                (i < max_iter)
                & ~(live_frac < dlogz)
                & jnp.any(jnp.isfinite(st.particles.loglikelihood))
            )

        def body(carry):
            k, st, ig_, i, b, ne = carry
            k, sub = jax.random.split(k)
            st, info = algo.step(sub, st)
            ig_ = integ.update_integrator(ig_, st.particles, info.particles)
            b = jax.tree.map(lambda bb, x: bb.at[i].set(x), b, info.particles)
            return k, st, ig_, i + 1, b, ne + _count_evaluations(info.update_info)

        init = (key, state, ig, jnp.int32(0), buf, jnp.int32(0))
        _, state, ig, n_iter, buf, n_eval = jax.lax.while_loop(cond, body, init)
        return state, n_iter, buf, n_eval

    return run


@functools.lru_cache(maxsize=16)
def _compiled_run(loglikelihood, logprior, num_inner_steps, num_delete, max_iter, dlogz):
    run = _make_run(
        lambda x, _: loglikelihood(x),
        lambda x, _: logprior(x),
        num_inner_steps,
        num_delete,
        max_iter,
        dlogz,
    )
    return jax.jit(lambda key, x0: run(key, x0, None))


def _summarise(utils, key, state, n_iter, buf, n_eval, num_live):
    parts = jax.tree.map(
        lambda b, live: jnp.concatenate([b[:n_iter].reshape((-1, *b.shape[2:])), live]),
        buf,
        state.particles,
    )
    final = utils.NSInfo(parts, None)
    logw = utils.log_weights(key, final, shape=200)  # (n, 200) simulated prior volumes
    logz_sims = jax.scipy.special.logsumexp(logw, axis=0)
    logw_mean = jax.scipy.special.logsumexp(logw, axis=1) - jnp.log(logw.shape[1])
    log_dp = logw_mean - jax.scipy.special.logsumexp(logw_mean)
    w = np.exp(np.asarray(log_dp))
    return NestedResult(
        log_Z_mean=float(jnp.mean(logz_sims)),
        log_Z_uncert=float(jnp.std(logz_sims)),
        samples=np.asarray(parts.position),
        log_L_samples=np.asarray(parts.loglikelihood),
        log_prior_samples=np.asarray(parts.logdensity),
        log_dp_mean=np.asarray(log_dp),
        ESS=float(1.0 / np.sum(w**2)),
        total_num_samples=int(parts.loglikelihood.shape[0]),
        num_likelihood_evaluations=int(n_eval) + num_live,
    )


def nested_sampling(
    loglikelihood,
    logprior,
    initial_points,
    *,
    seed=0,
    num_inner_steps=None,
    num_delete=None,
    dlogz=0.01,
    max_samples=100_000,
) -> NestedResult:
    """Run nested slice sampling until the live points hold < ``exp(dlogz) - 1`` of the evidence.

    Parameters
    ----------
    loglikelihood, logprior : callable
        ``f(x) -> scalar`` of a 1-D parameter vector (pure JAX); ``logprior`` must be
        normalised (the evidence is ``int L(x) pi(x) dx``).
    initial_points : array_like, shape (num_live, ndim)
        Independent draws from the prior (the live points).

    The run is one compiled ``lax.while_loop``, cached per (loglikelihood, logprior, options):
    pass the same function objects again to reuse it.
    seed : int
    num_inner_steps : int, optional
        Slice moves per replacement (default ``max(5, 3 ndim)``).
    num_delete : int, optional
        Points replaced per iteration (default ``num_live // 10``).
    dlogz : float
        Stop when ``log(Z + Z_live) - log(Z) < dlogz``.
    max_samples : int
        Stop after this many dead points anyway.

    Returns
    -------
    result : NestedResult
    """
    _, _, utils = _import_blackjax()
    x0 = jnp.asarray(initial_points)
    if x0.ndim != 2:
        raise ValueError(f"initial_points must have shape (num_live, ndim), got {x0.shape}")
    num_live, ndim = x0.shape
    num_inner_steps = max(5, 3 * ndim) if num_inner_steps is None else int(num_inner_steps)
    num_delete = max(1, num_live // 10) if num_delete is None else int(num_delete)
    max_iter = max(1, int(max_samples) // num_delete)
    run = _compiled_run(
        loglikelihood, logprior, num_inner_steps, num_delete, max_iter, float(dlogz)
    )
    state, n_iter, buf, n_eval = run(jax.random.PRNGKey(seed), x0)
    if not np.any(np.isfinite(np.asarray(state.particles.loglikelihood))):
        raise FloatingPointError("nested sampling: every log-likelihood is -inf or NaN")
    return _summarise(
        utils, jax.random.PRNGKey(seed + 1), state, int(n_iter), buf, n_eval, num_live
    )
