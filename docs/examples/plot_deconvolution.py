"""
Deconvolution by differentiating through the instrument
=======================================================

An instrument blurs what it sees: a telescope by its point-spread function (PSF), an X-ray
detector by its time response. If we can *simulate* the instrument with a differentiable
program, we can *invert* it by optimisation: find the sky (or light curve) ``x`` that maximises

    ``log p(x | data) = -sum((data - blur(x))^2) / (2 sigma^2) - penalty(x)``,

with the gradient supplied by ``jax.grad`` through the FFT convolution. No adjoint operator is
written by hand, and changing the prior is one line. This page uses
``stingray_jax.examples.deconvolution`` (L-BFGS from optax) on two problems:

1. an image of stars and a galaxy blurred by a Gaussian PSF;
2. a light curve of two X-ray bursts smeared by a detector with an exponential response, the
   timing-relevant case.
"""

import time

import matplotlib.pyplot as plt
import numpy as np

import stingray_jax
from stingray_jax.examples import deconvolution as dc

stingray_jax.enable_x64()  # float64 for this page


def rms(a):
    return float(np.sqrt(np.mean(np.square(a))))


# %%
# An image
# --------
# The truth is a 64 x 64 scene of twelve single-pixel stars and an elliptical exponential
# disc; the PSF is a Gaussian of sigma = 2 pixels; the noise is Gaussian with sigma = 0.02
# (the brightest star peaks at ~30 before blurring).

truth = dc.star_field((64, 64), n_stars=12, seed=0)
psf = dc.gaussian_psf((64, 64), 2.0)
sigma = 0.02
rng = np.random.default_rng(1)
data = np.asarray(dc.fft_convolve(truth, psf)) + sigma * rng.normal(size=truth.shape)

# %%
# First, the Gaussian (Tikhonov) prior ``weight * sum(x^2) / 2``. Its MAP estimate has a
# closed form, a Wiener-like filter in Fourier space, so we can check the optimiser against it
# before trusting it with priors that have none.

t0 = time.perf_counter()
tikhonov = np.asarray(dc.map_deconvolve(data, psf, sigma, prior="tikhonov", weight=1.0, n_iter=300))
print(f"L-BFGS, Tikhonov prior: {time.perf_counter() - t0:.2f} s (compilation included)")
closed_form = np.asarray(dc.tikhonov_solution(data, psf, sigma, 1.0))
print(f"max |L-BFGS - closed form| = {np.abs(tikhonov - closed_form).max():.1e}")

# %%
# Then a better prior for a dark sky with compact sources: positivity (``x = softplus(z)``)
# and a smoothed total-variation penalty ``weight * sum(sqrt(|grad x|^2 + delta^2))``, which
# favours flat regions separated by sharp edges, so it does not smear point sources the way a
# quadratic penalty does.

t0 = time.perf_counter()
smooth = np.asarray(
    dc.map_deconvolve(data, psf, sigma, prior="positive_smooth", weight=0.03, n_iter=500)
)
print(
    f"L-BFGS, positivity + total variation: {time.perf_counter() - t0:.2f} s (compilation included)"
)

data_error = rms(data - truth)
for name, image in [("blurred data", data), ("Tikhonov", tikhonov), ("positive + TV", smooth)]:
    print(
        f"{name:14s}: rms error {rms(image - truth):.3f} "
        f"(ratio to the data's {rms(image - truth) / data_error:.2f}), "
        f"flux {image.sum() / truth.sum():.4f} x true, min {image.min():+.3f}"
    )

# %%
fig, axes = plt.subplots(2, 3, figsize=(10, 6.6))
vmax = np.percentile(truth, 99.9)
panels = [
    (truth, "truth"),
    (data, "blurred + noise"),
    (tikhonov, "MAP, Tikhonov prior"),
    (smooth, "MAP, positivity + TV prior"),
    (data - np.asarray(dc.fft_convolve(smooth, psf)), "data - blur(MAP TV)"),
    (smooth - truth, "MAP TV - truth"),
]
for ax, (image, title) in zip(axes.flat, panels):
    if "-" in title:
        lim = np.abs(image).max()
        im = ax.imshow(image, origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim)
    else:
        im = ax.imshow(image, origin="lower", cmap="magma", vmin=0, vmax=vmax / 3)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(im, ax=ax, shrink=0.8)
fig.tight_layout()

