"""
Posterior sampling
==================

A maximum a posteriori fit gives one point and a Gaussian approximation of the errors; the
posterior itself can be skewed, bounded or correlated. This page samples the posterior of a
power-spectrum model of the light curve shipped with Stingray with ``PSDParEst.sample``, which
runs NumPyro's No-U-Turn Sampler (NUTS) on the exact JAX gradient of the log-posterior, checks
the run (split :math:`\\hat R`, effective sample sizes, divergences), plots the posterior,
exports it to arviz, and compares it with what Stingray's own ``PSDParEst.sample`` (the emcee
ensemble sampler) returns for the same posterior. See :doc:`/sampling` for the options.
"""

import time

import arviz as az
import matplotlib.pyplot as plt
import numpy as np
import scipy.stats
from astropy.modeling import models
from stingray import AveragedPowerspectrum
from stingray.sampledata import sample_data

import stingray_jax.modeling as modeling

# %%
# The data and the posterior
# --------------------------
# The Leahy-normalised periodograms of the 64-s segments of ``sample_data()`` are averaged, so
# each power is the mean of ``m`` periodograms and follows ``P ~ Gamma(m, S / m)`` around the
# model ``S``: that is the likelihood of ``PSDPosterior`` with ``m=ps.m`` (Whittle for
# ``m = 1``). The model is a power law (red noise, its reference frequency fixed at 1 Hz) plus
# a constant (Poisson noise), with broad priors written the Stingray way: one density function
# per free parameter (the ``.pdf`` of frozen ``scipy.stats`` distributions, which Stingray calls
# and stingray_jax translates to JAX).

lc = sample_data()
ps = AveragedPowerspectrum.from_lightcurve(lc, 64, norm="leahy", silent=True)
print(f"m = {ps.m} periodograms averaged; {ps.freq.size} frequencies")


def make_model():
    model = models.PowerLaw1D(amplitude=30.0, x_0=1.0, alpha=2.0) + models.Const1D(amplitude=8.0)
    model.x_0_0.fixed = True
    return model


priors = {
    "amplitude_0": scipy.stats.loguniform(1e-2, 1e4).pdf,
    "alpha_0": scipy.stats.uniform(0.0, 5.0).pdf,
    "amplitude_1": scipy.stats.uniform(0.0, 100.0).pdf,
}
t0 = [30.0, 2.0, 8.0]
lpost = modeling.PSDPosterior(ps.freq, ps.power, make_model(), priors=priors, m=ps.m)
parest = modeling.PSDParEst(ps, max_post=True)
names = lpost.free_param_names

# %%
# NUTS with ``PSDParEst.sample``
# ------------------------------
# ``sample`` first finds the MAP and its exact-Hessian covariance, starts four chains from it,
# adapts the step size and a dense mass matrix during 500 warm-up steps per chain and keeps
# 1000 draws per chain (the mapping from Stingray's ``nwalkers``, ``niter`` and ``burnin`` is
# on :doc:`/sampling`). The run is seeded (``seed=``), never through NumPy's global generator.
# The first call compiles the sampler; a second call on a posterior of the same structure
# reuses it.

start = time.perf_counter()
res = parest.sample(lpost, t0, num_samples=1000, num_warmup=500, seed=1, print_results=False)
cold = time.perf_counter() - start
start = time.perf_counter()
parest.sample(lpost, t0, num_samples=1000, num_warmup=500, seed=2, print_results=False)
warm = time.perf_counter() - start
print(f"{res.nwalkers} chains x {res.niter} draws; cold {cold:.2f} s, warm {warm:.2f} s")
print(f"mean acceptance probability {res.acceptance:.3f}, divergences {res.num_divergences}")
print(f"{'parameter':>12} {'mean':>10} {'std':>10} {'5%':>10} {'95%':>10} {'ESS':>8} {'r_hat':>7}")
for i, name in enumerate(names):
    print(
        f"{name:>12} {res.mean[i]:10.4f} {res.std[i]:10.4f} {res.ci[0, i]:10.4f} "
        f"{res.ci[1, i]:10.4f} {res.ess[i]:8.0f} {res.rhat[i]:7.4f}"
    )

# %%
# :math:`\hat R` is the split Gelman-Rubin statistic (close to 1 when the chains agree; 1.01
# is the usual threshold) and ESS the effective number of independent draws out of
# ``4 x 1000``. NUTS draws are only weakly autocorrelated, so the ESS is of the order of the
# number of draws.
#
# arviz
# -----
# ``res.to_arviz()`` returns an ``arviz.InferenceData`` with the draws per chain and the
# sampler statistics (divergences, acceptance, log density, leapfrog steps), so arviz's
# summaries and plots apply directly. Its bulk-ESS and :math:`\hat R` are computed by arviz's
# own code, an independent check of the values above.

