"""
Fitting an averaged spectrum with Lorentzians
=============================================

The power spectra of accreting compact objects are usually described as a sum of Lorentzians: a
broad, zero-centred one for the band-limited noise, narrower ones for quasi-periodic
oscillations (QPOs), and a constant for the Poisson noise. This page simulates such a light
curve (with a stated seed), averages its periodograms, and fits it with
``stingray_jax.modeling``, first by maximum likelihood with ``fit_lorentzians``, then by
maximum a posteriori (MAP) with priors written the way Stingray users write them.
"""

import time
import warnings

import jax
import matplotlib.pyplot as plt
import numpy as np
import scipy.stats
from astropy.modeling import models
from stingray import AveragedPowerspectrum, Lightcurve

from stingray_jax.fourier import simulate_lightcurve
from stingray_jax.modeling import PSDParEst, PSDPosterior, fit_lorentzians

# %%
# A simulated light curve with a QPO
# ----------------------------------
# The power spectrum is a zero-centred Lorentzian of FWHM 1 Hz plus a QPO at 3 Hz of FWHM
# 0.4 Hz, written as an astropy model. We draw a Timmer & Koenig realisation of it, with a
# fractional rms of 25% around a mean of 10 counts per 1/64-s bin and Poisson counts, with
# `stingray_jax.fourier.simulate_lightcurve`: it follows the conventions of
# ``stingray.simulator.Simulator(dt, N, mean, rms, poisson=True).simulate(psd)``, but its random
# numbers come from an explicit key, so the page is reproducible (Stingray's ``Simulator`` draws
# the Fourier amplitudes and the Poisson counts from NumPy's global generator, which its
# ``random_state`` does not seed). Then we average the fractional-rms-normalised periodograms
# of 16-s segments, with Stingray.

true_model = models.Lorentz1D(amplitude=1.0, x_0=0.0, fwhm=1.0) + models.Lorentz1D(
    amplitude=1.5, x_0=3.0, fwhm=0.4
)
dt, n_bins = 1 / 64, 64 * 2048
sim_freq = np.fft.rfftfreq(n_bins, dt)[1:]
counts = simulate_lightcurve(
    jax.random.key(2026), true_model(sim_freq), n_bins, dt, mean=10.0, rms=0.25, poisson=True
)
lc = Lightcurve(dt * np.arange(n_bins), counts, dt=dt, skip_checks=True)
ps = AveragedPowerspectrum.from_lightcurve(lc, 16, norm="frac", silent=True)
poisson_level = 2 / lc.meanrate  # the white-noise level of a frac-normalised spectrum
print(f"{lc.tseg:.0f} s at {lc.meanrate:.1f} counts/s; m = {ps.m}, {ps.freq.size} frequencies")
print(f"expected Poisson level 2 / rate = {poisson_level:.4e} (rms/mean)^2/Hz")

# %%
# Maximum likelihood
# ------------------
# ``fit_lorentzians(ps, nlor, starting_pars)`` builds ``nlor`` Lorentzians plus a constant and
# fits them, as in Stingray; the starting values are ``(amplitude, x_0, fwhm)`` for each
# Lorentzian, then the constant. Like every fit of ``stingray_jax.modeling``, the first call
# compiles and later fits of spectra of the same shape reuse the compiled program.

starting_pars = [0.05, 0.0, 0.5, 0.05, 2.8, 0.5, 3e-3]
start = time.perf_counter()
parest, res_ml = fit_lorentzians(ps, 2, starting_pars)
cold = time.perf_counter() - start
start = time.perf_counter()
fit_lorentzians(ps, 2, starting_pars)
warm = time.perf_counter() - start
print(
    f"converged: {res_ml.converged} in {res_ml.n_steps} steps; cold {cold:.2f} s, warm {warm:.4f} s"
)

