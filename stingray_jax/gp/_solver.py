"""O(N J^2) Gaussian-process log-likelihood for celerite kernels (the semiseparable Cholesky).

The algorithm is celerite's (Foreman-Mackey et al. 2017, and celerite2's preconditioned form):
``K = diag(A) + tril(U V^T) + triu(V U^T)`` with the exponential decay factored out into
``P_n = exp(-c (t_n - t_{n-1}))``, factorised as ``K = L D L^T`` with
``L = I + tril(U W^T)`` in one forward ``lax.scan`` that also solves ``L z = y``. Masked points
are skipped exactly (the state is carried through them), which makes padded batches of light
curves of different lengths equal to the individual fits.

Written in plain JAX (no custom calls), so it runs on CPU and GPU, under ``jit``, ``vmap`` and
``grad``, in the dtype of its inputs.
"""

import jax
import jax.numpy as jnp

from .kernels import CeleriteKernel

__all__ = ["log_likelihood"]

_LOG_2PI = 1.8378770664093453


def _semiseparable(kernel: CeleriteKernel, t):
    n = t.shape[0]
    dtype = t.dtype
    ar = jnp.asarray(kernel.a_real, dtype)
    cr = jnp.asarray(kernel.c_real, dtype)
    a, b, c, d = (jnp.asarray(x, dtype) for x in (kernel.a, kernel.b, kernel.c, kernel.d))
    dt_ = d[None, :] * t[:, None]
    cos, sin = jnp.cos(dt_), jnp.sin(dt_)
    U = jnp.concatenate(
        [jnp.broadcast_to(ar, (n, ar.shape[0])), a * cos + b * sin, a * sin - b * cos], axis=1
    )
    V = jnp.concatenate([jnp.ones((n, ar.shape[0]), dtype), cos, sin], axis=1)
    rates = jnp.concatenate([cr, c, c])
    dt = jnp.diff(t, prepend=t[:1])
    P = jnp.exp(-rates[None, :] * dt[:, None])
    return U, V, P, jnp.sum(ar) + jnp.sum(a)


def _scan(U, V, P, A, y, mask, unroll):
    J = U.shape[1]
    dtype = U.dtype

    def step(carry, x):
        C, G, total = carry
        u, v, p, a, yn, m = x
        S = p[:, None] * C * p[None, :]
        tmp = S @ u
        dn = a - u @ tmp
        F = p * G
        z = yn - u @ F
        ds = jnp.where(m, dn, jnp.ones_like(dn))
        w = (v - tmp) / ds
        C_new = jnp.where(m, S + ds * jnp.outer(w, w), S)
        G_new = jnp.where(m, F + w * z, F)
        # A non-positive pivot means the matrix is not positive definite: -inf log-likelihood.
        term = jnp.where(ds > 0, z * z / ds + jnp.log(jnp.where(ds > 0, ds, 1.0)), jnp.inf)
        # summed in order in the carry (as celerite2 does): a masked point adds an exact zero,
        # so a padded light curve gives the unpadded value bit for bit (a tree reduction of
        # the per-point terms would depend on the padded length)
        return (C_new, G_new, total + jnp.where(m, term, jnp.zeros_like(term))), None

    init = (jnp.zeros((J, J), dtype), jnp.zeros((J,), dtype), jnp.zeros((), dtype))
    (_, _, total), _ = jax.lax.scan(step, init, (U, V, P, A, y, mask), unroll=unroll)
    return total


def log_likelihood(kernel: CeleriteKernel, t, residual, diag, mask=None, unroll=1):
    r"""Gaussian log-likelihood of ``residual`` (data minus mean) under ``kernel``.

    .. math::

        \ln L = -\tfrac12 r^T K^{-1} r - \tfrac12 \ln\det K - \tfrac{n}{2}\ln 2\pi,
        \qquad K = k(|t_i - t_j|) + \mathrm{diag}(\sigma^2)

    Parameters
    ----------
    kernel : CeleriteKernel
    t : jax.Array, shape (n,)
        Sorted times, relative to an epoch (never absolute mission times in float32).
    residual : jax.Array, shape (n,)
    diag : float or jax.Array, shape (n,)
        White-noise variance added to the diagonal (must be > 0 where ``k`` alone is
        singular, e.g. Stingray's default ``sqrt(eps)``).
    mask : jax.Array of bool, shape (n,), optional
        ``False`` drops a point exactly (as if absent); use for padding.
    unroll : int
        ``lax.scan`` unrolling (a speed knob).

    Returns
    -------
    loglike : jax.Array
        Scalar; ``-inf`` when the covariance is not positive definite.
    """
    t = jnp.asarray(t)
    dtype = jnp.result_type(t, residual, kernel.a_real, kernel.a, float)
    t = t.astype(dtype)
    residual = jnp.asarray(residual, dtype)
    n = t.shape[0]
    mask = jnp.ones((n,), bool) if mask is None else jnp.asarray(mask, bool)
    U, V, P, ksum = _semiseparable(kernel, t)
    A = jnp.broadcast_to(ksum + jnp.asarray(diag, dtype), (n,))
    total = _scan(U, V, P, A, residual, mask, unroll)
    nvalid = jnp.sum(mask).astype(dtype)
    return -0.5 * (total + nvalid * _LOG_2PI)
