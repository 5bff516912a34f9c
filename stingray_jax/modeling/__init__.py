"""Drop-in replacements for ``stingray.modeling``, computed with JAX.

Change ``from stingray.modeling import ...`` to ``from stingray_jax.modeling import ...``: the
names, constructor signatures and result attributes are Stingray's. Differences (all documented
on the "Differences from Stingray" page): the Gamma likelihood of averaged spectra is the correct
one unless ``stingray_compat=True``; bounds on the model are honoured; covariances come from the
exact Hessian; ``npar`` counts parameters that are neither fixed nor tied everywhere; restarts are
seeded; the user's model is never modified.

Every likelihood and posterior also exposes a pure JAX log-density of its free parameters
(``logdensity(params)`` and ``as_pure()``) for gradient-based samplers and batched code.
"""

from ..fitting import fit_pure, logdensity_pure
from .parameterestimation import OptimizationResults, ParameterEstimation, PSDParEst
from .posterior import (
    GaussianLogLikelihood,
    GaussianPosterior,
    IncorrectParameterError,
    LaplaceLogLikelihood,
    LaplacePosterior,
    LikelihoodUndefinedError,
    LogLikelihood,
    PoissonLogLikelihood,
    PoissonPosterior,
    Posterior,
    PriorUndefinedError,
    PSDLogLikelihood,
    PSDPosterior,
    set_logprior,
)
from .sampling_results import SamplingResults
from .scripts import fit_crossspectrum, fit_lorentzians, fit_powerspectrum

__all__ = [
    "GaussianLogLikelihood",
    "GaussianPosterior",
    "IncorrectParameterError",
    "LaplaceLogLikelihood",
    "LaplacePosterior",
    "LikelihoodUndefinedError",
    "LogLikelihood",
    "OptimizationResults",
    "PSDLogLikelihood",
    "PSDParEst",
    "PSDPosterior",
    "ParameterEstimation",
    "PoissonLogLikelihood",
    "PoissonPosterior",
    "Posterior",
    "PriorUndefinedError",
    "SamplingResults",
    "fit_crossspectrum",
    "fit_lorentzians",
    "fit_powerspectrum",
    "fit_pure",
    "logdensity_pure",
    "set_logprior",
]