# %%
# The residuals ``data - blur(MAP)`` are noise-like: the reconstruction explains the data.
# The Tikhonov estimate rings around the stars and goes negative (a Gaussian prior centred on
# zero knows nothing about positivity); the positive, edge-preserving prior recovers compact
# stars and the galaxy's shape.
#
# The effect of the prior weight
# ------------------------------
# Too weak a prior lets noise through (the inverse of a Gaussian blur amplifies high
# frequencies enormously); too strong a prior erases the signal. The Tikhonov curve uses the
# closed form; the TV points re-use the compiled optimiser (a new ``weight`` does not
# recompile).

weights = np.logspace(-3, 3, 13)
ratio_tikhonov = [
    rms(np.asarray(dc.tikhonov_solution(data, psf, sigma, w)) - truth) / data_error for w in weights
]
tv_weights = [0.003, 0.03, 0.3, 3.0]
ratio_tv = [
    rms(
        np.asarray(
            dc.map_deconvolve(data, psf, sigma, prior="positive_smooth", weight=w, n_iter=500)
        )
        - truth
    )
    / data_error
    for w in tv_weights
]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogx(weights, ratio_tikhonov, "o-", label="Tikhonov (closed form)")
ax.semilogx(tv_weights, ratio_tv, "s-", label="positivity + TV (L-BFGS)")
ax.axhline(1, color="k", ls=":", label="blurred data")
ax.set(xlabel="prior weight", ylabel="rms error / rms error of the data", ylim=(0, 2))
ax.legend()
fig.tight_layout()

# %%
# A light curve: bursts seen through a slow detector
# --------------------------------------------------
# Two fast-rise exponential-decay bursts on a constant level of 10 counts per bin, sampled at
# 0.05 s, are seen through a detector whose response decays as ``exp(-t / 1 s)``: the
# observed bursts are late, low and smeared into each other. Deconvolution moves the peaks
# back close to their true times and restores their heights.

dt, n = 0.05, 512
t = np.arange(n) * dt
lc_truth = dc.fred_profile(t, 100.0, 3.0, 0.3, 1.5) + dc.fred_profile(t, 60.0, 9.0, 0.1, 0.8) + 10.0
response = dc.exponential_response(n, tau=1.0, dt=dt)
lc_sigma = 2.0
lc_data = np.asarray(dc.fft_convolve(lc_truth, response)) + lc_sigma * rng.normal(size=n)
t0 = time.perf_counter()
lc_map = np.asarray(
    dc.map_deconvolve(lc_data, response, lc_sigma, prior="positive_smooth", weight=1.0, n_iter=500)
)
print(f"light curve MAP: {time.perf_counter() - t0:.2f} s (compilation included)")
lc_tikhonov = np.asarray(dc.tikhonov_solution(lc_data, response, lc_sigma, 1e-2))
lc_error = rms(lc_data - lc_truth)
for name, curve in [
    ("smeared data", lc_data),
    ("Tikhonov", lc_tikhonov),
    ("positive + TV", lc_map),
]:
    print(
        f"{name:14s}: error ratio {rms(curve - lc_truth) / lc_error:.2f}, "
        f"flux {curve.sum() / lc_truth.sum():.4f} x true, "
        f"peak at {t[np.argmax(curve)]:.2f} s (true {t[np.argmax(lc_truth)]:.2f} s)"
    )

fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True, height_ratios=[3, 1])
ax1.plot(t, lc_data, color="0.6", lw=0.8, label="observed (smeared + noise)")
ax1.plot(t, lc_tikhonov, color="C0", lw=1, alpha=0.8, label="MAP, Tikhonov")
ax1.plot(t, lc_map, color="C3", lw=1.5, label="MAP, positivity + TV")
ax1.plot(t, lc_truth, "k--", lw=1, label="truth")
ax1.set(ylabel="counts per bin", xlim=(0, 16))
ax1.legend()
ax2.plot(
    t, (lc_data - np.asarray(dc.fft_convolve(lc_map, response))) / lc_sigma, color="C3", lw=0.8
)
ax2.set(xlabel="time (s)", ylabel="residual / sigma")
fig.tight_layout()

# %%
# The total-variation prior reconstructs smooth decays as small steps ("staircasing"), its
# known signature; a smoothness prior on the second derivative would trade that for some
# ringing at the sharp rises.
#
# Flux is conserved by construction of the likelihood (the response integrates to one and the
# data constrain the total well), to well within 1 % with the positive prior; the Tikhonov
# prior, centred on zero, pulls the constant level down. The same code runs unchanged for a
# batch of light curves under ``jax.vmap``, or on a GPU.