names = res_ml.model.param_names
truth = {"x_0_0": 0.0, "fwhm_0": 1.0, "x_0_1": 3.0, "fwhm_1": 0.4, "amplitude_2": poisson_level}
for name, value, err in zip(names, res_ml.p_opt, res_ml.err):
    true = f"   (simulated: {truth[name]:.4g})" if name in truth else ""
    print(f"{name:>12} = {value:11.4g} +- {err:9.2g}{true}")
print(f"-log L = {res_ml.result:.3f}, AIC = {res_ml.aic:.3f}, BIC = {res_ml.bic:.3f}")
corr = res_ml.cov / np.outer(res_ml.err, res_ml.err)
print(f"correlation of amplitude_0 and x_0_0: {corr[0, 1]:.2f}")

# %%
# The errors are the square roots of the diagonal of the inverse of the exact Hessian of
# ``-log L`` at the optimum (see :doc:`/differences`). The centroid of the broad component is
# consistent with zero, as simulated; from now on we fix it there. (The expected periodogram of
# a segment of length ``T`` is the spectrum convolved with the window's response, which widens
# each Lorentzian by about ``1 / (pi T)``, 0.02 Hz here.) The amplitudes are not compared with
# the simulation: like Stingray's ``Simulator``, the simulation rescales each realisation to the
# requested rms, so only the ratio of the two peaks (1.5) is set by ``true_model``.
#
# Maximum a posteriori, with Stingray-style priors
# ------------------------------------------------
# ``PSDPosterior`` takes one prior *density* per free parameter, as in Stingray. Here are three
# kinds:
#
# * a frozen ``scipy.stats`` distribution (``loguniform``, ``norm``): translated to JAX
#   automatically;
# * a lambda with NumPy and a boolean box (a log-uniform density): traced by JAX, with
#   ``np.log`` redirected to ``jax.numpy``;
# * a lambda that calls ``scipy.stats`` on the value (a normal prior on the QPO frequency, say
#   from an earlier observation): JAX cannot trace it, so it is evaluated on the host through
#   ``jax.pure_callback`` with numerical derivatives, and a ``HostPriorWarning`` says so. It
#   works, and its values are Stingray's, but each evaluation is a round trip to Python.

model = models.Lorentz1D(x_0=0.0) + models.Lorentz1D() + models.Const1D()
model.x_0_0.fixed = True


def log_uniform(lo, hi):
    return lambda a: ((lo <= a) & (a <= hi)) / (a * np.log(hi / lo))


priors = {
    "amplitude_0": log_uniform(1e-4, 10.0),
    "fwhm_0": scipy.stats.loguniform(1e-2, 10.0),
    "amplitude_1": log_uniform(1e-4, 10.0),
    "x_0_1": lambda f: scipy.stats.norm.pdf(f, loc=3.2, scale=0.3),
    "fwhm_1": scipy.stats.loguniform(1e-2, 3.0),
    "amplitude_2": scipy.stats.norm(poisson_level, 0.05 * poisson_level),
}
map_start = [0.05, 0.5, 0.05, 2.8, 0.5, 3e-3]

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    lpost = PSDPosterior(ps.freq, ps.power, model, priors=priors, m=ps.m)
    parest_map = PSDParEst(ps, max_post=True)
    start = time.perf_counter()
    res_map = parest_map.fit(lpost, map_start)
    map_time = time.perf_counter() - start
    start = time.perf_counter()
    parest_map.fit(lpost, map_start)
    map_warm = time.perf_counter() - start
for w in caught:
    print(f"{w.category.__name__}: {w.message}")
print(f"MAP fit: converged {res_map.converged} in {res_map.n_steps} steps")
print(f"host prior: {map_time:.2f} s (compiling), then {map_warm:.4f} s")

# %%
# The host prior needs the concrete value. Its traceable equivalent is a NumPy expression of the
# same density (or the frozen ``scipy.stats.norm(3.2, 0.3)``); with it the whole posterior
# compiles and the fit gives the same optimum:

