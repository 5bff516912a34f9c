"""QPO detection rates of `gpmodeling.detect_qpo_batch` on simulated light curves.

The test process runs with JAX's x64 flag off: the public entry point computes in float64 by
itself.
"""

import jax
import numpy as np
import pytest

from stingray_jax import gp
from stingray_jax.modeling import gpmodeling

N_LC = 60  # light curves with and without a QPO
THRESHOLD = 3.0  # detection: ln Bayes factor (QPO_plus_RN over RN) > 3, i.e. BF > 20
MAX_FALSE = 6  # of N_LC light curves without a QPO
MIN_DETECTED = 38  # of N_LC light curves with a QPO


def _simulate(rng, aqpo, n_lc, n=200, dt=0.1):
    from stingray import Lightcurve

    t = np.arange(n) * dt
    with jax.enable_x64(True):
        k = gp.rn_kernel(1.0, 0.5)
        if aqpo:
            k = k + gp.qpo_kernel(aqpo, 0.2, 1.0)
        K = np.asarray(k(t, t)) + 0.5 * np.eye(n)
    L = np.linalg.cholesky(K)
    err = np.full(n, 0.5**0.5)
    return [
        Lightcurve(t, 10.0 + L @ rng.normal(size=n), err=err, dt=dt, skip_checks=True)
        for _ in range(n_lc)
    ]


@pytest.mark.slow
def test_false_positive_and_detection_rates(rng):
    """False-positive and detection rates at ln BF > 3, with binomial bounds.

    Light curves: 200 points, dt = 0.1 s (20 s), red noise ``arn = 1``, ``crn = 0.5 /s`` plus
    white noise of variance 0.5 (``counts_err``), mean 10; with a QPO: plus
    ``aqpo = 0.4`` (rms 0.63 against the red noise's 1), ``cqpo = 0.2 /s``, 1 Hz
    (Q = pi freq / cqpo = 16). Detection: ``ln_bayes_factor > 3`` (Bayes factor > 20).

    Measured beforehand on 400 light curves without and 200 with the QPO (other seeds): no
    false positive (0/400; the largest ln BF was 1.4), detection rate 0.87 +- 0.024.

    Bounds, for ``N_LC = 60`` light curves of each kind (binomial counts):

    - at most 6 false positives: if the true false-positive rate is <= 2% (about 3 times the
      95% upper limit of the measurement), ``P(Bin(60, 0.02) > 6) = 2e-4`` is the chance of
      failing by bad luck; a detector with a false-positive rate >= 27% passes with
      probability ``P(Bin(60, 0.27) <= 6) < 1e-3``;
    - at least 38 detections: if the true detection rate is >= 80% (3 standard errors below
      the measurement), ``P(Bin(60, 0.8) < 38) = 8e-4``; a detector whose rate is <= 43%
      passes with probability ``P(Bin(60, 0.43) >= 38) < 1e-3``.

    The detected QPOs are also at the right frequency (median within 3% of 1 Hz).
    """
    assert not jax.config.jax_enable_x64
    null = _simulate(rng, 0.0, N_LC)
    qpo = _simulate(rng, 0.4, N_LC)
    tab = gpmodeling.detect_qpo_batch(null + qpo)
    assert tab["ln_bayes_factor"].dtype == np.float64
    assert np.all(tab["converged"])
    lnbf = np.asarray(tab["ln_bayes_factor"])
    false_positives = int(np.sum(lnbf[:N_LC] > THRESHOLD))
    detected = lnbf[N_LC:] > THRESHOLD
    assert false_positives <= MAX_FALSE, np.sort(lnbf[:N_LC])
    assert int(np.sum(detected)) >= MIN_DETECTED, np.sort(lnbf[N_LC:])
    freq = np.asarray(tab["freq"][N_LC:])[detected]
    assert abs(np.median(freq) - 1.0) < 0.03, freq
