"""
A Z^2_n pulsar search over frequency and fdot
=============================================

We simulate the events of a weak, spinning-up pulsar at a realistic mission time, search a
frequency x fdot grid with :func:`stingray_jax.pulse.z_n_search` (the same call as Stingray's),
check a few trials against Stingray, and compare with the unbinned Z^2_n of
``method="events"``.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np

from stingray_jax.pulse import z2_n_probability, z_n_search

rng = np.random.default_rng(2026)
tobs, f0, fdot0 = 5000.0, 3.7391, 4e-8
t = np.sort(rng.uniform(0, tobs, 60_000))
phase = f0 * t + 0.5 * fdot0 * t**2
t = t[rng.uniform(size=t.size) < 0.5 * (1 + 0.08 * np.cos(2 * np.pi * phase))]
times = t + 4.1e8  # mission time: the search subtracts the first event in float64/longdouble

df = 1 / tobs / 4
freqs = f0 + df * np.arange(-150, 151)
fdots = np.linspace(-1e-7, 1.5e-7, 9)

start = time.perf_counter()
f, fd, z2 = z_n_search(times, freqs, nharm=2, fdots=fdots)
print(f"{z2.size} trials, {times.size} events: {time.perf_counter() - start:.1f} s (binned)")
i = np.unravel_index(np.argmax(z2), z2.shape)
p = z2_n_probability(z2[i], 2, ntrial=z2.size)
print(f"best: f = {f[i]:.6f} Hz, fdot = {fd[i]:.2e} Hz/s, Z^2_2 = {z2[i]:.1f}, P = {p:.1e}")

# %%
# The same statistic as Stingray, to rounding (a few trials; Stingray is slower)
from stingray.pulse.search import z_n_search as stingray_z_n_search

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    ref = stingray_z_n_search(times, freqs[145:156], nharm=2, fdots=fd[i])[1]
ours = z_n_search(times, freqs[145:156], nharm=2, fdots=fd[i])[1]
print("max relative difference from Stingray:", np.max(np.abs(ours / ref - 1)))

# %%
# The unbinned Z^2_2 (non-uniform FFTs): a slightly different statistic, much faster
start = time.perf_counter()
_, _, z2_ev = z_n_search(times, freqs, nharm=2, fdots=fdots, method="events")
print(f"events method: {time.perf_counter() - start:.2f} s")

fig, axes = plt.subplots(1, 2, figsize=(10, 4))
extent = [freqs[0] - f0, freqs[-1] - f0, fdots[0], fdots[-1]]
axes[0].imshow(z2, aspect="auto", origin="lower", extent=extent)
axes[0].set(xlabel=f"frequency - {f0} Hz", ylabel="fdot (Hz/s)", title="binned Z$^2_2$")
axes[1].plot(freqs - f0, z2[i[0]], label="binned (Stingray's)")
axes[1].plot(freqs - f0, z2_ev[i[0]], "--", label="unbinned (events)")
axes[1].set(xlabel=f"frequency - {f0} Hz", ylabel="Z$^2_2$", title=f"fdot = {fd[i]:.1e}")
axes[1].legend()
fig.tight_layout()
