"""Tolerance helper for the test-suite (in the manner of tinygp's ``test_utils``), and a seeded
global RNG for comparisons with Stingray's fits.

``assert_allclose`` picks its default tolerances from the *lower* precision of the two arrays,
so one call states what is expected in float64 and stays true when a float32 path is compared:
a test that wants a looser or tighter tolerance passes ``rtol``/``atol`` explicitly and says why.
"""

import contextlib

import numpy as np

# Relative and absolute default tolerances by floating dtype (complex: the real part's dtype).
DEFAULT_RTOL = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-10}
DEFAULT_ATOL = {np.dtype(np.float16): 1e-3, np.dtype(np.float32): 1e-6, np.dtype(np.float64): 1e-13}


def _float_dtype(x):
    dtype = np.asarray(x).dtype
    if dtype.kind == "c":
        return np.dtype(np.finfo(dtype).dtype)
    if dtype.kind == "f":
        return dtype
    return np.dtype(np.float64)  # integers and booleans compare as exact float64 values


def default_tolerances(*arrays):
    """``(rtol, atol)`` for the lowest floating precision among ``arrays``."""
    dtype = min((_float_dtype(a) for a in arrays), key=lambda d: d.itemsize)
    return DEFAULT_RTOL[dtype], DEFAULT_ATOL[dtype]


def assert_allclose(actual, desired, *, rtol=None, atol=None, **kwargs):
    """``numpy.testing.assert_allclose`` with per-dtype default ``rtol`` and ``atol``.

    Examples
    --------
    >>> assert_allclose(np.float32(1.0) + np.float32(1e-6), 1.0)
    >>> assert_allclose(1.0 + 1e-12, 1.0)
    """
    default_rtol, default_atol = default_tolerances(actual, desired)
    np.testing.assert_allclose(
        np.asarray(actual),
        np.asarray(desired),
        rtol=default_rtol if rtol is None else rtol,
        atol=default_atol if atol is None else atol,
        **kwargs,
    )


def assert_dtype(x, dtype):
    """Assert that ``x`` has exactly ``dtype`` (a silent float32 path fails this)."""
    assert np.asarray(x).dtype == np.dtype(dtype), f"dtype {np.asarray(x).dtype}, want {dtype}"


@contextlib.contextmanager
def seeded_global_rng(seed=1):
    """Seed NumPy's global RNG for the block and restore its state afterwards.

    Stingray's ``ParameterEstimation.fit`` perturbs the starting values with the global RNG
    (``np.random.multivariate_normal``), so a comparison with its optimum at 1e-4 would
    otherwise depend on what ran before in the process."""
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


def qpo_rate(rng, n_bins, dt, mean, rms, f0=3.0, q=4.0):
    """A positive rate (counts/s) with a Lorentzian QPO, by filtering white noise."""
    freq = np.fft.rfftfreq(n_bins, dt)
    fwhm = f0 / q
    shape = 1 / (1 + ((freq - f0) / (fwhm / 2)) ** 2)
    spec = (rng.normal(size=freq.size) + 1j * rng.normal(size=freq.size)) * np.sqrt(shape)
    spec[0] = 0
    x = np.fft.irfft(spec, n_bins)
    return mean * np.exp(rms * x / x.std() - 0.5 * rms**2)
