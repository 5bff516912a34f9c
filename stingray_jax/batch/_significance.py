"""Significance columns of a batch: the highest outlier or the likelihood ratio, calibrated by
simulation for every row.

For each fitted spectrum, spectra are simulated from its best fit (the null model's, for the
likelihood ratio) as Stingray's ``simulate_highest_outlier`` / ``simulate_lrts`` do (the model
times ``chi2(2m) / 2m`` noise), each is refitted (both models, for the ratio) in one compiled
``simulate_and_fit`` call, and the p-value is Stingray's: the fraction of simulations whose
statistic exceeds the observed one. The simulations of a row are drawn from a generator seeded
by ``(seed, item, segment)``, so a row's p-value does not depend on the chunking, the devices or
the engine. The parameters are fixed at the best fit (a parametric bootstrap), where Stingray's
``calibrate_*`` methods may also draw them from the covariance or the posterior.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._config import x64_scope
from ._spectra import batch_prior

__all__ = ["significance_columns"]

KINDS = ("outlier", "lrt")


def _simulated_statistics(key_rng, x_sim, jm_sim, freq, m, fits, spec_statics, nsim):
    """``(x, fun, settled, max_outlier)`` per fit over ``nsim`` simulated spectra."""
    import jax

    from ..fitting import compiled

    calibrator = compiled("simulate_and_fit", spec_statics)
    m_arr = np.broadcast_to(np.asarray(m, dtype=float), freq.shape)
    noise = key_rng.gamma(m_arr, 1.0 / m_arr, size=(nsim, freq.size))
    data = {"x": freq} if spec_statics[0][0].kind == "whittle" else {"x": freq, "m": m_arr}
    s_batch = np.broadcast_to(x_sim, (nsim, x_sim.size)).copy()
    jms = tuple(f[0] for f in fits)
    t0s = tuple(np.asarray(f[1], dtype=float) for f in fits)
    with x64_scope(True):
        out = calibrator(jax.random.key(0), s_batch, jm_sim, data, m_arr, jms, t0s, noise)
    return [[np.asarray(v) for v in fit] for fit in out]


def significance_columns(
    kind: str,
    jm: Any,
    freq: np.ndarray,
    powers: np.ndarray,
    ms: np.ndarray,
    x_best: np.ndarray,
    ok: np.ndarray,
    keys: list[tuple[int, int]],
    options: dict[str, Any],
    null: Any = None,
    x_null: np.ndarray | None = None,
    nll: np.ndarray | None = None,
    nll_null: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The statistic and p-value columns of ``kind`` for the rows of a chunk.

    ``powers``, ``ms`` (averaged periodograms per bin), ``x_best`` (best fits) and ``ok`` (rows
    with a converged fit; the others get NaN) are per row; ``keys`` are the rows' ``(item,
    segment)``. For ``"lrt"``, ``null`` is the null model and ``x_null``, ``nll_null`` and
    ``nll`` its best fits and both models' minima.
    """
    from ..fitting import psd_spec

    n = powers.shape[0]
    nsim = int(options["nsim"])
    stat = np.full(n, np.nan)
    pvalue = np.full(n, np.nan)
    if kind == "outlier":
        import jax

        with x64_scope(True):
            model = np.asarray(jax.vmap(lambda p: jm(p, freq))(np.nan_to_num(x_best)))
        stat = np.where(ok, np.max(2.0 * powers / model, axis=1), np.nan)
    else:
        assert nll is not None
        assert nll_null is not None
        stat = np.where(ok, 2.0 * (nll_null - nll), np.nan)  # Stingray's deviance difference
    prior = batch_prior(jm, options["priors"])  # the outlier's refits are MAP ones with priors
    for i in np.flatnonzero(ok & np.isfinite(stat)):
        m = ms[i]
        whittle = bool(np.all(m == 1))
        spec = psd_spec(whittle, options["stingray_compat"])
        rng = np.random.default_rng([int(options["seed"]), keys[i][0], keys[i][1] + 1])
        statics = (spec, prior, options["solver"])
        if kind == "outlier":
            fits = [(jm, x_best[i])]
            sims = _simulated_statistics(rng, x_best[i], jm, freq, m, fits, (statics,), nsim)
            values = np.where(sims[0][2], sims[0][3], np.nan)
        else:
            assert x_null is not None
            fits = [(null, x_null[i]), (jm, x_best[i])]
            sims = _simulated_statistics(
                rng, x_null[i], null, freq, m, fits, (statics, statics), nsim
            )
            settled = sims[0][2] & sims[1][2]
            values = np.where(settled, 2.0 * (sims[0][1] - sims[1][1]), np.nan)
        good = np.isfinite(values)
        if np.any(good):
            pvalue[i] = float(np.sum(values[good] > stat[i])) / float(np.sum(good))
    return {f"{kind}_stat": stat, f"{kind}_pvalue": pvalue}
