"""Stingray's GP model zoo (kernel and mean types, parameter names) as pure JAX functions.

Parameter names and the ``log_`` convention are Stingray's ``gpmodeling``: a name starting with
``log_`` is sampled in log space and exponentiated before use.
"""

import jax.numpy as jnp

from ..models.lightcurve import _MEANS, MEAN_PARAMETERS
from ._solver import log_likelihood
from .kernels import CeleriteKernel, qpo_kernel, rn_kernel

__all__ = [
    "KERNEL_PARAMETERS",
    "MEAN_PARAMETERS",
    "build_kernel",
    "build_mean",
    "gp_log_likelihood",
    "kernel_param_names",
    "mean_param_names",
    "params_to_dict",
]

#: Kernel parameter names (without ``log_``) of each Stingray kernel type.
KERNEL_PARAMETERS = {
    "RN": ("arn", "crn"),
    "QPO": ("aqpo", "cqpo", "freq"),
    "QPO_plus_RN": ("arn", "crn", "aqpo", "cqpo", "freq"),
}

_LOG_MEAN = {"A", "sig", "sig1", "sig2"}


def kernel_param_names(kernel_type: str) -> list[str]:
    """Stingray's sampled kernel parameter names (``["log_arn", "log_crn"]`` for ``"RN"``)."""
    if kernel_type not in KERNEL_PARAMETERS:
        raise ValueError(
            f"Kernel type not implemented: {kernel_type!r} "
            f"(choose one of {sorted(KERNEL_PARAMETERS)})"
        )
    return ["log_" + n for n in KERNEL_PARAMETERS[kernel_type]]


def mean_param_names(mean_type: str) -> list[str]:
    """Stingray's sampled mean parameter names (``["log_A", "t0", "log_sig"]`` for gaussian)."""
    if mean_type not in MEAN_PARAMETERS:
        raise ValueError(
            f"Mean type not implemented: {mean_type!r} (choose one of {sorted(MEAN_PARAMETERS)})"
        )
    return [("log_" + n if n in _LOG_MEAN else n) for n in MEAN_PARAMETERS[mean_type]]


def build_kernel(kernel_type: str, params: dict) -> CeleriteKernel:
    """The kernel of a Stingray kernel type from its (linear-space) parameters."""
    kernel_param_names(kernel_type)
    if kernel_type == "RN":
        return rn_kernel(params["arn"], params["crn"])
    if kernel_type == "QPO":
        return qpo_kernel(params["aqpo"], params["cqpo"], params["freq"])
    return rn_kernel(params["arn"], params["crn"]) + qpo_kernel(
        params["aqpo"], params["cqpo"], params["freq"]
    )


def build_mean(mean_type: str, params: dict):
    """``mean(t)`` of a Stingray mean type; extra keys in ``params`` are ignored (as Stingray)."""
    mean_param_names(mean_type)
    fn = _MEANS[mean_type]
    names = MEAN_PARAMETERS[mean_type]
    missing = [n for n in names if n not in params]
    if missing:
        raise ValueError(f"the {mean_type!r} mean needs the parameters {missing}")
    values = {n: params[n] for n in names}
    return lambda t: fn(t, **values)


def params_to_dict(params_list, values) -> dict:
    """Map sampled values to linear-space parameters (``log_x`` -> ``x = exp(value)``)."""
    out = {}
    for name, v in zip(params_list, values):
        if name.startswith("log_"):
            out[name[4:]] = jnp.exp(v)
        else:
            out[name] = v
    return out


def gp_log_likelihood(values, params_list, kernel_type, mean_type, t, y, diag, mask=None):
    """Log-likelihood of ``y(t)`` under Stingray's model, parameters in ``params_list`` order.

    ``values`` is a sequence (or 1-D array) of the sampled values, ``diag`` the white-noise
    variance on the diagonal (Stingray / tinygp default: ``sqrt(eps)`` of the dtype).
    """
    p = params_to_dict(params_list, values)
    kernel = build_kernel(kernel_type, p)
    mean = build_mean(mean_type, p)
    return log_likelihood(kernel, t, y - mean(t), diag, mask=mask)
