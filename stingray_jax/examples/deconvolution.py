"""MAP deconvolution by differentiating through an instrument model, in pure JAX.

The instrument is a known blur, applied as a circular convolution with FFTs (`fft_convolve`):
a point-spread function for an image, a detector response for a light curve. The data are the
blurred truth plus Gaussian noise. The maximum a posteriori (MAP) estimate minimises

    ``chi^2 / 2 + penalty(x)``,   ``chi^2 = sum((data - blur(x))^2) / sigma^2``

and the gradient of that objective comes from ``jax.grad`` through the FFTs, so the optimiser
(``optax.lbfgs``) never needs the adjoint of the instrument written by hand. Three priors:

- ``"tikhonov"``: a zero-mean Gaussian prior, ``weight * sum(x^2) / 2``. The MAP estimate is the
  Wiener-like filter `tikhonov_solution`, which the tests use to check the optimiser. It rings
  and goes negative around sharp features.
- ``"positive_sparse"``: ``x = softplus(z) >= 0`` with an exponential (L1) prior
  ``weight * sum(x)``: favours few bright pixels (point sources, a narrow flare).
- ``"positive_smooth"``: ``x = softplus(z) >= 0`` with a smoothed total-variation prior
  ``weight * sum(sqrt(|grad x|^2 + delta^2))``: piecewise-smooth sources with sharp edges.

Every function works in the dtype it is given and on 1-D (light curves) or 2-D (images) arrays.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._config import numpy_float64

__all__ = [
    "PRIORS",
    "exponential_response",
    "fft_convolve",
    "fred_profile",
    "gaussian_psf",
    "log_posterior",
    "map_deconvolve",
    "star_field",
    "tikhonov_solution",
]

PRIORS = ("tikhonov", "positive_sparse", "positive_smooth")


def _check_pair(signal, kernel):
    if signal.shape != kernel.shape:
        raise ValueError(
            f"signal and kernel must have the same shape, got {signal.shape} and {kernel.shape}"
        )


def _kernel_ft(kernel):
    # The kernel's origin is at its centre (index n // 2 along every axis): move it to index 0.
    return jnp.fft.rfftn(jnp.fft.ifftshift(kernel))


@numpy_float64
def fft_convolve(signal, kernel):
    """Circular convolution of ``signal`` with a ``kernel`` of the same shape, by real FFTs.

    Parameters
    ----------
    signal : array (1-D or n-D)
        The input (light curve or image).
    kernel : array of the same shape
        The response, with its origin (zero lag) at index ``n // 2`` along every axis, as
        returned by `gaussian_psf` and `exponential_response`.

    Returns
    -------
    array of the shape of ``signal``
        ``(signal * kernel)[i] = sum_k signal[i - k] kernel[n // 2 + k]``, indices modulo ``n``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from stingray_jax.examples import deconvolution as dc
    >>> x = jnp.array([0.0, 0.0, 1.0, 0.0, 0.0, 0.0])
    >>> k = jnp.array([0.0, 0.0, 0.0, 0.5, 0.5, 0.0])  # origin at index 3
    >>> dc.fft_convolve(x, k).round(6).tolist()
    [0.0, 0.0, 0.5, 0.5, 0.0, 0.0]
    """
    signal = jnp.asarray(signal)
    kernel = jnp.asarray(kernel, signal.dtype)
    _check_pair(signal, kernel)
    out = jnp.fft.irfftn(jnp.fft.rfftn(signal) * _kernel_ft(kernel), s=signal.shape)
    return out.astype(signal.dtype)


def gaussian_psf(shape, sigma, dtype=None):
    """A normalised, centred Gaussian kernel of standard deviation ``sigma`` pixels (NumPy).

    Examples
    --------
    >>> from stingray_jax.examples import deconvolution as dc
    >>> psf = dc.gaussian_psf((32, 32), 2.0)
    >>> float(psf.sum()), psf.argmax() == 16 * 32 + 16
    (1.0, np.True_)
    """
    grids = np.meshgrid(*[np.arange(n) - n // 2 for n in shape], indexing="ij")
    r2 = sum(g.astype(float) ** 2 for g in grids)
    psf = np.exp(-0.5 * r2 / sigma**2)
    return (psf / psf.sum()).astype(dtype or float)


def exponential_response(n, tau, dt=1.0, dtype=None):
    """A causal, normalised detector response ``exp(-t / tau)`` for ``t >= 0`` (NumPy, 1-D).

    The zero lag is at index ``n // 2`` (the convention of `fft_convolve`), so the response
    only spreads a signal towards later times.

    Examples
    --------
    >>> from stingray_jax.examples import deconvolution as dc
    >>> r = dc.exponential_response(8, tau=1.0)
    >>> r[:4].tolist(), round(float(r.sum()), 12)
    ([0.0, 0.0, 0.0, 0.0], 1.0)
    """
    lag = (np.arange(n) - n // 2) * dt
    response = np.where(lag >= 0, np.exp(-np.clip(lag, 0, None) / tau), 0.0)
    return (response / response.sum()).astype(dtype or float)


@numpy_float64
def fred_profile(t, amplitude, t_start, tau_rise, tau_decay):
    """Fast-rise exponential-decay burst: ``A exp(2 sqrt(tr/td)) exp(-tr/(t-ts) - (t-ts)/td)``.

    Zero before ``t_start``; its maximum ``A`` is reached at ``t_start + sqrt(tr td)``.

    Examples
    --------
    >>> import numpy as np
    >>> from stingray_jax.examples import deconvolution as dc
    >>> t = np.array([0.0, 1.0, 2.0])
    >>> dc.fred_profile(t, 10.0, 0.0, 1.0, 1.0).round(6).tolist()
    [0.0, 10.0, 6.065307]
    """
    t = np.asarray(t, dtype=float)
    dt = np.clip(t - t_start, 1e-300, None)
    shape = np.exp(2 * np.sqrt(tau_rise / tau_decay) - tau_rise / dt - dt / tau_decay)
    return np.where(t > t_start, amplitude * shape, 0.0)


def star_field(shape=(64, 64), n_stars=12, seed=0):
    """A test scene (NumPy): point-like stars and one extended elliptical galaxy on a dark sky.

    Examples
    --------
    >>> from stingray_jax.examples import deconvolution as dc
    >>> scene = dc.star_field((32, 32), n_stars=3)
    >>> scene.shape, bool(scene.min() >= 0)
    ((32, 32), True)
    """
    rng = np.random.default_rng(seed)
    ny, nx = shape
    y, x = np.mgrid[0:ny, 0:nx].astype(float)
    scene = np.zeros(shape)
    # An extended source: an elliptical exponential disc.
    cy, cx = 0.6 * ny, 0.35 * nx
    u = ((x - cx) * np.cos(0.5) + (y - cy) * np.sin(0.5)) / (0.12 * nx)
    v = (-(x - cx) * np.sin(0.5) + (y - cy) * np.cos(0.5)) / (0.06 * ny)
    scene += 2.0 * np.exp(-np.sqrt(u**2 + v**2))
    # Stars: single bright pixels away from the edges.
    iy = rng.integers(4, ny - 4, n_stars)
    ix = rng.integers(4, nx - 4, n_stars)
    np.add.at(scene, (iy, ix), rng.uniform(5.0, 30.0, n_stars))
    return scene


def _transform(z, prior):
    return z if prior == "tikhonov" else jax.nn.softplus(z)


def _inverse_transform(x, prior):
    if prior == "tikhonov":
        return x
    x = jnp.maximum(x, 1e-3 * jnp.max(jnp.abs(x)) + 1e-12)
    return x + jnp.log(-jnp.expm1(-x))  # inverse softplus


def _penalty(x, prior, weight, delta):
    if prior == "tikhonov":
        return 0.5 * weight * jnp.sum(x**2)
    if prior == "positive_sparse":
        return weight * jnp.sum(x)
    grad2 = sum(
        jnp.diff(x, axis=a, append=jnp.take(x, jnp.array([0]), axis=a)) ** 2 for a in range(x.ndim)
    )
    return weight * jnp.sum(jnp.sqrt(grad2 + delta**2))


def _check_prior(prior):
    if prior not in PRIORS:
        raise ValueError(f"prior must be one of {PRIORS}, got {prior!r}")


@numpy_float64
def log_posterior(x, data, kernel, noise_sigma, prior="tikhonov", weight=1.0, delta=1e-2):
    """The log posterior (up to a constant) of the image or light curve ``x``.

    ``-chi^2 / 2 - penalty(x)`` with ``chi^2 = sum((data - fft_convolve(x, kernel))^2) /
    noise_sigma^2``; the penalties are described in the module docstring. For the positive
    priors ``x`` must be >= 0 (the optimiser enforces it through ``x = softplus(z)``).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from stingray_jax.examples import deconvolution as dc
    >>> x = jnp.array([0.0, 1.0, 0.0, 0.0])
    >>> k = jnp.array([0.0, 0.0, 1.0, 0.0])  # identity response
    >>> float(dc.log_posterior(x, x + 0.5, k, 0.5, "tikhonov", weight=2.0))
    -3.0
    """
    _check_prior(prior)
    x = jnp.asarray(x)
    residual = (jnp.asarray(data, x.dtype) - fft_convolve(x, kernel)) / noise_sigma
    return -0.5 * jnp.sum(residual**2) - _penalty(x, prior, weight, delta)


@numpy_float64
def tikhonov_solution(data, kernel, noise_sigma, weight):
    """Closed-form MAP estimate under the Tikhonov prior (a Wiener-like Fourier filter).

    ``X = conj(H) D / (|H|^2 + weight sigma^2)`` with ``H`` and ``D`` the Fourier transforms of
    the kernel and the data.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from stingray_jax.examples import deconvolution as dc
    >>> k = jnp.array([0.0, 0.0, 1.0, 0.0])
    >>> dc.tikhonov_solution(jnp.array([0.0, 2.0, 0.0, 0.0]), k, 1.0, 1.0).round(6).tolist()
    [0.0, 1.0, 0.0, 0.0]
    """
    data = jnp.asarray(data)
    kernel = jnp.asarray(kernel, data.dtype)
    _check_pair(data, kernel)
    h = _kernel_ft(kernel)
    x_ft = jnp.conj(h) * jnp.fft.rfftn(data) / (jnp.abs(h) ** 2 + weight * noise_sigma**2)
    return jnp.fft.irfftn(x_ft, s=data.shape).astype(data.dtype)


@numpy_float64
@functools.partial(jax.jit, static_argnames=("prior", "n_iter"))
def map_deconvolve(
    data,
    kernel,
    noise_sigma,
    prior="tikhonov",
    weight=1.0,
    delta=1e-2,
    n_iter=500,
    init=None,
):
    """Maximum a posteriori deconvolution with ``optax.lbfgs`` and gradients through the FFTs.

    Parameters
    ----------
    data : array (1-D or n-D)
        The blurred, noisy observation.
    kernel : array of the same shape
        The instrument response, origin at the centre (see `fft_convolve`).
    noise_sigma : float
        Standard deviation of the Gaussian noise.
    prior : {"tikhonov", "positive_sparse", "positive_smooth"}, optional
        See the module docstring (static: a new value recompiles).
    weight : float, optional
        Strength of the prior.
    delta : float, optional
        Smoothing scale of the total variation (``"positive_smooth"`` only).
    n_iter : int, optional
        Number of L-BFGS iterations (with a zoom line search).
    init : array, optional
        Starting point; default the data (clipped to be positive for the positive priors).

    Returns
    -------
    array of the shape of ``data``
        The MAP estimate.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from stingray_jax.examples import deconvolution as dc
    >>> k = jnp.asarray(dc.gaussian_psf((64,), 2.0))
    >>> truth = jnp.zeros(64).at[20].set(1.0).at[40].set(2.0)
    >>> data = dc.fft_convolve(truth, k)
    >>> x = dc.map_deconvolve(data, k, noise_sigma=0.05, prior="tikhonov", weight=1.0)
    >>> bool(jnp.allclose(x, dc.tikhonov_solution(data, k, 0.05, 1.0), atol=1e-4))
    True
    """
    _check_prior(prior)
    data = jnp.asarray(data)
    if not jnp.issubdtype(data.dtype, jnp.floating):
        data = data.astype(jnp.result_type(float))
    kernel = jnp.asarray(kernel, data.dtype)
    _check_pair(data, kernel)
    x0 = data if init is None else jnp.asarray(init, data.dtype)
    z0 = _inverse_transform(x0, prior)

    def objective(z):
        return -log_posterior(_transform(z, prior), data, kernel, noise_sigma, prior, weight, delta)

    solver = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(objective)

    def step(carry, _):
        z, state = carry
        value, grad = value_and_grad(z, state=state)
        updates, state = solver.update(grad, state, z, value=value, grad=grad, value_fn=objective)
        return (optax.apply_updates(z, updates), state), None

    (z, _), _ = jax.lax.scan(step, (z0, solver.init(z0)), None, length=n_iter)
    return _transform(z, prior)
