"""Random parameter and input generators for the model tests (seeded, shared by test files)."""

import numpy as np
from astropy.modeling import models as am


def _logu(rng, low, high, size=None):
    return np.exp(rng.uniform(np.log(low), np.log(high), size))


def _xpos(rng, n=200, low=1e-3, high=1e3):
    return np.sort(_logu(rng, low, high, n))


def _xlin(rng, n=200, low=-10.0, high=10.0):
    return np.sort(rng.uniform(low, high, n))


# name: (astropy class, params(rng) -> tuple, x(rng) -> array)
PSD_CASES = {
    "Lorentz1D": (
        am.Lorentz1D,
        lambda r: (_logu(r, 0.1, 10), r.uniform(-5, 5), _logu(r, 0.01, 3)),
        _xlin,
    ),
    "PowerLaw1D": (
        am.PowerLaw1D,
        lambda r: (_logu(r, 0.1, 10), _logu(r, 0.1, 10), r.uniform(-3, 3)),
        _xpos,
    ),
    "BrokenPowerLaw1D": (
        am.BrokenPowerLaw1D,
        lambda r: (_logu(r, 0.1, 10), _logu(r, 0.1, 10), r.uniform(-3, 3), r.uniform(-3, 3)),
        _xpos,
    ),
    "SmoothlyBrokenPowerLaw1D": (
        am.SmoothlyBrokenPowerLaw1D,
        lambda r: (
            _logu(r, 0.1, 10),
            _logu(r, 0.1, 10),
            r.uniform(-3, 3),
            r.uniform(-3, 3),
            _logu(r, 0.01, 2),
        ),
        _xpos,
    ),
    "Const1D": (am.Const1D, lambda r: (r.uniform(-5, 5),), _xlin),
    "Gaussian1D": (
        am.Gaussian1D,
        lambda r: (r.uniform(-5, 5), r.uniform(-5, 5), _logu(r, 0.1, 3)),
        _xlin,
    ),
    "ExponentialCutoffPowerLaw1D": (
        am.ExponentialCutoffPowerLaw1D,
        lambda r: (_logu(r, 0.1, 10), _logu(r, 0.1, 10), r.uniform(-3, 3), _logu(r, 1, 100)),
        lambda r: _xpos(r, high=300.0),
    ),
    "LogParabola1D": (
        am.LogParabola1D,
        lambda r: (_logu(r, 0.1, 10), _logu(r, 0.1, 10), r.uniform(-3, 3), r.uniform(-0.5, 0.5)),
        lambda r: _xpos(r, low=1e-2, high=1e2),
    ),
    "Linear1D": (am.Linear1D, lambda r: (r.uniform(-5, 5), r.uniform(-5, 5)), _xlin),
}

# Models whose values change sign: compare with an absolute floor relative to the scale.
SIGNED = {"Const1D", "Gaussian1D", "Linear1D", "Polynomial1D"}


def polynomial_case(rng, degree=None):
    """A random Polynomial1D (random degree, coefficients and, half the time, domain/window)."""
    degree = int(rng.integers(0, 6)) if degree is None else degree
    coeffs = {f"c{i}": rng.uniform(-3, 3) for i in range(degree + 1)}
    if rng.uniform() < 0.5:
        lo = rng.uniform(-5, 0)
        domain = (lo, lo + rng.uniform(1, 5))
        window = (-1.0, 1.0) if rng.uniform() < 0.5 else (0.0, rng.uniform(0.5, 2))
        return am.Polynomial1D(degree, domain=domain, window=window, **coeffs)
    return am.Polynomial1D(degree, **coeffs)


def assert_close(actual, desired, rtol, signed=False):
    actual = np.asarray(actual, dtype=np.float64)
    desired = np.asarray(desired, dtype=np.float64)
    atol = rtol * np.max(np.abs(desired)) if signed else 0.0
    np.testing.assert_allclose(actual, desired, rtol=rtol, atol=atol)
