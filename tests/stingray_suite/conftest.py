"""Stingray's own tests, run against stingray_jax as acceptance tests.

- Modeling (copied by ``_copy.py``): ``test_posterior.py``, ``test_parameterestimation.py``,
  ``test_scripts.py`` against ``stingray_jax.modeling``.
- Spectra (loaded by ``_load.py``): ``test_stingray_powerspectrum.py``,
  ``test_stingray_crossspectrum.py``, ``test_stingray_lombscargle.py`` against the spectra
  classes of stingray_jax.

Stingray's tests are MIT-licensed (Copyright (c) 2015-, the Stingray developers); the copies
differ from the installed files only in their import lines. The tests that fail against
stingray_jax are deliberate differences (or, where noted, open work), listed here with the reason
and on docs/differences.rst, and marked ``xfail(strict=True)`` so that a fix is noticed.
"""

import matplotlib
import pytest

# Stingray's test modules draw plots: a non-interactive backend, as in Stingray's conftest.
matplotlib.use("Agg")

_AVERAGED = (
    "Stingray's m > 1 PSD likelihood is twice the Gamma log-likelihood (plus constants); ours is "
    "the correct one (stingray_compat=True reproduces Stingray's)"
)

XFAIL = {
    # --- modeling (issue 11) ---
    "test_posterior.py::TestPerPosteriorAveragedPeriodogram::test_loglikelihood": _AVERAGED,
    "test_posterior.py::TestPerPosteriorAveragedPeriodogram::test_negative_loglikelihood": (
        _AVERAGED
    ),
    "test_posterior.py::TestPerPosteriorAveragedPeriodogram::test_posterior": _AVERAGED,
    "test_posterior.py::TestPerPosteriorAveragedPeriodogram::test_negative_posterior": _AVERAGED,
    "test_parameterestimation.py::TestOptimizationResults::test_object_initializes_correctly": (
        "res.model is a new model at p_opt: stingray_jax never modifies the user's model, "
        "Stingray sets the fitted values on lpost.model itself"
    ),
    "test_parameterestimation.py::TestPSDParEst::test_fitting_with_ties_and_bounds[0.01]": (
        "on the log-rebinned spectrum the likelihood has no minimum near the truth: it keeps "
        "decreasing as the tied Lorentzian narrows below the bin width (fwhm_2 -> 0 with "
        "amplitude_2 ~ 1 / fwhm_2^2, -log L 149.97 against 150.24 at Stingray's answer, where "
        "the gradient is not zero: TNC stops early there); ours follows the descent and "
        "reports converged=False"
    ),
    # --- spectra (issue 13) ---
    "test_stingray_crossspectrum.py::TestCrossspectrum::"
    "test_make_crossspectrum_diff_lc_counts_shape": (
        "light curves with different time arrays raise ValueError('Time arrays are not the "
        "same'), where Stingray uses an assert statement (AssertionError, skipped under -O)"
    ),
}

# Stingray's slowest spectra tests (10-60 s each on a shared 2-core machine): marked `slow`.
SLOW = (
    "test_stingray_crossspectrum.py::TestAveragedCrossspectrumEvents::"
    "test_from_time_array_works_with_memmap",
    "test_stingray_crossspectrum.py::TestCrossspectrum::test_pvals_is_numpy_array",
    "test_stingray_crossspectrum.py::TestCrossspectrum::test_classical_significances_runs",
    "test_stingray_crossspectrum.py::TestCrossspectrum::"
    "test_classical_significances_trial_correction",
    "test_stingray_crossspectrum.py::TestCrossspectrum::test_classical_significances_threshold",
)


@pytest.fixture(autouse=True)
def _in_a_temporary_directory(tmp_path, monkeypatch):
    """Stingray's tests write files (plots, round trips) in the working directory: keep the
    checkout clean."""
    monkeypatch.chdir(tmp_path)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "stingray_suite/" not in item.nodeid:
            continue
        key = item.nodeid.split("stingray_suite/", 1)[1]
        base = key.split("[", 1)[0]
        reason = XFAIL.get(key) or XFAIL.get(base)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
        if key in SLOW or base in SLOW:
            item.add_marker(pytest.mark.slow)