idata = res.to_arviz()
print(idata)
summary = az.summary(idata, kind="all", round_to=4)
print(summary[["mean", "sd", "hdi_3%", "hdi_97%", "ess_bulk", "ess_tail", "r_hat"]])
print(f"arviz sample_stats: {sorted(idata.sample_stats.data_vars)}")

# %%
# A corner plot of the draws (arviz's ``plot_pair`` with the marginals on the diagonal): the
# amplitude and the index of the power law are strongly correlated, since the amplitude is
# defined at 1 Hz, above most of the red noise. (Importing ``stingray.modeling`` sets NumPy to
# warn on floating-point underflow, which arviz's kernel density estimate triggers harmlessly:
# we silence underflow warnings for the plot, in case Stingray's module is already loaded.)

with np.errstate(under="ignore"):
    axes = az.plot_pair(
        idata, kind="kde", marginals=True, figsize=(7, 7), kde_kwargs={"contourf_kwargs": {}}
    )
plt.show()

# %%
# ``res.plot_results()`` draws Stingray's kind of corner plot from the same samples:

fig = res.plot_results(nsamples=1000)
plt.show()

# %%
# The same posterior with Stingray's emcee sampler
# ------------------------------------------------
# Stingray's ``PSDParEst.sample`` runs emcee's affine-invariant ensemble. To keep this page
# short we give it 32 walkers, 100 burn-in steps and 200 kept steps (6400 draws; its default
# is 500 walkers); its walkers start around its own MAP fit, drawn from NumPy's global
# generator, which we seed.
#
# Stingray's likelihood for ``m > 1`` is twice the Gamma log-likelihood (see
# :doc:`/differences`), so its posterior is narrower than the correct one by about
# ``sqrt(2)`` where the data dominate the priors. For a like-for-like comparison we therefore
# also sample stingray_jax's ``stingray_compat=True`` posterior, which is Stingray's density.

import stingray.modeling as sr_modeling

sr_lpost = sr_modeling.PSDPosterior(ps.freq, ps.power, make_model(), priors=priors, m=ps.m)
sr_parest = sr_modeling.PSDParEst(ps, fitmethod="L-BFGS-B", max_post=True)
np.random.seed(3)  # noqa: NPY002 (Stingray draws from the global generator)
start = time.perf_counter()
res_sr = sr_parest.sample(sr_lpost, t0, nwalkers=32, niter=200, burnin=100, print_results=False)
emcee_time = time.perf_counter() - start
print(f"emcee: {res_sr.samples.shape[0]} draws in {emcee_time:.2f} s")
print(f"emcee mean acceptance fraction {res_sr.acceptance:.3f}")

lpost_compat = modeling.PSDPosterior(
    ps.freq, ps.power, make_model(), priors=priors, m=ps.m, stingray_compat=True
)
start = time.perf_counter()
res_compat = parest.sample(lpost_compat, t0, seed=1, print_results=False)
compat_time = time.perf_counter() - start
print(f"NUTS, stingray_compat: {res_compat.samples.shape[0]} draws in {compat_time:.2f} s")

# %%
# Means and standard deviations side by side. The ratios compare each sampler with NUTS on
# the same density (Stingray's doubled one) and, in the last column, the correct posterior
# with Stingray's.

print(
    f"{'':>12} {'emcee (Stingray)':>22} {'NUTS, compat':>22} {'NUTS, default':>22}"
    f" {'std default/emcee':>18}"
)
for i, name in enumerate(names):
    print(
        f"{name:>12} {res_sr.mean[i]:11.4f} +- {res_sr.std[i]:7.4f}"
        f" {res_compat.mean[i]:11.4f} +- {res_compat.std[i]:7.4f}"
        f" {res.mean[i]:11.4f} +- {res.std[i]:7.4f} {res.std[i] / res_sr.std[i]:18.3f}"
    )
diff = np.abs(res_sr.mean - res_compat.mean) / res_compat.std
print(f"|emcee mean - NUTS compat mean| / std: {np.round(diff, 3)}")
print(f"emcee std / NUTS compat std: {np.round(res_sr.std / res_compat.std, 3)}")

# %%
# On the same density the two samplers agree within the Monte Carlo error of a short emcee run
# (its 6400 draws are strongly autocorrelated: an ensemble step moves little). The correct
# posterior, sampled by default, is wider by close to ``sqrt(2) = 1.414``.
#
# The marginal posteriors of the three runs:

fig, axes = plt.subplots(1, len(names), figsize=(10, 3.2))
for i, (ax, name) in enumerate(zip(axes, names)):
    bins = np.linspace(*np.percentile(res.samples[:, i], [0.1, 99.9]), 40)
    ax.hist(res_sr.samples[:, i], bins, density=True, histtype="step", lw=1.5, label="emcee")
    ax.hist(res_compat.samples[:, i], bins, density=True, histtype="step", label="NUTS, compat")
    ax.hist(res.samples[:, i], bins, density=True, histtype="step", label="NUTS, default")
    ax.set_xlabel(name)
axes[0].legend(fontsize="small")
fig.tight_layout()
plt.show()
