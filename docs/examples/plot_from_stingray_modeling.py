"""
From stingray.modeling to stingray_jax.modeling
===============================================

``stingray_jax.modeling`` keeps the names, signatures and result attributes of
``stingray.modeling``: a script written for Stingray runs after changing its import line. This
page runs the same fitting script with both packages on the averaged power spectrum of the light
curve shipped with Stingray, prints what each returns and how long it takes, and then shows,
one by one, the places where the numbers differ on purpose (see :doc:`/differences`):

* the likelihood of an averaged spectrum (``m > 1``), which Stingray doubles;
* error bars, which Stingray takes from the optimiser's approximate inverse Hessian;
* parameter bounds, which Stingray's optimiser never sees.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import scipy.stats
from astropy.modeling import models
from stingray import AveragedPowerspectrum
from stingray.sampledata import sample_data

# %%
# The data
# --------
# ``stingray.sampledata.sample_data()`` is the light curve bundled with Stingray (2768 s in
# 0.125-s bins). We average the Leahy-normalised periodograms of its 32-s segments, as a
# Stingray user would: every frequency is then the mean of ``ps.m`` periodograms.

lc = sample_data()
ps = AveragedPowerspectrum.from_lightcurve(lc, 32, norm="leahy", silent=True)
print(f"{lc.n} bins of {lc.dt} s; {ps.freq.size} frequencies from {ps.freq[0]} to {ps.freq[-1]} Hz")
print(f"m = {ps.m} periodograms averaged per frequency")

# %%
# One script, two packages
# ------------------------
# The model is a power law (red noise), a Lorentzian (a broad bump above 1 Hz) and a constant
# (white noise); the power law's reference frequency ``x_0`` is fixed, which leaves six free
# parameters. ``fit`` is ordinary Stingray code: it receives the *module* so that the very same
# lines run with either package, and it builds a new model and likelihood every time, as a
# script that fits one observation after another does.


def make_model():
    model = (
        models.PowerLaw1D(amplitude=30.0, x_0=1.0, alpha=2.0)
        + models.Lorentz1D(amplitude=2.0, x_0=1.5, fwhm=1.0)
        + models.Const1D(amplitude=8.0)
    )
    model.x_0_0.fixed = True
    return model


t0 = [30.0, 2.0, 2.0, 1.5, 1.0, 8.0]


def fit(modeling, model, t0, **kwargs):
    loglike = modeling.PSDLogLikelihood(ps.freq, ps.power, model, m=ps.m, **kwargs)
    parest = modeling.PSDParEst(ps, fitmethod="L-BFGS-B", max_post=False)
    start = time.perf_counter()
    res = parest.fit(loglike, t0)
    return loglike, res, time.perf_counter() - start


# %%
# With Stingray. Its ``fit`` perturbs the starting values with NumPy's global random generator,
# so we seed it to make this page reproducible.

import stingray.modeling as modeling

np.random.seed(1)  # noqa: NPY002 (Stingray draws from the global generator)
ll_sr, res_sr, cold_sr = fit(modeling, make_model(), t0)
_, _, warm_sr = fit(modeling, make_model(), t0)

# %%
# With stingray_jax: only the import line changes. The first call traces and compiles the fit
# (the "cold" time); the second one, with a new model and a new likelihood of the same
# structure, reuses the compiled program.

import stingray_jax.modeling as modeling

ll_jx, res_jx, cold_jx = fit(modeling, make_model(), t0)
_, _, warm_jx = fit(modeling, make_model(), t0)

names = ll_jx.free_param_names
print(f"{'parameter':>12} {'Stingray':>22} {'stingray_jax':>22}")
for name, p1, e1, p2, e2 in zip(names, res_sr.p_opt, res_sr.err, res_jx.p_opt, res_jx.err):
    print(f"{name:>12} {p1:11.4f} +- {e1:7.4f} {p2:11.4f} +- {e2:7.4f}")
print(f"{'-log L':>12} {res_sr.result:22.4f} {res_jx.result:22.4f}")
print(f"{'cold fit':>12} {cold_sr:20.3f} s {cold_jx:20.3f} s")
print(f"{'warm fit':>12} {warm_sr:20.3f} s {warm_jx:20.3f} s")
print(f"stingray_jax converged: {res_jx.converged}, in {res_jx.n_steps} steps")

# %%
# The best-fit parameters agree to the precision of Stingray's optimiser. Three things do not:
# the value of ``-log L``, the error bars, and the time per fit. The first two are explained
# below; the time is that of a compiled trust-region fit with exact derivatives (Fisher scoring,
# then Newton steps) against scipy's L-BFGS-B with finite-difference gradients of an astropy
# model (Stingray passes no gradient to ``scipy.optimize.minimize``).
#
# The likelihood of an averaged spectrum (m > 1)
# ----------------------------------------------
# An average of ``m`` periodograms is Gamma-distributed, ``P ~ Gamma(m, S / m)``. Stingray's
# ``PSDLogLikelihood`` returns twice this log-likelihood, minus terms that depend on the data
# only. ``stingray_compat=True`` reproduces Stingray's value; the default is the Gamma
# log-likelihood, which we check against ``scipy.stats.gamma``. We evaluate all of them at the
# best fit and at the starting point.

ll_compat = modeling.PSDLogLikelihood(ps.freq, ps.power, make_model(), m=ps.m, stingray_compat=True)
gamma = scipy.stats.gamma.logpdf(ps.power, ps.m, scale=res_jx.mfit / ps.m).sum()
p_best, p_start = res_jx.p_opt, np.array(t0)
print(f"{'':>30} {'at best fit':>14} {'at t0':>14}")
print(f"{'Stingray':>30} {ll_sr(p_best):14.4f} {ll_sr(p_start):14.4f}")
print(f"{'stingray_jax, compat':>30} {ll_compat(p_best):14.4f} {ll_compat(p_start):14.4f}")
print(f"{'stingray_jax, default':>30} {ll_jx(p_best):14.4f} {ll_jx(p_start):14.4f}")
print(f"{'scipy.stats.gamma':>30} {gamma:14.4f}")
ratio = (ll_sr(p_best) - ll_sr(p_start)) / (ll_jx(p_best) - ll_jx(p_start))
print(f"Stingray's log-likelihood difference / the Gamma one: {ratio:.6f}")

# %%
# The maximum is in the same place, but every quantity that depends on the scale of the
# likelihood is doubled in Stingray: deviances, AIC, BIC and likelihood-ratio statistics. A
# likelihood-ratio test of the model against the same model without the Lorentzian shows it
# (``compute_lrt`` has the same signature in both packages):

import stingray.modeling as sr_modeling


def make_null_model():
    model = models.PowerLaw1D(amplitude=30.0, x_0=1.0, alpha=2.0) + models.Const1D(amplitude=8.0)
    model.x_0_0.fixed = True
    return model


lrts = {}
for label, mod in [("Stingray", sr_modeling), ("stingray_jax", modeling)]:
    np.random.seed(2)  # noqa: NPY002 (Stingray draws from the global generator)
    null = mod.PSDLogLikelihood(ps.freq, ps.power, make_null_model(), m=ps.m)
    alt = mod.PSDLogLikelihood(ps.freq, ps.power, make_model(), m=ps.m)
    parest = mod.PSDParEst(ps, fitmethod="L-BFGS-B", max_post=False)
    lrts[label] = parest.compute_lrt(null, [30.0, 2.0, 8.0], alt, t0)[0]
    print(f"{label:>12}: LRT = {lrts[label]:.3f}")
print(f"ratio: {lrts['Stingray'] / lrts['stingray_jax']:.4f}")
pval_sr, pval_jx = (scipy.stats.chi2.sf(lrts[k], 3) for k in ("Stingray", "stingray_jax"))
print(f"chi^2 (3 dof) p-values: Stingray's {pval_sr:.3g}, stingray_jax's {pval_jx:.3g}")

# %%
# Read as a chi-squared statistic with three degrees of freedom, Stingray's doubled LRT
# overstates the significance of the bump by orders of magnitude. (The chi-squared reading is
# itself only approximate here: under the null hypothesis the Lorentzian's amplitude is zero and
# its centroid and width are undefined. The calibrated way is ``parest.calibrate_lrt``, with
# simulations.)
#
# Error bars
# ----------
# Stingray's ``res.err`` is the square root of the diagonal of scipy's ``hess_inv``, the
# approximation to the inverse Hessian that L-BFGS-B builds along its path. It depends on the
# path: starting the same fit from other points gives nearly the same parameters and quite
# different errors.
# stingray_jax inverts the exact Hessian at the optimum, so its errors depend on the optimum
# only.

starts = [t0, [40.0, 1.8, 4.0, 2.0, 2.0, 6.0], [35.0, 2.2, 3.0, 1.2, 4.0, 7.0]]
print(f"{'':>24}" + "".join(f"{n:>12}" for n in names))
for k, start in enumerate(starts):
    np.random.seed(3)  # noqa: NPY002 (Stingray draws from the global generator)
    _, r_sr, _ = fit(sr_modeling, make_model(), start)
    _, r_jx, _ = fit(modeling, make_model(), start)
    print(f"{'Stingray p_opt, start ' + str(k):>24}" + "".join(f"{v:12.4f}" for v in r_sr.p_opt))
    print(f"{'Stingray err':>24}" + "".join(f"{v:12.4f}" for v in r_sr.err))
    print(f"{'stingray_jax err':>24}" + "".join(f"{v:12.4f}" for v in r_jx.err))

# %%
# An independent check of the exact errors: differentiate *Stingray's own* ``-log L``
# numerically (central differences at the best fit), invert, and take the square roots of the
# diagonal. Because Stingray's likelihood is doubled, its curvature is twice the true one and
# its errors are ``sqrt(2)`` too small: they equal those of stingray_jax with
# ``stingray_compat=True``, and ``sqrt(2)`` times them equals the default errors.


def numerical_hessian(f, p, rel_step=1e-4):
    p = np.asarray(p, dtype=float)
    h = rel_step * np.maximum(np.abs(p), 1.0)
    n = p.size
    hess = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            ei, ej = np.eye(n)[i] * h[i], np.eye(n)[j] * h[j]
            hess[i, j] = hess[j, i] = (
                f(p + ei + ej) - f(p + ei - ej) - f(p - ei + ej) + f(p - ei - ej)
            ) / (4 * h[i] * h[j])
    return hess


err_fd = np.sqrt(np.diag(np.linalg.inv(numerical_hessian(lambda q: ll_sr(q, neg=True), p_best))))
_, res_compat, _ = fit(modeling, make_model(), t0, stingray_compat=True)
print(f"{'':>34}" + "".join(f"{n:>12}" for n in names))
print(f"{'numerical, Stingray likelihood':>34}" + "".join(f"{v:12.4f}" for v in err_fd))
print(f"{'stingray_jax, stingray_compat':>34}" + "".join(f"{v:12.4f}" for v in res_compat.err))
print(f"{'sqrt(2) x numerical':>34}" + "".join(f"{v:12.4f}" for v in np.sqrt(2) * err_fd))
print(f"{'stingray_jax, default':>34}" + "".join(f"{v:12.4f}" for v in res_jx.err))

# %%
# Bounds
# ------
# Suppose we look for the bump only between 0.5 and 1.5 Hz, and say so with astropy's bounds.
# Stingray does not pass bounds to ``scipy.optimize``; its likelihood clips the parameters to
# the bounds before evaluating the model, so the optimiser can walk anywhere outside them, where
# the likelihood no longer changes. stingray_jax optimises in variables mapped into the bounds.


def make_bounded_model():
    model = make_model()
    model.x_0_1, model.fwhm_1 = 1.0, 0.5
    model.x_0_1.bounds = (0.5, 1.5)
    return model


t0_bounded = [30.0, 2.0, 2.0, 1.0, 0.5, 8.0]
np.random.seed(0)  # noqa: NPY002 (Stingray draws from the global generator)
bounded_sr = make_bounded_model()
_, res_b_sr, _ = fit(sr_modeling, bounded_sr, t0_bounded)
bounded_jx = make_bounded_model()
_, res_b_jx, _ = fit(modeling, bounded_jx, t0_bounded)
i = names.index("x_0_1")
print(f"bounds of x_0_1: {bounded_jx.x_0_1.bounds}; unconstrained best fit: {res_jx.p_opt[i]:.4f}")
print(f"Stingray:     p_opt x_0_1 = {res_b_sr.p_opt[i]:.4f}, -log L = {res_b_sr.result:.4f}")
print(f"              the model it evaluated has x_0_1 = {res_b_sr.model.x_0_1.value:.4f}")
print(f"stingray_jax: p_opt x_0_1 = {res_b_jx.p_opt[i]:.4f}, -log L = {res_b_jx.result:.4f}")
print(f"              res.model has x_0_1 = {res_b_jx.model.x_0_1.value:.4f}")
nll_sr_there = ll_sr(res_b_jx.p_opt, neg=True)
print(f"Stingray's own -log L at stingray_jax's bounded optimum: {nll_sr_there:.4f}")

# %%
# Stingray's ``p_opt`` lies outside the bounds while the model it evaluated sits at a bound:
# the reported parameters and the fitted curve disagree. stingray_jax ends exactly on the upper
# bound, where the constrained maximum is: the unconstrained best fit lies above it. Stingray's
# own likelihood agrees: it is higher there than at the (clipped) point where Stingray's fit
# stopped, on the lower bound.
# Note also that Stingray's ``res.model`` *is* the model that was passed in, now holding the
# fitted parameters; stingray_jax leaves the model you pass untouched and returns a new one:

print(
    f"Stingray's model afterwards:     x_0_1 = {bounded_sr.x_0_1.value:.4f} (res.model is it: "
    f"{res_b_sr.model is bounded_sr})"
)
print(
    f"stingray_jax's model afterwards: x_0_1 = {bounded_jx.x_0_1.value:.4f} (res.model is it: "
    f"{res_b_jx.model is bounded_jx})"
)

# %%
# The fit
# -------
# ``PSDParEst.plotfits`` draws the spectrum, the two best fits (with and without the
# Lorentzian) and the data/model ratios, as Stingray's does.

null = modeling.PSDLogLikelihood(ps.freq, ps.power, make_null_model(), m=ps.m)
res_null = modeling.PSDParEst(ps, max_post=False).fit(null, [30.0, 2.0, 8.0])
fig = modeling.PSDParEst(ps).plotfits(res_jx, res_null, namestr="sample_data (32 s)")
plt.show()
