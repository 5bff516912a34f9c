r"""Celerite (quasiseparable) kernels: red noise, QPO, CARMA(p, q), bending power law.

Every kernel here is a sum of *celerite terms* (Foreman-Mackey et al. 2017)

.. math::

    k(\tau) = \sum_j a_j e^{-c_j \tau}
        + \sum_k e^{-c_k \tau} \left[a_k \cos(d_k \tau) + b_k \sin(d_k \tau)\right],
    \qquad \tau = |t_n - t_m|,

so that the Gaussian-process log-likelihood costs O(N J^2) (`stingray_jax.gp.log_likelihood`).
A kernel is a `CeleriteKernel`: an immutable pytree of the six coefficient arrays, usable under
``jit``, ``vmap`` and ``grad``; ``k1 + k2`` concatenates the terms.

Power spectra use the *one-sided* density in Hz, :math:`P(f)` with
:math:`\int_0^\infty P(f)\, df = k(0)` (the variance), i.e. :math:`P(f) = 2 \int k(\tau)
e^{-2\pi i f \tau} d\tau`. Divided by the squared mean rate it is the fractional-rms
normalisation of Stingray's periodograms (``norm="frac"``) for light curves in counts/s.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

__all__ = [
    "CeleriteKernel",
    "bending_powerlaw_kernel",
    "bending_powerlaw_psd",
    "carma_kernel",
    "carma_psd",
    "carma_roots_from_coefs",
    "complex_term",
    "qpo_kernel",
    "real_term",
    "rn_kernel",
]


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class CeleriteKernel:
    """A sum of celerite terms (real ones ``a e^{-c tau}`` and complex ones).

    Parameters
    ----------
    a_real, c_real : jax.Array, shape (J_real,)
        Amplitudes and decay rates of the real (exponential) terms.
    a, b, c, d : jax.Array, shape (J_complex,)
        Coefficients of the complex terms
        ``e^{-c tau} (a cos(d tau) + b sin(d tau))``.

    Notes
    -----
    Each term need not be positive definite on its own (CARMA terms are not); the sum must be.
    Calling the kernel, ``k(X1, X2)``, returns the dense matrix ``k(|X1[:, None] - X2[None]|)``
    (as a tinygp kernel does); `psd` returns its one-sided power spectral density.
    """

    a_real: jax.Array
    c_real: jax.Array
    a: jax.Array
    b: jax.Array
    c: jax.Array
    d: jax.Array

    @property
    def n_real(self) -> int:
        return self.a_real.shape[-1]

    @property
    def n_complex(self) -> int:
        return self.a.shape[-1]

    def __add__(self, other: CeleriteKernel) -> CeleriteKernel:
        if not isinstance(other, CeleriteKernel):
            return NotImplemented
        return CeleriteKernel(
            *(
                jnp.concatenate([jnp.atleast_1d(x), jnp.atleast_1d(y)], axis=-1)
                for x, y in zip(_fields(self), _fields(other))
            )
        )

    def evaluate(self, tau: jax.Array) -> jax.Array:
        """The covariance ``k(tau)`` at lags ``tau`` (any shape; ``|tau|`` is used)."""
        tau = jnp.abs(jnp.asarray(tau))[..., None]
        real = jnp.sum(self.a_real * jnp.exp(-self.c_real * tau), axis=-1)
        dtau = self.d * tau
        cplx = jnp.sum(
            jnp.exp(-self.c * tau) * (self.a * jnp.cos(dtau) + self.b * jnp.sin(dtau)), axis=-1
        )
        return real + cplx

    def __call__(self, X1: jax.Array, X2: jax.Array) -> jax.Array:
        X1 = jnp.atleast_1d(jnp.asarray(X1))
        X2 = jnp.atleast_1d(jnp.asarray(X2))
        return self.evaluate(X1[:, None] - X2[None, :])

    def to_tinygp(self):
        """The same kernel as a sum of ``tinygp.kernels.quasisep`` terms (needs tinygp).

        Real terms become ``Exp(scale=1/c, sigma=sqrt(a))`` (``a > 0``), complex ones
        ``Celerite(a, b, c, d)``; concrete (not traced) coefficients only.
        """
        from tinygp.kernels import quasisep

        parts = [
            quasisep.Exp(scale=1 / c, sigma=jnp.sqrt(a))
            for a, c in zip(jnp.atleast_1d(self.a_real), jnp.atleast_1d(self.c_real))
        ]
        parts += [
            quasisep.Celerite(a=a, b=b, c=c, d=d)
            for a, b, c, d in zip(*(jnp.atleast_1d(x) for x in (self.a, self.b, self.c, self.d)))
        ]
        if not parts:
            raise ValueError("an empty kernel has no tinygp equivalent")
        out = parts[0]
        for p in parts[1:]:
            out = out + p
        return out

    def variance(self) -> jax.Array:
        """``k(0)``."""
        return jnp.sum(self.a_real) + jnp.sum(self.a)

    def psd(self, f: jax.Array) -> jax.Array:
        """One-sided power spectral density at frequencies ``f`` (Hz).

        ``int_0^inf psd(f) df = k(0)``. For a real term ``a e^{-c tau}`` this is the
        zero-centred Lorentzian ``4 a c / (c^2 + (2 pi f)^2)``.
        """
        w = 2 * jnp.pi * jnp.asarray(f)[..., None]
        w2 = w * w
        real = jnp.sum(4 * self.a_real * self.c_real / (self.c_real**2 + w2), axis=-1)
        c2, d2 = self.c**2, self.d**2
        num = (self.a * self.c + self.b * self.d) * (c2 + d2) + (
            self.a * self.c - self.b * self.d
        ) * w2
        den = w2 * w2 + 2 * (c2 - d2) * w2 + (c2 + d2) ** 2
        return real + jnp.sum(4 * num / den, axis=-1)


def _fields(k: CeleriteKernel):
    return (k.a_real, k.c_real, k.a, k.b, k.c, k.d)


def _as1d(x):
    return jnp.atleast_1d(jnp.asarray(x))


def _empty_like(x):
    return jnp.zeros((0,), dtype=jnp.result_type(x, float))


def real_term(a, c) -> CeleriteKernel:
    """``a exp(-c tau)`` (arrays: one term per element)."""
    a, c = _as1d(a), _as1d(c)
    e = _empty_like(a)
    return CeleriteKernel(a, c, e, e, e, e)


def complex_term(a, b, c, d) -> CeleriteKernel:
    """``exp(-c tau) (a cos(d tau) + b sin(d tau))`` (arrays: one term per element)."""
    a, b, c, d = (_as1d(x) for x in (a, b, c, d))
    e = _empty_like(a)
    return CeleriteKernel(e, e, a, b, c, d)


def rn_kernel(arn, crn) -> CeleriteKernel:
    """Stingray's ``"RN"`` kernel: ``arn exp(-crn tau)`` (tinygp ``Exp(1/crn, sqrt(arn))``)."""
    return real_term(arn, crn)


