"""Drop-in for ``stingray.modeling.gpmodeling`` (Stingray 2.3.2 names and signatures).

Gaussian-process modelling of light curves after Hübner et al. (2022): red-noise ("RN"), QPO
("QPO") and "QPO_plus_RN" kernels with six flare-shaped mean functions, a nested sampler for the
evidence, and plots. Differences from Stingray's module:

- importing it changes no global state (Stingray's turns on ``jax_enable_x64`` globally): the
  functions compute in float64 inside a scoped ``jax.enable_x64``;
- the likelihood is our O(N) celerite solve (`stingray_jax.gp`), equal to celerite2 and tinygp
  to rounding; `get_kernel` returns a `stingray_jax.gp.CeleriteKernel` (callable like a tinygp
  kernel, with a ``psd``), not a tinygp object;
- `get_prior` accepts NumPyro distributions (no extra dependency), TensorFlow-Probability
  distributions when tfp is installed, and jaxns ``Prior`` objects wrapping a tfp distribution;
  it returns a `GPPrior` instead of a jaxns generator;
- `GPResult.sample` runs blackjax's nested slice sampler (``stingray_jax[gp]``; Stingray's jaxns
  call no longer exists in jaxns), or NUTS with ``method="nuts"``.

The functions live in private modules along the seams of the API: Stingray's functions
(``_gpmodeling_core``), `GPResult` (``_gpmodeling_result``) and QPO detection
(``_gpmodeling_qpo``, beyond Stingray); every public name is importable from here.
"""

from ._gpmodeling_core import (
    GPPrior,
    get_gp_params,
    get_kernel,
    get_log_likelihood,
    get_mean,
    get_prior,
)
from ._gpmodeling_qpo import detect_qpo, detect_qpo_batch
from ._gpmodeling_result import GPResult, GPSamples

__all__ = [
    "GPPrior",
    "GPResult",
    "GPSamples",
    "detect_qpo",
    "detect_qpo_batch",
    "get_gp_params",
    "get_kernel",
    "get_log_likelihood",
    "get_mean",
    "get_prior",
]
