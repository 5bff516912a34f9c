"""Stingray's modeling tests (copied by ``_copy.py``) against stingray_jax.modeling.

Stingray's tests are MIT-licensed (Copyright (c) 2015-, the Stingray developers); the copies
differ from the installed files only in their ``from stingray.modeling ... import`` lines.
The tests that fail against stingray_jax are deliberate differences (or, where noted, open
work), listed here with the reason and on docs/differences.rst, and marked
``xfail(strict=True)`` so that a fix is noticed.
"""

import pytest

_AVERAGED = (
    "Stingray's m > 1 PSD likelihood is twice the Gamma log-likelihood (plus constants); ours is "
    "the correct one (stingray_compat=True reproduces Stingray's)"
)

XFAIL = {
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
        "open (issue 11 point 5): on the log-rebinned spectrum (Whittle likelihood with m=1 on "
        "averaged bins) our fit ends at a degenerate Lorentzian (huge amplitude, fwhm -> 0) "
        "and reports converged=False"
    ),
    "test_parameterestimation.py::TestPSDParEst::test_simulate_lrts_works": (
        "the bounds 0.01 < LRT < 10 hold for Stingray's random stream with seed 100; ours "
        "(JAX's PRNG) gives one LRT of 10.5 and two simulated fits that do not converge (NaN, "
        "reported in a warning)"
    ),
    "test_parameterestimation.py::TestPSDParEst::test_simulate_highest_outlier_works": (
        "the bounds 9 < max(2P/S) < 31 hold for Stingray's random stream with seed 100; ours "
        "(JAX's PRNG) draws one maximum of 8.8 among 5 simulations"
    ),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        key = item.nodeid.split("stingray_suite/", 1)[-1]
        reason = XFAIL.get(key)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