def qpo_kernel(aqpo, cqpo, freq) -> CeleriteKernel:
    """Stingray's ``"QPO"`` kernel: ``aqpo exp(-cqpo tau) cos(2 pi freq tau)``.

    Its PSD is a pair of Lorentzians centred on ``+-freq`` with half width ``cqpo / (2 pi)``
    (quality factor ``Q = pi freq / cqpo``).
    """
    aqpo = _as1d(aqpo)
    return complex_term(aqpo, jnp.zeros_like(aqpo), cqpo, 2 * jnp.pi * _as1d(freq))


# --------------------------------------------------------------------------------------------
# CARMA(p, q)
# --------------------------------------------------------------------------------------------


def _polyval_ascending(coefs, z):
    """sum_j coefs[j] z**j (complex z)."""
    powers = z[..., None] ** jnp.arange(coefs.shape[-1])
    return jnp.sum(coefs * powers, axis=-1)


def carma_kernel(sigma, ar_roots, ma_coefs) -> CeleriteKernel:
    r"""The CARMA(p, q) kernel as ``p`` celerite terms (after Kelly et al., 2014).

    The process is :math:`\alpha(D) y = \sigma \beta(D) \epsilon` with
    :math:`\alpha(z) = \prod_k (z - r_k)` and :math:`\beta(z) = \sum_{j=0}^q \beta_j z^j`; its
    autocovariance is

    .. math::

        R(\tau) = \sigma^2 \sum_k \frac{\beta(r_k)\beta(-r_k)}
            {-2\,\mathrm{Re}(r_k) \prod_{l \ne k} (r_l - r_k)(r_l^* + r_k)} e^{r_k \tau},

    each root giving one complex term (``c = -Re r``, ``d = Im r``; a conjugate pair gives two
    identical halves, a real root a term with ``d = 0``), so the shapes are static and the
    kernel is jittable and differentiable in the roots.

    Parameters
    ----------
    sigma : float
        Amplitude of the driving white noise.
    ar_roots : array_like (complex), shape (p,)
        Roots of the autoregressive polynomial; ``Re r < 0`` for a stationary process; complex
        roots come in conjugate pairs. Use `carma_roots_from_coefs` for coefficients.
    ma_coefs : array_like, shape (q + 1,), q < p
        :math:`\beta_0, \dots, \beta_q` (Kelly et al. use :math:`\beta_0 = 1`).

    Returns
    -------
    kernel : CeleriteKernel
        With ``p`` complex terms.
    """
    r = jnp.asarray(ar_roots).astype(jnp.result_type(complex, jnp.asarray(ar_roots)))
    beta = jnp.asarray(ma_coefs).astype(r.dtype)
    p = r.shape[-1]
    if beta.shape[-1] >= p:
        raise ValueError(f"CARMA(p, q) needs q < p; got p={p}, q={beta.shape[-1] - 1}")
    num = _polyval_ascending(beta, r) * _polyval_ascending(beta, -r)
    diff = r[None, :] - r[:, None]  # [k, l] = r_l - r_k
    summ = jnp.conj(r)[None, :] + r[:, None]  # [k, l] = r_l^* + r_k
    eye = jnp.eye(p, dtype=bool)
    prod = jnp.prod(jnp.where(eye, 1.0, diff * summ), axis=-1)
    coef = sigma**2 * num / (-2 * r.real * prod)
    # R(tau) = Re sum_k C_k e^{r_k tau} = sum_k e^{-c tau} (Re C cos(d tau) - Im C sin(d tau)).
    return complex_term(coef.real, -coef.imag, -r.real, r.imag)


