"""Gaussian-process light-curve models: O(N) celerite kernels, likelihoods and samplers.

The pure JAX core behind `stingray_jax.modeling.gpmodeling`:

- `kernels`: `CeleriteKernel` and the red-noise, QPO, CARMA(p, q) and bending-power-law kernels,
  each with its power spectral density.
- `log_likelihood`: the O(N J^2) GP log-likelihood (semiseparable Cholesky in one ``lax.scan``,
  with a mask for padded batches).
- `models`: Stingray's kernel/mean types and parameter names.
- `inference`: batched MAP fits, NUTS, padding of many light curves, QPO detection.
- `nested`: nested sampling for evidences (blackjax, optional extra ``gp``).

Nothing here imports the Stingray-shaped adapters; importing it changes no global state.
"""

from . import kernels as kernels  # submodules, not re-exported names
from . import models as models
from ._solver import log_likelihood
from .kernels import (
    CeleriteKernel,
    bending_powerlaw_kernel,
    bending_powerlaw_psd,
    carma_kernel,
    carma_psd,
    carma_roots_from_coefs,
    complex_term,
    qpo_kernel,
    real_term,
    rn_kernel,
)

__all__ = [
    "CeleriteKernel",
    "bending_powerlaw_kernel",
    "bending_powerlaw_psd",
    "carma_kernel",
    "carma_psd",
    "carma_roots_from_coefs",
    "complex_term",
    "log_likelihood",
    "qpo_kernel",
    "real_term",
    "rn_kernel",
]
