"""calibrate_lrt and calibrate_highest_outlier refuse nsim < 1 before doing any work."""

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
