"""Worked examples of differentiable programming for astronomy, written in pure JAX.

Each submodule is the importable, tested code behind one page of the documentation gallery:

- ``stingray_jax.examples.nbody``: a gravitational N-body simulator (pairwise forces with nested
  ``vmap``, forces as ``-grad`` of the potential, kick-drift-kick leapfrog in ``lax.scan``).
- ``stingray_jax.examples.hmc``: Hamiltonian Monte Carlo written directly on ``jax.grad``,
  applied to a power-spectrum posterior.
- ``stingray_jax.examples.deconvolution``: MAP deconvolution of an image and of a light curve by
  differentiating through an FFT instrument model.

The submodules are imported on first attribute access, so ``import stingray_jax.examples`` is
cheap and changes no global state.
"""

import importlib

__all__ = ["deconvolution", "hmc", "nbody"]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