def carma_roots_from_coefs(ar_coefs):
    r"""Roots of the AR polynomial from its ascending coefficients, as a jittable ``jnp.roots``.

    ``ar_coefs`` are :math:`\alpha_0, \dots, \alpha_p` of
    :math:`\alpha(z) = \sum_k \alpha_k z^k` (normalised so that :math:`\alpha_p = 1`).
    """
    ar = jnp.asarray(ar_coefs)
    return jnp.roots(ar[::-1] / ar[-1], strip_zeros=False)


def carma_psd(f, sigma, ar_roots, ma_coefs):
    r"""Analytic one-sided CARMA power spectrum (the reference for `carma_kernel`'s ``psd``).

    :math:`P(f) = 2\sigma^2 |\beta(2\pi i f)|^2 / |\alpha(2\pi i f)|^2`.
    """
    r = jnp.asarray(ar_roots).astype(complex)
    iw = 2j * jnp.pi * jnp.asarray(f)
    num = jnp.abs(_polyval_ascending(jnp.asarray(ma_coefs).astype(complex), iw)) ** 2
    den = jnp.abs(jnp.prod(iw[..., None] - r, axis=-1)) ** 2
    return 2 * sigma**2 * num / den


# --------------------------------------------------------------------------------------------
# Bending power law from real terms
# --------------------------------------------------------------------------------------------