priors_traced = dict(priors)
priors_traced["x_0_1"] = lambda f: (
    np.exp(-0.5 * ((f - 3.2) / 0.3) ** 2) / (0.3 * np.sqrt(2 * np.pi))
)
lpost_traced = PSDPosterior(ps.freq, ps.power, model, priors=priors_traced, m=ps.m)
start = time.perf_counter()
res_traced = PSDParEst(ps, max_post=True).fit(lpost_traced, map_start)
traced_time = time.perf_counter() - start
start = time.perf_counter()
PSDParEst(ps, max_post=True).fit(lpost_traced, map_start)
traced_warm = time.perf_counter() - start
print(f"traced prior: {traced_time:.2f} s (compiling), then {traced_warm:.4f} s")
print(
    f"largest difference of the optimum: {np.max(np.abs(res_traced.p_opt / res_map.p_opt - 1)):.1e}"
)

# %%
# To tell the effect of the priors from that of fixing ``x_0_0``, we also maximise the
# likelihood of this same model alone (``lpost.loglikelihood``, with ``max_post=False``):

res_ml0 = PSDParEst(ps, max_post=False).fit(lpost.loglikelihood, map_start)
ml = dict(zip(names, zip(res_ml.p_opt, res_ml.err)))
print(f"{'parameter':>12} {'ML, x_0_0 free':>22} {'ML, x_0_0 = 0':>22} {'MAP':>22}")
for name, v0, e0, v, e in zip(
    lpost.free_param_names, res_ml0.p_opt, res_ml0.err, res_map.p_opt, res_map.err
):
    print(
        f"{name:>12} {ml[name][0]:11.4g} +- {ml[name][1]:8.2g} {v0:11.4g} +- {e0:8.2g}"
        f" {v:11.4g} +- {e:8.2g}"
    )

# %%
# Fixing the centroid of the broad Lorentzian, which is correlated with its amplitude (above),
# shrinks the error of that amplitude; the priors, broad compared with what 128 averaged
# periodograms constrain, then move the estimates and their errors only a little. For the full
# posterior rather than its mode, ``parest_map.sample(lpost, res_map.p_opt, ...)`` runs NUTS
# (:doc:`/sampling`).
#
# Data, model and residuals
# -------------------------
# The spectrum in ``frequency x power`` units, with the MAP model and its three components, and
# the data/model ratio below. The ratio of an average of ``m`` periodograms scatters around 1
# by ``1 / sqrt(m)``.

freq, power = ps.freq, ps.power
components = res_map.model
fig, (ax, axr) = plt.subplots(
    2, 1, sharex=True, figsize=(8, 6), gridspec_kw={"height_ratios": [3, 1], "hspace": 0}
)
ax.step(freq, freq * power, where="mid", color="0.5", lw=0.8, label="data")
ax.plot(freq, freq * res_map.mfit, color="k", lw=2, label="MAP model")
for k, label in enumerate(["band-limited noise", "QPO", "Poisson noise"]):
    ax.plot(freq, freq * components[k](freq), "--", label=label)
ax.set(xscale="log", yscale="log", ylabel="frequency x power [(rms/mean)$^2$]")
ax.set_ylim(1e-4, None)
ax.legend()
axr.step(freq, power / res_map.mfit, where="mid", color="0.3", lw=0.8)
axr.axhline(1, color="k")
sigma = 1 / np.sqrt(ps.m)
axr.fill_between(freq, 1 - sigma, 1 + sigma, color="C0", alpha=0.2, label="$1 \\pm 1/\\sqrt{m}$")
axr.set(xlabel="frequency [Hz]", ylabel="data / model")
axr.legend(loc="upper left")
plt.show()

# %%
# ``PSDParEst.plotfits`` gives Stingray's figure of the same kind, here for the ML and MAP fits:

fig = parest.plotfits(res_ml, res_map, namestr="simulated QPO")
plt.show()
