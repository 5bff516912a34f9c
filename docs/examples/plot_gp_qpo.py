"""
GP modelling of a real RXTE light curve: red noise vs QPO + red noise
=====================================================================

Stingray's bundled RXTE light curve (``stingray.sampledata.sample_data()``), binned to 16 s,
modelled as a Gaussian process with Stingray's ``"RN"`` and ``"QPO_plus_RN"`` kernels and a
constant mean, exactly as with ``stingray.modeling.gpmodeling`` but with the import changed.
Nested sampling gives the evidence of both models and their Bayes factor; the PSD of the
fitted kernel is drawn over the periodogram.
"""

import matplotlib.pyplot as plt
import numpy as np
import numpyro.distributions as dist
from stingray import Powerspectrum
from stingray.sampledata import sample_data

from stingray_jax.modeling.gpmodeling import (
    GPResult,
    get_gp_params,
    get_kernel,
    get_log_likelihood,
    get_prior,
)

lc = sample_data().rebin(16.0)
lc = lc.shift(-lc.time[0])  # relative times (never absolute mission times in JAX)
t, y = lc.time, lc.counts / lc.dt  # counts/s
print(f"{len(t)} bins of {lc.dt} s, mean rate {y.mean():.0f} counts/s")

# %%
# Priors as Stingray's tutorial builds them (from the span and sampling of the data), written
# with NumPyro distributions (tensorflow-probability ones work too). The white noise of the
# binned counts enters through ``diag`` (Poisson variance of the rate).
T, fnyq = t[-1] - t[0], 0.5 / lc.dt
var = y.var()
priors = {
    "log_arn": dist.Uniform(np.log(0.01 * var), np.log(10 * var)),
    "log_crn": dist.Uniform(np.log(1 / T), np.log(fnyq)),
    "log_aqpo": dist.Uniform(np.log(0.01 * var), np.log(10 * var)),
    "log_cqpo": dist.Uniform(np.log(1 / T), np.log(fnyq)),
    "log_freq": dist.Uniform(np.log(2 / T), np.log(fnyq)),
    "log_A": dist.Uniform(np.log(0.5 * y.mean()), np.log(2 * y.mean())),
}
diag = y.mean() / lc.dt  # Poisson variance of a rate

results = {}
for kernel in ("RN", "QPO_plus_RN"):
    names = get_gp_params(kernel, "constant")
    prior = get_prior(names, {n: priors[n] for n in names})
    like = get_log_likelihood(names, kernel, "constant", t, y, diag=diag)
    res = GPResult(lc)
    res.sample(prior, like, num_live_points=60, max_samples=1e4, seed=1)
    results[kernel] = res
    print(kernel, "log Z =", round(res.get_evidence(), 2), "+-", round(res.results.log_Z_uncert, 2))

ln_bf = results["QPO_plus_RN"].get_evidence() - results["RN"].get_evidence()
print(f"ln Bayes factor (QPO+RN vs RN) = {ln_bf:.2f}")

# %%
# A large Bayes factor says the second term helps, not that there is a narrow QPO: on this red-noise
# light curve the "QPO" term is a broad component (low quality factor Q, printed below), i.e.
# the red noise is not a single Lorentzian. Look at Q before calling it a QPO.
#
# Posterior of the QPO frequency (weighted draws of the nested samples).
results["QPO_plus_RN"].weighted_posterior_plot("log_freq")
plt.show()

# %%
# The PSD of the maximum-posterior kernel over the periodogram (fractional rms normalisation:
# the one-sided kernel PSD divided by the squared mean rate, plus the Poisson level).
best = results["QPO_plus_RN"].get_max_posterior_parameters()
p = {k[4:]: np.exp(v) for k, v in best.items() if k.startswith("log_")}
print(f"QPO term: freq = {p['freq']:.4f} Hz, Q = {np.pi * p['freq'] / p['cqpo']:.2f}")
kernel = get_kernel("QPO_plus_RN", p)
ps = Powerspectrum(lc, norm="frac")
mean = y.mean()
model = np.asarray(kernel.psd(ps.freq)) / mean**2 + 2 * diag * lc.dt / mean**2
fig, ax = plt.subplots()
ax.loglog(ps.freq, ps.power, ds="steps-mid", color="0.6", label="periodogram (frac)")
ax.loglog(ps.freq, model, color="C1", label="GP kernel PSD + Poisson level")
ax.set_xlabel("Frequency (Hz)")
ax.set_ylabel(r"Power ((rms/mean)$^2$/Hz)")
ax.legend()
plt.show()
