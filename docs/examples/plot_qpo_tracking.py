"""
Tracking a QPO and fitting flares across observations
=====================================================

Two batch jobs of an outburst campaign, each in one call that returns an astropy ``Table``:

1. **QPO tracking**: the frequency of a quasi-periodic oscillation drifts during an observation;
   `stingray_jax.batch.fit_observations` with ``per_segment=True`` fits every 16-s segment's
   periodogram (the segments of Stingray's ``DynamicalPowerspectrum``) and gives the QPO
   frequency with its error against time.
2. **Flares**: `stingray_jax.batch.fit_lightcurves` fits a fast-rise exponential-decay profile
   (`stingray_jax.models.FRED1D`, Stingray's ``gpmodeling`` parameterisation) plus a constant to
   many light curves of different lengths, with the Poisson likelihood.

Everything is simulated with stated seeds, so the fitted values can be compared with the truth.
"""

import matplotlib.pyplot as plt
import numpy as np
from astropy.modeling.models import Const1D, Lorentz1D, PowerLaw1D
from stingray import EventList

from stingray_jax.batch import fit_batch, fit_lightcurves, fit_observations
from stingray_jax.fourier import avg_pds_from_timeseries
from stingray_jax.models import FRED1D

# %%
# An observation with a drifting QPO
# ----------------------------------
# 2048 s of Poisson events at 800 counts/s whose rate carries red noise and a QPO of quality
# factor 5 whose centroid rises from 2 to 4 Hz. The light curve is built piece by piece (each
# 16-s piece filtered with the QPO at that time's frequency), then turned into events.

rng = np.random.default_rng(7)
dt, segment, length, rate = 1 / 128, 16.0, 2048.0, 800.0
n_seg = int(length / segment)
n_bins = int(segment / dt)
f_true = np.linspace(2.0, 4.0, n_seg)
freq_sim = np.fft.rfftfreq(n_bins, dt)
pieces = []
for f0 in f_true:
    shape = 1 / (1 + ((freq_sim - f0) / (f0 / 10)) ** 2)
    shape[1:] += 0.05 * (freq_sim[1:] / f0) ** -1.0
    spec = (rng.normal(size=freq_sim.size) + 1j * rng.normal(size=freq_sim.size)) * np.sqrt(shape)
    spec[0] = 0
    x = np.fft.irfft(spec, n_bins)
    pieces.append(np.exp(0.3 * x / x.std() - 0.045))
counts = rng.poisson(rate * dt * np.concatenate(pieces))
times = dt * (np.repeat(np.arange(counts.size), counts) + rng.uniform(size=counts.sum()))
events = EventList(np.sort(times), gti=np.array([[0.0, length]]))
print(f"{events.time.size} events in {length:g} s")

# %%
# The model and its starting values
# ---------------------------------
# A power law (red noise), a Lorentzian QPO and a constant (the Poisson level, 2 in Leahy
# normalisation), with positive amplitudes and widths. A periodogram of 16 s is noisy, so each
# segment's fit starts from the fit of the averaged spectrum of the whole observation (what one
# would do by hand): one extra fit.

model = PowerLaw1D(1.0, 1.0, 1.0) + Lorentz1D(5.0, 3.0, 0.6) + Const1D(2.0)
model.x_0_0.fixed = True
for name in ("amplitude_0", "amplitude_1", "fwhm_1"):
    getattr(model, name).bounds = (0, None)
model.x_0_1.bounds = (0.5, 10.0)

avg = avg_pds_from_timeseries(events.time, events.gti, segment, dt, norm="leahy")
averaged = fit_batch(model, avg["freq"], np.asarray(avg["power"])[None], m=avg.meta["m"])
p0 = [float(averaged[name][0]) for name in averaged.meta["free_param_names"]]
print("averaged fit: QPO at", round(averaged["x_0_1"][0], 3), "Hz")

# %%
# One fit per segment
# -------------------
# 128 Whittle fits in one compiled call. A segment whose fit does not converge is a flagged row
# (``converged=False``, the reason in ``problem``), never a silent number.

track = fit_observations([events], model, segment, dt, norm="leahy", per_segment=True, p0=p0)
ok = np.asarray(track["converged"])
print(f"{ok.sum()} of {len(track)} segments converged")
print(track["segment", "time", "x_0_1", "x_0_1_err", "converged"][:5])

pull = (track["x_0_1"][ok] - f_true[ok]) / track["x_0_1_err"][ok]
print(f"(fit - truth) / error: median {np.median(pull):.2f}, spread {np.std(pull):.2f}")

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(track["time"], f_true, color="k", lw=1, label="true centroid")
ax.errorbar(
    track["time"][ok],
    track["x_0_1"][ok],
    track["x_0_1_err"][ok],
    fmt="o",
    ms=3,
    label="fit of each 16-s segment",
)
ax.set(xlabel="time (s)", ylabel="QPO frequency (Hz)", ylim=(1, 5.5))
ax.legend()
fig.tight_layout()

# %%
# Flares in many light curves
# ---------------------------
# Thirty light curves of 100 to 300 one-second bins, each with a FRED flare (peak height 80
# counts per bin) on a background of 5: the padded, masked batch fits them all at once. With
# ``time_zero="start"`` the times count from each light curve's first bin.

truth = FRED1D(A=80.0, t0=20.0, delta=5.0, phi=2.0) + Const1D(5.0)
curves = []
for k in range(30):
    t = np.arange(100 + 7 * k) + 0.5
    curves.append(rng.poisson(truth(t)))
start = FRED1D(A=50.0, t0=15.0, delta=3.0, phi=1.0) + Const1D(3.0)
start.phi_0.bounds = (0.01, None)
flares = fit_lightcurves(curves, start, dt=1.0, time_zero="start")
print(flares["n_bins", "A_0", "A_0_err", "phi_0", "amplitude_1", "converged"][:5])

fig, ax = plt.subplots(figsize=(7, 3.5))
best = start.copy()
best.parameters = [flares[n][0] for n in flares.meta["free_param_names"]]
t = np.arange(curves[0].size) + 0.5
ax.step(t, curves[0], where="mid", color="0.5", label="counts (light curve 0)")
ax.plot(t, best(t), color="C1", label="best-fitting FRED + constant")
ax.set(xlabel="time (s)", ylabel="counts per bin")
ax.legend()
fig.tight_layout()

# %%
# The peak heights of the thirty fits scatter around the truth as their errors say:
pull = (flares["A_0"] - 80.0) / flares["A_0_err"]
mean_a = np.mean(flares["A_0"])
print(f"peak height: mean {mean_a:.1f}, pulls mean {pull.mean():.2f} sd {pull.std():.2f}")
