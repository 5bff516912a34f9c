"""calibrate_lrt and calibrate_highest_outlier refuse nsim < 1 before doing any work; the
background compilation of calibrate_lrt changes no result."""

import numpy as np
import pytest
from astropy.modeling import models

from stingray_jax._config import preserve_global_state
from stingray_jax.modeling import PSDLogLikelihood, PSDParEst

with preserve_global_state():
    from stingray import Powerspectrum


@pytest.mark.parametrize("nsim", [0, -3, 2.5, None])
def test_nsim_must_be_positive_integer(nsim):
    freq = np.linspace(0.1, 10, 50)
    power = np.full(freq.size, 2.0)
    ps = Powerspectrum()
    ps.freq, ps.power, ps.m = freq, power, 1
    parest = PSDParEst(ps)
    null = PSDLogLikelihood(freq, power, models.Const1D(amplitude=2.0))
    alt = PSDLogLikelihood(freq, power, models.PowerLaw1D() + models.Const1D())
    with pytest.raises(ValueError, match="nsim must be a positive integer"):
        parest.calibrate_lrt(null, [2.0], alt, [1.0, 1.0, 1.0, 2.0], nsim=nsim)
    with pytest.raises(ValueError, match="nsim must be a positive integer"):
        parest.calibrate_highest_outlier(null, [2.0], nsim=nsim)


def test_precompiling_the_simulations_changes_nothing(monkeypatch):
    """calibrate_lrt compiles its simulate-and-fit program in a background thread while the
    initial fits run: the p-value and every simulated ratio are those of the plain order."""
    import jax

    import stingray_jax.modeling._calibration as cal

    rng = np.random.default_rng(4)
    freq = np.linspace(0.1, 10, 64)
    power = (2.0 + 3.0 / (1 + ((freq - 4) / 0.3) ** 2)) * rng.exponential(size=freq.size)
    ps = Powerspectrum()
    ps.freq, ps.power, ps.m = freq, power, 1
    null = PSDLogLikelihood(freq, power, models.Const1D(amplitude=2.0))
    alt_model = models.Lorentz1D(amplitude=3.0, x_0=4.0, fwhm=0.5) + models.Const1D(2.0)
    alt_model.amplitude_0.bounds = (0, None)
    alt_model.fwhm_0.bounds = (0.05, 5)
    alt = PSDLogLikelihood(freq, power, alt_model)
    started = []
    real = cal._precompile

    def spy(*args):
        thread = real(*args)
        started.append(thread)
        return thread

    monkeypatch.setattr(cal, "_precompile", spy)
    first = PSDParEst(ps)
    p1 = first.calibrate_lrt(null, [2.0], alt, [3.0, 4.0, 0.5, 2.0], nsim=30, seed=3)
    assert len(started) == 1
    assert not started[0].is_alive()
    monkeypatch.setattr(cal, "_precompile", lambda *a: None)
    jax.clear_caches()
    second = PSDParEst(ps)
    p2 = second.calibrate_lrt(null, [2.0], alt, [3.0, 4.0, 0.5, 2.0], nsim=30, seed=3)
    assert p1 == p2
    np.testing.assert_array_equal(first.lrt_sim, second.lrt_sim)
