"""Input checks shared by the Stingray-compatible adapters and the applications.

Each check turns bad input into one exception that names the problem (never silently wrong
numbers). NumPy only: this module imports nothing else from the package.
"""

import numbers

import numpy as np

__all__ = []


class IncorrectParameterError(ValueError):
    """Wrong number of parameter values (Stingray's ``IncorrectParameterError``)."""


class InputAssertionError(TypeError, AssertionError):
    """Wrong input to a Stingray helper that checks it with ``assert`` (catchable as either)."""


def as_1d(name, value, n=None, finite=True):
    """A float64 1-D array of ``value`` (of length ``n`` if given).

    With ``finite=False`` NaN/inf pass (Stingray evaluates such data to ``logmin``; fits then
    refuse the non-finite objective at ``t0``).
    """
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} elements but x has {n}: lengths must match")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite values (NaN or inf)")
    return arr


def positive(name, arr, strict=True):
    """``arr`` if every value is positive (``strict``) or non-negative; NaN passes."""
    bad = arr <= 0 if strict else arr < 0
    if np.any(bad):
        what = "positive" if strict else "non-negative"
        raise ValueError(
            f"{name} must be {what} for this likelihood; {int(np.sum(bad))} value(s) are not "
            f"(first: {arr[np.flatnonzero(bad)[0]]})"
        )
    return arr


def parameters(pars, npar):
    """``pars`` as a float64 vector of ``npar`` values (else `IncorrectParameterError`)."""
    arr = np.atleast_1d(np.asarray(pars, dtype=np.float64))
    if arr.ndim != 1 or arr.size != npar:
        raise IncorrectParameterError(
            f"Input parameters must match model parameters: expected {npar} free parameter "
            f"values, got {arr.size}"
        )
    return arr


def start(t0, names, what="t0"):
    """A finite float64 starting vector with one value per free parameter in ``names``."""
    t0 = np.atleast_1d(np.asarray(t0, dtype=np.float64))
    if t0.ndim != 1 or t0.size != len(names):
        raise ValueError(
            f"{what} must have one value per free parameter: expected {len(names)} values for "
            f"{list(names)}, got {t0.size}"
        )
    if not np.all(np.isfinite(t0)):
        raise ValueError(f"{what} must be finite, got {t0}")
    return t0


def inside_bounds(names, bounds, t0):
    """Raise unless every value of ``t0`` lies strictly inside its ``(low, high)`` bounds."""
    for name, (lo, hi), v in zip(names, bounds, t0):
        if (lo is not None and not v > lo) or (hi is not None and not v < hi):
            raise ValueError(
                f"starting value {name} = {v} is not strictly inside its bounds ({lo}, {hi})"
            )


def m_per_bin(m, n):
    """Validate ``m``; return ``(is the scalar 1, m as a float64 array of length n)``."""
    if isinstance(m, numbers.Number) or np.ndim(m) == 0:
        mv = float(np.asarray(m))
        if not np.isfinite(mv) or mv <= 0:
            raise ValueError(f"m must be positive and finite, got {m!r}")
        return mv == 1.0 and not isinstance(m, np.ndarray), np.full(n, mv)
    arr = np.asarray(m, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(
            f"m must be a scalar or have one value per frequency ({n}), got {arr.shape}"
        )
    if not np.all(np.isfinite(arr) & (arr > 0)):
        raise ValueError("m must be positive and finite in every bin")
    return False, arr


def n_simulations(nsim):
    """``nsim`` if it is a positive integer."""
    if isinstance(nsim, bool) or not (isinstance(nsim, int | np.integer) and nsim >= 1):
        raise ValueError(f"nsim must be a positive integer, got {nsim!r}")
    return int(nsim)
