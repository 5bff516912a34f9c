"""Time-domain batch fits: stingray_jax.batch.fit_lightcurves against a Stingray loop.

Run with ``python benchmarks/bench_lightcurves.py [N_CURVES]`` (default 200). Simulates
``N_CURVES`` Poisson light curves of 200 to 1000 one-second bins, each with a FRED flare on a
constant background (seed 21), and fits FRED1D + Const1D to every one of them:

- ours: one ``fit_lightcurves`` call (padded + masked, Poisson likelihood, Fisher scoring);
- Stingray: the loop ``PoissonLogLikelihood`` + ``ParameterEstimation(fitmethod="L-BFGS-B",
  max_post=False).fit`` (scipy with finite-difference gradients; L-BFGS-B honours the bounds)
  over the same light curves, from the same starting values.

Rounds alternate ours / Stingray in one process; prints cold (first call, compilation included)
and warm times, min and median of the warm ratios, and how the minima and parameters compare.
"""

import os
import statistics
import sys
import time
import warnings

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # see docs/benchmarks.rst: BLAS threads

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np
from astropy.modeling.models import Const1D

from stingray_jax._config import preserve_global_state
from stingray_jax.batch import fit_lightcurves
from stingray_jax.models import FRED1D

with preserve_global_state():
    from stingray.modeling import ParameterEstimation, PoissonLogLikelihood


def _curves(n, seed=21):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        length = int(rng.integers(200, 1001))
        truth = FRED1D(A=rng.uniform(40, 120), t0=rng.uniform(20, 60), delta=5.0, phi=2.0)
        truth = truth + Const1D(5.0)
        out.append(rng.poisson(truth(np.arange(length) + 0.5)).astype(float))
    return out


def _model():
    model = FRED1D(A=60.0, t0=30.0, delta=4.0, phi=1.5) + Const1D(4.0)
    model.phi_0.bounds = (0.01, None)
    model.A_0.bounds = (0, None)
    return model


def _ours(curves):
    return fit_lightcurves(curves, _model(), dt=1.0)


def _stingray(curves):
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for counts in curves:
            t = np.arange(counts.size) + 0.5
            model = _model()  # a fresh model: the fit writes its solution into it
            loglike = PoissonLogLikelihood(t, counts, model)
            estimator = ParameterEstimation(fitmethod="L-BFGS-B", max_post=False)
            res = estimator.fit(loglike, list(model.parameters))
            out.append((*res.p_opt, res.result))
    return np.asarray(out)


def main(n_curves=200, rounds=3):
    curves = _curves(n_curves)
    print(f"{n_curves} light curves of 200-1000 bins, FRED1D + Const1D, Poisson")
    t = time.perf_counter()
    table = _ours(curves)
    cold = time.perf_counter() - t
    ours, theirs = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        p_theirs = _stingray(curves)
        theirs.append(time.perf_counter() - t)
        t = time.perf_counter()
        table = _ours(curves)
        ours.append(time.perf_counter() - t)
    ratios = [s / o for s, o in zip(theirs, ours)]
    names = table.meta["free_param_names"]
    p_ours = np.column_stack([np.asarray(table[n]) for n in names])
    nll_ours, nll_theirs = np.asarray(table["neg_log_likelihood"]), p_theirs[:, -1]
    p_theirs = p_theirs[:, :-1]
    ok = np.asarray(table["converged"])
    lower = nll_ours[ok] <= nll_theirs[ok] + 1e-6 * np.abs(nll_theirs[ok])
    same = ok & (np.abs(nll_ours - nll_theirs) < 1e-6 * np.abs(nll_theirs))
    rel = np.abs(p_ours[same] - p_theirs[same]) / np.abs(p_theirs[same])
    print(
        f"ours: cold {cold:.2f} s, warm median {statistics.median(ours):.3f} s "
        f"({1e3 * statistics.median(ours) / n_curves:.2f} ms per light curve); Stingray loop "
        f"median {statistics.median(theirs):.2f} s "
        f"({1e3 * statistics.median(theirs) / n_curves:.1f} ms per light curve)"
    )
    print(f"cold speed-up x{statistics.median(theirs) / cold:.1f}")
    med = statistics.median(ratios)
    print(f"warm speed-up vs Stingray: min {min(ratios):.2f}, median {med:.2f}")
    print(
        f"{ok.sum()} of {ok.size} converged; -log L at most Stingray's in {lower.sum()}; "
        f"the same minimum (1e-6) in {same.sum()}, where the parameters differ by a median "
        f"{np.median(rel):.1e} (99th percentile {np.percentile(rel, 99):.1e}) relative"
    )
    worse = nll_theirs[ok] - nll_ours[ok]
    print(f"Stingray's -log L minus ours: median {np.median(worse):.2e}, max {worse.max():.2e}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