def bending_powerlaw_psd(f, amplitude, f_bend, alpha):
    r"""The bending power law :math:`P(f) = A / (1 + (f / f_b)^\alpha)` (one-sided)."""
    return amplitude / (1 + (jnp.asarray(f) / f_bend) ** alpha)


def bending_powerlaw_kernel(amplitude, f_bend, alpha, f_min, f_max, n_terms=24) -> CeleriteKernel:
    r"""A bending power-law PSD, ``A / (1 + (f/f_b)^alpha)`` (0 < alpha < 2), as real terms.

    For :math:`0 < \beta = \alpha / 2 < 1`, :math:`1 / (1 + u^\beta)` is a Stieltjes function of
    :math:`u = (f / f_b)^2`:

    .. math::

        \frac{1}{1 + u^\beta} = \int_0^\infty \frac{\rho(s)\, ds}{s + u}, \qquad
        \rho(s) = \frac{\sin(\pi\beta)}{\pi}
            \frac{s^\beta}{1 + 2 s^\beta \cos(\pi\beta) + s^{2\beta}},

    a positive mixture of zero-centred Lorentzians, i.e. of real celerite terms
    (damped random walks). The integral is discretised with the trapezoidal rule in
    :math:`\log s` on ``n_terms`` nodes whose Lorentzian widths are log-spaced between
    ``f_min`` and ``f_max`` (fixed frequencies, so the weights are smooth functions of
    ``amplitude``, ``f_bend`` and ``alpha``, and the kernel is positive definite by construction).
    Inside ``[3 f_min, f_max / 3]`` the PSD matches the analytic one to about 1% with the default
    24 terms over six decades (tested); outside, it rolls off as a Lorentzian.

    Parameters
    ----------
    amplitude, f_bend, alpha : float
        The PSD's low-frequency level (one-sided, units^2 / Hz), bend frequency (Hz) and
        high-frequency slope (0 < alpha < 2).
    f_min, f_max : float
        Frequency range to approximate (static; e.g. ``1 / T`` and the Nyquist frequency).
    n_terms : int
        Number of real terms (static).

    Returns
    -------
    kernel : CeleriteKernel
    """
    f_min, f_max = float(f_min), float(f_max)
    if not 0 < f_min < f_max:
        raise ValueError(f"need 0 < f_min < f_max, got {f_min}, {f_max}")
    # Midpoint rule in log s on cells centred on log-spaced nodes, padded 1.5 e-folds beyond the
    # range; the two tails beyond the outer cell edges are lumped into the end nodes with their
    # asymptotic masses (rho ~ s^beta at 0, s^-beta at infinity).
    lf = jnp.linspace(jnp.log(f_min) - 1.5, jnp.log(f_max) + 1.5, int(n_terms))
    fj = jnp.exp(lf)
    h = 2 * (lf[1] - lf[0])  # cell width in log s
    beta = alpha / 2
    sinb = jnp.sin(jnp.pi * beta) / jnp.pi
    s = (fj / f_bend) ** 2
    sb = s**beta
    rho = sinb * sb / (1 + 2 * sb * jnp.cos(jnp.pi * beta) + sb * sb)
    w = rho * s * h
    s_lo = s[0] * jnp.exp(-h / 2)
    s_hi = s[-1] * jnp.exp(h / 2)
    # int_0^s_lo rho ds / (s + u) ~ (1/u) int rho: weight W with W / (s_0 + u) -> W / u.
    w = w.at[0].add(sinb * s_lo ** (beta + 1) / (beta + 1))
    # int_s_hi^inf rho ds / (s + u) ~ int rho / s: weight W with W / s_last.
    w = w.at[-1].add(sinb * s_hi ** (-beta) / beta * s[-1])
    # One-sided PSD of a e^{-c tau}: 4 a c / (c^2 + w^2) = (4 a / c) / (s + u) with c = 2 pi f_j.
    c = 2 * jnp.pi * fj
    a = amplitude * w * c / 4 / s
    return real_term(a, c)
